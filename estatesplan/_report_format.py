"""Formatting for the HTML report (internal; see :mod:`estatesplan.report`): unknown values
read "unknown", never 0; table text is escaped."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, Final

import pandas as pd

from ._mapstyle import is_unknown

__all__ = ["FORMATS", "PCT", "Fmt", "cols", "label", "num", "table", "unknown"]

Fmt = Callable[[Any], str]
"""A value → text formatter."""


def unknown(fmt: Fmt) -> Fmt:
    """``fmt`` that reads a missing value as "unknown" (and falls back to ``str``)."""

    def wrapped(v: Any) -> str:
        if is_unknown(v):
            return "unknown"
        try:
            return fmt(v)
        except (TypeError, ValueError):
            return str(v)

    return wrapped


def num(d: int = 0) -> Fmt:
    """A number with thousands separators and ``d`` decimals."""
    return unknown(lambda v: f"{float(v):,.{d}f}")


def label(name: object) -> str:
    """A column or cohort name as words (underscores to spaces)."""
    return str(name).replace("_", " ")


FORMATS: Final[dict[str, Fmt]] = {
    "t": unknown(str),
    "l": unknown(label),
    "%": unknown(lambda v: f"{100 * float(v):.1f}%"),
    "£": unknown(lambda v: f"£{float(v) / 1e6:,.2f}m"),
    "y": unknown(lambda v: "yes" if bool(v) and str(v).lower() != "false" else "no"),
    **{str(d): num(d) for d in range(4)},
}
PCT: Final = FORMATS["%"]


def cols(spec: str) -> list[tuple[str, str, Fmt]]:
    """Parse "column=header:format; …" (formats: t text, l label, % share, £ £m, y yes/no,
    0–3 decimals)."""
    out: list[tuple[str, str, Fmt]] = []
    for item in filter(None, (x.strip() for x in spec.split(";"))):
        col, rest = item.split("=", 1)
        header, fmt = rest.rsplit(":", 1)
        out.append((col.strip(), header.strip(), FORMATS[fmt.strip()]))
    return out


def table(
    df: pd.DataFrame | None,
    spec: str | list[tuple[str, str, Fmt]],
    *,
    caption: str,
    note: str = "",
    missing: str = "not computed for this study",
) -> str:
    """An HTML table of the columns present (formatted, escaped), or a line saying why not."""
    esc = html.escape
    if df is None or df.empty:
        return f'<p class="empty"><b>{esc(caption)}</b>: {esc(missing)}.</p>'
    shown = [col for col in (cols(spec) if isinstance(spec, str) else spec) if col[0] in df]
    head = "".join(f"<th>{esc(h)}</th>" for _, h, _ in shown)
    rows = df[[col for col, _, _ in shown]].itertuples(index=False, name=None)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(f(v))}</td>" for (_, _, f), v in zip(shown, row, strict=True))
        for row in rows
    )
    foot = f'<p class="note">{esc(note)}</p>' if note else ""
    return (
        f'<table class="data"><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>{foot}"
    )

"""The ``[transit]`` section of a study config: the timetable and how it is summarised.

Kept apart from :mod:`estatesplan.config` (which re-exports :class:`TransitConfig`).
Defaults follow Conveyal R5 (behind r5py) where it has one: departures every minute
07:00–10:00, the median over the window, walks to and from stops of at most 20
minutes, at most 7 changes (R5's 8 rides). The footpath distance between stops (400 m)
is ours; see :mod:`estatesplan.raptor` for the model.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .config import _Reader

__all__ = [
    "DEFAULT_WINDOW",
    "TRANSIT_KEYS",
    "TransitConfig",
    "check_transit",
    "parse_window",
    "read_transit",
]

TRANSIT_KEYS: Final = {
    "gtfs", "date", "window", "percentile", "max_transfers", "max_walk_min", "transfer_m",
}  # fmt: skip

DEFAULT_WINDOW: Final[tuple[str, str]] = ("07:00", "10:00")
"""Departure window of R5's defaults (07:00 to 09:59, every minute)."""

_WINDOW = re.compile(r"^\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*[-–]\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*$")


@dataclass(frozen=True, slots=True)
class TransitConfig:
    """Public transport timetable for the ``transit`` mode.

    Parameters
    ----------
    gtfs
        GTFS zip as published (None: no public transport mode).
    date
        Service date whose timetable is used; None picks a representative weekday from
        the feed (:func:`estatesplan.study_transit.service_date`: the first Tuesday of
        the feed with the most services running) and says which.
    window
        Departure window ``("HH:MM", "HH:MM")``, end excluded (default 07:00–10:00).
    percentile
        Which percentile of travel time over the window's departures, every minute (default
        50: the median; R5's nearest-rank rule).
    max_transfers
        Changes allowed per journey (default 7).
    max_walk_min
        Longest walk to the first stop and from the last stop, minutes (default 20).
    transfer_m
        Stops within this straight-line distance are joined by a footpath for changes,
        metres (default 400).
    """

    gtfs: Path | None = None
    date: dt.date | None = None
    window: tuple[str, str] = DEFAULT_WINDOW
    percentile: float = 50.0
    max_transfers: int = 7
    max_walk_min: float = 20.0
    transfer_m: float = 400.0


def parse_window(text: str) -> tuple[str, str]:
    """Parse ``"07:00-10:00"`` into ``("07:00", "10:00")``.

    Parameters
    ----------
    text
        Start and end as ``HH:MM`` (or ``HH:MM:SS``) joined by a hyphen; the end may pass
        24:00 (GTFS times).

    Returns
    -------
    tuple of str
        ``(start, end)``.

    Raises
    ------
    ValueError
        If the text is not a window or the end is not after the start.

    Examples
    --------
    >>> parse_window("07:00-10:00")
    ('07:00', '10:00')
    """
    m = _WINDOW.match(text)
    if m is None:
        msg = f"departure window {text!r} must look like 07:00-10:00"
        raise ValueError(msg)

    def secs(t: str) -> int:
        parts = [int(x) for x in t.split(":")]
        return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)

    start, end = m.group(1), m.group(2)
    if any(int(t.split(":")[1]) >= 60 for t in (start, end)):
        msg = f"departure window {text!r}: minutes must be 00–59"
        raise ValueError(msg)
    if secs(end) <= secs(start):
        msg = f"departure window {text!r} is empty: the end must be after the start"
        raise ValueError(msg)
    return start, end


def check_transit(cfg: TransitConfig) -> list[str]:
    """Problems with the numeric settings, one line each (empty when all are in range).

    Parameters
    ----------
    cfg
        The settings, from a config or the command line.

    Returns
    -------
    list of str
        E.g. "percentile must lie in 0–100, found 120".
    """
    problems = []
    if not 0 <= cfg.percentile <= 100:
        problems.append(f"percentile must lie in 0–100, found {cfg.percentile:g}")
    if cfg.max_transfers < 0:
        problems.append(f"max_transfers must be ≥ 0, found {cfg.max_transfers}")
    if not cfg.max_walk_min > 0:
        problems.append(f"max_walk_min must be positive, found {cfg.max_walk_min:g}")
    if cfg.transfer_m < 0:
        problems.append(f"transfer_m must be ≥ 0, found {cfg.transfer_m:g}")
    return problems


def read_transit(r: _Reader, data: Mapping[str, Any]) -> TransitConfig:
    """Read ``[transit]``, recording every problem on ``r``.

    Parameters
    ----------
    r
        The config reader.
    data
        The whole TOML document.

    Returns
    -------
    TransitConfig
        Defaults where a key is absent or wrong (the problem is recorded).
    """
    tr = r.table(data, "transit")
    r.unknown("transit", tr, set(TRANSIT_KEYS))
    date = None
    raw = tr.get("date")
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        date = raw  # TOML local date: date = 2026-05-12
    elif isinstance(raw, str):
        try:
            date = dt.date.fromisoformat(raw.strip())
        except ValueError:
            r.problems.append(f"[transit] date {raw!r} must be a date like 2026-05-12")
    elif raw is not None:
        r.problems.append(f"[transit] date must be a date like 2026-05-12, found {raw!r}")
    window = DEFAULT_WINDOW
    wraw = tr.get("window")
    if isinstance(wraw, str):
        try:
            window = parse_window(wraw)
        except ValueError as err:
            r.problems.append(f"[transit] {err}")
    elif wraw is not None:
        r.problems.append(f'[transit] window must be a string like "07:00-10:00", found {wraw!r}')
    cfg = TransitConfig(
        gtfs=r.path("transit", tr, "gtfs"),
        date=date,
        window=window,
        percentile=r.typed("transit", tr, "percentile", float, 50.0),
        max_transfers=r.typed("transit", tr, "max_transfers", int, 7),
        max_walk_min=r.typed("transit", tr, "max_walk_min", float, 20.0),
        transfer_m=r.typed("transit", tr, "transfer_m", float, 400.0),
    )
    r.problems.extend(f"[transit] {p}" for p in check_transit(cfg))
    if cfg.gtfs is None and any(k in tr for k in TRANSIT_KEYS - {"gtfs"}):
        r.problems.append(
            '[transit] has settings but no gtfs feed; add gtfs = "feed.zip" (a GTFS zip as published)'
        )
    return cfg

"""A self-contained HTML report of a study (or a view of it) that works offline.

One file with no network requests at all: Leaflet 1.9.4 (BSD-2-Clause, vendored in
``data/vendor/leaflet``) and its CSS are inlined, the map layers are inline GeoJSON
(EPSG:4326, simplified, no tile layer), charts are inline SVG drawn with matplotlib, and
a Content-Security-Policy forbids the browser to fetch anything. The tables and charts
come from the same :func:`estatesplan.export_bundle.select_view` selection as the data
downloads, so the report and the CSVs agree. Text from the data is HTML-escaped; unknown
values read "unknown", never 0; estimates say so.
"""

from __future__ import annotations

import html
import io
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from . import contracts as c
from ._io import write_text_atomic
from ._mapstyle import data_attribution, is_unknown, owner_type_label
from ._report_format import PCT, label, num, table
from ._report_map import leaflet, map_section
from .errors import DataSourceError
from .export import SYNTHETIC_NOTICE
from .export_bundle import ExportSelection, ExportView, select_view
from .study import Study
from .study_transit import transit_sentence

__all__ = ["REPORT_SIMPLIFY_M", "build_report", "write_report"]

logger = logging.getLogger(__name__)

REPORT_SIMPLIFY_M: Final = 10.0
"""Tolerance, in metres, used to simplify polygons drawn on the report's map."""

# --- charts -----------------------------------------------------------------------------


def _svg(draw: Callable[[Any], str], *, salt: str, height: float = 3.6) -> str:
    """Draw on a new matplotlib figure (no pyplot, no GUI) and return inline SVG markup."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, height), layout="constrained")
    ax = fig.subplots()
    title = draw(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    buf = io.StringIO()
    meta = dict.fromkeys(("Date", "Creator", "Format", "Type"))
    with mpl.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none", "font.size": 9}):
        fig.savefig(buf, format="svg", metadata=meta)
    text = buf.getvalue()
    # inline SVG in HTML needs no prolog and no namespace declarations (so names no URL)
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text[text.index("<svg") :], count=2)
    return f'<figure class="chart">{text}<figcaption>{html.escape(title)}</figcaption></figure>'


def _lines(
    frame: pd.DataFrame, *, by: str, x: str, y: str, scale: float = 1.0, prefix: str = ""
) -> Callable[[Any], None]:
    def draw(ax: Any) -> None:
        for key, g in frame.groupby(by, sort=False):
            ax.plot(g[x], g[y].to_numpy(dtype=float) * scale, lw=1.7, label=prefix + label(key))

    return draw


def _s_curve_chart(curves: pd.DataFrame, *, label: str, mode: str) -> str:
    def draw(ax: Any) -> str:
        _lines(curves, by="cohort", x="minute", y="share", scale=100)(ax)
        ax.set(xlabel="minutes (modelled)", ylabel="% of cohort reached", ylim=(0, 101))
        return f"Share of each cohort whose nearest {label} is within t minutes by {mode}"

    return _svg(draw, salt="s_curves")


def _carbon_chart(nbhd: pd.DataFrame) -> str:
    def draw(ax: Any) -> str:
        y = np.arange(len(nbhd))
        b = nbhd["buildings_tco2e"].fillna(0).to_numpy(dtype=float)
        t = nbhd["travel_tco2e"].fillna(0).to_numpy(dtype=float)
        ax.barh(y, b, color="#0072B2", label="buildings (operational)")
        ax.barh(y, t, left=b, color="#E69F00", label="residents' health trips (estimated)")
        ax.set_yticks(y, [str(n)[:40] for n in nbhd["nname"]])
        ax.invert_yaxis()
        ax.set_xlabel("tCO2e a year")
        return "Carbon per neighbourhood, tCO2e a year (buildings of unknown energy left out)"

    return _svg(draw, salt="carbon", height=0.8 + 0.35 * max(len(nbhd), 3))


def _net_zero_chart(nz: pd.DataFrame) -> str:
    def draw(ax: Any) -> str:
        _lines(nz, by="pathway", x="year", y="projected_tco2e", prefix="projected: ")(ax)
        first = nz[nz["pathway"] == nz["pathway"].iloc[0]]
        ax.plot(first["year"], first["target_tco2e"], "k--", lw=1.2, label="NHS net zero path")
        ax.set(ylabel="tCO2e a year", ylim=(0, None))
        return "Buildings' emissions against the NHS net zero path"

    return _svg(draw, salt="net_zero")


def _cost_chart(forecast: pd.DataFrame) -> str:
    def draw(ax: Any) -> str:
        yearly = forecast.groupby(["pathway", "year"], sort=False)["total_gbp"].sum(min_count=1)
        _lines(yearly.reset_index(), by="pathway", x="year", y="total_gbp", scale=1e-6)(ax)
        ax.set(ylabel="£m a year (real prices, undiscounted)", ylim=(0, None))
        span = f"{int(forecast['year'].min())}–{int(forecast['year'].max())}"
        return f"Whole-life cost forecast {span} of the assets in view, per pathway"

    return _svg(draw, salt="cost")


# --- sections ---------------------------------------------------------------------------


def _headline(study: Study) -> tuple[str | None, str | None, str]:
    """The access stage's headline asset set, mode and set label (``[access] left_behind``)."""
    settings = study.access.settings if study.access is not None else {}
    lb = settings.get("left_behind", {})
    aset, mode = lb.get("asset_set"), lb.get("mode")
    return aset, mode, str(settings.get("asset_sets", {}).get(aset, {}).get("label", aset))


def _rows(t: pd.DataFrame | None, **eq: Any) -> pd.DataFrame | None:
    if t is None or t.empty:
        return t
    keep = pd.Series(True, index=t.index)
    for col, val in eq.items():
        if col in t.columns:
            keep &= t[col].astype(str) == str(val)
    return t[keep.to_numpy()]


def _tables(sel: ExportSelection) -> Callable[[str], pd.DataFrame | None]:
    """Look up a table of the view; None when it is absent or has no row in the view."""
    return lambda name: None if sel.tables.get(name) is None or sel.tables[name].empty else (
        sel.tables[name]
    )  # fmt: skip


_POOLED: Final = "pooled over the whole study, so not shown for this view"


def _access_section(study: Study, sel: ExportSelection, cohort: str, names: dict[str, str]) -> str:
    aset, mode, label = _headline(study)
    if study.access is None or aset is None:
        return "<p>Access was not computed for this study (it needs a street network).</p>"
    tb = _tables(sel)
    coh = _rows(tb("access_cohorts"), asset_set=aset)
    within = [x for x in (coh.columns if coh is not None else []) if x.startswith("share_within_")]
    spec = "cohort=cohort:l; mode=mode:t; people=people:0; mean_min=mean min:1; " \
        "median_min=median min:1; p90_min=90th percentile min:1; " + "".join(
            f"{x}=within {x.removeprefix('share_within_')} min:%; " for x in within
        ) + "unreachable=unreachable (people):0"  # fmt: skip
    cap = f"Access to {label} per cohort (modelled; 'best' is the fastest mode a cohort can use)"
    out = [table(coh, spec, caption=cap, missing=_POOLED)]
    curves = _rows(tb("access_s_curves"), asset_set=aset, mode=mode)
    if curves is not None and not curves.empty:
        out.append(_s_curve_chart(curves, label=label, mode=str(mode)))
    nb = _rows(tb("access_neighbourhoods"), asset_set=aset, mode=mode)
    if nb is not None and not nb.empty:
        nb = nb[nb["cohort"].astype(str).isin({cohort, "everyone"})]
        nb = nb.assign(nname=nb[c.NEIGHBOURHOOD_ID].astype(str).map(names))
    spec = "cohort=cohort:l; nname=neighbourhood:t; weight=people:0; mean=mean min:1; " \
        "median=median min:1; p90=90th percentile min:1; worst_value=worst zone min:1; " \
        "worst_zone_id=worst zone:t; rank=rank (1 = worst):0"  # fmt: skip
    cap = f"Time to the nearest {label} by {mode}, per neighbourhood"
    out.append(table(nb, spec, caption=cap))
    eq = _rows(tb("access_equity"), asset_set=aset, mode=mode, measure="nearest_min")
    spec = "cohort=cohort:l; q1_mean=most deprived fifth, min:1; q5_mean=least deprived " \
        "fifth, min:1; gap=gap, min:1; ratio=ratio:2; sii=slope index (SII):2; rii=relative " \
        "index (RII):2; concentration_index=concentration index:3; " \
        "worse_in_deprived=worse in deprived areas:y"  # fmt: skip
    note = "Fifths of the English Index of Multiple Deprivation, weighted by cohort size."
    cap = f"Equity of time to {label} by {mode} across deprivation (IMD)"
    out.append(table(eq, spec, caption=cap, note=note, missing=_POOLED))
    spec = "cohort=cohort:l; zone_id=zone:t; need=need (people):0; " \
        "access=nearest site, min:1; imd_decile=IMD decile:0; why=why:t"  # fmt: skip
    cap = "Left behind: zones with high need and poor access"
    out.append(table(tb("left_behind"), spec, caption=cap, missing="no zone is left behind"))
    return "".join(out)


def _carbon_section(sel: ExportSelection, names: dict[str, str]) -> str:
    tb = _tables(sel)
    ca = tb("carbon_assets")
    if ca is None and "carbon_zones" not in sel.tables:
        return "<p>Carbon and cost were not computed for this study.</p>"
    out = []
    if ca is not None:
        n_est = int(ca["energy_estimated"].astype("boolean").fillna(False).sum())
        out.append(
            f'<p class="note">Buildings in view: {len(ca)}; energy estimated from floor-area '
            f"benchmarks for {n_est} (see each asset's energy basis), unknown for "
            f"{int(ca['tco2e'].isna().sum())} (left out of totals, not counted as 0).</p>"
        )
    nb = tb("carbon_neighbourhoods")
    if nb is not None:
        nb = nb.assign(nname=nb[c.NEIGHBOURHOOD_ID].astype(str).map(names))
        out.append(_carbon_chart(nb))
    spec = "nname=neighbourhood:t; buildings=buildings:0; buildings_tco2e=buildings " \
        "tCO2e/yr:0; buildings_estimated=of which estimated:0; buildings_unknown=unknown:0; " \
        "travel_tco2e=residents' trips tCO2e/yr (estimated):1; visits=visits a year " \
        "(estimated):0; total_tco2e=total tCO2e/yr:0"  # fmt: skip
    why = "sums buildings of every type, so not shown for this view"
    out.append(table(nb, spec, caption="Carbon per neighbourhood", missing=why))
    nz, note = _rows(tb("carbon_net_zero"), group="total"), ""
    if nz is not None and not nz.empty:
        out.append(_net_zero_chart(nz))
        years = sorted(set(nz["year"]))
        nz = nz[nz["year"].isin({years[0], years[-1], *[y for y in years if y % 5 == 0]})]
        note = "Baseline: " + "; ".join(map(str, nz["baseline_basis"].dropna().unique()[:1]))
    spec = "pathway=pathway:l; year=year:t; target_tco2e=NHS target tCO2e:0; " \
        "projected_tco2e=projected tCO2e:0; gap_tco2e=gap tCO2e:0; on_track=on track:y"  # fmt: skip
    why = "covers every building of the study, so not shown for this view"
    cap = "Net zero gap of the buildings (place total)"
    out.append(table(nz, spec, caption=cap, note=note, missing=why))
    fc = tb("cost_forecast")
    if fc is not None:
        out.append(_cost_chart(fc))
    spec = "pathway=pathway:l; pv_total_gbp=net present cost (Green Book):£; " \
        "carbon_t=tCO2e over the horizon:0; payback_year=retrofit pays back in:0"  # fmt: skip
    cap = "Whole-life cost of the estate (present value, real prices)"
    npv = _rows(tb("cost_npv"), asset_id="TOTAL")
    out.append(table(npv, spec, caption=cap, missing="a place total, not shown for this view"))
    return "".join(out)


def _options_section(study: Study, sel: ExportSelection, names: dict[str, str]) -> str:
    opts = _tables(sel)("options_comparison")
    if opts is None or study.options is None:
        return "<p>Co-location options were not computed for this study (or this view).</p>"
    hub_names = study.assets.set_index(study.assets[c.ASSET_ID].astype(str))[c.NAME].astype(str)
    top = opts[pd.to_numeric(opts["rank"], errors="coerce") <= 3]
    top = top.sort_values([c.NEIGHBOURHOOD_ID, "rank"]).reset_index(drop=True)
    hubs = [
        "current sites" if origin == "baseline" else
        "; ".join(hub_names.get(h, h) for h in str(ids).split(";") if h)
        for ids, origin in zip(top["hubs"].fillna(""), top["origin"].astype(str), strict=True)
    ]  # fmt: skip
    top = top.assign(nname=top[c.NEIGHBOURHOOD_ID].astype(str).map(names), hub_names=hubs)
    sens = _tables(sel)("options_sensitivity")
    if sens is not None:
        stab = sens.set_index(sens["top_option"].astype(str))["stability"].map(PCT)
        top["stability"] = top["option_id"].astype(str).map(stab).fillna("—")
    threshold = study.options.settings.get("threshold_min", "T")
    spec = "nname=neighbourhood:t; rank=rank:0; label=option:t; hub_names=hubs:t; " \
        "access_min=residents' mean min to nearest site:1; " \
        f"share_within=share within {threshold} min:%; carbon_t=change in tCO2e/yr " \
        "(estimated):1; npv_gbp=change in net present cost (estimated):£; " \
        "total=weighted score (0–1):3; stability=top option kept when weights move ±20 %:t"  # fmt: skip
    note = "Scores use the study's weights (see Assumptions); the app re-ranks with others."
    return table(top, spec, caption="Top co-location options per neighbourhood", note=note)


def _estate_section(sel: ExportSelection) -> str:
    a = sel.layers["assets"]
    if a.empty:
        return '<p class="empty">No asset is in this view.</p>'
    cols = [x for x in (c.GIA_M2, c.BACKLOG_GBP, "tco2e") if x in a.columns]
    frame = a[cols].apply(pd.to_numeric, errors="coerce")
    owner = a[c.OWNER_TYPE].astype(str).map(owner_type_label).rename("owner")
    g = frame.groupby(owner)
    summary = g.sum(min_count=1).join(g.size().rename("assets"))
    summary = summary.join(frame.isna().groupby(owner).sum().add_suffix("unknown"))
    spec = f"owner=owner type:t; assets=assets:0; {c.GIA_M2}=GIA m² (known):0; " \
        f"{c.GIA_M2}unknown=GIA unknown:0; {c.BACKLOG_GBP}=backlog £ (known):0; " \
        f"{c.BACKLOG_GBP}unknown=backlog unknown:0; tco2e=tCO2e a year (known):0; " \
        "tco2e_unknown=tCO2e unknown:0"  # fmt: skip
    return table(summary.reset_index(), spec, caption="The estate in view by owner type")


def _flatten(d: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for k, v in d.items():
        if isinstance(v, Mapping) and v:
            rows.extend(_flatten(v, f"{prefix}{k}."))
        elif isinstance(v, list | tuple):
            text = ", ".join(json.dumps(x) if isinstance(x, list | tuple) else str(x) for x in v)
            rows.append((f"{prefix}{k}", text or "(none)"))
        else:
            rows.append((f"{prefix}{k}", "unknown" if is_unknown(v) else str(v)))
    return rows


def _assumptions_section(study: Study) -> str:
    out = []
    for what, res in (("Access", study.access), ("Carbon and cost", study.carbon),
                      ("Co-location", study.options)):  # fmt: skip
        if res is not None:
            frame = pd.DataFrame(_flatten(res.settings), columns=["setting", "value"])
            spec = "setting=setting:t; value=value:t"
            out.append(table(frame, spec, caption=f"{what} settings", missing="none recorded"))
    cohorts = pd.DataFrame(list(study.cohorts.items()), columns=["cohort", "definition"])
    spec = "cohort=cohort:l; definition=sum of zone columns:t"
    out.append(table(cohorts, spec, caption="Cohorts", missing="none declared"))
    return "".join(out)


def _sources_section(sel: ExportSelection) -> str:
    blank = "generated by estatesplan (synthetic)" if sel.synthetic else "not recorded"
    src = pd.DataFrame(
        [(s.name, s.publisher, s.licence or blank, s.rows, Path(s.path).name, s.digest[:12])
         for s in sel.sources],
        columns=["name", "publisher", "licence", "rows", "file", "sha256"],
    )  # fmt: skip
    spec = "name=input:t; publisher=publisher:t; licence=licence:t; rows=rows:0; " \
        "file=file:t; sha256=SHA-256 (first 12):t"  # fmt: skip
    lines = data_attribution(sel.sources, synthetic=sel.synthetic)
    esc = html.escape
    attribution = "".join(f"<li>{esc(x)}</li>" for x in lines)
    left = "".join(f"<li>{esc(n)}: {esc(w)}</li>" for n, w in sel.left_out.items())
    return (
        table(src, spec, caption="Data sources and licences", missing="no source was recorded")
        + (f"<p><b>Attribution</b></p><ul>{attribution}</ul>" if attribution else "")
        + (f"<p><b>Tables not in this view</b></p><ul>{left}</ul>" if left else "")
        + "<details><summary>Map software: Leaflet 1.9.4 (BSD 2-Clause licence)</summary>"
        f"<pre>{esc(leaflet()[2])}</pre></details>"
    )


_CSS: Final = """body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1150px;padding:0 16px 40px;color:#222}
h1{font-size:24px}h2{border-bottom:2px solid #0072B2;padding-top:8px}
.banner{background:#b00020;color:#fff;padding:10px 14px;font-weight:bold;border-radius:4px}
table.data{border-collapse:collapse;margin:10px 0 4px;font-size:12.5px}
table.data th,table.data td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
table.data caption{text-align:left;font-weight:bold;padding:4px 0}
table.data tbody tr:nth-child(even){background:#f5f5f5}.note,.empty{font-size:12.5px;color:#555}
#estatesplan-map{height:540px;border:1px solid #999}figure.chart svg{max-width:100%;height:auto}
.legend{font-size:12.5px;margin:6px 0}.legend .sw{display:inline-block;width:11px;height:11px;border:1px solid #222;margin:0 3px 0 8px}
.legend .grad{display:inline-block;width:160px;height:11px;border:1px solid #555;vertical-align:middle}
pre{white-space:pre-wrap;font-size:11px}"""
_CSP: Final = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
"""Content-Security-Policy of the report: the browser may fetch nothing at all."""


def build_report(
    study: Study, *, view: ExportView | None = None, simplify_m: float = REPORT_SIMPLIFY_M
) -> str:
    """Return the study's report as one self-contained HTML document.

    Parameters
    ----------
    study
        The study (layers in the analysis CRS, EPSG:27700 by default).
    view
        What part of the study to report (see :class:`~estatesplan.export_bundle.ExportView`);
        None reports the whole study. The map shades zones by the view's cohort, else by
        over-65s (else the first cohort), as a % of residents.
    simplify_m
        Tolerance, in metres, for simplifying polygons on the map.

    Returns
    -------
    str
        HTML with a synthetic-data banner when ``study.synthetic``; summary, map, estate,
        access, carbon and cost, co-location, assumptions, and data sources and licences
        sections. It loads nothing from the network.

    Raises
    ------
    ConfigError
        If the view names values the study does not have.
    DataSourceError
        If the vendored Leaflet files are missing from the installation.
    """
    from . import __version__

    t0 = time.perf_counter()
    sel = select_view(study, view)
    cols = list(study.cohort_weights.columns)
    cohort = sel.view.cohort or ("over_65" if "over_65" in cols else (cols[0] if cols else None))
    nb = study.neighbourhoods
    names = dict(zip(nb[c.NEIGHBOURHOOD_ID].astype(str), nb[c.NAME].astype(str), strict=True))
    esc = html.escape
    title = f"{study.name}: estates, access and co-location report"
    banner = f'<p class="banner">{esc(SYNTHETIC_NOTICE)}</p>' if study.synthetic else ""
    pop = pd.to_numeric(sel.layers["zones"][c.POPULATION], errors="coerce").sum()
    heads = [r.headline() for r in (study.access, study.carbon) if r is not None]
    status = study.access.settings.get("transit") if study.access is not None else None
    if isinstance(status, dict):  # how public transport was measured, or why it was not
        heads.append(transit_sentence(status).rstrip("."))
    summary = (
        f"<p>Scope: <b>{esc(sel.view.describe())}</b>. Assets: {len(sel.layers['assets'])}; "
        f"zones: {len(sel.layers['zones'])} ({num()(pop)} residents); neighbourhoods: "
        f"{len(sel.layers['neighbourhoods'])}.</p>"
        + "".join(f"<p>Whole study: {esc(h)}.</p>" for h in heads if h)
        + '<p class="note">Travel times are modelled on the street network; carbon and costs '
        "are estimates where the tables say so; unknown values read “unknown”, never 0.</p>"
    )
    sections = [
        ("summary", "Summary", summary),
        ("map", "Map", map_section(study, sel, cohort, simplify_m)),
        ("estate", "Estate", _estate_section(sel)),
        ("access", "Access", _access_section(study, sel, cohort or "everyone", names)),
        ("carbon", "Carbon and cost", _carbon_section(sel, names)),
        ("options", "Co-location options", _options_section(study, sel, names)),
        ("assumptions", "Assumptions", _assumptions_section(study)),
        ("sources", "Data sources and licences", _sources_section(sel)),
    ]
    toc = "".join(f'<li><a href="#{k}">{esc(h)}</a></li>' for k, h, _ in sections)
    body = "".join(f'<section id="{k}"><h2>{esc(h)}</h2>{b}</section>' for k, h, b in sections)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    doc = (
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{leaflet()[1]}</style><style>{_CSS}</style></head>"
        f'<body>{banner}<h1>{esc(title)}</h1><p class="note">Made by estatesplan '
        f"{esc(__version__)} on {stamp}; config digest {esc(study.config_digest[:12] or '—')}."
        f"</p><nav><ol>{toc}</ol></nav>{body}{banner}</body></html>"
    )
    logger.info("report of %r (%s): %.0f kB in %.2f s", study.name, sel.view.describe(),
                len(doc.encode()) / 1e3, time.perf_counter() - t0)  # fmt: skip
    return doc


def write_report(
    study: Study,
    path: str | os.PathLike[str],
    *,
    view: ExportView | None = None,
    simplify_m: float = REPORT_SIMPLIFY_M,
) -> Path:
    """Write :func:`build_report`'s HTML to ``path`` atomically (UTF-8).

    Parameters
    ----------
    study
        The study.
    path
        Output ``.html`` file; its folder must exist.
    view, simplify_m
        As :func:`build_report`.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    DataSourceError
        If the folder of ``path`` does not exist or ``path`` is a folder.
    ConfigError
        If the view names values the study does not have.
    """
    target = Path(path)
    if not target.parent.is_dir():
        msg = (
            f"cannot write the report to {target}: its folder {target.parent} does not exist. "
            "Create it first or choose another path."
        )
        raise DataSourceError(msg)
    if target.is_dir():
        msg = f"cannot write the report to {target}: it is a folder; give a file name (.html)."
        raise DataSourceError(msg)
    return write_text_atomic(target, build_report(study, view=view, simplify_m=simplify_m))

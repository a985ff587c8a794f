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

import functools
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

import branca.colormap as bcm
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import contracts as c
from ._io import write_text_atomic
from ._mapstyle import (
    NAN_COLOUR,
    OWNER_COLOURS,
    UNKNOWN_OWNER_COLOUR,
    VIRIDIS,
    asset_type_label,
    data_attribution,
    is_unknown,
    owner_type_label,
)
from .errors import DataSourceError
from .export import SYNTHETIC_NOTICE
from .export_bundle import ExportSelection, ExportView, select_view
from .map_assets import LEAFLET_DIR, leaflet_sources
from .maps import cohort_measure
from .study import Study
from .study_transit import transit_sentence

__all__ = ["REPORT_SIMPLIFY_M", "build_report", "write_report"]

logger = logging.getLogger(__name__)

REPORT_SIMPLIFY_M: Final = 10.0
"""Tolerance, in metres, used to simplify polygons drawn on the report's map."""

_Fmt = Callable[[Any], str]


@functools.cache
def _leaflet() -> tuple[str, str, str]:
    """Return Leaflet's JavaScript, its CSS (offline-safe) and its licence text (read once).

    The CSS loses its comments and its ``url(images/…)`` references (marker and
    layer-switcher images the report never uses), so it asks for no file.
    """
    try:
        js, css = leaflet_sources()
        licence = (LEAFLET_DIR / "LICENSE").read_text(encoding="utf-8")
    except OSError as err:
        msg = (
            f"the HTML report needs the vendored Leaflet files in {LEAFLET_DIR}, which are "
            "missing from this installation; reinstall estatesplan (they ship as package data)."
        )
        raise DataSourceError(msg) from err
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"url\((?!#)[^)]*\)", "none", css)
    return js, css, licence


# --- formatting -------------------------------------------------------------------------


def _unknown(fmt: _Fmt) -> _Fmt:
    def wrapped(v: Any) -> str:
        if is_unknown(v):
            return "unknown"
        try:
            return fmt(v)
        except (TypeError, ValueError):
            return str(v)

    return wrapped


def _num(d: int = 0) -> _Fmt:
    return _unknown(lambda v: f"{float(v):,.{d}f}")


def _label(name: object) -> str:
    return str(name).replace("_", " ")


_FORMATS: Final[dict[str, _Fmt]] = {
    "t": _unknown(str),
    "l": _unknown(_label),
    "%": _unknown(lambda v: f"{100 * float(v):.1f}%"),
    "£": _unknown(lambda v: f"£{float(v) / 1e6:,.2f}m"),
    "y": _unknown(lambda v: "yes" if bool(v) and str(v).lower() != "false" else "no"),
    **{str(d): _num(d) for d in range(4)},
}
_PCT: Final = _FORMATS["%"]


def _cols(spec: str) -> list[tuple[str, str, _Fmt]]:
    """Parse "column=header:format; …" (formats: t text, l label, % share, £ £m, y yes/no,
    0–3 decimals)."""
    out = []
    for item in filter(None, (x.strip() for x in spec.split(";"))):
        col, rest = item.split("=", 1)
        header, fmt = rest.rsplit(":", 1)
        out.append((col.strip(), header.strip(), _FORMATS[fmt.strip()]))
    return out


def _table(
    df: pd.DataFrame | None,
    spec: str | list[tuple[str, str, _Fmt]],
    *,
    caption: str,
    note: str = "",
    missing: str = "not computed for this study",
) -> str:
    """An HTML table of the columns present (formatted, escaped), or a line saying why not."""
    esc = html.escape
    if df is None or df.empty:
        return f'<p class="empty"><b>{esc(caption)}</b>: {esc(missing)}.</p>'
    cols = [col for col in (_cols(spec) if isinstance(spec, str) else spec) if col[0] in df]
    head = "".join(f"<th>{esc(h)}</th>" for _, h, _ in cols)
    rows = df[[col for col, _, _ in cols]].itertuples(index=False, name=None)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(f(v))}</td>" for (_, _, f), v in zip(cols, row, strict=True))
        for row in rows
    )
    foot = f'<p class="note">{esc(note)}</p>' if note else ""
    return (
        f'<table class="data"><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>{foot}"
    )


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
            ax.plot(g[x], g[y].to_numpy(dtype=float) * scale, lw=1.7, label=prefix + _label(key))

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


# --- map --------------------------------------------------------------------------------


def _features(gdf: gpd.GeoDataFrame, props: pd.DataFrame, simplify_m: float | None) -> Any:
    """A FeatureCollection dict (EPSG:4326, 5 decimals ≈ 1 m) of ``gdf`` with ``props``."""
    geom = gdf.geometry
    if simplify_m:
        geom = geom.simplify(simplify_m, preserve_topology=True)
    arr = shapely.transform(geom.to_crs(c.EXPORT_CRS).to_numpy(), lambda xy: np.round(xy, 5))
    feats = [
        {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
        for g, p in zip(arr, props.to_dict(orient="records"), strict=True)
        if g is not None and not g.is_empty
    ]
    return {"type": "FeatureCollection", "features": feats}


_POPUP: Final = (
    f"{c.OWNER}=Owner:t; {c.OWNER_TYPE}=Owner type:t; {c.ASSET_TYPE}=Asset type:t; "
    f"{c.GIA_M2}=GIA m²:0; tco2e=tCO2e a year:1; energy_basis=Energy:t; {c.ASSET_ID}=Asset id:t"
)


def _popup(record: Mapping[str, Any]) -> str:
    cols = _cols(_POPUP)
    label = {c.OWNER_TYPE: owner_type_label, c.ASSET_TYPE: asset_type_label}
    lines = [
        f"{h}: {label[col](str(v)) if col in label and not is_unknown(v) else f(v)}"
        for col, h, f in cols
        if col in record
        for v in [record[col]]
    ]
    name = _FORMATS["t"](record.get(c.NAME))
    return f"<b>{html.escape(name)}</b><br>" + "<br>".join(map(html.escape, lines))


def _map_data(study: Study, sel: ExportSelection, cohort: str, simplify_m: float) -> dict[str, Any]:
    zones, assets, nbhd = sel.layers["zones"], sel.layers["assets"], sel.layers["neighbourhoods"]
    share = cohort_measure(study, cohort, "share")
    share.index = pd.Index(study.zones[c.ZONE_ID].astype(str))
    zone_ids = zones[c.ZONE_ID].astype(str)
    values = share.reindex(zone_ids).to_numpy(dtype=float)
    known = values[np.isfinite(values)]
    lo, hi = (float(known.min()), float(known.max())) if len(known) else (0.0, 1.0)
    cmap = bcm.LinearColormap(list(VIRIDIS), vmin=lo, vmax=max(hi, lo + 1e-9))
    zname = zones[c.ZONE_NAME].astype("string").fillna("") if c.ZONE_NAME in zones else zone_ids
    tips = [f"{n or z} ({z}): {_PCT(v)}" for z, n, v in zip(zone_ids, zname, values, strict=True)]
    zprops = pd.DataFrame(
        {
            "fill": [cmap.rgb_hex_str(v) if np.isfinite(v) else NAN_COLOUR for v in values],
            "tip": [html.escape(t) for t in tips],
        }
    )
    owners = assets[c.OWNER_TYPE].astype(str)
    colours = [OWNER_COLOURS.get(o, UNKNOWN_OWNER_COLOUR) for o in owners]
    records = assets.drop(columns=assets.geometry.name).to_dict(orient="records")
    inside = assets[c.IN_AREA].astype("boolean").fillna(True) if c.IN_AREA in assets else True
    aprops = pd.DataFrame(
        {"colour": colours, "popup": [_popup(r) for r in records], "inside": inside}
    ).astype({"inside": bool})
    names = nbhd[c.NAME] if c.NAME in nbhd else nbhd[c.NEIGHBOURHOOD_ID]
    nprops = pd.DataFrame({"tip": [html.escape(str(n)) for n in names]})
    esc = html.escape
    return {
        "zones": _features(zones, zprops, simplify_m),
        "assets": _features(assets, aprops, None),
        "neighbourhoods": _features(nbhd, nprops, simplify_m),
        "names": {
            "zones": esc(f"Zones: {_label(cohort)}, % of residents"),
            "assets": esc(f"Assets ({len(assets)})"),
            "neighbourhoods": "Neighbourhoods",
        },
        "attribution": [esc(x) for x in data_attribution(sel.sources, synthetic=sel.synthetic)],
        "owners": {esc(owner_type_label(o)): col for o, col in zip(owners, colours, strict=True)},
        "scale": {"low": _PCT(lo), "high": _PCT(hi), "colours": list(VIRIDIS)},
    }


_MAP_JS: Final = """(function () {
 var d = JSON.parse(document.getElementById('estatesplan-map-data').textContent);
 var map = L.map('estatesplan-map', {attributionControl: false, preferCanvas: true, zoomSnap: 0.25});
 var attr = L.control.attribution({prefix: false}).addTo(map);
 d.attribution.forEach(function (a) { attr.addAttribution(a); });
 function tip(f, l) { l.bindTooltip(f.properties.tip); }
 var zones = L.geoJSON(d.zones, {style: function (f) { return {fillColor: f.properties.fill,
   fillOpacity: 0.65, color: '#555555', weight: 0.6}; }, onEachFeature: tip}).addTo(map);
 var nb = L.geoJSON(d.neighbourhoods, {style: {fill: false, color: '#222222', weight: 2.5,
   dashArray: '6 4'}, onEachFeature: tip}).addTo(map);
 var assets = L.geoJSON(d.assets, {pointToLayer: function (f, ll) { return L.circleMarker(ll,
   {radius: f.properties.inside ? 6 : 4, fillColor: f.properties.colour,
    fillOpacity: f.properties.inside ? 0.95 : 0.45, color: '#222222', weight: 1}); },
   onEachFeature: function (f, l) { l.bindPopup(f.properties.popup); }}).addTo(map);
 var o = {}; o[d.names.zones] = zones; o[d.names.neighbourhoods] = nb; o[d.names.assets] = assets;
 L.control.layers(null, o, {collapsed: false}).addTo(map);
 L.control.scale().addTo(map);
 var b = L.latLngBounds([]);
 [zones, nb, assets].forEach(function (l) { if (l.getLayers().length) { b.extend(l.getBounds()); } });
 if (b.isValid()) { map.fitBounds(b); } else { map.setView([52.5, -1.5], 6); }
})();"""


def _map_section(study: Study, sel: ExportSelection, cohort: str | None, simplify_m: float) -> str:
    if cohort is None:
        return "<p>No cohort is declared, so there is no map.</p>"
    d = _map_data(study, sel, cohort, simplify_m)
    text = json.dumps(d, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    owners = "".join(f'<span class="sw" style="background:{v}"></span>{k} ' for k, v in
                     d["owners"].items())  # fmt: skip
    sc = d["scale"]
    grad = f'<span class="grad" style="background:linear-gradient(to right, {", ".join(sc["colours"])})">'
    js, _, _ = _leaflet()
    return (
        '<div id="estatesplan-map"></div><noscript>The map needs JavaScript.</noscript>'
        f'<div class="legend"><b>Assets by owner type:</b> {owners}<br><b>'
        f"{html.escape(_label(cohort))}, % of residents:</b> {html.escape(sc['low'])} {grad}"
        f'</span> {html.escape(sc["high"])} <span class="sw" style="background:{NAN_COLOUR}">'
        f"</span>unknown. Small pale markers: outside the study area. No basemap: every "
        "layer is drawn from the study's own data.</div>"
        f'<script type="application/json" id="estatesplan-map-data">{text}</script>'
        f"<script>{js}</script><script>{_MAP_JS}</script>"
    )


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
    out = [_table(coh, spec, caption=cap, missing=_POOLED)]
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
    out.append(_table(nb, spec, caption=cap))
    eq = _rows(tb("access_equity"), asset_set=aset, mode=mode, measure="nearest_min")
    spec = "cohort=cohort:l; q1_mean=most deprived fifth, min:1; q5_mean=least deprived " \
        "fifth, min:1; gap=gap, min:1; ratio=ratio:2; sii=slope index (SII):2; rii=relative " \
        "index (RII):2; concentration_index=concentration index:3; " \
        "worse_in_deprived=worse in deprived areas:y"  # fmt: skip
    note = "Fifths of the English Index of Multiple Deprivation, weighted by cohort size."
    cap = f"Equity of time to {label} by {mode} across deprivation (IMD)"
    out.append(_table(eq, spec, caption=cap, note=note, missing=_POOLED))
    spec = "cohort=cohort:l; zone_id=zone:t; need=need (people):0; " \
        "access=nearest site, min:1; imd_decile=IMD decile:0; why=why:t"  # fmt: skip
    cap = "Left behind: zones with high need and poor access"
    out.append(_table(tb("left_behind"), spec, caption=cap, missing="no zone is left behind"))
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
    out.append(_table(nb, spec, caption="Carbon per neighbourhood", missing=why))
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
    out.append(_table(nz, spec, caption=cap, note=note, missing=why))
    fc = tb("cost_forecast")
    if fc is not None:
        out.append(_cost_chart(fc))
    spec = "pathway=pathway:l; pv_total_gbp=net present cost (Green Book):£; " \
        "carbon_t=tCO2e over the horizon:0; payback_year=retrofit pays back in:0"  # fmt: skip
    cap = "Whole-life cost of the estate (present value, real prices)"
    npv = _rows(tb("cost_npv"), asset_id="TOTAL")
    out.append(_table(npv, spec, caption=cap, missing="a place total, not shown for this view"))
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
        stab = sens.set_index(sens["top_option"].astype(str))["stability"].map(_PCT)
        top["stability"] = top["option_id"].astype(str).map(stab).fillna("—")
    threshold = study.options.settings.get("threshold_min", "T")
    spec = "nname=neighbourhood:t; rank=rank:0; label=option:t; hub_names=hubs:t; " \
        "access_min=residents' mean min to nearest site:1; " \
        f"share_within=share within {threshold} min:%; carbon_t=change in tCO2e/yr " \
        "(estimated):1; npv_gbp=change in net present cost (estimated):£; " \
        "total=weighted score (0–1):3; stability=top option kept when weights move ±20 %:t"  # fmt: skip
    note = "Scores use the study's weights (see Assumptions); the app re-ranks with others."
    return _table(top, spec, caption="Top co-location options per neighbourhood", note=note)


def _estate_section(sel: ExportSelection) -> str:
    a = sel.layers["assets"]
    if a.empty:
        return '<p class="empty">No asset is in this view.</p>'
    cols = [x for x in (c.GIA_M2, c.BACKLOG_GBP, "tco2e") if x in a.columns]
    frame = a[cols].apply(pd.to_numeric, errors="coerce")
    owner = a[c.OWNER_TYPE].astype(str).map(owner_type_label).rename("owner")
    g = frame.groupby(owner)
    summary = g.sum(min_count=1).join(g.size().rename("assets"))
    summary = summary.join(frame.isna().groupby(owner).sum().add_suffix("_unknown"))
    spec = f"owner=owner type:t; assets=assets:0; {c.GIA_M2}=GIA m² (known):0; " \
        f"{c.GIA_M2}_unknown=GIA unknown:0; {c.BACKLOG_GBP}=backlog £ (known):0; " \
        f"{c.BACKLOG_GBP}_unknown=backlog unknown:0; tco2e=tCO2e a year (known):0; " \
        "tco2e_unknown=tCO2e unknown:0"  # fmt: skip
    return _table(summary.reset_index(), spec, caption="The estate in view by owner type")


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
            out.append(_table(frame, spec, caption=f"{what} settings", missing="none recorded"))
    cohorts = pd.DataFrame(list(study.cohorts.items()), columns=["cohort", "definition"])
    spec = "cohort=cohort:l; definition=sum of zone columns:t"
    out.append(_table(cohorts, spec, caption="Cohorts", missing="none declared"))
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
        _table(src, spec, caption="Data sources and licences", missing="no source was recorded")
        + (f"<p><b>Attribution</b></p><ul>{attribution}</ul>" if attribution else "")
        + (f"<p><b>Tables not in this view</b></p><ul>{left}</ul>" if left else "")
        + "<details><summary>Map software: Leaflet 1.9.4 (BSD 2-Clause licence)</summary>"
        f"<pre>{esc(_leaflet()[2])}</pre></details>"
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
        f"zones: {len(sel.layers['zones'])} ({_num()(pop)} residents); neighbourhoods: "
        f"{len(sel.layers['neighbourhoods'])}.</p>"
        + "".join(f"<p>Whole study: {esc(h)}.</p>" for h in heads if h)
        + '<p class="note">Travel times are modelled on the street network; carbon and costs '
        "are estimates where the tables say so; unknown values read “unknown”, never 0.</p>"
    )
    sections = [
        ("summary", "Summary", summary),
        ("map", "Map", _map_section(study, sel, cohort, simplify_m)),
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
        f"<title>{esc(title)}</title><style>{_leaflet()[1]}</style><style>{_CSS}</style></head>"
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

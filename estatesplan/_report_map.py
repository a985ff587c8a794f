"""The map of the HTML report (internal; see :mod:`estatesplan.report`): inline Leaflet and
GeoJSON (EPSG:4326, simplified), no tile layer, nothing fetched."""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Mapping
from typing import Any, Final

import branca.colormap as bcm
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import contracts as c
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
from ._report_format import FORMATS, PCT, cols, label
from .errors import DataSourceError
from .export_bundle import ExportSelection
from .map_assets import LEAFLET_DIR, leaflet_sources
from .maps import cohort_measure
from .study import Study

__all__ = ["leaflet", "map_section"]


@functools.cache
def leaflet() -> tuple[str, str, str]:
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
    spec = cols(_POPUP)
    labels = {c.OWNER_TYPE: owner_type_label, c.ASSET_TYPE: asset_type_label}
    lines = [
        f"{h}: {labels[col](str(v)) if col in labels and not is_unknown(v) else f(v)}"
        for col, h, f in spec
        if col in record
        for v in [record[col]]
    ]
    name = FORMATS["t"](record.get(c.NAME))
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
    tips = [f"{n or z} ({z}): {PCT(v)}" for z, n, v in zip(zone_ids, zname, values, strict=True)]
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
            "zones": esc(f"Zones: {label(cohort)}, % of residents"),
            "assets": esc(f"Assets ({len(assets)})"),
            "neighbourhoods": "Neighbourhoods",
        },
        "attribution": [esc(x) for x in data_attribution(sel.sources, synthetic=sel.synthetic)],
        "owners": {esc(owner_type_label(o)): col for o, col in zip(owners, colours, strict=True)},
        "scale": {"low": PCT(lo), "high": PCT(hi), "colours": list(VIRIDIS)},
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


def map_section(study: Study, sel: ExportSelection, cohort: str | None, simplify_m: float) -> str:
    if cohort is None:
        return "<p>No cohort is declared, so there is no map.</p>"
    d = _map_data(study, sel, cohort, simplify_m)
    text = json.dumps(d, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    owners = "".join(f'<span class="sw" style="background:{v}"></span>{k} ' for k, v in
                     d["owners"].items())  # fmt: skip
    sc = d["scale"]
    grad = f'<span class="grad" style="background:linear-gradient(to right, {", ".join(sc["colours"])})">'
    js, _, _ = leaflet()
    return (
        '<div id="estatesplan-map"></div><noscript>The map needs JavaScript.</noscript>'
        f'<div class="legend"><b>Assets by owner type:</b> {owners}<br><b>'
        f"{html.escape(label(cohort))}, % of residents:</b> {html.escape(sc['low'])} {grad}"
        f'</span> {html.escape(sc["high"])} <span class="sw" style="background:{NAN_COLOUR}">'
        f"</span>unknown. Small pale markers: outside the study area. No basemap: every "
        "layer is drawn from the study's own data.</div>"
        f'<script type="application/json" id="estatesplan-map-data">{text}</script>'
        f"<script>{js}</script><script>{_MAP_JS}</script>"
    )

"""Folium maps of access: a metric per zone, the zones left behind, isochrones around a site.

Built on :mod:`estatesplan.maps` (same colours, markers, legends, simplification and
EPSG:4326 display) for the access results of a study
(:class:`~estatesplan.study_access.AccessResults`, sliced by
:mod:`estatesplan.access_views`) and the polygons of :func:`estatesplan.isochrones.isochrones`.
Nothing here imports Streamlit: the app, notebooks and reports call :func:`access_map`.

Layers are in the analysis CRS (EPSG:27700, metres) on input and drawn in EPSG:4326;
isochrone exports follow RFC 7946 (:func:`estatesplan.export.geojson_dict`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from . import access_views as av
from . import contracts as c
from . import export, maps
from ._mapstyle import Attribution, LayerLegend, SyntheticBanner, data_attribution, esc
from .errors import ConfigError, CrsError
from .isochrones import isochrones
from .study_access import BEST, select_assets

if TYPE_CHECKING:
    import numpy.typing as npt

    from .config import StudyConfig
    from .graph import StreetNetwork
    from .study import Study
    from .study_access import AccessResults

__all__ = [
    "ISOCHRONE_BANDS",
    "ISOCHRONE_COLOURS",
    "LEFT_BEHIND_COLOUR",
    "access_map",
    "asset_at",
    "asset_set_mask",
    "isochrone_geojson",
    "isochrone_layer",
    "left_behind_layer",
    "site_isochrones",
    "site_options",
]

logger = logging.getLogger(__name__)

ISOCHRONE_BANDS: Final[tuple[float, ...]] = (5.0, 10.0, 15.0, 20.0, 30.0)
"""Isochrone times offered by default, in minutes."""

ISOCHRONE_COLOURS: Final[tuple[str, ...]] = (
    "#7f0000", "#b30000", "#d7301f", "#ef6548", "#fc8d59", "#fdbb84", "#fdd49e",
)  # fmt: skip
"""Isochrone outlines and fills, shortest time first (ColorBrewer OrRd, reversed)."""

LEFT_BEHIND_COLOUR: Final = "#e7298a"
"""Outline of the zones left behind (magenta: stands out on viridis)."""

_SITE_ID: Final = "asset_id"


def _colour(i: int, n: int) -> str:
    """Colour of band ``i`` of ``n``, spread over the palette (shortest darkest)."""
    if n <= 1:
        return ISOCHRONE_COLOURS[0]
    k = round(i * (len(ISOCHRONE_COLOURS) - 1) / (n - 1))
    return ISOCHRONE_COLOURS[k]


def left_behind_layer(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    name: str = "Left behind",
    simplify_m: float | None = maps.DISPLAY_SIMPLIFY_M,
) -> folium.FeatureGroup:
    """Outline the zones left behind, with why as tooltip.

    Parameters
    ----------
    zones
        Zone polygons (any CRS with a definition) with ``zone_id``.
    table
        Rows of zones left behind (``zone_id``, ``why``), e.g. from
        :func:`estatesplan.access_views.left_behind_rows`; zones not in ``zones`` are
        skipped.
    name
        Layer name shown in the layer control.
    simplify_m
        Simplification tolerance in metres before reprojection; None keeps the
        geometry as is.

    Returns
    -------
    folium.FeatureGroup
        A thick magenta outline (no fill) per zone left behind (EPSG:4326), with the
        zone id and the reason as tooltip, and a legend line; empty when no zone is.

    Raises
    ------
    CrsError
        If ``zones`` has no CRS.
    """
    group = folium.FeatureGroup(name=name, overlay=True, control=True)
    if table.empty or not len(zones):
        return group
    dedup = table.drop_duplicates(c.ZONE_ID)
    reasons: dict[str, str] = {}
    if "why" in dedup:
        for zid, text in zip(dedup[c.ZONE_ID].astype(str), dedup["why"], strict=True):
            reasons[zid] = "" if text is None or pd.isna(text) else str(text)
    ids = zones[c.ZONE_ID].astype(str)
    hit = ids.isin(set(table[c.ZONE_ID].astype(str))).to_numpy()
    if not hit.any():
        return group
    frame = gpd.GeoDataFrame(
        {
            c.ZONE_ID: [esc(i) for i in ids[hit]],
            "why": [esc(reasons.get(i, "")) for i in ids[hit]],
        },
        geometry=zones.geometry[hit].to_numpy(),
        crs=zones.crs,
    )
    shown = maps.display_frame(frame, [c.ZONE_ID, "why"], simplify_m=simplify_m)
    folium.GeoJson(
        json.loads(shown.to_json(drop_id=True)),
        name=name,
        style_function=lambda _f: {"fill": False, "color": LEFT_BEHIND_COLOUR, "weight": 3.5},
        tooltip=folium.GeoJsonTooltip(fields=[c.ZONE_ID, "why"], aliases=["Left behind", "Why"]),
    ).add_to(group)
    group.add_child(
        LayerLegend(
            f'<span style="display:inline-block;width:14px;height:10px;margin-right:5px;'
            f'border:3px solid {LEFT_BEHIND_COLOUR}"></span>{esc(name)}',
            position="bottomleft",
        )
    )
    return group


def isochrone_layer(
    iso: gpd.GeoDataFrame, *, name: str = "Isochrones", site_name: str = ""
) -> folium.FeatureGroup:
    """Draw isochrone polygons, the longest time underneath, with a legend.

    Parameters
    ----------
    iso
        Output of :func:`estatesplan.isochrones.isochrones` (``minutes``, ``mode``,
        ``area_km2``, polygons in a projected CRS); empty polygons are skipped.
    name
        Layer name shown in the layer control.
    site_name
        Named in the tooltips.

    Returns
    -------
    folium.FeatureGroup
        One translucent polygon per time (EPSG:4326, simplified by 5 m) with
        "N min by <mode>: X km²" as tooltip, and a legend of the times.

    Raises
    ------
    CrsError
        If ``iso`` has no CRS.
    """
    group = folium.FeatureGroup(name=name, overlay=True, control=True)
    keep = ~(iso.geometry.isna() | iso.geometry.is_empty).to_numpy()
    shown_rows = iso[keep].sort_values("minutes", ascending=False, kind="stable")
    if shown_rows.empty:
        return group
    times = sorted(float(m) for m in shown_rows["minutes"].unique())
    colours = {m: _colour(i, len(times)) for i, m in enumerate(times)}
    where = f" from {site_name}" if site_name else ""
    frame = gpd.GeoDataFrame(
        {
            "minutes": shown_rows["minutes"].astype(float).to_numpy(),
            "label": [
                esc(f"{m:g} min by {av.mode_label(str(mode)).lower()}{where}: {a:,.2f} km²")
                for m, mode, a in zip(
                    shown_rows["minutes"], shown_rows["mode"], shown_rows["area_km2"], strict=True
                )
            ],
        },
        geometry=shown_rows.geometry.to_numpy(),
        crs=iso.crs,
    )
    frame["colour"] = [colours[float(m)] for m in frame["minutes"]]
    shown = maps.display_frame(
        frame, ["minutes", "label", "colour"], simplify_m=maps.DISPLAY_SIMPLIFY_M
    )
    folium.GeoJson(
        json.loads(shown.to_json(drop_id=True)),
        name=name,
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": f["properties"]["colour"],
            "fillOpacity": 0.18,
            "weight": 2.0,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(group)
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:5px;'
        f'vertical-align:middle;background:{colours[m]}"></span>{m:g} min</div>'
        for m in times
    )
    group.add_child(LayerLegend(f"<b>{esc(name)}</b>{rows}", position="topright"))
    return group


def _site_marker(assets: gpd.GeoDataFrame, asset_id: str) -> folium.Marker | None:
    row = assets[assets[c.ASSET_ID].astype(str) == asset_id]
    if row.empty or row.crs is None:
        return None
    point = row.geometry.to_crs(c.EXPORT_CRS).iloc[0]
    if point is None or point.is_empty:
        return None
    name = row[c.NAME].iloc[0] if c.NAME in row else asset_id
    return folium.CircleMarker(
        location=[float(point.y), float(point.x)],
        radius=9,
        color="#000000",
        weight=3,
        fill=True,
        fill_color="#ffffff",
        fill_opacity=0.9,
        tooltip=esc(f"Isochrone site: {name} ({asset_id})"),
    )


def access_map(
    study: Study,
    results: AccessResults,
    *,
    cohort: str,
    mode: str,
    asset_set: str,
    metric: str,
    assets: gpd.GeoDataFrame | None = None,
    isochrones_frame: gpd.GeoDataFrame | None = None,
    site_id: str | None = None,
    tiles: str | None = "OpenStreetMap",
) -> folium.Map:
    """Build the access map: a metric per zone, neighbourhoods, sites, left behind, isochrones.

    Parameters
    ----------
    study
        The study (layers in the analysis CRS).
    results
        Its access results.
    cohort, mode, asset_set, metric
        What to shade, as :func:`estatesplan.access_views.zone_values`.
    assets
        Sites to draw as markers (e.g. the asset set's); None draws every asset.
    isochrones_frame
        Isochrones to draw (see :func:`site_isochrones`), or None.
    site_id
        Asset id of the isochrones' site, drawn as a ringed dot; None for none.
    tiles
        Basemap tiles; None draws no basemap (offline use, tests).

    Returns
    -------
    folium.Map
        Zones shaded on viridis with a legend (grey: none within the cut-off, or
        unknown), a tooltip and a popup per zone with its id, name and value; the
        neighbourhood outlines; the cohort's zones left behind outlined in magenta;
        asset markers; isochrones; a layer control, the synthetic banner and data
        attribution; fitted to the zones.

    Raises
    ------
    ConfigError
        If a choice is not available (see :func:`~estatesplan.access_views.zone_values`).
    """
    start = time.perf_counter()
    values = av.zone_values(
        study, results, metric=metric, cohort=cohort, mode=mode, asset_set=asset_set
    )
    sets = av.asset_sets(results)
    legend = (
        f"{av.metric_label(metric, cohort=cohort, results=results)}: "
        f"{sets.get(asset_set, asset_set)}, {av.mode_label(mode).lower()}"
    )
    cutoff = av.cutoff_min(results, None if mode == BEST else mode)
    m = folium.Map(tiles=tiles, control_scale=True, zoom_start=13)
    layer = maps.zone_choropleth(
        study.zones,
        values,
        name=f"Zones: {av.metric_label(metric, cohort=cohort, results=results)}",
        legend=legend,
        formatter=av.metric_formatter(metric, cutoff=cutoff),
    )
    for child in layer._children.values():
        if isinstance(child, folium.GeoJson):
            child.add_child(
                folium.GeoJsonPopup(
                    fields=["label", c.ZONE_ID, "value"], aliases=["Zone", "Zone id", esc(legend)]
                )
            )
    layer.add_to(m)
    if len(study.neighbourhoods):
        maps.neighbourhood_outlines(study.neighbourhoods).add_to(m)
    behind = av.left_behind_rows(results, study.zones, cohort=cohort)
    if not behind.empty:
        left_behind_layer(study.zones, behind, name=f"Left behind ({len(behind)})").add_to(m)
    shown_assets = study.assets if assets is None else assets
    maps.asset_layer(shown_assets, name=f"Sites ({len(shown_assets)})").add_to(m)
    if isochrones_frame is not None and len(isochrones_frame):
        site_name = str(isochrones_frame[c.NAME].iloc[0]) if c.NAME in isochrones_frame else ""
        isochrone_layer(isochrones_frame, name="Isochrones", site_name=site_name).add_to(m)
    if site_id is not None and (marker := _site_marker(study.assets, site_id)) is not None:
        marker.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if study.synthetic:
        m.add_child(
            SyntheticBanner(
                f"SYNTHETIC DATA — {esc(study.name)} is invented: not real places, buildings or people"
            )
        )
    if lines := data_attribution(study.sources, synthetic=study.synthetic):
        m.add_child(Attribution([esc(line) for line in lines]))
    if (bounds := maps.bounds_4326([study.zones, study.neighbourhoods])) is not None:
        m.fit_bounds(bounds)
    logger.info(
        "access map %r: %s of %s by %s for %s, %d zones (%d unknown), %d left behind in %.2f s",
        study.name, metric, asset_set, mode, cohort, len(values), int(values.isna().sum()),
        len(behind), time.perf_counter() - start,
    )  # fmt: skip
    return m


def site_isochrones(
    net: StreetNetwork,
    assets: gpd.GeoDataFrame,
    asset_id: str,
    *,
    minutes: Sequence[float] = ISOCHRONE_BANDS,
) -> gpd.GeoDataFrame:
    """Return the isochrones around one asset, named.

    Parameters
    ----------
    net
        Street network of one mode (projected CRS, metres).
    assets
        Asset layer (``asset_id``, ``name``, points with a CRS).
    asset_id
        The site.
    minutes
        Times in minutes (positive).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`estatesplan.isochrones.isochrones` (``site_id``, ``minutes``,
        ``mode``, ``area_km2`` in km², polygons in ``net.crs``), with ``name`` (the
        asset's) after ``site_id``; one row per time, ascending.

    Raises
    ------
    ConfigError
        If ``asset_id`` is not an asset, or a time is not positive.
    """
    ids = assets[c.ASSET_ID].astype(str)
    pick = assets[(ids == str(asset_id)).to_numpy()]
    if pick.empty:
        msg = (
            f"isochrones: asset {asset_id!r} is not in this study's assets; pick one of "
            f"its {len(assets)} assets (e.g. {', '.join(ids.head(3))})."
        )
        raise ConfigError(msg)
    sites = gpd.GeoDataFrame(
        {_SITE_ID: [str(asset_id)]}, geometry=pick.geometry.to_numpy(), crs=pick.crs
    )
    iso = isochrones(net, sites, site_id=_SITE_ID, minutes=minutes)
    name = pick[c.NAME].iloc[0] if c.NAME in pick else None
    iso.insert(1, c.NAME, "" if name is None or pd.isna(name) else str(name))
    return iso


def isochrone_geojson(
    iso: gpd.GeoDataFrame,
    *,
    synthetic: bool,
    study_name: str,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return isochrones as an RFC 7946 FeatureCollection (EPSG:4326, lon/lat).

    Parameters
    ----------
    iso
        Output of :func:`site_isochrones` (any projected CRS).
    synthetic
        Mark the features and the collection as synthetic.
    study_name
        Recorded under the collection's ``estatesplan`` member.
    metadata
        Further members under ``estatesplan``.

    Returns
    -------
    dict
        FeatureCollection named ``isochrones``; one feature per row (``site_id``,
        ``name``, ``minutes``, ``mode``, ``area_km2``), coordinates rounded to 7
        decimals; empty polygons have null geometry.

    Raises
    ------
    DataSourceError
        If ``iso`` has no CRS.
    """
    clean = iso.copy()
    empty = (clean.geometry.isna() | clean.geometry.is_empty).to_numpy()
    if empty.any():
        geoms = clean.geometry.to_numpy().copy()
        geoms[empty] = None
        clean = clean.set_geometry(gpd.GeoSeries(geoms, index=clean.index, crs=clean.crs))
    meta = {
        "study": study_name,
        "method": "street-network isochrones (estatesplan.isochrones): reachable streets "
        "buffered by the distance walked in a minute",
        **(metadata or {}),
    }
    return export.geojson_dict(clean, name="isochrones", synthetic=synthetic, metadata=meta)


def asset_at(
    assets: gpd.GeoDataFrame, *, lat: float, lng: float, tolerance_m: float = 5.0
) -> str | None:
    """Return the asset at a clicked point (e.g. a marker's position), if any.

    Parameters
    ----------
    assets
        Asset layer (``asset_id``, points in a projected CRS with a definition).
    lat, lng
        The clicked point, EPSG:4326 degrees.
    tolerance_m
        How far from the click an asset may be, in metres (markers are drawn at
        positions rounded to about 0.1 m).

    Returns
    -------
    str or None
        The id of the nearest asset within ``tolerance_m``; None when there is none
        or the point is not a finite coordinate.

    Raises
    ------
    CrsError
        If ``assets`` has no CRS.
    """
    if not (math.isfinite(lat) and math.isfinite(lng)) or not len(assets):
        return None
    if assets.crs is None:
        msg = "asset_at: the asset layer has no CRS; set one (e.g. EPSG:27700)."
        raise CrsError(msg)
    crs = CRS.from_user_input(assets.crs)
    layer = assets if crs.is_projected else assets.to_crs(c.ANALYSIS_CRS)
    to_xy = Transformer.from_crs(c.EXPORT_CRS, layer.crs, always_xy=True)
    x, y = to_xy.transform(lng, lat)
    geom = layer.geometry.to_numpy()
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    if not ok.any():
        return None
    dist = np.full(len(geom), np.inf)
    dist[ok] = shapely.distance(geom[ok], shapely.Point(x, y))
    best = int(np.argmin(dist))
    if dist[best] > tolerance_m:
        return None
    return str(assets[c.ASSET_ID].iloc[best])


def asset_set_mask(
    study: Study, config: StudyConfig | None, asset_set: str
) -> npt.NDArray[np.bool_] | None:
    """Return which assets belong to an asset set, when the config says.

    Parameters
    ----------
    study
        The study.
    config
        Its config, or None (outputs read back without it).
    asset_set
        Asset set name.

    Returns
    -------
    numpy.ndarray of bool or None
        One flag per row of ``study.assets``; None when the config is unknown or does
        not name the set (then the caller cannot tell the set's members).
    """
    if config is None:
        return None
    spec = config.access.all_asset_sets().get(asset_set)
    return None if spec is None else select_assets(study.assets, spec)


def site_options(assets: gpd.GeoDataFrame) -> dict[str, str]:
    """Return every asset's id with a display label, sorted by name then id.

    Parameters
    ----------
    assets
        Asset layer (``asset_id``, ``name``).

    Returns
    -------
    dict of str to str
        Asset id → "Name (id)" ("unnamed (id)" where the name is unknown).
    """
    t0 = time.perf_counter()
    ids = assets[c.ASSET_ID].astype(str).tolist()
    names: list[Any] = (
        assets[c.NAME].astype("string").tolist() if c.NAME in assets else [None] * len(ids)
    )
    labels = [
        (str(n) if n is not None and not pd.isna(n) and str(n).strip() else "unnamed", i)
        for n, i in zip(names, ids, strict=True)
    ]
    out = {i: f"{n} ({i})" for n, i in sorted(labels, key=lambda p: (p[0].lower(), p[1]))}
    logger.debug("site options: %d assets in %.3f s", len(out), time.perf_counter() - t0)
    return out

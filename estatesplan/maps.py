"""Folium map builders: the asset register, cohort choropleths and neighbourhood outlines.

Everything here is plain folium and branca over GeoDataFrames in the analysis CRS
(EPSG:27700 by default); layers are simplified for display (5 m by default, in
metres, before reprojection) and reprojected to EPSG:4326, and only the columns a
layer needs are sent to the browser. Nothing here imports Streamlit: the app,
notebooks and the HTML report all call :func:`estate_map`.

The visual vocabulary is fixed so that maps read the same everywhere: one colour
per ``owner_type`` (the Okabe–Ito palette, safe for colour-blind readers) and one
marker shape per asset-type family (health, civic, education, faith, housing,
leisure, other), drawn as inline SVG so that no icon font is fetched. Unknown
values are shown as "unknown" (grey on the choropleth), never as zero.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Final, Literal

import branca.colormap as bcm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import contracts as c
from ._mapstyle import (
    ASSET_FAMILIES,
    FAMILY_SHAPES,
    MARKER_PX,
    NAN_COLOUR,
    OWNER_COLOURS,
    OWNER_TYPE_LABELS,
    POPUP_FIELDS,
    UNKNOWN_OWNER_COLOUR,
    VIRIDIS,
    AssetMarkers,
    Attribution,
    LayerLegend,
    SyntheticBanner,
    asset_family,
    asset_legend_html,
    asset_popup_html,
    asset_type_label,
    choropleth_legend_html,
    data_attribution,
    esc,
    format_measure,
    is_unknown,
    marker_svg,
    owner_type_label,
)
from .cohorts import parse_cohort
from .errors import ConfigError, CrsError, DataContractError
from .study import Study

__all__ = [
    "ASSET_FAMILIES",
    "FAMILY_SHAPES",
    "MEASURES",
    "NAN_COLOUR",
    "OWNER_COLOURS",
    "OWNER_TYPE_LABELS",
    "ChoroplethLayer",
    "Measure",
    "asset_family",
    "asset_layer",
    "asset_popup_html",
    "asset_type_label",
    "bounds_4326",
    "cohort_measure",
    "data_attribution",
    "display_frame",
    "estate_map",
    "filter_assets",
    "format_measure",
    "neighbourhood_outlines",
    "owner_type_label",
    "zone_choropleth",
]

logger = logging.getLogger(__name__)

Measure = Literal["count", "share", "density"]
MEASURES: Final[tuple[str, ...]] = ("share", "count", "density")
"""Ways to show a cohort on the map: share of residents, head count, people per km²."""

DISPLAY_SIMPLIFY_M: Final = 5.0
"""Tolerance, in metres, used to simplify polygons before they are sent to a map."""

_DISPLAY_DECIMALS: Final = 6
_HOUSEHOLD_COLUMNS: Final = frozenset({c.HOUSEHOLDS, c.HOUSEHOLDS_NO_CAR})


def display_frame(
    gdf: gpd.GeoDataFrame, columns: Sequence[str], *, simplify_m: float | None
) -> gpd.GeoDataFrame:
    """Keep ``columns``, simplify in metres and reproject to EPSG:4326 for display.

    Parameters
    ----------
    gdf
        A layer with a CRS (projected in metres when ``simplify_m`` is given).
    columns
        Columns to keep (those missing are skipped).
    simplify_m
        Simplification tolerance in metres (None or 0: none).

    Returns
    -------
    geopandas.GeoDataFrame
        The columns and geometry, in EPSG:4326.

    Raises
    ------
    CrsError
        If the layer has no CRS.
    """
    if gdf.crs is None:
        msg = (
            "a layer passed to the map has no coordinate reference system; set one "
            "(e.g. gdf.set_crs('EPSG:27700')) before mapping it."
        )
        raise CrsError(msg)
    keep = [col for col in columns if col in gdf.columns]
    out = gpd.GeoDataFrame(gdf[keep].copy(), geometry=gdf.geometry.copy(), crs=gdf.crs)
    if simplify_m:
        if not CRS.from_user_input(out.crs).is_projected:
            out = out.to_crs(c.ANALYSIS_CRS)
        out = out.set_geometry(out.geometry.simplify(simplify_m, preserve_topology=True))
    out = out.to_crs(c.EXPORT_CRS)
    # 6 decimal places of a degree is about 0.1 m: ample for display, half the bytes
    rounded = shapely.transform(out.geometry.to_numpy(), lambda xy: np.round(xy, _DISPLAY_DECIMALS))
    return out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=out.crs))


# --- assets --------------------------------------------------------------------------------


def filter_assets(
    assets: gpd.GeoDataFrame,
    *,
    owner_types: Iterable[str] | None = None,
    asset_types: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Keep the assets of the given owner types and asset types.

    Parameters
    ----------
    assets
        Asset register with ``owner_type`` and ``asset_type``.
    owner_types
        Owner types to keep (codes from ``contracts.OWNER_TYPES``); None keeps all.
    asset_types
        Asset types to keep (codes from ``contracts.ASSET_TYPES``); None keeps all.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows, in the input's order, CRS and index.

    Raises
    ------
    ConfigError
        If a requested type is not in the contract's vocabulary (a typo).
    """
    mask = pd.Series(True, index=assets.index)
    for column, wanted, vocab in (
        (c.OWNER_TYPE, owner_types, c.OWNER_TYPES),
        (c.ASSET_TYPE, asset_types, c.ASSET_TYPES),
    ):
        if wanted is None:
            continue
        wanted_list = [str(w) for w in wanted]
        bad = [w for w in wanted_list if w not in vocab]
        if bad:
            msg = (
                f"unknown {column} filter value(s): {', '.join(map(repr, bad))}. "
                f"Allowed: {', '.join(vocab)}."
            )
            raise ConfigError(msg)
        mask &= assets[column].astype("string").isin(wanted_list).fillna(False).astype(bool)
    return assets[mask.to_numpy()]


def asset_layer(assets: gpd.GeoDataFrame, *, name: str = "Assets") -> folium.FeatureGroup:
    """Build a map layer with one marker per asset.

    Parameters
    ----------
    assets
        Asset register (point geometry, any CRS with a definition; typically
        EPSG:27700) with ``asset_id``, ``name``, ``owner_type``, ``asset_type``
        and, optionally, the estate attributes listed in :func:`asset_popup_html`.
    name
        Layer name shown in the layer control.

    Returns
    -------
    folium.FeatureGroup
        One marker per asset at its EPSG:4326 position (all drawn by one
        :class:`AssetMarkers` element: its ``markers`` list holds them), an inline-SVG
        shape (by asset-type family) filled with the owner-type colour, with the name
        as tooltip and the estate attributes as popup; plus a legend shown while the
        layer is on. Assets with missing geometry are skipped.

    Raises
    ------
    CrsError
        If ``assets`` has no CRS.
    """
    start = time.perf_counter()
    columns = [col for col, _ in POPUP_FIELDS]
    shown = display_frame(assets, columns, simplify_m=None)
    group = folium.FeatureGroup(name=name, overlay=True, control=True)
    geometry = shown.geometry
    valid = ~(geometry.isna() | geometry.is_empty).to_numpy()
    records = shown.drop(columns=shown.geometry.name).to_dict(orient="records")
    owners_seen: dict[str, None] = {}
    families_seen: dict[str, None] = {}
    markers: list[dict[str, object]] = []
    for record, geom, ok in zip(records, geometry, valid, strict=True):
        if not ok:
            continue
        owner_type = str(record.get(c.OWNER_TYPE))
        family = asset_family(str(record.get(c.ASSET_TYPE)))
        owners_seen[owner_type] = None
        families_seen[family] = None
        colour = OWNER_COLOURS.get(owner_type, UNKNOWN_OWNER_COLOUR)
        label = record.get(c.NAME)
        markers.append({
            "lat": round(float(geom.y), 7), "lng": round(float(geom.x), 7),
            "svg": marker_svg(FAMILY_SHAPES[family], colour),
            "tooltip": esc("unnamed" if is_unknown(label) else label),
            "popup": asset_popup_html(record),
        })  # fmt: skip
    group.add_child(AssetMarkers(markers, size=MARKER_PX))
    order = [o for o in OWNER_COLOURS if o in owners_seen] + [
        o for o in owners_seen if o not in OWNER_COLOURS
    ]
    fams = [f for f in FAMILY_SHAPES if f in families_seen]
    group.add_child(LayerLegend(asset_legend_html(order, fams), position="bottomleft"))
    logger.debug(
        "asset layer %r: %d markers in %.2f s", name, int(valid.sum()), time.perf_counter() - start
    )
    return group


# --- zones ---------------------------------------------------------------------------------


class ChoroplethLayer(folium.FeatureGroup):
    """A map layer of shaded zones that keeps its colour scale and values.

    Parameters
    ----------
    name
        Layer name shown in the layer control.
    colormap
        The branca colour scale used for the shading.
    values
        The value per zone that was shaded (NaN where unknown), indexed like the zones.
    """

    def __init__(self, *, name: str, colormap: bcm.LinearColormap, values: pd.Series) -> None:
        super().__init__(name=name, overlay=True, control=True)
        self.colormap = colormap
        self.values = values


def zone_choropleth(
    zones: gpd.GeoDataFrame,
    values: pd.Series,
    *,
    name: str,
    legend: str,
    formatter: Callable[[float], str] | None = None,
    simplify_m: float | None = DISPLAY_SIMPLIFY_M,
) -> ChoroplethLayer:
    """Shade zones by a value, with a legend and a tooltip per zone.

    Parameters
    ----------
    zones
        Zone polygons (any CRS with a definition) with ``zone_id`` and optionally
        ``name``.
    values
        One number per zone, indexed like ``zones`` (zones missing from the index,
        and NaN values, are unknown and shaded grey).
    name
        Layer name shown in the layer control.
    legend
        Legend caption (say what and the unit, e.g. "Over-65s, % of residents").
    formatter
        Turns a value into tooltip and legend text; default one decimal place.
    simplify_m
        Simplification tolerance in metres before reprojection; None keeps the
        geometry as is.

    Returns
    -------
    ChoroplethLayer
        A :class:`folium.FeatureGroup` holding one :class:`folium.GeoJson` (EPSG:4326) whose features carry only
        ``zone_id``, ``label`` and ``value`` (text), shaded on a viridis scale
        from the smallest to the largest known value, with :data:`NAN_COLOUR` for
        unknown; and a legend (shown while the layer is on) whose grey swatch reads
        as the formatter reads NaN ("unknown" by default, "none within 60 min" for
        travel times). The branca colour scale and the values shaded are kept as its
        ``colormap`` and ``values`` attributes.

    Raises
    ------
    DataContractError
        If ``values`` shares no index label with ``zones``.
    CrsError
        If ``zones`` has no CRS.
    """
    start = time.perf_counter()
    fmt = formatter or (lambda v: "unknown" if not math.isfinite(v) else f"{v:,.1f}")
    if len(values) and len(zones) and not values.index.isin(zones.index).any():
        msg = (
            f"values for the {name!r} layer are indexed by {list(values.index[:3])!r}…, which "
            "matches none of the zones' index; index the values like the zones."
        )
        raise DataContractError(msg)
    numbers = pd.to_numeric(values.reindex(zones.index), errors="coerce").astype("float64")
    numbers = numbers.where(np.isfinite(numbers))
    known = numbers.dropna()
    vmin = float(known.min()) if len(known) else 0.0
    vmax = float(known.max()) if len(known) else 1.0
    if vmax <= vmin:
        # every zone has the same value: keep the scale honest (no invented range)
        vmax = vmin + max(1e-9, abs(vmin) * 1e-9)
    colormap = bcm.LinearColormap(list(VIRIDIS), vmin=vmin, vmax=vmax)
    colormap.caption = legend
    frame = gpd.GeoDataFrame(
        {
            c.ZONE_ID: zones[c.ZONE_ID].astype(str)
            if c.ZONE_ID in zones
            else zones.index.astype(str),
            "label": (
                zones[c.ZONE_NAME].astype("string").fillna("").astype(str)
                if c.ZONE_NAME in zones
                else ""
            ),
            "value": [fmt(v) for v in numbers],
            "fill": [NAN_COLOUR if math.isnan(v) else colormap.rgb_hex_str(v) for v in numbers],
        },
        geometry=zones.geometry,
        crs=zones.crs,
        index=zones.index,
    )
    frame["label"] = [
        esc(lab if lab else zid) for lab, zid in zip(frame["label"], frame[c.ZONE_ID], strict=True)
    ]
    frame[c.ZONE_ID] = frame[c.ZONE_ID].map(esc)
    shown = display_frame(frame, [c.ZONE_ID, "label", "value", "fill"], simplify_m=simplify_m)
    shown = shown[~(shown.geometry.isna() | shown.geometry.is_empty)]
    group = ChoroplethLayer(name=name, colormap=colormap, values=numbers)
    folium.GeoJson(
        json.loads(shown.to_json(drop_id=True)),
        name=name,
        style_function=lambda feature: {
            "fillColor": feature["properties"]["fill"],
            "fillOpacity": 0.65,
            "color": "#555555",
            "weight": 0.6,
        },
        highlight_function=lambda _feature: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["label", c.ZONE_ID, "value"],
            aliases=["Zone", "Zone id", esc(legend)],
            sticky=False,
        ),
    ).add_to(group)
    group.add_child(  # the grey swatch says what the tooltips say of a missing value
        LayerLegend(choropleth_legend_html(colormap, legend, fmt, nan_label=fmt(math.nan)))
    )
    logger.debug(
        "choropleth %r: %d zones (%d unknown) in %.2f s",
        name,
        len(shown),
        int(numbers.isna().sum()),
        time.perf_counter() - start,
    )
    return group


def neighbourhood_outlines(
    neighbourhoods: gpd.GeoDataFrame,
    *,
    name: str = "Neighbourhoods",
    simplify_m: float | None = DISPLAY_SIMPLIFY_M,
) -> folium.FeatureGroup:
    """Draw neighbourhood boundaries with their names.

    Parameters
    ----------
    neighbourhoods
        Neighbourhood polygons (any CRS with a definition) with
        ``neighbourhood_id`` and ``name``.
    name
        Layer name shown in the layer control.
    simplify_m
        Simplification tolerance in metres before reprojection; None keeps the
        geometry as is.

    Returns
    -------
    folium.FeatureGroup
        An unfilled outline per neighbourhood (EPSG:4326) with its name as
        tooltip, and a text label at a point inside each polygon.

    Raises
    ------
    CrsError
        If ``neighbourhoods`` has no CRS.
    """
    shown = display_frame(neighbourhoods, [c.NEIGHBOURHOOD_ID, c.NAME], simplify_m=simplify_m)
    shown = shown[~(shown.geometry.isna() | shown.geometry.is_empty)].copy()
    shown[c.NEIGHBOURHOOD_ID] = shown[c.NEIGHBOURHOOD_ID].astype(str)
    names = shown[c.NAME].astype("string") if c.NAME in shown else shown[c.NEIGHBOURHOOD_ID]
    shown[c.NAME] = [
        esc(n if not is_unknown(n) else i)
        for n, i in zip(names, shown[c.NEIGHBOURHOOD_ID], strict=True)
    ]
    group = folium.FeatureGroup(name=name, overlay=True, control=True)
    folium.GeoJson(
        json.loads(shown.to_json(drop_id=True)),
        name=name,
        style_function=lambda _feature: {
            "fill": False,
            "color": "#222222",
            "weight": 2.5,
            "dashArray": "6 4",
        },
        tooltip=folium.GeoJsonTooltip(fields=[c.NAME], aliases=["Neighbourhood"]),
    ).add_to(group)
    points = shown.geometry.representative_point()
    for label, point in zip(shown[c.NAME], points, strict=True):
        folium.Marker(
            location=[float(point.y), float(point.x)],
            icon=folium.DivIcon(
                html=(
                    '<div style="font:bold 13px sans-serif;color:#111;white-space:nowrap;'
                    "transform:translate(-50%,-50%);text-shadow:0 0 3px #fff,0 0 3px #fff,"
                    f'0 0 3px #fff">{label}</div>'
                ),
                icon_size=(1, 1),
                icon_anchor=(0, 0),
                class_name="estatesplan-neighbourhood-label",
            ),
            interactive=False,
        ).add_to(group)
    logger.debug("neighbourhood outlines %r: %d polygons", name, len(shown))
    return group


# --- whole map -----------------------------------------------------------------------------


def cohort_measure(study: Study, cohort: str, measure: str = "share") -> pd.Series:
    """Return a cohort's count, share or density per zone.

    Parameters
    ----------
    study
        The study (zones in a projected CRS, metres).
    cohort
        A column of ``study.cohort_weights``.
    measure
        "count": people (households for household cohorts) per zone; "share":
        count divided by the zone's ``population`` (by ``households`` when the
        cohort counts households), a fraction 0–1; "density": count per km² of
        zone area.

    Returns
    -------
    pandas.Series
        Float64 indexed like ``study.zones``, named after the cohort; NaN where
        unknown (including a zero or unknown denominator).

    Raises
    ------
    ConfigError
        If the cohort or the measure is unknown.
    """
    if cohort not in study.cohort_weights.columns:
        msg = (
            f"cohort {cohort!r} is not in this study; available: "
            f"{', '.join(map(str, study.cohort_weights.columns))}."
        )
        raise ConfigError(msg)
    if measure not in MEASURES:
        msg = f"measure {measure!r} is not one of {', '.join(MEASURES)}."
        raise ConfigError(msg)
    zones = study.zones
    count = (
        pd.to_numeric(study.cohort_weights[cohort], errors="coerce")
        .astype("float64")
        .reindex(zones.index)
    )
    if measure == "count":
        out: pd.Series = count.rename(cohort)
        return out
    if measure == "share":
        expression = study.cohorts.get(cohort)
        used = parse_cohort(cohort, expression).columns if expression else ()
        per_household = c.HOUSEHOLDS in zones and any(col in _HOUSEHOLD_COLUMNS for col in used)
        base_col = c.HOUSEHOLDS if per_household else c.POPULATION
        if base_col not in zones:
            return pd.Series(np.nan, index=zones.index, dtype="float64", name=cohort)
        base = pd.to_numeric(zones[base_col], errors="coerce").astype("float64")
        out = (count / base.where(base > 0)).rename(cohort)
        return out
    projected = (
        zones if CRS.from_user_input(zones.crs).is_projected else zones.to_crs(c.ANALYSIS_CRS)
    )
    area_km2 = projected.geometry.area.astype("float64") / 1e6
    out = (count / area_km2.where(area_km2 > 0)).rename(cohort)
    return out


def _legend_caption(cohort: str, measure: str) -> str:
    what = cohort.replace("_", " ")
    if measure == "share":
        return f"{what}: % of residents"
    if measure == "density":
        return f"{what}: people per km²"
    return f"{what}: people"


def estate_map(
    study: Study,
    *,
    cohort: str | None = "everyone",
    measure: Measure = "share",
    owner_types: Iterable[str] | None = None,
    asset_types: Iterable[str] | None = None,
    tiles: str | None = "OpenStreetMap",
) -> folium.Map:
    """Build the estate map of a study: cohort choropleth, neighbourhoods and assets.

    Parameters
    ----------
    study
        The study (layers in the analysis CRS, EPSG:27700 by default).
    cohort
        Cohort to shade the zones by (a column of ``study.cohort_weights``); None
        draws no choropleth.
    measure
        "share" (of residents, %), "count" (people) or "density" (people per
        km²); see :func:`cohort_measure`.
    owner_types
        Owner types of the assets to show; None shows all.
    asset_types
        Asset types to show; None shows all.
    tiles
        Basemap tiles (a folium tile name or URL template); None draws no
        basemap, for offline use and tests.

    Returns
    -------
    folium.Map
        With a layer control, fitted to the zones and assets (EPSG:4326); a
        "SYNTHETIC DATA" banner when ``study.synthetic``; attribution of the
        data licences from ``study.sources``.

    Raises
    ------
    ConfigError
        If the cohort, measure or a filter value is unknown.
    """
    start = time.perf_counter()
    assets = filter_assets(study.assets, owner_types=owner_types, asset_types=asset_types)
    m = folium.Map(tiles=tiles, control_scale=True, zoom_start=13)
    if cohort is not None:
        values = cohort_measure(study, cohort, measure)
        zone_choropleth(
            study.zones,
            values,
            name=f"Zones: {cohort.replace('_', ' ')} ({measure})",
            legend=_legend_caption(cohort, measure),
            formatter=format_measure(measure),
        ).add_to(m)
    if len(study.neighbourhoods):
        neighbourhood_outlines(study.neighbourhoods).add_to(m)
    asset_layer(assets, name=f"Assets ({len(assets)})").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if study.synthetic:
        m.add_child(
            SyntheticBanner(
                f"SYNTHETIC DATA — {esc(study.name)} is invented: not real places, buildings or people"
            )
        )
    lines = data_attribution(study.sources, synthetic=study.synthetic)
    if lines:
        m.add_child(Attribution([esc(line) for line in lines]))
    bounds = bounds_4326([study.zones, study.neighbourhoods, assets])
    if bounds is not None:
        m.fit_bounds(bounds)
    logger.info(
        "estate map %r: %d zones, %d of %d assets, %d neighbourhoods in %.2f s",
        study.name,
        len(study.zones),
        len(assets),
        len(study.assets),
        len(study.neighbourhoods),
        time.perf_counter() - start,
    )
    return m


def bounds_4326(layers: Iterable[gpd.GeoDataFrame]) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the layers' geometries in EPSG:4326 (Leaflet's
    ``fitBounds`` order), skipping empty layers and layers without a CRS; None when none."""
    boxes = []
    for layer in layers:
        if layer is None or not len(layer) or layer.crs is None:
            continue
        geom = layer.geometry[~(layer.geometry.isna() | layer.geometry.is_empty)]
        if len(geom):
            boxes.append(geom.to_crs(c.EXPORT_CRS).total_bounds)
    if not boxes:
        return None
    arr = np.vstack(boxes)
    west, south = float(arr[:, 0].min()), float(arr[:, 1].min())
    east, north = float(arr[:, 2].max()), float(arr[:, 3].max())
    return [[south, west], [north, east]]

"""Population zones: select them for a study area, join their tables, place routing points.

The zone layer of the data contract is built here from boundaries (see
:func:`estatesplan.sources.ons.load_boundaries`) and per-zone tables indexed by
``zone_id`` (Census 2021 age, health, disability and car availability; IMD).
:func:`routing_points` then gives each zone the point from which travel times are
measured: the centroid, or the mean of the postcode-unit centroids inside it, which
follows where addresses are.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Sequence
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import contracts as c
from .errors import (
    ConfigError,
    CrsError,
    DataContractError,
    DataQualityWarning,
    DuplicateIdError,
    MissingColumnError,
)
from .validate import Problems, format_ids, validate_zones

__all__ = [
    "ROUTE_CENTROID",
    "ROUTE_POSTCODE_MEAN",
    "ROUTE_POSTCODE_NEAREST",
    "ROUTE_REPRESENTATIVE_POINT",
    "build_zones",
    "routing_points",
    "select_zones",
]

logger = logging.getLogger(__name__)

ROUTE_CENTROID: Final = "centroid"
"""``route_method``: the polygon's centroid, which lies inside it."""
ROUTE_REPRESENTATIVE_POINT: Final = "representative_point"
"""``route_method``: a point surely inside the polygon (its centroid falls outside)."""
ROUTE_POSTCODE_MEAN: Final = "postcode_mean"
"""``route_method``: the mean of the postcode-unit centroids inside the zone."""
ROUTE_POSTCODE_NEAREST: Final = "postcode_nearest"
"""``route_method``: the zone's postcode unit nearest that mean (the mean fell outside)."""

_AREA_COLUMN = re.compile(r"(lad|ltla|lau)\d{0,2}_?(cd|code)", re.IGNORECASE)
_TABLE_LABELS: Final[dict[str, str]] = {
    "age": "age (Census TS007A)",
    "health": "general health (Census TS037)",
    "disability": "disability (Census TS038)",
    "cars": "car availability (Census TS045)",
    "imd": "deprivation (IMD)",
}


def _elapsed(t0: float) -> str:
    return f"{time.perf_counter() - t0:.2f} s"


def _require_zone_id(gdf: pd.DataFrame, what: str) -> None:
    if c.ZONE_ID not in gdf.columns:
        msg = (
            f"{what}: no `{c.ZONE_ID}` column "
            f"(columns present: {', '.join(map(str, gdf.columns))}). "
            "Read boundaries with estatesplan.sources.ons.load_boundaries, which names it."
        )
        raise MissingColumnError(msg)


def select_zones(
    boundaries: gpd.GeoDataFrame,
    *,
    area_codes: Sequence[str] | None = None,
    area_column: str | None = None,
    area: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Keep the zones of a study area, by local-authority code or by an outline.

    Parameters
    ----------
    boundaries
        Zone polygons with ``zone_id`` (e.g. from ``load_boundaries``), any CRS.
    area_codes
        Codes to keep (e.g. ``["E09000007"]``), matched against ``area_column``.
    area_column
        Column holding the codes. When omitted, a local-authority code column
        (``LAD22CD``, ``LAD21CD``, ``ladcd``, ``ltla22_code`` …) is found; when several
        exist, the one holding most of ``area_codes`` is used.
    area
        Outline polygons; zones whose representative point lies inside any of them are
        kept. Reprojected to the boundaries' CRS if needed.

    Returns
    -------
    geopandas.GeoDataFrame
        The selected rows of ``boundaries``, unchanged, in the same order and CRS.

    Raises
    ------
    ConfigError
        If neither or both of ``area_codes`` and ``area`` are given.
    MissingColumnError
        If no area column can be found.
    DataContractError
        If nothing is selected; the message lists the codes that exist.
    CrsError
        If ``area`` or ``boundaries`` has no CRS.

    Warns
    -----
    DataQualityWarning
        If some of ``area_codes`` select no zone.
    """
    t0 = time.perf_counter()
    if (area_codes is None) == (area is None):
        msg = (
            "select_zones: give either area_codes (e.g. ['E09000007']) or area (outline "
            "polygons), not both or neither."
        )
        raise ConfigError(msg)
    if area_codes is not None:
        if isinstance(area_codes, str):
            area_codes = [area_codes]
        codes = [str(code).strip() for code in area_codes]
        columns = [str(col) for col in boundaries.columns if col != boundaries.geometry.name]
        if area_column is None:
            candidates = [col for col in columns if _AREA_COLUMN.fullmatch(col.strip())]
            if not candidates:
                msg = (
                    "select_zones: no local-authority code column in the boundaries (columns "
                    f"present: {', '.join(columns)}). Pass area_column=... naming the column "
                    f"holding {codes[0]!r}."
                )
                raise MissingColumnError(msg)
            area_column = max(
                candidates,
                key=lambda col: int(boundaries[col].astype("string").str.strip().isin(codes).sum()),
            )
        elif area_column not in boundaries.columns:
            msg = (
                f"select_zones: area_column {area_column!r} not found "
                f"(columns present: {', '.join(columns)})."
            )
            raise MissingColumnError(msg)
        values = boundaries[area_column].astype("string").str.strip()
        keep = values.isin(codes).fillna(False).to_numpy(dtype=bool)
        present = sorted(values.dropna().unique())
        if not keep.any():
            msg = (
                f"select_zones: no zone has {area_column} in {', '.join(codes)}. Codes in the "
                f"file: {format_ids(present, limit=40)}. Check the codes (ONS local authority "
                "codes look like E09000007) and that the boundaries cover the study area."
            )
            raise DataContractError(msg)
        unused = [code for code in codes if code not in set(present)]
        if unused:
            warnings.warn(
                f"select_zones: {len(unused)} code(s) select no zone: {format_ids(unused)} "
                f"(column {area_column}).",
                DataQualityWarning,
                stacklevel=2,
            )
        how = f"{area_column} in {format_ids(codes)}"
    else:
        assert area is not None
        if boundaries.crs is None or area.crs is None:
            msg = (
                "select_zones: both the boundaries and the area outline need a CRS to be compared."
            )
            raise CrsError(msg)
        outline = (
            area.to_crs(boundaries.crs)
            if CRS.from_user_input(area.crs) != CRS.from_user_input(boundaries.crs)
            else area
        )
        union = shapely.union_all(np.asarray(outline.geometry.array))
        points = shapely.point_on_surface(np.asarray(boundaries.geometry.array))
        shapely.prepare(union)
        keep = np.asarray(shapely.contains(union, points), dtype=bool)
        if not keep.any():
            xmin, ymin, xmax, ymax = boundaries.total_bounds
            axmin, aymin, axmax, aymax = outline.total_bounds
            msg = (
                "select_zones: no zone's representative point lies in the area outline "
                f"(outline bounds {axmin:.0f}, {aymin:.0f}, {axmax:.0f}, {aymax:.0f}; "
                f"boundaries bounds {xmin:.0f}, "
                f"{ymin:.0f}, {xmax:.0f}, {ymax:.0f}). Check that they cover the same place."
            )
            raise DataContractError(msg)
        how = "inside the area outline"
    out = boundaries[keep].copy()
    logger.info("selected %d of %d zones (%s) in %s", len(out), len(boundaries), how, _elapsed(t0))
    return out


def _as_table(table: pd.DataFrame, label: str, problems: Problems) -> pd.DataFrame | None:
    if table.index.name != c.ZONE_ID and c.ZONE_ID in table.columns:
        table = table.set_index(c.ZONE_ID)
    index = pd.Index(table.index.astype("string").str.strip(), name=c.ZONE_ID)
    dup = index.duplicated(keep=False)
    if dup.any():
        problems.add(
            f"the {label} table repeats {index[dup].nunique()} zone id(s): "
            f"{format_ids(sorted(index[dup].unique()))}. Each zone must appear once.",
            DuplicateIdError,
        )
        return None
    return table.set_axis(index.astype(str), axis=0)


def build_zones(
    boundaries: gpd.GeoDataFrame,
    *,
    age: pd.DataFrame | None = None,
    health: pd.DataFrame | None = None,
    disability: pd.DataFrame | None = None,
    cars: pd.DataFrame | None = None,
    imd: pd.DataFrame | None = None,
    source: str = "zones",
) -> gpd.GeoDataFrame:
    """Join per-zone tables onto the boundaries and validate the result as a zone layer.

    Parameters
    ----------
    boundaries
        Zone polygons with ``zone_id`` (e.g. from ``load_boundaries`` then
        ``select_zones``); must have a CRS.
    age, health, disability, cars, imd
        Tables indexed by ``zone_id`` (or with a ``zone_id`` column), e.g. from
        ``load_ts007a_age``, ``load_ts037_general_health``, ``load_ts038_disability``,
        ``load_ts045_car_availability``, ``load_imd2025``/``load_imd2019``. All their
        columns are joined; a column also on the boundaries is taken from the table.
        Rows for zones outside the boundaries are ignored (London- or England-wide
        tables are normal).
    source
        Name for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per boundary zone, in the boundaries' order, reprojected to the analysis
        CRS (EPSG:27700) and checked by :func:`estatesplan.validate.validate_zones`.
        Columns of tables not given are absent, never zero.

    Raises
    ------
    DataContractError
        If some zones have no row in a table (how many and which, per table), a table
        repeats zone ids, or the joined layer breaks the zone contract.
    MissingColumnError
        If no age table is given and the boundaries have no ``population``.
    """
    t0 = time.perf_counter()
    _require_zone_id(boundaries, source)
    tables = {"age": age, "health": health, "disability": disability, "cars": cars, "imd": imd}
    given = {k: v for k, v in tables.items() if v is not None}
    if age is None and c.POPULATION not in boundaries.columns:
        msg = (
            f"{source}: no `population`: give the Census TS007A age table "
            "(age=load_ts007a_age(...)) "
            "or boundaries that already have a population column."
        )
        raise MissingColumnError(msg)
    problems = Problems(source)
    ids = pd.Index(boundaries[c.ZONE_ID].astype("string").str.strip().astype(str))
    gdf = boundaries.copy()
    gdf[c.ZONE_ID] = ids.to_numpy()
    for key, raw in given.items():
        label = _TABLE_LABELS[key]
        table = _as_table(raw, label, problems)
        if table is None:
            continue
        missing = ids.difference(table.index)
        if len(missing):
            shared = len(ids) - len(missing)
            problems.add(
                f"the {label} table has no row for {len(missing)} of {len(ids)} zone(s): "
                f"{format_ids(sorted(missing))}. It shares {shared} zone id(s) with the "
                "boundaries. "
                "Check that both use the same geography and vintage (2021 LSOA codes vs 2011: move "
                "2011-based data such as IMD 2019 onto 2021 LSOAs with load_imd2019 and the ONS "
                "LSOA11→LSOA21 lookup) and that the table covers the whole study area."
            )
            continue
        extra = table.index.difference(ids)
        if len(extra):
            logger.debug(
                "%s: %d row(s) of the %s table are outside the boundaries",
                source,
                len(extra),
                label,
            )
        clash = [col for col in table.columns if col in gdf.columns]
        if clash:
            logger.debug(
                "%s: %s taken from the %s table", source, ", ".join(map(str, clash)), label
            )
            gdf = gdf.drop(columns=clash)
        gdf = gdf.join(table, on=c.ZONE_ID)
    problems.raise_if_any()
    out = validate_zones(
        gpd.GeoDataFrame(gdf, geometry=boundaries.geometry.name, crs=boundaries.crs), source=source
    )
    logger.info(
        "built %d zones (%s; %.0f residents) in %s",
        len(out),
        ", ".join(given) or "boundaries only",
        out[c.POPULATION].sum(),
        _elapsed(t0),
    )
    return out


def routing_points(
    zones: gpd.GeoDataFrame,
    *,
    method: Literal["centroid", "postcodes"] = "centroid",
    postcodes: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Give each zone the point from which travel times are measured.

    Parameters
    ----------
    zones
        Zone polygons in a projected CRS (metres), e.g. from :func:`build_zones`.
    method
        ``"centroid"``: the centroid when it lies inside the polygon, else a
        representative point (always inside). ``"postcodes"``: the mean of the
        postcode-unit centroids inside each zone, an address-weighted point; if that
        mean falls outside the polygon, the zone's postcode nearest to it; zones
        without postcodes fall back to the centroid rule.
    postcodes
        Postcode-unit points (e.g. OS Code-Point Open), needed for ``"postcodes"``;
        reprojected to the zones' CRS if needed. Points outside every zone are ignored.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``zones`` with ``route_x``, ``route_y`` (metres, the zones' CRS) and
        ``route_method`` (``"centroid"``, ``"representative_point"``,
        ``"postcode_mean"`` or ``"postcode_nearest"``).

    Raises
    ------
    CrsError
        If the zones (or postcodes) have no CRS, or the zones' CRS is not projected.
    ConfigError
        If ``method`` is unknown, or ``"postcodes"`` is asked without postcodes.
    """
    t0 = time.perf_counter()
    if method not in ("centroid", "postcodes"):
        msg = f"routing_points: method must be 'centroid' or 'postcodes', got {method!r}."
        raise ConfigError(msg)
    if zones.crs is None or not CRS.from_user_input(zones.crs).is_projected:
        msg = (
            "routing_points: zones need a projected CRS in metres (e.g. EPSG:27700); validate them "
            "with validate_zones or build_zones first."
        )
        raise CrsError(msg)
    polys = np.asarray(zones.geometry.array)
    cen = shapely.centroid(polys)
    rep = shapely.point_on_surface(polys)
    cx, cy = shapely.get_x(cen), shapely.get_y(cen)
    inside = shapely.contains_xy(polys, cx, cy)
    x = np.where(inside, cx, shapely.get_x(rep))
    y = np.where(inside, cy, shapely.get_y(rep))
    how = np.where(inside, ROUTE_CENTROID, ROUTE_REPRESENTATIVE_POINT).astype(object)

    if method == "postcodes":
        if postcodes is None:
            msg = (
                "routing_points: method='postcodes' needs postcodes (a GeoDataFrame of "
                "postcode-unit points)."
            )
            raise ConfigError(msg)
        if postcodes.crs is None:
            msg = (
                "routing_points: the postcode points have no CRS (Code-Point Open "
                "eastings/northings are EPSG:27700)."
            )
            raise CrsError(msg)
        pts = postcodes.geometry
        if CRS.from_user_input(postcodes.crs) != CRS.from_user_input(zones.crs):
            pts = pts.to_crs(zones.crs)
        pts = pts[pts.notna() & ~pts.is_empty & (pts.geom_type == "Point")]
        pc = gpd.GeoDataFrame(
            {"_px": pts.x.to_numpy(), "_py": pts.y.to_numpy()},
            geometry=pts.to_numpy(),
            crs=zones.crs,
        )
        zp = gpd.GeoDataFrame({"_zone": np.arange(len(zones))}, geometry=polys, crs=zones.crs)
        joined = gpd.sjoin(pc, zp, how="inner", predicate="within").reset_index(drop=True)
        grp = joined.groupby("_zone")
        pos = grp.size().index.to_numpy()
        mx, my = grp["_px"].mean().to_numpy(), grp["_py"].mean().to_numpy()
        mean_inside = shapely.contains_xy(polys[pos], mx, my)
        x[pos], y[pos], how[pos] = mx, my, ROUTE_POSTCODE_MEAN
        outside = pos[~mean_inside]
        if len(outside):
            sub = joined[joined["_zone"].isin(outside)]
            target = pd.DataFrame({"_mx": mx, "_my": my}, index=pos).loc[sub["_zone"]]
            d2 = (sub["_px"].to_numpy() - target["_mx"].to_numpy()) ** 2 + (
                sub["_py"].to_numpy() - target["_my"].to_numpy()
            ) ** 2
            nearest = sub.assign(_d2=d2).sort_values(["_zone", "_d2"]).drop_duplicates("_zone")
            npos = nearest["_zone"].to_numpy()
            x[npos], y[npos], how[npos] = (
                nearest["_px"].to_numpy(),
                nearest["_py"].to_numpy(),
                ROUTE_POSTCODE_NEAREST,
            )

    out = zones.copy()
    out[c.ROUTE_X] = x.astype("float64")
    out[c.ROUTE_Y] = y.astype("float64")
    out[c.ROUTE_METHOD] = how.astype(str)
    counts = pd.Series(how).value_counts().to_dict()
    logger.info(
        "routing points for %d zones (%s) in %s",
        len(out),
        ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())),
        _elapsed(t0),
    )
    return out

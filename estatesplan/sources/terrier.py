"""An organisation's own asset list (a council's or trust's terrier) as an asset layer.

The file may be a CSV with coordinate columns, a GeoJSON or a GeoPackage (any format
GDAL reads). Its columns are mapped onto the asset contract with ``mapping``
(contract column → file column), its categories recoded with ``value_maps`` and
constant columns filled with ``defaults``, so the same function reads a GP premises
list, a council property terrier or a list of hospital sites.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from .. import contracts as c
from .._io import check_input_file
from ..assets import FOOTPRINT_M2, finalise_layer
from ..errors import CrsError, DataSourceError, GeometryError, MissingColumnError
from ..validate import Problems, format_ids
from .ods import normalise_postcode

__all__ = ["load_asset_file"]

logger = logging.getLogger(__name__)

_CSV_SUFFIXES: Final = frozenset({".csv", ".txt", ".tsv"})
_EASTING: Final = ("easting", "eastings", "east", "x", "bng_x", "x_coordinate", "location_easting")
_NORTHING: Final = (
    "northing",
    "northings",
    "north",
    "y",
    "bng_y",
    "y_coordinate",
    "location_northing",
)
_LON: Final = ("lon", "lng", "long", "longitude")
_LAT: Final = ("lat", "latitude")
_TRUE: Final = frozenset({"yes", "y", "true", "t", "1", "step free", "step-free"})
_FALSE: Final = frozenset({"no", "n", "false", "f", "0"})
_NUMERIC: Final = (*c.ASSET_NUMERIC_NONNEGATIVE, FOOTPRINT_M2)


def _norm(text: object) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(text).strip().lower()).strip("_")


def _rows(mask: pd.Series) -> str:
    return format_ids([int(i) + 1 for i in np.flatnonzero(mask.to_numpy())])


def _find_column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    by_norm = {_norm(col): str(col) for col in df.columns}
    return next((by_norm[n] for n in names if n in by_norm), None)


def _read_csv(p: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(
            p,
            dtype=str,
            keep_default_na=False,
            sep=None if p.suffix.lower() == ".tsv" else ",",
            engine="python" if p.suffix.lower() == ".tsv" else "c",
            encoding="utf-8-sig",
            encoding_errors="replace",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"asset file {p}: cannot read it as CSV ({exc})."
        raise DataSourceError(msg) from exc
    df.columns = [str(col).strip() for col in df.columns]
    stripped: pd.DataFrame = df.apply(lambda s: s.str.strip()).replace("", np.nan)
    return stripped


def _csv_points(
    df: pd.DataFrame, p: Path, x: str | None, y: str | None, crs: str | None
) -> gpd.GeoDataFrame:
    if (x is None) != (y is None):
        msg = f"asset file {p}: give both x= and y= (coordinate column names), or neither."
        raise ValueError(msg)
    if x is None or y is None:
        east, north = _find_column(df, _EASTING), _find_column(df, _NORTHING)
        lon, lat = _find_column(df, _LON), _find_column(df, _LAT)
        if east and north:
            x, y, guess = east, north, c.ANALYSIS_CRS
        elif lon and lat:
            x, y, guess = lon, lat, "EPSG:4326"
        else:
            msg = (
                f"asset file {p}: no coordinate columns found (looked for easting/northing, "
                f"x/y or lon/lat; columns present: {', '.join(map(str, df.columns[:20]))}). "
                "Name them with x= and y= (and crs=)."
            )
            raise MissingColumnError(msg)
    else:
        guess = "EPSG:4326" if _norm(x) in _LON else c.ANALYSIS_CRS
        missing = [col for col in (x, y) if col not in df.columns]
        if missing:
            msg = (
                f"asset file {p}: coordinate column(s) {', '.join(missing)} not found "
                f"(columns present: {', '.join(map(str, df.columns[:20]))})."
            )
            raise MissingColumnError(msg)
    xs = pd.to_numeric(df[x].str.replace(",", "", regex=False), errors="coerce")
    ys = pd.to_numeric(df[y].str.replace(",", "", regex=False), errors="coerce")
    bad = xs.isna() | ys.isna() | ~np.isfinite(xs) | ~np.isfinite(ys)
    if bad.any():
        msg = (
            f"asset file {p}: columns `{x}`/`{y}` have {int(bad.sum())} missing or non-numeric "
            f"coordinate(s) on data row(s) {_rows(bad)}. Fix or remove those rows."
        )
        raise GeometryError(msg)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xs, ys), crs=crs or guess)


def _read_gis(p: Path, layer: str | None, crs: str | None) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(p, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        msg = f"asset file {p}: cannot read it as a GIS layer{f' {layer!r}' if layer else ''} ({exc})."
        raise DataSourceError(msg) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        msg = f"asset file {p}: the layer has no geometry; use a CSV with coordinate columns."
        raise DataSourceError(msg)
    if gdf.crs is None:
        if crs is None:
            msg = (
                f"asset file {p}: the layer has no coordinate reference system. Re-export it "
                "with one, or pass crs= (e.g. 'EPSG:27700')."
            )
            raise CrsError(msg)
        gdf = gdf.set_crs(crs)
    elif crs is not None and CRS.from_user_input(crs) != CRS.from_user_input(gdf.crs):
        msg = f"asset file {p}: the layer declares {gdf.crs.to_string()} but crs={crs!r} was given."
        raise CrsError(msg)
    return gdf


def _to_points(gdf: gpd.GeoDataFrame, p: Path) -> gpd.GeoDataFrame:
    geom = gdf.geometry
    present = pd.Series(~shapely.is_missing(geom.to_numpy()), index=gdf.index) & ~geom.is_empty
    polygonal = present & geom.geom_type.isin(["Polygon", "MultiPolygon"])
    other = present & ~polygonal & ~geom.geom_type.eq("Point")
    if not (polygonal | other).any():
        return gdf
    invalid = polygonal & ~geom.is_valid
    if invalid.any():
        msg = (
            f"asset file {p}: {int(invalid.sum())} invalid polygon(s) on feature row(s) "
            f"{_rows(invalid)}. Repair them in a GIS ('Fix geometries') first."
        )
        raise GeometryError(msg)
    out = gdf.copy()
    metric = out.geometry.to_crs(c.ANALYSIS_CRS)
    if FOOTPRINT_M2 not in out:
        out[FOOTPRINT_M2] = np.where(polygonal, metric.area, np.nan)
    pts = out.geometry.copy()
    pts[polygonal | other] = out.geometry[polygonal | other].representative_point()
    out = out.set_geometry(pts)
    logger.info(
        "%s: %d non-point features reduced to representative points",
        p.name,
        int((polygonal | other).sum()),
    )
    return out


def _apply_mapping(
    gdf: gpd.GeoDataFrame, mapping: Mapping[str, str], problems: Problems
) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Rename mapped and case-variant columns to contract names; return contract → file column."""
    origin: dict[str, str] = {}
    renamed = gdf.copy()
    for target, col in mapping.items():
        if col not in gdf.columns:
            problems.add(
                f"column `{col}` (mapped to `{target}`) not found; columns present: "
                f"{', '.join(map(str, gdf.columns[:20]))}.",
                MissingColumnError,
            )
            continue
        renamed[target] = gdf[col]
        origin[target] = col
    by_norm = {_norm(col): str(col) for col in gdf.columns if col not in mapping.values()}
    for target in (*c.ASSET_REQUIRED, *c.ASSET_OPTIONAL_DEFAULTS):
        if target not in origin and target not in renamed.columns and _norm(target) in by_norm:
            renamed[target] = gdf[by_norm[_norm(target)]]
            origin[target] = by_norm[_norm(target)]
    for target in c.ASSET_REQUIRED:
        origin.setdefault(target, target)
    return renamed, origin


def _recode_step_free(values: pd.Series, problems: Problems, col: str) -> pd.Series:
    text = values.astype("string").str.strip().str.lower()
    # GeoPackage/Excel store yes/no as numbers: 1.0 and 0.0 are as clear as "1" and "0"
    numeric = pd.to_numeric(values, errors="coerce")
    text = text.mask(numeric == 1, "1").mask(numeric == 0, "0")
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(_TRUE).fillna(False)] = True
    out[text.isin(_FALSE).fillna(False)] = False
    bad = text.notna() & out.isna()
    if bad.any():
        problems.add(
            f"column `{col}` has value(s) {', '.join(map(repr, text[bad].unique()[:5]))} on data "
            f"row(s) {_rows(bad)}; step_free takes yes/no (or true/false, 1/0)."
        )
    return out


def load_asset_file(
    path: str | os.PathLike[str],
    *,
    mapping: Mapping[str, str] | None = None,
    value_maps: Mapping[str, Mapping[str, str]] | None = None,
    defaults: Mapping[str, object] | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    id_prefix: str = "",
    source: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a council's or trust's own asset list as an asset layer.

    Parameters
    ----------
    path
        CSV (one row per asset, point from coordinate columns), GeoJSON, GeoPackage or
        any other GDAL vector format. Polygons are reduced to representative points
        and their area kept in ``footprint_m2`` (m²).
    mapping
        Contract column → file column, e.g. ``{"name": "hospital22_name"}``. Contract
        columns present under their own name (any case, spaces or underscores) need no
        mapping.
    value_maps
        Contract column → {file value: contract value}, e.g.
        ``{"asset_type": {"Surgery": "gp_practice"}}``; keys match case-insensitively,
        unmapped values are kept as they are.
    defaults
        Contract column → constant, used for missing columns and blank cells, e.g.
        ``{"owner_type": "nhs_trust", "asset_type": "hospital"}``.
    x, y
        CSV coordinate columns. By default easting/northing (or x/y) are looked for,
        then lon/lat.
    crs
        CRS of the CSV coordinates (default EPSG:27700 for eastings/northings,
        EPSG:4326 for lon/lat); for GIS files, the CRS to assume when the file has
        none (a file that declares another CRS is an error).
    layer
        Layer name in a multi-layer file (GeoPackage).
    id_prefix
        Prefix added to every ``asset_id`` so ids stay unique across layers. A file
        without an id column gets ids ``<prefix><row number>`` (prefix defaults to the
        file stem and a hyphen).
    source
        Value of the ``source`` column (default ``"terrier:<file name>"``).

    Returns
    -------
    geopandas.GeoDataFrame
        Validated asset layer in EPSG:27700; ``source_ref`` holds the file's own id
        (the row number when it has none); unmapped file columns are kept as extras.

    Raises
    ------
    DataSourceError
        If the file is missing, empty or unreadable.
    MissingColumnError
        If a mapped column, or coordinate columns, are missing.
    GeometryError
        For missing or non-numeric coordinates (rows listed) or invalid polygons.
    CrsError
        If a GIS file has no CRS and ``crs`` is not given, or coordinates fall outside
        Great Britain.
    DataContractError
        For unknown asset or owner types after recoding (file column, values and rows
        listed), duplicate ids and the other contract checks.
    """
    t0 = time.perf_counter()
    p = check_input_file(path, what="asset file")
    if p.suffix.lower() in _CSV_SUFFIXES:
        df = _read_csv(p)
        if df.empty:
            msg = f"asset file {p}: no data rows under the header."
            raise DataSourceError(msg)
        gdf = _csv_points(df, p, x, y, crs)
    else:
        gdf = _to_points(_read_gis(p, layer, crs), p)
        if gdf.empty:
            msg = f"asset file {p}: the layer has no features."
            raise DataSourceError(msg)
    problems = Problems(str(p))
    gdf, origin = _apply_mapping(gdf, mapping or {}, problems)
    for col, vmap in (value_maps or {}).items():
        if col not in gdf:
            problems.add(f"value_maps names `{col}`, which is neither in the file nor mapped.")
            continue
        lookup = {str(k).strip().casefold(): v for k, v in vmap.items()}
        gdf[col] = gdf[col].map(
            lambda v, lk=lookup: lk.get(str(v).strip().casefold(), v) if pd.notna(v) else v
        )
    for col, value in (defaults or {}).items():
        gdf[col] = value if col not in gdf else gdf[col].where(gdf[col].notna(), value)
    if c.ASSET_ID in gdf and gdf[c.ASSET_ID].notna().all():
        ref = gdf[c.ASSET_ID].astype(str).str.strip()
        gdf[c.ASSET_ID] = id_prefix + ref
    elif c.ASSET_ID in gdf:
        blank = gdf[c.ASSET_ID].isna()
        problems.add(
            f"column `{origin[c.ASSET_ID]}` (asset_id) is empty on data row(s) {_rows(blank)}."
        )
        ref = gdf[c.ASSET_ID].astype(str)
    else:
        ref = pd.Series([str(i + 1) for i in range(len(gdf))], index=gdf.index)
        gdf[c.ASSET_ID] = (id_prefix or f"{p.stem}-") + ref
    gdf[c.SOURCE_REF] = ref
    gdf[c.SOURCE] = source or f"terrier:{p.name}"
    for col, vocab in ((c.ASSET_TYPE, c.ASSET_TYPES), (c.OWNER_TYPE, c.OWNER_TYPES)):
        if col not in gdf:
            problems.add(
                f"no `{col}` column: map one with mapping={{'{col}': '<file column>'}} or set "
                f"defaults={{'{col}': ...}}.",
                MissingColumnError,
            )
            continue
        vals = gdf[col].astype("string").str.strip()
        gdf[col] = vals
        unknown = vals.isna() | ~vals.isin(vocab)
        if unknown.any():
            problems.add(
                f"column `{origin.get(col, col)}` ({col}) has unknown value(s) "
                f"{', '.join(map(repr, sorted(vals[unknown].fillna('<empty>').unique())[:8]))} on "
                f"data row(s) {_rows(unknown)}. Allowed: {', '.join(vocab)}. Recode them with "
                f"value_maps={{'{col}': {{'<your value>': '<allowed value>'}}}}."
            )
    if c.NAME in gdf:
        gdf[c.NAME] = gdf[c.NAME].astype("string").str.strip().astype(object)
    else:
        problems.add(
            "no `name` column: map one with mapping={'name': '<file column>'}.", MissingColumnError
        )
    for col in _NUMERIC:
        if col in gdf and not pd.api.types.is_numeric_dtype(gdf[col]):
            gdf[col] = gdf[col].astype("string").str.replace(r"[£,\s]", "", regex=True)
    if c.STEP_FREE in gdf:
        gdf[c.STEP_FREE] = _recode_step_free(
            gdf[c.STEP_FREE], problems, origin.get(c.STEP_FREE, c.STEP_FREE)
        )
    problems.raise_if_any()
    if c.POSTCODE in gdf:
        gdf[c.POSTCODE] = normalise_postcode(gdf[c.POSTCODE])
    if c.ODS_CODE in gdf:
        gdf[c.ODS_CODE] = gdf[c.ODS_CODE].astype("string").str.strip().str.upper()
    renamed = [v for k, v in origin.items() if v != k and v in gdf and v not in origin]
    out = finalise_layer(gdf.drop(columns=renamed), source=str(p))
    logger.info(
        "asset file %s: %d assets %s in %.2fs",
        p.name,
        len(out),
        out[c.ASSET_TYPE].value_counts().to_dict(),
        time.perf_counter() - t0,
    )
    return out

"""Check layers against the data contracts, collecting every problem before raising once.

Each ``validate_*`` function returns a cleaned copy (projected to the analysis CRS,
optional columns added with their documented defaults, numbers coerced) or raises a
single :class:`~estatesplan.errors.DataContractError` listing everything wrong, so a
planner can fix a file in one pass.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import contracts as c
from .errors import (
    CrsError,
    DataContractError,
    DataQualityWarning,
    DuplicateIdError,
    GeometryError,
    MissingColumnError,
)

__all__ = [
    "Problems",
    "check_crs",
    "format_ids",
    "validate_assets",
    "validate_neighbourhoods",
    "validate_zones",
]

# Great Britain's extent in EPSG:27700 metres, with a margin: coordinates outside
# this after projection mean the file's CRS is wrong (e.g. lon/lat labelled as BNG).
_GB_BOUNDS_27700 = (-100_000.0, -100_000.0, 800_000.0, 1_400_000.0)
_MAX_IDS_SHOWN = 10


def format_ids(ids: Iterable[object], *, limit: int = _MAX_IDS_SHOWN) -> str:
    """Format ids for a message: the first ``limit`` of them, then "and N more".

    Parameters
    ----------
    ids
        Ids to show.
    limit
        How many to list before summarising.

    Returns
    -------
    str
        E.g. ``"A1, A2, A3 and 4 more"``.

    Examples
    --------
    >>> format_ids(["a", "b", "c"], limit=2)
    'a, b and 1 more'
    """
    items = [str(i) for i in ids]
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f" and {len(items) - limit} more"
    return shown


@dataclass
class Problems:
    """Collects contract problems for one layer; ``raise_if_any`` raises them together.

    Parameters
    ----------
    source
        Name of the file or layer, used at the start of the message.
    """

    source: str
    items: list[tuple[type[DataContractError], str]] = field(default_factory=list)

    def add(self, message: str, kind: type[DataContractError] = DataContractError) -> None:
        """Record one problem.

        Parameters
        ----------
        message
            What is wrong, where, and what to do.
        kind
            The most specific error class for it.
        """
        self.items.append((kind, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Raise one error listing every problem, if any were recorded.

        The class raised is the specific one when all problems share it, else
        :class:`DataContractError`.

        Raises
        ------
        DataContractError
            Or a subclass, listing every problem.
        """
        if not self.items:
            return
        kinds = {k for k, _ in self.items}
        kind = kinds.pop() if len(kinds) == 1 else DataContractError
        n = len(self.items)
        lines = "\n".join(f"  - {m}" for _, m in self.items)
        msg = f"{self.source}: {n} problem{'s' if n > 1 else ''} found:\n{lines}"
        raise kind(msg)


def check_crs(gdf: gpd.GeoDataFrame, *, source: str, crs: str = c.ANALYSIS_CRS) -> gpd.GeoDataFrame:
    """Return ``gdf`` in ``crs``, after checking that it has a CRS and plausible coordinates.

    Parameters
    ----------
    gdf
        Layer to check.
    source
        File or layer name for messages.
    crs
        Target analysis CRS (projected, metres).

    Returns
    -------
    geopandas.GeoDataFrame
        The layer reprojected to ``crs`` (the same object if already there).

    Raises
    ------
    CrsError
        If the layer has no CRS, or its coordinates fall outside Great Britain once
        projected to EPSG:27700 (a sign that the declared CRS is wrong).
    """
    if gdf.crs is None:
        msg = (
            f"{source}: the layer has no coordinate reference system. Set one when "
            "exporting (e.g. EPSG:27700 for British National Grid, EPSG:4326 for lon/lat)."
        )
        raise CrsError(msg)
    target = CRS.from_user_input(crs)
    if not target.is_projected:
        msg = f"analysis CRS {crs} is not projected; use a metric CRS such as EPSG:27700"
        raise CrsError(msg)
    out = gdf if CRS.from_user_input(gdf.crs) == target else gdf.to_crs(target)
    if target.to_epsg() == 27700 and len(out) and not out.geometry.is_empty.all():
        xmin, ymin, xmax, ymax = out.total_bounds
        bx0, by0, bx1, by1 = _GB_BOUNDS_27700
        if not (np.isfinite([xmin, ymin, xmax, ymax]).all()) or (
            xmin < bx0 or ymin < by0 or xmax > bx1 or ymax > by1
        ):
            msg = (
                f"{source}: coordinates fall outside Great Britain once read as "
                f"{gdf.crs.to_string()} (bounds {xmin:.0f}, {ymin:.0f}, {xmax:.0f}, {ymax:.0f} "
                "in EPSG:27700). The file's declared CRS is probably wrong: check it "
                "(lon/lat is EPSG:4326, eastings/northings are EPSG:27700)."
            )
            raise CrsError(msg)
    return out


def _check_required(
    df: pd.DataFrame, required: Sequence[str], problems: Problems, what: str
) -> bool:
    missing = [col for col in required if col not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns[:20]))
        problems.add(
            f"required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(f'`{m}`' for m in missing)} missing from the {what} layer "
            f"(columns present: {have}). Add or rename them, or map them in the study config.",
            MissingColumnError,
        )
        return False
    return True


def _check_ids(df: pd.DataFrame, id_col: str, problems: Problems) -> None:
    ids = df[id_col]
    blank = ids.isna() | (ids.astype("string").str.strip() == "")
    if blank.any():
        rows = [int(i) + 1 for i in np.flatnonzero(blank.to_numpy())]
        problems.add(
            f"column `{id_col}` is empty on {len(rows)} row(s) (data rows {format_ids(rows)}); "
            "every row needs an id.",
            DataContractError,
        )
    dup = ids[ids.duplicated(keep=False) & ~blank]
    if len(dup):
        problems.add(
            f"column `{id_col}` has {dup.nunique()} duplicated id(s): "
            f"{format_ids(sorted(dup.astype(str).unique()))}. Ids must be unique; "
            "remove or renumber the repeats.",
            DuplicateIdError,
        )


def _check_geometry(
    gdf: gpd.GeoDataFrame,
    id_col: str | None,
    allowed: set[str],
    problems: Problems,
    *,
    repair: bool,
) -> gpd.GeoDataFrame:
    geom = gdf.geometry
    labels = gdf[id_col].astype(str) if id_col and id_col in gdf else gdf.index.astype(str)
    missing = geom.isna() | geom.is_empty
    if missing.any():
        problems.add(
            f"{int(missing.sum())} row(s) have missing or empty geometry "
            f"({id_col or 'row'} {format_ids(labels[missing])}). Give them a location or drop them.",
            GeometryError,
        )
    present = ~missing
    types = geom[present].geom_type
    wrong = present.copy()
    wrong[present] = ~types.isin(list(allowed))
    if wrong.any():
        found = ", ".join(sorted(geom[wrong].geom_type.unique()))
        problems.add(
            f"{int(wrong.sum())} geometr{'ies are' if wrong.sum() > 1 else 'y is'} {found}, "
            f"expected {' or '.join(sorted(allowed))} ({id_col or 'row'} {format_ids(labels[wrong])}).",
            GeometryError,
        )
    invalid = present & ~wrong & ~geom.is_valid
    if invalid.any():
        if repair:
            fixed = shapely.make_valid(geom[invalid].to_numpy())
            gdf = gdf.copy()
            gdf.loc[invalid, gdf.geometry.name] = fixed
            warnings.warn(
                f"{problems.source}: repaired {int(invalid.sum())} invalid geometr"
                f"{'ies' if invalid.sum() > 1 else 'y'} with shapely.make_valid "
                f"({id_col or 'row'} {format_ids(labels[invalid])}).",
                DataQualityWarning,
                stacklevel=3,
            )
        else:
            reasons = shapely.is_valid_reason(geom[invalid].to_numpy())
            problems.add(
                f"{int(invalid.sum())} invalid geometr{'ies' if invalid.sum() > 1 else 'y'} "
                f"({id_col or 'row'} {format_ids(labels[invalid])}; first: {reasons[0]}). "
                "Repair them in a GIS (e.g. 'Fix geometries') or load with repair enabled.",
                GeometryError,
            )
    return gdf


def _coerce_numeric(
    df: pd.DataFrame,
    cols: Iterable[str],
    id_col: str,
    problems: Problems,
    *,
    nonnegative: bool = True,
    unit: str = "",
) -> pd.DataFrame:
    for col in cols:
        if col not in df.columns:
            continue
        raw = df[col]
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
        if bad.any():
            examples = ", ".join(repr(v) for v in raw[bad].astype(str).unique()[:3])
            problems.add(
                f"column `{col}` has {int(bad.sum())} non-numeric value(s) ({examples}; "
                f"{id_col} {format_ids(df.loc[bad, id_col])}). Use plain numbers; leave "
                "unknown values empty.",
            )
        if nonnegative:
            neg = num < 0
            if neg.any():
                problems.add(
                    f"column `{col}` has {int(neg.sum())} negative value(s) "
                    f"({id_col} {format_ids(df.loc[neg, id_col])}); {col} must be ≥ 0{unit}.",
                )
        df[col] = num.astype("float64")
    return df


def _check_layer(
    gdf: gpd.GeoDataFrame,
    *,
    what: str,
    required: Sequence[str],
    id_col: str,
    geom_types: set[str],
    source: str,
    crs: str,
    repair: bool,
) -> tuple[gpd.GeoDataFrame, Problems]:
    """Checks every layer shares: required columns, CRS, ids and geometry."""
    problems = Problems(source)
    if not _check_required(gdf, required, problems, what):
        problems.raise_if_any()
    out = check_crs(gdf, source=source, crs=crs).copy()
    _check_ids(out, id_col, problems)
    out = _check_geometry(out, id_col, geom_types, problems, repair=repair)
    return out, problems


def validate_assets(
    assets: gpd.GeoDataFrame,
    *,
    source: str = "assets",
    crs: str = c.ANALYSIS_CRS,
    repair: bool = False,
) -> gpd.GeoDataFrame:
    """Check an asset register against the contract and return a clean copy.

    Parameters
    ----------
    assets
        One row per building or site, point geometry, with at least ``asset_id``,
        ``name``, ``owner_type`` and ``asset_type``.
    source
        File or layer name, used in messages.
    crs
        Analysis CRS to project to.
    repair
        Repair invalid geometries (with a warning) instead of rejecting them.

    Returns
    -------
    geopandas.GeoDataFrame
        In ``crs``, with every optional column present (missing ones filled with
        their documented default: NaN or missing, never zero).

    Raises
    ------
    DataContractError
        Listing every problem: missing columns, duplicate or empty ids, bad
        geometry, unknown ``owner_type``/``asset_type``/``condition``, non-numeric
        or negative amounts.
    CrsError
        If the layer has no CRS or implausible coordinates.

    Examples
    --------
    >>> from estatesplan import demo
    >>> study = demo.generate_demo(seed=1)
    >>> validate_assets(study.assets).crs.to_epsg()
    27700
    """
    gdf, problems = _check_layer(
        assets, what="asset", required=c.ASSET_REQUIRED, id_col=c.ASSET_ID,
        geom_types={"Point"}, source=source, crs=crs, repair=repair,
    )  # fmt: skip
    for col, vocab in ((c.OWNER_TYPE, c.OWNER_TYPES), (c.ASSET_TYPE, c.ASSET_TYPES)):
        vals = gdf[col].astype("string")
        unknown = vals.isna() | ~vals.isin(vocab)
        if unknown.any():
            found = sorted(vals[unknown].fillna("<empty>").unique())
            problems.add(
                f"column `{col}` has {int(unknown.sum())} unknown value(s) "
                f"({', '.join(map(repr, found[:8]))}; asset_id "
                f"{format_ids(gdf.loc[unknown, c.ASSET_ID])}). Allowed: {', '.join(vocab)}. "
                "Map your categories to these in the study config.",
            )
    if c.CONDITION in gdf.columns:
        cond = gdf[c.CONDITION].astype("string").str.strip().str.upper()
        bad = cond.notna() & ~cond.isin(c.CONDITIONS)
        if bad.any():
            problems.add(
                f"column `condition` has {int(bad.sum())} value(s) outside A–D "
                f"({', '.join(sorted(map(repr, cond[bad].unique()))[:5])}; asset_id "
                f"{format_ids(gdf.loc[bad, c.ASSET_ID])}). Use the ERIC grades A, B, C, D "
                "or leave unknown empty.",
            )
        gdf[c.CONDITION] = cond.where(cond.isin(c.CONDITIONS))
    gdf = _coerce_numeric(gdf, c.ASSET_NUMERIC_NONNEGATIVE, c.ASSET_ID, problems)
    problems.raise_if_any()
    for col, default in c.ASSET_OPTIONAL_DEFAULTS.items():
        if col not in gdf.columns:
            gdf[col] = pd.Series(
                default,
                index=gdf.index,
                dtype="float64" if isinstance(default, float) else "object",
            )
    gdf[c.ASSET_ID] = gdf[c.ASSET_ID].astype(str)
    return gdf


def validate_zones(
    zones: gpd.GeoDataFrame,
    *,
    source: str = "zones",
    crs: str = c.ANALYSIS_CRS,
    repair: bool = False,
) -> gpd.GeoDataFrame:
    """Check a population-zone layer against the contract and return a clean copy.

    Parameters
    ----------
    zones
        Polygons with at least ``zone_id`` and ``population``; optional count
        columns (age bands, households, disability, health) and ``imd_decile``.
    source
        File or layer name, used in messages.
    crs
        Analysis CRS to project to.
    repair
        Repair invalid geometries (with a warning) instead of rejecting them.

    Returns
    -------
    geopandas.GeoDataFrame
        In ``crs``; count columns as float64 (NaN where unknown).

    Raises
    ------
    DataContractError
        Listing every problem: missing columns, duplicate ids, bad geometry,
        non-numeric or negative counts, IMD deciles outside 1–10.
    CrsError
        If the layer has no CRS or implausible coordinates.

    Examples
    --------
    >>> from estatesplan import demo
    >>> study = demo.generate_demo(seed=1)
    >>> int(validate_zones(study.zones)["population"].sum()) > 100_000
    True
    """
    gdf, problems = _check_layer(
        zones, what="zone", required=c.ZONE_REQUIRED, id_col=c.ZONE_ID,
        geom_types={"Polygon", "MultiPolygon"}, source=source, crs=crs, repair=repair,
    )  # fmt: skip
    gdf = _coerce_numeric(gdf, c.ZONE_COUNT_COLUMNS, c.ZONE_ID, problems, unit=" people")
    if c.IMD_DECILE in gdf.columns:
        dec = pd.to_numeric(gdf[c.IMD_DECILE], errors="coerce")
        bad = dec.notna() & ((dec < 1) | (dec > 10) | (dec != np.round(dec)))
        nonnum = dec.isna() & gdf[c.IMD_DECILE].notna()
        if bad.any() or nonnum.any():
            sel = bad | nonnum
            problems.add(
                f"column `imd_decile` has {int(sel.sum())} value(s) that are not whole "
                f"numbers 1–10 ({', '.join(map(repr, gdf.loc[sel, c.IMD_DECILE].astype(str).unique()[:5]))}; "
                f"zone_id {format_ids(gdf.loc[sel, c.ZONE_ID])}). 1 is the most deprived tenth.",
            )
        gdf[c.IMD_DECILE] = dec.where(~bad).astype("Float64")
    problems.raise_if_any()
    gdf[c.ZONE_ID] = gdf[c.ZONE_ID].astype(str)
    return gdf


def validate_neighbourhoods(
    neighbourhoods: gpd.GeoDataFrame,
    *,
    source: str = "neighbourhoods",
    crs: str = c.ANALYSIS_CRS,
    repair: bool = False,
) -> gpd.GeoDataFrame:
    """Check a neighbourhood layer against the contract and return a clean copy.

    Parameters
    ----------
    neighbourhoods
        Polygons with ``neighbourhood_id`` and ``name`` (``place`` optional).
    source
        File or layer name, used in messages.
    crs
        Analysis CRS to project to.
    repair
        Repair invalid geometries (with a warning) instead of rejecting them.

    Returns
    -------
    geopandas.GeoDataFrame
        In ``crs``, with a ``place`` column (missing when unknown).

    Raises
    ------
    DataContractError
        Listing every problem.
    CrsError
        If the layer has no CRS or implausible coordinates.
    """
    gdf, problems = _check_layer(
        neighbourhoods, what="neighbourhood", required=c.NEIGHBOURHOOD_REQUIRED,
        id_col=c.NEIGHBOURHOOD_ID, geom_types={"Polygon", "MultiPolygon"}, source=source,
        crs=crs, repair=repair,
    )  # fmt: skip
    problems.raise_if_any()
    if c.PLACE not in gdf.columns:
        gdf[c.PLACE] = None
    gdf[c.NEIGHBOURHOOD_ID] = gdf[c.NEIGHBOURHOOD_ID].astype(str)
    return gdf

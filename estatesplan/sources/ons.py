"""Loaders for ONS population-zone inputs: LSOA boundaries and Census 2021 tables.

Boundaries are read from any polygon layer GDAL can open (GeoPackage, GeoJSON,
Shapefile), keeping the file's CRS. Census 2021 topic summaries are read in the
layout of the Nomis bulk download (``census2021-ts007a-lsoa.csv`` and friends:
``date``, ``geography``, ``geography code`` and one column per category, e.g.
``Age: Aged 5 to 9 years``) and in the long layout of the ONS "create a custom
dataset" download (``Lower layer Super Output Areas Code``, one category column and
``Observation``). Categories are found by the words or numbers in their labels, not
by their position, so small differences of wording between releases do not matter.
Every table comes back indexed by ``zone_id`` with counts as float64 (NaN where the
file leaves a cell empty: unknown, never zero).
"""

from __future__ import annotations

import logging
import os
import re
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from .. import contracts as c
from .._io import check_input_file
from ..errors import (
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    MissingColumnError,
)
from ..validate import Problems, format_ids

__all__ = [
    "load_boundaries",
    "load_ts007a_age",
    "load_ts037_general_health",
    "load_ts038_disability",
    "load_ts045_car_availability",
]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

# Column-name patterns, matched case-insensitively against the whole name.
_ID_PATTERNS: Final[tuple[str, ...]] = (
    r"lsoa[ _]?21[ _]?(cd|code)",
    r"lsoa[ _]?(cd|code)([ _]?\(?2021\)?)?",
    r"lsoa[ _]?11[ _]?(cd|code)",
    r"lsoa[ _]?(cd|code)[ _]?\(?2011\)?",
    r"zone_id",
)
_NAME_PATTERNS: Final[dict[str, tuple[str, ...]]] = {
    "21": (r"lsoa[ _]?21[ _]?(nm|name)", r"lsoa[ _]?name[ _]?\(?2021\)?"),
    "11": (r"lsoa[ _]?11[ _]?(nm|name)", r"lsoa[ _]?name[ _]?\(?2011\)?"),
    "": (r"lsoa[ _]?(nm|name)", r"name"),
}
_GEOGRAPHY_CODE = re.compile(
    r"geography[ _]code|lower layer super output areas code|mnemonic"
    r"|lsoa[ _]?(21|11)?[ _]?(cd|code)( \(20[12]1\))?"
)
_CATEGORY_LABEL = re.compile(r"\(\d+ categories\)$", re.IGNORECASE)
_NOT_APPLICABLE = re.compile(r"does not apply", re.IGNORECASE)

Matcher = Callable[[str], bool]


def _norm(name: object) -> str:
    return re.sub(r"\s+", " ", str(name).strip().lower())


def _elapsed(t0: float) -> str:
    return f"{time.perf_counter() - t0:.2f} s"


# --- boundaries ----------------------------------------------------------------------


def _match_column(columns: list[str], patterns: tuple[str, ...]) -> str | None:
    for pattern in patterns:
        for col in columns:
            if re.fullmatch(pattern, col.strip(), flags=re.IGNORECASE):
                return col
    return None


def load_boundaries(
    path: PathLike,
    *,
    id_column: str | None = None,
    name_column: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read population-zone polygons, such as ONS LSOA 2021 or 2011 boundaries.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile or any polygon layer GDAL can read.
    id_column
        Column holding the zone code. When omitted it is found among the usual ONS
        names (``LSOA21CD``, ``LSOA11CD``, ``lsoa21_code``, ``LSOA code (2021)``,
        case-insensitive; 2021 codes preferred), or an existing ``zone_id``.
    name_column
        Column holding the zone name (e.g. ``LSOA21NM``). When omitted the name
        column matching the id (``LSOA21NM`` for ``LSOA21CD``) is used if present.
    layer
        Layer to read from a multi-layer file. When omitted, the only layer, or the
        only polygon layer, is read.

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_id`` (str), ``name`` (str, NaN when the file has no names), every
        other column of the file unchanged (e.g. ``MSOA21CD``, ``LAD22CD``) and the
        geometry, in the file's own CRS (the caller validates and reprojects).

    Raises
    ------
    DataSourceError
        If the file is missing, empty, unreadable, has several polygon layers and no
        ``layer`` is given, has no features, or holds no polygons.
    MissingColumnError
        If the id column cannot be found; the message lists the columns present.
    """
    t0 = time.perf_counter()
    p = check_input_file(path, what="zone boundaries")
    try:
        layers = pyogrio.list_layers(p)
    except Exception as exc:
        msg = (
            f"zone boundaries: cannot open {p} as a vector file ({exc}). "
            "Re-download or re-export it (GeoPackage or GeoJSON)."
        )
        raise DataSourceError(msg) from exc
    if layer is None and len(layers) > 1:
        polygonal = [str(n) for n, g in layers if g is None or "polygon" in str(g).lower()]
        if len(polygonal) != 1:
            names = ", ".join(str(n) for n, _ in layers)
            msg = f"zone boundaries: {p} has {len(layers)} layers ({names}); pick one: layer=..."
            raise DataSourceError(msg)
        layer = polygonal[0]
    try:
        gdf = gpd.read_file(p, layer=layer)
    except Exception as exc:
        msg = f"zone boundaries: cannot read {p}{f' layer {layer!r}' if layer else ''} ({exc})."
        raise DataSourceError(msg) from exc
    if len(gdf) == 0:
        msg = f"zone boundaries: {p} has no features. Check the file and layer that were exported."
        raise DataSourceError(msg)
    types = set(gdf.geometry.dropna().geom_type)
    if not types & {"Polygon", "MultiPolygon"}:
        msg = (
            f"zone boundaries: {p} holds no polygons (geometry types: "
            f"{', '.join(sorted(types)) or 'none'}). "
            "Zones must be areas such as LSOA boundaries."
        )
        raise DataSourceError(msg)

    columns = [str(col) for col in gdf.columns if col != gdf.geometry.name]
    id_col = id_column if id_column is not None else _match_column(columns, _ID_PATTERNS)
    if id_col is None or id_col not in gdf.columns:
        what = f"column {id_column!r} not found" if id_column else "no zone id column found"
        msg = (
            f"zone boundaries: {what} in {p} (columns present: {', '.join(columns)}). "
            "Pass id_column=... naming the column that holds the zone codes (e.g. LSOA21CD)."
        )
        raise MissingColumnError(msg)
    if name_column is not None and name_column not in gdf.columns:
        msg = (
            f"zone boundaries: name column {name_column!r} not found in {p} "
            f"(columns present: {', '.join(columns)})."
        )
        raise MissingColumnError(msg)
    if name_column is None:
        vintage = "21" if "21" in id_col else "11" if "11" in id_col else ""
        pats = _NAME_PATTERNS.get(vintage, ()) + _NAME_PATTERNS[""]
        name_column = _match_column([col for col in columns if col != id_col], pats)

    ids = gdf[id_col].astype("string").str.strip()
    blank = ids.isna() | (ids == "")
    if blank.any():
        rows = [int(i) + 1 for i in np.flatnonzero(blank.to_numpy())]
        msg = (
            f"zone boundaries: {p} column {id_col!r} is empty on {len(rows)} feature(s) "
            f"(features {format_ids(rows)}); every zone needs a code."
        )
        raise MissingColumnError(msg)
    zone_names = (
        gdf[name_column].astype("string") if name_column else pd.Series(np.nan, index=gdf.index)
    )
    keep = [col for col in gdf.columns if col not in {id_col, name_column, c.ZONE_ID, c.ZONE_NAME}]
    out = gdf[keep].copy()
    out.insert(0, c.ZONE_NAME, zone_names.to_numpy(dtype=object, na_value=np.nan))
    out.insert(0, c.ZONE_ID, ids.to_numpy(dtype=object))
    out = gpd.GeoDataFrame(out, geometry=gdf.geometry.name, crs=gdf.crs)
    logger.info(
        "read %d zone boundaries from %s (id %s) in %s", len(out), p.name, id_col, _elapsed(t0)
    )
    return out


# --- Census tables: one shared reader for the Nomis and ONS layouts --------------------


def _read_csv(path: Path, *, what: str) -> pd.DataFrame:
    """Read a CSV as text (every column str), with readable errors."""
    if path.suffix.lower() in {".xlsx", ".xls", ".ods"}:
        msg = f"{what}: {path} is a spreadsheet; save the sheet as CSV (UTF-8) and load that."
        raise DataSourceError(msg)
    try:
        try:
            df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", skipinitialspace=True)
        except UnicodeDecodeError:
            df = pd.read_csv(path, dtype=str, encoding="latin-1", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        msg = f"{what}: cannot read {path} as CSV ({exc}). Re-download it."
        raise DataSourceError(msg) from exc
    if df.empty:
        msg = f"{what}: {path} has a header but no data rows. Re-download it."
        raise DataSourceError(msg)
    df.columns = [str(col).strip() for col in df.columns]
    return df


def _read_census(path: PathLike, *, what: str) -> tuple[pd.DataFrame, Path]:
    """Read a Census table into a wide text frame indexed by ``zone_id``.

    The Nomis bulk layout is already wide. The ONS custom-download layout (one row
    per zone and category, counts in ``Observation``) is pivoted to one column per
    category label; "Does not apply" categories are dropped.
    """
    p = check_input_file(path, what=what)
    df = _read_csv(p, what=what)
    by_norm = {_norm(col): col for col in df.columns}
    code_col = next((col for n, col in by_norm.items() if _GEOGRAPHY_CODE.fullmatch(n)), None)
    if code_col is None:
        msg = (
            f"{what}: no geography code column in {p} (columns present: "
            f"{', '.join(df.columns[:12])}). Expected the Nomis bulk layout ('geography code') "
            "or the ONS custom-download layout ('Lower layer Super Output Areas Code')."
        )
        raise MissingColumnError(msg)
    codes = df[code_col].astype("string").str.strip()
    blank = codes.isna() | (codes == "")
    if blank.any():
        rows = [int(i) + 2 for i in np.flatnonzero(blank.to_numpy())]
        msg = f"{what}: {p} column {code_col!r} is empty on file line(s) {format_ids(rows)}."
        raise MissingColumnError(msg)
    df = df.assign(**{code_col: codes})

    labels = [col for col in df.columns if _CATEGORY_LABEL.search(col)]
    long = "observation" in by_norm and bool(labels)
    if long and len(labels) > 1:
        msg = (
            f"{what}: {p} is a custom dataset with several variables ({', '.join(labels)}); "
            "download one variable per file."
        )
        raise DataSourceError(msg)
    if long:
        df = df[~df[labels[0]].astype("string").str.contains(_NOT_APPLICABLE, na=False)]
    dup = df.duplicated([code_col, *labels[:1]] if long else [code_col], keep=False)
    if dup.any():
        msg = (
            f"{what}: {p} repeats {df.loc[dup, code_col].nunique()} zone code(s) in {code_col!r}: "
            f"{format_ids(sorted(df.loc[dup, code_col].unique()))}. Each zone must appear once"
            f"{' per category' if long else ''}; check that the file is the LSOA-level table."
        )
        raise DuplicateIdError(msg)
    if long:
        wide = df.pivot(index=code_col, columns=labels[0], values=by_norm["observation"])
        wide.columns = pd.Index([str(col) for col in wide.columns])
    else:
        wide = df.set_index(code_col)
    wide.index = pd.Index(wide.index.astype(str), name=c.ZONE_ID)
    return wide, p


def _pick_columns(
    table: pd.DataFrame, spec: Mapping[str, Matcher], *, source: str
) -> dict[str, str]:
    """Find the one header each matcher accepts (``total`` is optional); report all misses."""
    found: dict[str, str] = {}
    problems = Problems(source)
    missing: list[str] = []
    for out, matches in spec.items():
        hits = [col for col in table.columns if matches(_norm(col))]
        if len(hits) == 1:
            found[out] = hits[0]
        elif len(hits) > 1:
            problems.add(f"several columns could hold `{out}`: {', '.join(map(repr, hits))}.")
        elif out != "total":
            missing.append(f"`{out}`")
    if missing:
        problems.add(
            f"no column found for {', '.join(missing)} (columns present: "
            f"{', '.join(map(repr, table.columns))}). Check that this is the right table.",
            MissingColumnError,
        )
    problems.raise_if_any()
    return found


def _to_counts(table: pd.DataFrame, columns: Mapping[str, str], *, source: str) -> pd.DataFrame:
    """Coerce the chosen columns to float64 counts, rejecting text and negative numbers."""
    problems = Problems(source)
    out: dict[str, np.ndarray] = {}
    for name, header in columns.items():
        raw = table[header].astype("string").str.strip()
        raw = raw.str.replace(r"(?<=\d),(?=\d{3}(?:\D|$))", "", regex=True)
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() & raw.notna() & (raw != "")
        if bad.any():
            examples = ", ".join(repr(v) for v in raw[bad].unique()[:3])
            problems.add(
                f"column {header!r} has {int(bad.sum())} non-numeric value(s) ({examples}; zone_id "
                f"{format_ids(table.index[bad.to_numpy()])}). Counts must be plain numbers; leave "
                "unknown counts empty."
            )
        neg = num < 0
        if neg.any():
            problems.add(
                f"column {header!r} has {int(neg.sum())} negative count(s) (zone_id "
                f"{format_ids(table.index[neg.to_numpy()])}); counts of people or households "
                "are ≥ 0."
            )
        out[name] = num.astype("float64").to_numpy()
    problems.raise_if_any()
    return pd.DataFrame(out, index=table.index)


def _check_total(counts: pd.DataFrame, parts: list[str], *, source: str, strict: bool) -> None:
    """Check that ``parts`` sum to the first column on every row where all are known."""
    total = str(counts.columns[0])
    known = counts[[total, *parts]].notna().all(axis=1)
    unknown = int((~known).sum())
    if unknown:
        warnings.warn(
            f"{source}: {unknown} zone(s) have empty counts (zone_id "
            f"{format_ids(counts.index[~known.to_numpy()])}); they stay unknown (NaN).",
            DataQualityWarning,
            stacklevel=3,
        )
    diff = (counts[parts].sum(axis=1) - counts[total]).where(known, 0.0)
    off = diff.abs() > 1e-9
    if not off.any():
        return
    msg = (
        f"{source}: the categories do not add up to `{total}` on {int(off.sum())} row(s) "
        f"(zone_id {format_ids(counts.index[off.to_numpy()])}; first difference "
        f"{diff[off].iloc[0]:+.0f}). Check that the file was not edited or truncated."
    )
    if strict:
        raise DataContractError(msg)
    warnings.warn(msg, DataQualityWarning, stacklevel=3)


def _match(pattern: str, *, without: tuple[str, ...] = ()) -> Matcher:
    """A matcher: the header contains ``pattern`` (a regex) and none of ``without``."""
    rx = re.compile(pattern)
    return lambda header: bool(rx.search(header)) and not any(w in header for w in without)


def _load_census(path: PathLike, *, what: str, spec: Mapping[str, Matcher]) -> pd.DataFrame:
    """Shared body of the table loaders: read, pick, coerce, check or derive ``total``."""
    table, p = _read_census(path, what=what)
    source = f"{what} ({p})"
    counts = _to_counts(table, _pick_columns(table, spec, source=source), source=source)
    parts = [k for k in spec if k != "total"]
    if "total" in counts:
        _check_total(counts[["total", *parts]], parts, source=source, strict=False)
    else:
        logger.debug("%s: no total column; total taken as the sum of the categories", source)
        counts["total"] = counts[parts].sum(axis=1, min_count=len(parts))
    return counts


# --- TS007A: age --------------------------------------------------------------------------


def _band_of(label: str) -> tuple[int, float] | None:
    """Parse an age label into (lowest, highest) years; the highest is inf for "and over"."""
    text = label.split(":")[-1]
    nums = [int(n) for n in re.findall(r"\d+", text)]
    if len(nums) == 2 and nums[0] <= nums[1]:
        return nums[0], float(nums[1])
    if len(nums) != 1:
        return None
    n = nums[0]
    if re.search(r"(and|or) (under|younger|less)", text):
        return 0, float(n)
    if re.search(r"\bunder\b|less than|below|younger than", text):
        return 0, float(n - 1)
    if re.search(r"(and|or) (over|above|older)|plus|\+", text):
        return n, float("inf")
    return n, float(n)


def _target_bands() -> dict[str, tuple[int, float]]:
    bands: dict[str, tuple[int, float]] = {}
    for band in c.AGE_BANDS:
        lo, hi = band.removeprefix("age_").split("_")
        bands[band] = (int(lo), float("inf") if hi == "plus" else float(hi))
    return bands


def load_ts007a_age(path: PathLike) -> pd.DataFrame:
    """Read Census 2021 TS007A, usual residents by five-year age band, per zone.

    Parameters
    ----------
    path
        CSV in the Nomis bulk layout (``geography code``, ``Age: Total``, ``Age: Aged
        4 years and under`` … ``Age: Aged 85 years and over``) or the ONS custom-download
        layout. Bands are matched by the numbers in their labels, so finer bands (e.g.
        single years of age from TS007) are summed into the five-year bands.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zone_id``; ``population`` and the 18 ``contracts.AGE_BANDS``
        (``age_0_4`` … ``age_85_plus``), persons as float64, NaN where the file is empty.
        ``population`` is ``Age: Total``, or the sum of the bands when the file has no
        total.

    Raises
    ------
    DataSourceError
        If the file is missing, empty or not a readable CSV.
    MissingColumnError
        If a band cannot be found or built from the file's bands.
    DataContractError
        On non-numeric or negative counts, repeated zones, or when the bands do not
        add up to the total on some rows (all such rows are listed).
    """
    t0 = time.perf_counter()
    what = "Census TS007A age table"
    table, p = _read_census(path, what=what)
    totals = [col for col in table.columns if "total" in _norm(col)]
    sources = {
        col: band for col in table.columns if (band := _band_of(_norm(col))) and col not in totals
    }
    targets = _target_bands()
    source = f"{what} ({p})"
    problems = Problems(source)
    chosen: dict[str, list[str]] = {}
    missing: list[str] = []
    for name, (lo, hi) in targets.items():
        exact = [col for col, band in sources.items() if band == (lo, hi)]
        inside = [col for col, (a, b) in sources.items() if a >= lo and b <= hi]
        if len(exact) == 1:
            chosen[name] = exact
        elif inside:
            chosen[name] = inside
        else:
            ages = f"{lo} to {hi:.0f}" if hi < np.inf else f"{lo} and over"
            missing.append(f"ages {ages} (`{name}`)")
    present = ", ".join(map(repr, table.columns))
    if missing:
        problems.add(
            f"no column for {', '.join(missing)} (columns present: {present}). Use the TS007A "
            "table (five-year age bands) or TS007 (single years).",
            MissingColumnError,
        )
    straddling = [
        col
        for col, (a, b) in sources.items()
        if not any(a >= lo and b <= hi for lo, hi in targets.values())
    ]
    if straddling:
        problems.add(
            f"age band(s) {', '.join(map(repr, straddling))} do not fit within the five-year "
            "bands of TS007A; broad bands cannot be split."
        )
    if len(totals) > 1:
        problems.add(f"several total columns: {', '.join(map(repr, totals))}.")
    problems.raise_if_any()

    used = sorted({col for cols in chosen.values() for col in cols}, key=list(table.columns).index)
    raw = _to_counts(table, {col: col for col in [*used, *totals]}, source=source)
    out = pd.DataFrame({k: raw[v].sum(axis=1, min_count=len(v)) for k, v in chosen.items()})
    bands = list(c.AGE_BANDS)
    total = raw[totals[0]] if totals else out[bands].sum(axis=1, min_count=len(bands))
    out.insert(0, c.POPULATION, total)
    if totals:
        _check_total(out, bands, source=source, strict=True)
    n = out[c.POPULATION].sum()
    logger.info("read %s: %d zones, %.0f residents in %s", what, len(out), n, _elapsed(t0))
    return out


# --- TS037, TS038, TS045 ---------------------------------------------------------------------


def load_ts037_general_health(path: PathLike) -> pd.DataFrame:
    """Read Census 2021 TS037, usual residents by self-reported general health, per zone.

    Parameters
    ----------
    path
        CSV in the Nomis bulk layout (``geography code``, ``General health: Very good
        health`` …) or the ONS custom-download layout.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zone_id``; ``health_very_good``, ``health_good``, ``health_fair``,
        ``health_bad``, ``health_very_bad``: persons as float64, NaN where empty.

    Raises
    ------
    DataSourceError
        If the file is missing, empty or unreadable.
    DataContractError
        If a category is missing (:class:`MissingColumnError`), a count is non-numeric
        or negative, or a zone repeats. Categories that do not add up to the total only
        give a :class:`DataQualityWarning`.
    """
    t0 = time.perf_counter()
    what = "Census TS037 general health table"
    spec: dict[str, Matcher] = {
        "total": _match("total"),
        c.HEALTH_VERY_GOOD: _match("very good"),
        c.HEALTH_GOOD: _match("good", without=("very", "total")),
        c.HEALTH_FAIR: _match("fair"),
        c.HEALTH_BAD: _match("bad", without=("very", "total")),
        c.HEALTH_VERY_BAD: _match("very bad"),
    }
    out = _load_census(path, what=what, spec=spec).drop(columns="total")
    logger.info("read %s: %d zones in %s", what, len(out), _elapsed(t0))
    return out


def load_ts038_disability(path: PathLike) -> pd.DataFrame:
    """Read Census 2021 TS038, disability and long-term health conditions, per zone.

    Parameters
    ----------
    path
        CSV in the Nomis bulk layout (``geography code``, ``Disability: Disabled under
        the Equality Act: Day-to-day activities limited a lot`` …) or the ONS
        custom-download layout.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zone_id``; persons as float64 (NaN where empty):
        ``disabled_limited_lot``, ``disabled_limited_little``, ``ltc_not_limited``
        (long-term condition, activities not limited) and ``disability_or_ltc`` (the
        three summed; NaN if any of them is unknown).

    Raises
    ------
    DataSourceError
        If the file is missing, empty or unreadable.
    DataContractError
        If a category is missing (:class:`MissingColumnError`), a count is non-numeric
        or negative, or a zone repeats. Categories that do not add up to the total only
        give a :class:`DataQualityWarning`.
    """
    t0 = time.perf_counter()
    what = "Census TS038 disability table"
    long_term = r"long[ -]term"
    spec: dict[str, Matcher] = {
        "total": _match("total"),
        c.DISABLED_LIMITED_LOT: _match("limited a lot"),
        c.DISABLED_LIMITED_LITTLE: _match("limited a little"),
        c.LTC_NOT_LIMITED: _match(rf"{long_term}.*not limited"),
        "no_ltc": _match(rf"\bno {long_term}"),
    }
    counts = _load_census(path, what=what, spec=spec)
    three = [c.DISABLED_LIMITED_LOT, c.DISABLED_LIMITED_LITTLE, c.LTC_NOT_LIMITED]
    out = counts[three].copy()
    out[c.DISABILITY_OR_LTC] = out[three].sum(axis=1, min_count=3)
    logger.info("read %s: %d zones in %s", what, len(out), _elapsed(t0))
    return out


def load_ts045_car_availability(path: PathLike) -> pd.DataFrame:
    """Read Census 2021 TS045, households by number of cars or vans, per zone.

    Parameters
    ----------
    path
        CSV in the Nomis bulk layout (``geography code``, ``Number of cars or vans:
        Total: All households``, ``Number of cars or vans: No cars or vans in
        household``, ``... 1 car or van ...``, ``... 2 cars or vans ...``, ``... 3 or
        more cars or vans ...``) or the ONS custom-download layout.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zone_id``; ``households`` (all households) and
        ``households_no_car``, households as float64 (NaN where empty).

    Raises
    ------
    DataSourceError
        If the file is missing, empty or unreadable.
    DataContractError
        If a category is missing (:class:`MissingColumnError`), a count is non-numeric
        or negative, or a zone repeats. Categories that do not add up to the total only
        give a :class:`DataQualityWarning`.
    """
    t0 = time.perf_counter()
    what = "Census TS045 car or van availability table"
    spec: dict[str, Matcher] = {
        "total": _match("total"),
        c.HOUSEHOLDS_NO_CAR: _match(r"\bno cars?\b"),
        "one": _match(r"\b1 car"),
        "two": _match(r"\b2 cars"),
        "three_plus": _match(r"\b3 or more"),
    }
    counts = _load_census(path, what=what, spec=spec)
    out = counts[["total", c.HOUSEHOLDS_NO_CAR]].rename(columns={"total": c.HOUSEHOLDS})
    n = out[c.HOUSEHOLDS].sum()
    logger.info("read %s: %d zones, %.0f households in %s", what, len(out), n, _elapsed(t0))
    return out

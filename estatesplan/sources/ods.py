"""NHS ODS GP practices (``epraccur``) and OS Code-Point Open postcode points.

Both loaders read the layout the publisher releases (headerless CSV) and the
headered, already geocoded variants found in open-data packs, so a planner can drop
in the files for any English area.

``epraccur`` (NHS England Organisation Data Service, "GP and GP practice related
data") is a headerless CSV of 27 fields; the names below are those of the ODS
documentation, as used by the public code that reads the file::

    0 Organisation Code   1 Name   2 National Grouping   3 High Level Health Geography
    4-8 Address Line 1..5   9 Postcode   10 Open Date   11 Close Date   12 Status Code
    13 Organisation Sub-Type Code   14 Commissioner   15 Join Provider/Purchaser Date
    16 Left Provider/Purchaser Date   17 Contact Telephone Number   18-20 Null
    21 Amended Record Indicator   22 Null   23 Provider/Purchaser   24 Null
    25 Prescribing Setting   26 Null

Status Code ``A`` is active (``C`` closed, ``D`` dormant, ``P`` proposed);
Prescribing Setting ``4`` is a GP practice.

Code-Point Open (Ordnance Survey) is a headerless CSV per postcode area (the zip's
``Data/CSV/`` folder) with: Postcode, Positional_quality_indicator, Eastings, Northings,
Country_code, NHS_regional_HA_code, NHS_HA_code, Admin_county_code,
Admin_district_code, Admin_ward_code. Positional quality 90 means "no coordinates".
"""

from __future__ import annotations

import csv
import logging
import os
import re
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import contracts as c
from .._io import check_input_file
from ..assets import finalise_layer
from ..errors import DataQualityWarning, DataSourceError, DuplicateIdError, MissingColumnError
from ..validate import format_ids

__all__ = ["EPRACCUR_COLUMNS", "load_codepoint_open", "load_epraccur", "normalise_postcode"]

logger = logging.getLogger(__name__)

EPRACCUR_COLUMNS: Final[tuple[str, ...]] = (
    "org_code",
    "name",
    "national_grouping",
    "high_level_health_geography",
    "address_1",
    "address_2",
    "address_3",
    "address_4",
    "address_5",
    "postcode",
    "open_date",
    "close_date",
    "status_code",
    "org_sub_type_code",
    "commissioner",
    "join_parent_date",
    "left_parent_date",
    "contact_telephone",
    "null_1",
    "null_2",
    "null_3",
    "amended_record_indicator",
    "null_4",
    "provider_purchaser",
    "null_5",
    "prescribing_setting",
    "null_6",
)
"""The 27 fields of the published headerless ``epraccur.csv``, in order (snake case)."""

CODEPOINT_COLUMNS: Final[tuple[str, ...]] = (
    "postcode",
    "positional_quality",
    "easting",
    "northing",
    "country_code",
    "nhs_regional_ha_code",
    "nhs_ha_code",
    "admin_county_code",
    "admin_district_code",
    "admin_ward_code",
)
"""The 10 fields of the published headerless Code-Point Open CSVs, in order."""

ADMIN_DISTRICT_CODE: Final = "admin_district_code"
ADMIN_WARD_CODE: Final = "admin_ward_code"
POSITIONAL_QUALITY: Final = "positional_quality"
_PQI_NO_COORDINATES: Final = 90

# normalised heading -> canonical name, for headered variants
_EPRACCUR_ALIASES: Final[dict[str, str]] = {
    "organisation_code": "org_code",
    "org_code": "org_code",
    "code": "org_code",
    "practice_code": "org_code",
    "name": "name",
    "practice_name": "name",
    "postcode": "postcode",
    "post_code": "postcode",
    "status_code": "status_code",
    "status": "status_code",
    "commissioner": "commissioner",
    "prescribing_setting": "prescribing_setting",
    "setting": "prescribing_setting",
    "easting": "easting",
    "eastings": "easting",
    "northing": "northing",
    "northings": "northing",
    "admin_district_code": ADMIN_DISTRICT_CODE,
    "admin_ward_code": ADMIN_WARD_CODE,
    "positional_quality": POSITIONAL_QUALITY,
}
_CODEPOINT_ALIASES: Final[dict[str, str]] = {
    "postcode": "postcode",
    "pc": "postcode",
    "positional_quality": POSITIONAL_QUALITY,
    "positional_quality_indicator": POSITIONAL_QUALITY,
    "pq": POSITIONAL_QUALITY,
    "easting": "easting",
    "eastings": "easting",
    "ea": "easting",
    "northing": "northing",
    "northings": "northing",
    "no": "northing",
    "admin_district_code": ADMIN_DISTRICT_CODE,
    "dc": ADMIN_DISTRICT_CODE,
    "admin_ward_code": ADMIN_WARD_CODE,
    "wc": ADMIN_WARD_CODE,
}
_EPRACCUR_SOURCE: Final = "ods_epraccur"
_GP_PRESCRIBING_SETTING: Final = 4


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Normalise UK postcodes: upper case, one space before the inward code.

    Parameters
    ----------
    values
        Postcodes as written in any file ("nw12ab", "NW1  2AB", " NW1 2AB ").

    Returns
    -------
    pandas.Series
        Strings such as ``"NW1 2AB"``; missing or blank values are missing.

    Examples
    --------
    >>> normalise_postcode(pd.Series(["nw12ab", "N1  9AA", None])).tolist()
    ['NW1 2AB', 'N1 9AA', None]
    """
    s = values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    s = s.where(s.str.len() >= 5)
    out = s.str[:-3] + " " + s.str[-3:]
    return pd.Series(out.astype(object).where(out.notna(), None), index=values.index)


def _norm_heading(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def _first_row(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        for row in csv.reader(fh):
            if any(cell.strip() for cell in row):
                return row
    return []


def _read_text_csv(path: Path, *, names: tuple[str, ...] | None, what: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(
            path,
            header=None if names is not None else "infer",
            names=list(names) if names is not None else None,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            encoding_errors="replace",
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = f"{what}: cannot read {path} as CSV ({exc}). Check that it is the CSV the publisher releases."
        raise DataSourceError(msg) from exc
    if df.empty:
        msg = f"{what}: {path} has no data rows."
        raise DataSourceError(msg)
    stripped: pd.DataFrame = df.apply(lambda s: s.str.strip()).replace("", np.nan)
    return stripped


def _rename_headered(df: pd.DataFrame, aliases: Mapping[str, str]) -> pd.DataFrame:
    renames: dict[str, str] = {}
    for col in df.columns:
        canon = aliases.get(_norm_heading(str(col)))
        if canon is not None and canon not in renames.values():
            renames[col] = canon
    return df.rename(columns=renames)


def _read_codepoint_file(path: Path) -> pd.DataFrame:
    what = "Code-Point Open postcodes"
    first = _first_row(path)
    headered = bool(first) and _CODEPOINT_ALIASES.get(_norm_heading(first[0])) == "postcode"
    if headered:
        df = _rename_headered(_read_text_csv(path, names=None, what=what), _CODEPOINT_ALIASES)
    else:
        if len(first) != len(CODEPOINT_COLUMNS):
            msg = (
                f"{what}: {path} has no header and {len(first)} fields per row; the published "
                f"layout has {len(CODEPOINT_COLUMNS)} ({', '.join(CODEPOINT_COLUMNS)}). "
                "Use the CSVs from the Code-Point Open zip (Data/CSV/) or a file with a header row."
            )
            raise DataSourceError(msg)
        df = _read_text_csv(path, names=CODEPOINT_COLUMNS, what=what)
    missing = [col for col in ("postcode", "easting", "northing") if col not in df.columns]
    if missing:
        msg = (
            f"{what}: {path} lacks column(s) {', '.join(missing)} "
            f"(columns present: {', '.join(map(str, df.columns[:15]))})."
        )
        raise MissingColumnError(msg)
    return df


def load_codepoint_open(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Read OS Code-Point Open postcode unit points.

    Parameters
    ----------
    path
        A Code-Point Open CSV in the published headerless layout, a folder of such
        per-area CSVs (the zip's ``Data/CSV/``), or a headered CSV with columns such as
        ``postcode, positional_quality, easting, northing, ..., admin_district_code``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per postcode, default RangeIndex, EPSG:27700 points, with columns
        ``postcode`` (upper case, one space before the inward code),
        ``positional_quality`` (Code-Point PQI, 10 best … 60 estimated; nullable
        integer), ``admin_district_code`` and ``admin_ward_code`` (missing when the
        file has none). Postcodes with PQI 90 (no coordinates) are dropped.

    Raises
    ------
    DataSourceError
        If the path is missing or empty, a folder with no CSV, or not in either layout.
    MissingColumnError
        If a headered file lacks postcode or coordinate columns.
    """
    t0 = time.perf_counter()
    p = Path(path)
    what = "Code-Point Open postcodes"
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() == ".csv" and f.stat().st_size)
        if not files:
            msg = f"{what}: folder {p} holds no non-empty .csv files (expected Data/CSV/*.csv)."
            raise DataSourceError(msg)
        df = pd.concat([_read_codepoint_file(f) for f in files], ignore_index=True)
    else:
        df = _read_codepoint_file(check_input_file(p, what=what))
    pqi = (
        pd.to_numeric(df[POSITIONAL_QUALITY], errors="coerce")
        if POSITIONAL_QUALITY in df
        else pd.Series(np.nan, index=df.index)
    )
    east = pd.to_numeric(df["easting"], errors="coerce")
    north = pd.to_numeric(df["northing"], errors="coerce")
    keep = ~(pqi == _PQI_NO_COORDINATES) & east.notna() & north.notna()
    keep &= ~((east == 0) & (north == 0))
    out = pd.DataFrame(
        {
            c.POSTCODE: normalise_postcode(df["postcode"]),
            POSITIONAL_QUALITY: pqi.round().astype("Int64"),
            ADMIN_DISTRICT_CODE: df.get(ADMIN_DISTRICT_CODE),
            ADMIN_WARD_CODE: df.get(ADMIN_WARD_CODE),
        }
    )
    out = out.loc[keep & out[c.POSTCODE].notna()]
    dup = out[c.POSTCODE].duplicated()
    if dup.any():
        warnings.warn(
            f"{what}: {p}: {int(dup.sum())} repeated postcode(s) "
            f"({format_ids(out.loc[dup, c.POSTCODE])}); the first of each is kept.",
            DataQualityWarning,
            stacklevel=2,
        )
        out = out.loc[~dup]
    gdf = gpd.GeoDataFrame(
        out.reset_index(drop=True),
        geometry=gpd.points_from_xy(east[out.index], north[out.index]),
        crs=c.ANALYSIS_CRS,
    )
    logger.info(
        "Code-Point Open %s: %d postcodes with coordinates (%d dropped) in %.2fs",
        p.name,
        len(gdf),
        len(df) - len(gdf),
        time.perf_counter() - t0,
    )
    return gdf


def _read_epraccur(path: Path) -> pd.DataFrame:
    what = "ODS epraccur"
    first = _first_row(path)
    headered = bool(first) and _EPRACCUR_ALIASES.get(_norm_heading(first[0])) == "org_code"
    if headered:
        df = _rename_headered(_read_text_csv(path, names=None, what=what), _EPRACCUR_ALIASES)
    else:
        if len(first) != len(EPRACCUR_COLUMNS):
            msg = (
                f"{what}: {path} has no header and {len(first)} fields per row; the published "
                f"epraccur layout has {len(EPRACCUR_COLUMNS)}. Use the epraccur.csv from the ODS "
                "GP data download, or a file with a header row naming org_code, name, postcode, "
                "status_code and prescribing_setting."
            )
            raise DataSourceError(msg)
        df = _read_text_csv(path, names=EPRACCUR_COLUMNS, what=what)
    missing = [
        col
        for col in ("org_code", "name", "postcode", "status_code", "prescribing_setting")
        if col not in df.columns
    ]
    if missing:
        msg = (
            f"{what}: {path} lacks column(s) {', '.join(missing)} "
            f"(columns present: {', '.join(map(str, df.columns[:20]))}). Rename them or use "
            "the published layout."
        )
        raise MissingColumnError(msg)
    return df


def load_epraccur(
    path: str | os.PathLike[str],
    *,
    postcodes: gpd.GeoDataFrame | None = None,
    active_only: bool = True,
    gp_practices_only: bool = True,
) -> gpd.GeoDataFrame:
    """Read NHS ODS ``epraccur`` GP practices as an asset layer.

    Parameters
    ----------
    path
        ``epraccur.csv`` in the published headerless 27-field layout, or a headered
        (possibly geocoded) variant with ``org_code, name, postcode, status_code,
        commissioner, prescribing_setting`` and optionally ``easting, northing``
        (EPSG:27700 metres) and ``admin_district_code``.
    postcodes
        Postcode points from :func:`load_codepoint_open`, used to locate practices
        without easting/northing (matched on the normalised postcode).
    active_only
        Keep only records with Status Code ``A`` (active).
    gp_practices_only
        Keep only Prescribing Setting 4 (GP practice).

    Returns
    -------
    geopandas.GeoDataFrame
        Asset layer in EPSG:27700, validated: ``asset_id`` ``"ODS-<code>"``,
        ``asset_type`` gp_practice (or ``other`` for other prescribing settings when
        ``gp_practices_only`` is False), ``owner_type`` icb_primary_care, ``owner`` the
        commissioner (sub-ICB) code, ``ods_code``, ``postcode``, ``source``
        ``"ods_epraccur"``, ``source_ref`` the org code, plus ``status_code``,
        ``prescribing_setting`` and ``admin_district_code`` (from the file, else from
        ``postcodes``; missing when unknown). Floor area, costs and energy are not in
        epraccur and stay NaN.

    Raises
    ------
    DataSourceError
        If the file is missing, empty or in neither layout.
    MissingColumnError
        If a headered file lacks a needed column.
    DuplicateIdError
        If an organisation code appears twice after filtering.

    Warns
    -----
    DataQualityWarning
        Listing the organisation codes that cannot be located (no easting/northing and
        a postcode not found in ``postcodes``); they are dropped.
    """
    t0 = time.perf_counter()
    p = check_input_file(path, what="ODS epraccur")
    raw = _read_epraccur(p)
    n_raw = len(raw)
    df = raw.copy()
    df["org_code"] = df["org_code"].str.upper()
    setting = pd.to_numeric(df["prescribing_setting"], errors="coerce").astype("Int64")
    df["prescribing_setting"] = setting
    if active_only:
        df = df.loc[df["status_code"].str.upper().eq("A").fillna(False)]
    if gp_practices_only:
        df = df.loc[df["prescribing_setting"].eq(_GP_PRESCRIBING_SETTING).fillna(False)]
    dup = df["org_code"].duplicated(keep=False) & df["org_code"].notna()
    if dup.any():
        msg = (
            f"ODS epraccur: {p}: organisation code(s) repeated: "
            f"{format_ids(sorted(df.loc[dup, 'org_code'].unique()))}. Each practice must appear once."
        )
        raise DuplicateIdError(msg)
    df[c.POSTCODE] = normalise_postcode(df["postcode"])
    x, y = (
        pd.to_numeric(df[col], errors="coerce").astype(float)
        if col in df
        else pd.Series(np.nan, index=df.index)
        for col in ("easting", "northing")
    )
    if ADMIN_DISTRICT_CODE not in df:
        df[ADMIN_DISTRICT_CODE] = None
    if postcodes is not None and len(df):
        lookup = postcodes.drop_duplicates(c.POSTCODE).set_index(c.POSTCODE)
        lookup = lookup.to_crs(c.ANALYSIS_CRS) if lookup.crs is not None else lookup
        need = x.isna() | y.isna()
        found = df[c.POSTCODE].map(lambda pc: pc if pc in lookup.index else None)
        use = need & found.notna()
        if use.any():
            pts = lookup.geometry.loc[found[use].to_numpy()]
            x[use] = pts.x.to_numpy()
            y[use] = pts.y.to_numpy()
        if ADMIN_DISTRICT_CODE in lookup.columns:
            fill = df[ADMIN_DISTRICT_CODE].isna() & found.notna()
            df.loc[fill, ADMIN_DISTRICT_CODE] = (
                lookup[ADMIN_DISTRICT_CODE].reindex(found[fill].to_numpy()).to_numpy()
            )
    lost = x.isna() | y.isna()
    if lost.any():
        how = (
            "postcode not found in `postcodes`" if postcodes is not None else "no `postcodes` given"
        )
        warnings.warn(
            f"ODS epraccur: {p}: {int(lost.sum())} practice(s) cannot be located (no "
            f"easting/northing; {how}) and are dropped: org code "
            f"{format_ids(df.loc[lost, 'org_code'])}. Pass Code-Point Open postcodes to place them.",
            DataQualityWarning,
            stacklevel=2,
        )
    df, x, y = df.loc[~lost], x[~lost], y[~lost]
    is_gp = df["prescribing_setting"].eq(_GP_PRESCRIBING_SETTING).fillna(False)
    out = gpd.GeoDataFrame(
        {
            c.ASSET_ID: "ODS-" + df["org_code"],
            c.NAME: df["name"],
            c.OWNER: df.get("commissioner"),
            c.OWNER_TYPE: "icb_primary_care",
            c.ASSET_TYPE: np.where(is_gp, "gp_practice", "other"),
            c.SOURCE: _EPRACCUR_SOURCE,
            c.SOURCE_REF: df["org_code"],
            c.ODS_CODE: df["org_code"],
            c.POSTCODE: df[c.POSTCODE],
            "status_code": df["status_code"],
            "prescribing_setting": df["prescribing_setting"],
            ADMIN_DISTRICT_CODE: df[ADMIN_DISTRICT_CODE],
        },
        geometry=gpd.points_from_xy(x, y),
        crs=c.ANALYSIS_CRS,
    ).reset_index(drop=True)
    out = finalise_layer(out, source=str(p))
    logger.info(
        "ODS epraccur %s: %d practices kept of %d records (%d unlocated) in %.2fs",
        p.name,
        len(out),
        n_raw,
        int(lost.sum()),
        time.perf_counter() - t0,
    )
    return out

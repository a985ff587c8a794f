"""NHS Estates Returns Information Collection (ERIC): trust-level and site-level returns.

ERIC is published each year by NHS England Digital as CSVs whose headings change from
year to year ("Gross internal site floor area (m²)" in 2013-14 and 2014-15, "Gross
internal floor area (m²)" later; "Electricity consumed - utility (kWh)" then
"Electricity consumed (kWh)"; a "£" that some copies mangle). Headings are therefore
matched on normalised text (lower case, units kept, punctuation dropped) through an
alias table, and values such as ``-``, ``n/a``, ``Not Applicable`` or ``No Data
Provided`` are read as unknown (NaN), never as zero.

Trust-level figures are totals over all of a trust's sites. They are NOT spread over
sites here: dividing a trust's floor area or energy between buildings would invent
data. Only the site-level return (:func:`load_eric_sites`) attaches figures to
buildings (:func:`attach_eric_sites`).

Site-level headings used (as in public code that reads NHS Digital's site files for
2019/20 and 2023/24): Trust Code, Trust Name, Trust Type, Site Code, Site Name, Site
Type, Tenure, Post Code, Gross internal floor area (m²), Cost to eradicate
high/significant/moderate/low risk backlog (£), Electricity consumed (kWh) — or, in
recent years, its parts "Electricity - … consumed (kWh)", which are summed — and Gas
consumed (kWh). A single A–D condition grade was not found in the published layouts;
a column headed "Condition" or "Physical condition" is read when present.
"""

from __future__ import annotations

import logging
import os
import re
import time
import warnings
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import contracts as c
from .._io import check_input_file
from ..assets import finalise_layer
from ..errors import (
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    MissingColumnError,
)
from ..validate import format_ids

__all__ = [
    "ERIC_SITE_CODE",
    "attach_eric_sites",
    "load_eric_sites",
    "load_eric_trust",
]

logger = logging.getLogger(__name__)

ERIC_SITE_CODE: Final = "eric_site_code"
"""Column added by :func:`attach_eric_sites`: the ERIC site code matched (missing if none)."""

TRUST_CODE: Final = "trust_code"
SITE_CODE: Final = "site_code"
YEAR: Final = "year"

_BACKLOG_PARTS: Final = (
    "backlog_high_gbp",
    "backlog_significant_gbp",
    "backlog_moderate_gbp",
    "backlog_low_gbp",
)
# canonical column -> normalised headings, first found wins
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    TRUST_CODE: ("organisation code", "trust code", "org code"),
    "trust_name": ("organisation name", "trust name"),
    "trust_type": ("organisation type", "trust type"),
    SITE_CODE: ("site code",),
    "site_name": ("site name",),
    "site_type": ("site type",),
    "eric_tenure": ("tenure",),
    c.POSTCODE: ("post code", "postcode"),
    c.CONDITION: ("condition", "physical condition", "condition grade"),
    c.GIA_M2: ("gross internal site floor area m2", "gross internal floor area m2"),
    "occupied_m2": ("occupied floor area m2",),
    "backlog_high_gbp": ("cost to eradicate high risk backlog",),
    "backlog_significant_gbp": ("cost to eradicate significant risk backlog",),
    "backlog_moderate_gbp": ("cost to eradicate moderate risk backlog",),
    "backlog_low_gbp": ("cost to eradicate low risk backlog",),
    c.ELECTRICITY_KWH: (
        "electricity consumed utility kwh",
        "electricity consumed kwh",
        "electrical energy consumption kwh",
    ),
    "electricity_renewable_kwh": (
        "electricity consumed renewable kwh",
        "electricity consumed green energy tariff kwh",
    ),
    c.GAS_KWH: ("gas consumed utility kwh", "gas consumed kwh"),
    "oil_kwh": ("oil consumed utility kwh", "oil consumed kwh"),
    "coal_kwh": ("coal consumed utility kwh", "coal consumed kwh"),
    "steam_kwh": ("steam consumed local kwh", "steam consumed kwh"),
    "hot_water_kwh": ("hot water consumed local kwh", "hot water consumed kwh"),
    "energy_cost_gbp": (
        "energy cost all energy supplies",
        "energy costs all energy supplies",
        "total energy cost all energy supplies utility local and renewable",
    ),
    "hard_fm_cost_gbp": ("hard fm estates costs", "total hard fm estates costs"),
    "soft_fm_cost_gbp": ("soft fm hotel services costs", "total soft fm hotel services costs"),
    YEAR: ("year", "financial year", "period", "reporting period"),
}
_TEXT: Final = frozenset(
    {TRUST_CODE, "trust_name", "trust_type", SITE_CODE, "site_name", "site_type", "eric_tenure",
     c.POSTCODE, c.CONDITION, YEAR}
)  # fmt: skip
_KEY_FIGURES: Final = (c.GIA_M2, *_BACKLOG_PARTS, c.ELECTRICITY_KWH, c.GAS_KWH)
_UNKNOWN: Final = frozenset(
    {"", "-", "--", ".", "*", "n/a", "na", "nan", "none", "null", "not applicable",
     "no data provided", "not available", "not known", "unknown"}
)  # fmt: skip
_ELECTRICITY_PART: Final = re.compile(r"^electricity .*consumed kwh$")
_TENURE: Final = (
    (re.compile(r"pfi|private finance", re.I), "pfi"),
    (re.compile(r"leasehold|\blease", re.I), "leasehold"),
    (re.compile(r"freehold", re.I), "freehold"),
    (re.compile(r"licen[cs]e", re.I), "licence"),
)


def _norm_heading(text: object) -> str:
    s = str(text).lower().replace("²", "2").replace("³", "3")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s).split())


def _to_number(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    unknown = text.str.lower().isin(_UNKNOWN) | text.isna()
    cleaned = text.str.replace(r"[£,\s\ufffd]", "", regex=True)
    num = pd.to_numeric(cleaned.where(~unknown), errors="coerce")
    return num.astype("float64")


def _read(path: str | os.PathLike[str], what: str) -> tuple[Path, pd.DataFrame]:
    p = check_input_file(path, what=what)
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="cp1252")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"{what}: cannot read {p} as CSV ({exc})."
        raise DataSourceError(msg) from exc
    if raw.empty:
        msg = f"{what}: {p} has no data rows."
        raise DataSourceError(msg)
    return p, raw


def _standardise(raw: pd.DataFrame, p: Path, what: str, key: str) -> pd.DataFrame:
    by_norm: dict[str, str] = {}
    for col in raw.columns:
        by_norm.setdefault(_norm_heading(col), str(col))
    out = pd.DataFrame(index=raw.index)
    for canon, names in _ALIASES.items():
        heading: str | None = next((by_norm[n] for n in names if n in by_norm), None)
        if heading is None:
            continue
        out[canon] = raw[heading].str.strip() if canon in _TEXT else _to_number(raw[heading])
    if key not in out:
        msg = (
            f"{what}: {p} has no {key.replace('_', ' ')} column (looked for "
            f"{', '.join(repr(n) for n in _ALIASES[key])}; first columns: "
            f"{', '.join(map(str, raw.columns[:6]))}). Is this an ERIC file of the right level?"
        )
        raise MissingColumnError(msg)
    if c.ELECTRICITY_KWH not in out:
        parts = [col for n, col in by_norm.items() if _ELECTRICITY_PART.match(n)]
        if parts:
            out[c.ELECTRICITY_KWH] = pd.concat([_to_number(raw[col]) for col in parts], axis=1).sum(
                axis=1, min_count=1
            )
    if not any(col in out for col in _KEY_FIGURES):
        msg = (
            f"{what}: {p} has none of the expected figures (floor area, backlog, energy); "
            "it does not look like an ERIC return."
        )
        raise DataSourceError(msg)
    missing = [col for col in (c.GIA_M2, c.ELECTRICITY_KWH, c.GAS_KWH) if col not in out]
    if all(part not in out for part in _BACKLOG_PARTS):
        missing.append(c.BACKLOG_GBP)
    if missing:
        warnings.warn(
            f"{what}: {p}: no heading found for {', '.join(missing)}; left unknown (NaN).",
            DataQualityWarning,
            stacklevel=3,
        )
    for col in (*_BACKLOG_PARTS, c.GIA_M2, c.ELECTRICITY_KWH, c.GAS_KWH):
        if col not in out:
            out[col] = np.nan
    out[c.BACKLOG_GBP] = out[list(_BACKLOG_PARTS)].sum(axis=1, min_count=1)
    if YEAR not in out:
        m = re.search(r"(20\d\d)\D?(\d\d)(?!\d)", p.name)
        out[YEAR] = f"{m.group(1)}-{m.group(2)}" if m else None
    out[key] = out[key].str.upper()
    out = out.loc[out[key].notna() & out[key].ne("")]
    dup = out[key].duplicated(keep=False)
    if dup.any():
        msg = (
            f"{what}: {p}: {key.replace('_', ' ')}(s) repeated: "
            f"{format_ids(sorted(out.loc[dup, key].unique()))}. Each must appear once."
        )
        raise DuplicateIdError(msg)
    return out.set_index(key)


def load_eric_trust(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an ERIC trust-level return (one row per NHS trust).

    Parameters
    ----------
    path
        The trust-level CSV of one year (headings of 2013-14 to 2016-17 and later
        are recognised).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``trust_code`` (ODS trust code, upper case), with ``trust_name``,
        ``trust_type``, ``gia_m2`` and ``occupied_m2`` (m²), ``backlog_gbp`` (£, the sum
        of the high, significant, moderate and low risk backlog; NaN when all four
        are unknown) and those four parts, ``electricity_kwh`` (grid/utility
        electricity), ``electricity_renewable_kwh``, ``gas_kwh``, ``oil_kwh``,
        ``coal_kwh``, ``steam_kwh``, ``hot_water_kwh`` (kWh a year),
        ``energy_cost_gbp``, ``hard_fm_cost_gbp`` and ``soft_fm_cost_gbp`` (£ a
        year) where the year's file has them, and ``year`` (e.g. ``"2016-17"``, from
        the file name when there is no year column). Unknown values are NaN. These
        are trust totals over all sites: never divide them among sites.

    Raises
    ------
    DataSourceError
        If the file is missing, empty or holds none of the expected figures.
    MissingColumnError
        If there is no organisation/trust code column.
    DuplicateIdError
        If a trust code is repeated.

    Warns
    -----
    DataQualityWarning
        If floor area, backlog, electricity or gas headings are not found.
    """
    t0 = time.perf_counter()
    what = "ERIC trust-level return"
    p, raw = _read(path, what)
    out = _standardise(raw, p, what, TRUST_CODE)
    out = out.drop(columns=[col for col in (SITE_CODE, "site_name", "site_type") if col in out])
    logger.info(
        "ERIC trust-level %s: %d trusts, %d with floor area, in %.2fs",
        p.name,
        len(out),
        int(out[c.GIA_M2].notna().sum()),
        time.perf_counter() - t0,
    )
    return out


def load_eric_sites(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an ERIC site-level return (one row per site).

    Parameters
    ----------
    path
        The site-level CSV published by NHS England Digital (headings listed in the
        module docstring).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``site_code`` (ODS site code, upper case), with ``trust_code``,
        ``trust_name``, ``site_name``, ``site_type``, ``postcode``, ``eric_tenure`` (as
        written), ``gia_m2`` (m²), ``backlog_gbp`` (£, sum of the four risk
        categories; NaN when all unknown) and its parts, ``electricity_kwh`` (the
        "Electricity consumed" heading, else the sum of its published parts),
        ``gas_kwh`` (kWh a year), ``condition`` when present, and ``year``.

    Raises
    ------
    DataSourceError
        If the file is missing, empty or holds none of the expected figures.
    MissingColumnError
        If there is no site code column.
    DuplicateIdError
        If a site code is repeated.
    """
    t0 = time.perf_counter()
    what = "ERIC site-level return"
    p, raw = _read(path, what)
    out = _standardise(raw, p, what, SITE_CODE)
    if TRUST_CODE in out:
        out[TRUST_CODE] = out[TRUST_CODE].str.upper()
    logger.info("ERIC site-level %s: %d sites in %.2fs", p.name, len(out), time.perf_counter() - t0)
    return out


def _tenure(raw: pd.Series) -> pd.Series:
    out = pd.Series(None, index=raw.index, dtype=object)
    for pattern, value in reversed(_TENURE):
        out[raw.astype("string").str.contains(pattern, na=False)] = value
    return out


def attach_eric_sites(
    assets: gpd.GeoDataFrame, sites: pd.DataFrame, *, overwrite: bool = False
) -> gpd.GeoDataFrame:
    """Fill floor area, backlog, energy, tenure and condition from ERIC site data.

    An asset matches an ERIC site when its ``ods_code`` equals the ERIC site code
    (ODS site codes such as ``RAL01``; compared in upper case). Only site-level
    figures are used: trust-level totals are never spread across sites, because
    that would invent per-building data.

    Parameters
    ----------
    assets
        Asset layer with ``ods_code``.
    sites
        From :func:`load_eric_sites` (indexed by site code).
    overwrite
        Replace values the asset already has; by default only missing values are
        filled, so a register's own figures win.

    Returns
    -------
    geopandas.GeoDataFrame
        Validated copy with ``gia_m2``, ``backlog_gbp``, ``electricity_kwh``,
        ``gas_kwh``, ``tenure`` (freehold/leasehold/pfi/licence when the ERIC text says
        so) and ``condition`` (A–D only) filled for matched assets, plus
        ``eric_site_code`` (missing when unmatched) and ``eric_year``. The match
        report is logged and kept in ``.attrs["eric_sites"]`` (``matched`` asset ids,
        ``unmatched_sites`` ERIC site codes with no asset).

    Raises
    ------
    DataContractError
        If ``sites`` is not a site-level table (e.g. the trust-level return), or the
        assets break the contract.
    """
    t0 = time.perf_counter()
    if sites.index.name != SITE_CODE:
        msg = (
            f"attach_eric_sites needs the site-level ERIC table from load_eric_sites (indexed "
            f"by site_code); got one indexed by {sites.index.name!r}. Trust-level totals "
            "cover all of a trust's sites and are not attached to buildings."
        )
        raise DataContractError(msg)
    gdf = finalise_layer(assets, source="assets")
    codes = gdf[c.ODS_CODE].astype("string").str.strip().str.upper()
    index = pd.Index(sites.index.astype(str).str.strip().str.upper())
    table = sites.set_axis(index).loc[~index.duplicated()]
    hit = codes.isin(table.index).fillna(False).to_numpy()
    matched_codes = codes[hit].to_numpy()
    src = table.reindex(matched_codes)
    figures = (c.GIA_M2, c.BACKLOG_GBP, c.ELECTRICITY_KWH, c.GAS_KWH)
    values: dict[str, pd.Series] = {col: src[col] for col in figures if col in src}
    if "eric_tenure" in src:
        values[c.TENURE] = _tenure(src["eric_tenure"])
    if c.CONDITION in src:
        cond = src[c.CONDITION].astype("string").str.strip().str.upper()
        values[c.CONDITION] = cond.where(cond.isin(c.CONDITIONS)).astype(object)
    for col, new in values.items():
        new_vals = new.to_numpy()
        current = gdf.loc[hit, col]
        take = np.ones(len(current), bool) if overwrite else current.isna().to_numpy(copy=True)
        take = take & pd.notna(new_vals)
        if col in (c.TENURE, c.CONDITION):
            gdf[col] = gdf[col].astype(object)
        gdf.loc[np.flatnonzero(hit)[take], col] = new_vals[take]
    gdf[ERIC_SITE_CODE] = None
    gdf.loc[hit, ERIC_SITE_CODE] = matched_codes
    gdf["eric_year"] = None
    if YEAR in table:
        gdf.loc[hit, "eric_year"] = table[YEAR].reindex(matched_codes).to_numpy()
    unmatched = sorted(set(table.index) - set(matched_codes))
    out = finalise_layer(gdf, source="assets with ERIC sites")
    out.attrs["eric_sites"] = {
        "matched": out.loc[hit, c.ASSET_ID].tolist(),
        "unmatched_sites": unmatched,
    }
    logger.info(
        "attach_eric_sites: %d of %d assets matched an ERIC site; %d of %d ERIC sites "
        "matched no asset (%s) in %.2fs",
        int(hit.sum()),
        len(gdf),
        len(unmatched),
        len(table),
        format_ids(unmatched),
        time.perf_counter() - t0,
    )
    return out

"""Loaders for the English Indices of Deprivation (IoD2025 and IoD2019) per LSOA.

Two layouts are accepted, found through a table of column aliases: the MHCLG
published "File 7" CSV (``LSOA code (2021)``, ``Index of Multiple Deprivation (IMD)
Score``, ``... Rank (where 1 is most deprived)``, ``... Decile (where 1 is most
deprived 10% of LSOAs)``; IoD2019 files say ``(2011)``) and the tidy layout of the
``IMD`` R package (``lsoa21_code``, ``IMD_decile``, ``IMD_rank``, ``IMD_score``).

IoD2019 is published on 2011 LSOAs; :func:`load_imd2019` moves it onto 2021 LSOAs
through the ONS LSOA 2011 → 2021 lookup so that it joins the Census 2021 zones.
"""

from __future__ import annotations

import logging
import os
import re
import time
import warnings
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd

from .. import contracts as c
from .._io import check_input_file
from ..errors import DataContractError, DataQualityWarning, DuplicateIdError, MissingColumnError
from ..validate import Problems, format_ids
from .ons import _read_csv

__all__ = ["IMD2019_LSOA_COUNT", "IMD_METHOD", "load_imd2019", "load_imd2025"]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

IMD2019_LSOA_COUNT: Final = 32_844
"""LSOAs (2011) ranked in England by IoD2019; decile cut points are multiples of a tenth of it."""

IMD_METHOD: Final = "imd_method"
"""Column saying how a 2021 LSOA got its IoD2019 values: ``"direct"`` or ``"lookup_mean_rank"``."""

METHOD_DIRECT: Final = "direct"
METHOD_MEAN_RANK: Final = "lookup_mean_rank"

# Alias table: normalised (lower-case, single-spaced) column names for each field.
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "code2021": ("lsoa21_code", "lsoa21cd", "lsoa code (2021)", "lsoa21 code", "lsoa_code_2021"),
    "code2011": ("lsoa11_code", "lsoa11cd", "lsoa code (2011)", "lsoa11 code", "lsoa_code_2011"),
    c.IMD_DECILE: (
        "imd_decile",
        "index of multiple deprivation (imd) decile (where 1 is most deprived 10% of lsoas)",
        "index of multiple deprivation (imd) decile",
        "imd decile",
    ),
    c.IMD_RANK: (
        "imd_rank",
        "index of multiple deprivation (imd) rank (where 1 is most deprived)",
        "index of multiple deprivation (imd) rank",
        "imd rank",
    ),
    c.IMD_SCORE: ("imd_score", "index of multiple deprivation (imd) score", "imd score"),
}
_LOOKUP_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "code2011": _ALIASES["code2011"],
    "code2021": _ALIASES["code2021"],
    "change": ("change_code", "chgind", "change indicator", "change_indicator"),
}


def _norm(name: object) -> str:
    return re.sub(r"\s+", " ", str(name).strip().lower())


def _find(df: pd.DataFrame, aliases: tuple[str, ...]) -> str | None:
    by_norm = {_norm(col): str(col) for col in df.columns}
    return next((by_norm[a] for a in aliases if a in by_norm), None)


def _elapsed(t0: float) -> str:
    return f"{time.perf_counter() - t0:.2f} s"


def _read_imd(path: PathLike, *, vintage: Literal[2011, 2021], what: str) -> pd.DataFrame:
    """Read an IoD file into ``imd_decile`` (Int64), ``imd_rank``, ``imd_score`` by LSOA code."""
    p = check_input_file(path, what=what)
    df = _read_csv(p, what=what)
    code_col = _find(df, _ALIASES[f"code{vintage}"])
    if code_col is None:
        other = 2011 if vintage == 2021 else 2021
        hint = ""
        if _find(df, _ALIASES[f"code{other}"]) is not None:
            hint = (
                " The file is on 2011 LSOAs: load it with load_imd2019(path, lookup_path) to move "
                "it onto 2021 LSOAs."
                if vintage == 2021
                else " The file is on 2021 LSOAs (IoD2025?): load it with load_imd2025(path)."
            )
        msg = (
            f"{what}: no LSOA {vintage} code column in {p} (looked for "
            f"{', '.join(map(repr, _ALIASES[f'code{vintage}']))}; columns present: "
            f"{', '.join(map(repr, df.columns[:12]))}).{hint}"
        )
        raise MissingColumnError(msg)
    decile_col = _find(df, _ALIASES[c.IMD_DECILE])
    if decile_col is None:
        msg = (
            f"{what}: no IMD decile column in {p} (looked for "
            f"{', '.join(map(repr, _ALIASES[c.IMD_DECILE][:2]))}; columns present: "
            f"{', '.join(map(repr, df.columns[:12]))}). Use the File 7 CSV "
            "('All ranks, deciles and scores')."
        )
        raise MissingColumnError(msg)
    problems = Problems(f"{what} ({p})")
    codes = df[code_col].astype("string").str.strip()
    blank = codes.isna() | (codes == "")
    if blank.any():
        lines = [int(i) + 2 for i in np.flatnonzero(blank.to_numpy())]
        problems.add(
            f"column {code_col!r} is empty on {len(lines)} row(s) (file lines {format_ids(lines)})."
        )
    dup = codes.duplicated(keep=False) & ~blank
    if dup.any():
        problems.add(
            f"column {code_col!r} repeats {codes[dup].nunique()} code(s): "
            f"{format_ids(sorted(codes[dup].unique()))}. Each LSOA must appear once.",
            DuplicateIdError,
        )
    out = pd.DataFrame(index=pd.Index(codes.to_numpy(dtype=object), name=c.ZONE_ID))
    for field in (c.IMD_DECILE, c.IMD_RANK, c.IMD_SCORE):
        col = _find(df, _ALIASES[field])
        if col is None:
            out[field] = np.nan
            continue
        raw = df[col].astype("string").str.strip()
        num = pd.to_numeric(raw, errors="coerce")
        nonnum = num.isna() & raw.notna() & (raw != "")
        if nonnum.any():
            problems.add(
                f"column {col!r} has {int(nonnum.sum())} non-numeric value(s) "
                f"({', '.join(map(repr, raw[nonnum].unique()[:3]))}; "
                f"LSOA {format_ids(codes[nonnum])})."
            )
        if field == c.IMD_DECILE:
            bad = num.notna() & ((num < 1) | (num > 10) | (num != np.round(num)))
            if bad.any():
                problems.add(
                    f"column {col!r} has {int(bad.sum())} value(s) that are not whole numbers 1–10 "
                    f"({', '.join(map(repr, raw[bad].unique()[:5]))}; "
                    f"LSOA {format_ids(codes[bad])}). "
                    "1 is the most deprived tenth of LSOAs in England."
                )
        elif field == c.IMD_RANK:
            bad = num.notna() & (num < 1)
            if bad.any():
                problems.add(
                    f"column {col!r} has {int(bad.sum())} rank(s) below 1 "
                    f"(LSOA {format_ids(codes[bad])}); "
                    "rank 1 is the most deprived LSOA."
                )
        out[field] = num.astype("float64").to_numpy()
    problems.raise_if_any()
    missing = out[c.IMD_DECILE].isna()
    if missing.any():
        warnings.warn(
            f"{what} ({p}): {int(missing.sum())} LSOA(s) have no IMD decile (LSOA "
            f"{format_ids(out.index[missing.to_numpy()])}); they stay unknown.",
            DataQualityWarning,
            stacklevel=3,
        )
    out[c.IMD_DECILE] = out[c.IMD_DECILE].astype("Int64")
    return out


def load_imd2025(path: PathLike) -> pd.DataFrame:
    """Read the English Indices of Deprivation 2025 on 2021 LSOAs.

    Parameters
    ----------
    path
        CSV in the MHCLG File 7 layout (``LSOA code (2021)``, ``Index of Multiple
        Deprivation (IMD) Score``, ``... Rank (where 1 is most deprived)``, ``...
        Decile (where 1 is most deprived 10% of LSOAs)``) or the tidy layout
        (``lsoa21_code``, ``IMD_decile``, ``IMD_rank``, ``IMD_score``). Other columns
        (domains) are ignored.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zone_id`` (LSOA 2021 code); ``imd_decile`` (Int64, 1 = most
        deprived tenth of LSOAs in England), ``imd_rank`` (1 = most deprived of
        33,755) and ``imd_score`` (float64; NaN when the file has no such column).

    Raises
    ------
    DataSourceError
        If the file is missing, empty or unreadable.
    MissingColumnError
        If there is no LSOA 2021 code or IMD decile column (the message says when the
        file is on 2011 LSOAs instead).
    DataContractError
        On deciles outside 1–10, ranks below 1, non-numeric values or repeated codes.
    """
    t0 = time.perf_counter()
    out = _read_imd(path, vintage=2021, what="IoD2025 table")
    logger.info("read IoD2025: %d LSOAs in %s", len(out), _elapsed(t0))
    return out


def _read_lookup(path: PathLike) -> tuple[pd.DataFrame, Path]:
    what = "LSOA 2011 to 2021 lookup"
    p = check_input_file(path, what=what)
    df = _read_csv(p, what=what)
    cols = {key: _find(df, aliases) for key, aliases in _LOOKUP_ALIASES.items()}
    missing = [key for key in ("code2011", "code2021") if cols[key] is None]
    if missing:
        wanted = "; ".join(f"{k}: {', '.join(map(repr, _LOOKUP_ALIASES[k]))}" for k in missing)
        msg = (
            f"{what}: {p} lacks the column(s) {wanted} "
            f"(columns present: {', '.join(map(repr, df.columns))})."
        )
        raise MissingColumnError(msg)
    out = pd.DataFrame(
        {
            "code2011": df[str(cols["code2011"])].astype("string").str.strip(),
            "code2021": df[str(cols["code2021"])].astype("string").str.strip(),
            "change": (
                df[str(cols["change"])].astype("string").str.strip().str.upper()
                if cols["change"]
                else pd.Series(pd.NA, index=df.index, dtype="string")
            ),
        }
    )
    blank = (
        out["code2011"].isna()
        | out["code2021"].isna()
        | (out["code2011"] == "")
        | (out["code2021"] == "")
    )
    if blank.any():
        lines = [int(i) + 2 for i in np.flatnonzero(blank.to_numpy())]
        msg = f"{what}: {p} lacks a 2011 or 2021 code on file line(s) {format_ids(lines)}."
        raise DataContractError(msg)
    return out.drop_duplicates(["code2011", "code2021"]), p


def load_imd2019(path: PathLike, lookup_path: PathLike) -> pd.DataFrame:
    """Read IoD2019 (on 2011 LSOAs) and move it onto 2021 LSOAs through the ONS lookup.

    Parameters
    ----------
    path
        IoD2019 CSV, File 7 layout (``LSOA code (2011)``, ...) or tidy layout
        (``lsoa11_code``, ``IMD_decile``, ``IMD_rank``).
    lookup_path
        ONS LSOA (2011) to LSOA (2021) lookup CSV: ``LSOA11CD``/``lsoa11_code``,
        ``LSOA21CD``/``lsoa21_code`` and the change indicator ``CHGIND``/``change_code``
        (U unchanged, S split, M merged, X irregular).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zone_id`` (every LSOA 2021 code in the lookup); ``imd_decile``
        (Int64, 1 = most deprived tenth), ``imd_rank`` (national rank of 32,844, a mean
        for merged LSOAs), ``imd_score`` (NaN when the file has no scores) and
        ``imd_method`` (``"direct"``, ``"lookup_mean_rank"``, or missing when none of
        the 2021 LSOA's 2011 parts has IMD data, in which case the values are NaN).

    Raises
    ------
    DataSourceError
        If a file is missing, empty or unreadable.
    MissingColumnError
        If a code column is missing, or the rank column when merged LSOAs need it.
    DataContractError
        On deciles outside 1–10, ranks below 1 or non-numeric values.

    Warns
    -----
    DataQualityWarning
        Listing 2011 LSOAs in the lookup with no IMD row, and 2021 LSOAs left without
        IMD or built from only some of their 2011 parts.

    Notes
    -----
    A 2021 LSOA made from exactly one 2011 LSOA, unchanged (U) or split from it (S),
    takes that LSOA's rank, score and published decile (``imd_method = "direct"``).
    A 2021 LSOA made from several 2011 LSOAs, merged (M) or irregular (X), takes the
    mean national rank (and mean score) of those parts that have IMD data; its decile
    is recomputed from that rank against the IoD2019 national cut points, i.e.
    ``decile = ceil(rank / 3284.4)`` for the 32,844 LSOAs in England, so that it
    stays comparable with the published deciles (``imd_method = "lookup_mean_rank"``).
    The mean of ranks is a simple, unweighted approximation; IoD2025, published on
    2021 LSOAs, should be preferred when available.
    """
    t0 = time.perf_counter()
    what = "IoD2019 table"
    imd = _read_imd(path, vintage=2011, what=what)
    lookup, lp = _read_lookup(lookup_path)
    joined = lookup.join(imd, on="code2011")
    has = joined[c.IMD_DECILE].notna() | joined[c.IMD_RANK].notna()

    groups = joined.groupby("code2021", sort=False)
    parts = groups["code2011"].nunique()
    parts_with = (
        joined[has].groupby("code2021")["code2011"].nunique().reindex(parts.index, fill_value=0)
    )
    irregular = joined["change"].isin(["M", "X"]).groupby(joined["code2021"], sort=False).any()
    direct = (parts == 1) & ~irregular & (parts_with == 1)
    mean_rank = groups[c.IMD_RANK].mean()
    needs_rank = ~direct & (parts_with > 0)
    if needs_rank.any() and mean_rank[needs_rank].isna().any():
        lacking = mean_rank.index[(needs_rank & mean_rank.isna()).to_numpy()]
        msg = (
            f"{what}: {path} has no usable IMD rank for the merged 2011 parts of 2021 LSOA(s) "
            f"{format_ids(lacking)}; ranks are needed to combine merged LSOAs. Use the File 7 "
            "CSV, which has 'Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)'."
        )
        raise MissingColumnError(msg)

    first = groups[[c.IMD_DECILE, c.IMD_RANK, c.IMD_SCORE]].first()
    recomputed = np.ceil(mean_rank / (IMD2019_LSOA_COUNT / 10)).clip(1, 10)
    known = parts_with > 0
    method = pd.Series(np.where(direct, METHOD_DIRECT, METHOD_MEAN_RANK), index=parts.index)
    out = pd.DataFrame(
        {
            c.IMD_DECILE: first[c.IMD_DECILE]
            .where(direct, recomputed)
            .where(known)
            .round()
            .astype("Int64"),
            c.IMD_RANK: first[c.IMD_RANK].where(direct, mean_rank).where(known).astype("float64"),
            c.IMD_SCORE: first[c.IMD_SCORE]
            .where(direct, groups[c.IMD_SCORE].mean())
            .where(known)
            .astype("float64"),
            IMD_METHOD: method.where(known).astype("string"),
        }
    )
    out.index = pd.Index(out.index.astype(str), name=c.ZONE_ID)

    notes: list[str] = []
    no_imd11 = sorted(joined.loc[~has, "code2011"].unique())
    if no_imd11:
        notes.append(
            f"{len(no_imd11)} 2011 LSOA(s) in the lookup have no IMD row ({format_ids(no_imd11)})"
        )
    none21 = parts.index[(parts_with == 0).to_numpy()]
    if len(none21):
        notes.append(f"{len(none21)} 2021 LSOA(s) are left without IMD ({format_ids(none21)})")
    partial = parts.index[((parts_with > 0) & (parts_with < parts)).to_numpy()]
    if len(partial):
        notes.append(
            f"{len(partial)} 2021 LSOA(s) use only some of their 2011 parts ({format_ids(partial)})"
        )
    if notes:
        warnings.warn(
            f"{what} ({path}) with lookup {lp}: {'; '.join(notes)}. Check that the IMD file covers "
            "the lookup's area (use England-wide or matching files).",
            DataQualityWarning,
            stacklevel=2,
        )
    extra = imd.index.difference(pd.Index(lookup["code2011"]))
    if len(extra):
        logger.debug("%s: %d LSOA(s) not in the lookup, ignored", what, len(extra))
    n_mean = int((out[IMD_METHOD] == METHOD_MEAN_RANK).sum())
    logger.info(
        "read IoD2019 onto 2021 LSOAs: %d LSOAs (%d direct, %d by mean rank, %d without IMD) in %s",
        len(out),
        int((out[IMD_METHOD] == METHOD_DIRECT).sum()),
        n_mean,
        len(none21),
        _elapsed(t0),
    )
    return out

"""Staff and collaboration: journeys between a team's sites, and commutes from staff homes.

Notes
-----
**Inter-site matrix.** :func:`inter_site_matrix` routes every site to every other with
:func:`estatesplan.travel_times.matrix_from_network` (times include the walk between each
site and its street); the diagonal is 0 (staying is no journey). Times need not be
symmetric (one-way streets); unreachable ordered pairs are NaN, listed and warned about.

**Team journeys.** A team member who works from several sites moves between them. With
the share of working time spent at each site, ``w_i`` (any non-negative numbers: only
their ratios matter), the expected journey when the member changes site is

.. math:: \\bar t = \\frac{\\sum_{i \\ne j} w_i w_j t_{ij}}{\\sum_{i \\ne j} w_i w_j}

over ordered pairs (``t_ij`` from site *i* to site *j*): a move from *i* to *j* is taken
as likely as being at *i* and next being at *j*, independently. Without shares every
ordered pair counts the same (the plain mean of the off-diagonal times). Unreachable
pairs are left out of the mean but counted, named, and their share of the pair weight
given, so a mean over half the pairs is never mistaken for the whole.

**Staff origins.** :func:`read_staff_origins` reads counts of staff per home zone from a
CSV (``zone_id`` and one count column). The file must hold counts only: a column whose
name looks personal (name, postcode, address, date of birth, NHS number, email, phone,
National Insurance or staff number) is refused, with a request to aggregate to counts
per zone first. Small counts in small zones may still be disclosive: publish results
for groups, not single zones.

**Commutes.** :func:`staff_access` summarises travel from staff home zones to the
nearest of a set of sites, weighting zones by their staff (never by zone count);
:func:`commute_by_site` does so for each site in turn.
"""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._io import check_input_file
from .errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    MissingColumnError,
)
from .travel_times import TravelTimeMatrix, matrix_from_network
from .validate import Problems, format_ids

if TYPE_CHECKING:
    import os

    import geopandas as gpd

    from .graph import StreetNetwork
    from .progress import Progress

__all__ = [
    "DEFAULT_COMMUTE_THRESHOLDS",
    "PERSONAL_COLUMN_PATTERNS",
    "commute_by_site",
    "inter_site_matrix",
    "read_staff_origins",
    "staff_access",
    "team_journeys",
]

logger = logging.getLogger(__name__)

_FArr = npt.NDArray[np.float64]

DEFAULT_COMMUTE_THRESHOLDS: Final[tuple[float, ...]] = (15.0, 30.0, 45.0, 60.0)
"""Default commute thresholds, minutes."""

PERSONAL_COLUMN_PATTERNS: Final[Mapping[str, str]] = {
    "a name": r"^((first|last|full|given|family|middle|maiden|staff|employee|person|preferred)_?)?names?$|^(sur|fore)names?$|^initials?$",
    "a postcode": r"post_?code|postal_?code|^zip(_?code)?$",
    "an address": r"address|^addr(_|$)|^street|^house_?(number|no|name)$|^flat_?(number|no)$",
    "a date of birth": r"^d_?o_?b$|date_?of_?birth|birth_?date|^birthday$|^age_?at",
    "an NHS number": r"nhs_?(number|no|num)|^nhsno$",
    "an email address": r"e_?mail",
    "a phone number": r"phone|mobile|^tel(ephone)?(_|$)",
    "a National Insurance number": r"national_?insurance|^ni_?(number|no|num)$|^nino$",
    "a staff identifier": r"^(staff|employee|person|assignment|payroll|esr)_?(id|ref)$|^(employee|assignment|payroll|esr)_?(number|no|num)$",
}
"""Column-name patterns (on names lower-cased, with non-alphanumerics as ``_``) that mark
a staff-origins file as holding personal data, by what they look like."""

_COUNT_COLUMNS: Final = ("staff", "count", "headcount", "n")
_SITE_COLUMNS: Final = ("staff_reached", "staff_unreachable", "mean_min", "median_min", "p90_min")


def inter_site_matrix(
    net: StreetNetwork,
    sites: gpd.GeoDataFrame,
    *,
    id_column: str = "asset_id",
    cutoff_min: float = 60.0,
    max_snap_m: float = 500.0,
    walk_speed_kmh: float = 4.8,
    progress: Progress | None = None,
) -> TravelTimeMatrix:
    """Travel times between every pair of sites (sites × sites) over one mode's network.

    Parameters
    ----------
    net
        One mode's street network (projected CRS, edge times in seconds).
    sites
        Site points (or polygons, routed from their representative point) in any CRS;
        reprojected to ``net.crs``.
    id_column
        Unique site id column (used as str).
    cutoff_min, max_snap_m, walk_speed_kmh, progress
        As for :func:`~estatesplan.travel_times.matrix_from_network` (minutes, metres,
        km/h); a flagged site's row and column are NaN except its 0 diagonal.

    Returns
    -------
    TravelTimeMatrix
        Rows and columns are the sites in layer order; ``minutes`` float32 with a 0
        diagonal and NaN for ordered pairs not reachable within ``cutoff_min``;
        ``metadata["unreachable_pairs"]`` lists those pairs as ``[from, to]``.

    Raises
    ------
    ConfigError, CrsError, MissingColumnError, DuplicateIdError, DataContractError
        As :func:`estatesplan.travel_times.matrix_from_network`.

    Warns
    -----
    DataQualityWarning
        When some ordered pairs of sites are unreachable within the cut-off (and, from
        the matrix, when sites are further than ``max_snap_m`` from the network).
    """
    t0 = time.perf_counter()
    m = matrix_from_network(
        net, sites, sites, origin_id=id_column, destination_id=id_column, cutoff_min=cutoff_min,
        max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh, progress=progress,
    )  # fmt: skip
    minutes = m.minutes.copy()
    np.fill_diagonal(minutes, 0.0)
    ids = m.origin_ids
    i, j = np.nonzero(np.isnan(minutes))
    pairs = [[str(ids[a]), str(ids[b])] for a, b in zip(i.tolist(), j.tolist(), strict=True)]
    n = len(ids)
    if pairs:
        shown = format_ids(f"{a} → {b}" for a, b in pairs)
        msg = (
            f"{len(pairs)} of {n * (n - 1)} ordered pairs of sites cannot be travelled by "
            f"{net.mode} within {m.cutoff_min:g} min ({shown}); they are NaN. Check the sites' "
            "locations, or raise the cut-off"
        )
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    logger.info(
        "inter-site %s matrix: %d sites, %d unreachable ordered pairs, in %.2f s",
        net.mode, n, len(pairs), time.perf_counter() - t0,
    )  # fmt: skip
    return replace(m, minutes=minutes, metadata={**m.metadata, "unreachable_pairs": pairs})


def _site_positions(matrix: TravelTimeMatrix, team_sites: Sequence[str]) -> npt.NDArray[np.int64]:
    o_ids = [str(x) for x in matrix.origin_ids]
    if o_ids != [str(x) for x in matrix.destination_ids]:
        msg = (
            "team_journeys needs a sites × sites matrix with the same ids in rows and columns "
            f"(got {len(o_ids)} origins and {len(matrix.destination_ids)} destinations); "
            "build it with estatesplan.staff.inter_site_matrix"
        )
        raise DataContractError(msg)
    if isinstance(team_sites, str):
        msg = f"team_sites must be a sequence of site ids, not one string ({team_sites!r})"
        raise ConfigError(msg)
    team = [str(s) for s in team_sites]
    if not team:
        msg = "team_sites is empty; list the sites the team works from"
        raise ConfigError(msg)
    repeated = sorted(Counter(team) - Counter(set(team)))
    if repeated:
        msg = f"team_sites repeats {len(repeated)} site id(s): {format_ids(repeated)}; list each site once"
        raise DataContractError(msg)
    pos = {s: k for k, s in enumerate(o_ids)}
    unknown = [s for s in team if s not in pos]
    if unknown:
        msg = (
            f"{len(unknown)} team site id(s) are not in the inter-site matrix "
            f"({format_ids(unknown)}); the matrix has {len(o_ids)} sites "
            f"({format_ids(o_ids, limit=5)}). Check the ids or rebuild the matrix with these sites"
        )
        raise DataContractError(msg)
    return np.array([pos[s] for s in team], dtype=np.int64)


def _visit_weights(team: list[str], visits: Mapping[str, float] | None) -> _FArr:
    if visits is None:
        return np.ones(len(team))
    keys = {str(k): v for k, v in visits.items()}
    extra = sorted(set(keys) - set(team))
    missing = [s for s in team if s not in keys]
    problems = Problems("visits (share of time at each team site)")
    if extra:
        problems.add(f"{len(extra)} site(s) are not team sites ({format_ids(extra)}); remove them")
    if missing:
        problems.add(f"{len(missing)} team site(s) have no share ({format_ids(missing)}); give "
                     "every team site a share (0 for a site not visited)")  # fmt: skip
    w = np.array([float(keys.get(s, 0.0)) for s in team], dtype=np.float64)
    bad = [s for s, x in zip(team, w.tolist(), strict=True) if not (math.isfinite(x) and x >= 0)]
    if bad:
        problems.add(f"{len(bad)} share(s) are negative or not finite ({format_ids(bad)}); shares "
                     "are non-negative numbers (only their ratios matter)")  # fmt: skip
    elif not missing and not extra and (w > 0).sum() < min(2, len(team)):
        problems.add("fewer than two sites have a positive share: no journey between sites is made")  # fmt: skip
    problems.raise_if_any()
    return w


def team_journeys(
    matrix: TravelTimeMatrix,
    team_sites: Sequence[str],
    *,
    visits: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Summarise the journeys a team member makes between the team's sites.

    See the module Notes for the formula (weighted mean over ordered pairs of sites).

    Parameters
    ----------
    matrix
        Sites × sites travel times from :func:`inter_site_matrix` (minutes).
    team_sites
        Ids of the sites the team works from (each once).
    visits
        Optional share of working time at each team site (non-negative; only ratios
        matter; every team site needs one). Without it every ordered pair counts the same.

    Returns
    -------
    dict
        ``sites`` (count), ``pairs`` (ordered pairs of distinct sites),
        ``pairs_reachable``, ``pairs_unreachable``, ``unreachable`` (list of
        ``"from → to"``), ``unreachable_weight_share`` (0..1 of the pair weight on
        unreachable pairs), ``mean_min`` (expected journey over reachable pairs, minutes;
        NaN with fewer than two sites or none reachable), ``max_min`` (longest reachable
        journey with positive weight, minutes; NaN if none), ``max_pair`` (its
        ``"from → to"`` or None), ``weighted`` (bool), ``mode`` and ``cutoff_min``.

    Raises
    ------
    DataContractError
        If the matrix is not sites × sites, a team site is unknown or repeated, or
        ``visits`` lacks a team site, names another site, or has a negative share.

    Warns
    -----
    DataQualityWarning
        When some of the team's pairs with a positive weight are unreachable (the mean
        leaves them out).
    """
    pos = _site_positions(matrix, team_sites)
    team = [str(s) for s in team_sites]
    w = _visit_weights(team, visits)
    n = len(team)
    t = matrix.minutes[np.ix_(pos, pos)].astype(np.float64)
    ww = np.outer(w, w)
    off = ~np.eye(n, dtype=bool)
    reach = off & np.isfinite(t)
    unreach = off & ~np.isfinite(t)
    total_w = float(ww[off].sum())
    num = float(np.where(reach, ww * np.where(reach, t, 0.0), 0.0).sum())
    den = float(ww[reach].sum())
    ui, uj = np.nonzero(unreach)
    unreachable = [f"{team[a]} → {team[b]}" for a, b in zip(ui.tolist(), uj.tolist(), strict=True)]
    counted = reach & (ww > 0)
    a, b = divmod(int(np.argmax(np.where(counted, t, -np.inf))), max(n, 1))
    max_min, max_pair = (float(t[a, b]), f"{team[a]} → {team[b]}") if counted.any() else (math.nan, None)  # fmt: skip
    lost = float(ww[unreach].sum())
    if lost > 0:
        msg = (
            f"{len(unreachable)} of {n * (n - 1)} journeys between the team's sites are unreachable "
            f"by {matrix.mode} within {matrix.cutoff_min:g} min ({format_ids(unreachable)}); the "
            "mean journey leaves them out"
        )
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    return {
        "sites": n, "pairs": n * (n - 1), "pairs_reachable": int(reach.sum()),
        "pairs_unreachable": len(unreachable), "unreachable": unreachable,
        "unreachable_weight_share": lost / total_w if total_w > 0 else 0.0,
        "mean_min": num / den if den > 0 else math.nan, "max_min": max_min, "max_pair": max_pair,
        "weighted": visits is not None, "mode": matrix.mode, "cutoff_min": float(matrix.cutoff_min),
    }  # fmt: skip


def _personal_columns(columns: Sequence[object]) -> list[tuple[str, str]]:
    """(column, what it looks like) for each column whose name looks personal."""
    found = []
    for col in columns:
        norm = re.sub(r"[^a-z0-9]+", "_", str(col).strip().lower()).strip("_")
        what = next(
            (w for w, pat in PERSONAL_COLUMN_PATTERNS.items() if re.search(pat, norm)), None
        )
        if what is not None:
            found.append((str(col), what))
    return found


def read_staff_origins(
    path: str | os.PathLike[str],
    *,
    zone_ids: Sequence[str] | npt.NDArray[Any] | pd.Index[Any],
    count_column: str | None = None,
) -> pd.Series:
    """Read counts of staff per home zone from a CSV file.

    Parameters
    ----------
    path
        CSV (UTF-8, optionally with a byte-order mark) with a ``zone_id`` column and one
        count column; other columns are ignored unless they look personal (refused).
    zone_ids
        Ids of the study's zones, in the order results should follow (matrix rows).
    count_column
        The count column; by default ``staff``, else ``count``, ``headcount`` or ``n``,
        else the only column besides ``zone_id``.

    Returns
    -------
    pandas.Series
        float64 staff counts (whole numbers, >= 0) indexed by ``zone_id`` (str) in the
        order of ``zone_ids``, 0 for zones absent from the file; named ``staff``.
        Zones listed more than once are summed (with a warning).

    Raises
    ------
    DataSourceError
        If the file is missing, empty or not readable as CSV.
    DataContractError
        If a column looks personal (name, postcode, address, date of birth, NHS number,
        email, phone, ...), naming the file and columns; if ``zone_id`` values are
        empty or not among ``zone_ids`` (how many, the first few); or if counts are
        blank, non-numeric, negative or not whole (naming the CSV lines).
    MissingColumnError
        If ``zone_id`` or the count column is missing.

    Warns
    -----
    DataQualityWarning
        When a zone appears on several rows (the counts are summed).
    """
    t0 = time.perf_counter()
    p = check_input_file(path, what="staff origins")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        msg = (
            f"staff origins {p}: cannot read as CSV ({err}); save it as UTF-8 CSV with a header row"
        )
        raise DataSourceError(msg) from err
    df.columns = pd.Index([str(c).strip() for c in df.columns])
    personal = _personal_columns(list(df.columns))
    if personal:
        cols = "; ".join(f"`{c}` (looks like {what})" for c, what in personal)
        msg = (
            f"staff origins {p}: {len(personal)} column(s) look like personal data: {cols}. "
            "This file must hold counts of staff per zone only (columns zone_id and a count, "
            "e.g. staff): aggregate to counts per zone and remove personal columns before loading"
        )
        raise DataContractError(msg)
    if "zone_id" not in df.columns:
        msg = (
            f"staff origins {p}: no `zone_id` column (columns: {format_ids(df.columns)}); "
            "give the home zone of each count in a column named zone_id"
        )
        raise MissingColumnError(msg)
    others = [c for c in df.columns if c != "zone_id"]
    col = count_column
    if col is None:
        col = next((c for c in _COUNT_COLUMNS if c in df.columns), None)
        if col is None and len(others) == 1:
            col = others[0]
    if col is None or col not in df.columns:
        msg = (
            f"staff origins {p}: count column {col or 'staff'!r} not found (columns: "
            f"{format_ids(df.columns)}); name it `staff` or pass count_column"
        )
        raise MissingColumnError(msg)
    problems = Problems(f"staff origins {p}")
    ids = df["zone_id"].str.strip()
    lines = np.arange(len(df)) + 2  # CSV line numbers: line 1 is the header
    blank = (ids == "").to_numpy()
    if blank.any():
        problems.add(f"{int(blank.sum())} row(s) have no zone_id (lines {format_ids(lines[blank])})")  # fmt: skip
    raw = df[col].str.strip()
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(num) | (num < 0) | (num != np.round(num))
    if bad.any():
        examples = ", ".join(repr(v) for v in raw[bad].unique()[:3])
        problems.add(
            f"column `{col}` has {int(bad.sum())} value(s) that are not whole numbers ≥ 0 "
            f"({examples}; lines {format_ids(lines[bad])}); give a count of staff per zone"
        )
    known = pd.Index([str(z) for z in zone_ids], dtype="str")
    if known.has_duplicates:
        msg = f"zone_ids repeat {int(known.duplicated().sum())} id(s); pass each study zone once"
        raise DataContractError(msg)
    unknown = sorted(set(ids[~blank]) - set(known))
    if unknown:
        problems.add(
            f"{len(unknown)} zone_id value(s) are not zones of the study ({format_ids(unknown, limit=5)}); "
            "use the study's zone ids (e.g. LSOA 2021 codes)"
        )
    problems.raise_if_any()
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        msg = (
            f"staff origins {p}: {ids[dup].nunique()} zone(s) appear on several rows "
            f"({format_ids(sorted(ids[dup].unique()))}); their counts are summed"
        )
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    sums = pd.Series(num, index=pd.Index(ids.to_numpy(dtype=str), dtype="str")).groupby(level=0).sum()  # fmt: skip
    out = sums.reindex(known, fill_value=0.0).astype(np.float64)
    out.index.name = "zone_id"
    out.name = "staff"
    logger.info(
        "staff origins %s: %d staff in %d of %d zones, in %.2f s",
        p.name, int(out.sum()), int((out > 0).sum()), len(out), time.perf_counter() - t0,
    )  # fmt: skip
    return out


def _check_counts(counts: Any, n_zones: int) -> _FArr:
    w = np.asarray(counts, dtype=np.float64)
    if w.shape != (n_zones,):
        msg = f"staff counts have shape {w.shape}, expected ({n_zones},): one count per zone (matrix row)"
        raise DataContractError(msg)
    nan, neg = int(np.isnan(w).sum()), int((w < 0).sum() + np.isinf(w).sum())
    if nan or neg:
        what = f"{nan} NaN value(s); use 0 for zones with no staff" if nan else f"{neg} negative or infinite value(s); counts are ≥ 0"  # fmt: skip
        msg = f"staff counts have {what}"
        raise DataContractError(msg)
    return w


def _check_thresholds(thresholds: Sequence[float]) -> list[float]:
    out = sorted({float(t) for t in thresholds})
    if not out or not all(math.isfinite(t) and t > 0 for t in out):
        msg = f"thresholds must be positive finite minutes, got {list(thresholds)!r}"
        raise ConfigError(msg)
    return out


def _weighted_quantile(values: _FArr, weights: _FArr, q: float) -> float:
    """Lower weighted quantile: the least value whose cumulative weight reaches ``q`` of the total."""
    keep = np.isfinite(values) & (weights > 0)
    v, w = values[keep], weights[keep]
    if v.size == 0:
        return math.nan
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    k = int(np.searchsorted(cum, q * cum[-1] * (1 - 1e-12), side="left"))
    return float(v[order][min(k, v.size - 1)])


def _summary(times: _FArr, w: _FArr, thresholds: list[float]) -> dict[str, Any]:
    total = float(w.sum())
    reached = np.isfinite(times)
    staff_reached = float(w[reached].sum())
    wt = float((w[reached] * times[reached]).sum())
    share = {t: float(w[reached & (times <= t)].sum()) / total if total > 0 else math.nan
             for t in thresholds}  # fmt: skip
    return {
        "staff": total, "staff_reached": staff_reached, "staff_unreachable": total - staff_reached,
        "zones_unreachable": int(((w > 0) & ~reached).sum()),
        "mean_min": wt / staff_reached if staff_reached > 0 else math.nan,
        "median_min": _weighted_quantile(times, w, 0.5),
        "p90_min": _weighted_quantile(times, w, 0.9), "share_within": share,
    }  # fmt: skip


def staff_access(
    minutes: npt.ArrayLike,
    staff_counts: npt.ArrayLike,
    *,
    sites_mask: npt.ArrayLike | None = None,
    thresholds: Sequence[float] = DEFAULT_COMMUTE_THRESHOLDS,
) -> dict[str, Any]:
    """Summarise commutes from staff home zones to the nearest of a set of sites.

    Parameters
    ----------
    minutes
        ``(n_zones, n_sites)`` travel times in minutes (NaN = unreachable or beyond
        the cut-off), zones in the order of ``staff_counts``.
    staff_counts
        ``(n_zones,)`` staff living in each zone (>= 0, no NaN), e.g. from
        :func:`read_staff_origins`.
    sites_mask
        Optional ``(n_sites,)`` booleans selecting the sites staff commute to (default:
        all columns).
    thresholds
        Commute thresholds in minutes (inclusive: a time equal to a threshold is within).

    Returns
    -------
    dict
        ``staff`` (total), ``staff_reached`` (staff whose zone reaches a site),
        ``staff_unreachable``, ``zones_unreachable`` (zones with staff and no site
        reachable), ``mean_min``, ``median_min`` and ``p90_min`` (staff-weighted, over
        staff who reach a site; lower weighted quantiles; NaN if none), ``share_within``
        (``{threshold: share of all staff, 0..1}``; unreachable staff count as not within;
        NaN with no staff), and ``nearest_min`` (``(n_zones,)`` float64 minutes to the
        nearest selected site, NaN if none).

    Raises
    ------
    DataContractError
        If shapes disagree, or counts are NaN, negative or infinite.
    ConfigError
        If a threshold is not a positive number, or no site is selected.
    """
    m = np.asarray(minutes, dtype=np.float64)
    if m.ndim != 2:
        msg = f"minutes must be a 2-D zones × sites array, got shape {m.shape}"
        raise DataContractError(msg)
    w = _check_counts(staff_counts, m.shape[0])
    ts = _check_thresholds(thresholds)
    if sites_mask is not None:
        mask = np.asarray(sites_mask)
        if mask.dtype != bool or mask.shape != (m.shape[1],):
            msg = f"sites_mask must be {m.shape[1]} booleans (one per site), got {mask.dtype} {mask.shape}"
            raise DataContractError(msg)
        if not mask.any():
            msg = "sites_mask selects no site; select at least one site staff commute to"
            raise ConfigError(msg)
        m = m[:, mask]
    best = np.where(np.isnan(m), np.inf, m).min(axis=1, initial=np.inf)
    nearest = np.where(np.isfinite(best), best, np.nan)
    out = _summary(nearest, w, ts)
    out["nearest_min"] = nearest
    logger.info(
        "staff access: %.0f staff, %d sites, mean %.1f min, %.0f unreachable",
        out["staff"], m.shape[1], out["mean_min"], out["staff_unreachable"],
    )  # fmt: skip
    return out


def commute_by_site(
    minutes: npt.ArrayLike,
    staff_counts: npt.ArrayLike,
    site_ids: Sequence[str],
    *,
    thresholds: Sequence[float] = DEFAULT_COMMUTE_THRESHOLDS,
) -> pd.DataFrame:
    """Staff commute to each site in turn, as if the team were based there.

    Parameters
    ----------
    minutes, staff_counts, thresholds
        As for :func:`staff_access`.
    site_ids
        Ids of the columns of ``minutes``.

    Returns
    -------
    pandas.DataFrame
        Index ``site_id`` (str); columns ``staff_reached``, ``staff_unreachable``,
        ``mean_min``, ``median_min``, ``p90_min`` (as for :func:`staff_access`, with
        only this site) and ``within_<T>_min`` (share of all staff, 0..1) per threshold.

    Raises
    ------
    DataContractError, ConfigError
        As for :func:`staff_access`.
    """
    m = np.asarray(minutes, dtype=np.float64)
    if m.ndim != 2 or len(site_ids) != m.shape[1]:
        msg = f"minutes has shape {m.shape}, expected (n_zones, {len(site_ids)}): one column per site id"
        raise DataContractError(msg)
    w = _check_counts(staff_counts, m.shape[0])
    ts = _check_thresholds(thresholds)
    rows = []
    for k in range(m.shape[1]):  # one pass per site: sites are few
        s = _summary(m[:, k], w, ts)
        row = {key: s[key] for key in _SITE_COLUMNS}
        row.update({f"within_{t:g}_min": s["share_within"][t] for t in ts})
        rows.append(row)
    index = pd.Index([str(s) for s in site_ids], name="site_id", dtype="str")
    return pd.DataFrame(rows, index=index)

"""Equity of access: how it differs with deprivation and between neighbourhoods; who is left behind.

Every function takes per-zone arrays in one shared order (position *i* is the same zone in
each): a value (minutes to the nearest asset, a share within T, a 2SFCA ratio), a weight
(the cohort's size, people or households, >= 0: zones count by cohort size, never by
number) and deprivation: ``imd_decile`` (1 = most deprived tenth of England), ``imd_rank``
(1 = most deprived LSOA in England) or an IMD score.

Measures
--------
* **Quintile gap and ratio**: quintile ``q = ceil(decile / 2)`` (Q1 most deprived);
  gap = Q1 mean − Q5 mean, ratio = Q1 mean / Q5 mean (cohort-weighted means).
* **Slope index of inequality (SII)**, after Low & Low (2004, *J Public Health*
  26:388–395) as used by PHE/OHID Fingertips (public health technical guidance, "Slope
  index of inequality (SII) and relative index of inequality (RII)") and
  ``PHEindicatormethods::phe_sii``: the slope of a population-weighted least-squares
  regression of the value on the *ridit*, the cumulative population share at the midpoint
  of each zone's deprivation level, from 0 (most deprived) to 1 (least deprived). So SII =
  fitted value at the least deprived end − fitted value at the most deprived end. Zones of
  equal deprivation share a ridit: deciles give exactly the decile-group SII of Fingertips
  (whose square-root transformed regression is this weighted one); ranks give one per zone.
* **Relative index of inequality (RII)** = SII / population-weighted mean: the "relative to
  the mean" variant (Mackenbach & Kunst 1997, *Soc Sci Med* 44:757–771; ScotPHO).
  ``phe_sii(rii = TRUE)`` reports the other variant, fitted least-deprived / fitted
  most-deprived value; it is returned too, as ``rii_extremes``.
* **Concentration index** ``C = 2 cov_w(y, R) / mean_w(y)``, ``R`` the weighted fractional
  rank (the same ridit) from most to least deprived (Kakwani, Wagstaff & van Doorslaer 1997,
  *J Econometrics* 77:87–103; O'Donnell et al. 2008, *Analyzing Health Equity Using
  Household Survey Data*, World Bank, ch. 8). With the same ranks, ``C = 2 var_w(R) · RII``.

Signs: when is access worse in more deprived areas?
---------------------------------------------------
For minutes (lower is better): gap > 0 (ratio > 1), SII < 0, RII < 0, C < 0.
For shares or 2SFCA (higher is better): gap < 0 (ratio < 1), SII > 0, RII > 0, C > 0.
The SII has the opposite sign to the gap because it runs from most to least deprived.
Results carry ``worse_in_deprived`` (set by ``higher_is_better``) saying it in words.

Missing values
--------------
Unknown deprivation (NaN) is left out of every equity measure with a
:class:`~estatesplan.errors.DataQualityWarning` naming how many zones and people. A NaN or
infinite value means unreachable within the travel-time cut-off: such zones are left out
with a warning naming how many, unless ``cutoff_min`` (the matrix cut-off) is given, which
counts them at the cut-off. :func:`left_behind` always counts unreachable zones as poor.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import TypedDict, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._equity_common import ArrayLike, Clean, FloatArray, log_done, prepare
from .equity_zones import compare_groups, left_behind
from .errors import ConfigError
from .validate import format_ids

__all__ = [
    "QuintileGap",
    "SlopeIndex",
    "compare_groups",
    "concentration_index",
    "equity_table",
    "left_behind",
    "quintile_gap",
    "quintile_summary",
    "slope_index",
]

logger = logging.getLogger(__name__)


class QuintileGap(TypedDict):
    """Result of :func:`quintile_gap` (signs: see the module notes)."""

    q1_mean: float
    q5_mean: float
    gap: float
    ratio: float
    q1_weight: float
    q5_weight: float
    worse_in_deprived: bool | None


class SlopeIndex(TypedDict):
    """Result of :func:`slope_index` (signs: see the module notes)."""

    sii: float
    rii: float
    rii_extremes: float
    mean: float
    fitted_most_deprived: float
    fitted_least_deprived: float
    zones: int
    weight: float
    worse_in_deprived: bool | None


# ----------------------------------------------------------------------------- cores


def _worse(diff: float, higher_is_better: bool) -> bool | None:
    """Is a (more deprived − less deprived) difference a disadvantage to the more deprived?"""
    if not math.isfinite(diff):
        return None
    return bool(diff < 0) if higher_is_better else bool(diff > 0)


def _quintiles(c: Clean) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    q = np.ceil(c.key / 2.0).astype(np.int64)
    weight = np.bincount(q, weights=c.weights, minlength=6)[1:].astype(np.float64)
    total = np.bincount(q, weights=c.weights * c.values, minlength=6)[1:].astype(np.float64)
    mean = np.full(5, np.nan)
    np.divide(total, weight, out=mean, where=weight > 0)
    return weight, mean, np.bincount(q, minlength=6)[1:].astype(np.int64)


def _gap(c: Clean, higher_is_better: bool) -> QuintileGap:
    weight, mean, _ = _quintiles(c)
    q1, q5 = float(mean[0]), float(mean[4])
    return QuintileGap(
        q1_mean=q1,
        q5_mean=q5,
        gap=q1 - q5,
        ratio=q1 / q5 if q5 != 0 and math.isfinite(q5) else math.nan,
        q1_weight=float(weight[0]),
        q5_weight=float(weight[4]),
        worse_in_deprived=_worse(q1 - q5, higher_is_better),
    )


def _ridit(key: FloatArray, w: FloatArray, most_deprived_first: bool) -> FloatArray:
    """Cumulative weight share at the midpoint of each deprivation level, 0 = most deprived."""
    uniq, inv = np.unique(key if most_deprived_first else -key, return_inverse=True)
    gw = np.bincount(inv, weights=w, minlength=len(uniq))
    return np.asarray(((np.cumsum(gw) - gw / 2.0) / gw.sum())[inv], dtype=np.float64)


def _moments(c: Clean, most_deprived_first: bool) -> tuple[float, float, float, float, float]:
    """W, weighted means of y and x, S_xx and S_xy of the regression of y on the ridit x."""
    w, y = c.weights, c.values
    total = float(w.sum())
    if total <= 0:
        return total, math.nan, math.nan, math.nan, math.nan
    x = _ridit(c.key, w, most_deprived_first)
    xbar, ybar = float(w @ x) / total, float(w @ y) / total
    dx = x - xbar
    return total, ybar, xbar, float(w @ (dx * dx)), float(w @ (dx * (y - ybar)))


def _ratio(a: float, b: float) -> float:
    return a / b if b != 0 and math.isfinite(b) else math.nan


def _slope(c: Clean, most_deprived_first: bool, higher_is_better: bool) -> SlopeIndex:
    total, ybar, xbar, sxx, sxy = _moments(c, most_deprived_first)
    sii = sxy / sxx if total > 0 and sxx > 1e-12 * total else math.nan
    a = ybar - sii * xbar
    return SlopeIndex(
        sii=sii,
        rii=_ratio(sii, ybar),
        rii_extremes=_ratio(a + sii, a),
        mean=ybar,
        fitted_most_deprived=a,
        fitted_least_deprived=a + sii,
        zones=len(c.values),
        weight=total,
        worse_in_deprived=_worse(-sii, higher_is_better),  # -SII = most − least deprived
    )


def _concentration(c: Clean, most_deprived_first: bool) -> float:
    total, ybar, _, _, sxy = _moments(c, most_deprived_first)
    return _ratio(2.0 * sxy / total, ybar) if total > 0 else math.nan


# ----------------------------------------------------------------------------- public


def quintile_summary(
    values: ArrayLike,
    weights: ArrayLike,
    imd_decile: ArrayLike,
    *,
    cutoff_min: float | None = None,
    weight_name: str = "people",
) -> pd.DataFrame:
    """Cohort-weighted mean of a value in each IMD quintile.

    Parameters
    ----------
    values
        Value per zone (minutes, share, ...); NaN = unreachable (see the module notes).
    weights
        Cohort size per zone (people or households), >= 0, no NaN.
    imd_decile
        IMD decile per zone, 1 (most deprived) .. 10; NaN = unknown (left out, warned).
    cutoff_min
        Minutes at which to count unreachable (NaN) zones; None leaves them out, warned.
    weight_name
        What the weights count, for messages (e.g. ``"people over 65"``).

    Returns
    -------
    pandas.DataFrame
        Index ``quintile`` 1 (deciles 1–2, most deprived) .. 5 (deciles 9–10); columns
        ``weight`` (cohort size used), ``mean`` (NaN when the weight is 0), ``zones``.

    Examples
    --------
    >>> quintile_summary([10, 20, 5], [1, 3, 2], [1, 2, 10])["mean"].tolist()
    [17.5, nan, nan, nan, 5.0]
    """
    t0 = time.perf_counter()
    c = prepare("quintile_summary", values, weights, imd_decile, "decile", cutoff_min, weight_name)
    weight, mean, zones = _quintiles(c)
    log_done(logger, "quintile summary", len(c.values), t0)
    index = pd.RangeIndex(1, 6, name="quintile")
    return pd.DataFrame({"weight": weight, "mean": mean, "zones": zones}, index=index)


def quintile_gap(
    values: ArrayLike,
    weights: ArrayLike,
    imd_decile: ArrayLike,
    *,
    higher_is_better: bool = False,
    cutoff_min: float | None = None,
    weight_name: str = "people",
) -> QuintileGap:
    """Gap and ratio between the most (Q1) and least (Q5) deprived fifths.

    Parameters
    ----------
    values, weights, imd_decile, cutoff_min, weight_name
        As in :func:`quintile_summary`.
    higher_is_better
        False for minutes, True for shares or 2SFCA ratios; only ``worse_in_deprived``
        depends on it.

    Returns
    -------
    QuintileGap
        ``q1_mean``, ``q5_mean``; ``gap`` = Q1 − Q5; ``ratio`` = Q1 / Q5 (NaN when Q5 is
        0 or NaN); ``q1_weight``, ``q5_weight``; ``worse_in_deprived``: True when the most
        deprived fifth is worse off (longer minutes, or lower share), None if a mean is NaN.

    Examples
    --------
    >>> g = quintile_gap([10, 20, 5], [1, 3, 2], [1, 2, 10])
    >>> g["gap"], g["ratio"], g["worse_in_deprived"]
    (12.5, 3.5, True)
    """
    t0 = time.perf_counter()
    c = prepare("quintile_gap", values, weights, imd_decile, "decile", cutoff_min, weight_name)
    log_done(logger, "quintile gap", len(c.values), t0)
    return _gap(c, higher_is_better)


def slope_index(
    values: ArrayLike,
    weights: ArrayLike,
    imd_rank_or_score: ArrayLike,
    *,
    most_deprived_first: bool = True,
    higher_is_better: bool = False,
    cutoff_min: float | None = None,
    weight_name: str = "people",
) -> SlopeIndex:
    """Slope and relative index of inequality across deprivation (Fingertips method).

    Parameters
    ----------
    values, weights, cutoff_min, weight_name
        As in :func:`quintile_summary`.
    imd_rank_or_score
        Deprivation per zone: IMD rank or decile (1 = most deprived), or IMD score (higher
        = more deprived; then ``most_deprived_first=False``); NaN = unknown.
    most_deprived_first
        True when the smallest number is the most deprived (ranks, deciles).
    higher_is_better
        As in :func:`quintile_gap`.

    Returns
    -------
    SlopeIndex
        ``sii`` (unit of ``values``) = fitted least-deprived − fitted most-deprived value;
        ``rii`` = SII / ``mean`` (population-weighted mean); ``rii_extremes`` = fitted
        least / fitted most deprived (the ``phe_sii`` variant); ``fitted_most_deprived``,
        ``fitted_least_deprived``; ``zones`` and ``weight`` used; ``worse_in_deprived``.
        SII and RII are NaN when fewer than two deprivation levels carry weight.

    Examples
    --------
    >>> s = slope_index([20, 15, 10, 5], [1, 1, 1, 1], [1, 4, 7, 10])
    >>> s["sii"], s["rii"], s["worse_in_deprived"]
    (-20.0, -1.6, True)
    """
    t0 = time.perf_counter()
    c = prepare("slope_index", values, weights, imd_rank_or_score, "rank", cutoff_min, weight_name)
    log_done(logger, "slope index", len(c.values), t0)
    return _slope(c, most_deprived_first, higher_is_better)


def concentration_index(
    values: ArrayLike,
    weights: ArrayLike,
    rank: ArrayLike,
    *,
    most_deprived_first: bool = True,
    cutoff_min: float | None = None,
    weight_name: str = "people",
) -> float:
    """Concentration index of a value across deprivation, ranked most to least deprived.

    ``C = 2 cov_w(y, R) / mean_w(y)``, with ``R`` the population-weighted fractional rank
    (zones of equal deprivation share the midpoint of their block).

    Parameters
    ----------
    values, weights, cutoff_min, weight_name
        As in :func:`quintile_summary`.
    rank, most_deprived_first
        As ``imd_rank_or_score`` and ``most_deprived_first`` of :func:`slope_index`.

    Returns
    -------
    float
        In [-1, 1] for non-negative values; negative when the value is concentrated in the
        more deprived zones (for minutes: worse access there); NaN when the mean is 0.

    Examples
    --------
    >>> concentration_index([20, 15, 10, 5], [1, 1, 1, 1], [1, 4, 7, 10])
    -0.25
    """
    t0 = time.perf_counter()
    c = prepare("concentration_index", values, weights, rank, "rank", cutoff_min, weight_name)
    log_done(logger, "concentration index", len(c.values), t0)
    return _concentration(c, most_deprived_first)


def equity_table(
    values_by_key: Mapping[str, ArrayLike],
    weights_by_key: Mapping[str, ArrayLike] | ArrayLike,
    imd_decile: ArrayLike,
    imd_rank: ArrayLike | None = None,
    *,
    higher_is_better: bool | Mapping[str, bool] = False,
    cutoff_min: float | None = None,
    weight_name: str = "people",
) -> pd.DataFrame:
    """Every equity measure for several indicators (e.g. cohort × mode × asset set).

    Parameters
    ----------
    values_by_key
        Indicator name → value per zone.
    weights_by_key
        Indicator name → cohort size per zone, or one array for every indicator.
    imd_decile
        IMD decile per zone (quintile gap; SII and C too when ``imd_rank`` is None).
    imd_rank
        IMD rank per zone (1 = most deprived) for the SII and concentration index.
    higher_is_better
        One flag for all, or indicator name → flag (names not given: False).
    cutoff_min, weight_name
        As in :func:`quintile_summary`.

    Returns
    -------
    pandas.DataFrame
        Index ``key``; columns ``zones``, ``weight``, ``mean``, ``q1_mean``, ``q5_mean``,
        ``gap``, ``ratio``, ``worse_in_deprived`` (by the gap), ``sii``, ``rii``,
        ``rii_extremes``, ``sii_worse_in_deprived``, ``concentration_index``,
        ``higher_is_better``, ``rank_basis`` (``"imd_rank"`` or ``"imd_decile"``).
    """
    t0 = time.perf_counter()
    per_key = isinstance(weights_by_key, Mapping)
    by_key = cast("Mapping[str, ArrayLike]", weights_by_key)
    if per_key and (missing := [k for k in values_by_key if k not in by_key]):
        msg = f"equity_table: no weights for {format_ids(missing)}; give one array per value key."
        raise ConfigError(msg)
    rows = []
    for key, vals in values_by_key.items():
        w = by_key[key] if per_key else weights_by_key
        hib = bool(
            higher_is_better.get(key, False)
            if isinstance(higher_is_better, Mapping)
            else higher_is_better
        )
        args = (f"equity_table[{key}]", vals, cast("ArrayLike", w))
        qc = prepare(*args, imd_decile, "decile", cutoff_min, weight_name)
        rc = qc if imd_rank is None else prepare(*args, imd_rank, "rank", cutoff_min, weight_name)
        gap, sii = _gap(qc, hib), _slope(rc, True, hib)
        rows.append(
            {
                "key": key,
                "zones": sii["zones"],
                "weight": sii["weight"],
                "mean": sii["mean"],
                "q1_mean": gap["q1_mean"],
                "q5_mean": gap["q5_mean"],
                "gap": gap["gap"],
                "ratio": gap["ratio"],
                "worse_in_deprived": gap["worse_in_deprived"],
                "sii": sii["sii"],
                "rii": sii["rii"],
                "rii_extremes": sii["rii_extremes"],
                "sii_worse_in_deprived": sii["worse_in_deprived"],
                "concentration_index": _concentration(rc, True),
                "higher_is_better": hib,
                "rank_basis": "imd_decile" if imd_rank is None else "imd_rank",
            }
        )
    out = pd.DataFrame(rows, index=pd.Index([r["key"] for r in rows], name="key"))
    logger.debug("equity table of %d indicators in %.3f s", len(out), time.perf_counter() - t0)
    return out.drop(columns="key") if rows else out

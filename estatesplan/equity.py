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
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypedDict, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from .errors import ConfigError, DataContractError, DataQualityWarning, DuplicateIdError
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

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ArrayLike = npt.ArrayLike


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


# ----------------------------------------------------------------------------- checks


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.1f}"


def _log(what: str, n: int, t0: float) -> None:
    logger.info("%s over %d zones in %.3f s", what, n, time.perf_counter() - t0)


def _to_float(x: ArrayLike, name: str) -> FloatArray:
    if np.ndim(x) != 1:
        msg = f"{name} must be one-dimensional (one value per zone); got {np.ndim(x)} dimensions"
        raise DataContractError(msg)
    s = x if isinstance(x, pd.Series) else pd.Series(x)
    if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
        try:
            s = pd.to_numeric(s, errors="raise")
        except (ValueError, TypeError) as exc:
            msg = f"{name} must be numbers, one per zone ({exc}); convert the column to numbers."
            raise DataContractError(msg) from exc
    return np.array(s.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64, copy=True)


def _check_inputs(caller: str, arrays: Mapping[str, object]) -> None:
    sized = {k: len(cast("pd.Series[float]", v)) for k, v in arrays.items() if v is not None}
    if len(set(sized.values())) > 1:
        detail = ", ".join(f"{k} has {n} entries" for k, n in sized.items())
        msg = f"{caller}: {detail}; every array must have one entry per zone, in the same order."
        raise DataContractError(msg)
    series = {k: v.index for k, v in arrays.items() if isinstance(v, pd.Series)}
    names = list(series)
    bad = [k for k in names[1:] if not series[names[0]].equals(series[k])]
    if bad:
        msg = (
            f"{caller}: the pandas index of {', '.join(bad)} differs from that of {names[0]}; "
            "arrays are matched by position, so reindex them to one zone order (or pass numpy "
            "arrays)."
        )
        raise DataContractError(msg)


def _weights(w: ArrayLike, name: str = "weights") -> FloatArray:
    out = _to_float(w, name)
    if (bad := ~np.isfinite(out)).any():
        msg = (
            f"{name}: {int(bad.sum())} zone(s) have no cohort size (NaN or infinite) at "
            f"positions {format_ids(np.flatnonzero(bad))}; fill them (0 if nobody) first."
        )
        raise DataContractError(msg)
    if (neg := out < 0).any():
        msg = (
            f"{name}: {int(neg.sum())} zone(s) have negative cohort sizes (e.g. "
            f"{out[neg][0]:g} at position {int(np.flatnonzero(neg)[0])}); sizes must be >= 0."
        )
        raise DataContractError(msg)
    return out


def _deciles(d: ArrayLike, name: str = "imd_decile") -> FloatArray:
    out = _to_float(d, name)
    bad = ~np.isnan(out) & ~np.isin(out, np.arange(1.0, 11.0))
    if bad.any():
        msg = (
            f"{name}: {int(bad.sum())} zone(s) have deciles outside 1..10 or not whole numbers "
            f"({format_ids(f'{x:g}' for x in np.unique(out[bad]))}); IMD deciles run from 1 "
            "(most deprived tenth of England) to 10."
        )
        raise DataContractError(msg)
    return out


def _check_cutoff(cutoff_min: float | None) -> None:
    if cutoff_min is not None and not (math.isfinite(cutoff_min) and cutoff_min >= 0):
        msg = f"cutoff_min must be a finite number of minutes >= 0, or None; got {cutoff_min!r}"
        raise ConfigError(msg)


def _values(v: ArrayLike, cutoff_min: float | None) -> FloatArray:
    _check_cutoff(cutoff_min)
    out = _to_float(v, "values")
    out[~np.isfinite(out)] = np.nan if cutoff_min is None else cutoff_min
    return out


def _left_out(mask: BoolArray, w: FloatArray, weight_name: str, what: str) -> list[str]:
    if not mask.any():
        return []
    return [f"{int(mask.sum())} zone(s) ({_fmt(float(w[mask].sum()))} {weight_name}) {what}"]


_NO_VALUE = (
    "with no value (NaN: unreachable within the travel-time cut-off) left out; pass "
    "cutoff_min=<the cut-off> to count them at the cut-off instead"
)


@dataclass(frozen=True, slots=True)
class _Clean:
    values: FloatArray
    weights: FloatArray
    key: FloatArray


def _prepare(
    caller: str,
    values: ArrayLike,
    weights: ArrayLike,
    deprivation: ArrayLike,
    kind: Literal["decile", "rank"],
    cutoff_min: float | None,
    weight_name: str,
) -> _Clean:
    """Check inputs, warn once about what is left out, and return the zones kept."""
    label = "IMD decile" if kind == "decile" else "deprivation rank or score"
    _check_inputs(caller, {"values": values, "weights": weights, label: deprivation})
    v, w = _values(values, cutoff_min), _weights(weights)
    d = _deciles(deprivation) if kind == "decile" else _to_float(deprivation, label)
    unknown = ~np.isfinite(d)
    no_value = ~unknown & np.isnan(v)
    notes = _left_out(
        unknown, w, weight_name, f"with unknown {label} (NaN) left out; add it to the zones"
    ) + _left_out(no_value, w, weight_name, _NO_VALUE)
    if notes:
        warnings.warn(f"{caller}: " + "; ".join(notes) + ".", DataQualityWarning, stacklevel=3)
    keep = ~unknown & ~no_value
    return _Clean(v[keep], w[keep], d[keep])


def _worse(diff: float, higher_is_better: bool) -> bool | None:
    """Is a (more deprived − less deprived) difference a disadvantage to the more deprived?"""
    if not math.isfinite(diff):
        return None
    return bool(diff < 0) if higher_is_better else bool(diff > 0)


# ----------------------------------------------------------------------------- cores


def _quintiles(c: _Clean) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    q = np.ceil(c.key / 2.0).astype(np.int64)
    weight = np.bincount(q, weights=c.weights, minlength=6)[1:].astype(np.float64)
    total = np.bincount(q, weights=c.weights * c.values, minlength=6)[1:].astype(np.float64)
    mean = np.full(5, np.nan)
    np.divide(total, weight, out=mean, where=weight > 0)
    return weight, mean, np.bincount(q, minlength=6)[1:].astype(np.int64)


def _gap(c: _Clean, higher_is_better: bool) -> QuintileGap:
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


def _moments(c: _Clean, most_deprived_first: bool) -> tuple[float, float, float, float, float]:
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


def _slope(c: _Clean, most_deprived_first: bool, higher_is_better: bool) -> SlopeIndex:
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


def _concentration(c: _Clean, most_deprived_first: bool) -> float:
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
    c = _prepare("quintile_summary", values, weights, imd_decile, "decile", cutoff_min, weight_name)
    weight, mean, zones = _quintiles(c)
    _log("quintile summary", len(c.values), t0)
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
    c = _prepare("quintile_gap", values, weights, imd_decile, "decile", cutoff_min, weight_name)
    _log("quintile gap", len(c.values), t0)
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
    c = _prepare("slope_index", values, weights, imd_rank_or_score, "rank", cutoff_min, weight_name)
    _log("slope index", len(c.values), t0)
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
    c = _prepare("concentration_index", values, weights, rank, "rank", cutoff_min, weight_name)
    _log("concentration index", len(c.values), t0)
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
        qc = _prepare(*args, imd_decile, "decile", cutoff_min, weight_name)
        rc = qc if imd_rank is None else _prepare(*args, imd_rank, "rank", cutoff_min, weight_name)
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
    logger.info("equity table of %d indicators in %.3f s", len(out), time.perf_counter() - t0)
    return out.drop(columns="key") if rows else out


def _weighted_quantile(v: FloatArray, w: FloatArray, q: float) -> float:
    pos = w > 0
    if not pos.any():
        return math.nan
    return float(np.quantile(v[pos], q, weights=w[pos], method="inverted_cdf"))


def compare_groups(
    values: ArrayLike,
    weights: ArrayLike,
    groups: ArrayLike,
    *,
    zone_ids: ArrayLike | None = None,
    higher_is_better: bool = False,
    cutoff_min: float | None = None,
    weight_name: str = "people",
) -> pd.DataFrame:
    """Compare groups of zones (e.g. neighbourhoods) on a cohort-weighted value.

    Parameters
    ----------
    values, weights, cutoff_min, weight_name
        As in :func:`quintile_summary`.
    groups
        Group per zone (e.g. ``neighbourhood_id``); NaN/None = in no group (left out, warned).
    zone_ids
        Zone ids for the worst zone; default the index of ``values`` when it is a Series,
        else positions 0..n−1.
    higher_is_better
        False for minutes: the worst zone has the largest value; rank 1 the largest mean.

    Returns
    -------
    pandas.DataFrame
        Index ``group`` (sorted); columns ``zones`` (with a value), ``weight``, ``mean``,
        ``median``, ``p10``, ``p90`` (cohort-weighted; a quantile is the smallest value with
        at least that share of the weight at or below it, numpy ``inverted_cdf``),
        ``worst_value``, ``worst_zone_id`` (worst zone with weight > 0; ties: lowest id as
        text) and ``rank`` (1 = worst off by mean; ties share the better-off-first rank).
        Statistics (and the worst id) are missing (NaN) for a group with no weight.
    """
    t0 = time.perf_counter()
    arrays = {"values": values, "weights": weights, "groups": groups, "zone_ids": zone_ids}
    _check_inputs("compare_groups", arrays)
    v, w = _values(values, cutoff_min), _weights(weights)
    if zone_ids is not None:
        ids = np.asarray(zone_ids, dtype=object)
    else:
        ids = np.asarray(values.index if isinstance(values, pd.Series) else np.arange(len(v)))
    codes, labels = pd.factorize(pd.Series(groups, dtype=object), sort=True)
    nogroup, novalue = codes < 0, (codes >= 0) & np.isnan(v)
    notes = _left_out(nogroup, w, weight_name, "in no group left out")
    notes += _left_out(novalue, w, weight_name, _NO_VALUE)
    if notes:
        warnings.warn("compare_groups: " + "; ".join(notes) + ".", DataQualityWarning, stacklevel=2)
    keep = ~nogroup & ~novalue
    bad = -v if higher_is_better else v
    rows = []
    for g, label in enumerate(labels):
        sel = np.flatnonzero(keep & (codes == g))
        gv, gw = v[sel], w[sel]
        total = float(gw.sum())
        row = {"group": label, "zones": len(sel), "weight": total, "mean": math.nan}
        row |= {k: _weighted_quantile(gv, gw, q) for k, q in (("median", 0.5), ("p10", 0.1))}
        row |= {"p90": _weighted_quantile(gv, gw, 0.9), "worst_value": math.nan}
        row["worst_zone_id"] = None
        if total > 0:
            cand = sel[gw > 0]
            top = cand[bad[cand] == bad[cand].max()]
            pick = top[np.argsort(ids[top].astype(str), kind="stable")[0]]
            row |= {"mean": float(gw @ gv) / total, "worst_value": float(v[pick])}
            row["worst_zone_id"] = ids[pick]
        rows.append(row)
    cols = ["group", "zones", "weight", "mean", "median", "p10", "p90", "worst_value"]
    out = pd.DataFrame(rows, columns=[*cols, "worst_zone_id"]).set_index("group")
    out["rank"] = out["mean"].rank(method="min", ascending=higher_is_better).astype("Int64")
    _log(f"compared {len(out)} groups", int(keep.sum()), t0)
    return out


def _top_share(bad: FloatArray, share: float) -> BoolArray:
    """True where at most ``share`` of zones (by count) have a value as high or higher."""
    as_high = len(bad) - np.searchsorted(np.sort(bad), bad, side="left")
    return np.asarray(as_high / len(bad) <= share + 1e-12, dtype=np.bool_)


def _share_word(q: float | None) -> str:
    return "fifth" if q is not None and abs(q - 0.8) < 1e-9 else f"{100 * (1 - (q or 0)):g}%"


def left_behind(
    zone_ids: ArrayLike,
    *,
    need: ArrayLike | None = None,
    access_minutes: ArrayLike,
    imd_decile: ArrayLike | None = None,
    need_quantile: float | None = 0.8,
    need_imd_max_decile: int | None = 2,
    need_rule: Literal["either", "both"] = "either",
    access_threshold: float | None = 20.0,
    access_quantile: float | None = 0.8,
    higher_is_better: bool = False,
    cutoff_min: float | None = None,
    need_label: str = "people",
    access_label: str = "nearest asset",
    mode_label: str = "",
    access_unit: str = "min",
) -> pd.DataFrame:
    """Zones with high need and poor access, worst first, each with a plain-English reason.

    High need (defaults): IMD decile <= ``need_imd_max_decile`` (2: the most deprived
    fifth of England, IMD quintile 1) OR ``need`` in the top fifth of zones (no more than a
    fifth of zones, by count, have a need as high or higher: ``need_quantile=0.8``);
    ``need_rule="both"`` asks for both when both are given. Poor access: beyond
    ``access_threshold`` (over it for minutes, under it if ``higher_is_better``) OR in the
    worst fifth of zones (``access_quantile=0.8``) OR unreachable (NaN, always poor). A
    rule whose keyword is None is switched off.

    Parameters
    ----------
    zone_ids
        Zone id per zone (unique).
    need
        Cohort size per zone (e.g. people over 65), >= 0, no NaN; None = IMD only.
    access_minutes
        Access per zone: minutes to the nearest asset (or a share with
        ``higher_is_better``); NaN = unreachable.
    imd_decile
        IMD decile per zone; NaN = unknown (cannot count as deprived; warned).
    need_quantile, need_imd_max_decile, need_rule, access_threshold, access_quantile
        The rule above (``access_threshold`` in ``access_unit``).
    higher_is_better
        True when access is a share or ratio rather than minutes.
    cutoff_min
        Minutes shown for unreachable zones (the matrix cut-off); None shows NaN.
    need_label, access_label, mode_label, access_unit
        Words for ``why``, e.g. ``"people over 65"``, ``"nearest GP"``, ``"on foot"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``zone_id``, ``need`` (NaN without ``need``), ``access``, ``imd_decile``
        (Int64) and ``why``, e.g. ``"IMD decile 1; 412 people over 65 (top fifth); nearest
        GP 23.4 min on foot, over 20 min"``; sorted by worst access (unreachable first),
        then higher need, then zone id as text.
    """
    t0 = time.perf_counter()
    problems = [
        "give `need` (cohort sizes), `imd_decile`, or both" if need is None and imd_decile is None else "",
        f"need_rule must be 'either' or 'both', not {need_rule!r}" if need_rule not in ("either", "both") else "",
        "set access_threshold or access_quantile" if access_threshold is None and access_quantile is None else "",
    ] + [
        f"{k} must be between 0 and 1 (exclusive) or None, not {q!r}"
        for k, q in (("need_quantile", need_quantile), ("access_quantile", access_quantile))
        if q is not None and not 0.0 < q < 1.0
    ]  # fmt: skip
    if problems := [p for p in problems if p]:
        msg = "left_behind: " + "; ".join(problems) + "."
        raise ConfigError(msg)
    _check_cutoff(cutoff_min)
    arrays = {"zone_ids": zone_ids, "need": need, "access_minutes": access_minutes}
    _check_inputs("left_behind", arrays | {"imd_decile": imd_decile})
    ids = pd.Series(np.asarray(zone_ids, dtype=object))
    if ids.duplicated().any():
        msg = f"left_behind: zone ids repeat ({format_ids(ids[ids.duplicated()].unique())}); give one row per zone."
        raise DuplicateIdError(msg)
    n, none = len(ids), np.zeros(len(ids), dtype=np.bool_)
    acc = _to_float(access_minutes, "access_minutes")
    unreachable = ~np.isfinite(acc)
    bad = np.where(unreachable, np.inf, -acc if higher_is_better else acc)
    nd = _weights(need, "need") if need is not None else None
    dec = _deciles(imd_decile) if imd_decile is not None else np.full(n, np.nan)
    if imd_decile is not None and np.isnan(dec).any():
        msg = f"left_behind: {int(np.isnan(dec).sum())} zone(s) have no IMD decile and cannot count as deprived."
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    top_need = _top_share(nd, 1 - need_quantile) if nd is not None and need_quantile else none
    deprived = dec <= need_imd_max_decile if need_imd_max_decile is not None else none
    both = need_rule == "both" and nd is not None and imd_decile is not None
    high = (top_need & deprived) if both else (top_need | deprived)
    limit = math.inf if access_threshold is None else access_threshold
    over = ~unreachable & (bad > (-limit if higher_is_better else limit))
    worst = _top_share(bad, 1 - access_quantile) if access_quantile is not None else none
    flagged = np.flatnonzero(high & (unreachable | over | worst))
    mode = f" {mode_label}" if mode_label else ""
    whys = []
    for i in flagged:
        parts = [f"IMD decile {int(dec[i])}"] if deprived[i] else []
        if nd is not None:
            top = f" (top {_share_word(need_quantile)})" if top_need[i] else ""
            parts.append(f"{_fmt(float(nd[i]))} {need_label}{top}")
        if unreachable[i] and cutoff_min is not None:
            text = f"{access_label} over {cutoff_min:g} {access_unit}{mode} (beyond the cut-off)"
        elif unreachable[i]:
            text = f"{access_label} unreachable{mode} within the cut-off"
        else:
            text = f"{access_label} {acc[i]:.1f} {access_unit}{mode}"
            if over[i]:
                side = "under" if higher_is_better else "over"
                text += f", {side} {access_threshold:g} {access_unit}"
            if worst[i]:
                text += f" (worst {_share_word(access_quantile)} of zones)"
        whys.append("; ".join([*parts, text]))
    shown = np.where(unreachable & (cutoff_min is not None), cutoff_min or 0.0, acc)
    out = pd.DataFrame(
        {
            "zone_id": ids.to_numpy()[flagged],
            "need": nd[flagged] if nd is not None else np.full(len(flagged), np.nan),
            "access": shown[flagged],
            "imd_decile": pd.Series(dec[flagged]).astype("Int64"),
            "why": pd.Series(whys, dtype=object),
            "_bad": bad[flagged],
            "_id": ids.astype(str).to_numpy()[flagged],
        }
    )
    out = out.sort_values(["_bad", "need", "_id"], ascending=[False, False, True], kind="stable")
    out = out.drop(columns=["_bad", "_id"]).reset_index(drop=True)
    poor = int((unreachable | over | worst).sum())
    _log(f"left behind: {len(out)} zones ({int(high.sum())} high need, {poor} poor access)", n, t0)
    return out

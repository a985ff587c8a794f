"""Access measures over a zone × site travel-time matrix: nearest, within T, shares,
S-curves, gravity and floating catchments (2SFCA, enhanced 2SFCA).

Every function takes plain numpy arrays, so each can be checked by hand on three zones
and two sites; :mod:`estatesplan.study_access` arranges the calls over a study.

Conventions
-----------
- ``minutes`` is a zone × site matrix, shape ``(n_zones, n_sites)``, float32 or float64,
  in minutes, rows in zone order and columns in site order. NaN (or ``+inf``) means
  unreachable within the matrix's cut-off or a flagged point. Negative times are an
  error. Comparisons are made in float64 (a float32 matrix is widened chunk by chunk).
- Zone weights (people or households in a cohort) and FCA demand are float64, one per
  zone, zero or more; NaN is an error. Supply is one value per site, zero or more.
- Cohort summaries weight zones by the cohort's size, never by zone count.
- Large matrices are processed in row chunks of about :data:`CHUNK_CELLS` cells, so the
  working memory does not grow with the number of zones.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._access_checks import (
    check_bands,
    check_mask,
    check_matrix,
    check_number,
    check_pair,
    check_vector,
    float_rows,
    kept_pairs,
    row_chunks,
)
from .errors import ConfigError, DataQualityWarning

__all__ = [
    "CHUNK_CELLS",
    "DEFAULT_BANDS",
    "KEEP_CELLS",
    "count_within",
    "decay_weights",
    "enhanced_two_stage_fca",
    "gravity",
    "nearest_minutes",
    "s_curve",
    "share_within",
    "two_stage_fca",
    "weighted_mean",
    "weighted_quantile",
]

logger = logging.getLogger(__name__)

CHUNK_CELLS: Final = 1 << 18
"""Matrix cells processed at a time (2 MiB per float64 working array: cache-friendly)."""

KEEP_CELLS: Final = 1 << 22
"""Floating catchments keep their pair weights between the two stages up to this many
cells (32 MiB); larger matrices recompute them chunk by chunk (bounded memory)."""

DEFAULT_BANDS: Final[tuple[tuple[float, float], ...]] = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
"""Enhanced 2SFCA bands (upper edge in minutes, weight) of Luo and Qi (2009), as PySAL
``access``'s ``enhanced_two_stage_fca`` default ``step_fn({10: 1, 20: 0.68, 30: 0.22})``."""

Decay = Literal["exponential", "power", "gaussian"]
_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]
_BArr = npt.NDArray[np.bool_]
_Weigh = Callable[[_FArr], tuple[_FArr, _BArr]]


# --- per zone ---------------------------------------------------------------------------


def nearest_minutes(minutes: npt.ArrayLike, *, columns: npt.ArrayLike | None = None) -> _FArr:
    """Return each zone's time to its nearest site.

    Parameters
    ----------
    minutes
        Zone × site travel times in minutes (NaN: unreachable).
    columns
        Optional boolean mask of the sites to consider (one flag per column).

    Returns
    -------
    numpy.ndarray
        float64 minutes per zone, in matrix row order; NaN where no site is reachable.

    Examples
    --------
    >>> nearest_minutes([[12.0, 7.0], [float("nan"), 3.0], [float("nan")] * 2])
    array([ 7.,  3., nan])
    """
    t0 = time.perf_counter()
    m = check_matrix(minutes, "nearest_minutes", chunk_cells=CHUNK_CELLS)
    mask = check_mask(columns, m.shape[1], "nearest_minutes")
    out = np.full(m.shape[0], np.nan)
    if m.shape[1] == 0 or (mask is not None and not mask.any()):
        return out
    for rows in row_chunks(*m.shape, chunk_cells=CHUNK_CELLS):
        block = float_rows(m, rows)
        if mask is not None:
            block = block[:, mask]
        low = np.where(np.isnan(block), np.inf, block).min(axis=1)  # +inf stays inf
        out[rows] = np.where(np.isinf(low), np.nan, low)
    logger.debug("nearest site: %d zones, %d reach none, in %.3f s", len(out),
                int(np.isnan(out).sum()), time.perf_counter() - t0)  # fmt: skip
    return out


def count_within(
    minutes: npt.ArrayLike, threshold_min: float, *, columns: npt.ArrayLike | None = None
) -> _IArr:
    """Return how many sites each zone reaches within a time (``t <= threshold_min``).

    Parameters
    ----------
    minutes
        Zone × site travel times in minutes (NaN: unreachable, never counted).
    threshold_min
        Inclusive threshold in minutes (>= 0).
    columns
        Optional boolean mask of the sites to count.

    Returns
    -------
    numpy.ndarray
        int64 count per zone, in matrix row order.

    Examples
    --------
    >>> count_within([[12.0, 7.0], [10.0, 3.0], [float("nan")] * 2], 10)
    array([1, 2, 0])
    """
    thr = check_number(threshold_min, "count_within", "threshold_min")
    m = check_matrix(minutes, "count_within", chunk_cells=CHUNK_CELLS)
    mask = check_mask(columns, m.shape[1], "count_within")
    out = np.zeros(m.shape[0], dtype=np.int64)
    for rows in row_chunks(*m.shape, chunk_cells=CHUNK_CELLS):
        block = float_rows(m, rows)
        if mask is not None:
            block = block[:, mask]
        out[rows] = np.count_nonzero(block <= thr, axis=1)
    return out


# --- cohort summaries over zones ----------------------------------------------------------


def share_within(
    times: npt.ArrayLike, weights: npt.ArrayLike, thresholds: Sequence[float]
) -> pd.Series:
    """Return the share of a cohort whose time is within each threshold (``t <= T``).

    Parameters
    ----------
    times
        Minutes per zone (e.g. :func:`nearest_minutes`); NaN counts as not within.
    weights
        Cohort size per zone (people or households), >= 0.
    thresholds
        Thresholds in minutes (e.g. 10, 15, 20, 30).

    Returns
    -------
    pandas.Series
        Share 0..1 (name ``share``) indexed by ``threshold_min``, in the order given:
        cohort weight in zones with ``time <= T`` over the cohort's *total* weight
        (unreachable zones included in the total). NaN when the total weight is zero.

    Examples
    --------
    >>> share_within([5.0, 12.0, float("nan")], [100, 300, 100], [10, 15]).tolist()
    [0.2, 0.8]
    """
    t, w = check_pair(times, weights, "share_within", times=True)
    thr = np.array(
        [check_number(x, "share_within", "threshold") for x in thresholds], dtype=np.float64
    )
    total = float(w.sum())
    reach = ~np.isnan(t)
    order = np.argsort(t[reach], kind="stable")
    sorted_t, cum = t[reach][order], np.concatenate(([0.0], np.cumsum(w[reach][order])))
    within = cum[np.searchsorted(sorted_t, thr, side="right")]
    share = within / total if total > 0 else np.full(len(thr), np.nan)
    return pd.Series(share, index=pd.Index(thr, name="threshold_min"), name="share")


def s_curve(
    times: npt.ArrayLike, weights: npt.ArrayLike, *, minutes: npt.ArrayLike | None = None
) -> pd.DataFrame:
    """Return the cumulative share of a cohort reached by each minute (an "S-curve").

    Parameters
    ----------
    times
        Minutes per zone; NaN counts as never reached.
    weights
        Cohort size per zone, >= 0.
    minutes
        Minutes to evaluate at (default ``0, 1, ...`` up to the largest finite time
        rounded up; just ``0`` when no time is finite).

    Returns
    -------
    pandas.DataFrame
        Columns ``minute`` and ``share`` (0..1, as :func:`share_within`), one row per
        minute; ``share`` never falls as ``minute`` grows.

    Examples
    --------
    >>> s_curve([0.5, 2.0, float("nan")], [1, 2, 1]).share.tolist()
    [0.0, 0.25, 0.75]
    """
    t, w = check_pair(times, weights, "s_curve", times=True)
    if minutes is None:
        finite = t[np.isfinite(t)]
        top = math.ceil(float(finite.max())) if finite.size else 0
        grid = np.arange(0.0, top + 1.0)
    else:
        grid = np.asarray(minutes, dtype=np.float64).ravel()
    shares = share_within(t, w, grid.tolist())
    return pd.DataFrame({"minute": grid, "share": shares.to_numpy()})


def weighted_mean(values: npt.ArrayLike, weights: npt.ArrayLike) -> float:
    """Return the weighted mean of values, ignoring NaN values and zero weights.

    Parameters
    ----------
    values
        One value per zone (e.g. minutes); NaN values are left out with their weights.
    weights
        Cohort size per zone, >= 0.

    Returns
    -------
    float
        ``sum(w * v) / sum(w)`` over the zones kept; NaN when none is kept.

    Examples
    --------
    >>> weighted_mean([10.0, 20.0, float("nan")], [3, 1, 5])
    12.5
    """
    v, w = kept_pairs(values, weights, "weighted_mean")
    return float(np.dot(w, v) / w.sum()) if v.size else math.nan


def weighted_quantile(values: npt.ArrayLike, weights: npt.ArrayLike, q: float) -> float:
    """Return a weighted quantile (inverted CDF), ignoring NaN values and zero weights.

    The smallest value whose cumulative weight share reaches ``q``: the same as
    ``numpy.quantile(values, q, weights=weights, method="inverted_cdf")`` over the
    values kept. A weighted median is ``q = 0.5``; it is always one of the values.

    Parameters
    ----------
    values
        One value per zone; NaN values are left out with their weights.
    weights
        Cohort size per zone, >= 0.
    q
        Quantile, 0..1.

    Returns
    -------
    float
        The quantile; NaN when no value is kept.

    Examples
    --------
    >>> weighted_quantile([10.0, 20.0, 30.0], [1, 1, 2], 0.5)
    20.0
    """
    qq = check_number(q, "weighted_quantile", "q")
    if qq > 1:
        msg = f"weighted_quantile: q = {q!r} must be between 0 and 1."
        raise ConfigError(msg)
    v, w = kept_pairs(values, weights, "weighted_quantile")
    if not v.size:
        return math.nan
    order = np.argsort(v, kind="stable")
    cdf = np.cumsum(w[order])
    cdf /= cdf[-1]
    k = min(int(np.searchsorted(cdf, qq, side="left")), v.size - 1)
    return float(v[order][k])


# --- gravity ------------------------------------------------------------------------------


def decay_weights(
    minutes: npt.ArrayLike, *, decay: Decay = "exponential", beta: float, min_minutes: float = 1.0
) -> _FArr:
    """Return distance-decay weights f(t) for travel times (0 where unreachable).

    - ``"exponential"``: ``f(t) = exp(-beta * t)``; ``beta`` per minute (0.1: a site
      10 minutes away counts 0.37 of one next door).
    - ``"power"``: ``f(t) = max(t, min_minutes) ** -beta``; ``min_minutes`` stops the
      weight going to infinity at t = 0 (as PySAL ``weights.gravity(1, -beta, min_dist)``).
    - ``"gaussian"``: ``f(t) = exp(-t**2 / (2 * beta**2))``; ``beta`` is the width
      sigma in minutes, f(0) = 1 (as PySAL ``weights.gaussian(sigma=beta)``).

    Parameters
    ----------
    minutes
        Travel times in minutes, any shape.
    decay
        Decay function, see above.
    beta
        Its parameter (>= 0; > 0 for ``"gaussian"``).
    min_minutes
        Floor of t for ``"power"`` (> 0).

    Returns
    -------
    numpy.ndarray
        float64 weights, same shape as ``minutes``; 0 where t is NaN or infinite.

    Examples
    --------
    >>> decay_weights([0.0, 10.0], decay="gaussian", beta=10.0).round(4).tolist()
    [1.0, 0.6065]
    """
    what = "decay_weights"
    if decay not in ("exponential", "power", "gaussian"):
        msg = f"{what}: decay = {decay!r} is unknown; use 'exponential', 'power' or 'gaussian'."
        raise ConfigError(msg)
    b = check_number(beta, what, "beta", strict=decay == "gaussian")
    t = np.asarray(minutes, dtype=np.float64)
    floor = check_number(min_minutes, what, "min_minutes", strict=True)
    with np.errstate(invalid="ignore"):  # 0 * inf when beta = 0: masked below
        if decay == "exponential":
            f = np.exp(-b * t)
        elif decay == "power":
            f = np.maximum(t, floor) ** -b
        else:
            f = np.exp(-(t * t) / (2.0 * b * b))
    return np.where(np.isfinite(t), f, 0.0)


def gravity(
    minutes: npt.ArrayLike,
    supply: npt.ArrayLike,
    *,
    decay: Decay = "exponential",
    beta: float,
    cutoff_min: float | None = None,
    min_minutes: float = 1.0,
) -> _FArr:
    """Return a gravity (potential) access measure: supply weighted by distance decay.

    ``A_i = sum_j S_j * f(t_ij)`` over the sites j with ``t_ij <= cutoff_min`` (all
    reachable sites when no cut-off), where S_j is the site's supply and f the decay
    function of :func:`decay_weights`.

    Parameters
    ----------
    minutes
        Zone × site travel times in minutes (NaN: unreachable, contributes 0).
    supply
        Supply per site (e.g. 1 per site, GIA m², clinical rooms, FTE), >= 0.
    decay, beta, min_minutes
        Decay function and parameters, see :func:`decay_weights`.
    cutoff_min
        Optional inclusive cut-off in minutes.

    Returns
    -------
    numpy.ndarray
        float64 potential per zone, in supply units; 0 where no site is reachable.

    Examples
    --------
    >>> gravity([[0.0, 10.0]], [2.0, 1.0], beta=0.1).round(4).tolist()
    [2.3679]
    """
    t0 = time.perf_counter()
    m = check_matrix(minutes, "gravity", chunk_cells=CHUNK_CELLS)
    s = check_vector(supply, m.shape[1], "gravity", "supply", per="site")
    cut = None if cutoff_min is None else check_number(cutoff_min, "gravity", "cutoff_min")
    decay_weights(np.zeros(1), decay=decay, beta=beta, min_minutes=min_minutes)  # check options
    out = np.zeros(m.shape[0])
    for rows in row_chunks(*m.shape, chunk_cells=CHUNK_CELLS):
        block = float_rows(m, rows)
        f = decay_weights(block, decay=decay, beta=beta, min_minutes=min_minutes)
        out[rows] = (f if cut is None else np.where(block <= cut, f, 0.0)) @ s
    logger.debug("gravity (%s, beta %g): %d zones × %d sites in %.3f s", decay, beta, *m.shape,
                time.perf_counter() - t0)  # fmt: skip
    return out


# --- floating catchments ------------------------------------------------------------------


def _floating_catchment(
    m: npt.NDArray[np.floating], demand: _FArr, supply: _FArr, weigh: _Weigh, what: str
) -> _FArr:
    """Two stages over row chunks; see :func:`two_stage_fca` for the definition."""
    t0 = time.perf_counter()
    n_zones, n_sites = m.shape
    chunks = list(row_chunks(n_zones, n_sites, chunk_cells=CHUNK_CELLS))
    keep = n_zones * n_sites <= KEEP_CELLS  # else recompute the weights in the second pass
    kept: list[_FArr] = []

    catch_demand = np.zeros(n_sites)  # D_j
    site_seen = np.zeros(n_sites, dtype=bool)
    zone_seen = np.zeros(n_zones, dtype=bool)
    for rows in chunks:
        w, present = weigh(float_rows(m, rows))
        if keep:
            kept.append(w)
        catch_demand += demand[rows] @ w
        site_seen |= present.any(axis=0)
        zone_seen[rows] = present.any(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = supply / catch_demand  # R_j: inf when S_j > 0 = D_j, NaN when both are 0
    ratio[~site_seen] = np.nan
    finite = np.where(np.isfinite(ratio), ratio, 0.0)
    infinite = np.isposinf(ratio)
    out = np.empty(n_zones)
    for k, rows in enumerate(chunks):
        w = kept[k] if keep else weigh(float_rows(m, rows))[0]
        out[rows] = w @ finite
        if infinite.any():
            out[rows][(w[:, infinite] > 0).any(axis=1)] = np.inf
    out[~zone_seen] = np.nan
    if infinite.any():
        hit = int(np.isposinf(out).sum())
        msg = (
            f"{what}: {int(infinite.sum())} sites have supply but no demand in their "
            f"catchment; the {hit} zones (all with zero demand) that reach them get infinite "
            "access, as in PySAL access. Weighted summaries leave zero-weight zones out."
        )
        warnings.warn(msg, DataQualityWarning, stacklevel=3)
    logger.debug("%s: %d zones × %d sites, %d zones with no site in the catchment, in %.3f s",
                what, n_zones, n_sites, int((~zone_seen).sum()), time.perf_counter() - t0)  # fmt: skip
    return out


def two_stage_fca(
    minutes: npt.ArrayLike,
    demand: npt.ArrayLike,
    supply: npt.ArrayLike,
    *,
    catchment_min: float,
    inclusive: bool = False,
) -> _FArr:
    """Return the two-step floating catchment (2SFCA) supply-to-demand ratio per zone.

    The definition of PySAL ``access`` (``Access.two_stage_fca(max_cost=catchment_min)``,
    ``normalize=False``; Luo and Wang 2003), with a pair in the catchment when
    ``t_ij < catchment_min`` (strictly less, as PySAL):

    1. each site j: ``R_j = S_j / D_j``, ``D_j = sum of d_i`` over the zones i in its catchment;
    2. each zone i: ``A_i = sum of R_j`` over the sites j in its catchment.

    Edge cases, all as PySAL: a zone with no site in its catchment gets NaN (no supply
    in reach; its demand counts nowhere); a site with no demand in its catchment and
    no supply (R = 0/0) adds nothing; one with supply but zero demand (R = inf) gives
    ``inf`` to the zones that reach it, which then all have zero demand (with a
    :class:`~estatesplan.errors.DataQualityWarning`). When every site with supply has
    demand in its catchment, ``sum_i d_i A_i = sum_j S_j`` (supply is conserved).

    Parameters
    ----------
    minutes
        Zone × site travel times in minutes (NaN: unreachable).
    demand
        Demand per zone (e.g. residents), >= 0.
    supply
        Supply per site (e.g. 1 per site, GIA m², FTE), >= 0.
    catchment_min
        Catchment in minutes.
    inclusive
        Count ``t_ij == catchment_min`` as inside (``<=``) instead of PySAL's ``<``.

    Returns
    -------
    numpy.ndarray
        float64 supply per unit of demand, per zone (e.g. GPs per resident).

    Examples
    --------
    Zone 0 (100 people) reaches both sites, zone 1 (50) only site 1 (supply 1 each):
    R = (1/100, 1/150), A = (1/100 + 1/150, 1/150).

    >>> two_stage_fca([[5.0, 8.0], [20.0, 9.0]], [100, 50], [1, 1], catchment_min=10).round(5)
    array([0.01667, 0.00667])
    """
    what = "two_stage_fca"
    m = check_matrix(minutes, what, chunk_cells=CHUNK_CELLS)
    d = check_vector(demand, m.shape[0], what, "demand", per="zone")
    s = check_vector(supply, m.shape[1], what, "supply", per="site")
    limit = check_number(catchment_min, what, "catchment_min", strict=True)

    def weigh(block: _FArr) -> tuple[_FArr, _BArr]:
        inside = block <= limit if inclusive else block < limit
        return inside.astype(np.float64), inside

    return _floating_catchment(m, d, s, weigh, what)


def enhanced_two_stage_fca(
    minutes: npt.ArrayLike,
    demand: npt.ArrayLike,
    supply: npt.ArrayLike,
    *,
    bands: Sequence[tuple[float, float]] = DEFAULT_BANDS,
    catchment_min: float | None = None,
) -> _FArr:
    """Return the enhanced 2SFCA (E2SFCA): 2SFCA with stepped distance-decay weights.

    The definition of PySAL ``access`` (``Access.enhanced_two_stage_fca(weight_fn=
    weights.step_fn(dict(bands)))``, ``normalize=False``; Luo and Qi 2009). Each
    reachable pair gets the weight ``w_ij`` of the first band whose upper edge is at
    least ``t_ij`` (inclusive edges, PySAL ``step_fn``'s ``<=``), 0 beyond the last:

    1. each site j: ``R_j = S_j / D_j``, ``D_j = sum_i w_ij d_i``;
    2. each zone i: ``A_i = sum_j w_ij R_j``.

    Edge cases, as PySAL with a cost table of the matrix's finite entries: a zone that
    reaches no site at all (its row all NaN, or all at or beyond ``catchment_min``)
    gets NaN; one that reaches sites only beyond the last band gets 0. Zero-demand
    sites behave as in :func:`two_stage_fca`, and supply is conserved likewise
    (``sum_i d_i A_i = sum_j S_j`` when every site with supply has ``D_j > 0``).

    Parameters
    ----------
    minutes
        Zone × site travel times in minutes (NaN: unreachable).
    demand
        Demand per zone, >= 0.
    supply
        Supply per site, >= 0.
    bands
        (upper edge in minutes, weight) pairs; default :data:`DEFAULT_BANDS`.
    catchment_min
        Optional extra cut-off, strict (``t < catchment_min``), as PySAL's ``max_cost``.

    Returns
    -------
    numpy.ndarray
        float64 weighted supply per unit of demand, per zone.

    Examples
    --------
    Weights: zone 0 (100 people) 1.0 to site 0 and 0.68 to site 1, zone 1 (50) 1.0 to
    site 1, so D = (100, 118), R = (1/100, 1/118), A = (0.01 + 0.68/118, 1/118).

    >>> enhanced_two_stage_fca([[5.0, 12.0], [40.0, 9.0]], [100, 50], [1, 1]).round(5)
    array([0.01576, 0.00847])
    """
    what = "enhanced_two_stage_fca"
    m = check_matrix(minutes, what, chunk_cells=CHUNK_CELLS)
    d = check_vector(demand, m.shape[0], what, "demand", per="zone")
    s = check_vector(supply, m.shape[1], what, "supply", per="site")
    edges, band_w = check_bands(bands, what)
    limit = None if catchment_min is None else check_number(catchment_min, what, "catchment_min",
                                                            strict=True)  # fmt: skip

    def weigh(block: _FArr) -> tuple[_FArr, _BArr]:
        present = block < (math.inf if limit is None else limit)  # False for NaN and inf
        w = np.zeros_like(block)
        for edge, weight in zip(edges[::-1], band_w[::-1], strict=True):
            np.copyto(w, weight, where=block <= edge)  # the first band with t <= edge wins
        if limit is not None:
            np.copyto(w, 0.0, where=~present)
        return w, present

    return _floating_catchment(m, d, s, weigh, what)

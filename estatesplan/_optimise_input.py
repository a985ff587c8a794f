"""Input checks for :mod:`estatesplan.optimise` (private plumbing).

Turns the public arguments into one checked :class:`Problem` and raises, before any
solving, the errors whose cause can be named from the numbers alone: bad arrays and
options (:class:`~estatesplan.errors.DataContractError`,
:class:`~estatesplan.errors.ConfigError`) and infeasible requests
(:class:`~estatesplan.errors.InfeasibleError`: ``k`` larger than the candidates, zones
that no candidate reaches within the threshold, capacity short of demand, an equity
baseline that even every candidate open together cannot meet).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from .errors import ConfigError, DataContractError, InfeasibleError
from .validate import format_ids

__all__ = ["Kind", "Method", "Problem", "build_problem", "nearest_open"]

logger = logging.getLogger(__name__)

Kind = Literal["p_median", "max_covering", "set_covering"]
Method = Literal["auto", "exact", "heuristic"]
_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]
_BArr = npt.NDArray[np.bool_]
_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Problem:
    """A checked location problem (all arrays float64 / int64, never written to).

    ``cost`` is demand row × site minutes with NaN for unreachable (``+inf`` turned
    into NaN); ``threshold`` is the inclusive coverage time (``inf`` for p-median);
    ``penalty`` the minutes charged to demand with no reachable open site (p-median;
    NaN for covering); ``allowed`` the candidate sites (not forbidden) and ``must`` the
    must-open ones, both sorted site indices; ``capacity`` one value per site in demand
    units, or None; ``group_weights`` is groups × rows; ``required`` flags the rows a
    set covering must cover; ``pair_mask`` (rows × sites), when set, drops the pairs
    that Lagrangian reduced costs showed cannot be in a better solution.
    """

    kind: Kind
    cost: _FArr
    demand: _FArr
    k: int
    threshold: float
    penalty: float
    allowed: _IArr
    must: _IArr
    capacity: _FArr | None
    groups: tuple[str, ...]
    group_weights: _FArr
    baselines: _FArr
    required: _BArr
    time_limit: float
    pair_mask: _BArr | None = None

    @property
    def rows(self) -> _IArr:
        """Rows that carry demand or an equity group's weight (the only ones modelled)."""
        w = self.demand > 0
        if len(self.groups):
            w = w | (self.group_weights > 0).any(axis=0)
        return np.flatnonzero(w).astype(np.int64)

    def reach(self, rows: _IArr, sites: _IArr) -> _BArr:
        """Whether each row reaches each site: finite (p-median) or within the threshold."""
        block = self.cost[np.ix_(rows, sites)]
        ok = np.isfinite(block) if self.kind == "p_median" else block <= self.threshold
        if self.pair_mask is not None:
            ok &= self.pair_mask[np.ix_(rows, sites)]
        return ok


def nearest_open(cost: _FArr, sites: _IArr, limit: float) -> tuple[_IArr, _FArr]:
    """Nearest site of ``sites`` per row within ``limit`` minutes (inclusive).

    Returns the site index (-1 when none within the limit) and its minutes (NaN when
    none). Ties go to the lower site index.
    """
    n = cost.shape[0]
    if len(sites) == 0:
        return np.full(n, -1, dtype=np.int64), np.full(n, np.nan)
    order = np.sort(sites)
    block = cost[:, order]
    masked = np.where(block <= limit, block, np.inf)  # NaN and beyond the limit: none
    pos = np.argmin(masked, axis=1)
    best = masked[np.arange(n), pos]
    ok = np.isfinite(best)
    return np.where(ok, order[pos], -1).astype(np.int64), np.where(ok, best, np.nan)


def _matrix(cost: npt.ArrayLike, what: str) -> _FArr:
    try:
        m = np.array(cost, dtype=np.float64)  # a copy: inf is rewritten below
    except (TypeError, ValueError) as err:
        msg = f"{what}: cost is not numeric ({err}); pass minutes as floats (NaN: unreachable)."
        raise DataContractError(msg) from err
    if m.ndim != 2 or 0 in m.shape:
        msg = (
            f"{what}: cost must be a non-empty 2-D matrix (demand rows × candidate sites), "
            f"got shape {m.shape}; pass e.g. TravelTimeMatrix.minutes."
        )
        raise DataContractError(msg)
    negative = int(np.count_nonzero(m < 0))
    if negative:
        msg = (
            f"{what}: {negative} travel times in cost are negative; times must be minutes "
            ">= 0 (NaN for unreachable). Check how the matrix was built."
        )
        raise DataContractError(msg)
    m[np.isinf(m)] = np.nan
    m.setflags(write=False)
    return m


def _weights(values: npt.ArrayLike, n: int, what: str, name: str) -> _FArr:
    try:
        v = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        msg = f"{what}: {name} is not numeric ({err}); pass one number per demand row."
        raise DataContractError(msg) from err
    if v.ndim != 1 or len(v) != n:
        msg = (
            f"{what}: {name} has shape {v.shape} but cost has {n} demand rows; pass one "
            "value per row, in the matrix's row order."
        )
        raise DataContractError(msg)
    bad = {"NaN": np.isnan(v), "infinite": np.isinf(v), "negative": v < 0}
    found = [f"{c} {kind}" for kind, flags in bad.items() if (c := int(flags.sum()))]
    if found:
        msg = (
            f"{what}: {name} has {' and '.join(found)} values (of {n} rows); each must be "
            "a finite number >= 0 (0 for none)."
        )
        raise DataContractError(msg)
    if not v.sum() > 0:
        msg = (
            f"{what}: {name} is zero for all {n} rows; give at least one row a positive "
            "weight (e.g. the people of a cohort)."
        )
        raise DataContractError(msg)
    v.setflags(write=False)
    return v


def _sites(values: Iterable[int], n_sites: int, what: str, name: str) -> _IArr:
    vals = list(values)
    ok = all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in vals)
    out = [v for v in vals if ok and not 0 <= int(v) < n_sites]
    if not ok or out:
        shown = format_ids(out) if ok else repr(vals)
        msg = (
            f"{what}: {name} holds {shown}, not column numbers of cost (whole numbers from "
            f"0 to {n_sites - 1})."
        )
        raise ConfigError(msg)
    return np.unique(np.array(vals, dtype=np.int64))


def _number(value: float | None, what: str, name: str, *, default: float) -> float:
    if value is None:
        return default
    x = float(value)
    if not math.isfinite(x) or x < 0:
        msg = f"{what}: {name} = {value!r} must be a finite number of minutes >= 0."
        raise ConfigError(msg)
    return x


def _check_k(k: int, n_allowed: int, n_sites: int, n_must: int, what: str) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        msg = f"{what}: k = {k!r} must be a whole number of sites >= 1."
        raise ConfigError(msg)
    if k > n_allowed:
        msg = (
            f"{what}: k = {k} sites asked for but only {n_allowed} candidates are allowed "
            f"({n_sites} sites, {n_sites - n_allowed} forbidden); lower k or allow more sites."
        )
        raise InfeasibleError(msg)
    if n_must > k:
        msg = (
            f"{what}: {n_must} sites must open but k = {k}; raise k to at least {n_must} "
            "or shorten must_open."
        )
        raise InfeasibleError(msg)
    return int(k)


def _equity(
    equity: Mapping[str, tuple[npt.ArrayLike, float]] | None,
    n: int,
    kind: Kind,
    what: str,
) -> tuple[tuple[str, ...], _FArr, _FArr]:
    if not equity:
        return (), np.zeros((0, n)), np.zeros(0)
    names, rows, bases = [], [], []
    for name, spec in equity.items():
        try:
            weights, base = spec
            b = float(base)
        except (TypeError, ValueError) as err:
            msg = (
                f"{what}: equity[{name!r}] must be (weights per demand row, baseline), "
                f"got {spec!r}."
            )
            raise ConfigError(msg) from err
        share = kind != "p_median"
        if not math.isfinite(b) or b < 0 or (share and b > 1):
            unit = "a covered share from 0 to 1" if share else "minutes >= 0"
            msg = f"{what}: equity[{name!r}] baseline = {base!r} must be {unit} (today's value)."
            raise ConfigError(msg)
        names.append(str(name))
        rows.append(_weights(weights, n, what, f"equity[{name!r}] weights"))
        bases.append(b)
    return tuple(names), np.vstack(rows), np.array(bases)


def _capacity(
    capacity: bool | None, site_capacity: npt.ArrayLike | None, n_sites: int, what: str
) -> _FArr | None:
    if capacity is False:
        return None
    if site_capacity is None:
        if capacity:
            msg = f"{what}: capacity=True needs site_capacity (one value per site, demand units)."
            raise ConfigError(msg)
        return None
    cap = np.array(site_capacity, dtype=np.float64)
    if cap.shape != (n_sites,) or not np.isfinite(cap).all() or (cap < 0).any():
        msg = (
            f"{what}: site_capacity must hold one finite value >= 0 per site ({n_sites}), "
            f"in the demand's units; got shape {cap.shape}."
        )
        raise DataContractError(msg)
    cap.setflags(write=False)
    return cap


def build_problem(
    kind: Kind,
    cost: npt.ArrayLike,
    demand: npt.ArrayLike | None,
    k: int | None,
    threshold_min: float | None,
    *,
    unreachable_min: float | None,
    capacity: bool | None,
    site_capacity: npt.ArrayLike | None,
    must_open: Iterable[int],
    forbidden: Iterable[int],
    equity: Mapping[str, tuple[npt.ArrayLike, float]] | None,
    method: str,
    time_limit_s: float,
    what: str,
) -> tuple[Problem, Method]:
    """Check every argument of a public solver and return the problem and method."""
    m = _matrix(cost, what)
    n, n_sites = m.shape
    d = _weights(np.ones(n) if demand is None else demand, n, what, "demand")
    if method not in ("auto", "exact", "heuristic"):
        msg = f"{what}: method = {method!r}; use 'auto', 'exact' or 'heuristic'."
        raise ConfigError(msg)
    tl = float(time_limit_s)
    if not tl > 0 or not math.isfinite(tl):
        msg = f"{what}: time_limit_s = {time_limit_s!r} must be a finite number of seconds > 0."
        raise ConfigError(msg)
    must = _sites(must_open, n_sites, what, "must_open")
    banned = _sites(forbidden, n_sites, what, "forbidden")
    both = np.intersect1d(must, banned)
    if len(both):
        msg = f"{what}: sites {format_ids(both)} are both in must_open and forbidden; pick one."
        raise ConfigError(msg)
    allowed = np.setdiff1d(np.arange(n_sites, dtype=np.int64), banned)
    finite = m[np.isfinite(m)]
    if not finite.size:
        msg = (
            f"{what}: no demand row reaches any of the {n_sites} sites (cost is all NaN); "
            "check the mode's cut-off and that the matrix belongs to these zones and sites."
        )
        raise InfeasibleError(msg)
    top = float(finite.max())
    if kind == "p_median":
        threshold, penalty = math.inf, _number(unreachable_min, what, "unreachable_min",
                                               default=2.0 * top)  # fmt: skip
        if penalty < top:
            msg = (
                f"{what}: unreachable_min = {penalty:g} is below the longest finite time in "
                f"cost ({top:g} min); it must be at least that (default 2 × it)."
            )
            raise ConfigError(msg)
    else:
        penalty = math.nan
        threshold = _number(threshold_min, what, "threshold_min", default=math.nan)
    kk = 0 if k is None else _check_k(k, len(allowed), n_sites, len(must), what)
    cap = _capacity(capacity, site_capacity, n_sites, what)
    if method == "heuristic" and cap is not None:
        msg = (
            f"{what}: the heuristic does not handle capacity; use method='exact' (or 'auto', "
            "which solves capacitated problems exactly within time_limit_s)."
        )
        raise ConfigError(msg)
    names, gw, bases = _equity(equity, n, kind, what)
    required = (d > 0) if kind == "set_covering" else np.zeros(n, dtype=np.bool_)
    p = Problem(kind, m, d, kk, threshold, penalty, allowed, must, cap, names, gw, bases,
                required, tl)  # fmt: skip
    _check_feasible(p, what)
    return p, method  # type: ignore[return-value]


def _check_feasible(p: Problem, what: str) -> None:
    """Raise :class:`InfeasibleError` for what the numbers alone show cannot be met."""
    total = float(p.demand.sum())
    if p.kind == "set_covering":
        reached = p.reach(np.arange(len(p.demand)), p.allowed).any(axis=1)
        lost = np.flatnonzero(p.required & ~reached)
        if len(lost):
            msg = (
                f"{what}: {len(lost)} of {int(p.required.sum())} zones with demand cannot be "
                f"reached by any allowed site within {p.threshold:g} min (rows "
                f"{format_ids(lost)}; {p.demand[lost].sum():g} of {total:g} demand); raise "
                "threshold_min, allow more sites, or set those rows' demand to 0."
            )
            raise InfeasibleError(msg)
    if p.capacity is not None:
        need = float(p.demand[p.required].sum()) if p.kind == "set_covering" else total
        if p.kind == "set_covering":
            best = float(p.capacity[p.allowed].sum())
            how = f"all {len(p.allowed)} allowed sites"
        else:
            others = np.setdiff1d(p.allowed, p.must)
            extra = np.sort(p.capacity[others])[::-1][: p.k - len(p.must)]
            best = float(p.capacity[p.must].sum() + extra.sum())
            how = f"the {p.k} largest allowed sites (must-open included)"
        if p.kind != "max_covering" and best < need * (1 - _TOL):
            msg = (
                f"{what}: capacity short: total demand {need:g} exceeds the capacity of "
                f"{how}, {best:g}; raise k or site capacities."
            )
            raise InfeasibleError(msg)
    _check_equity(p, what)


def _check_equity(p: Problem, what: str) -> None:
    """Each group's best value with every allowed site open must meet its baseline."""
    if not p.groups:
        return
    limit = p.threshold if p.kind != "p_median" else math.inf
    site, minutes = nearest_open(p.cost, p.allowed, limit)
    for name, w, base in zip(p.groups, p.group_weights, p.baselines, strict=True):
        if p.kind == "p_median":
            best = float(w @ np.where(site >= 0, minutes, p.penalty)) / float(w.sum())
            bad, unit = best > base * (1 + _TOL) + _TOL, "weighted mean minutes"
        else:
            best = float(w @ (site >= 0)) / float(w.sum())
            bad, unit = best < base - _TOL, "covered share"
        if bad:
            msg = (
                f"{what}: equity group {name!r} cannot meet its baseline {base:.6g} "
                f"({unit}): even with all {len(p.allowed)} allowed sites open it gets "
                f"{best:.6g}; relax the baseline or allow more sites."
            )
            raise InfeasibleError(msg)

"""Choose hubs among candidate sites: p-median, maximal covering and set covering.

Every function takes plain arrays (no study), so each can be checked by hand on three
zones and two sites; the co-location stage arranges the calls per neighbourhood.

Conventions
-----------
- ``cost`` is a demand row × candidate site matrix of minutes (float32 or float64),
  rows in zone order, columns in site order; NaN (or ``+inf``) means unreachable within
  the matrix's cut-off. Negative times are an error. Sites are named by column number.
- ``demand`` is one weight per row (e.g. a cohort's people), finite and >= 0, not all
  zero. Rows with zero demand (and no equity weight) are left out of the models and
  only given their nearest open site in the answer.
- Coverage is *inclusive*: a row is covered when an open site is at most
  ``threshold_min`` minutes away (as PySAL spopt's ``MCLP``). Unreachable pairs never
  cover.
- **Unreachable demand in the p-median**: a row with no reachable open site is charged
  ``unreachable_min`` minutes per unit of demand (default: twice the longest finite time
  in ``cost``; it may not be less than that time), so the model stays feasible and
  :attr:`Solution.unserved_demand` says how much demand is left so. This is the dense
  p-median with every unreachable pair costing ``unreachable_min``, solved without
  those pairs.
- **Capacity** (``site_capacity`` in demand units, used when ``capacity`` is None or
  True): each open site serves at most its capacity and a row's demand *may be split*
  between sites (continuous assignment; :attr:`Solution.allocation` holds the shares).
  In the p-median, demand that no reachable open site can take is served remotely by
  an open site with room, at ``unreachable_min``, and uses its capacity; in maximal
  covering it is simply not covered. Capacitated problems are always solved exactly
  (within ``time_limit_s``).
- **Equity**: ``equity`` maps a group name to ``(weights per row, baseline)``, where the
  baseline is today's value (see :func:`equity_baselines`): in the p-median the group's
  weighted mean minutes (unreachable demand at ``unreachable_min``) may not exceed it;
  in covering the group's covered share (0–1) may not fall below it.

Methods
-------
- ``"exact"``: a MILP (strong formulation, sparse, only the pairs that matter) solved by
  HiGHS through :func:`scipy.optimize.milp` with a relative gap of 1e-9; ``bound`` is
  HiGHS's dual bound. When ``time_limit_s`` runs out the best solution found is
  returned with its gap (``status`` says so).
- ``"heuristic"``: greedy plus vertex-substitution interchange (Teitz–Bart, Whitaker's
  fast evaluation) for the p-median and maximal covering; greedy plus redundancy
  removal and two-for-one swaps for set covering. ``bound`` is a Lagrangian bound
  (p-median; subgradient, at most the LP relaxation bound) or the LP relaxation bound
  solved by HiGHS (covering). No capacity.
- ``"auto"``: exact when the model has at most :data:`EXACT_MAX_VARIABLES` variables or
  has capacity, else the heuristic. If the exact solve finds no solution in time, the
  heuristic's answer is returned.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ._optimise_heuristic import (
    LocalSearch,
    lagrangian_bound,
    local_search,
    set_cover_greedy,
    values,
    weights_and_limits,
)
from ._optimise_input import Kind, Method, Problem, build_problem, nearest_open
from ._optimise_milp import count_variables, solve_milp
from .errors import InfeasibleError
from .validate import format_ids

__all__ = [
    "EXACT_MAX_VARIABLES",
    "Solution",
    "equity_baselines",
    "evaluate_sites",
    "max_covering",
    "p_median",
    "set_covering",
]

logger = logging.getLogger(__name__)

EXACT_MAX_VARIABLES: Final = 40_000
"""``method="auto"`` solves exactly up to this many MILP variables (sites + modelled pairs
+ rows for the p-median; sites + rows for uncapacitated covering), else heuristically."""

_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]
_Equity = Mapping[str, tuple[npt.ArrayLike, float]]


def _frozen(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Solution:
    """Hubs chosen by an optimiser, with how good they are and how sure we are.

    Attributes
    ----------
    kind
        "p_median", "max_covering" or "set_covering".
    open
        Open site indices (columns of ``cost``), sorted.
    assignment
        Per demand row: the site serving it (its nearest open site; with capacity the
        site taking the largest share), or -1: none reachable (p-median) or none within
        the threshold (covering).
    minutes
        Per demand row: minutes to its site (with capacity, the share-weighted mean over
        its reachable shares); NaN where ``assignment`` is -1.
    objective
        p-median: total demand × minutes (unreachable demand at ``penalty_minutes``);
        max covering: demand covered; set covering: number of sites.
    bound
        Proven bound on the optimum in the same units (lower for p-median and set
        covering, upper for max covering): HiGHS's dual bound (exact) or the
        Lagrangian / LP relaxation bound (heuristic); NaN when unknown.
    gap
        ``|objective - bound| / |objective|``: 0 when proven optimal.
    method
        "exact", "heuristic" or "given" (:func:`evaluate_sites`).
    status
        What happened, in words (optimal, time limit, swaps made, bound used).
    seconds
        Wall time of the call.
    total_demand
        Sum of ``demand``.
    covered_share
        Share of demand within the threshold (covering); None for the p-median.
    mean_minutes
        Demand-weighted mean minutes to the assigned site over the demand that has one
        (NaN when none).
    unserved_demand
        p-median: demand with no reachable open site (charged ``penalty_minutes``);
        covering: demand not covered.
    penalty_minutes
        Minutes charged per unit of unreachable demand (p-median), else None.
    threshold_min
        Coverage threshold in minutes (covering), else None.
    groups
        Each equity group's achieved value (p-median: weighted mean minutes; covering:
        covered share).
    baselines
        Each equity group's baseline, as given.
    allocation
        With capacity: a ``scipy.sparse.csr_array`` of demand row × site shares (rows
        sum to the served share); None otherwise.
    n_variables
        Variables of the exact model (reported for every method: its size decides
        ``"auto"``).
    """

    kind: str
    open: _IArr
    assignment: _IArr
    minutes: _FArr
    objective: float
    bound: float
    gap: float
    method: str
    status: str
    seconds: float
    total_demand: float
    covered_share: float | None
    mean_minutes: float
    unserved_demand: float
    penalty_minutes: float | None
    threshold_min: float | None
    groups: Mapping[str, float] = field(default_factory=dict)
    baselines: Mapping[str, float] = field(default_factory=dict)
    allocation: Any = None
    n_variables: int = 0


# --- public solvers -----------------------------------------------------------------------


def p_median(
    cost: npt.ArrayLike,
    demand: npt.ArrayLike,
    k: int,
    *,
    unreachable_min: float | None = None,
    capacity: bool | None = None,
    site_capacity: npt.ArrayLike | None = None,
    must_open: Iterable[int] = (),
    forbidden: Iterable[int] = (),
    equity: _Equity | None = None,
    method: str = "auto",
    time_limit_s: float = 60.0,
) -> Solution:
    """Open ``k`` sites minimising the demand-weighted travel time (p-median).

    Parameters
    ----------
    cost
        Demand row × site minutes; NaN: unreachable.
    demand
        Weight per row (>= 0, not all zero), e.g. a cohort's people.
    k
        Sites to open (1 to the number of allowed sites).
    unreachable_min
        Minutes charged per unit of demand with no reachable open site; default twice
        the longest finite time in ``cost``; at least that time.
    capacity
        Enforce ``site_capacity``: None (default) when it is given, False to ignore it.
    site_capacity
        Capacity per site in demand units (demand may then be split between sites).
    must_open, forbidden
        Site indices that must open / may not open.
    equity
        Group name → (weights per row, baseline weighted mean minutes not to exceed).
    method
        "auto", "exact" or "heuristic" (see the module notes).
    time_limit_s
        Seconds allowed (the exact solver stops with its best solution and gap).

    Returns
    -------
    Solution
        Open sites, assignment, total weighted minutes, bound and gap.

    Raises
    ------
    InfeasibleError
        ``k`` above the allowed sites, fewer than the must-open ones, capacity of the
        ``k`` largest sites below total demand, an equity baseline out of reach.

    Examples
    --------
    >>> s = p_median([[1.0, 9.0], [8.0, 2.0], [9.0, 1.0]], [1, 1, 2], 1)
    >>> s.open.tolist(), s.objective
    ([1], 13.0)
    """
    t0 = time.perf_counter()
    p, m = build_problem("p_median", cost, demand, k, None, unreachable_min=unreachable_min,
                         capacity=capacity, site_capacity=site_capacity, must_open=must_open,
                         forbidden=forbidden, equity=equity, method=method,
                         time_limit_s=time_limit_s, what="p_median")  # fmt: skip
    return _solve(p, m, t0)


def max_covering(
    cost: npt.ArrayLike,
    demand: npt.ArrayLike,
    k: int,
    threshold_min: float,
    *,
    capacity: bool | None = None,
    site_capacity: npt.ArrayLike | None = None,
    must_open: Iterable[int] = (),
    forbidden: Iterable[int] = (),
    equity: _Equity | None = None,
    method: str = "auto",
    time_limit_s: float = 60.0,
) -> Solution:
    """Open ``k`` sites maximising the demand within ``threshold_min`` (maximal covering).

    Parameters
    ----------
    cost
        Demand row × site minutes; NaN: unreachable.
    demand
        Weight per row (>= 0, not all zero).
    k
        Sites to open.
    threshold_min
        Coverage time in minutes (inclusive).
    capacity, site_capacity, must_open, forbidden, method, time_limit_s
        As :func:`p_median`; with capacity a row may be partly covered.
    equity
        Group name → (weights per row, baseline covered share 0–1 not to fall below).

    Returns
    -------
    Solution
        ``objective`` is the covered demand; ``covered_share`` its share of the total.

    Examples
    --------
    >>> s = max_covering([[1.0, 9.0], [8.0, 2.0], [9.0, 1.0]], [1, 1, 2], 1, 5.0)
    >>> s.open.tolist(), s.objective, s.covered_share
    ([1], 3.0, 0.75)
    """
    t0 = time.perf_counter()
    p, m = build_problem("max_covering", cost, demand, k, threshold_min, unreachable_min=None,
                         capacity=capacity, site_capacity=site_capacity, must_open=must_open,
                         forbidden=forbidden, equity=equity, method=method,
                         time_limit_s=time_limit_s, what="max_covering")  # fmt: skip
    return _solve(p, m, t0)


def set_covering(
    cost: npt.ArrayLike,
    threshold_min: float,
    *,
    demand: npt.ArrayLike | None = None,
    capacity: bool | None = None,
    site_capacity: npt.ArrayLike | None = None,
    must_open: Iterable[int] = (),
    forbidden: Iterable[int] = (),
    equity: _Equity | None = None,
    method: str = "auto",
    time_limit_s: float = 60.0,
) -> Solution:
    """Open the fewest sites that put every row with demand within ``threshold_min``.

    Parameters
    ----------
    cost
        Demand row × site minutes; NaN: unreachable.
    threshold_min
        Coverage time in minutes (inclusive).
    demand
        Weight per row; rows with demand 0 need not be covered. None: every row counts
        1 and must be covered.
    capacity, site_capacity, must_open, forbidden, method, time_limit_s
        As :func:`p_median` (capacity in demand units; each row fully assigned).
    equity
        Group name → (weights per row, baseline covered share): binds only through rows
        that need not be covered.

    Returns
    -------
    Solution
        ``objective`` is the number of open sites.

    Raises
    ------
    InfeasibleError
        Rows with demand that no allowed site reaches within the threshold (their
        number is named), or demand above the capacity of all allowed sites.

    Examples
    --------
    >>> set_covering([[1.0, 9.0], [8.0, 2.0], [9.0, 1.0]], 9.0).open.tolist()
    [1]
    """
    t0 = time.perf_counter()
    p, m = build_problem("set_covering", cost, demand, None, threshold_min,
                         unreachable_min=None, capacity=capacity, site_capacity=site_capacity,
                         must_open=must_open, forbidden=forbidden, equity=equity,
                         method=method, time_limit_s=time_limit_s, what="set_covering")  # fmt: skip
    return _solve(p, m, t0)


def evaluate_sites(
    cost: npt.ArrayLike,
    demand: npt.ArrayLike,
    open_sites: Iterable[int],
    *,
    threshold_min: float | None = None,
    unreachable_min: float | None = None,
) -> Solution:
    """Score a given set of open sites (e.g. today's) as the optimisers score theirs.

    Parameters
    ----------
    cost
        Demand row × site minutes; NaN: unreachable.
    demand
        Weight per row.
    open_sites
        Site indices open.
    threshold_min
        Given: scored as covering (``objective`` = covered demand); None: as a
        p-median (``objective`` = total weighted minutes).
    unreachable_min
        As :func:`p_median`.

    Returns
    -------
    Solution
        ``method`` is "given"; ``bound`` and ``gap`` are NaN.

    Examples
    --------
    >>> evaluate_sites([[1.0, 9.0], [8.0, 2.0]], [1, 3], [0]).mean_minutes
    6.25
    """
    t0 = time.perf_counter()
    kind: Kind = "p_median" if threshold_min is None else "max_covering"
    p, _ = build_problem(kind, cost, demand, None, threshold_min, unreachable_min=unreachable_min,
                         capacity=False, site_capacity=None, must_open=list(open_sites),
                         forbidden=(), equity=None, method="auto", time_limit_s=1.0,
                         what="evaluate_sites")  # fmt: skip
    return _assemble(p, p.must, None, math.nan, "given", "given sites scored", t0, 0)


def equity_baselines(
    cost: npt.ArrayLike,
    groups: Mapping[str, npt.ArrayLike],
    open_sites: Iterable[int],
    *,
    threshold_min: float | None = None,
    unreachable_min: float | None = None,
) -> dict[str, tuple[_FArr, float]]:
    """Today's value for each group, ready to pass as ``equity`` ("no group worse off").

    Parameters
    ----------
    cost
        Demand row × site minutes; NaN: unreachable.
    groups
        Group name → weights per row (e.g. each cohort or deprivation quintile's people).
    open_sites
        Today's open sites.
    threshold_min
        Given: baselines are covered shares within it (for covering); None: weighted
        mean minutes (for the p-median, unreachable demand at ``unreachable_min``).
    unreachable_min
        As :func:`p_median` (use the same value in the optimisation).

    Returns
    -------
    dict
        Group name → (weights, baseline).
    """
    sites = list(open_sites)
    out: dict[str, tuple[_FArr, float]] = {}
    for name, weights in groups.items():
        s = evaluate_sites(cost, weights, sites, threshold_min=threshold_min,
                           unreachable_min=unreachable_min)  # fmt: skip
        value = s.covered_share if s.covered_share is not None else s.objective / s.total_demand
        out[name] = (np.asarray(weights, dtype=np.float64), float(value))
    return out


# --- solving ------------------------------------------------------------------------------


def _solve(p: Problem, method: Method, t0: float) -> Solution:
    n_vars = count_variables(p)
    exact = method == "exact" or (
        method == "auto" and (p.capacity is not None or n_vars <= EXACT_MAX_VARIABLES)
    )
    deadline = t0 + p.time_limit
    if exact:
        r = solve_milp(p, time_limit=deadline - time.perf_counter())
        if r.infeasible:
            raise InfeasibleError(_infeasible(p))
        if r.feasible:
            status = "optimal" if r.optimal else f"stopped before proof of optimality: {r.status}"
            return _assemble(p, r.open, r.flows, r.bound, "exact", status, t0, n_vars)
        if method == "exact" or p.capacity is not None:
            msg = (
                f"{p.kind}: no feasible solution found within time_limit_s = {p.time_limit:g} "
                f"s ({r.status}); raise the limit or use method='heuristic'."
            )
            raise InfeasibleError(msg)
        deadline = time.perf_counter() + p.time_limit
    opened, bound, status = _heuristic(p, deadline)
    return _assemble(p, opened, None, bound, "heuristic", status, t0, n_vars)


def _heuristic(p: Problem, deadline: float) -> tuple[_IArr, float, str]:
    t0 = time.perf_counter()
    must_pos = np.searchsorted(p.allowed, p.must).astype(np.int64)
    if p.kind == "set_covering":
        rows = np.flatnonzero(p.required | (p.group_weights > 0).any(axis=0))
        gw = p.group_weights[:, rows] / p.group_weights.sum(axis=1, keepdims=True)
        pos, swaps = set_cover_greedy(p.reach(rows, p.allowed), p.required[rows], gw,
                                      p.baselines, must_pos, deadline=deadline)  # fmt: skip
        opened = p.allowed[pos]
        _check_heuristic_equity(p, opened)
        lp = solve_milp(p, time_limit=max(deadline - time.perf_counter(), 1.0), relax=True)
        bound = math.ceil(lp.bound - 1e-6) if math.isfinite(lp.bound) else math.nan
        return opened, float(bound), (f"heuristic: greedy + redundancy removal, {swaps} "
                                      "two-for-one swaps; bound: LP relaxation (HiGHS)")  # fmt: skip
    rows = p.rows
    v, none = values(p, rows)
    w, limits, norms = weights_and_limits(p, rows)
    ls = LocalSearch(v, w, limits, norms, none)
    pos, swaps, timed_out = local_search(ls, p.k, must_pos, deadline=deadline)
    opened = p.allowed[pos]
    _check_heuristic_equity(p, opened)
    t1 = time.perf_counter()
    if p.kind == "p_median":
        upper = float(ls.totals(ls.state(pos)[0])[0])
        bound, iters = lagrangian_bound(ls, p.k, must_pos, upper,
                                        deadline=max(deadline, t1 + 1.0))  # fmt: skip
        how = f"Lagrangian relaxation, {iters} subgradient steps"
    else:
        bound = solve_milp(p, time_limit=max(deadline - t1, 1.0), relax=True).bound
        how = "LP relaxation (HiGHS)"
    logger.info("%s heuristic: %d rows × %d sites, %d swaps in %.3f s; bound (%s) in %.3f s",
                p.kind, len(rows), len(p.allowed), swaps, t1 - t0, how,
                time.perf_counter() - t1)  # fmt: skip
    note = " (time limit reached during interchange)" if timed_out else ""
    return opened, bound, f"heuristic: greedy + interchange, {swaps} swaps{note}; bound: {how}"


def _check_heuristic_equity(p: Problem, opened: _IArr) -> None:
    if not p.groups:
        return
    achieved = _group_values(p, opened)
    short = [
        f"{g} ({a:.6g} vs baseline {b:.6g})"
        for g, a, b in zip(p.groups, achieved, p.baselines, strict=True)
        if (a > b * (1 + 1e-9) + 1e-9 if p.kind == "p_median" else a < b - 1e-9)
    ]
    if short:
        msg = (
            f"{p.kind}: the heuristic found no set of sites meeting every equity baseline: "
            f"{'; '.join(short)}; try method='exact' or relax the baselines."
        )
        raise InfeasibleError(msg)


def _infeasible(p: Problem) -> str:
    parts = [f"{len(p.groups)} equity baselines ({format_ids(p.groups)})"] if p.groups else []
    if p.capacity is not None:
        parts.append(f"site capacities (total {p.capacity[p.allowed].sum():g} for demand "
                     f"{p.demand.sum():g})")  # fmt: skip
    if p.kind != "set_covering":
        parts.append(f"k = {p.k}")
    return (
        f"{p.kind}: no choice of sites meets {' together with '.join(parts) or 'the constraints'}"
        f" ({len(p.allowed)} allowed sites, {len(p.must)} must open); relax one of them."
    )


# --- results ------------------------------------------------------------------------------


def _limit(p: Problem) -> float:
    return math.inf if p.kind == "p_median" else p.threshold


def _group_values(p: Problem, opened: _IArr) -> _FArr:
    site, minutes = nearest_open(p.cost, opened, _limit(p))
    if p.kind == "p_median":
        per_row = np.where(site >= 0, minutes, p.penalty)
    else:
        per_row = (site >= 0).astype(np.float64)
    return np.asarray(p.group_weights @ per_row / p.group_weights.sum(axis=1), dtype=np.float64)


def _assemble(
    p: Problem, opened: _IArr, flows: Any, bound: float, method: str, status: str, t0: float,
    n_vars: int,
) -> Solution:  # fmt: skip
    opened = np.sort(np.asarray(opened, dtype=np.int64))
    d, total = p.demand, float(p.demand.sum())
    site, minutes = nearest_open(p.cost, opened, _limit(p))
    if flows is None:
        served = (site >= 0).astype(np.float64)
        reached_min = np.where(site >= 0, minutes, 0.0)
    else:
        served, reached_min, site, minutes = _from_flows(p, flows, site, minutes)
    if p.kind == "p_median":
        per_row = reached_min * served + p.penalty * (1.0 - served)
        objective = float(d @ per_row)
        covered, group_rows = None, per_row
    else:
        covered = float(d @ served)
        objective = covered if p.kind == "max_covering" else float(len(opened))
        group_rows = served
    weight = float(d @ served)
    mean = float(d @ (reached_min * served)) / weight if weight > 0 else math.nan
    groups = p.group_weights @ group_rows / p.group_weights.sum(axis=1) if p.groups else []
    gap = _gap(objective, bound)
    seconds = time.perf_counter() - t0
    logger.info("%s (%s): %d sites open, objective %.6g, bound %.6g, gap %.2e, in %.3f s",
                p.kind, method, len(opened), objective, bound, gap, seconds)  # fmt: skip
    return Solution(
        kind=p.kind, open=_frozen(opened), assignment=_frozen(site), minutes=_frozen(minutes),
        objective=objective, bound=float(bound), gap=gap, method=method, status=status,
        seconds=seconds, total_demand=total,
        covered_share=None if covered is None else covered / total, mean_minutes=mean,
        unserved_demand=float(d @ (1.0 - served)),
        penalty_minutes=p.penalty if p.kind == "p_median" else None,
        threshold_min=None if p.kind == "p_median" else p.threshold,
        groups=dict(zip(p.groups, map(float, groups), strict=True)),
        baselines=dict(zip(p.groups, map(float, p.baselines), strict=True)),
        allocation=flows, n_variables=n_vars,
    )  # fmt: skip


def _from_flows(
    p: Problem, flows: Any, site: _IArr, minutes: _FArr
) -> tuple[_FArr, _FArr, _IArr, _FArr]:
    """Served share, mean reachable minutes, main site and minutes per row (capacity).

    Rows without demand use no capacity: those the model left out get their nearest
    open site.
    """
    coo = flows.tocoo()
    r, c, share = coo.row, coo.col, coo.data
    n = p.cost.shape[0]
    served = np.bincount(r, weights=share, minlength=n)
    tsum = np.bincount(r, weights=share * p.cost[r, c], minlength=n)
    mean = np.divide(tsum, served, out=np.zeros(n), where=served > 0)
    main = np.full(n, -1, dtype=np.int64)
    order = np.lexsort((-share, r))  # per row, largest share first
    first = np.ones(len(order), dtype=np.bool_)
    first[1:] = r[order][1:] != r[order][:-1]
    main[r[order][first]] = c[order][first]
    free = (p.demand == 0) & (served == 0) & (site >= 0)
    served[free], mean[free], main[free] = 1.0, minutes[free], site[free]
    return np.clip(served, 0.0, 1.0), mean, main, np.where(main >= 0, mean, np.nan)


def _gap(objective: float, bound: float) -> float:
    if not math.isfinite(bound) or not math.isfinite(objective):
        return math.nan
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(abs(objective), 1.0):
        return 0.0
    return diff / abs(objective) if objective else math.inf

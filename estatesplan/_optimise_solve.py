"""How :mod:`estatesplan.optimise` solves a checked problem (private).

- **p-median without capacity** (``"auto"`` and ``"exact"``): first the heuristic (an
  upper bound) and the Lagrangian bound; if they meet, the heuristic's answer is proven
  optimal. Otherwise sites whose forced opening (or closing) lifts the Lagrangian bound
  above the heuristic's objective are fixed (they cannot be in any better solution;
  Beasley 1993), and the MILP is solved over the remaining sites. ``"auto"`` does this
  when the reduced MILP has at most :data:`EXACT_MAX_VARIABLES` variables, else it
  returns the heuristic's answer with its bound. The bound reported is the larger of
  the Lagrangian and the reduced MILP's dual bound (both valid for the full problem:
  every fixed alternative is bounded above the heuristic's objective).
- **Covering without capacity**: dominated sites and rows are removed first
  (:mod:`._optimise_reduce`); the answer is scored on the original problem. Then
  (``"auto"`` and ``"exact"``) the LP relaxation
  and a solution from it (maximal covering: the sites with the largest LP values,
  improved by interchange; set covering: LP-ordered greedy, then up to 150 steps of the
  Lagrangian heuristic).
  When that solution meets the LP bound (for set covering: its ceiling) it is proven
  optimal; otherwise the MILP, as below.
- **Everything else**: the MILP when ``"exact"``, or ``"auto"`` with capacity or at most
  :data:`EXACT_MAX_VARIABLES` variables; otherwise the heuristic.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from typing import Final

import numpy as np
import numpy.typing as npt

from ._optimise_heuristic import (
    DEEP_PATIENCE,
    DEEP_SHAKES,
    Lagrangian,
    LocalSearch,
    cover_restarts,
    descend,
    fix_pairs,
    fix_sites,
    lagrangian_bound,
    local_search,
    lp_greedy_cover,
    set_cover_lagrangian,
    two_for_one,
    values,
    weights_and_limits,
)
from ._optimise_input import Method, Problem
from ._optimise_milp import MilpResult, count_variables, solve_milp
from ._optimise_reduce import reduce_covering
from ._optimise_result import Solution, assemble, gap, group_values, objective_of
from .errors import InfeasibleError
from .validate import format_ids

__all__ = ["EXACT_MAX_VARIABLES", "solve"]

logger = logging.getLogger(__name__)

EXACT_MAX_VARIABLES: Final = 40_000
"""``method="auto"`` solves exactly up to this many MILP variables (sites + modelled pairs
+ rows for the p-median, after Lagrangian site fixing; sites + rows for uncapacitated
covering; sites + pairs with capacity), else heuristically."""

_IArr = npt.NDArray[np.int64]
_FArr = npt.NDArray[np.float64]


def solve(p: Problem, method: Method, t0: float) -> Solution:
    """Solve ``p`` by ``method`` (see the module notes); ``t0`` is the call's start."""
    n_vars = count_variables(p)
    deadline = t0 + p.time_limit
    if p.capacity is None and p.kind != "p_median":
        q = reduce_covering(p)  # solved reduced, scored on the original
        if method == "heuristic":
            opened, bound, status = _heuristic(q, deadline)
            return assemble(p, opened, None, bound, "heuristic", status, t0, n_vars)
        s = _covering_exact(q, method, t0, count_variables(q))
        return assemble(p, s.open, None, s.bound, s.method, s.status, t0, n_vars)
    if p.capacity is None and method != "heuristic":
        return _p_median_exact(p, method, t0, n_vars)
    exact = method == "exact" or (
        method == "auto" and (p.capacity is not None or n_vars <= EXACT_MAX_VARIABLES)
    )
    if exact:
        r = solve_milp(p, time_limit=deadline - time.perf_counter())
        if r.infeasible:
            raise InfeasibleError(_infeasible(p))
        if r.feasible:
            status = "optimal" if r.optimal else f"stopped before proof of optimality: {r.status}"
            return assemble(p, r.open, r.flows, r.bound, "exact", status, t0, n_vars)
        if method == "exact" or p.capacity is not None:
            raise InfeasibleError(_no_solution(p, r.status))
        deadline = time.perf_counter() + p.time_limit
    opened, bound, status = _heuristic(p, deadline)
    return assemble(p, opened, None, bound, "heuristic", status, t0, n_vars)


def _search(p: Problem, deadline: float) -> tuple[LocalSearch, _IArr, _IArr, str]:
    """Greedy + interchange for p-median / max covering: state, positions, must positions."""
    rows = p.rows
    v, none = values(p, rows)
    w, limits, norms = weights_and_limits(p, rows)
    ls = LocalSearch(v, w, limits, norms, none)
    must_pos = np.searchsorted(p.allowed, p.must).astype(np.int64)
    t0 = time.perf_counter()
    pos, swaps, improved, timed_out = local_search(ls, p.k, must_pos, deadline=deadline)
    note = " (time limit reached)" if timed_out else ""
    logger.info("%s heuristic: %d rows × %d sites, %d swaps, %d improving restarts in %.3f s%s",
                p.kind, len(rows), len(p.allowed), swaps, improved, time.perf_counter() - t0,
                note)  # fmt: skip
    how = f"greedy + interchange, {swaps} swaps, {improved} improving restarts{note}"
    return ls, pos, must_pos, how


def _lagrangian(p: Problem, ls: LocalSearch, pos: _IArr, must_pos: _IArr,
                deadline: float) -> tuple[Lagrangian, float]:  # fmt: skip
    t0 = time.perf_counter()
    upper = float(ls.totals(ls.state(pos)[0])[0])
    lg = lagrangian_bound(ls, p.k, must_pos, upper, deadline=max(deadline, t0 + 1.0))
    logger.info("p_median Lagrangian bound: %d subgradient steps in %.3f s, gap %.2e",
                lg.iterations, time.perf_counter() - t0, gap(upper, lg.bound))  # fmt: skip
    return lg, upper


def _from_relaxation(ls: LocalSearch, lg: Lagrangian, pos: _IArr, must_pos: _IArr,
                     upper: float, how: str, deadline: float) -> tuple[_IArr, str]:  # fmt: skip
    """One more descent from the sites the Lagrangian relaxation opened; then, unless the
    bound is met, the longer search (another seed) from the best set so far."""
    pos, how = _from_start(ls, np.sort(lg.chosen), pos, must_pos, upper, how,
                           "the Lagrangian's sites", deadline)  # fmt: skip
    return _deeper(ls, pos, must_pos, lg.bound, how, deadline)


def _deeper(ls: LocalSearch, pos: _IArr, must_pos: _IArr, bound: float, how: str,
            deadline: float) -> tuple[_IArr, str]:  # fmt: skip
    """Unless ``pos`` meets ``bound`` (the minimised sum's), the longer perturbation search
    (:data:`DEEP_SHAKES` restarts, another seed) from it; keeps the better set."""
    obj, viol = ls.score(ls.totals(ls.state(pos)[0]))
    if viol <= 1e-9 and gap(float(obj), bound) == 0:
        return pos, how
    again, swaps, improved, _ = local_search(ls, len(pos), must_pos, deadline=deadline,
                                             shakes=DEEP_SHAKES, patience=DEEP_PATIENCE,
                                             seed=1, start=pos)  # fmt: skip
    obj2, viol2 = ls.score(ls.totals(ls.state(again)[0]))
    if viol2 <= 1e-9 and obj2 < obj - 1e-12 * max(abs(float(obj)), 1.0):
        return again, f"{how}; longer search: {swaps} swaps, {improved} improving restarts"
    return pos, how


def _from_start(ls: LocalSearch, start: _IArr, pos: _IArr, must_pos: _IArr, upper: float,
                how: str, what: str, deadline: float) -> tuple[_IArr, str]:  # fmt: skip
    """Descend from ``start`` too; keep the result when feasible and better than ``upper``
    (the minimised sum: minutes, or uncovered demand)."""
    if len(start) != len(pos) or np.array_equal(start, pos):
        return pos, how
    again, _, _, obj, viol = descend(ls, start, np.isin(start, must_pos), deadline)
    if viol <= 1e-9 and obj < upper - 1e-12 * max(abs(upper), 1.0):
        return np.sort(again), f"{how}; improved from {what}"
    return pos, how


def _p_median_exact(p: Problem, method: Method, t0: float, n_vars: int) -> Solution:
    deadline = t0 + p.time_limit
    ls, pos, must_pos, how = _search(p, deadline)
    heur = p.allowed[pos]
    if p.groups and _equity_shortfall(p, heur):
        return _full_milp(p, method, t0, n_vars, deadline)  # no feasible upper bound to fix by
    lg, upper = _lagrangian(p, ls, pos, must_pos, deadline)
    pos, how = _from_relaxation(ls, lg, pos, must_pos, upper, how, deadline)
    heur = p.allowed[pos]
    upper = objective_of(p, heur)
    lagr = f"Lagrangian bound ({lg.iterations} subgradient steps)"
    if gap(upper, lg.bound) == 0:
        return assemble(p, heur, None, lg.bound, "exact",
                        f"optimal: heuristic ({how}) met the {lagr}", t0, n_vars)  # fmt: skip
    closed, fixed_open = fix_sites(lg, must_pos, upper)
    mask = np.ones(p.cost.shape, dtype=np.bool_)
    mask[np.ix_(p.rows, p.allowed)] = fix_pairs(ls, lg, must_pos, upper)
    reduced = dataclasses.replace(
        p, allowed=np.setdiff1d(p.allowed, p.allowed[closed]),
        must=np.union1d(p.must, p.allowed[fixed_open]), pair_mask=mask,
    )  # fmt: skip
    n_red = count_variables(reduced)
    fixing = (f"{len(closed)} sites fixed closed, {len(fixed_open)} open and "
              f"{int((~mask).sum()):,} pairs dropped by the {lagr}; MILP {n_red:,} of "
              f"{n_vars:,} variables")  # fmt: skip
    logger.info("p_median: %s", fixing)
    if method == "auto" and n_red > EXACT_MAX_VARIABLES:
        return assemble(p, heur, None, lg.bound, "heuristic",
                        f"heuristic: {how}; bound: {lagr}; reduced MILP too large for 'auto' "
                        f"({n_red:,} > {EXACT_MAX_VARIABLES:,} variables)", t0, n_vars)  # fmt: skip
    r = solve_milp(reduced, time_limit=deadline - time.perf_counter())
    opened = heur
    if r.feasible and objective_of(p, r.open) < upper:
        opened = r.open
    bound = max(lg.bound, r.bound) if math.isfinite(r.bound) else lg.bound
    state = "optimal" if r.optimal else f"stopped before proof of optimality: {r.status}"
    return assemble(p, opened, None, bound, "exact", f"{state} ({fixing})", t0, n_vars)


def _full_milp(p: Problem, method: Method, t0: float, n_vars: int, deadline: float,
               lp: MilpResult | None = None) -> Solution:  # fmt: skip
    if method == "auto" and n_vars > EXACT_MAX_VARIABLES:
        opened, bound, status = _heuristic(p, deadline, lp)  # raises: no feasible set found
        return assemble(p, opened, None, bound, "heuristic", status, t0, n_vars)
    r = solve_milp(p, time_limit=deadline - time.perf_counter())
    if r.infeasible:
        raise InfeasibleError(_infeasible(p))
    if not r.feasible:
        raise InfeasibleError(_no_solution(p, r.status))
    status = "optimal" if r.optimal else f"stopped before proof of optimality: {r.status}"
    return assemble(p, r.open, None, r.bound, "exact", status, t0, n_vars)


def _heuristic(
    p: Problem, deadline: float, lp: MilpResult | None = None
) -> tuple[_IArr, float, str]:
    """The heuristic answer, its bound and status; ``lp``: the LP relaxation if solved."""
    if lp is None and p.kind != "p_median":
        lp = solve_milp(p, time_limit=max(deadline - time.perf_counter(), 1.0), relax=True)
    if p.kind == "set_covering":
        assert lp is not None
        low = _cover_low(lp.bound)
        pos, how = _set_cover_search(p, lp.y, low, deadline, max_iter=1000, polish=True)
        _check_heuristic_equity(p, p.allowed[pos])
        return p.allowed[pos], float(low), f"heuristic: {how}; bound: LP relaxation (HiGHS)"
    ls, pos, must_pos, how = _search(p, deadline)
    _check_heuristic_equity(p, p.allowed[pos])
    if p.kind == "p_median":
        lg, upper = _lagrangian(p, ls, pos, must_pos, deadline)
        pos, how = _from_relaxation(ls, lg, pos, must_pos, upper, how, deadline)
        bound, what = lg.bound, f"Lagrangian relaxation, {lg.iterations} subgradient steps"
    else:
        assert lp is not None
        bound, what = lp.bound, "LP relaxation (HiGHS)"
        if lp.y is not None:
            upper = float(ls.totals(ls.state(pos)[0])[0])
            start = _top_k(p, lp.y, must_pos)
            pos, how = _from_start(ls, start, pos, must_pos, upper, how, "the LP's sites",
                                   deadline)  # fmt: skip
        uncovered_bound = float(p.demand.sum()) - bound  # what the search minimises
        pos, how = _deeper(ls, pos, must_pos, uncovered_bound, how, deadline)
    return p.allowed[pos], bound, f"heuristic: {how}; bound: {what}"


def _top_k(p: Problem, y: _FArr, must_pos: _IArr) -> _IArr:
    """Must-open sites plus the others with the largest LP values (ties: lower index)."""
    free = np.setdiff1d(np.arange(len(p.allowed)), must_pos)
    order = free[np.argsort(-y[free], kind="stable")]
    return np.sort(np.concatenate([must_pos, order[: p.k - len(must_pos)]])).astype(np.int64)


def _cover_low(bound: float) -> int:
    return max(1, math.ceil(bound - 1e-6)) if math.isfinite(bound) else 1


def _set_cover_search(p: Problem, y: _FArr | None, low: int, deadline: float, *,
                      max_iter: int, polish: bool) -> tuple[_IArr, str]:  # fmt: skip
    """Fewest sites covering every required row and meeting equity (positions), and how.

    LP-ordered greedy with redundant sites dropped; unless that meets ``low`` (the LP
    bound's ceiling), the Lagrangian heuristic for up to ``max_iter`` steps, then (when
    ``polish``) two-for-one replacements.
    """
    rows = np.flatnonzero(p.required | (p.group_weights > 0).any(axis=0)).astype(np.int64)
    cover = p.reach(rows, p.allowed)
    required = p.required[rows]
    gw = p.group_weights[:, rows] / p.group_weights.sum(axis=1, keepdims=True)
    must_pos = np.searchsorted(p.allowed, p.must).astype(np.int64)
    y0 = np.zeros(len(p.allowed)) if y is None else y
    order = np.lexsort((-cover.sum(axis=0), -np.round(y0, 9))).astype(np.int64)
    greedy = lp_greedy_cover(cover, required, order, must_pos)
    cnt = cover[:, greedy].sum(axis=1)
    ok = float(np.maximum(p.baselines - gw @ (cnt > 0), 0.0).sum()) <= 1e-9 if p.groups else True
    how = f"LP-ordered greedy ({len(greedy)} sites)"
    if ok and len(greedy) <= low:
        return greedy, how
    pos, _, iters = set_cover_lagrangian(cover, required, gw, p.baselines, must_pos,
                                         greedy if ok else None, deadline=deadline,
                                         max_iter=max_iter)  # fmt: skip
    how += f", then Lagrangian heuristic ({iters} steps, {len(pos)} sites)"
    if polish and len(pos) > low:
        pos, moves = two_for_one(cover, required, gw, p.baselines, pos, must_pos,
                                 deadline=deadline)  # fmt: skip
        how += f", then {moves} two-for-one replacements"
        if len(pos) > low:
            pos, better = cover_restarts(cover, required, gw, p.baselines, pos, must_pos,
                                         deadline=deadline)  # fmt: skip
            how += f", then perturbation restarts ({better} improving)"
    return pos, how


def _covering_exact(p: Problem, method: Method, t0: float, n_vars: int) -> Solution:
    """LP relaxation, a quick solution from it, the MILP only if they do not meet."""
    deadline = t0 + p.time_limit
    lp = solve_milp(p, time_limit=deadline - time.perf_counter(), relax=True)
    if lp.infeasible:
        raise InfeasibleError(_infeasible(p))
    if p.kind == "set_covering":
        low = _cover_low(lp.bound)
        pos, how = _set_cover_search(p, lp.y, low, deadline, max_iter=150, polish=False)
        met = len(pos) <= low and not (p.groups and _equity_shortfall(p, p.allowed[pos]))
        bound = float(low)
    else:
        must_pos = np.searchsorted(p.allowed, p.must).astype(np.int64)
        rows = p.rows
        v, none = values(p, rows)
        w, limits, norms = weights_and_limits(p, rows)
        ls = LocalSearch(v, w, limits, norms, none)
        start = _top_k(p, lp.y, must_pos) if lp.y is not None else must_pos
        if len(start) < p.k:
            start = local_search(ls, p.k, must_pos, deadline=deadline, shakes=0)[0]
        pos, _, _, _, viol = descend(ls, start, np.isin(start, must_pos), deadline)
        how = "the LP's sites improved by interchange"
        covered = objective_of(p, p.allowed[pos])
        bound = lp.bound
        met = viol <= 1e-9 and gap(covered, bound) == 0
    if met:
        return assemble(p, p.allowed[pos], None, bound, "exact",
                        f"optimal: {how} met the LP relaxation bound", t0, n_vars)  # fmt: skip
    return _full_milp(p, method, t0, n_vars, deadline, lp)


def _equity_shortfall(p: Problem, opened: _IArr) -> list[str]:
    achieved = group_values(p, opened)
    return [
        f"{g} ({a:.6g} vs baseline {b:.6g})"
        for g, a, b in zip(p.groups, achieved, p.baselines, strict=True)
        if (a > b * (1 + 1e-9) + 1e-9 if p.kind == "p_median" else a < b - 1e-9)
    ]


def _check_heuristic_equity(p: Problem, opened: _IArr) -> None:
    short = _equity_shortfall(p, opened) if p.groups else []
    if short:
        msg = (
            f"{p.kind}: the heuristic found no set of sites meeting every equity baseline: "
            f"{'; '.join(short)}; try method='exact' or relax the baselines."
        )
        raise InfeasibleError(msg)


def _no_solution(p: Problem, status: str) -> str:
    return (
        f"{p.kind}: no feasible solution found within time_limit_s = {p.time_limit:g} s "
        f"({status}); raise the limit or use method='heuristic'."
    )


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

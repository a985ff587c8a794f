"""Heuristics and bounds for :mod:`estatesplan.optimise` (private).

p-median and maximal covering share one local search, because both only depend on each
demand row's best open site: with ``V`` the row × site matrix of *values* — minutes
(the penalty where unreachable) for the p-median, 1 for "not within the threshold" else
0 for covering — both minimise ``sum_i w_i min_{j open} V_ij`` (covering minimises the
uncovered demand), and an equity group is one more weight column with a limit.

- **Greedy**: from the must-open sites, add the site that most lowers the objective
  until ``k`` are open (ties to the lower index).
- **Vertex substitution** (Teitz and Bart 1968) with the fast evaluation of Whitaker
  (1983): keeping each row's best and second-best open value, the effect of every swap
  (close one open site, open one closed site) on every weight column is computed at
  once from two row × site matrices and a sparse product; the best swap is made while
  it improves, until none does or the time runs out. With equity groups, a swap is
  better when it lowers the total relative violation of the group limits, and then the
  objective (a feasible set, once found, is never left).
- **Perturbation restarts** (variable neighbourhood search): from the local optimum,
  swap 1, 2 or 3 random open sites for closed ones (seeded: runs repeat), descend
  again, keep the better; at most :data:`SHAKES` times, stopping after
  :data:`PATIENCE` restarts in a row that do not improve.

Memory: the dense ``V`` (8 bytes per modelled row × allowed site) plus temporaries of
:data:`CHUNK_CELLS` cells.

Set covering: sites taken greedily in order of their LP relaxation value, redundant
ones dropped; then, unless that meets the LP bound, the Lagrangian heuristic of
Beasley (1990) (reduced costs from subgradient multipliers; every few steps a cover
completed from the sites of negative reduced cost and pruned, dearest first), then
"two for one" replacements while one closed site can replace two open ones, then
perturbation restarts (:func:`cover_restarts`: drop 1–3 random sites, re-complete
greedily, prune redundant ones; plateau moves allowed).

Bound for the p-median heuristic: Lagrangian relaxation of the assignment constraints
(and of the equity constraints) over the dense model, maximised by subgradient steps
(Polyak's step towards the heuristic's objective, halved after :data:`STALL` steps
without improvement, at most 1,000 steps). Any multipliers give a valid lower bound; at
the best ones it equals the LP relaxation bound, so the reported gap is an upper
estimate of the gap to the LP bound. The same multipliers' reduced costs show which
sites and pairs cannot be in a solution better than the heuristic's (``fix_sites``,
``fix_pairs``), which shrinks the exact MILP.
The covering bounds are LP relaxations solved by HiGHS (:mod:`._optimise_milp`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._optimise_input import Problem

__all__ = [
    "Lagrangian",
    "LocalSearch",
    "cover_restarts",
    "descend",
    "fix_pairs",
    "fix_sites",
    "lagrangian_bound",
    "local_search",
    "lp_greedy_cover",
    "set_cover_lagrangian",
    "two_for_one",
    "values",
    "weights_and_limits",
]

logger = logging.getLogger(__name__)

_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]
_BArr = npt.NDArray[np.bool_]
CHUNK_CELLS = 1 << 18
"""Row × site cells handled at a time by the dense evaluations (2 MiB per float64 array)."""
_TOL = 1e-9
SHAKES = 100
"""Perturbation restarts after the first local optimum (at most)."""
PATIENCE = 25
"""Restarts in a row without improvement before the search stops."""
DEEP_SHAKES, DEEP_PATIENCE = 400, 100
"""The longer search run (another seed, from the best set so far) when the first one did
not meet the bound."""
STALL = 30
"""Subgradient steps without a better bound before the step size is halved."""
COVER_RESTARTS = 400
"""Perturbation restarts of the set-covering heuristic (at most)."""


def _chunks(n_rows: int, n_cols: int) -> Iterator[slice]:
    step = max(1, CHUNK_CELLS // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def values(p: Problem, rows: _IArr) -> tuple[_FArr, float]:
    """Dense row × allowed-site values of ``p`` and the value of "no open site".

    p-median: minutes, the penalty where unreachable. Covering: 1 where the site is not
    within the threshold (or unreachable), else 0.
    """
    block = p.cost[np.ix_(rows, p.allowed)]
    if p.kind == "p_median":
        return np.where(np.isnan(block), p.penalty, block), float(p.penalty)
    return (~(block <= p.threshold)).astype(np.float64), 1.0


def weights_and_limits(p: Problem, rows: _IArr) -> tuple[_FArr, _FArr, _FArr]:
    """Weight columns (demand, then groups), group limits on the minimised sums, norms."""
    w = np.column_stack([p.demand[rows], *p.group_weights[:, rows]])
    total = p.group_weights.sum(axis=1)
    # p-median: weighted minutes; covering: uncovered weight
    limits = p.baselines * total if p.kind == "p_median" else (1.0 - p.baselines) * total
    return w, limits, total


class LocalSearch:
    """Best and second-best open values per row, and swap evaluation (Whitaker)."""

    def __init__(self, v: _FArr, w: _FArr, limits: _FArr, norms: _FArr, none: float) -> None:
        self.v, self.w, self.limits, self.norms, self.none = v, w, limits, norms, none

    def state(self, open_pos: _IArr) -> tuple[_FArr, _FArr, _IArr]:
        """Best value, second-best value and the slot (in ``open_pos``) of the best."""
        n = self.v.shape[0]
        if len(open_pos) == 0:
            return np.full(n, self.none), np.full(n, self.none), np.zeros(n, np.int64)
        sub = self.v[:, open_pos]
        if len(open_pos) == 1:
            return sub[:, 0].copy(), np.full(n, self.none), np.zeros(n, np.int64)
        part = np.argpartition(sub, 1, axis=1)[:, :2]
        two = np.take_along_axis(sub, part, axis=1)
        first = np.where(two[:, 1] < two[:, 0], part[:, 1], part[:, 0])
        return two.min(axis=1), two.max(axis=1), first.astype(np.int64)

    def totals(self, best: _FArr) -> _FArr:
        """Weighted sums of the rows' best values, one per weight column."""
        return self.w.T @ best

    def score(self, sums: _FArr) -> tuple[_FArr, _FArr]:
        """Objective and total relative violation of the group limits (any shape)."""
        obj = sums[0]
        if len(self.limits) == 0:
            return obj, np.zeros_like(obj)
        over = np.maximum(sums[1:] - self.limits.reshape((-1,) + (1,) * (sums.ndim - 1)), 0.0)
        viol = (over / self.norms.reshape((-1,) + (1,) * (sums.ndim - 1))).sum(axis=0)
        return obj, viol

    def evaluate(
        self, b1: _FArr, b2: _FArr, slot: _IArr, n_open: int, *, swaps: bool
    ) -> tuple[_FArr, _FArr | None]:
        """Sums after opening each site (C × sites) and after each swap (C × open × sites)."""
        n_rows, n_sites = self.v.shape
        n_c = self.w.shape[1]
        add = np.zeros((n_c, n_sites))
        delta = np.zeros((n_c, max(n_open, 1), n_sites)) if swaps else None
        for rows in _chunks(n_rows, n_sites):
            vc = self.v[rows]
            m = np.minimum(b1[rows, None], vc)
            add += self.w[rows].T @ m
            if delta is not None:
                d = np.minimum(b2[rows, None], vc) - m
                idx = np.arange(rows.stop - rows.start)
                for c in range(n_c):
                    s = sp.csr_array((self.w[rows, c], (slot[rows], idx)),
                                     shape=(max(n_open, 1), len(idx)))  # fmt: skip
                    delta[c] += s @ d
        if delta is None:
            return add, None
        return add, add[:, None, :] + delta


def _better(obj: float, viol: float, obj0: float, viol0: float) -> bool:
    if viol < viol0 - _TOL:
        return True
    return viol <= viol0 + _TOL and obj < obj0 - _TOL * max(abs(obj0), 1.0)


def _pick(obj: _FArr, viol: _FArr, valid: _BArr) -> int | None:
    """Flat index of the lexicographically best (violation, objective) valid entry."""
    if not valid.any():
        return None
    v = np.where(valid, viol, np.inf)
    ok = valid & (v <= v.min() + _TOL)
    return int(np.argmin(np.where(ok, obj, np.inf)))


def descend(
    ls: LocalSearch, open_pos: _IArr, fixed: _BArr, deadline: float
) -> tuple[_IArr, int, bool, float, float]:
    """Best-improvement swaps until none improves; returns the set, swaps, time-out, score."""
    n_sites = ls.v.shape[1]
    swaps = 0
    while True:
        b1, b2, slot = ls.state(open_pos)
        obj0, viol0 = ls.score(ls.totals(b1))
        if fixed.all() or len(open_pos) >= n_sites:
            return open_pos, swaps, False, float(obj0), float(viol0)
        if time.perf_counter() > deadline:
            return open_pos, swaps, True, float(obj0), float(viol0)
        _, after = ls.evaluate(b1, b2, slot, len(open_pos), swaps=True)
        assert after is not None
        obj, viol = ls.score(after)
        valid = np.ones(obj.shape, dtype=np.bool_)
        valid[fixed] = False
        valid[:, open_pos] = False
        best = _pick(obj, viol, valid)
        if best is None:
            return open_pos, swaps, False, float(obj0), float(viol0)
        out, into = divmod(best, n_sites)
        if not _better(float(obj[out, into]), float(viol[out, into]), float(obj0), float(viol0)):
            return open_pos, swaps, False, float(obj0), float(viol0)
        open_pos = open_pos.copy()
        open_pos[out] = into
        swaps += 1


def local_search(
    ls: LocalSearch, k: int, must_pos: _IArr, *, deadline: float, shakes: int = SHAKES,
    patience: int = PATIENCE, seed: int = 0, start: _IArr | None = None,
) -> tuple[_IArr, int, int, bool]:  # fmt: skip
    """Greedy, vertex substitution, then perturbation restarts (variable neighbourhood).

    ``start`` (``k`` positions including ``must_pos``) replaces the greedy start. After
    the first local optimum, up to ``shakes`` times: swap 1, 2 or 3 (in turn)
    random movable open sites for random closed ones (seeded, so runs repeat), descend
    again, and keep the result when better; stop after ``patience`` restarts in a row
    without improvement. Returns the open positions (sorted), swaps made, restarts
    that improved, and whether the time ran out.
    """
    n_sites = ls.v.shape[1]
    open_pos = np.array(sorted(must_pos.tolist()), dtype=np.int64)
    if start is not None:
        open_pos = np.sort(np.asarray(start, dtype=np.int64))
    while len(open_pos) < k:
        b1, b2, slot = ls.state(open_pos)
        add, _ = ls.evaluate(b1, b2, slot, len(open_pos), swaps=False)
        obj, viol = ls.score(add)
        closed = np.ones(n_sites, dtype=np.bool_)
        closed[open_pos] = False
        best = _pick(obj, viol, closed)
        assert best is not None  # k <= allowed sites was checked
        open_pos = np.append(open_pos, best)
    fixed = np.isin(open_pos, must_pos)
    open_pos, swaps, timed_out, obj0, viol0 = descend(ls, open_pos, fixed, deadline)
    movable = np.flatnonzero(~fixed)
    rng = np.random.default_rng(seed)
    improved, failures = 0, 0
    for attempt in range(shakes if len(movable) and len(open_pos) < n_sites else 0):
        if timed_out or failures >= patience or time.perf_counter() > deadline:
            break
        closed = np.setdiff1d(np.arange(n_sites), open_pos)
        r = min(1 + attempt % 3, len(movable), len(closed))
        trial = open_pos.copy()
        trial[rng.choice(movable, r, replace=False)] = rng.choice(closed, r, replace=False)
        trial, n, timed_out, t_obj, t_viol = descend(ls, trial, fixed, deadline)
        swaps += n + r
        if _better(t_obj, t_viol, obj0, viol0):
            open_pos, obj0, viol0, failures = trial, t_obj, t_viol, 0
            improved += 1
        else:
            failures += 1
    return np.sort(open_pos), swaps, improved, timed_out


@dataclass(frozen=True)
class Lagrangian:
    """Best Lagrangian bound found and what fixing needs, at the best multipliers: each
    site's reduced cost ``rho``, the sites the relaxation opened, the row multipliers
    ``lam`` and the rows' effective weights (demand plus priced equity weights)."""

    bound: float
    iterations: int
    rho: _FArr
    chosen: _IArr
    lam: _FArr
    weight: _FArr


def fix_sites(lg: Lagrangian, must_pos: _IArr, upper: float) -> tuple[_IArr, _IArr]:
    """Sites that cannot be open (closed) or closed (open) in any solution better than
    ``upper``: forcing them the other way lifts the Lagrangian bound above ``upper``."""
    n_sites = len(lg.rho)
    free = np.setdiff1d(np.arange(n_sites), must_pos)
    picked = np.setdiff1d(lg.chosen, must_pos)
    others = np.setdiff1d(free, picked)
    margin = upper + 1e-9 * max(abs(upper), 1.0)
    if len(picked) == 0 or len(others) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    closed = others[lg.bound + lg.rho[others] - lg.rho[picked].max() > margin]
    opened = picked[lg.bound - lg.rho[picked] + lg.rho[others].min() > margin]
    return closed.astype(np.int64), opened.astype(np.int64)


def fix_pairs(ls: LocalSearch, lg: Lagrangian, must_pos: _IArr, upper: float) -> _BArr:
    """Rows × sites mask of the pairs that may serve in a solution better than ``upper``.

    Forcing row ``i`` onto site ``j`` adds ``max(0, e_i V_ij - lam_i)`` to the bound, plus
    the cost of opening ``j`` when the relaxation left it closed; pairs whose bound then
    exceeds ``upper`` are dropped.
    """
    n_sites = ls.v.shape[1]
    picked = np.setdiff1d(lg.chosen, must_pos)
    opening = np.zeros(n_sites)
    if len(picked):
        opening = np.maximum(lg.rho - lg.rho[picked].max(), 0.0)
        opening[lg.chosen] = 0.0
    margin = upper + 1e-9 * max(abs(upper), 1.0) - lg.bound
    keep = np.empty(ls.v.shape, dtype=np.bool_)
    for rows in _chunks(*ls.v.shape):
        extra = np.maximum(lg.weight[rows, None] * ls.v[rows] - lg.lam[rows, None], 0.0)
        keep[rows] = extra + opening[None, :] <= margin
    return keep


def lagrangian_bound(
    ls: LocalSearch, k: int, must_pos: _IArr, upper: float, *, deadline: float,
    max_iter: int = 1000,
) -> Lagrangian:  # fmt: skip
    """Lower bound on the p-median objective by subgradient Lagrangian relaxation.

    Relaxes ``sum_j x_ij = 1`` (multipliers ``lam``, free) and each equity limit
    (``mu >= 0``) of the dense model ``x_ij <= y_j``, ``sum y = k``; ``upper`` (a
    feasible objective) sets Polyak's step.
    """
    v, w = ls.v, ls.w
    n_rows, n_sites = v.shape
    d, gw = w[:, 0], w[:, 1:]
    lam = d * v.min(axis=1)
    mu = np.zeros(gw.shape[1])
    free = np.setdiff1d(np.arange(n_sites), must_pos)
    n_free = k - len(must_pos)
    best, theta, stall, it = -math.inf, 2.0, 0, 0
    best_rho, best_chosen, best_lam, best_e = np.zeros(n_sites), free[:0], lam, d
    for it in range(1, max_iter + 1):  # noqa: B007
        e = d + gw @ mu
        rho = np.zeros(n_sites)
        for rows in _chunks(n_rows, n_sites):
            rho += np.minimum(e[rows, None] * v[rows] - lam[rows, None], 0.0).sum(axis=0)
        pick = free[np.argpartition(rho[free], n_free - 1)[:n_free]] if n_free else free[:0]
        chosen = np.concatenate([must_pos, pick]).astype(np.int64)
        value = float(lam.sum() + rho[chosen].sum() - mu @ ls.limits)
        if value > best + 1e-12 * max(abs(value), 1.0):
            best, best_rho, best_chosen, best_lam, best_e = value, rho, chosen, lam, e
            stall = 0
        else:
            stall += 1
            if stall >= STALL:
                theta, stall = theta / 2.0, 0
        if (upper - best) <= 1e-9 * max(abs(upper), 1.0) or theta < 1e-4:
            break
        if time.perf_counter() > deadline:
            break
        vc = v[:, chosen]
        x = (e[:, None] * vc - lam[:, None]) < 0.0
        g = 1.0 - x.sum(axis=1)
        h = gw.T @ (vc * x).sum(axis=1) - ls.limits if gw.shape[1] else np.zeros(0)
        h = np.where((mu <= 0) & (h < 0), 0.0, h)  # projected: mu stays >= 0
        norm = float(g @ g + h @ h)
        if norm <= 0:
            break
        step = theta * max(upper - value, 1e-12 * max(abs(upper), 1.0)) / norm
        lam = lam + step * g
        mu = np.maximum(mu + step * h, 0.0)
    return Lagrangian(best, it, best_rho, best_chosen, best_lam, best_e)


def lp_greedy_cover(cover: _BArr, required: _BArr, order: _IArr, must_pos: _IArr) -> _IArr:
    """Greedy cover of the required rows, then redundant sites dropped (latest first).

    Sites are taken in ``order`` (e.g. by LP value, best first), each only when it
    covers a required row not yet covered. Returns sorted site positions.
    """
    cnt = cover[:, must_pos].sum(axis=1).astype(np.int64)
    opened = [int(s) for s in must_pos]
    for s in order:
        if not (required & (cnt == 0)).any():
            break
        if int(s) not in opened and (cover[:, s] & required & (cnt == 0)).any():
            opened.append(int(s))
            cnt += cover[:, s]
    fixed = set(opened[: len(must_pos)])
    for s in reversed(list(opened)):
        after = cnt - cover[:, s]
        if s not in fixed and not (required & (after == 0)).any():
            opened.remove(s)
            cnt = after
    return np.sort(np.array(opened, dtype=np.int64))


def _shortfall(cnt: _IArr, gw: _FArr, needs: _FArr) -> float:
    """Total shortfall of the groups' covered shares (0 when every baseline is met)."""
    return float(np.maximum(needs - gw @ (cnt > 0), 0.0).sum()) if len(needs) else 0.0


def _complete_cover(cover: _BArr, required: _BArr, gw: _FArr, needs: _FArr, chosen: _BArr,
                    price: _FArr, fixed: _BArr) -> _BArr:  # fmt: skip
    """Make ``chosen`` cover every required row and the equity groups, then drop sites
    (dearest ``price`` first) that are not needed. ``fixed`` sites are never dropped."""
    cf = cover.astype(np.float64)
    chosen = chosen.copy()
    cnt = cover[:, chosen].sum(axis=1).astype(np.int64)
    while (required & (cnt == 0)).any():  # each uncovered row takes its cheapest site
        rows = np.flatnonzero(required & (cnt == 0))
        pick = np.unique(np.argmin(np.where(cover[rows], price[None, :], np.inf), axis=1))
        chosen[pick] = True
        cnt = cover[:, chosen].sum(axis=1).astype(np.int64)
    while _shortfall(cnt, gw, needs) > _TOL:
        unmet = (needs - gw @ (cnt > 0)) > _TOL
        score = (gw[unmet] * (cnt == 0)).sum(axis=0) @ cf
        score[chosen] = -1.0
        if score.max() <= 0:
            break
        chosen[int(np.argmax(score))] = True
        cnt = cover[:, chosen].sum(axis=1).astype(np.int64)
    for s in np.flatnonzero(chosen & ~fixed)[np.argsort(-price[chosen & ~fixed], kind="stable")]:
        after = cnt - cover[:, s]
        if not (required & (after == 0)).any() and _shortfall(after, gw, needs) <= _TOL:
            chosen[s] = False
            cnt = after
    return chosen


def set_cover_lagrangian(
    cover: _BArr, required: _BArr, gw: _FArr, needs: _FArr, must_pos: _IArr,
    start: _IArr | None, *, deadline: float, max_iter: int = 300,
) -> tuple[_IArr, float, int]:  # fmt: skip
    """Lagrangian heuristic for unicost set covering (after Beasley 1990).

    Relaxes "each required row covered" with multipliers ``lam >= 0``: a site's reduced
    cost is ``1 - sum of lam over the rows it covers``. Every few subgradient steps the
    sites with negative reduced cost are completed into a cover (each uncovered row
    takes its cheapest site; equity groups are then met greedily) and pruned (dearest
    first); the smallest cover is kept. Returns its positions, the best Lagrangian
    bound and the steps taken; stops once the cover meets the bound.
    """
    n_sites = cover.shape[1]
    a = cover[required].astype(np.float64)
    fixed = np.zeros(n_sites, dtype=np.bool_)
    fixed[must_pos] = True
    size = np.maximum(a.sum(axis=0), 1.0)
    lam = np.where(a > 0, 1.0 / size[None, :], np.inf).min(axis=1)
    lam = np.where(np.isfinite(lam), lam, 0.0)
    best = np.sort(start) if start is not None else np.arange(n_sites, dtype=np.int64)
    low, theta, stall, it = -math.inf, 2.0, 0, 0
    for it in range(1, max_iter + 1):
        price = 1.0 - lam @ a
        chosen = (price < 0) | fixed
        value = float(lam.sum() + price[chosen].sum())
        if value > low + 1e-12:
            low, stall = value, 0
        else:
            stall += 1
            if stall >= STALL:
                theta, stall = theta / 2.0, 0
        if it % 5 == 1 or stall == 0:
            sol = np.flatnonzero(_complete_cover(cover, required, gw, needs, chosen, price, fixed))
            if len(sol) < len(best):
                best = sol
        if len(best) <= math.ceil(low - 1e-6) or theta < 1e-4 or time.perf_counter() > deadline:
            break
        g = 1.0 - a @ chosen
        g = np.where((lam <= 0) & (g < 0), 0.0, g)
        norm = float(g @ g)
        if norm <= 0:
            break
        lam = np.maximum(lam + theta * (1.05 * len(best) - value) / norm * g, 0.0)
    return best.astype(np.int64), low, it


def two_for_one(cover: _BArr, required: _BArr, gw: _FArr, needs: _FArr, opened: _IArr,
                must_pos: _IArr, *, deadline: float) -> tuple[_IArr, int]:  # fmt: skip
    """Replace two open sites by one closed site while the cover stays complete (and the
    equity groups met); returns the improved positions and the replacements made."""
    sol = [int(s) for s in opened]
    fixed = set(must_pos.tolist())
    moves = 0
    improved = True
    while improved and time.perf_counter() <= deadline:
        improved = False
        cnt = cover[:, sol].sum(axis=1).astype(np.int64)
        closed = np.setdiff1d(np.arange(cover.shape[1]), sol)
        movable = [s for s in sol if s not in fixed]
        for ia, a in enumerate(movable):
            left_a = cnt - cover[:, a]
            for b in movable[ia + 1 :]:
                left = left_a - cover[:, b]
                need = required & (left == 0)
                fits = closed[cover[np.ix_(need, closed)].all(axis=0)]
                for c in fits:
                    if _shortfall(left + cover[:, c], gw, needs) <= _TOL:
                        sol = [s for s in sol if s not in (a, b)] + [int(c)]
                        moves, improved = moves + 1, True
                        break
                if improved:
                    break
            if improved or time.perf_counter() > deadline:
                break
    return np.sort(np.array(sol, dtype=np.int64)), moves


def _feasible_cover(cnt: _IArr, required: _BArr, gw: _FArr, needs: _FArr) -> bool:
    return not (required & (cnt == 0)).any() and _shortfall(cnt, gw, needs) <= _TOL


def cover_restarts(cover: _BArr, required: _BArr, gw: _FArr, needs: _FArr, opened: _IArr,
                   must_pos: _IArr, *, deadline: float, iters: int = COVER_RESTARTS,
                   seed: int = 0) -> tuple[_IArr, int]:  # fmt: skip
    """Perturbation search for set covering: drop 1–3 random sites, complete the cover
    greedily (the site covering most uncovered required rows, then the equity groups;
    seeded random tie-breaks), prune redundant sites in random order; move to the result
    when it is no larger (plateau moves allowed), keep the smallest. Returns it
    (sorted positions) and the number of restarts that made it smaller."""
    n_sites = cover.shape[1]
    rng = np.random.default_rng(seed)
    fixed = np.zeros(n_sites, dtype=np.bool_)
    fixed[must_pos] = True
    cf = cover.astype(np.float64)
    req_f = cf[required]
    cur = np.zeros(n_sites, dtype=np.bool_)
    cur[opened] = True
    best, improved = cur.copy(), 0
    for it in range(iters):
        if time.perf_counter() > deadline:
            break
        movable = np.flatnonzero(cur & ~fixed)
        if len(movable) == 0:
            break
        trial = cur.copy()
        trial[rng.choice(movable, min(1 + it % 3, len(movable)), replace=False)] = False
        dropped = cur & ~trial
        cnt = cover[:, trial].sum(axis=1).astype(np.int64)
        noise = rng.random(n_sites) * 0.5
        while (required & (cnt == 0)).any():
            gain = (cnt[required] == 0).astype(np.float64) @ req_f
            gain = np.where(trial | (gain <= 0), -np.inf, gain + noise - dropped * 0.75)
            s = int(np.argmax(gain))
            trial[s] = True
            cnt += cover[:, s]
        while _shortfall(cnt, gw, needs) > _TOL:
            unmet = (needs - gw @ (cnt > 0)) > _TOL
            gain = (gw[unmet] * (cnt == 0)).sum(axis=0) @ cf
            gain = np.where(trial | (gain <= 0), -np.inf, gain)
            if not np.isfinite(gain.max()):
                break
            s = int(np.argmax(gain))
            trial[s] = True
            cnt += cover[:, s]
        if not _feasible_cover(cnt, required, gw, needs):
            continue
        for s in rng.permutation(np.flatnonzero(trial & ~fixed)):
            after = cnt - cover[:, s]
            if _feasible_cover(after, required, gw, needs):
                trial[s] = False
                cnt = after
        if trial.sum() <= cur.sum():
            cur = trial
            if cur.sum() < best.sum():
                best, improved = cur.copy(), improved + 1
    return np.flatnonzero(best).astype(np.int64), improved

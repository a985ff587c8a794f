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

Set covering: greedy (the site covering the most uncovered rows that must be covered;
Chvátal's rule), then sites added for equity groups, then redundant sites dropped
(latest first), then "two for one" swaps while one closed site can replace two open ones.

Bound for the p-median heuristic: Lagrangian relaxation of the assignment constraints
(and of the equity constraints) over the dense model, maximised by subgradient steps
(Polyak's step towards the heuristic's objective, halved after 20 steps without
improvement). Any multipliers give a valid lower bound; at the best ones it equals the
LP relaxation bound, so the reported gap is an upper estimate of the gap to the LP bound.
The covering bounds are LP relaxations solved by HiGHS (:mod:`._optimise_milp`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._optimise_input import Problem

__all__ = ["LocalSearch", "lagrangian_bound", "local_search", "set_cover_greedy", "values"]

logger = logging.getLogger(__name__)

_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]
_BArr = npt.NDArray[np.bool_]
CHUNK_CELLS = 1 << 18
"""Row × site cells handled at a time by the dense evaluations (2 MiB per float64 array)."""
_TOL = 1e-9


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


def local_search(
    ls: LocalSearch, k: int, must_pos: _IArr, *, deadline: float
) -> tuple[_IArr, int, bool]:
    """Greedy then vertex substitution; returns open positions, swaps made, time-out."""
    n_sites = ls.v.shape[1]
    open_pos = np.array(sorted(must_pos.tolist()), dtype=np.int64)
    while len(open_pos) < k:
        b1, b2, slot = ls.state(open_pos)
        add, _ = ls.evaluate(b1, b2, slot, len(open_pos), swaps=False)
        obj, viol = ls.score(add)
        closed = np.ones(n_sites, dtype=np.bool_)
        closed[open_pos] = False
        best = _pick(obj, viol, closed)
        assert best is not None  # k <= allowed sites was checked
        open_pos = np.append(open_pos, best)
    swaps, timed_out = 0, False
    fixed = np.isin(open_pos, must_pos)
    while not fixed.all() and len(open_pos) < n_sites:
        if time.perf_counter() > deadline:
            timed_out = True
            break
        b1, b2, slot = ls.state(open_pos)
        obj0, viol0 = ls.score(ls.totals(b1))
        _, after = ls.evaluate(b1, b2, slot, len(open_pos), swaps=True)
        assert after is not None
        obj, viol = ls.score(after)
        valid = np.ones(obj.shape, dtype=np.bool_)
        valid[fixed] = False
        valid[:, open_pos] = False
        best = _pick(obj, viol, valid)
        if best is None:
            break
        out, into = divmod(best, n_sites)
        if not _better(float(obj[out, into]), float(viol[out, into]), float(obj0), float(viol0)):
            break
        open_pos = open_pos.copy()
        open_pos[out] = into
        swaps += 1
    return np.sort(open_pos), swaps, timed_out


def lagrangian_bound(
    ls: LocalSearch, k: int, must_pos: _IArr, upper: float, *, deadline: float,
    max_iter: int = 400,
) -> tuple[float, int]:  # fmt: skip
    """Lower bound on the p-median objective by subgradient Lagrangian relaxation.

    Relaxes ``sum_j x_ij = 1`` (multipliers ``lam``, free) and each equity limit
    (``mu >= 0``) of the dense model ``x_ij <= y_j``, ``sum y = k``. Returns the best
    bound and the number of iterations.
    """
    v, w = ls.v, ls.w
    n_rows, n_sites = v.shape
    d, gw = w[:, 0], w[:, 1:]
    lam = d * v.min(axis=1)
    mu = np.zeros(gw.shape[1])
    free = np.setdiff1d(np.arange(n_sites), must_pos)
    best, theta, stall, it = -math.inf, 2.0, 0, 0
    for it in range(1, max_iter + 1):  # noqa: B007
        e = d + gw @ mu
        rho = np.zeros(n_sites)
        for rows in _chunks(n_rows, n_sites):
            rho += np.minimum(e[rows, None] * v[rows] - lam[rows, None], 0.0).sum(axis=0)
        pick = free[np.argpartition(rho[free], k - len(must_pos) - 1)[: k - len(must_pos)]] \
            if k > len(must_pos) else np.zeros(0, np.int64)  # fmt: skip
        chosen = np.concatenate([must_pos, pick]).astype(np.int64)
        value = float(lam.sum() + rho[chosen].sum() - mu @ ls.limits)
        if value > best + 1e-12 * max(abs(best), 1.0):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2.0, 0
        if (upper - best) <= 1e-7 * max(abs(upper), 1.0) or theta < 1e-5:
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
    return best, it


def set_cover_greedy(
    cover: _BArr, required: _BArr, gw: _FArr, needs: _FArr, must_pos: _IArr, *, deadline: float
) -> tuple[_IArr, int]:
    """Greedy set cover with equity, redundancy removal and two-for-one swaps.

    ``cover`` is rows × allowed sites (within the threshold), ``required`` the rows
    that must be covered, ``gw`` groups × rows (normalised weights) and ``needs`` each
    group's covered share. Returns the open positions and the swaps made.
    """
    n_sites = cover.shape[1]
    cnt = cover[:, must_pos].sum(axis=1).astype(np.int64)
    opened = [int(s) for s in must_pos]
    cf = cover.astype(np.float64)

    def shortfall(count: _IArr) -> float:
        return float(np.maximum(needs - gw @ (count > 0), 0.0).sum()) if len(needs) else 0.0

    while True:
        gain = (required & (cnt == 0)).astype(np.float64) @ cf
        gain[opened] = -1.0
        if gain.max() > 0:
            opened.append(int(np.argmax(gain)))
        elif shortfall(cnt) > _TOL:
            share = (gw * (cnt == 0)) @ cf if len(needs) else np.zeros(n_sites)
            unmet = (needs - gw @ (cnt > 0)) > _TOL
            score = share[unmet].sum(axis=0) if unmet.any() else np.zeros(n_sites)
            score[opened] = -1.0
            if score.max() <= 0:
                break  # nothing more helps: the caller reports the infeasibility
            opened.append(int(np.argmax(score)))
        else:
            break
        cnt += cover[:, opened[-1]]
    swaps = 0
    fixed = set(must_pos.tolist())
    while True:
        for s in reversed(list(opened)):  # drop redundant sites, latest first
            if s in fixed:
                continue
            after = cnt - cover[:, s]
            if not (required & (after == 0)).any() and shortfall(after) <= _TOL:
                opened.remove(s)
                cnt = after
        if time.perf_counter() > deadline or not _two_for_one(cover, required, opened, fixed, cnt,
                                                                shortfall):  # fmt: skip
            break
        swaps += 1
        cnt = cover[:, opened].sum(axis=1).astype(np.int64)
    return np.sort(np.array(opened, dtype=np.int64)), swaps


def _two_for_one(cover: _BArr, required: _BArr, opened: list[int], fixed: set[int],
                 cnt: _IArr, shortfall: Callable[[_IArr], float]) -> bool:  # fmt: skip
    """Replace two open sites by one closed site when it still covers everything."""
    movable = [s for s in opened if s not in fixed]
    closed = np.setdiff1d(np.arange(cover.shape[1]), opened)
    if len(movable) < 2 or len(closed) == 0:
        return False
    for ia, a in enumerate(movable):
        for b in movable[ia + 1 :]:
            left = cnt - cover[:, a] - cover[:, b]
            need = required & (left == 0)
            ok = cover[np.ix_(need, closed)].all(axis=0)
            for c in closed[ok]:
                after = left + cover[:, c]
                if shortfall(after) <= _TOL:
                    opened.remove(a)
                    opened.remove(b)
                    opened.append(int(c))
                    return True
    return False

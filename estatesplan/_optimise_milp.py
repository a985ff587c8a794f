"""Exact models for :mod:`estatesplan.optimise`: sparse MILPs solved by HiGHS (private).

Every model is built directly as scipy.sparse matrices (no modelling layer) and solved
with :func:`scipy.optimize.milp` (HiGHS branch and cut). Only the demand rows that carry
demand or an equity group's weight are modelled, and only the pairs that matter:
reachable pairs (p-median) or pairs within the threshold (covering), so the model grows
with the pairs within the cut-off, not with rows × sites.

Variables, in order: ``y`` one binary per allowed site (must-open sites fixed at 1);
then, by model:

- p-median: ``x`` per reachable pair (share of the row served there, continuous 0–1)
  and ``u`` per row (share served by no reachable site, charged the penalty minutes);
  with capacity also ``r`` per site (remote demand it serves, >= 0).
- max covering: ``z`` per row (covered share, continuous 0–1; exact because ``y`` is
  integral); with capacity ``x`` per pair within the threshold instead.
- set covering: ``z`` only for uncovered-allowed rows that carry an equity weight; with
  capacity ``x`` per pair of the rows that must be covered.

Objectives are scaled to per-unit-of-demand values (mean minutes, covered share) so
HiGHS's absolute tolerances mean the same on every instance; results are scaled back.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from ._optimise_input import Problem

__all__ = ["MilpResult", "count_variables", "solve_milp"]

logger = logging.getLogger(__name__)

_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]
_GAP = 1e-9
"""Relative MIP gap asked of HiGHS (its default, 1e-4, would stop short of the optimum)."""


@dataclass(frozen=True)
class MilpResult:
    """What a MILP (or its LP relaxation) returned, in the problem's natural units.

    ``open`` are site indices (empty when no solution); ``flows`` the demand row × site
    shares of a capacitated model (None otherwise); ``unserved`` the share of each row
    served by no reachable site (capacitated p-median) or not covered (capacitated
    covering), else None; ``objective`` and ``bound`` in the public units (weighted
    minutes, covered demand, sites), NaN when unknown; ``y`` the site variables' values
    (allowed sites in order; fractional for the LP relaxation), None when unsolved.
    """

    open: _IArr
    flows: Any
    unserved: _FArr | None
    objective: float
    bound: float
    status: str
    optimal: bool
    feasible: bool
    infeasible: bool
    n_variables: int
    n_constraints: int
    y: _FArr | None = None


class _Rows:
    """Constraint rows accumulated as COO triplets with their bounds."""

    def __init__(self) -> None:
        self.r: list[_IArr] = []
        self.c: list[_IArr] = []
        self.v: list[_FArr] = []
        self.lb: list[_FArr] = []
        self.ub: list[_FArr] = []
        self.n = 0

    def add(self, rows: _IArr, cols: _IArr, vals: _FArr, lb: _FArr, ub: _FArr) -> None:
        self.r.append(rows + self.n)
        self.c.append(cols)
        self.v.append(np.asarray(vals, dtype=np.float64))
        self.lb.append(np.asarray(lb, dtype=np.float64))
        self.ub.append(np.asarray(ub, dtype=np.float64))
        self.n += len(self.lb[-1])

    def constraint(self, n_vars: int) -> LinearConstraint:
        a = sp.csr_array((np.concatenate(self.v), (np.concatenate(self.r),
                                                    np.concatenate(self.c))),
                         shape=(self.n, n_vars))  # fmt: skip
        return LinearConstraint(a, np.concatenate(self.lb), np.concatenate(self.ub))


def _pairs(p: Problem, rows: _IArr) -> tuple[_IArr, _IArr]:
    """Local (row, allowed-site position) of the modelled pairs, row-major."""
    ri, ai = np.nonzero(p.reach(rows, p.allowed))
    return ri.astype(np.int64), ai.astype(np.int64)


def _layout(p: Problem) -> tuple[_IArr, _IArr, _IArr, int]:
    """Modelled rows, pairs and the number of variables of ``p``'s model."""
    rows = p.rows
    if p.kind == "set_covering":
        rows = np.flatnonzero(p.required | (p.group_weights > 0).any(axis=0)).astype(np.int64)
    ri, ai = _pairs(p, rows)
    n_a, n_r, n_p = len(p.allowed), len(rows), len(ri)
    if p.kind == "p_median":
        n = n_a + n_p + n_r + (n_a if p.capacity is not None else 0)
    elif p.kind == "max_covering":
        n = n_a + (n_p if p.capacity is not None else n_r)
    else:
        n = n_a + n_r + (n_p if p.capacity is not None else 0)
    return rows, ri, ai, n


def count_variables(p: Problem) -> int:
    """Number of variables of the exact model of ``p`` (what ``method="auto"`` compares)."""
    return _layout(p)[3]


def _ones(n: int) -> _FArr:
    return np.ones(n, dtype=np.float64)


def _build(p: Problem) -> tuple[_FArr, _FArr, _FArr, _FArr, _Rows, dict[str, Any]]:
    """Objective, variable bounds, integrality and rows of the model of ``p``."""
    rows, ri, ai, n = _layout(p)
    n_a, n_r, n_p = len(p.allowed), len(rows), len(ri)
    c, lo, hi = np.zeros(n), np.zeros(n), np.ones(n)
    integ = np.zeros(n)
    integ[:n_a] = 1.0
    lo[:n_a][np.isin(p.allowed, p.must)] = 1.0
    d = p.demand[rows]
    total = float(p.demand.sum())
    ya = np.arange(n_a, dtype=np.int64)
    cons = _Rows()
    info: dict[str, Any] = {"rows": rows, "ri": ri, "ai": ai, "scale": total}
    if p.kind != "set_covering":
        cons.add(np.zeros(n_a, np.int64), ya, _ones(n_a), np.array([p.k]), np.array([p.k]))
    gw = p.group_weights[:, rows] / p.group_weights.sum(axis=1, keepdims=True)
    x0 = n_a  # first pair (or row) variable
    pr = np.arange(n_p, dtype=np.int64)
    if p.kind == "p_median":
        t = p.cost[rows[ri], p.allowed[ai]]
        u0 = x0 + n_p
        c[x0:u0] = d[ri] * t / total
        c[u0 : u0 + n_r] = d * p.penalty / total
        cons.add(np.concatenate([ri, np.arange(n_r)]), np.concatenate([x0 + pr, u0 + np.arange(n_r)]),
                 _ones(n_p + n_r), _ones(n_r), _ones(n_r))  # fmt: skip
        cons.add(np.concatenate([pr, pr]), np.concatenate([x0 + pr, ai]),
                 np.concatenate([_ones(n_p), -_ones(n_p)]), np.full(n_p, -np.inf), np.zeros(n_p))  # fmt: skip
        for g in range(len(p.groups)):
            cols = np.concatenate([x0 + pr, u0 + np.arange(n_r)])
            vals = np.concatenate([gw[g, ri] * t, gw[g] * p.penalty])
            cons.add(np.zeros(len(cols), np.int64), cols, vals, np.array([-np.inf]),
                     np.array([p.baselines[g]]))  # fmt: skip
        if p.capacity is not None:
            r0 = u0 + n_r
            hi[r0 : r0 + n_a] = np.inf
            cap = p.capacity[p.allowed]
            cons.add(np.concatenate([ai, ya, ya]), np.concatenate([x0 + pr, r0 + ya, ya]),
                     np.concatenate([d[ri], _ones(n_a), -cap]), np.full(n_a, -np.inf),
                     np.zeros(n_a))  # fmt: skip
            cons.add(np.zeros(n_a + n_r, np.int64), np.concatenate([r0 + ya, u0 + np.arange(n_r)]),
                     np.concatenate([_ones(n_a), -d]), np.zeros(1), np.zeros(1))  # fmt: skip
        info["u0"] = u0
    elif p.kind == "max_covering" and p.capacity is None:
        c[x0:] = -d / total
        hi[x0:][np.bincount(ri, minlength=n_r) == 0] = 0.0
        cons.add(np.concatenate([np.arange(n_r), ri]), np.concatenate([x0 + np.arange(n_r), ai]),
                 np.concatenate([_ones(n_r), -_ones(n_p)]), np.full(n_r, -np.inf),
                 np.zeros(n_r))  # fmt: skip
        for g in range(len(p.groups)):
            cons.add(np.zeros(n_r, np.int64), x0 + np.arange(n_r), gw[g],
                     np.array([p.baselines[g]]), np.array([np.inf]))  # fmt: skip
    elif p.kind == "max_covering":
        c[x0:] = -d[ri] / total
        cons.add(ri, x0 + pr, _ones(n_p), np.full(n_r, -np.inf), _ones(n_r))
        _link_and_capacity(p, cons, ri, ai, x0, d)
        for g in range(len(p.groups)):
            cons.add(np.zeros(n_p, np.int64), x0 + pr, gw[g, ri], np.array([p.baselines[g]]),
                     np.array([np.inf]))  # fmt: skip
    else:
        c[:n_a] = 1.0
        info["scale"] = 1.0
        req = p.required[rows]
        z = x0 + np.arange(n_r)
        hi[z] = 0.0  # z only for rows with an equity weight that need not be covered
        cover = req[ri]
        if p.capacity is None:
            nreq = np.cumsum(req) - 1
            cons.add(nreq[ri[cover]], ai[cover], _ones(int(cover.sum())),
                     _ones(int(req.sum())), np.full(int(req.sum()), np.inf))  # fmt: skip
        else:
            _set_cover_capacity(p, cons, rows, ri, ai, n_a + n_r, d, c, lo, hi)
        opt = ~req
        if len(p.groups) and opt.any():
            hi[z[opt]] = 1.0
            local = np.cumsum(opt) - 1
            sel = opt[ri]
            cons.add(np.concatenate([local[opt], local[ri[sel]]]), np.concatenate([z[opt], ai[sel]]),
                     np.concatenate([_ones(int(opt.sum())), -_ones(int(sel.sum()))]),
                     np.full(int(opt.sum()), -np.inf), np.zeros(int(opt.sum())))  # fmt: skip
        for g in range(len(p.groups)):
            need = p.baselines[g] - float(gw[g, req].sum())
            cons.add(np.zeros(int(opt.sum()), np.int64), z[opt], gw[g, opt], np.array([need]),
                     np.array([np.inf]))  # fmt: skip
    return c, lo, hi, integ, cons, info


def _link_and_capacity(p: Problem, cons: _Rows, ri: _IArr, ai: _IArr, x0: int, d: _FArr) -> None:
    """x_pair <= y_site and each site's assigned demand <= its capacity when open."""
    n_p, n_a = len(ri), len(p.allowed)
    pr, ya = np.arange(n_p, dtype=np.int64), np.arange(n_a, dtype=np.int64)
    cons.add(np.concatenate([pr, pr]), np.concatenate([x0 + pr, ai]),
             np.concatenate([_ones(n_p), -_ones(n_p)]), np.full(n_p, -np.inf), np.zeros(n_p))  # fmt: skip
    assert p.capacity is not None
    cons.add(np.concatenate([ai, ya]), np.concatenate([x0 + pr, ya]),
             np.concatenate([d[ri], -p.capacity[p.allowed]]), np.full(n_a, -np.inf),
             np.zeros(n_a))  # fmt: skip


def _set_cover_capacity(
    p: Problem, cons: _Rows, rows: _IArr, ri: _IArr, ai: _IArr, x0: int, d: _FArr,
    c: _FArr, lo: _FArr, hi: _FArr,
) -> None:  # fmt: skip
    """Capacitated set covering: each required row fully assigned within the threshold."""
    del c, lo, hi  # pair variables keep bounds 0–1 and no cost
    req = p.required[rows]
    n_req = int(req.sum())
    local = np.cumsum(req) - 1
    sel = req[ri]
    # Pair variables exist for every modelled pair; those of optional rows are unused.
    cons.add(local[ri[sel]], x0 + np.flatnonzero(sel), _ones(int(sel.sum())), _ones(n_req),
             _ones(n_req))  # fmt: skip
    _link_and_capacity(p, cons, ri, ai, x0, d)


def solve_milp(p: Problem, *, time_limit: float, relax: bool = False) -> MilpResult:
    """Solve the exact model of ``p`` (or its LP relaxation) with HiGHS.

    Parameters
    ----------
    p
        The checked problem.
    time_limit
        Seconds HiGHS may take; it then returns its best solution and bound.
    relax
        Solve the LP relaxation (every variable continuous): ``bound`` is then the LP
        bound and ``open`` is empty.

    Returns
    -------
    MilpResult
        Open sites, flows (capacitated), objective and bound in natural units.
    """
    t0 = time.perf_counter()
    c, lo, hi, integ, cons, info = _build(p)
    n = len(c)
    a = cons.constraint(n)
    if relax:
        integ = np.zeros(n)
    t1 = time.perf_counter()
    opts = {"time_limit": max(time_limit, 0.01), "mip_rel_gap": _GAP, "disp": False}
    res = milp(c, integrality=integ, bounds=Bounds(lo, hi), constraints=a, options=opts)
    scale = info["scale"]
    sign = -1.0 if p.kind == "max_covering" else 1.0
    has_x = res.x is not None
    obj = sign * float(res.fun) * scale if has_x else math.nan
    raw = getattr(res, "mip_dual_bound", None)
    bound = sign * float(raw) * scale if (raw is not None and not relax) else math.nan
    if relax or (res.status == 0 and not math.isfinite(bound)):
        bound = obj
    logger.info("%s %s: %d variables, %d constraints, %d nonzeros: built in %.3f s, "
                "HiGHS %.3f s (%s)", p.kind, "LP relaxation" if relax else "MILP", n, cons.n,
                a.A.nnz, t1 - t0, time.perf_counter() - t1, res.message)  # fmt: skip
    opened = np.zeros(0, dtype=np.int64)
    flows, unserved = None, None
    if has_x and not relax:
        y = res.x[: len(p.allowed)]
        opened = p.allowed[y > 0.5]
        if p.capacity is not None:
            flows, unserved = _flows(p, res.x, info)
    y_all = np.asarray(res.x[: len(p.allowed)], dtype=np.float64) if has_x else None
    return MilpResult(opened, flows, unserved, obj, bound, str(res.message), res.status == 0,
                      has_x, res.status == 2, n, cons.n, y_all)  # fmt: skip


def _flows(p: Problem, x: _FArr, info: dict[str, Any]) -> tuple[Any, _FArr]:
    """Demand row × site shares from the pair variables, and each row's unserved share."""
    rows, ri, ai = info["rows"], info["ri"], info["ai"]
    n_a = len(p.allowed)
    x0 = n_a + (len(rows) if p.kind == "set_covering" else 0)
    share = np.clip(x[x0 : x0 + len(ri)], 0.0, 1.0)
    keep = share > 1e-9
    n_d, n_s = p.cost.shape
    flows = sp.csr_array((share[keep], (rows[ri[keep]], p.allowed[ai[keep]])), shape=(n_d, n_s))
    served = np.asarray(flows.sum(axis=1)).ravel()
    unserved = np.clip(1.0 - served, 0.0, 1.0)
    return flows, unserved

"""Results of :mod:`estatesplan.optimise`: the :class:`Solution` and how it is scored (private).

Whatever solved the problem, the answer is scored here the same way from the open sites
(and, with capacity, the MILP's shares), so exact, heuristic and given sets compare
like for like: each row's nearest open site (within the threshold for covering),
unreachable p-median demand at the penalty minutes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ._optimise_input import Problem, nearest_open

__all__ = ["Solution", "assemble", "gap", "group_values", "objective_of"]

logger = logging.getLogger(__name__)

_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]


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


def _limit(p: Problem) -> float:
    return math.inf if p.kind == "p_median" else p.threshold


def group_values(p: Problem, opened: _IArr) -> _FArr:
    site, minutes = nearest_open(p.cost, opened, _limit(p))
    if p.kind == "p_median":
        per_row = np.where(site >= 0, minutes, p.penalty)
    else:
        per_row = (site >= 0).astype(np.float64)
    return np.asarray(p.group_weights @ per_row / p.group_weights.sum(axis=1), dtype=np.float64)


def assemble(
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
    the_gap = gap(objective, bound)
    seconds = time.perf_counter() - t0
    logger.info("%s (%s): %d sites open, objective %.6g, bound %.6g, gap %.2e, in %.3f s",
                p.kind, method, len(opened), objective, bound, the_gap, seconds)  # fmt: skip
    return Solution(
        kind=p.kind, open=_frozen(opened), assignment=_frozen(site), minutes=_frozen(minutes),
        objective=objective, bound=float(bound), gap=the_gap, method=method, status=status,
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


def gap(objective: float, bound: float) -> float:
    if not math.isfinite(bound) or not math.isfinite(objective):
        return math.nan
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(abs(objective), 1.0):
        return 0.0
    return diff / abs(objective) if objective else math.inf


def objective_of(p: Problem, opened: _IArr) -> float:
    """Objective of an uncapacitated open set, in the public units (see :class:`Solution`)."""
    site, minutes = nearest_open(p.cost, np.asarray(opened, dtype=np.int64), _limit(p))
    if p.kind == "p_median":
        return float(p.demand @ np.where(site >= 0, minutes, p.penalty))
    if p.kind == "max_covering":
        return float(p.demand @ (site >= 0))
    return float(len(opened))

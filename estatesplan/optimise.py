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
- ``"exact"``: a MILP (strong formulation, sparse: only the pairs that matter) solved by
  HiGHS through :func:`scipy.optimize.milp` with a relative gap of 1e-9; ``bound`` is the
  proven dual bound. Cheaper proofs are tried first. Uncapacitated p-median: the
  heuristic and a Lagrangian bound; if they meet, that is the proof; otherwise the
  sites and pairs that the Lagrangian reduced costs show cannot be in a better solution
  are removed (Beasley 1993) and the MILP is solved over the rest. Uncapacitated
  covering: dominated sites and rows are removed (standard set-covering reductions),
  then the LP relaxation and a solution built from it; if they meet, that is the
  proof. When ``time_limit_s`` runs out, the best solution found is returned with its
  gap (``status`` says so).
- ``"heuristic"``: greedy plus vertex-substitution interchange (Teitz–Bart, with
  Whitaker's fast evaluation of every swap at once) and seeded perturbation restarts,
  for the p-median and maximal covering, each followed by one more descent from the
  relaxation's sites; for set covering, LP-ordered greedy with redundant sites dropped,
  then Beasley's Lagrangian heuristic and two-for-one replacements. ``bound`` is a
  Lagrangian bound for the p-median (subgradient; never above the LP relaxation bound,
  so the gap reported is at least the gap to the LP bound) and the LP relaxation bound
  solved by HiGHS for covering (rounded up for set covering). No capacity.
- ``"auto"``: as ``"exact"`` when the cheaper proofs succeed or the MILP (for the
  p-median: after fixing) has at most :data:`EXACT_MAX_VARIABLES` variables, or has
  capacity; else the heuristic's answer with its bound.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from ._optimise_input import Kind, build_problem
from ._optimise_result import Solution, assemble
from ._optimise_solve import EXACT_MAX_VARIABLES, solve

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

_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]
_Equity = Mapping[str, tuple[npt.ArrayLike, float]]


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
    return solve(p, m, t0)


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
    return solve(p, m, t0)


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
    >>> set_covering([[1.0, 9.0], [8.0, 2.0], [9.0, 1.0]], 8.0).open.tolist()
    [0, 1]
    """
    t0 = time.perf_counter()
    p, m = build_problem("set_covering", cost, demand, None, threshold_min,
                         unreachable_min=None, capacity=capacity, site_capacity=site_capacity,
                         must_open=must_open, forbidden=forbidden, equity=equity,
                         method=method, time_limit_s=time_limit_s, what="set_covering")  # fmt: skip
    return solve(p, m, t0)


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
    return assemble(p, p.must, None, math.nan, "given", "given sites scored", t0, 0)


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


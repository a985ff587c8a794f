"""Hub location (estatesplan.optimise): hand-worked cases, brute force, constraints, bad input.

The hand-worked case used throughout (minutes; zones × candidate sites)::

              site 0   site 1   site 2     demand
    zone 0       2        9        6          10
    zone 1       3        8        4          20
    zone 2       9        1        7          30
    zone 3       8        2        9          40

p-median, k = 1: site 0 costs 20+60+270+320 = 670, site 1 90+160+30+80 = 360, site 2
60+80+210+360 = 710 -> {1}, 360. k = 2: {0,1} 20+60+30+80 = 190, {0,2} 20+60+210+320 =
610, {1,2} 60+80+30+80 = 250 -> {0,1}, 190. Within 5 minutes site 0 covers zones 0, 1
(30), site 1 zones 2, 3 (70), site 2 zone 1 (20): one hub -> {1}, 70 (70 %); every zone
needs {0, 1}.
"""

from __future__ import annotations

import doctest
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from estatesplan import _optimise_solve, optimise
from estatesplan._optimise_input import Problem, build_problem
from estatesplan._optimise_milp import solve_milp
from estatesplan.errors import ConfigError, DataContractError, InfeasibleError

NAN = np.nan
C = np.array([[2.0, 9, 6], [3, 8, 4], [9, 1, 7], [8, 2, 9]])
D = np.array([10.0, 20, 30, 40])


def test_docstring_examples_run() -> None:
    assert doctest.testmod(optimise, raise_on_error=False).failed == 0


# --- brute force ---------------------------------------------------------------------------


def brute_p_median(cost: np.ndarray, demand: np.ndarray, k: int, *, must: tuple[int, ...] = (),
                   forbidden: tuple[int, ...] = ()) -> float:  # fmt: skip
    u = 2.0 * np.nanmax(cost)
    full = np.where(np.isnan(cost), u, cost)
    sites = [j for j in range(cost.shape[1]) if j not in forbidden]
    return min(float(demand @ full[:, list(s)].min(axis=1))
               for s in itertools.combinations(sites, k) if set(must) <= set(s))  # fmt: skip


def brute_max_covering(cost: np.ndarray, demand: np.ndarray, k: int, t: float) -> float:
    cover = cost <= t
    return max(float(demand @ cover[:, list(s)].any(axis=1))
               for s in itertools.combinations(range(cost.shape[1]), k))  # fmt: skip


def brute_set_covering(cost: np.ndarray, demand: np.ndarray, t: float) -> int:
    need = (cost <= t)[demand > 0]
    for k in range(1, cost.shape[1] + 1):
        if any(need[:, list(s)].any(axis=1).all()
               for s in itertools.combinations(range(cost.shape[1]), k)):  # fmt: skip
            return k
    raise AssertionError("not coverable")


def random_instance(seed: int) -> tuple[np.ndarray, np.ndarray, int, float]:
    rng = np.random.default_rng(seed)
    n_z, n_s = int(rng.integers(3, 8)), int(rng.integers(3, 7))
    cost = rng.uniform(0, 30, (n_z, n_s)).round(1)
    cost[rng.random((n_z, n_s)) < 0.25] = NAN
    cost[0, 0] = 5.0  # never all NaN
    demand = rng.integers(0, 10, n_z).astype(float)
    demand[0] += 1
    return cost, demand, int(rng.integers(1, n_s + 1)), float(rng.uniform(5, 25))


# --- hand-worked ---------------------------------------------------------------------------


def test_p_median_by_hand() -> None:
    one = optimise.p_median(C, D, 1)
    assert one.open.tolist() == [1] and one.objective == 360.0
    assert one.assignment.tolist() == [1, 1, 1, 1]
    np.testing.assert_array_equal(one.minutes, [9, 8, 1, 2])
    assert one.mean_minutes == 3.6 and one.unserved_demand == 0.0
    assert one.method == "exact" and one.gap == 0.0 and one.bound == pytest.approx(360.0)
    assert one.covered_share is None and one.penalty_minutes == 18.0
    two = optimise.p_median(C, D, 2)
    assert two.open.tolist() == [0, 1] and two.objective == 190.0
    assert two.assignment.tolist() == [0, 0, 1, 1]
    assert optimise.p_median(C, D, 2, method="heuristic").objective == 190.0


def test_max_covering_and_set_covering_by_hand() -> None:
    s = optimise.max_covering(C, D, 1, 5.0)
    assert s.open.tolist() == [1] and s.objective == 70.0 and s.covered_share == 0.7
    assert s.assignment.tolist() == [-1, -1, 1, 1] and s.unserved_demand == 30.0
    assert np.isnan(s.minutes[:2]).all() and s.mean_minutes == pytest.approx(110 / 70)
    assert optimise.max_covering(C, D, 2, 5.0).objective == 100.0
    # coverage is inclusive: at exactly 3 minutes zone 1 is covered by site 0
    assert optimise.max_covering(C, D, 1, 3.0).objective == 70.0
    assert optimise.max_covering(C, D, 2, 3.0).covered_share == 1.0
    sc = optimise.set_covering(C, 5.0, demand=D)
    assert sc.open.tolist() == [0, 1] and sc.objective == 2.0 and sc.covered_share == 1.0
    # rows without demand need not be covered: zone 0 and 1 dropped -> site 1 alone
    assert optimise.set_covering(C, 5.0, demand=[0, 0, 30, 40]).open.tolist() == [1]
    for method in ("exact", "heuristic"):
        assert optimise.set_covering(C, 3.0, method=method).objective == 2.0


def test_dominance_reduction_keeps_the_row_that_binds() -> None:
    # within 12.3 min zone 0 is covered by sites 0 and 2, zone 1 only by site 2, zone 2
    # only by site 4: zone 0's constraint is implied by zone 1's (not the other way)
    cost = np.array([[5.4, NAN, 0.2, NAN, NAN], [NAN, NAN, 11.4, 21.8, NAN],
                     [12.9, 26, 19, 24.3, 10.3]])  # fmt: skip
    for method in ("exact", "heuristic"):
        assert optimise.set_covering(cost, 12.3, method=method).open.tolist() == [2, 4]
    # maximal covering, k = 2: sites 1 and 3 cover nothing; the answer still has 2 sites
    s = optimise.max_covering(cost, [1.0, 1.0, 1.0], 2, 12.3)
    assert s.open.tolist() == [2, 4] and s.objective == 3.0
    assert optimise.max_covering(cost[:, [1, 3]], [1.0, 1, 1], 2, 12.3).objective == 0.0


def test_must_open_and_forbidden_by_hand() -> None:
    # site 1 forbidden: k=1 -> site 0 (670 < 710)
    assert optimise.p_median(C, D, 1, forbidden=[1]).open.tolist() == [0]
    # site 2 must open with k=2: {0,2} 610 vs {1,2} 250
    s = optimise.p_median(C, D, 2, must_open=[2])
    assert s.open.tolist() == [1, 2] and s.objective == 250.0
    assert optimise.max_covering(C, D, 1, 5.0, must_open=[2]).objective == 20.0
    assert optimise.set_covering(C, 5.0, must_open=[2]).open.tolist() == [0, 1, 2]
    assert optimise.set_covering(C, 9.0, forbidden=[1, 2]).open.tolist() == [0]


def test_unreachable_demand_is_charged_and_reported() -> None:
    cost = np.array([[1.0, NAN], [NAN, 2.0], [4.0, NAN]])
    s = optimise.p_median(cost, [1.0, 5.0, 1.0], 1)
    # default penalty 2 × 4 = 8: site 0 costs 1 + 5·8 + 4 = 45, site 1 8 + 10 + 8 = 26
    assert s.penalty_minutes == 8.0 and s.open.tolist() == [1] and s.objective == 26.0
    assert s.unserved_demand == 2.0 and s.assignment.tolist() == [-1, 1, -1]
    assert s.mean_minutes == 2.0  # over the served demand only
    t = optimise.p_median(cost, [1.0, 5.0, 1.0], 1, unreachable_min=100.0)
    assert t.penalty_minutes == 100.0 and t.objective == 100 + 10 + 100  # 505 for site 0


def test_solution_arrays_are_read_only_and_inputs_untouched() -> None:
    cost = C.astype(np.float32)
    cost[0, 2] = np.inf
    before = cost.copy()
    s = optimise.p_median(cost, D, 2)
    np.testing.assert_array_equal(cost, before)
    for arr in (s.open, s.assignment, s.minutes):
        assert not arr.flags.writeable
    assert s.seconds >= 0 and s.n_variables > 0 and s.kind == "p_median"


def test_evaluate_sites_and_equity_baselines() -> None:
    today = optimise.evaluate_sites(C, D, [0])
    assert today.objective == 670.0 and today.method == "given" and math.isnan(today.gap)
    cov = optimise.evaluate_sites(C, D, [0], threshold_min=5.0)
    assert cov.objective == 30.0 and cov.covered_share == 0.3
    base = optimise.equity_baselines(C, {"z3": [0, 0, 0, 1.0], "all": D}, [0])
    assert base["z3"][1] == 8.0 and base["all"][1] == 6.7
    shares = optimise.equity_baselines(C, {"z3": [0, 0, 0, 1.0]}, [0], threshold_min=5.0)
    assert shares["z3"][1] == 0.0


# --- brute force on random instances --------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_exact_equals_enumeration_and_heuristic_is_close(seed: int) -> None:
    cost, demand, k, t = random_instance(seed)
    best = brute_p_median(cost, demand, k)
    for method in ("exact", "heuristic"):
        s = optimise.p_median(cost, demand, k, method=method)
        assert s.bound <= best * (1 + 1e-9) + 1e-9
        if method == "exact":
            assert s.objective == pytest.approx(best, rel=1e-9, abs=1e-9) and s.gap == 0.0
        assert s.objective <= best * 1.01 + 1e-9
    best = brute_max_covering(cost, demand, k, t)
    for method in ("exact", "heuristic"):
        s = optimise.max_covering(cost, demand, k, t, method=method)
        assert s.bound >= best - 1e-6
        assert s.objective >= best * 0.99 - 1e-9
        if method == "exact":
            assert s.objective == best
    if ((cost <= t) | (demand[:, None] == 0)).any(axis=1).all():
        best_k = brute_set_covering(cost, demand, t)
        for method in ("exact", "heuristic"):
            s = optimise.set_covering(cost, t, demand=demand, method=method)
            assert s.bound <= best_k and s.objective >= best_k and s.covered_share == 1.0
            if method == "exact":
                assert s.objective == best_k


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.integers(0, 10_000), st.data())
def test_p_median_with_must_and_forbidden_matches_enumeration(seed: int, data: st.DataObject) -> None:
    cost, demand, _, _ = random_instance(seed)
    n_s = cost.shape[1]
    must = tuple(data.draw(st.sets(st.integers(0, n_s - 1), max_size=1)))
    forbidden = tuple(data.draw(st.sets(st.integers(0, n_s - 1), max_size=1)) - set(must))
    k = data.draw(st.integers(max(1, len(must)), n_s - len(forbidden)))
    s = optimise.p_median(cost, demand, k, must_open=must, forbidden=forbidden)
    best = brute_p_median(cost, demand, k, must=must, forbidden=forbidden)
    assert s.objective == pytest.approx(best, rel=1e-9, abs=1e-9)
    assert set(must) <= set(s.open.tolist()) and not set(forbidden) & set(s.open.tolist())


@pytest.mark.parametrize("seed", range(4))
def test_heuristics_within_one_percent_on_larger_random_instances(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    z, s = rng.uniform(0, 5000, (80, 2)), rng.uniform(0, 5000, (30, 2))
    cost = np.hypot(*(z[:, None, :] - s[None, :, :]).transpose(2, 0, 1)) / 80.0
    cost[cost > 40] = NAN
    demand = rng.integers(100, 3000, 80).astype(float)
    for k in (3, 8):
        exact = optimise.p_median(cost, demand, k, method="exact")
        heur = optimise.p_median(cost, demand, k, method="heuristic")
        assert exact.gap == 0.0 and heur.objective <= exact.objective * 1.01
        assert heur.bound <= exact.objective * (1 + 1e-9)
        full = solve_milp(_problem("p_median", cost, demand, k, None), time_limit=60)
        assert full.optimal and exact.objective == pytest.approx(full.objective, rel=1e-7)
        exact_c = optimise.max_covering(cost, demand, k, 10.0, method="exact")
        heur_c = optimise.max_covering(cost, demand, k, 10.0, method="heuristic")
        assert heur_c.objective >= exact_c.objective * 0.99
    sc = optimise.set_covering(cost, 25.0, method="exact")
    assert optimise.set_covering(cost, 25.0, method="heuristic").objective == sc.objective


def test_cover_restarts_leave_greedys_trap() -> None:
    """Greedy takes the big site 0 first and then needs 1 and 2 as well (3 sites); the
    perturbation search finds {1, 2}, and never returns a set that misses a row."""
    from estatesplan._optimise_heuristic import cover_restarts, lp_greedy_cover

    cover = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 1], [1, 0, 1], [0, 1, 0], [0, 0, 1]],
                     dtype=bool)  # fmt: skip
    required = np.ones(6, dtype=bool)
    none = np.zeros((0, 6))
    greedy = lp_greedy_cover(cover, required, np.array([0, 1, 2]), np.zeros(0, np.int64))
    assert greedy.tolist() == [1, 2]  # redundant site 0 dropped at the end
    start = np.array([0, 1, 2])
    best, improved = cover_restarts(cover, required, none, np.zeros(0), start,
                                    np.zeros(0, np.int64), deadline=math.inf, iters=50)  # fmt: skip
    assert best.tolist() == [1, 2] and improved >= 1
    kept, _ = cover_restarts(cover, required, none, np.zeros(0), start, np.array([0]),
                             deadline=math.inf, iters=50)  # fmt: skip
    assert 0 in kept and cover[:, kept].any(axis=1).all()


def _problem(kind: str, cost: np.ndarray, demand: np.ndarray, k: int | None,
             t: float | None) -> Problem:  # fmt: skip
    p, _ = build_problem(kind, cost, demand, k, t, unreachable_min=None, capacity=None,  # type: ignore[arg-type]
                         site_capacity=None, must_open=(), forbidden=(), equity=None,
                         method="exact", time_limit_s=60.0, what="test")  # fmt: skip
    return p


def test_auto_switches_to_the_heuristic_beyond_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert optimise.max_covering(C, D, 1, 5.0).method == "exact"
    monkeypatch.setattr(_optimise_solve, "EXACT_MAX_VARIABLES", 3)
    s = optimise.max_covering(C, D, 1, 5.0)
    assert s.objective == 70.0 and s.bound >= 70.0  # still right; LP already proves it
    rng = np.random.default_rng(1)  # a seed where neither bound proves the heuristic optimal
    cost = rng.uniform(1, 30, (40, 12))
    h = optimise.p_median(cost, rng.uniform(1, 9, 40), 4)
    assert h.method == "heuristic" and "too large for 'auto'" in h.status
    assert h.bound <= h.objective and h.gap > 0
    m = optimise.max_covering(cost, rng.uniform(1, 9, 40), 3, 8.0)
    assert m.method == "heuristic" and m.bound >= m.objective and "LP relaxation" in m.status


# --- capacity --------------------------------------------------------------------------------


def test_capacity_binds_p_median_with_a_split_row() -> None:
    cost = np.array([[1.0, 5.0], [NAN, 1.0]])
    free = optimise.p_median(cost, [15.0, 5.0], 2)
    assert free.objective == 15 + 5  # zone 0 all at site 0
    s = optimise.p_median(cost, [15.0, 5.0], 2, site_capacity=[10.0, 100.0])
    # site 0 takes 10 of zone 0's 15 (10 × 1), the other 5 go to site 1 (5 × 5); zone 1 5 × 1
    assert s.objective == pytest.approx(40.0) and s.method == "exact"
    np.testing.assert_allclose(s.allocation.toarray(), np.array([[2 / 3, 1 / 3], [0, 1]]), atol=1e-9)
    assert s.assignment.tolist() == [0, 1]
    assert s.minutes[0] == pytest.approx(7 / 3)  # share-weighted mean over its shares
    ignored = optimise.p_median(cost, [15.0, 5.0], 2, site_capacity=[10.0, 100.0], capacity=False)
    assert ignored.objective == 20.0 and ignored.allocation is None


def test_capacity_binds_assignment_to_the_second_site() -> None:
    cost = np.array([[1.0, 5.0], [2.0, 3.0]])
    s = optimise.p_median(cost, [10.0, 10.0], 2, site_capacity=[10.0, 20.0])
    assert s.objective == pytest.approx(40.0)  # zone 0 -> 0 (10), zone 1 -> 1 (30)
    assert s.assignment.tolist() == [0, 1]


def test_capacity_with_remote_service_uses_capacity() -> None:
    # zone 1 reaches no site; it is served remotely at the penalty (2 × 5 = 10) by the site
    # with room: site 0 can hold only zone 0
    cost = np.array([[1.0, 5.0], [NAN, NAN], [5.0, 1.0]])
    s = optimise.p_median(cost, [4.0, 4.0, 4.0], 2, site_capacity=[4.0, 8.0])
    assert s.objective == pytest.approx(4 * 1 + 4 * 10 + 4 * 1)
    assert s.unserved_demand == pytest.approx(4.0) and s.assignment[1] == -1


def test_capacity_limits_covering() -> None:
    cost = np.array([[1.0, 9.0], [2.0, 9.0], [9.0, 1.0]])
    d = [10.0, 10.0, 5.0]
    assert optimise.max_covering(cost, d, 1, 5.0).objective == 20.0
    s = optimise.max_covering(cost, d, 1, 5.0, site_capacity=[12.0, 20.0])
    assert s.open.tolist() == [0] and s.objective == pytest.approx(12.0)
    assert s.covered_share == pytest.approx(12 / 25)
    assert optimise.max_covering(cost, d, 2, 5.0, site_capacity=[12.0, 20.0]).objective == 17.0
    # set covering: site 0 alone (cap 12) cannot hold zones 0 and 1 (20) -> site 2 added
    cost3 = np.array([[1.0, 9.0, 2.0], [2.0, 9.0, 3.0], [9.0, 1.0, 9.0]])
    free = optimise.set_covering(cost3, 5.0, demand=d)
    capped = optimise.set_covering(cost3, 5.0, demand=d, site_capacity=[12.0, 20.0, 12.0])
    assert free.objective == 2.0 and capped.objective == 3.0
    load = (capped.allocation.toarray() * np.array(d)[:, None]).sum(axis=0)
    assert (load <= np.array([12.0, 20.0, 12.0]) + 1e-6).all()


def test_capacitated_p_median_equals_enumeration_of_transport_problems() -> None:
    rng = np.random.default_rng(3)
    for _ in range(6):
        cost = rng.uniform(0, 20, (5, 4))
        cost[rng.random((5, 4)) < 0.2] = NAN
        cost[0, 0] = 3.0
        d = rng.integers(1, 9, 5).astype(float)
        cap = rng.uniform(0.3, 0.7, 4) * d.sum()
        u = 2.0 * np.nanmax(cost)
        full = np.where(np.isnan(cost), u, cost)
        best = math.inf
        for sites in itertools.combinations(range(4), 2):
            c = full[:, sites]
            a_ub = np.zeros((2, 10))  # each open site's load <= its capacity
            for i in range(5):
                a_ub[:, 2 * i : 2 * i + 2] = np.diag([d[i], d[i]])
            a_eq = np.kron(np.eye(5), np.ones((1, 2)))
            r = linprog((d[:, None] * c).ravel(), A_ub=a_ub, b_ub=cap[list(sites)], A_eq=a_eq,
                        b_eq=np.ones(5), bounds=(0, 1), method="highs")  # fmt: skip
            if r.status == 0:
                best = min(best, r.fun)
        if math.isinf(best):
            with pytest.raises(InfeasibleError):
                optimise.p_median(cost, d, 2, site_capacity=cap)
            continue
        s = optimise.p_median(cost, d, 2, site_capacity=cap)
        assert s.objective == pytest.approx(best, rel=1e-7)


# --- equity ----------------------------------------------------------------------------------

EQ_COST = np.array([[1.0, 5, 3], [20, 2, 10], [5, 5, 3]])
EQ_DEMAND = np.array([100.0, 10, 10])
OLD = np.array([0.0, 10, 0])


def test_equity_binds_p_median() -> None:
    # site 0: 100 + 200 + 50 = 350 (old people's mean 20); site 1: 570 (2); site 2: 430 (10)
    assert optimise.p_median(EQ_COST, EQ_DEMAND, 1).open.tolist() == [0]
    for method in ("exact", "heuristic"):
        s = optimise.p_median(EQ_COST, EQ_DEMAND, 1, equity={"old": (OLD, 10.0)}, method=method)
        assert s.open.tolist() == [2] and s.objective == 430.0
        assert s.groups == {"old": 10.0} and s.baselines == {"old": 10.0}
    tight = optimise.p_median(EQ_COST, EQ_DEMAND, 1, equity={"old": (OLD, 9.99)})
    assert tight.open.tolist() == [1]


def test_equity_binds_covering() -> None:
    # within 3 minutes: site 0 covers zone 0 (100), site 1 zone 1 (10), site 2 zones 0, 2 (110)
    assert optimise.max_covering(EQ_COST, EQ_DEMAND, 1, 3.0).open.tolist() == [2]
    for method in ("exact", "heuristic"):
        s = optimise.max_covering(EQ_COST, EQ_DEMAND, 1, 3.0, equity={"old": (OLD, 0.5)},
                                  method=method)  # fmt: skip
        assert s.open.tolist() == [1] and s.objective == 10.0 and s.groups == {"old": 1.0}
    # set covering: zone 1 has no demand, so {2} would do; the old people need site 1 too
    d = np.array([100.0, 0, 10])
    assert optimise.set_covering(EQ_COST, 3.0, demand=d).open.tolist() == [2]
    for method in ("exact", "heuristic"):
        s = optimise.set_covering(EQ_COST, 3.0, demand=d, equity={"old": (OLD, 1.0)},
                                  method=method)  # fmt: skip
        assert s.open.tolist() == [1, 2]


@pytest.mark.parametrize("seed", range(12))
def test_equity_matches_enumeration(seed: int) -> None:
    cost, demand, k, t = random_instance(1000 + seed)
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 4, len(demand)).astype(float)
    group[0] += 1
    full = np.where(np.isnan(cost), 2 * np.nanmax(cost), cost)
    subsets = list(itertools.combinations(range(cost.shape[1]), k))
    means = [group @ full[:, list(s)].min(axis=1) / group.sum() for s in subsets]
    base = float(np.quantile(means, 0.3))
    best = min(demand @ full[:, list(s)].min(axis=1) for s, m in zip(subsets, means, strict=True)
               if m <= base)  # fmt: skip
    s = optimise.p_median(cost, demand, k, equity={"g": (group, base)})
    assert s.objective == pytest.approx(best, rel=1e-9, abs=1e-9) and s.groups["g"] <= base + 1e-9
    cover = cost <= t
    shares = [group @ cover[:, list(s)].any(axis=1) / group.sum() for s in subsets]
    need = float(np.quantile(shares, 0.7))
    best = max(demand @ cover[:, list(s)].any(axis=1)
               for s, sh in zip(subsets, shares, strict=True) if sh >= need)  # fmt: skip
    s = optimise.max_covering(cost, demand, k, t, equity={"g": (group, need)})
    assert s.objective == best and s.groups["g"] >= need - 1e-9


def test_equity_out_of_reach_names_the_group() -> None:
    with pytest.raises(InfeasibleError, match=r"'old' cannot meet its baseline 1 .*gets 2"):
        optimise.p_median(EQ_COST, EQ_DEMAND, 1, equity={"old": (OLD, 1.0)})
    with pytest.raises(InfeasibleError, match=r"'z1' cannot meet its baseline 1 .*covered share"):
        optimise.max_covering(EQ_COST, EQ_DEMAND, 1, 1.5, equity={"z1": ([0, 1.0, 0], 1.0)})


def test_equity_jointly_infeasible_with_k_says_which_constraints() -> None:
    # each group alone is reachable with all sites open, but one site cannot serve both
    eq = {"a": ([1.0, 0, 0], 1.0), "b": ([0, 1.0, 0], 2.0)}
    with pytest.raises(InfeasibleError, match=r"no choice of sites meets 2 equity baselines "
                                              r"\(a, b\) together with k = 1"):  # fmt: skip
        optimise.p_median(EQ_COST, EQ_DEMAND, 1, equity=eq, method="exact")
    with pytest.raises(InfeasibleError, match="heuristic found no set of sites meeting"):
        optimise.p_median(EQ_COST, EQ_DEMAND, 1, equity=eq, method="heuristic")


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda: optimise.p_median([1.0, 2.0], [1.0, 1.0], 1), DataContractError, "2-D"),
        (lambda: optimise.p_median(np.zeros((0, 2)), [], 1), DataContractError, "non-empty"),
        (lambda: optimise.p_median([["a", "b"]], [1.0], 1), DataContractError, "not numeric"),
        (lambda: optimise.p_median([[1.0, -2.0]], [1.0], 1), DataContractError,
         "1 travel times in cost are negative"),
        (lambda: optimise.p_median(C, [1.0, 2.0], 1), DataContractError,
         r"demand has shape \(2,\) but cost has 4 demand rows"),
        (lambda: optimise.p_median(C, [1.0, -2.0, 3, 4], 1), DataContractError, "1 negative"),
        (lambda: optimise.p_median(C, [1.0, NAN, 3, 4], 1), DataContractError, "1 NaN"),
        (lambda: optimise.p_median(C, [0.0, 0, 0, 0], 1), DataContractError,
         "demand is zero for all 4 rows"),
        (lambda: optimise.p_median(C, D, 4), InfeasibleError,
         r"k = 4 sites asked for but only 3 candidates are allowed \(3 sites, 0 forbidden\)"),
        (lambda: optimise.max_covering(C, D, 3, 5.0, forbidden=[2]), InfeasibleError,
         r"only 2 candidates are allowed \(3 sites, 1 forbidden\)"),
        (lambda: optimise.p_median(C, D, 0), ConfigError, "k = 0 must be a whole number"),
        (lambda: optimise.p_median(C, D, 1.5), ConfigError, "whole number"),  # type: ignore[arg-type]
        (lambda: optimise.p_median(C, D, True), ConfigError, "whole number"),
        (lambda: optimise.p_median(C, D, 1, must_open=[0, 1]), InfeasibleError,
         "2 sites must open but k = 1"),
        (lambda: optimise.p_median(C, D, 1, must_open=[0], forbidden=[0]), ConfigError,
         "both in must_open and forbidden"),
        (lambda: optimise.p_median(C, D, 1, must_open=[5]), ConfigError,
         r"must_open holds 5, not column numbers of cost \(whole numbers from 0 to 2\)"),
        (lambda: optimise.p_median(C, D, 1, forbidden=["a"]), ConfigError, "forbidden holds"),  # type: ignore[list-item]
        (lambda: optimise.p_median(C, D, 1, method="fast"), ConfigError, "method = 'fast'"),
        (lambda: optimise.p_median(C, D, 1, time_limit_s=0), ConfigError, "time_limit_s"),
        (lambda: optimise.p_median(C, D, 1, unreachable_min=5.0), ConfigError,
         r"unreachable_min = 5 is below the longest finite time in cost \(9 min\)"),
        (lambda: optimise.max_covering(C, D, 1, -1.0), ConfigError, "threshold_min = -1.0"),
        (lambda: optimise.max_covering(C, D, 1, NAN), ConfigError, "threshold_min = nan"),
        (lambda: optimise.p_median(np.full((2, 2), NAN), [1.0, 1], 1), InfeasibleError,
         "no demand row reaches any of the 2 sites"),
        (lambda: optimise.set_covering(C, 1.5, demand=D), InfeasibleError,
         r"3 of 4 zones with demand cannot be reached by any allowed site within 1.5 min "
         r"\(rows 0, 1, 3; 70 of 100 demand\)"),
        (lambda: optimise.set_covering(C, 5.0, forbidden=[0, 2]), InfeasibleError,
         "2 of 4 zones with demand cannot be reached"),
        (lambda: optimise.p_median(C, D, 1, site_capacity=[50.0, 60, 70]), InfeasibleError,
         r"capacity short: total demand 100 exceeds the capacity of the 1 largest allowed "
         r"sites \(must-open included\), 70"),
        (lambda: optimise.set_covering(C, 5.0, demand=D, site_capacity=[20.0, 30, 40]),
         InfeasibleError, "total demand 100 exceeds the capacity of all 3 allowed sites, 90"),
        (lambda: optimise.p_median(C, D, 1, capacity=True), ConfigError,
         "capacity=True needs site_capacity"),
        (lambda: optimise.p_median(C, D, 1, site_capacity=[1.0, 2]), DataContractError,
         "site_capacity must hold one finite value >= 0 per site"),
        (lambda: optimise.p_median(C, D, 1, site_capacity=[99.0] * 3, method="heuristic"),
         ConfigError, "heuristic does not handle capacity"),
        (lambda: optimise.max_covering(C, D, 1, 5.0, equity={"g": (D, 1.5)}), ConfigError,
         "baseline = 1.5 must be a covered share from 0 to 1"),
        (lambda: optimise.p_median(C, D, 1, equity={"g": (D, -1.0)}), ConfigError,
         "must be minutes >= 0"),
        (lambda: optimise.p_median(C, D, 1, equity={"g": ([0.0] * 4, 5.0)}), DataContractError,
         r"equity\['g'\] weights is zero for all 4 rows"),
        (lambda: optimise.p_median(C, D, 1, equity={"g": D}), ConfigError,  # type: ignore[dict-item]
         r"equity\['g'\] must be \(weights per demand row, baseline\)"),
    ],
)
def test_bad_input_is_rejected(call: object, err: type[Exception], match: str) -> None:
    with pytest.raises(err, match=match):
        call()  # type: ignore[operator]

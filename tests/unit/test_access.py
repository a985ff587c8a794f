"""Access measures (estatesplan.access): hand-worked 3 zones × 2 sites, properties, bad input.

The hand-worked case used throughout (minutes; NaN = unreachable)::

              site 0   site 1     demand (people)
    zone 0       4       12         100
    zone 1      10       25         200
    zone 2     NaN       18          50
    supply       2        1
"""

from __future__ import annotations

import doctest
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from estatesplan import access as acc
from estatesplan.errors import ConfigError, DataContractError, DataQualityWarning

NAN = np.nan
M = np.array([[4.0, 12.0], [10.0, 25.0], [NAN, 18.0]])
DEMAND = np.array([100.0, 200.0, 50.0])
SUPPLY = np.array([2.0, 1.0])


def test_docstring_examples_run() -> None:
    assert doctest.testmod(acc, raise_on_error=False).failed == 0


# --- nearest, within T ------------------------------------------------------------------


def test_nearest_minutes_by_hand() -> None:
    # row minima over the reachable sites: 4, 10, 18
    np.testing.assert_array_equal(acc.nearest_minutes(M), [4.0, 10.0, 18.0])
    # only site 1: 12, 25, 18
    np.testing.assert_array_equal(acc.nearest_minutes(M, columns=np.array([False, True])),
                                  [12.0, 25.0, 18.0])  # fmt: skip
    # only site 0: zone 2 reaches none -> NaN
    np.testing.assert_array_equal(acc.nearest_minutes(M, columns=np.array([True, False])),
                                  [4.0, 10.0, NAN])  # fmt: skip
    # no site selected: NaN everywhere; +inf counts as unreachable
    assert np.isnan(acc.nearest_minutes(M, columns=np.array([False, False]))).all()
    np.testing.assert_array_equal(acc.nearest_minutes(np.where(np.isnan(M), np.inf, M)),
                                  [4.0, 10.0, 18.0])  # fmt: skip


def test_nearest_minutes_float32_input_gives_float64() -> None:
    out = acc.nearest_minutes(M.astype(np.float32))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [4.0, 10.0, 18.0])


def test_count_within_by_hand() -> None:
    # <= 10: zone 0 {4}, zone 1 {10} (inclusive), zone 2 {} -> 1, 1, 0
    np.testing.assert_array_equal(acc.count_within(M, 10), [1, 1, 0])
    # <= 20: zone 0 {4, 12}, zone 1 {10}, zone 2 {18} -> 2, 1, 1
    np.testing.assert_array_equal(acc.count_within(M, 20), [2, 1, 1])
    # <= 30: 2, 2, 1; only site 1: 1, 1, 1
    np.testing.assert_array_equal(acc.count_within(M, 30), [2, 2, 1])
    np.testing.assert_array_equal(acc.count_within(M, 30, columns=np.array([False, True])),
                                  [1, 1, 1])  # fmt: skip
    assert acc.count_within(M, 10).dtype == np.int64


# --- shares, S-curves, weighted summaries -----------------------------------------------


def test_share_within_by_hand() -> None:
    # nearest site 1 only: 12, 25, 18 with 100, 200, 50 people (total 350)
    # <= 10: nobody -> 0; <= 15: zone 0 -> 100/350; <= 20: zones 0, 2 -> 150/350; <= 30: all
    s = acc.share_within([12.0, 25.0, 18.0], DEMAND, [10, 15, 20, 30])
    assert s.name == "share" and s.index.name == "threshold_min"
    assert s.index.tolist() == [10.0, 15.0, 20.0, 30.0]
    np.testing.assert_allclose(s.to_numpy(), [0.0, 100 / 350, 150 / 350, 1.0], rtol=1e-12)


def test_share_within_counts_unreachable_as_not_within() -> None:
    # 4, 10, NaN: <= 10 -> 300/350; the 50 people who reach nothing are in the denominator
    s = acc.share_within([4.0, 10.0, NAN], DEMAND, [10, 60])
    np.testing.assert_allclose(s.to_numpy(), [300 / 350, 300 / 350], rtol=1e-12)


def test_share_within_zero_total_weight_is_nan() -> None:
    assert acc.share_within([4.0, 10.0, NAN], [0, 0, 0], [10]).isna().all()


def test_s_curve_by_hand() -> None:
    # times 4, 10, 18 -> default grid 0..18; share 0 before 4, 100/350 from 4,
    # 300/350 from 10, 1 from 18
    curve = acc.s_curve([4.0, 10.0, 18.0], DEMAND)
    assert list(curve.columns) == ["minute", "share"]
    assert curve.minute.tolist() == [float(x) for x in range(19)]
    want = np.select([curve.minute >= 18, curve.minute >= 10, curve.minute >= 4],
                     [1.0, 300 / 350, 100 / 350], 0.0)  # fmt: skip
    np.testing.assert_allclose(curve.share.to_numpy(), want, rtol=1e-12)
    # a given grid; fractional times round the default grid's end up (18.2 -> 19)
    assert acc.s_curve([4.0, 10.0, 18.2], DEMAND).minute.iloc[-1] == 19.0
    given_grid = acc.s_curve([4.0, 10.0, NAN], DEMAND, minutes=np.array([0.0, 5.0, 30.0]))
    np.testing.assert_allclose(given_grid.share.to_numpy(), [0.0, 100 / 350, 300 / 350])
    # nothing reachable: a single row at minute 0 with share 0
    none = acc.s_curve([NAN, NAN, NAN], DEMAND)
    assert none.minute.tolist() == [0.0] and none.share.tolist() == [0.0]


def test_weighted_mean_by_hand() -> None:
    # (4*100 + 10*200 + 18*50) / 350 = 3300 / 350
    assert acc.weighted_mean([4.0, 10.0, 18.0], DEMAND) == pytest.approx(3300 / 350, rel=1e-12)
    # NaN values drop out with their weights: (400 + 2000) / 300 = 8
    assert acc.weighted_mean([4.0, 10.0, NAN], DEMAND) == pytest.approx(8.0, rel=1e-12)
    # zero-weight zones drop out too, even an infinite value (2SFCA's zero-demand zones)
    assert acc.weighted_mean([4.0, 10.0, math.inf], [100, 200, 0]) == pytest.approx(8.0)
    assert math.isnan(acc.weighted_mean([NAN, NAN, NAN], DEMAND))
    assert math.isnan(acc.weighted_mean([4.0, 10.0, 18.0], [0, 0, 0]))


def test_weighted_quantile_by_hand() -> None:
    # sorted 4 (100), 10 (200), 18 (50): cumulative shares 2/7, 6/7, 1
    assert acc.weighted_quantile([10.0, 4.0, 18.0], [200, 100, 50], 0.0) == 4.0
    assert acc.weighted_quantile([10.0, 4.0, 18.0], [200, 100, 50], 0.25) == 4.0  # 0.25 <= 2/7
    assert acc.weighted_quantile([10.0, 4.0, 18.0], [200, 100, 50], 0.5) == 10.0  # median
    assert acc.weighted_quantile([10.0, 4.0, 18.0], [200, 100, 50], 0.9) == 18.0  # 0.9 > 6/7
    assert acc.weighted_quantile([10.0, 4.0, 18.0], [200, 100, 50], 1.0) == 18.0
    # NaN values and zero weights are left out: 10 (200) alone -> 10
    assert acc.weighted_quantile([10.0, NAN, 18.0], [200, 100, 0], 0.9) == 10.0
    assert math.isnan(acc.weighted_quantile([NAN, NAN], [1, 1], 0.5))


# --- gravity ------------------------------------------------------------------------------


def test_decay_weights_by_hand() -> None:
    t = np.array([0.0, 0.5, 10.0, NAN])
    # exponential beta 0.1: exp(0), exp(-0.05), exp(-1), NaN -> 0
    np.testing.assert_allclose(acc.decay_weights(t, beta=0.1),
                               [1.0, math.exp(-0.05), math.exp(-1.0), 0.0], rtol=1e-12)  # fmt: skip
    # power beta 2 with the 1-minute floor: 1, 1, 1/100, 0
    np.testing.assert_allclose(acc.decay_weights(t, decay="power", beta=2.0),
                               [1.0, 1.0, 0.01, 0.0], rtol=1e-12)  # fmt: skip
    # gaussian sigma 10: exp(-t^2/200): 1, exp(-0.00125), exp(-0.5), 0
    np.testing.assert_allclose(acc.decay_weights(t, decay="gaussian", beta=10.0),
                               [1.0, math.exp(-0.00125), math.exp(-0.5), 0.0], rtol=1e-12)  # fmt: skip


def test_gravity_by_hand() -> None:
    e = math.exp
    # exponential beta 0.1, supply 2 and 1:
    # zone 0: 2 e^-0.4 + e^-1.2 = 1.6418343; zone 1: 2 e^-1 + e^-2.5 = 0.8178439; zone 2: e^-1.8
    want = [2 * e(-0.4) + e(-1.2), 2 * e(-1.0) + e(-2.5), e(-1.8)]
    np.testing.assert_allclose(acc.gravity(M, SUPPLY, beta=0.1), want, rtol=1e-12)
    assert want[0] == pytest.approx(1.6418343, abs=1e-7)
    # cut-off 15 (inclusive): zone 1 loses site 1 (25), zone 2 loses site 1 (18) -> 0
    np.testing.assert_allclose(acc.gravity(M, SUPPLY, beta=0.1, cutoff_min=15.0),
                               [want[0], 2 * e(-1.0), 0.0], rtol=1e-12)  # fmt: skip
    # ... and a cut-off of exactly 12 keeps zone 0's 12-minute site (<=)
    assert acc.gravity(M, SUPPLY, beta=0.1, cutoff_min=12.0)[0] == pytest.approx(want[0])
    # power beta 1: 2/4 + 1/12 = 0.5833333, 2/10 + 1/25 = 0.24, 1/18
    np.testing.assert_allclose(acc.gravity(M, SUPPLY, decay="power", beta=1.0),
                               [2 / 4 + 1 / 12, 0.24, 1 / 18], rtol=1e-12)  # fmt: skip
    # gaussian sigma 10: 2 e^-0.08 + e^-0.72 = 2.3329849, 2 e^-0.5 + e^-3.125, e^-1.62
    np.testing.assert_allclose(acc.gravity(M, SUPPLY, decay="gaussian", beta=10.0),
                               [2 * e(-0.08) + e(-0.72), 2 * e(-0.5) + e(-3.125), e(-1.62)],
                               rtol=1e-12)  # fmt: skip


# --- floating catchments ------------------------------------------------------------------


def test_two_stage_fca_by_hand() -> None:
    # catchment 15 (t < 15): pairs z0-s0 (4), z0-s1 (12), z1-s0 (10)
    # D0 = 100 + 200 = 300, D1 = 100; R0 = 2/300, R1 = 1/100
    # A0 = 2/300 + 1/100 = 0.0166667, A1 = 2/300 = 0.0066667, A2: no site within 15 -> NaN
    got = acc.two_stage_fca(M, DEMAND, SUPPLY, catchment_min=15.0)
    np.testing.assert_allclose(got, [2 / 300 + 1 / 100, 2 / 300, NAN], rtol=1e-12)
    # conservation: 100 * A0 + 200 * A1 = 1.6667 + 1.3333 = 3 = total supply
    assert np.nansum(DEMAND * got) == pytest.approx(3.0, rel=1e-12)
    # catchment 20 adds z2-s1 (18): D1 = 100 + 50 = 150, R1 = 1/150
    # A = (2/300 + 1/150, 2/300, 1/150) = (0.0133333, 0.0066667, 0.0066667)
    np.testing.assert_allclose(acc.two_stage_fca(M, DEMAND, SUPPLY, catchment_min=20.0),
                               [2 / 300 + 1 / 150, 2 / 300, 1 / 150], rtol=1e-12)  # fmt: skip


def test_two_stage_fca_boundary_is_strict_as_pysal() -> None:
    # catchment 10: z1-s0 at exactly 10 is outside (t < 10): D0 = 100, R0 = 0.02;
    # site 1 has nobody within 10. A = (0.02, NaN, NaN)
    np.testing.assert_allclose(acc.two_stage_fca(M, DEMAND, SUPPLY, catchment_min=10.0),
                               [0.02, NAN, NAN], rtol=1e-12)  # fmt: skip
    # inclusive=True: z1-s0 is inside: D0 = 300, A = (2/300, 2/300, NaN)
    np.testing.assert_allclose(
        acc.two_stage_fca(M, DEMAND, SUPPLY, catchment_min=10.0, inclusive=True),
        [2 / 300, 2 / 300, NAN], rtol=1e-12,
    )  # fmt: skip


def test_enhanced_two_stage_fca_by_hand() -> None:
    # default bands (<=10: 1, <=20: 0.68, <=30: 0.22):
    # w = [[1, 0.68], [1 (10 inclusive), 0.22], [0, 0.68]]
    # D0 = 100 + 200 = 300; D1 = 0.68*100 + 0.22*200 + 0.68*50 = 68 + 44 + 34 = 146
    # A0 = 2/300 + 0.68/146 = 0.0113242; A1 = 2/300 + 0.22/146 = 0.0081735; A2 = 0.68/146
    got = acc.enhanced_two_stage_fca(M, DEMAND, SUPPLY)
    want = [2 / 300 + 0.68 / 146, 2 / 300 + 0.22 / 146, 0.68 / 146]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got[0] == pytest.approx(0.0113242, abs=1e-7)
    # conservation: 100 A0 + 200 A1 + 50 A2 = 3
    assert float(DEMAND @ got) == pytest.approx(3.0, rel=1e-12)
    # bands given in any order are sorted by edge
    np.testing.assert_allclose(
        acc.enhanced_two_stage_fca(M, DEMAND, SUPPLY, bands=[(30, 0.22), (10, 1.0), (20, 0.68)]),
        want, rtol=1e-12,
    )  # fmt: skip
    # extra strict cut-off 25 drops z1-s1 (25): D1 = 68 + 34 = 102
    # A = (2/300 + 0.68/102, 2/300, 0.68/102) = (0.0133333, 0.0066667, 0.0066667)
    np.testing.assert_allclose(
        acc.enhanced_two_stage_fca(M, DEMAND, SUPPLY, catchment_min=25.0),
        [2 / 300 + 0.68 / 102, 2 / 300, 0.68 / 102], rtol=1e-12,
    )  # fmt: skip


def test_enhanced_two_stage_fca_beyond_bands_is_zero_and_unreachable_nan() -> None:
    # zone 2 reaches site 1 only at 40 (> 30): weight 0 -> A2 = 0, not NaN;
    # a zone whose row is all NaN -> NaN. D0 = 300, D1 = 68 + 44 = 112
    m = np.array([[4.0, 12.0], [10.0, 25.0], [NAN, 40.0], [NAN, NAN]])
    d = np.array([100.0, 200.0, 50.0, 10.0])
    got = acc.enhanced_two_stage_fca(m, d, SUPPLY)
    np.testing.assert_allclose(got, [2 / 300 + 0.68 / 112, 2 / 300 + 0.22 / 112, 0.0, NAN],
                               rtol=1e-12)  # fmt: skip


def test_zero_demand_site_gives_infinite_access_with_a_warning() -> None:
    # site 1 is reached within 15 only by zone 0, which has no demand: D1 = 0, R1 = 1/0 = inf
    # zone 0 -> inf; zone 1: R0 = 2/200 = 0.01; zone 2 reaches nothing -> NaN (PySAL's result)
    m = np.array([[4.0, 5.0], [10.0, NAN], [NAN, NAN]])
    with pytest.warns(DataQualityWarning, match=r"1 sites have supply but no demand"):
        got = acc.two_stage_fca(m, [0.0, 200.0, 50.0], SUPPLY, catchment_min=15.0)
    np.testing.assert_array_equal(got, [np.inf, 0.01, NAN])
    # the infinite zone has zero weight, so the cohort mean ignores it
    assert acc.weighted_mean(got, [0.0, 200.0, 50.0]) == pytest.approx(0.01)
    # no supply and no demand (0/0) adds nothing and does not warn
    got = acc.two_stage_fca(m, [0.0, 200.0, 50.0], [2.0, 0.0], catchment_min=15.0)
    np.testing.assert_array_equal(got, [0.01, 0.01, NAN])


def test_chunked_equals_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    m = np.where(rng.random((57, 13)) < 0.2, NAN, rng.uniform(0, 40, (57, 13)))
    d, s = rng.uniform(0, 500, 57), rng.uniform(0, 3, 13)
    whole = [acc.nearest_minutes(m), acc.count_within(m, 15), acc.gravity(m, s, beta=0.1),
             acc.two_stage_fca(m, d, s, catchment_min=20), acc.enhanced_two_stage_fca(m, d, s)]  # fmt: skip
    monkeypatch.setattr(acc, "CHUNK_CELLS", 20)  # 1 row per chunk
    monkeypatch.setattr(acc, "KEEP_CELLS", 0)  # recompute the FCA weights in stage 2
    parts = [acc.nearest_minutes(m), acc.count_within(m, 15), acc.gravity(m, s, beta=0.1),
             acc.two_stage_fca(m, d, s, catchment_min=20), acc.enhanced_two_stage_fca(m, d, s)]  # fmt: skip
    for a, b in zip(whole, parts, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_infinite_times_are_unreachable_like_nan() -> None:
    inf = np.where(np.isnan(M), np.inf, M)
    np.testing.assert_array_equal(acc.count_within(inf, 60), acc.count_within(M, 60))
    for beta in (0.0, 0.1):  # beta 0 counts every reachable site once, not inf ones
        np.testing.assert_array_equal(acc.gravity(inf, SUPPLY, beta=beta),
                                      acc.gravity(M, SUPPLY, beta=beta))  # fmt: skip
    np.testing.assert_array_equal(acc.gravity(M, SUPPLY, beta=0.0), [3.0, 3.0, 1.0])
    np.testing.assert_array_equal(acc.two_stage_fca(inf, DEMAND, SUPPLY, catchment_min=60),
                                  acc.two_stage_fca(M, DEMAND, SUPPLY, catchment_min=60))  # fmt: skip
    np.testing.assert_array_equal(acc.enhanced_two_stage_fca(inf, DEMAND, SUPPLY),
                                  acc.enhanced_two_stage_fca(M, DEMAND, SUPPLY))  # fmt: skip


# --- properties ---------------------------------------------------------------------------

TIMES = st.one_of(
    st.sampled_from([0.0, 5.0, 9.5, 10.0, 10.5, 15.0, 20.0, 25.0, 30.0, 31.0, NAN]),
    st.floats(0.0, 60.0),
)


def matrices(max_zones: int = 8, max_sites: int = 5) -> st.SearchStrategy[np.ndarray]:
    shape = st.tuples(st.integers(1, max_zones), st.integers(1, max_sites))
    return hnp.arrays(np.float64, shape, elements=TIMES)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(m=matrices(), extra=st.data())
def test_adding_a_site_never_lengthens_the_nearest_time(
    m: np.ndarray, extra: st.DataObject
) -> None:
    column = extra.draw(hnp.arrays(np.float64, (m.shape[0], 1), elements=TIMES))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # an all-NaN draw warns (tested below)
        before = acc.nearest_minutes(m)
        after = acc.nearest_minutes(np.hstack([m, column]))
    reached = ~np.isnan(before)
    assert not np.isnan(after[reached]).any()
    assert (after[reached] <= before[reached]).all()


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    times=hnp.arrays(np.float64, st.integers(1, 12), elements=TIMES),
    data=st.data(),
    thresholds=st.lists(st.floats(0.0, 90.0), min_size=1, max_size=6),
)
def test_share_within_never_falls_as_the_threshold_grows(
    times: np.ndarray, data: st.DataObject, thresholds: list[float]
) -> None:
    w = data.draw(hnp.arrays(np.float64, len(times), elements=st.floats(0.0, 1e4)))
    shares = acc.share_within(times, w, sorted(thresholds)).to_numpy()
    if w.sum() > 0:
        assert (np.diff(shares) >= 0).all() and (shares >= 0).all() and (shares <= 1 + 1e-12).all()
    else:
        assert np.isnan(shares).all()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(times=hnp.arrays(np.float64, st.integers(1, 12), elements=TIMES), data=st.data())
def test_s_curve_is_non_decreasing(times: np.ndarray, data: st.DataObject) -> None:
    w = data.draw(hnp.arrays(np.float64, len(times), elements=st.floats(0.01, 1e4)))
    curve = acc.s_curve(times, w)
    assert (np.diff(curve.minute) > 0).all()
    assert (np.diff(curve.share) >= 0).all()
    # the last minute reaches every zone with a finite time
    assert curve.share.iloc[-1] == pytest.approx(w[~np.isnan(times)].sum() / w.sum())


@settings(max_examples=80, deadline=None, derandomize=True)
@given(values=hnp.arrays(np.float64, st.integers(1, 10), elements=st.floats(-50, 50)),
       data=st.data(), q=st.floats(0.0, 1.0))  # fmt: skip
def test_weighted_quantile_equals_numpy_inverted_cdf(
    values: np.ndarray, data: st.DataObject, q: float
) -> None:
    w = data.draw(hnp.arrays(np.float64, len(values), elements=st.floats(0.01, 100)))
    want = np.quantile(values, q, weights=w, method="inverted_cdf")
    assert acc.weighted_quantile(values, w, q) == want


def _demand_in_every_catchment(m: np.ndarray, reach: float, rows: list[int]) -> np.ndarray:
    """Put one zone inside each site's catchment (row ``rows[j]`` within ``reach`` minutes)."""
    out = m.copy()
    for j, i in enumerate(rows):
        out[i % m.shape[0], j] = np.fmin(out[i % m.shape[0], j], reach)
    return out


@settings(max_examples=80, deadline=None, derandomize=True)
@given(m=matrices(), data=st.data(), catchment=st.sampled_from([10.0, 15.0, 30.0]))
def test_two_stage_fca_conserves_supply(
    m: np.ndarray, data: st.DataObject, catchment: float
) -> None:
    # every zone has demand > 0 and every site has a zone within its catchment:
    # sum_i d_i A_i = sum_j S_j (with 1e-9 relative tolerance)
    rows = data.draw(st.lists(st.integers(0, 100), min_size=m.shape[1], max_size=m.shape[1]))
    m = _demand_in_every_catchment(m, catchment / 2, rows)
    d = data.draw(hnp.arrays(np.float64, m.shape[0], elements=st.floats(1.0, 1e4)))
    s = data.draw(hnp.arrays(np.float64, m.shape[1], elements=st.floats(0.0, 50.0)))
    a = acc.two_stage_fca(m, d, s, catchment_min=catchment)
    assert math.isclose(float(np.nansum(d * a)), float(s.sum()), rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(m=matrices(), data=st.data())
def test_enhanced_two_stage_fca_conserves_supply(m: np.ndarray, data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.integers(0, 100), min_size=m.shape[1], max_size=m.shape[1]))
    m = _demand_in_every_catchment(m, 25.0, rows)  # weight 0.22 > 0
    d = data.draw(hnp.arrays(np.float64, m.shape[0], elements=st.floats(1.0, 1e4)))
    s = data.draw(hnp.arrays(np.float64, m.shape[1], elements=st.floats(0.0, 50.0)))
    a = acc.enhanced_two_stage_fca(m, d, s)
    assert math.isclose(float(np.nansum(d * a)), float(s.sum()), rel_tol=1e-9, abs_tol=1e-12)


# --- agreement with PySAL access on random small cases ------------------------------------


def pysal_fca(m: np.ndarray, d: np.ndarray, s: np.ndarray, *, catchment: float | None,
              bands: dict[float, float] | None) -> np.ndarray:  # fmt: skip
    """PySAL ``access`` on the long table of the matrix's finite entries."""
    access = pytest.importorskip("access")
    zones = np.array([f"z{i:03d}" for i in range(m.shape[0])])
    sites = np.array([f"s{j:03d}" for j in range(m.shape[1])])
    i, j = np.nonzero(np.isfinite(m))
    cost = pd.DataFrame({"origin": zones[i], "dest": sites[j], "cost": m[i, j]})
    with warnings.catch_warnings():
        # PySAL 1.1.9 under pandas 3: set_index(inplace=True) deprecation (Pandas4Warning)
        # and a no-op chained fillna(inplace=True) (ChainedAssignmentError); neither changes
        # its result here (every site has a supply value).
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)
        warnings.filterwarnings("ignore", message="A value is being set on a copy .* chained")
        a = access.Access(demand_df=pd.DataFrame({"geoid": zones, "pop": d}), demand_index="geoid",
                          demand_value="pop", supply_df=pd.DataFrame({"geoid": sites, "doc": s}),
                          supply_index="geoid", supply_value="doc", cost_df=cost,
                          cost_origin="origin", cost_dest="dest", cost_name="cost")  # fmt: skip
        if bands is None:
            out = a.two_stage_fca(name="x", max_cost=catchment)
        else:
            out = a.enhanced_two_stage_fca(name="x", max_cost=catchment,
                                           weight_fn=access.weights.step_fn(bands))  # fmt: skip
    return np.asarray(out["x_doc"].reindex(zones), dtype=np.float64)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(m=matrices(6, 4), data=st.data(), catchment=st.sampled_from([10.0, 20.0, 30.0]),
       enhanced=st.booleans())  # fmt: skip
def test_floating_catchments_equal_pysal_on_random_cases(
    m: np.ndarray, data: st.DataObject, catchment: float, enhanced: bool
) -> None:
    # zero demands and zero supplies included: the NaN / inf conventions must agree too
    d = data.draw(
        hnp.arrays(np.float64, m.shape[0], elements=st.sampled_from([0.0, 1.0, 37.0, 250.0]))
    )
    s = data.draw(hnp.arrays(np.float64, m.shape[1], elements=st.sampled_from([0.0, 1.0, 2.5])))
    if not np.isfinite(m).any():
        m[0, 0] = 5.0  # PySAL cannot take an empty cost table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # zero-demand sites (tested above)
        if enhanced:
            ours = acc.enhanced_two_stage_fca(m, d, s)
            theirs = pysal_fca(m, d, s, catchment=None, bands={10: 1.0, 20: 0.68, 30: 0.22})
        else:
            ours = acc.two_stage_fca(m, d, s, catchment_min=catchment)
            theirs = pysal_fca(m, d, s, catchment=catchment, bands=None)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
    fin = np.isfinite(theirs)
    np.testing.assert_allclose(ours[fin], theirs[fin], rtol=1e-9, atol=0)


# --- bad input ----------------------------------------------------------------------------


def test_nan_weights_are_an_error() -> None:
    with pytest.raises(DataContractError, match=r"weights has 1 NaN values"):
        acc.share_within([4.0, 10.0, 18.0], [100.0, NAN, 50.0], [10])
    with pytest.raises(DataContractError, match=r"weights has 2 NaN values"):
        acc.weighted_mean([4.0, 10.0, 18.0], [NAN, NAN, 50.0])
    with pytest.raises(DataContractError, match=r"demand has 1 NaN values"):
        acc.two_stage_fca(M, [100.0, NAN, 50.0], SUPPLY, catchment_min=15)


def test_negative_supply_is_an_error() -> None:
    with pytest.raises(DataContractError, match=r"supply has 1 negative values .of 2 sites"):
        acc.two_stage_fca(M, DEMAND, [2.0, -1.0], catchment_min=15)
    with pytest.raises(DataContractError, match=r"supply has 1 negative"):
        acc.gravity(M, [-2.0, 1.0], beta=0.1)
    with pytest.raises(DataContractError, match=r"supply has 1 infinite"):
        acc.enhanced_two_stage_fca(M, DEMAND, [np.inf, 1.0])


def test_negative_demand_or_weights_is_an_error() -> None:
    with pytest.raises(DataContractError, match=r"demand has 1 negative"):
        acc.enhanced_two_stage_fca(M, [100.0, -1.0, 50.0], SUPPLY)
    with pytest.raises(DataContractError, match=r"weights has 1 negative"):
        acc.s_curve([4.0, 10.0, 18.0], [100.0, -1.0, 50.0])


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(
        DataContractError, match=r"demand has shape .2,. but the matrix has 3 zones"
    ):
        acc.two_stage_fca(M, [100.0, 200.0], SUPPLY, catchment_min=15)
    with pytest.raises(
        DataContractError, match=r"supply has shape .3,. but the matrix has 2 sites"
    ):
        acc.enhanced_two_stage_fca(M, DEMAND, [1.0, 1.0, 1.0])
    with pytest.raises(
        DataContractError, match=r"supply has shape .1,. but the matrix has 2 sites"
    ):
        acc.gravity(M, [1.0], beta=0.1)
    with pytest.raises(
        DataContractError, match=r"weights has shape .2,. but the matrix has 3 zones"
    ):
        acc.share_within([4.0, 10.0, 18.0], [1.0, 2.0], [10])
    with pytest.raises(
        DataContractError, match=r"columns must be a boolean mask with one flag per site .2."
    ):
        acc.nearest_minutes(M, columns=np.array([True, False, True]))
    with pytest.raises(DataContractError, match=r"columns must be a boolean mask"):
        acc.count_within(M, 10, columns=np.array([0, 1]))
    with pytest.raises(DataContractError, match=r"must be 2-D .zones × sites., got shape .3,."):
        acc.nearest_minutes(np.array([4.0, 10.0, 18.0]))
    with pytest.raises(DataContractError, match=r"times must be 1-D"):
        acc.share_within(M, DEMAND, [10])


def test_all_nan_matrix_warns_naming_how_many_zones() -> None:
    m = np.full((3, 2), NAN)
    with pytest.warns(
        DataQualityWarning, match=r"all 3 zones are unreachable: none reaches any of the 2 sites"
    ):
        assert np.isnan(acc.nearest_minutes(m)).all()
    with pytest.warns(DataQualityWarning, match=r"all 3 zones are unreachable"):
        np.testing.assert_array_equal(acc.count_within(m, 30), [0, 0, 0])
    with pytest.warns(DataQualityWarning, match=r"all 3 zones are unreachable"):
        np.testing.assert_array_equal(acc.gravity(m, SUPPLY, beta=0.1), [0.0, 0.0, 0.0])
    with pytest.warns(DataQualityWarning, match=r"all 3 zones are unreachable"):
        assert np.isnan(acc.two_stage_fca(m, DEMAND, SUPPLY, catchment_min=30)).all()
    with pytest.warns(DataQualityWarning, match=r"all 3 zones are unreachable"):
        assert np.isnan(acc.enhanced_two_stage_fca(m, DEMAND, SUPPLY)).all()


def test_negative_or_non_numeric_minutes_are_an_error() -> None:
    with pytest.raises(DataContractError, match=r"1 travel times are negative"):
        acc.nearest_minutes(np.array([[4.0, -1.0], [1.0, 2.0]]))
    with pytest.raises(DataContractError, match=r"2 times are negative"):
        acc.share_within([-4.0, -1.0, 3.0], DEMAND, [10])
    with pytest.raises(DataContractError, match=r"not numeric"):
        acc.nearest_minutes(np.array([["a", "b"]]))


def test_bad_parameters_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"catchment_min = 0 must be a finite number > 0"):
        acc.two_stage_fca(M, DEMAND, SUPPLY, catchment_min=0)
    with pytest.raises(ConfigError, match=r"bands = .* distinct finite edges"):
        acc.enhanced_two_stage_fca(M, DEMAND, SUPPLY, bands=[(10, 1.0), (10, 0.5)])
    with pytest.raises(ConfigError, match=r"weights >= 0"):
        acc.enhanced_two_stage_fca(M, DEMAND, SUPPLY, bands=[(10, -1.0)])
    with pytest.raises(ConfigError, match=r"bands"):
        acc.enhanced_two_stage_fca(M, DEMAND, SUPPLY, bands=[])
    with pytest.raises(ConfigError, match=r"decay = 'linear' is unknown"):
        acc.gravity(M, SUPPLY, decay="linear", beta=0.1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"beta = 0.0 must be a finite number > 0"):
        acc.gravity(M, SUPPLY, decay="gaussian", beta=0.0)
    with pytest.raises(ConfigError, match=r"beta = -0.1 must be a finite number >= 0"):
        acc.gravity(M, SUPPLY, beta=-0.1)
    with pytest.raises(ConfigError, match=r"q = 1.5 must be between 0 and 1"):
        acc.weighted_quantile([1.0], [1.0], 1.5)
    with pytest.raises(ConfigError, match=r"threshold_min = nan"):
        acc.count_within(M, NAN)
    with pytest.raises(ConfigError, match=r"threshold = -5"):
        acc.share_within([4.0, 10.0, 18.0], DEMAND, [-5])

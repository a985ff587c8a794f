"""Unit tests for estatesplan.equity: hand-worked cases, slow reference formulas, properties."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from estatesplan import equity as eq
from estatesplan.errors import ConfigError, DataContractError, DataQualityWarning, DuplicateIdError

# ----------------------------------------------------------------------------- slow references


def _slow_ridits(levels: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Ridit of each individual: (share strictly more deprived) + half the share at its level."""
    n = len(levels)
    return np.array([((levels < d).sum() + 0.5 * (levels == d).sum()) / n for d in levels])


def _expand(
    values: list[float], weights: list[int], levels: list[float]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Repeat each zone once per person: individual-level y and ridit x."""
    y = np.repeat(np.asarray(values, dtype=float), weights)
    d = np.repeat(np.asarray(levels, dtype=float), weights)
    return y, _slow_ridits(d)


def _slow_sii(values: list[float], weights: list[int], levels: list[float]) -> float:
    """Ordinary least squares on repeated observations (numpy.linalg.lstsq)."""
    y, x = _expand(values, weights, levels)
    coef = np.linalg.lstsq(np.column_stack([np.ones_like(x), x]), y, rcond=None)[0]
    return float(coef[1])


def _slow_ci(values: list[float], weights: list[int], levels: list[float]) -> float:
    y, x = _expand(values, weights, levels)
    return float(2 * np.cov(y, x, bias=True)[0, 1] / y.mean())


# ----------------------------------------------------------------------------- quintiles


def test_quintile_summary_hand_worked() -> None:
    # Q1 = deciles 1, 2: weight 100 + 300 = 400; mean (10*100 + 20*300) / 400 = 7000/400 = 17.5
    # Q3 = decile 5 with weight 0: mean NaN (not an error), 1 zone
    # Q5 = deciles 9, 10: weight 400; mean (5*200 + 8*200) / 400 = 6.5; Q2, Q4 empty
    out = eq.quintile_summary([10, 20, 30, 5, 8], [100, 300, 0, 200, 200], [1, 2, 5, 9, 10])
    assert out.index.tolist() == [1, 2, 3, 4, 5]
    assert out.index.name == "quintile"
    assert out["weight"].tolist() == [400, 0, 0, 0, 400]
    assert out["zones"].tolist() == [2, 0, 1, 0, 2]
    np.testing.assert_allclose(out["mean"], [17.5, np.nan, np.nan, np.nan, 6.5])


def test_quintile_gap_minutes_and_shares() -> None:
    values, weights, deciles = [10, 20, 30, 5, 8], [100, 300, 0, 200, 200], [1, 2, 5, 9, 10]
    g = eq.quintile_gap(values, weights, deciles)
    # gap = 17.5 - 6.5 = 11; ratio = 17.5 / 6.5 = 2.6923...
    assert g["gap"] == pytest.approx(11.0)
    assert g["ratio"] == pytest.approx(17.5 / 6.5)
    assert (g["q1_weight"], g["q5_weight"]) == (400, 400)
    assert g["worse_in_deprived"] is True  # minutes: Q1 waits longer
    shares = eq.quintile_gap(values, weights, deciles, higher_is_better=True)
    assert shares["gap"] == pytest.approx(11.0)  # the arithmetic does not change
    assert shares["worse_in_deprived"] is False  # a higher share in Q1 is better


def test_quintile_gap_empty_quintile_is_nan() -> None:
    # no zone in deciles 9-10: Q5 mean NaN, so gap and ratio NaN, worse_in_deprived None
    g = eq.quintile_gap([10, 20], [1, 1], [1, 4])
    assert math.isnan(g["q5_mean"]) and math.isnan(g["gap"]) and math.isnan(g["ratio"])
    assert g["worse_in_deprived"] is None


def test_quintile_ratio_nan_when_q5_zero() -> None:
    g = eq.quintile_gap([0.5, 0.0], [1, 1], [1, 10], higher_is_better=True)
    assert g["gap"] == 0.5
    assert math.isnan(g["ratio"])
    assert g["worse_in_deprived"] is False


# ----------------------------------------------------------------------------- SII, RII, C


def test_slope_index_equal_weights_hand_worked() -> None:
    # 4 zones of weight 1 in deciles 1, 4, 7, 10: ridits 0.125, 0.375, 0.625, 0.875
    # y = 20, 15, 10, 5 lies on y = 22.5 - 20 x exactly, so SII = -20 (least - most deprived)
    # mean 12.5 -> RII = -20 / 12.5 = -1.6; fitted ends 22.5 (x=0) and 2.5 (x=1)
    s = eq.slope_index([20, 15, 10, 5], [1, 1, 1, 1], [1, 4, 7, 10])
    assert s["sii"] == pytest.approx(-20.0)
    assert s["rii"] == pytest.approx(-1.6)
    assert s["mean"] == pytest.approx(12.5)
    assert s["fitted_most_deprived"] == pytest.approx(22.5)
    assert s["fitted_least_deprived"] == pytest.approx(2.5)
    assert s["rii_extremes"] == pytest.approx(2.5 / 22.5)
    assert (s["zones"], s["weight"]) == (4, 4.0)
    assert s["worse_in_deprived"] is True  # minutes, SII < 0: the most deprived wait longer
    shares = eq.slope_index([20, 15, 10, 5], [1, 1, 1, 1], [1, 4, 7, 10], higher_is_better=True)
    assert shares["worse_in_deprived"] is False


def test_slope_and_concentration_with_ties_hand_worked() -> None:
    # zones: (y=12, w=1, decile 1), (y=8, w=3, decile 1), (y=4, w=4, decile 10); W = 8
    # decile 1 holds weight 4 -> ridit (0 + 4/2) / 8 = 0.25; decile 10 -> (4 + 2) / 8 = 0.75
    # group means: decile 1 (12 + 24) / 4 = 9, decile 10: 4 -> SII = (4 - 9) / 0.5 = -10
    # mean = (12 + 24 + 16) / 8 = 6.5 -> RII = -10 / 6.5; line 11.5 - 10 x
    s = eq.slope_index([12, 8, 4], [1, 3, 4], [1, 1, 10])
    assert s["sii"] == pytest.approx(-10.0)
    assert s["rii"] == pytest.approx(-10 / 6.5)
    assert s["fitted_most_deprived"] == pytest.approx(11.5)
    assert s["rii_extremes"] == pytest.approx(1.5 / 11.5)
    # cov_w(y, R) = [1*5.5*(-0.25) + 3*1.5*(-0.25) + 4*(-2.5)*0.25] / 8 = -5 / 8 = -0.625
    # C = 2 * (-0.625) / 6.5 = -0.1923...
    c = eq.concentration_index([12, 8, 4], [1, 3, 4], [1, 1, 10])
    assert c == pytest.approx(-1.25 / 6.5)
    # identity C = 2 var_w(R) RII with var_w(R) = (4 * 0.0625 + 4 * 0.0625) / 8 = 0.0625
    assert c == pytest.approx(2 * 0.0625 * s["rii"])


def test_concentration_index_hand_worked() -> None:
    # equal weights, ridits 0.125..0.875, y 20..5, mean 12.5
    # cov = [7.5*(-0.375) + 2.5*(-0.125) + (-2.5)*0.125 + (-7.5)*0.375] / 4 = -1.5625
    # C = 2 * (-1.5625) / 12.5 = -0.25 (longer journeys concentrated among the deprived)
    assert eq.concentration_index([20, 15, 10, 5], [1, 1, 1, 1], [1, 4, 7, 10]) == pytest.approx(
        -0.25
    )
    assert eq.concentration_index([5, 10, 15, 20], [1, 1, 1, 1], [1, 4, 7, 10]) == pytest.approx(
        0.25
    )


def test_score_ordering_matches_rank_ordering() -> None:
    # an IMD score (higher = more deprived) with most_deprived_first=False ranks the same way
    values, weights = [20.0, 15.0, 11.0, 5.0], [3.0, 1.0, 2.0, 5.0]
    by_rank = eq.slope_index(values, weights, [10, 200, 3000, 40000])
    by_score = eq.slope_index(values, weights, [60.1, 30.2, 15.0, 2.5], most_deprived_first=False)
    assert by_score["sii"] == pytest.approx(by_rank["sii"])
    ci_score = eq.concentration_index(
        values, weights, [60.1, 30.2, 15.0, 2.5], most_deprived_first=False
    )
    assert ci_score == pytest.approx(eq.concentration_index(values, weights, [1, 2, 3, 4]))


def test_one_deprivation_level_gives_nan_sii() -> None:
    s = eq.slope_index([1.0, 2.0], [1.0, 1.0], [3, 3])
    assert math.isnan(s["sii"]) and math.isnan(s["rii"])
    assert s["worse_in_deprived"] is None


def test_zero_total_weight_gives_nan() -> None:
    assert math.isnan(eq.slope_index([1.0, 2.0], [0, 0], [1, 2])["sii"])
    assert math.isnan(eq.concentration_index([1.0, 2.0], [0, 0], [1, 2]))


def test_concentration_nan_for_zero_mean() -> None:
    assert math.isnan(eq.concentration_index([0.0, 0.0], [1, 1], [1, 2]))


# ----------------------------------------------------------------------------- missing values


def test_unknown_deprivation_excluded_with_warning() -> None:
    deciles = pd.array([1, pd.NA, 10, pd.NA], dtype="Int64")
    with pytest.warns(DataQualityWarning, match=r"2 zone\(s\) \(300 people\) with unknown IMD"):
        g = eq.quintile_gap([10.0, 99.0, 4.0, 99.0], [100, 100, 100, 200], deciles)
    assert (g["q1_mean"], g["q5_mean"]) == (10.0, 4.0)


def test_unreachable_excluded_with_warning_or_counted_at_cutoff() -> None:
    values = np.array([np.nan, 10.0, 4.0, np.inf])
    with pytest.warns(DataQualityWarning, match=r"2 zone\(s\) \(60 people over 65\) with no value"):
        g = eq.quintile_gap(values, [50, 50, 50, 10], [1, 1, 10, 10], weight_name="people over 65")
    assert (g["q1_mean"], g["q5_mean"]) == (10.0, 4.0)
    # counted at a 30-minute cut-off: Q1 (30*50 + 10*50) / 100 = 20; Q5 (4*50 + 30*10) / 60
    g = eq.quintile_gap(values, [50, 50, 50, 10], [1, 1, 10, 10], cutoff_min=30)
    assert g["q1_mean"] == pytest.approx(20.0)
    assert g["q5_mean"] == pytest.approx(500 / 60)
    assert np.isnan(values[0])  # the caller's array is not modified


# ----------------------------------------------------------------------------- table


def test_equity_table_rows_match_functions() -> None:
    values = {"walk": [20.0, 15.0, 10.0, 5.0], "share": [0.2, 0.4, 0.5, 0.9]}
    deciles, ranks = [1, 4, 7, 10], [100, 10_000, 20_000, 30_000]
    out = eq.equity_table(values, [1, 2, 3, 4], deciles, ranks, higher_is_better={"share": True})
    assert out.index.tolist() == ["walk", "share"]
    assert out.index.name == "key"
    for key in values:
        hib = key == "share"
        s = eq.slope_index(values[key], [1, 2, 3, 4], ranks)
        g = eq.quintile_gap(values[key], [1, 2, 3, 4], deciles, higher_is_better=hib)
        assert out.at[key, "sii"] == pytest.approx(s["sii"])
        assert out.at[key, "gap"] == pytest.approx(g["gap"])
        assert out.at[key, "concentration_index"] == pytest.approx(
            eq.concentration_index(values[key], [1, 2, 3, 4], ranks)
        )
        assert out.at[key, "worse_in_deprived"] == g["worse_in_deprived"]
        assert out.at[key, "rank_basis"] == "imd_rank"
    assert out.at["walk", "sii_worse_in_deprived"]
    assert out.at["share", "sii_worse_in_deprived"]  # lower shares where deprived


def test_equity_table_decile_basis_and_weights_per_key() -> None:
    out = eq.equity_table({"a": [3.0, 1.0]}, {"a": [1.0, 1.0]}, [1, 10])
    assert out.at["a", "rank_basis"] == "imd_decile"
    assert out.at["a", "sii"] == pytest.approx(-4.0)  # ridits 0.25, 0.75: (1 - 3) / 0.5


def test_equity_table_missing_weights_key() -> None:
    with pytest.raises(ConfigError, match="no weights for b"):
        eq.equity_table({"a": [1.0], "b": [2.0]}, {"a": [1.0]}, [1])


# ----------------------------------------------------------------------------- groups


def test_compare_groups_hand_worked() -> None:
    # A: z1 5 min (100), z2 10 (100), z3 30 (200): weight 400, mean (500+1000+6000)/400 = 18.75
    #    cumulative shares 0.25, 0.5, 1.0 -> median 10 (first value reaching 0.5), p10 5, p90 30
    # B: z4 8 (50), z5 12 (150): weight 200, mean (400 + 1800) / 200 = 11
    #    shares 0.25, 1.0 -> median 12, p10 8, p90 12
    out = eq.compare_groups(
        [5, 10, 30, 8, 12],
        [100, 100, 200, 50, 150],
        ["A", "A", "A", "B", "B"],
        zone_ids=["z1", "z2", "z3", "z4", "z5"],
    )
    assert out.index.tolist() == ["A", "B"]
    assert out["weight"].tolist() == [400, 200]
    assert out["mean"].tolist() == pytest.approx([18.75, 11.0])
    assert out["median"].tolist() == [10, 12]
    assert out["p10"].tolist() == [5, 8]
    assert out["p90"].tolist() == [30, 12]
    assert out["worst_value"].tolist() == [30, 12]
    assert out["worst_zone_id"].tolist() == ["z3", "z5"]
    assert out["rank"].tolist() == [1, 2]  # A is worse off (longer mean journey)


def test_compare_groups_higher_is_better_and_series_ids() -> None:
    values = pd.Series([0.9, 0.1, 0.5], index=["a", "b", "c"])
    weights = pd.Series([1.0, 1.0, 0.0], index=["a", "b", "c"])
    out = eq.compare_groups(values, weights, ["N1", "N1", "N2"], higher_is_better=True)
    assert out.at["N1", "worst_zone_id"] == "b"  # lowest share is the worst
    assert out.at["N1", "worst_value"] == 0.1
    assert math.isnan(out.at["N2", "mean"])  # zero weight: NaN, not an error
    assert pd.isna(out.at["N2", "worst_zone_id"])
    assert out.at["N1", "rank"] == 1
    assert pd.isna(out.at["N2", "rank"])


def test_compare_groups_warns_about_zones_in_no_group() -> None:
    with pytest.warns(DataQualityWarning, match=r"1 zone\(s\) \(7 people\) in no group"):
        out = eq.compare_groups([1.0, 2.0], [3.0, 7.0], ["N1", None])
    assert out.index.tolist() == ["N1"]


# ----------------------------------------------------------------------------- left behind

_IDS = ["Z1", "Z2", "Z3", "Z4", "Z5"]
_NEED = [412, 100, 50, 300, 80]
_ACCESS = [23.4, 25.0, 21.0, np.nan, 12.0]
_DECILES = [1, 6, 2, 1, 1]
_WORDS = {"need_label": "people over 65", "access_label": "nearest GP", "mode_label": "on foot"}


def test_left_behind_hand_worked() -> None:
    # top fifth of need: only 412 (1 of 5 zones has need >= 412; 300 has 2 of 5)
    # high need (IMD decile <= 2 or top fifth): Z1, Z3, Z4, Z5
    # poor access: over 20 min (Z1 23.4, Z2 25, Z3 21) or unreachable (Z4) or worst fifth (Z4)
    # left behind = Z1, Z3, Z4; unreachable first, then longest time
    out = eq.left_behind(_IDS, need=_NEED, access_minutes=_ACCESS, imd_decile=_DECILES, **_WORDS)
    assert out.columns.tolist() == ["zone_id", "need", "access", "imd_decile", "why"]
    assert out["zone_id"].tolist() == ["Z4", "Z1", "Z3"]
    assert out["imd_decile"].tolist() == [1, 1, 2]
    assert str(out["imd_decile"].dtype) == "Int64"
    assert out["why"].tolist() == [
        "IMD decile 1; 300 people over 65; nearest GP unreachable on foot within the cut-off",
        "IMD decile 1; 412 people over 65 (top fifth); nearest GP 23.4 min on foot, over 20 min",
        "IMD decile 2; 50 people over 65; nearest GP 21.0 min on foot, over 20 min",
    ]
    assert math.isnan(out.at[0, "access"])


def test_left_behind_both_rule_and_cutoff() -> None:
    out = eq.left_behind(
        _IDS, need=_NEED, access_minutes=_ACCESS, imd_decile=_DECILES, need_rule="both",
        cutoff_min=30, **_WORDS,
    )  # fmt: skip
    assert out["zone_id"].tolist() == ["Z1"]  # the only zone deprived AND in the top fifth
    out = eq.left_behind(_IDS, access_minutes=_ACCESS, imd_decile=_DECILES, cutoff_min=30)
    assert out.at[0, "zone_id"] == "Z4"
    assert out.at[0, "access"] == 30.0
    assert out.at[0, "why"] == "IMD decile 1; nearest asset over 30 min (beyond the cut-off)"
    assert out["need"].isna().all()


def test_left_behind_need_only_relative_access() -> None:
    # need only; no absolute threshold: poor = worst fifth (Z5 at 9 min: 1 of 5 zones >= 9)
    out = eq.left_behind(
        ["A", "B", "C", "D", "E"], need=[10, 20, 30, 40, 50], access_minutes=[3, 4, 5, 6, 9],
        access_threshold=None,
    )  # fmt: skip
    assert out["zone_id"].tolist() == ["E"]
    assert out.at[0, "why"] == "50 people (top fifth); nearest asset 9.0 min (worst fifth of zones)"


def test_left_behind_higher_is_better() -> None:
    out = eq.left_behind(
        ["A", "B", "C"], access_minutes=[0.9, 0.2, 0.6], imd_decile=[1, 1, 9],
        higher_is_better=True, access_threshold=0.5, access_quantile=None, access_unit="share",
        access_label="share within 15 min",
    )  # fmt: skip
    assert out["zone_id"].tolist() == ["B"]
    assert out.at[0, "why"] == "IMD decile 1; share within 15 min 0.2 share, under 0.5 share"


def test_left_behind_warns_about_unknown_decile() -> None:
    with pytest.warns(DataQualityWarning, match=r"1 zone\(s\) have no IMD decile"):
        eq.left_behind(["A", "B"], access_minutes=[30, 5], imd_decile=[1, np.nan])


# ----------------------------------------------------------------------------- bad input


def test_length_mismatch() -> None:
    with pytest.raises(DataContractError, match="values has 3 entries, weights has 2 entries"):
        eq.quintile_gap([1, 2, 3], [1, 1], [1, 2, 3])


def test_negative_weights() -> None:
    with pytest.raises(DataContractError, match=r"1 zone\(s\) have negative cohort sizes"):
        eq.slope_index([1, 2], [1, -5], [1, 2])


def test_nan_weights() -> None:
    with pytest.raises(DataContractError, match=r"no cohort size \(NaN or infinite\)"):
        eq.concentration_index([1, 2], [1, np.nan], [1, 2])


@pytest.mark.parametrize("bad", [0, 11, 2.5])
def test_decile_outside_range(bad: float) -> None:
    with pytest.raises(DataContractError, match=r"outside 1\.\.10 or not whole numbers"):
        eq.quintile_summary([1, 2], [1, 1], [1, bad])


def test_non_numeric_values() -> None:
    with pytest.raises(DataContractError, match="values must be numbers"):
        eq.quintile_gap(["ten", "5"], [1, 1], [1, 10])


def test_two_dimensional_values() -> None:
    with pytest.raises(DataContractError, match="one-dimensional"):
        eq.slope_index(np.ones((2, 2)), [1, 1], [1, 2])


def test_misaligned_series() -> None:
    with pytest.raises(DataContractError, match="pandas index of weights differs"):
        eq.quintile_gap(
            pd.Series([1.0, 2.0], index=["a", "b"]),
            pd.Series([1.0, 1.0], index=["b", "a"]),
            [1, 10],
        )


def test_negative_cutoff() -> None:
    with pytest.raises(ConfigError, match="cutoff_min must be a finite number"):
        eq.quintile_gap([1.0], [1.0], [1], cutoff_min=-1)


def test_left_behind_bad_config() -> None:
    with pytest.raises(ConfigError, match="give `need`"):
        eq.left_behind(["A"], access_minutes=[1.0])
    with pytest.raises(ConfigError, match="need_rule must be"):
        eq.left_behind(["A"], access_minutes=[1.0], imd_decile=[1], need_rule="and")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="need_quantile must be between 0 and 1"):
        eq.left_behind(["A"], access_minutes=[1.0], imd_decile=[1], need_quantile=80)
    with pytest.raises(ConfigError, match="set access_threshold or access_quantile"):
        eq.left_behind(
            ["A"], access_minutes=[1.0], imd_decile=[1], access_threshold=None, access_quantile=None
        )


def test_left_behind_duplicate_ids() -> None:
    with pytest.raises(DuplicateIdError, match="zone ids repeat"):
        eq.left_behind(["A", "A"], access_minutes=[1.0, 2.0], imd_decile=[1, 2])


# ----------------------------------------------------------------------------- properties

_N = st.integers(min_value=2, max_value=9)


@st.composite
def _zones(draw: st.DrawFn) -> tuple[list[float], list[int], list[int]]:
    n = draw(_N)
    values = draw(st.lists(st.floats(0, 120, allow_subnormal=False), min_size=n, max_size=n))
    weights = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    levels = draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))
    return values, weights, levels


def _has_gradient(weights: list[int], levels: list[int]) -> bool:
    return len({lv for w, lv in zip(weights, levels, strict=True) if w > 0}) >= 2


@settings(max_examples=60, deadline=None)
@given(_zones())
def test_sii_and_ci_equal_slow_repeated_observations(
    z: tuple[list[float], list[int], list[int]],
) -> None:
    values, weights, levels = z
    assume(_has_gradient(weights, levels) and sum(weights) <= 200)
    s = eq.slope_index(values, weights, levels)
    assert s["sii"] == pytest.approx(_slow_sii(values, weights, levels), abs=1e-7, rel=1e-7)
    if np.dot(values, weights) > 1e-6:
        ci = eq.concentration_index(values, weights, levels)
        assert ci == pytest.approx(_slow_ci(values, weights, levels), abs=1e-7, rel=1e-7)
        assert -1 - 1e-9 <= ci <= 1 + 1e-9
        ridits = _expand(values, weights, levels)[1]
        assert ci == pytest.approx(2 * ridits.var() * s["rii"], abs=1e-7)  # C = 2 var(R) RII


@settings(max_examples=40, deadline=None)
@given(_zones())
def test_decile_sii_equals_phe_group_regression(
    z: tuple[list[float], list[int], list[int]],
) -> None:
    # Fingertips method: one row per decile (population-weighted mean, population share a),
    # regression of y*sqrt(a) on sqrt(a) and b*sqrt(a) = weighted least squares with weights a
    values, weights, levels = z
    assume(_has_gradient(weights, levels))
    f = pd.DataFrame({"y": values, "w": weights, "d": levels}).assign(wy=lambda t: t.y * t.w)
    g = f.groupby("d")[["w", "wy"]].sum().query("w > 0")
    a = (g["w"] / g["w"].sum()).to_numpy()
    b = np.cumsum(a) - a / 2
    mean = (g["wy"] / g["w"]).to_numpy()
    design = np.column_stack([np.sqrt(a), b * np.sqrt(a)])
    coef = np.linalg.lstsq(design, mean * np.sqrt(a), rcond=None)[0]
    assert eq.slope_index(values, weights, levels)["sii"] == pytest.approx(
        coef[1], abs=1e-7, rel=1e-7
    )


@settings(max_examples=40, deadline=None)
@given(_N, st.floats(0.5, 90), st.lists(st.integers(1, 30), min_size=9, max_size=9))
def test_constant_indicator_has_no_inequality(n: int, c: float, weights: list[int]) -> None:
    levels = list(range(1, n + 1))
    s = eq.slope_index([c] * n, weights[:n], levels)
    assert s["sii"] == pytest.approx(0.0, abs=1e-9 * c)
    assert eq.concentration_index([c] * n, weights[:n], levels) == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(_zones(), st.floats(0.01, 1000))
def test_scaling_weights_changes_nothing(
    z: tuple[list[float], list[int], list[int]], k: float
) -> None:
    values, weights, levels = z
    scaled = [w * k for w in weights]
    a, b = eq.slope_index(values, weights, levels), eq.slope_index(values, scaled, levels)
    assert b["sii"] == pytest.approx(a["sii"], abs=1e-7, rel=1e-7, nan_ok=True)
    ga = eq.quintile_gap(values, weights, levels)
    gb = eq.quintile_gap(values, scaled, levels)
    assert gb["gap"] == pytest.approx(ga["gap"], abs=1e-7, rel=1e-7, nan_ok=True)
    ca = eq.concentration_index(values, weights, levels)
    cb = eq.concentration_index(values, scaled, levels)
    assert cb == pytest.approx(ca, abs=1e-7, rel=1e-7, nan_ok=True)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_permuting_zones_changes_nothing(data: st.DataObject) -> None:
    values, weights, levels = data.draw(_zones())
    perm = data.draw(st.permutations(range(len(values))))
    pv = [values[i] for i in perm]
    pw = [weights[i] for i in perm]
    pl = [levels[i] for i in perm]
    a, b = eq.slope_index(values, weights, levels), eq.slope_index(pv, pw, pl)
    assert b["sii"] == pytest.approx(a["sii"], abs=1e-7, rel=1e-7, nan_ok=True)
    ca, cb = eq.concentration_index(values, weights, levels), eq.concentration_index(pv, pw, pl)
    assert cb == pytest.approx(ca, abs=1e-7, rel=1e-7, nan_ok=True)
    qa = eq.quintile_summary(values, weights, levels)
    qb = eq.quintile_summary(pv, pw, pl)
    pd.testing.assert_frame_equal(qa, qb, check_exact=False, rtol=1e-9, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(_zones(), st.floats(-50, 50), st.floats(0.1, 10))
def test_shift_and_scale_of_values(
    z: tuple[list[float], list[int], list[int]], shift: float, scale: float
) -> None:
    # SII moves with the scale of the values and ignores a shift
    values, weights, levels = z
    base = eq.slope_index(values, weights, levels)["sii"]
    moved = eq.slope_index([v * scale + shift for v in values], weights, levels)["sii"]
    assert moved == pytest.approx(base * scale, abs=1e-6, rel=1e-6, nan_ok=True)

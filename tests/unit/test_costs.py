"""Whole-life cost: Green Book discounting, carbon values, forecast, NPV and payback, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from estatesplan.costs import (
    ACTIONS,
    GREEN_BOOK_SCHEDULE,
    OPTIMISM_BIAS,
    TOTAL_ROW,
    CostAssumptions,
    carbon_values,
    discount_factors,
    forecast,
    load_carbon_values,
    npv,
    payback_year,
    payback_years,
)
from estatesplan.errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    MissingColumnError,
)


class _Factors:
    """DESNZ 2024 grid electricity and natural gas (kgCO2e/kWh), as carbon.load_factors gives."""

    def get(self, key: str) -> float:
        return {"electricity": 0.20705, "gas": 0.18290}[key]


def _building(**overrides: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One health centre: 1,000 m², £10,000/yr running, £5,000 backlog, 100 MWh power, 200 MWh gas, 10 t/yr."""
    assets = pd.DataFrame(
        {
            "asset_id": ["HC1"],
            "gia_m2": [1000.0],
            "running_cost_gbp": [10_000.0],
            "backlog_gbp": [5_000.0],
        }
    )
    operational = pd.DataFrame(
        {"electricity_kwh": [100_000.0], "gas_kwh": [200_000.0], "tco2e": [10.0]}
    )
    for key, value in overrides.items():
        (assets if key in assets.columns else operational)[key] = value
    return assets, operational


THREE_YEARS = CostAssumptions(
    start_year=2025, horizon_years=3, electricity_price_gbp_kwh=0.25, gas_price_gbp_kwh=0.05
)


# --- discounting -------------------------------------------------------------------------


def test_discount_factors_first_years() -> None:
    d = discount_factors(3)
    # year 0: 1; year 1: 1 / 1.035 = 0.966184; year 2: 1 / 1.035^2 = 0.933511
    assert d == pytest.approx([1.0, 0.9661835748792271, 0.933510700366403], rel=1e-12)


def test_year_31_steps_down_to_three_percent() -> None:
    d = discount_factors(32)
    # years 1-30 at 3.5 %: d30 = 1.035^-30 = 0.356278; year 31 at 3.0 %: d31 = d30 / 1.03 = 0.345901
    assert d[30] == pytest.approx(0.35627841060230236, rel=1e-12)
    assert d[31] == pytest.approx(0.3459013695167984, rel=1e-12)
    assert d[30] / d[29] == pytest.approx(1 / 1.035)
    assert d[31] / d[30] == pytest.approx(1 / 1.03)
    assert GREEN_BOOK_SCHEDULE[:3] == ((0, 0.035), (31, 0.030), (76, 0.025))


def test_year_76_steps_down_to_two_and_a_half_percent() -> None:
    d = discount_factors(77)
    assert d[75] / d[74] == pytest.approx(1 / 1.03)
    assert d[76] / d[75] == pytest.approx(1 / 1.025)


# --- the three-year NPV worked on paper ---------------------------------------------------


def test_three_year_npv_worked_example() -> None:
    # Health centre HC1 (1,000 m²), prices 25 p/kWh electricity and 5 p/kWh gas:
    #   energy a year   = 100,000 x 0.25 + 200,000 x 0.05 = 25,000 + 10,000 = £35,000
    #   carbon value    = 10 t x DESNZ central £273.06 (2025), £277.22 (2026), £281.44 (2027)
    #   2025: 10,000 running + 35,000 energy + 5,000 backlog + 2,730.60 carbon = 52,730.60 x 1
    #   2026: 10,000 + 35,000 + 2,772.20 = 47,772.20 / 1.035   = 46,156.71
    #   2027: 10,000 + 35,000 + 2,814.40 = 47,814.40 / 1.035^2 = 44,635.25
    #   NPV = 52,730.60 + 46,156.71 + 44,635.25 = 143,522.57
    assets, operational = _building()
    f = forecast(assets, operational, assumptions=THREE_YEARS)
    assert f["year"].tolist() == [2025, 2026, 2027]
    assert f["energy_cost_gbp"].tolist() == pytest.approx([35_000.0] * 3)
    assert f["backlog_gbp"].tolist() == [5_000.0, 0.0, 0.0]
    assert f["carbon_value_gbp"].tolist() == pytest.approx([2730.6, 2772.2, 2814.4])
    assert f["total_gbp"].tolist() == pytest.approx([52_730.6, 47_772.2, 47_814.4])
    assert f["pv_gbp"].tolist() == pytest.approx([52_730.6, 46_156.71497584541, 44_635.25403159935])
    result = npv(f)
    assert result.loc["HC1", "pv_total_gbp"] == pytest.approx(143_522.56900744475)
    assert result.loc["HC1", "pv_energy_cost_gbp"] == pytest.approx(
        35_000 * (1 + 1 / 1.035 + 1 / 1.035**2)
    )
    assert result.loc["HC1", "carbon_t"] == pytest.approx(30.0)
    assert result.loc[TOTAL_ROW, "pv_total_gbp"] == pytest.approx(143_522.56900744475)
    assert not f["cost_estimated"].any()
    assert (f["cost_basis"] == "recorded running cost and backlog").all()


def test_npv_total_row_sums_assets() -> None:
    assets, operational = _building()
    two = pd.concat([assets, assets.assign(asset_id="HC2")], ignore_index=True)
    f = forecast(two, pd.concat([operational] * 2, ignore_index=True), assumptions=THREE_YEARS)
    result = npv(f)
    assert result.loc[TOTAL_ROW, "pv_total_gbp"] == pytest.approx(2 * 143_522.56900744475)
    assert list(npv(f, total=False).index) == ["HC1", "HC2"]


# --- optimism bias, actions ---------------------------------------------------------------


def test_optimism_bias_on_refurbishment() -> None:
    # refurbishment £1,500/m² x 1,000 m² = £1,500,000; standard buildings upper bound 24 %:
    # capital = 1,500,000 x 1.24 = £1,860,000 of which £360,000 is optimism bias.
    assets, operational = _building()
    act = pd.DataFrame({"asset_id": ["HC1"], "action": ["refurbish"], "year": [2026]})
    a = CostAssumptions(start_year=2025, horizon_years=3, backlog_year=1)
    f = forecast(assets, operational, assumptions=a, actions=act)
    assert f["capital_gbp"].tolist() == pytest.approx([0.0, 1_860_000.0, 0.0])
    assert f["optimism_bias_gbp"].tolist() == pytest.approx([0.0, 360_000.0, 0.0])
    # backlog due in 2026 is absorbed by the refurbishment that year
    assert f["backlog_gbp"].sum() == 0.0
    assert f["action"].tolist() == ["keep", "refurbish", "refurbish"]
    non_standard = CostAssumptions(
        start_year=2025, horizon_years=3, optimism_bias=OPTIMISM_BIAS["non_standard_buildings"][1]
    )
    g = forecast(assets, operational, assumptions=non_standard, actions=act)
    assert g["capital_gbp"].sum() == pytest.approx(1_500_000 * 1.51)
    assert OPTIMISM_BIAS == {
        "standard_buildings": (0.02, 0.24),
        "non_standard_buildings": (0.04, 0.51),
    }


def test_retrofit_heat_pump_changes_energy_carbon_and_capital() -> None:
    # From 2026 the heat pump supplies 200,000 x 0.84 = 168,000 kWh of heat with
    # 168,000 / 2.8 = 60,000 kWh of electricity: 160,000 kWh power, no gas.
    # carbon 2025: (100,000 x 0.20705 + 200,000 x 0.18290) / 1000 = 57.285 t; 2026: 33.128 t.
    # capex £120/m² x 1,000 m² x 1.24 = £148,800.
    assets, operational = _building()
    act = pd.DataFrame(
        {"asset_id": ["HC1"], "action": ["retrofit"], "year": [2026], "measures": ["heat_pump"]}
    )
    f = forecast(assets, operational, assumptions=THREE_YEARS, actions=act, factors=_Factors())
    assert f["electricity_kwh"].tolist() == pytest.approx([100_000.0, 160_000.0, 160_000.0])
    assert f["gas_kwh"].tolist() == pytest.approx([200_000.0, 0.0, 0.0])
    assert f["carbon_t"].tolist() == pytest.approx([57.285, 33.128, 33.128])
    assert f["capital_gbp"].tolist() == pytest.approx([0.0, 148_800.0, 0.0])
    assert f["energy_cost_gbp"].tolist() == pytest.approx([35_000.0, 40_000.0, 40_000.0])


def test_retrofit_measures_are_replaced_when_their_life_ends() -> None:
    # LED lasts 15 years: paid in 2025 and again in 2040 within a 30-year horizon
    assets, operational = _building()
    act = pd.DataFrame(
        {
            "asset_id": ["HC1"],
            "action": ["retrofit"],
            "year": [2025],
            "measures": [["led_lighting"]],
        }
    )
    f = forecast(assets, operational, actions=act, factors=_Factors())
    paid = f.loc[f["capital_gbp"] > 0, "year"].tolist()
    assert paid == [2025, 2040]
    assert f["capital_gbp"].max() == pytest.approx(25 * 1000 * 1.24)


def test_dispose_stops_costs_and_takes_receipt() -> None:
    assets, operational = _building()
    act = pd.DataFrame({"asset_id": ["HC1"], "action": ["dispose"], "year": [2026]})
    a = CostAssumptions(start_year=2025, horizon_years=3, disposal_receipt_gbp_m2=2000.0)
    f = forecast(assets, operational, assumptions=a, actions=act)
    assert f["disposal_gbp"].tolist() == [0.0, -2_000_000.0, 0.0]
    assert f["running_cost_gbp"].tolist() == [10_000.0, 0.0, 0.0]
    assert f["carbon_t"].tolist() == [10.0, 0.0, 0.0]
    assert f.loc[1:, "energy_cost_gbp"].sum() == 0.0


def test_new_build_is_all_electric_with_benchmark_running_cost() -> None:
    assets, operational = _building()
    act = pd.DataFrame(
        {"asset_id": ["HC1"], "action": ["new_build"], "year": [2025], "gia_m2": [800.0]}
    )
    f = forecast(assets, operational, assumptions=THREE_YEARS, actions=act, factors=_Factors())
    # 800 m² x £3,500 x 1.24; 800 m² x 100 kWh/m² = 80,000 kWh; running 800 x £77
    assert f["capital_gbp"].iloc[0] == pytest.approx(800 * 3500 * 1.24)
    assert f["electricity_kwh"].tolist() == pytest.approx([80_000.0] * 3)
    assert f["gas_kwh"].sum() == 0.0
    assert f["running_cost_gbp"].tolist() == pytest.approx([800 * 77.0] * 3)
    assert f["backlog_gbp"].sum() == 0.0


def test_missing_running_cost_and_backlog_are_estimated_and_labelled() -> None:
    assets, operational = _building(running_cost_gbp=np.nan, backlog_gbp=np.nan)
    f = forecast(assets, operational, assumptions=THREE_YEARS)
    # ERIC 2016-17 community-trust medians: £77/m² a year running, £27/m² backlog
    assert f["running_cost_gbp"].tolist() == pytest.approx([77_000.0] * 3)
    assert f["backlog_gbp"].tolist() == pytest.approx([27_000.0, 0.0, 0.0])
    assert f["cost_estimated"].all()
    assert "running cost estimated" in f["cost_basis"].iloc[0]
    assert "backlog estimated" in f["cost_basis"].iloc[0]


def test_energy_labels_are_carried_from_operational() -> None:
    assets, operational = _building(energy_estimated=True, energy_basis="TM46 benchmark")
    f = forecast(assets, operational, assumptions=THREE_YEARS)
    assert f["energy_estimated"].all()
    assert (f["energy_basis"] == "TM46 benchmark").all()


def test_running_cost_including_energy_is_not_double_counted() -> None:
    assets, operational = _building(running_cost_gbp=50_000.0)
    a = CostAssumptions(
        start_year=2025,
        horizon_years=3,
        electricity_price_gbp_kwh=0.25,
        gas_price_gbp_kwh=0.05,
        running_cost_includes_energy=True,
    )
    f = forecast(assets, operational, assumptions=a)
    assert f["running_cost_gbp"].tolist() == pytest.approx([15_000.0] * 3)  # 50,000 - 35,000


# --- carbon values -------------------------------------------------------------------------


def test_carbon_values_from_the_desnz_table() -> None:
    assert carbon_values([2025, 2030, 2050]).tolist() == [273.06, 294.5, 397.54]
    assert carbon_values([2030], series="low").tolist() == [147.25]
    assert carbon_values([2050], series="high").tolist() == [596.31]
    table = load_carbon_values()
    assert (table["price_base_year"] == 2022).all()
    assert table["source"].str.contains("DESNZ").all()
    # cross-check with the 2021 paper (2020 prices: £245 in 2021, £378 in 2050): the 2022-price
    # values are larger by the 2020-2022 price change, about 5 %
    assert 1.04 < table.loc[2021, "central"] / 245 < 1.06
    assert 1.04 < table.loc[2050, "central"] / 378 < 1.06


def test_carbon_values_after_2050_are_held_and_flagged() -> None:
    assert carbon_values([2060]).tolist() == [397.54]
    assets, operational = _building()
    f = forecast(assets, operational, assumptions=CostAssumptions(start_year=2049, horizon_years=3))
    assert f["carbon_value_extrapolated"].tolist() == [False, False, True]
    assert f["carbon_value_gbp"].tolist() == pytest.approx([3916.7, 3975.4, 3975.4])


def test_carbon_value_uplift_and_series() -> None:
    assets, operational = _building()
    a = CostAssumptions(
        start_year=2025, horizon_years=1, carbon_value_uplift=1.1, carbon_series="high"
    )
    f = forecast(assets, operational, assumptions=a)
    assert f["carbon_value_gbp"].iloc[0] == pytest.approx(10 * 409.6 * 1.1)


# --- payback -------------------------------------------------------------------------------


def _pv(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"asset_id": "A", "year": [2025, 2026, 2027], "pv_gbp": values})


def test_payback_year_worked_example() -> None:
    # base costs £100 a year; the option costs £250 now and nothing after.
    # savings in PV: -150, +100/1.035 = +96.62, +100/1.035^2 = +93.35
    # cumulative:    -150, -53.38, +39.97  -> pays back in 2027
    base = _pv([100.0, 100 / 1.035, 100 / 1.035**2])
    option = _pv([250.0, 0.0, 0.0])
    assert payback_year(base, option) == 2027
    assert payback_year(base, option, asset_id="A") == 2027


def test_payback_year_none_when_never() -> None:
    base = _pv([100.0, 100 / 1.035, 100 / 1.035**2])
    option = _pv([250.0, 50 / 1.035, 50 / 1.035**2])  # cumulative ends at -150 + 48.3 + 46.7 < 0
    assert payback_year(base, option) is None


def test_payback_years_of_every_asset_in_one_pass() -> None:
    years = [2025, 2026, 2027]
    base = pd.concat([_pv([100.0, 100 / 1.035, 100 / 1.035**2]),                  # A as above
                      _pv([10.0, 10.0, 10.0]).assign(asset_id="B"),               # B: never
                      _pv([5.0, np.nan, 5.0]).assign(asset_id="C")])              # C: unknown
    option = pd.concat([_pv([250.0, 0.0, 0.0]), _pv([40.0, 5.0, 5.0]).assign(asset_id="B"),
                        _pv([0.0, 0.0, 0.0]).assign(asset_id="C")])  # fmt: skip
    per_asset, total = payback_years(base, option)
    assert per_asset == {"A": 2027, "B": None, "C": None}
    assert total is None  # C's unknown 2026 makes every total from 2026 on unknown
    for a in "ABC":  # the one-pass answer is payback_year's, asset by asset
        assert payback_year(base, option, asset_id=a) == per_asset[a]
    ab = [f[f["asset_id"] != "C"] for f in (base, option)]
    # A and B together: -150 - 30 = -180; +96.62 + 5 = -78.38; +93.35 + 5 = +19.97 -> 2027
    assert payback_years(*ab)[1] == 2027 == payback_year(*ab)
    assert list(base["year"].unique()) == years
    with pytest.raises(DataContractError, match="same assets and years"):
        payback_year(base, option, asset_id="Z")


def test_payback_year_of_a_forecast_option() -> None:
    assets, operational = _building()
    a = CostAssumptions(start_year=2025, horizon_years=3)
    base = forecast(assets, operational, assumptions=a)
    act = pd.DataFrame({"asset_id": ["HC1"], "action": ["dispose"], "year": [2025]})
    option = forecast(assets, operational, assumptions=a, actions=act)
    assert payback_year(base, option) == 2025  # nothing to pay, every cost avoided


# --- assumptions ---------------------------------------------------------------------------


def test_every_assumption_has_a_unit_status_and_source() -> None:
    table = CostAssumptions().describe()
    assert len(table) >= 15
    assert table["source"].str.len().min() > 20
    assert set(table["status"]) <= {"verified", "secondary", "derived", "assumption"}
    assert table.set_index("field").loc["optimism_bias", "status"] == "verified"
    assert CostAssumptions().horizon_years == 30
    assert "keep" in ACTIONS


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("horizon", [0, -5])
def test_horizon_of_zero_or_less_is_refused(horizon: int) -> None:
    with pytest.raises(ConfigError, match="horizon_years must be a whole number of years >= 1"):
        CostAssumptions(horizon_years=horizon)
    with pytest.raises(ConfigError, match="n_years must be a whole number >= 1"):
        discount_factors(horizon)


def test_negative_rates_are_refused() -> None:
    with pytest.raises(ConfigError, match="electricity_price_gbp_kwh must be a finite number >= 0"):
        CostAssumptions(electricity_price_gbp_kwh=-0.1)
    with pytest.raises(ConfigError, match="refurbishment_gbp_m2 must be a finite number >= 0"):
        CostAssumptions(refurbishment_gbp_m2=math.inf)


def test_unknown_carbon_series_is_refused() -> None:
    with pytest.raises(ConfigError, match="carbon_series must be one of"):
        CostAssumptions(carbon_series="medium")
    with pytest.raises(ConfigError, match="series must be one of"):
        carbon_values([2030], series="medium")


def test_carbon_years_outside_the_table_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"years \[2019\] are outside the DESNZ table"):
        carbon_values([2019, 2020])
    with pytest.raises(ConfigError, match=r"years \[2051\] are outside"):
        carbon_values([2051], beyond="error")


def test_bad_schedule_is_refused() -> None:
    with pytest.raises(ConfigError, match="must start at year 0"):
        discount_factors(5, schedule=((1, 0.035),))


def test_unknown_action_is_refused() -> None:
    assets, operational = _building()
    act = pd.DataFrame({"asset_id": ["HC1"], "action": ["demolish"], "year": [2025]})
    with pytest.raises(ConfigError, match=r"unknown actions \['demolish'\]"):
        forecast(assets, operational, assumptions=THREE_YEARS, actions=act)


def test_action_for_unknown_asset_or_year_is_refused() -> None:
    assets, operational = _building()
    act = pd.DataFrame({"asset_id": ["XX"], "action": ["refurbish"], "year": [2025]})
    with pytest.raises(ConfigError, match="assets not in the asset layer: XX"):
        forecast(assets, operational, assumptions=THREE_YEARS, actions=act)
    late = pd.DataFrame({"asset_id": ["HC1"], "action": ["refurbish"], "year": [2030]})
    with pytest.raises(ConfigError, match="years outside the forecast 2025-2027 for assets HC1"):
        forecast(assets, operational, assumptions=THREE_YEARS, actions=late)


def test_retrofit_without_measures_or_factors_is_refused() -> None:
    assets, operational = _building()
    act = pd.DataFrame({"asset_id": ["HC1"], "action": ["retrofit"], "year": [2025]})
    with pytest.raises(ConfigError, match="retrofit without measures for assets HC1"):
        forecast(assets, operational, assumptions=THREE_YEARS, actions=act, factors=_Factors())
    act["measures"] = "heat_pump"
    with pytest.raises(ConfigError, match="need factors"):
        forecast(assets, operational, assumptions=THREE_YEARS, actions=act)
    act["measures"] = "windmill"
    with pytest.raises(ConfigError, match="unknown retrofit measures"):
        forecast(assets, operational, assumptions=THREE_YEARS, actions=act, factors=_Factors())


def test_action_after_disposal_is_refused() -> None:
    assets, operational = _building()
    act = pd.DataFrame(
        {"asset_id": ["HC1", "HC1"], "action": ["dispose", "refurbish"], "year": [2025, 2026]}
    )
    with pytest.raises(ConfigError, match="actions after disposal for assets HC1"):
        forecast(assets, operational, assumptions=THREE_YEARS, actions=act)


def test_negative_energy_is_refused() -> None:
    assets, operational = _building(electricity_kwh=-1.0)
    with pytest.raises(DataContractError, match="negative electricity_kwh for assets HC1"):
        forecast(assets, operational, assumptions=THREE_YEARS)


def test_missing_gia_where_an_estimate_needs_it() -> None:
    assets, operational = _building(gia_m2=np.nan, running_cost_gbp=np.nan)
    with pytest.raises(DataContractError, match="assets HC1 have no gia_m2"):
        forecast(assets, operational, assumptions=THREE_YEARS)
    with pytest.warns(DataQualityWarning, match="their values are NaN"):
        f = forecast(assets, operational, assumptions=THREE_YEARS, on_missing="nan")
    assert f["running_cost_gbp"].isna().all()
    assert npv(f)["pv_total_gbp"].isna().all()


def test_missing_gia_for_a_priced_action() -> None:
    assets, operational = _building(gia_m2=np.nan)
    act = pd.DataFrame({"asset_id": ["HC1"], "action": ["refurbish"], "year": [2025]})
    with pytest.raises(DataContractError, match="no gia_m2, needed to estimate"):
        forecast(assets, operational, assumptions=THREE_YEARS, actions=act)


def test_misaligned_or_incomplete_frames_are_refused() -> None:
    assets, operational = _building()
    with pytest.raises(DataContractError, match="not indexed like assets"):
        forecast(assets, operational.set_axis([7]), assumptions=THREE_YEARS)
    with pytest.raises(MissingColumnError, match=r"missing columns \['tco2e'\]"):
        forecast(assets, operational.drop(columns="tco2e"), assumptions=THREE_YEARS)
    with pytest.raises(MissingColumnError, match="npv: missing columns"):
        npv(pd.DataFrame({"asset_id": ["A"]}))


def test_payback_of_mismatched_forecasts_is_refused() -> None:
    base = _pv([100.0, 100.0, 100.0])
    with pytest.raises(DataContractError, match="same assets and years"):
        payback_year(base, base.iloc[:2])
    with pytest.raises(MissingColumnError, match="option lacks columns"):
        payback_year(base, base.drop(columns="pv_gbp"))


def test_repeated_asset_ids_are_refused() -> None:
    assets, operational = _building()
    two = pd.concat([assets, assets], ignore_index=True)
    with pytest.raises(DataContractError, match="asset_id repeated: HC1"):
        forecast(two, pd.concat([operational] * 2, ignore_index=True), assumptions=THREE_YEARS)

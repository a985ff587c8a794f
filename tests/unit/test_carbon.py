"""Operational and travel carbon, each formula checked against a hand-worked example."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estatesplan import carbon
from estatesplan import contracts as c
from estatesplan.errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    MissingColumnError,
)

F2024 = carbon.load_factors(2024)


def _assets(**cols: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {"asset_id": ["A"], "asset_type": ["clinic"], "gia_m2": [500.0]}
    base.update(cols)
    return pd.DataFrame(base)


# --- factor table ------------------------------------------------------------------------


def test_factor_table_2024_values_units_and_ids() -> None:
    assert F2024.year == 2024
    assert F2024.get("electricity") == 0.20705
    assert F2024.unit("electricity") == "kgCO2e/kWh"
    assert F2024.desnz_id("electricity") == "7_400_4000_5_1"
    assert F2024.get("gas") == 0.1829
    assert F2024.get("car_average") == 0.16691
    assert F2024.unit("car_average") == "kgCO2e/vehicle-km"
    assert F2024.unit("bus") == "kgCO2e/passenger-km"
    assert F2024.get("cycle") == F2024.get("walk") == 0.0
    assert "DESNZ" in F2024.source("gas") and "1_100_1004_6_1" in F2024.source("gas")
    needed = {"electricity", "electricity_td", "gas", "oil", "car_average", "car_petrol"}
    needed |= {"car_diesel", "car_bev", "car_phev", "taxi", "bus", "rail", "underground"}
    assert needed <= set(F2024.keys())


def test_factor_years_match_the_table() -> None:
    table = carbon.load_factor_table()
    assert sorted(set(table["year"])) == list(carbon.FACTOR_YEARS)
    assert (table["source"].str.strip() != "").all() and (table["notes"].str.strip() != "").all()


def test_earlier_year_maps_financial_year_to_its_first_calendar_year() -> None:
    f = carbon.load_factors(2020)
    assert f.get("electricity") == 0.23314  # SDU column 2020-21 = the 2020 government set
    assert "2020-21" in f.source("electricity")
    assert carbon.load_factors(2011).get("electricity") == 0.45205


def test_factor_year_not_in_table() -> None:
    with pytest.raises(
        ConfigError,
        match=r"year 2023 is not in the factor table; years available: 2007, .*2020, 2024",
    ):
        carbon.load_factors(2023)


def test_unknown_factor_key() -> None:
    with pytest.raises(
        ConfigError, match=r"'tram' is not in the 2024 factor table; keys for 2024: bus"
    ):
        F2024.get("tram")


def test_key_missing_from_an_earlier_year() -> None:
    with pytest.raises(ConfigError, match=r"'underground' is not in the 2015 factor table"):
        carbon.load_factors(2015).get("underground")


def test_own_factor_table(tmp_path: Path) -> None:
    p = tmp_path / "f.csv"
    p.write_text(
        "key,year,value,unit,desnz_id,description,source,notes\n"
        "electricity,2030,0.05,kgCO2e/kWh,,grid,my projection,assumed\n",
        encoding="utf-8",
    )
    assert carbon.load_factors(2030, path=p).get("electricity") == 0.05
    p.write_text(
        "key,year,value,unit,desnz_id,description,source,notes\ngas,2030,-1,kgCO2e/kWh,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(DataSourceError, match=r"malformed rows \(file lines 2\)"):
        carbon.load_factors(2030, path=p)


# --- operational emissions ---------------------------------------------------------------


def test_metered_building_worked_on_paper() -> None:
    # 10,000 kWh electricity x 0.20705 kgCO2e/kWh = 2,070.5 kg = 2.0705 t
    # 50,000 kWh gas x 0.1829 kgCO2e/kWh = 9,145 kg = 9.145 t      -> total 11.2155 t/yr
    # per m² GIA: 11,215.5 kg / 500 m² = 22.431 kg/m²
    # occupied = 500 - 100 spare = 400 m²: 11,215.5 / 400 = 28.03875 kg/m²
    a = _assets(electricity_kwh=[10_000.0], gas_kwh=[50_000.0], available_m2=[100.0])
    out = carbon.operational_emissions(a, F2024)
    row = out.iloc[0]
    assert row["tco2e_electricity"] == pytest.approx(2.0705)
    assert row["tco2e_gas"] == pytest.approx(9.145)
    assert row["tco2e"] == pytest.approx(11.2155)
    assert row["kgco2e_per_m2"] == pytest.approx(22.431)
    assert row["occupied_m2"] == 400.0
    assert row["kgco2e_per_occupied_m2"] == pytest.approx(28.03875)
    assert not row["energy_estimated"] and row["energy_basis"] == "electricity metered; gas metered"
    assert row["factor_year"] == 2024
    assert list(out.index) == list(a.index)


def test_td_losses_and_oil() -> None:
    # with T&D: 10,000 x (0.20705 + 0.0183) = 2,253.5 kg; oil 1,000 kWh x 0.24677 = 246.77 kg
    a = _assets(electricity_kwh=[10_000.0], gas_kwh=[0.0], oil_kwh=[1_000.0])
    row = carbon.operational_emissions(a, F2024, include_td=True).iloc[0]
    assert row["tco2e_electricity"] == pytest.approx(2.2535)
    assert row["tco2e_oil"] == pytest.approx(0.24677)
    assert row["tco2e"] == pytest.approx(2.2535 + 0.24677)


def test_estimated_building_from_benchmark_x_gia() -> None:
    # clinic (CIBSE TM46 'Clinic' 70 / 200 kWh/m²/yr), GIA 1,000 m², nothing metered:
    # electricity 70,000 kWh x 0.20705 = 14.4935 t; gas 200,000 kWh x 0.1829 = 36.58 t
    a = _assets(gia_m2=[1_000.0], electricity_kwh=[np.nan], gas_kwh=[np.nan])
    row = carbon.operational_emissions(a, F2024).iloc[0]
    assert row["electricity_kwh"] == 70_000.0 and row["gas_kwh"] == 200_000.0
    assert row["tco2e"] == pytest.approx(14.4935 + 36.58)
    assert row["energy_estimated"] and row["electricity_estimated"] and row["gas_estimated"]
    assert "CIBSE TM46 'Clinic' 70 kWh/m²/yr x GIA 1000 m²" in row["energy_basis"]


def test_partly_metered_building_estimates_only_the_gap() -> None:
    a = _assets(asset_type=["school"], electricity_kwh=[30_000.0], gas_kwh=[np.nan])
    row = carbon.operational_emissions(a, F2024).iloc[0]
    assert row["electricity_kwh"] == 30_000.0 and not row["electricity_estimated"]
    assert row["gas_kwh"] == 150.0 * 500 and row["gas_estimated"] and row["energy_estimated"]
    assert row["energy_basis"].startswith("electricity metered; gas estimated")


def test_occupancy_share_and_unknown_spare_space() -> None:
    a = pd.DataFrame(
        {
            "asset_id": ["A", "B"],
            "asset_type": ["clinic", "clinic"],
            "gia_m2": [500.0, 500.0],
            "electricity_kwh": [10_000.0, 10_000.0],
            "gas_kwh": [50_000.0, 50_000.0],
            "available_m2": [100.0, np.nan],
        }
    )
    out = carbon.operational_emissions(a, F2024)
    assert np.isnan(out["kgco2e_per_occupied_m2"].iloc[1])  # spare space unknown: not assumed 0
    share = carbon.operational_emissions(a, F2024, occupancy=0.8)
    assert share["occupied_m2"].tolist() == [400.0, 400.0]
    assert share["kgco2e_per_occupied_m2"].iloc[1] == pytest.approx(11_215.5 / 400)


def test_metered_building_without_gia_needs_no_estimate() -> None:
    a = _assets(gia_m2=[np.nan], electricity_kwh=[1_000.0], gas_kwh=[0.0])
    row = carbon.operational_emissions(a, F2024).iloc[0]
    assert row["tco2e"] == pytest.approx(0.20705) and np.isnan(row["kgco2e_per_m2"])


def test_negative_energy_names_the_assets() -> None:
    a = pd.DataFrame(
        {
            "asset_id": ["A", "B", "C"],
            "asset_type": ["clinic"] * 3,
            "gia_m2": [100.0] * 3,
            "electricity_kwh": [1.0, 1.0, -5.0],
            "gas_kwh": [1.0, -2.0, 1.0],
        }
    )
    with pytest.raises(
        DataContractError,
        match=r"negative `electricity_kwh` for assets C; negative `gas_kwh` for assets B",
    ):
        carbon.operational_emissions(a, F2024)


def test_missing_gia_where_an_estimate_is_needed() -> None:
    a = pd.DataFrame(
        {
            "asset_id": ["A", "B"],
            "asset_type": ["clinic", "library"],
            "gia_m2": [np.nan, 200.0],
            "electricity_kwh": [np.nan, np.nan],
            "gas_kwh": [1_000.0, np.nan],
        }
    )
    with pytest.raises(DataContractError, match=r"gia_m2 missing or zero for assets A\b"):
        carbon.operational_emissions(a, F2024)
    with pytest.warns(DataQualityWarning, match="gia_m2 missing or zero for assets A"):
        out = carbon.operational_emissions(a, F2024, on_missing="nan")
    assert np.isnan(out["tco2e"].iloc[0]) and not out["electricity_estimated"].iloc[0]
    assert "unknown" in out["energy_basis"].iloc[0]
    assert out["tco2e"].iloc[1] == pytest.approx((70 * 200 * 0.20705 + 200 * 200 * 0.1829) / 1000)


def test_asset_type_without_benchmark() -> None:
    a = _assets(asset_type=["bowling_alley"], electricity_kwh=[np.nan], gas_kwh=[0.0])
    with pytest.raises(
        DataContractError, match=r"no benchmark for asset types bowling_alley \(assets A\)"
    ):
        carbon.operational_emissions(a, F2024)


def test_spare_space_above_gia() -> None:
    a = _assets(electricity_kwh=[1.0], gas_kwh=[1.0], available_m2=[600.0])
    with pytest.raises(DataContractError, match="available_m2 exceeds gia_m2 for assets A"):
        carbon.operational_emissions(a, F2024)


def test_non_numeric_energy() -> None:
    a = _assets(electricity_kwh=["lots"], gas_kwh=[1.0])
    with pytest.raises(DataContractError, match="`electricity_kwh` is not a number for assets A"):
        carbon.operational_emissions(a, F2024)


def test_every_asset_type_has_a_documented_benchmark() -> None:
    bench = carbon.load_benchmarks()
    assert set(c.ASSET_TYPES) <= set(bench.index)
    assert bench.loc["hospital", ["electricity_kwh_m2", "fossil_kwh_m2"]].tolist() == [90, 420]
    assert bench.loc["council_office", "tm46_category"] == "General office"
    assert (bench["source"].str.contains("TM46")).all() and (bench["notes"].str.len() > 0).all()


# --- visits ------------------------------------------------------------------------------


def _zones(count: float = 10.0) -> pd.DataFrame:
    return pd.DataFrame({"zone_id": ["Z1"], **{b: [count] for b in c.AGE_BANDS}})


def test_visits_by_age_band() -> None:
    # 10 people in every band x the packaged rates, which sum to 105.33 visits/person/yr
    # over the 18 bands (3.24 + 1.22 + 1.07 + 2.7 + ... + 12.5 + 13.5) -> 1,053.3 visits
    assert carbon.visits_per_year(_zones())[0] == pytest.approx(1_053.3)
    rates = dict.fromkeys(c.AGE_BANDS, 1.0) | {"age_85_plus": 11.0}
    assert carbon.visits_per_year(_zones(2.0), rates=rates)[0] == pytest.approx(2 * 17 + 22)
    table = pd.read_csv(Path(carbon.__file__).parent / "data" / "visit_rates.csv")
    assert set(table["basis"]) <= {"verified", "derived", "assumed"}
    assert (table["source"].str.len() > 0).all() and (table["notes"].str.len() > 0).all()


def test_visits_bad_input() -> None:
    with pytest.raises(MissingColumnError, match="age-band columns age_85_plus missing"):
        carbon.visits_per_year(_zones().drop(columns="age_85_plus"))
    with pytest.raises(DataContractError, match="negative or not a number for zones Z1"):
        carbon.visits_per_year(_zones().assign(age_0_4=-1.0))
    with pytest.raises(ConfigError, match="bands age_0_4 missing"):
        carbon.visits_per_year(_zones(), rates=dict.fromkeys(c.AGE_BANDS[1:], 1.0))
    with pytest.warns(DataQualityWarning, match="unknown for zones Z1"):
        assert np.isnan(carbon.visits_per_year(_zones().assign(age_5_9=np.nan))[0])


# --- mode shares and distance ------------------------------------------------------------


def test_mode_shares_sum_to_one_and_blend_car_availability() -> None:
    d = np.repeat([0.0, 0.5, 1.609, 3.0, 5.0, 10.0, 20.0, 100.0], 3)
    s = np.tile([0.0, 0.37, 1.0], 8)
    shares = carbon.mode_shares(d, s)
    assert list(shares.columns) == list(carbon.MODES)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-12)
    # 0.5 km, a quarter of households without a car: walk = 0.75 x 0.78 + 0.25 x 0.88 = 0.805
    one = carbon.mode_shares(pd.Series([0.5], index=["Z1"]), [0.25])
    assert one.loc["Z1", "walk"] == pytest.approx(0.805)
    # 1.609 km starts the "1 to under 2 miles" band: car households walk 0.28
    assert carbon.mode_shares([1.609], [0.0])["walk"].iloc[0] == pytest.approx(0.28)


def test_mode_shares_unknowns_and_bad_input() -> None:
    assert carbon.mode_shares([np.nan], [0.5]).isna().all(axis=None)
    with pytest.warns(DataQualityWarning, match="car availability unknown at positions 0"):
        assert carbon.mode_shares([1.0], [np.nan]).isna().all(axis=None)
    filled = carbon.mode_shares([1.0], [np.nan], fill_no_car=0.0)
    assert filled["walk"].iloc[0] == pytest.approx(0.78)
    with pytest.raises(DataContractError, match="negative distance at positions 1"):
        carbon.mode_shares([1.0, -1.0], [0.1, 0.1])
    with pytest.raises(DataContractError, match=r"no_car_share outside \[0, 1\] at positions 0"):
        carbon.mode_shares([1.0], [1.5])
    with pytest.raises(DataContractError, match="2 values but no_car_share has 1"):
        carbon.mode_shares([1.0, 2.0], [0.1])


def test_mode_share_table_must_sum_to_one() -> None:
    table = carbon.load_mode_share_table()
    table.loc[0, "walk"] += 0.1
    with pytest.raises(DataSourceError, match="sum to 1 on rows 1"):
        carbon.mode_shares([1.0], [0.0], table=table)


def test_trip_km_detour_factor() -> None:
    assert carbon.trip_km([2.0, np.nan])[0] == pytest.approx(2.6)
    assert carbon.trip_km(2.0, circuity=1.0) == pytest.approx(2.0)
    with pytest.raises(ConfigError, match="circuity must be a number >= 1"):
        carbon.trip_km([1.0], circuity=0.9)


# --- travel emissions --------------------------------------------------------------------

SHARES = pd.DataFrame(
    {"walk": [0.25], "cycle": [0.0], "bus": [0.25], "rail": [0.0], "car": [0.5]}, index=["Z1"]
)


def test_journey_worked_on_paper() -> None:
    # 100 visits a year, 2 km straight line x 1.3 = 2.6 km each way, there and back:
    # trips = 200; person-km = 200 x 2.6 = 520: walk 130, bus 130, car 260
    # car: 260 person-km / 1.5 people per car = 173.33 vehicle-km x 0.16691 = 28.931067 kg
    # bus: 130 passenger-km x 0.10846 = 14.0998 kg; walk 0  -> 43.030867 kg = 0.043030867 t
    out = carbon.travel_emissions([100.0], carbon.trip_km([2.0]), SHARES, F2024)
    row = out.loc["Z1"]
    assert row["trips"] == 200.0
    assert row["km_car"] == pytest.approx(260.0) and row["km_bus"] == pytest.approx(130.0)
    assert row["vkm_car"] == pytest.approx(173.333333)
    assert row["tco2e_car"] == pytest.approx(0.028931067)
    assert row["tco2e_bus"] == pytest.approx(0.0140998)
    assert row["tco2e_walk"] == 0.0
    assert row["tco2e"] == pytest.approx(0.043030867)
    one_way = carbon.travel_emissions([100.0], [2.6], SHARES, F2024, round_trip=False)
    assert one_way["tco2e"].iloc[0] == pytest.approx(0.043030867 / 2)
    london = carbon.travel_emissions([100.0], [2.6], SHARES, F2024, mode_keys={"bus": "bus_london"})
    assert london["tco2e_bus"].iloc[0] == pytest.approx(130 * 0.07447 / 1000)


def test_travel_emissions_bad_input() -> None:
    with pytest.raises(DataContractError, match="negative visits at Z1"):
        carbon.travel_emissions([-1.0], [1.0], SHARES, F2024)
    with pytest.raises(DataContractError, match="not summing to 1 at Z1"):
        carbon.travel_emissions([1.0], [1.0], SHARES.assign(car=0.4), F2024)
    with pytest.raises(DataContractError, match="1 visits, 2 distances and 1 share rows"):
        carbon.travel_emissions([1.0], [1.0, 2.0], SHARES, F2024)
    with pytest.raises(ConfigError, match="occupancy must be a positive number"):
        carbon.travel_emissions([1.0], [1.0], SHARES, F2024, occupancy=0)
    with pytest.raises(ConfigError, match="factor 'bus' for car is in kgCO2e/passenger-km"):
        carbon.travel_emissions([1.0], [1.0], SHARES, F2024, mode_keys={"car": "bus"})


def test_unreachable_zone_stays_nan() -> None:
    shares = carbon.mode_shares([np.nan], [0.2])
    out = carbon.travel_emissions([10.0], [np.nan], shares, F2024)
    assert out["trips"].iloc[0] == 20.0 and np.isnan(out["tco2e"].iloc[0])

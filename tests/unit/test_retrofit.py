"""Retrofit measures, trajectories and the NHS net-zero gap, worked by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estatesplan.errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    MissingColumnError,
)
from estatesplan.retrofit import (
    GRID_PATHS,
    MEASURES,
    NHS_TARGETS,
    apply_measures,
    electricity_factor_path,
    load_measures,
    net_zero_gap,
    retrofit_trajectory,
)


class _Factors:
    """DESNZ 2024 grid electricity and natural gas (kgCO2e/kWh), as carbon.load_factors gives."""

    def get(self, key: str) -> float:
        return {"electricity": 0.20705, "gas": 0.18290}[key]


def _one(measures: list[str], el: float = 100_000.0, gas: float = 200_000.0) -> tuple[float, float]:
    e, g = apply_measures([el], [gas], [1000.0], measures)
    return float(e[0]), float(g[0])


def _estate() -> tuple[pd.DataFrame, pd.DataFrame]:
    assets = pd.DataFrame({"asset_id": ["HC1", "LIB"], "gia_m2": [1000.0, 500.0]})
    operational = pd.DataFrame(
        {
            "electricity_kwh": [100_000.0, 40_000.0],
            "gas_kwh": [200_000.0, 0.0],
            "energy_estimated": [False, True],
            "energy_basis": ["metered", "benchmark: library"],
        }
    )
    return assets, operational


# --- measures on a worked building --------------------------------------------------------


def test_heat_pump_swap_on_a_worked_building() -> None:
    # Gas boiler at 84 % delivered 200,000 x 0.84 = 168,000 kWh of heat; a heat pump with
    # SCOP 2.8 needs 168,000 / 2.8 = 60,000 kWh: electricity 100,000 -> 160,000, gas -> 0.
    assert _one(["heat_pump"]) == pytest.approx((160_000.0, 0.0))
    # emissions at 2024 factors: before 100,000 x 0.20705 + 200,000 x 0.18290 = 57,285 kg;
    # after 160,000 x 0.20705 = 33,128 kg
    assets, operational = _estate()
    tr = retrofit_trajectory(
        assets, operational, _Factors(), start_year=2025, end_year=2026,
        plan=pd.DataFrame({"asset_id": ["HC1"], "measure": ["heat_pump"], "year": [2026]}),
    )  # fmt: skip
    hc1 = tr[tr["asset_id"] == "HC1"].set_index("year")
    assert hc1.loc[2025, "tco2e"] == pytest.approx(57.285)
    assert hc1.loc[2026, "tco2e"] == pytest.approx(33.128)
    assert hc1.loc[2026, "tco2e_gas"] == 0.0
    assert hc1.loc[2025, "measures"] == ""
    assert hc1.loc[2026, "measures"] == "heat_pump"


def test_each_measure_alone() -> None:
    assert _one(["fabric"]) == pytest.approx((100_000.0, 170_000.0))  # gas x (1 - 0.15)
    assert _one(["led_lighting"]) == pytest.approx((86_000.0, 200_000.0))  # 1 - 0.20 x 0.70
    # PV: 1,000 m² GIA x 0.25 roof x 0.2 kWp/m² = 50 kWp x 850 kWh/kWp = 42,500 kWh
    assert _one(["solar_pv"]) == pytest.approx((57_500.0, 200_000.0))
    assert _one(["solar_pv"], el=10_000.0) == pytest.approx((0.0, 200_000.0))  # no export credit
    assert load_measures().capex_gbp_m2("solar_pv") == pytest.approx(1250 * 0.2 * 0.25)


def test_measures_apply_in_a_fixed_order() -> None:
    # fabric: gas 170,000; LED: power 86,000; heat pump: + 170,000 x 0.84 / 2.8 = 51,000
    # -> 137,000, gas 0; PV: 137,000 - 42,500 = 94,500
    shuffled = _one(["solar_pv", "heat_pump", "led_lighting", "fabric"])
    assert shuffled == pytest.approx((94_500.0, 0.0))
    assert _one(list(MEASURES)) == shuffled


def test_unknown_energy_stays_unknown() -> None:
    e, g = apply_measures([np.nan], [200_000.0], [1000.0], ["heat_pump"])
    assert np.isnan(e[0])
    assert g[0] == 0.0


def test_every_measure_row_has_a_source_and_status() -> None:
    frame = load_measures().frame
    assert set(frame["measure"]) == set(MEASURES)
    assert frame["source"].str.len().min() > 20
    assert set(frame["status"]) <= {"verified", "secondary", "assumption"}
    assert load_measures().get("heat_pump", "scop") == 2.8
    assert load_measures().lifetime_years("heat_pump") == 20


# --- trajectories --------------------------------------------------------------------------


def test_trajectory_counts_measures_from_their_install_year() -> None:
    assets, operational = _estate()
    plan = pd.DataFrame(
        {"asset_id": ["HC1", "HC1"], "measure": ["heat_pump", "fabric"], "year": [2028, 2026]}
    )
    tr = retrofit_trajectory(
        assets, operational, _Factors(), start_year=2025, end_year=2030, plan=plan
    )
    hc1 = tr[tr["asset_id"] == "HC1"].set_index("year")
    assert hc1.loc[2025, "gas_kwh"] == 200_000.0
    assert hc1.loc[2026, "gas_kwh"] == pytest.approx(170_000.0)
    assert hc1.loc[2028, "electricity_kwh"] == pytest.approx(151_000.0)
    assert hc1.loc[2030, "measures"] == "fabric,heat_pump"
    assert len(tr) == 2 * 6
    lib = tr[tr["asset_id"] == "LIB"]
    assert lib["energy_estimated"].all()
    assert (lib["energy_basis"] == "benchmark: library").all()
    assert (tr["grid_basis"] == "constant grid factor (no decarbonisation assumed)").all()


def test_trajectory_plan_as_a_list_applies_to_every_asset() -> None:
    assets, operational = _estate()
    tr = retrofit_trajectory(
        assets, operational, _Factors(), start_year=2025, end_year=2025, plan=["led_lighting"]
    )
    assert tr["electricity_kwh"].tolist() == pytest.approx([86_000.0, 34_400.0])


def test_grid_decarbonisation_paths() -> None:
    years = np.arange(2025, 2041)
    const = electricity_factor_path(0.2, years)
    assert (const == 0.2).all()
    path = electricity_factor_path(0.2, years, "power_2035")
    # linear from 0.2 in 2025 to 10 % of it (0.02) in 2035: 2030 is half-way = 0.11
    assert path[5] == pytest.approx(0.11)
    assert path[10:] == pytest.approx([0.02] * 6)
    assert GRID_PATHS["power_2035"] == (2035, 0.10)
    given = electricity_factor_path(0.2, years, {2025: 0.2, 2035: 0.05})
    assert given[5] == pytest.approx(0.125)
    assert given[-1] == pytest.approx(0.05)


def test_trajectory_with_grid_decarbonisation() -> None:
    assets, operational = _estate()
    tr = retrofit_trajectory(
        assets, operational, _Factors(), start_year=2025, end_year=2035,
        grid_decarbonisation="power_2035",
    )  # fmt: skip
    lib = tr[tr["asset_id"] == "LIB"].set_index("year")
    assert lib.loc[2025, "tco2e"] == pytest.approx(40_000 * 0.20705 / 1000)
    assert lib.loc[2035, "tco2e"] == pytest.approx(40_000 * 0.020705 / 1000)
    assert "assumption power_2035" in lib["grid_basis"].iloc[0]


# --- net-zero gap on a worked place -------------------------------------------------------


def _flat_place() -> pd.DataFrame:
    years = np.arange(2025, 2043)
    return pd.DataFrame(
        {
            "asset_id": np.repeat(["A", "B"], len(years)),
            "year": np.tile(years, 2),
            "tco2e": np.repeat([60.0, 40.0], len(years)),
        }
    )


def test_net_zero_gap_on_a_worked_place() -> None:
    # Place of two assets, 60 t + 40 t = 100 t a year, unchanged. Baseline 2025 = 100 t.
    # Target share falls linearly from 1 (2025) to 0.2 (2032), then to 0 (2040):
    #   2028: 1 - 0.8 x 3/7 = 0.657143 -> target 65.714 t, gap 34.286 t
    #   2032: 0.2 -> target 20 t, gap 80 t;  2036: 0.2 - 0.2 x 4/8 = 0.1 -> gap 90 t
    #   2040 and after: 0 -> gap 100 t
    gap = net_zero_gap(_flat_place(), baseline_year=2025).set_index("year")
    assert gap.loc[2025, "baseline_tco2e"] == 100.0
    assert gap.loc[2025, "gap_tco2e"] == 0.0
    assert gap.loc[2028, "target_tco2e"] == pytest.approx(100 * (1 - 0.8 * 3 / 7))
    assert gap.loc[2028, "gap_tco2e"] == pytest.approx(100 * 0.8 * 3 / 7)
    assert gap.loc[2032, "gap_tco2e"] == pytest.approx(80.0)
    assert gap.loc[2036, "gap_tco2e"] == pytest.approx(90.0)
    assert gap.loc[2042, "target_tco2e"] == 0.0
    assert not gap.loc[2026:, "on_track"].any()
    assert (gap["reduction_vs_baseline"] == 0.0).all()
    assert "1990" in gap["baseline_basis"].iloc[0]
    assert "configured baseline year 2025" in gap["baseline_basis"].iloc[0]
    assert NHS_TARGETS == ((2032, 0.20), (2040, 0.0))


def test_net_zero_gap_by_asset_and_by_place() -> None:
    tr = _flat_place()
    tr.loc[(tr["asset_id"] == "A") & (tr["year"] >= 2030), "tco2e"] = 0.0  # A goes net zero in 2030
    by_asset = net_zero_gap(tr, baseline_year=2025, by="asset")
    a2032 = by_asset[(by_asset["group"] == "A") & (by_asset["year"] == 2032)].iloc[0]
    assert a2032["on_track"]
    assert a2032["reduction_vs_baseline"] == 1.0
    places = net_zero_gap(tr, baseline_year=2025, by={"A": "north", "B": "south"})
    assert set(places["group"]) == {"north", "south"}
    total = net_zero_gap(tr, baseline_year=2025).set_index("year")
    assert total.loc[2032, "projected_tco2e"] == 40.0
    assert total.loc[2032, "gap_tco2e"] == pytest.approx(20.0)  # 40 t against a 20 t target


def test_strict_reading_of_the_interim_target() -> None:
    gap = net_zero_gap(_flat_place(), baseline_year=2025, targets=((2028, 0.2), (2040, 0.0)))
    assert gap.set_index("year").loc[2028, "target_tco2e"] == pytest.approx(20.0)


def test_unknown_emissions_make_the_group_unknown() -> None:
    tr = _flat_place()
    tr.loc[0, "tco2e"] = np.nan
    with pytest.warns(DataQualityWarning, match="unknown emissions for assets A"):
        gap = net_zero_gap(tr, baseline_year=2025)
    assert np.isnan(gap["baseline_tco2e"]).all()


# --- bad input -----------------------------------------------------------------------------


def test_unknown_measure_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"unknown retrofit measures \['windmill'\]"):
        apply_measures([1.0], [1.0], [1.0], ["windmill"])
    with pytest.raises(ConfigError, match="has no parameter 'colour'"):
        load_measures().get("fabric", "colour")


def test_negative_energy_is_refused() -> None:
    with pytest.raises(DataContractError, match="gas_kwh is negative"):
        apply_measures([1.0], [-1.0], [1.0], ["fabric"])
    assets, operational = _estate()
    operational.loc[1, "electricity_kwh"] = -5.0
    with pytest.raises(DataContractError, match="negative electricity_kwh for assets LIB"):
        retrofit_trajectory(assets, operational, _Factors(), start_year=2025)


def test_bad_plans_are_refused() -> None:
    assets, operational = _estate()
    with pytest.raises(ConfigError, match="end_year 2020 is before start_year 2025"):
        retrofit_trajectory(assets, operational, _Factors(), start_year=2025, end_year=2020)
    plan = pd.DataFrame(
        {"asset_id": ["XX", "HC1", "HC1"], "measure": ["fabric"] * 3, "year": [2025, 2026, 2060]}
    )
    with pytest.raises(ConfigError, match="assets not in the asset layer: XX") as err:
        retrofit_trajectory(assets, operational, _Factors(), start_year=2025, plan=plan)
    assert "measures repeated for assets HC1" in str(err.value)
    assert "install years outside 2025-2050" in str(err.value)
    with pytest.raises(ConfigError, match="missing columns"):
        retrofit_trajectory(
            assets, operational, _Factors(), start_year=2025, plan=plan.drop(columns="year")
        )


def test_solar_without_gia_is_refused() -> None:
    assets, operational = _estate()
    assets.loc[1, "gia_m2"] = np.nan
    with pytest.raises(
        DataContractError, match="solar_pv is planned for assets without a valid gia_m2: LIB"
    ):
        retrofit_trajectory(assets, operational, _Factors(), start_year=2025, plan=["solar_pv"])


def test_misaligned_or_incomplete_frames_are_refused() -> None:
    assets, operational = _estate()
    with pytest.raises(DataContractError, match="not indexed like assets"):
        retrofit_trajectory(assets, operational.set_axis([5, 6]), _Factors(), start_year=2025)
    with pytest.raises(MissingColumnError, match="gas_kwh"):
        retrofit_trajectory(
            assets, operational.drop(columns="gas_kwh"), _Factors(), start_year=2025
        )
    with pytest.raises(MissingColumnError, match="lacks columns"):
        net_zero_gap(_flat_place().drop(columns="tco2e"), baseline_year=2025)


def test_bad_grid_paths_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown grid_decarbonisation 'magic'"):
        electricity_factor_path(0.2, [2025], "magic")
    with pytest.raises(ConfigError, match="at least one"):
        electricity_factor_path(0.2, [2025], {})
    with pytest.raises(ConfigError, match="non-negative"):
        electricity_factor_path(0.2, [2025], {2030: -0.1})


def test_bad_baselines_and_targets_are_refused() -> None:
    tr = _flat_place()
    with pytest.raises(
        ConfigError, match="baseline_year 2033 must be before the first target year 2032"
    ):
        net_zero_gap(tr, baseline_year=2033)
    with pytest.raises(ConfigError, match="baseline_year 2020 is not in the trajectory"):
        net_zero_gap(tr, baseline_year=2020)
    with pytest.raises(ConfigError, match="increasing years and shares in"):
        net_zero_gap(tr, baseline_year=2025, targets=((2040, 0.0), (2032, 0.2)))
    with pytest.raises(ConfigError, match="shares in"):
        net_zero_gap(tr, baseline_year=2025, targets=((2032, 1.5),))
    with pytest.raises(ConfigError, match="no group given for assets B"):
        net_zero_gap(tr, baseline_year=2025, by={"A": "north"})
    with pytest.raises(ConfigError, match="is not 'total', 'asset'"):
        net_zero_gap(tr, baseline_year=2025, by="place")


def test_bad_measure_tables_are_refused(tmp_path: Path) -> None:
    frame = load_measures().frame.copy()
    frame.loc[frame["parameter"] == "lighting_saving", "value"] = 1.7
    bad = tmp_path / "measures.csv"
    frame.to_csv(bad, index=False)
    with pytest.raises(
        DataSourceError, match=r"led_lighting/lighting_saving = 1\.7 is not a valid value"
    ):
        load_measures(bad)
    frame = load_measures().frame
    frame[frame["parameter"] != "scop"].to_csv(bad, index=False)
    with pytest.raises(
        DataSourceError, match=r"heat_pump needs exactly one row for each of \['scop'\]"
    ):
        load_measures(bad)


def test_repeated_asset_ids_are_refused() -> None:
    assets, operational = _estate()
    assets.loc[1, "asset_id"] = "HC1"
    with pytest.raises(DataContractError, match="asset_id repeated: HC1"):
        retrofit_trajectory(assets, operational, _Factors(), start_year=2025)

"""Carbon and whole-life cost over a whole study: config, the demo end to end, exports."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from estatesplan import export, pipeline
from estatesplan.config import load_config
from estatesplan.errors import ConfigError
from estatesplan.study import Study
from tests.unit.test_config import MINIMAL, _write


def test_carbon_and_costs_config(tmp_path: Path) -> None:
    text = MINIMAL + (
        "\n[carbon]\nfactor_year = 2019\ncircuity = 1.2\nno_car_share = 0.4\n"
        'retrofit = ["heat_pump"]\nretrofit_year = 2028\n'
        '\n[costs]\nstart_year = 2027\nhorizon_years = 40\ncarbon_values = "high"\n'
        "electricity_price_gbp_kwh = 0.3\n"
    )
    cfg = load_config(_write(tmp_path, text))
    assert (cfg.carbon.factor_year, cfg.carbon.circuity, cfg.carbon.no_car_share) == (
        2019,
        1.2,
        0.4,
    )
    assert cfg.carbon.retrofit == ("heat_pump",) and cfg.carbon.retrofit_year == 2028
    assert (cfg.costs.start_year, cfg.costs.horizon_years, cfg.costs.carbon_values) == (
        2027,
        40,
        "high",
    )
    assert cfg.costs.overrides == {"electricity_price_gbp_kwh": 0.3}
    defaults = load_config(_write(tmp_path, MINIMAL))
    assert defaults.carbon.factor_year == 2024 and defaults.costs.horizon_years == 30


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        (
            "[carbon]\nfactor_year = 2023",
            r"factor_year 2023 is not in the factor table \(years: 2007",
        ),
        ("[carbon]\nno_car_share = 1.5", "no_car_share must be between 0 and 1"),
        ("[carbon]\ncircuity = 0.5", "circuity must be 1 or more"),
        ("[carbon]\nretrofit = ['windmill']", r"unknown retrofit measures \['windmill'\]"),
        ("[carbon]\nvisits_set = 'castles'", "visits_set 'castles' is not a defined asset set"),
        ("[costs]\nhorizon_years = 0", "horizon_years must be at least 1"),
        ("[costs]\ncarbon_values = 'medium'", "carbon_values = 'medium' is not one of"),
        ("[costs]\nfuel_price = 2", "unknown key 'fuel_price'"),
        ("[costs]\nelectricity_price_gbp_kwh = -1", r"\[costs\].*electricity_price_gbp_kwh"),
    ],
)
def test_bad_carbon_and_costs(tmp_path: Path, snippet: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, MINIMAL + "\n" + snippet + "\n"))


@pytest.fixture(scope="module")
def demo() -> Study:
    return pipeline.demo_study(seed=0)


def test_demo_carbon_outputs(demo: Study) -> None:
    r = demo.carbon
    assert r is not None
    a = r.assets
    assert len(a) == len(demo.assets)
    # the demo register has metered energy: tCO2e = kWh × 2024 factors / 1000
    row = a.iloc[0]
    expected = (row["electricity_kwh"] * 0.20705 + row["gas_kwh"] * 0.1829) / 1000
    assert row["tco2e"] == pytest.approx(expected)
    assert not row["energy_estimated"] and "metered" in row["energy_basis"]
    z = r.zones
    assert z["visits"].sum() / demo.zones["population"].sum() == pytest.approx(5.0, abs=0.5)
    shares = z[[col for col in z.columns if col.startswith("share_")]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    assert (z["no_car_basis"] == "Census TS045").all()  # the demo has a car table
    n = r.neighbourhoods
    assert n["buildings_tco2e"].sum() == pytest.approx(a["tco2e"].sum())
    assert set(r.trajectory["pathway"]) == {"no_action", "retrofit"}
    nz = r.net_zero[(r.net_zero["pathway"] == "no_action")]
    assert (nz["year"].min(), nz["year"].max()) == (2026, 2055)
    assert nz["baseline_basis"].str.contains("1990").all()  # says the NHS baseline is not 1990
    npv = r.npv.set_index(["asset_id", "pathway"])
    assert npv.loc[("TOTAL", "retrofit"), "carbon_t"] < npv.loc[("TOTAL", "no_action"), "carbon_t"]
    assert r.forecast["year"].nunique() == 30


def _slow_payback(base: pd.DataFrame, option: pd.DataFrame, asset: str | None) -> int | None:
    """The obvious way: one asset's (or all) yearly PV saving, cumulated, last year below 0."""
    saving = []
    for year in sorted(base["year"].unique()):
        rows = [f[(f["year"] == year) & ((f["asset_id"] == asset) if asset else True)]["pv_gbp"]
                for f in (base, option)]  # fmt: skip
        if any(r.isna().any() for r in rows):
            return None
        saving.append((year, rows[0].sum() - rows[1].sum()))
    cum = np.cumsum([v for _, v in saving])
    if cum[-1] < 0:
        return None
    below = np.flatnonzero(cum < 0)
    return int(saving[0 if not below.size else below[-1] + 1][0])


def test_demo_payback_years_equal_the_obvious_computation(demo: Study) -> None:
    r = demo.carbon
    assert r is not None
    f = r.forecast.assign(asset_id=r.forecast["asset_id"].astype(str))
    base, option = f[f["pathway"] == "no_action"], f[f["pathway"] == "retrofit"]
    npv = r.npv[r.npv["pathway"] == "retrofit"].set_index("asset_id")["payback_year"]
    assert len(npv) > 20
    for asset, got in npv.items():
        want = _slow_payback(base, option, None if asset == "TOTAL" else str(asset))
        assert (pd.isna(got) and want is None) or got == want, asset


def test_demo_carbon_exports_and_reads_back(demo: Study, tmp_path: Path) -> None:
    files = export.write_study(demo, tmp_path / "out")
    for name in ("carbon_assets.csv", "carbon_zones.csv", "carbon_net_zero.csv", "cost_npv.csv"):
        assert name in files
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["carbon"]["factor_year"] == 2024
    assets = gpd.read_file(tmp_path / "out" / "assets.geojson")
    assert {"tco2e", "energy_estimated", "energy_basis"} <= set(assets.columns)
    back = export.read_study(tmp_path / "out")
    assert back.carbon is not None and demo.carbon is not None
    assert back.carbon.assets["tco2e"].sum() == pytest.approx(demo.carbon.assets["tco2e"].sum())
    cost = pd.read_csv(tmp_path / "out" / "cost_forecast.csv")
    assert cost["synthetic"].all()


def test_estimates_are_labelled_when_energy_is_missing(tmp_path: Path) -> None:
    from estatesplan import demo as demo_mod

    toml = demo_mod.write_demo(tmp_path, seed=0)
    assets = gpd.read_file(tmp_path / "assets.gpkg")
    assets.loc[:9, ["electricity_kwh", "gas_kwh"]] = np.nan  # no meter readings
    assets.loc[0, "gia_m2"] = np.nan  # and no floor area either
    assets.to_file(tmp_path / "assets.gpkg", driver="GPKG")
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = pipeline.run_study(toml)
    text = " ".join(str(w.message) for w in caught)
    assert "1 of 81 assets have no metered energy and no GIA" in text
    assert "no building within 25 m (DEMO-A001)" in text  # the demo extract has no buildings
    a = study.carbon.assets.set_index("asset_id")  # type: ignore[union-attr]
    ids = assets["asset_id"].tolist()
    assert a.loc[ids[1], "energy_estimated"]
    assert "TM46" in a.loc[ids[1], "energy_basis"]
    assert np.isnan(a.loc[ids[0], "tco2e"])
    assert not a.loc[ids[20], "energy_estimated"]

"""Access over a whole study: a hand-worked 4-zone study, then the demo end to end."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from estatesplan import export, pipeline
from estatesplan.config import AccessConfig, AssetSetConfig
from estatesplan.errors import DataContractError, DataQualityWarning
from estatesplan.study import Study
from estatesplan.study_access import BEST, select_assets, study_access
from estatesplan.travel_times import TravelTimeMatrix

NAN = float("nan")
# zones × assets [G1 (GP), G2 (GP), S1 (school)], minutes
WALK = [[5, 35, 2], [25, NAN, 1], [12, 8, 3], [NAN, NAN, 4]]
DRIVE = [[3, 6, 1], [4, 9, 2], [5, 4, 2], [7, 6, 3]]


def _study(walk: list[list[float]] = WALK, drive: list[list[float]] = DRIVE) -> Study:
    zone_ids = ["Z1", "Z2", "Z3", "Z4"]
    zones = gpd.GeoDataFrame(
        {
            "zone_id": zone_ids,
            "population": [100, 200, 300, 400],
            "imd_decile": [1, 2, 9, 10],
            "imd_rank": [100, 5000, 28000, 32000],
            "neighbourhood_id": ["N1", "N1", "N2", "N2"],
        },
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(4)],
        crs="EPSG:27700",
    )
    assets = gpd.GeoDataFrame(
        {
            "asset_id": ["G1", "G2", "S1"],
            "name": ["Practice one", "Practice two", "School"],
            "owner_type": ["icb_primary_care", "icb_primary_care", "local_authority"],
            "asset_type": ["gp_practice", "gp_practice", "school"],
            "in_area": [True, True, True],
            "gia_m2": [400.0, 800.0, 3000.0],
        },
        geometry=[shapely.Point(0.5, 0.5), shapely.Point(2.5, 0.5), shapely.Point(3.5, 0.5)],
        crs="EPSG:27700",
    )
    weights = pd.DataFrame(
        {"everyone": [100.0, 200, 300, 400], "households_no_car": [50.0, 20, 10, 5]}
    )

    def matrix(mode: str, rows: list[list[float]]) -> TravelTimeMatrix:
        return TravelTimeMatrix(
            mode=mode,
            origin_ids=np.array(zone_ids, dtype=object),
            destination_ids=np.array(["G1", "G2", "S1"], dtype=object),
            minutes=np.array(rows, dtype=np.float32),
            cutoff_min=60.0,
        )

    return Study(
        name="Fourzones",
        assets=assets,
        zones=zones,
        neighbourhoods=gpd.GeoDataFrame(
            {"neighbourhood_id": ["N1", "N2"], "name": ["North", "South"], "place": "P"},
            geometry=[shapely.box(0, 0, 2, 1), shapely.box(2, 0, 4, 1)],
            crs="EPSG:27700",
        ),
        cohorts={"everyone": "population", "households_no_car": "households_no_car"},
        cohort_weights=weights,
        matrices={"walk": matrix("walk", walk), "drive": matrix("drive", drive)},
    )


SETTINGS = AccessConfig(modes=("walk", "drive"), thresholds_min=(10.0, 30.0))


def _one(table: pd.DataFrame, **key: str) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for k, v in key.items():
        mask &= (table[k] == v).to_numpy()
    assert mask.sum() == 1, key
    return table[mask].iloc[0]


def test_zone_table_nearest_counts_and_fca() -> None:
    res = study_access(_study(), SETTINGS)
    z = res.zones[(res.zones["mode"] == "walk") & (res.zones["asset_set"] == "gp_practices")]
    assert z["nearest_min"].tolist()[:3] == [5.0, 25.0, 8.0] and np.isnan(z["nearest_min"].iloc[3])
    assert z["within_10"].tolist() == [1, 0, 1, 0]
    assert z["within_30"].tolist() == [1, 1, 2, 0]
    # 2SFCA, 30-minute catchment, one unit per practice:
    # G1 reaches Z1, Z2, Z3 (600 people) -> 1/600; G2 reaches Z3 (300) -> 1/300
    assert z["fca_2sfca"].tolist()[:3] == pytest.approx([1 / 600, 1 / 600, 1 / 600 + 1 / 300])
    assert z["fca_2sfca"].iloc[3] == 0 or np.isnan(z["fca_2sfca"].iloc[3])
    # gravity: sum of supply × exp(-0.1 t) over reachable practices
    assert z["gravity"].iloc[2] == pytest.approx(np.exp(-1.2) + np.exp(-0.8))


def test_cohort_table_weights_by_people_not_zones() -> None:
    res = study_access(_study(), SETTINGS)
    row = _one(res.cohorts, cohort="everyone", mode="walk", asset_set="gp_practices")
    assert row["people"] == 1000
    assert row["unreachable"] == 400  # Z4 has no practice within 60 min on foot
    assert row["share_within_10"] == pytest.approx(0.4)  # Z1 (100) + Z3 (300)
    assert row["share_within_30"] == pytest.approx(0.6)
    assert row["mean_min"] == pytest.approx((100 * 5 + 200 * 25 + 300 * 8) / 600)
    best = _one(res.cohorts, cohort="everyone", mode=BEST, asset_set="gp_practices")
    assert best["share_within_10"] == pytest.approx(1.0)  # driving: 3, 4, 4, 6 minutes


def test_households_without_a_car_do_not_drive() -> None:
    res = study_access(_study(), SETTINGS)
    modes = set(res.cohorts.loc[res.cohorts["cohort"] == "households_no_car", "mode"])
    assert modes == {"walk", BEST}
    b = res.best[(res.best["cohort"] == "households_no_car") & (res.best["asset_set"] == "gp_practices")]
    assert b["best_min"].tolist()[:3] == [5.0, 25.0, 8.0]
    assert b["best_mode"].tolist()[:3] == ["walk"] * 3 and pd.isna(b["best_mode"].iloc[3])
    e = res.best[(res.best["cohort"] == "everyone") & (res.best["asset_set"] == "gp_practices")]
    assert e["best_mode"].tolist() == ["drive"] * 4


def test_s_curve_non_decreasing_and_ends_at_reachable_share() -> None:
    res = study_access(_study(), SETTINGS)
    k = res.s_curves[
        (res.s_curves["cohort"] == "everyone")
        & (res.s_curves["mode"] == "walk")
        & (res.s_curves["asset_set"] == "gp_practices")
    ]
    assert np.all(np.diff(k["share"].to_numpy()) >= 0)
    assert k["share"].iloc[-1] == pytest.approx(0.6)
    assert _one(k, minute=8.0)["share"] == pytest.approx(0.4)


def test_equity_and_neighbourhoods_use_cutoff_for_unreachable() -> None:
    res = study_access(_study(), SETTINGS)
    e = _one(
        res.equity, cohort="everyone", mode="walk", asset_set="gp_practices", measure="nearest_min"
    )
    # Q1 = deciles 1-2: (100×5 + 200×25)/300; Q5 = deciles 9-10: (300×8 + 400×60)/700
    assert e["q1_mean"] == pytest.approx(5500 / 300)
    assert e["q5_mean"] == pytest.approx(26400 / 700)
    assert e["gap"] == pytest.approx(5500 / 300 - 26400 / 700)
    assert not e["worse_in_deprived"]
    n = res.neighbourhoods[
        (res.neighbourhoods["cohort"] == "everyone")
        & (res.neighbourhoods["mode"] == "walk")
        & (res.neighbourhoods["asset_set"] == "gp_practices")
    ].set_index("neighbourhood_id")
    assert n.loc["N1", "mean"] == pytest.approx(5500 / 300)
    assert n.loc["N2", "worst_zone_id"] == "Z4"


def test_left_behind_names_zone_and_why() -> None:
    res = study_access(_study(), SETTINGS)
    lb = res.left_behind[res.left_behind["cohort"] == "everyone"].set_index("zone_id")
    assert "Z2" in lb.index and "Z1" not in lb.index
    assert "IMD decile 2" in lb.loc["Z2", "why"]
    assert "25.0 min on foot" in lb.loc["Z2", "why"]


def test_asset_sets_and_supply_column() -> None:
    study = _study()
    sets = {"big": AssetSetConfig("Big sites", asset_types=("gp_practice", "school"))}
    res = study_access(study, AccessConfig(modes=("walk",), asset_sets=sets, supply="gia_m2"))
    z = res.zones[(res.zones["asset_set"] == "big")]
    assert z["nearest_min"].tolist() == [2.0, 1.0, 3.0, 4.0]
    # gravity with supply: Z4 reaches only S1 (3000 m², 4 min)
    assert z["gravity"].iloc[3] == pytest.approx(3000 * np.exp(-0.4))
    spec = AssetSetConfig("Council", owner_types=("local_authority",))
    assert select_assets(study.assets, spec).tolist() == [False, False, True]


def test_bad_inputs() -> None:
    study = _study()
    with pytest.raises(DataContractError, match="supply column 'gia_m2' has 1 negative"):
        bad = study.assets.assign(gia_m2=[400.0, -1.0, 3000.0])
        study_access(_replace(study, assets=bad), AccessConfig(modes=("walk",), supply="gia_m2"))
    with pytest.raises(DataContractError, match="no such column"):
        study_access(study, AccessConfig(supply="list_size"))
    other = study.zones.assign(zone_id=["Z1", "Z2", "Z3", "Z9"])
    with pytest.raises(DataContractError, match=r"1 of 4 zones are not in the walk matrix \(e.g. Z9\)"):
        study_access(_replace(study, zones=other), SETTINGS)
    with pytest.raises(DataContractError, match="needs travel-time matrices"):
        study_access(_replace(study, matrices={}), SETTINGS)
    dark = _study(walk=[[NAN] * 3] * 4)
    with pytest.warns(DataQualityWarning, match="no zone reaches any asset of .gp_practices., .health. by walk"):
        study_access(dark, SETTINGS)


def _replace(study: Study, **kw: object) -> Study:
    from dataclasses import replace

    return replace(study, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def demo() -> Study:
    return pipeline.demo_study(seed=0)


def test_demo_pipeline_adds_access_for_every_cohort_and_mode(demo: Study) -> None:
    res = demo.access
    assert res is not None
    cohorts = set(demo.cohort_weights.columns)
    assert set(res.cohorts["cohort"]) == cohorts
    got = res.cohorts.groupby("cohort")["mode"].agg(set)
    assert got["everyone"] == {"walk", "cycle", "drive", "transit", BEST}  # the demo has a bus feed
    assert got["households_no_car"] == {"walk", "cycle", "transit", BEST}
    assert set(res.zones["asset_set"]) == {"gp_practices", "health"}
    # shares are people-weighted: the best-mode share within 30 minutes is 1 in a small town
    best = _one(res.cohorts, cohort="everyone", mode=BEST, asset_set="gp_practices")
    assert best["people"] == pytest.approx(demo.zones["population"].sum())
    assert 0.95 <= best["share_within_30"] <= 1.0
    assert not res.staff.empty and set(res.staff["mode"]) == {"walk", "cycle", "drive", "transit"}
    # between a team's sites public transport is never slower than walking
    by = res.staff.set_index(["team", "mode"])["max_min"]
    for team in res.staff["team"].unique():
        assert by[(team, "transit")] <= by[(team, "walk")] + 1e-4, team
    inter = res.inter_site["transit"].minutes
    assert (np.diag(inter) == 0).all()
    walk_inter = res.inter_site["walk"].minutes
    assert (np.nan_to_num(inter, nan=np.inf) <= np.nan_to_num(walk_inter, nan=np.inf) + 1e-4).all()
    assert res.staff_commute.empty  # no staff-origins file in the demo
    assert (res.staff["mean_min"].dropna() > 0).all()
    assert set(res.surfaces) == {f"surface_{m}_gp_practices" for m in ("walk", "cycle", "drive")}


def test_demo_access_exports_and_reads_back(demo: Study, tmp_path: Path) -> None:
    files = export.write_study(demo, tmp_path / "out")
    for name in ("access_cohorts.csv", "access_equity.csv", "left_behind.csv",
                 "inter_site_walk.parquet", "surface_walk_gp_practices.tif"):  # fmt: skip
        assert name in files and (tmp_path / "out" / name).is_file()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["access"]["left_behind"]["threshold_min"] == 20.0
    assert "access_equity.csv" in manifest["files"]
    zones = gpd.read_file(tmp_path / "out" / "zones.geojson")
    assert "gp_practices_walk_nearest_min" in zones.columns
    assert "staff_commute.csv" not in files  # empty tables are not written
    back = export.read_study(tmp_path / "out")
    assert back.access is not None and back.access.staff_commute.empty
    assert demo.access is not None
    pd.testing.assert_frame_equal(
        back.access.cohorts.reset_index(drop=True),
        demo.access.cohorts.reset_index(drop=True),
        check_dtype=False,
    )
    cohorts = pd.read_csv(tmp_path / "out" / "access_cohorts.csv")
    assert cohorts["synthetic"].all()


def test_population_raster_and_staff_origins_in_the_pipeline(tmp_path: Path) -> None:
    """A config with a population raster (everyone = raster sums) and staff home counts."""
    import rasterio
    from affine import Affine

    from estatesplan import demo

    toml = demo.write_demo(tmp_path, seed=0)
    zones = gpd.read_file(tmp_path / "zones.gpkg")
    x0, y0, x1, y1 = zones.total_bounds
    cell = 50.0
    cols, rows = int((x1 - x0) // cell) + 2, int((y1 - y0) // cell) + 2
    data = np.full((rows, cols), 2.0, dtype=np.float32)  # 2 people per 50 m cell
    with rasterio.open(
        tmp_path / "pop.tif", "w", driver="GTiff", width=cols, height=rows, count=1,
        dtype="float32", crs="EPSG:27700", transform=Affine(cell, 0, x0 - cell, 0, -cell, y1 + cell),
        nodata=-1.0,
    ) as dst:  # fmt: skip
        dst.write(data, 1)
    ids = zones["zone_id"].astype(str).tolist()
    pd.DataFrame({"zone_id": ids[:10], "staff": [3] * 10}).to_csv(tmp_path / "staff.csv", index=False)
    text = toml.read_text().replace(
        "[network]",
        '[access]\npopulation_raster = "pop.tif"\nsurface_cell_m = 0\n'
        '[access.staff]\norigins = "staff.csv"\n\n[network]',
    )
    toml.write_text(text)
    study = pipeline.run_study(toml)
    everyone = study.cohort_weights["everyone"].to_numpy()
    # cells count by centre: each zone gets 2 × (cells whose centre is inside), so the total
    # is about 2 people per 2,500 m², i.e. the zones' area / 1,250
    assert everyone.sum() == pytest.approx(zones.geometry.area.sum() / 1250, rel=0.02)
    assert (everyone % 2 == 0).all()
    assert study.access is not None and study.access.surfaces == {}
    commute = study.access.staff_commute
    assert set(commute["mode"]) == {"walk", "cycle", "drive", "transit"}
    assert (commute["staff"] == 30).all()
    fca = study.access.zones
    assert fca["fca_2sfca"].notna().any()
    # staff commuting carbon: 30 staff × 220 days, round trips to the nearest staff site
    assert study.carbon is not None
    staff = study.carbon.staff
    assert len(staff) == 10 and staff["staff"].sum() == 30
    assert staff["trips"].sum() == pytest.approx(30 * 220 * 2)
    assert study.carbon.settings["staff_commuting_tco2e"] == pytest.approx(staff["tco2e"].sum())


def test_rewrite_removes_outputs_the_new_run_did_not_produce(demo: Study, tmp_path: Path) -> None:
    export.write_study(demo, tmp_path / "out")
    assert (tmp_path / "out" / "left_behind.csv").is_file()
    export.write_study(_replace(demo, access=None, matrices={}), tmp_path / "out")
    left = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert not [n for n in left if n.startswith(("access_", "left_behind", "matrix_", "surface_"))]
    assert export.read_study(tmp_path / "out").access is None

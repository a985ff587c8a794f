"""Export bundles: views of a study, GeoJSON / GeoPackage / CSV bytes, folders written whole.

A hand-made study: four 1 km squares (EPSG:27700) in two neighbourhoods (N1: Z1, Z2;
N2: Z3, Z4), four assets (two in each), cohorts ``everyone`` and ``over_65``, and small
result tables whose rows are counted by hand below.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from estatesplan import export_bundle as eb
from estatesplan.errors import ConfigError, DataSourceError
from estatesplan.study import SourceRecord, Study
from estatesplan.study_access import AccessResults
from estatesplan.study_carbon import CarbonResults
from estatesplan.study_options import OptionsResults

X0, Y0 = 529_000.0, 181_000.0
KNOWN_ASSET = ("A1", 529_090.0, 181_680.0)  # asset id, easting, northing (EPSG:27700)


def make_study(*, synthetic: bool = True, name: str = "Testborough") -> Study:
    """The hand-made study of this module's docstring, with access, carbon and options."""
    zones = gpd.GeoDataFrame(
        {
            "zone_id": ["Z1", "Z2", "Z3", "Z4"],
            "name": ["Zone 1", "Zone 2", "Zone 3", "Zone 4"],
            "population": [1000.0, 2000.0, 1500.0, 500.0],
            "age_65_plus": [100.0, 400.0, 300.0, 50.0],
            "imd_decile": [1, 3, 6, 10],
            "neighbourhood_id": ["N1", "N1", "N2", "N2"],
        },
        geometry=[box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(4)],
        crs="EPSG:27700",
    )
    nbhd = gpd.GeoDataFrame(
        {"neighbourhood_id": ["N1", "N2"], "name": ["West & <Old> Town", "East"],
         "place": ["Testborough"] * 2},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 1000), box(X0 + 2000, Y0, X0 + 4000, Y0 + 1000)],
        crs="EPSG:27700",
    )  # fmt: skip
    assets = gpd.GeoDataFrame(
        {
            "asset_id": ["A1", "A2", "A3", "A4"],
            "name": ["Hill Surgery", "Town Hall", "St Ann's <Church>", "Park School"],
            "owner": ["Hill GPs", "Council", None, "Council"],
            "owner_type": ["icb_primary_care", "local_authority", "faith", "local_authority"],
            "asset_type": ["gp_practice", "town_hall", "place_of_worship", "school"],
            "gia_m2": [500.0, 3000.0, None, 2500.0],
            "in_area": [True] * 4,
            "neighbourhood_id": ["N1", "N1", "N2", "N2"],
        },
        geometry=[Point(KNOWN_ASSET[1], KNOWN_ASSET[2]), Point(X0 + 1500, Y0 + 500),
                  Point(X0 + 2500, Y0 + 500), Point(X0 + 3500, Y0 + 500)],
        crs="EPSG:27700",
    )  # fmt: skip
    weights = pd.DataFrame(
        {"everyone": zones["population"], "over_65": zones["age_65_plus"]}, index=zones.index
    )
    cohorts = [("everyone", 5000.0), ("over_65", 850.0)]
    access = AccessResults(
        zones=pd.DataFrame({"zone_id": ["Z1", "Z2", "Z3", "Z4"], "mode": "walk",
                            "asset_set": "gps", "nearest_min": [5.0, 12.0, 25.0, float("nan")],
                            "fca_e2sfca": [0.001, 0.002, 0.0005, float("nan")]}),
        cohorts=pd.DataFrame([{"cohort": k, "mode": "walk", "asset_set": "gps", "people": p,
                               "mean_min": 12.5, "median_min": 12.0, "p90_min": 25.0,
                               "unreachable": 500.0 if k == "everyone" else 50.0,
                               "share_within_10": 0.2 if k == "everyone" else 0.4}
                              for k, p in cohorts]),
        s_curves=pd.DataFrame([{"minute": float(m), "share": min(m / 30, 0.9), "cohort": k,
                                "mode": "walk", "asset_set": "gps"}
                               for k, _ in cohorts for m in range(0, 31, 10)]),
        best=pd.DataFrame({"zone_id": ["Z1", "Z1"], "cohort": ["everyone", "over_65"],
                           "asset_set": "gps", "best_min": [5.0, 5.0], "best_mode": "walk"}),
        equity=pd.DataFrame([{"measure": "nearest_min", "cohort": k, "mode": "walk",
                              "asset_set": "gps", "q1_mean": 6.0, "q5_mean": 20.0, "gap": -14.0,
                              "ratio": 0.3} for k, _ in cohorts]),
        neighbourhoods=pd.DataFrame([{"neighbourhood_id": n, "cohort": k, "mode": "walk",
                                      "asset_set": "gps", "mean": 9.0, "rank": 1}
                                     for n in ("N1", "N2") for k, _ in cohorts]),
        left_behind=pd.DataFrame({"zone_id": ["Z3", "Z3"], "cohort": ["everyone", "over_65"],
                                  "need": [1500.0, 300.0], "access": [25.0, 25.0],
                                  "imd_decile": [6, 6], "mode": "walk", "asset_set": "gps",
                                  "why": ["far <from> a GP", "far from a GP"]}),
        settings={"left_behind": {"asset_set": "gps", "mode": "walk", "threshold_min": 20.0},
                  "asset_sets": {"gps": {"label": "GP practices", "assets": 1}},
                  "thresholds_min": [10.0]},
    )  # fmt: skip
    carbon = CarbonResults(
        assets=pd.DataFrame({"asset_id": ["A1", "A2", "A3", "A4"],
                             "neighbourhood_id": ["N1", "N1", "N2", "N2"],
                             "tco2e": [10.0, 50.0, float("nan"), 40.0],
                             "energy_estimated": [False, True, False, True],
                             "energy_basis": ["metered", "TM46 benchmark × GIA", "unknown",
                                              "TM46 benchmark × GIA"],
                             "kgco2e_per_m2": [20.0, 16.7, float("nan"), 16.0]}),
        zones=pd.DataFrame({"zone_id": ["Z1", "Z2", "Z3", "Z4"],
                            "neighbourhood_id": ["N1", "N1", "N2", "N2"],
                            "visits": [5000.0, 10000.0, 7500.0, 2500.0],
                            "tco2e": [1.0, 2.0, 3.0, 0.5]}),
        neighbourhoods=pd.DataFrame({"neighbourhood_id": ["N1", "N2"], "buildings": [2, 2],
                                     "buildings_tco2e": [60.0, 40.0], "buildings_unknown": [0, 1],
                                     "buildings_estimated": [1, 1], "travel_tco2e": [3.0, 3.5],
                                     "visits": [15000.0, 10000.0], "total_tco2e": [63.0, 43.5]}),
        cohorts=pd.DataFrame({"cohort": ["everyone", "over_65"], "travel_tco2e": [6.5, 1.2]}),
        net_zero=pd.DataFrame({"group": "total", "year": [2026, 2030], "target_tco2e": [100.0, 50.0],
                               "projected_tco2e": [100.0, 100.0], "gap_tco2e": [0.0, 50.0],
                               "on_track": [True, False], "pathway": "no_action",
                               "baseline_basis": "configured baseline year 2026"}),
        forecast=pd.DataFrame({"asset_id": ["A1", "A2", "A1", "A2"], "year": [2026, 2026, 2027, 2027],
                               "total_gbp": [1e5, 2e5, 1e5, 2e5], "pathway": "no_action"}),
        npv=pd.DataFrame({"asset_id": ["A1", "A2", "A4", "TOTAL"], "pathway": "no_action",
                          "pv_total_gbp": [1e6, 2e6, 1e6, 4e6], "carbon_t": [300.0, 1500.0, 1200.0, 3000.0]}),
        settings={"factor_year": 2024, "buildings_tco2e": 100.0, "travel_tco2e": 6.5,
                  "estimated_assets": 2, "unknown_assets": 1},
    )  # fmt: skip
    options = OptionsResults(
        screening=pd.DataFrame({"asset_id": ["A1", "A2", "A3", "A4"],
                                "neighbourhood_id": ["N1", "N1", "N2", "N2"],
                                "status": ["pass", "pass", "fail", "pass"],
                                "reasons": ["ok", "ok", "condition D", "ok"]}),
        options=pd.DataFrame({"option_id": ["N1-baseline", "N1-hub-A2", "N2-baseline", "N2-hub-A4"],
                              "neighbourhood_id": ["N1", "N1", "N2", "N2"],
                              "hubs": ["", "A2", "", "A4"],
                              "origin": ["baseline", "generated", "baseline", "generated"],
                              "label": ["today", "A2 as hub", "today", "A4 as hub"],
                              "access_min": [8.0, 9.5, 15.0, 14.0], "total": [0.4, 0.7, 0.5, 0.6],
                              "rank": [2, 1, 2, 1]}),
        sensitivity=pd.DataFrame({"neighbourhood_id": ["N1", "N2"],
                                  "top_option": ["N1-hub-A2", "N2-hub-A4"], "stability": [1.0, 0.55]}),
        settings={"threshold_min": 20.0, "weights": {"access_min": 2.0}},
    )  # fmt: skip
    return Study(
        name=name,
        assets=assets,
        zones=zones,
        neighbourhoods=nbhd,
        cohorts={"everyone": "population", "over_65": "age_65_plus"},
        cohort_weights=weights,
        synthetic=synthetic,
        area=gpd.GeoDataFrame(
            {"name": [name]}, geometry=[box(X0, Y0, X0 + 4000, Y0 + 1000)], crs="EPSG:27700"
        ),
        sources=(
            SourceRecord(
                name="Census 2021 TS007A",
                path="/data/ts007a.csv",
                publisher="ONS",
                licence="OGL v3",
                rows=4,
                digest="ab" * 32,
            ),
            SourceRecord(
                name="OSM extract",
                path="/data/x.osm.pbf",
                publisher="OpenStreetMap",
                licence="ODbL 1.0",
                rows=4,
            ),
        ),
        config_digest="d1g35t",
        access=access,
        carbon=carbon,
        options=options,
    )


@pytest.fixture
def study() -> Study:
    return make_study()


# --- views ---------------------------------------------------------------------------------


def test_whole_study_keeps_everything(study: Study) -> None:
    sel = eb.select_view(study)
    assert sel.view.is_whole_study and sel.view.describe() == "whole study"
    assert {k: len(v) for k, v in sel.layers.items()} == {
        "assets": 4, "zones": 4, "neighbourhoods": 2, "options": 2, "area": 1
    }  # fmt: skip
    assert sel.left_out == {}
    assert len(sel.tables["cost_npv"]) == 4  # the TOTAL row is kept
    zones = sel.layers["zones"]
    assert zones["cohort_over_65"].tolist() == [100.0, 400.0, 300.0, 50.0]
    assert zones["gps_walk_nearest_min"].iloc[:3].tolist() == [5.0, 12.0, 25.0]
    assert sel.layers["assets"]["tco2e"].iloc[[0, 1, 3]].tolist() == [10.0, 50.0, 40.0]


def test_neighbourhood_and_cohort_view(study: Study) -> None:
    sel = eb.select_view(study, eb.ExportView(neighbourhood_ids=["N2"], cohort="over_65"))
    assert sel.layers["assets"]["asset_id"].tolist() == ["A3", "A4"]
    assert sel.layers["zones"]["zone_id"].tolist() == ["Z3", "Z4"]
    assert sel.layers["neighbourhoods"]["neighbourhood_id"].tolist() == ["N2"]
    assert sel.layers["options"]["option_id"].tolist() == ["N2-hub-A4"]
    assert "area" not in sel.layers  # the study outline is not the view's
    assert [c for c in sel.layers["zones"] if c.startswith("cohort_")] == ["cohort_over_65"]
    t = sel.tables
    assert t["left_behind"][["zone_id", "cohort"]].values.tolist() == [["Z3", "over_65"]]
    assert t["access_zones"]["zone_id"].tolist() == ["Z3", "Z4"]
    assert t["access_neighbourhoods"][["neighbourhood_id", "cohort"]].values.tolist() == [
        ["N2", "over_65"]
    ]
    assert t["carbon_assets"]["asset_id"].tolist() == ["A3", "A4"]
    assert t["cost_npv"]["asset_id"].tolist() == ["A4"]  # TOTAL is the place's, not N2's
    assert t["carbon_neighbourhoods"]["neighbourhood_id"].tolist() == ["N2"]
    assert t["options_comparison"]["option_id"].tolist() == ["N2-baseline", "N2-hub-A4"]
    pooled = {"access_cohorts", "access_s_curves", "access_equity", "carbon_cohorts",
              "carbon_net_zero"}  # fmt: skip
    assert set(sel.left_out) == pooled
    assert all("whole study" in why for why in sel.left_out.values())


def test_owner_type_view_drops_tables_summed_over_every_type(study: Study) -> None:
    sel = eb.select_view(study, eb.ExportView(owner_types="local_authority"))
    assert sel.layers["assets"]["asset_id"].tolist() == ["A2", "A4"]
    assert len(sel.layers["zones"]) == 4  # residents are all still in view
    assert set(sel.left_out) == {"carbon_neighbourhoods", "carbon_net_zero"}
    assert sel.tables["carbon_assets"]["asset_id"].tolist() == ["A2", "A4"]
    assert sel.tables["cost_forecast"]["asset_id"].tolist() == ["A2", "A2"]
    assert len(sel.tables["access_cohorts"]) == 2  # about residents: kept whole


def test_current_view_drops_filters_that_keep_everything(study: Study) -> None:
    every = list(study.assets["owner_type"].unique())
    view = eb.current_view(study, owner_types=every, asset_types=None,
                           neighbourhood_ids=["N1", "N2"], cohort=None)  # fmt: skip
    assert view == eb.ExportView() and view.is_whole_study
    view = eb.current_view(study, owner_types=["faith"], neighbourhood_ids=[], cohort="over_65")
    assert view == eb.ExportView(owner_types=("faith",), cohort="over_65")
    assert view.describe() == "owner types faith; cohort over 65"
    assert eb.current_view(study, owner_types=[]).owner_types == ()  # nothing chosen: no asset
    assert len(eb.select_view(study, eb.current_view(study, owner_types=[])).layers["assets"]) == 0


@pytest.mark.parametrize(
    ("view", "match"),
    [
        (eb.ExportView(neighbourhood_ids=["N1", "N9"]), r"neighbourhood\(s\) 'N9' not in the study \(it has N1, N2\)"),
        (eb.ExportView(cohort="under_5"), r"cohort 'under_5' not in the study"),
        (eb.ExportView(owner_types=["nhs"]), r"unknown owner type\(s\) 'nhs'"),
        (eb.ExportView(asset_types=["castle"]), r"unknown asset type\(s\) 'castle'"),
    ],
)  # fmt: skip
def test_bad_view_is_a_clear_error(study: Study, view: eb.ExportView, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        eb.select_view(study, view)


# --- files ---------------------------------------------------------------------------------


def test_geojson_is_rfc7946_lon_lat(study: Study) -> None:
    sel = eb.select_view(study)
    doc = json.loads(eb.geojson_bytes(sel, "assets"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert doc["estatesplan"]["synthetic"] is True and "SYNTHETIC" in doc["estatesplan"]["notice"]
    assert doc["estatesplan"]["study"] == "Testborough"
    feature = next(f for f in doc["features"] if f["properties"]["asset_id"] == KNOWN_ASSET[0])
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(*KNOWN_ASSET[1:])
    assert feature["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-7)
    assert -0.2 < feature["geometry"]["coordinates"][0] < -0.1  # longitude first
    assert feature["properties"]["synthetic"] is True
    a3 = next(f for f in doc["features"] if f["properties"]["asset_id"] == "A3")
    assert a3["properties"]["gia_m2"] is None and a3["properties"]["tco2e"] is None  # unknown
    zones = json.loads(eb.geojson_bytes(sel, "zones"))
    ring = zones["features"][0]["geometry"]["coordinates"][0]
    assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in ring)
    with pytest.raises(ConfigError, match="no layer 'roads'"):
        eb.geojson_bytes(sel, "roads")


def test_gpkg_readable_with_same_rows(study: Study, tmp_path: Path) -> None:
    sel = eb.select_view(study, eb.ExportView(neighbourhood_ids=["N1"]))
    path = tmp_path / "x.gpkg"
    path.write_bytes(eb.gpkg_bytes(sel))
    layers = set(pyogrio.list_layers(path)[:, 0])
    assert layers == set(sel.layers) | set(sel.tables)
    for name, gdf in sel.layers.items():
        back = gpd.read_file(path, layer=name)
        assert len(back) == len(gdf), name
        assert back.crs.to_epsg() == 27700
    assets = gpd.read_file(path, layer="assets")
    assert assets.geometry.iloc[0].coords[0] == (KNOWN_ASSET[1], KNOWN_ASSET[2])
    for name, table in sel.tables.items():
        assert len(pyogrio.read_dataframe(path, layer=name)) == len(table), name


def test_csv_zip_rows_equal(study: Study) -> None:
    sel = eb.select_view(study, eb.ExportView(cohort="everyone"))
    with zipfile.ZipFile(io.BytesIO(eb.csv_zip_bytes(sel))) as zf:
        names = set(zf.namelist())
        frames = {n: pd.read_csv(zf.open(n)) for n in names if n.endswith(".csv")}
        manifest = json.loads(zf.read("manifest.json"))
    expected = {f"{n}.csv" for n in (*eb.LAYER_CSV, *sel.tables)}
    assert names == expected | {"manifest.json"}
    for name, table in {**sel.layers, **sel.tables}.items():
        if f"{name}.csv" in frames:
            assert len(frames[f"{name}.csv"]) == len(table), name
    assert frames["left_behind.csv"]["cohort"].tolist() == ["everyone"]
    assert frames["assets.csv"]["synthetic"].all() and "geometry" not in frames["assets.csv"]
    assert manifest["view"]["cohort"] == "everyone" and manifest["tables"]["left_behind"] == 1
    assert [s["licence"] for s in manifest["sources"]] == ["OGL v3", "ODbL 1.0"]


def test_bundle_zip_has_geojson_csv_manifest_and_report(study: Study) -> None:
    sel = eb.select_view(study)
    with zipfile.ZipFile(io.BytesIO(eb.bundle_zip_bytes(sel, report_html="<p>r</p>"))) as zf:
        names = set(zf.namelist())
        assert zf.read("report.html") == b"<p>r</p>"
    assert {f"{n}.geojson" for n in sel.layers} <= names
    assert {"assets.csv", "access_cohorts.csv", "manifest.json"} <= names


def test_download_files_and_names(study: Study) -> None:
    files = eb.download_files(study, eb.ExportView(cohort="over_65"))
    assert list(files) == [
        "assets.geojson", "zones.geojson", "neighbourhoods.geojson", "options.geojson",
        "area.geojson", "study.gpkg", "tables.zip", "report.html",
    ]  # fmt: skip
    assert files["report.html"].startswith(b"<!DOCTYPE html>")
    assert eb.file_name("Demoborough (synthetic)", eb.ExportView(), "study.gpkg") == (
        "demoborough-synthetic-study.gpkg"
    )
    assert eb.file_name("A/B", eb.ExportView(cohort="x"), "r.html") == "a-b-view-r.html"


def test_write_bundle_folder(study: Study, tmp_path: Path) -> None:
    out = tmp_path / "export"
    files = eb.write_bundle(study, out, view=eb.ExportView(neighbourhood_ids=["N1"]))
    assert set(files) == {p.name for p in out.iterdir()}
    assert {"assets.geojson", "study.gpkg", "assets.csv", "report.html", "manifest.json"} <= set(
        files
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["layers"]["assets"] == 2 and "access_cohorts" in manifest["left_out"]
    assert sorted(manifest["files"]) == sorted(files)
    assert [p.name for p in tmp_path.iterdir()] == ["export"]  # no staging folder left


def test_write_bundle_failure_leaves_old_files(
    study: Study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "export"
    eb.write_bundle(study, out, report=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(eb, "_write_gpkg", fail)
    with pytest.raises(OSError, match="disk full"):
        eb.write_bundle(study, out, view=eb.ExportView(cohort="over_65"), report=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


def test_write_bundle_bad_paths(study: Study, tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"its folder .*missing.* does not exist"):
        eb.write_bundle(study, tmp_path / "missing" / "out")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(DataSourceError, match="it is a file, not a folder"):
        eb.write_bundle(study, tmp_path / "file.txt")


def test_real_study_is_not_marked_synthetic() -> None:
    sel = eb.select_view(make_study(synthetic=False))
    doc = json.loads(eb.geojson_bytes(sel, "zones"))
    assert doc["estatesplan"]["synthetic"] is False
    assert "synthetic" not in doc["features"][0]["properties"]


def test_assets_without_neighbourhood_column_are_placed_by_position(study: Study) -> None:
    bare = Study(
        name=study.name,
        assets=study.assets.drop(columns="neighbourhood_id"),
        zones=study.zones,
        neighbourhoods=study.neighbourhoods,
        cohorts=study.cohorts,
        cohort_weights=study.cohort_weights,
    )
    sel = eb.select_view(bare, eb.ExportView(neighbourhood_ids=["N2"]))
    assert sel.layers["assets"]["asset_id"].tolist() == ["A3", "A4"]
    assert sel.tables == {} and sel.left_out == {}  # no results to restrict

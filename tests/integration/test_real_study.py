"""Whole studies on the real open-data pack: Camden as configured, and another borough.

Published totals checked: Camden has 130 LSOAs (2021) and 210,104 usual residents at
Census 2021 (ONS TS007A), and 33 active GP practices (NHS ODS epraccur, Dec 2023).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from estatesplan import cli, pipeline
from estatesplan.contracts import HEALTH_ASSET_TYPES
from estatesplan.errors import DataQualityWarning
from estatesplan.study import Study

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.data, pytest.mark.integration]


@pytest.fixture(scope="module")
def camden(shared_data: Path) -> Study:
    with warnings.catch_warnings():
        # margin practices outside the pack's building outlines keep an unknown GIA
        warnings.filterwarnings("ignore", "GIA from OSM buildings", DataQualityWarning)
        return pipeline.run_study(REPO / "examples" / "camden.toml", matrices=False)


def test_camden_zones_match_census(camden: Study) -> None:
    assert len(camden.zones) == 130
    assert camden.zones["population"].sum() == 210_104
    assert camden.zones["imd_decile"].notna().all()
    assert camden.zones["zone_id"].str.match(r"^E01\d{6}$").all()
    assert camden.zones["neighbourhood_id"].notna().all()
    assert camden.zones.crs.to_epsg() == 27700


def test_camden_gp_practices(camden: Study) -> None:
    a = camden.assets
    gps = a[(a["source"] == "ods_epraccur") & (a["asset_type"] == "gp_practice")]
    assert int(gps["in_area"].sum()) == 33
    assert gps["ods_code"].is_unique
    assert a["asset_id"].is_unique
    # practices merged with their OSM record are not doubled: no OSM doctor within 30 m
    # of an in-borough practice with a similar name survives as a separate asset
    osm_gp = a[(a["source"] == "osm") & (a["asset_type"] == "gp_practice") & a["in_area"]]
    near = gpd.sjoin_nearest(
        osm_gp[["name", "geometry"]],
        gps[gps["in_area"]][["name", "geometry"]],
        max_distance=30,
        distance_col="d",
    )
    assert (near["name_left"].str.upper() == near["name_right"].str.upper()).sum() == 0


def test_camden_public_assets(camden: Study) -> None:
    a = camden.assets[camden.assets["in_area"]]
    non_nhs = a[~a["asset_type"].isin(HEALTH_ASSET_TYPES) & (a["owner_type"] != "nhs_trust")]
    assert non_nhs["asset_type"].nunique() >= 6
    for kind in ("school", "library", "place_of_worship", "community_centre", "housing_estate"):
        assert (non_nhs["asset_type"] == kind).any(), kind
    assert (a["owner_type"] == "nhs_trust").any()
    # open data gives no floor areas: every GIA is an estimate from OSM outlines, labelled;
    # where no outline is near, it stays unknown, never zero
    assert a["gia_estimated"].sum() == a["gia_m2"].notna().sum()
    assert (a["gia_m2"].dropna() > 0).all()
    assert a.loc[a["gia_estimated"], "gia_basis"].str.startswith("estimate: OSM building").all()


def test_camden_neighbourhoods(camden: Study) -> None:
    n = camden.neighbourhoods
    assert 4 <= len(n) <= 7
    assert n["population"].sum() == 210_104
    assert (n["population"] >= 30_000).all()
    assert set(camden.zones["neighbourhood_id"]) == set(n["neighbourhood_id"])


def test_camden_cohorts(camden: Study) -> None:
    w = camden.cohort_weights
    assert w["everyone"].sum() == 210_104
    assert "households_no_car" not in w  # TS045 is not in the pack
    ages = pd.read_csv(
        REPO.parent / "shared/data/london/camden/camden_census2021_ts007a_age_5yr_bands_lsoa21.csv"
    )
    over65 = ages[
        [
            c
            for c in ages.columns
            if any(k in c for k in ("65 to", "70 to", "75 to", "80 to", "85 years"))
        ]
    ]
    assert w["over_65"].sum() == over65.to_numpy().sum()
    assert len(camden.sources) >= 8
    assert all(s.digest for s in camden.sources)


def test_camden_cli_outputs(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "camden"
    with warnings.catch_warnings():
        warnings.simplefilter("default", DataQualityWarning)  # shown to the user, not raised
        assert (
            cli.main(["-q", "run", str(REPO / "examples" / "camden.toml"), "--out", str(out)]) == 0
        )
    captured = capsys.readouterr()
    printed = captured.out
    # the extract covers only part of the 2 km margin: assets there are flagged, not snapped
    assert (
        "warning: " in captured.err and "further than 500 m from the walk network" in captured.err
    )
    assert "130 zones, 210,104 residents" in printed
    # no London timetable in the pack: said during the run and in the summary
    assert "Public transport is not measured" in captured.err
    assert "Public transport is not measured" in printed and "[transit] gtfs" in printed
    for layer in ("assets", "zones", "neighbourhoods"):
        doc = json.loads((out / f"{layer}.geojson").read_text())
        assert "crs" not in doc and doc["type"] == "FeatureCollection"
        g = gpd.read_file(out / f"{layer}.geojson")
        assert g.crs.to_epsg() == 4326
        assert g.total_bounds[0] > -0.3 and g.total_bounds[2] < 0.0  # lon in London
        gp = gpd.read_file(out / "study.gpkg", layer=layer)
        assert len(gp) == len(g)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["synthetic"] is False
    assert manifest["counts"]["population"] == 210_104


def test_another_borough_from_london_tables(shared_data: Path, tmp_path: Path) -> None:
    """The same loaders on a different borough (Islington, E09000019) from London-wide files."""
    ref = shared_data / "london" / "_reference"
    toml = tmp_path / "islington.toml"
    toml.write_text(f"""
[study]
name = "London Borough of Islington"
area_codes = ["E09000019"]
[zones]
boundaries = "{ref / "london_lsoa21_boundaries_gen20_27700.gpkg"}"
age = "{ref / "london_census2021_ts007a_age_5yr_bands_lsoa21.csv"}"
general_health = "{ref / "london_census2021_ts037_general_health_lsoa21.csv"}"
disability = "{ref / "london_census2021_ts038_disability_lsoa21.csv"}"
imd = "{ref / "london_imd2019_lsoa11.csv"}"
imd_edition = 2019
imd_lookup = "{ref / "london_lookup_lsoa11_lsoa21_ltla22.csv"}"
[assets]
gp_practices = "{ref / "london_epraccur_2023-12_geocoded.csv"}"
[[assets.files]]
path = "{ref / "london_hospitals_nhs_uk_2022_27700.gpkg"}"
id_prefix = "HOSP-"
mapping = {{ name = "hospital22_name" }}
defaults = {{ owner_type = "nhs_trust", asset_type = "hospital" }}
[neighbourhoods]
seed = 1
""")
    bounds = gpd.read_file(ref / "london_lsoa21_boundaries_gen20_27700.gpkg")
    ages = pd.read_csv(ref / "london_census2021_ts007a_age_5yr_bands_lsoa21.csv")
    codes = set(bounds.loc[bounds["LAD22CD"] == "E09000019", "LSOA21CD"])
    expected_pop = ages.loc[ages["geography code"].isin(codes), "Age: Total"].sum()
    # London-wide files: practices and hospitals in other boroughs are dropped, and listed
    with pytest.warns(DataQualityWarning, match=r"asset\(s\) lie beyond the study area"):
        study = pipeline.run_study(toml)
    assert len(study.zones) == len(codes)
    assert study.zones["population"].sum() == expected_pop
    assert study.zones["imd_decile"].notna().sum() >= len(codes) - 2
    epr = pd.read_csv(ref / "london_epraccur_2023-12_geocoded.csv")
    active = epr[
        (epr["status_code"] == "A")
        & (epr["prescribing_setting"] == 4)
        & (epr["admin_district_code"] == "E09000019")
    ]
    gps = study.assets[(study.assets["source"] == "ods_epraccur") & study.assets["in_area"]]
    assert len(gps) == len(active)
    assert study.assets["in_area"].all()  # no buffer: only assets inside the borough

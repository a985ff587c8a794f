"""Asset loaders on the real open-data pack (Camden), read in place."""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from estatesplan import assets
from estatesplan import contracts as c
from estatesplan.sources import eric, ods, osm_pois, terrier

pytestmark = pytest.mark.data

CAMDEN = "E09000007"
CAMDEN_TRUSTS = ("RAL", "RRV", "RP4")
NON_NHS_TYPES = {
    "school", "college", "library", "place_of_worship", "community_centre", "town_hall",
    "council_office", "social_facility", "leisure_centre", "housing_estate",
}  # fmt: skip
PRIMARY_CARE = {"gp_practice", "health_centre", "clinic"}  # one category when merging


def _full_name(name: str) -> str:
    return " ".join(re.sub(r"[^0-9A-Z]+", " ", name.upper().replace("'", "")).split())


@pytest.fixture(scope="module")
def boundary(camden_dir: Path) -> gpd.GeoDataFrame:
    b = gpd.read_file(camden_dir / "camden_boundary_and_2km_buffer_27700.gpkg")
    return b.loc[b["buffer_m"] == 0]


@pytest.fixture(scope="module")
def gp(camden_dir: Path) -> gpd.GeoDataFrame:
    return ods.load_epraccur(camden_dir / "camden_2km_gp_practices_active.csv")


@pytest.fixture(scope="module")
def osm(camden_dir: Path) -> gpd.GeoDataFrame:
    return osm_pois.load_osm_assets(camden_dir / "camden_2km.osm.pbf")


def test_codepoint_pack_file(camden_dir: Path) -> None:
    pc = ods.load_codepoint_open(camden_dir / "camden_2km_codepoint_open_postcodes_2025-10.csv")
    assert len(pc) > 30_000
    assert pc[c.POSTCODE].is_unique
    assert pc[c.POSTCODE].str.fullmatch(r"[A-Z0-9]{2,4} [0-9][A-Z]{2}").all()
    assert (pc["admin_district_code"] == CAMDEN).sum() > 5_000


def test_epraccur_camden_practices(gp: gpd.GeoDataFrame, camden_dir: Path) -> None:
    assert (gp["admin_district_code"] == CAMDEN).sum() == 33
    every = ods.load_epraccur(
        camden_dir / "camden_2km_gp_and_prescribing_settings_epraccur_2023-12.csv"
    )
    assert set(every[c.ASSET_ID]) == set(gp[c.ASSET_ID])


def test_epraccur_published_layout_geocoded_by_postcode(camden_dir: Path, tmp_path: Path) -> None:
    """The pack's records written in the published headerless layout, placed by Code-Point."""
    df = pd.read_csv(
        camden_dir / "camden_2km_gp_and_prescribing_settings_epraccur_2023-12.csv",
        dtype=str,
        keep_default_na=False,
    )
    published = tmp_path / "epraccur.csv"
    with published.open("w", newline="") as fh:
        writer = csv.writer(fh)
        for _, r in df.iterrows():
            row = [r[k] for k in ods.EPRACCUR_COLUMNS[:18]]
            row += ["", "", "", r["amended_record_indicator"], "", r["provider_purchaser"], ""]
            row += [r["prescribing_setting"], ""]
            writer.writerow(row)
    postcodes = ods.load_codepoint_open(
        camden_dir / "camden_2km_codepoint_open_postcodes_2025-10.csv"
    )
    got = ods.load_epraccur(published, postcodes=postcodes)
    assert (got["admin_district_code"] == CAMDEN).sum() == 33


def test_osm_assets_in_camden(camden_dir: Path, boundary: gpd.GeoDataFrame) -> None:
    t0 = time.perf_counter()
    inside = osm_pois.load_osm_assets(camden_dir / "camden_2km.osm.pbf", area=boundary)
    elapsed = time.perf_counter() - t0
    assert elapsed < 10, f"OSM load took {elapsed:.1f}s"
    types = set(inside[c.ASSET_TYPE])
    assert len(types & NON_NHS_TYPES) >= 6, types
    assert inside.geometry.within(boundary.geometry.iloc[0].buffer(1)).all()
    counts = inside[c.ASSET_TYPE].value_counts()
    assert counts["school"] > 50 and counts["place_of_worship"] > 50
    assert counts["housing_estate"] > 20 and counts["library"] > 5


def test_osm_health_pois_cover_the_pack_derivation(camden_dir: Path, osm: gpd.GeoDataFrame) -> None:
    pack = gpd.read_file(camden_dir / "camden_osm_health_pois_27700.gpkg")
    ids = pack["osm_type"].str[0] + pack["osm_id"].astype(str)
    mine = osm.set_index(c.OSM_ID)
    assert set(ids) <= set(mine.index)
    # same features, located within a few metres (the pack used the mean of way nodes)
    dist = mine.loc[ids].geometry.distance(pack.set_axis(ids).geometry, align=True)
    assert dist.max() < 50


def test_register_merges_practices_once(
    gp: gpd.GeoDataFrame, osm: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame
) -> None:
    reg = assets.build_asset_register([gp, osm], area=boundary, buffer_m=2000)
    assert reg[c.ASSET_ID].is_unique
    camden_gp = gp.loc[gp["admin_district_code"] == CAMDEN, c.ASSET_ID]
    assert camden_gp.isin(reg[c.ASSET_ID]).all()
    practices = reg.loc[reg[c.ASSET_ID].isin(camden_gp)]
    assert len(practices) == 33
    assert practices[assets.MERGED_FROM].notna().sum() >= 15  # most are mapped in OSM too
    # no OSM primary-care record left that duplicates a practice: none with a similar
    # name within 60 m, and none with the same full name within 300 m
    left = reg.loc[(reg[c.SOURCE] == "osm") & reg[c.ASSET_TYPE].isin(PRIMARY_CARE)]
    pairs = practices.sindex.query(left.geometry, predicate="dwithin", distance=300)
    for i, j in zip(*pairs, strict=True):
        a, b = left.iloc[i], practices.iloc[j]
        assert _full_name(a[c.NAME]) != _full_name(b[c.NAME]), (a[c.NAME], b[c.NAME])
        if a.geometry.distance(b.geometry) <= 60:
            sim = assets.name_similarity(
                assets.name_tokens(a[c.NAME]), assets.name_tokens(b[c.NAME])
            )
            assert sim < assets.NAME_SIMILARITY_MIN, (a[c.NAME], b[c.NAME])
    assert reg[c.IN_AREA].any() and not reg[c.IN_AREA].all()


def test_register_with_pack_terriers(
    camden_dir: Path, gp: gpd.GeoDataFrame, osm: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame
) -> None:
    hospitals = terrier.load_asset_file(
        camden_dir / "camden_2km_hospitals_nhs_uk_2022_27700.gpkg",
        mapping={"name": "hospital22_name"},
        defaults={"asset_type": "hospital", "owner_type": "nhs_trust"},
        id_prefix="HOSP-",
        source="nhs_uk_hospitals_2022",
    )
    hq = terrier.load_asset_file(
        camden_dir / "camden_2km_nhs_trust_hq_ods_2022_27700.gpkg",
        mapping={
            "asset_id": "nhs_trust22_code",
            "name": "nhs_trust22_name",
            "owner": "nhs_trust22_code",
        },
        defaults={"asset_type": "nhs_office", "owner_type": "nhs_trust"},
        id_prefix="TRUSTHQ-",
    )
    assert len(hospitals) == 28 and len(hq) == 10
    reg = assets.build_asset_register([gp, osm, hospitals, hq], area=boundary, buffer_m=2000)
    assert reg[c.ASSET_ID].is_unique
    # the register's hospital record absorbs OSM's "Royal Free Hospital"
    royal_free = reg.loc[reg[c.NAME] == "Royal Free Hospital"]
    assert len(royal_free) == 1 and royal_free[c.ASSET_ID].iloc[0].startswith("HOSP-")
    assert "OSM-" in str(royal_free[assets.MERGED_FROM].iloc[0])


@pytest.mark.parametrize("year", ["2013-14", "2014-15", "2015-16", "2016-17"])
def test_eric_trust_level_camden_trusts(shared_data: Path, year: str) -> None:
    table = eric.load_eric_trust(shared_data / "nhs" / f"eric_trust_level_{year}.csv")
    assert len(table) > 200
    rows = table.loc[list(CAMDEN_TRUSTS)]
    assert (rows[c.GIA_M2] > 0).all()
    assert (rows[c.BACKLOG_GBP] > 0).all()
    assert (rows[c.ELECTRICITY_KWH] > 0).all() and (rows[c.GAS_KWH] > 0).all()
    assert (rows["year"] == year).all()
    assert np.isfinite(rows[c.GIA_M2]).all()

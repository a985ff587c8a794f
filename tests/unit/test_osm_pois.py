"""OSM asset loader on a hand-made .osm file and a .osm.pbf written from it with pyosmium."""

from __future__ import annotations

import math
import random
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
import pytest
import shapely

from estatesplan import contracts as c
from estatesplan.assets import FOOTPRINT_M2
from estatesplan.errors import DataSourceError
from estatesplan.sources import osm_pois

TINY_OSM = Path(__file__).resolve().parents[1] / "data" / "assets" / "tiny.osm"


@pytest.fixture(scope="module")
def tiny_pbf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("osm") / "tiny.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    try:
        for obj in osmium.FileProcessor(str(TINY_OSM)):
            writer.add(obj)
    finally:
        writer.close()
    return path


@pytest.fixture(scope="module")
def tiny() -> gpd.GeoDataFrame:
    return osm_pois.load_osm_assets(TINY_OSM).set_index(c.ASSET_ID, drop=False)


def test_rules_table_is_valid() -> None:
    rules = osm_pois.load_tag_rules()
    assert len(rules) >= 25
    assert {r.asset_type for r in rules} >= {
        "gp_practice", "hospital", "pharmacy", "dental", "school", "library",
        "place_of_worship", "community_centre", "town_hall", "social_facility",
        "leisure_centre", "housing_estate", "care_home", "health_centre",
    }  # fmt: skip
    # social_facility=nursing_home must be tried before amenity=social_facility
    order = [(r.key, r.value) for r in rules]
    assert order.index(("social_facility", "nursing_home")) < order.index(
        ("amenity", "social_facility")
    )


def test_kept_features_and_types(tiny: gpd.GeoDataFrame) -> None:
    expected = {
        "OSM-n1": ("gp_practice", "icb_primary_care"),
        "OSM-n2": ("pharmacy", "other"),
        "OSM-n3": ("clinic", "nhs_trust"),  # operator NHS
        "OSM-n4": ("clinic", "other"),  # healthcare=physiotherapist
        "OSM-n5": ("care_home", "other"),  # social_facility=nursing_home
        "OSM-n6": ("hospital", "other"),  # operator:type=private
        "OSM-n7": ("library", "local_authority"),  # operator Camden Council
        "OSM-n8": ("place_of_worship", "faith"),
        "OSM-n9": ("school", "other"),  # operator:type=private
        "OSM-n10": ("town_hall", "local_authority"),
        "OSM-n12": ("dental", "other"),
        "OSM-n13": ("community_centre", "vcse"),
        "OSM-w100": ("school", "education"),
        "OSM-w105": ("leisure_centre", "other"),
        "OSM-r1000": ("housing_estate", "housing"),
    }
    got = {i: (r[c.ASSET_TYPE], r[c.OWNER_TYPE]) for i, r in tiny.iterrows()}
    # bench (n11), "Some Flats" (w102), "Kilburn Private Estate" (w103) and the unnamed
    # residential=council way (w104) are not assets
    assert got == expected
    assert tiny.crs.to_epsg() == 27700
    assert tiny[c.ASSET_ID].is_unique


def test_attributes(tiny: gpd.GeoDataFrame) -> None:
    gp = tiny.loc["OSM-n1"]
    assert gp[c.NAME] == "Primrose Hill Surgery"
    assert gp[c.OSM_ID] == gp[c.SOURCE_REF] == "n1"
    assert gp[c.SOURCE] == "osm"
    assert gp[c.ODS_CODE] == "F83011"  # ref:GB:nhs_ods, upper-cased
    assert gp[c.POSTCODE] == "NW1 8AB"
    # wheelchair=yes / limited / no
    assert tiny[c.STEP_FREE].loc[["OSM-n1", "OSM-n3", "OSM-n4"]].tolist() == [True, False, False]
    assert pd.isna(tiny.loc["OSM-n5", c.STEP_FREE])
    assert tiny.loc["OSM-n2", c.NAME] == "<unnamed pharmacy>"
    assert tiny.loc["OSM-n12", c.POSTCODE] == "NW1 2AB"
    assert tiny.loc["OSM-r1000", c.OWNER] == "London Borough of Camden"
    assert tiny.loc["OSM-n4", osm_pois.OSM_TAG] == "healthcare=physiotherapist"


def test_geometry_and_footprint(tiny: gpd.GeoDataFrame) -> None:
    # the school is a 0.0015° x 0.001° square at 51.54°N: about
    # (0.0015 * 111320 * cos 51.54°) * (0.001 * 111250) = 103.9 m * 111.3 m = 11,560 m²
    lat = math.radians(51.5405)
    by_hand = 0.0015 * 111_320 * math.cos(lat) * 0.001 * 111_250
    assert tiny.loc["OSM-w100", FOOTPRINT_M2] == pytest.approx(by_hand, rel=0.01)
    # the estate relation: 0.002° x 0.002° -> about 138.6 m * 222.5 m
    by_hand_estate = 0.002 * 111_320 * math.cos(math.radians(51.541)) * 0.002 * 111_250
    assert tiny.loc["OSM-r1000", FOOTPRINT_M2] == pytest.approx(by_hand_estate, rel=0.01)
    assert pd.isna(tiny.loc["OSM-n1", FOOTPRINT_M2])
    assert pd.isna(tiny.loc["OSM-w105", FOOTPRINT_M2])  # an unclosed way is a line
    # representative points lie inside their polygons
    square = gpd.GeoSeries(
        [shapely.box(-0.1450, 51.5400, -0.1435, 51.5410)], crs="EPSG:4326"
    ).to_crs(27700)
    assert square.iloc[0].contains(tiny.loc["OSM-w100"].geometry)
    # a node keeps its own position
    n1 = gpd.GeoSeries([shapely.Point(-0.15, 51.54)], crs="EPSG:4326").to_crs(27700).iloc[0]
    assert tiny.loc["OSM-n1"].geometry.distance(n1) < 0.01


def test_pbf_equals_xml(tiny: gpd.GeoDataFrame, tiny_pbf: Path) -> None:
    from_pbf = osm_pois.load_osm_assets(tiny_pbf).set_index(c.ASSET_ID, drop=False)
    pd.testing.assert_frame_equal(from_pbf.drop(columns="geometry"), tiny.drop(columns="geometry"))
    assert from_pbf.geometry.geom_equals_exact(tiny.geometry, tolerance=1e-6).all()


def test_area_filter(tiny: gpd.GeoDataFrame) -> None:
    box = gpd.GeoDataFrame(geometry=[shapely.box(-0.16, 51.53, -0.13, 51.55)], crs="EPSG:4326")
    got = osm_pois.load_osm_assets(TINY_OSM, area=box)
    assert set(tiny[c.ASSET_ID]) - set(got[c.ASSET_ID]) == {"OSM-n13"}
    # a shapely geometry is read in the output CRS (EPSG:27700)
    got2 = osm_pois.load_osm_assets(TINY_OSM, area=box.to_crs(27700).geometry.iloc[0])
    assert set(got2[c.ASSET_ID]) == set(got[c.ASSET_ID])


def test_other_crs(tiny: gpd.GeoDataFrame) -> None:
    got = osm_pois.load_osm_assets(TINY_OSM, crs="EPSG:3857")
    assert got.crs.to_epsg() == 3857
    assert len(got) == len(tiny)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="file not found"):
        osm_pois.load_osm_assets(tmp_path / "none.osm.pbf")
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(DataSourceError, match="empty"):
        osm_pois.load_osm_assets(empty)


def test_random_bytes_is_an_error(tmp_path: Path) -> None:
    rng = random.Random(42)
    junk = bytes(rng.randrange(256) for _ in range(4096))
    for name in ("junk.osm.pbf", "junk.osm"):
        path = tmp_path / name
        path.write_bytes(junk)
        with pytest.raises(DataSourceError, match=name.replace(".", r"\.")):
            osm_pois.load_osm_assets(path)


def test_truncated_pbf_is_an_error(tmp_path: Path, tiny_pbf: Path) -> None:
    data = tiny_pbf.read_bytes()
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataSourceError, match=r"cut\.osm\.pbf"):
        osm_pois.load_osm_assets(cut)


def test_xml_that_is_not_osm(tmp_path: Path) -> None:
    page = tmp_path / "page.osm"
    page.write_text("<html><body>not a map</body></html>")
    with pytest.raises(DataSourceError, match="not an OSM file"):
        osm_pois.load_osm_assets(page)


def test_file_without_assets_gives_empty_layer(tmp_path: Path) -> None:
    path = tmp_path / "bench.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" version="1" lat="51.5" '
        'lon="-0.1"><tag k="amenity" v="bench"/></node></osm>'
    )
    got = osm_pois.load_osm_assets(path)
    assert len(got) == 0
    assert set(c.ASSET_REQUIRED) <= set(got.columns)

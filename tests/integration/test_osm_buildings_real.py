"""OSM building outlines and GIA estimates on the real Camden pack, read in place."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from estatesplan.errors import DataQualityWarning
from estatesplan.sources import ods
from estatesplan.sources import osm_buildings as ob

pytestmark = [pytest.mark.data, pytest.mark.integration]

CAMDEN = "E09000007"
BUILDINGS_IN_EXTRACT = 20_837  # building ways and relations counted in camden_2km.osm.pbf


@pytest.fixture(scope="module")
def buildings(camden_dir: Path) -> gpd.GeoDataFrame:
    # reads in about 1-2 s (speed is measured outside the test suite)
    return ob.read_buildings(camden_dir / "camden_2km.osm.pbf")


def test_camden_buildings(buildings: gpd.GeoDataFrame) -> None:
    assert abs(len(buildings) - BUILDINGS_IN_EXTRACT) <= 0.1 * BUILDINGS_IN_EXTRACT
    assert buildings.crs.to_epsg() == 27700
    assert buildings["osm_id"].is_unique
    assert buildings["osm_id"].str.fullmatch(r"[wr]\d+").all()
    assert (buildings["footprint_m2"] > 0).all()
    assert buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert buildings.geometry.is_valid.all()
    assert (buildings["osm_id"].str.startswith("r")).sum() > 50  # multipolygon buildings
    tagged = buildings["levels"].notna().sum()
    assert 4_000 < tagged < 5_500  # ~4,600 outlines carry building:levels
    assert buildings["levels"].dropna().between(0, 200, inclusive="right").all()
    assert (buildings["building"] != "no").all()


def test_camden_gp_practices_get_estimates(camden_dir: Path, buildings: gpd.GeoDataFrame) -> None:
    gp = ods.load_epraccur(camden_dir / "camden_2km_gp_practices_active.csv")
    camden = gp.loc[gp["admin_district_code"] == CAMDEN]
    assert len(camden) == 33
    # postcode centroids: a few fall more than 25 m from any outline
    with pytest.warns(DataQualityWarning, match="no building within 25 m"):
        got = ob.estimate_gia(camden, buildings)
    plausible = got["gia_m2"].between(50, 20_000)
    assert plausible.sum() >= 25
    assert (got["gia_estimated"] == got["gia_m2"].notna()).all()
    est = got.loc[got["gia_estimated"]]
    assert est["gia_basis"].str.startswith("estimate: OSM building ").all()
    assert est["building_distance_m"].le(25).all()
    assert np.isin(est["building_osm_id"], buildings["osm_id"]).all()
    # practices sharing a health centre split it: each share is the building's GIA / N
    shared = est.loc[est["gia_basis"].str.contains("shared by")]
    for _, rows in shared.groupby("building_osm_id"):
        assert f"shared by {len(rows)} assets" in rows["gia_basis"].iloc[0]
        assert rows["gia_m2"].nunique() == 1

"""Population zones built from the real open-data pack (Camden), read in place."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from estatesplan import contracts as c
from estatesplan import zones as z
from estatesplan.sources import imd, ons

pytestmark = pytest.mark.data

CAMDEN = "E09000007"
CAMDEN_RESIDENTS = 210_104  # Census 2021 usual residents (pack README)


@pytest.fixture(scope="module")
def camden_zones(camden_dir: Path) -> gpd.GeoDataFrame:
    return z.build_zones(
        ons.load_boundaries(camden_dir / "camden_lsoa21_boundaries_27700.gpkg"),
        age=ons.load_ts007a_age(camden_dir / "camden_census2021_ts007a_age_5yr_bands_lsoa21.csv"),
        health=ons.load_ts037_general_health(
            camden_dir / "camden_census2021_ts037_general_health_lsoa21.csv"
        ),
        disability=ons.load_ts038_disability(
            camden_dir / "camden_census2021_ts038_disability_lsoa21.csv"
        ),
        imd=imd.load_imd2025(camden_dir / "camden_imd2025_lsoa21.csv"),
        source="camden zones",
    )


def test_camden_zones(camden_zones: gpd.GeoDataFrame) -> None:
    assert len(camden_zones) == 130
    assert camden_zones[c.ZONE_ID].is_unique
    assert camden_zones[c.POPULATION].sum() == CAMDEN_RESIDENTS
    assert camden_zones[c.IMD_DECILE].notna().all()
    assert camden_zones[c.IMD_DECILE].between(1, 10).all()
    assert camden_zones.crs.to_epsg() == 27700
    bands = camden_zones[list(c.AGE_BANDS)].sum(axis=1)
    np.testing.assert_array_equal(bands.to_numpy(), camden_zones[c.POPULATION].to_numpy())
    assert (camden_zones[c.DISABILITY_OR_LTC] <= camden_zones[c.POPULATION] + 5).all()
    assert (camden_zones["LAD22CD"] == CAMDEN).all()


def test_london_tables_with_selection_give_the_same_zones(
    shared_data: Path, camden_zones: gpd.GeoDataFrame
) -> None:
    ref = shared_data / "london" / "_reference"
    london = ons.load_boundaries(ref / "london_lsoa21_boundaries_gen20_27700.gpkg")
    assert len(london) == 4994
    selected = z.select_zones(london, area_codes=[CAMDEN])
    zones = z.build_zones(
        selected,
        age=ons.load_ts007a_age(ref / "london_census2021_ts007a_age_5yr_bands_lsoa21.csv"),
        health=ons.load_ts037_general_health(
            ref / "london_census2021_ts037_general_health_lsoa21.csv"
        ),
        disability=ons.load_ts038_disability(ref / "london_census2021_ts038_disability_lsoa21.csv"),
        imd=imd.load_imd2025(ref / "london_imd2025_lsoa21.csv"),
    )
    left = zones.drop(columns="geometry").set_index(c.ZONE_ID).sort_index()
    right = camden_zones.drop(columns="geometry").set_index(c.ZONE_ID).sort_index()
    pd.testing.assert_frame_equal(left, right)


def test_select_by_outline_matches_select_by_code(shared_data: Path, camden_dir: Path) -> None:
    london = ons.load_boundaries(
        shared_data / "london" / "_reference" / "london_lsoa21_boundaries_gen20_27700.gpkg"
    )
    outline = gpd.read_file(camden_dir / "camden_boundary_and_2km_buffer_27700.gpkg")
    by_area = z.select_zones(london, area=outline[outline["buffer_m"] == 0])
    by_code = z.select_zones(london, area_codes=[CAMDEN])
    assert sorted(by_area[c.ZONE_ID]) == sorted(by_code[c.ZONE_ID])


def test_imd2019_via_lookup_covers_every_2021_lsoa(
    camden_dir: Path, camden_zones: gpd.GeoDataFrame
) -> None:
    out = imd.load_imd2019(
        camden_dir / "camden_imd2019_lsoa11.csv", camden_dir / "camden_lookup_lsoa11_lsoa21.csv"
    )
    assert set(out.index) == set(camden_zones[c.ZONE_ID])
    assert out[c.IMD_DECILE].notna().all()
    assert out[imd.IMD_METHOD].value_counts().to_dict() == {"direct": 126, "lookup_mean_rank": 4}
    # E01035707 = Camden 015A (E01000864) + 015B (E01000865), merged.
    merged = out.loc["E01035707"]
    assert merged[imd.IMD_METHOD] == "lookup_mean_rank"
    assert 1 <= merged[c.IMD_DECILE] <= 10
    zones = z.build_zones(
        camden_zones.drop(columns=[c.IMD_DECILE, c.IMD_RANK, c.IMD_SCORE]), imd=out
    )
    assert zones[c.IMD_DECILE].notna().all()


def test_routing_points_from_postcodes_lie_in_their_zones(
    camden_dir: Path, camden_zones: gpd.GeoDataFrame
) -> None:
    pc = pd.read_csv(camden_dir / "camden_2km_codepoint_open_postcodes_2025-10.csv")
    postcodes = gpd.GeoDataFrame(
        pc, geometry=gpd.points_from_xy(pc["easting"], pc["northing"]), crs=27700
    )
    out = z.routing_points(camden_zones, method="postcodes", postcodes=postcodes)
    inside = shapely.contains_xy(np.asarray(out.geometry.array), out[c.ROUTE_X], out[c.ROUTE_Y])
    assert inside.all()
    assert out[c.ROUTE_METHOD].isin([z.ROUTE_POSTCODE_MEAN, z.ROUTE_POSTCODE_NEAREST]).all()
    centroid = z.routing_points(camden_zones)
    inside = shapely.contains_xy(
        np.asarray(centroid.geometry.array), centroid[c.ROUTE_X], centroid[c.ROUTE_Y]
    )
    assert inside.all()

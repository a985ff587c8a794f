"""Neighbourhoods: proposed by max-p regionalisation (seeded), or read from a file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from estatesplan.errors import DataContractError, DataQualityWarning, DataSourceError
from estatesplan.neighbourhoods import (
    assign_assets,
    assign_zones,
    load_neighbourhoods,
    propose_neighbourhoods,
)


def grid_zones(n: int = 6, pop: int = 10_000) -> gpd.GeoDataFrame:
    """An n × n grid of 1 km squares, each with ``pop`` residents."""
    cells = [
        shapely.box(400_000 + i * 1000, 300_000 + j * 1000, 401_000 + i * 1000, 301_000 + j * 1000)
        for j in range(n)
        for i in range(n)
    ]
    return gpd.GeoDataFrame(
        {"zone_id": [f"Z{k:02d}" for k in range(n * n)], "population": [pop] * (n * n)},
        geometry=cells,
        crs="EPSG:27700",
    )


def test_proposed_regions_meet_floor_and_are_contiguous() -> None:
    zones = grid_zones()
    nbh, assignment = propose_neighbourhoods(
        zones, min_population=40_000, max_population=80_000, seed=0
    )
    assert nbh["population"].sum() == 360_000
    assert (nbh["population"] >= 40_000).all()
    assert len(nbh) >= 4
    for geom in nbh.geometry:  # contiguous: one polygon each
        assert geom.geom_type == "Polygon"
    # assignment agrees with the dissolved populations
    pops = zones.groupby(assignment)["population"].sum()
    assert pops.to_dict() == dict(zip(nbh["neighbourhood_id"], nbh["population"], strict=True))
    assert nbh["neighbourhood_id"].tolist() == [f"N{i + 1:02d}" for i in range(len(nbh))]
    assert nbh["name"].str.contains("proposed").all()


def test_reproducible_and_global_rng_untouched() -> None:
    zones = grid_zones()
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    a = propose_neighbourhoods(zones, min_population=40_000, max_population=80_000, seed=7)[1]
    after = np.random.random()
    b = propose_neighbourhoods(zones, min_population=40_000, max_population=80_000, seed=7)[1]
    assert (a == b).all()
    assert before == after, "the caller's global random stream is restored"


def test_warns_when_outside_target() -> None:
    zones = grid_zones(n=3)
    with pytest.warns(DataQualityWarning, match=r"outside the target population 100,000–120,000"):
        nbh, _ = propose_neighbourhoods(zones, min_population=100_000, max_population=120_000)
    assert len(nbh) == 1  # total 90,000 is below the floor: one neighbourhood


def test_no_zones() -> None:
    with pytest.raises(DataContractError, match="no zones"):
        propose_neighbourhoods(grid_zones().iloc[:0])


def test_island_zone_is_attached() -> None:
    zones = grid_zones(n=4)
    island = gpd.GeoDataFrame(
        {"zone_id": ["ISL"], "population": [10_000]},
        geometry=[shapely.box(410_000, 300_000, 411_000, 301_000)],
        crs="EPSG:27700",
    )
    zones = gpd.GeoDataFrame(pd_concat([zones, island]), crs="EPSG:27700")
    nbh, assignment = propose_neighbourhoods(zones, min_population=40_000, max_population=90_000)
    assert assignment.notna().all()
    assert nbh["population"].sum() == 170_000


def pd_concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_file_route_and_assignment(tmp_path: Path) -> None:
    zones = grid_zones(n=4)
    west = shapely.box(400_000, 300_000, 402_000, 304_000)
    east = shapely.box(402_000, 300_000, 404_000, 304_000)
    f = tmp_path / "nbh.gpkg"
    gpd.GeoDataFrame(
        {"code": ["W", "E"], "label": ["West", "East"]}, geometry=[west, east], crs="EPSG:27700"
    ).to_file(f)
    nbh = load_neighbourhoods(f, id_column="code", name_column="label", place="Testham")
    assert nbh["place"].tolist() == ["Testham", "Testham"]
    z = assign_zones(zones, nbh)
    assert (z == "W").sum() == 8 and (z == "E").sum() == 8
    assets = gpd.GeoDataFrame(
        geometry=[shapely.Point(400_500, 300_500), shapely.Point(500_000, 300_000)],
        crs="EPSG:27700",
    )
    a = assign_assets(assets, nbh)
    assert a.iloc[0] == "W" and a.isna().iloc[1]


def test_zone_outside_file_neighbourhoods_warns(tmp_path: Path) -> None:
    zones = grid_zones(n=2)
    f = tmp_path / "nbh.gpkg"
    gpd.GeoDataFrame(
        {"neighbourhood_id": ["A"], "name": ["A"]},
        geometry=[shapely.box(400_000, 300_000, 401_000, 302_000)],
        crs="EPSG:27700",
    ).to_file(f)
    nbh = load_neighbourhoods(f)
    with pytest.warns(
        DataQualityWarning, match=r"2 zone\(s\) lie outside every neighbourhood .*Z01, Z03"
    ):
        z = assign_zones(zones, nbh)
    assert (z == "A").all()


def test_missing_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="file not found"):
        load_neighbourhoods(tmp_path / "none.gpkg")
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a geopackage")
    with pytest.raises(DataSourceError, match="cannot read"):
        load_neighbourhoods(bad)

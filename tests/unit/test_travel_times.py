"""Travel-time matrices: exact times on hand-made networks, equality with an independent
Dijkstra (scipy over a graph with virtual nodes) on random and demo networks, and bad input."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from estatesplan import travel_times as tt
from estatesplan._routing import route
from estatesplan.errors import (
    ConfigError,
    CrsError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    MissingColumnError,
    NetworkBuildError,
)
from estatesplan.graph import StreetNetwork
from estatesplan.snapping import SegmentIndex, Snapped
from estatesplan.synthetic_network import perturbed_grid, random_points

CRS = "EPSG:27700"
X0, Y0 = 529_000.0, 182_000.0  # hand-made coordinates are relative to a point in Camden


# --- an independent reference: scipy's Dijkstra over the network plus virtual nodes --------


def reference_seconds(net: StreetNetwork, o: Snapped, d: Snapped) -> np.ndarray:
    """Seconds from every origin to every destination (inf when unreachable), computed with
    one virtual node per point, joined to its segment's ends, in plain Python loops."""
    n, no, nd = net.n_nodes, len(o), len(d)
    rows, cols = net.edge_u.tolist(), net.edge_v.tolist()
    w = net.edge_time_s.tolist()
    time_s = net.edge_time_s

    def add(a: int, b: int, c: float) -> None:
        rows.append(a)
        cols.append(b)
        w.append(float(c))

    for i in range(no):
        if o.flagged[i]:
            continue
        e, r, t, off = int(o.edge[i]), int(o.reverse_edge[i]), float(o.t[i]), float(o.offnet_s[i])
        a, b = int(net.edge_u[e]), int(net.edge_v[e])
        add(n + i, b, off + (1.0 - t) * time_s[e])
        if r >= 0:
            add(n + i, a, off + t * time_s[r])
        elif t == 0.0:
            add(n + i, a, off)
    for j in range(nd):
        if d.flagged[j]:
            continue
        e, r, t, off = int(d.edge[j]), int(d.reverse_edge[j]), float(d.t[j]), float(d.offnet_s[j])
        a, b = int(net.edge_u[e]), int(net.edge_v[e])
        add(a, n + no + j, t * time_s[e] + off)
        if r >= 0:
            add(b, n + no + j, (1.0 - t) * time_s[r] + off)
        elif t == 1.0:
            add(b, n + no + j, off)
    for i in range(no):
        for j in range(nd):
            if o.flagged[i] or d.flagged[j] or o.edge[i] != d.edge[j]:
                continue
            e, r = int(o.edge[i]), int(o.reverse_edge[i])
            best = np.inf
            if d.t[j] >= o.t[i]:
                best = (d.t[j] - o.t[i]) * time_s[e]
            if d.t[j] <= o.t[i] and r >= 0:
                best = min(best, (o.t[i] - d.t[j]) * time_s[r])
            add(n + i, n + no + j, o.offnet_s[i] + best + d.offnet_s[j])
    r_, c_, w_ = np.array(rows), np.array(cols), np.array(w)
    order = np.lexsort((w_, c_, r_))  # parallel edges: keep the fastest (csr would sum them)
    r_, c_, w_ = r_[order], c_[order], w_[order]
    first = np.ones(len(r_), dtype=bool)
    first[1:] = (r_[1:] != r_[:-1]) | (c_[1:] != c_[:-1])
    size = n + no + nd
    graph = sp.csr_array((w_[first], (r_[first], c_[first])), shape=(size, size))
    out = np.full((no, nd), np.inf)
    ok = np.flatnonzero(~o.flagged)
    if ok.size:
        out[ok] = dijkstra(graph, indices=n + ok)[:, n + no :]
    out[:, d.flagged] = np.inf
    return out


def reference_minutes(
    net: StreetNetwork, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame,
    *, cutoff_min: float, max_snap_m: float = 500.0, walk_speed_kmh: float = 4.8,
) -> np.ndarray:  # fmt: skip
    """The reference matrix in float64 minutes, NaN beyond the cut-off."""
    index = SegmentIndex.build(net)

    def xy(g: gpd.GeoDataFrame) -> np.ndarray:
        if "route_x" in g.columns:  # zones' routing points, in the layer's CRS
            g = gpd.GeoDataFrame(geometry=gpd.points_from_xy(g["route_x"], g["route_y"]), crs=g.crs)
        pts = g.to_crs(net.crs).geometry.representative_point()
        return np.column_stack((pts.x.to_numpy(), pts.y.to_numpy()))

    o = index.snap(xy(origins), max_distance_m=max_snap_m, walk_speed_kmh=walk_speed_kmh)
    d = index.snap(xy(destinations), max_distance_m=max_snap_m, walk_speed_kmh=walk_speed_kmh)
    m = reference_seconds(net, o, d) / 60.0
    return np.where(m <= cutoff_min, m, np.nan)


def seconds64(net: StreetNetwork, o: Snapped, d: Snapped, *, chunk_size: int | None = None,
              cutoff_s: float = np.inf, queue: str = "auto") -> np.ndarray:  # fmt: skip
    """The engine's float64 seconds (before the float32 minutes), inf beyond ``cutoff_s``."""
    out = np.full((len(o), len(d)), np.inf)

    def sink(rows: np.ndarray, cols: np.ndarray, seconds: np.ndarray) -> None:
        out[np.ix_(rows, cols)] = np.where(seconds <= cutoff_s, seconds, np.inf)

    route(net, o, d, cutoff_s=cutoff_s, chunk_size=chunk_size, sink=sink, queue=queue)
    return out


def assert_same_minutes(got: np.ndarray, ref: np.ndarray) -> None:
    """float32 result equal to the float64 reference rounded to float32 (within one unit in
    the last place, i.e. within 1e-6 min below 16 min), with the same NaNs."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    fin = ~np.isnan(ref)
    np.testing.assert_array_max_ulp(got[fin], ref[fin].astype(np.float32), maxulp=1)


# --- a hand-made network with hand-computed times -------------------------------------------


def make_net(nodes: dict[str, tuple[float, float]], edges: list[tuple[str, str, float]],
             mode: str = "drive") -> StreetNetwork:  # fmt: skip
    """A network from named nodes and (tail, head, seconds) edges; lengths are straight."""
    names = list(nodes)
    pos = {k: i for i, k in enumerate(names)}
    x = np.array([nodes[k][0] for k in names], dtype=float) + X0
    y = np.array([nodes[k][1] for k in names], dtype=float) + Y0
    u = np.array([pos[a] for a, _, _ in edges], dtype=np.int32)
    v = np.array([pos[b] for _, b, _ in edges], dtype=np.int32)
    return StreetNetwork(
        mode=mode, crs=CRS, node_osm_id=np.arange(1, len(names) + 1, dtype=np.int64), x=x, y=y,
        edge_u=u, edge_v=v, edge_length_m=np.hypot(x[v] - x[u], y[v] - y[u]),
        edge_time_s=np.array([s for _, _, s in edges], dtype=float),
        edge_way_id=np.arange(len(edges), dtype=np.int64),
        edge_highway=np.full(len(edges), "residential", dtype=object),
    )  # fmt: skip


@pytest.fixture
def hand_net() -> StreetNetwork:
    # A(0,0) ⇄ B(100,0): 60 s each way; B ⇄ C(200,0): 120 s; C → D(200,100) one-way 30 s;
    # F(1000,0) ⇄ G(1100,0) is a separate island.
    return make_net(
        {"A": (0, 0), "B": (100, 0), "C": (200, 0), "D": (200, 100), "F": (1000, 0), "G": (1100, 0)},
        [("A", "B", 60.0), ("B", "A", 60.0), ("B", "C", 120.0), ("C", "B", 120.0),
         ("C", "D", 30.0), ("F", "G", 10.0), ("G", "F", 10.0)],
    )  # fmt: skip


def points(xy: list[tuple[float, float]], prefix: str, crs: str | None = CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [f"{prefix}{i}" for i in range(len(xy))]},
        geometry=[shapely.Point(X0 + px, Y0 + py) for px, py in xy], crs=crs,
    )  # fmt: skip


def run(
    net: StreetNetwork, o: gpd.GeoDataFrame, d: gpd.GeoDataFrame, **kw: object
) -> tt.TravelTimeMatrix:
    kw = {"cutoff_min": 60.0, "walk_speed_kmh": 3.6, **kw}  # 3.6 km/h = 1 m/s: times are exact
    return tt.matrix_from_network(net, o, d, origin_id="id", destination_id="id", **kw)  # type: ignore[arg-type]


def test_hand_made_times(hand_net: StreetNetwork) -> None:
    o = points([(50, 20), (80, 10), (190, 20), (190, 80)], "o")
    d = points([(150, -40), (220, 50), (30, -10), (1050, 10)], "d")
    m = run(hand_net, o, d)
    expected = np.array([
        # o0 on A→B at t=0.5 (20 s walk); d0 on B–C at t=0.5 (40 s): 20 + 30 + 60 + 40
        # o0 → d1 on C→D at t=0.5 (20 s walk): 20 + 30 + 120 + 15 + 20
        # o0 → d2 on A–B at t=0.3 (10 s): same segment, backwards: 20 + 0.2·60 + 10
        [150.0, 205.0, 42.0, np.nan],
        # o1 on A–B at t=0.8 (10 s): to d0 20 + ... = 10 + 12 + 60 + 40; to d2: 10 + 0.5·60 + 10
        [122.0, 177.0, 50.0, np.nan],
        # o2 on C→D at t=0.2 (10 s): only forwards to D, a dead end; d1 is ahead: 10 + 9 + 20
        [np.nan, 39.0, np.nan, np.nan],
        # o3 on C→D at t=0.8: d1 is behind it on a one-way street and D leads nowhere
        [np.nan, np.nan, np.nan, np.nan],
    ]) / 60.0  # fmt: skip
    np.testing.assert_allclose(m.minutes, expected.astype(np.float32), rtol=1e-6, equal_nan=True)
    assert m.minutes.dtype == np.float32
    assert list(m.origin_ids) == ["o0", "o1", "o2", "o3"]
    assert list(m.destination_ids) == ["d0", "d1", "d2", "d3"]
    assert m.mode == "drive"
    assert m.metadata["settings"]["cutoff_min"] == 60.0
    assert len(m.metadata["digest"]) == 64


def test_reverse_search_gives_the_transpose(hand_net: StreetNetwork) -> None:
    a = points([(50, 20), (80, 10), (190, 20)], "a")
    b = points([(150, -40), (220, 50)], "b")
    ab = run(hand_net, a, b)  # fewer destinations: searched backwards from them
    ba = run(hand_net, b, a)  # fewer origins: searched forwards
    assert ab.metadata["search"]["direction"] == "reverse"
    assert ba.metadata["search"]["direction"] == "forward"
    ref = reference_minutes(hand_net, a, b, cutoff_min=60, walk_speed_kmh=3.6)
    assert_same_minutes(ab.minutes, ref)
    assert_same_minutes(
        ba.minutes, reference_minutes(hand_net, b, a, cutoff_min=60, walk_speed_kmh=3.6)
    )


def test_cutoff_boundary_is_inclusive(hand_net: StreetNetwork) -> None:
    o, d = points([(50, 20)], "o"), points([(150, -40)], "d")  # exactly 150 s = 2.5 min
    assert run(hand_net, o, d, cutoff_min=2.5).minutes[0, 0] == np.float32(2.5)
    assert np.isnan(run(hand_net, o, d, cutoff_min=2.4999).minutes[0, 0])


def test_a_point_on_a_node_of_a_one_way_street_may_leave_and_arrive_any_way() -> None:
    # A → B one-way (10 s), B ⇄ C (20 s), C → A one-way (50 s), A ⇄ E (40 s).
    net = make_net({"A": (0, 0), "B": (100, 0), "C": (100, 100), "E": (-100, 0)},
                   [("A", "B", 10.0), ("B", "C", 20.0), ("C", "B", 20.0), ("C", "A", 50.0),
                    ("A", "E", 40.0), ("E", "A", 40.0)])  # fmt: skip
    # o0 sits on A, snapped to A→B at t=0: it may start from A towards E (not only via B).
    # d1 sits on B, snapped to A→B at t=1: it may be reached through B from C.
    o = points([(0, 0), (100, 50)], "o")
    d = points([(-50, 10), (100, 0)], "d")
    m = run(net, o, d)
    np.testing.assert_allclose(m.minutes * 60, [[30.0, 10.0], [90.0, 10.0]], rtol=1e-6)
    assert_same_minutes(m.minutes, reference_minutes(net, o, d, cutoff_min=60, walk_speed_kmh=3.6))


def test_flagged_points_are_nan_and_warned(hand_net: StreetNetwork) -> None:
    o = points([(50, 20), (500, 500)], "o")
    d = points([(150, -40), (150, 900)], "d")
    with pytest.warns(
        DataQualityWarning, match=r"1 origins \(o1\) and 1 destinations \(d1\).*300 m"
    ):
        m = run(hand_net, o, d, max_snap_m=300)
    assert np.isnan(m.minutes[1]).all() and np.isnan(m.minutes[:, 1]).all()
    assert m.minutes[0, 0] == pytest.approx(2.5)
    assert m.metadata["flagged_origins"] == ["o1"]
    with pytest.raises(DataContractError, match="further than 300 m"):
        run(hand_net, o, d, max_snap_m=300, strict=True)


def test_polygons_route_from_representative_point_or_route_xy(hand_net: StreetNetwork) -> None:
    square = shapely.box(X0 + 40, Y0 + 10, X0 + 60, Y0 + 30)  # representative point (50, 20)
    zones = gpd.GeoDataFrame({"id": ["z"]}, geometry=[square], crs=CRS)
    d = points([(150, -40)], "d")
    assert run(hand_net, zones, d).minutes[0, 0] == pytest.approx(2.5)
    zones["route_x"], zones["route_y"] = (
        [X0 + 150.0],
        [Y0 - 30.0],
    )  # same snap point as d: 30 s + 40 s
    assert run(hand_net, zones, d).minutes[0, 0] == pytest.approx(70.0 / 60.0)


def test_other_crs_is_reprojected(hand_net: StreetNetwork) -> None:
    o, d = points([(50, 20), (80, 10)], "o"), points([(150, -40), (30, -10)], "d")
    base = run(hand_net, o, d)
    moved = run(hand_net, o.to_crs(4326), d.to_crs(3857))
    np.testing.assert_allclose(moved.minutes, base.minutes, atol=1e-4)  # 1 mm round trip


def test_empty_sides_give_empty_matrices(hand_net: StreetNetwork) -> None:
    o = points([(50, 20)], "o")
    m = run(hand_net, o, o.iloc[:0])
    assert m.minutes.shape == (1, 0)
    assert run(hand_net, o.iloc[:0], o).minutes.shape == (0, 1)


# --- equality with the reference on random and demo networks --------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_reference_on_seeded_grids(seed: int) -> None:
    net = perturbed_grid(1600, seed=seed, oneway_share=0.3, drop_share=0.1)
    o = random_points(net, 60, seed=seed + 10, prefix="o")
    d = random_points(net, 25, seed=seed + 20, prefix="d")
    ref = reference_minutes(net, o, d, cutoff_min=4.0)
    m = tt.matrix_from_network(net, o, d, origin_id="id", destination_id="id", cutoff_min=4.0,
                               chunk_size=7)  # fmt: skip
    assert np.isfinite(m.minutes).mean() > 0.2  # the cut-off bites but leaves plenty
    assert_same_minutes(m.minutes, ref)


def random_net(rng: np.random.Generator, *, subdivide: bool) -> StreetNetwork:
    """A random sparse directed graph (not a grid): one-ways, dead ends, parallel edges and
    islands; with ``subdivide``, each street is cut into a chain of up to 4 segments (the
    pass-through nodes the engine contracts), two-way or one-way as the street is."""
    n = int(rng.integers(2, 25))
    x, y = list(rng.uniform(0, 500, n).round(0)), list(rng.uniform(0, 500, n).round(0))
    m = int(rng.integers(1, 3 * n))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = a != b
    a, b = a[keep], b[keep]
    if a.size == 0:
        a, b = np.array([0]), np.array([1])
    kinds = rng.choice(3, a.size, p=[0.5, 0.3, 0.2])  # two-way, forward only, backward only
    uu: list[int] = []
    vv: list[int] = []
    times: list[float] = []
    for p, q, kind in zip(a.tolist(), b.tolist(), kinds.tolist(), strict=True):
        chain = [p]
        for _ in range(int(rng.integers(0, 4)) if subdivide else 0):
            f = rng.uniform(0.1, 0.9)
            x.append(round(x[p] + f * (x[q] - x[p]), 3))
            y.append(round(y[p] + f * (y[q] - y[p]), 3))
            chain.append(len(x) - 1)
        chain.append(q)
        for s0, s1 in itertools.pairwise(chain):
            fwd, back = rng.uniform(1, 60, 2).round(1)
            if kind in (0, 1):
                uu.append(s0), vv.append(s1), times.append(fwd)  # type: ignore[func-returns-value]
            if kind in (0, 2):
                uu.append(s1), vv.append(s0), times.append(back)  # type: ignore[func-returns-value]
    xa, ya = np.array(x), np.array(y)
    u, v = np.array(uu, dtype=np.int32), np.array(vv, dtype=np.int32)
    return StreetNetwork(
        "drive", CRS, np.arange(len(xa), dtype=np.int64), xa, ya, u, v,
        np.hypot(xa[v] - xa[u], ya[v] - ya[u]), np.array(times), np.arange(u.size, dtype=np.int64),
        np.full(u.size, "road", dtype=object),
    )  # fmt: skip


def check_against_reference(net: StreetNetwork, pts: np.ndarray, n_o: int, chunk: int,
                            cutoff_s: float = np.inf) -> None:  # fmt: skip
    """Both search directions and both priority queues (heap; buckets when the cut-off is
    finite) equal the reference to 1e-9 s, with the same unreachable pairs."""
    index = SegmentIndex.build(net)
    o = index.snap(pts[:n_o], max_distance_m=200)
    d = index.snap(pts[n_o:], max_distance_m=200)
    for a, b in ((o, d), (d, o)):
        ref = reference_seconds(net, a, b)
        ref = np.where(ref <= cutoff_s, ref, np.inf)
        for queue in ("heap", "buckets"):
            got = seconds64(net, a, b, chunk_size=chunk, cutoff_s=cutoff_s, queue=queue)
            np.testing.assert_array_equal(np.isinf(got), np.isinf(ref))
            fin = np.isfinite(ref)
            np.testing.assert_allclose(got[fin], ref[fin], rtol=0, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_o=st.integers(1, 12), n_d=st.integers(1, 12),
       subdivide=st.booleans(), cutoff_s=st.sampled_from([np.inf, 60.0, 200.0, 1000.0]))  # fmt: skip
def test_float64_seconds_equal_reference_on_random_graphs(seed: int, n_o: int, n_d: int, subdivide: bool,
                                                          cutoff_s: float) -> None:  # fmt: skip
    rng = np.random.default_rng(seed)
    net = random_net(rng, subdivide=subdivide)
    pts = rng.uniform(-50, 550, (n_o + n_d, 2)).round(0)
    nodes = rng.integers(0, net.n_nodes, n_o + n_d)
    on_node = rng.random(n_o + n_d) < 0.3  # some points exactly on nodes
    pts[on_node] = np.column_stack((net.x, net.y))[nodes[on_node]]
    check_against_reference(net, pts, n_o, int(rng.integers(1, 5)), cutoff_s)


@pytest.mark.parametrize("two_way", [True, False])
def test_a_ring_without_junctions(two_way: bool) -> None:
    """Every node passes traffic through: the engine must still route around the ring."""
    k = 7
    ang = np.linspace(0, 2 * np.pi, k, endpoint=False)
    x, y = 100 * np.cos(ang) + X0, 100 * np.sin(ang) + Y0
    fwd = [(i, (i + 1) % k, 10.0 + i) for i in range(k)]
    back = [((i + 1) % k, i, 20.0 + i) for i in range(k)] if two_way else []
    e = fwd + back
    u = np.array([a for a, _, _ in e], dtype=np.int32)
    v = np.array([b for _, b, _ in e], dtype=np.int32)
    net = StreetNetwork("walk", CRS, np.arange(k, dtype=np.int64), x, y, u, v, np.hypot(x[v] - x[u], y[v] - y[u]),
                        np.array([t for _, _, t in e]), np.arange(len(e), dtype=np.int64),
                        np.full(len(e), "path", dtype=object))  # fmt: skip
    rng = np.random.default_rng(1)
    pts = np.column_stack((rng.uniform(-120, 120, 12) + X0, rng.uniform(-120, 120, 12) + Y0))
    check_against_reference(net, pts, 5, 2, 100.0)
    m = seconds64(net, SegmentIndex.build(net).snap(pts[:5]), SegmentIndex.build(net).snap(pts[5:]))
    assert np.isfinite(m).all()


def test_equals_reference_on_the_demo_streets(tmp_path: Path) -> None:
    from estatesplan import demo, networks

    folder = demo.write_demo(tmp_path, seed=0).parent
    zones = gpd.read_file(folder / "zones.gpkg")
    assets = gpd.read_file(folder / "assets.gpkg")
    for mode in ("walk", "drive"):
        net = networks.network_from_osm(folder / "streets.osm.pbf", mode)
        m = tt.matrix_from_network(net, zones, assets, origin_id="zone_id", destination_id="asset_id",
                                   cutoff_min=30.0)  # fmt: skip
        ref = reference_minutes(net, zones, assets, cutoff_min=30.0)
        assert np.isfinite(ref).mean() > 0.3, mode
        assert_same_minutes(m.minutes, ref)


# --- properties ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid() -> StreetNetwork:
    return perturbed_grid(2500, seed=5, oneway_share=0.2)


def test_adding_a_destination_changes_no_other_column(grid: StreetNetwork) -> None:
    o = random_points(grid, 40, seed=1, prefix="o")
    d = random_points(grid, 30, seed=2, prefix="d")
    base = tt.matrix_from_network(grid, o, d, origin_id="id", destination_id="id", cutoff_min=3.0)
    more = pd.concat([d, random_points(grid, 1, seed=3, prefix="x")], ignore_index=True)
    plus = tt.matrix_from_network(
        grid, o, more, origin_id="id", destination_id="id", cutoff_min=3.0
    )
    np.testing.assert_array_equal(plus.minutes[:, :30], base.minutes)


def test_cutoff_is_monotonic(grid: StreetNetwork) -> None:
    o = random_points(grid, 30, seed=4, prefix="o")
    d = random_points(grid, 50, seed=5, prefix="d")
    prev = None
    for cutoff in (1.0, 2.0, 4.0, 8.0, 60.0):
        m = tt.matrix_from_network(
            grid, o, d, origin_id="id", destination_id="id", cutoff_min=cutoff
        )
        assert np.nanmax(m.minutes) <= cutoff
        if prev is not None:
            assert (np.isnan(m.minutes) <= np.isnan(prev)).all()  # the NaN set only shrinks
            both = ~np.isnan(prev)
            np.testing.assert_array_equal(m.minutes[both], prev[both])
        prev = m.minutes
    assert prev is not None and np.isfinite(prev).all()  # the grid is strongly connected


def test_chunking_and_progress_do_not_change_results(grid: StreetNetwork) -> None:
    o = random_points(grid, 23, seed=6, prefix="o")
    d = random_points(grid, 9, seed=7, prefix="d")
    calls: list[tuple[int, int, str]] = []
    whole = tt.matrix_from_network(grid, o, d, origin_id="id", destination_id="id", cutoff_min=5.0)
    parts = tt.matrix_from_network(grid, o, d, origin_id="id", destination_id="id", cutoff_min=5.0,
                                   chunk_size=2, progress=lambda *a: calls.append(a))  # fmt: skip
    np.testing.assert_array_equal(whole.minutes, parts.minutes)
    assert calls[-1] == (5, 5, "drive matrix")  # 9 destinations searched in chunks of 2


# --- tables and Parquet ----------------------------------------------------------------------


def test_long_and_wide_tables(hand_net: StreetNetwork) -> None:
    m = run(hand_net, points([(50, 20), (190, 80)], "o"), points([(150, -40), (1050, 10)], "d"))
    long = m.to_long()
    assert list(long.columns) == ["origin_id", "destination_id", "minutes"]
    assert long.to_dict("list") == {"origin_id": ["o0"], "destination_id": ["d0"], "minutes": [2.5]}
    wide = m.to_frame()
    assert wide.shape == (2, 2) and wide.index.name == "origin_id"
    assert wide.loc["o0", "d0"] == 2.5 and np.isnan(wide.loc["o1", "d0"])


def test_parquet_round_trip_is_exact(grid: StreetNetwork, tmp_path: Path) -> None:
    o = random_points(grid, 30, seed=8, prefix="o")
    d = random_points(grid, 20, seed=9, prefix="d")
    m = tt.matrix_from_network(grid, o, d, origin_id="id", destination_id="id", cutoff_min=2.0)
    assert 0 < np.isnan(m.minutes).sum() < m.minutes.size
    path = m.save(tmp_path / "m.parquet")
    back = tt.TravelTimeMatrix.load(path)
    np.testing.assert_array_equal(back.minutes, m.minutes)
    assert back.minutes.dtype == np.float32
    assert list(back.origin_ids) == list(m.origin_ids)
    assert list(back.destination_ids) == list(m.destination_ids)
    assert (back.mode, back.cutoff_min) == (m.mode, m.cutoff_min)
    assert back.metadata["digest"] == m.metadata["digest"]
    assert back.metadata["network"]["seed"] == 5
    long = pd.read_parquet(path)  # plain Parquet: any tool can read the long table
    assert list(long.columns) == ["origin_id", "destination_id", "minutes"]
    assert len(long) == np.isfinite(m.minutes).sum()
    assert not list(tmp_path.glob(".*tmp*"))  # the atomic write left nothing behind


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty"),
        (b"not parquet at all", "cannot read as Parquet"),
        ("plain", "not an estatesplan travel-time matrix"),
        ("bad-ids", "damaged"),
    ],
)
def test_loading_something_else_is_a_data_source_error(
    tmp_path: Path, content: object, match: str
) -> None:
    path = tmp_path / "x.parquet"
    if content == "plain":
        pd.DataFrame({"a": [1]}).to_parquet(path)
    elif content == "bad-ids":
        m = tt.TravelTimeMatrix("walk", np.array(["a"], dtype=object), np.array(["b"], dtype=object),
                                np.array([[1.0]], dtype=np.float32), 10.0)  # fmt: skip
        m.save(path)
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        meta = dict(table.schema.metadata)
        meta[b"estatesplan:travel_time_matrix"] = meta[b"estatesplan:travel_time_matrix"].replace(
            b'"a"', b'"z"'
        )
        pq.write_table(table.replace_schema_metadata(meta), path)
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    with pytest.raises(DataSourceError, match=match):
        tt.TravelTimeMatrix.load(path)
    with pytest.raises(DataSourceError, match="not found"):
        tt.TravelTimeMatrix.load(tmp_path / "missing.parquet")


# --- bad input ---------------------------------------------------------------------------------


def test_points_without_crs(hand_net: StreetNetwork) -> None:
    with pytest.raises(CrsError, match="origins: the layer has no coordinate reference system"):
        run(hand_net, points([(50, 20)], "o", crs=None), points([(150, -40)], "d"))


def test_duplicate_ids(hand_net: StreetNetwork) -> None:
    d = points([(150, -40), (30, -10)], "d")
    d["id"] = ["d0", "d0"]
    with pytest.raises(DuplicateIdError, match="destinations: 'id' must be unique; repeated: d0"):
        run(hand_net, points([(50, 20)], "o"), d)


def test_missing_id_column(hand_net: StreetNetwork) -> None:
    with pytest.raises(MissingColumnError, match="id column 'zone_id' not found"):
        tt.matrix_from_network(hand_net, points([(50, 20)], "o"), points([(150, -40)], "d"),
                               origin_id="zone_id", destination_id="id", cutoff_min=10)  # fmt: skip


@pytest.mark.parametrize("cutoff", [0, -5.0, float("nan"), "ten"])
def test_cutoff_must_be_positive(hand_net: StreetNetwork, cutoff: object) -> None:
    with pytest.raises(ConfigError, match="cut-off must be a positive number of minutes"):
        run(hand_net, points([(50, 20)], "o"), points([(150, -40)], "d"), cutoff_min=cutoff)


def test_bad_chunk_size(hand_net: StreetNetwork) -> None:
    with pytest.raises(ConfigError, match="chunk_size"):
        run(hand_net, points([(50, 20)], "o"), points([(150, -40)], "d"), chunk_size=0)


def test_network_without_edges() -> None:
    net = make_net({"A": (0, 0)}, [])
    with pytest.raises(NetworkBuildError, match="no edges"):
        run(net, points([(0, 0)], "o"), points([(0, 0)], "d"))


def test_import_compiles_nothing() -> None:
    code = (
        "import sys, estatesplan.travel_times, estatesplan.snapping; print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- preparing a network once; the public pieces of a matrix's record ------------------------


def test_a_prepared_network_gives_the_same_matrices_bit_for_bit(grid: StreetNetwork) -> None:
    import dataclasses

    o = random_points(grid, 25, seed=11, prefix="o")
    d = random_points(grid, 8, seed=12, prefix="d")
    prepared = tt.PreparedNetwork.build(grid)
    kw = {"origin_id": "id", "destination_id": "id", "cutoff_min": 3.0}
    first = tt.matrix_from_network(grid, o, d, **kw)  # type: ignore[arg-type]
    for a, b in ((o, d), (d, o)):  # searched backwards, then forwards: both directions reused
        fresh = tt.matrix_from_network(grid, a, b, **kw)  # type: ignore[arg-type]
        again = tt.matrix_from_network(grid, a, b, prepared=prepared, **kw)  # type: ignore[arg-type]
        np.testing.assert_array_equal(again.minutes, fresh.minutes)
        assert again.metadata["digest"] == fresh.metadata["digest"]
        assert again.metadata["search"]["prepare_s"] == 0.0 < fresh.metadata["search"]["prepare_s"]
    assert prepared.csr(reverse=True) is prepared.csr(reverse=True)  # built once, then kept
    # A copy of the network with the same arrays is the same network.
    copy = dataclasses.replace(grid, x=grid.x.copy())
    same = tt.matrix_from_network(copy, o, d, prepared=prepared, **kw)  # type: ignore[arg-type]
    np.testing.assert_array_equal(same.minutes, first.minutes)


def test_a_network_prepared_from_another_network_is_refused(grid: StreetNetwork) -> None:
    import dataclasses

    other = dataclasses.replace(grid, edge_time_s=grid.edge_time_s * 2.0)
    prepared = tt.PreparedNetwork.build(other)
    o, d = random_points(grid, 2, seed=1, prefix="o"), random_points(grid, 2, seed=2, prefix="d")
    with pytest.raises(ConfigError, match="prepared= was built from another network"):
        tt.matrix_from_network(grid, o, d, origin_id="id", destination_id="id", cutoff_min=3.0,
                               prepared=prepared)  # fmt: skip


def test_preparing_a_network_without_edges_fails() -> None:
    with pytest.raises(NetworkBuildError, match="no edges"):
        tt.PreparedNetwork.build(make_net({"A": (0, 0)}, []))


def test_point_ids_are_strings_and_need_a_value() -> None:
    layer = pd.DataFrame({"code": [3, 1, 2]})
    assert tt.point_ids(layer, "code", what="sites").tolist() == ["3", "1", "2"]
    layer.loc[1, "code"] = None
    with pytest.raises(DataContractError, match="sites: 1 rows have no 'code'"):
        tt.point_ids(layer, "code", what="sites")
    mixed = pd.DataFrame({"code": [1, "1"]}, dtype=object)  # distinct values, one id as text
    with pytest.raises(DuplicateIdError, match="repeated: 1"):
        tt.point_ids(mixed, "code")


def test_matrix_digest_is_recomputable_from_the_public_pieces(hand_net: StreetNetwork) -> None:
    from estatesplan.snapping import points_xy

    o, d = points([(50, 20), (80, 10)], "o"), points([(150, -40)], "d")
    m = run(hand_net, o, d)
    o_ids, d_ids = tt.point_ids(o, "id"), tt.point_ids(d, "id")
    o_xy, d_xy = points_xy(o, CRS), points_xy(d, CRS)
    settings = m.metadata["settings"]
    assert tt.matrix_digest(hand_net, o_ids, o_xy, d_ids, d_xy, settings) == m.metadata["digest"]
    prepared = tt.PreparedNetwork.build(hand_net)
    assert tt.matrix_digest(prepared, o_ids, o_xy, d_ids, d_xy, settings) == m.metadata["digest"]
    changed = {**settings, "cutoff_min": 30.0}
    assert tt.matrix_digest(hand_net, o_ids, o_xy, d_ids, d_xy, changed) != m.metadata["digest"]
    assert (
        tt.matrix_digest(hand_net, o_ids, o_xy + 1.0, d_ids, d_xy, settings) != m.metadata["digest"]
    )


def test_flagged_points_message_wording() -> None:
    assert tt.flagged_points_message("walk", [], [], max_snap_m=500) is None
    msg = tt.flagged_points_message("walk", ["z1", "z2"], [], max_snap_m=250, furthest_m=1234.4)
    assert msg == (
        "2 origins (z1, z2) are further than 250 m from the walk network (furthest 1,234 m); "
        "their times are NaN. Check their location and CRS, raise max_snap_m, or use an "
        "extract that reaches them"
    )
    unknown = tt.flagged_points_message("drive", [], ["a"], max_snap_m=None)
    assert unknown is not None
    assert unknown.startswith(
        "1 destinations (a) are further than the snapping distance from the drive network;"
    )


def test_a_matrix_read_back_warns_as_the_fresh_one(hand_net: StreetNetwork, tmp_path: Path) -> None:
    o = points([(50, 20), (500, 500)], "o")
    d = points([(150, -40)], "d")
    with pytest.warns(DataQualityWarning) as fresh:
        m = run(hand_net, o, d, max_snap_m=300)
    quiet = run(hand_net, o, d, max_snap_m=300, warn=False)  # no warning: recorded only
    assert quiet.metadata["flagged_origins"] == ["o1"]
    assert quiet.metadata["furthest_snap_m"] == m.metadata["furthest_snap_m"]
    back = tt.TravelTimeMatrix.load(m.save(tmp_path / "m.parquet"))
    with pytest.warns(DataQualityWarning) as again:
        tt.warn_flagged_points(back)
    assert len(fresh) == len(again) == 1
    assert str(again[0].message) == str(fresh[0].message)
    assert "(furthest 500 m)" in str(fresh[0].message)  # (500, 500) to the node D at (200, 100)

"""The seeded synthetic street grid and random points used by tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from estatesplan.errors import ConfigError
from estatesplan.synthetic_network import perturbed_grid, random_points


def _arrays(net):  # type: ignore[no-untyped-def]
    return (net.x, net.y, net.edge_u, net.edge_v, net.edge_time_s, net.edge_way_id)


def test_same_seed_same_network_other_seed_differs() -> None:
    a, b = perturbed_grid(2_000, seed=7), perturbed_grid(2_000, seed=7)
    for left, right in zip(_arrays(a), _arrays(b), strict=True):
        np.testing.assert_array_equal(left, right)
    c = perturbed_grid(2_000, seed=8)
    assert not np.array_equal(a.x[:100], c.x[:100])


def test_strongly_connected_after_drops_and_oneways() -> None:
    net = perturbed_grid(5_000, seed=3, oneway_share=0.3, drop_share=0.15)
    n_comp, _ = connected_components(net.csr(), directed=True, connection="strong")
    assert n_comp == 1
    # The build really did make one-way streets and drop some grid segments.
    assert net.report["segments_dropped"] > 0
    pairs = set(zip(net.edge_u.tolist(), net.edge_v.tolist(), strict=True))
    assert any((v, u) not in pairs for u, v in pairs)


def test_full_grid_has_hand_counted_sizes() -> None:
    # 12 nodes -> 4 columns × 3 rows: 3 × 3 east segments + 4 × 2 north = 17 segments.
    net = perturbed_grid(12, oneway_share=0.0, drop_share=0.0)
    assert net.n_nodes == 12
    assert net.n_edges == 34
    assert net.report["grid_segments"] == 17
    # A partial last row: 10 nodes -> 4 columns, rows of 4, 4, 2.
    # East: 3 + 3 + 1 = 7; north: 4 (row 0 -> 1) + 2 (row 1 -> 2) = 6.
    assert perturbed_grid(10, oneway_share=0.0, drop_share=0.0).n_edges == 26


def test_geometry_speed_and_labels() -> None:
    net = perturbed_grid(
        400, spacing_m=50.0, speed_kmh=36.0, origin=(500_000.0, 200_000.0), mode="walk", seed=1
    )
    assert net.mode == "walk"
    assert net.crs == "EPSG:27700"
    # Jitter is at most a quarter of the spacing on each axis.
    assert net.x.min() >= 500_000.0 - 12.5
    assert net.y.min() >= 200_000.0 - 12.5
    assert net.x.max() <= 500_000.0 + 19 * 50.0 + 12.5
    seg = net.segments()
    np.testing.assert_allclose(
        net.edge_length_m, np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])
    )
    np.testing.assert_allclose(net.edge_time_s, net.edge_length_m / 10.0)  # 36 km/h = 10 m/s
    assert (net.edge_length_m > 50.0 * 0.2).all()
    assert set(net.edge_highway.tolist()) == {"residential"}
    assert net.node_osm_id.dtype == np.int64 and net.edge_u.dtype == np.int32


def test_larger_grid_keeps_nearly_every_node() -> None:
    net = perturbed_grid(200_000, seed=0)
    assert 0.98 * 200_000 <= net.n_nodes <= 200_000
    assert net.report["nodes_dropped_outside_largest_scc"] == 200_000 - net.n_nodes
    assert 3.0 < net.n_edges / net.n_nodes < 4.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_nodes": 3}, "n_nodes"),
        ({"n_nodes": 100, "oneway_share": 1.0}, "oneway_share"),
        ({"n_nodes": 100, "drop_share": -0.1}, "drop_share"),
        ({"n_nodes": 100, "spacing_m": 0.0}, "spacing_m"),
        ({"n_nodes": 100, "speed_kmh": float("nan")}, "speed_kmh"),
    ],
)
def test_bad_settings_raise_config_error(kwargs: dict[str, float], match: str) -> None:
    n = int(kwargs.pop("n_nodes"))
    with pytest.raises(ConfigError, match=match):
        perturbed_grid(n, **kwargs)  # type: ignore[arg-type]


def test_random_points_inside_extent_unique_ids_and_seeded() -> None:
    net = perturbed_grid(900, seed=2)
    pts = random_points(net, 250, seed=4, prefix="O")
    assert len(pts) == 250
    assert pts.crs == net.crs
    assert pts["id"].is_unique
    assert pts["id"].iloc[0] == "O000" and pts["id"].iloc[-1] == "O249"
    x, y = pts.geometry.x, pts.geometry.y
    assert x.between(net.x.min(), net.x.max()).all()
    assert y.between(net.y.min(), net.y.max()).all()
    again = random_points(net, 250, seed=4, prefix="O")
    assert again.geometry.equals(pts.geometry)
    assert len(random_points(net, 0, seed=1)) == 0
    with pytest.raises(ConfigError, match="non-negative"):
        random_points(net, -1, seed=1)

"""Seeded synthetic street networks and points, for tests and benchmarks.

:func:`perturbed_grid` builds a jittered square grid of streets with a share of
segments removed and a share made one-way, then keeps its largest strongly connected
component, so every node can reach every other. It is built with vectorised numpy
only: a 1,000,000-node grid takes a few seconds and a few hundred MB. The same seed
always gives the same network, bit for bit. :func:`random_points` scatters points over
a network's extent.

Nothing here describes a real place: the coordinates merely sit in a plausible patch
of British National Grid so that CRS checks pass.
"""

from __future__ import annotations

import logging
import math
import time

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .errors import ConfigError
from .graph import StreetNetwork

__all__ = ["perturbed_grid", "random_points"]

logger = logging.getLogger(__name__)

_JITTER = 0.25
"""Node jitter as a share of the spacing, each axis (uniform in ±jitter)."""


def _check_share(name: str, value: float) -> None:
    if not (0.0 <= value < 1.0):
        msg = f"perturbed_grid: {name} must be in [0, 1), got {value!r}."
        raise ConfigError(msg)


def perturbed_grid(
    n_nodes: int,
    *,
    spacing_m: float = 80.0,
    seed: int = 0,
    oneway_share: float = 0.1,
    drop_share: float = 0.05,
    speed_kmh: float = 30.0,
    crs: str = "EPSG:27700",
    origin: tuple[float, float] = (400000.0, 300000.0),
    mode: str = "drive",
) -> StreetNetwork:
    """Return a seeded, strongly connected, jittered street grid.

    Nodes are laid out row by row on a near-square grid (``ceil(sqrt(n_nodes))``
    columns; the last row may be partial), each moved by a uniform random offset of
    up to a quarter of the spacing on each axis. Neighbouring nodes along rows and
    columns are joined by straight street segments; ``drop_share`` of them are
    removed, and ``oneway_share`` of the rest are one-way in a random direction
    (the others are two directed edges). Only the largest strongly connected
    component is kept, so the result has slightly fewer than ``n_nodes`` nodes
    (about 1 % fewer at the defaults); ``report`` says how many were dropped.

    Parameters
    ----------
    n_nodes
        Number of grid nodes before the strongly connected component is taken
        (at least 4).
    spacing_m
        Distance between neighbouring grid nodes before jitter, in metres.
    seed
        Seed of the random generator; the network is a pure function of the
        arguments.
    oneway_share
        Share of the kept segments that are one-way, in [0, 1).
    drop_share
        Share of the grid segments removed, in [0, 1).
    speed_kmh
        Speed on every edge, in km/h; ``edge_time_s`` is length over speed.
    crs
        CRS label of the coordinates (projected, metres).
    origin
        Coordinates of the grid's south-west corner node before jitter, in ``crs``.
    mode
        Mode label stored on the network (``"drive"`` suits the default one-way
        share; use ``"walk"`` with ``oneway_share=0`` and ``speed_kmh=4.8``).

    Returns
    -------
    StreetNetwork
        Nodes numbered 0..n-1 in grid order; ``node_osm_id`` is the original grid
        index + 1; ``edge_way_id`` numbers the grid segment (both directions of a
        two-way street share it); ``edge_highway`` is ``"residential"``.

    Raises
    ------
    ConfigError
        If a size, share, spacing or speed is out of range.

    Examples
    --------
    >>> net = perturbed_grid(100, seed=1)
    >>> net.n_nodes <= 100, net.mode
    (True, 'drive')
    """
    t0 = time.perf_counter()
    if int(n_nodes) != n_nodes or n_nodes < 4:
        msg = f"perturbed_grid: n_nodes must be an integer of at least 4, got {n_nodes!r}."
        raise ConfigError(msg)
    if not (spacing_m > 0 and math.isfinite(spacing_m)):
        msg = f"perturbed_grid: spacing_m must be a positive number of metres, got {spacing_m!r}."
        raise ConfigError(msg)
    if not (speed_kmh > 0 and math.isfinite(speed_kmh)):
        msg = f"perturbed_grid: speed_kmh must be positive, got {speed_kmh!r}."
        raise ConfigError(msg)
    _check_share("oneway_share", oneway_share)
    _check_share("drop_share", drop_share)
    n = int(n_nodes)
    rng = np.random.default_rng(seed)
    cols = math.ceil(math.sqrt(n))

    idx = np.arange(n, dtype=np.int64)
    row, col = np.divmod(idx, cols)
    jitter = rng.uniform(-_JITTER, _JITTER, size=(2, n)) * spacing_m
    x = origin[0] + col * spacing_m + jitter[0]
    y = origin[1] + row * spacing_m + jitter[1]
    del jitter, row

    # Undirected segments: to the east neighbour (same row) and the north one.
    east = idx[(col < cols - 1) & (idx + 1 < n)]
    north = idx[idx + cols < n]
    del col
    a = np.concatenate((east, north)).astype(np.int32)
    b = np.concatenate((east + 1, north + cols)).astype(np.int32)
    del east, north, idx
    n_segments = len(a)
    keep = rng.random(n_segments) >= drop_share
    seg_id = np.flatnonzero(keep).astype(np.int64)
    n_dropped = n_segments - len(seg_id)
    a, b = a[keep], b[keep]
    oneway = rng.random(len(a)) < oneway_share
    flip = rng.random(len(a)) < 0.5
    # One-way segments keep one direction (flipped at random); two-way ones get both.
    fwd_u = np.where(oneway & flip, b, a)
    fwd_v = np.where(oneway & flip, a, b)
    two = ~oneway
    u = np.concatenate((fwd_u, b[two]))
    v = np.concatenate((fwd_v, a[two]))
    way = np.concatenate((seg_id, seg_id[two]))
    del a, b, fwd_u, fwd_v, oneway, flip, keep, seg_id

    adj = sp.csr_array((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n, n))
    n_comp, labels = connected_components(adj, directed=True, connection="strong")
    del adj
    largest = int(np.argmax(np.bincount(labels)))
    node_keep = labels == largest
    new_index = np.full(n, -1, dtype=np.int32)
    kept_nodes = np.flatnonzero(node_keep)
    new_index[kept_nodes] = np.arange(len(kept_nodes), dtype=np.int32)
    edge_keep = node_keep[u] & node_keep[v]
    u = new_index[u[edge_keep]]
    v = new_index[v[edge_keep]]
    way = way[edge_keep]
    x, y = x[kept_nodes], y[kept_nodes]

    length = np.hypot(x[v] - x[u], y[v] - y[u])
    time_s = length / (speed_kmh / 3.6)
    report = {
        "seed": int(seed),
        "grid_nodes": n,
        "grid_segments": n_segments,
        "segments_dropped": int(n_dropped),
        "components": int(n_comp),
        "nodes_dropped_outside_largest_scc": int(n - len(kept_nodes)),
        "edges_dropped_outside_largest_scc": int((~edge_keep).sum()),
        "synthetic": True,
    }
    net = StreetNetwork(
        mode=mode,
        crs=crs,
        node_osm_id=kept_nodes.astype(np.int64) + 1,
        x=x,
        y=y,
        edge_u=u.astype(np.int32, copy=False),
        edge_v=v.astype(np.int32, copy=False),
        edge_length_m=length,
        edge_time_s=time_s,
        edge_way_id=way,
        edge_highway=np.full(len(u), "residential", dtype=object),
        report=report,
    )
    logger.info(
        "synthetic grid: %d nodes, %d directed edges (%d nodes outside the largest SCC dropped) in %.2f s",
        net.n_nodes,
        net.n_edges,
        report["nodes_dropped_outside_largest_scc"],
        time.perf_counter() - t0,
    )
    return net


def random_points(
    net: StreetNetwork,
    n: int,
    *,
    seed: int,
    prefix: str = "P",
) -> gpd.GeoDataFrame:
    """Return ``n`` seeded random points, uniform over the network's bounding box.

    Parameters
    ----------
    net
        Network whose node extent (and CRS) the points take.
    n
        Number of points (0 or more).
    seed
        Seed of the random generator.
    prefix
        Start of each id; ids are ``prefix`` + a zero-padded running number.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``id`` (str, unique) and ``geometry`` (Point, in ``net.crs``);
        a 0..n-1 RangeIndex.

    Raises
    ------
    ConfigError
        If ``n`` is negative.
    """
    if int(n) != n or n < 0:
        msg = f"random_points: n must be a non-negative integer, got {n!r}."
        raise ConfigError(msg)
    rng = np.random.default_rng(seed)
    xy: npt.NDArray[np.float64] = rng.uniform(
        (float(net.x.min()), float(net.y.min())),
        (float(net.x.max()), float(net.y.max())),
        size=(int(n), 2),
    )
    width = max(len(str(max(int(n) - 1, 0))), 1)
    ids = [f"{prefix}{i:0{width}d}" for i in range(int(n))]
    return gpd.GeoDataFrame(
        {"id": ids}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=net.crs
    )

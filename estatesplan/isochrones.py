"""Isochrones: the area reachable from a site within given times, as polygons.

For each site the method is:

1. **Snap** the site to the nearest street segment (:mod:`estatesplan.snapping`, as
   for travel-time matrices); the off-network distance is walked at
   ``walk_speed_kmh`` and its time is taken off every budget. A site further than
   ``max_snap_m`` from every segment gets empty polygons and a
   :class:`~estatesplan.errors.DataQualityWarning`.
2. **Search**: one bounded Dijkstra (``scipy.sparse.csgraph.dijkstra`` with
   ``limit``) on the network's travel times, seeded at both ends of the snapped
   edge with the time to reach them from the snap point (the far end only where the
   street may be travelled that way).
3. **Reachable streets**: every edge whose tail is reached within the budget, the
   whole edge where its head is reached through it, else the reachable fraction of
   it from the tail (partial edges at the frontier), plus the snapped edge itself
   from the snap point and the walk from the site to the snap point.
4. **Polygon**: a band ``buffer_m`` wide on either side of every reachable stretch of
   street, ending square at the frontier, with a disc at each reached node whose
   radius is the distance walked in the time left there, capped at ``buffer_m``.
   So the polygon never reaches further along a street than the time allows, and
   streets well inside the reach get the full band. The default ``buffer_m`` is the
   distance walked in one minute (80 m at 4.8 km/h) for every mode: the area a
   person can reach on foot from the street, not the street alone.
5. Polygons are built from the shortest time up, each the union of its streets with
   the one before grown by 1 mm (so that rounding in the union cannot leave a sliver
   outside): they always nest, the 10-minute polygon covers the 5-minute one.

Everything is in the network's projected CRS (metres); areas are in km².
Export with :func:`estatesplan.export.to_geojson` (RFC 7946, EPSG:4326).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import dijkstra

from .errors import (
    ConfigError,
    CrsError,
    DataQualityWarning,
    DuplicateIdError,
    GeometryError,
    MissingColumnError,
)
from .graph import StreetNetwork
from .snapping import SegmentIndex, Snapped
from .validate import Problems, format_ids

__all__ = ["ISOCHRONE_COLUMNS", "default_buffer_m", "isochrones"]

logger = logging.getLogger(__name__)

ISOCHRONE_COLUMNS: tuple[str, ...] = ("site_id", "minutes", "mode", "area_km2", "geometry")
"""Columns of the frame :func:`isochrones` returns, in order."""

_QUAD_SEGS = 8
"""Segments per quarter circle in buffers (GEOS default)."""

_NEST_MARGIN_M = 1e-3
"""Each polygon is unioned with the previous one grown by this much (metres)."""

_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.intp]


def default_buffer_m(walk_speed_kmh: float = 4.8) -> float:
    """Return the default band width: the distance walked in one minute, in metres.

    Parameters
    ----------
    walk_speed_kmh
        Walking speed in km/h.

    Returns
    -------
    float
        ``walk_speed_kmh * 1000 / 60`` (80 m at 4.8 km/h).
    """
    return walk_speed_kmh * 1000.0 / 60.0


def _check_minutes(minutes: Sequence[float]) -> list[float]:
    try:
        values = [float(m) for m in minutes]
    except (TypeError, ValueError) as exc:
        msg = f"isochrones: minutes must be numbers, got {minutes!r}."
        raise ConfigError(msg) from exc
    if not values:
        msg = "isochrones: minutes is empty; give at least one positive time, e.g. (5, 10, 15)."
        raise ConfigError(msg)
    bad = [m for m in values if not (math.isfinite(m) and m > 0)]
    if bad:
        msg = (
            f"isochrones: every time in minutes must be a positive finite number; "
            f"got {format_ids(bad)}. Use e.g. minutes=(5, 10, 15, 20, 30)."
        )
        raise ConfigError(msg)
    return sorted(set(values))


def _check_options(walk_speed_kmh: float, buffer_m: float | None, max_snap_m: float) -> None:
    if not (math.isfinite(walk_speed_kmh) and walk_speed_kmh > 0):
        msg = f"isochrones: walk_speed_kmh must be positive, got {walk_speed_kmh!r}."
        raise ConfigError(msg)
    if buffer_m is not None and not (math.isfinite(buffer_m) and buffer_m > 0):
        msg = f"isochrones: buffer_m must be a positive number of metres or None, got {buffer_m!r}."
        raise ConfigError(msg)
    if not (math.isfinite(max_snap_m) and max_snap_m >= 0):
        msg = f"isochrones: max_snap_m must be a non-negative number of metres, got {max_snap_m!r}."
        raise ConfigError(msg)


def _check_sites(net: StreetNetwork, sites: gpd.GeoDataFrame, site_id: str) -> gpd.GeoDataFrame:
    problems = Problems("isochrone sites")
    if not isinstance(sites, gpd.GeoDataFrame):
        msg = f"isochrones: sites must be a GeoDataFrame of points, got {type(sites).__name__}."
        raise GeometryError(msg)
    if sites.crs is None:
        msg = (
            "isochrone sites: the layer has no coordinate reference system. Set one "
            "(e.g. sites.set_crs('EPSG:27700') for British National Grid)."
        )
        raise CrsError(msg)
    if not CRS.from_user_input(net.crs).is_projected:
        msg = f"isochrones: the network CRS {net.crs} is not projected; build it in metres (EPSG:27700)."
        raise CrsError(msg)
    if site_id not in sites.columns:
        problems.add(
            f"id column `{site_id}` not found (columns: {', '.join(map(str, sites.columns))}); "
            "pass site_id= the name of the column holding each site's id.",
            MissingColumnError,
        )
        problems.raise_if_any()
    ids = sites[site_id]
    if ids.isna().any():
        problems.add(
            f"column `{site_id}` is empty on {int(ids.isna().sum())} row(s); every site needs an id."
        )
    dup = ids[ids.duplicated(keep=False) & ids.notna()]
    if len(dup):
        problems.add(
            f"column `{site_id}` has duplicated id(s): {format_ids(sorted(dup.astype(str).unique()))}. "
            "Site ids must be unique.",
            DuplicateIdError,
        )
    geom = sites.geometry
    bad = geom.isna() | geom.is_empty | (geom.geom_type != "Point")
    if bad.any():
        problems.add(
            f"{int(bad.sum())} site(s) are not single non-empty points "
            f"({site_id} {format_ids(ids[bad].astype(str))}); use a point per site "
            "(e.g. a polygon's representative_point()).",
            GeometryError,
        )
    problems.raise_if_any()
    if CRS.from_user_input(sites.crs) != CRS.from_user_input(net.crs):
        sites = sites.to_crs(net.crs)
    return sites


class _Reach:
    """Cumulative polygon builder for one site (internal)."""

    def __init__(
        self,
        net: StreetNetwork,
        node_cost: _FArr,
        seed_segments: list[tuple[npt.NDArray[np.float64], float, float]],
        anchors: list[tuple[float, float, float]],
        *,
        buffer_m: float,
        walk_ms: float,
    ) -> None:
        self.net = net
        self.cost = node_cost
        reached = np.isfinite(node_cost)
        self.edges = np.flatnonzero(reached[net.edge_u])
        self.seed_segments = seed_segments
        self.anchors = anchors
        self.r = buffer_m
        self.walk_ms = walk_ms
        self.polygon: Any = shapely.Polygon()
        self.done = np.zeros(len(self.edges), dtype=bool)

    def grow(self, budget_s: float) -> Any:
        """Return the polygon reachable within ``budget_s`` seconds (budgets must rise)."""
        net, r = self.net, self.r
        e = self.edges
        u, v = net.edge_u[e], net.edge_v[e]
        cu = self.cost[u]
        within = cu < budget_s
        with np.errstate(invalid="ignore"):
            frac = np.clip((budget_s - cu) / net.edge_time_s[e], 0.0, 1.0)
        slack_u = (budget_s - cu) * self.walk_ms
        slack_v = (budget_s - self.cost[v]) * self.walk_ms  # -inf when not reached
        # Streets well inside the reach (the full band and round ends), and only
        # those not already in the previous (smaller) polygon.
        interior = within & (frac >= 1.0) & (slack_u >= r) & (slack_v >= r)
        parts: list[Any] = []
        new = interior & ~self.done
        self.done |= interior
        if new.any():
            parts.extend(self._interior_bands(u[new], v[new]))
        front = within & ~interior
        e, u, v, frac = e[front], u[front], v[front], frac[front]
        slack_u, slack_v = slack_u[front], slack_v[front]
        x0, y0 = net.x[u], net.y[u]
        x1 = x0 + frac * (net.x[v] - x0)
        y1 = y0 + frac * (net.y[v] - y0)
        # Streets at the frontier: square-ended bands, with a disc at each end the
        # width of the walk the time left there allows.
        seg_list = [np.column_stack((x0, y0, x1, y1))]
        disc_xy = [np.column_stack((x0, y0))]
        disc_r = [np.minimum(r, slack_u)]
        fv = frac >= 1.0
        disc_xy.append(np.column_stack((net.x[v[fv]], net.y[v[fv]])))
        disc_r.append(np.minimum(r, np.maximum(slack_v[fv], 0.0)))
        for coords4, start_s, time_s in self.seed_segments:
            left = budget_s - start_s
            if left <= 0:
                continue
            f = min(1.0, left / time_s) if time_s > 0 else 1.0
            p0, p1 = coords4[:2], coords4[2:]
            seg_list.append(np.concatenate((p0, p0 + f * (p1 - p0)))[None, :])
        for ax, ay, start_s in self.anchors:
            left = budget_s - start_s
            if left > 0:
                disc_xy.append(np.array([[ax, ay]]))
                disc_r.append(np.array([min(r, left * self.walk_ms)]))
        segs = np.concatenate(seg_list)
        segs = segs[np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1]) > 0]
        if len(segs):
            lines = shapely.linestrings(segs.reshape(-1, 2, 2))
            parts.extend(shapely.buffer(lines, r, quad_segs=_QUAD_SEGS, cap_style="flat"))
        dxy, drad = np.concatenate(disc_xy), np.concatenate(disc_r)
        big = drad > 1e-6
        if big.any():
            parts.extend(shapely.buffer(shapely.points(dxy[big]), drad[big], quad_segs=_QUAD_SEGS))
        if not self.polygon.is_empty:
            # The previous polygon, grown by a millimetre so that rounding in the
            # union cannot leave a sliver of it outside: the larger polygon covers
            # the smaller exactly.
            parts.append(
                shapely.buffer(
                    self.polygon, _NEST_MARGIN_M, quad_segs=1, join_style="mitre", mitre_limit=2.0
                )
            )
        self.polygon = shapely.union_all(parts)
        return self.polygon

    def _interior_bands(self, a: npt.NDArray[np.int32], b: npt.NDArray[np.int32]) -> Any:
        """Round-capped bands around streets ``a``–``b``, both directions once, with
        chains of short segments merged into lines first (far fewer overlapping
        shapes to union)."""
        net = self.net
        n = np.int64(net.n_nodes)
        key = np.unique(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
        ka, kb = np.divmod(key, n)
        coords = np.stack(
            (np.column_stack((net.x[ka], net.y[ka])), np.column_stack((net.x[kb], net.y[kb]))),
            axis=1,
        )
        merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(coords)))
        return shapely.buffer(shapely.get_parts(merged), self.r, quad_segs=_QUAD_SEGS)


def isochrones(
    net: StreetNetwork,
    sites: gpd.GeoDataFrame,
    *,
    site_id: str,
    minutes: Sequence[float] = (5, 10, 15, 20, 30),
    walk_speed_kmh: float = 4.8,
    buffer_m: float | None = None,
    max_snap_m: float = 500.0,
) -> gpd.GeoDataFrame:
    """Return one polygon per site and time: the area reachable within that time.

    Parameters
    ----------
    net
        Street network of one mode, in a projected CRS (metres).
    sites
        Point layer with a CRS (reprojected to ``net.crs`` if different).
    site_id
        Column of ``sites`` holding unique ids.
    minutes
        Time thresholds in minutes (positive; duplicates are dropped; output sorted
        ascending).
    walk_speed_kmh
        Speed of the walk from the site to the street and of the leftover-time
        discs, in km/h.
    buffer_m
        Width of the band either side of each reachable street, in metres.
        ``None``: the distance walked in one minute (:func:`default_buffer_m`).
    max_snap_m
        Sites further than this from every edge (metres) are not snapped: they get
        empty polygons and a warning.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``site_id`` (the ids from ``sites[site_id]``), ``minutes`` (float),
        ``mode`` (the network's), ``area_km2`` (float, 0 for an empty polygon) and
        ``geometry`` (Polygon or MultiPolygon, empty for unsnapped sites) in
        ``net.crs``; one row per site × time, in site order then ascending time,
        with a 0..n-1 index.

    Raises
    ------
    ConfigError
        If a time is not positive, or another option is out of range.
    CrsError
        If ``sites`` has no CRS or the network's CRS is not projected.
    DataContractError
        If ``site_id`` is missing, ids repeat or are empty, or a geometry is not a
        point (every problem listed).
    """
    t0 = time.perf_counter()
    limits = _check_minutes(minutes)
    _check_options(walk_speed_kmh, buffer_m, max_snap_m)
    sites = _check_sites(net, sites, site_id)
    r = default_buffer_m(walk_speed_kmh) if buffer_m is None else float(buffer_m)
    walk_ms = walk_speed_kmh / 3.6
    ids = sites[site_id].tolist()
    rows: list[tuple[Any, float, Any]] = []
    if not ids:
        return _frame(rows, net)
    xy = np.column_stack((sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()))
    snapped = SegmentIndex.build(net).snap(
        xy, max_distance_m=max_snap_m, walk_speed_kmh=walk_speed_kmh
    )
    far = snapped.flagged
    if far.any():
        warnings.warn(
            f"isochrones: {int(far.sum())} site(s) are more than {max_snap_m:g} m from the "
            f"{net.mode} network ({site_id} {format_ids([ids[i] for i in np.flatnonzero(far)])}); "
            "their polygons are empty. Check their coordinates, or raise max_snap_m.",
            DataQualityWarning,
            stacklevel=2,
        )
    t_snap = time.perf_counter()
    graph = net.csr(weight="time_s")
    top = limits[-1] * 60.0
    for i, sid in enumerate(ids):
        if far[i]:
            rows.extend((sid, m, shapely.Polygon()) for m in limits)
            continue
        reach = _site_reach(net, graph, xy[i], snapped, i, top, r, walk_ms)
        rows.extend((sid, m, reach.grow(m * 60.0)) for m in limits)
    out = _frame(rows, net)
    logger.info(
        "isochrones: %d site(s) × %d time(s) on %s network (%d nodes), %d unsnapped; "
        "snap %.2f s, total %.2f s",
        len(ids),
        len(limits),
        net.mode,
        net.n_nodes,
        int(far.sum()),
        t_snap - t0,
        time.perf_counter() - t0,
    )
    return out


def _site_reach(
    net: StreetNetwork,
    graph: Any,
    site_xy: _FArr,
    snapped: Snapped,
    i: int,
    top_s: float,
    r: float,
    walk_ms: float,
) -> _Reach:
    """Search from snapped site ``i`` and return its cumulative polygon builder."""
    e, e_rev, t = int(snapped.edge[i]), int(snapped.reverse_edge[i]), float(snapped.t[i])
    access = float(snapped.offnet_s[i])
    u, v = int(net.edge_u[e]), int(net.edge_v[e])
    tail, head = np.array([net.x[u], net.y[u]]), np.array([net.x[v], net.y[v]])
    snap_xy = np.array([snapped.x[i], snapped.y[i]])
    t_fwd = float(net.edge_time_s[e])
    seeds = [(v, access + (1.0 - t) * t_fwd)]
    seed_segments = [(np.concatenate((snap_xy, head)), access, t_fwd)]
    if e_rev >= 0:  # a two-way street: the snap point may also head for the tail
        t_rev = float(net.edge_time_s[e_rev])
        seeds.append((u, access + t * t_rev))
        seed_segments.append((np.concatenate((snap_xy, tail)), access, t_rev))
    elif t == 0.0:  # on the tail node of a one-way street: leave it any way
        seeds.append((u, access))
    # The walk from the site to the street, at walking speed.
    seed_segments.append((np.concatenate((site_xy, snap_xy)), 0.0, access))
    anchors = [
        (float(site_xy[0]), float(site_xy[1]), 0.0),
        (float(snap_xy[0]), float(snap_xy[1]), access),
    ]
    cost = np.full(net.n_nodes, np.inf)
    budget = top_s - min(s for _, s in seeds)
    if budget > 0:
        dist = dijkstra(graph, directed=True, indices=[n for n, _ in seeds], limit=budget)
        for row, (_, start) in zip(np.atleast_2d(dist), seeds, strict=True):
            np.minimum(cost, row + start, out=cost)
        cost[cost > top_s] = np.inf
    return _Reach(net, cost, seed_segments, anchors, buffer_m=r, walk_ms=walk_ms)


def _frame(rows: list[tuple[Any, float, Any]], net: StreetNetwork) -> gpd.GeoDataFrame:
    geoms = [g for _, _, g in rows]
    frame = pd.DataFrame(
        {
            "site_id": [s for s, _, _ in rows],
            "minutes": np.array([m for _, m, _ in rows], dtype=np.float64),
            "mode": net.mode,
        }
    )
    gs = gpd.GeoSeries(geoms, crs=net.crs) if geoms else gpd.GeoSeries([], crs=net.crs)
    frame["area_km2"] = gs.area.to_numpy() / 1e6 if len(gs) else np.array([], dtype=np.float64)
    return gpd.GeoDataFrame(frame, geometry=gs.to_numpy(), crs=net.crs)[list(ISOCHRONE_COLUMNS)]

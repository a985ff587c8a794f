"""Street network of the synthetic demo borough, and its OpenStreetMap PBF writer.

The network is a jittered, slightly rotated grid of residential streets (about 130 m
between junctions) clipped to the borough outline plus a margin, with two primary roads
crossing at the town centre, two secondary roads, a pedestrianised street, a few
one-way streets, a cycleway, footway cut-throughs, a park crossed by footpaths, and a
trunk bypass that pedestrians and cyclists may not use. Every street is tagged as in
OpenStreetMap, so the routing stage reads it like any real extract. Everything here is
fictitious and generated from the caller's random generator only.

Connectivity is by construction: a random spanning tree of the two-way street grid is
never removed, so the walk graph is connected and the drive graph strongly connected
(one-way and pedestrian segments are chosen off the tree).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon

from . import contracts as c

__all__ = [
    "TAG_KEYS",
    "DemoStreets",
    "build_streets",
    "district_name",
    "node_street_names",
    "write_pbf",
]

logger = logging.getLogger(__name__)

TAG_KEYS: Final[tuple[str, ...]] = (
    "highway",
    "name",
    "maxspeed",
    "oneway",
    "foot",
    "bicycle",
    "motorroad",
    "segregated",
    "lit",
    "leisure",
)
"""OSM tag keys carried as columns of :attr:`DemoStreets.ways` (missing = tag absent)."""

SPACING_M: Final = 130.0
_JITTER_M: Final = 12.0
_MARGIN_M: Final = 220.0
_PARK_RADIUS_M: Final = 300.0
_REMOVE_SHARE: Final = 0.18
_OSM_TIMESTAMP: Final = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# edge classes of the grid (main roads first, special segments last)
_PRIMARY, _SECONDARY, _RES, _PEDESTRIAN, _ONEWAY = range(5)

_MAIN_NAMES: Final = {
    "primary_row": "Demoborough Road",
    "primary_col": "Northgate",
    "secondary_row": "Station Road",
    "secondary_col": "Church Road",
    "pedestrian": "Market Street",
}
_PREFIXES: Final = (
    "Acorn", "Alder", "Ash", "Beech", "Birch", "Bramble", "Brook", "Cedar", "Chestnut",
    "Clover", "Elm", "Fern", "Foxglove", "Hawthorn", "Hazel", "Heather", "Holly", "Ivy",
    "Juniper", "Laurel", "Lilac", "Linden", "Maple", "Meadow", "Mulberry", "Oak", "Orchard",
    "Poplar", "Primrose", "Rowan", "Sorrel", "Sycamore", "Thistle", "Willow", "Yew",
    "Larch", "Aspen", "Bluebell", "Cherry", "Damson",
)  # fmt: skip
_SUFFIXES: Final = (
    "Road", "Street", "Avenue", "Lane", "Grove", "Way", "Close", "Crescent", "Drive", "Gardens",
)  # fmt: skip

_WGS84_FROM_BNG: Final = ("EPSG:27700", "EPSG:4326")
_DISTRICTS: Final = (
    "Eastmere", "Kingsmead", "Northbury", "Hillcrest",
    "Westholme", "Millbrook", "Southfold", "Riverside",
)  # fmt: skip
_STREET_HIGHWAYS: Final = frozenset({"primary", "secondary", "residential", "pedestrian"})
_CENTRAL_DISTRICT: Final = "Demoborough Central"
_CENTRAL_RADIUS_M: Final = 900.0


def district_name(dx: float, dy: float) -> tuple[int, str]:
    """Fictitious district of a point from its offset to the town centre.

    Parameters
    ----------
    dx, dy
        Offset east and north of the town centre, metres.

    Returns
    -------
    tuple
        District number (0 = central, 1-8 by compass sector from east, anticlockwise)
        and its name.
    """
    if math.hypot(dx, dy) <= _CENTRAL_RADIUS_M:
        return 0, _CENTRAL_DISTRICT
    sector = round(math.atan2(dy, dx) / (math.pi / 4)) % 8
    return sector + 1, _DISTRICTS[sector]


@dataclass(frozen=True, eq=False)
class DemoStreets:
    """Street network of the demo borough, as OSM-like nodes and tagged ways.

    Parameters
    ----------
    nodes
        One row per node: ``node_id`` (int, from 1), ``x``, ``y`` (EPSG:27700 metres),
        ``lon``, ``lat`` (EPSG:4326 degrees), ``role`` (``"mesh"``, ``"park"``,
        ``"trunk"`` or ``"landuse"``) and ``synthetic``.
    ways
        One row per way: ``way_id`` (int, from 1), ``node_ids`` (tuple of node ids in
        order), one column per key in :data:`TAG_KEYS` (missing where the tag is
        absent) and ``synthetic``.
    centre
        Town-centre point (EPSG:27700 metres), where the primary roads cross.
    grid_angle
        Direction of the east-west primary road, radians anticlockwise from east.
    park
        Park centre and radius: ``(x, y, radius_m)``.
    """

    nodes: pd.DataFrame
    ways: pd.DataFrame
    centre: tuple[float, float]
    grid_angle: float
    park: tuple[float, float, float]

    def way_tags(self) -> list[dict[str, str]]:
        """Return the OSM tags of each way, in the order of :attr:`ways`."""
        cols = [self.ways[k].tolist() for k in TAG_KEYS]
        return [
            {k: str(v) for k, v in zip(TAG_KEYS, vals, strict=True) if isinstance(v, str)}
            for vals in zip(*cols, strict=True)
        ]

    def way_lines(self) -> gpd.GeoDataFrame:
        """Return one LineString per way (EPSG:27700) with the tag columns.

        Returns
        -------
        geopandas.GeoDataFrame
            Indexed like :attr:`ways`; columns ``way_id``, the tag keys, ``synthetic``.
        """
        pos = pd.Series(np.arange(len(self.nodes)), index=self.nodes["node_id"].to_numpy())
        coords = self.nodes[["x", "y"]].to_numpy()
        ids = self.ways["node_ids"].tolist()
        flat = pos.loc[np.concatenate([np.asarray(t, dtype=np.int64) for t in ids])].to_numpy()
        which = np.repeat(np.arange(len(ids)), [len(t) for t in ids])
        lines = shapely.linestrings(coords[flat], indices=which)
        cols = ["way_id", *TAG_KEYS, c.SYNTHETIC]
        return gpd.GeoDataFrame(self.ways[cols].copy(), geometry=lines, crs=c.ANALYSIS_CRS)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[rb] = ra
        return True


def _rotation(angle: float) -> np.ndarray:
    ca, sa = math.cos(angle), math.sin(angle)
    return np.array([[ca, -sa], [sa, ca]])


def _trunk_line(outline: Polygon, centre: np.ndarray, rng: np.random.Generator) -> LineString:
    """A straight bypass crossing the borough away from the centre, clipped to a margin."""
    region = outline.buffer(_MARGIN_M + 150.0)
    for _ in range(50):
        phi = rng.uniform(0.0, 2 * math.pi)
        offset = rng.uniform(1700.0, 2500.0)
        normal = np.array([math.cos(phi), math.sin(phi)])
        along = np.array([-normal[1], normal[0]])
        base = centre + normal * offset
        line = LineString([base - along * 15_000.0, base + along * 15_000.0])
        clipped = line.intersection(region)
        parts = list(getattr(clipped, "geoms", [clipped]))
        best = max(parts, key=lambda g: g.length)
        if isinstance(best, LineString) and best.length > 4000.0:
            return best
    msg = "demo street network: could not place the trunk road across the outline"
    raise RuntimeError(msg)


def _park_centre(
    outline: Polygon,
    centre: np.ndarray,
    rot: np.ndarray,
    trunk: LineString,
    avoid_lines: tuple[int, int],
    rng: np.random.Generator,
) -> np.ndarray:
    """A park site inland, away from the centre, the trunk road and the main roads."""
    inner = outline.buffer(-700.0)
    x0, y0, x1, y1 = inner.bounds
    gap = _PARK_RADIUS_M + 150.0
    for _ in range(2000):
        p = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
        u, v = rot.T @ (p - centre)
        if not inner.contains(Point(p)) or not 1500.0 <= math.hypot(u, v) <= 3200.0:
            continue
        if trunk.distance(Point(p)) < 700.0 or abs(u) < gap or abs(v) < gap:
            continue
        if abs(v - avoid_lines[0] * SPACING_M) < gap or abs(u - avoid_lines[1] * SPACING_M) < gap:
            continue
        return p
    fallback: np.ndarray = centre + rot @ np.array([1800.0, 1800.0])
    return fallback


def _seg_point_distance(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((p - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-9), 0.0, 1.0)
    dist: np.ndarray = np.hypot(*(a + ab * t[:, None] - p).T)
    return dist


def build_streets(
    outline: Polygon, centre: tuple[float, float], rng: np.random.Generator
) -> DemoStreets:
    """Generate the demo street network inside ``outline`` (plus a margin of ~220 m).

    Parameters
    ----------
    outline
        Borough outline, EPSG:27700 metres.
    centre
        Town centre, EPSG:27700 metres: the primary roads cross here.
    rng
        The generator every random draw comes from.

    Returns
    -------
    DemoStreets
        Nodes and tagged ways; a few thousand nodes.
    """
    t0 = time.perf_counter()
    cxy = np.asarray(centre, dtype=float)
    angle = float(rng.uniform(-0.35, 0.35))
    rot = _rotation(angle)
    region = outline.buffer(_MARGIN_M)
    ring = np.asarray(region.exterior.coords)
    uv = (ring - cxy) @ rot  # rows are rot.T @ (p - c)
    i_lo, j_lo = np.floor(uv.min(axis=0) / SPACING_M).astype(int)
    i_hi, j_hi = np.ceil(uv.max(axis=0) / SPACING_M).astype(int)
    grid_i, grid_j = np.meshgrid(np.arange(i_lo, i_hi + 1), np.arange(j_lo, j_hi + 1))
    gi, gj = grid_i.ravel(), grid_j.ravel()
    jitter = np.clip(rng.normal(0.0, _JITTER_M, (gi.size, 2)), -2 * _JITTER_M, 2 * _JITTER_M)
    xy = cxy + (np.column_stack([gi, gj]) * SPACING_M + jitter) @ rot.T

    sec_row = int(rng.choice([-1, 1]) * rng.integers(10, 14))
    sec_col = int(rng.choice([-1, 1]) * rng.integers(11, 16))
    trunk = _trunk_line(outline, cxy, rng)
    park = _park_centre(outline, cxy, rot, trunk, (sec_row, sec_col), rng)
    keep = shapely.contains_xy(region, xy[:, 0], xy[:, 1])
    keep &= np.hypot(*(xy - park).T) > _PARK_RADIUS_M
    index = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(gi, gj, strict=True)) if keep[k]}

    # grid edges: (a, b, direction 0 = along i / 1 = along j, line, position)
    edges: list[tuple[int, int, int, int, int]] = []
    for (i, j), a in index.items():
        if (b := index.get((i + 1, j))) is not None:
            edges.append((a, b, 0, j, i))
        if (b := index.get((i, j + 1))) is not None:
            edges.append((a, b, 1, i, j))
    e = np.array(edges, dtype=np.int64)
    far = _seg_point_distance(xy[e[:, 0]], xy[e[:, 1]], park[None, :]) > _PARK_RADIUS_M
    e = e[far]
    cls = np.full(len(e), _RES)
    cls[((e[:, 2] == 0) & (e[:, 3] == 0)) | ((e[:, 2] == 1) & (e[:, 3] == 0))] = _PRIMARY
    cls[((e[:, 2] == 0) & (e[:, 3] == sec_row)) | ((e[:, 2] == 1) & (e[:, 3] == sec_col))] = (
        _SECONDARY
    )
    ped = (e[:, 2] == 0) & (e[:, 3] == 1) & (e[:, 4] >= -2) & (e[:, 4] <= 1)
    cls[ped] = _PEDESTRIAN
    segment = np.full(len(e), -1)
    for s in range(8):
        d = int(rng.integers(0, 2))
        line = int(rng.choice([-1, 1]) * rng.integers(2, 11))
        start = int(rng.integers(-8, 6))
        sel = (e[:, 2] == d) & (e[:, 3] == line) & (e[:, 4] >= start) & (e[:, 4] < start + 3)
        sel &= cls == _RES
        cls[sel], segment[sel] = _ONEWAY, s
    reverse_seg = rng.random(8) < 0.5

    # random spanning forest: main roads first, special edges last
    prio = np.select([cls <= _SECONDARY, cls == _RES], [0, 1], 2).astype(float)
    order = np.lexsort((rng.random(len(e)), np.minimum(cls, _RES), prio))
    uf = _UnionFind(len(xy))
    tree = np.zeros(len(e), dtype=bool)
    for k in order:
        tree[k] = uf.union(int(e[k, 0]), int(e[k, 1]))
    special_in_tree = tree & (cls >= _PEDESTRIAN)
    for s in np.unique(segment[special_in_tree & (segment >= 0)]):
        cls[segment == s], segment[segment == s] = _RES, -1
    cls[special_in_tree] = _RES
    drop = (cls == _RES) & ~tree & (rng.random(len(e)) < _REMOVE_SHARE)
    e, cls, segment = e[~drop], cls[~drop], segment[~drop]

    # largest connected component
    roots = np.array([uf.find(k) for k in range(len(xy))])
    kept_ids = np.array(sorted(index.values()))
    vals, counts = np.unique(roots[kept_ids], return_counts=True)
    main = vals[np.argmax(counts)]
    in_main = roots == main
    keep_e = in_main[e[:, 0]]
    e, cls, segment = e[keep_e], cls[keep_e], segment[keep_e]
    index = {ij: k for ij, k in index.items() if in_main[k]}

    names = _line_names(gi, gj, sec_row, sec_col, rng)
    ways: list[tuple[list[int], dict[str, str]]] = _grid_ways(
        e, cls, segment, reverse_seg, xy, cxy, names
    )
    extra_xy: list[tuple[float, float, str]] = []
    ways += _cycle_and_footways(index, xy, cxy, rot, rng)
    ways += _park_ways(index, xy, park, angle, len(xy), extra_xy)
    ways += _trunk_ways(trunk, index, xy, e, cls, len(xy), extra_xy)

    # renumber: mesh nodes by grid position, then the extra nodes in creation order
    mesh = sorted(index.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    new_id = {k: n for n, (_, k) in enumerate(mesh, start=1)}
    n_mesh = len(mesh)
    for n in range(len(extra_xy)):
        new_id[len(xy) + n] = n_mesh + n + 1
    all_xy = np.vstack([xy[[k for _, k in mesh]], np.array([p[:2] for p in extra_xy])])
    roles = ["mesh"] * n_mesh + [p[2] for p in extra_xy]
    lon, lat = Transformer.from_crs(*_WGS84_FROM_BNG, always_xy=True).transform(
        all_xy[:, 0], all_xy[:, 1]
    )
    nodes = pd.DataFrame(
        {
            "node_id": np.arange(1, len(all_xy) + 1, dtype=np.int64),
            "x": np.round(all_xy[:, 0], 2),
            "y": np.round(all_xy[:, 1], 2),
            "lon": np.round(lon, 7),
            "lat": np.round(lat, 7),
            "role": roles,
            c.SYNTHETIC: True,
        }
    )
    rows = {
        "way_id": np.arange(1, len(ways) + 1, dtype=np.int64),
        "node_ids": [tuple(new_id[k] for k in ids) for ids, _ in ways],
    }
    ways_df = pd.DataFrame(rows)
    for key in TAG_KEYS:
        ways_df[key] = pd.Series([tags.get(key) for _, tags in ways], dtype=object)
    ways_df[c.SYNTHETIC] = True
    nodes.attrs[c.SYNTHETIC] = True
    ways_df.attrs[c.SYNTHETIC] = True
    streets = DemoStreets(
        nodes=nodes,
        ways=ways_df,
        centre=(float(cxy[0]), float(cxy[1])),
        grid_angle=angle,
        park=(float(park[0]), float(park[1]), _PARK_RADIUS_M),
    )
    logger.info(
        "demo streets: %d nodes, %d ways in %.2f s",
        len(nodes),
        len(ways_df),
        time.perf_counter() - t0,
    )
    return streets


def _line_names(
    gi: np.ndarray, gj: np.ndarray, sec_row: int, sec_col: int, rng: np.random.Generator
) -> dict[tuple[int, int], str]:
    """Street name of every grid line: key (direction, line index)."""
    combos = [f"{p} {s}" for p in _PREFIXES for s in _SUFFIXES]
    picks = rng.permutation(len(combos))
    lines = [(0, int(j)) for j in np.unique(gj)] + [(1, int(i)) for i in np.unique(gi)]
    names = {line: combos[picks[n]] for n, line in enumerate(lines)}
    names[(0, 0)] = _MAIN_NAMES["primary_row"]
    names[(1, 0)] = _MAIN_NAMES["primary_col"]
    names[(0, sec_row)] = _MAIN_NAMES["secondary_row"]
    names[(1, sec_col)] = _MAIN_NAMES["secondary_col"]
    return names


def _edge_tags(kind: int, name: str, dist_m: float, segment: int) -> tuple[tuple[str, str], ...]:
    if kind == _PRIMARY:
        speed = "30 mph" if dist_m <= 1500.0 else "40 mph"
        return (("highway", "primary"), ("name", name), ("maxspeed", speed), ("lit", "yes"))
    if kind == _SECONDARY:
        return (("highway", "secondary"), ("name", name), ("maxspeed", "30 mph"), ("lit", "yes"))
    if kind == _PEDESTRIAN:
        return (("highway", "pedestrian"), ("name", _MAIN_NAMES["pedestrian"]), ("lit", "yes"))
    speed = "20 mph" if dist_m <= 1800.0 else "30 mph"
    tags: tuple[tuple[str, str], ...] = (
        ("highway", "residential"),
        ("name", name),
        ("maxspeed", speed),
    )
    if kind == _ONEWAY:
        tags += (("oneway", "yes"), ("_segment", str(segment)))
    return tags


def _grid_ways(
    e: np.ndarray,
    cls: np.ndarray,
    segment: np.ndarray,
    reverse_seg: np.ndarray,
    xy: np.ndarray,
    cxy: np.ndarray,
    names: dict[tuple[int, int], str],
) -> list[tuple[list[int], dict[str, str]]]:
    """Merge consecutive grid edges with the same tags into ways."""
    mid = (xy[e[:, 0]] + xy[e[:, 1]]) / 2.0
    dist = np.hypot(*(mid - cxy).T)
    order = np.lexsort((e[:, 4], e[:, 3], e[:, 2]))
    ways: list[tuple[list[int], dict[str, str]]] = []
    current: list[int] = []
    current_tags: tuple[tuple[str, str], ...] = ()
    last: tuple[int, int, int] | None = None
    for k in order:
        d, line, pos = int(e[k, 2]), int(e[k, 3]), int(e[k, 4])
        tags = _edge_tags(int(cls[k]), names[(d, line)], float(dist[k]), int(segment[k]))
        if last == (d, line, pos - 1) and tags == current_tags:
            current.append(int(e[k, 1]))
        else:
            if current:
                ways.append(_finish_way(current, current_tags, reverse_seg))
            current, current_tags = [int(e[k, 0]), int(e[k, 1])], tags
        last = (d, line, pos)
    if current:
        ways.append(_finish_way(current, current_tags, reverse_seg))
    return ways


def _finish_way(
    nodes: list[int], tags: tuple[tuple[str, str], ...], reverse_seg: np.ndarray
) -> tuple[list[int], dict[str, str]]:
    tag_map = dict(tags)
    seg = tag_map.pop("_segment", None)
    if seg is not None and reverse_seg[int(seg)]:
        nodes = nodes[::-1]
    return nodes, tag_map


def _cycle_and_footways(
    index: dict[tuple[int, int], int],
    xy: np.ndarray,
    cxy: np.ndarray,
    rot: np.ndarray,
    rng: np.random.Generator,
) -> list[tuple[list[int], dict[str, str]]]:
    """A diagonal cycleway heading out of town and a dozen diagonal footway cut-throughs."""
    cells = sorted(index)
    dist = {ij: float(np.hypot(*(xy[k] - cxy))) for ij, k in index.items()}
    starts = [ij for ij in cells if 900.0 <= dist[ij] <= 1600.0 and ij[0] and ij[1]]
    i0, j0 = starts[int(rng.integers(len(starts)))]
    di, dj = (1 if i0 > 0 else -1), (1 if j0 > 0 else -1)
    used: set[tuple[int, int]] = set()
    ways: list[tuple[list[int], dict[str, str]]] = []
    run: list[int] = []
    cycle_tags = {
        "highway": "cycleway",
        "name": "Demo Greenway",
        "foot": "designated",
        "bicycle": "designated",
        "segregated": "no",
    }
    for k in range(16):
        a, b = (i0 + k * di, j0 + k * dj), (i0 + (k + 1) * di, j0 + (k + 1) * dj)
        used.add((min(a[0], b[0]), min(a[1], b[1])))
        if a in index and b in index:
            run = run or [index[a]]
            run.append(index[b])
        elif run:
            ways.append((run, dict(cycle_tags)))
            run = []
    if len(run) > 1:
        ways.append((run, dict(cycle_tags)))
    n_foot = 0
    for pick in rng.permutation(len(cells)):
        i, j = cells[int(pick)]
        corners = [(i, j), (i + 1, j), (i, j + 1), (i + 1, j + 1)]
        if (i, j) in used or not all(q in index for q in corners) or dist[(i, j)] > 3500.0:
            continue
        a, b = ((i, j), (i + 1, j + 1)) if rng.random() < 0.5 else ((i + 1, j), (i, j + 1))
        ways.append(([index[a], index[b]], {"highway": "footway"}))
        used.add((i, j))
        n_foot += 1
        if n_foot == 12:
            break
    return ways


def _park_ways(
    index: dict[tuple[int, int], int],
    xy: np.ndarray,
    park: np.ndarray,
    angle: float,
    n_base: int,
    extra_xy: list[tuple[float, float, str]],
) -> list[tuple[list[int], dict[str, str]]]:
    """Footpaths from the park's centre to the streets around it, and the park outline."""
    centre_id = n_base + len(extra_xy)
    extra_xy.append((float(park[0]), float(park[1]), "park"))
    ids = np.array(list(index.values()))
    off = xy[ids] - park
    dist = np.hypot(off[:, 0], off[:, 1])
    near = dist <= _PARK_RADIUS_M + 260.0
    bearings = np.arctan2(off[:, 1], off[:, 0])
    ends: list[int | None] = []
    for k in range(8):
        phi = angle + k * math.pi / 4
        diff = np.abs((bearings - phi + math.pi) % (2 * math.pi) - math.pi)
        score = np.where(near & (diff < math.pi / 8), diff + dist / 10_000.0, np.inf)
        ends.append(int(ids[np.argmin(score)]) if np.isfinite(score).any() else None)
    ways: list[tuple[list[int], dict[str, str]]] = []
    if ends[0] is not None and ends[4] is not None:
        walk = {"highway": "path", "name": "Park Walk", "foot": "designated", "bicycle": "no"}
        ways.append(([ends[0], centre_id, ends[4]], walk))
        spokes = [ends[k] for k in (1, 2, 3, 5, 6, 7)]
    else:
        spokes = ends
    ways += [([centre_id, end], {"highway": "footway"}) for end in spokes if end is not None]
    ring_ids = []
    for k in range(24):
        phi = 2 * math.pi * k / 24
        r = _PARK_RADIUS_M - 15.0
        ring_ids.append(n_base + len(extra_xy))
        extra_xy.append(
            (float(park[0] + r * math.cos(phi)), float(park[1] + r * math.sin(phi)), "landuse")
        )
    ways.append(([*ring_ids, ring_ids[0]], {"leisure": "park", "name": "Demoborough Park"}))
    return ways


def _trunk_ways(
    trunk: LineString,
    index: dict[tuple[int, int], int],
    xy: np.ndarray,
    e: np.ndarray,
    cls: np.ndarray,
    n_base: int,
    extra_xy: list[tuple[float, float, str]],
) -> list[tuple[list[int], dict[str, str]]]:
    """The bypass (no pedestrians, no cycles) with two slip roads onto the main roads."""
    n = max(int(trunk.length // 120.0), 2)
    pts = np.asarray(
        [trunk.interpolate(d).coords[0] for d in np.linspace(0.0, trunk.length, n + 1)]
    )
    first = n_base + len(extra_xy)
    extra_xy += [(float(x), float(y), "trunk") for x, y in pts]
    trunk_ids = list(range(first, first + len(pts)))
    tags = {
        "highway": "trunk",
        "name": "Demoborough Bypass",
        "maxspeed": "70 mph",
        "foot": "no",
        "bicycle": "no",
        "motorroad": "yes",
        "lit": "no",
    }
    ways: list[tuple[list[int], dict[str, str]]] = [(trunk_ids, tags)]
    main_nodes = np.unique(e[cls <= _SECONDARY][:, :2]).astype(int)
    mains = main_nodes[np.argsort(trunk.distance(shapely.points(xy[main_nodes])), kind="stable")]
    link_tags = {"highway": "trunk_link", "foot": "no", "bicycle": "no", "maxspeed": "40 mph"}
    chosen: list[int] = []
    for m in mains:
        if all(np.hypot(*(xy[m] - xy[o])) > 2000.0 for o in chosen):
            chosen.append(int(m))
        if len(chosen) == 2:
            break
    for m in chosen:
        t = int(np.argmin(np.hypot(*(pts - xy[m]).T)))
        ways.append(([trunk_ids[t], m], dict(link_tags)))
    return ways


def node_street_names(streets: DemoStreets) -> dict[int, list[str]]:
    """Names of the named streets (not paths or the bypass) through each node, main roads first.

    Parameters
    ----------
    streets
        The demo network.

    Returns
    -------
    dict
        Node id to street names (no duplicates), ordered primary, secondary, others.
    """
    rank = {"primary": 0, "secondary": 1, "pedestrian": 2, "residential": 3}
    out: dict[int, list[str]] = {}
    highways = streets.ways["highway"].tolist()
    way_names = streets.ways["name"].tolist()
    way_nodes: list[tuple[int, ...]] = streets.ways["node_ids"].tolist()
    order = sorted(range(len(highways)), key=lambda k: rank.get(str(highways[k]), 4))
    for k in order:
        name = way_names[k]
        if not isinstance(name, str) or highways[k] not in _STREET_HIGHWAYS:
            continue
        for node in way_nodes[k]:
            names = out.setdefault(int(node), [])
            if name not in names:
                names.append(name)
    return out


def write_pbf(streets: DemoStreets, path: str | os.PathLike[str]) -> Path:
    """Write the network as an OSM PBF file with fixed metadata, so the bytes are reproducible.

    Parameters
    ----------
    streets
        The demo network.
    path
        Output file (overwritten). Written directly: wrap in ``_io.atomic_path``.

    Returns
    -------
    Path
        ``path``.
    """
    import osmium
    from osmium.osm import mutable

    header = osmium.io.Header()
    header.set("generator", "estatesplan demo generator (synthetic data)")
    nodes = streets.nodes
    box = osmium.osm.Box(
        osmium.osm.Location(float(nodes["lon"].min()), float(nodes["lat"].min())),
        osmium.osm.Location(float(nodes["lon"].max()), float(nodes["lat"].max())),
    )
    header.add_box(box)
    user = "estatesplan-demo"
    writer = osmium.SimpleWriter(osmium.io.File(str(path), "pbf"), header=header, overwrite=True)
    try:
        for nid, lon, lat in zip(nodes["node_id"], nodes["lon"], nodes["lat"], strict=True):
            node = mutable.Node(id=int(nid), location=(float(lon), float(lat)), version=1)
            node.changeset, node.uid, node.user, node.timestamp = 1, 1, user, _OSM_TIMESTAMP
            writer.add_node(node)
        for wid, ids, tags in zip(
            streets.ways["way_id"], streets.ways["node_ids"], streets.way_tags(), strict=True
        ):
            way = mutable.Way(id=int(wid), nodes=list(ids), tags=tags, version=1)
            way.changeset, way.uid, way.user, way.timestamp = 1, 1, user, _OSM_TIMESTAMP
            writer.add_way(way)
    finally:
        writer.close()
    return Path(path)

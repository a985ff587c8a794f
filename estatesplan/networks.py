"""Walk, cycle and drive street networks from OpenStreetMap, unsimplified, as plain arrays.

Every OSM node of a usable way is kept and each consecutive node pair becomes one
directed edge per allowed direction, so edges are straight segments (exact snapping).
Lengths are geodesic on the WGS84 ellipsoid (metres, from the OSM coordinates);
coordinates are projected to the analysis CRS (EPSG:27700 by default). Speeds and which
``highway`` classes each mode may use live in one table, ``estatesplan/data/
network_speeds.csv`` (:func:`load_speed_table`): ``access=yes`` classes are usable unless
access tags forbid, ``access=explicit`` classes only with an explicit permission for the
mode, unlisted classes (``proposed``, ``construction``, ``platform``, ...) never.

Rules (OSM wiki: Key:highway, Key:access, Key:oneway, Key:maxspeed, Key:cycleway and
"OSM tags for routing/Access restrictions" for the United Kingdom):

- **Access**: the most specific tag present wins along the transport-mode hierarchy
  ``access`` → ``foot`` (walk); ``access`` → ``vehicle`` → ``bicycle`` (cycle);
  ``access`` → ``vehicle`` → ``motor_vehicle`` → ``motorcar`` (drive). Values no,
  private, agricultural, forestry, delivery, military, restricted, emergency, psv, bus
  and use_sidepath forbid; anything else (yes, permissive, destination, customers, ...)
  allows. So ``access=private`` + ``foot=yes`` is walkable, ``foot=no`` is not.
  ``motorroad=yes`` forbids walking and cycling unless foot/bicycle say otherwise.
- **walk**: both directions of every usable way, whatever ``oneway`` says; no motorways;
  trunk roads allowed (UK) unless ``foot=no``; steps at half speed; pedestrian
  ``area=yes`` outlines are walked along their edge.
- **cycle**: no motorways; footway, pedestrian, steps, corridor and busway only with
  ``bicycle=yes|designated|permissive`` (or ``dismount``: pushed at walking speed);
  ``area=yes`` ways excluded. One-ways respected (below) unless contraflow is tagged:
  ``oneway:bicycle=no``, ``cycleway=opposite*``, ``cycleway:left|right|both=opposite*``,
  ``cycleway:left|right|both:oneway=-1|no``. ``oneway:bicycle=yes|-1`` adds a one-way.
- **drive**: motorway … residential, links, living_street, unclassified, road and service
  (parking aisles and driveways included: they reach health sites; access tags exclude
  private ones; ``service=emergency_access`` excluded); tracks only with an explicit
  motor permission; ``area=yes`` excluded. Speed from ``maxspeed`` (:func:`parse_maxspeed`),
  else the class default, times one urban congestion factor (0.6 by default, see table).
- **One-way**: ``oneway=yes|1|true`` forward only, ``-1|reverse`` backward only; implied by
  ``junction=roundabout|circular`` and ``highway=motorway`` when ``oneway`` is absent;
  ``reversible`` and ``alternating`` are treated as two-way.
- **Components**: ``keep="strong"`` keeps the largest strongly connected component (for
  walk, every edge has its twin, so it equals the weakly connected one); ``"weak"``
  the largest weakly connected one. The report counts what was dropped.

Speeds can be overridden with a flat mapping in km/h: ``{"walk": 4.0}`` (the mode's
``default_speed``), ``{"drive:residential": 25.0, "walk:steps": 2.0}`` (one class).

The rules are applied per way by ``estatesplan._osm_rules`` (one row of settings per
mode). The same networks can be built from osmnx graphs or downloads, and exported to
networkx, with :mod:`estatesplan.osmnx_interop` (its public names are also importable
from here).
"""

from __future__ import annotations

import importlib
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from . import contracts as c
from ._io import check_input_file
from ._osm_rules import (
    MODES,
    TAG_KEYS,
    Keep,
    Mode,
    Rules,
    check_settings,
    load_speed_table,
    parse_maxspeed,
    resolve_rules,
    way_rules,
)
from .errors import ConfigError, CrsError, DataSourceError, NetworkBuildError
from .graph import StreetNetwork

if TYPE_CHECKING:
    from .osmnx_interop import (
        network_from_osmnx,
        network_from_place,
        network_from_polygon,
        osmnx_settings,
        to_networkx,
    )

__all__ = [
    "MODES",
    "load_speed_table",
    "network_from_osm",
    "network_from_osmnx",
    "network_from_place",
    "network_from_polygon",
    "networks_from_osm",
    "osmnx_settings",
    "parse_maxspeed",
    "to_networkx",
]

logger = logging.getLogger(__name__)

_MIN_TIME_S: Final = 1e-3  # zero-length edges (duplicate nodes) still take a positive time
_MAX_OUTSIDE: Final = 0.01  # share of the study area allowed outside the network's hull
_FLUSH: Final = 1 << 20
_INTEROP: Final = frozenset(
    {"network_from_osmnx", "network_from_place", "network_from_polygon", "osmnx_settings",
     "to_networkx"}
)  # fmt: skip


def __getattr__(name: str) -> Any:
    """Resolve the osmnx and networkx functions from :mod:`estatesplan.osmnx_interop`.

    They live there (it imports this module); importing them lazily keeps their old
    names here working without an import cycle.

    Parameters
    ----------
    name
        Attribute looked up on this module and not found in it.

    Returns
    -------
    Any
        The function of that name in :mod:`estatesplan.osmnx_interop`.

    Raises
    ------
    AttributeError
        If ``name`` is not one of them.
    """
    if name in _INTEROP:
        return getattr(importlib.import_module(".osmnx_interop", __package__), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


@dataclass(frozen=True, eq=False)
class _Ways:
    """Mode-independent parse of an extract: way tags, nodes (lon/lat) and way segments."""

    source: str
    tags: pd.DataFrame  # one row per highway way: way_id + TAG_KEYS (object, NaN = absent)
    node_osm_id: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    seg_way: npt.NDArray[np.int64]  # row of ``tags``
    seg_a: npt.NDArray[np.int64]  # node indices, in way order
    seg_b: npt.NDArray[np.int64]
    length_m: npt.NDArray[np.float64]
    missing: int  # segments dropped because a node has no location


def _segments(
    source: str,
    tags: pd.DataFrame,
    seg_way: npt.NDArray[np.int64],
    ref_a: npt.NDArray[np.int64],
    ref_b: npt.NDArray[np.int64],
    coords: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]],
) -> _Ways:
    """Index nodes, drop self-loops and segments with unknown locations, add lengths."""
    ids, lon, lat = coords
    keep = ref_a != ref_b
    seg_way, ref_a, ref_b = seg_way[keep], ref_a[keep], ref_b[keep]
    node_ids, inv = np.unique(np.concatenate((ref_a, ref_b)), return_inverse=True)
    pos = np.minimum(np.searchsorted(ids, node_ids), max(len(ids) - 1, 0))
    found = ids[pos] == node_ids if len(ids) else np.zeros(len(node_ids), dtype=bool)
    nlon = np.where(found, lon[pos] if len(ids) else np.nan, np.nan)
    nlat = np.where(found, lat[pos] if len(ids) else np.nan, np.nan)
    valid = np.isfinite(nlon) & np.isfinite(nlat)
    a, b = inv[: len(ref_a)], inv[len(ref_a) :]
    ok = valid[a] & valid[b]
    a, b, seg_way = a[ok], b[ok], seg_way[ok]
    length = np.asarray(Geod(ellps="WGS84").inv(nlon[a], nlat[a], nlon[b], nlat[b])[2], dtype=float)
    tags = tags.reset_index(drop=True)
    return _Ways(source, tags, node_ids.astype(np.int64), nlon, nlat, seg_way, a, b, length,
                 int((~ok).sum()))  # fmt: skip


def _read_osm(path: str | Path) -> _Ways:
    """One pass over an .osm.pbf / .osm file: highway ways, their nodes and locations."""
    import osmium
    from osmium.filter import EntityFilter, KeyFilter

    p = check_input_file(path, what="OpenStreetMap extract")
    way_ids: list[int] = []
    rows: list[list[str | None]] = []
    counts: list[int] = []
    refs: list[int] = []
    xs: list[int] = []
    ys: list[int] = []
    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    try:
        fp = (
            osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(EntityFilter(osmium.osm.WAY))
            .with_filter(KeyFilter("highway"))
        )
        for w in fp:
            if not isinstance(w, osmium.osm.Way):  # the filters pass ways only
                continue
            way_ids.append(w.id)
            wtags = w.tags
            rows.append([wtags.get(k) for k in TAG_KEYS])
            nodes = w.nodes
            counts.append(len(nodes))
            for n in nodes:
                refs.append(n.ref)
                xs.append(n.x)
                ys.append(n.y)
            if len(refs) > _FLUSH:
                chunks.append(
                    (np.array(refs, np.int64), np.array(xs, np.int64), np.array(ys, np.int64))
                )
                refs, xs, ys = [], [], []
    except (RuntimeError, ValueError, OSError) as exc:
        msg = (
            f"OpenStreetMap extract {p}: cannot be read ({exc}). The file is corrupt, truncated or "
            "not an OSM file: download it again (e.g. from Geofabrik) as .osm.pbf or .osm XML."
        )
        raise DataSourceError(msg) from exc
    chunks.append((np.array(refs, np.int64), np.array(xs, np.int64), np.array(ys, np.int64)))
    ref = np.concatenate([ch[0] for ch in chunks])
    x = np.concatenate([ch[1] for ch in chunks])
    y = np.concatenate([ch[2] for ch in chunks])
    pos_way = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    same = pos_way[1:] == pos_way[:-1]
    ok_loc = (np.abs(x) <= 1_800_000_000) & (np.abs(y) <= 900_000_000)
    ids, first = np.unique(ref, return_index=True)
    lon = np.where(ok_loc[first], x[first] / 1e7, np.nan)
    lat = np.where(ok_loc[first], y[first] / 1e7, np.nan)
    tags = pd.DataFrame(rows, columns=list(TAG_KEYS), dtype=object)
    tags.insert(0, "way_id", np.asarray(way_ids, dtype=np.int64))
    a = np.flatnonzero(same)
    return _segments(str(p), tags, pos_way[a], ref[a], ref[a + 1], (ids, lon, lat))


def _area_geometry(area: Any, crs: str) -> BaseGeometry | None:
    if area is None:
        return None
    if isinstance(area, BaseGeometry):
        geom = area
    else:
        if area.crs is None:
            msg = "area: the layer has no coordinate reference system; set one (e.g. EPSG:27700)."
            raise CrsError(msg)
        geom = area.to_crs(crs).union_all()
    if geom.is_empty:
        msg = "area: the geometry is empty; pass the study area's polygons."
        raise ConfigError(msg)
    return geom if geom.area > 0 else geom.buffer(1.0)


def _project(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        target = CRS.from_user_input(crs)
    except CRSError as exc:
        msg = f"crs {crs!r} is not a coordinate reference system pyproj knows ({exc})"
        raise ConfigError(msg) from exc
    if not target.is_projected:
        msg = f"crs {crs!r} is not projected; networks need metres (e.g. {c.ANALYSIS_CRS})"
        raise ConfigError(msg)
    x, y = Transformer.from_crs("EPSG:4326", target, always_xy=True).transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _build(
    ways: _Ways,
    mode: str,
    xy: tuple[np.ndarray, np.ndarray],
    *,
    crs: str,
    rules: Rules,
    area: BaseGeometry | None,
    margin_m: float,
    keep: str,
) -> StreetNetwork:
    """Filter one mode's edges, check coverage, clip, keep the largest component."""
    t0 = time.perf_counter()
    fwd_w, bwd_w, kmh_w = way_rules(ways.tags, mode, rules)
    fs, bs = fwd_w[ways.seg_way], bwd_w[ways.seg_way]
    u = np.concatenate((ways.seg_a[fs], ways.seg_b[bs]))
    v = np.concatenate((ways.seg_b[fs], ways.seg_a[bs]))
    way = np.concatenate((ways.seg_way[fs], ways.seg_way[bs]))
    length = np.concatenate((ways.length_m[fs], ways.length_m[bs]))
    where = f"{ways.source} ({mode})"
    if len(u) == 0:
        msg = (
            f"{where}: no usable {mode} edges among {len(ways.tags)} highway ways. Check that the "
            "extract holds streets for this mode (see estatesplan/data/network_speeds.csv)."
        )
        raise NetworkBuildError(msg)
    x, y = xy
    report: dict[str, Any] = {
        "source": ways.source, "mode": mode, "crs": crs, "ways_read": len(ways.tags),
        "ways_used": int(np.unique(way).size), "missing_locations": ways.missing,
    }  # fmt: skip
    if area is not None:
        used = np.unique(np.concatenate((u, v)))
        hull = shapely.multipoints(np.column_stack((x[used], y[used]))).convex_hull
        outside = area.difference(hull).area / area.area
        if outside > _MAX_OUTSIDE:
            msg = (
                f"{where}: the extract does not cover the study area: {100 * outside:.1f}% of the "
                "area lies outside the network's convex hull. Use an extract that covers the whole "
                "area plus a margin (e.g. a larger Geofabrik extract, or osmium extract --polygon)."
            )
            raise NetworkBuildError(msg)
        zone = area.buffer(margin_m)
        shapely.prepare(zone)
        inside = shapely.contains_xy(zone, x, y)
        clip = inside[u] & inside[v]
        report["edges_clipped"] = int((~clip).sum())
        u, v, way, length = u[clip], v[clip], way[clip], length[clip]
        if len(u) == 0:
            msg = (
                f"{where}: no {mode} edges within {margin_m:g} m of the area; check the area's CRS."
            )
            raise NetworkBuildError(msg)
    nodes, inv = np.unique(np.concatenate((u, v)), return_inverse=True)
    cu, cv = inv[: len(u)], inv[len(u) :]
    n = len(nodes)
    graph = coo_array((np.ones(len(cu), dtype=np.int8), (cu, cv)), shape=(n, n)).tocsr()
    connection = "weak" if keep == "weak" or mode == "walk" else "strong"
    n_comp, labels = connected_components(graph, directed=True, connection=connection)
    best = int(np.argmax(np.bincount(labels)))
    kept_node = labels == best
    kept = kept_node[cu] & kept_node[cv]
    remap = np.cumsum(kept_node) - 1
    speed = kmh_w[way[kept]] / 3.6
    time_s = np.maximum(length[kept] / speed, _MIN_TIME_S)
    nk, ek = int(kept_node.sum()), int(kept.sum())
    if ek == 0:
        msg = f"{where}: the largest connected part of the {mode} network has no edges."
        raise NetworkBuildError(msg)
    report |= {
        "components": int(n_comp), "nodes_kept": nk, "edges_kept": ek, "nodes_dropped": n - nk,
        "edges_dropped": len(u) - ek, "share_dropped": (len(u) - ek) / len(u),
        "zero_length_edges": int((length[kept] == 0).sum()),
        "build_s": round(time.perf_counter() - t0, 3),
    }  # fmt: skip
    sel = nodes[kept_node]
    net = StreetNetwork(
        mode=mode, crs=crs, node_osm_id=ways.node_osm_id[sel], x=x[sel], y=y[sel],
        edge_u=remap[cu[kept]].astype(np.int32), edge_v=remap[cv[kept]].astype(np.int32),
        edge_length_m=length[kept], edge_time_s=time_s,
        edge_way_id=ways.tags["way_id"].to_numpy(dtype=np.int64)[way[kept]],
        edge_highway=ways.tags["highway"].to_numpy(dtype=object)[way[kept]], report=report,
    )  # fmt: skip
    logger.info(
        "%s network from %s: %d of %d highway ways used; kept %d nodes, %d edges; dropped %d "
        "nodes, %d edges (%.2f%%) outside the largest %s component; %.2f s",
        mode, Path(ways.source).name, report["ways_used"], len(ways.tags), nk, ek, n - nk,
        len(u) - ek, 100 * report["share_dropped"], connection, report["build_s"],
    )  # fmt: skip
    return net


def _build_all(
    ways: _Ways,
    modes: Sequence[str],
    *,
    crs: str,
    speeds: Mapping[str, float] | None,
    congestion_factor: float | None,
    area: Any,
    margin_m: float,
    keep: str,
) -> dict[str, StreetNetwork]:
    bad = [m for m in modes if m not in MODES]
    if bad or not modes or len(set(modes)) != len(modes) or keep not in get_args(Keep):
        msg = f"modes must be distinct values of {MODES} and keep 'strong' or 'weak'; found modes={list(modes)}, keep={keep!r}"
        raise ConfigError(msg)
    if not 0 <= margin_m < math.inf:
        msg = f"margin_m must be a non-negative number of metres, found {margin_m!r}"
        raise ConfigError(msg)
    table = load_speed_table()
    check_settings(table, speeds, congestion_factor)
    rules = {m: resolve_rules(table, m, speeds, congestion_factor) for m in modes}
    xy = _project(ways.lon, ways.lat, crs)
    geom = _area_geometry(area, crs)
    return {
        m: _build(ways, m, xy, crs=crs, rules=rules[m], area=geom, margin_m=margin_m, keep=keep)
        for m in modes
    }


def networks_from_osm(
    path: str | Path,
    modes: Sequence[str] = MODES,
    *,
    crs: str = c.ANALYSIS_CRS,
    speeds: Mapping[str, float] | None = None,
    congestion_factor: float | None = None,
    area: Any = None,
    margin_m: float = 2000.0,
    keep: Keep = "strong",
) -> dict[str, StreetNetwork]:
    """Build several modes' networks from one read of an OSM extract.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm`` (XML) file, read with pyosmium.
    modes
        Modes to build (``"walk"``, ``"cycle"``, ``"drive"``).
    crs
        Projected CRS of the node coordinates (metres).
    speeds
        Overrides in km/h: ``{"walk": 4.8, "cycle": 15}`` (default speeds) or
        ``{"drive:residential": 25}`` (one class of one mode); see the module docstring.
    congestion_factor
        Multiplier of every drive speed (> 0); None takes the table's (0.6).
    area
        Study area (shapely geometry in ``crs``, or a GeoDataFrame/GeoSeries with a CRS):
        the extract must cover it (at most 1% outside the network's convex hull) and the
        network is clipped to it plus ``margin_m``. None keeps the whole extract.
    margin_m
        Margin around ``area`` kept for routes that leave it, metres.
    keep
        ``"strong"`` (largest strongly connected component) or ``"weak"``.

    Returns
    -------
    dict of str to StreetNetwork
        One network per mode, in ``modes`` order. Each ``report`` holds ``ways_read``
        (highway ways in the file), ``ways_used`` (giving this mode an edge, before the
        component step), ``missing_locations`` (segments dropped: node not in the file),
        ``edges_clipped`` (outside ``area`` + margin, when given), ``components``,
        ``nodes_kept``, ``edges_kept``, ``nodes_dropped``, ``edges_dropped`` (outside the
        largest component), ``share_dropped`` (of edges), ``zero_length_edges`` (timed
        at 1 ms) and ``build_s``.

    Raises
    ------
    DataSourceError
        If the file is missing, empty or unreadable.
    NetworkBuildError
        If a mode has no usable edges, or the extract does not cover ``area``.
    ConfigError
        If a mode, speed, congestion factor, margin or CRS is invalid.
    """
    t0 = time.perf_counter()
    ways = _read_osm(path)
    logger.info(
        "read %s: %d highway ways, %d segments in %.2f s",
        Path(ways.source).name, len(ways.tags), len(ways.seg_a), time.perf_counter() - t0,
    )  # fmt: skip
    return _build_all(ways, modes, crs=crs, speeds=speeds, congestion_factor=congestion_factor,
                      area=area, margin_m=margin_m, keep=keep)  # fmt: skip


def network_from_osm(
    path: str | Path,
    mode: Mode,
    *,
    crs: str = c.ANALYSIS_CRS,
    speeds: Mapping[str, float] | None = None,
    congestion_factor: float | None = None,
    area: Any = None,
    margin_m: float = 2000.0,
    keep: Keep = "strong",
) -> StreetNetwork:
    """Build one mode's network from an OSM extract; see :func:`networks_from_osm`.

    Parameters
    ----------
    path, crs, speeds, congestion_factor, area, margin_m, keep
        As for :func:`networks_from_osm`.
    mode
        ``"walk"``, ``"cycle"`` or ``"drive"``.

    Returns
    -------
    StreetNetwork
        Unsimplified directed network in ``crs``.
    """
    return networks_from_osm(path, (mode,), crs=crs, speeds=speeds, congestion_factor=congestion_factor,
                             area=area, margin_m=margin_m, keep=keep)[mode]  # fmt: skip

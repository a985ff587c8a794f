"""OpenStreetMap networks from osmnx graphs and downloads, and networks as networkx graphs.

:func:`network_from_osmnx` applies exactly the rules of :mod:`estatesplan.networks` to an
unsimplified osmnx graph (built inside :func:`osmnx_settings`, which keeps the tags the
rules read), so a graph read from the same OSM data gives an identical network.
:func:`network_from_place` and :func:`network_from_polygon` download the streets with
osmnx (online; Overpass) and convert them. :func:`to_networkx` turns any network into a
networkx MultiDiGraph for interoperability and cross-checks. osmnx and networkx are
imported only when these functions run. The names are also importable from
:mod:`estatesplan.networks`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from . import contracts as c
from ._osm_rules import TAG_KEYS, Keep, Mode, load_speed_table, resolve_rules
from .errors import DataSourceError, NetworkBuildError
from .graph import StreetNetwork
from .networks import _area_geometry, _build_all, _segments, _Ways

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = [
    "network_from_osmnx",
    "network_from_place",
    "network_from_polygon",
    "osmnx_settings",
    "to_networkx",
]

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def osmnx_settings() -> Iterator[None]:
    """Temporarily set osmnx so its graphs keep what :func:`network_from_osmnx` needs.

    Inside the block, osmnx keeps the access, oneway, cycleway and maxspeed tags on edges
    and adds each way in its node order only (``all_oneway``), with its raw ``oneway``
    value; the previous settings are restored on exit (not thread-safe: osmnx settings are
    module globals).

    Yields
    ------
    None
    """
    import osmnx as ox

    old = (list(ox.settings.useful_tags_way), ox.settings.all_oneway)
    ox.settings.useful_tags_way = sorted(set(old[0]) | set(TAG_KEYS) | {"name"})
    ox.settings.all_oneway = True
    try:
        yield
    finally:
        ox.settings.useful_tags_way, ox.settings.all_oneway = old


def _ways_from_osmnx(graph: nx.MultiDiGraph, source: str) -> _Ways:
    """Read an unsimplified lon/lat osmnx graph's highway edges as ways and segments."""
    if str(graph.graph.get("crs", "epsg:4326")).lower() not in ("epsg:4326", "wgs84"):
        msg = f"{source}: the osmnx graph must be unprojected (lon/lat, EPSG:4326)"
        raise NetworkBuildError(msg)
    rows: dict[int, list[Any]] = {}
    seg: list[tuple[int, int, int]] = []
    for a, b, d in graph.edges(data=True):
        if "highway" not in d:
            continue
        if (
            isinstance(d.get("oneway"), bool)
            or d.get("reversed") is True
            or isinstance(d["osmid"], list)
        ):
            msg = (
                f"{source}: the osmnx graph is simplified or lost its raw oneway tags; build it with "
                "simplify=False inside `with estatesplan.osmnx_interop.osmnx_settings():`"
            )
            raise NetworkBuildError(msg)
        wid = int(d["osmid"])
        if wid not in rows:
            rows[wid] = [d.get(k) for k in TAG_KEYS]
        flip = d.get("oneway") in ("-1", "reverse", "T")  # osmnx reversed these ways
        seg.append((wid, b, a) if flip else (wid, a, b))
    ids = np.fromiter(rows, dtype=np.int64, count=len(rows))
    tags = pd.DataFrame(list(rows.values()), columns=list(TAG_KEYS), dtype=object)
    tags.insert(0, "way_id", ids)
    arr = np.array(seg, dtype=np.int64).reshape(-1, 3)
    node_ids = np.array(sorted(graph.nodes), dtype=np.int64)
    lon = np.array([graph.nodes[n].get("x", np.nan) for n in node_ids.tolist()], dtype=np.float64)
    lat = np.array([graph.nodes[n].get("y", np.nan) for n in node_ids.tolist()], dtype=np.float64)
    row = np.searchsorted(ids, arr[:, 0], sorter=np.argsort(ids))
    return _segments(source, tags, np.argsort(ids)[row], arr[:, 1], arr[:, 2], (node_ids, lon, lat))


def network_from_osmnx(
    graph: nx.MultiDiGraph,
    mode: Mode,
    *,
    crs: str = c.ANALYSIS_CRS,
    speeds: Mapping[str, float] | None = None,
    congestion_factor: float | None = None,
    area: Any = None,
    margin_m: float = 2000.0,
    keep: Keep = "strong",
    source: str = "osmnx graph",
) -> StreetNetwork:
    """Convert an unsimplified osmnx graph to a network, with the same rules as for files.

    Parameters
    ----------
    graph
        Built with ``simplify=False`` inside :func:`osmnx_settings` (lon/lat nodes).
    mode, crs, speeds, congestion_factor, area, margin_m, keep
        As for :func:`network_from_osm`.
    source
        Name for messages and the report.

    Returns
    -------
    StreetNetwork
        Identical to :func:`network_from_osm` on the same OSM data.

    Raises
    ------
    NetworkBuildError
        If the graph was simplified, projected or built without :func:`osmnx_settings`.
    """
    ways = _ways_from_osmnx(graph, source)
    return _build_all(ways, (mode,), crs=crs, speeds=speeds, congestion_factor=congestion_factor,
                      area=area, margin_m=margin_m, keep=keep)[mode]  # fmt: skip


def _download(fetch: Any, what: str) -> nx.MultiDiGraph:
    """Call ``fetch(osmnx)`` inside :func:`osmnx_settings`; wrap its failures."""
    import osmnx as ox

    t0 = time.perf_counter()
    with osmnx_settings():
        try:
            graph: nx.MultiDiGraph = fetch(ox)
        except (OSError, ValueError) as exc:
            msg = f"osmnx download of {what} failed ({exc}); check the name or polygon and the internet connection, or use an .osm.pbf extract."
            raise DataSourceError(msg) from exc
    logger.info(
        "osmnx download of %s: %d nodes, %d edges in %.2f s",
        what, graph.number_of_nodes(), graph.number_of_edges(), time.perf_counter() - t0,
    )  # fmt: skip
    return graph


def _overpass_filter(mode: str) -> str:
    """Overpass filter for the highway classes the mode may ever use."""
    rules = resolve_rules(load_speed_table(), mode, None, None)
    classes = "|".join(sorted({*rules.usable, *rules.explicit}))
    return f'["highway"~"^({classes})$"]'


def network_from_place(query: str, mode: Mode, **kw: Any) -> StreetNetwork:
    """Download a place's streets with osmnx (online) and build one mode's network.

    Parameters
    ----------
    query
        Place name osmnx can geocode (e.g. ``"London Borough of Camden"``).
    mode
        ``"walk"``, ``"cycle"`` or ``"drive"``.
    **kw
        Keyword options of :func:`network_from_osmnx`.

    Returns
    -------
    StreetNetwork

    Raises
    ------
    DataSourceError
        If the place is unknown or the download fails.
    """
    graph = _download(
        lambda ox: ox.graph_from_place(query, custom_filter=_overpass_filter(mode), simplify=False,
                                       retain_all=True, truncate_by_edge=True),
        repr(query),
    )  # fmt: skip
    return network_from_osmnx(graph, mode, source=f"osmnx place {query!r}", **kw)


def network_from_polygon(
    polygon: BaseGeometry | gpd.GeoDataFrame, mode: Mode, *, crs: str = c.ANALYSIS_CRS, **kw: Any
) -> StreetNetwork:
    """Download the streets inside a polygon with osmnx (online) and build one mode's network.

    Parameters
    ----------
    polygon
        Shapely polygon in ``crs``, or a GeoDataFrame with a CRS (its union is used).
    mode
        ``"walk"``, ``"cycle"`` or ``"drive"``.
    crs
        Projected CRS of the result (and of a shapely ``polygon``).
    **kw
        Other keyword options of :func:`network_from_osmnx`.

    Returns
    -------
    StreetNetwork

    Raises
    ------
    DataSourceError
        If the download fails.
    """
    geom = _area_geometry(polygon, crs)
    to_wgs = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    wgs = shapely.transform(geom, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])))
    graph = _download(
        lambda ox: ox.graph_from_polygon(wgs, custom_filter=_overpass_filter(mode), simplify=False,
                                         retain_all=True, truncate_by_edge=True),
        "a polygon",
    )  # fmt: skip
    return network_from_osmnx(graph, mode, crs=crs, source="osmnx polygon", **kw)


def to_networkx(net: StreetNetwork) -> nx.MultiDiGraph:
    """Return the network as a networkx MultiDiGraph (for interop and cross-checks).

    Parameters
    ----------
    net
        The network.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes ``0 … n_nodes-1`` with ``x``, ``y`` (``net.crs``, metres) and ``osmid``;
        one edge per directed edge with ``length_m``, ``time_s``, ``way_id`` and
        ``highway``; graph attributes ``crs`` and ``mode``.
    """
    import networkx as nx

    g = nx.MultiDiGraph(crs=net.crs, mode=net.mode)
    g.add_nodes_from(
        (i, {"x": x, "y": y, "osmid": o})
        for i, (x, y, o) in enumerate(
            zip(net.x.tolist(), net.y.tolist(), net.node_osm_id.tolist(), strict=True)
        )
    )
    g.add_edges_from(
        (u, v, {"length_m": ln, "time_s": t, "way_id": w, "highway": h})
        for u, v, ln, t, w, h in zip(
            net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length_m.tolist(),
            net.edge_time_s.tolist(), net.edge_way_id.tolist(), net.edge_highway.tolist(), strict=True,
        )
    )  # fmt: skip
    return g

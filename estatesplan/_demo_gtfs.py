"""Bus timetable (GTFS) of the synthetic demo borough, and its reproducible zip writer.

Five bus routes follow the demo street network: two along the primary roads, two
diagonals through the town centre and an orbital. Stops sit on street nodes about
550 m apart (shared where routes meet). Weekdays run every 10-20 minutes from 06:00 to
23:00, Saturdays less often from 07:00; one late weekday journey runs past midnight
(GTFS time ``24:10:00``), and the Early May bank holiday 2026 runs the Saturday service
instead of the weekday one. Field names follow the GTFS Schedule reference. Everything
is fictitious.
"""

from __future__ import annotations

import io
import itertools
import logging
import math
import os
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point, Polygon

from . import contracts as c
from ._demo_network import DemoStreets, district_name, node_street_names

__all__ = ["GTFS_FILES", "build_gtfs", "write_gtfs_zip"]

logger = logging.getLogger(__name__)

GTFS_FILES: Final[tuple[str, ...]] = (
    "agency",
    "stops",
    "routes",
    "trips",
    "stop_times",
    "calendar",
    "calendar_dates",
    "feed_info",
)
"""Tables of the demo feed, in the order they are written (``<name>.txt``)."""

_STOP_SPACING_M: Final = 550.0
_SHARED_STOP_MIN_M: Final = 300.0
_BUS_SPEED_M_S: Final = 5.0
_DWELL_S: Final = 20.0
_START_DATE: Final = "20260101"
_END_DATE: Final = "20271231"
_BANK_HOLIDAY: Final = "20260504"  # Early May bank holiday, Monday 4 May 2026
_ZIP_DATE: Final = (2026, 1, 1, 0, 0, 0)
_WEEKDAY_HEADWAYS: Final = (10, 12, 15, 15, 20)
_SATURDAY_HEADWAY: Final = {10: 15, 12: 20, 15: 20, 20: 30}
_ROAD_COST: Final = {"primary": 1.0, "secondary": 1.15, "residential": 1.6}
_AGENCY_ID: Final = "DMOBUS"


def _drive_graph(streets: DemoStreets) -> nx.Graph:
    """Undirected graph of two-way streets a bus may use, weighted by length × road cost."""
    xy = streets.nodes.set_index("node_id")[["x", "y"]]
    pos = {int(k): (float(x), float(y)) for k, x, y in xy.itertuples()}
    graph: nx.Graph = nx.Graph()
    for ids, tags in zip(streets.ways["node_ids"], streets.way_tags(), strict=True):
        cost = _ROAD_COST.get(tags.get("highway", ""))
        if cost is None or tags.get("oneway") == "yes":
            continue
        for a, b in itertools.pairwise(ids):
            length = math.dist(pos[a], pos[b])
            graph.add_edge(a, b, length=length, weight=length * cost)
    nx.set_node_attributes(graph, {n: pos[n] for n in graph.nodes}, "pos")
    return graph


def _edge_point(outline: Polygon, centre: np.ndarray, bearing: float, share: float) -> np.ndarray:
    """Point on the ray from the centre at ``share`` of the way to the outline."""
    direction = np.array([math.cos(bearing), math.sin(bearing)])
    ray = LineString([centre, centre + direction * 20_000.0])
    hit = ray.intersection(outline.exterior)
    dist = Point(centre).distance(hit) if not hit.is_empty else 3000.0
    return centre + direction * dist * share


def _route_path(graph: nx.Graph, waypoints: Sequence[np.ndarray]) -> list[int]:
    nodes = np.array(list(graph.nodes))
    coords = np.array([graph.nodes[n]["pos"] for n in nodes])
    snapped = [int(nodes[np.argmin(np.hypot(*(coords - p).T))]) for p in waypoints]
    path: list[int] = [snapped[0]]
    for a, b in itertools.pairwise(snapped):
        path += nx.shortest_path(graph, a, b, weight="weight")[1:]
    return path


def _pick_stops(
    graph: nx.Graph, path: list[int], existing: set[int]
) -> tuple[list[int], list[float]]:
    """Stops along ``path`` every ~550 m (earlier routes' stops reused): nodes and distances."""
    stops, at = [path[0]], [0.0]
    travelled, since = 0.0, 0.0
    for a, b in itertools.pairwise(path):
        step = graph.edges[a, b]["length"]
        travelled += step
        since += step
        if b in stops:
            continue
        shared = b in existing and since >= _SHARED_STOP_MIN_M
        if shared or since >= _STOP_SPACING_M or b == path[-1]:
            stops.append(b)
            at.append(travelled)
            since = 0.0
    return stops, at


def _fmt_times(seconds: np.ndarray) -> list[str]:
    s = seconds.astype(np.int64)
    return [f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}" for t in s.tolist()]


def build_gtfs(
    streets: DemoStreets, outline: Polygon, rng: np.random.Generator, *, seed: int
) -> dict[str, pd.DataFrame]:
    """Generate the demo bus feed on ``streets``.

    Parameters
    ----------
    streets
        The demo street network (stops are placed on its nodes).
    outline
        Borough outline, EPSG:27700 metres.
    rng
        The generator every random draw comes from.
    seed
        The demo seed, recorded in ``feed_info.feed_version``.

    Returns
    -------
    dict
        Table name (see :data:`GTFS_FILES`) to DataFrame with GTFS field names, plus a
        ``synthetic`` column (dropped when written). Times are ``HH:MM:SS`` strings,
        dates ``YYYYMMDD`` strings, stop coordinates WGS84 degrees.
    """
    t0 = time.perf_counter()
    graph = _drive_graph(streets)
    centre = np.asarray(streets.centre)
    a = streets.grid_angle
    quarter = math.pi / 2

    def edge(bearing: float, share: float = 0.88) -> np.ndarray:
        return _edge_point(outline, centre, bearing, share)

    orbital = [edge(a + math.pi / 8 + k * quarter, 0.55) for k in range(4)]
    plans = [
        [edge(a + math.pi), centre, edge(a)],
        [edge(a + quarter), centre, edge(a - quarter)],
        [edge(a + math.pi / 4), centre, edge(a + 5 * math.pi / 4)],
        [edge(a + 3 * math.pi / 4), centre, edge(a - math.pi / 4)],
        orbital,
    ]
    names = node_street_names(streets)
    xy = streets.nodes.set_index("node_id")
    stop_nodes: list[int] = []
    patterns: list[tuple[list[int], np.ndarray]] = []
    for plan in plans:
        stops, at = _pick_stops(graph, _route_path(graph, plan), set(stop_nodes))
        stop_nodes += [s for s in stops if s not in stop_nodes]
        offsets = np.asarray(at) / _BUS_SPEED_M_S + _DWELL_S * np.arange(len(at))
        patterns.append((stops, offsets))

    stop_id = {n: f"DMO{k:04d}" for k, n in enumerate(stop_nodes, start=1)}
    stop_name: dict[int, str] = {}
    used: set[str] = set()
    for n in stop_nodes:
        street = names.get(n) or ["Unnamed Road"]
        base = " / ".join(street[:2])
        label, k = base, 2
        while label in used:
            label, k = f"{base} (stop {k})", k + 1
        used.add(label)
        stop_name[n] = label
    stops_df = pd.DataFrame(
        {
            "stop_id": [stop_id[n] for n in stop_nodes],
            "stop_code": [f"{70000 + k}" for k in range(1, len(stop_nodes) + 1)],
            "stop_name": [stop_name[n] for n in stop_nodes],
            "stop_lat": np.round(xy.loc[stop_nodes, "lat"].to_numpy(), 6),
            "stop_lon": np.round(xy.loc[stop_nodes, "lon"].to_numpy(), 6),
            "location_type": 0,
            "wheelchair_boarding": 1,
        }
    )

    headways = rng.permutation(np.array(_WEEKDAY_HEADWAYS))
    route_rows, trip_rows, st_parts = [], [], []
    for r, ((nodes, offsets), headway) in enumerate(zip(patterns, headways, strict=True)):
        route_id = f"D{r + 1}"
        ends = [
            district_name(*(xy.loc[nodes[k], ["x", "y"]].to_numpy(float) - centre))[1]
            for k in (0, -1)
        ]
        via = "Orbital" if r == 4 else "Town Centre"
        route_rows.append(
            {
                "route_id": route_id,
                "agency_id": _AGENCY_ID,
                "route_short_name": route_id,
                "route_long_name": f"{ends[0]} - {via} - {ends[1]} (synthetic)",
                "route_type": 3,
            }
        )
        for direction in (0, 1):
            seq = nodes if direction == 0 else nodes[::-1]
            off = offsets if direction == 0 else offsets[-1] - offsets[::-1]
            off = np.round(off / 60.0) * 60.0
            services = [
                ("WKDY", 6 * 3600, 23 * 3600, int(headway)),
                ("SAT", 7 * 3600, 23 * 3600, _SATURDAY_HEADWAY[int(headway)]),
            ]
            for service, first, last, every in services:
                lag = int(rng.integers(0, every)) * 60
                starts = np.arange(first + lag, last + 1, every * 60)
                if service == "WKDY" and r == 0 and direction == 0:
                    starts = np.append(starts, 24 * 3600 + 600 - off[-1])  # ends 24:10:00
                for start in starts.astype(int).tolist():
                    trip_id = f"{route_id}-{service}-{direction}-{start // 3600:02d}{start % 3600 // 60:02d}"
                    trip_rows.append(
                        {
                            "route_id": route_id,
                            "service_id": service,
                            "trip_id": trip_id,
                            "trip_headsign": ends[1 - direction],
                            "direction_id": direction,
                            "wheelchair_accessible": 1,
                        }
                    )
                times = _fmt_times((starts.astype(int)[:, None] + off[None, :]).ravel())
                st_parts.append(
                    pd.DataFrame(
                        {
                            "trip_id": np.repeat(
                                [t["trip_id"] for t in trip_rows[-len(starts) :]], len(seq)
                            ),
                            "arrival_time": times,
                            "departure_time": times,
                            "stop_id": np.tile([stop_id[n] for n in seq], len(starts)),
                            "stop_sequence": np.tile(np.arange(1, len(seq) + 1), len(starts)),
                        }
                    )
                )
    tables: dict[str, pd.DataFrame] = {
        "agency": pd.DataFrame(
            {
                "agency_id": [_AGENCY_ID],
                "agency_name": ["Demoborough Buses (synthetic)"],
                "agency_url": ["https://example.com/demoborough-buses-synthetic"],
                "agency_timezone": ["Europe/London"],
                "agency_lang": ["en"],
            }
        ),
        "stops": stops_df,
        "routes": pd.DataFrame(route_rows),
        "trips": pd.DataFrame(trip_rows),
        "stop_times": pd.concat(st_parts, ignore_index=True),
        "calendar": pd.DataFrame(
            {
                "service_id": ["WKDY", "SAT"],
                **{d: [1, 0] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
                "saturday": [0, 1],
                "sunday": [0, 0],
                "start_date": [_START_DATE] * 2,
                "end_date": [_END_DATE] * 2,
            }
        ),
        "calendar_dates": pd.DataFrame(
            {
                "service_id": ["WKDY", "SAT"],
                "date": [_BANK_HOLIDAY] * 2,
                "exception_type": [2, 1],
            }
        ),
        "feed_info": pd.DataFrame(
            {
                "feed_publisher_name": ["estatesplan demo generator (synthetic data)"],
                "feed_publisher_url": ["https://example.com/estatesplan-demo-synthetic"],
                "feed_lang": ["en"],
                "feed_start_date": [_START_DATE],
                "feed_end_date": [_END_DATE],
                "feed_version": [f"synthetic-seed-{seed}"],
            }
        ),
    }
    for table in tables.values():
        table[c.SYNTHETIC] = True
        table.attrs[c.SYNTHETIC] = True
    logger.info(
        "demo GTFS: %d routes, %d stops, %d trips, %d stop times in %.2f s",
        len(tables["routes"]),
        len(stops_df),
        len(tables["trips"]),
        len(tables["stop_times"]),
        time.perf_counter() - t0,
    )
    return tables


def write_gtfs_zip(tables: Mapping[str, pd.DataFrame], path: str | os.PathLike[str]) -> Path:
    """Write the feed as a GTFS zip with fixed member timestamps (byte-reproducible).

    Parameters
    ----------
    tables
        Table name to DataFrame, as from :func:`build_gtfs`; the ``synthetic`` column
        is left out of the files (the agency and publisher names say it instead).
    path
        Output zip (overwritten). Written directly: wrap in ``_io.atomic_path``.

    Returns
    -------
    Path
        ``path``.
    """
    with zipfile.ZipFile(path, "w") as zf:
        for name in GTFS_FILES:
            frame = tables[name].drop(columns=[c.SYNTHETIC], errors="ignore")
            buf = io.StringIO()
            frame.to_csv(buf, index=False, lineterminator="\n")
            info = zipfile.ZipInfo(f"{name}.txt", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue().encode("utf-8"))
    return Path(path)

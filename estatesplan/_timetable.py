"""One service day's timetable as flat arrays for RAPTOR (internal; see :mod:`estatesplan.raptor`).

Trips with the same stop sequence and the same pick-up/drop-off rules form a *route*;
a route whose trips overtake one another (a later departure arriving earlier at some
stop) is split greedily into sub-routes whose trips do not, so that the earliest trip
one can catch is also the earliest to arrive everywhere downstream. Footpaths join
stops within a straight-line distance (great circle via a k-d tree on 3-D unit-sphere
coordinates) and the pairs listed in ``transfers.txt``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .errors import ConfigError, DataContractError
from .gtfs import DaySchedule

__all__ = ["Timetable", "build_timetable", "csr"]

logger = logging.getLogger(__name__)

_EARTH_M: Final = 6_371_008.8


@dataclass(frozen=True, eq=False)
class Timetable:
    """One service day's timetable in flat arrays (CSR layouts), ready for RAPTOR.

    Stops are the stops served that day, in ``stops.txt`` order; ``stop_ids[i]`` is
    stop ``i``. Route ``r`` visits ``route_stops[route_stop_ptr[r]:route_stop_ptr[r+1]]``
    (``ns`` stops) with ``nt = route_trip_ptr[r+1] - route_trip_ptr[r]`` trips; the
    arrival of its ``t``-th trip at its ``i``-th stop is
    ``arr[route_time_ptr[r] + t * ns + i]`` (seconds, int32; ``dep`` likewise).
    ``route_board``/``route_alight`` say whether one may board/alight there. Stop ``p``
    is served by routes ``stop_route_route[stop_route_ptr[p]:stop_route_ptr[p+1]]`` at
    positions ``stop_route_pos``; its footpaths go to ``fp_to`` in ``fp_s`` seconds.
    """

    source: str
    date: dt.date
    stop_ids: np.ndarray
    stop_lat: np.ndarray
    stop_lon: np.ndarray
    route_ids: np.ndarray
    trip_ids: np.ndarray
    route_stop_ptr: np.ndarray
    route_stops: np.ndarray
    route_board: np.ndarray
    route_alight: np.ndarray
    route_trip_ptr: np.ndarray
    route_time_ptr: np.ndarray
    arr: np.ndarray
    dep: np.ndarray
    stop_route_ptr: np.ndarray
    stop_route_route: np.ndarray
    stop_route_pos: np.ndarray
    fp_ptr: np.ndarray
    fp_to: np.ndarray
    fp_s: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_stops(self) -> int:
        """Number of stops."""
        return int(self.stop_ids.shape[0])

    @property
    def n_routes(self) -> int:
        """Number of routes (after splitting overtaking trips apart)."""
        return int(self.route_stop_ptr.shape[0] - 1)

    def stop_index(self, stop_ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Return the index of each of ``stop_ids``.

        Raises
        ------
        DataContractError
            If an id is not a stop served on the timetable's date.
        """
        pos = pd.Index(self.stop_ids).get_indexer(pd.Index(np.asarray(stop_ids, dtype=object)))
        if (pos < 0).any():
            bad = np.asarray(stop_ids, dtype=object)[pos < 0]
            msg = (
                f"{self.source}: stop id(s) {', '.join(map(str, bad[:10]))} are not stops "
                f"served on {self.date.isoformat()}"
            )
            raise DataContractError(msg)
        return np.asarray(pos, dtype=np.int64)

    def kernel_arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays :func:`estatesplan._raptor_kernel.range_raptor` takes, in its order."""
        return (
            self.route_stop_ptr, self.route_stops, self.route_board, self.route_alight,
            self.route_trip_ptr, self.route_time_ptr, self.arr, self.dep,
            self.stop_route_ptr, self.stop_route_route, self.stop_route_pos,
            self.fp_ptr, self.fp_to, self.fp_s,
        )  # fmt: skip


def csr(n: int, key: np.ndarray, *cols: np.ndarray) -> tuple[np.ndarray, ...]:
    """Compressed rows: ``ptr`` (``n + 1``) and ``cols`` reordered so that row ``k`` is
    ``ptr[k]:ptr[k + 1]`` (stable within a row). ``key`` holds row numbers ``0 … n-1``."""
    order = np.argsort(key, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=n), out=ptr[1:])
    return (ptr, *(col[order] for col in cols))


def _routes(
    stop: np.ndarray, arr: np.ndarray, dep: np.ndarray, board: np.ndarray, alight: np.ndarray,
    trip_ptr: np.ndarray,
) -> tuple[list[np.ndarray], int]:  # fmt: skip
    """Group trips into routes (same stops and rules, no overtaking): trip indices by
    route, in order of departure, and the number of distinct stop patterns."""
    patterns: dict[bytes, list[int]] = {}
    for t in range(trip_ptr.shape[0] - 1):
        a, b = trip_ptr[t], trip_ptr[t + 1]
        key = stop[a:b].tobytes() + board[a:b].tobytes() + alight[a:b].tobytes()
        patterns.setdefault(key, []).append(t)
    groups: list[np.ndarray] = []
    for trips in patterns.values():
        n = trip_ptr[trips[0] + 1] - trip_ptr[trips[0]]
        idx = trip_ptr[np.asarray(trips)][:, None] + np.arange(n)
        ta, td = arr[idx], dep[idx]
        order = np.lexsort(tuple(td.T[::-1]))  # by departure at the first stop, then the next
        subs: list[list[int]] = []
        last: list[int] = []
        for o in order:
            for g, lo in enumerate(last):
                if (ta[lo] <= ta[o]).all() and (td[lo] <= td[o]).all():
                    subs[g].append(o)
                    last[g] = o
                    break
            else:
                subs.append([o])
                last.append(o)
        groups += [np.asarray(trips)[np.asarray(s)] for s in subs]
    return groups, len(patterns)


def _footpaths(
    lat: np.ndarray, lon: np.ndarray, stops: pd.DataFrame, ids: np.ndarray,
    transfers: pd.DataFrame | None, *, max_m: float, speed_m_s: float, detour: float,
) -> tuple[pd.DataFrame, int]:  # fmt: skip
    """Footpaths ``a`` → ``b`` in ``s`` seconds, and how many pairs ``transfers.txt`` set."""
    la, lo = np.radians(lat), np.radians(lon)
    xyz = _EARTH_M * np.c_[np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]
    located = np.flatnonzero(np.isfinite(xyz).all(axis=1))
    pairs = np.empty((0, 2), dtype=np.int64)
    if max_m > 0 and len(located) > 1:
        pairs = located[cKDTree(xyz[located]).query_pairs(max_m, output_type="ndarray")]

    def walk_s(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        chord = np.linalg.norm(xyz[a] - xyz[b], axis=1)
        dist = 2 * _EARTH_M * np.arcsin(np.clip(chord / (2 * _EARTH_M), 0, 1))
        return np.asarray(np.round(dist * detour / speed_m_s), dtype=float)

    both = np.r_[pairs, pairs[:, ::-1]].reshape(-1, 2)
    parts = [pd.DataFrame({"a": both[:, 0], "b": both[:, 1], "s": walk_s(both[:, 0], both[:, 1])})]
    parts[0]["rank"] = 0
    n_tr = 0
    if transfers is not None and len(transfers):
        index = pd.Series(np.arange(len(ids)), index=ids)
        kids = stops[stops["stop_id"].isin(index.index) & (stops["parent_station"] != "")]
        members = pd.DataFrame(
            {"id": kids["parent_station"], "k": index[kids["stop_id"]].to_numpy()}
        )
        own = pd.DataFrame({"id": index.index, "k": index.to_numpy()})
        expand = pd.concat([own, members[~members["id"].isin(index.index)]], ignore_index=True)
        tr = transfers.reset_index(drop=True)
        tr["rank"] = np.where(
            tr["from_stop_id"].isin(index.index) & tr["to_stop_id"].isin(index.index), 2, 1
        )  # a row naming platforms wins over one naming their stations
        tr = tr.merge(expand.rename(columns={"id": "from_stop_id", "k": "a"}), on="from_stop_id")
        tr = tr.merge(expand.rename(columns={"id": "to_stop_id", "k": "b"}), on="to_stop_id")
        tr = tr[tr["a"] != tr["b"]]
        n_tr = len(tr)
        walk = walk_s(tr["a"].to_numpy(), tr["b"].to_numpy())
        ttype, mtt = tr["transfer_type"].to_numpy(), tr["min_transfer_time"].to_numpy(float)
        secs = np.where(ttype == 1, 0.0, np.where((ttype == 2) & np.isfinite(mtt), mtt, walk))
        secs = np.where(ttype == 3, np.nan, secs)  # not possible: removes the pair
        parts.append(pd.DataFrame({"a": tr["a"], "b": tr["b"], "s": secs, "rank": tr["rank"]}))
    paths = pd.concat(parts, ignore_index=True).sort_values("rank", kind="stable")
    paths = paths.drop_duplicates(["a", "b"], keep="last")
    paths = paths[paths["s"].notna()].sort_values(["a", "b"])
    return paths, n_tr


def build_timetable(
    schedule: DaySchedule,
    *,
    max_transfer_m: float = 400.0,
    walk_speed_kmh: float = 4.8,
    detour_factor: float = 1.3,
    use_transfers_txt: bool = True,
) -> Timetable:
    """Build the flat-array timetable of one service day.

    Parameters
    ----------
    schedule
        From :func:`estatesplan.gtfs.schedule_on`.
    max_transfer_m
        Stops within this straight-line distance of each other are joined by a
        footpath, in metres (0: only the pairs ``transfers.txt`` lists).
    walk_speed_kmh
        Walking speed on footpaths, km/h.
    detour_factor
        Footpath length over straight-line distance (≥ 1).
    use_transfers_txt
        Apply ``transfers.txt`` (when the feed has one) to the footpaths.

    Returns
    -------
    Timetable
        Stops are those served on the date.

    Raises
    ------
    ConfigError
        If a setting is out of range.
    """
    if not (max_transfer_m >= 0 and walk_speed_kmh > 0 and detour_factor >= 1):
        msg = (
            f"max_transfer_m must be ≥ 0 m, walk_speed_kmh > 0 and detour_factor ≥ 1; got "
            f"{max_transfer_m!r}, {walk_speed_kmh!r}, {detour_factor!r}"
        )
        raise ConfigError(msg)
    t0 = time.perf_counter()
    st = schedule.stop_times
    stops = schedule.stops
    served = pd.Index(pd.unique(st["stop_id"]))
    keep = stops[stops["stop_id"].isin(served)]
    ids = keep["stop_id"].to_numpy(dtype=object)
    stop = pd.Index(ids).get_indexer(st["stop_id"]).astype(np.int32)
    tid = st["trip_id"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, tid[1:] != tid[:-1]])
    trip_ptr = np.r_[starts, len(st)].astype(np.int64)
    trip_names = tid[starts]
    if len(set(trip_names)) != len(trip_names):
        msg = f"{schedule.source}: a trip's stop times are not contiguous in the schedule"
        raise DataContractError(msg)
    route_of_trip = (
        schedule.trips.set_index("trip_id")["route_id"].reindex(trip_names).to_numpy(dtype=object)
    )
    arr = st["arrival_s"].to_numpy(np.int64)
    dep = st["departure_s"].to_numpy(np.int64)
    board = st["pickup"].to_numpy(bool)
    alight = st["dropoff"].to_numpy(bool)
    groups, n_patterns = _routes(stop, arr, dep, board, alight, trip_ptr)
    route_ids = [route_of_trip[g[0]] for g in groups]
    n_routes = len(groups)
    lengths = np.array([trip_ptr[g[0] + 1] - trip_ptr[g[0]] for g in groups], dtype=np.int64)
    counts = np.array([len(g) for g in groups], dtype=np.int64)
    route_stop_ptr = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    route_trip_ptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
    route_time_ptr = np.r_[0, np.cumsum(lengths * counts)].astype(np.int64)
    trips_in_order = np.concatenate(groups) if groups else np.empty(0, np.int64)
    rows = np.concatenate(
        [trip_ptr[t] + np.arange(trip_ptr[t + 1] - trip_ptr[t]) for t in trips_in_order]
    )
    first_rows = np.concatenate(
        [trip_ptr[g[0]] + np.arange(n) for g, n in zip(groups, lengths, strict=True)]
    )
    route_stops = stop[first_rows].astype(np.int32)
    stop_route_route = np.repeat(np.arange(n_routes, dtype=np.int32), lengths)
    stop_route_pos = np.concatenate([np.arange(n, dtype=np.int32) for n in lengths])
    srp, srr, srpos = csr(len(ids), route_stops, stop_route_route, stop_route_pos)
    lat = keep["stop_lat"].to_numpy(float)
    lon = keep["stop_lon"].to_numpy(float)
    paths, n_tr = _footpaths(
        lat, lon, stops, ids, schedule.transfers if use_transfers_txt else None,
        max_m=max_transfer_m, speed_m_s=walk_speed_kmh / 3.6, detour=detour_factor,
    )  # fmt: skip
    fp_ptr, fp_to, fp_s = csr(
        len(ids),
        paths["a"].to_numpy(np.int64),
        paths["b"].to_numpy(np.int32),
        paths["s"].to_numpy(float).astype(np.int32),
    )
    tt = Timetable(
        source=schedule.source, date=schedule.date, stop_ids=ids, stop_lat=lat, stop_lon=lon,
        route_ids=np.asarray(route_ids, dtype=object), trip_ids=trip_names[trips_in_order],
        route_stop_ptr=route_stop_ptr, route_stops=route_stops,
        route_board=board[first_rows], route_alight=alight[first_rows],
        route_trip_ptr=route_trip_ptr, route_time_ptr=route_time_ptr,
        arr=arr[rows].astype(np.int32), dep=dep[rows].astype(np.int32),
        stop_route_ptr=srp, stop_route_route=srr, stop_route_pos=srpos,
        fp_ptr=fp_ptr, fp_to=fp_to, fp_s=fp_s,
        settings={
            "max_transfer_m": float(max_transfer_m), "walk_speed_kmh": float(walk_speed_kmh),
            "detour_factor": float(detour_factor), "use_transfers_txt": bool(use_transfers_txt),
        },
    )  # fmt: skip
    logger.info(
        "timetable %s %s: %d stops, %d routes (%d stop patterns), %d trips, "
        "%d footpaths (%d from transfers.txt) in %.2f s",
        schedule.source, schedule.date, len(ids), n_routes, n_patterns,
        len(trips_in_order), len(fp_to), n_tr, time.perf_counter() - t0,
    )  # fmt: skip
    return tt

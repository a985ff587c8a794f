"""Brute-force earliest arrivals over a day's connections, to check RAPTOR (tests only).

Independent of :mod:`estatesplan.raptor`'s routes and kernels: the trips are read
straight from a :class:`~estatesplan.gtfs.DaySchedule` (no grouping into routes, no
assumption that trips do not overtake), and only the stop order and the footpaths
(from, to, seconds) are shared with the timetable under test. Plain Python, slow.

Both searches follow the router's rules: a trip is boarded at a stop where one is at or
before its departure (and pick-up is allowed), left where drop-off is allowed, and a
footpath is walked only from an arrival by vehicle or at an origin (never two in a row).

- :func:`earliest_arrival` is a time-dependent Dijkstra over the states "at stop *p*
  by vehicle" (may walk a footpath or board) and "at stop *p* on foot" (may board); a
  boarded trip reaches each later stop at its scheduled arrival.
- :func:`earliest_arrival_rounds` is a Bellman–Ford over trips in rounds (round *k*:
  journeys with at most *k* vehicles), for checking the limit on transfers.
"""

from __future__ import annotations

import bisect
import heapq
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .gtfs import DaySchedule

__all__ = ["UNREACHED", "Connections", "connections", "earliest_arrival", "earliest_arrival_rounds"]

logger = logging.getLogger(__name__)

UNREACHED = np.iinfo(np.int64).max
"""Arrival of a stop not reached."""


@dataclass(frozen=True)
class Connections:
    """Every trip's stop events, and the footpaths.

    Trip ``t``'s events are ``trip_ptr[t]:trip_ptr[t + 1]`` of ``stop``, ``arr``, ``dep``
    (seconds), ``pickup`` and ``dropoff``; footpaths from stop ``p`` are
    ``walks[p]`` as ``(to, seconds)`` pairs. ``boards[p]`` lists ``(dep, trip, pos)``
    of every departure with pick-up at ``p``, sorted.
    """

    n_stops: int
    trip_ptr: list[int]
    stop: list[int]
    arr: list[int]
    dep: list[int]
    pickup: list[bool]
    dropoff: list[bool]
    walks: list[list[tuple[int, int]]]
    boards: list[list[tuple[int, int, int]]]


def connections(
    schedule: DaySchedule,
    stop_ids: Sequence[str] | np.ndarray,
    footpaths: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> Connections:
    """Collect the trips of ``schedule`` over the stops ``stop_ids`` and the footpaths.

    Parameters
    ----------
    schedule
        The day's trips.
    stop_ids
        Stop order (stop ``i`` is ``stop_ids[i]``).
    footpaths
        ``(from, to, seconds)`` arrays of stop indices and walking seconds.

    Returns
    -------
    Connections
    """
    st = schedule.stop_times
    stop = pd.Index(np.asarray(stop_ids, dtype=object)).get_indexer(st["stop_id"])
    if (stop < 0).any():
        msg = "the schedule has stops that are not in stop_ids"
        raise ValueError(msg)
    tid = st["trip_id"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, tid[1:] != tid[:-1]])
    trip_ptr = [*starts.tolist(), len(st)]
    n = len(stop_ids)
    walks: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for a, b, s in zip(*(np.asarray(f).tolist() for f in footpaths), strict=True):
        walks[a].append((b, s))
    arr = st["arrival_s"].astype("int64").tolist()
    dep = st["departure_s"].astype("int64").tolist()
    pickup = st["pickup"].astype(bool).tolist()
    stops = stop.tolist()
    boards: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
    for t in range(len(trip_ptr) - 1):
        for e in range(trip_ptr[t], trip_ptr[t + 1] - 1):  # never board at the last stop
            if pickup[e]:
                boards[stops[e]].append((dep[e], t, e - trip_ptr[t]))
    for b in boards:
        b.sort()
    return Connections(
        n_stops=n, trip_ptr=trip_ptr, stop=stops, arr=arr, dep=dep, pickup=pickup,
        dropoff=st["dropoff"].astype(bool).tolist(), walks=walks, boards=boards,
    )  # fmt: skip


def earliest_arrival(conn: Connections, sources: Sequence[int], times: Sequence[int]) -> np.ndarray:
    """Earliest arrival at every stop from ``sources`` reached at ``times`` (time-dependent Dijkstra).

    Parameters
    ----------
    conn
        From :func:`connections`.
    sources
        Origin stop indices.
    times
        Time each origin is reached, seconds.

    Returns
    -------
    numpy.ndarray
        int64 seconds by stop; :data:`UNREACHED` where not reached.
    """
    n = conn.n_stops
    settled_ride = [False] * n  # at the stop by vehicle or as an origin
    settled_foot = [False] * n
    boarded_from = [UNREACHED] * n  # departures at or after this were already scanned
    best = [UNREACHED] * n
    pushed_from = [conn.trip_ptr[t + 1] - conn.trip_ptr[t] for t in range(len(conn.trip_ptr) - 1)]
    heap: list[tuple[int, int, int]] = [
        (int(t), 0, int(s)) for s, t in zip(sources, times, strict=True)
    ]
    heapq.heapify(heap)
    while heap:
        tau, on_foot, p = heapq.heappop(heap)
        if on_foot:
            if settled_foot[p] or settled_ride[p]:
                continue
            settled_foot[p] = True
        else:
            if settled_ride[p]:
                continue
            settled_ride[p] = True
            for q, w in conn.walks[p]:
                if not settled_ride[q] and not settled_foot[q]:
                    heapq.heappush(heap, (tau + w, 1, q))
        best[p] = min(best[p], tau)
        if tau >= boarded_from[p]:
            continue
        deps = conn.boards[p]
        lo = bisect.bisect_left(deps, (tau, -1, -1))
        for d, t, pos in deps[lo:]:
            if d >= boarded_from[p]:
                break
            base = conn.trip_ptr[t]
            for j in range(pos + 1, pushed_from[t]):
                e = base + j
                if conn.dropoff[e]:
                    heapq.heappush(heap, (conn.arr[e], 0, conn.stop[e]))
            pushed_from[t] = min(pushed_from[t], pos + 1)
        boarded_from[p] = tau
    return np.array(best, dtype=np.int64)


def earliest_arrival_rounds(
    conn: Connections, sources: Sequence[int], times: Sequence[int], max_rounds: int
) -> np.ndarray:
    """Earliest arrival at every stop with at most ``max_rounds`` vehicles (rounds over all trips).

    Parameters
    ----------
    conn
        From :func:`connections`.
    sources, times
        Origin stop indices and the time each is reached, seconds.
    max_rounds
        Vehicles allowed (transfers + 1).

    Returns
    -------
    numpy.ndarray
        int64 seconds by stop; :data:`UNREACHED` where not reached.
    """
    n = conn.n_stops
    ride = [UNREACHED] * n
    for s, t in zip(sources, times, strict=True):
        ride[s] = min(ride[s], int(t))
    best = list(ride)
    for p in range(n):
        if ride[p] < UNREACHED:
            for q, w in conn.walks[p]:
                best[q] = min(best[q], ride[p] + w)
    for _ in range(max_rounds):
        new_ride = [UNREACHED] * n
        for t in range(len(conn.trip_ptr) - 1):
            on = False
            for e in range(conn.trip_ptr[t], conn.trip_ptr[t + 1]):
                p = conn.stop[e]
                if on and conn.dropoff[e]:
                    new_ride[p] = min(new_ride[p], conn.arr[e])
                if not on and conn.pickup[e] and best[p] <= conn.dep[e]:
                    on = True
        new_best = list(best)
        for p in range(n):
            if new_ride[p] < UNREACHED:
                new_best[p] = min(new_best[p], new_ride[p])
                for q, w in conn.walks[p]:
                    new_best[q] = min(new_best[q], new_ride[p] + w)
        best = new_best
    return np.array(best, dtype=np.int64)

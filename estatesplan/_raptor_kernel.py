"""Numba kernels of the public transport router (internal; see :mod:`estatesplan.raptor`).

Importing this module compiles nothing: each kernel is compiled on its first call (and
cached on disk when a cache folder is writable, like :mod:`estatesplan._dijkstra`).

:func:`range_raptor` is RAPTOR (Delling, Pajor and Werneck 2012, §3) over a range of
departure times, latest first, keeping every round's labels between departures
(rRAPTOR, §4): a journey that leaves later is also a journey for an earlier departure
(waiting at the origin), so each earlier departure only rescans the routes at stops
whose labels it improves. Times are whole seconds in int32; :data:`INF` is "not
reached".

Labels: ``lab[k, p]`` is an arrival at stop ``p`` with at most ``k`` trips (by
vehicle, or on foot after one), used to board in round ``k + 1`` and to prune round
``k``'s updates (local pruning, §3.1); ``ride[k, p]`` likewise for arrivals *by
vehicle* (or at an origin). Labels are kept per round, not as one best arrival per
stop: with a limit on transfers, a later departure's arrival with many trips must not
hide an earlier departure's arrival at the same time with fewer trips, which can still
be continued (R5 keeps per-round labels for the same reason). At the start of each
round the stops improved so far in this departure carry their labels up to it (the
other stops' labels may lag behind, which only weakens pruning); the best arrival over
the rounds is the previous departure's, improved where this one touched.

Footpaths are relaxed only from arrivals by vehicle: a journey never chains two
footpaths, and keeping the arrivals by vehicle apart keeps RAPTOR exact when the
footpaths are not transitively closed (stops within a distance of each other), as in
R5. A route is scanned from the first stop improved in the previous round; one may
board only at such stops (elsewhere the previous round's label has not changed, so
boarding there was tried before). ``seen[k, g]`` is the earliest stop at which trip
``g`` was boarded in a round ≤ ``k`` (in this departure or a later one): its arrivals
beyond were already offered to labels that are at least as good, so a scan checks
only the stops before it, and stops once past both it and the last improved stop.
This bounds the alighting work over a whole window by rounds × stop times.

Routes hold trips with one stop sequence that never overtake one another (a trip
departing later also arrives later at every stop), sorted by departure, so the
earliest trip one can catch at a stop is found by binary search.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import numpy as np

from ._dijkstra_prep import jit

__all__ = ["INF", "egress_times", "range_raptor"]

logger = logging.getLogger(__name__)

INF: Final = 2_147_483_647
"""Label of a stop not reached (int32 maximum), in seconds."""


@jit()
def range_raptor(
    route_stop_ptr: Any,
    route_stops: Any,
    route_board: Any,
    route_alight: Any,
    route_trip_ptr: Any,
    route_time_ptr: Any,
    arr: Any,
    dep: Any,
    stop_route_ptr: Any,
    stop_route_route: Any,
    stop_route_pos: Any,
    fp_ptr: Any,
    fp_to: Any,
    fp_s: Any,
    src_stop: Any,
    src_off: Any,
    departures: Any,
    max_rounds: int,
    out: Any,
) -> int:
    """Run RAPTOR for each departure in ``departures`` (which must be in decreasing order).

    Writes the best arrival at every stop for departure ``d`` to ``out[d]`` (seconds,
    ``INF`` when not reached; origins are reached at departure + ``src_off``). At most
    ``max_rounds`` trips per journey. Returns the number of route scans done.
    """
    n_stops = stop_route_ptr.shape[0] - 1
    n_routes = route_stop_ptr.shape[0] - 1
    n_rounds = max_rounds + 1
    lab = np.full((n_rounds, n_stops), INF, dtype=np.int32)
    ride = np.full((n_rounds, n_stops), INF, dtype=np.int32)
    marked = np.zeros(n_stops, dtype=np.bool_)
    mark_list = np.empty(n_stops, dtype=np.int32)
    board = np.zeros(n_stops, dtype=np.bool_)
    board_list = np.empty(n_stops, dtype=np.int32)
    walked = np.zeros(n_stops, dtype=np.bool_)
    walk_list = np.empty(n_stops, dtype=np.int32)
    touched = np.zeros(n_stops, dtype=np.bool_)
    touch_list = np.empty(n_stops, dtype=np.int32)
    route_from = np.full(n_routes, -1, dtype=np.int32)
    route_to = np.full(n_routes, -1, dtype=np.int32)
    queue = np.empty(n_routes, dtype=np.int32)
    # seen[k, g]: earliest position at which trip g was boarded in a round <= k
    seen = np.full((n_rounds, route_trip_ptr[n_routes]), INF, dtype=np.int32)
    scans = 0
    for d in range(departures.shape[0]):
        t0 = departures[d]
        n_mark = 0
        n_walk = 0
        n_touch = 0
        for j in range(src_stop.shape[0]):
            s = src_stop[j]
            a = t0 + src_off[j]
            if a < ride[0, s]:
                ride[0, s] = a
                if not walked[s]:
                    walked[s] = True
                    walk_list[n_walk] = s
                    n_walk += 1
                if not touched[s]:
                    touched[s] = True
                    touch_list[n_touch] = s
                    n_touch += 1
            if a < lab[0, s]:
                lab[0, s] = a
                if not marked[s]:
                    marked[s] = True
                    mark_list[n_mark] = s
                    n_mark += 1
        k = 0
        while True:
            # footpaths from this round's arrivals by vehicle (or at the origins)
            for w in range(n_walk):
                p = walk_list[w]
                walked[p] = False
                base = ride[k, p]
                for e in range(fp_ptr[p], fp_ptr[p + 1]):
                    q = fp_to[e]
                    b = base + fp_s[e]
                    if b < lab[k, q]:
                        lab[k, q] = b
                        if not marked[q]:
                            marked[q] = True
                            mark_list[n_mark] = q
                            n_mark += 1
                        if not touched[q]:
                            touched[q] = True
                            touch_list[n_touch] = q
                            n_touch += 1
            n_walk = 0
            if k + 1 >= n_rounds or n_mark == 0:
                break
            k += 1
            # labels with k trips are at least as good as with k - 1 (for stops touched so far)
            for m in range(n_touch):
                p = touch_list[m]
                if lab[k - 1, p] < lab[k, p]:
                    lab[k, p] = lab[k - 1, p]
                if ride[k - 1, p] < ride[k, p]:
                    ride[k, p] = ride[k - 1, p]
            # stops improved in round k - 1 are where one may board in round k
            n_board = n_mark
            for m in range(n_mark):
                p = mark_list[m]
                marked[p] = False
                board[p] = True
                board_list[m] = p
            n_mark = 0
            n_queue = 0
            for m in range(n_board):
                p = board_list[m]
                for e in range(stop_route_ptr[p], stop_route_ptr[p + 1]):
                    r = stop_route_route[e]
                    pos = stop_route_pos[e]
                    if route_from[r] < 0:
                        route_from[r] = pos
                        route_to[r] = pos
                        queue[n_queue] = r
                        n_queue += 1
                    elif pos < route_from[r]:
                        route_from[r] = pos
                    elif pos > route_to[r]:
                        route_to[r] = pos
            scans += n_queue
            for qi in range(n_queue):
                r = queue[qi]
                i0 = route_from[r]
                i1 = route_to[r]
                route_from[r] = -1
                s0 = route_stop_ptr[r]
                ns = route_stop_ptr[r + 1] - s0
                nt = route_trip_ptr[r + 1] - route_trip_ptr[r]
                tb = route_time_ptr[r]
                g0 = route_trip_ptr[r]
                t = -1
                limit = -1
                for i in range(i0, ns):
                    if i > limit and i > i1:
                        break
                    p = route_stops[s0 + i]
                    if i <= limit and route_alight[s0 + i]:
                        a = arr[tb + t * ns + i]
                        if a < ride[k, p]:
                            ride[k, p] = a
                            if not walked[p]:
                                walked[p] = True
                                walk_list[n_walk] = p
                                n_walk += 1
                            if not touched[p]:
                                touched[p] = True
                                touch_list[n_touch] = p
                                n_touch += 1
                            if a < lab[k, p]:
                                lab[k, p] = a
                                if not marked[p]:
                                    marked[p] = True
                                    mark_list[n_mark] = p
                                    n_mark += 1
                    if board[p] and route_board[s0 + i]:
                        prev = lab[k - 1, p]
                        # an earlier trip than the current one can be caught here?
                        if t < 0 or (t > 0 and prev <= dep[tb + (t - 1) * ns + i]):
                            hi = t if t >= 0 else nt
                            lo = 0
                            h = hi
                            while lo < h:
                                mid = (lo + h) >> 1
                                if dep[tb + mid * ns + i] < prev:
                                    lo = mid + 1
                                else:
                                    h = mid
                            if lo < hi:
                                t = lo
                                # the trip's later stops were offered from its earliest boarding
                                # so far (in this round or an earlier one); only those before it
                                # need checking now
                                limit = seen[k, g0 + t]
                                if limit > i:
                                    for kk in range(k, n_rounds):
                                        if seen[kk, g0 + t] > i:
                                            seen[kk, g0 + t] = i
                                if limit >= ns:
                                    limit = ns - 1
            for m in range(n_board):
                board[board_list[m]] = False
        # the best arrival over every round: the later departure's, improved where touched
        if d == 0:
            out[d, :] = INF
        else:
            out[d, :] = out[d - 1, :]
        for m in range(n_touch):
            p = touch_list[m]
            touched[p] = False
            if lab[k, p] < out[d, p]:
                out[d, p] = lab[k, p]
        for m in range(n_mark):
            marked[mark_list[m]] = False
    return scans


@jit()
def egress_times(
    arrivals: Any,
    departures: Any,
    eg_ptr: Any,
    eg_asset: Any,
    eg_s: Any,
    out: Any,
) -> None:
    """Travel time to each destination, per departure: min over stops of arrival + egress − departure.

    ``arrivals`` is ``(n_departures, n_stops)`` from :func:`range_raptor`; the egress
    from stop ``s`` reaches destination ``eg_asset[e]`` in ``eg_s[e]`` seconds for ``e``
    in ``eg_ptr[s]:eg_ptr[s + 1]``. ``out`` (``(n_departures, n_destinations)``,
    int32) is filled with seconds, ``INF`` when not reached.
    """
    n_dep, n_stops = arrivals.shape
    for d in range(n_dep):
        t0 = departures[d]
        for a in range(out.shape[1]):
            out[d, a] = INF
        for s in range(n_stops):
            base = arrivals[d, s]
            if base == INF:
                continue
            for e in range(eg_ptr[s], eg_ptr[s + 1]):
                v = base + eg_s[e] - t0
                if v < out[d, eg_asset[e]]:
                    out[d, eg_asset[e]] = v

"""Public transport travel times: RAPTOR and range-RAPTOR over a GTFS day's timetable.

:func:`build_timetable` turns a :class:`~estatesplan.gtfs.DaySchedule` into flat arrays:
*routes* (trips with the same stop sequence and the same pick-up/drop-off rules, split
so that no trip overtakes another; trips sorted by departure), each route's stop
sequence, the routes serving each stop, and *footpaths* between stops.
:func:`earliest_arrival` is RAPTOR (Delling, Pajor and Werneck, "Round-Based Public
Transit Routing", 2012) from a set of origin stops with their walking access times;
:func:`range_arrivals` runs it for every departure of a window, latest first, keeping
the labels between departures (rRAPTOR, §4 of the paper): a 3-hour window by the
minute costs what some 10–30 single departures cost rather than 180, growing with how
often the answers change within it (a bus every 15 minutes, or a metro every 5). :func:`travel_time_percentiles` and
:func:`transit_matrix` summarise a window like Conveyal R5: the travel time for each
departure minute (waiting at the origin included), then percentiles over the minutes
(nearest rank, R5's rule). Both run origins on a pool of threads (``workers``): the
kernels release the GIL, each origin's search allocates its own labels, and the
timetable is only read, so the answers do not depend on the number of threads.

Model and limits
----------------
- Times are whole seconds after noon minus 12 h of the service date (see
  :mod:`estatesplan.gtfs`). A trip can be boarded at a stop when one is there at or
  before its departure; there is no minimum change time at the same stop.
- Footpaths between two different stops: every pair within ``max_transfer_m`` in a
  straight line (great circle), walked at ``walk_speed_kmh`` over the straight
  distance times ``detour_factor`` (straight line × 1.3 approximates the street
  network; it is not a street search). ``transfers.txt`` replaces the walk of the
  pairs it lists (stations expand to their platforms): ``min_transfer_time`` for
  type 2, 0 s for type 1 (timed), the walk for type 0; type 3 removes the pair. A
  journey walks at most one footpath between two vehicles; one may also follow the
  walk to an origin stop and precede the walk from the last stop.
- At most ``max_transfers`` changes (``max_transfers + 1`` vehicles) per journey.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Final, TypeVar

import numpy as np

from . import _raptor_kernel as kernel
from ._timetable import Timetable, build_timetable, csr
from .errors import ConfigError, DataContractError
from .gtfs import parse_gtfs_time
from .progress import Progress

__all__ = [
    "PERCENTILES",
    "Timetable",
    "build_timetable",
    "departure_times",
    "earliest_arrival",
    "range_arrivals",
    "transit_matrix",
    "transit_matrix_percentiles",
    "travel_time_percentiles",
]

logger = logging.getLogger(__name__)

PERCENTILES: Final = (5, 25, 50, 75, 95)
"""Percentiles of travel time over a departure window that R5 reports by default."""

_PROGRESS_EVERY: Final = 64
"""Origins between two calls of a progress callback (the last one is always reported)."""

_T = TypeVar("_T")


def departure_times(
    window: tuple[str | int, str | int] = ("07:00", "10:00"), *, step_s: int = 60
) -> np.ndarray:
    """Departure times of a window: ``start``, ``start + step_s``, … before ``end``.

    Parameters
    ----------
    window
        ``(start, end)`` as ``"HH:MM"``/``"HH:MM:SS"`` or seconds after noon minus 12 h;
        ``end`` is excluded (07:00–10:00 by the minute is 180 departures, 07:00 to 09:59).
    step_s
        Seconds between departures (R5: 60).

    Returns
    -------
    numpy.ndarray
        int64 seconds, increasing.

    Raises
    ------
    ConfigError
        If the window is empty or the step is not positive.
    """
    try:
        start, end = (parse_gtfs_time(w) for w in window)
    except DataContractError as err:
        msg = f"departure window {window!r}: {err}"
        raise ConfigError(msg) from None
    if not (end > start and int(step_s) == step_s and step_s > 0):
        msg = f"departure window {window!r} with step {step_s!r} s is empty; give start < end and a step > 0"
        raise ConfigError(msg)
    return np.arange(start, end, int(step_s), dtype=np.int64)


def _origin_index(tt: Timetable, origins: Sequence[str] | Sequence[int] | np.ndarray) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(origins))
    if arr.dtype.kind in "iu":
        if len(arr) and (arr.min() < 0 or arr.max() >= tt.n_stops):
            msg = f"stop index out of range 0–{tt.n_stops - 1}: {arr.min()}–{arr.max()}"
            raise DataContractError(msg)
        return arr.astype(np.int64)
    return tt.stop_index(arr.astype(object))


def _run(
    tt: Timetable,
    stops: np.ndarray,
    offsets: np.ndarray,
    departures: np.ndarray,
    max_transfers: int,
) -> tuple[np.ndarray, int]:
    """Arrivals (int32 seconds, INF unreached) per departure, in the order of ``departures``."""
    if not (int(max_transfers) == max_transfers and max_transfers >= 0):
        msg = f"max_transfers must be a whole number ≥ 0, got {max_transfers!r}"
        raise ConfigError(msg)
    deps = np.asarray(departures, dtype=np.int64)
    order = np.argsort(-deps, kind="stable")
    out = np.empty((len(deps), tt.n_stops), dtype=np.int32)
    scans = kernel.range_raptor(
        *tt.kernel_arrays(), stops.astype(np.int32), offsets.astype(np.int32), deps[order],
        int(max_transfers) + 1, out,
    )  # fmt: skip
    result = np.empty_like(out)
    result[order] = out
    return result, int(scans)


def _seconds(a: np.ndarray) -> np.ndarray:
    return np.where(a >= kernel.INF, np.inf, a.astype(np.float64))


def earliest_arrival(
    tt: Timetable,
    origins: Sequence[str] | Sequence[int] | np.ndarray,
    depart: str | float,
    *,
    access_s: np.ndarray | Sequence[float] | None = None,
    max_transfers: int = 7,
) -> np.ndarray:
    """Earliest arrival at every stop, leaving the origins at ``depart`` (one RAPTOR query).

    Parameters
    ----------
    tt
        From :func:`build_timetable`.
    origins
        Origin stops: ids (str) or indices into ``tt.stop_ids``.
    depart
        Departure time, ``"HH:MM[:SS]"`` or seconds after noon minus 12 h.
    access_s
        Seconds to reach each origin stop (default 0: at the stop).
    max_transfers
        Changes allowed (``max_transfers + 1`` vehicles; r5py's default is 8 rides).

    Returns
    -------
    numpy.ndarray
        float64 seconds after noon minus 12 h by stop; ``inf`` where not reached.
    """
    idx = _origin_index(tt, origins)
    off = np.zeros(len(idx)) if access_s is None else np.rint(np.asarray(access_s, dtype=float))
    out, _ = _run(tt, idx, off, np.array([parse_gtfs_time(depart)]), max_transfers)
    return _seconds(out[0])


def range_arrivals(
    tt: Timetable,
    origins: Sequence[str] | Sequence[int] | np.ndarray,
    departures: np.ndarray | Sequence[int],
    *,
    access_s: np.ndarray | Sequence[float] | None = None,
    max_transfers: int = 7,
) -> np.ndarray:
    """Earliest arrival at every stop for each departure time (range-RAPTOR).

    Equal, departure by departure, to :func:`earliest_arrival`, at a fraction of the
    cost: the departures are run latest first and each reuses the previous labels.

    Parameters
    ----------
    tt, origins, access_s, max_transfers
        As for :func:`earliest_arrival`.
    departures
        Departure times, seconds (e.g. :func:`departure_times`), in any order.

    Returns
    -------
    numpy.ndarray
        ``(n_departures, n_stops)`` float64 seconds, rows in the order of
        ``departures``; ``inf`` where not reached.
    """
    idx = _origin_index(tt, origins)
    off = np.zeros(len(idx)) if access_s is None else np.rint(np.asarray(access_s, dtype=float))
    out, _ = _run(tt, idx, off, np.asarray(departures), max_transfers)
    return _seconds(out)


def _percentile_rows(times: np.ndarray, percentiles: Sequence[float]) -> np.ndarray:
    """Nearest-rank percentiles over axis 0 (R5: index ceil(p/100 · n) − 1 of the sorted times)."""
    if not all(0 <= p <= 100 for p in percentiles):
        msg = f"percentiles must lie in 0–100, got {list(percentiles)!r}"
        raise ConfigError(msg)
    n = times.shape[0]
    ranks = [max(int(np.ceil(p / 100 * n)) - 1, 0) for p in percentiles]
    return np.sort(times, axis=0)[ranks]


def _access_sources(row_min: np.ndarray, max_walk_min: float) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(row_min) & (row_min <= max_walk_min)
    return np.flatnonzero(ok), np.rint(row_min[ok] * 60.0)


def _check_shape(a: np.ndarray, shape: tuple[int, int], what: str, axes: str) -> None:
    if a.shape != shape:
        msg = f"{what} has shape {a.shape}; expected {shape} ({axes})"
        raise DataContractError(msg)


def _n_workers(workers: int | None, n_items: int) -> int:
    """Threads to use: ``workers``, or one per CPU when None; never more than ``n_items``."""
    if workers is None:
        return max(1, min(os.cpu_count() or 1, n_items))
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        msg = (
            f"workers must be a whole number ≥ 1 (1: no threads) or None (one per CPU), "
            f"got {workers!r}"
        )
        raise ConfigError(msg)
    return max(1, min(int(workers), n_items))


def _for_each(
    func: Callable[[int], _T],
    n: int,
    store: Callable[[int, _T], None],
    *,
    workers: int,
    progress: Progress | None = None,
    label: str = "",
) -> None:
    """Call ``func(i)`` for ``i`` in ``range(n)``, on ``workers`` threads, and ``store(i, result)``.

    ``store`` and ``progress`` run in the calling thread only, as results arrive (in
    any order when ``workers > 1``); ``progress(done, n, label)`` every
    :data:`_PROGRESS_EVERY` results and after the last. At most ``2 * workers`` calls
    are queued at a time, so finished results never pile up. The first error raised
    by ``func`` is raised here once the calls already running have returned; the
    queued ones are cancelled.
    """

    def done(k: int) -> None:
        if progress is not None and (k == n or k % _PROGRESS_EVERY == 0):
            progress(k, n, label)

    if workers <= 1:
        for i in range(n):
            store(i, func(i))
            done(i + 1)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="raptor") as pool:
        pending: dict[Future[_T], int] = {}
        submitted = finished = 0
        try:
            while submitted < n or pending:
                while submitted < n and len(pending) < 2 * workers:
                    pending[pool.submit(func, submitted)] = submitted
                    submitted += 1
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in ready:
                    store(pending.pop(fut), fut.result())
                    finished += 1
                    done(finished)
        finally:
            for fut in pending:
                fut.cancel()


def travel_time_percentiles(
    tt: Timetable,
    access_min: np.ndarray,
    *,
    window: tuple[str | int, str | int] = ("07:00", "10:00"),
    step_s: int = 60,
    percentiles: Sequence[float] = PERCENTILES,
    max_transfers: int = 7,
    max_walk_min: float = 20.0,
    workers: int | None = None,
) -> np.ndarray:
    """Travel-time percentiles from each origin to every stop over a departure window.

    Parameters
    ----------
    tt
        From :func:`build_timetable`.
    access_min
        ``(n_origins, n_stops)`` walking minutes from each origin to each stop; NaN or
        ``inf`` where none. For origins at stops, put 0 at the stop and ``inf`` elsewhere.
    window, step_s
        Departures, see :func:`departure_times`.
    percentiles
        Which percentiles (0–100), increasing.
    max_transfers
        Changes allowed per journey.
    max_walk_min
        Access walks longer than this are ignored, minutes (R5's default: 20).
    workers
        Origins searched at once, on threads: None for one per CPU (at most one per
        origin), 1 for none. The result does not depend on it.

    Returns
    -------
    numpy.ndarray
        ``(n_percentiles, n_origins, n_stops)`` float32 minutes (waiting at the origin
        included); NaN where not reached at that percentile.

    Raises
    ------
    ConfigError
        If the window, ``percentiles``, ``max_transfers`` or ``workers`` is out of range.
    """
    access = np.asarray(access_min, dtype=float)
    _check_shape(access, (access.shape[0], tt.n_stops), "access_min", "origins × stops")
    deps = departure_times(window, step_s=step_s)
    n_threads = _n_workers(workers, access.shape[0])
    _percentile_rows(np.zeros((1, 0)), percentiles)  # check them before any search
    result = np.full((len(percentiles), access.shape[0], tt.n_stops), np.nan, dtype=np.float32)

    def one(o: int) -> np.ndarray | None:
        idx, off = _access_sources(access[o], max_walk_min)
        if not len(idx):
            return None
        arr, _ = _run(tt, idx, off, deps, max_transfers)
        times = np.where(arr >= kernel.INF, np.inf, arr - deps[:, None].astype(np.float64))
        pct: np.ndarray = _percentile_rows(times, percentiles) / 60.0
        return pct

    def store(o: int, pct: np.ndarray | None) -> None:
        if pct is not None:
            result[:, o, :] = np.where(np.isfinite(pct), pct, np.nan)

    _for_each(one, access.shape[0], store, workers=n_threads)
    return result


def transit_matrix_percentiles(
    tt: Timetable,
    access_min: np.ndarray,
    egress_min: np.ndarray,
    *,
    walk_min: np.ndarray | None = None,
    window: tuple[str | int, str | int] = ("07:00", "10:00"),
    step_s: int = 60,
    percentiles: Sequence[float] = PERCENTILES,
    max_transfers: int = 7,
    max_walk_min: float = 20.0,
    cutoff_min: float = np.inf,
    progress: Progress | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """Zone × destination percentiles of walk + public transport travel time over a window.

    For each departure of the window the travel time from zone ``z`` to destination
    ``a`` is the earliest arrival over every stop ``s`` of (walk ``access_min[z, s]``,
    public transport, walk ``egress_min[s, a]``) minus the departure; the percentiles
    are taken over the departures (nearest rank, as R5), then capped by the direct walk
    ``walk_min[z, a]``, so the result is never slower than walking.

    Parameters
    ----------
    tt
        From :func:`build_timetable`.
    access_min
        ``(n_zones, n_stops)`` walking minutes from each zone's routing point to each
        stop of ``tt`` (``tt.stop_ids`` order); NaN or ``inf`` where none.
    egress_min
        ``(n_stops, n_destinations)`` walking minutes from each stop to each destination.
    walk_min
        ``(n_zones, n_destinations)`` direct walking minutes, or None.
    window, step_s
        Departures, see :func:`departure_times` (default every minute 07:00–10:00).
    percentiles
        Which percentiles (0–100), increasing.
    max_transfers
        Changes allowed per journey.
    max_walk_min
        Access and egress walks longer than this are ignored, minutes (R5's default:
        20); the direct walk is not limited by it.
    cutoff_min
        Longer times are NaN, minutes.
    progress
        Optional callback ``(done, total, label)``, called as zones are done (every
        64 zones and after the last, label ``"public transport"``), always from the
        calling thread.
    workers
        Zones searched at once, on threads: None for one per CPU (at most one per
        zone), 1 for none. The kernels release the GIL, so two threads take about
        half the time on two free cores; the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        ``(n_percentiles, n_zones, n_destinations)`` float32 minutes; NaN where not
        reached within the cut-off.

    Raises
    ------
    DataContractError
        If the arrays' shapes do not match each other and ``tt``.
    ConfigError
        If the window, ``percentiles``, ``max_transfers`` or ``workers`` is out of range.
    """
    t0 = time.perf_counter()
    access = np.asarray(access_min, dtype=float)
    egress = np.asarray(egress_min, dtype=float)
    n_zones, n_dest = access.shape[0], egress.shape[1] if egress.ndim == 2 else -1
    _check_shape(access, (n_zones, tt.n_stops), "access_min", "zones × stops")
    _check_shape(egress, (tt.n_stops, n_dest), "egress_min", "stops × destinations")
    walk = None if walk_min is None else np.asarray(walk_min, dtype=float)
    if walk is not None:
        _check_shape(walk, (n_zones, n_dest), "walk_min", "zones × destinations")
    deps = departure_times(window, step_s=step_s)
    n_threads = _n_workers(workers, n_zones)
    _percentile_rows(np.zeros((1, 0)), percentiles)  # check them before any search
    ok = np.isfinite(egress) & (egress <= max_walk_min)
    s_idx, a_idx = np.nonzero(ok)
    eg_ptr, eg_asset, eg_s = csr(
        tt.n_stops, s_idx, a_idx.astype(np.int32), np.rint(egress[ok] * 60.0).astype(np.int32)
    )
    result = np.full((len(percentiles), n_zones, n_dest), np.inf, dtype=np.float64)
    scans = 0

    def one(z: int) -> tuple[np.ndarray, int] | None:
        # runs on a worker thread: reads the shared arrays, writes only its own
        idx, off = _access_sources(access[z], max_walk_min)
        if not len(idx):
            return None
        arr, n = _run(tt, idx, off, deps, max_transfers)
        times = np.empty((len(deps), n_dest), dtype=np.int32)
        kernel.egress_times(arr, deps, eg_ptr, eg_asset, eg_s, times)
        return _percentile_rows(times, percentiles), n

    def store(z: int, got: tuple[np.ndarray, int] | None) -> None:
        nonlocal scans
        if got is not None:
            pct, n = got
            scans += n
            result[:, z, :] = np.where(pct >= kernel.INF, np.inf, pct / 60.0)

    _for_each(one, n_zones, store, workers=n_threads, progress=progress, label="public transport")
    if walk is not None:
        result = np.fmin(result, np.where(np.isnan(walk), np.inf, walk)[None])
    result[~np.isfinite(result) | (result > cutoff_min)] = np.nan
    logger.info(
        "transit matrix: %d zones × %d destinations, %d departures, %d stops, %d route scans "
        "on %d thread(s) in %.2f s",
        n_zones, n_dest, len(deps), tt.n_stops, scans, n_threads, time.perf_counter() - t0,
    )  # fmt: skip
    return result.astype(np.float32)


def transit_matrix(
    tt: Timetable,
    access_min: np.ndarray,
    egress_min: np.ndarray,
    *,
    walk_min: np.ndarray | None = None,
    window: tuple[str | int, str | int] = ("07:00", "10:00"),
    step_s: int = 60,
    percentile: float = 50.0,
    max_transfers: int = 7,
    max_walk_min: float = 20.0,
    cutoff_min: float = np.inf,
    progress: Progress | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """Zone × destination minutes by walk + public transport: one percentile over a window.

    See :func:`transit_matrix_percentiles` for the parameters; ``percentile`` is the
    one to return (default the median).

    Returns
    -------
    numpy.ndarray
        ``(n_zones, n_destinations)`` float32 minutes; NaN where not reached within the
        cut-off; never more than ``walk_min``.

    Examples
    --------
    >>> from estatesplan import demo, gtfs, raptor
    >>> import numpy as np, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = demo.write_demo(d, seed=0)
    >>> tt = raptor.build_timetable(gtfs.schedule_on(gtfs.read_gtfs(d / "gtfs.zip"), "2026-05-05"))
    >>> access = np.where(np.eye(2, tt.n_stops) > 0, 0.0, np.inf)   # two zones at stops 0, 1
    >>> egress = np.where(np.eye(tt.n_stops, 3, k=-5) > 0, 0.0, np.inf)  # 3 sites at stops 5-7
    >>> raptor.transit_matrix(tt, access, egress, walk_min=np.full((2, 3), 90.0)).shape
    (2, 3)
    """
    result: np.ndarray = transit_matrix_percentiles(
        tt,
        access_min,
        egress_min,
        walk_min=walk_min,
        window=window,
        step_s=step_s,
        percentiles=(percentile,),
        max_transfers=max_transfers,
        max_walk_min=max_walk_min,
        cutoff_min=cutoff_min,
        progress=progress,
        workers=workers,
    )[0]
    return result

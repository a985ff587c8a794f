"""Benchmark: public transport travel times over a departure window on two real GTFS feeds.

    .venv/bin/python benchmarks/bench_transit.py            # 100 origins per feed (~1-2 min)
    .venv/bin/python benchmarks/bench_transit.py --quick    # 20 origins, fewer brute-force runs (~15 s)

For each feed of the open-data pack (``gtfs/cairns_gtfs.zip``: Cairns buses;
``gtfs/nyc_subway_gtfs.zip``: New York subway lines 1 and 2), on a weekday, it answers
one question several ways: the earliest arrival at every stop for every minute of a
3-hour window (07:00–10:00, 180 departures), from seeded random origins:

- **range-RAPTOR**: ``raptor.range_arrivals`` over the window (latest departure first,
  labels kept between departures);
- **RAPTOR per minute**: ``raptor.earliest_arrival`` once per departure;
- **brute force**: the time-dependent Dijkstra of ``estatesplan._transit_brute`` (pure
  Python) for every 10th departure of the first 5 origins (every 20th of 2 with
  ``--quick``), scaled up to the window;
- **single departure**: ``raptor.earliest_arrival`` at six departures across the window
  (07:00, 07:30, … 09:30), per departure.

Origins are of two kinds: a *stop* (no access walk), and a *zone*: a random point among
the stops with walking access to every stop within 800 m (straight line × 1.3 at
4.8 km/h), as ``transit_matrix`` gets it. The last rows per feed are
``raptor.transit_matrix`` from the zones to 50 destinations (egress walks alike) on one
thread, then from 150 other zones to 81 destinations (the demo study's sizes) on one
thread and on two (``workers=1`` against ``workers=2``; the note gives the speed-up
and checks the minutes are the same).

Columns: "ms/origin" is wall time per origin for the whole window (best of
``--repeat`` runs); "dep/s" departures answered per second (180 per origin); "× single"
the cost over one departure's, taken as RAPTOR per minute's divided by 180 (end to end,
through the public API, where Python's overhead is a good part of a single query);
"kernel alone" in the notes is the window's cost over the mean single departure for the
numba kernel alone (target ≤ 10×); "+MiB" the peak resident memory the method added,
measured in a forked process. Kernels are compiled (or loaded from numba's cache)
before timing. Every method's arrivals are checked equal to range-RAPTOR's.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from estatesplan import _raptor_kernel as kernel  # noqa: E402
from estatesplan import _transit_brute as brute  # noqa: E402
from estatesplan import gtfs, raptor  # noqa: E402

FEEDS = {
    "Cairns bus": ("cairns_gtfs.zip", "2014-06-03"),
    "NYC subway": ("nyc_subway_gtfs.zip", "2025-01-08"),
}
WINDOW = ("07:00", "10:00")
EARTH_M = 6_371_008.8


def shared_data() -> Path:
    env = os.environ.get("ESTATESPLAN_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def in_child(func: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``func`` in a forked process; return its result with the memory it added."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            start = _rss_mib()
            out = func()
            out["mib"] = max(0.0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - start)
        except BaseException as err:  # report, never hang the parent
            out = {"error": f"{type(err).__name__}: {err}"}
        with os.fdopen(write, "w") as fh:
            json.dump(out, fh)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        text = fh.read()
    os.waitpid(pid, 0)
    result: dict[str, Any] = json.loads(text)
    return result


def zone_access(tt: raptor.Timetable, n: int, rng: np.random.Generator) -> np.ndarray:
    """Walking minutes from ``n`` random points among the stops to every stop (≤ 800 m)."""
    pick = rng.choice(tt.n_stops, size=n)
    lat = tt.stop_lat[pick] + rng.normal(0, 0.002, n)
    lon = tt.stop_lon[pick] + rng.normal(0, 0.002, n)
    dy = np.radians(tt.stop_lat[None, :] - lat[:, None]) * EARTH_M
    dx = (
        np.radians(tt.stop_lon[None, :] - lon[:, None]) * EARTH_M * np.cos(np.radians(lat))[:, None]
    )
    dist = np.hypot(dx, dy)
    return np.where(dist <= 800, dist * 1.3 / (4.8 / 3.6) / 60, np.inf)


def origins_of(access_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = np.flatnonzero(np.isfinite(access_row))
    return idx, np.rint(access_row[idx] * 60)


def digest(arrays: Iterable[np.ndarray]) -> str:
    """A checksum of arrival arrays (seconds, inf for unreached), to compare methods."""
    total = 0
    for a in arrays:
        total = (total * 31 + int(np.nan_to_num(a, posinf=-1).astype(np.int64).sum())) % (2**61 - 1)
    return str(total)


@dataclass
class Case:
    """One feed and one kind of origin: everything a method needs."""

    tt: raptor.Timetable
    conn: brute.Connections
    deps: np.ndarray
    srcs: list[tuple[np.ndarray, np.ndarray]]
    repeat: int
    brute_origins: int
    brute_step: int

    @property
    def spread(self) -> np.ndarray:
        """Six departures across the window (07:00, 07:30, …, 09:30)."""
        return self.deps[:: len(self.deps) // 6]


def best_of(case: Case, run: Callable[[], str]) -> dict[str, Any]:
    times, check = [], ""
    for _ in range(case.repeat):
        t = time.perf_counter()
        check = run()
        times.append(time.perf_counter() - t)
    return {"s": min(times), "check": check}


def run_window(case: Case) -> dict[str, Any]:
    tt, deps = case.tt, case.deps
    return best_of(
        case, lambda: digest(raptor.range_arrivals(tt, s, deps, access_s=o) for s, o in case.srcs)
    )


def run_per_minute(case: Case) -> dict[str, Any]:
    def run() -> str:
        return digest(
            np.stack([raptor.earliest_arrival(case.tt, s, int(d), access_s=o) for d in case.deps])
            for s, o in case.srcs
        )

    return best_of(case, run)


def run_single(case: Case) -> dict[str, Any]:
    def run() -> str:
        return digest(
            raptor.earliest_arrival(case.tt, s, int(d), access_s=o)
            for s, o in case.srcs
            for d in case.spread
        )

    return {"s": best_of(case, run)["s"] / len(case.spread)}


def run_kernel(case: Case) -> dict[str, Any]:
    """The kernel alone: the window against the mean of single departures."""
    tt = case.tt
    out = np.empty((len(case.deps), tt.n_stops), np.int32)
    one = np.empty((1, tt.n_stops), np.int32)
    down = case.deps[::-1].copy()
    t_win, t_one = [], []
    for _ in range(case.repeat):
        t_win.append(0.0)
        t_one.append(0.0)
        for s, o in case.srcs:
            a = (*tt.kernel_arrays(), s.astype(np.int32), o.astype(np.int32))
            t = time.perf_counter()
            kernel.range_raptor(*a, down, 8, out)
            t_win[-1] += time.perf_counter() - t
            for d in case.spread:
                t = time.perf_counter()
                kernel.range_raptor(*a, np.array([d]), 8, one)
                t_one[-1] += (time.perf_counter() - t) / len(case.spread)
    return {"s": min(t_win), "one": min(t_one)}


def run_brute(case: Case) -> dict[str, Any]:
    """Every ``brute_step``-th departure of the first ``brute_origins`` origins, scaled up;
    checked against range-RAPTOR (computed before the clock starts)."""
    sub = np.arange(0, len(case.deps), case.brute_step)
    used = case.srcs[: case.brute_origins]
    ref = [raptor.range_arrivals(case.tt, s, case.deps, access_s=o) for s, o in used]
    ok = True
    t = time.perf_counter()
    for (s, o), ranged in zip(used, ref, strict=True):
        for i in sub:
            got = brute.earliest_arrival(
                case.conn, list(s), list(int(case.deps[i]) + o.astype(int))
            )
            ok &= bool(np.array_equal(np.where(got == brute.UNREACHED, np.inf, got), ranged[i]))
    scale = len(case.srcs) / len(used) * len(case.deps) / len(sub)
    return {"s": (time.perf_counter() - t) * scale, "ok": ok,
            "note": f"{len(used)}×{len(sub)} queries, scaled"}  # fmt: skip


def bench_threads(
    label: str, tt: raptor.Timetable, args: argparse.Namespace, rng: np.random.Generator
) -> list[list[str]]:
    """``transit_matrix`` from 150 zones to 81 destinations on one thread and on two."""
    zones, egress = zone_access(tt, 150, rng), zone_access(tt, 81, rng).T
    deps = raptor.departure_times(WINDOW)

    def matrix(workers: int) -> dict[str, Any]:
        times, got = [], np.empty(0)
        for _ in range(args.repeat):
            t = time.perf_counter()
            got = raptor.transit_matrix(tt, zones, egress, window=WINDOW, workers=workers)
            times.append(time.perf_counter() - t)
        return {"s": min(times), "check": digest([got])}

    res = {w: in_child(functools.partial(matrix, w)) for w in (1, 2)}
    for w, r in res.items():
        if "error" in r:
            print(f"  transit_matrix on {w} thread(s): {r['error']}")
    same = res[1]["check"] == res[2]["check"]
    notes = {
        1: f"best of {args.repeat}",
        2: f"{res[1]['s'] / res[2]['s']:.2f}× the speed of 1 thread; "
        + ("same minutes" if same else "MINUTES DIFFER"),
    }
    rows = []
    for w, r in res.items():
        rows.append([label, "150 zones → 81 destinations", f"transit_matrix, {w} thread{'s' * (w > 1)}",
                     f"{r['s'] / 150 * 1e3:.2f}", f"{150 * len(deps) / r['s']:,.0f}", "",
                     f"{r['mib']:.1f}", notes[w]])  # fmt: skip
    return rows


def bench_feed(label: str, name: str, date: str, args: argparse.Namespace) -> list[list[str]]:
    t0 = time.perf_counter()
    day = gtfs.schedule_on(gtfs.read_gtfs(shared_data() / "gtfs" / name), date)
    tt = raptor.build_timetable(day)
    load_s = time.perf_counter() - t0
    fp_from = np.repeat(np.arange(tt.n_stops), np.diff(tt.fp_ptr))
    conn = brute.connections(day, tt.stop_ids, (fp_from, tt.fp_to, tt.fp_s))
    deps = raptor.departure_times(WINDOW)
    rng = np.random.default_rng(0)
    n = args.origins
    at_stop = np.zeros((n, tt.n_stops), dtype=bool)
    at_stop[np.arange(n), rng.choice(tt.n_stops, size=n, replace=n > tt.n_stops)] = True
    kinds = {"stop": np.where(at_stop, 0.0, np.inf), "zone": zone_access(tt, n, rng)}
    size = sum(a.nbytes for a in tt.kernel_arrays())
    print(f"\n{label}: {name} on {date}: {tt.n_stops} stops, {tt.n_routes} routes, "
          f"{len(tt.trip_ids)} trips, {len(tt.fp_to)} footpaths; timetable {size / 2**20:.2f} MiB, "
          f"read and built in {load_s:.2f} s")  # fmt: skip
    rows: list[list[str]] = []
    methods = {"window": run_window, "minute": run_per_minute, "single": run_single,
               "kernel": run_kernel, "brute": run_brute}  # fmt: skip
    titles = {"window": "range-RAPTOR", "minute": "RAPTOR per minute",
              "brute": "brute force (Dijkstra)", "single": "single departure"}  # fmt: skip
    for kind, access in kinds.items():
        case = Case(tt, conn, deps, [origins_of(row) for row in access], args.repeat,
                    args.brute_origins, args.brute_step)  # fmt: skip
        mean_src = np.mean([len(s) for s, _ in case.srcs])
        raptor.earliest_arrival(tt, case.srcs[0][0], int(deps[0]))  # load kernels before forking
        res = {m: in_child(functools.partial(f, case)) for m, f in methods.items()}
        for m, r in res.items():
            if "error" in r:
                print(f"  {kind} {m}: {r['error']}")
        one = res["minute"]["s"] / len(deps)  # a single departure, averaged over the window
        notes = {
            "window": f"kernel alone {res['kernel']['s'] / res['kernel']['one']:.1f}×",
            "minute": "same arrivals"
            if res["window"]["check"] == res["minute"]["check"]
            else "ARRIVALS DIFFER",
            "brute": f"{res['brute']['note']}{'' if res['brute']['ok'] else '; ARRIVALS DIFFER'}",
            "single": f"mean of {len(case.spread)} departures across the window",
        }
        for m, title in titles.items():
            r = res[m]
            done = n if m == "single" else n * len(deps)
            rows.append([label, f"{kind} ({mean_src:.1f} stops)", title, f"{r['s'] / n * 1e3:.2f}",
                         f"{done / r['s']:,.0f}", f"{r['s'] / one:.1f}×",
                         f"{r['mib']:.1f}", notes[m]])  # fmt: skip
    egress = zone_access(tt, 50, np.random.default_rng(1)).T
    zones = kinds["zone"]

    def matrix() -> dict[str, Any]:
        t = time.perf_counter()
        raptor.transit_matrix(tt, zones, egress, window=WINDOW, workers=1)
        return {"s": time.perf_counter() - t}

    raptor.transit_matrix(tt, zones[:1], egress, window=("07:00", "07:02"))  # load kernels
    r = in_child(matrix)
    rows.append([label, "zone → 50 destinations", "transit_matrix (median)",
                 f"{r['s'] / n * 1e3:.2f}", f"{n * len(deps) / r['s']:,.0f}", "", f"{r['mib']:.1f}",
                 "range-RAPTOR + egress walks + percentile, 1 thread"])  # fmt: skip
    return rows + bench_threads(label, tt, args, np.random.default_rng(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 origins, fewer brute-force runs")
    parser.add_argument("--origins", type=int, default=None, help="origins per feed and kind")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per method (best kept)")
    args = parser.parse_args()
    args.origins = args.origins or (20 if args.quick else 100)
    args.brute_origins, args.brute_step = (2, 20) if args.quick else (5, 10)
    if not (shared_data() / "gtfs").is_dir():
        print(
            f"GTFS feeds not found under {shared_data()} (set ESTATESPLAN_SHARED_DATA); nothing to do"
        )
        return
    print(f"bench_transit: {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"window {WINDOW[0]}–{WINDOW[1]} every minute, {args.origins} origins per kind")  # fmt: skip
    rows: list[list[str]] = []
    for label, (name, date) in FEEDS.items():
        rows += bench_feed(label, name, date, args)
    head = ["feed", "origin", "method", "ms/origin", "dep/s", "× single", "+MiB", "note"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    print()
    for r in [head, ["-" * w for w in widths], *rows]:
        print(
            "  ".join(
                c.rjust(w) if 3 <= i <= 6 else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )


if __name__ == "__main__":
    main()

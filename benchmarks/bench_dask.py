"""Scaling of the travel-time matrix on Dask, on a synthetic ~1,000,000-node street grid.

One command, one run, ratios printed from that run:

    .venv/bin/python benchmarks/bench_dask.py            # 1,000,000-node grid
    .venv/bin/python benchmarks/bench_dask.py --quick    # 200,000-node grid

What it times (origins × destinations, drive at 30 km/h, a 60-minute cut-off by
default, so that each search settles a good part of the grid as a regional drive
search in England would):

* ``in-process``: ``matrix_from_network`` alone, its compiled search using every core,
  preparing the network (segment index, contracted graph) in the call;
* ``in-process, prepared``: the same with a ``PreparedNetwork`` built once beforehand
  (its build time printed apart), as for many matrices over one network;
* ``dask 1 proc``: ``matrix_dask`` on a local cluster of one worker process, one task
  at a time with one search thread: one core's worth of work;
* ``dask 2 procs``: the same with two worker processes: the speed-up over
  ``dask 1 proc`` is the scaling from one worker to two (what adding machines to a
  cluster does, here with both on one machine);
* ``dask default``: ``matrix_dask`` with no client (the library's default local
  cluster: one in-process worker with a thread per core, one search thread per task);
* ``dask 1 thread``: one in-process worker running one task at a time whose search
  uses every core.

Each runs with chunks of origins (``chunk_by="origins"``) and of destinations
(``chunk_by="destinations"``, the smaller side here, which searches no more than one
process does). Cluster start-up is timed apart; each timing follows a small warm-up
call on the same cluster (numba kernels loaded in every worker) and is the best of
``--repeat`` runs (other work on a shared machine only ever slows a run down). "prep s",
"snap s" and "search s" are worker seconds summed over the chunks (from the matrix
metadata): getting the prepared network (building it once per worker, or waiting for
it), snapping, searching; "preps" is how many times a worker prepared the network in
the timed call (once per worker that ran a chunk); "scatter s" is the time to send the
network and the whole side to the workers. "worker MiB" is the peak resident set of
the largest worker process (the benchmark's own process for in-process workers).

The machine's core count is printed; on a 2-core machine two workers can at best
double the throughput of one.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_rss_mib() -> float:
    """Peak resident set size of the calling (worker) process, MiB.

    Read from VmHWM in /proc (Linux), which starts afresh in a new process, unlike
    ``getrusage``'s ``ru_maxrss``, which a spawned worker inherits from its parent.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="200,000-node grid instead of 1,000,000"
    )
    parser.add_argument("--nodes", type=int, default=None, help="grid nodes (overrides --quick)")
    parser.add_argument("--origins", type=int, default=2000)
    parser.add_argument("--destinations", type=int, default=200)
    parser.add_argument("--cutoff", type=float, default=60.0, help="cut-off in minutes")
    parser.add_argument(
        "--origin-chunk", type=int, default=250, help="origins per task (chunk_by=origins)"
    )
    parser.add_argument("--destination-chunk", type=int, default=25, help="destinations per task")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat", type=int, default=2, help="timed runs per configuration; the best is kept"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import distributed

    logging.getLogger("distributed").setLevel(logging.ERROR)
    from estatesplan.distributed import matrix_dask
    from estatesplan.synthetic_network import perturbed_grid, random_points
    from estatesplan.travel_times import PreparedNetwork, matrix_from_network

    n_nodes = args.nodes or (200_000 if args.quick else 1_000_000)
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores (os.cpu_count()); numba threads per process: "
          f"{os.environ.get('NUMBA_NUM_THREADS', cores)}; load average now "
          f"{os.getloadavg()[0]:.2f} (other work on the machine slows every figure)")  # fmt: skip
    t = time.perf_counter()
    net = perturbed_grid(n_nodes, seed=args.seed)
    print(
        f"grid: {net.n_nodes:,} nodes, {net.n_edges:,} edges, built in {time.perf_counter() - t:.2f} s"
    )
    origins = random_points(net, args.origins, seed=args.seed + 1, prefix="O")
    destinations = random_points(net, args.destinations, seed=args.seed + 2, prefix="D")
    pairs = len(origins) * len(destinations)
    common: dict[str, Any] = {"origin_id": "id", "destination_id": "id", "cutoff_min": args.cutoff}
    print(
        f"matrix: {len(origins):,} × {len(destinations):,} = {pairs:,} pairs, cut-off {args.cutoff:g} min"
    )

    matrix_from_network(net, origins.iloc[:5], destinations.iloc[:5], **common)  # load kernels
    base_s = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        ref = matrix_from_network(net, origins, destinations, **common)
        base_s = min(base_s, time.perf_counter() - t)
    reach = float(np.isfinite(ref.minutes).mean())
    print(f"in-process matrix_from_network: {base_s:.2f} s ({pairs / base_s:,.0f} pairs/s); "
          f"{reach:.0%} of pairs within the cut-off; peak RSS {_rss_mib():,.0f} MiB")  # fmt: skip
    t = time.perf_counter()
    prepared = PreparedNetwork.build(net)
    prep_build_s = time.perf_counter() - t
    prep_s = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        again = matrix_from_network(net, origins, destinations, prepared=prepared, **common)
        prep_s = min(prep_s, time.perf_counter() - t)
    if not np.array_equal(again.minutes, ref.minutes, equal_nan=True):
        raise SystemExit("the prepared network changed the matrix")
    print(f"in-process with a PreparedNetwork (built once in {prep_build_s:.2f} s): {prep_s:.2f} s "
          f"({pairs / prep_s:,.0f} pairs/s), bit for bit the same matrix\n")  # fmt: skip
    del prepared, again

    rows: list[tuple[str, str, float, int, float]] = []
    extra: list[tuple[float, float, float, float, int]] = []

    def run(label: str, make: Callable[[], Any] | None, **kw: Any) -> None:
        t0 = time.perf_counter()
        cluster = make() if make else None
        client = distributed.Client(cluster) if cluster is not None else None
        start_s = time.perf_counter() - t0
        try:
            for chunk_by, size in (
                ("origins", args.origin_chunk),
                ("destinations", args.destination_chunk),
            ):
                opts = dict(common, client=client, chunk_by=chunk_by, chunk_size=size, **kw)
                matrix_dask(net, origins.iloc[:5], destinations.iloc[:5], **opts)  # warm-up
                secs = float("inf")
                for _ in range(args.repeat):
                    t1 = time.perf_counter()
                    got = matrix_dask(net, origins, destinations, **opts)
                    secs = min(secs, time.perf_counter() - t1)
                diff = (
                    np.nanmax(np.abs(got.minutes - ref.minutes))
                    if np.isfinite(ref.minutes).any()
                    else 0.0
                )
                same_nan = np.array_equal(np.isnan(got.minutes), np.isnan(ref.minutes))
                if not same_nan or diff > 1e-5:
                    msg = f"{label}: result differs from the in-process matrix (max {diff:g} min)"
                    raise SystemExit(msg)
                mem = (
                    max(client.run(_worker_rss_mib).values()) if client is not None else _rss_mib()
                )
                rows.append((label, chunk_by, secs, int(got.metadata["search"]["searches"]), mem))
                info = got.metadata["search"]
                extra.append((
                    info.get("prepare_s", float("nan")), info.get("snap_s", float("nan")),
                    info.get("search_s", float("nan")), got.metadata["dask"]["scatter_s"],
                    int(got.metadata["dask"].get("preparations", -1)),
                ))  # fmt: skip
                print(f"  {label:<15} chunk_by={chunk_by:<12} {secs:7.2f} s  {pairs / secs:>10,.0f} pairs/s"
                      f"  searches {got.metadata['search']['searches']:>5}  (cluster start {start_s:.1f} s,"
                      f" load average {os.getloadavg()[0]:.2f})")  # fmt: skip
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()

    def local(n_workers: int, threads: int, processes: bool) -> Callable[[], Any]:
        return lambda: distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=threads, processes=processes,
            dashboard_address=":0", silence_logs=logging.ERROR,
        )  # fmt: skip

    run("dask 1 proc", local(1, 1, True), threads_per_task=1)
    run("dask 2 procs", local(2, 1, True), threads_per_task=1)
    run("dask default", None)
    run("dask 1 thread", local(1, 1, False), threads_per_task=cores)

    print("\nsummary (same run):")
    print(f"{'configuration':<16}{'chunk_by':<14}{'seconds':>9}{'pairs/s':>12}{'searches':>10}"
          f"{'preps':>7}{'prep s':>8}{'snap s':>8}{'search s':>10}{'scatter s':>11}{'vs 1 proc':>11}"
          f"{'vs in-proc':>12}{'worker MiB':>12}")  # fmt: skip
    one = {cb: s for lab, cb, s, _, _ in rows if lab == "dask 1 proc"}
    for (label, chunk_by, secs, searches, mem), (prep, snap, search, scatter, preps) in zip(
        rows, extra, strict=True
    ):
        print(f"{label:<16}{chunk_by:<14}{secs:>9.2f}{pairs / secs:>12,.0f}{searches:>10}"
              f"{preps:>7}{prep:>8.2f}{snap:>8.2f}{search:>10.2f}{scatter:>11.2f}"
              f"{one[chunk_by] / secs:>10.2f}×{base_s / secs:>11.2f}×{mem:>12,.0f}")  # fmt: skip
    info = ref.metadata["search"]
    print(f"{'in-process':<16}{'-':<14}{base_s:>9.2f}{pairs / base_s:>12,.0f}{info['searches']:>10}"
          f"{1:>7}{info.get('prepare_s', float('nan')):>8.2f}{info.get('snap_s', float('nan')):>8.2f}"
          f"{info.get('search_s', float('nan')):>10.2f}{'-':>11}"
          f"{'':>11}{1.0:>11.2f}×{_rss_mib():>12,.0f}")  # fmt: skip
    print(f"{'prepared once':<16}{'-':<14}{prep_s:>9.2f}{pairs / prep_s:>12,.0f}{info['searches']:>10}"
          f"{0:>7}{0.0:>8.2f}{'':>8}{'':>10}{'-':>11}{'':>11}{base_s / prep_s:>11.2f}×")  # fmt: skip
    for chunk_by in ("origins", "destinations"):
        two = next(s for lab, cb, s, _, _ in rows if lab == "dask 2 procs" and cb == chunk_by)
        print(
            f"speed-up 1 → 2 worker processes (chunk_by={chunk_by}): {one[chunk_by] / two:.2f}× on {cores} cores"
        )


if __name__ == "__main__":
    main()

"""Benchmark: origin × destination travel-time matrices, estatesplan against its peers.

    .venv/bin/python benchmarks/bench_matrix.py            # every graph and size (~10 min)
    .venv/bin/python benchmarks/bench_matrix.py --quick    # the smallest size only (~2 min)

For each graph (a seeded ~90,000-node perturbed grid; Camden walk and drive from the
real pack, when present) and each size (origins × destinations) it times:

- **estatesplan**: ``matrix_from_network`` from the two point layers to the float32
  matrix, everything included (snapping, graph arrays, searches).
- **scipy**: ``scipy.sparse.csgraph.dijkstra`` from the smaller side with ``limit``.
- **igraph**: ``Graph.distances`` from the smaller side (no cut-off option).
- **networkx**: ``single_source_dijkstra_path_length`` with ``cutoff`` per point on the
  smaller side (only at the smallest size: it takes minutes beyond).
- **pandana**: ``Network`` (contraction hierarchy, its setup) then
  ``shortest_path_lengths`` over every pair (no cut-off option). On the grid only at
  the smallest size, and not with ``--quick``: its setup takes over 5 minutes there.

The peers answer exactly the same question: they run on the network plus one virtual
node per point, joined to the ends of its snapped street segment with the partial
costs (and directly to the points on the same segment), so every method should give
the same minutes. Snapping is done once and *not* counted for the peers (it is counted
for estatesplan), which favours the peers. The reference is scipy's Dijkstra without a
limit on the same virtual-node graph; "max |diff|" is the largest difference from it in
minutes over pairs within the cut-off, and "reach" says whether the set of pairs within
the cut-off is the same. Each method runs in its own forked process; "peak MiB" is that
process's peak resident memory (the parent's graph included), "+MiB" what the method
added. estatesplan and pandana use both cores; scipy, igraph and networkx one.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from estatesplan import _routing  # noqa: E402
from estatesplan import travel_times as tt  # noqa: E402
from estatesplan.graph import StreetNetwork  # noqa: E402
from estatesplan.snapping import SegmentIndex, Snapped  # noqa: E402
from estatesplan.synthetic_network import perturbed_grid, random_points  # noqa: E402

PACK = Path(os.environ.get("ESTATESPLAN_SHARED_DATA", REPO.parent / "shared" / "data"))
CAMDEN_PBF = PACK / "london" / "camden" / "camden_2km.osm.pbf"
SIZES = ((500, 50), (2000, 200), (5000, 500))
PANDANA_MAX_PAIRS = 250_000
"""Beyond this many pairs pandana's query rate is measured on a sample and extrapolated."""
NOT_SAMPLED = -1.0
"""Minutes of pairs a method did not compute (pandana's unsampled pairs)."""


@dataclass
class Case:
    name: str
    net: StreetNetwork
    cutoff_min: float
    origins: gpd.GeoDataFrame  # the largest size; smaller sizes take the first rows
    destinations: gpd.GeoDataFrame


# --- the virtual-node graph every peer runs on ----------------------------------------------


def augmented(
    net: StreetNetwork, o: Snapped, d: Snapped
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Edges (u, v, seconds) of the network plus virtual nodes n + i (origins) and
    n + n_o + j (destinations); parallel edges reduced to the fastest."""
    n, no = net.n_nodes, len(o)
    time_s = net.edge_time_s
    us, vs, ws = [net.edge_u.astype(np.int64)], [net.edge_v.astype(np.int64)], [time_s]

    def add(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> None:
        keep = np.isfinite(w)
        us.append(u[keep].astype(np.int64))
        vs.append(v[keep].astype(np.int64))
        ws.append(w[keep])

    for s, base, leaving in ((o, n, True), (d, n + no, False)):
        idx = np.arange(len(s))
        tail, head = net.edge_u[s.edge], net.edge_v[s.edge]
        w_f = time_s[s.edge]
        rev = s.reverse_edge >= 0
        w_r = np.where(rev, time_s[np.maximum(s.reverse_edge, 0)], np.inf)
        t, off = s.t, s.offnet_s
        with np.errstate(invalid="ignore"):
            if leaving:
                add(base + idx, head, off + (1.0 - t) * w_f)
                add(base + idx, tail, off + np.where(rev, t * w_r, np.where(t == 0.0, 0.0, np.inf)))
            else:
                add(tail, base + idx, t * w_f + off)
                add(
                    head,
                    base + idx,
                    np.where(rev, (1.0 - t) * w_r, np.where(t == 1.0, 0.0, np.inf)) + off,
                )
    pairs = pd.DataFrame({"e": o.edge, "i": np.arange(no)}).merge(
        pd.DataFrame({"e": d.edge, "j": np.arange(len(d))})
    )
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    if i.size:
        to, td = o.t[i], d.t[j]
        fwd = np.where(td >= to, (td - to) * time_s[o.edge[i]], np.inf)
        rv = o.reverse_edge[i]
        back = np.where((td <= to) & (rv >= 0), (to - td) * time_s[np.maximum(rv, 0)], np.inf)
        add(n + i, n + no + j, o.offnet_s[i] + np.minimum(fwd, back) + d.offnet_s[j])
    u, v, w = np.concatenate(us), np.concatenate(vs), np.concatenate(ws)
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return u[first], v[first], w[first], n + no + len(d)


def xy(g: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack((g.geometry.x.to_numpy(), g.geometry.y.to_numpy()))


def near_points(
    net: StreetNetwork, n: int, *, seed: int, prefix: str, within_m: float = 200.0
) -> gpd.GeoDataFrame:
    """``n`` seeded points, uniform over the network's extent but within ``within_m`` of a street
    (a clipped extract leaves empty corners in its bounding box)."""
    index = SegmentIndex.build(net)
    rng = np.random.default_rng(seed)
    lo, hi = (net.x.min(), net.y.min()), (net.x.max(), net.y.max())
    kept = np.zeros((0, 2))
    while len(kept) < n:
        cand = rng.uniform(lo, hi, size=(2 * n, 2))
        kept = np.vstack([kept, cand[index.snap(cand).distance_m <= within_m]])
    kept = kept[:n]
    ids = [f"{prefix}{i:05d}" for i in range(n)]
    return gpd.GeoDataFrame(
        {"id": ids}, geometry=gpd.points_from_xy(kept[:, 0], kept[:, 1]), crs=net.crs
    )


# --- methods: each returns (minutes float64 with NaN, setup seconds, query seconds, note) ------

Result = tuple[np.ndarray, float, float, str]


def run_estatesplan(case: Case, no: int, nd: int, g: dict[str, Any]) -> Result:
    _load_kernels()  # untimed, like the peers' compiled code imported before the fork
    t0 = time.perf_counter()
    m = tt.matrix_from_network(case.net, case.origins.iloc[:no], case.destinations.iloc[:nd],
                               origin_id="id", destination_id="id", cutoff_min=case.cutoff_min)  # fmt: skip
    total = time.perf_counter() - t0
    search = float(m.metadata["search"]["search_s"])
    # Untimed: the same engine's float64 times (before rounding to the float32 output).
    index = SegmentIndex.build(case.net)
    o, d = index.snap(xy(case.origins.iloc[:no])), index.snap(xy(case.destinations.iloc[:nd]))
    sec = np.full((no, nd), np.inf)

    def sink(rows: np.ndarray, cols: np.ndarray, block: np.ndarray) -> None:
        sec[np.ix_(rows, cols)] = block

    _routing.route(case.net, o, d, cutoff_s=case.cutoff_min * 60.0, chunk_size=None, sink=sink)
    minutes = _cut(sec, case.cutoff_min)
    assert np.array_equal(minutes.astype(np.float32), m.minutes, equal_nan=True)
    return (
        minutes,
        total - search,
        search,
        "snapping included; float32 output = these float64 times rounded",
    )


def _sides(g: dict[str, Any], no: int, nd: int) -> tuple[np.ndarray, np.ndarray, bool]:
    n = g["n"]
    o_nodes = n + np.arange(no)
    d_nodes = n + g["n_o"] + np.arange(nd)
    return o_nodes, d_nodes, nd < no  # search backwards from destinations when fewer


def _cut(sec: np.ndarray, cutoff_min: float) -> np.ndarray:
    m = sec / 60.0
    return np.where(m <= cutoff_min, m, np.nan)


def run_scipy(case: Case, no: int, nd: int, g: dict[str, Any]) -> Result:
    t0 = time.perf_counter()
    o_nodes, d_nodes, backward = _sides(g, no, nd)
    size = g["size"]
    csr = sp.csr_array(
        (g["w"], (g["v"], g["u"]) if backward else (g["u"], g["v"])), shape=(size, size)
    )
    t1 = time.perf_counter()
    src, tgt = (d_nodes, o_nodes) if backward else (o_nodes, d_nodes)
    out = np.empty((len(src), len(tgt)))
    step = max(1, 2**25 // size)  # scipy returns a dense row per source: bound it to 256 MiB
    for k in range(0, len(src), step):
        out[k : k + step] = dijkstra(csr, indices=src[k : k + step], limit=case.cutoff_min * 60.0)[
            :, tgt
        ]
    sec = out.T if backward else out
    return _cut(sec, case.cutoff_min), t1 - t0, time.perf_counter() - t1, ""


def run_igraph(case: Case, no: int, nd: int, g: dict[str, Any]) -> Result:
    import igraph as ig

    t0 = time.perf_counter()
    o_nodes, d_nodes, backward = _sides(g, no, nd)
    graph = ig.Graph(n=g["size"], edges=np.column_stack((g["u"], g["v"])), directed=True)
    graph.es["w"] = g["w"].tolist()
    t1 = time.perf_counter()
    if backward:
        sec = np.array(
            graph.distances(
                source=d_nodes.tolist(), target=o_nodes.tolist(), weights="w", mode="in"
            )
        ).T
    else:
        sec = np.array(
            graph.distances(
                source=o_nodes.tolist(), target=d_nodes.tolist(), weights="w", mode="out"
            )
        )
    return _cut(sec, case.cutoff_min), t1 - t0, time.perf_counter() - t1, "no cut-off option"


def run_networkx(case: Case, no: int, nd: int, g: dict[str, Any]) -> Result:
    import networkx as nx

    t0 = time.perf_counter()
    o_nodes, d_nodes, backward = _sides(g, no, nd)
    graph = nx.DiGraph()
    tails, heads = (g["v"], g["u"]) if backward else (g["u"], g["v"])
    graph.add_weighted_edges_from(
        zip(tails.tolist(), heads.tolist(), g["w"].tolist(), strict=True), weight="w"
    )
    t1 = time.perf_counter()
    src, tgt = (d_nodes, o_nodes) if backward else (o_nodes, d_nodes)
    out = np.full((len(src), len(tgt)), np.inf)
    for k, s in enumerate(src.tolist()):
        lengths = nx.single_source_dijkstra_path_length(
            graph, s, cutoff=case.cutoff_min * 60.0, weight="w"
        )
        out[k] = [lengths.get(t, np.inf) for t in tgt.tolist()]
    sec = out.T if backward else out
    return _cut(sec, case.cutoff_min), t1 - t0, time.perf_counter() - t1, ""


def run_pandana(case: Case, no: int, nd: int, g: dict[str, Any]) -> Result:
    import pandana

    t0 = time.perf_counter()
    o_nodes, d_nodes, _ = _sides(g, no, nd)
    with _quiet():  # pandana prints its progress on the C level
        net = pandana.Network(pd.Series(g["node_x"]), pd.Series(g["node_y"]), pd.Series(g["u"]),
                              pd.Series(g["v"]), pd.DataFrame({"w": g["w"]}), twoway=False)  # fmt: skip
    t1 = time.perf_counter()
    a, b = np.repeat(o_nodes, nd), np.tile(d_nodes, no)
    note = "no cut-off option"
    sample = np.arange(a.size)
    if a.size > PANDANA_MAX_PAIRS:
        sample = np.sort(np.random.default_rng(0).choice(a.size, PANDANA_MAX_PAIRS, replace=False))
        note += f"; queries timed on {PANDANA_MAX_PAIRS:,} sampled pairs and scaled up"
    with _quiet():
        lengths = np.asarray(net.shortest_path_lengths(a[sample], b[sample], "w"), dtype=np.float64)
    query = (time.perf_counter() - t1) * a.size / sample.size
    minutes = np.full(a.size, NOT_SAMPLED)
    minutes[sample] = _cut(
        np.where(lengths >= 4.2e9, np.inf, lengths), case.cutoff_min
    )  # "no path": huge
    return minutes.reshape(no, nd), t1 - t0, query, note


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


METHODS: dict[str, Callable[[Case, int, int, dict[str, Any]], Result]] = {
    "estatesplan": run_estatesplan,
    "scipy": run_scipy,
    "igraph": run_igraph,
    "networkx": run_networkx,
    "pandana": run_pandana,
}


# --- running each method in its own process -----------------------------------------------


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def in_child(func: Callable[[], Result], folder: Path) -> dict[str, Any]:
    """Run ``func`` in a forked process; return its minutes, times and memory."""
    out = folder / "out.npy"
    meta = folder / "meta.json"
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            start = _rss_mib()
            minutes, setup, query, note = func()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            np.save(out, minutes, allow_pickle=False)
            meta.write_text(json.dumps({"setup": setup, "query": query, "note": note,
                                        "peak": peak, "added": max(0.0, peak - start)}))  # fmt: skip
        except BaseException as err:  # report, never hang the parent
            meta.write_text(json.dumps({"error": f"{type(err).__name__}: {err}"}))
            code = 1
        os._exit(code)
    os.waitpid(pid, 0)
    info: dict[str, Any] = json.loads(meta.read_text())
    if "error" not in info:
        info["minutes"] = np.load(out, allow_pickle=False)
    meta.unlink()
    out.unlink(missing_ok=True)
    return info


def _load_kernels() -> None:
    tiny = perturbed_grid(100, seed=1)
    pts = random_points(tiny, 3, seed=1)
    tt.matrix_from_network(tiny, pts, pts, origin_id="id", destination_id="id", cutoff_min=10)


def warm_up() -> None:
    """Compile (first run ever) or load (later runs) estatesplan's kernels in a child."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        in_child(lambda: (np.zeros(1), 0.0, 0.0, ""), Path(tmp))
        fork_s = time.perf_counter() - t0
        t0 = time.perf_counter()

        def job() -> Result:
            _load_kernels()
            return np.zeros(1), 0.0, 0.0, ""

        in_child(job, Path(tmp))
        print(f"estatesplan kernels: compiled or loaded from numba's disk cache in "
              f"{time.perf_counter() - t0 - fork_s:.2f} s in a fresh process (not counted below; a first "
              "run after installation compiles them, ~8 s, once)")  # fmt: skip


# --- the cases ----------------------------------------------------------------------------


def cases(names: list[str]) -> list[Case]:
    out = []
    n_o, n_d = max(s[0] for s in SIZES), max(s[1] for s in SIZES)
    if "grid" in names:
        net = perturbed_grid(90_000, seed=0)  # drive-like: 30 km/h, 10 % one-way, 5 % dropped
        out.append(Case("grid 90k", net, 30.0, near_points(net, n_o, seed=1, prefix="o"),
                        near_points(net, n_d, seed=2, prefix="d")))  # fmt: skip
    if {"walk", "drive"} & set(names):
        if not CAMDEN_PBF.is_file():
            print(
                f"NOTE: Camden rows skipped: {CAMDEN_PBF} not found (set ESTATESPLAN_SHARED_DATA)"
            )
            return out
        from estatesplan import networks

        nets = networks.networks_from_osm(
            CAMDEN_PBF, modes=tuple(m for m in ("walk", "drive") if m in names)
        )
        for mode, cutoff in (("walk", 45.0), ("drive", 30.0)):
            if mode in nets:
                net = nets[mode]
                out.append(Case(f"Camden {mode}", net, cutoff, near_points(net, n_o, seed=3, prefix="o"),
                                near_points(net, n_d, seed=4, prefix="d")))  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="the smallest size only; no pandana on the grid"
    )
    ap.add_argument(
        "--graphs", default="grid,walk,drive", help="comma-separated: grid, walk, drive"
    )
    ap.add_argument(
        "--methods",
        default=",".join(METHODS),
        help="comma-separated subset of " + ", ".join(METHODS),
    )
    args = ap.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m in METHODS]
    sizes = SIZES[:1] if args.quick else SIZES
    import numba

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads)")  # fmt: skip
    warm_up()
    rows = []
    for case in cases(args.graphs.split(",")):
        print(
            f"\n## {case.name}: {case.net.n_nodes:,} nodes, {case.net.n_edges:,} edges, cut-off {case.cutoff_min:g} min"
        )
        index = SegmentIndex.build(case.net)
        for no, nd in sizes:
            o = index.snap(xy(case.origins.iloc[:no]))
            d = index.snap(xy(case.destinations.iloc[:nd]))
            assert not (o.flagged.any() or d.flagged.any())
            u, v, w, size = augmented(case.net, o, d)
            node_xy = np.vstack([np.column_stack((case.net.x, case.net.y)),
                                 np.column_stack((o.x, o.y)), np.column_stack((d.x, d.y))])  # fmt: skip
            graph = {"u": u, "v": v, "w": w, "size": size, "n": case.net.n_nodes, "n_o": no,
                     "node_x": node_xy[:, 0], "node_y": node_xy[:, 1]}  # fmt: skip
            o_nodes, d_nodes, _ = _sides(graph, no, nd)
            full = sp.csr_array(
                (w, (v, u)), shape=(size, size)
            )  # reversed: search from destinations
            ref = _cut(dijkstra(full, indices=d_nodes)[:, o_nodes].T, case.cutoff_min)
            print(
                f"\n{case.name}, {no:,} × {nd:,} ({no * nd:,} pairs; {np.isfinite(ref).mean():.0%} within the cut-off)"
            )
            print(f"  {'method':<12}{'pairs/s':>12}{'setup s':>9}{'query s':>9}{'total s':>9}{'peak MiB':>10}"
                  f"{'+MiB':>7}{'max |diff| min':>16}{'reach':>7}  notes")  # fmt: skip
            got: dict[str, float] = {}
            for name in methods:
                if name == "networkx" and no * nd > SIZES[0][0] * SIZES[0][1]:
                    print(
                        f"  {name:<12}skipped beyond the smallest size (one Python Dijkstra per point: minutes)"
                    )
                    continue
                if (
                    name == "pandana"
                    and case.name.startswith("grid")
                    and (args.quick or (no, nd) != SIZES[0])
                ):
                    where = "with --quick" if args.quick else "beyond the smallest size"
                    print(
                        f"  {name:<12}skipped {where}: its contraction hierarchy alone takes minutes on this grid"
                    )
                    continue
                with tempfile.TemporaryDirectory() as tmp:
                    job = functools.partial(METHODS[name], case, no, nd, graph)
                    info = in_child(job, Path(tmp))
                if "error" in info:
                    print(f"  {name:<12}failed: {info['error']}")
                    continue
                m = info["minutes"]
                done = m != NOT_SAMPLED
                both = done & np.isfinite(m) & np.isfinite(ref)
                diff = float(np.abs(m[both] - ref[both]).max()) if both.any() else 0.0
                same = bool((np.isfinite(m) == np.isfinite(ref))[done].all())
                total = info["setup"] + info["query"]
                rate = no * nd / total
                got[name] = rate
                print(f"  {name:<12}{rate:>12,.0f}{info['setup']:>9.3f}{info['query']:>9.3f}{total:>9.3f}"
                      f"{info['peak']:>10,.0f}{info['added']:>7,.0f}{diff:>16.1e}{'same' if same else 'DIFF':>7}"
                      f"  {info['note']}".rstrip())  # fmt: skip
                rows.append({"graph": case.name, "size": f"{no}x{nd}", "method": name, "pairs_per_s": rate,
                             "setup_s": info["setup"], "query_s": info["query"], "peak_mib": info["peak"],
                             "added_mib": info["added"], "max_diff_min": diff, "same_reach": same})  # fmt: skip
            if "estatesplan" in got:
                ratios = ", ".join(
                    f"{got['estatesplan'] / r:.1f}× {k}"
                    for k, r in got.items()
                    if k != "estatesplan"
                )
                print(f"  estatesplan throughput: {ratios}")
    print(
        "\nOne run: on a shared machine the smallest sizes vary by up to ±40 % between runs; "
        "compare ratios within a run."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

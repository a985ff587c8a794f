"""Travel-time matrices on a Dask cluster: the same computation, split into chunks.

:func:`matrix_dask` splits one side — by default the smaller, which keeps the number
of searches what one process would make — into chunks, runs the
single-machine matrix (:func:`estatesplan.travel_times.matrix_from_network`, or any
function with its signature) on each chunk on a ``dask.distributed`` cluster, and
stitches the chunks back into one :class:`~estatesplan.travel_times.TravelTimeMatrix`
in the input order.

The network is sent to every worker once per call
(``client.scatter(..., broadcast=True)``), not with every task, and is *prepared*
(its snapping index and contracted graph built,
:class:`~estatesplan.travel_times.PreparedNetwork`) once per worker: the first chunk
on a worker builds it and the others reuse it, through a worker plugin registered
for the call and removed after it (:mod:`estatesplan._routing_dask`; the cache is
keyed by the network's fingerprint and lives on the workers only, never in a module
global).

Each point's time depends only on the network, the point and the settings, so the
stitched matrix equals the one-process result, bit for bit when each chunk searches
in the direction one process would (always so when the smaller side is chunked);
otherwise a time can differ by rounding in the last float32 digit.

Without a ``client`` a local cluster is started for the call and closed after it
(see :func:`matrix_dask` for its shape). To run on many machines, pass a
``distributed.Client`` connected to any cluster (dask-jobqueue, Kubernetes, Coiled,
``dask scheduler`` + ``dask worker``); nothing else changes. Nothing here starts a
cluster, or imports Dask, until :func:`matrix_dask` is called.

Dask moves the network and the points between processes with its own serialisation
(pickle-based): run it on a cluster you trust, as with any Dask work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import logging
import math
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .errors import ConfigError, OptionalDependencyError

if TYPE_CHECKING:
    import distributed
    import geopandas as gpd

    from .graph import StreetNetwork
    from .progress import Progress
    from .travel_times import TravelTimeMatrix

__all__ = ["matrix_dask"]

logger = logging.getLogger(__name__)

ChunkBy = Literal["origins", "destinations", "auto"]

_MAX_CHUNK = 2000
"""Largest default chunk, in rows."""

_TASKS_PER_THREAD = 4
"""Default chunking aims at this many tasks per worker thread."""

_INSTALL_HINT = 'pip install "estatesplan[dask]" (or: pip install "dask[distributed]")'


def _import_distributed() -> Any:
    """Return the ``distributed`` module, or raise OptionalDependencyError."""
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError as exc:
        msg = (
            "matrix_dask needs Dask's distributed scheduler, which is not installed "
            f"({exc}). Install it with: {_INSTALL_HINT}; or use "
            "estatesplan.travel_times.matrix_from_network on one machine."
        )
        raise OptionalDependencyError(msg) from exc
    return distributed


def _numba_threads_safe() -> bool:
    """Whether numba's parallel kernels may run from several threads at once.

    The tbb and omp threading layers allow it; numba's fallback layer (workqueue)
    aborts the process on concurrent use, so then only one chunk may run at a time
    in a process.
    """
    try:
        import numba
    except ImportError:  # no compiled kernels to worry about
        return True
    if str(getattr(numba.config, "THREADING_LAYER", "default")) == "workqueue":
        return False
    for layer in ("numba.np.ufunc.tbbpool", "numba.np.ufunc.omppool"):
        try:
            importlib.import_module(layer)
        except ImportError:
            continue
        return True
    return False


@contextlib.contextmanager
def _client_for(client: distributed.Client | None, dist: Any) -> Iterator[Any]:
    """Yield ``client``, or a client of a fresh local cluster closed on exit."""
    if client is not None:
        yield client
        return
    # Measured on 2 cores (docs/scaling.md): one in-process worker (one copy of the
    # network, nothing pickled) running one chunk per core at a time, each chunk's
    # compiled search on one thread, beat one worker process per core (which pays
    # for sending the network to each) and one chunk at a time using every core
    # (whose Python parts, snapping and bookkeeping, then run alone).
    threads = (os.cpu_count() or 1) if _numba_threads_safe() else 1
    t0 = time.perf_counter()
    cluster = dist.LocalCluster(
        n_workers=1,
        threads_per_worker=threads,
        processes=False,
        dashboard_address=":0",  # any free port: never clashes with another cluster
    )
    try:
        with dist.Client(cluster) as local:
            logger.info(
                "started a local Dask cluster (1 in-process worker, %d thread(s)) in %.2f s",
                threads,
                time.perf_counter() - t0,
            )
            yield local
    finally:
        cluster.close()


def _auto_chunk(n_rows: int, workers: dict[str, Any]) -> int:
    """Rows per task: about four tasks per worker thread, at most ``_MAX_CHUNK``."""
    threads = sum(int(w.get("nthreads", 1)) for w in workers.values()) or 1
    return max(1, min(_MAX_CHUNK, math.ceil(n_rows / (_TASKS_PER_THREAD * threads))))


def _stitch(parts: list[Any], axis: int, extra: dict[str, Any]) -> TravelTimeMatrix:
    """Join chunk matrices along rows (``axis=0``) or columns (``axis=1``)."""
    first: Any = parts[0]
    is_instance = dataclasses.is_dataclass(first) and not isinstance(first, type)
    if not is_instance:
        msg = f"the chunk function returned {type(first).__name__}, expected a TravelTimeMatrix (a dataclass)"
        raise TypeError(msg)
    fixed = "destination_ids" if axis == 0 else "origin_ids"
    split = "origin_ids" if axis == 0 else "destination_ids"
    for k, part in enumerate(parts[1:], start=1):
        if not np.array_equal(getattr(part, fixed), getattr(first, fixed)):
            msg = f"chunk {k} returned different {fixed} from chunk 0; the chunk function must keep the input order"
            raise ValueError(msg)
    meta = dict(first.metadata)
    meta.update(extra)
    for key in ("flagged_origins", "flagged_destinations"):
        if key in meta:
            side = "origins" if axis == 0 else "destinations"
            if key.endswith(side):
                meta[key] = [i for p in parts for i in p.metadata.get(key, [])]
    if "furthest_snap_m" in meta:
        meta["furthest_snap_m"] = max(float(p.metadata.get("furthest_snap_m", 0.0)) for p in parts)
    if isinstance(meta.get("search"), dict):
        searches = [p.metadata.get("search", {}) for p in parts]
        meta["search"] = {
            **meta["search"],
            "searches": sum(int(s.get("searches", 0)) for s in searches),
            "direction": sorted({str(s.get("direction")) for s in searches}),
            # seconds summed over the chunks (worker time, not elapsed time)
            **{
                k: round(sum(float(s.get(k, 0.0)) for s in searches), 4)
                for k, v in meta["search"].items()
                if k.endswith("_s") and isinstance(v, int | float)
            },
        }
    changes: dict[str, Any] = {
        split: np.concatenate([np.asarray(getattr(p, split), dtype=object) for p in parts]),
        "minutes": np.concatenate([p.minutes for p in parts], axis=axis),
        "metadata": meta,
    }
    out: TravelTimeMatrix = dataclasses.replace(first, **changes)
    return out


def matrix_dask(
    net: StreetNetwork,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    origin_id: str,
    destination_id: str,
    cutoff_min: float,
    chunk_size: int | None = None,
    client: distributed.Client | None = None,
    compute: Callable[..., TravelTimeMatrix] | None = None,
    chunk_by: ChunkBy = "auto",
    threads_per_task: int | None = None,
    progress: Progress | None = None,
    **kw: Any,
) -> TravelTimeMatrix:
    """Compute a travel-time matrix in chunks on a Dask cluster.

    Parameters
    ----------
    net
        One mode's street network; sent once to every worker, and prepared
        (segment index and contracted graph) once on each worker.
    origins, destinations
        Layers as for :func:`~estatesplan.travel_times.matrix_from_network` (any
        CRS; points, or polygons by their routing point).
    origin_id, destination_id
        Id columns (unique across the whole layer).
    cutoff_min
        Longer trips are NaN, in minutes (positive).
    chunk_size
        Rows of the chunked side per task. ``None``: about four tasks per worker
        thread of the cluster, at most 2,000 rows each (enough tasks to keep every
        worker busy to the end, few enough that the per-task cost of snapping the
        points and sending the result stays small).
    client
        A ``distributed.Client`` for any cluster. ``None``: start a local cluster
        for this call and close it after: one in-process worker with a thread per
        core, each chunk's search on one thread (measured fastest of the local
        shapes; see docs/scaling.md). On one machine,
        :func:`~estatesplan.travel_times.matrix_from_network` alone is faster
        still: Dask pays off across machines.
    compute
        The per-chunk function, called as ``compute(net, origins, destinations,
        origin_id=..., destination_id=..., cutoff_min=..., **kw)`` and returning a
        TravelTimeMatrix (a dataclass with ``origin_ids``, ``destination_ids``,
        ``minutes`` and ``metadata``). ``None`` (or ``matrix_from_network``
        itself): ``matrix_from_network`` on the network prepared once per worker.
        Another function gets the bare network in every task. It must be
        importable on the workers (a module-level function).
    chunk_by
        ``"origins"`` (rows), ``"destinations"`` (columns) or ``"auto"`` (the
        default): the smaller side. Each task searches from the smaller side of
        *its* chunk, so chunking the smaller side searches no more than one
        process would, while chunking the larger side repeats the other side's
        searches in every chunk (33,755 LSOAs × 7,000 practices: 7,000 searches
        chunked by practice, 33,755 by LSOA; measured 4–12× apart in
        ``benchmarks/bench_dask.py``).
    threads_per_task
        Threads for the compiled search inside each task. ``None``: the worker
        machine's cores divided by the worker's Dask threads.
    progress
        Optional callback ``(done, total, label)`` called on the client as chunks
        finish (not sent to the workers).
    **kw
        Passed on to ``compute`` (e.g. ``max_snap_m``, ``walk_speed_kmh``,
        ``strict``). With the default ``compute``, ``warn=False`` keeps the
        flagged-point warning back (the ids stay in the metadata), and
        ``prepared`` is refused: each worker prepares its own.

    Returns
    -------
    TravelTimeMatrix
        Origins in rows and destinations in columns, in the layers' row order,
        as ``compute`` would return for the whole layers. ``metadata`` gains
        ``dask`` (chunks, chunk size and side, workers, ``preparations``: how
        many times a worker prepared the network, and seconds); ``flagged_*`` ids
        are gathered from every chunk (and warned about once, as
        :func:`~estatesplan.travel_times.warn_flagged_points` words it),
        ``search`` sums the searches and worker seconds of every chunk, and
        ``digest`` is that of the whole matrix.

    Raises
    ------
    OptionalDependencyError
        If dask or distributed is not installed.
    ConfigError
        If ``chunk_size``, ``cutoff_min`` or ``chunk_by`` is out of range, or
        ``prepared`` is passed.
    CrsError, MissingColumnError, DuplicateIdError, DataContractError, GeometryError
        If a layer has no CRS, its id column is missing, repeats ids or has empty
        values, or a row has no location (checked before any work is sent, as
        :func:`~estatesplan.travel_times.point_ids` and
        :func:`~estatesplan.snapping.points_xy` check them); other input errors
        come from ``compute`` on the first chunk that meets them.
    """
    t0 = time.perf_counter()
    if chunk_size is not None and not (
        isinstance(chunk_size, int | np.integer) and chunk_size >= 1
    ):
        msg = f"chunk_size must be a positive whole number of rows per task or None, got {chunk_size!r}"
        raise ConfigError(msg)
    try:
        cutoff = float(cutoff_min)
    except (TypeError, ValueError):
        cutoff = math.nan
    if not cutoff > 0:
        msg = f"the cut-off must be a positive number of minutes, got {cutoff_min!r}"
        raise ConfigError(msg)
    if chunk_by not in ("origins", "destinations", "auto"):
        msg = f"chunk_by must be 'origins', 'destinations' or 'auto', got {chunk_by!r}"
        raise ConfigError(msg)
    if threads_per_task is not None and not (int(threads_per_task) == threads_per_task >= 1):
        msg = f"threads_per_task must be a positive whole number or None, got {threads_per_task!r}"
        raise ConfigError(msg)
    dist = _import_distributed()
    from . import travel_times as tt
    from ._routing import network_fingerprint
    from .snapping import points_xy

    # Problems that would fail every chunk, or that no chunk can see (ids repeated
    # across chunks), before any cluster work; ids and points also give the digest.
    o_ids = tt.point_ids(origins, origin_id, what="origins")
    d_ids = tt.point_ids(destinations, destination_id, what="destinations")
    o_xy = points_xy(origins, net.crs, ids=o_ids, what="origins")
    d_xy = points_xy(destinations, net.crs, ids=d_ids, what="destinations")
    if compute is tt.matrix_from_network:
        compute = None  # the default: run on the network prepared once per worker
    warn = True
    if compute is None:
        if "prepared" in kw:
            msg = (
                "matrix_dask prepares the network once on each worker; drop prepared= "
                "(a prepared network is not sent to workers)"
            )
            raise ConfigError(msg)
        warn = bool(kw.pop("warn", True))  # said once for the whole matrix, not per chunk
    side = chunk_by
    if side == "auto":
        side = "origins" if len(origins) <= len(destinations) else "destinations"
    axis = 0 if side == "origins" else 1
    chunked, whole = (origins, destinations) if axis == 0 else (destinations, origins)
    kwargs = dict(kw, origin_id=origin_id, destination_id=destination_id, cutoff_min=cutoff)
    n_rows = len(chunked)
    if n_rows == 0:  # nothing to distribute: the empty matrix, computed here
        return (compute or tt.matrix_from_network)(net, origins, destinations, **kwargs)
    label = f"{net.mode} matrix chunks"
    token = uuid.uuid4().hex[:12]
    cache_name = f"estatesplan-prepared-{token}"
    fingerprint = network_fingerprint(net)
    with _client_for(client, dist) as cl:
        workers = cl.scheduler_info().get("workers", {})
        n_workers = len(workers)
        size = int(chunk_size) if chunk_size is not None else _auto_chunk(n_rows, workers)
        bounds = [(s, min(s + size, n_rows)) for s in range(0, n_rows, size)]
        t_scatter = time.perf_counter()
        net_f = cl.scatter(net, broadcast=True, hash=False)
        whole_f = cl.scatter(whole, broadcast=True, hash=False)
        t_scatter = time.perf_counter() - t_scatter
        cache: tuple[str, str] | None = None
        from ._routing_dask import PreparedCache, run_chunk

        if compute is None:
            cl.register_plugin(PreparedCache(cache_name), name=cache_name)
            cache = (cache_name, fingerprint)
        try:
            futures = []
            for k, (a, b) in enumerate(bounds):
                part = chunked.iloc[a:b]
                o, d = (part, whole_f) if axis == 0 else (whole_f, part)
                chunk = cl.submit(
                    run_chunk, compute, net_f, o, d, kwargs, threads_per_task, cache,
                    key=f"estatesplan-matrix-{token}-{k}", pure=False,
                )  # fmt: skip
                futures.append(chunk)
            if progress is not None:
                progress(0, len(futures), label)
                for done, _ in enumerate(dist.as_completed(futures), start=1):
                    progress(done, len(futures), label)
            parts = cl.gather(futures)
            del futures
            prep = _cache_stats(cl, cache_name) if cache is not None else (0, 0.0)
        finally:
            if cache is not None:
                cl.unregister_worker_plugin(cache_name)
            cl.cancel([net_f, whole_f])
    extra = {
        "dask": {
            "chunks": len(bounds),
            "chunk_size": size,
            "chunk_by": side,
            "workers": n_workers,
            "scatter_s": round(t_scatter, 4),
            "preparations": prep[0],
            "prepare_s": round(prep[1], 4),
            "total_s": round(time.perf_counter() - t0, 4),
        }
    }
    out = _stitch(parts, axis, extra)
    if compute is None:  # the digest of the whole, as matrix_from_network gives it
        settings = out.metadata["settings"]
        out.metadata["digest"] = tt.matrix_digest(net, o_ids, o_xy, d_ids, d_xy, settings)
    if warn:
        tt.warn_flagged_points(out, stacklevel=2)
    logger.info(
        "%s matrix on Dask: %d × %d in %d chunk(s) of %d %s on %d worker(s), network "
        "prepared %d time(s), in %.2f s",
        net.mode, len(origins), len(destinations), len(bounds), size, side, n_workers,
        prep[0], time.perf_counter() - t0,
    )  # fmt: skip
    return out


def _cache_stats(cl: Any, name: str) -> tuple[int, float]:
    """Networks prepared and seconds spent on them, summed over the workers."""
    from ._routing_dask import cache_stats

    stats = cl.run(cache_stats, name).values()
    return sum(int(b) for b, _ in stats), sum(float(s) for _, s in stats)

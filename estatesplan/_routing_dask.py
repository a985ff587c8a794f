"""What runs on the Dask workers for :func:`estatesplan.distributed.matrix_dask`.

:func:`run_chunk` computes one chunk; :class:`PreparedCache` keeps each worker's
prepared network for the call. This module imports Dask's ``distributed``; only
:mod:`estatesplan.distributed` loads it, once a cluster is in use.

For each call, ``matrix_dask`` registers one :class:`PreparedCache` worker plugin
under a name unique to the call and removes it when the call ends. Every worker
gets its own copy of the plugin; the first chunk that runs on a worker builds the
:class:`~estatesplan.travel_times.PreparedNetwork` (segment index and contracted
graph) from the network scattered to that worker, keyed by the network's
fingerprint, and every later chunk on the worker reuses it. Chunks that start
while it is being built wait for it rather than build their own. So a network is
prepared once per worker per call, not once per chunk.

The cache is state of the plugin object on the worker — not a module global — and
is dropped when the plugin is removed (the end of the call) or the worker closes,
so nothing outlives the call and concurrent calls never share an entry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from ._routing import PreparedNetwork

if TYPE_CHECKING:
    import geopandas as gpd

    from .graph import StreetNetwork
    from .travel_times import TravelTimeMatrix

__all__ = ["PreparedCache", "cache_stats", "prepared_on_worker", "run_chunk"]


class PreparedCache(WorkerPlugin):
    """Worker plugin holding the prepared networks of one ``matrix_dask`` call.

    Parameters
    ----------
    name
        The plugin's name on the workers (unique to the call).

    Attributes
    ----------
    builds
        Networks prepared by this worker's copy.
    build_s
        Seconds this worker spent preparing them.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.builds = 0
        self.build_s = 0.0
        self._lock: threading.Lock | None = None  # made on the worker: locks do not travel
        self._prepared: dict[str, PreparedNetwork] = {}

    def setup(self, worker: Any) -> None:
        """Start an empty cache on ``worker``."""
        self._lock = threading.Lock()
        self._prepared = {}

    def teardown(self, worker: Any) -> None:
        """Drop the cache (the call ended or the worker closes)."""
        self._prepared.clear()

    def get(self, net: StreetNetwork, key: str) -> PreparedNetwork:
        """Return the prepared ``net``, building it on first use.

        Parameters
        ----------
        net
            The network (the worker's copy of the scattered network).
        key
            Its fingerprint (:func:`~estatesplan._routing.network_fingerprint`).

        Returns
        -------
        PreparedNetwork
            Shared by every chunk of the call on this worker.
        """
        if self._lock is None:  # not set up on a worker: build without caching
            return PreparedNetwork.build(net)
        with self._lock:
            found = self._prepared.get(key)
            if found is None:
                t0 = time.perf_counter()
                found = PreparedNetwork.build(net)
                self._prepared[key] = found
                self.builds += 1
                self.build_s += time.perf_counter() - t0
        return found


def prepared_on_worker(net: StreetNetwork, name: str, key: str) -> PreparedNetwork:
    """Return ``net`` prepared, from this worker's cache ``name`` when there is one.

    Parameters
    ----------
    net
        The network.
    name
        The call's :class:`PreparedCache` plugin name.
    key
        The network's fingerprint.

    Returns
    -------
    PreparedNetwork
        From the cache; prepared here (and not kept) outside a worker or where the
        plugin is missing.
    """
    try:
        worker = get_worker()
    except ValueError:  # not running on a worker
        return PreparedNetwork.build(net)
    plugin = worker.plugins.get(name)
    if not isinstance(plugin, PreparedCache):
        return PreparedNetwork.build(net)
    return plugin.get(net, key)


def cache_stats(name: str, dask_worker: Any = None) -> tuple[int, float]:
    """Return ``(builds, seconds)`` of this worker's cache ``name`` (for ``Client.run``).

    Parameters
    ----------
    name
        The plugin name.
    dask_worker
        The worker (passed by ``Client.run``).

    Returns
    -------
    tuple of int and float
        Networks prepared and seconds spent, ``(0, 0.0)`` without the plugin.
    """
    plugin = getattr(dask_worker, "plugins", {}).get(name)
    if not isinstance(plugin, PreparedCache):
        return 0, 0.0
    return plugin.builds, plugin.build_s


def _set_numba_threads(threads: int | None) -> None:
    """Limit numba's threads for compiled kernels started from this thread."""
    try:
        import numba
    except ImportError:  # the compute function does not use numba
        return
    cap = int(getattr(numba.config, "NUMBA_NUM_THREADS", 1))
    if threads is None:
        try:
            per_worker = int(get_worker().state.nthreads)
        except (ValueError, AttributeError):  # not on a Dask worker
            per_worker = 1
        threads = max(1, cap // max(per_worker, 1))
    numba.set_num_threads(max(1, min(int(threads), cap)))


def run_chunk(
    compute: Callable[..., TravelTimeMatrix] | None,
    net: StreetNetwork,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    kwargs: dict[str, Any],
    threads: int | None,
    cache: tuple[str, str] | None,
) -> TravelTimeMatrix:
    """Compute one chunk on a worker (module-level so that workers can import it).

    Parameters
    ----------
    compute
        The chunk function, or ``None`` for the default (see Notes).
    net
        The worker's copy of the network.
    origins, destinations
        The chunk's layers.
    kwargs
        Keyword arguments for the chunk function.
    threads
        Threads for the compiled search (``None``: the machine's cores divided by
        the worker's threads).
    cache
        The call's cache plugin name and the network's fingerprint.

    Returns
    -------
    TravelTimeMatrix
        The chunk's matrix.

    Notes
    -----
    ``compute=None`` runs ``matrix_from_network`` on the network prepared once per
    worker (``cache``: the call's plugin name and the network's fingerprint), without
    the flagged-point warning: :func:`matrix_dask` gives it once for the whole matrix.
    """
    _set_numba_threads(threads)
    if compute is not None:
        return compute(net, origins, destinations, **kwargs)
    from .travel_times import matrix_from_network

    t0 = time.perf_counter()
    prepared = prepared_on_worker(net, *cache) if cache is not None else PreparedNetwork.build(net)
    wait_s = time.perf_counter() - t0
    out = matrix_from_network(net, origins, destinations, prepared=prepared, warn=False, **kwargs)
    # Time this chunk spent getting the prepared network (building it, or waiting for
    # another chunk to): summed over the chunks as the call's preparation seconds.
    out.metadata["search"]["prepare_s"] = round(wait_s, 4)
    return out

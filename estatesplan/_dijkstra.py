"""Numba kernels for many-to-many shortest travel times over a CSR graph (internal).

Importing this module compiles nothing: each kernel is compiled on its first call
(and cached on disk beside the module, or in numba's per-user cache folder, when
either is writable), so only the travel-time stage pays for numba.

The search is a textbook Dijkstra with an indexed 4-ary heap (decrease-key, no stale
entries) over compressed sparse rows, or, where it pays off, a bucket queue
(:func:`bucket_width`). Both run the same loop: seed, settle the nearest node, relax
its out-edges; each queue has one push (:func:`_heap_push`, :func:`_bucket_push`) for
seeds and relaxations alike, which LLVM inlines (see ``jit(helper=True)``). The kernel
sees only compressed rows, so a search towards the targets is the same kernel on the
reversed graph's rows. Each source is a *point on a street*, not a node: the queue
starts from up to two seed nodes with their partial costs (the ends of the street
segment the point was snapped to). Each target is reached through up to two exit
nodes, each with a cost to finish the trip. A search stops as soon as every target's
exit nodes are settled or the next node is beyond the limit, which is where it saves
most over library searches that run to the limit. Sources are spread over threads
with ``numba.prange``; each thread keeps its own workspace and resets only the nodes
it touched.

The graph-preparation and snapping kernels live in :mod:`estatesplan._dijkstra_prep`
and are re-exported here.
"""

from __future__ import annotations

import logging
from typing import Any

import numba
import numpy as np

from ._dijkstra_prep import (
    contract,
    csr,
    grid_index,
    grid_nearest,
    interior_nodes,
    jit,
    street_segments,
)

__all__ = [
    "bucket_width",
    "contract",
    "csr",
    "grid_index",
    "grid_nearest",
    "interior_nodes",
    "many_to_many",
    "street_segments",
]

logger = logging.getLogger(__name__)

_ARITY = 4
"""Children per heap node: a 4-ary heap has half the depth of a binary one and its
children share a cache line, which measured about 25 % faster here."""


@jit(helper=True)
def _heap_put(i: int, key: float, node: int, heap_key: Any, heap_node: Any, pos: Any) -> None:
    """Write ``(key, node)`` into heap slot ``i`` and note the slot in ``pos``."""
    heap_key[i] = key
    heap_node[i] = node
    pos[node] = i


@jit(helper=True)
def _heap_push(
    v: int,
    nd: float,
    size: int,
    n_touched: int,
    dist: Any,
    pos: Any,
    heap_key: Any,
    heap_node: Any,
    touched: Any,
) -> tuple[int, int]:
    """Lower ``dist[v]`` to ``nd`` and sift ``v`` up the heap, adding it (and noting it
    as touched) when it is not on the heap; return the new ``(size, n_touched)``."""
    dist[v] = nd
    i = pos[v]
    if i == -1:
        touched[n_touched] = v
        n_touched += 1
        i = size
        size += 1
    while i > 0:
        parent = (i - 1) // _ARITY
        if heap_key[parent] <= nd:
            break
        _heap_put(i, heap_key[parent], heap_node[parent], heap_key, heap_node, pos)
        i = parent
    _heap_put(i, nd, v, heap_key, heap_node, pos)
    return size, n_touched


@jit()
def _search(
    indptr: Any,
    indices: Any,
    weights: Any,
    seed_node: Any,
    seed_cost: Any,
    is_target: Any,
    n_target_nodes: int,
    limit: float,
    dist: Any,
    pos: Any,
    heap_key: Any,
    heap_node: Any,
    touched: Any,
) -> int:
    """Run one bounded, early-stopping Dijkstra; return the number of touched nodes.

    On return ``pos[i] == -2`` marks settled nodes, whose ``dist`` is exact.
    ``dist`` and ``pos`` must be ``inf`` and ``-1`` everywhere on entry. Weights must
    be non-negative, so a settled node is never improved (no settled check needed
    when relaxing).
    """
    n_touched = 0
    size = 0
    for k in range(seed_node.shape[0]):
        v = seed_node[k]
        nd = seed_cost[k]
        if v < 0 or not nd <= limit or not nd < dist[v]:
            continue
        size, n_touched = _heap_push(
            v, nd, size, n_touched, dist, pos, heap_key, heap_node, touched
        )
    remaining = n_target_nodes
    while size > 0:
        d = heap_key[0]
        u = heap_node[0]
        if d > limit:
            break
        pos[u] = -2
        size -= 1
        if size > 0:  # move the last entry to the root and sift it down
            key = heap_key[size]
            last = heap_node[size]
            i = 0
            while True:
                first = _ARITY * i + 1
                if first >= size:
                    break
                best = first
                best_key = heap_key[first]
                for q in range(first + 1, min(first + _ARITY, size)):
                    if heap_key[q] < best_key:
                        best_key = heap_key[q]
                        best = q
                if best_key >= key:
                    break
                _heap_put(i, best_key, heap_node[best], heap_key, heap_node, pos)
                i = best
            _heap_put(i, key, last, heap_key, heap_node, pos)
        if is_target[u]:
            remaining -= 1
            if remaining == 0:
                break
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weights[e]
            if nd >= dist[v]:  # also true for every settled node
                continue
            size, n_touched = _heap_push(
                v, nd, size, n_touched, dist, pos, heap_key, heap_node, touched
            )
    return n_touched


@jit(helper=True)
def _bucket_push(
    v: int,
    nd: float,
    inv: float,
    n_entries: int,
    n_touched: int,
    dist: Any,
    pos: Any,
    head: Any,
    entry_node: Any,
    entry_next: Any,
    touched: Any,
) -> tuple[int, int, int]:
    """Lower ``dist[v]`` to ``nd`` and add an entry for ``v`` to its bucket's list (noting
    ``v`` as touched the first time); return ``(bucket, n_entries, n_touched)``."""
    if pos[v] == -1:
        touched[n_touched] = v
        n_touched += 1
        pos[v] = 0
    dist[v] = nd
    # bucket = floor(key * inv): monotone in the key; the margin in ``width`` keeps a
    # successor out of the current bucket despite rounding.
    bucket = int(nd * inv)
    slot = bucket % head.shape[0]
    entry_node[n_entries] = v
    entry_next[n_entries] = head[slot]
    head[slot] = n_entries
    return bucket, n_entries + 1, n_touched


@jit()
def _search_buckets(
    indptr: Any,
    indices: Any,
    weights: Any,
    seed_node: Any,
    seed_cost: Any,
    is_target: Any,
    n_target_nodes: int,
    limit: float,
    width: float,
    dist: Any,
    pos: Any,
    head: Any,
    entry_node: Any,
    entry_next: Any,
    touched: Any,
) -> int:
    """Dijkstra with a bucket queue (Dial's algorithm for real weights).

    Bucket ``b`` holds keys in ``[b * width, (b + 1) * width)``; ``width`` is a little
    below the smallest edge weight, so a node reached from the bucket being emptied
    always lands in a later bucket and every node in the current bucket already has its
    final distance: the search is exact in any order within a bucket. Buckets form a
    ring of ``head.shape[0]`` slots (more than the largest weight over ``width``);
    entries are linked lists, stale ones skipped. Same contract as :func:`_search`.
    """
    n_slots = head.shape[0]
    inv = 1.0 / width
    n_touched = 0
    n_entries = 0
    cur = -1
    last = -1
    for k in range(seed_node.shape[0]):
        v = seed_node[k]
        nd = seed_cost[k]
        if v < 0 or not nd <= limit or not nd < dist[v]:
            continue
        bucket, n_entries, n_touched = _bucket_push(
            v, nd, inv, n_entries, n_touched, dist, pos, head, entry_node, entry_next, touched
        )
        if cur < 0 or bucket < cur:
            cur = bucket
        last = max(last, bucket)
    remaining = n_target_nodes
    done = cur < 0
    while not done and cur <= last and cur <= limit * inv:
        slot = cur % n_slots
        while head[slot] != -1:
            k = head[slot]
            head[slot] = entry_next[k]
            u = entry_node[k]
            if pos[u] == -2:
                continue
            d = dist[u]
            if int(d * inv) != cur or d > limit:  # stale entry, or beyond the limit
                continue
            pos[u] = -2
            if is_target[u]:
                remaining -= 1
                if remaining == 0:
                    done = True
                    break
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nd = d + weights[e]
                if nd >= dist[v]:
                    continue
                bucket, n_entries, n_touched = _bucket_push(
                    v, nd, inv, n_entries, n_touched, dist, pos, head, entry_node, entry_next,
                    touched,
                )  # fmt: skip
                if bucket > last:
                    last = bucket
        cur += 1
    for k in range(n_slots):
        head[k] = -1
    return n_touched


@jit(parallel=True)
def _many_to_many(
    indptr: Any,
    indices: Any,
    weights: Any,
    seed_node: Any,
    seed_cost: Any,
    exit_node: Any,
    exit_cost: Any,
    is_target: Any,
    n_target_nodes: int,
    limit: float,
    width: float,
    n_slots: int,
    out: Any,
    n_blocks: int,
) -> None:
    n = indptr.shape[0] - 1
    n_src = seed_node.shape[0]
    n_tgt = exit_node.shape[0]
    buckets = width > 0.0
    for b in numba.prange(n_blocks):
        dist = np.full(n, np.inf)
        pos = np.full(n, -1, dtype=np.int32)
        touched = np.empty(n, dtype=np.int32)
        if buckets:
            head = np.full(n_slots, -1, dtype=np.int32)
            entry_node = np.empty(indices.shape[0] + seed_node.shape[1], dtype=np.int32)
            entry_next = np.empty(indices.shape[0] + seed_node.shape[1], dtype=np.int32)
            heap_key = np.empty(0, dtype=np.float64)
            heap_node = np.empty(0, dtype=np.int32)
        else:
            heap_key = np.empty(n, dtype=np.float64)
            heap_node = np.empty(n, dtype=np.int32)
            head = np.empty(0, dtype=np.int32)
            entry_node = np.empty(0, dtype=np.int32)
            entry_next = np.empty(0, dtype=np.int32)
        for s in range(b, n_src, n_blocks):
            if buckets:
                n_touched = _search_buckets(
                    indptr, indices, weights, seed_node[s], seed_cost[s], is_target, n_target_nodes,
                    limit, width, dist, pos, head, entry_node, entry_next, touched,
                )  # fmt: skip
            else:
                n_touched = _search(
                    indptr, indices, weights, seed_node[s], seed_cost[s], is_target,
                    n_target_nodes, limit, dist, pos, heap_key, heap_node, touched,
                )  # fmt: skip
            for j in range(n_tgt):
                best = np.inf
                for k in range(exit_node.shape[1]):
                    node = exit_node[j, k]
                    if node >= 0 and pos[node] == -2:
                        c = dist[node] + exit_cost[j, k]
                        if c < best:
                            best = c
                out[s, j] = best
            for k in range(n_touched):
                node = touched[k]
                dist[node] = np.inf
                pos[node] = -1


_BLOCKS_PER_THREAD = 4
"""Sources are split into up to this many strided blocks per thread, each with its own
workspace (fewer when the workspaces would pass ``_WORKSPACE`` bytes)."""
_WORKSPACE = 256 * 2**20

_MAX_BUCKETS_PER_NODE = 1.0
"""Use the bucket queue when a search spans at most this many buckets per node: measured
about twice as fast as the heap on a grid of streets (0.004 buckets per node), no faster
on contracted OSM walk and drive networks (5 per node, from tiny junction edges)."""


def bucket_width(
    weights: np.ndarray,
    limit: float,
    n_nodes: int,
    seed_spread: float = 0.0,
    *,
    force: bool = False,
) -> tuple[float, int]:
    """Return ``(width, slots)`` for the bucket queue, or ``(0.0, 0)`` to use the heap.

    Buckets pay off when the search spans few empty buckets: a finite limit, no
    zero-weight edges and a limit of at most a few buckets per node.

    Parameters
    ----------
    weights
        Edge weights (≥ 0).
    limit
        The search limit.
    n_nodes
        Number of nodes.
    seed_spread
        The largest difference between two seeds' costs of one source: the ring must
        span it as well as the largest weight.
    force
        Use buckets whenever they are exact (positive weights, finite limit), however
        many (for tests).

    Returns
    -------
    width, slots
        Bucket width (just under the smallest weight) and ring size.
    """
    if weights.size == 0 or not np.isfinite(limit):
        return 0.0, 0
    w_min = float(weights.min())
    if not w_min > 0.0:
        return 0.0, 0
    width = w_min * (1.0 - 1e-6)  # margin against rounding in d / width (≤ 1e8 buckets)
    if limit / width > 1e8 or (
        not force and limit / width > _MAX_BUCKETS_PER_NODE * max(n_nodes, 1)
    ):
        return 0.0, 0
    return width, int(max(float(weights.max()), seed_spread) / width) + 2


def many_to_many(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    seed_node: np.ndarray,
    seed_cost: np.ndarray,
    exit_node: np.ndarray,
    exit_cost: np.ndarray,
    *,
    limit: float,
    out: np.ndarray,
    queue: str = "auto",
) -> None:
    """Fill ``out[s, j]`` with the least cost from source ``s`` to target ``j``.

    Uses the bucket queue where :func:`bucket_width` finds it pays off, else the heap;
    both are exact.

    Parameters
    ----------
    indptr, indices, weights
        The graph as compressed sparse rows (int64, int32, float64; weights ≥ 0).
    seed_node, seed_cost
        ``(n_sources, k)``: each source's start nodes (-1 for none) and the cost of
        reaching them from the source (``inf`` for none).
    exit_node, exit_cost
        ``(n_targets, k)``: each target's last nodes (-1 for none) and the cost of
        finishing the trip from them (``inf`` for none).
    limit
        Nodes further than this from every source are not settled (same unit as
        the weights); set it a little above the true bound.
    out
        ``(n_sources, n_targets)`` float64, written in place: the cost, or ``inf``
        where no exit node was settled within ``limit``.
    queue
        ``"auto"``, or ``"heap"`` / ``"buckets"`` to force one where exact (for tests).
    """
    is_target = np.zeros(indptr.shape[0] - 1, dtype=np.bool_)
    valid = (exit_node >= 0) & np.isfinite(exit_cost)
    is_target[exit_node[valid]] = True
    n_target_nodes = int(is_target.sum())
    n_src = seed_node.shape[0]
    # A few blocks per thread, handed out one at a time: a thread slowed by other work
    # on the machine does not hold the others up.
    threads = numba.get_num_threads()
    per_block = 16 * (indptr.shape[0] + indices.shape[0])  # bytes of workspace, about
    n_blocks = max(
        1, min(n_src, max(threads, min(_BLOCKS_PER_THREAD * threads, _WORKSPACE // per_block)))
    )
    width, n_slots = 0.0, 0
    if queue != "heap" and n_src:
        finite = np.isfinite(seed_cost)
        spread = np.where(finite, seed_cost, -np.inf).max(axis=1) - np.where(
            finite, seed_cost, np.inf
        ).min(axis=1)
        spread = spread[np.isfinite(spread)]
        width, n_slots = bucket_width(weights, float(limit), indptr.shape[0] - 1,
                                      float(spread.max()) if spread.size else 0.0,
                                      force=queue == "buckets")  # fmt: skip
    with numba.parallel_chunksize(1):
        _many_to_many(
            indptr, indices, weights, seed_node, seed_cost,
            np.where(valid, exit_node, -1).astype(np.int32), np.where(valid, exit_cost, np.inf),
            is_target, n_target_nodes, float(limit), width, n_slots, out, n_blocks,
        )  # fmt: skip

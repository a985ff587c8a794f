"""Numba kernels for many-to-many shortest travel times over a CSR graph (internal).

Importing this module compiles nothing: each kernel is compiled on its first call
(and cached on disk beside the module, or in numba's per-user cache folder, when
either is writable), so only the travel-time stage pays for numba.

The search is a textbook Dijkstra with an indexed binary heap (decrease-key, no
stale entries) over compressed sparse rows. Each source is a *point on a street*,
not a node: the heap starts from up to two seed nodes with their partial costs
(the ends of the street segment the point was snapped to). Each target is reached
through up to two exit nodes, each with a cost to finish the trip. A search stops
as soon as every target's exit nodes are settled or the next node is beyond the
limit, which is where it saves most over library searches that run to the limit.
Sources are spread over threads with ``numba.prange``; each thread keeps its own
workspace and resets only the nodes it touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

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


def _jit(parallel: bool) -> Callable[[Callable[..., Any]], Any]:
    """Return numba's ``njit`` decorator, cached on disk when a cache folder is writable."""

    def wrap(func: Callable[..., Any]) -> Any:
        try:
            return numba.njit(cache=True, nogil=True, parallel=parallel, fastmath=False)(func)
        except RuntimeError:  # no writable cache location: compile per process
            logger.info("numba cache unavailable; %s compiles in every process", func.__name__)
            return numba.njit(nogil=True, parallel=parallel)(func)

    return wrap


_ARITY = 4
"""Children per heap node: a 4-ary heap has half the depth of a binary one and its
children share a cache line, which measured about 25 % faster here."""


@_jit(parallel=False)
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
        if pos[v] == -1:
            touched[n_touched] = v
            n_touched += 1
            i = size
            size += 1
        else:
            i = pos[v]
        dist[v] = nd
        while i > 0:  # sift up
            parent = (i - 1) // _ARITY
            if heap_key[parent] <= nd:
                break
            heap_key[i] = heap_key[parent]
            heap_node[i] = heap_node[parent]
            pos[heap_node[i]] = i
            i = parent
        heap_key[i] = nd
        heap_node[i] = v
        pos[v] = i
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
                heap_key[i] = best_key
                heap_node[i] = heap_node[best]
                pos[heap_node[i]] = i
                i = best
            heap_key[i] = key
            heap_node[i] = last
            pos[last] = i
        if is_target[u]:
            remaining -= 1
            if remaining == 0:
                break
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weights[e]
            if nd >= dist[v]:  # also true for every settled node
                continue
            dist[v] = nd
            i = pos[v]
            if i == -1:
                touched[n_touched] = v
                n_touched += 1
                i = size
                size += 1
            while i > 0:  # sift up
                parent = (i - 1) // _ARITY
                if heap_key[parent] <= nd:
                    break
                heap_key[i] = heap_key[parent]
                heap_node[i] = heap_node[parent]
                pos[heap_node[i]] = i
                i = parent
            heap_key[i] = nd
            heap_node[i] = v
            pos[v] = i
    return n_touched


@_jit(parallel=False)
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
    # bucket = floor(key * inv): monotone in the key; the margin in ``width`` keeps a
    # successor out of the current bucket despite rounding.
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
        if pos[v] == -1:
            touched[n_touched] = v
            n_touched += 1
            pos[v] = 0
        dist[v] = nd
        bucket = int(nd * inv)
        slot = bucket % n_slots
        entry_node[n_entries] = v
        entry_next[n_entries] = head[slot]
        head[slot] = n_entries
        n_entries += 1
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
                if pos[v] == -1:
                    touched[n_touched] = v
                    n_touched += 1
                    pos[v] = 0
                dist[v] = nd
                bucket = int(nd * inv)
                if bucket > last:
                    last = bucket
                s2 = bucket % n_slots
                entry_node[n_entries] = v
                entry_next[n_entries] = head[s2]
                head[s2] = n_entries
                n_entries += 1
        cur += 1
    for k in range(n_slots):
        head[k] = -1
    return n_touched


@_jit(parallel=True)
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


@_jit(parallel=False)
def csr(n: int, u: Any, v: Any, w: Any) -> Any:
    """Return (indptr, indices, weights): compressed rows of the edges ``u → v`` (a stable
    counting sort by ``u``)."""
    m = u.shape[0]
    indptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        indptr[u[e] + 1] += 1
    for x in range(n):
        indptr[x + 1] += indptr[x]
    fill = indptr[:-1].copy()
    indices = np.empty(m, dtype=np.int32)
    weights = np.empty(m, dtype=np.float64)
    for e in range(m):
        k = fill[u[e]]
        indices[k] = v[e]
        weights[k] = w[e]
        fill[u[e]] = k + 1
    return indptr, indices, weights


# --- snapping: a uniform grid of cells over the street segments --------------------------


@_jit(parallel=False)
def _grid_fill(x0: Any, y0: Any, x1: Any, y1: Any, gx: float, gy: float, cell: float,
               nx: int, ny: int) -> Any:  # fmt: skip
    """Return (cell_ptr, cell_seg): the segments whose bounding box overlaps each cell."""
    n = x0.shape[0]
    counts = np.zeros(nx * ny + 1, dtype=np.int64)
    for pass_ in range(2):
        if pass_ == 1:
            for c in range(nx * ny):
                counts[c + 1] += counts[c]
            cell_seg = np.empty(counts[nx * ny], dtype=np.int32)
            fill = counts[:-1].copy()
        for s in range(n):
            i0 = min(max(int((min(x0[s], x1[s]) - gx) / cell), 0), nx - 1)
            i1 = min(max(int((max(x0[s], x1[s]) - gx) / cell), 0), nx - 1)
            j0 = min(max(int((min(y0[s], y1[s]) - gy) / cell), 0), ny - 1)
            j1 = min(max(int((max(y0[s], y1[s]) - gy) / cell), 0), ny - 1)
            for i in range(i0, i1 + 1):
                for j in range(j0, j1 + 1):
                    c = i * ny + j
                    if pass_ == 0:
                        counts[c + 1] += 1
                    else:
                        cell_seg[fill[c]] = s
                        fill[c] += 1
    return counts, cell_seg


@_jit(parallel=False)
def _scan_cell(c: int, x: float, y: float, x0: Any, y0: Any, x1: Any, y1: Any, cell_ptr: Any,
               cell_seg: Any, best: float, bs: int) -> Any:  # fmt: skip
    """Update (best squared distance, best segment) with the segments of cell ``c``."""
    for k in range(cell_ptr[c], cell_ptr[c + 1]):
        s = cell_seg[k]
        dx = x1[s] - x0[s]
        dy = y1[s] - y0[s]
        len2 = dx * dx + dy * dy
        t = 0.0
        if len2 > 0.0:
            t = min(max(((x - x0[s]) * dx + (y - y0[s]) * dy) / len2, 0.0), 1.0)
        ex = x0[s] + t * dx - x
        ey = y0[s] + t * dy - y
        d2 = ex * ex + ey * ey
        if d2 < best or (d2 == best and s < bs):
            best = d2
            bs = s
    return best, bs


@_jit(parallel=False)
def grid_nearest(px: Any, py: Any, x0: Any, y0: Any, x1: Any, y1: Any, cell_ptr: Any,
                  cell_seg: Any, gx: float, gy: float, cell: float, nx: int, ny: int) -> Any:  # fmt: skip
    """Return, per point, the index of the nearest segment (ties: the lowest index).

    Cells are visited in square rings around the point's cell; ring ``r`` is at
    least ``(r - 1) * cell`` away, so the search stops once the best distance is
    within ``r * cell``. Rings are clipped to the grid, so far points cost little.
    """
    n = px.shape[0]
    best_seg = np.full(n, -1, dtype=np.int64)
    for p in range(n):
        x = px[p]
        y = py[p]
        ci = int(np.floor((x - gx) / cell))
        cj = int(np.floor((y - gy) / cell))
        r = max(0, -ci, ci - (nx - 1), -cj, cj - (ny - 1))  # nearer rings lie outside the grid
        r_max = max(ci, nx - 1 - ci, cj, ny - 1 - cj)
        best = np.inf
        bs = -1
        while r <= r_max:
            lo_j = max(cj - r, 0)
            hi_j = min(cj + r, ny - 1)
            for i in range(max(ci - r, 0), min(ci + r, nx - 1) + 1):
                if i == ci - r or i == ci + r:  # top or bottom side: the whole row
                    for j in range(lo_j, hi_j + 1):
                        best, bs = _scan_cell(
                            i * ny + j, x, y, x0, y0, x1, y1, cell_ptr, cell_seg, best, bs
                        )
                else:  # left and right sides only
                    if cj - r >= 0:
                        best, bs = _scan_cell(
                            i * ny + cj - r, x, y, x0, y0, x1, y1, cell_ptr, cell_seg, best, bs
                        )
                    if cj + r <= ny - 1:
                        best, bs = _scan_cell(
                            i * ny + cj + r, x, y, x0, y0, x1, y1, cell_ptr, cell_seg, best, bs
                        )
            if bs >= 0 and np.sqrt(best) <= r * cell:
                break
            r += 1
        best_seg[p] = bs
    return best_seg


def grid_index(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float, int, int]]:
    """Bucket segments into a uniform grid of about two segments per cell.

    Parameters
    ----------
    x0, y0, x1, y1
        Segment end coordinates (metres), float64.

    Returns
    -------
    cell_ptr, cell_seg, grid
        The cell → segment lists as compressed rows, and the grid as
        ``(x origin, y origin, cell size, columns, rows)``.
    """
    gx = float(min(x0.min(), x1.min()))
    gy = float(min(y0.min(), y1.min()))
    width = float(max(x0.max(), x1.max())) - gx
    height = float(max(y0.max(), y1.max())) - gy
    seg_len = float(np.mean(np.hypot(x1 - x0, y1 - y0)))
    area_cell = width * height / max(x0.shape[0] / 2.0, 1.0)
    cell = max(np.sqrt(area_cell), seg_len, 1e-3)
    nx = min(int(width / cell) + 1, 4096)
    ny = min(int(height / cell) + 1, 4096)
    cell = max(cell, width / nx * (1 + 1e-12), height / ny * (1 + 1e-12))
    cell_ptr, cell_seg = _grid_fill(x0, y0, x1, y1, gx, gy, cell, nx, ny)
    return cell_ptr, cell_seg, (gx, gy, float(cell), nx, ny)


@_jit(parallel=False)
def street_segments(u: Any, v: Any, w: Any, n_nodes: int) -> Any:
    """Return (primary edge, reverse edge or -1) per street segment (unordered node pair).

    The primary edge is the fastest edge from the lower-numbered node to the higher,
    else (one-way the other way) the fastest edge the other way; ties go to the
    lower edge index. Self-loops are skipped.
    """
    m = u.shape[0]
    ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    for e in range(m):
        if u[e] != v[e]:
            ptr[min(u[e], v[e]) + 1] += 1
    for a in range(n_nodes):
        ptr[a + 1] += ptr[a]
    fill = ptr[:-1].copy()
    order = np.empty(ptr[n_nodes], dtype=np.int64)
    for e in range(m):
        if u[e] != v[e]:
            a = min(u[e], v[e])
            order[fill[a]] = e
            fill[a] += 1
    primary = np.empty(ptr[n_nodes], dtype=np.int64)
    reverse = np.empty(ptr[n_nodes], dtype=np.int64)
    done = np.zeros(ptr[n_nodes], dtype=np.bool_)
    n_seg = 0
    for a in range(n_nodes):
        for p in range(ptr[a], ptr[a + 1]):
            if done[p]:
                continue
            e0 = order[p]
            b = max(u[e0], v[e0])
            fwd = -1
            bwd = -1
            for q in range(p, ptr[a + 1]):
                e = order[q]
                if max(u[e], v[e]) != b:
                    continue
                done[q] = True
                if u[e] == a:
                    if fwd < 0 or w[e] < w[fwd] or (w[e] == w[fwd] and e < fwd):
                        fwd = e
                elif bwd < 0 or w[e] < w[bwd] or (w[e] == w[bwd] and e < bwd):
                    bwd = e
            if fwd >= 0:
                primary[n_seg] = fwd
                reverse[n_seg] = bwd
            else:
                primary[n_seg] = bwd
                reverse[n_seg] = -1
            n_seg += 1
    return primary[:n_seg].copy(), reverse[:n_seg].copy()


@_jit(parallel=False)
def interior_nodes(n: int, u: Any, v: Any) -> Any:
    """Mark nodes that only pass traffic along a street: exactly one way in and out per
    direction (two-way: the same two distinct neighbours in and out; one-way: one in, one
    out, from and to different nodes). Everything else is an anchor."""
    m = u.shape[0]
    outdeg = np.zeros(n, dtype=np.int64)
    indeg = np.zeros(n, dtype=np.int64)
    out_a = np.full(n, -1, dtype=np.int64)
    out_b = np.full(n, -1, dtype=np.int64)
    in_a = np.full(n, -1, dtype=np.int64)
    in_b = np.full(n, -1, dtype=np.int64)
    for e in range(m):
        a, b = u[e], v[e]
        if outdeg[a] == 0:
            out_a[a] = b
        elif outdeg[a] == 1:
            out_b[a] = b
        outdeg[a] += 1
        if indeg[b] == 0:
            in_a[b] = a
        elif indeg[b] == 1:
            in_b[b] = a
        indeg[b] += 1
    interior = np.zeros(n, dtype=np.bool_)
    for x in range(n):
        if outdeg[x] == 1 and indeg[x] == 1:
            interior[x] = out_a[x] != in_a[x] and out_a[x] != x and in_a[x] != x
        elif outdeg[x] == 2 and indeg[x] == 2:
            p, q = out_a[x], out_b[x]
            if p != q and p != x and q != x:
                interior[x] = (in_a[x] == p and in_b[x] == q) or (in_a[x] == q and in_b[x] == p)
    return interior


@_jit(parallel=False)
def contract(n: int, u: Any, v: Any, w: Any, interior: Any) -> Any:
    """Split the edges into traversals: walks from an anchor through interior nodes to the
    next anchor. Return per edge its traversal, the cost from the traversal's start to the
    edge's tail and from the edge's head to the traversal's end; and per traversal its
    start and end node and total cost."""
    m = u.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        ptr[u[e] + 1] += 1
    for x in range(n):
        ptr[x + 1] += ptr[x]
    fill = ptr[:-1].copy()
    out = np.empty(m, dtype=np.int64)
    for e in range(m):
        out[fill[u[e]]] = e
        fill[u[e]] += 1
    anchor = ~interior
    trav = np.full(m, -1, dtype=np.int64)
    before = np.zeros(m, dtype=np.float64)
    after = np.zeros(m, dtype=np.float64)
    t_start = np.empty(m, dtype=np.int64)
    t_end = np.empty(m, dtype=np.int64)
    t_cost = np.empty(m, dtype=np.float64)
    path = np.empty(m, dtype=np.int64)
    n_trav = 0
    for sweep in range(2):
        for x0 in range(n):
            if sweep == 1:  # an interior node left unassigned lies on a cycle without anchors
                if anchor[x0] or trav[out[ptr[x0]]] >= 0:
                    continue
                anchor[x0] = True
            elif not anchor[x0]:
                continue
            for k in range(ptr[x0], ptr[x0 + 1]):
                e = out[k]
                if trav[e] >= 0:
                    continue
                length = 0
                cost = 0.0
                while True:
                    path[length] = e
                    length += 1
                    trav[e] = n_trav
                    before[e] = cost
                    cost += w[e]
                    x = v[e]
                    if anchor[x]:
                        break
                    nxt = out[ptr[x]]
                    if ptr[x + 1] - ptr[x] == 2 and v[nxt] == u[e]:  # two-way: not back
                        nxt = out[ptr[x] + 1]
                    e = nxt
                acc = 0.0
                for i in range(length - 1, -1, -1):
                    after[path[i]] = acc
                    acc += w[path[i]]
                t_start[n_trav] = x0
                t_end[n_trav] = v[e]
                t_cost[n_trav] = cost
                n_trav += 1
    return (anchor, trav, before, after, t_start[:n_trav].copy(), t_end[:n_trav].copy(),
            t_cost[:n_trav].copy())  # fmt: skip

"""Numba kernels that prepare a street graph and points for the searches (internal).

Compressed sparse rows (:func:`csr`), the contraction of chains of interior nodes
(:func:`interior_nodes`, :func:`contract`), street segments as unordered node pairs
(:func:`street_segments`) and a uniform grid for snapping points to the nearest segment
(:func:`grid_index`, :func:`grid_nearest`). :mod:`estatesplan._dijkstra` re-exports them
beside the searches; :func:`jit` is the decorator every kernel of both modules uses.
Importing this module compiles nothing: each kernel is compiled on its first call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

__all__ = [
    "contract",
    "csr",
    "grid_index",
    "grid_nearest",
    "interior_nodes",
    "jit",
    "street_segments",
]

logger = logging.getLogger(__name__)


def jit(parallel: bool = False, *, helper: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Return numba's ``njit`` decorator, cached on disk when a cache folder is writable.

    Parameters
    ----------
    parallel
        Compile ``numba.prange`` loops as parallel loops.
    helper
        For a small function called in a search's inner loop: compile it without numba's
        reference counting (it may only index the arrays it is given, never allocate),
        so LLVM inlines it into its callers and the loop runs as fast as written out.
        Numba's own ``inline="always"`` keeps reference counting around the inlined
        body and measured up to 1.5 times slower here.

    Returns
    -------
    Callable
        The decorator.
    """
    opts: dict[str, Any] = {"nogil": True, "parallel": parallel}
    if helper:
        opts["_nrt"] = False

    def wrap(func: Callable[..., Any]) -> Any:
        try:
            return numba.njit(cache=True, fastmath=False, **opts)(func)
        except RuntimeError:  # no writable cache location: compile per process
            logger.info("numba cache unavailable; %s compiles in every process", func.__name__)
            return numba.njit(**opts)(func)

    return wrap


@jit()
def _group(n: int, key: Any) -> Any:
    """Return (ptr, order): the indices ``e`` with ``key[e] == k`` are
    ``order[ptr[k]:ptr[k + 1]]``, in increasing order (a stable counting sort over keys
    ``0 … n-1``; negative keys are left out)."""
    m = key.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        if key[e] >= 0:
            ptr[key[e] + 1] += 1
    for x in range(n):
        ptr[x + 1] += ptr[x]
    fill = ptr[:-1].copy()
    order = np.empty(ptr[n], dtype=np.int64)
    for e in range(m):
        k = key[e]
        if k >= 0:
            order[fill[k]] = e
            fill[k] += 1
    return ptr, order


@jit()
def csr(n: int, u: Any, v: Any, w: Any) -> Any:
    """Return (indptr, indices, weights): compressed rows of the edges ``u → v`` (a stable
    counting sort by ``u``)."""
    m = u.shape[0]
    indptr, order = _group(n, u)
    indices = np.empty(m, dtype=np.int32)
    weights = np.empty(m, dtype=np.float64)
    for k in range(m):
        e = order[k]
        indices[k] = v[e]
        weights[k] = w[e]
    return indptr, indices, weights


# --- snapping: a uniform grid of cells over the street segments -------------------------


@jit()
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


@jit()
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


@jit()
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


@jit()
def street_segments(u: Any, v: Any, w: Any, n_nodes: int) -> Any:
    """Return (primary edge, reverse edge or -1) per street segment (unordered node pair).

    The primary edge is the fastest edge from the lower-numbered node to the higher,
    else (one-way the other way) the fastest edge the other way; ties go to the
    lower edge index. Self-loops are skipped.
    """
    m = u.shape[0]
    lower = np.empty(m, dtype=np.int64)
    for e in range(m):
        lower[e] = min(u[e], v[e]) if u[e] != v[e] else -1
    ptr, order = _group(n_nodes, lower)
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


@jit()
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


@jit()
def contract(n: int, u: Any, v: Any, w: Any, interior: Any) -> Any:
    """Split the edges into traversals: walks from an anchor through interior nodes to the
    next anchor. Return per edge its traversal, the cost from the traversal's start to the
    edge's tail and from the edge's head to the traversal's end; and per traversal its
    start and end node and total cost."""
    m = u.shape[0]
    ptr, out = _group(n, u)
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

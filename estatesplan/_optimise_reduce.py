"""Dominance reductions for uncapacitated covering problems (private).

Standard set-covering preprocessing, valid for maximal and set covering without
capacity, with or without equity groups; the reduced problem has the same optimum and
every optimal solution of it is optimal for the original:

- **Dominated sites**: a site whose covered rows (every modelled row: those with demand
  or an equity weight) are a subset of another's is never needed: swapping it for the
  other (or, if that is open already, for any closed site) loses nothing for any
  weight. Must-open sites are kept, and so are enough sites for ``k``.
- **Dominated rows** (set covering): a row that must be covered and whose covering
  sites include all of another such row's is covered whenever that one is, so its
  constraint is dropped (it keeps any equity weight, as an optional row).
- **Identical rows** (maximal covering): rows covered by exactly the same sites are
  merged into one, their demand and equity weights added.

Rounds of site and row reductions alternate until nothing changes (at most
:data:`ROUNDS`). Row dominance compares every pair of rows, so it is skipped beyond
:data:`MAX_ROW_PAIRS` pairs; site dominance beyond :data:`MAX_SITE_WORK` row × site ×
site operations.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Final

import numpy as np
import numpy.typing as npt

from ._optimise_input import Problem

__all__ = ["MAX_ROW_PAIRS", "MAX_SITE_WORK", "ROUNDS", "reduce_covering"]

logger = logging.getLogger(__name__)

ROUNDS: Final = 4
MAX_ROW_PAIRS: Final = 25_000_000
"""Row dominance is checked up to this many row pairs (5,000 rows)."""
MAX_SITE_WORK: Final = 2_000_000_000
"""Site dominance is checked up to rows × sites² of this size."""

_BArr = npt.NDArray[np.bool_]
_IArr = npt.NDArray[np.int64]


def _dominated(m: npt.NDArray[np.float32], *, superset: bool = False) -> _BArr:
    """Columns of ``m`` (0/1) whose rows are a subset of another column's (``superset``:
    that contain another column's rows); of identical columns all but the first."""
    inter = m.T @ m
    size = np.diag(inter).copy()
    sub = inter >= size[:, None] - 0.5  # sub[j, h]: rows(j) within rows(h)
    np.fill_diagonal(sub, False)
    if superset:
        sub = sub.T  # sub[h, j]: rows(h) contain rows(j)
    same = sub & sub.T
    idx = np.arange(m.shape[1])
    return np.asarray((sub & ~same).any(axis=1) | (same & (idx[None, :] < idx[:, None])).any(axis=1))


def _site_pass(p: Problem, rows: _IArr, must: _BArr) -> _IArr:
    """Allowed sites left after removing dominated ones (keeping must-open and ``k``)."""
    cover = p.reach(rows, p.allowed).astype(np.float32)
    if len(rows) * len(p.allowed) ** 2 > MAX_SITE_WORK:
        return p.allowed
    drop = _dominated(cover) & ~must
    keep = ~drop
    short = p.k - int(keep.sum())
    if short > 0:  # fewer sites than k would remain: keep the first dropped ones
        keep[np.flatnonzero(drop)[:short]] = True
    return p.allowed[keep]


def _row_pass(p: Problem) -> _BArr:
    """Set covering: the required rows left after removing dominated ones."""
    req = np.flatnonzero(p.required).astype(np.int64)
    if len(req) ** 2 > MAX_ROW_PAIRS:
        return p.required
    cover = p.reach(req, p.allowed).astype(np.float32)
    out = p.required.copy()
    out[req[_dominated(cover.T, superset=True)]] = False
    return out


def _merge_rows(p: Problem) -> Problem:
    """Maximal covering: rows with the same covering sites merged into the first of them."""
    rows = p.rows
    cover = p.reach(rows, p.allowed)
    _, first, inverse = np.unique(np.packbits(cover, axis=1), axis=0, return_index=True,
                                  return_inverse=True)  # fmt: skip
    if len(first) == len(rows):
        return p
    head = rows[first[inverse.ravel()]]
    demand = np.zeros_like(p.demand)
    np.add.at(demand, head, p.demand[rows])
    weights = np.zeros_like(p.group_weights)
    for g in range(len(p.groups)):
        np.add.at(weights[g], head, p.group_weights[g, rows])
    return dataclasses.replace(p, demand=demand, group_weights=weights)


def reduce_covering(p: Problem) -> Problem:
    """The reduced problem (same optimum); ``p`` itself when nothing can be removed.

    Only for covering problems without capacity; the caller scores the answer on the
    original problem.
    """
    if p.kind == "p_median" or p.capacity is not None:
        return p
    t0 = time.perf_counter()
    q, n_rows = p, len(p.rows)
    for _ in range(ROUNDS):
        must = np.isin(q.allowed, q.must)
        required = _row_pass(q) if q.kind == "set_covering" else q.required
        rows = q.rows if q.kind == "max_covering" else np.flatnonzero(
            required | (q.group_weights > 0).any(axis=0)).astype(np.int64)  # fmt: skip
        allowed = _site_pass(dataclasses.replace(q, required=required), rows, must)
        if len(allowed) == len(q.allowed) and np.array_equal(required, q.required):
            break
        q = dataclasses.replace(q, allowed=allowed, required=required)
    if q.kind == "max_covering":
        q = _merge_rows(q)
    kept = int(q.required.sum()) if q.kind == "set_covering" else len(q.rows)
    logger.info("%s reduced: %d of %d sites and %d of %d rows kept by dominance in %.3f s",
                p.kind, len(q.allowed), len(p.allowed), kept,
                int(p.required.sum()) if p.kind == "set_covering" else n_rows,
                time.perf_counter() - t0)  # fmt: skip
    return q

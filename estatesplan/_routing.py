"""Graph preparation and the chunked many-to-many search behind travel-time matrices.

:func:`estatesplan.travel_times.matrix_from_network` snaps the points and hands them
to :func:`route`, which searches the network in chunks. The per-network work — the
street-segment index for snapping, the contracted graph and its compressed sparse
rows — depends on the network alone, so :class:`PreparedNetwork` holds it and can
be built once and reused by every matrix over the same network (one per scenario,
or every chunk on a Dask worker: :mod:`estatesplan.distributed`).

**Contraction.** Chains of nodes that only pass traffic along a street (most nodes of
an unsimplified OSM network: about 70 % in Camden) are contracted into single edges
between *anchors* (junctions, dead ends), keeping for each original edge its place
along its chain; trips between points on one chain are also taken straight along it.
Each search starts from the anchors at the ends of the point's street with their
partial costs (no virtual nodes). See :mod:`estatesplan.travel_times` for what a
time includes.

Everything is in the network's projected CRS (metres) and seconds. Nothing here
compiles or imports numba until a function is called.
"""

from __future__ import annotations

import logging
import math
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from .errors import NetworkBuildError
from .snapping import SegmentIndex, Snapped

if TYPE_CHECKING:
    from .graph import StreetNetwork
    from .progress import Progress

__all__ = ["ContractedGraph", "PreparedNetwork", "network_fingerprint", "route"]

logger = logging.getLogger(__name__)

_CHUNK_CELLS: Final = 1 << 22
"""Default chunk: about this many float64 cells (32 MiB) of working matrix."""
_MIN_CONTRACTED: Final = 0.05
"""Contract chains of pass-through nodes when at least this share of nodes would go (OSM
walk and drive networks: about 70 %; a grid of streets: about 1 %)."""

_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]
_CSR = tuple[_IArr, npt.NDArray[np.int32], _FArr]


def network_fingerprint(net: StreetNetwork) -> str:
    """Return a fingerprint of a network's geometry and edge times.

    The length and Adler-32 checksum of each of ``x``, ``y``, ``edge_u``, ``edge_v``
    and ``edge_time_s``: several times faster to take than a cryptographic hash of
    megabytes (about 20 ms for a million nodes), and it changes whenever a node
    moves or an edge or its time changes. It identifies a network within one
    computation (cache keys, matrix digests); it is not a security hash.

    Parameters
    ----------
    net
        The network.

    Returns
    -------
    str
        A short ASCII string (equal for networks with equal arrays).
    """
    return "".join(
        f"{arr.shape[0]}:{zlib.adler32(np.ascontiguousarray(arr).data)};"
        for arr in (net.x, net.y, net.edge_u, net.edge_v, net.edge_time_s)
    )


@dataclass(frozen=True, eq=False)
class ContractedGraph:
    """A network with chains of pass-through nodes contracted.

    Anchors are the nodes where more than one way leads on (junctions, dead ends, and
    where a street's one-way rule or parallel ways change); every other node only passes
    traffic along its street. Each *traversal* walks from an anchor along edges through
    pass-through nodes to the next anchor and becomes one edge between anchors with the
    summed time. Where too few nodes would go (a grid of streets) nothing is contracted
    and every edge is its own traversal.

    Attributes
    ----------
    anchor
        Per network node, whether it is an anchor (bool).
    new_id
        Per network node, its number among the anchors, or -1 (int64).
    trav
        Per network edge, its traversal (int64).
    before, after
        Per network edge, seconds from its traversal's start to the edge's tail, and
        from the edge's head to the traversal's end.
    t_start, t_end
        Per traversal, its first and last node (network node numbers, int64).
    u, v, w
        The contracted edges: tail and head anchors (anchor numbers) and seconds;
        traversals that start and end at one anchor are left out.
    """

    anchor: npt.NDArray[np.bool_]
    new_id: _IArr
    trav: _IArr
    before: _FArr
    after: _FArr
    t_start: _IArr
    t_end: _IArr
    u: _IArr
    v: _IArr
    w: _FArr

    @classmethod
    def build(cls, net: StreetNetwork) -> ContractedGraph:
        """Contract the chains of pass-through nodes of ``net``.

        Parameters
        ----------
        net
            The network (edge times in seconds).

        Returns
        -------
        ContractedGraph
            The contracted graph.
        """
        from . import _dijkstra

        u, v, w = net.edge_u.astype(np.int64), net.edge_v.astype(np.int64), net.edge_time_s
        interior = _dijkstra.interior_nodes(net.n_nodes, u, v)
        if interior.sum() < _MIN_CONTRACTED * net.n_nodes:  # not worth it: every edge stands alone
            m = len(u)
            anchor, trav, t_start, t_end, t_cost = (
                np.ones(net.n_nodes, dtype=bool),
                np.arange(m),
                u,
                v,
                w,
            )
            before = after = np.zeros(m)
        else:
            anchor, trav, before, after, t_start, t_end, t_cost = _dijkstra.contract(
                net.n_nodes, u, v, w, interior
            )
        new_id = np.full(net.n_nodes, -1, dtype=np.int64)
        new_id[anchor] = np.arange(int(anchor.sum()))
        keep = t_start != t_end
        return cls(anchor, new_id, trav, before, after, t_start, t_end,
                   new_id[t_start[keep]], new_id[t_end[keep]], t_cost[keep])  # fmt: skip

    @property
    def n_nodes(self) -> int:
        """Number of anchors (the contracted graph's nodes)."""
        return int(self.anchor.sum())

    def csr(self, *, reverse: bool) -> _CSR:
        """Return ``(indptr, indices, weights)`` with rows = tails (heads if ``reverse``).

        Parameters
        ----------
        reverse
            Rows are heads: searches backwards from destinations.

        Returns
        -------
        tuple of numpy.ndarray
            int64 row pointers, int32 column anchors and float64 seconds.
        """
        from . import _dijkstra

        u, v = (self.v, self.u) if reverse else (self.u, self.v)
        indptr, indices, weights = _dijkstra.csr(self.n_nodes, u, v, self.w)
        return indptr, indices, weights


@dataclass(frozen=True, eq=False)
class PreparedNetwork:
    """A street network made ready for many matrices: built once, reused by each.

    Holds what every travel-time matrix over one network needs before its first
    search: the street-segment index used for snapping and the contracted graph,
    with its compressed sparse rows in each search direction (each built on first
    use, about 25 ms at a million nodes, then kept). Building it takes about 0.5 s
    for a 1,000,000-node grid and well under 0.1 s for a borough; pass it to
    :func:`~estatesplan.travel_times.matrix_from_network` (``prepared=``) to skip
    that work in every call after the first. Matrices are the same, bit for bit,
    with or without it.

    Build it with :meth:`build`. It is immutable apart from that per-direction cache,
    and safe to share between threads (two threads asking for a missing direction at
    once both build it and one copy is kept).

    Attributes
    ----------
    net
        The network prepared.
    index
        Its street-segment index (:class:`~estatesplan.snapping.SegmentIndex`).
    graph
        Its contracted graph.
    fingerprint
        :func:`network_fingerprint` of ``net``.

    Examples
    --------
    >>> from estatesplan.synthetic_network import perturbed_grid, random_points
    >>> from estatesplan.travel_times import PreparedNetwork, matrix_from_network
    >>> net = perturbed_grid(400, seed=0)
    >>> prepared = PreparedNetwork.build(net)
    >>> sites = random_points(net, 3, seed=1, prefix="s")
    >>> for k in range(2):  # e.g. one matrix per scenario, one preparation
    ...     homes = random_points(net, 5, seed=10 + k, prefix="h")
    ...     m = matrix_from_network(net, homes, sites, origin_id="id", destination_id="id",
    ...                             cutoff_min=30, prepared=prepared)
    >>> m.minutes.shape
    (5, 3)
    """

    net: StreetNetwork
    index: SegmentIndex
    graph: ContractedGraph
    fingerprint: str
    _csr: dict[bool, _CSR] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, net: StreetNetwork) -> PreparedNetwork:
        """Index the street segments of ``net`` and contract its graph.

        Parameters
        ----------
        net
            One mode's street network (projected CRS, edge times in seconds).

        Returns
        -------
        PreparedNetwork
            The prepared network.

        Raises
        ------
        NetworkBuildError
            If the network has no edges, or no edge of positive length to snap to.
        """
        t0 = time.perf_counter()
        if net.n_edges == 0:
            msg = f"the {net.mode} network has no edges; check the extract covers the area and has {net.mode} streets"
            raise NetworkBuildError(msg)
        index = SegmentIndex.build(net)
        graph = ContractedGraph.build(net)
        prepared = cls(net, index, graph, network_fingerprint(net))
        logger.info(
            "prepared the %s network (%d nodes, %d anchors, %d contracted edges) in %.3f s",
            net.mode, net.n_nodes, graph.n_nodes, len(graph.w), time.perf_counter() - t0,
        )  # fmt: skip
        return prepared

    def csr(self, *, reverse: bool) -> _CSR:
        """Return the contracted graph as compressed sparse rows, built once per direction.

        Parameters
        ----------
        reverse
            Rows are heads (searches backwards from destinations).

        Returns
        -------
        tuple of numpy.ndarray
            As :meth:`ContractedGraph.csr`; treat as read-only.
        """
        found = self._csr.get(reverse)
        if found is None:
            found = self._csr.setdefault(reverse, self.graph.csr(reverse=reverse))
        return found

    def matches(self, net: StreetNetwork) -> bool:
        """Whether this was prepared from ``net`` (the same object, or equal arrays).

        Parameters
        ----------
        net
            A network.

        Returns
        -------
        bool
            True if ``net`` is the prepared network or has the same fingerprint.
        """
        return net is self.net or (
            net.mode == self.net.mode
            and net.crs == self.net.crs
            and network_fingerprint(net) == self.fingerprint
        )


def _ends(net: StreetNetwork, g: ContractedGraph, s: Snapped) -> tuple[_IArr, _FArr, _IArr, _FArr]:
    """Return (leave anchors, leave costs, arrive anchors, arrive costs), each ``(n, 2)``.

    Leaving: the walk to the street, the rest of the segment towards its head (or its tail
    on a two-way street) and on along the street to the next anchor. Arriving: from the
    anchor behind, along the street and the segment, plus the walk from the street. A
    point on a node may leave and arrive there in any direction. Unusable directions
    have anchor -1 and cost ``inf``. Anchors are numbered as in the contracted graph.
    """
    e, r = s.edge, s.reverse_edge
    two = r >= 0
    rr = np.where(two, r, 0)
    w_f, w_r = net.edge_time_s[e], net.edge_time_s[rr]
    tail, head = net.edge_u[e], net.edge_v[e]
    t, off = s.t, s.offnet_s
    at_tail = ~two & (t == 0.0) & g.anchor[tail]
    at_head = ~two & (t == 1.0) & g.anchor[head]
    leave_node = np.column_stack(
        (g.t_end[g.trav[e]], np.where(two, g.t_end[g.trav[rr]], np.where(at_tail, tail, -1)))
    )
    leave_cost = np.column_stack((
        off + (1.0 - t) * w_f + g.after[e],
        np.where(two, off + t * w_r + g.after[rr], np.where(at_tail, off, np.inf)),
    ))  # fmt: skip
    arrive_node = np.column_stack(
        (g.t_start[g.trav[e]], np.where(two, g.t_start[g.trav[rr]], np.where(at_head, head, -1)))
    )
    arrive_cost = np.column_stack((
        g.before[e] + t * w_f + off,
        np.where(two, g.before[rr] + (1.0 - t) * w_r + off, np.where(at_head, off, np.inf)),
    ))  # fmt: skip
    leave = np.where(leave_node >= 0, g.new_id[np.maximum(leave_node, 0)], -1)
    arrive = np.where(arrive_node >= 0, g.new_id[np.maximum(arrive_node, 0)], -1)
    return leave, leave_cost, arrive, arrive_cost


def _along(net: StreetNetwork, g: ContractedGraph, s: Snapped) -> tuple[_IArr, _IArr, _FArr]:
    """Return (point, traversal, position in seconds from the traversal's start) for each
    traversal a point lies on (one per direction its segment may be travelled)."""
    e, r = s.edge, s.reverse_edge
    two = np.flatnonzero(r >= 0)
    idx = np.concatenate((np.arange(len(s)), two))
    trav = np.concatenate((g.trav[e], g.trav[r[two]]))
    pos = np.concatenate((
        g.before[e] + s.t * net.edge_time_s[e],
        g.before[r[two]] + (1.0 - s.t[two]) * net.edge_time_s[r[two]],
    ))  # fmt: skip
    return idx, trav, pos


def _direct(
    net: StreetNetwork, g: ContractedGraph, o: Snapped, d: Snapped
) -> tuple[_IArr, _IArr, _FArr]:
    """Return (origin, destination, seconds) for pairs on one traversal with the destination
    ahead: the trip straight along the street, through no anchor."""
    oi, ot, op = _along(net, g, o)
    di, dt, dp = _along(net, g, d)
    order = np.argsort(dt, kind="stable")
    lo = np.searchsorted(dt[order], ot, side="left")
    count = np.searchsorted(dt[order], ot, side="right") - lo
    first = np.repeat(lo - (np.cumsum(count) - count), count)
    k = order[first + np.arange(int(count.sum()))]  # every destination entry on the same traversal
    m = np.repeat(np.arange(len(ot)), count)
    ahead = dp[k] >= op[m]
    i, j, along = oi[m[ahead]], di[k[ahead]], dp[k[ahead]] - op[m[ahead]]
    return i, j, o.offnet_s[i] + along + d.offnet_s[j]


def _subset(s: Snapped, idx: _IArr) -> Snapped:
    return Snapped(
        s.edge[idx], s.reverse_edge[idx], s.t[idx], s.x[idx], s.y[idx], s.distance_m[idx],
        s.offnet_s[idx], s.flagged[idx], s.max_distance_m, s.walk_speed_kmh,
    )  # fmt: skip


def route(
    net: StreetNetwork | PreparedNetwork,
    o: Snapped,
    d: Snapped,
    *,
    cutoff_s: float,
    chunk_size: int | None,
    sink: Any,
    progress: Progress | None = None,
    queue: str = "auto",
) -> dict[str, Any]:
    """Compute seconds for every (unflagged) origin × destination and pass them on in chunks.

    One search per point of the smaller side: from each origin on the graph, or from
    each destination on the reversed graph. ``sink(rows, cols, seconds)`` receives
    float64 blocks: ``rows`` and ``cols`` index ``o`` and ``d``; ``seconds`` is exact
    up to the cut-off, ``inf`` where no route is found within it (and may exceed it a
    little: callers apply it).

    Parameters
    ----------
    net
        The network, or the network prepared (its contracted graph is then reused
        instead of built for this call).
    o, d
        The snapped origins and destinations.
    cutoff_s
        Searches stop beyond this, in seconds (``inf`` for none).
    chunk_size
        Searches per chunk (``None``: about 32 MiB of working matrix per chunk).
    sink
        Called with each chunk's block.
    progress
        Optional callback ``(done, total, label)``, called after each chunk.
    queue
        Force the search's priority queue (``"heap"`` or ``"buckets"``; tests).

    Returns
    -------
    dict
        ``direction``, ``searches`` and, when anything was searched, ``chunk_size``,
        ``nodes`` and ``edges`` of the contracted graph and ``prepare_s`` (seconds
        spent preparing the graph in this call; 0 when prepared beforehand).
    """
    from . import _dijkstra

    if isinstance(net, PreparedNetwork):
        prepared, street = net, net.net
    else:
        prepared, street = None, net
    oi = np.flatnonzero(~o.flagged)
    di = np.flatnonzero(~d.flagged)
    forward = len(oi) <= len(di)
    info: dict[str, Any] = {"direction": "forward" if forward else "reverse", "searches": 0}
    if len(oi) == 0 or len(di) == 0:
        return info
    t0 = time.perf_counter()
    if prepared is None:
        g = ContractedGraph.build(street)
        indptr, indices, weights = g.csr(reverse=not forward)
    else:
        g = prepared.graph
        indptr, indices, weights = prepared.csr(reverse=not forward)
    prepare_s = time.perf_counter() - t0 if prepared is None else 0.0
    o_sub, d_sub = _subset(o, oi), _subset(d, di)
    o_leave_n, o_leave_c, _, _ = _ends(street, g, o_sub)
    _, _, d_arrive_n, d_arrive_c = _ends(street, g, d_sub)
    si, sj, direct = _direct(street, g, o_sub, d_sub)
    if forward:
        src, tgt = oi, di
        seed_n, seed_c, exit_n, exit_c = o_leave_n, o_leave_c, d_arrive_n, d_arrive_c
        direct_s, direct_t = si, sj
    else:
        src, tgt = di, oi
        seed_n, seed_c, exit_n, exit_c = d_arrive_n, d_arrive_c, o_leave_n, o_leave_c
        direct_s, direct_t = sj, si
    min_exit = float(np.min(exit_c)) if np.isfinite(exit_c).any() else math.inf
    limit = cutoff_s - min_exit
    limit += 1e-9 * max(1.0, abs(limit)) if math.isfinite(limit) else 0.0
    n_src = len(src)
    step = chunk_size or max(1, min(n_src, _CHUNK_CELLS // max(len(tgt), 1)))
    order = np.argsort(direct_s, kind="stable")
    direct_s, direct_t, direct = direct_s[order], direct_t[order], direct[order]
    n_chunks = -(-n_src // step)
    for k, start in enumerate(range(0, n_src, step)):
        stop = min(start + step, n_src)
        out = np.empty((stop - start, len(tgt)), dtype=np.float64)
        _dijkstra.many_to_many(
            indptr, indices, weights, np.ascontiguousarray(seed_n[start:stop], dtype=np.int32),
            np.ascontiguousarray(seed_c[start:stop]), exit_n.astype(np.int32), exit_c, limit=limit, out=out,
            queue=queue,
        )  # fmt: skip
        lo, hi = np.searchsorted(direct_s, [start, stop])
        if hi > lo:
            np.minimum.at(out, (direct_s[lo:hi] - start, direct_t[lo:hi]), direct[lo:hi])
        if forward:
            sink(src[start:stop], tgt, out)
        else:
            sink(tgt, src[start:stop], out.T)
        if progress is not None:
            progress(k + 1, n_chunks, f"{street.mode} matrix")
    info.update(searches=n_src, chunk_size=step, nodes=g.n_nodes, edges=len(g.w),
                prepare_s=round(prepare_s, 4))  # fmt: skip
    return info

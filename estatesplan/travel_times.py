"""Origin × destination travel-time matrices over one mode's street network, exact and fast.

Notes
-----
**What a time means.** For an origin point *o* and a destination point *d*, both
snapped to their nearest street segment (:mod:`estatesplan.snapping`), the time is

1. the straight walk from *o* to its snap point, at walking speed (``walk_speed_kmh``,
   whatever the mode: people walk to the street, the bicycle or the car);
2. the part of *o*'s segment from the snap point to the segment's head (at that
   edge's time per unit length), or to its tail where the street is two-way (the
   reverse edge's time);
3. the shortest path over the network between those nodes (edge times, seconds);
4. the part of *d*'s segment from the node where the path joins it to the snap
   point, in a direction the street allows;
5. the straight walk from the snap point to *d*.

When *o* and *d* are on the same segment, travelling directly along it counts too
(forward when *d* lies ahead of *o*, backward on a two-way street); the result is the
least of every option. A point that projects onto a segment's end is at that node and
may leave or arrive there in any direction. Times are computed in float64 seconds and
returned in minutes as float32. A pair is reachable when its time in minutes is at
most ``cutoff_min``; others, and every row or column of a point flagged by snapping
(further than ``max_snap_m`` from the network), are NaN.

**How.** One Dijkstra search per point on the *smaller* side: from each origin on the
graph, or from each destination on the reversed graph when destinations are fewer.
Chains of nodes that only pass traffic along a street (most nodes of an unsimplified
OSM network: about 70 % in Camden) are first contracted into single edges between
*anchors* (junctions, dead ends), keeping for each original edge its place along its
chain; trips between points on one chain are also taken straight along it. Each search
starts from the anchors at the ends of the point's street with their partial costs (no
virtual nodes), stops as soon as every anchor through which a target can be reached is
settled or nothing within the cut-off is left, and runs in compiled code (numba) over
compressed sparse rows, in parallel over searches. The priority queue is a 4-ary heap,
or buckets of width just under the shortest edge where that spans few buckets (Dial's
algorithm: exact for real weights, twice as fast on a grid of streets). Sources are
processed in chunks so memory stays bounded (``chunk_size`` searches × the other side ×
8 bytes, plus the float32 result).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._io import atomic_path, check_input_file
from .errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    MissingColumnError,
    NetworkBuildError,
)
from .snapping import SegmentIndex, Snapped, points_xy
from .validate import format_ids

if TYPE_CHECKING:
    import os

    import geopandas as gpd

    from .graph import StreetNetwork
    from .progress import Progress

__all__ = ["TravelTimeMatrix", "matrix_from_network"]

logger = logging.getLogger(__name__)

_META_KEY: Final = b"estatesplan:travel_time_matrix"
_FORMAT: Final = 1
_CHUNK_CELLS: Final = 1 << 22
"""Default chunk: about this many float64 cells (32 MiB) of working matrix."""
_MIN_CONTRACTED: Final = 0.05
"""Contract chains of pass-through nodes when at least this share of nodes would go (OSM
walk and drive networks: about 70 %; a grid of streets: about 1 %)."""

_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class TravelTimeMatrix:
    """Travel times from every origin to every destination for one mode.

    Attributes
    ----------
    mode
        ``"walk"``, ``"cycle"`` or ``"drive"`` (the network's mode).
    origin_ids, destination_ids
        Ids (str, object arrays) in row and column order.
    minutes
        ``(n_origins, n_destinations)`` float32 travel times in minutes; NaN where
        the time exceeds ``cutoff_min``, the pair is unreachable, or a point was
        flagged by snapping.
    cutoff_min
        The cut-off in minutes.
    metadata
        ``digest`` (SHA-256 of the points, settings and a network fingerprint), ``settings``,
        ``network`` (the network's build report), ``flagged_origins`` and
        ``flagged_destinations`` (ids), ``search`` (direction, counts, seconds).
    """

    mode: str
    origin_ids: npt.NDArray[np.object_]
    destination_ids: npt.NDArray[np.object_]
    minutes: npt.NDArray[np.float32]
    cutoff_min: float
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_long(self) -> pd.DataFrame:
        """Return the reachable pairs as a long table.

        Returns
        -------
        pandas.DataFrame
            Columns ``origin_id``, ``destination_id`` (str) and ``minutes``
            (float32), one row per reachable pair, origins then destinations in
            matrix order; a 0..n-1 RangeIndex.
        """
        i, j = np.nonzero(np.isfinite(self.minutes))
        return pd.DataFrame(
            {
                "origin_id": pd.Series(self.origin_ids[i], dtype="str"),
                "destination_id": pd.Series(self.destination_ids[j], dtype="str"),
                "minutes": self.minutes[i, j],
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the matrix as a wide table.

        Returns
        -------
        pandas.DataFrame
            Index ``origin_id``, one float32 column per destination id, minutes
            (NaN beyond the cut-off or unreachable).
        """
        return pd.DataFrame(
            self.minutes,
            index=pd.Index(self.origin_ids, name="origin_id", dtype="str"),
            columns=pd.Index(self.destination_ids, name="destination_id", dtype="str"),
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the matrix as Parquet, atomically.

        The file is the long table of :meth:`to_long` (``origin_id`` and
        ``destination_id`` dictionary-encoded, so pandas reads them as categoricals);
        the id orders, mode, cut-off and metadata travel in the Parquet schema
        metadata, so :meth:`load` restores the matrix exactly.

        Parameters
        ----------
        path
            Target file (``.parquet``).

        Returns
        -------
        Path
            ``path``.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        i, j = np.nonzero(np.isfinite(self.minutes))
        header = {
            "format": _FORMAT,
            "mode": self.mode,
            "cutoff_min": float(self.cutoff_min),
            "origin_ids": [str(x) for x in self.origin_ids],
            "destination_ids": [str(x) for x in self.destination_ids],
            "metadata": self.metadata,
        }
        table = pa.table(
            {
                "origin_id": pa.DictionaryArray.from_arrays(
                    pa.array(i.astype(np.int32)), pa.array(header["origin_ids"], pa.string())
                ),
                "destination_id": pa.DictionaryArray.from_arrays(
                    pa.array(j.astype(np.int32)), pa.array(header["destination_ids"], pa.string())
                ),
                "minutes": pa.array(self.minutes[i, j], pa.float32()),
            }
        )
        text = json.dumps(header, default=_json_default, allow_nan=True)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), _META_KEY: text.encode()}
        )
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TravelTimeMatrix:
        """Read a matrix written by :meth:`save`.

        Parameters
        ----------
        path
            The Parquet file.

        Returns
        -------
        TravelTimeMatrix
            Equal, value for value, to the one saved.

        Raises
        ------
        DataSourceError
            If the file is missing, empty, not Parquet, or not a travel-time matrix
            written by estatesplan (or is damaged).
        """
        import pyarrow.parquet as pq

        p = check_input_file(path, what="travel-time matrix")
        try:
            table = pq.read_table(p)
        except Exception as err:
            msg = f"{p}: cannot read as Parquet ({err}); rebuild the matrix"
            raise DataSourceError(msg) from err
        raw = (table.schema.metadata or {}).get(_META_KEY)
        if raw is None:
            msg = f"{p}: not an estatesplan travel-time matrix (no '{_META_KEY.decode()}' metadata); write it with TravelTimeMatrix.save"
            raise DataSourceError(msg)
        try:
            header = json.loads(raw)
            if header.get("format") != _FORMAT:
                msg = f"unknown format {header.get('format')!r}"
                raise ValueError(msg)
            origin_ids = np.array([str(x) for x in header["origin_ids"]], dtype=object)
            destination_ids = np.array([str(x) for x in header["destination_ids"]], dtype=object)
            i = _codes(table.column("origin_id"), origin_ids)
            j = _codes(table.column("destination_id"), destination_ids)
            values = table.column("minutes").to_numpy().astype(np.float32)
            if (i < 0).any() or (j < 0).any():
                msg = "pairs name ids missing from the stored id orders"
                raise ValueError(msg)
            if not (np.isfinite(values).all() and (values >= 0).all()):
                msg = "minutes must be finite and non-negative"
                raise ValueError(msg)
            minutes = np.full((len(origin_ids), len(destination_ids)), np.nan, dtype=np.float32)
            minutes[i, j] = values
            return cls(
                mode=str(header["mode"]),
                origin_ids=origin_ids,
                destination_ids=destination_ids,
                minutes=minutes,
                cutoff_min=float(header["cutoff_min"]),
                metadata=dict(header.get("metadata") or {}),
            )
        except (ValueError, KeyError, TypeError, IndexError) as err:
            msg = f"{p}: damaged travel-time matrix ({err}); rebuild it"
            raise DataSourceError(msg) from err


def _codes(column: Any, ids: npt.NDArray[np.object_]) -> _IArr:
    """Return, per row of an Arrow column of ids, the position of the id in ``ids`` (-1 if absent)."""
    import pyarrow as pa

    index = pd.Index(ids, dtype="str")
    parts = []
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            lookup = index.get_indexer(pd.Index(chunk.dictionary.to_pylist(), dtype="str"))
            codes = chunk.indices.to_numpy(zero_copy_only=False)
            if chunk.null_count:
                msg = "ids must not be null"
                raise ValueError(msg)
            parts.append(lookup[codes.astype(np.int64)])
        else:
            parts.append(index.get_indexer(pd.Index(chunk.to_pylist(), dtype="str")))
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _ids(points: gpd.GeoDataFrame, column: str, what: str) -> npt.NDArray[np.object_]:
    if column not in points.columns:
        msg = f"{what}: id column {column!r} not found (columns: {format_ids(points.columns)}); name the right one"
        raise MissingColumnError(msg)
    raw = points[column].tolist()
    missing = sum(
        1 for x in raw if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))
    )
    if missing:
        msg = f"{what}: {missing} rows have no {column!r}; every row needs an id"
        raise DataContractError(msg)
    ids = np.array([str(x) for x in raw], dtype=object)
    if len(set(raw)) != len(ids) or len(set(ids.tolist())) != len(ids):
        uniq, counts = np.unique(ids, return_counts=True)
        msg = f"{what}: {column!r} must be unique; repeated: {format_ids(uniq[counts > 1])}"
        raise DuplicateIdError(msg)
    return ids


@dataclass(frozen=True, eq=False)
class _Graph:
    """The network with chains of pass-through nodes contracted (internal).

    Anchors are the nodes where more than one way leads on (junctions, dead ends, and
    where a street's one-way rule or parallel ways change); every other node only passes
    traffic along its street. Each *traversal* walks from an anchor along edges through
    pass-through nodes to the next anchor and becomes one edge between anchors with the
    summed time. Per original edge: its traversal, and the time from the traversal's
    start to the edge's tail (``before``) and from its head to the end (``after``).
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
    def build(cls, net: StreetNetwork) -> _Graph:
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
        return int(self.anchor.sum())

    def csr(self, *, reverse: bool) -> tuple[_IArr, npt.NDArray[np.int32], _FArr]:
        """(indptr, indices, weights) with rows = tails (heads if ``reverse``)."""
        from . import _dijkstra

        u, v = (self.v, self.u) if reverse else (self.u, self.v)
        indptr, indices, weights = _dijkstra.csr(self.n_nodes, u, v, self.w)
        return indptr, indices, weights


def _ends(net: StreetNetwork, g: _Graph, s: Snapped) -> tuple[_IArr, _FArr, _IArr, _FArr]:
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


def _along(net: StreetNetwork, g: _Graph, s: Snapped) -> tuple[_IArr, _IArr, _FArr]:
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


def _direct(net: StreetNetwork, g: _Graph, o: Snapped, d: Snapped) -> tuple[_IArr, _IArr, _FArr]:
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


def _route(
    net: StreetNetwork,
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

    ``sink(rows, cols, seconds)`` receives float64 blocks: ``rows`` and ``cols`` index
    ``o`` and ``d``; ``seconds`` is exact up to the cut-off, ``inf`` where no route is
    found within it (and may exceed it a little: callers apply it). ``queue`` forces
    the search's priority queue (tests).
    """
    from . import _dijkstra

    oi = np.flatnonzero(~o.flagged)
    di = np.flatnonzero(~d.flagged)
    forward = len(oi) <= len(di)
    info: dict[str, Any] = {"direction": "forward" if forward else "reverse", "searches": 0}
    if len(oi) == 0 or len(di) == 0:
        return info
    g = _Graph.build(net)
    o_sub, d_sub = _subset(o, oi), _subset(d, di)
    o_leave_n, o_leave_c, _, _ = _ends(net, g, o_sub)
    _, _, d_arrive_n, d_arrive_c = _ends(net, g, d_sub)
    si, sj, direct = _direct(net, g, o_sub, d_sub)
    if forward:
        src, tgt = oi, di
        seed_n, seed_c, exit_n, exit_c = o_leave_n, o_leave_c, d_arrive_n, d_arrive_c
        direct_s, direct_t = si, sj
    else:
        src, tgt = di, oi
        seed_n, seed_c, exit_n, exit_c = d_arrive_n, d_arrive_c, o_leave_n, o_leave_c
        direct_s, direct_t = sj, si
    indptr, indices, weights = g.csr(reverse=not forward)
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
            progress(k + 1, n_chunks, f"{net.mode} matrix")
    info.update(searches=n_src, chunk_size=step, nodes=g.n_nodes, edges=len(g.w))
    return info


def _subset(s: Snapped, idx: _IArr) -> Snapped:
    return Snapped(
        s.edge[idx], s.reverse_edge[idx], s.t[idx], s.x[idx], s.y[idx], s.distance_m[idx],
        s.offnet_s[idx], s.flagged[idx], s.max_distance_m, s.walk_speed_kmh,
    )  # fmt: skip


def _is_range(idx: _IArr) -> bool:
    return (
        len(idx) > 0
        and int(idx[-1]) - int(idx[0]) + 1 == len(idx)
        and bool((np.diff(idx) == 1).all())
    )


def _digest(net: StreetNetwork, parts: list[Any], settings: dict[str, Any]) -> str:
    """SHA-256 of the points and settings, and of Adler-32 checksums of the network's
    arrays (a fingerprint, several times faster to take than a hash of megabytes)."""
    h = hashlib.sha256()
    for arr in (net.x, net.y, net.edge_u, net.edge_v, net.edge_time_s):
        h.update(f"{arr.shape[0]}:{zlib.adler32(np.ascontiguousarray(arr).data)};".encode())
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype == object:
            h.update("\x1f".join(part.tolist()).encode())
        else:
            h.update(np.ascontiguousarray(part).tobytes())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()


def matrix_from_network(
    net: StreetNetwork,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    origin_id: str,
    destination_id: str,
    cutoff_min: float,
    max_snap_m: float = 500.0,
    walk_speed_kmh: float = 4.8,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    strict: bool = False,
) -> TravelTimeMatrix:
    """Compute the travel-time matrix from every origin to every destination over ``net``.

    See the module Notes for exactly what a time includes.

    Parameters
    ----------
    net
        One mode's street network (edge times in seconds, projected CRS).
    origins, destinations
        Point or polygon layers in any CRS (reprojected to ``net.crs``); polygons
        route from their representative point, or from ``route_x``/``route_y``
        when the layer has them (zones' routing points).
    origin_id, destination_id
        Id columns (unique; used as str).
    cutoff_min
        Longer trips are NaN, in minutes; must be positive (``inf`` for none).
    max_snap_m
        Points further than this from the network are flagged (NaN rows or
        columns and a :class:`~estatesplan.errors.DataQualityWarning`), in metres.
    walk_speed_kmh
        Walking speed between each point and the street, in km/h.
    chunk_size
        Searches per chunk (default: about 32 MiB of working matrix per chunk).
    progress
        Optional callback ``(done, total, label)``, called after each chunk.
    strict
        Raise instead of warning when points are flagged.

    Returns
    -------
    TravelTimeMatrix
        ``minutes`` float32, origins in rows and destinations in columns, in the
        layers' row order.

    Raises
    ------
    ConfigError
        If the cut-off is not positive, or another setting is out of range.
    CrsError
        If a layer has no CRS.
    MissingColumnError, DuplicateIdError, DataContractError
        If an id column is missing, repeated or has empty values.
    GeometryError
        If a row has no location.
    NetworkBuildError
        If the network has no edges.
    DataContractError
        With ``strict=True``, if a point is further than ``max_snap_m`` from the network.
    """
    t0 = time.perf_counter()
    try:
        cutoff = float(cutoff_min)
    except (TypeError, ValueError):
        cutoff = math.nan
    if not cutoff > 0:
        msg = f"the cut-off must be a positive number of minutes, got {cutoff_min!r}"
        raise ConfigError(msg)
    if chunk_size is not None and not (int(chunk_size) == chunk_size and chunk_size >= 1):
        msg = f"chunk_size must be a positive whole number of searches or None, got {chunk_size!r}"
        raise ConfigError(msg)
    if net.n_edges == 0:
        msg = f"the {net.mode} network has no edges; check the extract covers the area and has {net.mode} streets"
        raise NetworkBuildError(msg)
    o_ids = _ids(origins, origin_id, "origins")
    d_ids = _ids(destinations, destination_id, "destinations")
    o_xy = points_xy(origins, net.crs, ids=o_ids, what="origins")
    d_xy = points_xy(destinations, net.crs, ids=d_ids, what="destinations")
    index = SegmentIndex.build(net)
    o = index.snap(o_xy, max_distance_m=max_snap_m, walk_speed_kmh=walk_speed_kmh)
    d = index.snap(d_xy, max_distance_m=max_snap_m, walk_speed_kmh=walk_speed_kmh)
    t_snap = time.perf_counter() - t0
    flagged_o, flagged_d = o_ids[o.flagged].tolist(), d_ids[d.flagged].tolist()
    if flagged_o or flagged_d:
        parts = [
            f"{len(ids)} {what} ({format_ids(ids)})"
            for ids, what in ((flagged_o, "origins"), (flagged_d, "destinations")) if ids
        ]  # fmt: skip
        msg = (
            f"{' and '.join(parts)} are further than {max_snap_m:g} m from the {net.mode} network "
            f"(furthest {max(o.distance_m.max(initial=0), d.distance_m.max(initial=0)):,.0f} m); "
            "their times are NaN. Check their location and CRS, or raise max_snap_m"
        )
        if strict:
            raise DataContractError(msg)
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    minutes = np.full((len(o_ids), len(d_ids)), np.nan, dtype=np.float32)

    def sink(rows: _IArr, cols: _IArr, seconds: _FArr) -> None:
        m = seconds / 60.0
        block = np.where(m <= cutoff, m, np.nan).astype(np.float32)
        if _is_range(rows) and _is_range(cols):  # no flagged points: a plain slice, much faster
            minutes[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] = block
        else:
            minutes[np.ix_(rows, cols)] = block

    t1 = time.perf_counter()
    info = _route(net, o, d, cutoff_s=cutoff * 60.0, chunk_size=chunk_size, sink=sink,
                  progress=progress)  # fmt: skip
    info.update(snap_s=round(t_snap, 4), search_s=round(time.perf_counter() - t1, 4))
    settings = {
        "mode": net.mode, "crs": net.crs, "cutoff_min": cutoff, "max_snap_m": float(max_snap_m),
        "walk_speed_kmh": float(walk_speed_kmh),
    }  # fmt: skip
    digest = _digest(net, [o_ids, o_xy, d_ids, d_xy], settings)
    reached = int(np.isfinite(minutes).sum())
    logger.info(
        "%s matrix: %d origins × %d destinations, %d pairs within %g min, %d searches (%s) in %.2f s",
        net.mode, len(o_ids), len(d_ids), reached, cutoff, info["searches"], info["direction"],
        time.perf_counter() - t0,
    )  # fmt: skip
    return TravelTimeMatrix(
        mode=net.mode,
        origin_ids=o_ids,
        destination_ids=d_ids,
        minutes=minutes,
        cutoff_min=cutoff,
        metadata={
            "digest": digest,
            "settings": settings,
            "network": dict(net.report),
            "flagged_origins": flagged_o,
            "flagged_destinations": flagged_d,
            "search": info,
        },
    )

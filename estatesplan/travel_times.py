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
Chains of nodes that only pass traffic along a street are first contracted into single
edges between junctions (:mod:`estatesplan._routing`). Each search starts from the
junctions at the ends of the point's street with their partial costs, stops as soon as
every junction through which a target can be reached is settled or nothing within the
cut-off is left, and runs in compiled code (numba) over compressed sparse rows, in
parallel over searches. The priority queue is a 4-ary heap, or buckets of width just
under the shortest edge where that spans few buckets (Dial's algorithm: exact for real
weights, twice as fast on a grid of streets). Sources are processed in chunks so memory
stays bounded (``chunk_size`` searches × the other side × 8 bytes, plus the float32
result).

**Preparing once.** The snapping index and the contracted graph depend on the network
alone. :class:`PreparedNetwork` builds them once (about 0.5 s for a million nodes);
pass it as ``prepared=`` to compute many matrices over one network without rebuilding
them (one per scenario; :func:`estatesplan.distributed.matrix_dask` keeps one per Dask
worker). The matrices are the same, bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._routing import PreparedNetwork
from ._routing import route as _route
from ._routing_matrix import TravelTimeMatrix
from .errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    DuplicateIdError,
    MissingColumnError,
    NetworkBuildError,
)
from .snapping import points_xy
from .validate import format_ids

if TYPE_CHECKING:
    import geopandas as gpd

    from .graph import StreetNetwork
    from .progress import Progress

__all__ = [
    "PreparedNetwork",
    "TravelTimeMatrix",
    "flagged_points_message",
    "matrix_digest",
    "matrix_from_network",
    "point_ids",
    "warn_flagged_points",
]

logger = logging.getLogger(__name__)

_FArr = npt.NDArray[np.float64]
_IArr = npt.NDArray[np.int64]


def point_ids(
    points: gpd.GeoDataFrame, column: str, *, what: str = "points"
) -> npt.NDArray[np.object_]:
    """Return a layer's ids as strings, checked present and unique.

    Parameters
    ----------
    points
        The layer (any frame with the id column).
    column
        The id column.
    what
        What the layer holds, for messages (e.g. ``"origins"``).

    Returns
    -------
    numpy.ndarray
        The ids as str (object array), in row order.

    Raises
    ------
    MissingColumnError
        If ``column`` is not in the layer.
    DataContractError
        If a row has no id (None, NA or NaN).
    DuplicateIdError
        If an id repeats (as given, or once written as text).
    """
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


def matrix_digest(
    net: StreetNetwork | PreparedNetwork,
    origin_ids: npt.NDArray[np.object_],
    origin_xy: npt.NDArray[np.float64],
    destination_ids: npt.NDArray[np.object_],
    destination_xy: npt.NDArray[np.float64],
    settings: Mapping[str, Any],
) -> str:
    """Return the digest that identifies a matrix: its network, points and settings.

    The SHA-256 of the network's fingerprint
    (:func:`~estatesplan._routing.network_fingerprint`: Adler-32 checksums of its
    coordinates, edges and times), the ids and coordinates of both sides, and the
    settings. :func:`matrix_from_network` stores it as ``metadata["digest"]``; a
    matrix stitched from chunks gets the digest of the whole.

    Parameters
    ----------
    net
        The network, or the network prepared (its fingerprint is then reused).
    origin_ids, destination_ids
        Ids as str (:func:`point_ids`), in row and column order.
    origin_xy, destination_xy
        ``(n, 2)`` routing points in the network's CRS, metres
        (:func:`~estatesplan.snapping.points_xy`).
    settings
        The settings recorded in the matrix's metadata (JSON-serialisable).

    Returns
    -------
    str
        64 hex characters.
    """
    from ._routing import network_fingerprint

    fingerprint = net.fingerprint if isinstance(net, PreparedNetwork) else network_fingerprint(net)
    h = hashlib.sha256(fingerprint.encode())
    for part in (origin_ids, origin_xy, destination_ids, destination_xy):
        if isinstance(part, np.ndarray) and part.dtype == object:
            h.update("\x1f".join(part.tolist()).encode())
        else:
            h.update(np.ascontiguousarray(part).tobytes())
    h.update(json.dumps(dict(settings), sort_keys=True, default=str).encode())
    return h.hexdigest()


def flagged_points_message(
    mode: str,
    flagged_origins: Sequence[str],
    flagged_destinations: Sequence[str],
    *,
    max_snap_m: float | None,
    furthest_m: float | None = None,
) -> str | None:
    """Return what to tell the user about points too far from the network, if any.

    The one wording of the flagged-point warning (and of the error with
    ``strict=True``), wherever a matrix is built or read back.

    Parameters
    ----------
    mode
        The network's mode.
    flagged_origins, flagged_destinations
        Ids of the points further than ``max_snap_m`` from the network.
    max_snap_m
        The snapping distance, in metres (``None``: not known).
    furthest_m
        The largest distance from a point to the network, in metres (``None``: not
        known; then not stated).

    Returns
    -------
    str or None
        The message, or None when no point is flagged.
    """
    parts = [
        f"{len(ids)} {what} ({format_ids(ids)})"
        for ids, what in ((flagged_origins, "origins"), (flagged_destinations, "destinations"))
        if len(ids)
    ]
    if not parts:
        return None
    limit = f"{max_snap_m:g} m" if max_snap_m is not None else "the snapping distance"
    furthest = f" (furthest {furthest_m:,.0f} m)" if furthest_m is not None else ""
    return (
        f"{' and '.join(parts)} are further than {limit} from the {mode} network{furthest}; "
        "their times are NaN. Check their location and CRS, raise max_snap_m, or use an "
        "extract that reaches them"
    )


def warn_flagged_points(matrix: TravelTimeMatrix, *, stacklevel: int = 2) -> None:
    """Warn about the points a matrix records as too far from the network.

    Reads ``flagged_origins``, ``flagged_destinations``, ``settings["max_snap_m"]``
    and ``furthest_snap_m`` from ``matrix.metadata``, so a matrix read back from a
    cache, or stitched from chunks, warns as the freshly built one did. Does nothing
    when no point is flagged.

    Parameters
    ----------
    matrix
        The matrix.
    stacklevel
        As for :func:`warnings.warn`, counted from the caller of this function (2:
        the warning names the caller's caller).

    Warns
    -----
    DataQualityWarning
        Naming the flagged points (see :func:`flagged_points_message`).
    """
    meta = matrix.metadata
    settings = meta.get("settings")
    snap = settings.get("max_snap_m") if isinstance(settings, dict) else None
    furthest = meta.get("furthest_snap_m")
    msg = flagged_points_message(
        str(matrix.mode),
        [str(x) for x in meta.get("flagged_origins") or []],
        [str(x) for x in meta.get("flagged_destinations") or []],
        max_snap_m=float(snap) if snap is not None else None,
        furthest_m=float(furthest) if furthest is not None else None,
    )
    if msg is not None:
        warnings.warn(msg, DataQualityWarning, stacklevel=stacklevel + 1)


def _is_range(idx: _IArr) -> bool:
    return (
        len(idx) > 0
        and int(idx[-1]) - int(idx[0]) + 1 == len(idx)
        and bool((np.diff(idx) == 1).all())
    )


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
    prepared: PreparedNetwork | None = None,
    warn: bool = True,
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
    prepared
        ``net`` prepared beforehand with :meth:`PreparedNetwork.build`, to reuse its
        snapping index and contracted graph (for many matrices over one network).
        ``None``: prepared for this call.
    warn
        Warn about flagged points. ``False``: only record them in the metadata, for
        callers that warn once themselves with :func:`warn_flagged_points` (a
        cached matrix, or one stitched from chunks).

    Returns
    -------
    TravelTimeMatrix
        ``minutes`` float32, origins in rows and destinations in columns, in the
        layers' row order. ``metadata`` holds ``digest`` (:func:`matrix_digest`),
        ``settings``, ``network`` (the build report), ``flagged_origins`` and
        ``flagged_destinations`` (ids), ``furthest_snap_m`` (the largest distance
        from a point to the network, metres) and ``search`` (direction, counts and
        seconds: ``prepare_s`` preparing the network, ``snap_s`` snapping,
        ``search_s`` searching).

    Raises
    ------
    ConfigError
        If the cut-off is not positive, another setting is out of range, or
        ``prepared`` was built from another network.
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
    if prepared is not None and not prepared.matches(net):
        msg = (
            f"prepared= was built from another network than the {net.mode} network given; "
            "build it with PreparedNetwork.build(net) from this network"
        )
        raise ConfigError(msg)
    o_ids = point_ids(origins, origin_id, what="origins")
    d_ids = point_ids(destinations, destination_id, what="destinations")
    o_xy = points_xy(origins, net.crs, ids=o_ids, what="origins")
    d_xy = points_xy(destinations, net.crs, ids=d_ids, what="destinations")
    t_prep = time.perf_counter()
    prep = prepared if prepared is not None else PreparedNetwork.build(net)
    t_prep = time.perf_counter() - t_prep if prepared is None else 0.0
    t1 = time.perf_counter()
    o = prep.index.snap(o_xy, max_distance_m=max_snap_m, walk_speed_kmh=walk_speed_kmh)
    d = prep.index.snap(d_xy, max_distance_m=max_snap_m, walk_speed_kmh=walk_speed_kmh)
    t_snap = time.perf_counter() - t1
    flagged_o, flagged_d = o_ids[o.flagged].tolist(), d_ids[d.flagged].tolist()
    furthest = float(max(o.distance_m.max(initial=0.0), d.distance_m.max(initial=0.0)))
    if strict and (flagged_o or flagged_d):
        msg = str(flagged_points_message(net.mode, flagged_o, flagged_d, max_snap_m=max_snap_m,
                                         furthest_m=furthest))  # fmt: skip
        raise DataContractError(msg)
    minutes = np.full((len(o_ids), len(d_ids)), np.nan, dtype=np.float32)

    def sink(rows: _IArr, cols: _IArr, seconds: _FArr) -> None:
        m = seconds / 60.0
        block = np.where(m <= cutoff, m, np.nan).astype(np.float32)
        if _is_range(rows) and _is_range(cols):  # no flagged points: a plain slice, much faster
            minutes[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] = block
        else:
            minutes[np.ix_(rows, cols)] = block

    t1 = time.perf_counter()
    info = _route(prep, o, d, cutoff_s=cutoff * 60.0, chunk_size=chunk_size, sink=sink,
                  progress=progress)  # fmt: skip
    info.update(prepare_s=round(t_prep, 4), snap_s=round(t_snap, 4),
                search_s=round(time.perf_counter() - t1, 4))  # fmt: skip
    settings = {
        "mode": net.mode, "crs": net.crs, "cutoff_min": cutoff, "max_snap_m": float(max_snap_m),
        "walk_speed_kmh": float(walk_speed_kmh),
    }  # fmt: skip
    reached = int(np.isfinite(minutes).sum())
    logger.info(
        "%s matrix: %d origins × %d destinations, %d pairs within %g min, %d searches (%s) in %.2f s",
        net.mode, len(o_ids), len(d_ids), reached, cutoff, info["searches"], info["direction"],
        time.perf_counter() - t0,
    )  # fmt: skip
    matrix = TravelTimeMatrix(
        mode=net.mode,
        origin_ids=o_ids,
        destination_ids=d_ids,
        minutes=minutes,
        cutoff_min=cutoff,
        metadata={
            "digest": matrix_digest(prep, o_ids, o_xy, d_ids, d_xy, settings),
            "settings": settings,
            "network": dict(net.report),
            "flagged_origins": flagged_o,
            "flagged_destinations": flagged_d,
            "furthest_snap_m": round(furthest, 3),
            "search": info,
        },
    )
    if warn:
        warn_flagged_points(matrix, stacklevel=2)
    return matrix

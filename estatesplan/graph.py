"""The street network as plain arrays: the type every routing stage shares.

A :class:`StreetNetwork` holds one mode's directed graph with every OSM node kept
(no simplification), so each edge is a straight segment between its two nodes'
coordinates. That keeps snapping exact and cheap, and the arrays map directly onto
compressed sparse rows for fast shortest-path searches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["StreetNetwork"]


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """One mode's directed street graph.

    Parameters
    ----------
    mode
        ``"walk"``, ``"cycle"`` or ``"drive"``.
    crs
        CRS of ``x`` and ``y`` (projected, metres; EPSG:27700 by default).
    node_osm_id
        OSM node id of each node (int64), in node order.
    x, y
        Node coordinates in ``crs`` (float64, metres).
    edge_u, edge_v
        Tail and head node indices of each directed edge (int32). A two-way street
        is two edges.
    edge_length_m
        Segment length in metres (float64).
    edge_time_s
        Traversal time in seconds for this mode (float64, > 0).
    edge_way_id
        OSM way id the edge comes from (int64).
    edge_highway
        The way's ``highway`` tag (object array of str).
    report
        What the build kept and dropped (counts), for logs and notes.
    """

    mode: str
    crs: str
    node_osm_id: npt.NDArray[np.int64]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    edge_u: npt.NDArray[np.int32]
    edge_v: npt.NDArray[np.int32]
    edge_length_m: npt.NDArray[np.float64]
    edge_time_s: npt.NDArray[np.float64]
    edge_way_id: npt.NDArray[np.int64]
    edge_highway: npt.NDArray[np.object_]
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.edge_u.shape[0])

    def csr(self, *, weight: str = "time_s", reverse: bool = False) -> sp.csr_array:
        """Return the adjacency as a CSR matrix (row = tail, column = head).

        Parameters
        ----------
        weight
            ``"time_s"`` (seconds) or ``"length_m"`` (metres).
        reverse
            Transpose the graph (row = head): searches from destinations backwards.

        Returns
        -------
        scipy.sparse.csr_array
            ``n_nodes × n_nodes``; parallel edges keep the smallest weight.
        """
        w = self.edge_time_s if weight == "time_s" else self.edge_length_m
        u, v = (self.edge_v, self.edge_u) if reverse else (self.edge_u, self.edge_v)
        order = np.lexsort((w, v, u))
        u, v, w = u[order], v[order], w[order]
        first = np.ones(len(u), dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        n = self.n_nodes
        return sp.csr_array((w[first], (u[first], v[first])), shape=(n, n))

    def segments(self) -> npt.NDArray[np.float64]:
        """Return edge segments as an ``(n_edges, 4)`` array of x0, y0, x1, y1 (metres).

        Returns
        -------
        numpy.ndarray
            One row per directed edge.
        """
        return np.column_stack(
            (self.x[self.edge_u], self.y[self.edge_u], self.x[self.edge_v], self.y[self.edge_v])
        )

"""The numba search and graph kernels on hand-made graphs with hand-checked answers, and
both priority queues against scipy's Dijkstra on a seeded random graph."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from estatesplan import _dijkstra as dj
from estatesplan._dijkstra_prep import _group

INF = math.inf

# Six nodes; seconds per directed edge. Node 5 only leads out (0 can't reach it).
#   0 <-> 1 (2 s), 1 -> 2 (3 s), 2 <-> 3 (1 s), 0 -> 3 (10 s), 3 -> 4 (4 s), 5 -> 0 (1 s)
EDGES = [(0, 1, 2.0), (1, 0, 2.0), (1, 2, 3.0), (2, 3, 1.0), (3, 2, 1.0), (0, 3, 10.0),
         (3, 4, 4.0), (5, 0, 1.0)]  # fmt: skip
# Sources are points on streets: up to two seed nodes with the cost of reaching them.
SEED_NODE = np.array([[0, 1], [4, -1], [3, 2]], dtype=np.int32)
SEED_COST = np.array([[1.0, 0.5], [0.0, INF], [2.0, 0.0]])
# Targets: up to two exit nodes with the cost of finishing the trip from them.
EXIT_NODE = np.array([[3, 4], [5, -1], [0, 2]], dtype=np.int32)
EXIT_COST = np.array([[0.25, 1.0], [0.0, INF], [3.0, 0.5]])
# By hand. Source 0: d(0)=1, d(1)=0.5, d(2)=3.5, d(3)=4.5, d(4)=8.5; source 1: d(4)=0;
# source 2: d(2)=0, d(3)=1, d(4)=5. Target 0 = min(d3 + 0.25, d4 + 1); target 1 needs
# node 5, which nothing reaches; target 2 = min(d0 + 3, d2 + 0.5).
EXPECTED = np.array([[4.75, INF, 4.0], [1.0, INF, INF], [1.25, INF, 0.5]])


def _graph() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u, v, w = (np.array(col) for col in zip(*EDGES, strict=True))
    return dj.csr(6, u.astype(np.int64), v.astype(np.int64), w.astype(np.float64))  # type: ignore[no-any-return]


def _run(limit: float, queue: str) -> np.ndarray:
    indptr, indices, weights = _graph()
    out = np.full((3, 3), -1.0)
    dj.many_to_many(indptr, indices, weights, SEED_NODE, SEED_COST, EXIT_NODE, EXIT_COST,
                    limit=limit, out=out, queue=queue)  # fmt: skip
    return out


def test_csr_groups_edges_by_tail_in_input_order() -> None:
    indptr, indices, weights = _graph()
    assert indptr.tolist() == [0, 2, 4, 5, 7, 7, 8]
    assert indices.tolist() == [1, 3, 0, 2, 3, 2, 4, 0]
    assert weights.tolist() == [2.0, 10.0, 2.0, 3.0, 1.0, 1.0, 4.0, 1.0]
    assert [a.dtype.name for a in (indptr, indices, weights)] == ["int64", "int32", "float64"]


def test_group_is_a_stable_counting_sort_without_negative_keys() -> None:
    ptr, order = _group(4, np.array([2, -1, 0, 2, 3, -1, 0]))
    assert ptr.tolist() == [0, 2, 2, 4, 5]
    assert order.tolist() == [2, 6, 0, 3, 4]


@pytest.mark.parametrize("queue", ["heap", "buckets"])
def test_many_to_many_hand_checked(queue: str) -> None:
    np.testing.assert_array_equal(_run(100.0, queue), EXPECTED)


@pytest.mark.parametrize("queue", ["heap", "buckets"])
def test_limit_bounds_the_settled_nodes_not_the_exit_cost(queue: str) -> None:
    # limit 4.6: source 0 settles node 3 (4.5) but not node 4 (8.5): target 0 costs 4.75
    np.testing.assert_array_equal(_run(4.6, queue)[0], [4.75, INF, 4.0])
    # limit 4.4: node 3 (4.5) is beyond it; node 0 (1) still reaches target 2
    np.testing.assert_array_equal(_run(4.4, queue)[0], [INF, INF, 4.0])
    # a limit below every seed cost settles nothing
    assert np.isinf(_run(-1.0, queue)).all()


def test_bucket_width_picks_the_queue() -> None:
    w = np.array([2.0, 5.0, 3.0])
    width, slots = dj.bucket_width(w, 60.0, 100)
    assert width == pytest.approx(2.0, rel=1e-5) and width < 2.0
    assert slots == int(5.0 / width) + 2
    assert dj.bucket_width(w, 60.0, 100, seed_spread=20.0)[1] == int(20.0 / width) + 2
    assert dj.bucket_width(w, INF, 100) == (0.0, 0)  # no limit: the heap
    assert dj.bucket_width(np.array([0.0, 1.0]), 60.0, 100) == (0.0, 0)  # zero weight
    assert dj.bucket_width(w, 1e4, 100) == (0.0, 0)  # too many buckets per node...
    assert dj.bucket_width(w, 1e4, 100, force=True)[0] > 0  # ...unless forced


@pytest.mark.parametrize("queue", ["heap", "buckets"])
def test_many_to_many_equals_scipy_on_a_random_graph(queue: str) -> None:
    rng = np.random.default_rng(7)
    n, m = 300, 1500
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    w = rng.uniform(1.0, 30.0, m)
    indptr, indices, weights = dj.csr(n, u, v, w)
    src = rng.choice(n, 20, replace=False)
    tgt = rng.choice(n, 40, replace=False)
    limit = 60.0
    out = np.empty((20, 40))
    dj.many_to_many(
        indptr, indices, weights,
        np.column_stack((src, np.full(20, -1))).astype(np.int32), np.column_stack((np.zeros(20), np.full(20, INF))),
        np.column_stack((tgt, np.full(40, -1))).astype(np.int32), np.column_stack((np.zeros(40), np.full(40, INF))),
        limit=limit, out=out, queue=queue,
    )  # fmt: skip
    ref = dijkstra(csr_array((weights, indices, indptr), shape=(n, n)), indices=src, limit=limit)
    np.testing.assert_array_equal(np.isinf(out), np.isinf(ref[:, tgt]))
    np.testing.assert_allclose(out[np.isfinite(out)], ref[:, tgt][np.isfinite(out)], rtol=1e-12)
    assert np.isfinite(out).sum() > 50  # the limit leaves a real mix


def test_street_segments_pick_the_fastest_edge_per_pair() -> None:
    # pair (0, 1): 0->1 twice (3 s, then 2 s) and 1->0 (4 s); pair (1, 2): one-way 2->1;
    # a self-loop 2->2 is not a segment
    u = np.array([0, 1, 0, 2, 2])
    v = np.array([1, 0, 1, 1, 2])
    w = np.array([3.0, 4.0, 2.0, 1.0, 1.0])
    primary, reverse = dj.street_segments(u, v, w, 3)
    assert primary.tolist() == [2, 3]
    assert reverse.tolist() == [1, -1]


def test_interior_nodes_and_contract_a_chain() -> None:
    # two-way chain 0 - 1 - 2 - 3 plus a spur 2 -> 4 -> 2: node 1 only passes traffic
    pairs = [(0, 1, 1.0), (1, 2, 2.0), (2, 3, 4.0), (2, 4, 8.0), (4, 2, 8.0)]
    u = np.array([a for a, b, _ in pairs] + [b for a, b, _ in pairs[:3]])
    v = np.array([b for a, b, _ in pairs] + [a for a, b, _ in pairs[:3]])
    w = np.array([c for *_, c in pairs] + [c for *_, c in pairs[:3]])
    interior = dj.interior_nodes(5, u, v)
    assert interior.tolist() == [False, True, False, False, False]
    anchor, trav, before, after, t_start, t_end, t_cost = dj.contract(5, u, v, w, interior)
    assert anchor.tolist() == [True, False, True, True, True]
    # edges 0->1 and 1->2 form one traversal 0 => 2 of 3 s; 2->1, 1->0 the reverse one
    assert trav[0] == trav[1] and trav[5] == trav[6] and trav[0] != trav[5]
    k = trav[0]
    assert (t_start[k], t_end[k], t_cost[k]) == (0, 2, 3.0)
    assert (before[1], after[0]) == (1.0, 2.0)
    assert len(t_cost) == 6  # 0=>2, 2=>0, 2->3, 3->2, 2->4, 4->2


def test_grid_nearest_segment_with_ties_to_the_lowest_index() -> None:
    # three horizontal segments at y = 0, 10 and 20 (the last a copy of the second)
    x0 = np.array([0.0, 0.0, 0.0])
    x1 = np.array([100.0, 100.0, 100.0])
    y0 = y1 = np.array([0.0, 10.0, 10.0])
    cell_ptr, cell_seg, grid = dj.grid_index(x0, y0, x1, y1)
    px = np.array([50.0, 50.0, 500.0, -30.0])
    py = np.array([2.0, 9.0, 10.0, 6.0])
    near = dj.grid_nearest(px, py, x0, y0, x1, y1, cell_ptr, cell_seg, *grid)
    assert near.tolist() == [0, 1, 1, 1]

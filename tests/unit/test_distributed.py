"""Travel-time matrices on Dask: equal to the one-process result, stitched in order."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from estatesplan.distributed import matrix_dask
from estatesplan.errors import (
    ConfigError,
    CrsError,
    DataContractError,
    DataQualityWarning,
    DuplicateIdError,
    MissingColumnError,
    OptionalDependencyError,
)
from estatesplan.graph import StreetNetwork
from estatesplan.synthetic_network import perturbed_grid, random_points
from estatesplan.travel_times import matrix_from_network

distributed = pytest.importorskip("distributed", reason="dask.distributed is an optional extra")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One in-process worker with two threads, shared by the tests of this module."""
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def net() -> StreetNetwork:
    return perturbed_grid(2_500, spacing_m=80.0, seed=4)


@pytest.fixture(scope="module")
def points(net: StreetNetwork) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    return random_points(net, 90, seed=1, prefix="O"), random_points(net, 12, seed=2, prefix="D")


def _same(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(a.origin_ids, b.origin_ids)
    np.testing.assert_array_equal(a.destination_ids, b.destination_ids)
    np.testing.assert_array_equal(a.minutes, b.minutes)  # NaN where NaN, bit for bit elsewhere
    assert a.minutes.dtype == np.float32
    assert a.mode == b.mode and a.cutoff_min == b.cutoff_min


def test_chunked_by_origins_equals_one_process(
    client: Any, net: StreetNetwork, points: Any
) -> None:
    origins, destinations = points
    ref = matrix_from_network(
        net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4
    )
    got = matrix_dask(
        net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4,
        chunk_size=25, client=client, chunk_by="origins",
    )  # fmt: skip
    _same(got, ref)
    assert np.isfinite(ref.minutes).any() and np.isnan(ref.minutes).any()  # the cut-off bites
    assert got.metadata["digest"] == ref.metadata["digest"]
    assert got.metadata["dask"]["chunks"] == 4  # 25 + 25 + 25 + 15 origins
    assert got.metadata["dask"]["chunk_by"] == "origins"
    assert got.metadata["search"]["searches"] == 4 * 12  # each chunk from its 12 destinations
    assert got.metadata["dask"]["preparations"] == 1  # one worker: prepared once, not per chunk


@pytest.mark.parametrize(("chunk_by", "size"), [("destinations", 5), ("auto", 5)])
def test_chunked_by_destinations_equals_one_process(
    client: Any, net: StreetNetwork, points: Any, chunk_by: Any, size: int
) -> None:
    origins, destinations = points
    ref = matrix_from_network(
        net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4
    )
    got = matrix_dask(
        net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4,
        chunk_size=size, client=client, chunk_by=chunk_by,
    )  # fmt: skip
    _same(got, ref)
    assert got.metadata["dask"]["chunk_by"] == "destinations"  # auto: the smaller side
    assert got.metadata["search"]["searches"] == 12  # no more than one process makes


def test_default_chunks_the_smaller_side_about_four_tasks_per_thread(
    client: Any, net: StreetNetwork, points: Any
) -> None:
    origins, destinations = points
    ref = matrix_from_network(
        net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4
    )
    got = matrix_dask(
        net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4,
        client=client,
    )  # fmt: skip
    _same(got, ref)
    # 12 destinations over 1 worker × 2 threads × 4 tasks: chunks of 2, so 6 tasks.
    assert got.metadata["dask"]["chunk_by"] == "destinations"
    assert got.metadata["dask"]["chunk_size"] == 2
    assert got.metadata["dask"]["chunks"] == 6
    assert got.metadata["search"]["searches"] == 12
    # Six chunks on two threads of one worker: the network is prepared once, and the
    # call's cache (a worker plugin) is gone afterwards.
    assert got.metadata["dask"]["preparations"] == 1
    assert got.metadata["dask"]["prepare_s"] > 0
    left = client.run(lambda dask_worker: [n for n in dask_worker.plugins if "estatesplan" in n])
    assert all(names == [] for names in left.values())


def test_worker_processes_prepare_the_network_once_each(net: StreetNetwork, points: Any) -> None:
    """Two worker processes: the cache plugin travels to each, and results stay bit for bit."""
    origins, destinations = points
    ref = matrix_from_network(
        net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4
    )
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    try:
        with distributed.Client(cluster) as c:
            got = matrix_dask(
                net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4,
                chunk_size=2, client=c, compute=matrix_from_network,
            )  # fmt: skip
            left = c.run(lambda dask_worker: [n for n in dask_worker.plugins if "estatesplan" in n])
    finally:
        cluster.close()
    _same(got, ref)
    assert got.metadata["digest"] == ref.metadata["digest"]
    assert got.metadata["dask"]["chunks"] == 6
    assert 1 <= got.metadata["dask"]["preparations"] <= 2  # at most once per worker
    assert all(names == [] for names in left.values())


def test_smaller_chunks_than_the_other_side_agree_to_rounding(
    client: Any, net: StreetNetwork, points: Any
) -> None:
    # Chunks of 5 origins against 12 destinations search forwards; one process
    # searches backwards from the destinations. Same times up to float rounding.
    origins, destinations = points
    ref = matrix_from_network(
        net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4
    )
    got = matrix_dask(
        net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4,
        chunk_size=5, client=client, chunk_by="origins",
    )  # fmt: skip
    assert got.metadata["search"]["direction"] == ["forward"]
    np.testing.assert_allclose(got.minutes, ref.minutes, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(np.isnan(got.minutes), np.isnan(ref.minutes))


@dataclass(frozen=True, eq=False)
class FakeMatrix:
    mode: str
    origin_ids: np.ndarray
    destination_ids: np.ndarray
    minutes: np.ndarray
    cutoff_min: float
    metadata: dict[str, Any] = field(default_factory=dict)


def encode_ids(
    net: StreetNetwork, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *,
    origin_id: str, destination_id: str, cutoff_min: float, slow_first: bool = False,
) -> FakeMatrix:  # fmt: skip
    """A stand-in chunk function: minutes = 1000 × origin number + destination number.

    The chunk holding the first origin sleeps, so it finishes after the others.
    """
    o = origins[origin_id].to_numpy(dtype=object)
    d = destinations[destination_id].to_numpy(dtype=object)
    if slow_first and "O00" in set(o):
        time.sleep(0.3)
    on = np.array([int(s[1:]) for s in o], dtype=np.float32)
    dn = np.array([int(s[1:]) for s in d], dtype=np.float32)
    return FakeMatrix(
        net.mode, o, d, on[:, None] * 1000 + dn[None, :], cutoff_min, {"chunk": len(o)}
    )


def test_chunks_are_stitched_in_input_order_whatever_finishes_first(
    client: Any, net: StreetNetwork, points: Any
) -> None:
    origins, destinations = points
    shuffled = origins.sample(frac=1.0, random_state=3)
    calls: list[tuple[int, int, str]] = []
    got = matrix_dask(
        net, shuffled, destinations, origin_id="id", destination_id="id", cutoff_min=10,
        chunk_size=7, client=client, chunk_by="origins", compute=encode_ids, slow_first=True,
        progress=lambda done, total, label: calls.append((done, total, label)),
    )  # fmt: skip
    assert isinstance(got, FakeMatrix)
    np.testing.assert_array_equal(got.origin_ids, shuffled["id"].to_numpy(dtype=object))
    expected = encode_ids(
        net, shuffled, destinations, origin_id="id", destination_id="id", cutoff_min=10
    )
    np.testing.assert_array_equal(got.minutes, expected.minutes)
    assert [c[0] for c in calls] == list(range(14))  # 90 origins in 13 chunks, after a 0 call
    assert {c[1] for c in calls} == {13}


def test_stitching_sums_searches_and_seconds_and_gathers_flags() -> None:
    from estatesplan.distributed import _stitch

    def part(ids: list[str], flagged: list[str], searches: int, secs: float) -> FakeMatrix:
        meta = {
            "flagged_origins": flagged,
            "flagged_destinations": ["Dx"],
            "search": {"direction": "reverse", "searches": searches, "search_s": secs},
        }
        minutes = np.arange(len(ids) * 2, dtype=np.float32).reshape(len(ids), 2)
        return FakeMatrix("walk", np.array(ids, dtype=object), np.array(["D0", "D1"], dtype=object),
                          minutes, 10.0, meta)  # fmt: skip

    out = _stitch([part(["O0", "O1"], ["O1"], 2, 0.5), part(["O2"], [], 2, 0.25)], 0, {"dask": {}})
    assert "furthest_snap_m" not in out.metadata  # only where the chunks record it
    far = part(["O3"], [], 1, 0.1)
    far.metadata["furthest_snap_m"] = 812.5
    near = part(["O4"], [], 1, 0.1)
    near.metadata["furthest_snap_m"] = 3.0
    assert _stitch([near, far], 0, {}).metadata["furthest_snap_m"] == 812.5
    assert out.origin_ids.tolist() == ["O0", "O1", "O2"]
    assert out.minutes.shape == (3, 2)
    assert out.metadata["flagged_origins"] == ["O1"]
    assert out.metadata["flagged_destinations"] == ["Dx"]  # the same in every chunk: once
    assert out.metadata["search"] == {"direction": ["reverse"], "searches": 4, "search_s": 0.75}
    with pytest.raises(ValueError, match="different destination_ids"):
        other = part(["O3"], [], 1, 0.1)
        _stitch([part(["O0"], [], 1, 0.1), dataclasses.replace(other, destination_ids=np.array(["D9", "D1"], dtype=object))], 0, {})  # fmt: skip


def test_default_local_cluster_is_started_and_closed(net: StreetNetwork, points: Any) -> None:
    origins, destinations = points
    got = matrix_dask(
        net, origins.iloc[:20], destinations, origin_id="id", destination_id="id",
        cutoff_min=10, chunk_size=10, chunk_by="origins", compute=encode_ids,
    )  # fmt: skip
    assert got.minutes.shape == (20, 12)
    assert got.metadata["dask"]["workers"] == 1


def test_flagged_points_are_gathered_from_every_chunk(
    client: Any, net: StreetNetwork, points: Any
) -> None:
    origins, destinations = points
    far = gpd.GeoDataFrame(
        {"id": ["Ofar"]}, geometry=[shapely.Point(net.x.max() + 5_000, net.y.max())], crs=net.crs
    )
    layer = gpd.GeoDataFrame(pd.concat([origins.iloc[:30], far], ignore_index=True), crs=net.crs)
    with pytest.warns(DataQualityWarning) as caught:
        got = matrix_dask(
            net, layer, destinations, origin_id="id", destination_id="id", cutoff_min=4,
            chunk_size=10, client=client, chunk_by="origins",
        )  # fmt: skip
    assert got.metadata["flagged_origins"] == ["Ofar"]
    assert np.isnan(got.minutes[-1]).all()
    # Once for the whole matrix (not once per chunk), worded as in one process.
    assert len(caught) == 1
    with pytest.warns(DataQualityWarning) as ref_caught:
        ref = matrix_from_network(
            net, layer, destinations, origin_id="id", destination_id="id", cutoff_min=4
        )
    assert str(caught[0].message) == str(ref_caught[0].message)
    assert "1 origins (Ofar) are further than 500 m from the drive network" in str(
        caught[0].message
    )
    assert got.metadata["furthest_snap_m"] == ref.metadata["furthest_snap_m"] > 4_000
    _same(got, ref)
    # warn=False: recorded, not said (any warning would fail the test); strict: an error.
    quiet = matrix_dask(
        net, layer, destinations, origin_id="id", destination_id="id", cutoff_min=4,
        chunk_size=10, client=client, chunk_by="origins", warn=False,
    )  # fmt: skip
    assert quiet.metadata["flagged_origins"] == ["Ofar"]
    with pytest.raises(DataContractError, match=r"1 origins \(Ofar\) are further than 500 m"):
        matrix_dask(
            net, layer, destinations, origin_id="id", destination_id="id", cutoff_min=4,
            chunk_size=10, client=client, chunk_by="origins", strict=True,
        )  # fmt: skip


def test_a_prepared_network_is_not_sent_to_workers(net: StreetNetwork, points: Any) -> None:
    from estatesplan.travel_times import PreparedNetwork

    origins, destinations = points
    with pytest.raises(ConfigError, match="prepares the network once on each worker"):
        matrix_dask(
            net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=4,
            prepared=PreparedNetwork.build(net),
        )  # fmt: skip


def test_empty_origins_give_an_empty_matrix(net: StreetNetwork, points: Any) -> None:
    origins, destinations = points
    got = matrix_dask(
        net, origins.iloc[:0], destinations, origin_id="id", destination_id="id",
        cutoff_min=10, compute=encode_ids,
    )  # fmt: skip
    assert got.minutes.shape == (0, 12)


def test_missing_dask_raises_optional_dependency_error(
    monkeypatch: pytest.MonkeyPatch, net: StreetNetwork, points: Any
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    origins, destinations = points
    with pytest.raises(OptionalDependencyError, match=r"pip install .*estatesplan\[dask\]"):
        matrix_dask(net, origins, destinations, origin_id="id", destination_id="id", cutoff_min=10)


def test_ids_repeated_across_chunks_raise_before_any_work(net: StreetNetwork, points: Any) -> None:
    origins, destinations = points
    dup = origins.copy()
    dup.loc[80, "id"] = "O00"
    with pytest.raises(DuplicateIdError, match="O00"):
        matrix_dask(
            net,
            dup,
            destinations,
            origin_id="id",
            destination_id="id",
            cutoff_min=10,
            chunk_size=10,
        )


def test_no_crs_raises(net: StreetNetwork, points: Any) -> None:
    origins, destinations = points
    bare = destinations.set_crs(None, allow_override=True)
    with pytest.raises(CrsError, match="destinations: the layer has no coordinate"):
        matrix_dask(net, origins, bare, origin_id="id", destination_id="id", cutoff_min=10)


def test_missing_id_column_raises(net: StreetNetwork, points: Any) -> None:
    origins, destinations = points
    with pytest.raises(MissingColumnError, match="'zone_id' not found"):
        matrix_dask(
            net, origins, destinations, origin_id="zone_id", destination_id="id", cutoff_min=10
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": 2.5}, "chunk_size"),
        ({"cutoff_min": 0}, "cut-off"),
        ({"cutoff_min": -3}, "cut-off"),
        ({"chunk_by": "rows"}, "chunk_by"),
        ({"threads_per_task": 0}, "threads_per_task"),
    ],
)
def test_bad_settings_raise_config_error(
    net: StreetNetwork, points: Any, kwargs: dict[str, Any], match: str
) -> None:
    origins, destinations = points
    settings: dict[str, Any] = {"cutoff_min": 10, **kwargs}
    with pytest.raises(ConfigError, match=match):
        matrix_dask(net, origins, destinations, origin_id="id", destination_id="id", **settings)

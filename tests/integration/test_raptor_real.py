"""RAPTOR on the two real GTFS feeds of the pack (Cairns bus, New York subway), read in
place: earliest arrivals equal those of the brute-force searches exactly, to the second,
for seeded random origins (with access walks), departure times and every destination
stop; with and without a limit on transfers; and for range-RAPTOR over a window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from estatesplan import _transit_brute as brute
from estatesplan import gtfs, raptor

pytestmark = [pytest.mark.data, pytest.mark.integration]

H = 3600
FEEDS = {
    # file, a weekday with the ordinary timetable, expected stops served that day
    "cairns": ("cairns_gtfs.zip", "2014-06-03", 416),
    "nyc_subway": ("nyc_subway_gtfs.zip", "2025-01-08", 182),
}


@pytest.fixture(scope="module", params=sorted(FEEDS))
def feed(
    request: pytest.FixtureRequest, shared_data: Path
) -> tuple[raptor.Timetable, brute.Connections]:
    name, date, n_stops = FEEDS[request.param]
    day = gtfs.schedule_on(gtfs.read_gtfs(shared_data / "gtfs" / name), date)
    tt = raptor.build_timetable(day)
    assert tt.n_stops == n_stops
    fp_from = np.repeat(np.arange(tt.n_stops), np.diff(tt.fp_ptr))
    return tt, brute.connections(day, tt.stop_ids, (fp_from, tt.fp_to, tt.fp_s))


def _ref(a: np.ndarray) -> np.ndarray:
    return np.where(a == brute.UNREACHED, np.inf, a.astype(float))


def _origins(rng: np.random.Generator, n_stops: int) -> tuple[np.ndarray, np.ndarray]:
    src = rng.choice(n_stops, size=int(rng.integers(1, 4)), replace=False)
    return src, rng.integers(0, 600, len(src))


def test_earliest_arrivals_equal_the_dijkstra(
    feed: tuple[raptor.Timetable, brute.Connections],
) -> None:
    tt, conn = feed
    rng = np.random.default_rng(2024)
    reached = 0
    for _ in range(100):
        src, acc = _origins(rng, tt.n_stops)
        depart = int(rng.integers(5 * H, 23 * H))
        got = raptor.earliest_arrival(tt, src, depart, access_s=acc, max_transfers=40)
        want = _ref(brute.earliest_arrival(conn, list(src), list(depart + acc)))
        assert np.array_equal(got, want), f"origins {tt.stop_ids[src]} at {depart} s"
        reached += int(np.isfinite(want).sum())
    assert reached > 0.5 * 100 * tt.n_stops  # the sample is not trivial


def test_transfer_limits_equal_the_rounds_search(
    feed: tuple[raptor.Timetable, brute.Connections],
) -> None:
    tt, conn = feed
    rng = np.random.default_rng(7)
    for limit in (0, 1, 2, 3):
        for _ in range(5):
            src, acc = _origins(rng, tt.n_stops)
            depart = int(rng.integers(6 * H, 20 * H))
            got = raptor.earliest_arrival(tt, src, depart, access_s=acc, max_transfers=limit)
            want = _ref(
                brute.earliest_arrival_rounds(conn, list(src), list(depart + acc), limit + 1)
            )
            assert np.array_equal(got, want), (
                f"limit {limit}, origins {tt.stop_ids[src]} at {depart} s"
            )


def test_range_raptor_equals_the_dijkstra_minute_by_minute(
    feed: tuple[raptor.Timetable, brute.Connections],
) -> None:
    tt, conn = feed
    rng = np.random.default_rng(11)
    deps = raptor.departure_times(("07:00", "08:00"))
    for _ in range(5):
        src, acc = _origins(rng, tt.n_stops)
        ranged = raptor.range_arrivals(tt, src, deps, access_s=acc, max_transfers=40)
        for d in rng.choice(len(deps), size=6, replace=False):
            want = _ref(brute.earliest_arrival(conn, list(src), list(deps[d] + acc)))
            assert np.array_equal(ranged[d], want), f"origins {tt.stop_ids[src]} at {deps[d]} s"

"""RAPTOR and range-RAPTOR on hand-made timetables with hand-checked arrivals, and on
small seeded random timetables against the brute-force searches."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from estatesplan import _transit_brute as brute
from estatesplan import demo, gtfs, raptor
from estatesplan._demo_gtfs import write_gtfs_zip
from estatesplan.errors import ConfigError, DataContractError
from tests.unit.test_gtfs import TUESDAY, write_feed

H = 3600
M = 60
INF = np.inf

# A → B by R1; walk B → C (transfers.txt, 240 s); C → D by R2. E is 240 s' walk beyond C
# and has a fast bus to D (R3), reachable only by chaining two walks, which is not allowed.
HAND: dict[str, str | None] = {
    "stops": (
        "stop_id,stop_name,stop_lat,stop_lon\n"
        "A,A,51.500,-0.100\nB,B,51.510,-0.100\nC,C,51.510,-0.0971135\n"
        "D,D,51.530,-0.100\nE,E,51.510,-0.094227\n"
    ),
    "routes": "route_id,route_type\nR1,3\nR2,3\nR3,3\n",
    "trips": "route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\nR2,WK,U1\nR2,WK,U2\nR2,WK,U3\nR3,WK,V1\n",
    "stop_times": (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "T1,08:00:00,08:00:00,A,1\nT1,08:10:00,08:10:00,B,2\n"
        "T2,08:30:00,08:30:00,A,1\nT2,08:40:00,08:40:00,B,2\n"
        "U1,08:15:00,08:15:00,C,1\nU1,08:25:00,08:25:00,D,2\n"
        "U2,08:35:00,08:35:00,C,1\nU2,08:45:00,08:45:00,D,2\n"
        "U3,09:00:00,09:00:00,C,1\nU3,09:10:00,09:10:00,D,2\n"
        "V1,08:20:00,08:20:00,E,1\nV1,08:22:00,08:22:00,D,2\n"
    ),
    "transfers": (
        "from_stop_id,to_stop_id,transfer_type,min_transfer_time\nB,C,2,240\nC,E,2,240\n"
    ),
}
A, B, C, D, E = range(5)


def timetable(
    tmp_path: Path, tables: Mapping[str, str | None], *, max_transfer_m: float = 0.0
) -> raptor.Timetable:
    path = write_feed(tmp_path / "feed.zip", dict(tables))
    day = gtfs.schedule_on(gtfs.read_gtfs(path), TUESDAY)
    return raptor.build_timetable(day, max_transfer_m=max_transfer_m)


@pytest.fixture
def hand(tmp_path: Path) -> raptor.Timetable:
    return timetable(tmp_path, HAND)


def t(hh: int, mm: int) -> float:
    return float(hh * H + mm * M)


def test_earliest_arrival_with_a_transfer(hand: raptor.Timetable) -> None:
    assert list(hand.stop_ids) == ["A", "B", "C", "D", "E"]
    got = raptor.earliest_arrival(hand, ["A"], "07:55")
    # T1 08:00 → B 08:10, walk 4 min → C 08:14, U1 08:15 → D 08:25; E needs two walks
    assert got.tolist() == [t(7, 55), t(8, 10), t(8, 14), t(8, 25), INF]
    later = raptor.earliest_arrival(hand, [A], t(8, 1))
    assert later.tolist() == [t(8, 1), t(8, 40), t(8, 44), t(9, 10), INF]


def test_transfer_limit(hand: raptor.Timetable) -> None:
    got = raptor.earliest_arrival(hand, ["A"], "07:55", max_transfers=0)
    assert got.tolist() == [t(7, 55), t(8, 10), t(8, 14), INF, INF]  # a walk is not a transfer
    with pytest.raises(ConfigError, match="max_transfers"):
        raptor.earliest_arrival(hand, ["A"], "07:55", max_transfers=-1)


def test_access_times_and_boarding_at_the_same_second(tmp_path: Path) -> None:
    tables = {**HAND, "transfers": str(HAND["transfers"]).replace("B,C,2,240", "B,C,2,300")}
    tt = timetable(tmp_path, tables)
    got = raptor.earliest_arrival(tt, ["A"], "07:50", access_s=[600])  # at A 08:00 sharp
    assert got.tolist() == [t(8, 0), t(8, 10), t(8, 15), t(8, 25), INF]  # C at 08:15 boards U1


def test_stop_ids_and_footpath_distance(tmp_path: Path) -> None:
    tt = timetable(tmp_path, {**HAND, "transfers": None}, max_transfer_m=250.0)
    # B–C and C–E are ~200 m apart (B–E ~400 m): 200 m × 1.3 at 4.8 km/h ≈ 195 s
    src = np.repeat(np.arange(tt.n_stops), np.diff(tt.fp_ptr))
    pairs = {(int(a), int(b)): int(s) for a, b, s in zip(src, tt.fp_to, tt.fp_s, strict=True)}
    assert set(pairs) == {(B, C), (C, B), (C, E), (E, C)}
    assert all(abs(s - 195) <= 2 for s in pairs.values())
    removed = timetable(
        tmp_path, {**HAND, "transfers": "from_stop_id,to_stop_id,transfer_type\nB,C,3\n"},
        max_transfer_m=250.0,
    )  # fmt: skip
    assert np.diff(removed.fp_ptr)[B] == 0  # type 3: B → C not possible
    with pytest.raises(DataContractError, match="Z are not stops served"):
        tt.stop_index(["A", "Z"])


def test_overtaking_trips_are_split_into_routes(tmp_path: Path) -> None:
    tables = {
        **HAND,
        "trips": "route_id,service_id,trip_id\nR1,WK,SLOW\nR1,WK,FAST\n",
        "stop_times": (
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
            "SLOW,08:00:00,08:00:00,A,1\nSLOW,09:00:00,09:00:00,B,2\n"
            "FAST,08:05:00,08:05:00,A,1\nFAST,08:20:00,08:20:00,B,2\n"
        ),
        "transfers": None,
    }
    tt = timetable(tmp_path, tables)
    assert tt.n_routes == 2
    assert raptor.earliest_arrival(tt, ["A"], "07:55")[1] == t(8, 20)


def test_pickup_and_drop_off_rules(tmp_path: Path) -> None:
    tables = {
        **HAND,
        "trips": "route_id,service_id,trip_id\nR1,WK,T1\n",
        "stop_times": (
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type\n"
            "T1,08:00:00,08:00:00,A,1,0,1\nT1,08:10:00,08:10:00,B,2,1,1\n"
            "T1,08:30:00,08:30:00,D,3,1,0\n"
        ),
        "transfers": None,
    }
    tt = timetable(tmp_path, tables)
    assert raptor.earliest_arrival(tt, ["A"], "07:55").tolist() == [t(7, 55), INF, t(8, 30)]
    assert raptor.earliest_arrival(tt, ["B"], "07:55").tolist() == [INF, t(7, 55), INF]


# Per-round labels: leaving at 08:00, Y reaches P at 08:20 with one bus and Z continues to
# Q; leaving later, P is reached at 08:20 only with two buses (X1, X2), so with at most
# two buses Q is out of reach. Range-RAPTOR must not let the later departure's two-bus
# arrival at P hide the earlier one's one-bus arrival at the same time.
ROUNDS: dict[str, str | None] = {
    "stops": (
        "stop_id,stop_lat,stop_lon\nA,51.50,-0.10\nB,51.51,-0.10\nP,51.52,-0.10\nQ,51.53,-0.10\n"
    ),
    "routes": "route_id,route_type\nX1,3\nX2,3\nY,3\nZ,3\n",
    "trips": "route_id,service_id,trip_id\nX1,WK,X1\nX2,WK,X2\nY,WK,Y\nZ,WK,Z\n",
    "stop_times": (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "X1,08:10:00,08:10:00,A,1\nX1,08:15:00,08:15:00,B,2\n"
        "X2,08:16:00,08:16:00,B,1\nX2,08:20:00,08:20:00,P,2\n"
        "Y,08:00:00,08:00:00,A,1\nY,08:20:00,08:20:00,P,2\n"
        "Z,08:25:00,08:25:00,P,1\nZ,08:30:00,08:30:00,Q,2\n"
    ),
    "transfers": None,
}


def test_range_keeps_fewer_trip_arrivals_apart(tmp_path: Path) -> None:
    tt = timetable(tmp_path, ROUNDS)
    deps = raptor.departure_times(("08:00", "08:12"))
    got = raptor.range_arrivals(tt, ["A"], deps, max_transfers=1)
    assert got[0].tolist() == [t(8, 0), t(8, 15), t(8, 20), t(8, 30)]
    assert got[1:, 3].tolist() == [INF] * 11
    per_minute = np.stack(
        [raptor.earliest_arrival(tt, ["A"], int(d), max_transfers=1) for d in deps]
    )
    assert np.array_equal(got, per_minute)


def test_range_query_equals_one_query_per_minute(hand: raptor.Timetable) -> None:
    deps = raptor.departure_times(("07:40", "09:05"))
    for limit in (0, 1, 7):
        got = raptor.range_arrivals(
            hand, ["A", "C"], deps, access_s=[120, 600], max_transfers=limit
        )
        one = [
            raptor.earliest_arrival(
                hand, ["A", "C"], int(d), access_s=[120, 600], max_transfers=limit
            )
            for d in deps
        ]
        assert np.array_equal(got, np.stack(one))
    shuffled = np.random.default_rng(0).permutation(deps)
    assert np.array_equal(
        raptor.range_arrivals(hand, ["A"], shuffled),
        np.stack([raptor.earliest_arrival(hand, ["A"], int(d)) for d in shuffled]),
    )


def random_schedule(seed: int) -> gtfs.DaySchedule:
    """A random day on 14 stops within ~1.5 km: 6 routes, overtaking and pick-up rules."""
    rng = np.random.default_rng(seed)
    n = 14
    stops = pd.DataFrame(
        {
            "stop_id": [f"s{i}" for i in range(n)],
            "stop_lat": 51.5 + rng.uniform(0, 0.012, n),
            "stop_lon": -0.1 + rng.uniform(0, 0.02, n),
            "location_type": 0,
            "parent_station": "",
        }
    )
    trips, rows = [], []
    for r in range(6):
        seq = rng.choice(n, size=int(rng.integers(3, 7)), replace=False)
        run = rng.integers(60, 400, len(seq) - 1)
        for k, start in enumerate(np.sort(rng.integers(7 * H, 10 * H, int(rng.integers(3, 9))))):
            tid = f"r{r}t{k}"
            trips.append((tid, f"r{r}", "WK"))
            legs = run * rng.uniform(0.6, 1.6, len(run))  # some trips overtake others
            times = start + np.r_[0, np.cumsum(legs)].astype(int)
            for i, (s, tm) in enumerate(zip(seq, times, strict=True)):
                dwell = int(rng.integers(0, 40))
                rows.append((tid, f"s{s}", tm, tm + dwell if 0 < i < len(seq) - 1 else tm,
                             rng.random() > 0.1, rng.random() > 0.1))  # fmt: skip
                if 0 < i < len(seq) - 1:
                    times[i + 1 :] += dwell
    st = pd.DataFrame(
        rows, columns=["trip_id", "stop_id", "arrival_s", "departure_s", "pickup", "dropoff"]
    )
    return gtfs.DaySchedule(
        source=f"random-{seed}", date=pd.Timestamp(TUESDAY).date(), services=frozenset({"WK"}),
        stops=stops, trips=pd.DataFrame(trips, columns=["trip_id", "route_id", "service_id"]),
        stop_times=st, transfers=None,
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_random_timetables_match_the_brute_force(seed: int) -> None:
    day = random_schedule(seed)
    tt = raptor.build_timetable(day, max_transfer_m=500.0)
    fp_from = np.repeat(np.arange(tt.n_stops), np.diff(tt.fp_ptr))
    conn = brute.connections(day, tt.stop_ids, (fp_from, tt.fp_to, tt.fp_s))
    rng = np.random.default_rng(100 + seed)
    deps = raptor.departure_times((7 * H, 8 * H + 30 * M), step_s=150)
    for _ in range(4):
        src = rng.choice(tt.n_stops, size=int(rng.integers(1, 4)), replace=False)
        acc = rng.integers(0, 300, len(src))
        for limit in (0, 1, 2, 9):
            ranged = raptor.range_arrivals(tt, src, deps, access_s=acc, max_transfers=limit)
            for row, d in zip(ranged, deps, strict=True):
                ref = brute.earliest_arrival_rounds(conn, list(src), list(d + acc), limit + 1)
                assert np.array_equal(row, np.where(ref == brute.UNREACHED, INF, ref))
        d = int(rng.integers(7 * H, 10 * H))
        ref = brute.earliest_arrival(conn, list(src), list(d + acc))
        got = raptor.earliest_arrival(tt, src, d, access_s=acc, max_transfers=20)
        assert np.array_equal(got, np.where(ref == brute.UNREACHED, INF, ref))


# Zone 0 walks 5 min to A; zone 1 reaches no stop. Site 0 is 3 min from D, site 1 2 min from B.
ACCESS = np.array([[5.0, INF, INF, INF, INF], [np.nan, INF, INF, INF, INF]])
EGRESS = np.array([[INF, INF], [INF, 2.0], [INF, INF], [3.0, INF], [INF, INF]])
WALK = np.array([[60.0, 30.0], [30.0, np.nan]])


def test_transit_matrix_hand_case(hand: raptor.Timetable) -> None:
    # leaving 07:50 … 07:59: at A by 08:00 until 07:55 (T1), else T2 08:30 (→ U3 09:00 at C)
    # site 1: 22 … 17 min then 46 … 43; site 0: 38 … 33 then 77 … 74 (nearest rank)
    pct = raptor.transit_matrix_percentiles(
        hand, ACCESS, EGRESS, walk_min=WALK, window=("07:50", "08:00"), percentiles=(5, 50, 95)
    )
    assert pct.dtype == np.float32 and pct.shape == (3, 2, 2)
    np.testing.assert_array_equal(pct[:, 0, 0], [33, 37, 60])  # 95th capped by the walk
    np.testing.assert_array_equal(pct[:, 0, 1], [17, 21, 30])
    np.testing.assert_array_equal(pct[:, 1, 0], [30, 30, 30])  # walk only
    assert np.isnan(pct[:, 1, 1]).all()
    median = raptor.transit_matrix(hand, ACCESS, EGRESS, walk_min=WALK, window=("07:50", "08:00"))
    np.testing.assert_array_equal(median, [[37, 21], [30, np.nan]])
    cut = raptor.transit_matrix(
        hand, ACCESS, EGRESS, walk_min=WALK, window=("07:50", "08:00"), cutoff_min=35
    )
    np.testing.assert_array_equal(cut, [[np.nan, 21], [30, np.nan]])
    no_walk = raptor.transit_matrix(hand, ACCESS, EGRESS, window=("07:50", "08:00"))
    np.testing.assert_array_equal(no_walk, [[37, 21], [np.nan, np.nan]])
    far = raptor.transit_matrix(hand, ACCESS + 20, EGRESS, window=("07:50", "08:00"))
    assert np.isnan(far).all()  # a 25-minute access walk is beyond max_walk_min


def test_travel_time_percentiles_from_stops(hand: raptor.Timetable) -> None:
    access = np.where(np.eye(1, hand.n_stops) > 0, 0.0, INF)  # at A
    pct = raptor.travel_time_percentiles(hand, access, window=("07:55", "08:00"), percentiles=(50,))
    # leaving 07:55 … 07:59 → D at 08:25: 30 … 26 min, median (3rd of 5) 28
    np.testing.assert_array_equal(pct[0, 0], [0, 15 - 2, 19 - 2, 28, np.nan])


def test_bad_arguments(hand: raptor.Timetable) -> None:
    with pytest.raises(ConfigError, match=r"departure window .* is empty"):
        raptor.departure_times(("10:00", "07:00"))
    with pytest.raises(ConfigError, match="not HH:MM"):
        raptor.departure_times(("7am", "10:00"))
    with pytest.raises(
        DataContractError, match=r"access_min has shape \(2, 4\); expected \(2, 5\)"
    ):
        raptor.transit_matrix(hand, ACCESS[:, :4], EGRESS)
    with pytest.raises(ConfigError, match="percentiles must lie in 0–100"):
        raptor.transit_matrix(hand, ACCESS, EGRESS, percentile=150)
    with pytest.raises(DataContractError, match="walk_min has shape"):
        raptor.transit_matrix(hand, ACCESS, EGRESS, walk_min=WALK[:1])


def test_demo_bus_timetable_end_to_end(tmp_path: Path) -> None:
    study = demo.generate_demo(seed=0)
    path = write_gtfs_zip(study.gtfs, tmp_path / "gtfs.zip")
    feed = gtfs.read_gtfs(path)
    assert gtfs.stops_outside_area(feed, study.area).empty
    weekday = gtfs.schedule_on(feed, "2026-05-06")  # Wednesday: Tuesday's 24:10 journey too
    holiday = gtfs.schedule_on(feed, "2026-05-04")  # bank holiday: the Saturday service
    assert weekday.trips["trip_id"].str.endswith("@-1d").sum() == 1
    assert len(holiday.trips) < len(weekday.trips)
    tt = raptor.build_timetable(weekday)
    assert tt.n_stops == len(feed.stops)
    fp_from = np.repeat(np.arange(tt.n_stops), np.diff(tt.fp_ptr))
    conn = brute.connections(weekday, tt.stop_ids, (fp_from, tt.fp_to, tt.fp_s))
    rng = np.random.default_rng(5)
    for origin, depart in zip(
        rng.choice(tt.n_stops, 8), rng.integers(7 * H, 20 * H, 8), strict=True
    ):
        got = raptor.earliest_arrival(tt, [origin], int(depart))
        ref = brute.earliest_arrival(conn, [int(origin)], [int(depart)])
        assert np.array_equal(got, np.where(ref == brute.UNREACHED, INF, ref))
        assert np.isfinite(got).all()  # every stop of the demo is reached within the day


def walk_minutes(lat: np.ndarray, lon: np.ndarray, tt: raptor.Timetable) -> np.ndarray:
    """Straight-line walking minutes (× 1.3 at 4.8 km/h) from points to every stop; inf beyond 1 km."""
    dy = np.radians(tt.stop_lat[None, :] - lat[:, None]) * 6_371_000.0
    dx = np.radians(tt.stop_lon[None, :] - lon[:, None]) * 6_371_000.0 * np.cos(np.radians(51.5))
    dist = np.hypot(dx, dy)
    return np.where(dist <= 1000, dist * 1.3 / (4.8 / 3.6) / 60, INF)


def random_points(tt: raptor.Timetable, n: int, rng: np.random.Generator) -> np.ndarray:
    pick = rng.choice(tt.n_stops, size=n)
    return walk_minutes(
        tt.stop_lat[pick] + rng.normal(0, 0.002, n), tt.stop_lon[pick] + rng.normal(0, 0.003, n), tt
    )


def assert_same_with_threads(
    tt: raptor.Timetable, access: np.ndarray, egress: np.ndarray, window: tuple[str, str]
) -> None:
    walk = np.full((access.shape[0], egress.shape[1]), 45.0)
    serial = raptor.transit_matrix_percentiles(
        tt, access, egress, walk_min=walk, window=window, workers=1
    )
    threaded = raptor.transit_matrix_percentiles(
        tt, access, egress, walk_min=walk, window=window, workers=2
    )
    assert np.isfinite(serial).any() and (serial < 45).any()  # public transport does something
    np.testing.assert_array_equal(threaded, serial)  # bit for bit, NaN where NaN
    median = raptor.transit_matrix(tt, access, egress, window=window, workers=2)
    np.testing.assert_array_equal(median, raptor.transit_matrix(tt, access, egress, window=window))
    tt_serial = raptor.travel_time_percentiles(tt, access, window=window, workers=1)
    tt_threaded = raptor.travel_time_percentiles(tt, access, window=window, workers=2)
    np.testing.assert_array_equal(tt_threaded, tt_serial)


@pytest.mark.parametrize("seed", range(2))
def test_threads_give_the_same_matrix_on_random_timetables(seed: int) -> None:
    tt = raptor.build_timetable(random_schedule(seed), max_transfer_m=500.0)
    rng = np.random.default_rng(200 + seed)
    access, egress = random_points(tt, 9, rng), random_points(tt, 7, rng).T
    assert_same_with_threads(tt, access, egress, ("07:00", "09:00"))


def test_threads_give_the_same_matrix_on_the_demo_feed(tmp_path: Path) -> None:
    study = demo.generate_demo(seed=0)
    day = gtfs.schedule_on(
        gtfs.read_gtfs(write_gtfs_zip(study.gtfs, tmp_path / "gtfs.zip")), TUESDAY
    )
    tt = raptor.build_timetable(day)
    rng = np.random.default_rng(7)
    access, egress = random_points(tt, 12, rng), random_points(tt, 10, rng).T
    assert_same_with_threads(tt, access, egress, ("07:00", "08:30"))


def test_progress_is_reported_from_the_calling_thread(hand: raptor.Timetable) -> None:
    calls: list[tuple[int, int, str, int]] = []

    def progress(done: int, total: int, label: str) -> None:
        calls.append((done, total, label, threading.get_ident()))

    access = np.repeat(ACCESS, 65, axis=0)  # 130 zones, half of them reach no stop
    got = raptor.transit_matrix(
        hand, access, EGRESS, window=("07:50", "08:00"), progress=progress, workers=2
    )
    np.testing.assert_array_equal(got, np.repeat([[37, 21], [np.nan, np.nan]], 65, axis=0))
    main = threading.get_ident()
    assert calls == [(k, 130, "public transport", main) for k in (64, 128, 130)]


def test_an_error_in_a_thread_is_raised(
    hand: raptor.Timetable, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = raptor._run
    count = iter(range(1000))

    def failing(*args: Any, **kwargs: Any) -> tuple[np.ndarray, int]:
        if next(count) == 3:
            raise RuntimeError("kernel failed")
        return run(*args, **kwargs)

    monkeypatch.setattr(raptor, "_run", failing)
    with pytest.raises(RuntimeError, match="kernel failed"):
        raptor.transit_matrix(hand, np.repeat(ACCESS[:1], 40, axis=0), EGRESS, workers=2)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_bad_number_of_workers(hand: raptor.Timetable, workers: Any) -> None:
    with pytest.raises(ConfigError, match=r"workers must be a whole number ≥ 1 .* got"):
        raptor.transit_matrix(hand, ACCESS, EGRESS, workers=workers)
    with pytest.raises(ConfigError, match=r"workers must be a whole number ≥ 1"):
        raptor.travel_time_percentiles(hand, ACCESS, workers=workers)

"""GTFS loading and checks on tiny hand-made feeds (3 stops, 2 routes) written to a zip."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from estatesplan import gtfs
from estatesplan.errors import (
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    MissingColumnError,
)

# S1 → S2 → S3 due north, 0.01° (1.11 km) apart. R1 runs S1 → S2 on weekdays (T1, T2);
# R2 runs S2 → S3 (T3 weekdays, T4 Saturdays, T5 late on weekdays, past midnight).
# Weekdays 2026; 4 May 2026 is a bank holiday running the Saturday service.
BASE: dict[str, str] = {
    "agency": "agency_id,agency_name,agency_url,agency_timezone\nA,Test,https://example.com,Europe/London\n",
    "stops": (
        "stop_id,stop_name,stop_lat,stop_lon\n"
        "S1,One,51.50,-0.10\n"
        "S2,Two,51.51,-0.10\n"
        "S3,Three,51.52,-0.10\n"
    ),
    "routes": "route_id,route_short_name,route_type\nR1,1,3\nR2,2,3\n",
    "trips": ("route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\nR2,WK,T3\nR2,SA,T4\nR2,WK,T5\n"),
    "stop_times": (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "T1,08:00:00,08:00:00,S1,1\n"
        "T1,08:10:00,08:10:00,S2,2\n"
        "T2,08:30:00,08:30:00,S1,1\n"
        "T2,08:40:00,08:40:00,S2,2\n"
        "T3,08:15:00,08:15:00,S2,1\n"
        "T3,08:30:00,08:30:00,S3,2\n"
        "T4,09:00:00,09:00:00,S2,1\n"
        "T4,09:15:00,09:15:00,S3,2\n"
        "T5,24:50:00,24:50:00,S2,1\n"
        "T5,25:05:00,25:05:00,S3,2\n"
    ),
    "calendar": (
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "WK,1,1,1,1,1,0,0,20260101,20261231\n"
        "SA,0,0,0,0,0,1,0,20260101,20261231\n"
    ),
    "calendar_dates": "service_id,date,exception_type\nWK,20260504,2\nSA,20260504,1\n",
}
TUESDAY = "2026-05-05"


def write_feed(
    path: Path, tables: dict[str, str | None] | None = None, **changes: str | None
) -> Path:
    """Write ``BASE`` with ``changes`` (table → CSV text, None to leave it out) as a zip."""
    content = {**BASE, **(tables or {}), **changes}
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in content.items():
            if text is not None:
                zf.writestr(f"{name}.txt", text)
    return path


@pytest.fixture
def feed_path(tmp_path: Path) -> Path:
    return write_feed(tmp_path / "feed.zip")


def test_reads_tables_and_times_past_midnight(feed_path: Path) -> None:
    feed = gtfs.read_gtfs(feed_path)
    assert feed.source == "feed.zip"
    assert list(feed.stops["stop_id"]) == ["S1", "S2", "S3"]
    t5 = feed.stop_times[feed.stop_times["trip_id"] == "T5"]
    assert t5["arrival_s"].tolist() == [24 * 3600 + 50 * 60, 25 * 3600 + 5 * 60]
    assert feed.stop_times["line"].tolist()[:2] == [2, 3]
    assert feed.frequencies is None and feed.transfers is None
    assert feed.date_range() == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_services_on_calendar_and_exceptions(feed_path: Path) -> None:
    feed = gtfs.read_gtfs(feed_path)
    assert gtfs.services_on(feed, TUESDAY) == {"WK"}
    assert gtfs.services_on(feed, "2026-05-09") == {"SA"}  # a Saturday
    assert gtfs.services_on(feed, "2026-05-04") == {"SA"}  # bank holiday: Saturday service
    assert gtfs.services_on(feed, "2026-05-10") == frozenset()  # Sunday


def test_schedule_keeps_the_days_trips_and_last_nights_late_ones(feed_path: Path) -> None:
    feed = gtfs.read_gtfs(feed_path)
    tue = gtfs.schedule_on(feed, TUESDAY)  # Monday was a bank holiday: no late WK trip
    assert set(tue.trips["trip_id"]) == {"T1", "T2", "T3", "T5"}
    wed = gtfs.schedule_on(feed, "2026-05-06")
    assert set(wed.trips["trip_id"]) == {"T1", "T2", "T3", "T5", "T5@-1d"}
    late = wed.stop_times[wed.stop_times["trip_id"] == "T5@-1d"]
    assert late["departure_s"].tolist() == [50 * 60, 65 * 60]  # 00:50 and 01:05 on Wednesday
    alone = gtfs.schedule_on(feed, "2026-05-06", previous_day=False)
    assert "T5@-1d" not in set(alone.trips["trip_id"])


def test_frequencies_expand_to_trips(tmp_path: Path) -> None:
    path = write_feed(
        tmp_path / "f.zip",
        frequencies="trip_id,start_time,end_time,headway_secs\nT3,07:00:00,07:30:00,600\n",
    )
    day = gtfs.schedule_on(gtfs.read_gtfs(path), TUESDAY)
    names = sorted(t for t in day.trips["trip_id"] if t.startswith("T3"))
    assert names == ["T3@07:00:00", "T3@07:10:00", "T3@07:20:00"]  # end time excluded
    st = day.stop_times[day.stop_times["trip_id"] == "T3@07:10:00"]
    assert st["departure_s"].tolist() == [7 * 3600 + 600, 7 * 3600 + 600 + 900]


def test_blank_intermediate_times_are_interpolated_by_distance(tmp_path: Path) -> None:
    path = write_feed(
        tmp_path / "b.zip",
        trips="route_id,service_id,trip_id\nR1,WK,T1\n",
        stop_times=(
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type\n"
            "T1,08:00:00,08:00:00,S1,1,0,1\n"
            "T1,,,S2,2,,\n"
            "T1,08:20:00,08:20:00,S3,3,1,0\n"
        ),
    )
    st = gtfs.read_gtfs(path).stop_times
    assert st["arrival_s"].tolist() == [8 * 3600, 8 * 3600 + 600, 8 * 3600 + 1200]
    assert st["pickup"].tolist() == [True, True, False]
    assert st["dropoff"].tolist() == [False, True, True]


def test_transfers_are_read(tmp_path: Path) -> None:
    path = write_feed(
        tmp_path / "t.zip",
        transfers="from_stop_id,to_stop_id,transfer_type,min_transfer_time\nS1,S2,2,300\nS2,S3,3,\n",
    )
    tr = gtfs.read_gtfs(path).transfers
    assert tr is not None
    assert tr["transfer_type"].tolist() == [2, 3]
    assert tr["min_transfer_time"].tolist()[0] == 300.0 and np.isnan(tr["min_transfer_time"][1])


def test_parse_gtfs_time() -> None:
    assert gtfs.parse_gtfs_time("25:10:00") == 90600
    assert gtfs.parse_gtfs_time("07:30") == 27000
    assert gtfs.parse_gtfs_time(61) == 61
    with pytest.raises(DataContractError, match="not HH:MM"):
        gtfs.parse_gtfs_time("7h30")


# --- bad input: one test per kind -------------------------------------------------------


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "feed.zip"
    path.write_text("stop_id,stop_name\n")
    with pytest.raises(DataSourceError, match=r"feed\.zip is not a zip archive"):
        gtfs.read_gtfs(path)


def test_zip_that_is_not_gtfs(tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.md", "hello")
    with pytest.raises(
        DataSourceError, match=r"photos\.zip is not a GTFS feed: it holds readme\.md"
    ):
        gtfs.read_gtfs(path)


def test_missing_required_table(tmp_path: Path) -> None:
    path = write_feed(tmp_path / "f.zip", stop_times=None)
    with pytest.raises(DataSourceError, match=r"required GTFS table stop_times\.txt missing"):
        gtfs.read_gtfs(path)


def test_missing_calendar(tmp_path: Path) -> None:
    path = write_feed(tmp_path / "f.zip", calendar=None, calendar_dates=None)
    with pytest.raises(DataSourceError, match=r"calendar\.txt or calendar_dates\.txt missing"):
        gtfs.read_gtfs(path)


def test_missing_column(tmp_path: Path) -> None:
    text = BASE["stop_times"].replace(",departure_time", "", 1)
    path = write_feed(tmp_path / "f.zip", stop_times=text)
    with pytest.raises(
        MissingColumnError, match=r"stop_times\.txt lacks required column `departure_time`"
    ):
        gtfs.read_gtfs(path)


def test_date_with_no_service(feed_path: Path) -> None:
    feed = gtfs.read_gtfs(feed_path)
    with pytest.raises(
        DataContractError,
        match=r"no trip runs on Tuesday 2027-06-01 .* services run from 2026-01-01 to 2026-12-31",
    ):
        gtfs.schedule_on(feed, "2027-06-01")
    with pytest.raises(DataContractError, match="no trip runs on Sunday 2026-05-10"):
        gtfs.schedule_on(feed, "2026-05-10")


def test_stop_times_out_of_order(tmp_path: Path) -> None:
    text = BASE["stop_times"].replace("T1,08:10:00,08:10:00,S2,2", "T1,07:55:00,07:55:00,S2,2")
    path = write_feed(tmp_path / "f.zip", stop_times=text)
    with pytest.raises(
        DataContractError, match=r"stop_times\.txt: times go backwards .*trip_id T1; lines 3\)"
    ):
        gtfs.read_gtfs(path)


def test_unknown_stop_ids(tmp_path: Path) -> None:
    text = BASE["stop_times"].replace("T2,08:40:00,08:40:00,S2,2", "T2,08:40:00,08:40:00,S9,2")
    path = write_feed(tmp_path / "f.zip", stop_times=text)
    with pytest.raises(
        DataContractError,
        match=r"stop_times\.txt: 1 row\(s\) name a stop_id not in stops\.txt \(lines 5; stop_id S9\)",
    ):
        gtfs.read_gtfs(path)


def test_unknown_trip_ids(tmp_path: Path) -> None:
    path = write_feed(
        tmp_path / "f.zip", stop_times=BASE["stop_times"] + "T7,09:00:00,09:00:00,S1,1\n"
    )
    with pytest.raises(
        DataContractError, match=r"name a trip_id not in trips\.txt \(lines 12; trip_id T7\)"
    ):
        gtfs.read_gtfs(path)


def test_bad_time_format(tmp_path: Path) -> None:
    text = BASE["stop_times"].replace("T3,08:15:00,08:15:00", "T3,8h15,8h15")
    path = write_feed(tmp_path / "f.zip", stop_times=text)
    with pytest.raises(DataContractError, match=r"not HH:MM:SS on line\(s\) 6"):
        gtfs.read_gtfs(path)


def test_repeated_stop_sequence(tmp_path: Path) -> None:
    text = BASE["stop_times"].replace("T1,08:10:00,08:10:00,S2,2", "T1,08:10:00,08:10:00,S2,1")
    path = write_feed(tmp_path / "f.zip", stop_times=text)
    with pytest.raises(
        DataContractError, match=r"stop_sequence repeated within a trip on lines \d+ \(trip_id T1\)"
    ):
        gtfs.read_gtfs(path)


def test_trip_of_unknown_route(tmp_path: Path) -> None:
    path = write_feed(tmp_path / "f.zip", trips=BASE["trips"].replace("R2,SA,T4", "R7,SA,T4"))
    with pytest.raises(
        DataContractError,
        match=r"trips\.txt: route_id not in routes\.txt on line\(s\) 5 \(route_id R7\)",
    ):
        gtfs.read_gtfs(path)


def test_trips_without_stop_times_are_dropped_with_a_warning(tmp_path: Path) -> None:
    path = write_feed(tmp_path / "f.zip", trips=BASE["trips"] + "R1,WK,T9\n")
    with pytest.warns(
        DataQualityWarning,
        match=r"trips\.txt has 1 trip\(s\) with fewer than two stop times \(lines 7; trip_id T9\)",
    ):
        feed = gtfs.read_gtfs(path)
    assert "T9" not in set(feed.trips["trip_id"])


def test_stops_outside_the_area_are_reported(feed_path: Path) -> None:
    feed = gtfs.read_gtfs(feed_path)
    area = box(-0.11, 51.49, -0.09, 51.515)  # S1 and S2, not S3
    with pytest.warns(DataQualityWarning, match=r"1 of 3 stops .* outside the area \(stop_id S3\)"):
        out = gtfs.stops_outside_area(feed, area, area_crs="EPSG:4326")
    assert out["stop_id"].tolist() == ["S3"]

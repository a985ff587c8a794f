"""Load a GTFS timetable zip as published, check it, and pick the trips that run on a date.

:func:`read_gtfs` reads the tables the router needs (``stops``, ``routes``, ``trips``,
``stop_times``, ``calendar``, ``calendar_dates``, and ``frequencies`` and ``transfers``
when present) and checks them, collecting every problem before raising once with the
table, the file lines and the ids involved. :func:`schedule_on` keeps the trips whose
service runs on a chosen date, expands ``frequencies.txt`` into trips, and adds the
previous day's trips that are still running after midnight. :func:`stops_outside_area`
reports stops outside the study area.

Times are whole seconds after "noon minus 12 h" of the service day, as in GTFS: they
may pass 24:00:00 (``25:10:00`` is 01:10 the next morning on the same service day).
Blank times at intermediate stops (allowed by GTFS) are interpolated linearly by the
straight-line distance between consecutive stops, rounded to the second. Line numbers
in messages count the header as line 1.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import warnings
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from . import _gtfs_tables as gt
from . import contracts as c
from .errors import DataContractError, DataQualityWarning
from .validate import Problems, format_ids

__all__ = [
    "DaySchedule",
    "GtfsFeed",
    "parse_gtfs_time",
    "read_gtfs",
    "schedule_on",
    "services_on",
    "stops_outside_area",
]

logger = logging.getLogger(__name__)

_DAY_S: Final = 86_400


@dataclass(frozen=True)
class GtfsFeed:
    """A checked GTFS feed: the tables the router uses, with parsed numbers and times.

    Every id column is ``str``. ``stops`` has float ``stop_lat``/``stop_lon`` (WGS84
    degrees, NaN for entrances and nodes without a location), int ``location_type``
    and ``parent_station`` (empty when none). ``stop_times`` is ordered by trip then
    ``stop_sequence`` and has int64 ``arrival_s``/``departure_s`` (seconds after noon
    minus 12 h of the service day, blanks interpolated), bool ``pickup``/``dropoff``
    (``pickup_type``/``drop_off_type`` other than 1) and ``line`` (the line of
    ``stop_times.txt`` each row came from). ``calendar`` dates and ``calendar_dates``
    ``date`` are int ``YYYYMMDD``. ``frequencies`` has int seconds ``start_s``,
    ``end_s``, ``headway_s``; ``transfers`` int ``transfer_type`` and float
    ``min_transfer_time`` (seconds, NaN when blank). Absent optional tables are None.
    """

    source: str
    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    calendar: pd.DataFrame | None
    calendar_dates: pd.DataFrame | None
    frequencies: pd.DataFrame | None
    transfers: pd.DataFrame | None

    def date_range(self) -> tuple[dt.date, dt.date] | None:
        """First and last date any service is defined on (None for an empty calendar)."""
        days: list[int] = []
        if self.calendar is not None and len(self.calendar):
            days += [int(self.calendar["start_date"].min()), int(self.calendar["end_date"].max())]
        if self.calendar_dates is not None and len(self.calendar_dates):
            added = self.calendar_dates.loc[self.calendar_dates["exception_type"] == 1, "date"]
            if len(added):
                days += [int(added.min()), int(added.max())]
        if not days:
            return None
        return _int_date(min(days)), _int_date(max(days))


@dataclass(frozen=True)
class DaySchedule:
    """The trips of one service day, ready to build a timetable from.

    ``trips`` has ``trip_id`` (unique; trips expanded from ``frequencies.txt`` are
    ``<trip_id>@HH:MM:SS``, previous-day trips end in ``@-1d``), ``route_id`` and
    ``service_id``. ``stop_times`` has ``trip_id``, ``stop_id``, int64
    ``arrival_s``/``departure_s`` (seconds after noon minus 12 h of ``date``; negative
    for previous-day trips before midnight) and bool ``pickup``/``dropoff``, ordered by
    trip then stop sequence. ``stops`` and ``transfers`` are the feed's tables.
    """

    source: str
    date: dt.date
    services: frozenset[str]
    stops: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    transfers: pd.DataFrame | None


def _int_date(value: int) -> dt.date:
    return dt.date(value // 10_000, value // 100 % 100, value % 100)


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        msg = f"date {value!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-05-05)"
        raise DataContractError(msg) from None


def parse_gtfs_time(value: str | int | float) -> int:
    """Return a GTFS time (``HH:MM:SS``, hours may pass 24) or a number of seconds as seconds.

    Parameters
    ----------
    value
        ``"07:30"``, ``"07:30:00"``, ``"25:10:00"``, or seconds after noon minus 12 h.

    Returns
    -------
    int
        Seconds after noon minus 12 h of the service day.

    Examples
    --------
    >>> parse_gtfs_time("25:10:00")
    90600
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    parts = str(value).strip().split(":")
    if (
        len(parts) in (2, 3)
        and all(p.isdigit() for p in parts)
        and all(len(p) == 2 for p in parts[1:])
    ):
        h, m, s = (int(p) for p in [*parts, "0"][:3])
        if m < 60 and s < 60:
            return h * 3600 + m * 60 + s
    msg = f"time {value!r} is not HH:MM or HH:MM:SS (hours may pass 24, e.g. 25:10:00)"
    raise DataContractError(msg)


def read_gtfs(path: str | os.PathLike[str]) -> GtfsFeed:
    """Read and check a GTFS zip as published.

    Parameters
    ----------
    path
        The feed's ``.zip`` (tables may sit in one sub-folder of the zip).

    Returns
    -------
    GtfsFeed
        The parsed tables; trips without at least two stop times are left out (with
        a warning).

    Raises
    ------
    DataSourceError
        If the file is missing, not a zip, not a GTFS feed, lacks a required table
        (stops, routes, trips, stop_times, and calendar or calendar_dates) or a table
        cannot be parsed.
    MissingColumnError
        If a table lacks a required column.
    DataContractError
        Listing every problem with the table, lines and ids: repeated ids, trips of
        unknown routes, stop_times naming unknown trips or stops, malformed times or
        dates, stop times out of order within a trip, frequencies or transfers naming
        unknown trips or stops.

    Warns
    -----
    DataQualityWarning
        For trips without stop times (or with only one), which are dropped.
    """
    t0 = time.perf_counter()
    source, tables = gt.open_tables(path)
    problems = Problems(source)
    stops = gt.check_stops(tables["stops"], problems)
    routes, trips = tables["routes"], tables["trips"].reset_index(drop=True)
    for table, df, col in (("routes", routes, "route_id"), ("trips", trips, "trip_id")):
        dup = df[col].duplicated(keep=False).to_numpy()
        if dup.any():
            problems.add(
                f"{table}.txt: {col} repeated on lines {gt.lines(dup)}; ids must be unique."
            )
    bad_route = ~trips["route_id"].isin(routes["route_id"]).to_numpy()
    if bad_route.any():
        problems.add(
            f"trips.txt: route_id not in routes.txt on line(s) {gt.lines(bad_route)} "
            f"(route_id {format_ids(trips.loc[bad_route, 'route_id'].unique())})."
        )
    st = gt.check_stop_times(tables["stop_times"], pd.Index(trips["trip_id"]), stops, problems)
    calendar, cdates = tables.get("calendar"), tables.get("calendar_dates")
    if calendar is not None:
        calendar = calendar.copy()
        gt.parse_dates(calendar, ("start_date", "end_date"), "calendar", problems)
    if cdates is not None:
        cdates = cdates.copy()
        gt.parse_dates(cdates, ("date",), "calendar_dates", problems)
        cdates["exception_type"] = np.nan_to_num(gt.numbers(cdates["exception_type"])).astype(
            np.int64
        )
    freq = gt.check_frequencies(tables.get("frequencies"), trips, problems)
    transfers = gt.check_transfers(tables.get("transfers"), stops, problems)
    problems.raise_if_any()
    counts = st["trip_id"].value_counts()
    short = ~trips["trip_id"].isin(counts.index[counts >= 2]).to_numpy()
    if short.any():
        warnings.warn(
            f"{source}: trips.txt has {int(short.sum())} trip(s) with fewer than two stop times "
            f"(lines {gt.lines(short)}; trip_id {format_ids(trips.loc[short, 'trip_id'])}); "
            "they cannot be ridden and are left out.",
            DataQualityWarning,
            stacklevel=2,
        )
        trips = trips.loc[~short].reset_index(drop=True)
        st = st[st["trip_id"].isin(trips["trip_id"])].reset_index(drop=True)
    keep = [
        "trip_id",
        "stop_id",
        "stop_sequence",
        "arrival_s",
        "departure_s",
        "pickup",
        "dropoff",
        "line",
    ]
    feed = GtfsFeed(
        source=source, stops=stops, routes=routes, trips=trips, stop_times=st[keep],
        calendar=calendar, calendar_dates=cdates, frequencies=freq, transfers=transfers,
    )  # fmt: skip
    logger.info(
        "GTFS %s: %d stops, %d routes, %d trips, %d stop times read in %.2f s",
        source, len(stops), len(routes), len(trips), len(st), time.perf_counter() - t0,
    )  # fmt: skip
    return feed


def services_on(feed: GtfsFeed, date: dt.date | str) -> frozenset[str]:
    """Return the ``service_id`` values that run on ``date`` (calendar plus exceptions).

    Parameters
    ----------
    feed
        From :func:`read_gtfs`.
    date
        A date, or ``"YYYY-MM-DD"``.

    Returns
    -------
    frozenset of str
        Possibly empty.
    """
    d = _as_date(date)
    key = d.year * 10_000 + d.month * 100 + d.day
    active: set[str] = set()
    cal = feed.calendar
    if cal is not None and len(cal):
        on = (
            (cal[gt.DAYS[d.weekday()]].str.strip() == "1")
            & (cal["start_date"] <= key)
            & (cal["end_date"] >= key)
        )
        active |= set(cal.loc[on, "service_id"])
    cd = feed.calendar_dates
    if cd is not None and len(cd):
        today = cd[cd["date"] == key]
        active |= set(today.loc[today["exception_type"] == 1, "service_id"])
        active -= set(today.loc[today["exception_type"] == 2, "service_id"])
    return frozenset(active)


def _day_trips(feed: GtfsFeed, services: frozenset[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trips and stop times of ``services``, with frequency-based trips expanded."""
    trips = feed.trips.loc[
        feed.trips["service_id"].isin(services), ["trip_id", "route_id", "service_id"]
    ]
    st = feed.stop_times[feed.stop_times["trip_id"].isin(trips["trip_id"])]
    cols = ["trip_id", "stop_id", "arrival_s", "departure_s", "pickup", "dropoff"]
    st = st[cols]
    freq = feed.frequencies
    if freq is None or not freq["trip_id"].isin(trips["trip_id"]).any():
        return trips.reset_index(drop=True), st.reset_index(drop=True)
    freq = freq[freq["trip_id"].isin(trips["trip_id"])]
    templates = set(freq["trip_id"])
    by_trip = dict(list(st[st["trip_id"].isin(templates)].groupby("trip_id", sort=False)))
    new_trips, new_st = [], []
    info = trips.set_index("trip_id")
    for tid, start, end, head in freq[["trip_id", "start_s", "end_s", "headway_s"]].itertuples(
        index=False
    ):
        tmpl = by_trip[tid]
        base = int(tmpl["departure_s"].iloc[0])
        for s in range(int(start), int(end), int(head)):
            name = f"{tid}@{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
            new_trips.append((name, info.at[tid, "route_id"], info.at[tid, "service_id"]))
            block = tmpl.assign(
                trip_id=name,
                arrival_s=tmpl["arrival_s"] - base + s,
                departure_s=tmpl["departure_s"] - base + s,
            )
            new_st.append(block)
    plain = ~trips["trip_id"].isin(templates)
    trips = pd.concat(
        [trips[plain], pd.DataFrame(new_trips, columns=["trip_id", "route_id", "service_id"])],
        ignore_index=True,
    )
    st = pd.concat([st[~st["trip_id"].isin(templates)], *new_st], ignore_index=True)
    logger.info("frequencies.txt: %d trip(s) expanded to %d", len(templates), len(new_trips))
    return trips, st


def schedule_on(feed: GtfsFeed, date: dt.date | str, *, previous_day: bool = True) -> DaySchedule:
    """Return the trips that run on ``date``.

    Parameters
    ----------
    feed
        From :func:`read_gtfs`.
    date
        Service date, a date or ``"YYYY-MM-DD"``.
    previous_day
        Also keep the previous service day's trips that are still running after
        midnight (times past 24:00:00), shifted by −24 h.

    Returns
    -------
    DaySchedule
        Trips (``frequencies.txt`` expanded) and their stop times in seconds of ``date``.

    Raises
    ------
    DataContractError
        If no trip runs on ``date``; the message gives the feed's date range.
    """
    d = _as_date(date)
    services = services_on(feed, d)
    trips, st = _day_trips(feed, services)
    if not len(trips):
        span = feed.date_range()
        cover = (
            f"services run from {span[0]} to {span[1]}" if span else "no service dates are defined"
        )
        msg = (
            f"{feed.source}: calendar.txt/calendar_dates.txt: no trip runs on {d.strftime('%A')} "
            f"{d.isoformat()} ({len(services)} service(s) active that day); in this feed {cover}. "
            "Choose a date the feed covers (a weekday for a typical service)."
        )
        raise DataContractError(msg)
    if previous_day:
        ptrips, pst = _day_trips(feed, services_on(feed, d - dt.timedelta(days=1)))
        late = pst.groupby("trip_id", sort=False)["arrival_s"].max()
        late_ids = late.index[late >= _DAY_S]
        if len(late_ids):
            ptrips = ptrips[ptrips["trip_id"].isin(late_ids)].assign(
                trip_id=lambda f: f["trip_id"] + "@-1d"
            )
            pst = pst[pst["trip_id"].isin(late_ids)].assign(
                trip_id=lambda f: f["trip_id"] + "@-1d",
                arrival_s=lambda f: f["arrival_s"] - _DAY_S,
                departure_s=lambda f: f["departure_s"] - _DAY_S,
            )
            trips = pd.concat([trips, ptrips], ignore_index=True)
            st = pd.concat([st, pst], ignore_index=True)
    logger.info(
        "GTFS %s on %s: %d services, %d trips, %d stop times",
        feed.source, d.isoformat(), len(services), len(trips), len(st),
    )  # fmt: skip
    return DaySchedule(
        source=feed.source, date=d, services=services, stops=feed.stops, trips=trips,
        stop_times=st.reset_index(drop=True), transfers=feed.transfers,
    )  # fmt: skip


def stops_outside_area(
    feed: GtfsFeed | DaySchedule,
    area: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry,
    *,
    area_crs: Any = c.ANALYSIS_CRS,
    warn: bool = True,
) -> pd.DataFrame:
    """Return the stops (with a location) that fall outside ``area``, warning about them.

    Parameters
    ----------
    feed
        A feed or a day's schedule.
    area
        The network or study area: a layer (its CRS is used) or one geometry in ``area_crs``.
    area_crs
        CRS of a bare geometry (default the analysis CRS, EPSG:27700).
    warn
        Issue a :class:`~estatesplan.errors.DataQualityWarning` when some are outside.

    Returns
    -------
    pandas.DataFrame
        ``stop_id``, ``stop_name``, ``stop_lat``, ``stop_lon`` of the stops outside.
    """
    stops = feed.stops[feed.stops["stop_lat"].notna() & feed.stops["stop_lon"].notna()]
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        crs, shape = area.crs, area.geometry.union_all()
    else:
        crs, shape = area_crs, area
    pts = gpd.GeoSeries(gpd.points_from_xy(stops["stop_lon"], stops["stop_lat"]), crs="EPSG:4326")
    inside = pts.to_crs(crs).within(shape).to_numpy()
    out = stops.loc[~inside, ["stop_id", "stop_name", "stop_lat", "stop_lon"]].reset_index(
        drop=True
    )
    if warn and len(out):
        warnings.warn(
            f"{feed.source}: {len(out)} of {len(stops)} stops in stops.txt lie outside the area "
            f"(stop_id {format_ids(out['stop_id'])}); journeys through them use the timetable, "
            "but nobody can walk to or from them on the area's streets.",
            DataQualityWarning,
            stacklevel=2,
        )
    result: pd.DataFrame = out
    return result

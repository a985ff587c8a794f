"""Reading and checking the tables of a GTFS zip (internal; see :mod:`estatesplan.gtfs`).

Each table is read as text (ids are never parsed as numbers), with the columns the
router needs; every check adds a problem naming the table, the file lines (the header
is line 1) and the ids, so that :func:`estatesplan.gtfs.read_gtfs` raises once with all
of them.
"""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import PurePosixPath
from typing import Final

import numpy as np
import pandas as pd

from ._io import check_input_file
from .errors import DataSourceError, MissingColumnError
from .validate import Problems, format_ids

__all__ = [
    "DAYS",
    "check_frequencies",
    "check_stop_times",
    "check_stops",
    "check_transfers",
    "lines",
    "numbers",
    "open_tables",
    "parse_dates",
]

logger = logging.getLogger(__name__)

_REQUIRED_TABLES: Final = ("stops", "routes", "trips", "stop_times")
_OPTIONAL_TABLES: Final = ("calendar", "calendar_dates", "frequencies", "transfers")
DAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "stops": ("stop_id",),
    "routes": ("route_id",),
    "trips": ("route_id", "service_id", "trip_id"),
    "stop_times": ("trip_id", "stop_id", "stop_sequence", "arrival_time", "departure_time"),
    "calendar": ("service_id", *DAYS, "start_date", "end_date"),
    "calendar_dates": ("service_id", "date", "exception_type"),
    "frequencies": ("trip_id", "start_time", "end_time", "headway_secs"),
    "transfers": ("from_stop_id", "to_stop_id"),
}
_USECOLS: Final[dict[str, tuple[str, ...]]] = {
    "stops": ("stop_id", "stop_name", "stop_lat", "stop_lon", "location_type", "parent_station"),
    "stop_times": (*_COLUMNS["stop_times"], "pickup_type", "drop_off_type"),
    "transfers": (
        "from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time",
        "from_trip_id", "to_trip_id", "from_route_id", "to_route_id",
    ),
}  # fmt: skip
_TIME_RE: Final = r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$"
_EARTH_M: Final = 6_371_008.8


def lines(mask: np.ndarray | pd.Series) -> str:
    """File lines (header = line 1) of the rows where ``mask`` holds."""
    return format_ids(np.flatnonzero(np.asarray(mask)) + 2)


def _members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Table name → member name for the ``.txt`` files (also inside one sub-folder)."""
    found: dict[str, str] = {}
    for name in zf.namelist():
        p = PurePosixPath(name)
        if (
            p.suffix.lower() == ".txt"
            and not name.startswith("__MACOSX")
            and not name.endswith("/")
        ):
            found.setdefault(p.stem.lower(), name)
    return found


def _read_table(zf: zipfile.ZipFile, member: str, table: str, source: str) -> pd.DataFrame:
    wanted = _USECOLS.get(table)
    try:
        with zf.open(member) as fh:
            df = pd.read_csv(
                fh, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                skipinitialspace=True, usecols=(lambda col: col.strip() in wanted) if wanted else None,
            )  # fmt: skip
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, zipfile.BadZipFile) as err:
        msg = (
            f"{source}: {table}.txt cannot be read as a comma-separated table ({err}). "
            "Re-download the feed or re-export the table as UTF-8 CSV."
        )
        raise DataSourceError(msg) from err
    df.columns = [str(col).strip() for col in df.columns]
    for col in df.columns:
        if col.endswith("_id") or col == "parent_station":
            df[col] = df[col].str.strip()
    return df


def open_tables(path: str | os.PathLike[str]) -> tuple[str, dict[str, pd.DataFrame]]:
    p = check_input_file(path, what="GTFS feed")
    source = p.name
    if not zipfile.is_zipfile(p):
        msg = (
            f"{source} is not a zip archive. A GTFS feed is a .zip of comma-separated "
            "tables (stops.txt, routes.txt, trips.txt, stop_times.txt, calendar.txt, ...) "
            "as published by the operator; pass that file unchanged."
        )
        raise DataSourceError(msg)
    with zipfile.ZipFile(p) as zf:
        members = _members(zf)
        known = set(_REQUIRED_TABLES) | set(_OPTIONAL_TABLES) | {"agency", "feed_info", "shapes"}
        if not known & set(members):
            held = format_ids(sorted(zf.namelist())) or "nothing"
            msg = (
                f"{source} is not a GTFS feed: it holds {held} but none of the GTFS tables "
                f"({', '.join(f'{t}.txt' for t in _REQUIRED_TABLES)}, calendar.txt). "
                "Pass the timetable zip as published."
            )
            raise DataSourceError(msg)
        missing = [f"{t}.txt" for t in _REQUIRED_TABLES if t not in members]
        if "calendar" not in members and "calendar_dates" not in members:
            missing.append("calendar.txt or calendar_dates.txt")
        if missing:
            msg = (
                f"{source}: required GTFS table{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} missing from the zip (it holds "
                f"{format_ids(sorted(members))}). Use the complete feed as published."
            )
            raise DataSourceError(msg)
        tables: dict[str, pd.DataFrame] = {
            t: _read_table(zf, members[t], t, source)
            for t in (*_REQUIRED_TABLES, *_OPTIONAL_TABLES)
            if t in members
        }
    problems = Problems(source)
    for table, df in tables.items():
        absent = [col for col in _COLUMNS[table] if col not in df.columns]
        if absent:
            problems.add(
                f"{table}.txt lacks required column{'s' if len(absent) > 1 else ''} "
                f"{', '.join(f'`{a}`' for a in absent)} (columns present: "
                f"{', '.join(df.columns) or 'none'}). Use the GTFS field names.",
                MissingColumnError,
            )
    problems.raise_if_any()
    return source, tables


def numbers(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s.str.strip().replace("", None), errors="coerce").to_numpy(float)


def _times(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Seconds (NaN when blank or malformed) and a mask of malformed values."""
    parts = s.str.extract(_TIME_RE)
    secs = (
        pd.to_numeric(parts[0]) * 3600 + pd.to_numeric(parts[1]) * 60 + pd.to_numeric(parts[2])
    ).to_numpy(float)
    bad = np.isnan(secs) & (s.str.strip() != "").to_numpy(bool)
    return secs, bad


def parse_dates(df: pd.DataFrame, cols: tuple[str, ...], table: str, problems: Problems) -> None:
    for col in cols:
        raw = df[col].str.strip()
        parsed = pd.to_datetime(raw, format="%Y%m%d", errors="coerce")
        bad = parsed.isna().to_numpy()
        if bad.any():
            problems.add(
                f"{table}.txt: `{col}` is not a date YYYYMMDD on line(s) {lines(bad)} "
                f"(e.g. {raw[bad].iloc[0]!r})."
            )
        df[col] = np.where(bad, 0, pd.to_numeric(raw.where(~bad, "0"), errors="coerce")).astype(
            np.int64
        )


def check_stops(stops: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    stops = stops.copy()
    for col in ("stop_name", "parent_station", "location_type", "stop_lat", "stop_lon"):
        if col not in stops.columns:
            stops[col] = ""
    dup = stops["stop_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        problems.add(f"stops.txt: stop_id repeated on lines {lines(dup)}; ids must be unique.")
    loc = numbers(stops["location_type"])
    stops["location_type"] = np.nan_to_num(loc, nan=0.0).astype(np.int64)
    lat, lon = numbers(stops["stop_lat"]), numbers(stops["stop_lon"])
    needs = stops["location_type"].isin([0, 1, 2]).to_numpy()
    bad = needs & ~((np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        problems.add(
            f"stops.txt: stop_lat/stop_lon missing or out of range on line(s) {lines(bad)} "
            f"(stop_id {format_ids(stops.loc[bad, 'stop_id'])}); give WGS84 degrees."
        )
    stops["stop_lat"], stops["stop_lon"] = lat, lon
    return stops


def check_stop_times(
    st: pd.DataFrame, trip_ids: pd.Index, stops: pd.DataFrame, problems: Problems
) -> pd.DataFrame:
    st = st.reset_index(drop=True)
    st["line"] = np.arange(len(st), dtype=np.int64) + 2
    unknown_trip = ~st["trip_id"].isin(trip_ids).to_numpy()
    if unknown_trip.any():
        problems.add(
            f"stop_times.txt: {int(unknown_trip.sum())} row(s) name a trip_id not in trips.txt "
            f"(lines {lines(unknown_trip)}; trip_id {format_ids(st.loc[unknown_trip, 'trip_id'].unique())})."
        )
    unknown_stop = ~st["stop_id"].isin(stops["stop_id"]).to_numpy()
    if unknown_stop.any():
        problems.add(
            f"stop_times.txt: {int(unknown_stop.sum())} row(s) name a stop_id not in stops.txt "
            f"(lines {lines(unknown_stop)}; stop_id {format_ids(st.loc[unknown_stop, 'stop_id'].unique())}). "
            "Add the stops or remove those rows."
        )
    seq = numbers(st["stop_sequence"])
    bad_seq = ~(np.isfinite(seq) & (seq >= 0) & (seq == np.round(seq)))
    if bad_seq.any():
        problems.add(
            f"stop_times.txt: stop_sequence is not a whole number ≥ 0 on line(s) {lines(bad_seq)}."
        )
    arr, bad_a = _times(st["arrival_time"])
    dep, bad_d = _times(st["departure_time"])
    if (bad_a | bad_d).any():
        problems.add(
            f"stop_times.txt: arrival_time/departure_time not HH:MM:SS on line(s) {lines(bad_a | bad_d)}."
        )
    if bad_seq.any() or (bad_a | bad_d).any():
        return st
    for name, col in (("pickup", "pickup_type"), ("dropoff", "drop_off_type")):
        st[name] = (st[col].str.strip() != "1").to_numpy() if col in st.columns else True
    st["stop_sequence"] = seq.astype(np.int64)
    st["arrival_s"], st["departure_s"] = (
        np.where(np.isnan(arr), dep, arr),
        np.where(np.isnan(dep), arr, dep),
    )
    st = st.sort_values(["trip_id", "stop_sequence"], kind="stable").reset_index(drop=True)
    tid = st["trip_id"].to_numpy()
    first = np.r_[True, tid[1:] != tid[:-1]]
    last = np.r_[first[1:], True]
    dup = (
        ~first
        & np.r_[False, st["stop_sequence"].to_numpy()[1:] == st["stop_sequence"].to_numpy()[:-1]]
    )
    if dup.any():
        problems.add(
            f"stop_times.txt: stop_sequence repeated within a trip on lines "
            f"{format_ids(st.loc[dup, 'line'])} (trip_id {format_ids(st.loc[dup, 'trip_id'].unique())})."
        )
    blank_end = np.isnan(st["arrival_s"].to_numpy()) & (first | last)
    if blank_end.any():
        problems.add(
            f"stop_times.txt: the first and last stop of a trip need times; blank on lines "
            f"{format_ids(st.loc[blank_end, 'line'])} (trip_id {format_ids(st.loc[blank_end, 'trip_id'].unique())})."
        )
    if dup.any() or blank_end.any():
        return st
    _interpolate(st, stops, first)
    a, d = st["arrival_s"].to_numpy(), st["departure_s"].to_numpy()
    back = (d < a) | (~first & (a < np.r_[a[:1], d[:-1]]))
    if back.any():
        rows = st.loc[back]
        problems.add(
            f"stop_times.txt: times go backwards within {rows['trip_id'].nunique()} trip(s) "
            f"(trip_id {format_ids(rows['trip_id'].unique())}; lines {format_ids(rows['line'])}): "
            "each stop's departure must not be before its arrival, nor its arrival before the "
            "previous stop's departure, in stop_sequence order."
        )
    return st


def _interpolate(st: pd.DataFrame, stops: pd.DataFrame, first: np.ndarray) -> None:
    """Fill blank intermediate times in place, linearly by straight-line distance."""
    arr = st["arrival_s"].to_numpy(float).copy()
    dep = st["departure_s"].to_numpy(float).copy()
    known = ~np.isnan(arr)
    if not known.all():
        xy = stops.set_index("stop_id")[["stop_lat", "stop_lon"]].reindex(st["stop_id"])
        lat, lon = (
            np.radians(xy["stop_lat"].to_numpy(float)),
            np.radians(xy["stop_lon"].to_numpy(float)),
        )
        step = np.r_[0.0, _EARTH_M * np.hypot(np.diff(lat), np.diff(lon) * np.cos(lat[1:]))]
        step = np.where(first | ~np.isfinite(step), 0.0, step)
        cum = np.cumsum(step) + np.arange(len(st)) * 1e-3  # tiny term: equal places share evenly
        idx = np.arange(len(st))
        prev = np.maximum.accumulate(np.where(known, idx, 0))
        nxt = np.minimum.accumulate(np.where(known, idx, len(st) - 1)[::-1])[::-1]
        gap = ~known
        p, n = prev[gap], nxt[gap]
        frac = (cum[gap] - cum[p]) / (cum[n] - cum[p])
        arr[gap] = dep[gap] = np.round(dep[p] + (arr[n] - dep[p]) * frac)
        logger.info("interpolated %d blank stop times", int(gap.sum()))
    st["arrival_s"], st["departure_s"] = arr.astype(np.int64), dep.astype(np.int64)


def check_frequencies(
    freq: pd.DataFrame | None, trips: pd.DataFrame, problems: Problems
) -> pd.DataFrame | None:
    if freq is None:
        return None
    freq = freq.reset_index(drop=True)
    start, bad_s = _times(freq["start_time"])
    end, bad_e = _times(freq["end_time"])
    head = numbers(freq["headway_secs"])
    bad = bad_s | bad_e | np.isnan(start) | np.isnan(end) | ~(head > 0) | ~(end > start)
    if bad.any():
        problems.add(
            f"frequencies.txt: start_time/end_time not HH:MM:SS, end not after start, or "
            f"headway_secs not a positive number on line(s) {lines(bad)}."
        )
    unknown = ~freq["trip_id"].isin(trips["trip_id"]).to_numpy()
    if unknown.any():
        problems.add(f"frequencies.txt: trip_id not in trips.txt on line(s) {lines(unknown)}.")
    ok = ~bad
    return pd.DataFrame(
        {
            "trip_id": freq["trip_id"],
            "start_s": np.where(ok, start, 0).astype(np.int64),
            "end_s": np.where(ok, end, 0).astype(np.int64),
            "headway_s": np.where(ok, head, 1).astype(np.int64),
        }
    )


def check_transfers(
    tr: pd.DataFrame | None, stops: pd.DataFrame, problems: Problems
) -> pd.DataFrame | None:
    if tr is None:
        return None
    tr = tr.reset_index(drop=True)
    known = (
        tr["from_stop_id"].isin(stops["stop_id"]) & tr["to_stop_id"].isin(stops["stop_id"])
    ).to_numpy()
    # rows for one trip or route only (or GTFS in-seat transfers) cannot be modelled here
    special = np.zeros(len(tr), dtype=bool)
    for col in ("from_trip_id", "to_trip_id", "from_route_id", "to_route_id"):
        if col in tr.columns:
            special |= (tr[col] != "").to_numpy()
    ttype = np.nan_to_num(
        numbers(tr["transfer_type"]) if "transfer_type" in tr else np.zeros(len(tr))
    )
    special |= ttype > 3
    unknown = ~known & ~special & (tr["from_stop_id"] != "").to_numpy()
    if unknown.any():
        problems.add(
            f"transfers.txt: from_stop_id/to_stop_id not in stops.txt on line(s) {lines(unknown)}."
        )
    if special.any():
        logger.info("transfers.txt: %d trip- or route-specific row(s) ignored", int(special.sum()))
    mtt = (
        numbers(tr["min_transfer_time"]) if "min_transfer_time" in tr else np.full(len(tr), np.nan)
    )
    keep = ~special & (tr["from_stop_id"] != "").to_numpy()
    return pd.DataFrame(
        {
            "from_stop_id": tr["from_stop_id"], "to_stop_id": tr["to_stop_id"],
            "transfer_type": ttype.astype(np.int64), "min_transfer_time": mtt,
        }
    )[keep].reset_index(drop=True)  # fmt: skip

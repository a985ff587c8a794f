"""The ``transit`` mode of a study: walk + public transport, never slower than walking.

Joins the timetable router (:mod:`estatesplan.raptor`) to the street network of the
travel-time engine (:mod:`estatesplan.travel_times`):

1. the day's timetable: :func:`service_date` (the configured date, or a representative
   weekday of the feed, said in the log and the matrix's metadata), then
   :func:`~estatesplan.gtfs.schedule_on` and :func:`~estatesplan.raptor.build_timetable`;
2. walking minutes from each origin (a zone's routing point) to the stops, and from the
   stops to each destination, over the walk network, up to ``[transit] max_walk_min``;
   stops beyond the street network's extent can be ridden through but not walked to;
3. :func:`~estatesplan.raptor.transit_matrix`: for every departure minute of the window
   the earliest arrival over every stop, the chosen percentile over the window, capped by
   the direct walk (so the mode is never slower than walking), NaN beyond the cut-off.

The result is a :class:`~estatesplan.travel_times.TravelTimeMatrix` of mode ``"transit"``
that the access stage (cohorts, staff commuting and journeys between sites), co-location
options and scenarios read like any other mode. Residents' trip carbon does not use it: that
estimate takes mode shares by trip distance and car availability (bus and rail included).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import contracts as c
from .errors import ConfigError, DataContractError

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    from ._config_transit import TransitConfig
    from .config import StudyConfig
    from .graph import StreetNetwork
    from .gtfs import GtfsFeed
    from .progress import Progress
    from .raptor import Timetable
    from .travel_times import PreparedNetwork, TravelTimeMatrix

__all__ = [
    "NO_FEED",
    "StudyTimetable",
    "load_timetable",
    "service_date",
    "study_timetable",
    "transit_matrix_from_network",
    "transit_percentiles_from_network",
    "transit_sentence",
    "transit_settings",
    "transit_status",
]

logger = logging.getLogger(__name__)

_STOP_ID = "stop_id"

NO_FEED = (
    "Public transport is not measured: the study names no GTFS timetable ([transit] gtfs), so "
    "people without a car are measured on walking and cycling only, which overstates how far "
    "they are from services. Give a GTFS zip (for London, TfL's feed or the Bus Open Data "
    "Service's) as [transit] gtfs and run again."
)
"""What every face of the product says when a study has no timetable."""
_SCAN_DAYS = 63
"""Days from the start of a feed searched for a representative Tuesday (nine weeks)."""


@dataclass(frozen=True)
class StudyTimetable:
    """One service day's timetable, with its stops as points.

    Attributes
    ----------
    timetable
        The router's arrays (:func:`~estatesplan.raptor.build_timetable`).
    date
        The service date.
    chosen
        True when the date was picked from the feed (no ``[transit] date``).
    stops
        The day's served stops in ``timetable.stop_ids`` order: ``stop_id`` and point
        geometry in the requested CRS (stops without a location are left out).
    source
        The feed's file name.
    trips
        Trips running that day (after expanding frequencies).
    """

    timetable: Timetable
    date: dt.date
    chosen: bool
    stops: gpd.GeoDataFrame
    source: str
    trips: int

    def describe(self) -> str:
        """One line for logs and maps: the feed, the day and how the date was set."""
        how = "picked from the feed" if self.chosen else "as configured"
        return (
            f"{self.source}, {self.date.strftime('%A')} {self.date.isoformat()} ({how}): "
            f"{self.trips:,} trips, {self.timetable.n_stops:,} stops served"
        )


def _trips_running(feed: GtfsFeed, day: dt.date) -> int:
    from .gtfs import services_on

    services = services_on(feed, day)
    return int(feed.trips["service_id"].isin(services).sum()) if services else 0


def service_date(feed: GtfsFeed, date: dt.date | str | None = None) -> tuple[dt.date, bool]:
    """Return the service date to route on, and whether it was picked here.

    A given date is returned as it is (:func:`~estatesplan.gtfs.schedule_on` says
    clearly when nothing runs that day). Without one, the Tuesday with the most trips
    among the feed's first nine weeks is picked (a typical weekday; Tuesday avoids
    Monday bank holidays), falling back to the busiest day when the feed covers no
    Tuesday.

    Parameters
    ----------
    feed
        From :func:`~estatesplan.gtfs.read_gtfs`.
    date
        The configured date, or None.

    Returns
    -------
    date : datetime.date
        The service date.
    chosen : bool
        True when picked from the feed.

    Raises
    ------
    ConfigError
        If no date is given and the feed defines no service dates.
    """
    if date is not None:
        return (date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))), False
    span = feed.date_range()
    if span is None:
        msg = (
            f"{feed.source}: calendar.txt and calendar_dates.txt define no service dates, so no "
            "day can be picked; set [transit] date (or --date) to the day to route on"
        )
        raise ConfigError(msg)
    days = [
        span[0] + dt.timedelta(days=k) for k in range(min(_SCAN_DAYS, (span[1] - span[0]).days + 1))
    ]
    tuesdays = [d for d in days if d.weekday() == 1] or days
    counts = [_trips_running(feed, d) for d in tuesdays]
    best = int(np.argmax(counts))
    if counts[best] == 0:
        msg = (
            f"{feed.source}: no trip runs on any day from {days[0]} to {days[-1]}; set "
            "[transit] date (or --date) to a day the feed covers"
        )
        raise ConfigError(msg)
    return tuesdays[best], True


def load_timetable(
    gtfs: str | os.PathLike[str],
    *,
    date: dt.date | str | None = None,
    crs: str = c.ANALYSIS_CRS,
    transfer_m: float = 400.0,
    walk_speed_kmh: float = 4.8,
) -> StudyTimetable:
    """Read a GTFS zip and build the timetable of one service day.

    Parameters
    ----------
    gtfs
        GTFS zip as published.
    date
        Service date (None: :func:`service_date` picks one).
    crs
        CRS of the returned stop points (projected, metres).
    transfer_m
        Footpaths join stops within this straight-line distance, metres.
    walk_speed_kmh
        Walking speed on footpaths, km/h.

    Returns
    -------
    StudyTimetable
        The day's timetable and stops.

    Raises
    ------
    DataSourceError, DataContractError
        If the zip is not a usable GTFS feed (naming table and rows).
    ConfigError
        If no date is given and none can be picked.
    """
    from . import gtfs as _gtfs
    from . import raptor

    t0 = time.perf_counter()
    feed = _gtfs.read_gtfs(gtfs)
    day, chosen = service_date(feed, date)
    schedule = _gtfs.schedule_on(feed, day)
    tt = raptor.build_timetable(schedule, max_transfer_m=transfer_m, walk_speed_kmh=walk_speed_kmh)
    lat = np.asarray(tt.stop_lat, dtype=float)
    lon = np.asarray(tt.stop_lon, dtype=float)
    located = np.isfinite(lat) & np.isfinite(lon)
    stops = gpd.GeoDataFrame(
        {_STOP_ID: pd.Series(np.asarray(tt.stop_ids, dtype=object)[located], dtype=object)},
        geometry=gpd.points_from_xy(lon[located], lat[located]),
        crs="EPSG:4326",
    ).to_crs(crs)
    stops.index = np.flatnonzero(located)
    result = StudyTimetable(
        timetable=tt, date=day, chosen=chosen, stops=stops, source=feed.source.rsplit("/", 1)[-1],
        trips=len(schedule.trips),
    )  # fmt: skip
    logger.info("timetable %s built in %.1f s", result.describe(), time.perf_counter() - t0)
    return result


def study_timetable(cfg: StudyConfig) -> StudyTimetable:
    """The timetable of a study's ``[transit]`` feed, date and footpaths.

    Parameters
    ----------
    cfg
        Study config with ``[transit] gtfs`` set.

    Returns
    -------
    StudyTimetable
        As :func:`load_timetable`, stops in the study's CRS.

    Raises
    ------
    ConfigError
        If the config names no GTFS feed.
    """
    if cfg.transit.gtfs is None:
        msg = (
            "the transit mode needs a timetable: set [transit] gtfs to a GTFS zip (for London, "
            "TfL's or the Bus Open Data Service's feed), or drop transit from [access] modes"
        )
        raise ConfigError(msg)
    return load_timetable(
        cfg.transit.gtfs, date=cfg.transit.date, crs=cfg.crs, transfer_m=cfg.transit.transfer_m,
        walk_speed_kmh=cfg.network.walk_speed_kmh,
    )  # fmt: skip


def transit_settings(transit: TransitConfig) -> dict[str, Any]:
    """Every ``[transit]`` setting a transit matrix depends on (for cache keys and metadata).

    Parameters
    ----------
    transit
        The config section.

    Returns
    -------
    dict
        JSON-serialisable; the feed itself is keyed by its bytes, not its path.
    """
    return {
        "date": transit.date.isoformat() if transit.date else None,
        "window": list(transit.window),
        "percentile": float(transit.percentile),
        "max_transfers": int(transit.max_transfers),
        "max_walk_min": float(transit.max_walk_min),
        "transfer_m": float(transit.transfer_m),
    }


def _walkable_stops(
    stops: gpd.GeoDataFrame, net: StreetNetwork, margin_m: float
) -> gpd.GeoDataFrame:
    """Stops within the street network's bounding box grown by ``margin_m`` (others cannot be walked to)."""
    if not len(net.x):
        return stops.iloc[:0]
    x0, x1 = float(net.x.min()) - margin_m, float(net.x.max()) + margin_m
    y0, y1 = float(net.y.min()) - margin_m, float(net.y.max()) + margin_m
    x = stops.geometry.x.to_numpy()
    y = stops.geometry.y.to_numpy()
    return stops[(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)]


def transit_matrix_from_network(
    walk_net: StreetNetwork,
    timetable: StudyTimetable,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    origin_id: str,
    destination_id: str,
    transit: TransitConfig,
    cutoff_min: float,
    walk: TravelTimeMatrix | None = None,
    max_snap_m: float = 500.0,
    walk_speed_kmh: float = 4.8,
    prepared: PreparedNetwork | None = None,
    progress: Progress | None = None,
) -> TravelTimeMatrix:
    """Walk + public transport minutes from every origin to every destination.

    Parameters
    ----------
    walk_net
        The walk network (projected CRS, edge times in seconds).
    timetable
        From :func:`load_timetable` (stops in ``walk_net``'s CRS).
    origins, destinations
        As for :func:`~estatesplan.travel_times.matrix_from_network` (zones route from
        ``route_x``/``route_y``).
    origin_id, destination_id
        Id columns.
    transit
        Window, percentile, transfers and walk limits (``[transit]``).
    cutoff_min
        Longer trips are NaN, minutes.
    walk
        The direct walking matrix between the same origins and destinations (same id
        order); None computes it. Its cut-off should be at least ``cutoff_min``.
    max_snap_m, walk_speed_kmh
        As for the walk matrices.
    prepared
        The walk network prepared once (:class:`~estatesplan.travel_times.PreparedNetwork`).
    progress
        Optional callback ``(done, total, label)`` as origins are routed.

    Returns
    -------
    TravelTimeMatrix
        Mode ``"transit"``: minutes (float32) at ``transit.percentile`` of the window,
        never more than the direct walk; NaN beyond ``cutoff_min``. ``metadata`` records
        the feed, date, window, percentile, stop counts and the walk matrix's flagged
        points.

    Raises
    ------
    ConfigError
        If the cut-off is not positive or a setting is out of range.
    DataContractError
        If ``walk`` was computed between other layers.
    """
    pct = float(transit.percentile)
    return transit_percentiles_from_network(
        walk_net, timetable, origins, destinations, origin_id=origin_id,
        destination_id=destination_id, transit=transit, cutoff_min=cutoff_min, walk=walk,
        max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh, prepared=prepared,
        progress=progress, percentiles=(pct,),
    )[pct]  # fmt: skip


def transit_percentiles_from_network(
    walk_net: StreetNetwork,
    timetable: StudyTimetable,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    origin_id: str,
    destination_id: str,
    transit: TransitConfig,
    cutoff_min: float,
    walk: TravelTimeMatrix | None = None,
    max_snap_m: float = 500.0,
    walk_speed_kmh: float = 4.8,
    prepared: PreparedNetwork | None = None,
    progress: Progress | None = None,
    percentiles: Sequence[float] = (5, 25, 50, 75, 95),
) -> dict[float, TravelTimeMatrix]:
    """Walk + public transport minutes at several percentiles of the departure window.

    One range-RAPTOR pass per origin gives every percentile (R5 reports 5/25/50/75/95:
    how the time varies with when one leaves). See :func:`transit_matrix_from_network`
    for the other parameters; ``transit.percentile`` is ignored here.

    Parameters
    ----------
    percentiles
        Which percentiles (0–100), increasing.

    Returns
    -------
    dict of float to TravelTimeMatrix
        One matrix per percentile, as :func:`transit_matrix_from_network` returns for it
        (``metadata["settings"]["percentile"]`` says which).
    """
    from . import raptor
    from .travel_times import PreparedNetwork, TravelTimeMatrix, matrix_from_network

    t0 = time.perf_counter()
    if not cutoff_min > 0:
        msg = f"the cut-off must be a positive number of minutes, found {cutoff_min}"
        raise ConfigError(msg)
    prep = prepared or PreparedNetwork.build(walk_net)
    route = functools.partial(
        matrix_from_network, walk_net, max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh,
        prepared=prep, warn=False,
    )  # fmt: skip
    if walk is None:
        walk = route(
            origins, destinations, origin_id=origin_id, destination_id=destination_id,
            cutoff_min=cutoff_min,
        )  # fmt: skip
    tt = timetable.timetable
    stops = _walkable_stops(timetable.stops, walk_net, margin_m=max_snap_m)
    n_o, n_d = walk.minutes.shape
    o_ids = np.asarray(walk.origin_ids, dtype=object)
    d_ids = np.asarray(walk.destination_ids, dtype=object)
    for what, ids, frame, col in (
        ("origins", o_ids, origins, origin_id),
        ("destinations", d_ids, destinations, destination_id),
    ):
        if sorted(map(str, ids)) != sorted(frame[col].astype(str)):
            msg = (
                f"the walking matrix given as the transit cap has other {what} than the layer "
                f"({len(ids)} ids against {len(frame)}); compute it between the same layers"
            )
            raise DataContractError(msg)
    if len(stops):
        acc = route(
            origins, stops, origin_id=origin_id, destination_id=_STOP_ID,
            cutoff_min=transit.max_walk_min,
        )  # fmt: skip
        egr = route(
            stops, destinations, origin_id=_STOP_ID, destination_id=destination_id,
            cutoff_min=transit.max_walk_min,
        )  # fmt: skip
        a_rows = pd.Index(np.asarray(acc.origin_ids, dtype=str)).get_indexer(o_ids.astype(str))
        e_cols = pd.Index(np.asarray(egr.destination_ids, dtype=str)).get_indexer(d_ids.astype(str))
        stop_pos = tt.stop_index(np.asarray(acc.destination_ids, dtype=object))
        access = np.full((n_o, tt.n_stops), np.inf)
        access[:, stop_pos] = np.where(np.isfinite(acc.minutes), acc.minutes, np.inf)[a_rows]
        egress = np.full((tt.n_stops, n_d), np.inf)
        egress[tt.stop_index(np.asarray(egr.origin_ids, dtype=object)), :] = np.where(
            np.isfinite(egr.minutes), egr.minutes, np.inf
        )[:, e_cols]
    else:
        access = np.full((n_o, tt.n_stops), np.inf)
        egress = np.full((tt.n_stops, n_d), np.inf)
    pcts = [float(p) for p in percentiles]
    if not pcts or pcts != sorted(set(pcts)):
        msg = f"percentiles must be distinct and increasing, got {list(percentiles)!r}"
        raise ConfigError(msg)
    stack = raptor.transit_matrix_percentiles(
        tt, access, egress, walk_min=walk.minutes, window=transit.window,
        percentiles=pcts, max_transfers=transit.max_transfers,
        max_walk_min=transit.max_walk_min, cutoff_min=cutoff_min, progress=progress,
    )  # fmt: skip
    near = np.isfinite(access).any(axis=0) | np.isfinite(egress).any(axis=1)
    walk_inf = np.where(np.isnan(walk.minutes), np.inf, walk.minutes)
    faster = (np.isfinite(stack) & (stack < walk_inf[None])).sum(axis=(1, 2))  # per percentile
    shown = pcts.index(50.0) if 50.0 in pcts else 0  # the one the log line reports
    settings: dict[str, Any] = {
        "cutoff_min": float(cutoff_min), "max_snap_m": float(max_snap_m),
        "walk_speed_kmh": float(walk_speed_kmh), **transit_settings(transit),
        "date": timetable.date.isoformat(),
    }  # fmt: skip
    meta: dict[str, Any] = {
        "timetable": {
            "gtfs": timetable.source, "date": timetable.date.isoformat(),
            "date_chosen": timetable.chosen, "trips": timetable.trips,
            "stops_served": tt.n_stops, "stops_walkable": len(stops),
            "stops_used": int(near.sum()), "describe": timetable.describe(),
        },
        "flagged_origins": list(walk.metadata.get("flagged_origins") or []),
        "flagged_destinations": list(walk.metadata.get("flagged_destinations") or []),
        "furthest_snap_m": walk.metadata.get("furthest_snap_m"),
        "seconds": round(time.perf_counter() - t0, 3),
    }  # fmt: skip
    logger.info(
        "transit matrix %d × %d on %s: %d stops within the street network (%d beyond it are "
        "ridden through, not walked to), %.1f%% of pairs within %g min, %d faster than walking, "
        "in %.1f s",
        n_o, n_d, timetable.describe(), len(stops), tt.n_stops - len(stops),
        100.0 * np.isfinite(stack[shown]).mean() if stack[shown].size else 0.0,
        cutoff_min, int(faster[shown]), time.perf_counter() - t0,
    )  # fmt: skip
    return {
        pct: TravelTimeMatrix(
            mode="transit", origin_ids=o_ids, destination_ids=d_ids, minutes=stack[k],
            cutoff_min=float(cutoff_min),
            metadata={
                "settings": {**settings, "percentile": pct}, **meta,
                "pairs_faster_than_walking": int(faster[k]),
            },
        )
        for k, pct in enumerate(pcts)
    }  # fmt: skip


def transit_status(
    matrices: Mapping[str, TravelTimeMatrix], cfg: StudyConfig | None = None
) -> dict[str, Any]:
    """How public transport was measured in a study, for the manifest, the CLI and the app.

    Parameters
    ----------
    matrices
        The study's matrices.
    cfg
        Its config, when known (tells "no feed" from "left out of the modes").

    Returns
    -------
    dict
        ``status`` ("computed" or "not computed"); when computed the feed, date, window,
        percentile and stop counts, else ``why``.
    """
    m = matrices.get("transit")
    if m is not None:
        tt = dict(m.metadata.get("timetable") or {})
        st = m.metadata.get("settings") or {}
        return {
            "status": "computed", **tt,
            **{k: st[k] for k in ("window", "percentile", "max_transfers", "max_walk_min") if k in st},
        }  # fmt: skip
    if cfg is not None and cfg.transit.gtfs is not None:
        why = "[access] modes leaves transit out, though [transit] gtfs names a timetable"
    else:
        why = NO_FEED
    return {"status": "not computed", "why": why}


def transit_sentence(status: Mapping[str, Any] | None) -> str:
    """One plain sentence on how public transport was measured (or why it was not).

    Parameters
    ----------
    status
        From :func:`transit_status` (None: an older study without the record).

    Returns
    -------
    str
        E.g. "Public transport: gtfs.zip, Tuesday 2026-01-06 …; departures 07:00–10:00
        every minute, median travel time, never slower than walking."
    """
    if not status:
        return "Public transport: not recorded for this study."
    if status.get("status") != "computed":
        return str(status.get("why") or NO_FEED)
    pct = float(status.get("percentile", 50.0))
    which = "median" if pct == 50 else f"{pct:g}th percentile"
    window = "–".join(status.get("window") or ("07:00", "10:00"))
    return (
        f"Public transport: {status.get('describe', status.get('gtfs', 'timetable'))}; departures "
        f"{window} every minute, {which} travel time, at most {status.get('max_walk_min', 20):g} "
        "min walk to and from stops, never slower than walking."
    )

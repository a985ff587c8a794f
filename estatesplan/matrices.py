"""Travel-time matrices for a study: zones × assets, one per configured mode, cached on disk.

The cache key covers the OSM extract's bytes, the mode and its speed settings, the
cut-off, the snapping distance and the exact origin and destination points, so a
re-run with nothing changed reads the matrices back without building a network.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from . import contracts as c
from .cache import cache_key, load_or_build
from .errors import ConfigError
from .progress import Progress, null_progress

if TYPE_CHECKING:
    from ._config_transit import TransitConfig
    from .config import StudyConfig
    from .graph import StreetNetwork
    from .travel_times import TravelTimeMatrix

__all__ = [
    "MATRIX_MODES",
    "ROUTED_MODES",
    "points_digest",
    "study_matrices",
    "transit_percentiles_from_files",
]

logger = logging.getLogger(__name__)

ROUTED_MODES = ("walk", "cycle", "drive")
"""Modes routed over the street network (transit has its own engine)."""

MATRIX_MODES = (*ROUTED_MODES, "transit")
"""Modes a study can compute matrices for (transit: walk + public transport from GTFS)."""


def _save_matrix(matrix: TravelTimeMatrix, path: Path) -> None:
    matrix.save(path)


def points_digest(gdf: gpd.GeoDataFrame, id_col: str) -> str:
    """Return a SHA-256 of the ids and point coordinates (metres, 1 mm) of a layer.

    Parameters
    ----------
    gdf
        Points, or zones with ``route_x``/``route_y`` routing points.
    id_col
        Id column.

    Returns
    -------
    str
        64 hex characters.
    """
    if c.ROUTE_X in gdf.columns and c.ROUTE_Y in gdf.columns:
        xy = gdf[[c.ROUTE_X, c.ROUTE_Y]].to_numpy(dtype="float64")
    else:
        pts = gdf.geometry.representative_point()
        xy = np.column_stack((pts.x.to_numpy(), pts.y.to_numpy()))
    h = hashlib.sha256()
    h.update("\x1f".join(gdf[id_col].astype(str)).encode())
    h.update(np.round(xy, 3).tobytes())
    h.update(str(gdf.crs).encode())
    return h.hexdigest()


def study_matrices(
    cfg: StudyConfig,
    zones: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    *,
    modes: Sequence[str] | None = None,
    progress: Progress | None = None,
    cache_folder: str | Path | None = None,
) -> dict[str, TravelTimeMatrix]:
    """Compute (or read from the cache) the zones × assets matrix for each mode.

    Parameters
    ----------
    cfg
        Study config; uses ``network`` (extract and speeds), ``access`` (modes, cut-off)
        and, for the ``transit`` mode, ``transit`` (the GTFS feed, date, window).
    zones
        Origins: zones with ``zone_id`` and routing points ``route_x``/``route_y``.
    assets
        Destinations: assets with ``asset_id``.
    modes
        Modes to compute (default: the config's ``[access] modes``). ``transit`` also
        needs the walk matrix (its cap); that is computed (and cached) even when walk is
        not asked for, but only the modes asked for are returned.
    progress
        Optional progress callback.
    cache_folder
        Cache folder (default: the per-user cache).

    Returns
    -------
    dict of str to TravelTimeMatrix
        Minutes (float32), zones in rows, assets in columns; NaN beyond ``cutoff_min``.

    Raises
    ------
    ConfigError
        If matrices are asked for but the config names no street network, or transit
        is asked for without a GTFS feed.
    """
    from . import networks, travel_times

    asked = [m for m in (modes or cfg.access.modes) if m in MATRIX_MODES]
    if not asked:
        return {}
    osm = cfg.network.osm
    if osm is None:
        msg = "[network] osm is needed to compute travel-time matrices; name an .osm.pbf extract"
        raise ConfigError(msg)
    if "transit" in asked and cfg.transit.gtfs is None:
        from .study_transit import study_timetable

        study_timetable(cfg)  # raises, saying what to set
    wanted = [m for m in asked if m in ROUTED_MODES]
    if "transit" in asked and "walk" not in wanted:
        wanted.append("walk")  # the transit mode's cap and its walks to and from stops
    report = progress or null_progress
    settings = {
        "crs": cfg.crs,
        "cutoff_min": cfg.access.cutoff_min,
        "walk_speed_kmh": cfg.network.walk_speed_kmh,
        "cycle_speed_kmh": cfg.network.cycle_speed_kmh,
        "congestion_factor": cfg.network.congestion_factor,
        "max_snap_m": cfg.network.max_snap_m,
        "origins": points_digest(zones, c.ZONE_ID),
        "destinations": points_digest(assets, c.ASSET_ID),
    }
    keys = {m: cache_key("matrix", files=[osm], mode=m, **settings) for m in wanted}
    built: dict[str, StreetNetwork] = {}

    def network(mode: str) -> StreetNetwork:
        if not built:  # one pass over the extract builds every mode still needed
            t0 = time.perf_counter()
            built.update(
                networks.networks_from_osm(
                    osm, modes=wanted, crs=cfg.crs,
                    speeds={"walk": cfg.network.walk_speed_kmh, "cycle": cfg.network.cycle_speed_kmh},
                    congestion_factor=cfg.network.congestion_factor,
                )
            )  # fmt: skip
            logger.info("networks %s built in %.1f s", ", ".join(built), time.perf_counter() - t0)
        return built[mode]

    out: dict[str, TravelTimeMatrix] = {}
    total = len(wanted) + ("transit" in asked)
    for i, mode in enumerate(wanted):
        report(i, total, f"matrix {mode}")

        def build(mode: str = mode) -> TravelTimeMatrix:
            return travel_times.matrix_from_network(
                network(mode), zones, assets,
                origin_id=c.ZONE_ID, destination_id=c.ASSET_ID,
                cutoff_min=cfg.access.cutoff_min, max_snap_m=cfg.network.max_snap_m,
                walk_speed_kmh=cfg.network.walk_speed_kmh, warn=False,
            )  # fmt: skip

        matrix = load_or_build(
            keys[mode],
            suffix=".parquet",
            build=build,
            save=_save_matrix,
            load=travel_times.TravelTimeMatrix.load,
            folder=cache_folder,
        )
        # Said from the matrix's own record, so a cached matrix warns as a fresh one does.
        travel_times.warn_flagged_points(matrix, stacklevel=2)
        reach = np.isfinite(matrix.minutes)
        logger.info(
            "matrix %s: %d zones × %d assets, %.1f%% of pairs within %g min",
            mode, matrix.minutes.shape[0], matrix.minutes.shape[1],
            100.0 * reach.mean() if reach.size else 0.0, cfg.access.cutoff_min,
        )  # fmt: skip
        out[mode] = matrix
        report(i + 1, total, f"matrix {mode}")
    if "transit" in asked:
        report(total - 1, total, "matrix transit")
        out["transit"] = _study_transit(
            cfg, zones, assets, out["walk"], lambda: network("walk"), settings, cache_folder
        )
        report(total, total, "matrix transit")
    return {m: out[m] for m in asked}


def _study_transit(
    cfg: StudyConfig,
    zones: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    walk: TravelTimeMatrix,
    walk_network: Callable[[], StreetNetwork],
    settings: dict[str, object],
    cache_folder: str | Path | None,
) -> TravelTimeMatrix:
    """The study's transit matrix, cached by the extract's and the feed's bytes and every setting."""
    from . import study_transit, travel_times

    gtfs, osm = cfg.transit.gtfs, cfg.network.osm
    assert gtfs is not None and osm is not None
    key = cache_key(
        "matrix", files=[osm, gtfs], mode="transit", **settings,
        transit=study_transit.transit_settings(cfg.transit),
    )  # fmt: skip

    def build() -> TravelTimeMatrix:
        tt = study_transit.study_timetable(cfg)
        return study_transit.transit_matrix_from_network(
            walk_network(), tt, zones, assets, origin_id=c.ZONE_ID, destination_id=c.ASSET_ID,
            transit=cfg.transit, cutoff_min=cfg.access.cutoff_min, walk=walk,
            max_snap_m=cfg.network.max_snap_m, walk_speed_kmh=cfg.network.walk_speed_kmh,
        )  # fmt: skip

    matrix = load_or_build(
        key, suffix=".parquet", build=build, save=_save_matrix,
        load=travel_times.TravelTimeMatrix.load, folder=cache_folder,
    )  # fmt: skip
    meta = matrix.metadata.get("timetable") or {}
    logger.info(
        "matrix transit: %s; %.1f%% of pairs within %g min",
        meta.get("describe", "timetable"), 100.0 * np.isfinite(matrix.minutes).mean(),
        cfg.access.cutoff_min,
    )  # fmt: skip
    return matrix


def read_points(
    path: str | Path, *, id_col: str | None = None, layer: str | None = None
) -> tuple[gpd.GeoDataFrame, str]:
    """Read origins or destinations: any point or polygon layer (or CSV) with an id column.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, shapefile, or CSV with ``easting``/``northing``
        (EPSG:27700) or ``lon``/``lat`` (EPSG:4326) columns.
    id_col
        Id column; by default ``id``, or the only column ending in ``_id`` or
        ``code``, whose values are unique.
    layer
        Layer name for multi-layer files.

    Returns
    -------
    layer : geopandas.GeoDataFrame
        The layer; polygons are kept (the matrix function routes from a point
        inside each).
    id_col : str
        The id column used.

    Raises
    ------
    DataSourceError
        If the file is missing, empty or unreadable.
    MissingColumnError
        If no id column can be found.
    CrsError
        If the layer has no CRS.
    """

    from ._io import check_input_file
    from .errors import CrsError, DataSourceError, MissingColumnError

    p = check_input_file(path, what="points")
    try:
        if p.suffix.lower() == ".csv":
            df = pd.read_csv(p)
            lower = {col.lower(): col for col in df.columns}
            for xs, ys, crs in (
                ("easting", "northing", "EPSG:27700"),
                ("x", "y", "EPSG:27700"),
                ("lon", "lat", "EPSG:4326"),
                ("longitude", "latitude", "EPSG:4326"),
            ):
                if xs in lower and ys in lower:
                    gdf = gpd.GeoDataFrame(
                        df, geometry=gpd.points_from_xy(df[lower[xs]], df[lower[ys]]), crs=crs
                    )
                    break
            else:
                msg = (
                    f"{p}: a CSV of points needs easting/northing (EPSG:27700) or lon/lat "
                    f"(EPSG:4326) columns; found {', '.join(map(str, df.columns))}"
                )
                raise DataSourceError(msg)
        else:
            gdf = gpd.read_file(p, layer=layer)
    except DataSourceError:
        raise
    except Exception as err:
        msg = f"{p}: cannot read as a point or polygon layer ({err})"
        raise DataSourceError(msg) from err
    if gdf.crs is None:
        msg = f"{p}: the layer has no coordinate reference system; set one (e.g. EPSG:27700)"
        raise CrsError(msg)
    if id_col is None:
        candidates = [col for col in gdf.columns if col.lower() == "id"] or [
            col for col in gdf.columns
            if col != gdf.geometry.name and (col.lower().endswith("_id") or col.lower().endswith("code")
                                             or col.lower().endswith("cd"))
        ]  # fmt: skip
        unique = [col for col in candidates if gdf[col].is_unique and gdf[col].notna().all()]
        if len(unique) != 1:
            msg = (
                f"{p}: cannot tell which column holds the ids (candidates: "
                f"{', '.join(unique or candidates) or 'none'}); name it with --origin-id/--destination-id"
            )
            raise MissingColumnError(msg)
        id_col = unique[0]
    if id_col not in gdf.columns:
        msg = f"{p}: id column {id_col!r} not found (columns: {', '.join(map(str, gdf.columns))})"
        raise MissingColumnError(msg)
    return gdf, id_col


def _local_crs(*layers: gpd.GeoDataFrame) -> str:
    """EPSG:27700 where every layer lies within its area of use, else the UTM zone of their centre."""
    from pyproj import CRS

    boxes = np.array(
        [g.geometry.to_crs("EPSG:4326").total_bounds for g in layers if len(g)], dtype=float
    ).reshape(-1, 4)
    if not np.isfinite(boxes).all() or len(boxes) == 0:
        return c.ANALYSIS_CRS
    west, south = boxes[:, 0].min(), boxes[:, 1].min()
    east, north = boxes[:, 2].max(), boxes[:, 3].max()
    area = CRS.from_user_input(c.ANALYSIS_CRS).area_of_use
    if area is None or (
        area.west <= west and east <= area.east and area.south <= south and north <= area.north
    ):
        return c.ANALYSIS_CRS
    centre = gpd.GeoSeries(
        gpd.points_from_xy([(west + east) / 2], [(south + north) / 2]), crs="EPSG:4326"
    )
    utm = centre.estimate_utm_crs()
    return f"EPSG:{utm.to_epsg()}"


def matrix_from_files(
    osm: str | Path,
    origins: str | Path,
    destinations: str | Path,
    *,
    mode: str,
    cutoff_min: float,
    origin_id: str | None = None,
    destination_id: str | None = None,
    crs: str | None = None,
    max_snap_m: float = 500.0,
    walk_speed_kmh: float = 4.8,
    transit: TransitConfig | None = None,
    cache_folder: str | Path | None = None,
) -> TravelTimeMatrix:
    """Compute a travel-time matrix between two layers over an OSM extract (cached).

    Parameters
    ----------
    osm
        OpenStreetMap extract (.osm.pbf or .osm).
    origins, destinations
        Point or polygon layers (or CSV points), see :func:`read_points`.
    mode
        ``"walk"``, ``"cycle"``, ``"drive"`` or ``"transit"`` (walk + public transport
        from ``transit.gtfs``, never slower than walking).
    cutoff_min
        Searches stop here; longer trips are unreachable (NaN). Must be positive.
    origin_id, destination_id
        Id columns (detected when omitted).
    crs
        Analysis CRS (projected, metres). ``None``: British National Grid
        (EPSG:27700) where both layers lie within its area of use, else the UTM
        zone (WGS 84) of their centre, so an extract anywhere is measured in a
        local metric CRS (edge times come from geodesic lengths either way; the
        CRS sets the walk to and from the street and the snapping distance).
    max_snap_m
        Points further than this from a usable street are flagged, not snapped.
    walk_speed_kmh
        Walking speed for the way to and from the network.
    transit
        For ``mode="transit"``: the GTFS feed, service date (None: a representative
        Tuesday of the feed), departure window, percentile and walk limits.
    cache_folder
        Cache folder (default: the per-user cache).

    Returns
    -------
    TravelTimeMatrix
        Minutes (float32), origins in rows, destinations in columns.

    Raises
    ------
    ConfigError
        If the mode is unknown, the cut-off is not positive, or transit is asked for
        without a GTFS feed.
    """
    from . import networks, travel_times

    if mode not in MATRIX_MODES:
        msg = f"mode {mode!r} is not one of {', '.join(MATRIX_MODES)}"
        raise ConfigError(msg)
    if mode == "transit" and (transit is None or transit.gtfs is None):
        msg = "the transit mode needs a GTFS timetable (a zip as published): give --gtfs FEED.zip"
        raise ConfigError(msg)
    if not cutoff_min > 0:
        msg = f"the cut-off must be a positive number of minutes, found {cutoff_min}"
        raise ConfigError(msg)
    orig, oid, dest, did, crs = _read_pair(origins, destinations, origin_id, destination_id, crs)
    files: list[str | Path] = [osm]
    extra: dict[str, object] = {}
    if mode == "transit":
        from . import study_transit

        assert transit is not None and transit.gtfs is not None
        files.append(transit.gtfs)
        extra["transit"] = study_transit.transit_settings(transit)
    key = cache_key(
        "matrix_files", files=files, mode=mode, cutoff_min=cutoff_min, crs=crs,
        max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh,
        origins=points_digest(orig, oid), destinations=points_digest(dest, did), **extra,
    )  # fmt: skip

    def build() -> TravelTimeMatrix:
        if mode == "transit":
            assert transit is not None
            pct = float(transit.percentile)
            return _transit_between(
                osm, orig, oid, dest, did, transit=transit, crs=crs, cutoff_min=cutoff_min,
                max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh, percentiles=(pct,),
            )[pct]  # fmt: skip
        speeds = {"walk": walk_speed_kmh} if mode == "walk" else None
        net = networks.network_from_osm(osm, mode, crs=crs, speeds=speeds)  # type: ignore[arg-type]
        return travel_times.matrix_from_network(
            net, orig, dest, origin_id=oid, destination_id=did, cutoff_min=cutoff_min,
            max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh, warn=False,
        )  # fmt: skip

    matrix = load_or_build(
        key, suffix=".parquet", build=build, save=_save_matrix,
        load=travel_times.TravelTimeMatrix.load, folder=cache_folder,
    )  # fmt: skip
    travel_times.warn_flagged_points(matrix, stacklevel=2)
    return matrix


def _read_pair(
    origins: str | Path,
    destinations: str | Path,
    origin_id: str | None,
    destination_id: str | None,
    crs: str | None,
) -> tuple[gpd.GeoDataFrame, str, gpd.GeoDataFrame, str, str]:
    """Read both layers with their id columns, and choose the CRS when none is given."""
    orig, oid = read_points(origins, id_col=origin_id)
    dest, did = read_points(destinations, id_col=destination_id)
    if crs is None:
        crs = _local_crs(orig, dest)
        logger.info("analysis CRS for the matrix: %s", crs)
    return orig, oid, dest, did, crs


def transit_percentiles_from_files(
    osm: str | Path,
    origins: str | Path,
    destinations: str | Path,
    *,
    transit: TransitConfig,
    cutoff_min: float,
    percentiles: Sequence[float] = (5, 25, 50, 75, 95),
    origin_id: str | None = None,
    destination_id: str | None = None,
    crs: str | None = None,
    max_snap_m: float = 500.0,
    walk_speed_kmh: float = 4.8,
) -> pd.DataFrame:
    """Walk + public transport percentiles over the departure window between two layers.

    One range-RAPTOR pass gives every percentile: how much the time depends on when one
    leaves (R5 reports 5/25/50/75/95). Not cached (the single-percentile
    :func:`matrix_from_files` is).

    Parameters
    ----------
    osm
        OpenStreetMap extract: the walk network to and from stops.
    origins, destinations
        As for :func:`matrix_from_files`.
    transit
        Feed, date, window, transfers and walk limits (``transit.percentile`` is not used).
    cutoff_min
        Longer times are NaN (left out), minutes.
    percentiles
        Which percentiles (0–100), increasing.
    origin_id, destination_id, crs, max_snap_m, walk_speed_kmh
        As for :func:`matrix_from_files`.

    Returns
    -------
    pandas.DataFrame
        ``origin_id``, ``destination_id`` (str) and one float32 column of minutes per
        percentile (``p5``, ``p25``, …), one row per pair reached at any of them
        (NaN where not reached at that percentile); ``attrs`` holds the timetable record.

    Raises
    ------
    ConfigError
        If the cut-off, the percentiles or a transit setting is out of range, or no feed
        is given.
    """

    if transit.gtfs is None:
        msg = "the transit mode needs a GTFS timetable (a zip as published): give --gtfs FEED.zip"
        raise ConfigError(msg)
    if not cutoff_min > 0:
        msg = f"the cut-off must be a positive number of minutes, found {cutoff_min}"
        raise ConfigError(msg)
    if not all(0 <= p <= 100 for p in percentiles):
        msg = f"percentiles must lie in 0–100, got {list(percentiles)!r}"
        raise ConfigError(msg)
    orig, oid, dest, did, crs = _read_pair(origins, destinations, origin_id, destination_id, crs)
    mats = _transit_between(
        osm, orig, oid, dest, did, transit=transit, crs=crs, cutoff_min=cutoff_min,
        max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh, percentiles=percentiles,
    )  # fmt: skip
    first = next(iter(mats.values()))
    stack = np.stack([m.minutes for m in mats.values()])
    i, j = np.nonzero(np.isfinite(stack).any(axis=0))
    out = pd.DataFrame(
        {
            "origin_id": pd.Series(first.origin_ids[i], dtype="str"),
            "destination_id": pd.Series(first.destination_ids[j], dtype="str"),
            **{f"p{p:g}": stack[k, i, j] for k, p in enumerate(mats)},
        }
    )
    out.attrs["timetable"] = dict(first.metadata.get("timetable") or {})
    return out


def _transit_between(
    osm: str | Path,
    orig: gpd.GeoDataFrame,
    oid: str,
    dest: gpd.GeoDataFrame,
    did: str,
    *,
    transit: TransitConfig,
    crs: str,
    cutoff_min: float,
    max_snap_m: float,
    walk_speed_kmh: float,
    percentiles: Sequence[float],
) -> dict[float, TravelTimeMatrix]:
    """Build the walk network and the day's timetable, then route every percentile."""
    from . import networks, study_transit

    assert transit.gtfs is not None
    net = networks.network_from_osm(osm, "walk", crs=crs, speeds={"walk": walk_speed_kmh})
    tt = study_transit.load_timetable(
        transit.gtfs, date=transit.date, crs=crs, transfer_m=transit.transfer_m,
        walk_speed_kmh=walk_speed_kmh,
    )  # fmt: skip
    return study_transit.transit_percentiles_from_network(
        net, tt, orig, dest, origin_id=oid, destination_id=did, transit=transit,
        cutoff_min=cutoff_min, max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh,
        percentiles=percentiles,
    )  # fmt: skip

"""The parts of the access stage that need the street network: staff journeys between
sites and travel-time surfaces. Both are cached on disk like the matrices, so a re-run
with nothing changed does not rebuild the network."""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import contracts as c
from . import staff as _staff
from .cache import cache_dir, cache_key, load_or_build
from .errors import DataQualityWarning

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    import geopandas as gpd
    import numpy.typing as npt

    from .config import StudyConfig
    from .graph import StreetNetwork
    from .study import Study
    from .study_transit import StudyTimetable
    from .travel_times import TravelTimeMatrix

__all__ = ["StudyNetworks", "staff_tables", "surfaces"]

logger = logging.getLogger(__name__)

ROUTED = ("walk", "cycle", "drive")


class StudyNetworks:
    """Street networks of a study's extract (one pass for all modes) and its public
    transport timetable, each built on first use and then kept."""

    def __init__(self, cfg: StudyConfig) -> None:
        self.cfg = cfg
        self._built: dict[str, StreetNetwork] = {}
        self._timetable: StudyTimetable | None = None

    def timetable(self) -> StudyTimetable:
        """The day's timetable of ``[transit] gtfs`` (ConfigError when none is named)."""
        from .study_transit import study_timetable

        if self._timetable is None:
            self._timetable = study_timetable(self.cfg)
        return self._timetable

    def modes(self) -> list[str]:
        """Routed modes of the config that a network can serve (walk too when transit is on)."""
        if self.cfg.network.osm is None:
            return []
        modes = [m for m in self.cfg.access.modes if m in ROUTED]
        if "transit" in self.cfg.access.modes and "walk" not in modes:
            modes.append("walk")  # walks to and from stops
        return modes

    def transit(
        self,
        origins: gpd.GeoDataFrame,
        destinations: gpd.GeoDataFrame,
        *,
        origin_id: str,
        destination_id: str,
        cutoff_min: float | None = None,
    ) -> TravelTimeMatrix:
        """Walk + public transport minutes with the study's ``[transit]`` and ``[network]``
        settings over its walk network and timetable (cut-off: ``[access] cutoff_min``)."""
        from .study_transit import transit_matrix_from_network

        cfg = self.cfg
        return transit_matrix_from_network(
            self("walk"), self.timetable(), origins, destinations, origin_id=origin_id,
            destination_id=destination_id, transit=cfg.transit,
            cutoff_min=cfg.access.cutoff_min if cutoff_min is None else cutoff_min,
            max_snap_m=cfg.network.max_snap_m, walk_speed_kmh=cfg.network.walk_speed_kmh,
        )  # fmt: skip

    def configured(self) -> list[str]:
        """Routed modes named in ``[access] modes`` (without the walk that transit needs)."""
        return [m for m in self.modes() if m in self.cfg.access.modes]

    def __call__(self, mode: str) -> StreetNetwork:
        """Return the network of one mode, building every configured mode on first call."""
        from . import networks

        if mode not in self._built:
            net = self.cfg.network
            assert net.osm is not None
            self._built.update(
                networks.networks_from_osm(
                    net.osm, modes=self.modes(), crs=self.cfg.crs,
                    speeds={"walk": net.walk_speed_kmh, "cycle": net.cycle_speed_kmh},
                    congestion_factor=net.congestion_factor,
                )
            )  # fmt: skip
        return self._built[mode]

    def settings(self, mode: str) -> dict[str, Any]:
        """Every setting a network-derived result of ``mode`` depends on (for cache keys)."""
        net = self.cfg.network
        return {
            "mode": mode, "crs": self.cfg.crs, "cutoff_min": self.cfg.access.cutoff_min,
            "walk_speed_kmh": net.walk_speed_kmh, "cycle_speed_kmh": net.cycle_speed_kmh,
            "congestion_factor": net.congestion_factor, "max_snap_m": net.max_snap_m,
        }  # fmt: skip


def _teams(study: Study, cfg: StudyConfig, mask: npt.NDArray[np.bool_]) -> dict[str, list[str]]:
    teams = cfg.access.staff.teams
    ids = study.assets[c.ASSET_ID].astype(str)
    if teams:
        known = set(ids)
        out = {}
        for name, members in teams.items():
            missing = [m for m in members if m not in known]
            if missing:
                from .errors import ConfigError

                msg = (
                    f"[access.staff.teams] {name}: {len(missing)} asset ids are not in the "
                    f"study's assets (e.g. {', '.join(missing[:3])}); use ids from assets.csv."
                )
                raise ConfigError(msg)
            out[name] = list(members)
        return out
    if c.NEIGHBOURHOOD_ID not in study.assets:
        return {}
    nbh = study.assets[c.NEIGHBOURHOOD_ID]
    frame = pd.DataFrame({"id": ids, "nbh": nbh})[mask & nbh.notna().to_numpy()]
    return {f"neighbourhood {k}": list(v) for k, v in frame.groupby("nbh", sort=True)["id"]}


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn``, logging (not repeating) warnings about points the matrices stage already flagged."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        out = fn(*args, **kwargs)
    for w in caught:
        if issubclass(w.category, DataQualityWarning):
            logger.warning("%s", w.message)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out


def _transit_inter_site(nets: StudyNetworks, sites: gpd.GeoDataFrame) -> TravelTimeMatrix:
    """Walk + public transport minutes between team sites (0 on the diagonal)."""
    import dataclasses

    m = nets.transit(sites, sites, origin_id=c.ASSET_ID, destination_id=c.ASSET_ID)
    minutes = m.minutes.copy()
    np.fill_diagonal(minutes, 0.0)
    return dataclasses.replace(m, minutes=minutes)


def staff_tables(
    study: Study,
    cfg: StudyConfig,
    sets: Mapping[str, npt.NDArray[np.bool_]],
    nets: StudyNetworks,
    zone_minutes: Mapping[str, npt.NDArray[np.float64]],
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, TravelTimeMatrix]]:
    """Journeys between the sites each team works from, and staff commutes.

    Parameters
    ----------
    study, cfg
        The study and its config (``[access.staff]``).
    sets
        Asset set name → membership flags (asset-row order).
    nets
        The study's networks.
    zone_minutes
        Mode → zones × assets minutes aligned to the layers (for commutes).

    Returns
    -------
    tuple
        ``staff_journeys`` (team × mode: sites, mean/max minutes, unreachable pairs),
        ``staff_commute`` (mode × asset set; empty without a staff-origins file) and the
        inter-site matrices by mode.
    """
    from .matrices import points_digest

    settings = cfg.access.staff
    mask = sets.get(settings.sites)
    osm = cfg.network.osm or ""
    rows: list[dict[str, Any]] = []
    matrices: dict[str, TravelTimeMatrix] = {}
    teams = _teams(study, cfg, mask) if mask is not None else {}
    members = sorted({m for team in teams.values() for m in team})
    modes = nets.configured()
    if nets.modes() and "transit" in cfg.access.modes and cfg.transit.gtfs is not None:
        modes.append("transit")  # also when transit is the only mode (its walk is built)
    if members and modes:
        sites = study.assets[study.assets[c.ASSET_ID].astype(str).isin(members)]
        for mode in modes:
            from .study_transit import transit_settings

            transit = mode == "transit" and cfg.transit.gtfs is not None
            files: list[str | Path] = [osm]
            if transit and cfg.transit.gtfs is not None:
                files.append(cfg.transit.gtfs)
            key = cache_key(
                "inter_site", files=files,
                sites=points_digest(sites, c.ASSET_ID), **nets.settings(mode),
                **({"transit": transit_settings(cfg.transit)} if transit else {}),
            )  # fmt: skip
            from .travel_times import TravelTimeMatrix

            def build(mode: str = mode) -> TravelTimeMatrix:
                if mode == "transit":
                    return _transit_inter_site(nets, sites)
                matrix: TravelTimeMatrix = _quiet(
                    _staff.inter_site_matrix, nets(mode), sites, id_column=c.ASSET_ID,
                    cutoff_min=cfg.access.cutoff_min, max_snap_m=cfg.network.max_snap_m,
                    walk_speed_kmh=cfg.network.walk_speed_kmh,
                )  # fmt: skip
                return matrix

            def save(m: TravelTimeMatrix, p: Path) -> None:
                m.save(p)

            matrix = load_or_build(
                key, suffix=".parquet", build=build,
                save=save, load=TravelTimeMatrix.load,
            )  # fmt: skip
            matrices[mode] = matrix
            for team, ids in teams.items():
                j = _quiet(_staff.team_journeys, matrix, ids)
                rows.append(
                    {
                        "team": team, "mode": mode, "sites": len(ids),
                        "mean_min": j["mean_min"], "max_min": j["max_min"],
                        "pairs": j["pairs"], "pairs_unreachable": j["pairs_unreachable"],
                        "longest_pair": j["max_pair"] or "",
                    }
                )  # fmt: skip
    commute: list[dict[str, Any]] = []
    if settings.origins is not None:
        counts = _staff.read_staff_origins(
            settings.origins, zone_ids=study.zones[c.ZONE_ID].astype(str).to_numpy()
        ).to_numpy(dtype=np.float64)
        for mode, minutes in zone_minutes.items():
            for name, set_mask in sets.items():
                s = _staff.staff_access(
                    minutes, counts, sites_mask=set_mask, thresholds=cfg.access.thresholds_min
                )
                commute.append(
                    {
                        "mode": mode, "asset_set": name, "staff": float(counts.sum()),
                        **{k: v for k, v in s.items() if np.isscalar(v)},
                        **{
                            f"share_within_{t:g}": v
                            for t, v in dict(s.get("share_within", {})).items()
                        },
                    }
                )  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(commute), matrices


def surfaces(
    study: Study,
    cfg: StudyConfig,
    sets: Mapping[str, npt.NDArray[np.bool_]],
    nets: StudyNetworks,
) -> dict[str, Path]:
    """Travel-time surfaces (GeoTIFF, minutes to the nearest site of the left-behind set).

    Parameters
    ----------
    study, cfg, sets, nets
        As in :func:`staff_tables`.

    Returns
    -------
    dict of str to Path
        ``surface_<mode>_<asset set>`` → the cached GeoTIFF; empty when
        ``surface_cell_m`` is 0, rasterio is not installed or there is no network.
    """
    from .matrices import points_digest

    acc = cfg.access
    mask = sets.get(acc.left_behind_set)
    osm = cfg.network.osm or ""
    if acc.surface_cell_m <= 0 or mask is None or not nets.configured():
        return {}
    try:
        import rasterio  # noqa: F401
    except ImportError:
        logger.info("rasterio is not installed: travel-time surfaces skipped")
        return {}
    from . import rasters

    sites = study.assets[mask]
    area: gpd.GeoDataFrame | Any = (
        study.area if study.area is not None else study.zones.geometry.union_all()
    )
    out: dict[str, Path] = {}
    for mode in nets.configured():
        name = f"surface_{mode}_{acc.left_behind_set}"
        key = cache_key(
            "surface", files=[osm], sites=points_digest(sites, c.ASSET_ID),
            cell_m=acc.surface_cell_m, area=str(getattr(area, "total_bounds", area.bounds)),
            **nets.settings(mode),
        )  # fmt: skip

        path = cache_dir() / key[:2] / f"{key}.tif"
        if not _readable(path):
            _quiet(
                rasters.travel_time_surface, nets(mode), sites, area=area,
                destination_id=c.ASSET_ID, cell_m=acc.surface_cell_m,
                cutoff_min=acc.cutoff_min, max_snap_m=cfg.network.max_snap_m,
                walk_speed_kmh=cfg.network.walk_speed_kmh, path=path,
            )  # fmt: skip
        out[name] = path
    return out


def _readable(path: Path) -> bool:
    """True when a cached GeoTIFF opens; an unreadable entry is rebuilt, never trusted."""
    if not path.is_file():
        return False
    import rasterio

    try:
        with rasterio.open(path) as src:
            src.read(1, window=((0, 1), (0, 1)))
    except Exception as err:
        logger.warning("cache entry %s unreadable (%s); rebuilding", path.name, err)
        return False
    return True

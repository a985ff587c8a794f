"""Run a study from its config: area → zones → assets → neighbourhoods → cohorts.

The stages are wired once here and used alike by the CLI, notebooks and the app.
Each stage logs one INFO line with counts and elapsed time and reports progress
through an optional callback.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import geopandas as gpd
import pandas as pd

from . import assets as _assets
from . import cohorts as _cohorts
from . import contracts as c
from . import neighbourhoods as _nbh
from . import zones as _zones
from ._io import check_input_file
from .cache import cache_dir, file_digest
from .config import StudyConfig, load_config
from .errors import DataQualityWarning, DataSourceError
from .progress import Progress, null_progress
from .sources import eric, ods, ons, osm_pois, terrier
from .sources import imd as _imd
from .study import SourceRecord, Study
from .validate import check_crs, validate_zones

if TYPE_CHECKING:
    from .study_access import AccessResults
    from .study_carbon import CarbonResults
    from .study_options import OptionsResults
    from .travel_times import TravelTimeMatrix

__all__ = ["STAGES", "cache_dir", "demo_study", "load_study", "run_study"]

logger = logging.getLogger(__name__)

STAGES = (
    "area", "zones", "assets", "neighbourhoods", "cohorts", "matrices", "access", "carbon", "options",
)  # fmt: skip
T = TypeVar("T")

_PUBLISHERS: dict[str, tuple[str, str]] = {
    "boundaries": ("ONS Open Geography Portal", "OGL v3; contains OS data © Crown copyright"),
    "age": ("ONS Census 2021 (TS007A)", "OGL v3"),
    "general_health": ("ONS Census 2021 (TS037)", "OGL v3"),
    "disability": ("ONS Census 2021 (TS038)", "OGL v3"),
    "car_availability": ("ONS Census 2021 (TS045)", "OGL v3"),
    "imd": ("MHCLG English Indices of Deprivation", "OGL v3"),
    "imd_lookup": ("ONS LSOA 2011 to 2021 lookup", "OGL v3"),
    "postcodes": ("OS Code-Point Open", "OGL v3; contains OS and Royal Mail data"),
    "gp_practices": ("NHS England ODS epraccur", "OGL v3"),
    "osm": ("OpenStreetMap contributors", "ODbL 1.0"),
    "eric": ("NHS England ERIC", "OGL v3"),
}


def _record(kind: str, path: Path, rows: int, name: str | None = None) -> SourceRecord:
    publisher, licence = _PUBLISHERS.get(kind, ("", ""))
    return SourceRecord(
        name=name or kind,
        path=str(path),
        publisher=publisher,
        licence=licence,
        rows=int(rows),
        digest=file_digest(path) if path.is_file() else "",
    )


class _Runner:
    """Times stages, logs a summary line for each and drives the progress callback."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress or null_progress
        self.done = 0

    def stage(self, name: str, fn: Callable[[], T], summary: Callable[[T], str]) -> T:
        self.progress(self.done, len(STAGES), name)
        t0 = time.perf_counter()
        out = fn()
        logger.info("%s: %s (%.1f s)", name, summary(out), time.perf_counter() - t0)
        self.done += 1
        self.progress(self.done, len(STAGES), name)
        return out


def _read_area(cfg: StudyConfig) -> gpd.GeoDataFrame | None:
    if cfg.area.file is None:
        return None
    path = check_input_file(cfg.area.file, what="study area")
    try:
        gdf = gpd.read_file(path, layer=cfg.area.layer)
    except Exception as err:
        msg = f"study area: cannot read {path} ({err})"
        raise DataSourceError(msg) from err
    for col, value in cfg.area.filter.items():
        if col not in gdf.columns:
            msg = f"study area {path}: filter column {col!r} not found (columns: {', '.join(gdf.columns)})"
            raise DataSourceError(msg)
        gdf = gdf[gdf[col] == value]
    if gdf.empty:
        msg = f"study area {path}: no polygon left after the filter {cfg.area.filter}"
        raise DataSourceError(msg)
    gdf = check_crs(gdf, source=str(path), crs=cfg.crs)
    return gpd.GeoDataFrame({c.NAME: [cfg.name]}, geometry=[gdf.union_all()], crs=gdf.crs)


def _build_zones(
    cfg: StudyConfig, area: gpd.GeoDataFrame | None
) -> tuple[gpd.GeoDataFrame, list[SourceRecord]]:
    z = cfg.zones
    records: list[SourceRecord] = []
    if z.file is not None:
        path = check_input_file(z.file, what="zones")
        try:
            gdf = gpd.read_file(path, layer=z.layer)
        except Exception as err:
            msg = f"zones: cannot read {path} ({err})"
            raise DataSourceError(msg) from err
        gdf = gdf.rename(columns={v: k for k, v in z.columns.items()})
        zones = validate_zones(gdf, source=str(path), crs=cfg.crs)
        records.append(_record("zones", path, len(zones), "zones"))
    else:
        assert z.boundaries is not None  # guaranteed by load_config
        boundaries = ons.load_boundaries(z.boundaries)
        boundaries = check_crs(boundaries, source=str(z.boundaries), crs=cfg.crs)
        if cfg.area.codes:
            boundaries = _zones.select_zones(boundaries, area_codes=list(cfg.area.codes))
        elif area is not None:
            boundaries = _zones.select_zones(boundaries, area=area)
        records.append(_record("boundaries", z.boundaries, len(boundaries), "zone boundaries"))
        tables: dict[str, pd.DataFrame] = {}
        for key, loader in (
            ("age", ons.load_ts007a_age),
            ("general_health", ons.load_ts037_general_health),
            ("disability", ons.load_ts038_disability),
            ("car_availability", ons.load_ts045_car_availability),
        ):
            path = getattr(z, key)
            if path is not None:
                tables[key] = loader(path)
                records.append(_record(key, path, len(tables[key])))
        imd_table = None
        if z.imd is not None:
            if z.imd_edition == 2019:
                assert z.imd_lookup is not None
                imd_table = _imd.load_imd2019(z.imd, z.imd_lookup)
                records.append(_record("imd_lookup", z.imd_lookup, len(imd_table)))
            else:
                imd_table = _imd.load_imd2025(z.imd)
            records.append(_record("imd", z.imd, len(imd_table), f"IMD {z.imd_edition}"))
        zones = _zones.build_zones(
            boundaries,
            age=tables.get("age"),
            health=tables.get("general_health"),
            disability=tables.get("disability"),
            cars=tables.get("car_availability"),
            imd=imd_table,
            source=str(z.boundaries),
        )
    if c.ROUTE_X not in zones.columns:
        postcodes = None
        if z.routing == "postcodes" and z.postcodes is not None:
            postcodes = ods.load_codepoint_open(z.postcodes)
            records.append(_record("postcodes", z.postcodes, len(postcodes)))
        zones = _zones.routing_points(zones, method=z.routing, postcodes=postcodes)
    return zones, records


def _build_assets(
    cfg: StudyConfig, area: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, list[SourceRecord]]:
    a = cfg.assets
    layers: list[gpd.GeoDataFrame] = []
    records: list[SourceRecord] = []
    postcodes = ods.load_codepoint_open(a.postcodes) if a.postcodes is not None else None
    if a.gp_practices is not None:
        gps = ods.load_epraccur(a.gp_practices, postcodes=postcodes)
        layers.append(gps)
        records.append(_record("gp_practices", a.gp_practices, len(gps), "GP practices (epraccur)"))
    if a.osm is not None and a.use_osm_assets:
        reach = (
            area.geometry.buffer(cfg.area.asset_buffer_m)
            if cfg.area.asset_buffer_m
            else area.geometry
        )
        osm = osm_pois.load_osm_assets(a.osm, area=gpd.GeoDataFrame(geometry=reach, crs=area.crs))
        layers.append(osm)
        records.append(_record("osm", a.osm, len(osm), "OpenStreetMap public assets"))
    for f in a.files:
        layer = terrier.load_asset_file(
            f.path,
            mapping=f.mapping,
            value_maps=f.value_maps,
            defaults=f.defaults,
            x=f.x,
            y=f.y,
            crs=f.crs,
            layer=f.layer,
            id_prefix=f.id_prefix,
        )
        layers.append(layer)
        records.append(_record("assets", f.path, len(layer), f"asset file {f.path.name}"))
    if not layers:
        msg = "[assets] names no source: give gp_practices, osm or files in the study config"
        raise DataSourceError(msg)
    register = _assets.build_asset_register(
        layers,
        area=area,
        buffer_m=cfg.area.asset_buffer_m,
        max_merge_distance_m=a.merge_distance_m,
    )
    if a.eric_sites is not None:
        register = eric.attach_eric_sites(register, eric.load_eric_sites(a.eric_sites))
        records.append(_record("eric", a.eric_sites, len(register), "ERIC site-level return"))
    for path in a.eric_trust:
        records.append(
            _record("eric", path, len(eric.load_eric_trust(path)), "ERIC trust-level return")
        )
    return register, records


def _build_neighbourhoods(
    cfg: StudyConfig, zones: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, pd.Series, list[SourceRecord]]:
    n = cfg.neighbourhoods
    if n.method == "file":
        assert n.file is not None
        nbh = _nbh.load_neighbourhoods(
            n.file,
            layer=n.layer,
            id_column=n.id_column,
            name_column=n.name_column,
            place=n.place,
            crs=cfg.crs,
        )
        return nbh, _nbh.assign_zones(zones, nbh), [_record("neighbourhoods", n.file, len(nbh))]
    nbh, assignment = _nbh.propose_neighbourhoods(
        zones,
        min_population=n.min_population,
        max_population=n.max_population,
        seed=n.seed,
        place=n.place or cfg.name,
    )
    return nbh, assignment, []


def _estimate_gia(cfg: StudyConfig, assets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill unknown GIA from OpenStreetMap building outlines, labelled as estimates.

    Runs when some asset lacks ``gia_m2`` and the config names an OSM extract
    (``[assets] osm`` or ``[network] osm``); adds ``gia_estimated`` and ``gia_basis``
    (see :mod:`estatesplan.sources.osm_buildings` for the assumptions: footprint ×
    storeys (tagged, else 2) × 0.9 gross-to-internal).
    """
    osm = cfg.assets.osm or cfg.network.osm
    gia = pd.to_numeric(assets.get(c.GIA_M2), errors="coerce") if c.GIA_M2 in assets else None
    if osm is None or gia is None or not gia.isna().any():
        return assets
    from .sources import osm_buildings

    t0 = time.perf_counter()
    x0, y0, x1, y1 = assets.total_bounds
    buildings = osm_buildings.read_buildings(
        osm, crs=cfg.crs, bbox=(x0 - 100, y0 - 100, x1 + 100, y1 + 100)
    )
    est = osm_buildings.estimate_gia(assets, buildings)
    out = assets.assign(
        **{
            c.GIA_M2: est["gia_m2"].to_numpy(),
            "gia_estimated": est["gia_estimated"].to_numpy(dtype=bool),
            "gia_basis": est["gia_basis"].to_numpy(),
        }
    )
    logger.info(
        "GIA estimated from %d OSM buildings for %d of %d assets without one (%.1f s)",
        len(buildings), int(out["gia_estimated"].sum()), int(gia.isna().sum()),
        time.perf_counter() - t0,
    )  # fmt: skip
    return out


def _raster_population(
    cfg: StudyConfig, zones: gpd.GeoDataFrame, weights: pd.DataFrame
) -> pd.DataFrame:
    """Replace the ``everyone`` cohort by a population raster's sums per zone, when given.

    Zones the raster leaves empty (no cell centre inside, or only nodata) keep their
    census count, with a warning naming how many.
    """
    path = cfg.access.population_raster
    if path is None:
        return weights
    from . import rasters

    check_input_file(path, what="[access] population_raster")
    sums = rasters.zonal_population(path, zones, id_column=c.ZONE_ID)
    values = pd.Series(sums.to_numpy(dtype="float64"), index=zones.index)
    census = pd.to_numeric(zones[c.POPULATION], errors="coerce")
    missing = values.isna()
    if missing.any():
        warnings.warn(
            f"{path.name}: {int(missing.sum())} of {len(zones)} zones get no population from "
            f"the raster; they keep their census count ({census[missing].sum():,.0f} people)",
            DataQualityWarning,
            stacklevel=2,
        )
    out = weights.copy()
    out["everyone"] = values.where(~missing, census)
    logger.info(
        "population raster %s: %s people in the zones (census %s)",
        path.name, f"{out['everyone'].sum():,.0f}", f"{census.sum():,.0f}",
    )  # fmt: skip
    return out


def run_study(
    config: StudyConfig | str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    matrices: bool = True,
    access: bool = True,
) -> Study:
    """Load, validate and assemble a whole study from its config.

    Parameters
    ----------
    config
        A :class:`StudyConfig` or the path of a study TOML file.
    progress
        Optional callback ``(done, total, label)`` called as stages finish.
    matrices
        Compute travel-time matrices (zones × assets) for the configured walk,
        cycle and drive modes when the config names a street network (cached on
        disk, so a re-run with nothing changed is instant).
    access
        Compute access and equity tables (``study.access``) from the matrices, and the
        staff journeys and travel-time surfaces that need the street network.

    Returns
    -------
    Study
        Assets, zones (with ``neighbourhood_id`` and routing points),
        neighbourhoods, cohort weights and the provenance of every input.

    Raises
    ------
    ConfigError
        If the config is invalid.
    DataSourceError
        If an input file is missing, empty or unreadable.
    DataContractError
        If an input breaks the data contracts (all problems listed).

    Examples
    --------
    >>> import tempfile
    >>> from estatesplan import demo
    >>> study = run_study(demo.write_demo(tempfile.mkdtemp(), seed=0))
    >>> study.synthetic, len(study.zones) >= 100, len(study.assets) >= 60
    (True, True, True)
    """
    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    run = _Runner(progress)
    area = run.stage(
        "area",
        lambda: _read_area(cfg),
        lambda a: "from the zones" if a is None else f"{a.area.sum() / 1e6:,.1f} km²",
    )
    zones, zone_records = run.stage(
        "zones",
        lambda: _build_zones(cfg, area),
        lambda r: f"{len(r[0]):,} zones, {r[0][c.POPULATION].sum():,.0f} residents",
    )
    if area is None:
        area = gpd.GeoDataFrame({c.NAME: [cfg.name]}, geometry=[zones.union_all()], crs=zones.crs)
    assets, asset_records = run.stage(
        "assets",
        lambda: _build_assets(cfg, area),
        lambda r: (
            f"{len(r[0]):,} assets ({int(r[0][c.IN_AREA].sum()):,} in the area), "
            f"{r[0][c.ASSET_TYPE].nunique()} types"
        ),
    )
    assets = _estimate_gia(cfg, assets)
    nbh, assignment, nbh_records = run.stage(
        "neighbourhoods",
        lambda: _build_neighbourhoods(cfg, zones),
        lambda r: f"{len(r[0])} neighbourhoods",
    )
    zones = zones.assign(**{c.NEIGHBOURHOOD_ID: assignment.reindex(zones.index)})
    assets = assets.assign(**{c.NEIGHBOURHOOD_ID: _nbh.assign_assets(assets, nbh)})
    available = {
        k: v
        for k, v in _cohorts.DEFAULT_COHORTS.items()
        if k not in cfg.cohorts
        and all(col in zones.columns for col in _cohorts.parse_cohort(k, v).columns)
    }
    skipped = sorted(set(_cohorts.DEFAULT_COHORTS) - set(available) - set(cfg.cohorts))
    if skipped:
        logger.info(
            "default cohorts skipped for want of their source table: %s", ", ".join(skipped)
        )
    available.update(cfg.cohorts)  # declared cohorts must evaluate: a missing column is an error
    weights = run.stage(
        "cohorts",
        lambda: _raster_population(cfg, zones, _cohorts.cohort_weights(zones, available)),
        lambda w: (
            f"{w.shape[1]} cohorts: " + ", ".join(f"{k} {w[k].sum():,.0f}" for k in w.columns)
        ),
    )
    mats: dict[str, TravelTimeMatrix] = {}
    if matrices and cfg.network.osm is not None:
        from .matrices import study_matrices

        mats = run.stage(
            "matrices",
            lambda: study_matrices(cfg, zones, assets),
            lambda m: (
                ", ".join(f"{k} {v.minutes.shape[0]}×{v.minutes.shape[1]}" for k, v in m.items())
                or "none"
            ),
        )
    if access and mats and "transit" not in mats and cfg.transit.gtfs is None:
        from .study_transit import NO_FEED

        logger.warning(NO_FEED)
    result: AccessResults | None = None
    if access and mats:
        from .study_access import study_access

        partial = Study(
            name=cfg.name, assets=assets, zones=zones, neighbourhoods=nbh, cohorts=available,
            cohort_weights=weights, synthetic=cfg.synthetic, area=area, matrices=mats,
        )  # fmt: skip
        result = run.stage(
            "access",
            lambda: study_access(partial, cfg.access, config=cfg),
            lambda r: (
                f"{r.zones['asset_set'].nunique()} asset sets × {r.zones['mode'].nunique()} modes, "
                f"{r.cohorts['cohort'].nunique()} cohorts, {len(r.left_behind)} left-behind zones"
            ),
        )
    carbon_result: CarbonResults | None = None
    if access and mats:
        from .study_carbon import study_carbon

        partial = Study(
            name=cfg.name, assets=assets, zones=zones, neighbourhoods=nbh, cohorts=available,
            cohort_weights=weights, synthetic=cfg.synthetic, area=area, matrices=mats,
        )  # fmt: skip
        carbon_result = run.stage(
            "carbon",
            lambda: study_carbon(partial, cfg),
            lambda r: (
                f"buildings {r.settings['buildings_tco2e']:,.0f} tCO2e/yr "
                f"({r.settings['estimated_assets']} estimated, {r.settings['unknown_assets']} "
                f"unknown), residents' travel {r.settings['travel_tco2e']:,.0f} tCO2e/yr"
            ),
        )
    options_result: OptionsResults | None = None
    if access and mats:
        from .study_options import study_options

        partial = Study(
            name=cfg.name, assets=assets, zones=zones, neighbourhoods=nbh, cohorts=available,
            cohort_weights=weights, synthetic=cfg.synthetic, area=area, matrices=mats,
            access=result, carbon=carbon_result,
        )  # fmt: skip
        options_result = run.stage(
            "options",
            lambda: study_options(partial, cfg),
            lambda r: (
                f"{int((r.screening['status'] == 'pass').sum())} candidate hubs pass, "
                f"{int((r.options['origin'] != 'baseline').sum())} options in "
                f"{r.options['neighbourhood_id'].nunique()} neighbourhoods"
            ),
        )
    if cfg.synthetic:
        for frame in (zones, assets, nbh, area):
            frame.attrs["synthetic"] = True
    return Study(
        name=cfg.name,
        assets=assets,
        zones=zones,
        neighbourhoods=nbh,
        cohorts=available,
        cohort_weights=weights,
        synthetic=cfg.synthetic,
        area=area,
        sources=tuple(zone_records + asset_records + nbh_records),
        config_digest=cfg.digest(),
        config_path=str(cfg.path) if cfg.path is not None else "",
        matrices=mats,
        access=result,
        carbon=carbon_result,
        options=options_result,
    )


def demo_study(*, seed: int = 0, progress: Progress | None = None) -> Study:
    """Generate the synthetic demo area (cached per seed) and run it as a study.

    Parameters
    ----------
    seed
        Demo seed; the same seed always gives the same area.
    progress
        Optional progress callback.

    Returns
    -------
    Study
        The demo study, marked synthetic.
    """
    from . import demo

    folder = cache_dir() / f"demo-seed{seed}-v{_version_tag()}"
    toml = folder / "demo.toml"
    if not toml.is_file():
        toml = demo.write_demo(folder, seed=seed)
    return run_study(toml, progress=progress)


def _version_tag() -> str:
    from . import __version__

    return __version__.replace(".", "_")


def load_study(source: str | os.PathLike[str], *, progress: Progress | None = None) -> Study:
    """Load a study from ``"demo"``, a study config ``.toml`` or an output folder.

    Parameters
    ----------
    source
        ``"demo"`` (or ``"demo:SEED"``), a path to a study TOML, or a folder written by
        ``estatesplan run``/``estatesplan demo``.
    progress
        Optional progress callback.

    Returns
    -------
    Study
        The study.

    Raises
    ------
    DataSourceError
        If ``source`` is none of those.
    """
    from . import export

    text = str(source)
    if text == "demo" or text.startswith("demo:"):
        seed = int(text.split(":", 1)[1]) if ":" in text else 0
        return demo_study(seed=seed, progress=progress)
    path = Path(text)
    if path.is_dir():
        if (path / "manifest.json").is_file():
            return export.read_study(path)
        if (path / "demo.toml").is_file():
            return run_study(path / "demo.toml", progress=progress)
    if path.suffix == ".toml" or path.is_file():
        return run_study(path, progress=progress)
    msg = (
        f"cannot load a study from {text!r}: give 'demo', a study config (.toml) or a folder "
        "written by `estatesplan run`."
    )
    raise DataSourceError(msg)

"""Study configuration: a TOML file read into frozen dataclasses, every problem reported at once.

A study config names the area, its CRS, the source files (paths relative to the
config file), cohorts and thresholds. Unknown keys and bad values are all collected
into one :class:`~estatesplan.errors.ConfigError`. Nothing here is global: the
config is passed explicitly to every stage.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pyproj import CRS
from pyproj.exceptions import CRSError

from . import cohorts as _cohorts
from ._config_access import AccessConfig, AssetSetConfig, StaffConfig, read_access
from ._config_assets import AssetFileConfig, AssetsConfig, read_assets
from ._config_carbon import CarbonConfig, CostsConfig, read_carbon, read_costs
from ._config_colocation import ColocationConfig, OptimiseConfig, PlannerOption, read_colocation
from ._config_transit import TransitConfig, read_transit
from .contracts import ANALYSIS_CRS
from .errors import ConfigError

__all__ = [
    "AccessConfig",
    "AreaConfig",
    "AssetFileConfig",
    "AssetSetConfig",
    "AssetsConfig",
    "CarbonConfig",
    "ColocationConfig",
    "CostsConfig",
    "NeighbourhoodsConfig",
    "NetworkConfig",
    "OptimiseConfig",
    "PlannerOption",
    "StaffConfig",
    "StudyConfig",
    "TransitConfig",
    "ZonesConfig",
    "load_config",
]


@dataclass(frozen=True, slots=True)
class AreaConfig:
    """The study area.

    Parameters
    ----------
    file
        Outline polygon(s) of the area (GeoPackage/GeoJSON). Optional when
        ``codes`` select zones: the outline is then the union of those zones.
    layer
        Layer in ``file`` (default: the first).
    filter
        Keep only outline rows whose column equals a value, e.g. ``{"buffer_m": 0}``.
    codes
        Local-authority codes (e.g. ``["E09000007"]``) selecting the zones of the area.
    asset_buffer_m
        Keep assets up to this many metres outside the area (flagged ``in_area = False``),
        so that people near the boundary can reach services across it. Default 0.
    """

    file: Path | None = None
    layer: str | None = None
    filter: dict[str, Any] = field(default_factory=dict)
    codes: tuple[str, ...] = ()
    asset_buffer_m: float = 0.0


@dataclass(frozen=True, slots=True)
class ZonesConfig:
    """Population zones: either one file already in the zone contract, or ONS tables.

    Parameters
    ----------
    file
        A polygon layer with ``zone_id``, ``population`` and any other contract columns.
    columns
        Mapping contract column → column in ``file`` (for files with other names).
    boundaries
        ONS LSOA boundaries (GeoPackage/GeoJSON).
    age
        Census 2021 TS007A (5-year age bands), Nomis bulk CSV.
    general_health
        Census 2021 TS037 (general health).
    disability
        Census 2021 TS038 (disability).
    car_availability
        Census 2021 TS045 (car or van availability).
    imd
        English Indices of Deprivation file.
    imd_edition
        2025 (on 2021 LSOAs) or 2019 (on 2011 LSOAs, moved through ``imd_lookup``).
    imd_lookup
        ONS LSOA 2011 → 2021 lookup, needed for ``imd_edition = 2019``.
    routing
        ``"centroid"`` or ``"postcodes"`` (address-weighted; needs ``postcodes``).
    postcodes
        OS Code-Point Open postcode points.
    """

    file: Path | None = None
    layer: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    boundaries: Path | None = None
    age: Path | None = None
    general_health: Path | None = None
    disability: Path | None = None
    car_availability: Path | None = None
    imd: Path | None = None
    imd_edition: Literal[2019, 2025] = 2025
    imd_lookup: Path | None = None
    routing: Literal["centroid", "postcodes"] = "centroid"
    postcodes: Path | None = None


@dataclass(frozen=True, slots=True)
class NeighbourhoodsConfig:
    """Neighbourhoods: read from a file, or proposed from the zones.

    Parameters
    ----------
    file
        Polygons with an id and a name.
    id_column, name_column
        Columns in ``file`` holding the id and name (default ``neighbourhood_id``, ``name``).
    method
        ``"file"`` (when ``file`` is given) or ``"regionalise"``: contiguous groups of
        zones with populations between ``min_population`` and ``max_population``.
    min_population, max_population
        Target population range (default 30,000–50,000, the PCN scale).
    seed
        Seed for the regionalisation, so the result is reproducible.
    place
        Name of the place (borough, ICB) the neighbourhoods belong to.
    """

    file: Path | None = None
    layer: str | None = None
    id_column: str = "neighbourhood_id"
    name_column: str = "name"
    method: Literal["file", "regionalise"] = "regionalise"
    min_population: int = 30_000
    max_population: int = 50_000
    seed: int = 0
    place: str = ""


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """Street network source for the travel-time stage.

    Parameters
    ----------
    osm
        OpenStreetMap extract (.osm.pbf or .osm).
    walk_speed_kmh
        Walking speed (default 4.8 km/h), also used for the walk to and from the network.
    cycle_speed_kmh
        Cycling speed (default 15 km/h).
    congestion_factor
        Multiplier on drive speeds for urban congestion (default: the speed table's).
    max_snap_m
        Points further than this from a usable street are flagged, not snapped (default 500 m).
    """

    osm: Path | None = None
    walk_speed_kmh: float = 4.8
    cycle_speed_kmh: float = 15.0
    congestion_factor: float | None = None
    max_snap_m: float = 500.0


@dataclass(frozen=True, slots=True)
class StudyConfig:
    """A whole study: area, sources, cohorts and settings.

    Parameters
    ----------
    name
        Study name shown in maps and exports.
    crs
        Analysis CRS (projected; default EPSG:27700).
    synthetic
        True for generated demo data; every view and export then says so.
    area, zones, assets, neighbourhoods, access, network, transit, colocation, carbon, costs
        Section settings.
    cohorts
        Cohorts declared in the config (name → expression over zone columns). They
        are added to (or replace, by name) ``cohorts.DEFAULT_COHORTS``; a declared
        cohort naming a missing column is an error, while a default cohort whose
        source table is absent (e.g. no-car households without TS045) is skipped.
    path
        The config file, when read from one.
    """

    name: str
    crs: str = ANALYSIS_CRS
    synthetic: bool = False
    area: AreaConfig = field(default_factory=AreaConfig)
    zones: ZonesConfig = field(default_factory=ZonesConfig)
    assets: AssetsConfig = field(default_factory=AssetsConfig)
    neighbourhoods: NeighbourhoodsConfig = field(default_factory=NeighbourhoodsConfig)
    cohorts: dict[str, str] = field(default_factory=dict)
    access: AccessConfig = field(default_factory=AccessConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    transit: TransitConfig = field(default_factory=TransitConfig)
    colocation: ColocationConfig = field(default_factory=ColocationConfig)
    carbon: CarbonConfig = field(default_factory=CarbonConfig)
    costs: CostsConfig = field(default_factory=CostsConfig)
    path: Path | None = None

    def digest(self) -> str:
        """Return a stable SHA-256 of the normalised config (paths and every value).

        Returns
        -------
        str
            64 hex characters; equal configs give equal digests.
        """
        data = asdict(self)
        data.pop("path", None)
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------------------
# reading


class _Reader:
    """Pull typed values out of a TOML table, recording every problem."""

    def __init__(self, base: Path, source: str) -> None:
        self.base = base
        self.source = source
        self.problems: list[str] = []

    def table(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problems.append(f"[{key}] must be a table, found {type(value).__name__}")
            return {}
        return value

    def unknown(self, section: str, table: Mapping[str, Any], known: set[str]) -> None:
        for key in table:
            if key not in known:
                hint = ", ".join(sorted(known))
                self.problems.append(f"[{section}] unknown key {key!r} (known keys: {hint})")

    def path(self, section: str, table: Mapping[str, Any], key: str) -> Path | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"[{section}] {key} must be a file path (a string)")
            return None
        p = Path(value).expanduser()
        p = p if p.is_absolute() else (self.base / p)
        p = Path(_normpath(p))
        if not p.exists():
            self.problems.append(f"[{section}] {key}: file not found: {p}")
        return p

    def typed(
        self, section: str, table: Mapping[str, Any], key: str, kind: type, default: Any
    ) -> Any:
        value = table.get(key, default)
        if value is default:
            return default
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            self.problems.append(f"[{section}] {key} must be {kind.__name__}, found {value!r}")
            return default
        return value

    def choice(
        self,
        section: str,
        table: Mapping[str, Any],
        key: str,
        allowed: tuple[Any, ...],
        default: Any,
    ) -> Any:
        value = table.get(key, default)
        if value not in allowed:
            self.problems.append(
                f"[{section}] {key} = {value!r} is not one of {', '.join(map(repr, allowed))}"
            )
            return default
        return value


def _normpath(p: Path) -> str:
    import os

    return os.path.normpath(p)


_STUDY_KEYS = {
    "name",
    "crs",
    "synthetic",
    "area",
    "area_layer",
    "area_filter",
    "area_codes",
    "asset_buffer_m",
}
_ZONE_KEYS = {
    "file", "layer", "columns", "boundaries", "age", "general_health", "disability",
    "car_availability", "imd", "imd_edition", "imd_lookup", "routing", "postcodes",
}  # fmt: skip
_NBH_KEYS = {
    "file", "layer", "id_column", "name_column", "method", "min_population", "max_population",
    "seed", "place",
}  # fmt: skip
_SECTIONS = {
    "study",
    "zones",
    "assets",
    "neighbourhoods",
    "cohorts",
    "access",
    "network",
    "transit",
    "colocation",
    "carbon",
    "costs",
}


def _read_study(r: _Reader, data: Mapping[str, Any]) -> tuple[str, str, bool, AreaConfig]:
    study = r.table(data, "study")
    r.unknown("study", study, _STUDY_KEYS)
    name = study.get("name")
    if not isinstance(name, str) or not name.strip():
        r.problems.append("[study] name is required (a non-empty string)")
        name = "unnamed study"
    crs = r.typed("study", study, "crs", str, ANALYSIS_CRS)
    try:
        parsed = CRS.from_user_input(crs)
        if not parsed.is_projected:
            r.problems.append(
                f"[study] crs = {crs!r} is not projected; analysis needs metres (e.g. EPSG:27700)"
            )
    except CRSError:
        r.problems.append(f"[study] crs = {crs!r} is not a known CRS (e.g. 'EPSG:27700')")
    codes = study.get("area_codes", [])
    if not isinstance(codes, list) or not all(isinstance(x, str) for x in codes):
        r.problems.append("[study] area_codes must be a list of strings, e.g. ['E09000007']")
        codes = []
    area_filter = study.get("area_filter", {})
    if not isinstance(area_filter, dict):
        r.problems.append("[study] area_filter must be a table, e.g. { buffer_m = 0 }")
        area_filter = {}
    buffer = r.typed("study", study, "asset_buffer_m", float, 0.0)
    if buffer < 0:
        r.problems.append(f"[study] asset_buffer_m must be ≥ 0, found {buffer}")
    area = AreaConfig(
        file=r.path("study", study, "area"),
        layer=r.typed("study", study, "area_layer", str, None),
        filter=area_filter,
        codes=tuple(codes),
        asset_buffer_m=buffer,
    )
    synthetic = r.typed("study", study, "synthetic", bool, False)
    return name, crs, synthetic, area


def _read_zones(r: _Reader, data: Mapping[str, Any]) -> ZonesConfig:
    z = r.table(data, "zones")
    r.unknown("zones", z, _ZONE_KEYS)
    cols = z.get("columns", {})
    if not isinstance(cols, dict) or not all(isinstance(v, str) for v in cols.values()):
        r.problems.append("[zones] columns must map contract columns to file columns (strings)")
        cols = {}
    cfg = ZonesConfig(
        file=r.path("zones", z, "file"),
        layer=r.typed("zones", z, "layer", str, None),
        columns=dict(cols),
        boundaries=r.path("zones", z, "boundaries"),
        age=r.path("zones", z, "age"),
        general_health=r.path("zones", z, "general_health"),
        disability=r.path("zones", z, "disability"),
        car_availability=r.path("zones", z, "car_availability"),
        imd=r.path("zones", z, "imd"),
        imd_edition=r.choice("zones", z, "imd_edition", (2019, 2025), 2025),
        imd_lookup=r.path("zones", z, "imd_lookup"),
        routing=r.choice("zones", z, "routing", ("centroid", "postcodes"), "centroid"),
        postcodes=r.path("zones", z, "postcodes"),
    )
    if cfg.file is None and cfg.boundaries is None and "zones" in data:
        r.problems.append("[zones] give either file (a zone layer) or boundaries (ONS LSOAs)")
    if cfg.file is not None and cfg.boundaries is not None:
        r.problems.append("[zones] give file or boundaries, not both")
    if cfg.imd_edition == 2019 and cfg.imd is not None and cfg.imd_lookup is None:
        r.problems.append(
            "[zones] imd_edition = 2019 needs imd_lookup (ONS LSOA 2011 → 2021 lookup)"
        )
    if cfg.routing == "postcodes" and cfg.postcodes is None:
        r.problems.append("[zones] routing = 'postcodes' needs postcodes (OS Code-Point Open)")
    return cfg


def _read_neighbourhoods(r: _Reader, data: Mapping[str, Any]) -> NeighbourhoodsConfig:
    n = r.table(data, "neighbourhoods")
    r.unknown("neighbourhoods", n, _NBH_KEYS)
    file = r.path("neighbourhoods", n, "file")
    method = r.choice(
        "neighbourhoods", n, "method", ("file", "regionalise"), "file" if file else "regionalise"
    )
    if method == "file" and file is None:
        r.problems.append("[neighbourhoods] method = 'file' needs file")
    lo = r.typed("neighbourhoods", n, "min_population", int, 30_000)
    hi = r.typed("neighbourhoods", n, "max_population", int, 50_000)
    if lo <= 0 or hi < lo:
        r.problems.append(
            f"[neighbourhoods] need 0 < min_population ≤ max_population, found {lo} and {hi}"
        )
    return NeighbourhoodsConfig(
        file=file,
        layer=r.typed("neighbourhoods", n, "layer", str, None),
        id_column=r.typed("neighbourhoods", n, "id_column", str, "neighbourhood_id"),
        name_column=r.typed("neighbourhoods", n, "name_column", str, "name"),
        method=method,
        min_population=lo,
        max_population=hi,
        seed=r.typed("neighbourhoods", n, "seed", int, 0),
        place=r.typed("neighbourhoods", n, "place", str, ""),
    )


def _read_cohorts(r: _Reader, data: Mapping[str, Any]) -> dict[str, str]:
    raw = r.table(data, "cohorts")
    out: dict[str, str] = {}
    for name, expr in raw.items():
        if not isinstance(expr, str):
            r.problems.append(f"[cohorts] {name} must be an expression string, found {expr!r}")
            continue
        try:
            _cohorts.parse_cohort(name, expr)
        except ConfigError as err:
            r.problems.append(f"[cohorts] {err}")
            continue
        out[name] = expr
    return out


def load_config(path: str | os.PathLike[str]) -> StudyConfig:
    """Read a study config from a TOML file.

    Parameters
    ----------
    path
        The ``.toml`` file. Relative paths inside it are relative to its folder.

    Returns
    -------
    StudyConfig
        The validated config.

    Raises
    ------
    ConfigError
        If the file is missing or not valid TOML, or any key or value is wrong;
        every problem found is listed in one message.

    Examples
    --------
    >>> from estatesplan import demo
    >>> import tempfile
    >>> toml = demo.write_demo(tempfile.mkdtemp(), seed=0)
    >>> load_config(toml).synthetic
    True
    """
    p = Path(path)
    if not p.is_file():
        msg = f"study config not found: {p}"
        raise ConfigError(msg)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        msg = f"{p}: not valid TOML ({err}). Check quotes, brackets and '=' signs on that line."
        raise ConfigError(msg) from err
    except UnicodeDecodeError as err:
        msg = f"{p}: not a UTF-8 text file"
        raise ConfigError(msg) from err
    r = _Reader(p.resolve().parent, str(p))
    for key in data:
        if key not in _SECTIONS:
            r.problems.append(f"unknown section [{key}] (known: {', '.join(sorted(_SECTIONS))})")
    name, crs, synthetic, area = _read_study(r, data)
    zones = _read_zones(r, data)
    if zones.file is None and zones.boundaries is None:
        r.problems.append("[zones] is required: give file (a zone layer) or boundaries (ONS LSOAs)")
    assets = read_assets(r, data)
    nbh = _read_neighbourhoods(r, data)
    cohorts = _read_cohorts(r, data)
    access = read_access(r, data)
    colocation = read_colocation(r, data)
    carbon = read_carbon(r, data)
    costs = read_costs(r, data)
    if carbon.visits_set not in access.all_asset_sets():
        r.problems.append(f"[carbon] visits_set {carbon.visits_set!r} is not a defined asset set")
    if colocation.service_set not in access.all_asset_sets():
        r.problems.append(
            f"[colocation] service_set {colocation.service_set!r} is not a defined asset set"
        )
    net = r.table(data, "network")
    r.unknown(
        "network",
        net,
        {"osm", "walk_speed_kmh", "cycle_speed_kmh", "congestion_factor", "max_snap_m"},
    )
    transit = read_transit(r, data)
    if transit.gtfs is not None and "modes" not in r.table(data, "access"):
        access = replace(access, modes=(*access.modes, "transit"))  # a feed given: transit too
    for sec, key, mode in (
        ("access", "left_behind_mode", access.left_behind_mode),
        ("colocation", "access_mode", colocation.access_mode),
        ("colocation", "staff_mode", colocation.staff_mode),
    ):
        if mode not in access.modes:
            r.problems.append(
                f"[{sec}] {key} = {mode!r} is not among [access] modes "
                f"({', '.join(access.modes)}); set [{sec}] {key} to one of them"
            )
    if "transit" in access.modes and transit.gtfs is None:
        r.problems.append(
            "[access] modes includes transit but no timetable is given; set [transit] gtfs to a "
            "GTFS zip (for London, TfL's or the Bus Open Data Service's feed), or drop transit "
            "from [access] modes"
        )
    network = NetworkConfig(
        osm=r.path("network", net, "osm"),
        walk_speed_kmh=r.typed("network", net, "walk_speed_kmh", float, 4.8),
        cycle_speed_kmh=r.typed("network", net, "cycle_speed_kmh", float, 15.0),
        congestion_factor=r.typed("network", net, "congestion_factor", float, None),
        max_snap_m=r.typed("network", net, "max_snap_m", float, 500.0),
    )
    if transit.gtfs is not None and network.osm is None:
        r.problems.append(
            "[transit] gtfs needs a street network for the walks to and from stops; set [network] osm"
        )
    for key in ("walk_speed_kmh", "cycle_speed_kmh", "congestion_factor", "max_snap_m"):
        value = getattr(network, key)
        if value is not None and value <= 0:
            r.problems.append(f"[network] {key} must be positive, found {value}")
    if r.problems:
        n = len(r.problems)
        lines = "\n".join(f"  - {m}" for m in r.problems)
        msg = f"{p}: {n} problem{'s' if n > 1 else ''} in the study config:\n{lines}"
        raise ConfigError(msg)
    return StudyConfig(
        name=name,
        crs=crs,
        synthetic=synthetic,
        area=area,
        zones=zones,
        assets=assets,
        neighbourhoods=nbh,
        cohorts=cohorts,
        access=access,
        network=network,
        transit=transit,
        colocation=colocation,
        carbon=carbon,
        costs=costs,
        path=p.resolve(),
    )

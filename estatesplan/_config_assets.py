"""The ``[assets]`` section of a study config: registers, OSM and a council's own files.

Kept apart from :mod:`estatesplan.config` (which re-exports :class:`AssetsConfig` and
:class:`AssetFileConfig`) so each module stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .config import _Reader

__all__ = ["AssetFileConfig", "AssetsConfig", "read_assets"]


@dataclass(frozen=True, slots=True)
class AssetFileConfig:
    """One asset file in a council's or trust's own layout (see ``sources.terrier``).

    Parameters
    ----------
    path
        CSV, GeoJSON or GeoPackage.
    layer
        Layer name for multi-layer files.
    mapping
        Contract column → file column.
    value_maps
        Contract column → {file value → contract value}.
    defaults
        Contract column → constant for every row (e.g. ``owner_type = "nhs_trust"``).
    x, y
        Coordinate columns for CSV files.
    crs
        CRS of ``x``/``y`` (default EPSG:27700; EPSG:4326 for lon/lat).
    id_prefix
        Prefix added to ids to keep them unique across files.
    """

    path: Path
    layer: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    x: str | None = None
    y: str | None = None
    crs: str | None = None
    id_prefix: str = ""


@dataclass(frozen=True, slots=True)
class AssetsConfig:
    """Where the asset register comes from.

    Parameters
    ----------
    gp_practices
        NHS ODS ``epraccur`` file (published or geocoded layout).
    postcodes
        OS Code-Point Open, to locate practices by postcode when the file has no coordinates.
    osm
        OpenStreetMap extract (.osm.pbf or .osm) for non-NHS public assets.
    use_osm_assets
        Read public assets from ``osm`` (default True when ``osm`` is given).
    eric_sites
        ERIC site-level return, attached to assets by site code.
    eric_trust
        ERIC trust-level returns, kept as a trust table for context (never spread over sites).
    files
        Further asset files (terriers, hospital lists).
    merge_distance_m
        OSM and register records of the same building within this distance may be merged.
    """

    gp_practices: Path | None = None
    postcodes: Path | None = None
    osm: Path | None = None
    use_osm_assets: bool = True
    eric_sites: Path | None = None
    eric_trust: tuple[Path, ...] = ()
    files: tuple[AssetFileConfig, ...] = ()
    merge_distance_m: float = 60.0


_ASSET_KEYS = {
    "gp_practices", "postcodes", "osm", "use_osm_assets", "eric_sites", "eric_trust", "files",
    "merge_distance_m",
}  # fmt: skip
_ASSET_FILE_KEYS = {
    "path",
    "layer",
    "mapping",
    "value_maps",
    "defaults",
    "x",
    "y",
    "crs",
    "id_prefix",
}


def _read_asset_file(r: _Reader, i: int, item: Any) -> AssetFileConfig | None:
    sec = f"assets.files[{i}]"
    if not isinstance(item, dict):
        r.problems.append(f"[{sec}] must be a table like {{ path = 'terrier.csv' }}")
        return None
    r.unknown(sec, item, _ASSET_FILE_KEYS)
    path = r.path(sec, item, "path")
    if path is None:
        r.problems.append(f"[{sec}] path is required")
        return None
    for key in ("mapping", "value_maps", "defaults"):
        if not isinstance(item.get(key, {}), dict):
            r.problems.append(f"[{sec}] {key} must be a table")
    return AssetFileConfig(
        path=path,
        layer=r.typed(sec, item, "layer", str, None),
        mapping=dict(item.get("mapping", {})) if isinstance(item.get("mapping", {}), dict) else {},
        value_maps={
            k: dict(v) for k, v in item.get("value_maps", {}).items() if isinstance(v, dict)
        }
        if isinstance(item.get("value_maps", {}), dict)
        else {},
        defaults=dict(item.get("defaults", {}))
        if isinstance(item.get("defaults", {}), dict)
        else {},
        x=r.typed(sec, item, "x", str, None),
        y=r.typed(sec, item, "y", str, None),
        crs=r.typed(sec, item, "crs", str, None),
        id_prefix=r.typed(sec, item, "id_prefix", str, ""),
    )


def read_assets(r: _Reader, data: Mapping[str, Any]) -> AssetsConfig:
    a = r.table(data, "assets")
    r.unknown("assets", a, _ASSET_KEYS)
    files_raw = a.get("files", [])
    if not isinstance(files_raw, list):
        r.problems.append("[assets] files must be a list of tables")
        files_raw = []
    files = tuple(f for i, x in enumerate(files_raw) if (f := _read_asset_file(r, i, x)))
    trust_raw = a.get("eric_trust", [])
    if isinstance(trust_raw, str):
        trust_raw = [trust_raw]
    trust = tuple(
        p
        for i, t in enumerate(trust_raw)
        if (p := r.path("assets", {f"eric_trust[{i}]": t}, f"eric_trust[{i}]"))
    )
    osm = r.path("assets", a, "osm")
    merge = r.typed("assets", a, "merge_distance_m", float, 60.0)
    if merge < 0:
        r.problems.append(f"[assets] merge_distance_m must be ≥ 0, found {merge}")
    return AssetsConfig(
        gp_practices=r.path("assets", a, "gp_practices"),
        postcodes=r.path("assets", a, "postcodes"),
        osm=osm,
        use_osm_assets=r.typed("assets", a, "use_osm_assets", bool, osm is not None),
        eric_sites=r.path("assets", a, "eric_sites"),
        eric_trust=trust,
        files=files,
        merge_distance_m=merge,
    )

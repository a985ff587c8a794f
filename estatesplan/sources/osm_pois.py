"""Public assets from an OpenStreetMap extract (.osm.pbf or .osm XML), read with pyosmium.

Which OSM tags make an asset, and of which ``asset_type`` and default ``owner_type``,
is the table ``estatesplan/data/osm_asset_tags.csv`` (columns key, value, asset_type,
owner_type, note; value ``*`` means any value). Rules are tried in file order and
the first that matches a feature's tags wins.

Decisions (documented here and in the table):

- **Geometry**: nodes are points; tagged ways are polygons when closed (else lines)
  and multipolygon relations are assembled as areas; each asset is the
  representative point of its polygon (a point guaranteed to lie inside it), and
  ``footprint_m2`` keeps the polygon's area in m² (NaN for nodes and lines). The
  footprint is the mapped outline (building or site), NOT a gross internal area.
- **Names**: unnamed features are kept, named ``"<unnamed {asset_type}>"`` (e.g.
  ``"<unnamed pharmacy>"``, ``"<unnamed gp practice>"``: the type with spaces): a
  pharmacy without a name in OSM is still a pharmacy.
  Housing estates need a name: ``landuse=residential`` counts only when its name
  contains the word "Estate" (and not "Private"), ``residential=council``,
  ``social_housing`` or ``public_housing`` count when named.
- **Owner**: ``owner`` is the ``operator`` tag. ``owner_type`` comes from
  ``operator:type`` when it is clear (public/government → the public owner of that
  kind of asset: nhs_trust for hospitals, clinics and other health assets,
  icb_primary_care for GP practices and health centres, education for schools, housing for estates,
  local_authority otherwise; private/commercial → other; religious → faith;
  charity/community/ngo → vcse; university → education), else, for health
  assets, from an NHS ODS code tag or an operator naming the NHS, else from an
  operator naming a council or borough, else the table's default.
- **step_free**: ``wheelchair=yes`` (or ``designated``) → True; ``no`` → False;
  ``limited`` → False
  (only partly accessible, so step-free access is not assured); else unknown. The
  raw tag is kept in ``wheelchair``.
- **ODS code**: from ``ref:GB:nhs_ods`` (the UK convention), ``ref:nhs_ods``,
  ``ref:ods`` or ``ref:nhs``, in that order.
"""

from __future__ import annotations

import csv
import importlib.resources
import io
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import osmium
import osmium.geom
import osmium.osm
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .. import contracts as c
from .._io import check_input_file
from ..assets import FOOTPRINT_M2, OSM_SOURCE, area_geometry, finalise_layer
from ..errors import DataSourceError
from .ods import normalise_postcode

__all__ = ["OSM_TAG", "TagRule", "load_osm_assets", "load_tag_rules"]

logger = logging.getLogger(__name__)

OSM_TAG: Final = "osm_tag"
"""Extra column: the ``key=value`` of the rule that made the feature an asset."""
WHEELCHAIR: Final = "wheelchair"
"""Extra column: the raw OSM ``wheelchair`` tag."""

_COLUMNS: Final = (
    c.ASSET_ID, c.NAME, c.OWNER, c.OWNER_TYPE, c.ASSET_TYPE, c.STEP_FREE, c.SOURCE,
    c.SOURCE_REF, c.ODS_CODE, c.OSM_ID, c.POSTCODE, OSM_TAG, WHEELCHAIR,
)  # fmt: skip
_ODS_KEYS: Final = ("ref:GB:nhs_ods", "ref:nhs_ods", "ref:ods", "ref:nhs")
_NAME_KEYS: Final = ("name", "official_name", "short_name")
_ESTATE_NAME: Final = re.compile(r"\bestate\b", re.IGNORECASE)
_PRIVATE_NAME: Final = re.compile(r"\bprivate\b", re.IGNORECASE)
_STEP_FREE: Final[dict[str, bool]] = {
    "yes": True,
    "designated": True,
    "no": False,
    "limited": False,
}
_PUBLIC_OWNER: Final[dict[str, str]] = {
    "hospital": "nhs_trust",
    "clinic": "nhs_trust",
    "gp_practice": "icb_primary_care",
    "health_centre": "icb_primary_care",
    "school": "education",
    "college": "education",
    "housing_estate": "housing",
}
_OPERATOR_TYPE: Final[dict[str, str]] = {
    "private": "other",
    "commercial": "other",
    "business": "other",
    "religious": "faith",
    "charity": "vcse",
    "charitable": "vcse",
    "community": "vcse",
    "ngo": "vcse",
    "non_profit": "vcse",
    "private_non_profit": "vcse",
    "association": "vcse",
    "cooperative": "vcse",
    "university": "education",
    "educational": "education",
}
_PUBLIC_OPERATOR_TYPES: Final = frozenset({"public", "government", "council", "municipal"})
_NHS_OPERATOR: Final = re.compile(r"\bNHS\b|National Health Service", re.IGNORECASE)
_COUNCIL_OPERATOR: Final = re.compile(r"\bcouncil\b|\bborough\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TagRule:
    """One row of ``osm_asset_tags.csv``: OSM ``key=value`` → asset and owner type."""

    key: str
    value: str
    asset_type: str
    owner_type: str
    note: str

    def matches(self, tags: dict[str, str]) -> bool:
        """True if ``tags`` carry this rule's key with its value (``*``: any value)."""
        got = tags.get(self.key)
        return got is not None and (self.value == "*" or got == self.value)


def load_tag_rules() -> tuple[TagRule, ...]:
    """Read the OSM tag table shipped with the package, in rule order.

    Returns
    -------
    tuple of TagRule

    Raises
    ------
    DataSourceError
        If a row names an asset or owner type outside the contract vocabulary.
    """
    text = (
        importlib.resources.files("estatesplan")
        .joinpath("data/osm_asset_tags.csv")
        .read_text(encoding="utf-8")
    )
    rules = tuple(TagRule(**row) for row in csv.DictReader(io.StringIO(text)))
    bad = [
        f"{r.key}={r.value}"
        for r in rules
        if r.asset_type not in c.ASSET_TYPES or r.owner_type not in c.OWNER_TYPES
    ]
    if bad:
        msg = f"osm_asset_tags.csv: unknown asset_type/owner_type in rule(s) {', '.join(bad)}"
        raise DataSourceError(msg)
    return rules


def _owner_type(rule: TagRule, tags: dict[str, str]) -> str:
    health = rule.asset_type in c.HEALTH_ASSET_TYPES
    public = _PUBLIC_OWNER.get(rule.asset_type, "nhs_trust" if health else "local_authority")
    op_type = tags.get("operator:type", "").strip().lower()
    if op_type in _PUBLIC_OPERATOR_TYPES:
        return public
    if op_type in _OPERATOR_TYPE:
        return _OPERATOR_TYPE[op_type]
    operator = tags.get("operator", "")
    if health:
        if any(tags.get(k) for k in _ODS_KEYS) or _NHS_OPERATOR.search(operator):
            return public
    elif _COUNCIL_OPERATOR.search(operator):
        return public
    return rule.owner_type


def _match(rules: tuple[TagRule, ...], tags: dict[str, str]) -> TagRule | None:
    for rule in rules:
        if rule.matches(tags):
            if rule.asset_type == "housing_estate":
                name = tags.get("name", "")
                if not name or (
                    rule.key == "landuse"
                    and (not _ESTATE_NAME.search(name) or _PRIVATE_NAME.search(name))
                ):
                    continue
            return rule
    return None


def _iter_features(
    path: Path, keys: tuple[str, ...]
) -> Iterator[tuple[str, int, dict[str, str], str | BaseGeometry]]:
    """Yield (kind, id, tags, geometry in lon/lat) for objects carrying one of ``keys``."""
    wkb = osmium.geom.WKBFactory()
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas(osmium.filter.KeyFilter(*keys))
        .with_filter(osmium.filter.KeyFilter(*keys))
    )
    for obj in processor:
        if isinstance(obj, osmium.osm.Node):
            if obj.location.valid():
                yield "n", obj.id, dict(obj.tags), shapely.Point(obj.lon, obj.lat)
        elif isinstance(obj, osmium.osm.Way):
            coords = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            if not coords:
                continue
            if obj.is_closed() and len(coords) >= 4 and coords[0] == coords[-1]:
                geom: BaseGeometry = shapely.Polygon(coords)
            elif len(coords) >= 2:
                geom = shapely.LineString(coords)
            else:
                geom = shapely.Point(coords[0])
            yield "w", obj.id, dict(obj.tags), geom
        elif isinstance(obj, osmium.osm.Area) and not obj.from_way():
            try:
                yield "r", obj.orig_id(), dict(obj.tags), wkb.create_multipolygon(obj)
            except (RuntimeError, osmium.InvalidLocationError):
                logger.debug("relation %d: multipolygon could not be assembled", obj.orig_id())


def load_osm_assets(
    path: str | os.PathLike[str],
    *,
    area: gpd.GeoDataFrame | BaseGeometry | None = None,
    crs: str = c.ANALYSIS_CRS,
) -> gpd.GeoDataFrame:
    """Read public assets (health, council, education, community, faith, leisure, housing) from OSM.

    Parameters
    ----------
    path
        OpenStreetMap extract: ``.osm.pbf`` or ``.osm`` XML (optionally ``.bz2``/``.gz``).
    area
        Keep only assets whose point lies inside this area: polygons (all rows
        united; any CRS) or a shapely geometry in ``crs``. None keeps everything.
    crs
        Projected CRS of the result (metres).

    Returns
    -------
    geopandas.GeoDataFrame
        Validated asset layer in ``crs``: ``asset_id`` ``"OSM-n123"`` / ``"OSM-w123"`` /
        ``"OSM-r123"``, ``osm_id`` ``"n123"`` etc. (also ``source_ref``), ``source``
        ``"osm"``, ``name``, ``owner`` (operator), ``owner_type``, ``asset_type``,
        ``step_free``, ``ods_code``, ``postcode`` (``addr:postcode``), plus
        ``footprint_m2`` (m², NaN for points), ``osm_tag`` and ``wheelchair``.
        See the module docstring for the rules.

    Raises
    ------
    DataSourceError
        If the file is missing, empty, corrupt or not an OSM file.
    """
    t0 = time.perf_counter()
    p = check_input_file(path, what="OpenStreetMap extract")
    rules = load_tag_rules()
    keys = tuple(dict.fromkeys(r.key for r in rules))
    rows: list[dict[str, object]] = []
    geoms: list[object] = []
    try:
        for kind, osm_id, tags, geom in _iter_features(p, keys):
            rule = _match(rules, tags)
            if rule is None:
                continue
            oid = f"{kind}{osm_id}"
            name = next((tags[k] for k in _NAME_KEYS if tags.get(k)), None)
            rows.append(
                {
                    c.ASSET_ID: f"OSM-{oid}",
                    c.NAME: name or f"<unnamed {rule.asset_type.replace('_', ' ')}>",
                    c.OWNER: tags.get("operator") or None,
                    c.OWNER_TYPE: _owner_type(rule, tags),
                    c.ASSET_TYPE: rule.asset_type,
                    c.STEP_FREE: _STEP_FREE.get(tags.get("wheelchair", "").strip().lower()),
                    c.SOURCE: OSM_SOURCE,
                    c.SOURCE_REF: oid,
                    c.ODS_CODE: next((tags[k].upper() for k in _ODS_KEYS if tags.get(k)), None),
                    c.OSM_ID: oid,
                    c.POSTCODE: tags.get("addr:postcode"),
                    OSM_TAG: f"{rule.key}={tags[rule.key]}",
                    WHEELCHAIR: tags.get("wheelchair"),
                }
            )
            geoms.append(shapely.from_wkb(geom) if isinstance(geom, (bytes, str)) else geom)
    except (RuntimeError, ValueError, OSError) as exc:
        msg = (
            f"OpenStreetMap extract: cannot read {p} ({exc}). The file is corrupt, truncated "
            "or not an OSM file: download the .osm.pbf again."
        )
        raise DataSourceError(msg) from exc
    raw = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(crs)
    invalid = ~raw.is_valid
    if invalid.any():  # self-touching outlines are common in OSM; repair before use
        raw[invalid] = raw[invalid].make_valid()
    df = pd.DataFrame(rows, columns=_COLUMNS)
    is_poly = raw.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    footprint = np.where(is_poly, raw.area.to_numpy(), np.nan)
    df[FOOTPRINT_M2] = footprint
    df[c.POSTCODE] = normalise_postcode(df[c.POSTCODE])
    df[c.STEP_FREE] = df[c.STEP_FREE].astype("boolean")
    gdf = gpd.GeoDataFrame(df, geometry=raw.representative_point().to_numpy(), crs=crs)
    n_all = len(gdf)
    if area is not None and len(gdf):
        gdf = gdf.loc[gdf.geometry.intersects(area_geometry(area, crs))]
    out = finalise_layer(gdf, source=str(p), crs=crs)
    counts = out[c.ASSET_TYPE].value_counts().to_dict()
    logger.info(
        "OSM %s: %d assets (%d before the area filter) %s in %.2fs",
        p.name,
        len(out),
        n_all,
        counts,
        time.perf_counter() - t0,
    )
    return out

"""Building outlines from an OpenStreetMap extract, and gross internal area (GIA) estimated from them.

The carbon stage estimates a building's energy as benchmark intensity (kWh/m²) × GIA
when metered energy is missing, but open asset registers (NHS ODS GP practices, OSM
amenities) carry no GIA. :func:`read_buildings` reads the OSM building polygons and
:func:`estimate_gia` gives each asset without a GIA an estimate from the building it
sits in. Every estimate is labelled (``gia_estimated``) and explained in words
(``gia_basis``), e.g. ``"estimate: OSM building w123 [contains the point] footprint
412 m² × 3 storeys (tagged) × 0.9 gross-to-internal = 1112 m²"``.

Assumptions (each is also named in the basis text of the assets it touches):

- **Buildings**: closed ways and multipolygon relations carrying a ``building`` tag,
  except ``building=no``. Open ways, rings with fewer than four nodes or with nodes
  missing from the extract, and relations that cannot be assembled are skipped. Invalid
  outlines (self-touching rings, common in OSM) are repaired with
  :func:`shapely.make_valid` (structure method); outlines that collapse are dropped.
  ``building:part`` outlines are not read.
- **Footprint**: the area of the mapped outline in the projected CRS (m²). OSM
  outlines trace the external walls, so the footprint approximates the gross
  external area of one storey.
- **Storeys**: ``building:levels``, which by OSM convention counts the storeys above
  ground, excluding roof and underground storeys (so basements and attics are
  missed: an under-estimate). Values are parsed leniently: surrounding spaces are
  ignored, decimals are kept (``"2.5"``: the half is a mezzanine or partial storey),
  and several values separated by ``;`` (``"3;4"``: parts of different heights) are
  averaged. Anything else (``"3-4"``, ``"G+2"``), zero, negatives and more than
  :data:`MAX_LEVELS` storeys are treated as not tagged. Untagged buildings take
  ``default_levels`` (2 by default, and the basis says "default"): a cautious
  figure, below the median of the tagged outlines in inner London (3 in Camden).
- **Gross to internal**: GIA = footprint × storeys × ``gross_to_internal``. The
  default 0.9 allows for external walls (the RICS Code of Measuring Practice defines
  GIA as the area inside them): with 0.3 m walls, a 10 × 10 m storey keeps 88 % and a
  20 × 20 m one 94 %. It is an assumption, not a measured ratio.
- **Matching an asset to a building**, in this order: (1) the asset's own OSM
  outline, when its ``osm_id`` is a building (an OSM amenity mapped on the building
  itself); (2) a building whose outline contains (or touches) the asset's point,
  the smallest one if several overlap (the most specific outline); (3) the nearest
  outline within ``max_distance_m`` (postcode centroids and hand-placed points often
  fall in the street or a yard); else no estimate (NaN).
- **Shared buildings**: when several assets match the same building (a health
  centre hosting three practices), its GIA is split equally between them and the
  basis says "shared by N assets". Only assets that need an estimate are counted:
  an asset with a register GIA in the same building is not matched and does not
  reduce the others' share.
- **Register values win**: assets with a ``gia_m2`` keep it (basis ``"register"``).
- **Very large buildings**: an estimate from a building whose whole GIA exceeds
  ``large_building_m2`` (20,000 m² by default) for a small asset type
  (:data:`SMALL_ASSET_TYPES`) probably means a mismatch (a practice inside a
  hospital or a housing block). The value is still given (capping it would invent a
  number), the basis says "building much larger than the asset type suggests" and a
  :class:`~estatesplan.errors.DataQualityWarning` lists those assets.

Limits: the estimate is the whole building's internal area; it does not know which
part the service occupies (a surgery on the ground floor of a block of flats gets the
whole block, shared only with other assets in the register). A site asset (a school,
hospital campus or housing estate) gets the one building its point falls in or near,
not the sum of the buildings on the site.
"""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import osmium
import osmium.filter
import osmium.geom
import osmium.osm
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from .. import contracts as c
from .._io import check_input_file
from ..errors import (
    ConfigError,
    CrsError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    MissingColumnError,
)
from ..validate import check_crs, format_ids

__all__ = [
    "DEFAULT_LEVELS",
    "GROSS_TO_INTERNAL",
    "LARGE_BUILDING_GIA_M2",
    "MAX_DISTANCE_M",
    "MAX_LEVELS",
    "SMALL_ASSET_TYPES",
    "estimate_gia",
    "parse_levels",
    "read_buildings",
]

logger = logging.getLogger(__name__)

MAX_DISTANCE_M: Final = 25.0
"""Default search radius (m) for the nearest building when no outline contains the point."""
DEFAULT_LEVELS: Final = 2.0
"""Default storeys for buildings without a usable ``building:levels`` tag."""
GROSS_TO_INTERNAL: Final = 0.9
"""Default ratio of gross internal to gross external area (allowance for external walls)."""
LARGE_BUILDING_GIA_M2: Final = 20_000.0
"""Building GIA estimate (m²) above which a match for a small asset type is flagged."""
MAX_LEVELS: Final = 200.0
"""Storey counts above this are treated as tagging errors (the tallest towers have ~160)."""
SMALL_ASSET_TYPES: Final[frozenset[str]] = frozenset(
    {"gp_practice", "pharmacy", "dental", "clinic", "community_centre", "place_of_worship"}
)
"""Asset types that rarely occupy a whole building of more than 20,000 m²."""

OSM_ID: Final = "osm_id"
BUILDING: Final = "building"
LEVELS: Final = "levels"
FOOTPRINT: Final = "footprint_m2"
BUILDING_NAME: Final = "name"
GIA_ESTIMATED: Final = "gia_estimated"
GIA_BASIS: Final = "gia_basis"
BUILDING_OSM_ID: Final = "building_osm_id"
BUILDING_DISTANCE: Final = "building_distance_m"
REGISTER_BASIS: Final = "register"

_WGS84: Final = "EPSG:4326"
_BUILDING_COLUMNS: Final = (OSM_ID, FOOTPRINT, LEVELS)


# --- reading ------------------------------------------------------------------------------


def parse_levels(values: Sequence[object] | pd.Series) -> npt.NDArray[np.float64]:
    """Parse ``building:levels`` tag values into storey counts.

    Parameters
    ----------
    values
        Raw tag values (strings; None or NaN for untagged buildings).

    Returns
    -------
    numpy.ndarray
        float64 storeys, one per value: ``" 3 "`` → 3, ``"2.5"`` → 2.5, ``"3;4"`` → 3.5
        (the mean of ``;``-separated values). NaN when absent or unusable (text,
        ranges such as ``"3-4"``, zero, negative, non-finite or above
        :data:`MAX_LEVELS`).

    Examples
    --------
    >>> parse_levels(["3", " 4 ", "3;4", "2.5", "three", None, "0"]).tolist()
    [3.0, 4.0, 3.5, 2.5, nan, nan, nan]
    """
    s = pd.Series(list(values), dtype="object").astype("string")
    if s.empty:
        return np.empty(0, dtype=np.float64)
    parts = s.str.split(";").explode()
    nums = pd.to_numeric(parts.str.strip(), errors="coerce").astype("float64")
    ok = np.isfinite(nums) & (nums > 0) & (nums <= MAX_LEVELS)
    nums = nums.where(ok)
    grouped = nums.groupby(level=0)
    # one bad part (or a missing value) spoils the whole tag: mean only when all parse
    mean = grouped.mean().where(grouped.count() == grouped.size())
    out = mean.reindex(s.index).to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(out, dtype=np.float64)


def _iter_buildings(
    path: str,
) -> Iterator[tuple[str, int, dict[str, str], list[tuple[float, float]] | bytes]]:
    """Yield (kind, id, tags, lon/lat ring or multipolygon WKB) for building ways/relations."""
    wkb = osmium.geom.WKBFactory()
    processor = (
        osmium.FileProcessor(path)
        .with_locations()
        .with_areas(osmium.filter.KeyFilter(BUILDING))
        .with_filter(osmium.filter.KeyFilter(BUILDING))
    )
    for obj in processor:
        if isinstance(obj, osmium.osm.Way):
            if obj.is_closed():
                ring = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
                # a node missing from the extract (clipped at its edge) spoils the ring
                yield "w", obj.id, dict(obj.tags), ring if len(ring) == len(obj.nodes) else []
        elif isinstance(obj, osmium.osm.Area) and not obj.from_way():
            try:
                geom = wkb.create_multipolygon(obj)
            except (RuntimeError, osmium.InvalidLocationError):
                logger.debug("relation %d: multipolygon could not be assembled", obj.orig_id())
                continue
            yield "r", obj.orig_id(), dict(obj.tags), bytes.fromhex(geom)


def _projected(crs: str) -> CRS:
    target = CRS.from_user_input(crs)
    if not target.is_projected:
        msg = f"building CRS {crs} is not projected; use a metric CRS such as EPSG:27700"
        raise CrsError(msg)
    return target


def read_buildings(
    pbf: str | os.PathLike[str],
    *,
    crs: str = c.ANALYSIS_CRS,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Read building polygons from an OpenStreetMap extract.

    Parameters
    ----------
    pbf
        OpenStreetMap extract: ``.osm.pbf`` or ``.osm`` XML (optionally ``.bz2``/``.gz``).
    crs
        Projected CRS of the result (metres).
    bbox
        ``(xmin, ymin, xmax, ymax)`` in ``crs``: keep only buildings whose outline
        intersects this box. None keeps everything.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per building, RangeIndex, in ``crs``, with ``osm_id`` (``"w123"`` for
        a closed way, ``"r456"`` for a multipolygon relation), ``building`` (the tag
        value, e.g. ``"yes"``, ``"house"``), ``name`` (None when untagged),
        ``levels`` (storeys from ``building:levels``, NaN when absent or unusable:
        see :func:`parse_levels`), ``footprint_m2`` (outline area in m²) and a
        (Multi)Polygon geometry. ``building=no`` is excluded.

    Raises
    ------
    DataSourceError
        If the file is missing, empty, corrupt or not an OSM file.
    CrsError
        If ``crs`` is not projected.
    """
    t0 = time.perf_counter()
    p = check_input_file(pbf, what="OpenStreetMap extract")
    target = _projected(crs)
    ids: list[str] = []
    kinds: list[str] = []
    names: list[str | None] = []
    raw_levels: list[str | None] = []
    lonlat: list[tuple[float, float]] = []
    ring_len: list[int] = []
    rel_wkb: list[bytes] = []
    n_skipped = 0
    try:
        for kind, osm_id, tags, geom in _iter_buildings(str(p)):
            if tags[BUILDING] == "no":
                continue
            if isinstance(geom, list):
                if len(geom) < 4:
                    n_skipped += 1
                    continue
                lonlat.extend(geom)
                ring_len.append(len(geom))
            else:
                rel_wkb.append(geom)
            ids.append(f"{kind}{osm_id}")
            kinds.append(tags[BUILDING])
            names.append(tags.get("name") or None)
            raw_levels.append(tags.get("building:levels"))
    except (RuntimeError, ValueError, OSError) as exc:
        msg = (
            f"OpenStreetMap extract: cannot read {p} ({exc}). The file is corrupt, truncated "
            "or not an OSM file: download the .osm.pbf again."
        )
        raise DataSourceError(msg) from exc
    t_read = time.perf_counter() - t0

    # ways: one vectorised projection and ring construction for all outlines
    to_target = Transformer.from_crs(_WGS84, target, always_xy=True)
    ll = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
    x, y = to_target.transform(ll[:, 0], ll[:, 1])
    ring_index = np.repeat(np.arange(len(ring_len)), ring_len)
    way_polys = (
        shapely.polygons(shapely.linearrings(np.column_stack([x, y]), indices=ring_index))
        if ring_len
        else np.empty(0, dtype=object)
    )
    # relations come assembled by osmium (lon/lat WKB) and are projected here
    rel_polys = (
        gpd.GeoSeries(shapely.from_wkb(rel_wkb), crs=_WGS84).to_crs(target).to_numpy()
        if rel_wkb
        else np.empty(0, dtype=object)
    )
    # ways were yielded interleaved with relations: restore the file order
    is_way = np.array([i.startswith("w") for i in ids], dtype=bool)
    geoms = np.empty(len(ids), dtype=object)
    geoms[is_way] = way_polys
    geoms[~is_way] = rel_polys
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():  # self-touching or bow-tie outlines are common in OSM
        geoms[invalid] = shapely.make_valid(
            geoms[invalid], method="structure", keep_collapsed=False
        )
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])  # Polygon, MultiPolygon
    keep = polygonal & ~shapely.is_empty(geoms)
    if bbox is not None:
        keep &= shapely.intersects(geoms, shapely.box(*bbox))
    gdf = gpd.GeoDataFrame(
        {
            OSM_ID: pd.array(ids, dtype="string"),
            BUILDING: pd.array(kinds, dtype="string"),
            BUILDING_NAME: pd.Series(names, dtype="object"),
            LEVELS: parse_levels(raw_levels),
        },
        geometry=gpd.GeoSeries(geoms, crs=target),
        crs=target,
    )
    gdf = gdf.loc[keep].reset_index(drop=True)
    gdf.insert(4, FOOTPRINT, gdf.geometry.area.to_numpy(dtype=np.float64))
    logger.info(
        "OSM buildings %s: %d buildings (%d ways, %d relations; %d with building:levels; "
        "%d invalid outlines repaired, %d dropped%s) read in %.2fs, built in %.2fs",
        p.name,
        len(gdf),
        int(gdf[OSM_ID].str.startswith("w").sum()),
        int(gdf[OSM_ID].str.startswith("r").sum()),
        int(gdf[LEVELS].notna().sum()),
        int(invalid.sum()),
        int((~keep).sum()) + n_skipped,
        "" if bbox is None else " incl. outside the bbox",
        t_read,
        time.perf_counter() - t0 - t_read,
    )
    return gdf


# --- estimating ----------------------------------------------------------------------------


def _check_parameters(
    max_distance_m: float, default_levels: float, gross_to_internal: float, large_building_m2: float
) -> None:
    bad = []
    if not (math.isfinite(max_distance_m) and max_distance_m >= 0):
        bad.append(f"max_distance_m={max_distance_m} (needs a distance >= 0 in metres)")
    if not (math.isfinite(default_levels) and 0 < default_levels <= MAX_LEVELS):
        bad.append(f"default_levels={default_levels} (needs storeys > 0)")
    if not (math.isfinite(gross_to_internal) and 0 < gross_to_internal <= 1):
        bad.append(f"gross_to_internal={gross_to_internal} (needs a ratio in (0, 1])")
    if not large_building_m2 > 0:
        bad.append(f"large_building_m2={large_building_m2} (needs an area > 0 in m²)")
    if bad:
        msg = f"estimate_gia: bad parameter value(s): {'; '.join(bad)}."
        raise ConfigError(msg)


def _register_gia(assets: pd.DataFrame) -> npt.NDArray[np.float64]:
    if c.GIA_M2 not in assets.columns:
        return np.full(len(assets), np.nan)
    col = assets[c.GIA_M2]
    num = pd.to_numeric(col, errors="coerce").astype("float64")
    bad = num.isna() & col.notna()
    if bad.any():
        ids = assets.loc[bad, c.ASSET_ID] if c.ASSET_ID in assets.columns else assets.index[bad]
        msg = (
            f"assets: column `{c.GIA_M2}` holds non-numbers on {int(bad.sum())} row(s) "
            f"({format_ids(ids)}); give m² as numbers, or leave the cell empty to estimate it."
        )
        raise DataContractError(msg)
    return np.asarray(num.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _match(
    points: npt.NDArray[np.object_],
    own: npt.NDArray[np.intp],
    tree: shapely.STRtree,
    footprint: npt.NDArray[np.float64],
    max_distance_m: float,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """Building position (-1: none) and distance (m) per point: own outline, containing, nearest."""
    b_idx = own.copy()
    dist = np.full(len(points), np.nan)
    has_own = own >= 0
    dist[has_own] = shapely.distance(points[has_own], tree.geometries[own[has_own]])
    rest = np.flatnonzero(b_idx < 0)
    if len(rest):
        pt_i, b_j = tree.query(points[rest], predicate="intersects")
        order = np.lexsort((footprint[b_j], pt_i))  # smallest containing outline first
        pt_i, b_j = pt_i[order], b_j[order]
        first = np.unique(pt_i, return_index=True)[1]
        b_idx[rest[pt_i[first]]] = b_j[first]
        dist[rest[pt_i[first]]] = 0.0
    rest = np.flatnonzero(b_idx < 0)
    if len(rest) and max_distance_m > 0:
        (pt_i, b_j), d = tree.query_nearest(
            points[rest], max_distance=max_distance_m, return_distance=True, all_matches=False
        )
        b_idx[rest[pt_i]] = b_j
        dist[rest[pt_i]] = d
    return b_idx, dist


def estimate_gia(
    assets: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    max_distance_m: float = MAX_DISTANCE_M,
    default_levels: float = DEFAULT_LEVELS,
    gross_to_internal: float = GROSS_TO_INTERNAL,
    large_building_m2: float = LARGE_BUILDING_GIA_M2,
) -> pd.DataFrame:
    """Estimate each asset's gross internal area from the OSM building it sits in.

    See the module docstring for every assumption.

    Parameters
    ----------
    assets
        Asset layer (point geometry, any CRS; reprojected to the buildings' CRS).
        Uses ``gia_m2`` (m²; NaN or a missing column means unknown), ``asset_type``
        and ``osm_id`` when present, ``asset_id`` for messages.
    buildings
        From :func:`read_buildings` (projected CRS; ``osm_id``, ``footprint_m2`` in
        m², ``levels`` with NaN for untagged, polygon geometry).
    max_distance_m
        Search radius (m) for the nearest outline when none contains the point.
    default_levels
        Storeys assumed when a building has no usable ``building:levels``.
    gross_to_internal
        Ratio of internal to external floor area, in (0, 1].
    large_building_m2
        Whole-building GIA estimate (m²) above which a match for a small asset type
        (:data:`SMALL_ASSET_TYPES`) is flagged as a probable mismatch.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``assets``: ``gia_m2`` (m²: the register value, else the
        estimate, NaN when neither), ``gia_estimated`` (True only for estimates),
        ``gia_basis`` (text: ``"register"``, the estimate's sum, or why there is
        none), ``building_osm_id`` (the matched building, missing when none) and
        ``building_distance_m`` (m from the point to the outline: 0 inside, NaN
        when unmatched).

    Raises
    ------
    MissingColumnError
        If ``buildings`` lacks ``osm_id``, ``footprint_m2`` or ``levels``.
    CrsError
        If either layer has no CRS or the buildings' CRS is not projected.
    DataContractError
        If ``gia_m2`` holds values that are not numbers.
    ConfigError
        If a parameter is out of range.

    Warns
    -----
    DataQualityWarning
        When assets need an estimate but no building is found within
        ``max_distance_m``, or a small asset type matches a very large building.
    """
    t0 = time.perf_counter()
    _check_parameters(max_distance_m, default_levels, gross_to_internal, large_building_m2)
    missing = [col for col in _BUILDING_COLUMNS if col not in buildings.columns]
    if missing:
        msg = (
            f"buildings: column(s) {', '.join(f'`{m}`' for m in missing)} missing "
            f"(columns present: {', '.join(map(str, buildings.columns))}). "
            "Read the layer with osm_buildings.read_buildings."
        )
        raise MissingColumnError(msg)
    if buildings.crs is None:
        msg = "buildings: the layer has no CRS; read it with osm_buildings.read_buildings."
        raise CrsError(msg)
    b_crs = _projected(buildings.crs.to_string())
    pts_gdf = check_crs(assets, source="assets", crs=b_crs.to_string())

    n = len(assets)
    ids = assets[c.ASSET_ID] if c.ASSET_ID in assets.columns else pd.Series(assets.index)
    reg = _register_gia(assets)
    has_reg = np.isfinite(reg)
    geom = np.asarray(pts_gdf.geometry.to_numpy(), dtype=object)
    located = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    need_pos = np.flatnonzero(~has_reg & located)  # assets that need an estimate

    b_geoms = np.asarray(buildings.geometry.to_numpy(), dtype=object)
    footprint = buildings[FOOTPRINT].to_numpy(dtype=np.float64, na_value=np.nan)
    levels = buildings[LEVELS].to_numpy(dtype=np.float64, na_value=np.nan)
    b_ids = buildings[OSM_ID].astype("string").to_numpy(dtype=object, na_value=None)
    no_text = pd.Series(None, index=buildings.index, dtype="object")
    names = buildings.get(BUILDING_NAME, no_text).to_numpy(dtype=object)

    own = np.full(len(need_pos), -1, dtype=np.intp)
    if c.OSM_ID in assets.columns and len(need_pos):
        lookup = pd.Series(np.arange(len(b_ids)), index=pd.Index(b_ids, dtype=object))
        lookup = lookup.loc[~lookup.index.duplicated()]
        asset_osm = assets[c.OSM_ID].astype("string").to_numpy(dtype=object, na_value=None)
        found = lookup.reindex(pd.Index(asset_osm[need_pos], dtype=object))
        own = found.fillna(-1).to_numpy(dtype=np.intp)
    tree = shapely.STRtree(b_geoms)
    b_idx, dist = _match(geom[need_pos], own, tree, footprint, max_distance_m)

    shared = np.bincount(b_idx[b_idx >= 0], minlength=len(buildings))  # assets per building
    storeys = np.where(np.isnan(levels), default_levels, levels)
    whole = footprint * storeys * gross_to_internal

    asset_type = (
        assets[c.ASSET_TYPE].astype("string").to_numpy(dtype=object, na_value=None)
        if c.ASSET_TYPE in assets.columns
        else np.full(n, None, dtype=object)
    )
    gia = np.where(has_reg, reg, np.nan)
    estimated = np.zeros(n, dtype=bool)
    basis = np.where(has_reg, REGISTER_BASIS, "no location: cannot match a building").astype(object)
    out_bid = np.full(n, None, dtype=object)
    out_dist = np.full(n, np.nan)
    large: list[int] = []
    none_found: list[int] = []
    # per-asset text only (assets number in the hundreds; the spatial work above is vectorised)
    for k, pos in enumerate(need_pos):
        j = int(b_idx[k])
        if j < 0:
            basis[pos] = f"no building found within {max_distance_m:g} m"
            none_found.append(int(pos))
            continue
        n_share = int(shared[j])
        value = float(whole[j]) / n_share
        storey_text = (
            f"{default_levels:g} storeys (default: building:levels not tagged)"
            if math.isnan(levels[j])
            else f"{levels[j]:g} storeys (tagged)"
        )
        where = "contains the point" if dist[k] == 0 else f"nearest, {dist[k]:.1f} m away"
        if own[k] >= 0:
            where = "the asset's own OSM outline"
        label = f"OSM building {b_ids[j]}" + (f" ({names[j]})" if names[j] else "")
        text = (
            f"estimate: {label} [{where}] footprint {footprint[j]:.0f} m² × {storey_text} "
            f"× {gross_to_internal:g} gross-to-internal = {whole[j]:.0f} m²"
        )
        if n_share > 1:
            text += f"; shared by {n_share} assets: 1/{n_share} each = {value:.0f} m²"
        if whole[j] > large_building_m2 and asset_type[pos] in SMALL_ASSET_TYPES:
            text += (
                f"; building much larger than the asset type suggests (over "
                f"{large_building_m2:,.0f} m² for a {asset_type[pos]}: probably a mismatch, check)"
            )
            large.append(int(pos))
        gia[pos] = value
        estimated[pos] = True
        basis[pos] = text
        out_bid[pos] = b_ids[j]
        out_dist[pos] = dist[k]

    out = pd.DataFrame(
        {
            c.GIA_M2: gia,
            GIA_ESTIMATED: estimated,
            GIA_BASIS: pd.array(basis, dtype="string"),
            BUILDING_OSM_ID: pd.array(out_bid, dtype="string"),
            BUILDING_DISTANCE: out_dist,
        },
        index=assets.index,
    )
    n_unlocated = int((~has_reg & ~located).sum())
    problems = []
    if none_found:
        problems.append(
            f"{len(none_found)} asset(s) have no building within {max_distance_m:g} m "
            f"({format_ids(ids.iloc[none_found])}): GIA left unknown"
        )
    if large:
        problems.append(
            f"{len(large)} small asset(s) matched a building over {large_building_m2:,.0f} m² "
            f"({format_ids(ids.iloc[large])}): probably a mismatch, estimate kept but flagged"
        )
    if n_unlocated:
        problems.append(f"{n_unlocated} asset(s) without GIA have no location")
    if problems:
        msg = f"GIA from OSM buildings: {'; '.join(problems)}. Give gia_m2 in the register "
        msg += "for these, or check their locations."
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    logger.info(
        "GIA from OSM buildings: %d assets, %d with a register GIA, %d estimated "
        "(%d own OSM outline, %d inside an outline, %d nearest; %d shared buildings), "
        "%d without a building, %d flagged as very large, in %.2fs",
        n,
        int(has_reg.sum()),
        int(estimated.sum()),
        int((own >= 0).sum()),
        int(((dist == 0) & (own < 0)).sum()),
        int(((dist > 0) & (own < 0)).sum()),
        int((shared > 1).sum()),
        len(none_found),
        len(large),
        time.perf_counter() - t0,
    )
    return out

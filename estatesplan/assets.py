"""One asset register from several layers: merge records of the same building, clip to the area.

Layers come from the loaders in :mod:`estatesplan.sources` (ODS, OpenStreetMap, a
council's or trust's terrier). The same building often appears in more than one of
them (a GP practice in ODS and as ``amenity=doctors`` in OSM); :func:`merge_duplicates`
folds such records into one, and :func:`build_asset_register` concatenates the layers,
merges, marks what lies inside the study area and validates the result.
"""

from __future__ import annotations

import difflib
import logging
import re
import time
import warnings
from collections.abc import Sequence
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from . import contracts as c
from .errors import DataContractError, DataQualityWarning, DuplicateIdError
from .validate import check_crs, format_ids, validate_assets

__all__ = [
    "ASSET_COLUMN_ORDER",
    "FOOTPRINT_M2",
    "MERGED_FROM",
    "NAME_SIMILARITY_MIN",
    "STRONG_NAME_SIMILARITY",
    "area_geometry",
    "build_asset_register",
    "finalise_layer",
    "merge_duplicates",
    "name_similarity",
    "name_tokens",
]

logger = logging.getLogger(__name__)

MERGED_FROM: Final = "merged_from"
"""Column listing the asset ids folded into a record (``;``-separated; missing if none)."""

FOOTPRINT_M2: Final = "footprint_m2"
"""Area of the mapped building or site polygon in m² (OSM); not a gross internal area."""

ASSET_COLUMN_ORDER: Final[tuple[str, ...]] = (
    c.ASSET_ID,
    c.NAME,
    c.OWNER,
    c.OWNER_TYPE,
    c.ASSET_TYPE,
    c.GIA_M2,
    c.CONDITION,
    c.BACKLOG_GBP,
    c.RUNNING_COST_GBP,
    c.ELECTRICITY_KWH,
    c.GAS_KWH,
    c.TENURE,
    c.AVAILABLE_M2,
    c.STEP_FREE,
    c.SOURCE,
    c.SOURCE_REF,
    c.ODS_CODE,
    c.OSM_ID,
    c.POSTCODE,
)
"""Contract columns first, in this order; loader-specific extras follow, geometry last."""

NAME_SIMILARITY_MIN: Final = 0.8
"""Smallest name similarity (0–1, see :func:`name_similarity`) for a merge by name."""

OSM_SOURCE: Final = "osm"
ODS_SOURCE: Final = "ods_epraccur"

# Words that say what kind of place it is rather than which one; dropped before comparing.
_NAME_STOPWORDS: Final[frozenset[str]] = frozenset(
    {
        "THE", "AND", "OF", "FOR", "AT", "DR", "DRS", "SURGERY", "SURGERIES", "PRACTICE",
        "MEDICAL", "HEALTH", "CENTRE", "CENTER", "CTR", "CLINIC", "GROUP", "PARTNERSHIP",
        "NHS", "PHARMACY", "CHEMIST", "CHEMISTS", "DENTAL", "DENTIST", "DENTISTS",
    }
)  # fmt: skip
# Health types that are compared with each other ("same health category").
_CATEGORY: Final[dict[str, str]] = {
    "gp_practice": "primary_care",
    "health_centre": "primary_care",
    "clinic": "primary_care",
    "council_office": "council",
    "town_hall": "council",
}
_UNNAMED_PREFIX: Final = "<unnamed "
_FUZZY_MIN_LETTERS: Final = 5
_FUZZY_TOKEN_RATIO: Final = 0.85


def finalise_layer(
    layer: gpd.GeoDataFrame, *, source: str, crs: str = c.ANALYSIS_CRS
) -> gpd.GeoDataFrame:
    """Validate an asset layer and put its columns in the contract order.

    Parameters
    ----------
    layer
        Asset records with at least the required contract columns and point geometry.
    source
        File or layer name for messages.
    crs
        Analysis CRS to project to.

    Returns
    -------
    geopandas.GeoDataFrame
        Validated copy (every optional contract column present, unknown as missing),
        with a fresh RangeIndex.

    Raises
    ------
    DataContractError
        Listing every contract problem.
    """
    gdf = validate_assets(layer, source=source, crs=crs)
    geom = gdf.geometry.name
    extras = [col for col in gdf.columns if col not in ASSET_COLUMN_ORDER and col != geom]
    return gdf[[*ASSET_COLUMN_ORDER, *extras, geom]].reset_index(drop=True)


def name_tokens(name: object) -> frozenset[str]:
    """Significant words of a place name, for matching.

    Upper case, ``&`` read as AND, apostrophes dropped (KING'S → KINGS), other
    punctuation as spaces, then generic words (THE, DR, SURGERY, PRACTICE, MEDICAL,
    HEALTH, CENTRE, CLINIC, PHARMACY, DENTAL, ...) removed.

    Parameters
    ----------
    name
        A name; missing values and OSM placeholders (``"<unnamed …>"``) give no tokens.

    Returns
    -------
    frozenset of str

    Examples
    --------
    >>> sorted(name_tokens("The Dr. Smith's Surgery & Medical Centre"))
    ['SMITHS']
    """
    if not isinstance(name, str) or name.startswith(_UNNAMED_PREFIX):
        return frozenset()
    text = name.upper().replace("&", " AND ").replace("'", "").replace("\u2019", "")
    words = re.sub(r"[^0-9A-Z]+", " ", text).split()
    return frozenset(w for w in words if w not in _NAME_STOPWORDS)


def name_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Similarity of two token sets from :func:`name_tokens`, 0 (none) to 1 (same).

    The share of the smaller set's tokens found in the other set, where a token is
    found if it is there exactly or, for words of at least 5 letters, if a word of
    at least 5 letters there has a :class:`difflib.SequenceMatcher` ratio of at least
    0.85 with it (so "CHOMLEY" finds "CHOLMLEY" and "SOMERS" finds "SOMMERS", while
    "MARYS" does not find "MARKS" and numbers must be equal). "ROSSLYN" against
    "ROSSLYN HILL" gives 1. Empty sets give 0.

    Parameters
    ----------
    a, b
        Token sets.

    Returns
    -------
    float
    """
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    hits = 0
    for tok in small:
        if tok in large or (
            len(tok) >= _FUZZY_MIN_LETTERS
            and any(
                len(other) >= _FUZZY_MIN_LETTERS
                and difflib.SequenceMatcher(None, tok, other).ratio() >= _FUZZY_TOKEN_RATIO
                for other in large
            )
        ):
            hits += 1
    return hits / len(small)


def _source_rank(sources: pd.Series) -> np.ndarray:
    src = sources.astype("string").fillna("")
    return np.where(src.eq(OSM_SOURCE), 2, np.where(src.eq(ODS_SOURCE), 1, 0))


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def merge_duplicates(
    assets: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 60.0,
    strong_name_distance_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Fold records of the same building from different layers into one record.

    Rule, in order of strength:

    1. **ODS code**: records from different sources with the same ``ods_code``
       (e.g. ODS ``epraccur`` and an OSM feature tagged ``ref:GB:nhs_ods``) are the
       same organisation's site, whatever the distance.
    2. **Place and name**: records within ``max_distance_m`` metres of each other, of
       the same category (``gp_practice``, ``health_centre`` and ``clinic`` count as
       one primary-care category, since OSM often tags GP surgeries as clinics;
       ``council_office`` and ``town_hall`` as one; other types only match
       themselves) and with a name similarity of at least
       :data:`NAME_SIMILARITY_MIN` (0.8; see :func:`name_similarity`, which ignores
       generic words such as SURGERY, MEDICAL CENTRE, PRACTICE, THE, DR).
    3. **Strong name, further apart**: records from different sources, of the same
       category, within ``strong_name_distance_m`` (default 5 × ``max_distance_m``,
       300 m), whose names share at least two significant words and have a
       similarity of at least :data:`STRONG_NAME_SIMILARITY` (0.95). This catches
       registers located by postcode centroid, which can sit a few hundred metres
       from the building. Such a pair only joins groups that do not already hold a
       record of the other's source (so one register record never absorbs two
       same-named OSM shops far apart).
    4. **Unnamed OSM feature**: an OSM record without a name within
       ``max_distance_m`` of a named record of exactly the same ``asset_type``.

    Records with different, non-missing ODS codes are never merged (two practices
    sharing a health centre stay two records). Pairs are joined strongest first;
    groups are formed transitively.

    In each group the record from the highest-ranked source wins for identity
    (``asset_id``, ``name``, type, owner, geometry) and attributes: an organisation's
    own register (terrier, any source other than ``osm`` and ``ods_epraccur``) first,
    then ODS, then OSM. Attributes the winner lacks (missing values) are filled
    from the other members in that order, so OSM contributes ``step_free``,
    ``osm_id``, ``footprint_m2`` and the like.

    Parameters
    ----------
    assets
        Asset layer (concatenated layers), point geometry, unique ``asset_id``.
    max_distance_m
        Largest distance in metres between two records merged by place and name.
    strong_name_distance_m
        Largest distance in metres for rule 3; None means 5 × ``max_distance_m``.

    Returns
    -------
    geopandas.GeoDataFrame
        Validated, in EPSG:27700, with a ``merged_from`` column listing the ids folded
        into each record (``;``-separated, missing when none).

    Raises
    ------
    DataContractError
        If the input breaks the asset contract (e.g. duplicate ids).
    """
    t0 = time.perf_counter()
    gdf = validate_assets(assets, source="assets to merge").reset_index(drop=True)
    n = len(gdf)
    far = 5 * max_distance_m if strong_name_distance_m is None else strong_name_distance_m
    ods = gdf[c.ODS_CODE].astype("string").str.strip().str.upper()
    ods = ods.where(ods.ne(""))
    sources = gdf[c.SOURCE].astype("string").fillna("").to_numpy()
    scored = _candidate_pairs(gdf, ods, sources, max_distance_m, max(far, max_distance_m))
    parent = list(range(n))
    ods_sets: list[set[str]] = [set() if pd.isna(v) else {str(v)} for v in ods]
    src_sets: list[set[str]] = [{str(s)} for s in sources]
    for score, i, j in sorted(scored, key=lambda t: -t[0]):
        ri, rj = _find(parent, i), _find(parent, j)
        if ri == rj or len(ods_sets[ri] | ods_sets[rj]) > 1:
            continue
        if _STRONG_TIER <= score < _NAME_TIER and src_sets[ri] & src_sets[rj]:
            continue
        parent[rj] = ri
        ods_sets[ri] |= ods_sets[rj]
        src_sets[ri] |= src_sets[rj]
    group = np.array([_find(parent, i) for i in range(n)])
    out = _collapse(gdf, group)
    logger.info(
        "merge_duplicates: %d records -> %d assets (%d merged) in %.2fs",
        n,
        len(out),
        n - len(out),
        time.perf_counter() - t0,
    )
    return out


_ODS_TIER: Final = 4.0
_NAME_TIER: Final = 3.0
_STRONG_TIER: Final = 2.0
_UNNAMED_TIER: Final = 1.0
STRONG_NAME_SIMILARITY: Final = 0.95
"""Smallest name similarity for rule 3 of :func:`merge_duplicates` (strong name, further apart)."""


def _candidate_pairs(
    gdf: gpd.GeoDataFrame,
    ods: pd.Series,
    sources: np.ndarray,
    near: float,
    far: float,
) -> list[tuple[float, int, int]]:
    """Scored candidate pairs (score, i, j), i < j; the integer part of a score is its rule tier."""
    scored: list[tuple[float, int, int]] = []
    coded = ods.dropna()
    for _, idx in coded.groupby(coded).groups.items():
        members = [int(k) for k in idx]
        scored.extend(
            (_ODS_TIER, i, j)
            for i in members
            for j in members
            if i < j and sources[i] != sources[j]
        )
    if len(gdf) < 2 or far <= 0:
        return scored
    left, right = gdf.sindex.query(gdf.geometry, predicate="dwithin", distance=far)
    keep = left < right
    types = gdf[c.ASSET_TYPE].astype(str).to_numpy()
    cats = np.array([_CATEGORY.get(t, t) for t in types])
    keep &= cats[left] == cats[right]
    left, right = left[keep], right[keep]
    dist = gdf.geometry.iloc[left].distance(gdf.geometry.iloc[right], align=False).to_numpy()
    tokens = [name_tokens(v) for v in gdf[c.NAME]]
    for i, j, d in zip(left.tolist(), right.tolist(), dist.tolist(), strict=True):
        closeness = 0.5 * (1.0 - min(d / far, 1.0))  # < 1: orders pairs within a tier
        if tokens[i] and tokens[j]:
            sim = name_similarity(tokens[i], tokens[j])
            if d <= near and sim >= NAME_SIMILARITY_MIN:
                scored.append((_NAME_TIER + 0.5 * sim + closeness * 0.99, i, j))
            elif (
                sim >= STRONG_NAME_SIMILARITY
                and sources[i] != sources[j]
                and len(tokens[i] & tokens[j]) >= 2
            ):
                scored.append((_STRONG_TIER + closeness, i, j))
        elif d <= near and types[i] == types[j] and (bool(tokens[i]) != bool(tokens[j])):
            unnamed = i if not tokens[i] else j
            if sources[unnamed] == OSM_SOURCE:
                scored.append((_UNNAMED_TIER + closeness, i, j))
    return scored


def _collapse(gdf: gpd.GeoDataFrame, group: np.ndarray) -> gpd.GeoDataFrame:
    """One record per group: the best-ranked member, gaps filled from the others in rank order."""
    n = len(gdf)
    rank = _source_rank(gdf[c.SOURCE])
    order = np.lexsort((np.arange(n), rank, group))  # by group, then rank, then input order
    ordered = gdf.iloc[order]
    grp = group[order]
    geom = gdf.geometry.name
    attrs = ordered.drop(columns=geom)
    filled = attrs.groupby(grp, sort=False).first()
    first = ~pd.Series(grp).duplicated().to_numpy()
    keepers = ordered.loc[first]
    others = ordered.loc[~first]
    merged_from = (
        others[c.ASSET_ID].astype(str).groupby(grp[~first]).agg(lambda s: ";".join(sorted(s)))
    )
    mf = merged_from.reindex(filled.index)
    filled[MERGED_FROM] = mf.astype(object).where(mf.notna(), None)
    out = gpd.GeoDataFrame(
        filled.reset_index(drop=True), geometry=keepers.geometry.to_numpy(), crs=gdf.crs
    )
    if str(attrs[c.STEP_FREE].dtype) == "boolean":
        out[c.STEP_FREE] = out[c.STEP_FREE].astype("boolean")
    return finalise_layer(out, source="merged assets")


def area_geometry(area: gpd.GeoDataFrame | BaseGeometry, crs: object) -> BaseGeometry:
    """One geometry for a study area, in ``crs``.

    Parameters
    ----------
    area
        Polygons in any CRS (all rows are united), or a shapely geometry already in
        ``crs``.
    crs
        Target CRS.

    Returns
    -------
    shapely.geometry.base.BaseGeometry

    Raises
    ------
    CrsError
        If ``area`` is a layer without a CRS.
    """
    if isinstance(area, BaseGeometry):
        return area
    checked = check_crs(area, source="study area", crs=str(crs))
    return shapely.union_all(checked.geometry.to_numpy())


def build_asset_register(
    layers: Sequence[gpd.GeoDataFrame],
    *,
    area: gpd.GeoDataFrame | BaseGeometry | None = None,
    buffer_m: float = 0.0,
    max_merge_distance_m: float = 60.0,
    source: str = "assets",
) -> gpd.GeoDataFrame:
    """Build one validated asset register from several layers.

    Layers are validated and concatenated; records of the same building are merged
    with :func:`merge_duplicates` (see there for the rule and thresholds); then, if
    ``area`` is given, each asset is marked ``in_area`` True inside it and False in
    the margin of ``buffer_m`` metres around it, and assets beyond area + margin are
    dropped with a warning.

    Parameters
    ----------
    layers
        Asset layers (any CRS; each must pass the asset contract).
    area
        Study area polygons (all rows are united) or one shapely geometry in
        EPSG:27700. None keeps everything and sets ``in_area`` True.
    buffer_m
        Margin around ``area`` in metres whose assets are kept with ``in_area`` False
        (services just over the boundary are used by residents too).
    max_merge_distance_m
        ``max_distance_m`` of :func:`merge_duplicates`.
    source
        Name used in messages.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:27700, unique ``asset_id``, contract columns first, plus ``in_area``
        and ``merged_from``.

    Raises
    ------
    DuplicateIdError
        If two layers use the same ``asset_id`` (give one an id prefix).
    DataContractError
        If a layer breaks the asset contract.

    Warns
    -----
    DataQualityWarning
        When assets beyond the area and its margin are dropped (how many, first ids).
    """
    t0 = time.perf_counter()
    valid = [
        validate_assets(layer, source=f"{source}: layer {k + 1}") for k, layer in enumerate(layers)
    ]
    ids = pd.concat([v[c.ASSET_ID] for v in valid], ignore_index=True) if valid else pd.Series()
    dup = ids[ids.duplicated()]
    if len(dup):
        msg = (
            f"{source}: asset_id(s) used in more than one layer: "
            f"{format_ids(sorted(dup.unique()))}. Give each layer its own id prefix "
            "(e.g. id_prefix in load_asset_file)."
        )
        raise DuplicateIdError(msg)
    non_empty = [v for v in valid if len(v)] or valid[:1]
    if not non_empty:
        msg = f"{source}: no asset layers given; pass at least one layer."
        raise DataContractError(msg)
    combined = gpd.GeoDataFrame(
        pd.concat(non_empty, ignore_index=True), geometry=non_empty[0].geometry.name
    )
    combined = combined.set_crs(c.ANALYSIS_CRS, allow_override=True)
    merged = merge_duplicates(combined, max_distance_m=max_merge_distance_m)
    if area is None:
        merged[c.IN_AREA] = True
    else:
        geom = area_geometry(area, merged.crs)
        inside = merged.geometry.intersects(geom)
        margin = geom.buffer(buffer_m) if buffer_m > 0 else geom
        keep = inside | merged.geometry.intersects(margin)
        if (~keep).any():
            warnings.warn(
                f"{source}: {int((~keep).sum())} asset(s) lie beyond the study area "
                f"and its {buffer_m:g} m margin and are dropped: asset_id "
                f"{format_ids(merged.loc[~keep, c.ASSET_ID])}.",
                DataQualityWarning,
                stacklevel=2,
            )
        merged = merged.loc[keep].copy()
        merged[c.IN_AREA] = inside[keep].to_numpy()
    out = finalise_layer(merged, source=source)
    logger.info(
        "build_asset_register: %d layer(s), %d records -> %d assets (%d in area) in %.2fs",
        len(valid),
        len(combined),
        len(out),
        int(out[c.IN_AREA].sum()),
        time.perf_counter() - t0,
    )
    return out

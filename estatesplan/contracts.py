"""Data contracts: the column names, vocabularies and defaults every stage relies on.

Column names live here once; code uses these constants rather than bare strings.
Units are in the names (``_m2``, ``_gbp``, ``_kwh``, ``_min``). Analysis is in a
projected CRS (EPSG:27700 by default) and every GeoJSON export is EPSG:4326.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = [
    "AGE_BANDS",
    "ANALYSIS_CRS",
    "ASSET_OPTIONAL_DEFAULTS",
    "ASSET_REQUIRED",
    "ASSET_TYPES",
    "CONDITIONS",
    "EXPORT_CRS",
    "HEALTH_ASSET_TYPES",
    "NEIGHBOURHOOD_REQUIRED",
    "OWNER_TYPES",
    "TENURES",
    "ZONE_COUNT_COLUMNS",
    "ZONE_REQUIRED",
    "AssetType",
    "Condition",
    "Mode",
    "OwnerType",
]

ANALYSIS_CRS: Final = "EPSG:27700"
"""Default analysis CRS: British National Grid, metres."""

EXPORT_CRS: Final = "EPSG:4326"
"""CRS of every GeoJSON export (RFC 7946: WGS84 longitude/latitude)."""

Mode = Literal["walk", "cycle", "drive", "transit"]
"""Travel modes: ``"walk"``, ``"cycle"``, ``"drive"``, ``"transit"``."""

OwnerType = Literal[
    "nhs_trust",
    "icb_primary_care",
    "local_authority",
    "vcse",
    "education",
    "faith",
    "housing",
    "other",
]
"""Who owns or runs an asset."""

OWNER_TYPES: Final[tuple[str, ...]] = get_args(OwnerType)

AssetType = Literal[
    "gp_practice",
    "health_centre",
    "clinic",
    "hospital",
    "pharmacy",
    "dental",
    "care_home",
    "council_office",
    "town_hall",
    "library",
    "school",
    "college",
    "community_centre",
    "social_facility",
    "place_of_worship",
    "housing_estate",
    "leisure_centre",
    "nhs_office",
    "other",
]
"""Kinds of building or site in the asset register."""

ASSET_TYPES: Final[tuple[str, ...]] = get_args(AssetType)

HEALTH_ASSET_TYPES: Final[frozenset[str]] = frozenset(
    {"gp_practice", "health_centre", "clinic", "hospital", "pharmacy", "dental"}
)
"""Asset types counted as health services."""

Condition = Literal["A", "B", "C", "D"]
"""Physical condition as graded in ERIC: A (as new) to D (unacceptable, imminent failure)."""

CONDITIONS: Final[tuple[str, ...]] = get_args(Condition)

TENURES: Final[tuple[str, ...]] = ("freehold", "leasehold", "licence", "pfi", "other")
"""Tenure vocabulary for the ``tenure`` column (unknown stays missing)."""

# --- assets -----------------------------------------------------------------------------

ASSET_ID: Final = "asset_id"
NAME: Final = "name"
OWNER: Final = "owner"
OWNER_TYPE: Final = "owner_type"
ASSET_TYPE: Final = "asset_type"
GIA_M2: Final = "gia_m2"
CONDITION: Final = "condition"
BACKLOG_GBP: Final = "backlog_gbp"
RUNNING_COST_GBP: Final = "running_cost_gbp"
ELECTRICITY_KWH: Final = "electricity_kwh"
GAS_KWH: Final = "gas_kwh"
TENURE: Final = "tenure"
AVAILABLE_M2: Final = "available_m2"
STEP_FREE: Final = "step_free"
# provenance columns (every loader fills them)
SOURCE: Final = "source"
SOURCE_REF: Final = "source_ref"
ODS_CODE: Final = "ods_code"
OSM_ID: Final = "osm_id"
POSTCODE: Final = "postcode"
IN_AREA: Final = "in_area"
SYNTHETIC: Final = "synthetic"

ASSET_REQUIRED: Final[tuple[str, ...]] = (ASSET_ID, NAME, OWNER_TYPE, ASSET_TYPE)
"""Columns an asset layer must have (plus point geometry)."""

ASSET_OPTIONAL_DEFAULTS: Final[dict[str, object]] = {
    OWNER: None,
    GIA_M2: float("nan"),
    CONDITION: None,
    BACKLOG_GBP: float("nan"),
    RUNNING_COST_GBP: float("nan"),
    ELECTRICITY_KWH: float("nan"),
    GAS_KWH: float("nan"),
    TENURE: None,
    AVAILABLE_M2: float("nan"),
    STEP_FREE: None,
    SOURCE: None,
    SOURCE_REF: None,
    ODS_CODE: None,
    OSM_ID: None,
    POSTCODE: None,
}
"""Optional asset columns and the value they take when absent: unknown, never zero."""

ASSET_NUMERIC_NONNEGATIVE: Final[tuple[str, ...]] = (
    GIA_M2,
    BACKLOG_GBP,
    RUNNING_COST_GBP,
    ELECTRICITY_KWH,
    GAS_KWH,
    AVAILABLE_M2,
)

# --- zones ------------------------------------------------------------------------------

ZONE_ID: Final = "zone_id"
ZONE_NAME: Final = "name"
POPULATION: Final = "population"
IMD_DECILE: Final = "imd_decile"
IMD_RANK: Final = "imd_rank"
IMD_SCORE: Final = "imd_score"
HOUSEHOLDS: Final = "households"
HOUSEHOLDS_NO_CAR: Final = "households_no_car"
DISABLED_LIMITED_LOT: Final = "disabled_limited_lot"
DISABLED_LIMITED_LITTLE: Final = "disabled_limited_little"
LTC_NOT_LIMITED: Final = "ltc_not_limited"
DISABILITY_OR_LTC: Final = "disability_or_ltc"
HEALTH_VERY_GOOD: Final = "health_very_good"
HEALTH_GOOD: Final = "health_good"
HEALTH_FAIR: Final = "health_fair"
HEALTH_BAD: Final = "health_bad"
HEALTH_VERY_BAD: Final = "health_very_bad"
NEIGHBOURHOOD_ID: Final = "neighbourhood_id"
ROUTE_X: Final = "route_x"
ROUTE_Y: Final = "route_y"
ROUTE_METHOD: Final = "route_method"

AGE_BANDS: Final[tuple[str, ...]] = (
    "age_0_4",
    "age_5_9",
    "age_10_14",
    "age_15_19",
    "age_20_24",
    "age_25_29",
    "age_30_34",
    "age_35_39",
    "age_40_44",
    "age_45_49",
    "age_50_54",
    "age_55_59",
    "age_60_64",
    "age_65_69",
    "age_70_74",
    "age_75_79",
    "age_80_84",
    "age_85_plus",
)
"""Five-year age bands of usual residents, as in Census 2021 TS007A."""

ZONE_REQUIRED: Final[tuple[str, ...]] = (ZONE_ID, POPULATION)
"""Columns a zone layer must have (plus polygon geometry)."""

ZONE_COUNT_COLUMNS: Final[tuple[str, ...]] = (
    POPULATION,
    *AGE_BANDS,
    HOUSEHOLDS,
    HOUSEHOLDS_NO_CAR,
    DISABLED_LIMITED_LOT,
    DISABLED_LIMITED_LITTLE,
    LTC_NOT_LIMITED,
    DISABILITY_OR_LTC,
    HEALTH_VERY_GOOD,
    HEALTH_GOOD,
    HEALTH_FAIR,
    HEALTH_BAD,
    HEALTH_VERY_BAD,
)
"""Zone columns that hold counts of people or households: numeric and never negative."""

# --- neighbourhoods ---------------------------------------------------------------------

PLACE: Final = "place"
NEIGHBOURHOOD_REQUIRED: Final[tuple[str, ...]] = (NEIGHBOURHOOD_ID, NAME)
"""Columns a neighbourhood layer must have (plus polygon geometry)."""

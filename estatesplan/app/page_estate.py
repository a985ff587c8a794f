"""The estate map page: every partner's assets over the zones, shaded by a cohort.

Only arrangement lives here; every number and layer comes from the core
(:mod:`estatesplan.maps`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import streamlit as st

from .. import contracts as c
from .. import maps
from ..errors import EstatesplanError
from ..study import Study
from ..workspace import Workspace
from . import state as s
from .common import show_error, show_map

__all__ = ["asset_table", "render", "study_choices", "zone_table"]

logger = logging.getLogger(__name__)

MAP_HEIGHT_PX: Final = 620
_MEASURE_LABELS: Final[dict[str, str]] = {
    "share": "Share of residents (%)",
    "count": "Number of people",
    "density": "People per km²",
}
_ASSET_TABLE_COLUMNS: Final[tuple[str, ...]] = (
    c.ASSET_ID,
    c.NAME,
    c.OWNER,
    c.OWNER_TYPE,
    c.ASSET_TYPE,
    c.GIA_M2,
    c.CONDITION,
    c.BACKLOG_GBP,
    c.AVAILABLE_M2,
    c.STEP_FREE,
    c.TENURE,
    c.IN_AREA,
    c.SOURCE,
)
_CLICK_TOLERANCE_DEG: Final = 1e-5


def asset_table(assets: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the assets as a plain table for display (no geometry; unknown stays empty).

    Parameters
    ----------
    assets
        Asset register (any CRS).

    Returns
    -------
    pandas.DataFrame
        The contract's estate columns that are present, in a fixed order.
    """
    cols = [col for col in _ASSET_TABLE_COLUMNS if col in assets.columns]
    return pd.DataFrame(assets[cols]).reset_index(drop=True)


def zone_table(study: Study, cohort: str) -> pd.DataFrame:
    """Return one row per zone with the cohort's count, share (%) and density.

    Parameters
    ----------
    study
        The study.
    cohort
        A column of ``study.cohort_weights``.

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``name`` (when zones have names), ``neighbourhood_id``,
        ``population``, then ``<cohort>`` (people), ``<cohort>_share_pct`` (% of
        residents) and ``<cohort>_per_km2``; NaN where unknown.
    """
    zones = study.zones
    cols = [
        col for col in (c.ZONE_ID, c.ZONE_NAME, c.NEIGHBOURHOOD_ID, c.POPULATION) if col in zones
    ]
    table = pd.DataFrame(zones[cols])
    table[cohort] = maps.cohort_measure(study, cohort, "count")
    table[f"{cohort}_share_pct"] = maps.cohort_measure(study, cohort, "share") * 100.0
    table[f"{cohort}_per_km2"] = maps.cohort_measure(study, cohort, "density")
    return table.reset_index(drop=True)


def _sidebar_view(owners: list[str], types: list[str]) -> None:
    st.sidebar.header("Map")
    st.sidebar.selectbox(
        "Measure",
        options=list(maps.MEASURES),
        key=s.MEASURE,
        format_func=lambda m: _MEASURE_LABELS.get(m, m),
    )
    st.sidebar.header("Assets")
    st.sidebar.multiselect(
        "Owner types", options=owners, key=s.OWNER_TYPES, format_func=maps.owner_type_label
    )
    st.sidebar.multiselect(
        "Asset types", options=types, key=s.ASSET_TYPES, format_func=maps.asset_type_label
    )


def _metrics(study: Study, assets: gpd.GeoDataFrame, cohort: str | None) -> None:
    population = pd.to_numeric(study.zones[c.POPULATION], errors="coerce")
    unknown = int(population.isna().sum())
    cols = st.columns(5)
    cols[0].metric("Zones", f"{len(study.zones):,}")
    cols[1].metric(
        "Population",
        f"{population.sum(min_count=1):,.0f}" if unknown < len(population) else "unknown",
        help=f"{unknown} zone(s) with unknown population are left out." if unknown else None,
    )
    cols[2].metric(
        "Assets", f"{len(assets):,}", help=f"shown, of {len(study.assets):,} in the study"
    )
    cols[3].metric("Neighbourhoods", f"{len(study.neighbourhoods):,}")
    if cohort is not None:
        total = maps.cohort_measure(study, cohort, "count").sum(min_count=1)
        label = cohort.replace("_", " ").capitalize()
        cols[4].metric(label, "unknown" if math.isnan(total) else f"{total:,.0f}")


def _clicked_asset(assets: gpd.GeoDataFrame, clicked: Any) -> pd.DataFrame | None:
    if not isinstance(clicked, dict) or not len(assets):
        return None
    lat, lng = clicked.get("lat"), clicked.get("lng")
    if not isinstance(lat, int | float) or not isinstance(lng, int | float):
        return None
    points = assets.geometry.to_crs(c.EXPORT_CRS)
    distance = ((points.y - lat) ** 2 + (points.x - lng) ** 2) ** 0.5
    hit = distance <= _CLICK_TOLERANCE_DEG
    return asset_table(assets[hit.to_numpy()]) if hit.any() else None


def render(ws: Workspace) -> None:
    """Draw the estate map page for the workspace's study (cohort chosen in the sidebar)."""
    start = time.perf_counter()
    study = ws.study
    _, owners, types = study_choices(study)
    _sidebar_view(owners, types)
    cohort = st.session_state.get(s.COHORT)
    measure = st.session_state.get(s.MEASURE, s.DEFAULT_MEASURE)
    owner_types: Sequence[str] = st.session_state.get(s.OWNER_TYPES) or []
    asset_types: Sequence[str] = st.session_state.get(s.ASSET_TYPES) or []
    try:
        assets = maps.filter_assets(study.assets, owner_types=owner_types, asset_types=asset_types)
        _metrics(study, assets, cohort)
        fmap = maps.estate_map(
            study,
            cohort=cohort,
            measure=measure,
            owner_types=owner_types,
            asset_types=asset_types,
            tiles="OpenStreetMap" if st.session_state.get(s.BASEMAP, True) else None,
        )
        zones = zone_table(study, cohort) if cohort is not None else None
    except EstatesplanError as err:
        show_error(err)
    returned = show_map(
        fmap, key=s.MAIN_MAP, returned_objects=["last_object_clicked"], height=MAP_HEIGHT_PX
    )
    picked = _clicked_asset(assets, (returned or {}).get("last_object_clicked"))
    if picked is not None:
        st.subheader("Selected asset")
        st.dataframe(picked, hide_index=True, key="selected_asset")
    st.subheader(f"Assets ({len(assets):,} of {len(study.assets):,})")
    st.dataframe(asset_table(assets), hide_index=True, key="assets_table")
    if zones is not None:
        st.subheader(f"Zones: {str(cohort).replace('_', ' ')}")
        st.dataframe(
            zones,
            hide_index=True,
            key="zones_table",
            column_config={
                f"{cohort}_share_pct": st.column_config.NumberColumn("share (%)", format="%.1f"),
                f"{cohort}_per_km2": st.column_config.NumberColumn("per km²", format="%.0f"),
            },
        )
    logger.info(
        "estate page for %r: %d of %d assets, cohort %s (%s) in %.2f s",
        study.name,
        len(assets),
        len(study.assets),
        cohort,
        measure,
        time.perf_counter() - start,
    )


def study_choices(study: Study) -> tuple[list[str], list[str], list[str]]:
    """Cohorts, owner types and asset types the study offers, in vocabulary order."""
    cohorts = [str(col) for col in study.cohort_weights.columns]
    present_owners = set(study.assets[c.OWNER_TYPE].dropna().astype(str))
    present_types = set(study.assets[c.ASSET_TYPE].dropna().astype(str))
    owners = [o for o in c.OWNER_TYPES if o in present_owners]
    types = [t for t in c.ASSET_TYPES if t in present_types]
    return cohorts, owners, types

"""The Streamlit estate-map page: sidebar choices, map, metrics, tables and sources.

Only arrangement lives here; every number and layer comes from the core
(:mod:`estatesplan.maps`). Errors the core raises (:class:`EstatesplanError`) are
shown as a message, never as a traceback.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, NoReturn

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from .. import contracts as c
from .. import maps
from ..errors import EstatesplanError
from ..study import Study
from . import cached
from . import state as s

__all__ = ["EXAMPLES_DIR", "asset_table", "main", "source_options", "zone_table"]

logger = logging.getLogger(__name__)

EXAMPLES_DIR: Final = Path(__file__).resolve().parents[2] / "examples"
"""The repository's ``examples/`` folder (absent in an installed package)."""

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


def source_options(examples_dir: Path = EXAMPLES_DIR) -> dict[str, str]:
    """Return the studies offered in the sidebar: label to source.

    Parameters
    ----------
    examples_dir
        Folder searched for ``*.toml`` study configs.

    Returns
    -------
    dict of str to str
        "demo" first, then ``examples/<name>.toml`` labels mapped to absolute paths.
    """
    options = {s.DEMO_SOURCE: s.DEMO_SOURCE}
    if examples_dir.is_dir():
        for path in sorted(examples_dir.glob("*.toml")):
            options[f"{examples_dir.name}/{path.name}"] = str(path)
    return options


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


def _resolve_source(options: dict[str, str]) -> str:
    typed = str(st.session_state.get(s.STUDY_PATH) or "").strip()
    if typed:
        return str(Path(typed).expanduser()) if typed != s.DEMO_SOURCE else typed
    return options.get(str(st.session_state.get(s.STUDY_SOURCE)), s.DEMO_SOURCE)


def _sidebar_study(options: dict[str, str]) -> None:
    st.sidebar.header("Study")
    st.sidebar.selectbox(
        "Study",
        options=list(options),
        key=s.STUDY_SOURCE,
        help="The invented demo area, or a study config from the examples folder.",
    )
    st.sidebar.text_input(
        "…or an output folder or config path",
        key=s.STUDY_PATH,
        placeholder="e.g. out/camden or my-study.toml",
        help="A folder written by `estatesplan run` / `estatesplan demo`, or a study .toml. "
        "Overrides the choice above when filled in.",
    )


def _study_options(study: Study) -> tuple[list[str], list[str], list[str]]:
    """Cohorts, owner types and asset types the study offers, in vocabulary order."""
    cohorts = [str(col) for col in study.cohort_weights.columns]
    present_owners = set(study.assets[c.OWNER_TYPE].dropna().astype(str))
    present_types = set(study.assets[c.ASSET_TYPE].dropna().astype(str))
    owners = [o for o in c.OWNER_TYPES if o in present_owners]
    types = [t for t in c.ASSET_TYPES if t in present_types]
    return cohorts, owners, types


def _sidebar_view(cohorts: list[str], owners: list[str], types: list[str]) -> None:
    st.sidebar.header("Map")
    st.sidebar.selectbox(
        "Cohort",
        options=cohorts,
        key=s.COHORT,
        format_func=lambda name: name.replace("_", " "),
        help="Who the zones are shaded by; cohorts are defined in the study config.",
    )
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
    st.sidebar.checkbox(
        "OpenStreetMap basemap",
        key=s.BASEMAP,
        help="Untick to work offline: the map then shows only the study's own layers.",
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


def _sources(study: Study) -> None:
    with st.expander("Sources and licences"):
        if study.synthetic:
            st.markdown(f"**{study.name} is invented**: the demo is generated, not real data.")
        if study.sources:
            st.dataframe(
                pd.DataFrame(
                    {
                        "input": [r.name for r in study.sources],
                        "publisher": [r.publisher for r in study.sources],
                        "licence": [r.licence for r in study.sources],
                        "rows": [r.rows for r in study.sources],
                        "file": [r.path for r in study.sources],
                        "sha256": [r.digest[:12] for r in study.sources],
                    }
                ),
                hide_index=True,
                key="sources_table",
            )
        else:
            st.caption("No sources were recorded for this study.")
        for line in maps.data_attribution(study.sources, synthetic=study.synthetic):
            st.caption(line)


def _analysis(study: Study, cohort: str | None) -> None:
    """Access, carbon and co-location results, when the study has them (tables only; the
    full pages are issue 7's)."""
    if study.access is not None and not study.access.cohorts.empty:
        st.subheader("Access")
        if headline := study.access.headline():
            st.caption(headline)
        t = study.access.cohorts
        if cohort is not None and cohort in set(t["cohort"]):
            t = t[t["cohort"] == cohort]
        st.dataframe(t, hide_index=True, key="access_table")
        if not study.access.left_behind.empty:
            lb = study.access.left_behind
            if cohort is not None and cohort in set(lb["cohort"]):
                lb = lb[lb["cohort"] == cohort]
            st.markdown(f"**Left behind** ({len(lb)} zones): high need, poor access")
            st.dataframe(lb[["zone_id", "why"]], hide_index=True, key="left_behind_table")
    if study.carbon is not None and study.carbon.settings:
        st.subheader("Carbon and cost")
        st.caption(study.carbon.headline())
        st.dataframe(study.carbon.neighbourhoods, hide_index=True, key="carbon_table")
    if study.options is not None and not study.options.options.empty:
        st.subheader("Co-location options (top three per neighbourhood)")
        o = study.options.options
        cols = [c for c in ("neighbourhood_id", "rank", "option_id", "label", "total",
                            "access_min", "carbon_t", "npv_gbp") if c in o.columns]  # fmt: skip
        st.dataframe(o[o["rank"] <= 3][cols], hide_index=True, key="options_table")


def _show_error(err: EstatesplanError) -> NoReturn:
    st.error(str(err))
    st.stop()


def main(loader: Callable[[str], Study] | None = None) -> None:
    """Draw the estate-map page.

    Parameters
    ----------
    loader
        Loads a study from a source string ("demo", a config path or an output
        directory); defaults to the cached :func:`estatesplan.pipeline.load_study`.
        Tests inject their own.
    """
    start = time.perf_counter()
    load = loader if loader is not None else cached.get_study
    options = source_options()
    s.init_state(st.session_state, source_options=list(options), default=s.default_source())
    _sidebar_study(options)
    source = _resolve_source(options)
    try:
        study = load(source)
    except EstatesplanError as err:
        _show_error(err)
    st.title(f"{study.name}: public estate and population")
    if study.synthetic:
        st.warning(
            f"Synthetic data — {study.name} is invented. Places, buildings and people on this "
            "page are generated for demonstration and must not be used for decisions.",
            icon="⚠️",
        )
    cohorts, owners, types = _study_options(study)
    s.sync_with_study(
        st.session_state, source=source, cohorts=cohorts, owner_types=owners, asset_types=types
    )
    _sidebar_view(cohorts, owners, types)
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
        _show_error(err)
    returned = st_folium(
        fmap,
        key=s.MAIN_MAP,
        returned_objects=["last_object_clicked"],
        height=MAP_HEIGHT_PX,
        use_container_width=True,
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
    _analysis(study, cohort)
    _sources(study)
    logger.info(
        "app page for %r: %d of %d assets, cohort %s (%s) in %.2f s",
        study.name,
        len(assets),
        len(study.assets),
        cohort,
        measure,
        time.perf_counter() - start,
    )

"""The access page: how far each cohort is from services, who is left behind, isochrones.

Only arrangement lives here: the choices, zone values, tables and chart data come
from :mod:`estatesplan.access_views`, the map and isochrones from
:mod:`estatesplan.maps_access`. The cohort is the sidebar's (``state.COHORT``).
Isochrones are cached per source, config digest, site, mode and times, so moving
another control never recomputes them.
"""

from __future__ import annotations

import json
import logging
import re
import time
import warnings
from collections.abc import Sequence
from typing import Any, Final

import geopandas as gpd
import streamlit as st

from .. import access_views as av
from .. import maps_access
from ..errors import DataQualityWarning, EstatesplanError
from ..study_access import AccessResults
from ..workspace import Workspace
from . import state as s
from .common import show_error, show_map, synthetic_caption

__all__ = [
    "ACCESS_ASSET_SET",
    "ACCESS_ISO_BANDS",
    "ACCESS_ISO_DOWNLOAD",
    "ACCESS_ISO_MODE",
    "ACCESS_ISO_ON",
    "ACCESS_MAP",
    "ACCESS_METRIC",
    "ACCESS_MODE",
    "ACCESS_SITE",
    "render",
]

logger = logging.getLogger(__name__)

ACCESS_ASSET_SET: Final = "access_asset_set"
"""Selectbox: the asset set (services) access is shown to."""
ACCESS_MODE: Final = "access_mode"
"""Selectbox: the travel mode (or ``best``)."""
ACCESS_METRIC: Final = "access_metric"
"""Selectbox: the metric the zones are shaded by."""
ACCESS_MAP: Final = "access_map"
"""The map (streamlit-folium copies its last returned value here on every change)."""
ACCESS_SITE: Final = "access_site"
"""Selectbox: the asset the isochrones are drawn around (also set by a marker click)."""
ACCESS_ISO_MODE: Final = "access_iso_mode"
"""Selectbox: the street network (mode) of the isochrones."""
ACCESS_ISO_BANDS: Final = "access_iso_bands"
"""Multiselect: isochrone times in minutes."""
ACCESS_ISO_ON: Final = "access_iso_on"
"""Checkbox: draw the isochrones (set on by a marker click)."""
ACCESS_ISO_DOWNLOAD: Final = "access_iso_download"
"""Download button: the isochrones as RFC 7946 GeoJSON."""

MAP_HEIGHT_PX: Final = 560


def _keep(key: str, options: Sequence[Any], default: Any = None) -> None:
    """Before a widget is drawn: make its state one of ``options`` (they vary by study)."""
    if st.session_state.get(key) not in options and options:
        st.session_state[key] = default if default in options else options[0]


def _take_click(ws: Workspace) -> None:
    """A marker clicked on the map: pick that asset for the isochrones and draw them."""
    returned = st.session_state.get(ACCESS_MAP)
    clicked = returned.get("last_object_clicked") if isinstance(returned, dict) else None
    if not isinstance(clicked, dict):
        return
    st.session_state[ACCESS_MAP] = {}  # handled: a later click on the same marker counts again
    lat, lng = clicked.get("lat"), clicked.get("lng")
    if not isinstance(lat, int | float) or not isinstance(lng, int | float):
        return
    asset_id = maps_access.asset_at(ws.study.assets, lat=float(lat), lng=float(lng))
    if asset_id is not None:
        st.session_state[ACCESS_SITE] = asset_id
        st.session_state[ACCESS_ISO_ON] = True


@st.cache_resource(show_spinner="Drawing isochrones…", max_entries=32)
def _isochrones(
    source: str, digest: str, asset_id: str, mode: str, bands: tuple[float, ...], _ws: Workspace
) -> tuple[gpd.GeoDataFrame, tuple[str, ...]]:
    """Isochrones of one site (shared: callers must not modify them) and data warnings."""
    net = _ws.network(mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        iso = maps_access.site_isochrones(net, _ws.study.assets, asset_id, minutes=bands)
    notes = tuple(str(w.message) for w in caught if issubclass(w.category, DataQualityWarning))
    for w in caught:
        if not issubclass(w.category, DataQualityWarning):
            logger.warning("isochrones %s (%s): %s", asset_id, mode, w.message)
    return iso, notes


def _isochrone_controls(
    ws: Workspace, sites: dict[str, str]
) -> tuple[gpd.GeoDataFrame | None, str]:
    """Draw the isochrone controls; return the isochrones to draw (or None) and the site."""
    st.markdown("**Isochrones around a site** — pick a site here or click one on the map")
    if not ws.has_config:
        st.info(
            "Isochrones need the study's street network, which is built from its config: "
            f"{ws.config_note or 'the study was not opened from a config'}. "
            "Open the study from its .toml file to draw them."
        )
        return None, ""
    modes = ws.network_modes()
    if not modes or not sites:
        st.info("Isochrones need a street network: the study config names no [network] osm.")
        return None, ""
    _keep(ACCESS_SITE, list(sites))
    _keep(ACCESS_ISO_MODE, modes)
    bands = [b for b in st.session_state.get(ACCESS_ISO_BANDS, maps_access.ISOCHRONE_BANDS)
             if b in maps_access.ISOCHRONE_BANDS]  # fmt: skip
    st.session_state[ACCESS_ISO_BANDS] = bands
    st.session_state.setdefault(ACCESS_ISO_ON, False)
    cols = st.columns([3.0, 1.3, 2.4, 1.3], vertical_alignment="bottom")
    site = str(
        cols[0].selectbox(
            "Site", options=list(sites), key=ACCESS_SITE, format_func=lambda a: sites.get(a, a)
        )
    )
    mode = str(
        cols[1].selectbox("Network", options=modes, key=ACCESS_ISO_MODE, format_func=av.mode_label)
    )
    chosen = cols[2].multiselect(
        "Minutes",
        options=list(maps_access.ISOCHRONE_BANDS),
        key=ACCESS_ISO_BANDS,
        format_func=lambda m: f"{m:g} min",
    )
    on = cols[3].checkbox("Draw", key=ACCESS_ISO_ON, help="Draw the isochrones on the map.")
    if not on:
        return None, site
    if not chosen:
        st.info("Pick at least one time to draw isochrones.")
        return None, site
    digest = ws.study.config_digest
    try:
        iso, notes = _isochrones(ws.source, digest, site, mode, tuple(sorted(chosen)), _ws=ws)
    except EstatesplanError as err:
        st.error(str(err))
        return None, site
    for note in notes:
        st.warning(note)
    return iso, site


def _download(ws: Workspace, iso: gpd.GeoDataFrame, site: str) -> None:
    study = ws.study
    st.dataframe(
        iso.drop(columns=iso.geometry.name),
        hide_index=True,
        key="access_iso_table",
        column_config={"area_km2": st.column_config.NumberColumn("area (km²)", format="%.2f")},
    )
    mode = str(iso["mode"].iloc[0]) if len(iso) else ""
    doc = maps_access.isochrone_geojson(
        iso, synthetic=study.synthetic, study_name=study.name, metadata={"source": ws.source}
    )
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", f"isochrones_{site}_{mode}")
    st.download_button(
        "Download isochrones (GeoJSON)",
        data=json.dumps(doc, allow_nan=False),
        file_name=f"{stem}.geojson",
        mime="application/geo+json",
        key=ACCESS_ISO_DOWNLOAD,
    )


def _tables(ws: Workspace, results: AccessResults, cohort: str, mode: str, aset: str) -> None:
    study = ws.study
    who = cohort.replace("_", " ")
    label = av.asset_sets(results).get(aset, aset)
    st.subheader(f"How close are {who} to {label}?")
    curves = av.s_curve_table(results, cohort=cohort, asset_set=aset)
    if not curves.empty:
        st.line_chart(curves, x_label="Minutes to the nearest site", y_label=f"% of {who} within")
    summary = av.cohort_summary(results, cohort=cohort, asset_set=aset)
    percent = st.column_config.NumberColumn(format="percent")
    minutes = st.column_config.NumberColumn(format="%.1f")
    shares = [str(col) for col in summary.columns if str(col).startswith("share_within")]
    config: dict[str, Any] = dict.fromkeys(shares, percent)
    config |= dict.fromkeys(("mean_min", "median_min", "p90_min"), minutes)
    st.dataframe(summary, hide_index=True, key="access_cohort_table", column_config=config)
    st.subheader(f"Equity: {who}, {av.mode_label(mode).lower()}")
    st.caption(
        "Q1 is the most deprived fifth of zones by IMD, Q5 the least; the gap is Q1 − Q5 "
        "and the ratio Q1 / Q5; SII/RII are the slope and relative index of inequality."
    )
    equity = av.equity_rows(results, cohort=cohort, mode=mode, asset_set=aset)
    if equity.empty:
        st.info("No equity measures: the zones have no IMD deciles.")
    else:
        st.dataframe(equity, hide_index=True, key="access_equity_table")
    nbh = av.neighbourhood_rows(
        results, study.neighbourhoods, cohort=cohort, mode=mode, asset_set=aset
    )
    if not nbh.empty:
        st.subheader("Neighbourhoods (rank 1 is furthest)")
        st.dataframe(nbh, hide_index=True, key="access_neighbourhood_table")
    behind = av.left_behind_rows(results, study.zones, cohort=cohort)
    st.subheader(f"Left behind: {who} ({len(behind)} zones, outlined on the map)")
    if caption := av.left_behind_caption(results):
        st.caption(caption)
    if behind.empty:
        st.info(f"No zone is left behind for {who}.")
    else:
        st.dataframe(behind, hide_index=True, key="access_left_behind_table")


def render(ws: Workspace) -> None:
    """Draw the access page of the workspace's study (cohort chosen in the sidebar)."""
    start = time.perf_counter()
    study = ws.study
    results = study.access
    st.subheader("Access to services")
    cohorts = [str(x) for x in study.cohort_weights.columns]
    if results is None or not av.has_access(results) or not cohorts:
        st.info(
            "This study has no access results: it names no street network or travel modes, "
            "so there are no travel times to measure access with. Open a study config with "
            "a [network] osm extract (or the demo) to see access by cohort."
        )
        return
    cohort = str(st.session_state.get(s.COHORT) or cohorts[0])
    if cohort not in cohorts:
        cohort = cohorts[0]
    if headline := results.headline():
        st.caption(headline)
    if (note := av.transit_note(results)) is not None:
        text, computed = note
        (st.caption if computed else st.warning)(text)
    _take_click(ws)
    sets = av.asset_sets(results)
    _keep(ACCESS_ASSET_SET, list(sets))
    cols = st.columns(3)
    aset = str(
        cols[0].selectbox(
            "Services", list(sets), key=ACCESS_ASSET_SET, format_func=lambda a: sets.get(a, a)
        )
    )
    modes = av.mode_options(results, cohort=cohort, asset_set=aset)
    if not modes:
        st.info(f"No travel mode open to {cohort.replace('_', ' ')} has access results.")
        return
    _keep(ACCESS_MODE, modes)
    mode = str(cols[1].selectbox("Travel mode", modes, key=ACCESS_MODE, format_func=av.mode_label))
    metrics = av.metric_options(results, mode=mode)
    _keep(ACCESS_METRIC, metrics)
    metric = str(
        cols[2].selectbox(
            "Metric",
            metrics,
            key=ACCESS_METRIC,
            format_func=lambda m: av.metric_label(m, cohort=cohort, results=results),
        )
    )
    iso, site = _isochrone_controls(ws, maps_access.site_options(study.assets))
    mask = maps_access.asset_set_mask(study, ws.config, aset)
    try:
        values = av.zone_values(
            study, results, metric=metric, cohort=cohort, mode=mode, asset_set=aset
        )
        fmap = maps_access.access_map(
            study,
            results,
            cohort=cohort,
            mode=mode,
            asset_set=aset,
            metric=metric,
            assets=None if mask is None else study.assets[mask],
            isochrones_frame=iso,
            site_id=site if iso is not None else None,
            tiles="OpenStreetMap" if st.session_state.get(s.BASEMAP, True) else None,
        )
    except EstatesplanError as err:
        show_error(err)
    show_map(fmap, key=ACCESS_MAP, returned_objects=["last_object_clicked"], height=MAP_HEIGHT_PX)
    if mask is None:
        st.caption("Every asset is drawn: the asset set's members are known from the config only.")
    if iso is not None:
        _download(ws, iso, site)
    with st.expander(f"Zone values: {av.metric_label(metric, cohort=cohort, results=results)}"):
        st.dataframe(av.zone_table(study, values), hide_index=True, key="access_zone_table")
    _tables(ws, results, cohort, mode, aset)
    synthetic_caption(study.synthetic)
    logger.info(
        "access page for %r: %s, %s by %s, %s; isochrones %s in %.2f s",
        study.name, cohort, aset, mode, metric, "on" if iso is not None else "off",
        time.perf_counter() - start,
    )  # fmt: skip

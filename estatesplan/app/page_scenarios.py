"""The scenarios page: close, open, merge or re-purpose sites and compare every metric with today.

A planner builds a scenario with the widgets (or loads a TOML scenario file), applies it,
and sees the headline metrics of the baseline and each scenario side by side with the
change, and a map of the zones whose nearest site moves. The session's scenarios download
as a TOML file that ``estatesplan`` and this page read back. Only arrangement lives here:
every scenario, table and layer comes from :mod:`estatesplan.scenario_views`.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

import streamlit as st

from .. import contracts as c
from .. import scenario_views as sv
from ..errors import ConfigError, EstatesplanError
from ..scenarios import Scenario
from ..study import Study
from ..workspace import Workspace
from . import state as s
from .common import show_map, synthetic_caption

__all__ = [
    "SC_APPLY",
    "SC_CLEAR",
    "SC_CLOSE",
    "SC_DESCRIPTION",
    "SC_DOWNLOAD",
    "SC_HUBS",
    "SC_LIST",
    "SC_LOAD",
    "SC_MAP",
    "SC_MAP_PICK",
    "SC_MERGE_FROM",
    "SC_MERGE_INTO",
    "SC_NAME",
    "SC_NEW",
    "SC_NEW_ASSET_TYPE",
    "SC_NEW_FOR",
    "SC_NEW_GIA",
    "SC_NEW_ID",
    "SC_NEW_NAME",
    "SC_NEW_OWNER_TYPE",
    "SC_NEW_X",
    "SC_NEW_Y",
    "SC_REPURPOSE_ID",
    "SC_REPURPOSE_TYPE",
    "SC_UPLOAD",
    "render",
]

logger = logging.getLogger(__name__)

SC_NAME: Final = "scenarios_name"
SC_CLOSE: Final = "scenarios_close"
SC_HUBS: Final = "scenarios_hubs"
SC_MERGE_INTO: Final = "scenarios_merge_into"
SC_MERGE_FROM: Final = "scenarios_merge_from"
SC_REPURPOSE_ID: Final = "scenarios_repurpose_id"
SC_REPURPOSE_TYPE: Final = "scenarios_repurpose_type"
SC_NEW: Final = "scenarios_new_site"
SC_NEW_ID: Final = "scenarios_new_id"
SC_NEW_NAME: Final = "scenarios_new_name"
SC_NEW_X: Final = "scenarios_new_x"
SC_NEW_Y: Final = "scenarios_new_y"
SC_NEW_ASSET_TYPE: Final = "scenarios_new_asset_type"
SC_NEW_OWNER_TYPE: Final = "scenarios_new_owner_type"
SC_NEW_GIA: Final = "scenarios_new_gia"
SC_DESCRIPTION: Final = "scenarios_description"
SC_APPLY: Final = "scenarios_apply"
SC_CLEAR: Final = "scenarios_clear"
SC_UPLOAD: Final = "scenarios_upload"
SC_LOAD: Final = "scenarios_load"
SC_DOWNLOAD: Final = "scenarios_download"
SC_MAP_PICK: Final = "scenarios_map_scenario"
SC_MAP: Final = "scenarios_map"
SC_NEW_FOR: Final = "scenarios_new_site_source"
"""Session state: the source whose new-site defaults the widgets hold."""
SC_LIST: Final = "scenarios_list"
"""Session state: source → list of one-scenario TOML texts (plain data, in apply order)."""
NONE: Final = ""
MAP_HEIGHT_PX: Final = 500


@st.cache_resource(max_entries=32, show_spinner=False)
def _run(source: str, scenario_toml: str, _ws: Workspace) -> sv.ScenarioRun:
    """Apply one scenario (its TOML text) to the study of ``source``, once per text."""
    (scenario,) = sv.scenarios_from_toml(scenario_toml, label="scenario")
    cfg = _ws.require_config("Scenarios")
    return sv.run_scenario(_ws.study, scenario, cfg, networks=_ws.networks())


def _session_list(source: str) -> list[str]:
    lists: dict[str, list[str]] = st.session_state.setdefault(SC_LIST, {})
    return lists.setdefault(source, [])


def _add(source: str, scenarios: list[Scenario]) -> None:
    """Add scenarios to the session's list, replacing any of the same name."""
    texts = _session_list(source)
    names = {sc.name for sc in scenarios}
    kept = [t for t in texts if sv.scenarios_from_toml(t)[0].name not in names]
    texts[:] = kept + [sv.scenarios_to_toml([sc]) for sc in scenarios]
    if scenarios:
        st.session_state[SC_MAP_PICK] = scenarios[-1].name  # show the newest on the map


def _stored(study: Study) -> None:
    options = study.options
    if options is None or options.scenarios.empty:
        st.info("The pipeline computed no scenarios for this study (no co-location options and "
                "no [colocation] scenarios file).")  # fmt: skip
        return
    st.subheader("Scenarios computed by the pipeline")
    st.caption("Each neighbourhood's best co-location option as a scenario, and any in the "
               "config's scenario file; change columns are scenario minus baseline.")  # fmt: skip
    st.dataframe(sv.comparison_view(options.scenarios), hide_index=True,
                 key="scenarios_stored_table")  # fmt: skip


def _new_site_defaults(ws: Workspace) -> None:
    """Initial values of the new-site widgets: a health centre inside the study area."""
    if st.session_state.get(SC_NEW_FOR) != ws.source:
        st.session_state[SC_NEW_FOR] = ws.source
        study = ws.study
        x0, y0 = study.zones.geometry.union_all().representative_point().coords[0]
        defaults = {SC_NEW_ID: "NEW-1", SC_NEW_NAME: "New hub", SC_NEW_X: float(round(x0)),
                    SC_NEW_Y: float(round(y0)), SC_NEW_ASSET_TYPE: "health_centre",
                    SC_NEW_OWNER_TYPE: "nhs_trust", SC_NEW_GIA: 600.0}  # fmt: skip
        for key, value in defaults.items():
            st.session_state[key] = value


def _builder(ws: Workspace) -> None:
    study = ws.study
    labels = sv.asset_labels(study.assets)
    ids = list(labels)
    with st.form("scenarios_builder"):
        st.text_input("Scenario name", key=SC_NAME, placeholder="e.g. Close Beech Road")
        st.multiselect("Close sites", ids, key=SC_CLOSE, format_func=lambda i: labels.get(i, i))
        st.multiselect("Open a hub in an existing building", ids, key=SC_HUBS,
                       format_func=lambda i: labels.get(i, i), help="A building that is not a health site "
                       "becomes a health centre.")  # fmt: skip
        left, right = st.columns(2)
        left.selectbox("Merge: host site", [NONE, *ids], key=SC_MERGE_INTO,
                       format_func=lambda i: labels.get(i, "(no merge)"))  # fmt: skip
        right.multiselect("Sites moving into the host (they close)", ids, key=SC_MERGE_FROM,
                          format_func=lambda i: labels.get(i, i))  # fmt: skip
        left.selectbox("Re-purpose a site", [NONE, *ids], key=SC_REPURPOSE_ID,
                       format_func=lambda i: labels.get(i, "(none)"))  # fmt: skip
        right.selectbox("New asset type", list(c.ASSET_TYPES), key=SC_REPURPOSE_TYPE,
                        format_func=lambda t: t.replace("_", " "))  # fmt: skip
        with st.expander("Open a new site (routed on the street network)"):
            _new_site_defaults(ws)
            st.checkbox("Add a new site", key=SC_NEW)
            a, b = st.columns(2)
            a.text_input("New site id", key=SC_NEW_ID)
            b.text_input("New site name", key=SC_NEW_NAME)
            a.number_input("x (m, EPSG:27700)", key=SC_NEW_X, step=50.0)
            b.number_input("y (m, EPSG:27700)", key=SC_NEW_Y, step=50.0)
            a.selectbox("Asset type", list(c.ASSET_TYPES), key=SC_NEW_ASSET_TYPE)
            b.selectbox("Owner type", list(c.OWNER_TYPES), key=SC_NEW_OWNER_TYPE)
            a.number_input("Floor area (m²)", key=SC_NEW_GIA, min_value=0.0)
        st.text_input("Description", key=SC_DESCRIPTION)
        applied = st.form_submit_button("Apply", key=SC_APPLY, type="primary")
    if applied:
        get = st.session_state.get
        new = None
        if get(SC_NEW):
            new = {"id": get(SC_NEW_ID), "name": get(SC_NEW_NAME), "x": get(SC_NEW_X),
                   "y": get(SC_NEW_Y), "asset_type": get(SC_NEW_ASSET_TYPE),
                   "owner_type": get(SC_NEW_OWNER_TYPE), "gia_m2": get(SC_NEW_GIA)}  # fmt: skip
        try:
            scenario = sv.build_scenario(
                str(get(SC_NAME) or ""), study.assets, close=get(SC_CLOSE) or [],
                hubs=get(SC_HUBS) or [], merge_into=get(SC_MERGE_INTO) or None,
                merge_from=get(SC_MERGE_FROM) or [],
                repurpose={str(get(SC_REPURPOSE_ID)): str(get(SC_REPURPOSE_TYPE))}
                if get(SC_REPURPOSE_ID)
                else None, open_site=new, description=str(get(SC_DESCRIPTION) or ""),
            )  # fmt: skip
        except ConfigError as err:
            st.error(str(err))
            return
        _add(ws.source, [scenario])


def _loader(ws: Workspace) -> None:
    study = ws.study
    with st.expander("Load scenarios from a TOML file"):
        up = st.file_uploader("Scenario file (.toml)", type=["toml"], key=SC_UPLOAD)
        if st.button("Load scenarios", key=SC_LOAD, disabled=up is None) and up is not None:
            try:
                loaded = sv.scenarios_from_toml(up.getvalue(), label=up.name, assets=study.assets)
            except ConfigError as err:
                st.error(str(err))
                return
            _add(ws.source, loaded)
            st.success(f"Loaded {len(loaded)} scenario(s) from {up.name}.")


def _results(ws: Workspace) -> dict[str, sv.ScenarioRun]:
    texts = _session_list(ws.source)
    runs: dict[str, sv.ScenarioRun] = {}
    for text in list(texts):
        try:
            with st.spinner("Applying the scenario and recomputing every metric…"):
                run = _run(ws.source, text, ws)
        except EstatesplanError as err:
            st.error(f"{err} (the scenario was removed from the list)")
            texts.remove(text)
            continue
        runs[run.scenario.name] = run
    if not runs:
        return runs
    scenarios = [r.scenario for r in runs.values()]
    st.subheader("Your scenarios against the baseline")
    st.dataframe(sv.scenario_summary(scenarios), hide_index=True, key="scenarios_list_table")
    table = sv.combine_comparisons([r.table for r in runs.values()])
    st.dataframe(sv.comparison_view(table), hide_index=True, key="scenarios_comparison_table")
    st.caption("Change columns are scenario minus baseline; minutes are to the nearest site "
               "of each asset set; tCO2e a year; £ present values.")  # fmt: skip
    text = sv.scenarios_to_toml(scenarios)
    left, right = st.columns(2)
    left.download_button("Download these scenarios (TOML)", data=text, file_name="scenarios.toml",
                         mime="application/toml", key=SC_DOWNLOAD)  # fmt: skip
    if right.button("Clear the list", key=SC_CLEAR):
        texts.clear()
        st.rerun()
    with st.expander("Scenario file (TOML)"):
        st.code(text, language="toml")
    return runs


def _change_map(ws: Workspace, runs: dict[str, sv.ScenarioRun]) -> None:
    stored = sv.stored_zone_changes(ws.study.options)
    names = list(runs) + [n for n in stored if n not in runs]
    if not names:
        return
    st.subheader("What changes where")
    if st.session_state.get(SC_MAP_PICK) not in names:
        st.session_state[SC_MAP_PICK] = names[-1] if runs else names[0]
    name = str(st.selectbox("Scenario on the map", names, key=SC_MAP_PICK))
    run = runs.get(name)
    zones = run.zones if run is not None else stored[name]
    scenario = (
        run.scenario if run is not None else sv.stored_scenarios(ws.study, ws.config).get(name)
    )
    summary = sv.zone_change_summary(zones)
    cols = st.columns(4)
    cols[0].metric("Zones with longer trips", f"{summary['longer']:,.0f}")
    cols[1].metric("Zones with shorter trips", f"{summary['shorter']:,.0f}")
    cols[2].metric("Zones losing every site in reach", f"{summary['lost']:,.0f}")
    cols[3].metric("Largest increase", "none" if not summary["max_increase_min"] > 0
                   else f"{summary['max_increase_min']:,.1f} min")  # fmt: skip
    fmap = sv.change_map(ws.study, zones, scenario=scenario,
                         tiles="OpenStreetMap" if st.session_state.get(s.BASEMAP, True) else None)  # fmt: skip
    show_map(fmap, key=SC_MAP, height=MAP_HEIGHT_PX)


def render(ws: Workspace) -> None:
    """Draw the scenarios page: stored comparison, builder, loader, comparison and map."""
    start = time.perf_counter()
    study = ws.study
    _stored(study)
    runs: dict[str, Any] = {}
    try:
        ws.require_config("Scenarios")
    except ConfigError as err:
        st.info(f"New scenarios cannot be run here: {err}")
    else:
        st.subheader("Build a scenario")
        _builder(ws)
        _loader(ws)
        runs = _results(ws)
    _change_map(ws, runs)
    synthetic_caption(study.synthetic)
    logger.info("scenarios page for %r: %d scenario(s) in %.2f s", study.name, len(runs),
                time.perf_counter() - start)  # fmt: skip

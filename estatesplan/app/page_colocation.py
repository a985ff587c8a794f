"""The co-location page: candidate hubs, options ranked by the planner's weights,
two or three options side by side, and the optimiser for one neighbourhood.

Only arrangement lives here: the numbers come from the study's stored options
(:mod:`estatesplan.options_views`, :func:`estatesplan.options.rank_options`) and the
maps from :mod:`estatesplan.maps_options`. Moving a weight re-ranks the stored measures
(no travel time is recomputed); every call is cached on plain arguments.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
import streamlit as st

from .. import contracts as c
from .. import maps_options as mo
from .. import options_views as ov
from ..errors import ConfigError, EstatesplanError
from ..options import DEFAULT_WEIGHTS, MEASURES, OptionContext, rank_options
from ..study_options import OptionsResults, option_context
from ..workspace import Workspace
from . import state as s
from .common import show_map, synthetic_caption

__all__ = [
    "CAPACITY",
    "COMPARE",
    "EQUITY",
    "HUBS_K",
    "INCLUDE_UNKNOWN",
    "MODE",
    "NEIGHBOURHOOD",
    "OBJECTIVE",
    "RESET_WEIGHTS",
    "RUN",
    "THRESHOLD",
    "default_weights",
    "render",
    "weight_key",
]

logger = logging.getLogger(__name__)

NEIGHBOURHOOD: Final = "colocation_neighbourhood"
"""Selectbox: the neighbourhood shown."""
WEIGHT_PREFIX: Final = "colocation_weight_"
"""Sliders: one per measure, key ``colocation_weight_<measure>`` (see :func:`weight_key`)."""
RESET_WEIGHTS: Final = "colocation_reset_weights"
"""Button: weights back to the study's."""
COMPARE: Final = "colocation_compare"
"""Multiselect: the options compared side by side (two or three)."""
OBJECTIVE: Final = "colocation_objective"
HUBS_K: Final = "colocation_k"
THRESHOLD: Final = "colocation_threshold"
MODE: Final = "colocation_mode"
EQUITY: Final = "colocation_equity"
INCLUDE_UNKNOWN: Final = "colocation_include_unknown"
CAPACITY: Final = "colocation_capacity"
RUN: Final = "colocation_run"
"""Button: run the optimiser with the choices above it."""
_STUDY_FOR: Final = "_colocation_study"
_COMPARE_FOR: Final = "_colocation_compare_for"
_REQUEST: Final = "_colocation_request"
_FULL_RUN: Final = "_colocation_full_run"
_MAPS_FOR: Final = "_colocation_maps_for"
_SAVED: Final = "_colocation_saved_"

MAX_COMPARE: Final = 3
MAP_HEIGHT_PX: Final = 460
SMALL_MAP_HEIGHT_PX: Final = 320
WEIGHT_MAX: Final = 5.0


def weight_key(measure: str) -> str:
    """Session-state key of the slider of ``measure``."""
    return f"{WEIGHT_PREFIX}{measure}"


def default_weights(ws: Workspace) -> dict[str, float]:
    """The study's weights: its config's, else those recorded with its outputs, else the
    package defaults."""
    if ws.config is not None:
        return {k: float(v) for k, v in ws.config.colocation.weights.items()}
    options = ws.study.options
    stored = options.settings.get("weights") if options is not None else None
    if isinstance(stored, Mapping) and stored:
        return {k: float(stored.get(k, 0.0)) for k in MEASURES}
    return dict(DEFAULT_WEIGHTS)


# --- caches (plain arguments; the workspace is not hashed: `key` names it) -------------------


def _study_key(ws: Workspace) -> str:
    return f"{ws.source}|{ws.study.name}|{id(ws.study)}"


@st.cache_resource(show_spinner=False, max_entries=4)
def _context(key: str, _ws: Workspace) -> OptionContext:
    return option_context(_ws.study, _ws.require_config("The optimiser"))


@st.cache_data(show_spinner=False, max_entries=64)
def _ranked(key: str, nbh: str, weights: tuple[tuple[str, float], ...],
            _results: OptionsResults) -> pd.DataFrame:  # fmt: skip
    return rank_options(ov.option_measures(_results.options, nbh), dict(weights))


@st.cache_data(show_spinner=False, max_entries=64)
def _sensitivity(key: str, nbh: str, weights: tuple[tuple[str, float], ...],
                 _results: OptionsResults) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    return ov.sensitivity(ov.option_measures(_results.options, nbh), dict(weights))


@st.cache_data(show_spinner=False, max_entries=64)
def _catchments(key: str, nbh: str, hubs: tuple[str, ...], released: tuple[str, ...],
                _ws: Workspace) -> tuple[pd.DataFrame, str]:  # fmt: skip
    """Zones' nearest sites under an option, and a note on what the network is."""
    study = _ws.study
    in_nbh = study.zones[c.NEIGHBOURHOOD_ID].astype(str).to_numpy() == nbh
    zone_ids = study.zones[c.ZONE_ID].astype(str).to_numpy(dtype=object)
    if _ws.config is not None:
        ctx = _context(key, _ws)
        network = mo.option_network(ctx.service, ctx.asset_ids, hubs=hubs, released=released)
        table = mo.option_catchments(ctx.minutes[ctx.access_mode], zone_ids, ctx.asset_ids,
                                     network, hubs=hubs, zones=in_nbh)  # fmt: skip
        return table, f"nearest site by {ctx.access_mode}: today's sites, minus released, plus hubs"
    options = study.options
    mode = str(options.settings.get("access_mode", "walk")) if options is not None else "walk"
    ids = study.assets[c.ASSET_ID].astype(str).to_numpy(dtype=object)
    network = mo.option_network(np.zeros(len(ids), dtype=bool), ids, hubs=hubs)
    table = mo.option_catchments(mo.zone_minutes(study, mode), zone_ids, ids, network,
                                 hubs=hubs, zones=in_nbh)  # fmt: skip
    return table, f"nearest hub by {mode} (today's sites unknown without the study's config)"


@st.cache_data(show_spinner="Choosing hubs…", max_entries=32)
def _optimise(key: str, request: tuple[Any, ...], _ws: Workspace) -> ov.OptimiserRun:
    nbh, objective, k, threshold, mode, cohort, equity, unknown = request
    results = _ws.study.options
    assert results is not None
    inputs = ov.optimiser_inputs(_context(key, _ws), results.screening, nbh, mode=mode,
                                 cohort=cohort, include_unknown=unknown)  # fmt: skip
    return ov.run_optimiser(inputs, objective=objective, k=k, threshold_min=threshold,
                            equity=equity)  # fmt: skip


# --- state -------------------------------------------------------------------------------------


def _reset_weights(weights: Mapping[str, float]) -> None:
    for name in MEASURES:
        st.session_state[weight_key(name)] = float(weights.get(name, 0.0))


def _remember(keys: list[str]) -> None:
    """Copy widget values aside: Streamlit forgets a widget's value on a run that does not
    draw it (another page), and the user's choices should survive a visit elsewhere."""
    for name in keys:
        if name in st.session_state:
            st.session_state[_SAVED + name] = st.session_state[name]


def _widget_keys() -> list[str]:
    return [NEIGHBOURHOOD, COMPARE, OBJECTIVE, HUBS_K, THRESHOLD, MODE, EQUITY, INCLUDE_UNKNOWN,
            *(weight_key(m) for m in MEASURES)]  # fmt: skip


def _init_state(ws: Workspace, key: str, labels: Mapping[str, str]) -> None:
    """Set widget values once per study; keep the user's choices across reruns."""
    fresh = st.session_state.get(_STUDY_FOR) != key
    st.session_state[_STUDY_FOR] = key
    for name in _widget_keys():
        if fresh:
            st.session_state.pop(_SAVED + name, None)
        elif name not in st.session_state and _SAVED + name in st.session_state:
            st.session_state[name] = st.session_state[_SAVED + name]
    if fresh or st.session_state.get(NEIGHBOURHOOD) not in labels:
        st.session_state[NEIGHBOURHOOD] = next(iter(labels))
    weights = default_weights(ws)
    for name in MEASURES:
        if fresh or weight_key(name) not in st.session_state:
            st.session_state[weight_key(name)] = float(weights.get(name, 0.0))
    run = ws.config.colocation.optimise[0] if ws.config and ws.config.colocation.optimise else None
    defaults = {
        OBJECTIVE: run.objective if run else "p_median",
        HUBS_K: run.k if run else 1,
        THRESHOLD: float(run.threshold_min) if run else 20.0,
        EQUITY: run.equity if run else False,
        INCLUDE_UNKNOWN: ws.config.colocation.include_unknown if ws.config else False,
        CAPACITY: False,
    }
    for name, value in defaults.items():
        if fresh or name not in st.session_state:
            st.session_state[name] = value
    if fresh:
        st.session_state.pop(_REQUEST, None)
        st.session_state.pop(_COMPARE_FOR, None)


# --- sections ----------------------------------------------------------------------------------


def _show_map(fmap: Any, key: str, height: int) -> None:
    show_map(fmap, key=key, height=height)


def _candidates(ws: Workspace, results: OptionsResults, nbh: str, tiles: str | None) -> None:
    study = ws.study
    st.subheader("Candidate hubs")
    table = mo.screening_table(results.screening, nbh)
    counts = mo.screening_counts(table)
    cols = st.columns(3)
    for col, status in zip(cols, mo.STATUS_ORDER, strict=True):
        col.metric(f"Sites that {status}" if status != "unknown" else "Unknown (data missing)",
                   counts[status])  # fmt: skip
    layer = mo.screening_layer(study.assets, table)
    _show_map(mo.colocation_map(study, nbh, [layer], tiles=tiles), "colocation_screening_map",
              MAP_HEIGHT_PX)  # fmt: skip
    st.dataframe(table, hide_index=True, key="colocation_screening_table",
                 column_config={"reasons": st.column_config.TextColumn("reasons", width="large")})  # fmt: skip
    rules = results.settings.get("rules")
    if isinstance(rules, Mapping):
        st.caption(
            f"Rules: GIA ≥ {rules.get('min_gia_m2')} m² or ≥ {rules.get('min_available_m2')} m² "
            f"spare; condition {'/'.join(rules.get('conditions', ()))}; step-free "
            f"{'required' if rules.get('step_free') else 'not required'}. Unknown data is "
            "never counted as a pass."
        )


def _weights_widgets(ws: Workspace) -> dict[str, float]:
    top = max(WEIGHT_MAX, *default_weights(ws).values())
    with st.expander("Weights (one per measure; 0 leaves it out)", expanded=True):
        cols = st.columns(2)
        for i, name in enumerate(MEASURES):
            label, unit = ov.MEASURE_INFO[name]
            better = "higher" if MEASURES[name] else "lower"
            cols[i % 2].slider(label, min_value=0.0, max_value=top, step=0.1,
                               key=weight_key(name), help=f"{unit}; {better} is better")  # fmt: skip
        st.button("Reset to the study's weights", key=RESET_WEIGHTS, on_click=_reset_weights,
                  args=(default_weights(ws),))  # fmt: skip
    return {name: float(st.session_state[weight_key(name)]) for name in MEASURES}


def _ranking(ws: Workspace, key: str, nbh: str) -> pd.DataFrame | None:
    results = ws.study.options
    assert results is not None
    weights = _weights_widgets(ws)
    wt = tuple(weights.items())
    try:
        ranked = _ranked(key, nbh, wt, results)
        summary, by_weight = _sensitivity(key, nbh, wt, results)
    except ConfigError as err:
        st.error(str(err))
        return None
    shown = ["rank", "option_id", "label", "total", *MEASURES]
    numbers = {
        m: st.column_config.NumberColumn(
            ov.MEASURE_INFO[m][0], format="localized", help=ov.MEASURE_INFO[m][1]
        )
        for m in MEASURES
    }
    st.dataframe(
        ranked[shown], hide_index=True, key="colocation_ranked_table",
        column_config={"total": st.column_config.ProgressColumn(
            "total", min_value=0.0, max_value=1.0, format="%.3f"), **numbers},
    )  # fmt: skip
    st.caption("Each measure is scaled 0–1 within the neighbourhood (1 = best); the total is "
               "the weighted mean. The baseline row is today's sites (\"do nothing\").")  # fmt: skip
    if not summary.empty:
        row = summary.iloc[0]
        st.markdown(
            f"**Sensitivity (±20 % on each weight, one at a time):** {row['top_option']} stays "
            f"top in {row['top_unchanged']} of {row['perturbations']} cases "
            f"(lowest rank correlation {row['min_spearman']:.2f})"
            + (f"; challengers: {row['challengers']}." if row["challengers"] else ".")
        )
    st.dataframe(by_weight, hide_index=True, key="colocation_sensitivity_table")
    return ranked


def _option_map(ws: Workspace, key: str, nbh: str, option: pd.Series, tiles: str | None,
                map_key: str) -> None:  # fmt: skip
    hubs, released = ov.split_ids(option["hubs"]), ov.split_ids(option["released"])
    st.markdown(f"**{option['option_id']}**")
    st.caption(str(option["label"]) or "today's sites")
    layers = []
    colours = mo.catchment_colours(hubs)
    try:
        table, note = _catchments(key, nbh, hubs, released, ws)
        layers.append(mo.catchment_layer(ws.study.zones, table, colours=colours))
    except EstatesplanError as err:
        note = f"no catchments: {err}"
    layers.append(mo.hub_layer(ws.study.assets, hubs, colours=colours, released=released))
    fmap = mo.colocation_map(ws.study, nbh, layers, zones=False, tiles=tiles, layer_control=False)
    _show_map(fmap, map_key, SMALL_MAP_HEIGHT_PX)
    st.caption(f"Zones coloured by {note}.")


def _comparison_table(nbh: str, ranked: pd.DataFrame) -> None:
    st.subheader("Compare options side by side")
    ids = ranked["option_id"].astype(str).tolist()
    current = st.session_state.get(COMPARE)
    if st.session_state.get(_COMPARE_FOR) != nbh or current is None:
        st.session_state[_COMPARE_FOR] = nbh
        st.session_state[COMPARE] = ids[:2]
    else:
        st.session_state[COMPARE] = [i for i in current if i in ids]
    rank_of = dict(zip(ids, ranked["rank"], strict=True))
    chosen = st.multiselect("Options to compare (two or three)", options=ids, key=COMPARE,
                            max_selections=MAX_COMPARE,
                            format_func=lambda i: f"#{rank_of[i]} {i}")  # fmt: skip
    if len(chosen) < 2:
        st.info("Choose two or three options to compare them.")
    else:
        table = ov.comparison_table(ranked, chosen)
        formats = {
            col: st.column_config.NumberColumn(
                format="%.3f" if col.endswith(" score") else "localized"
            )
            for col in table.columns[3:]
        }
        st.dataframe(table, hide_index=True, key="colocation_comparison_table",
                     column_config=formats, height=35 * (len(table) + 1) + 3)  # fmt: skip
    if not st.session_state.get(_FULL_RUN) and tuple(chosen) != st.session_state.get(_MAPS_FOR):
        st.rerun(scope="app")  # the maps below the fragment show the options chosen


@st.fragment
def _ranking_fragment(ws: Workspace, key: str, nbh: str) -> None:
    """Weights, ranked options, sensitivity and the comparison table: a weight change
    reruns only this part (the maps around it stay as they are)."""
    t0 = time.perf_counter()
    ranked = _ranking(ws, key, nbh)
    if ranked is not None:
        _comparison_table(nbh, ranked)
    _remember([COMPARE, *(weight_key(m) for m in MEASURES)])
    logger.info("co-location ranking of %s: %d options in %.3f s", nbh,
                0 if ranked is None else len(ranked), time.perf_counter() - t0)  # fmt: skip


def _comparison_maps(ws: Workspace, key: str, nbh: str, tiles: str | None) -> None:
    chosen = [str(i) for i in st.session_state.get(COMPARE) or ()]
    st.session_state[_MAPS_FOR] = tuple(chosen)
    results = ws.study.options
    if len(chosen) < 2 or results is None:
        return
    measures = ov.option_measures(results.options, nbh)
    ids = measures["option_id"].tolist()
    for i, (col, option_id) in enumerate(zip(st.columns(len(chosen)), chosen, strict=True)):
        if option_id in ids:
            with col:
                _option_map(ws, key, nbh, measures.iloc[ids.index(option_id)], tiles,
                            f"colocation_compare_map_{i}")  # fmt: skip


def _optimiser_widgets(ctx: OptionContext) -> None:
    cols = st.columns(3)
    cols[0].selectbox("Objective", options=list(ov.OBJECTIVES), key=OBJECTIVE,
                      format_func=lambda o: ov.OBJECTIVES[o])  # fmt: skip
    if st.session_state.get(MODE) not in ctx.minutes:
        st.session_state[MODE] = ctx.access_mode
    cols[1].selectbox("Travel mode", options=list(ctx.minutes), key=MODE)
    objective = st.session_state[OBJECTIVE]
    cols[2].number_input("Hubs to choose (k)", min_value=1, step=1, key=HUBS_K,
                         disabled=objective == "set_covering",
                         help="Set covering chooses as few hubs as it needs.")  # fmt: skip
    cols = st.columns(3)
    cols[0].number_input("Threshold T (minutes)", min_value=1.0, step=5.0, key=THRESHOLD,
                         disabled=objective == "p_median",
                         help="Covering: a zone is covered when a hub is at most T away.")  # fmt: skip
    cols[1].checkbox("Equity: no IMD quintile worse off than today", key=EQUITY)
    cols[1].checkbox("Also sites whose screening is unknown", key=INCLUDE_UNKNOWN)
    cols[2].checkbox(
        "Hub capacity", key=CAPACITY, disabled=True,
        help="Not available: hubs' spare space has no agreed conversion to people served "
        "(the core accepts capacities in people; the study does not provide them).",
    )  # fmt: skip


def _optimiser(ws: Workspace, key: str, nbh: str, tiles: str | None) -> None:
    st.subheader("Optimiser")
    try:
        ctx = _context(key, ws)
    except EstatesplanError as err:
        st.info(str(err))
        return
    cohort = str(st.session_state.get(s.COHORT) or "everyone")
    st.caption(f"Demand: the {cohort.replace('_', ' ')} cohort of {nbh} (change the cohort in "
               "the sidebar). Candidates: the neighbourhood's sites that pass screening.")  # fmt: skip
    _optimiser_widgets(ctx)
    if st.button("Run the optimiser", key=RUN, type="primary"):
        st.session_state[_REQUEST] = (
            nbh, str(st.session_state[OBJECTIVE]), int(st.session_state[HUBS_K]),
            float(st.session_state[THRESHOLD]), str(st.session_state[MODE]), cohort,
            bool(st.session_state[EQUITY]), bool(st.session_state[INCLUDE_UNKNOWN]),
        )  # fmt: skip
    request = st.session_state.get(_REQUEST)
    if not request or request[0] != nbh:
        return
    try:
        run = _optimise(key, request, ws)
    except EstatesplanError as err:
        st.error(str(err))
        return
    _, objective, k, threshold, mode, cohort, equity, _ = request
    st.markdown(
        f"**{ov.OBJECTIVES[objective]}** for {cohort.replace('_', ' ')} by {mode}"
        + (f", k = {k}" if objective != "set_covering" else "")
        + (f", T = {threshold:g} min" if objective != "p_median" else "")
        + (", equity on" if equity else "")
    )
    cols = st.columns(4)
    sol = run.solution
    cols[0].metric("Hubs chosen", len(run.hubs), help=", ".join(run.hubs))
    cols[1].metric("Objective", f"{sol.objective:,.1f}")
    cols[2].metric("Method", sol.method)
    cols[3].metric("Gap", f"{sol.gap * 100:.2f} %" if np.isfinite(sol.gap) else "unknown")
    st.dataframe(run.hubs_table(), hide_index=True, key="colocation_optimiser_hubs")
    st.dataframe(run.summary(), hide_index=True, key="colocation_optimiser_summary")
    colours = mo.catchment_colours(run.hubs)
    layers = [mo.catchment_layer(ws.study.zones, run.assignment, colours=colours,
                                 name="Served by"), mo.hub_layer(ws.study.assets, run.hubs,
                                                                 colours=colours)]  # fmt: skip
    fmap = mo.colocation_map(ws.study, nbh, layers, zones=False, tiles=tiles)
    _show_map(fmap, "colocation_optimiser_map", MAP_HEIGHT_PX)


def render(ws: Workspace) -> None:
    """Draw the co-location page of the workspace's study (cohort chosen in the sidebar)."""
    start = time.perf_counter()
    study = ws.study
    results = study.options
    if results is None or results.options.empty:
        st.info("This study has no co-location options (no candidate hubs or no access results).")
        return
    key = _study_key(ws)
    labels = ov.neighbourhood_labels(results.options, study.neighbourhoods)
    _init_state(ws, key, labels)
    nbh = str(st.selectbox("Neighbourhood", options=list(labels), key=NEIGHBOURHOOD,
                           format_func=lambda n: labels.get(n, n)))  # fmt: skip
    tiles = "OpenStreetMap" if st.session_state.get(s.BASEMAP, True) else None
    st.session_state[_FULL_RUN] = True
    try:
        _candidates(ws, results, nbh, tiles)
        st.subheader("Options ranked")
        _ranking_fragment(ws, key, nbh)
        _comparison_maps(ws, key, nbh, tiles)
        _optimiser(ws, key, nbh, tiles)
    finally:
        st.session_state[_FULL_RUN] = False
    _remember(_widget_keys())
    synthetic_caption(study.synthetic)
    logger.info("co-location page for %r, %s drawn in %.2f s", study.name, nbh,
                time.perf_counter() - start)  # fmt: skip

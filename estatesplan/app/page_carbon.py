"""The carbon and cost page: emissions of the estate and its journeys, the net zero gap and
the 30-year cost forecast, for the whole place or one neighbourhood.

Only arrangement lives here: every table, chart's data and map layer comes from
:mod:`estatesplan.carbon_views` over the study's :class:`CarbonResults`.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Final

import altair as alt
import pandas as pd
import streamlit as st

from .. import carbon_views as cv
from .. import contracts as c
from ..study import Study
from ..study_carbon import CarbonResults
from ..workspace import Workspace
from . import state as s
from .common import show_map, synthetic_caption

__all__ = [
    "CARBON_MAP",
    "CARBON_NEIGHBOURHOOD",
    "CARBON_PATHWAY",
    "PLACE",
    "render",
]

logger = logging.getLogger(__name__)

CARBON_NEIGHBOURHOOD: Final = "carbon_neighbourhood"
"""Widget key: the neighbourhood shown (:data:`PLACE` for the whole place)."""
CARBON_PATHWAY: Final = "carbon_pathway"
"""Widget key: the pathway whose yearly costs are charted."""
CARBON_MAP: Final = "carbon_map"
"""Widget key of the map."""
PLACE: Final = "(whole place)"
MAP_HEIGHT_PX: Final = 460


def _choices(study: Study) -> dict[str, str]:
    n = study.neighbourhoods
    out = {PLACE: "Whole place"}
    names = n[c.NAME].astype("string") if c.NAME in n else n[c.NEIGHBOURHOOD_ID].astype("string")
    for nid, name in zip(n[c.NEIGHBOURHOOD_ID].astype(str), names.fillna(""), strict=True):
        out[nid] = f"{nid}: {name}" if name else nid
    return out


def _t(value: float) -> str:
    return "unknown" if not math.isfinite(value) else f"{value:,.0f} t"


def _metrics(carbon: CarbonResults, nid: str | None) -> None:
    m = cv.carbon_metrics(carbon, neighbourhood_id=nid)
    cols = st.columns(4)
    cols[0].metric("Buildings, tCO2e a year", _t(m["buildings_tco2e"]))
    cols[1].metric("Residents' health trips, tCO2e a year", _t(m["travel_tco2e"]))
    cols[2].metric("Assets with estimated energy", "unknown" if math.isnan(m["estimated"])
                   else f"{m['estimated']:,.0f}", help="Benchmark intensity × floor area, "
                   "labelled in energy_basis.")  # fmt: skip
    cols[3].metric("Assets with unknown emissions", "unknown" if math.isnan(m["unknown"])
                   else f"{m['unknown']:,.0f}", help="No metered energy and no floor area: "
                   "left out of totals.")  # fmt: skip


def _trajectory(carbon: CarbonResults, nid: str | None, where: str) -> None:
    st.subheader(f"Net zero gap: {where}")
    nz = cv.net_zero_table(carbon, neighbourhood_id=nid)
    if nz.empty:
        st.info("No trajectory was projected: no in-area asset here has known emissions.")
        return
    data = cv.trajectory_chart_data(nz)
    chart = (
        alt.Chart(data)
        .mark_line(point=False)
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("tco2e:Q", title="tCO2e a year"),
            color=alt.Color("series:N", title=None),
            strokeDash=alt.StrokeDash(
                "series:N",
                title=None,
                scale=alt.Scale(
                    domain=[*cv.PATHWAY_LABELS.values(), cv.TARGET_SERIES],
                    range=[[1, 0], [1, 0], [6, 4]],
                ),
            ),
            tooltip=["year:O", "series:N", alt.Tooltip("tco2e:Q", format=",.0f")],
        )
    )
    st.altair_chart(chart, key="carbon_trajectory_chart")
    st.caption(str(nz["baseline_basis"].iloc[0]))
    st.dataframe(nz, hide_index=True, key="carbon_net_zero_table")


def _yearly_lines(
    data: pd.DataFrame, title: str, *, value: str, series: str, y_title: str
) -> alt.Chart:
    """A line per ``series`` of ``value`` (£) by year, with a tooltip."""
    chart: alt.Chart = (
        alt.Chart(data, title=title)
        .mark_line()
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y(f"{value}:Q", title=y_title),
            color=alt.Color(f"{series}:N", title=None),
            tooltip=["year:O", f"{series}:N", alt.Tooltip(f"{value}:Q", format=",.0f")],
        )
    )
    return chart


def _forecast(carbon: CarbonResults, nid: str | None, where: str) -> None:
    st.subheader(f"30-year cost forecast: {where}")
    pathways = [str(p) for p in carbon.forecast["pathway"].drop_duplicates()]
    if st.session_state.get(CARBON_PATHWAY) not in pathways:
        st.session_state[CARBON_PATHWAY] = pathways[0]
    pathway = st.radio("Pathway", pathways, key=CARBON_PATHWAY, horizontal=True,
                       format_func=lambda p: cv.PATHWAY_LABELS.get(p, p))  # fmt: skip
    costs = cv.cost_chart_data(carbon, pathway=str(pathway), neighbourhood_id=nid)
    st.altair_chart(
        _yearly_lines(costs, "Yearly cost by component (£, real prices, undiscounted)",
                      value="gbp", series="component", y_title="£ a year"),
        key="carbon_cost_chart",
    )  # fmt: skip
    npv = cv.cumulative_npv(carbon, neighbourhood_id=nid)
    st.altair_chart(
        _yearly_lines(npv, "Cumulative net present cost (£, Green Book discounting)",
                      value="cumulative_pv_gbp", series="pathway", y_title="£"),
        key="carbon_npv_chart",
    )  # fmt: skip
    missing = cv.unknown_cost_assets(carbon, neighbourhood_id=nid)
    if missing:
        st.caption(f"{len(missing)} asset(s) with unknown costs are left out of these sums: "
                   f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}.")  # fmt: skip


def render(ws: Workspace) -> None:
    """Draw the carbon and cost page of the workspace's study."""
    start = time.perf_counter()
    study = ws.study
    carbon = study.carbon
    if carbon is None or not carbon.settings:
        st.info("This study has no carbon and cost results: run it with a [carbon] section "
                "(the demo has one) to see emissions, the net zero gap and costs.")  # fmt: skip
        return
    st.subheader("Carbon and cost")
    st.caption(carbon.headline())
    choices = _choices(study)
    if st.session_state.get(CARBON_NEIGHBOURHOOD) not in choices:
        st.session_state[CARBON_NEIGHBOURHOOD] = PLACE
    picked = str(st.selectbox("Neighbourhood", list(choices), key=CARBON_NEIGHBOURHOOD,
                              format_func=lambda k: choices.get(k, k)))  # fmt: skip
    nid = None if picked == PLACE else picked
    where = choices.get(picked, picked)
    _metrics(carbon, nid)
    fmap = cv.carbon_map(study, carbon, neighbourhood_id=nid,
                         tiles="OpenStreetMap" if st.session_state.get(s.BASEMAP, True) else None)  # fmt: skip
    show_map(fmap, key=CARBON_MAP, height=MAP_HEIGHT_PX)
    st.subheader("By neighbourhood")
    st.dataframe(carbon.neighbourhoods, hide_index=True, key="carbon_neighbourhood_table")
    st.subheader(f"By asset: {where}")
    st.dataframe(cv.asset_carbon_table(carbon, neighbourhood_id=nid), hide_index=True,
                 key="carbon_asset_table")  # fmt: skip
    st.caption("energy_estimated and energy_basis say which figures are estimates "
               "(benchmark kWh/m² × floor area) and which are metered; NPV columns are "
               "£ present values over the cost horizon.")  # fmt: skip
    if not carbon.net_zero.empty:
        _trajectory(carbon, nid, where)
    if not carbon.forecast.empty:
        _forecast(carbon, nid, where)
    if not carbon.cohorts.empty:
        with st.expander("Residents' health trips by cohort (tCO2e a year)"):
            st.dataframe(pd.DataFrame(carbon.cohorts), hide_index=True, key="carbon_cohort_table")
    synthetic_caption(study.synthetic)
    logger.info("carbon page for %r (%s) in %.2f s", study.name, where, time.perf_counter() - start)

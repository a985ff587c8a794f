"""Streamlit AppTest tests of the co-location page on the demo study (with its config).

Every number shown is checked against the core called directly on the same inputs:
the ranked table against :func:`estatesplan.options.rank_options` on the stored
measures, the comparison table's columns, and the optimiser's hub against
:func:`estatesplan.optimise.p_median` on the neighbourhood's zones and sites.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from estatesplan import contracts as c
from estatesplan import maps_options, optimise, options_views
from estatesplan.app import page_colocation as pc
from estatesplan.app import state, views
from estatesplan.errors import InfeasibleError
from estatesplan.options import MEASURES, rank_options
from estatesplan.study_options import option_context
from estatesplan.workspace import Workspace

from ._apptest import open_page

pytestmark = pytest.mark.app

TIMEOUT = 90
NBH = "N02"
SHOWN = ["rank", "option_id", "label", "total", *MEASURES]


def _open(ws: Workspace) -> AppTest:
    return open_page(ws, "Co-location", timeout=TIMEOUT, via_radio=True)


def _table(at: AppTest, *columns: str) -> Any:
    """The one table shown with all of ``columns``."""
    (frame,) = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    return frame


def _weights(ws: Workspace) -> dict[str, float]:
    assert ws.config is not None
    return dict(ws.config.colocation.weights)


def _expected_ranking(ws: Workspace, weights: dict[str, float]) -> pd.DataFrame:
    assert ws.study.options is not None
    measures = options_views.option_measures(ws.study.options.options, NBH)
    return rank_options(measures, weights)[SHOWN].reset_index(drop=True)


def _p_median_inputs(
    ws: Workspace, cohort: str
) -> tuple[np.ndarray, np.ndarray, list[int], list[str]]:
    """The neighbourhood's problem built by hand: its zones × (passing sites ∪ today's)."""
    assert ws.config is not None and ws.study.options is not None
    ctx = option_context(ws.study, ws.config)
    screening = ws.study.options.screening
    ids = ctx.asset_ids.astype(str)
    local = ctx.assets[c.NEIGHBOURHOOD_ID].astype(str).to_numpy() == NBH
    passing = set(screening.loc[screening["status"] == "pass", c.ASSET_ID].astype(str))
    cand = [j for j in range(len(ids)) if local[j] and ids[j] in passing]
    cols = sorted(set(cand) | {j for j in range(len(ids)) if local[j] and ctx.service[j]})
    rows = ctx.zone_neighbourhood.astype(str) == NBH
    cost = ctx.minutes["walk"][np.ix_(rows, cols)]
    demand = ctx.weights[cohort].to_numpy(dtype=float)[rows]
    forbidden = [k for k, j in enumerate(cols) if j not in cand]
    return cost, demand, forbidden, [str(ids[j]) for j in cols]


def test_neighbourhood_screening_and_ranking(demo_workspace: Workspace) -> None:
    at = _open(demo_workspace)
    at.selectbox(key=pc.NEIGHBOURHOOD).set_value(NBH).run()
    assert not at.exception and not at.error
    # candidate hubs of the neighbourhood with their status and reasons
    assert demo_workspace.study.options is not None
    screening = _table(at, "status", "reasons")
    expected = maps_options.screening_table(demo_workspace.study.options.screening, NBH)
    pd.testing.assert_frame_equal(screening.reset_index(drop=True), expected, check_dtype=False)
    passes = int((expected["status"] == "pass").sum())
    assert {m.label: m.value for m in at.metric}["Sites that pass"] == str(passes)
    # the ranked table is rank_options on the stored measures with the config's weights
    weights = _weights(demo_workspace)
    shown = _table(at, "option_id", "total").reset_index(drop=True)
    pd.testing.assert_frame_equal(shown, _expected_ranking(demo_workspace, weights),
                                  check_dtype=False)  # fmt: skip
    assert shown["option_id"].iloc[0] == "N02-hub-DEMO-A050"
    # moving one slider re-ranks at once, as the core does with the same weights
    at.slider(key=pc.weight_key("capacity_fit")).set_value(5.0).run()
    assert not at.exception and not at.error
    moved = {**weights, "capacity_fit": 5.0}
    reranked = _table(at, "option_id", "total").reset_index(drop=True)
    expected_moved = _expected_ranking(demo_workspace, moved)
    assert reranked["option_id"].tolist() == expected_moved["option_id"].tolist()
    assert reranked["option_id"].iloc[0] != shown["option_id"].iloc[0]  # the order did change
    pd.testing.assert_frame_equal(reranked, expected_moved, check_dtype=False)
    # the ±20 % sensitivity is shown for the current weights
    by_weight = _table(at, "top_minus", "top_plus")
    measures = options_views.option_measures(demo_workspace.study.options.options, NBH)
    pd.testing.assert_frame_equal(
        by_weight.reset_index(drop=True),
        options_views.sensitivity(measures, moved)[1], check_dtype=False,
    )  # fmt: skip
    assert any("Sensitivity (±20 %" in m.value for m in at.markdown)


def test_all_zero_weights_show_the_core_message(demo_workspace: Workspace) -> None:
    at = _open(demo_workspace)
    for name in MEASURES:
        at.slider(key=pc.weight_key(name)).set_value(0.0)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "score weights are all zero: give at least one measure a positive weight"
    ]
    at.button(key=pc.RESET_WEIGHTS).click().run()
    assert not at.error
    assert (
        at.slider(key=pc.weight_key("access_min")).value == _weights(demo_workspace)["access_min"]
    )


def test_comparison_of_chosen_options(demo_workspace: Workspace) -> None:
    at = _open(demo_workspace)
    at.selectbox(key=pc.NEIGHBOURHOOD).set_value(NBH).run()
    ranked = _expected_ranking(demo_workspace, _weights(demo_workspace))
    ids = ranked["option_id"].tolist()
    assert at.multiselect(key=pc.COMPARE).value == ids[:2]  # the top two by default
    chosen = [ids[0], ids[-1]]
    at.multiselect(key=pc.COMPARE).set_value(chosen).run()
    assert not at.exception and not at.error
    table = _table(at, "measure", "unit", "better")
    assert table.columns.tolist() == [
        "measure", "unit", "better", ids[0], f"{ids[0]} score", ids[-1], f"{ids[-1]} score"
    ]  # fmt: skip
    assert len(table) == len(MEASURES) + 2
    assert table[ids[0]].iloc[0] == pytest.approx(ranked["access_min"].iloc[0])
    assert table[f"{ids[-1]} score"].iloc[len(MEASURES)] == pytest.approx(ranked["total"].iloc[-1])
    assert len(at.columns) >= 2  # the small maps sit side by side
    # choices survive a visit to another page
    at.slider(key=pc.weight_key("quality")).set_value(3.0).run()
    at.radio(key=views.PAGE).set_value("Scenarios").run()
    at.radio(key=views.PAGE).set_value("Co-location").run()
    assert not at.exception and not at.error
    assert at.selectbox(key=pc.NEIGHBOURHOOD).value == NBH
    assert at.multiselect(key=pc.COMPARE).value == chosen
    assert at.slider(key=pc.weight_key("quality")).value == 3.0


def test_optimiser_p_median_matches_the_core(demo_workspace: Workspace) -> None:
    at = _open(demo_workspace)
    at.selectbox(key=pc.NEIGHBOURHOOD).set_value(NBH).run()
    at.selectbox(key=state.COHORT).set_value("everyone").run()
    at.selectbox(key=pc.OBJECTIVE).set_value("p_median")
    at.selectbox(key=pc.MODE).set_value("walk")
    at.number_input(key=pc.HUBS_K).set_value(1)
    at.checkbox(key=pc.EQUITY).uncheck()
    at.button(key=pc.RUN).click().run()
    assert not at.exception and not at.error
    cost, demand, forbidden, sites = _p_median_inputs(demo_workspace, "everyone")
    direct = optimise.p_median(cost, demand, 1, forbidden=forbidden)
    hubs = _table(at, "asset_id", "zones")
    assert hubs[c.ASSET_ID].tolist() == [sites[j] for j in direct.open]
    assert hubs["demand"].sum() == pytest.approx(demand.sum())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Method"] == direct.method
    assert metrics["Objective"] == f"{direct.objective:,.1f}"
    # the same answer as the study's own optimiser run (p-median, k = 1, everyone, walk)
    assert demo_workspace.study.options is not None
    runs = demo_workspace.study.options.optimised
    assert hubs[c.ASSET_ID].tolist() == [runs.loc[runs["area"] == NBH, "hubs"].iloc[0]]
    # k above the candidates: the core's message, not a traceback
    k = len(sites) + 5
    with pytest.raises(InfeasibleError) as err:
        optimise.p_median(cost, demand, k, forbidden=forbidden)
    at.number_input(key=pc.HUBS_K).set_value(k)
    at.button(key=pc.RUN).click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [str(err.value)]
    assert "candidates are allowed" in str(err.value)


def test_without_config_the_optimiser_says_so(demo_workspace: Workspace) -> None:
    bare = Workspace(source="demo-outputs", study=demo_workspace.study,
                     config_note="its config demo.toml no longer exists")  # fmt: skip
    at = _open(bare)
    notes = [i.value for i in at.info]
    assert any("The optimiser needs the study's config" in n and "no longer exists" in n
               for n in notes)  # fmt: skip
    # ranking still works on the stored weights, and catchments on the stored matrix
    shown = _table(at, "option_id", "total")
    assert shown["option_id"].str.startswith("N01-").all()
    assert any("nearest hub by walk" in cap.value for cap in at.caption)

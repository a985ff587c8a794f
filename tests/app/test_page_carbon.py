"""AppTest of the carbon and cost page: tables and charts equal the core's numbers."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from estatesplan import carbon_views as cv
from estatesplan.app import page_carbon
from estatesplan.study import Study
from estatesplan.workspace import Workspace

from ._apptest import open_page

pytestmark = pytest.mark.app

TIMEOUT = 60


def _open(ws: Workspace | Study) -> AppTest:
    return open_page(ws, "Carbon and cost", timeout=TIMEOUT)  # skips drawing the estate map


def _table(at: AppTest, column: str) -> pd.DataFrame:
    (frame,) = [d.value for d in at.dataframe if column in d.value.columns]
    return frame


def _chart_data(at: AppTest) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """Each Vega-Lite chart's spec and its (one) dataset."""
    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        (ds,) = chart.proto.datasets
        out.append((spec, pa.ipc.open_stream(ds.data.data).read_pandas()))
    return out


def test_place_tables_and_charts_equal_the_core(demo_workspace: Workspace) -> None:
    carbon = demo_workspace.study.carbon
    assert carbon is not None
    at = _open(demo_workspace)
    shown = _table(at, "buildings_unknown")
    pd.testing.assert_frame_equal(
        shown.reset_index(drop=True), carbon.neighbourhoods.reset_index(drop=True),
        check_dtype=False,
    )  # fmt: skip
    assets = _table(at, "energy_basis")
    assert len(assets) == len(carbon.assets)
    assert {"energy_estimated", "tco2e", "npv_no_action_gbp"} <= set(assets.columns)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Buildings, tCO2e a year"] == f"{carbon.settings['buildings_tco2e']:,.0f} t"
    charts = _chart_data(at)
    titles = [str(spec.get("title", "")) for spec, _ in charts]
    assert len(charts) == 3
    # the 30-year forecast: yearly cost lines by component
    (costs,) = [d for spec, d in charts if "Yearly cost" in str(spec.get("title", ""))]
    expected = cv.cost_chart_data(carbon, pathway="no_action")
    assert len(costs) == len(expected) == 30 * len(cv.COST_COMPONENTS)
    assert costs["gbp"].to_numpy() == pytest.approx(expected["gbp"].to_numpy())
    assert set(costs["component"]) == set(cv.COST_COMPONENTS.values())
    # cumulative NPV ends at the core's TOTAL row
    (npv,) = [d for spec, d in charts if "Cumulative" in str(spec.get("title", ""))]
    total = carbon.npv[carbon.npv["asset_id"] == "TOTAL"].set_index("pathway")["pv_total_gbp"]
    last = npv[npv["year"] == npv["year"].max()].set_index("pathway")["cumulative_pv_gbp"]
    assert last["No action"] == pytest.approx(total["no_action"])
    assert last["Retrofit"] == pytest.approx(total["retrofit"])
    assert any("Cumulative" in t for t in titles)
    assert list(_table(at, "projected_tco2e")["group"].unique()) == ["total"]


def test_neighbourhood_filter_and_pathway(demo_workspace: Workspace) -> None:
    carbon = demo_workspace.study.carbon
    assert carbon is not None
    at = _open(demo_workspace)
    at.selectbox(key=page_carbon.CARBON_NEIGHBOURHOOD).set_value("N02").run()
    assert not at.exception and not at.error
    assets = _table(at, "energy_basis")
    n02 = carbon.assets[carbon.assets["neighbourhood_id"] == "N02"]
    assert sorted(assets["asset_id"]) == sorted(n02["asset_id"])
    nz = _table(at, "projected_tco2e")
    assert set(nz["group"]) == {"N02"}
    first = nz[(nz["pathway"] == "no_action") & (nz["year"] == nz["year"].min())]
    assert first["projected_tco2e"].iloc[0] == pytest.approx(n02["tco2e"].sum())
    row = carbon.neighbourhoods.set_index("neighbourhood_id").loc["N02"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Buildings, tCO2e a year"] == f"{row['buildings_tco2e']:,.0f} t"
    at.radio(key=page_carbon.CARBON_PATHWAY).set_value("retrofit").run()
    assert not at.exception and not at.error
    (costs,) = [d for spec, d in _chart_data(at) if "Yearly cost" in str(spec.get("title", ""))]
    expected = cv.cost_chart_data(carbon, pathway="retrofit", neighbourhood_id="N02")
    assert costs["gbp"].to_numpy() == pytest.approx(expected["gbp"].to_numpy())


def test_study_without_carbon_shows_info(tiny_study: Study) -> None:
    at = _open(tiny_study)
    assert any("no carbon and cost results" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")

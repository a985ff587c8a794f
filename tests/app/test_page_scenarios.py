"""AppTest of the scenarios page: a scenario built with the widgets equals the core's comparison,
its TOML round-trips, bad files give a message, and a study without results says why."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from estatesplan import scenario_views as sv
from estatesplan import scenarios as sc
from estatesplan.app import page_scenarios as ps
from estatesplan.study import Study
from estatesplan.workspace import Workspace

from ._apptest import open_page

pytestmark = pytest.mark.app

TIMEOUT = 60


def _open(ws: Workspace | Study) -> AppTest:
    return open_page(ws, "Scenarios", timeout=TIMEOUT)  # skips drawing the estate map


def _tables(at: AppTest, column: str) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if column in d.value.columns]


def _gp(ws: Workspace, i: int) -> str:
    a = ws.study.assets
    return str(a.loc[a["asset_type"] == "gp_practice", "asset_id"].iloc[i])


def test_close_one_site_matches_compare_scenarios(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    ws, gp = demo_workspace, _gp(demo_workspace, 0)
    at = _open(ws)
    assert ws.study.options is not None
    (stored,) = _tables(at, "N01: N01-hub-DEMO-A044")  # the pipeline's comparison
    assert list(stored["metric"]) == list(ws.study.options.scenarios["metric"])
    at.text_input(key=ps.SC_NAME).input("close one")
    at.multiselect(key=ps.SC_CLOSE).set_value([gp])
    at.button(key=ps.SC_APPLY).click().run()
    assert not at.exception and not at.error
    (shown,) = _tables(at, "change: close one")
    cfg = ws.require_config("test")
    expected, studies = sc.compare_scenarios(ws.study, [sc.Scenario("close one", close=(gp,))], cfg)
    assert list(shown["metric"]) == list(expected.index)
    assert list(shown.columns) == ["metric", "what", *expected.columns]
    pd.testing.assert_frame_equal(
        shown.drop(columns="what").set_index("metric"), expected, check_dtype=False,
        check_names=False,
    )  # fmt: skip
    assert shown.set_index("metric").loc["sites", "change: close one"] == -1
    # the map's summary counts zones from zone_changes
    changes = sc.zone_changes(ws.study, studies["close one"], cfg)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Zones with longer trips"] == str(int((changes["change_min"] > 1e-6).sum()))
    # the TOML offered for download reads back as the same scenario
    assert at.get("download_button")[0].key == ps.SC_DOWNLOAD
    (code,) = [c.value for c in at.code]
    path = tmp_path / "scenarios.toml"
    path.write_text(code, encoding="utf-8")
    assert sc.load_scenarios(path) == [sc.Scenario("close one", close=(gp,))]


def test_upload_good_and_bad_scenario_files(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    at = _open(ws)
    at.file_uploader(key=ps.SC_UPLOAD).set_value(
        ("bad.toml", b"[[scenario]\nname = 1", "text/plain")
    )
    at.run()
    at.button(key=ps.SC_LOAD).click().run()
    assert not at.exception
    (err,) = [e.value for e in at.error]
    assert err.startswith("bad.toml: not a valid TOML scenario file")
    # the Load button is enabled now: upload and click in one run
    at.file_uploader(key=ps.SC_UPLOAD).set_value(
        ("other.toml", b'[[scenario]]\nname = "x"\nclose = ["NOPE-1"]\n', "text/plain")
    )
    at.button(key=ps.SC_LOAD).click().run()
    assert not at.exception
    (err,) = [e.value for e in at.error]
    assert "other.toml" in err and "NOPE-1" in err
    gp = _gp(ws, 1)
    good = f'[[scenario]]\nname = "merge"\nmerge = [{{ into = "{_gp(ws, 2)}", from = ["{gp}"] }}]\n'
    at.file_uploader(key=ps.SC_UPLOAD).set_value(("good.toml", good.encode(), "text/plain"))
    at.button(key=ps.SC_LOAD).click().run()
    assert not at.exception and not at.error
    assert any("Loaded 1 scenario" in s.value for s in at.success)
    (shown,) = _tables(at, "change: merge")
    assert shown.set_index("metric").loc["sites", "change: merge"] == -1


def test_hub_merge_repurpose_and_new_site_in_one_scenario(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    a = ws.study.assets
    library = str(a.loc[a["asset_type"] == "library", "asset_id"].iloc[0])
    school = str(a.loc[a["asset_type"] == "school", "asset_id"].iloc[0])
    host, moving = _gp(ws, 3), _gp(ws, 4)
    at = _open(ws)
    at.text_input(key=ps.SC_NAME).input("everything")
    at.multiselect(key=ps.SC_HUBS).set_value([library])
    at.selectbox(key=ps.SC_MERGE_INTO).set_value(host)
    at.multiselect(key=ps.SC_MERGE_FROM).set_value([moving])
    at.selectbox(key=ps.SC_REPURPOSE_ID).set_value(school)
    at.selectbox(key=ps.SC_REPURPOSE_TYPE).set_value("community_centre")
    at.checkbox(key=ps.SC_NEW).check()
    at.button(key=ps.SC_APPLY).click().run()
    assert not at.exception and not at.error
    (shown,) = _tables(at, "change: everything")
    assert shown.set_index("metric").loc["sites", "change: everything"] == 0  # +1 new, -1 merged
    (summary,) = _tables(at, "new_use")
    row = summary.iloc[0]
    assert row["closes"] == moving and row["merges_into"] == host and row["opens"] == "NEW-1"
    assert row["new_use"] == f"{school}→community_centre;{library}→health_centre"
    assert at.selectbox(key=ps.SC_MAP_PICK).value == "everything"
    (code,) = [c.value for c in at.code]
    (loaded,) = sv.scenarios_from_toml(code, assets=a)
    assert loaded.open[0]["id"] == "NEW-1" and loaded.open[0]["asset_type"] == "health_centre"


def test_builder_problems_are_messages(demo_workspace: Workspace) -> None:
    at = _open(demo_workspace)
    at.multiselect(key=ps.SC_CLOSE).set_value([_gp(demo_workspace, 0)])
    at.button(key=ps.SC_APPLY).click().run()
    assert not at.exception
    (err,) = [e.value for e in at.error]
    assert "give the scenario a name" in err


def test_study_without_results_or_config_shows_info(tiny_study: Study) -> None:
    at = _open(tiny_study)
    infos = [i.value for i in at.info]
    assert any("computed no scenarios" in i for i in infos)
    assert any("New scenarios cannot be run here" in i and "config" in i for i in infos)
    assert ps.SC_APPLY not in [b.key for b in at.button]  # no builder without a config

"""Unit tests of estatesplan.scenario_views on tiny hand-made tables (values checked by hand)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estatesplan import carbon_views as cv
from estatesplan import scenario_views as sv
from estatesplan import scenarios as sc
from estatesplan.errors import ConfigError
from estatesplan.retrofit import net_zero_gap
from estatesplan.study import Study
from estatesplan.study_carbon import CarbonResults
from estatesplan.study_options import OptionsResults
from tests.app.conftest import make_tiny_study

YEARS = list(range(2026, 2032))


@pytest.fixture
def tiny_study() -> Study:
    """The tiny synthetic study of the app tests: 6 zones, 8 assets A1-A8, 2 neighbourhoods."""
    return make_tiny_study(synthetic=True)


@pytest.fixture
def carbon() -> CarbonResults:
    """Three assets of the tiny study: A1 (10 t, metered) and A2 (20 t, estimated) in N1,
    A3 (unknown) in N2; A1 and A2 projected over 2026-2031, retrofit halves them from 2028;
    two years of costs, A2's 2027 total unknown."""
    assets = pd.DataFrame(
        {
            "asset_id": ["A1", "A2", "A3"],
            "name": ["Hill Street Surgery", "Demoborough General Hospital", "Town Hall"],
            "asset_type": ["gp_practice", "hospital", "town_hall"],
            "owner_type": ["icb_primary_care", "nhs_trust", "local_authority"],
            "in_area": [True, True, True],
            "neighbourhood_id": ["N1", "N1", "N2"],
            "tco2e": [10.0, 20.0, np.nan],
            "energy_estimated": [False, True, False],
            "energy_basis": ["electricity metered; gas metered", "benchmark TM46 × GIA", "unknown"],
        }
    )
    neighbourhoods = pd.DataFrame(
        {"neighbourhood_id": ["N1", "N2"], "buildings": [2, 1], "buildings_tco2e": [30.0, 0.0],
         "buildings_unknown": [0, 1], "buildings_estimated": [1, 0], "travel_tco2e": [1.5, 2.5],
         "visits": [100.0, 200.0], "total_tco2e": [31.5, 2.5]}
    )  # fmt: skip
    rows = []
    for pathway in ("no_action", "retrofit"):
        for a, t in (("A1", 10.0), ("A2", 20.0)):
            for y in YEARS:
                cut = 0.5 if pathway == "retrofit" and y >= 2028 else 1.0
                rows.append({"asset_id": a, "year": y, "tco2e": t * cut, "pathway": pathway})
    trajectory = pd.DataFrame(rows)
    net_zero = pd.concat(
        [net_zero_gap(t, baseline_year=2026).assign(pathway=p)
         for p, t in trajectory.groupby("pathway", sort=False)],
        ignore_index=True,
    )  # fmt: skip
    f = []
    for pathway in ("no_action", "retrofit"):
        for a, run in (("A1", 100.0), ("A2", 200.0)):
            for y, df in ((2026, 1.0), (2027, 0.5)):
                cap = 1000.0 if pathway == "retrofit" and y == 2026 else 0.0
                total = np.nan if (a, y) == ("A2", 2027) else run + 10.0 + cap
                f.append({"asset_id": a, "year": y, "pathway": pathway, "running_cost_gbp": run,
                          "energy_cost_gbp": 10.0, "backlog_gbp": 0.0, "capital_gbp": cap,
                          "disposal_gbp": 0.0, "carbon_value_gbp": 0.0, "total_gbp": total,
                          "pv_gbp": total * df})  # fmt: skip
    npv = pd.DataFrame(
        {"asset_id": ["A1", "A2", "TOTAL", "A1", "A2", "TOTAL"],
         "pv_total_gbp": [165.0, np.nan, np.nan, 1165.0, np.nan, np.nan],
         "pathway": ["no_action"] * 3 + ["retrofit"] * 3,
         "payback_year": [np.nan] * 3 + [2040.0, np.nan, np.nan]}
    )  # fmt: skip
    return CarbonResults(
        assets=assets, zones=pd.DataFrame(), neighbourhoods=neighbourhoods,
        cohorts=pd.DataFrame(), trajectory=trajectory, net_zero=net_zero,
        forecast=pd.DataFrame(f), npv=npv,
        settings={"buildings_tco2e": 30.0, "travel_tco2e": 4.0, "estimated_assets": 1,
                  "unknown_assets": 1},
    )  # fmt: skip


# --- carbon and cost -------------------------------------------------------------------------


def test_carbon_metrics_place_and_neighbourhood(carbon: CarbonResults) -> None:
    assert cv.carbon_metrics(carbon) == {"buildings_tco2e": 30.0, "travel_tco2e": 4.0,
                                         "estimated": 1.0, "unknown": 1.0}  # fmt: skip
    n2 = cv.carbon_metrics(carbon, neighbourhood_id="N2")
    assert n2 == {"buildings_tco2e": 0.0, "travel_tco2e": 2.5, "estimated": 0.0, "unknown": 1.0}
    assert all(math.isnan(v) for v in cv.carbon_metrics(carbon, neighbourhood_id="N9").values())


def test_asset_table_keeps_labels_sorts_and_joins_npv(carbon: CarbonResults) -> None:
    t = cv.asset_carbon_table(carbon)
    assert t["asset_id"].tolist() == ["A2", "A1", "A3"]  # highest first, unknown last
    assert t["energy_basis"].tolist() == ["benchmark TM46 × GIA",
                                          "electricity metered; gas metered", "unknown"]  # fmt: skip
    assert t["energy_estimated"].tolist() == [True, False, False]
    assert t["npv_no_action_gbp"].iloc[1] == 165.0
    assert math.isnan(t["npv_no_action_gbp"].iloc[2])  # A3 not projected: unknown, not 0
    assert t["payback_year"].iloc[1] == 2040.0
    assert cv.asset_carbon_table(carbon, neighbourhood_id="N2")["asset_id"].tolist() == ["A3"]


def test_net_zero_table_for_a_neighbourhood(carbon: CarbonResults) -> None:
    assert cv.net_zero_table(carbon).equals(carbon.net_zero)
    n1 = cv.net_zero_table(carbon, neighbourhood_id="N1")
    assert set(n1["group"]) == {"N1"}
    # baseline 30 t in 2026; NHS path 1 → 0.2 by 2032, so 2029 allows 30 × 0.6 = 18 t
    r = n1[(n1["pathway"] == "retrofit") & (n1["year"] == 2029)].iloc[0]
    assert r["target_tco2e"] == pytest.approx(18.0)
    assert r["projected_tco2e"] == pytest.approx(15.0)
    assert r["gap_tco2e"] == pytest.approx(-3.0) and bool(r["on_track"])
    assert cv.net_zero_table(carbon, neighbourhood_id="N2").empty  # A3 was not projected


def test_trajectory_chart_data(carbon: CarbonResults) -> None:
    d = cv.trajectory_chart_data(cv.net_zero_table(carbon, neighbourhood_id="N1"))
    assert set(d["series"]) == {"No action", "Retrofit", cv.TARGET_SERIES}
    assert len(d) == 3 * len(YEARS)
    at = d[d["year"] == 2029].set_index("series")["tco2e"]
    assert at.to_dict() == pytest.approx({"No action": 30.0, "Retrofit": 15.0,
                                          cv.TARGET_SERIES: 18.0})  # fmt: skip
    assert cv.trajectory_chart_data(pd.DataFrame()).empty


def test_cost_chart_and_cumulative_npv(carbon: CarbonResults) -> None:
    d = cv.cost_chart_data(carbon, pathway="retrofit")
    assert len(d) == 2 * len(cv.COST_COMPONENTS)
    by = d.set_index(["year", "component"])["gbp"]
    assert by[(2026, "Running cost")] == 300.0
    assert by[(2026, "Capital works (with optimism bias)")] == 2000.0
    assert by[(2027, "Capital works (with optimism bias)")] == 0.0
    n = cv.cumulative_npv(carbon, neighbourhood_id="N1")
    na = n[n["pathway"] == "No action"]
    # 2026: 110 + 210 = 320; 2027: A1 110 × 0.5 = 55 (A2 unknown, left out) → 375
    assert na["pv_gbp"].tolist() == [320.0, 55.0]
    assert na["cumulative_pv_gbp"].tolist() == [320.0, 375.0]
    assert cv.unknown_cost_assets(carbon) == ["A2"]
    assert cv.unknown_cost_assets(carbon, neighbourhood_id="N2") == []
    assert cv.cost_chart_data(carbon, neighbourhood_id="N2").empty


def test_carbon_map_marks_estimates_and_unknown(tiny_study: Study, carbon: CarbonResults) -> None:
    html = cv.carbon_map(tiny_study, carbon, tiles=None).get_root().render()
    assert "Hill Street Surgery (A1): 10.0 tCO2e a year" in html
    assert "20.0 tCO2e a year (estimate: benchmark TM46 × GIA)" in html
    assert "Town Hall (A3): unknown" in html
    assert "SYNTHETIC DATA" in html


# --- scenarios ------------------------------------------------------------------------------


def test_build_scenario_from_choices(tiny_study: Study) -> None:
    a = tiny_study.assets
    s = sv.build_scenario(" Hubs ", a, close=["A7"], hubs=["A4", "A1"], merge_into="A2",
                          merge_from=["A5"], repurpose={"A3": "community_centre"},
                          description="test")  # fmt: skip
    assert s.name == "Hubs"
    assert s.close == ("A7",)
    assert s.merge == ({"into": "A2", "from": ["A5"]},)
    # A4 (library) becomes a health centre; A1 is already a GP practice: no change of use
    assert s.repurpose == ({"id": "A3", "asset_type": "community_centre"},
                           {"id": "A4", "asset_type": "health_centre"})  # fmt: skip
    assert s.closed() == {"A5", "A7"}
    assert s.description == "test; hubs: A4, A1"
    new = sv.build_scenario("new", a, open_site={"id": "N-1", "name": "New", "x": 1.0, "y": 2,
                                                 "asset_type": "clinic", "owner_type": "vcse",
                                                 "gia_m2": 100})  # fmt: skip
    assert new.open == ({"id": "N-1", "name": "New", "x": 1.0, "y": 2.0, "asset_type": "clinic",
                         "owner_type": "vcse", "gia_m2": 100.0},)  # fmt: skip


NEW = {"id": "N", "name": "x", "x": 0, "y": 0, "asset_type": "clinic", "owner_type": "vcse"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": " ", "close": ["A1"]}, "give the scenario a name"),
        ({"close": ["ZZ"]}, "asset ids not in the study: ZZ"),
        ({"close": ["A1"], "hubs": ["A1"]}, "both closed and kept.*A1"),
        ({"merge_into": "A2"}, "a merge needs a host site"),
        ({"merge_from": ["A2"]}, "a merge needs a host site"),
        ({"repurpose": {"A3": "castle"}}, "unknown asset types castle"),
        ({"hubs": ["A1"]}, "changes nothing"),
        ({"open_site": {**NEW, "id": "A1"}}, "'A1' already exists"),
        ({"open_site": {**NEW, "x": "here"}}, "finite x and y"),
        ({"open_site": {"id": "N", "name": "x", "x": 0}}, "lacks asset_type, owner_type, y"),
    ],
)
def test_build_scenario_problems(tiny_study: Study, kwargs: dict[str, object], match: str) -> None:
    name = str(kwargs.pop("name", "s"))
    with pytest.raises(ConfigError, match=match):
        sv.build_scenario(name, tiny_study.assets, **kwargs)  # type: ignore[arg-type]


def test_toml_round_trip(tiny_study: Study, tmp_path: Path) -> None:
    s1 = sv.build_scenario("one", tiny_study.assets, close=["A1"], hubs=["A4"])
    s2 = sv.build_scenario("two", tiny_study.assets, merge_into="A2", merge_from=["A5", "A6"])
    text = sv.scenarios_to_toml([s1, s2])
    assert sv.scenarios_from_toml(text, assets=tiny_study.assets) == [s1, s2]
    assert sv.scenarios_from_toml(text.encode()) == [s1, s2]
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    assert sc.load_scenarios(tmp_path / "s.toml") == [s1, s2]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"[[scenario]\nname = 1", r"^up\.toml: not a valid TOML scenario file"),
        (b"x = 1", r"^up\.toml: no \[\[scenario\]\] tables"),
        (b'[[scenario]]\nname = "a"\nclose = "A1"', "close must be a list of asset ids"),
        (b'[[scenario]]\nname = "a"\nmerge = ["A1"]', "merge must be a list of tables"),
        (b'[[scenario]]\nname = "a"\nmerge = [{ into = "A1" }]', "each merge needs into"),
        (b'[[scenario]]\nname = "a"\nrepurpose = [{ asset_type = "clinic" }]', "needs id"),
        (b'[[scenario]]\nname = "a"\nopen = [{ x = "far" }]', "x and y must be numbers"),
        (b'[[scenario]]\nname = "a"\nshut = ["A1"]', "unknown keys"),
        (b"\xff\xfe[", "not a UTF-8 text file"),
        (b"#" * (sv.MAX_SCENARIO_BYTES + 1), "too large"),
    ],
)
def test_bad_scenario_files_give_clear_errors(data: bytes, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        sv.scenarios_from_toml(data, label="up.toml")


def test_scenario_file_checked_against_the_study(tiny_study: Study) -> None:
    text = '[[scenario]]\nname = "a"\nclose = ["A1", "NOPE"]\n'
    assert sv.scenarios_from_toml(text)[0].close == ("A1", "NOPE")  # no study: not checked
    with pytest.raises(
        ConfigError, match=r"^up\.toml: scenario 'a': 1 asset ids not in the study \(NOPE\)"
    ):
        sv.scenarios_from_toml(text, label="up.toml", assets=tiny_study.assets)


def test_scenario_summary_and_labels(tiny_study: Study) -> None:
    s = sv.build_scenario("s", tiny_study.assets, close=["A1"], merge_into="A2", merge_from=["A5"],
                          hubs=["A4"])  # fmt: skip
    t = sv.scenario_summary([s])
    assert t.iloc[0].to_dict() == {"scenario": "s", "closes": "A1;A5", "merges_into": "A2",
                                   "new_use": "A4→health_centre", "opens": "",
                                   "description": "hubs: A4"}  # fmt: skip
    labels = sv.asset_labels(tiny_study.assets)
    assert labels["A1"] == "Hill Street Surgery (A1)" and len(labels) == 8


def _comparison(name: str, base: list[float], value: list[float]) -> pd.DataFrame:
    t = pd.DataFrame({"baseline": base, name: value}, index=["sites", "npv_gbp"])
    t[f"change: {name}"] = t[name] - t["baseline"]
    t.index.name = "metric"
    return t


def test_combine_comparisons_matches_compare_layout() -> None:
    a = _comparison("a", [8.0, 100.0], [7.0, 90.0])
    b = _comparison("b", [8.0, 100.0], [9.0, 130.0])
    t = sv.combine_comparisons([a, b])
    assert list(t.columns) == ["baseline", "a", "b", "change: a", "change: b"]
    assert t.index.name == "metric" and list(t.index) == ["sites", "npv_gbp"]
    assert t["change: a"].tolist() == [-1.0, -10.0]
    assert t["change: b"].tolist() == [1.0, 30.0]
    assert sv.combine_comparisons([]).empty


def test_metric_labels_and_view() -> None:
    assert sv.metric_label("households_no_car_walk_share_within_20") == (
        "households no car: share within 20 minutes, walk (0–1)"
    )
    assert sv.metric_label("over_65_best_mean_min") == (
        "over 65: mean minutes to the nearest site, best mode"
    )
    assert sv.metric_label("npv_gbp") == "Net present cost, no action (£)"
    assert sv.metric_label("something_new") == "something new"
    v = sv.comparison_view(_comparison("a", [8.0, 100.0], [7.0, 90.0]))
    assert list(v.columns) == ["metric", "what", "baseline", "a", "change: a"]
    stored = v.drop(columns="what")
    assert list(sv.comparison_view(stored)["what"]) == [
        "Sites (count)",
        "Net present cost, no action (£)",
    ]


def _changes() -> pd.DataFrame:
    return pd.DataFrame({"zone_id": ["Z1", "Z2", "Z3", "Z4"],
                         "before_min": [10.0, 5.0, 8.0, 12.0],
                         "after_min": [15.0, 5.0, 6.0, np.nan]}).assign(
        change_min=lambda d: d["after_min"] - d["before_min"])  # fmt: skip


def test_zone_change_summary() -> None:
    s = sv.zone_change_summary(_changes())
    assert s == {"longer": 1.0, "shorter": 1.0, "lost": 1.0, "max_increase_min": 5.0,
                 "mean_change_min": 1.0}  # fmt: skip
    empty = sv.zone_change_summary(pd.DataFrame())
    assert empty["longer"] == 0.0 and math.isnan(empty["max_increase_min"])


def test_stored_zone_changes() -> None:
    z = pd.concat([_changes().assign(scenario="a"), _changes().iloc[:1].assign(scenario="b")])
    opts = OptionsResults(screening=pd.DataFrame(), options=pd.DataFrame(),
                          sensitivity=pd.DataFrame(), scenario_zones=z)  # fmt: skip
    out = sv.stored_zone_changes(opts)
    assert list(out) == ["a", "b"] and len(out["a"]) == 4 and "scenario" not in out["b"]
    assert sv.stored_zone_changes(None) == {}


def test_change_map_shades_zones_and_marks_sites(tiny_study: Study) -> None:
    s = sv.build_scenario("s", tiny_study.assets, close=["A1"], merge_into="A2", merge_from=["A5"],
                          open_site={"id": "N-1", "name": "New hub", "x": 530100.0,
                                     "y": 181200.0, "asset_type": "clinic",
                                     "owner_type": "nhs_trust"})  # fmt: skip
    html = sv.change_map(tiny_study, _changes(), scenario=s, tiles=None).get_root().render()
    assert "+5.0 min" in html and "-2.0 min" in html and "unknown" in html
    assert "Closes: Hill Street Surgery (A1)" in html
    assert "Closes: St Mary&#x27;s Church (A5)" in html
    assert "Takes in services: Demoborough General Hospital (A2)" in html
    assert "Opens: New hub (N-1)" in html
    assert "Change in minutes to the nearest site" in html
    # Z4 loses its site (darkest red); Z5 and Z6 have no row: unknown, grey
    assert html.count(f'"change": "{sv.LOST}"') == 1
    assert html.count('"change": "unknown"') == 2


def test_stored_scenarios_rebuilt_from_ranked_options(tiny_study: Study) -> None:
    ranked = pd.DataFrame(
        {
            "neighbourhood_id": ["N1", "N1", "N1", "N2"],
            "option_id": ["N1-baseline", "N1-hub-A4", "N1-hub-A3", "N2-hub-A2"],
            "origin": ["baseline", "generated", "generated", "generated"],
            "rank": [2, 1, 3, 1],
            "hubs": [np.nan, "A4", "A3", "A2"],
            "released": [np.nan, "A1;A5", "A1", np.nan],
            "label": ["keep", "library hub", "town hall hub", "hospital hub"],
        }
    )
    opts = OptionsResults(screening=pd.DataFrame(), options=ranked, sensitivity=pd.DataFrame())
    study = dataclasses.replace(tiny_study, options=opts)
    out = sv.stored_scenarios(study)
    assert list(out) == ["N1: N1-hub-A4", "N2: N2-hub-A2"]
    s = out["N1: N1-hub-A4"]
    assert s.close == ("A1", "A5")
    assert s.repurpose == ({"id": "A4", "asset_type": "health_centre"},)  # a library
    assert out["N2: N2-hub-A2"].repurpose == ()  # already a hospital
    assert sv.stored_scenarios(tiny_study) == {}

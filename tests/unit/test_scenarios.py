"""Scenarios on the demo: close, open, merge, re-purpose; recomputed metrics; TOML round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from estatesplan import pipeline
from estatesplan import scenarios as sc
from estatesplan.config import StudyConfig, load_config
from estatesplan.errors import ConfigError, DataContractError
from estatesplan.study import Study


@pytest.fixture(scope="module")
def demo() -> tuple[Study, StudyConfig]:
    study = pipeline.demo_study(seed=0)
    cfg = load_config(next(pipeline.cache_dir().glob("demo-seed0-*/demo.toml")))
    return study, cfg


def _gp_ids(study: Study) -> list[str]:
    a = study.assets
    return a.loc[a["asset_type"] == "gp_practice", "asset_id"].astype(str).tolist()


def test_closing_every_gp_practice_leaves_no_gp_access(demo: tuple[Study, StudyConfig]) -> None:
    study, cfg = demo
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        changed = sc.apply_scenario(study, sc.Scenario("no GPs", close=tuple(_gp_ids(study))), cfg)
    text = " ".join(str(w.message) for w in caught)
    assert "asset set 'gp_practices'" in text and "visits_set" in text
    assert len(changed.assets) == len(study.assets) - len(_gp_ids(study))
    assert "gp_practices" not in set(changed.access.zones["asset_set"])  # type: ignore[union-attr]


def test_close_one_practice_never_shortens_a_trip(demo: tuple[Study, StudyConfig]) -> None:
    study, cfg = demo
    changed = sc.apply_scenario(study, sc.Scenario("close one", close=(_gp_ids(study)[0],)), cfg)
    z = sc.zone_changes(study, changed, cfg)
    assert (z["change_min"].fillna(0) >= -1e-9).all()
    assert (z["change_min"] > 0).any()
    # buildings' emissions fall by exactly the closed site's
    before = study.carbon.settings["buildings_tco2e"]  # type: ignore[union-attr]
    after = changed.carbon.settings["buildings_tco2e"]  # type: ignore[union-attr]
    closed = study.carbon.assets.set_index("asset_id").loc[_gp_ids(study)[0], "tco2e"]  # type: ignore[union-attr]
    assert before - after == pytest.approx(closed)


def test_open_merge_repurpose_and_compare(demo: tuple[Study, StudyConfig], tmp_path: Path) -> None:
    study, cfg = demo
    zone = study.zones.iloc[0]
    opened = {"id": "NEW-1", "name": "New surgery", "x": float(zone["route_x"]),
              "y": float(zone["route_y"]), "asset_type": "gp_practice",
              "owner_type": "icb_primary_care", "gia_m2": 500.0}  # fmt: skip
    gps = _gp_ids(study)
    s1 = sc.Scenario("open", open=(opened,))
    s2 = sc.Scenario(
        "merge", merge=({"into": gps[0], "from": [gps[1]]},),
        repurpose=({"id": study.assets["asset_id"].iloc[-1], "asset_type": "health_centre"},),
    )  # fmt: skip
    table, studies = sc.compare_scenarios(study, [s1, s2], cfg)
    assert list(table.columns) == ["baseline", "open", "merge", "change: open", "change: merge"]
    assert table.loc["sites", "change: open"] == 1 and table.loc["sites", "change: merge"] == -1
    # a surgery on the first zone's routing point: the walk is only to the street and back
    z = sc.zone_changes(study, studies["open"], cfg).set_index("zone_id")
    assert z.loc[zone["zone_id"], "after_min"] < 3.0
    assert (z["change_min"].fillna(0) <= 1e-9).all()  # opening never lengthens a trip
    # the new site is routed by public transport too: never slower than walking to it
    after = studies["open"].matrices
    col = list(after["transit"].destination_ids).index("NEW-1")
    walk_new, transit_new = after["walk"].minutes[:, col], after["transit"].minutes[:, col]
    assert np.isfinite(transit_new).sum() >= np.isfinite(walk_new).sum() > 0
    both = np.isfinite(walk_new)
    assert (transit_new[both] <= walk_new[both]).all() and (transit_new[both] < walk_new[both] - 1).any()
    path = sc.save_scenarios([s1, s2], tmp_path / "s.toml")
    assert sc.load_scenarios(path) == [s1, s2]
    assert np.isfinite(table.loc["buildings_tco2e", "open"])


def test_scenarios_opening_sites_share_one_network_build_and_timetable(
    demo: tuple[Study, StudyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    from estatesplan import networks, study_transit

    study, cfg = demo
    calls = {"networks": 0, "timetable": 0}
    build, timetable = networks.networks_from_osm, study_transit.study_timetable

    def count_build(*args: object, **kwargs: object) -> object:
        calls["networks"] += 1
        return build(*args, **kwargs)  # type: ignore[arg-type]

    def count_timetable(*args: object, **kwargs: object) -> object:
        calls["timetable"] += 1
        return timetable(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(networks, "networks_from_osm", count_build)
    monkeypatch.setattr(study_transit, "study_timetable", count_timetable)
    zones = study.zones.iloc[:2]
    scenarios = [
        sc.Scenario(f"open {k}", open=({"id": f"NEW-{k}", "name": "n", "x": float(z["route_x"]),
                                         "y": float(z["route_y"]), "asset_type": "gp_practice",
                                         "owner_type": "icb_primary_care", "gia_m2": 400.0},))
        for k, (_, z) in enumerate(zones.iterrows())
    ]  # fmt: skip
    table, studies = sc.compare_scenarios(study, scenarios, cfg)
    assert list(table.columns)[:3] == ["baseline", "open 0", "open 1"]
    assert calls == {"networks": 1, "timetable": 1}  # once for four modes and two scenarios
    for k, (_, z) in enumerate(zones.iterrows()):
        m = studies[f"open {k}"].matrices["transit"]
        row = list(m.origin_ids).index(z["zone_id"])
        assert m.minutes[row, list(m.destination_ids).index(f"NEW-{k}")] < 3.0  # on its doorstep


def test_bad_scenarios(demo: tuple[Study, StudyConfig], tmp_path: Path) -> None:
    study, cfg = demo
    with pytest.raises(DataContractError, match=r"1 asset ids not in the study \(NOPE\)"):
        sc.apply_scenario(study, sc.Scenario("x", close=("NOPE",)), cfg)
    with pytest.raises(DataContractError, match="lacks asset_type, owner_type"):
        sc.apply_scenario(
            study, sc.Scenario("x", open=({"id": "N", "name": "n", "x": 0, "y": 0},)), cfg
        )
    with pytest.raises(ConfigError, match="unique"):
        sc.compare_scenarios(study, [sc.Scenario("a"), sc.Scenario("a")], cfg)
    (tmp_path / "bad.toml").write_text('[[scenario]]\nname = "a"\nflood = ["x"]\n')
    with pytest.raises(ConfigError, match=r"unknown keys \['flood'\]"):
        sc.load_scenarios(tmp_path / "bad.toml")
    with pytest.raises(ConfigError, match="not found"):
        sc.load_scenarios(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[[scenario]]\nname = "a"\nclose = "A1"\n', "close must be a list of asset ids"),
        ('[[scenario]]\nname = "a"\nmerge = ["x"]\n', "merge must be a list of tables"),
        ('[[scenario]]\nname = "a"\n[[scenario.merge]]\ninto = "A1"\nfrom = "A2"\n',
         'each merge needs into = "id" and from'),
        ('[[scenario]]\nname = "a"\nopen = [1]\n', "open must be a list of tables"),
        ('[[scenario]]\nname = "a"\n[[scenario.open]]\nid = "N"\nx = "east"\ny = 0\n',
         "an opened site.s x and y must be numbers"),
        ('[[scenario]]\nname = "a"\n[[scenario.repurpose]]\nid = 3\n', "each repurpose needs id"),
    ],
)  # fmt: skip
def test_malformed_scenario_files_are_named_not_type_errors(
    text: str, match: str, tmp_path: Path
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"s\.toml: scenario 'a': {match}"):
        sc.load_scenarios(path)


def test_check_scenario_lists_every_problem() -> None:
    s = sc.Scenario("x", close=("A1", "Z9"), open=({"id": "A1", "name": "n", "x": 0, "y": 0,
                    "asset_type": "hub", "owner_type": "nhs_trust"},))  # fmt: skip
    problems = sc.check_scenario(s, {"A1", "A2"})
    assert problems == [
        "scenario 'x': 1 asset ids not in the study (Z9)",
        "scenario 'x': opened site id 'A1' already exists; give a new id",
    ]
    assert sc.check_scenario(sc.Scenario("ok", close=("A2",)), {"A1", "A2"}) == []

"""Co-location options: hand-worked measures, ranking, sensitivity; the demo end to end."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from estatesplan import export, pipeline
from estatesplan.errors import ConfigError, DataContractError
from estatesplan.options import (
    Option,
    OptionContext,
    generate_options,
    measure_options,
    rank_options,
    weight_sensitivity,
)
from estatesplan.study import Study

NAN = float("nan")


def _ctx(**kw: object) -> OptionContext:
    """3 zones (one neighbourhood N1) × 4 sites: S1, S2 today's services; H1, H2 candidate hubs.

    Walking minutes (zones × [S1, S2, H1, H2]):
        Z1: 5, 20, 10, 30
        Z2: 25, 10, 5, 30
        Z3: 30, 30, 15, 4
    """
    walk = np.array([[5, 20, 10, 30], [25, 10, 5, 30], [30, 30, 15, 4]], dtype=float)
    assets = pd.DataFrame(
        {
            "asset_id": ["S1", "S2", "H1", "H2"],
            "condition": ["C", "B", "A", "B"],
            "available_m2": [0.0, 0.0, 300.0, 100.0],
            "neighbourhood_id": ["N1"] * 4,
        }
    )
    base: dict[str, object] = {
        "zone_ids": np.array(["Z1", "Z2", "Z3"], dtype=object),
        "zone_neighbourhood": np.array(["N1"] * 3, dtype=object),
        "weights": pd.DataFrame({"everyone": [100.0, 200.0, 100.0], "over_65": [10.0, 0, 30.0]}),
        "imd_decile": np.array([1.0, 5.0, 10.0]),
        "asset_ids": assets["asset_id"].to_numpy(dtype=object),
        "assets": assets,
        "minutes": {"walk": walk},
        "service": np.array([True, True, False, False]),
        "cohort_modes": {"everyone": ("walk",), "over_65": ("walk",)},
        "operational_t": {"S1": 40.0, "S2": 25.0},
        "m2_per_team": 150.0,
    }
    base.update(kw)
    return OptionContext(**base)  # type: ignore[arg-type]


H1 = Option("N1-hub-H1", "N1", ("H1",), moving=("S1", "S2"), released=("S1",))


def test_measures_worked_by_hand() -> None:
    m = measure_options([H1], _ctx()).set_index("option_id")
    base, opt = m.loc["N1-baseline"], m.loc["N1-hub-H1"]
    # today: nearest of S1, S2 = 5, 10, 30 → (100×5 + 200×10 + 100×30) / 400 = 13.75
    assert base["access_min"] == pytest.approx(13.75)
    # H1 added, S1 released: nearest of S2, H1 = 10, 5, 15 → (1000 + 1000 + 1500) / 400 = 8.75
    assert opt["access_min"] == pytest.approx(8.75)
    assert opt["share_within"] == pytest.approx(1.0) and base["share_within"] == pytest.approx(0.75)
    # over 65: (10×10 + 30×15) / 40 = 13.75
    assert opt["priority_min"] == pytest.approx(13.75)
    # equity gap Q1 (Z1) − Q5 (Z3): 10 − 15 = −5
    assert opt["equity_gap_min"] == pytest.approx(-5.0)
    assert opt["teams_colocated"] == 2 and opt["quality"] == pytest.approx(1.0)
    assert opt["capacity_fit"] == pytest.approx(300 / 300)  # 300 m² spare for 2 × 150 m²
    assert opt["carbon_t"] == pytest.approx(-40.0)  # S1's operational emissions avoided


def test_ranking_normalises_within_the_neighbourhood() -> None:
    pair = Option("N1-pair", "N1", ("H1", "H2"), moving=("S1", "S2"), released=("S1", "S2"))
    m = measure_options([H1, pair], _ctx())
    r = rank_options(m, {"access_min": 1.0})
    # access: baseline 13.75, H1 8.75, pair: nearest of H1, H2 = 10, 5, 4 → 6.0
    row = r.set_index("option_id")
    assert row.loc["N1-pair", "access_min"] == pytest.approx((1000 + 1000 + 400) / 400)
    assert row.loc["N1-pair", "score_access_min"] == 1.0
    assert row.loc["N1-baseline", "score_access_min"] == 0.0
    assert row.loc["N1-hub-H1", "score_access_min"] == pytest.approx((13.75 - 8.75) / (13.75 - 6.0))
    assert list(r["option_id"]) == ["N1-pair", "N1-hub-H1", "N1-baseline"]
    assert r["rank"].tolist() == [1, 2, 3]


def test_sensitivity_reports_stable_and_fragile_rankings() -> None:
    a = Option("N1-a", "N1", ("H1",))
    b = Option("N1-b", "N1", ("H2",))
    m = measure_options([a, b], _ctx())
    s = weight_sensitivity(m, {"access_min": 1.0}).set_index("neighbourhood_id")
    assert s.loc["N1", "stability"] == 1.0 and s.loc["N1", "perturbations"] == 2
    # access scores: baseline 0, a (13.75 − 7.5) / (13.75 − 7.25) = 0.9615, b 1; quality: a 1,
    # b 0. With quality at 0.04, a leads by 0.0015 × weight sum; quality −20 % hands b the lead
    w = {"access_min": 1.0, "quality": 0.04}
    tie = weight_sensitivity(m, w).set_index("neighbourhood_id")
    assert tie.loc["N1", "top_option"] == "N1-a"
    assert tie.loc["N1", "stability"] < 1.0 and tie.loc["N1", "challengers"] == "N1-b"


def test_generate_options_from_screening() -> None:
    screen = pd.DataFrame(
        {"asset_id": ["H1", "H2", "S1"], "neighbourhood_id": ["N1", "N1", "N1"],
         "status": ["pass", "pass", "fail"]}
    )  # fmt: skip
    opts = generate_options(screen, _ctx(), pairs=1)
    ids = [o.option_id for o in opts]
    assert ids == ["N1-hub-H1", "N1-hub-H2", "N1-pair-H1+H2"]
    one = opts[0]
    assert one.moving == ("S1", "S2") and one.released == ("S1",)  # S1 is condition C


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError, match="all zero"):
        rank_options(measure_options([H1], _ctx()), {"access_min": 0.0})
    with pytest.raises(ConfigError, match="unknown score weights"):
        rank_options(measure_options([H1], _ctx()), {"beauty": 1.0})
    with pytest.raises(ConfigError, match="must be >= 0"):
        rank_options(measure_options([H1], _ctx()), {"access_min": -1.0})
    with pytest.raises(DataContractError, match=r"1 unknown asset ids \(X9\)"):
        measure_options([Option("o", "N1", ("X9",))], _ctx())
    with pytest.raises(ConfigError, match="between 0 and 1"):
        weight_sensitivity(measure_options([H1], _ctx()), step=1.5)


@pytest.fixture(scope="module")
def demo() -> Study:
    return pipeline.demo_study(seed=0)


def test_demo_writes_options_for_every_neighbourhood(demo: Study, tmp_path: Path) -> None:
    r = demo.options
    assert r is not None
    assert set(r.options["neighbourhood_id"]) == set(demo.neighbourhoods["neighbourhood_id"])
    assert (r.options["origin"] == "baseline").sum() == len(demo.neighbourhoods)
    assert r.options["npv_gbp"].notna().any() and r.options["carbon_t"].notna().all()
    export.write_study(demo, tmp_path / "out")
    layer = gpd.read_file(tmp_path / "out" / "options.geojson")
    assert len(layer) == (r.options["origin"] != "baseline").sum()
    assert {"rank", "total", "hub_reasons"} <= set(layer.columns)
    doc = json.loads((tmp_path / "out" / "options.geojson").read_text())
    assert doc["estatesplan"]["synthetic"] is True
    back = export.read_study(tmp_path / "out")
    assert back.options is not None and len(back.options.options) == len(r.options)
    assert np.isfinite(back.options.sensitivity["stability"]).all()


def test_demo_optimiser_picks_the_best_single_hub(demo: Study) -> None:
    """p-median with k = 1 per neighbourhood equals a brute-force search over the candidates."""
    from estatesplan.contracts import HEALTH_ASSET_TYPES
    from estatesplan.study_access import _aligned

    assert demo.options is not None
    opt = demo.options.optimised.set_index("area")
    assert set(opt.index) == set(demo.neighbourhoods["neighbourhood_id"])
    assert (opt["method"] == "exact").all() and (opt["gap"] <= 1e-9).all()
    walk = _aligned(demo.matrices["walk"], demo.zones, demo.assets)
    scr = demo.options.screening
    ids = list(demo.assets["asset_id"].astype(str))
    a = demo.assets
    health = (a["asset_type"].isin(HEALTH_ASSET_TYPES) & a["in_area"].astype(bool)).to_numpy()
    w = demo.cohort_weights["everyone"].to_numpy()
    for nbh, row in opt.iterrows():
        zones = (demo.zones["neighbourhood_id"] == nbh).to_numpy()
        cands = list(scr[(scr["status"] == "pass") & (scr["neighbourhood_id"] == nbh)]["asset_id"])
        # the model's columns: candidates and today's service sites in the neighbourhood;
        # unreachable pairs cost twice the longest finite time among them (as documented)
        cols = [ids.index(x) for x in cands] + list(
            np.flatnonzero(health & (a["neighbourhood_id"] == nbh).to_numpy())
        )
        penalty = 2 * np.nanmax(walk[np.ix_(zones, cols)])
        totals = {}
        for x in cands:
            t = walk[zones, ids.index(x)]
            totals[x] = float((w[zones] * np.where(np.isfinite(t), t, penalty)).sum())
        assert row["hubs"] == min(totals, key=totals.__getitem__), nbh
        assert row["objective_value"] == pytest.approx(min(totals.values()), rel=1e-6)

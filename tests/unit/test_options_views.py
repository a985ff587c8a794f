"""Co-location views (re-rank, compare, sensitivity, optimiser for one neighbourhood) and
their map layers, on tiny hand-made data with hand-checked values.

The context: 3 zones of neighbourhood N1 × 4 sites. S1 and S2 are today's service
sites; H1 and H2 are candidate hubs. Walking minutes (zones × [S1, S2, H1, H2]):

    Z1:  5, 20, 10, 30      people 100, IMD decile 1 (quintile 1)
    Z2: 25, 10,  5, 30      people 200, decile 5 (quintile 3)
    Z3: 30, 30, 15,  4      people 100, decile 10 (quintile 5)
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from estatesplan import contracts as c
from estatesplan import maps_options as mo
from estatesplan import optimise
from estatesplan import options_views as ov
from estatesplan.errors import ConfigError, CrsError, DataContractError, InfeasibleError
from estatesplan.options import (
    MEASURES,
    Option,
    OptionContext,
    measure_options,
    rank_options,
    weight_sensitivity,
)
from estatesplan.study import SourceRecord, Study
from estatesplan.travel_times import TravelTimeMatrix

NAN = float("nan")
WALK = np.array([[5, 20, 10, 30], [25, 10, 5, 30], [30, 30, 15, 4]], dtype=float)
X0, Y0 = 530_000.0, 181_000.0


def _ctx() -> OptionContext:
    assets = pd.DataFrame(
        {
            "asset_id": ["S1", "S2", "H1", "H2"],
            "name": ["Surgery One", "Surgery Two", "Library", "Church"],
            "condition": ["C", "B", "A", "B"],
            "available_m2": [0.0, 0.0, 300.0, 100.0],
            "neighbourhood_id": ["N1"] * 4,
        }
    )
    return OptionContext(
        zone_ids=np.array(["Z1", "Z2", "Z3"], dtype=object),
        zone_neighbourhood=np.array(["N1"] * 3, dtype=object),
        weights=pd.DataFrame({"everyone": [100.0, 200.0, 100.0], "over_65": [10.0, 0, 30.0]}),
        imd_decile=np.array([1.0, 5.0, 10.0]),
        asset_ids=assets["asset_id"].to_numpy(dtype=object),
        assets=assets,
        minutes={"walk": WALK},
        service=np.array([True, True, False, False]),
        cohort_modes={"everyone": ("walk",), "over_65": ("walk",)},
        operational_t={"S1": 40.0, "S2": 25.0},
    )


def _screening(h2: str = "pass") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "asset_id": ["S1", "S2", "H1", "H2", "X9"],
            "name": ["Surgery One", "Surgery Two", "Library", "Church", "Elsewhere"],
            "neighbourhood_id": ["N1", "N1", "N1", "N1", None],
            "asset_type": ["gp_practice", "gp_practice", "library", "place_of_worship", "school"],
            "owner_type": ["icb_primary_care"] * 2 + ["local_authority", "faith", "education"],
            "status": ["fail", "fail", "pass", h2, "pass"],
            "reasons": ["condition C (needs A/B)", "not step-free", "condition A", "condition B",
                        "outside"],
        }
    )  # fmt: skip


A = Option("N1-a", "N1", ("H1",), moving=("S1",), released=("S1",), label="H1 as hub")
B = Option("N1-b", "N1", ("H2",), label="H2 as hub")


def _ranked(weights: dict[str, float] | None = None) -> pd.DataFrame:
    return rank_options(measure_options([A, B], _ctx()), weights)


# --- tables -----------------------------------------------------------------------------------


def test_split_ids_and_labels() -> None:
    assert ov.split_ids("A;B") == ("A", "B")
    assert ov.split_ids(NAN) == () and ov.split_ids("") == () and ov.split_ids(None) == ()
    options = pd.DataFrame({"neighbourhood_id": ["N2", "N1", "N1"]})
    nbh = pd.DataFrame({"neighbourhood_id": ["N1", "N2"], "name": ["North", None]})
    assert ov.neighbourhood_labels(options, nbh) == {"N1": "N1: North", "N2": "N2"}
    assert ov.neighbourhood_labels(options) == {"N1": "N1", "N2": "N2"}


def test_screening_table_orders_passes_first() -> None:
    table = mo.screening_table(_screening(h2="unknown"), "N1")
    assert table["asset_id"].tolist() == ["H1", "H2", "S1", "S2"]  # pass, unknown, fail, fail
    assert table.columns.tolist() == ["asset_id", "name", "asset_type", "owner_type", "status",
                                      "reasons"]  # fmt: skip
    assert mo.screening_counts(table) == {"pass": 1, "unknown": 1, "fail": 2}
    assert mo.screening_counts(mo.screening_table(_screening(), "N9")) == {
        "pass": 0, "unknown": 0, "fail": 0}  # fmt: skip


def test_option_measures_round_trip_through_rank_options() -> None:
    ranked = _ranked()
    stored = ranked.assign(hubs=ranked["hubs"].replace("", np.nan))  # as read back from CSV
    measures = ov.option_measures(stored, "N1")
    assert not any(col.startswith("score_") or col in ("total", "rank") for col in measures)
    assert measures.loc[measures["option_id"] == "N1-baseline", "hubs"].item() == ""
    again = rank_options(measures, None)
    pd.testing.assert_frame_equal(again, ranked, check_dtype=False)
    # a measure not stored is unknown (NaN), not zero
    partial = ov.option_measures(stored.drop(columns=["npv_gbp"]), None)
    assert partial["npv_gbp"].isna().all()


def test_option_measures_bad_inputs() -> None:
    with pytest.raises(DataContractError, match="no co-location options for neighbourhood 'N9'"):
        ov.option_measures(_ranked(), "N9")
    with pytest.raises(DataContractError, match="lacks option_id"):
        ov.option_measures(pd.DataFrame({"neighbourhood_id": ["N1"]}))


def test_sensitivity_by_hand_and_as_the_core() -> None:
    # access scores: baseline 0, a (13.75 − 8.75) / (13.75 − 7.25) = 0.769…, b 1; see below
    m = ov.option_measures(measure_options([A, B], _ctx()), "N1")
    weights = {"access_min": 1.0, "quality": 0.04}
    summary, by_weight = ov.sensitivity(m, weights)
    pd.testing.assert_frame_equal(summary, weight_sensitivity(m, weights), check_dtype=False)
    # a: H1 added, S1 released → 10, 5, 15 → 8.75; b: H2 added → 5, 10, 4 → 7.25
    # quality: a 1 (A), b 2/3 (B) → scores a 1, b 0. Totals a = (0.769 + 0.04) / 1.04 = 0.778,
    # b = 1 / 1.04 = 0.962: b leads, and keeps the lead under every ±20 % move
    assert summary["top_option"].item() == "N1-b"
    assert summary["stability"].item() == 1.0 and summary["perturbations"].item() == 4
    assert by_weight["measure"].tolist() == ["access_min", "quality"]
    assert not by_weight["changes"].any()
    # a close call: quality at 0.3 → a = (0.769 + 0.3) / 1.3 = 0.822, b = 1 / 1.3 = 0.769;
    # access +20 %: a = (0.923 + 0.3) / 1.5 = 0.815, b = 1.2 / 1.5 = 0.8 (a holds);
    # quality −20 % (0.24): a = (0.769 + 0.24) / 1.24 = 0.814, b = 0.806 (a holds)
    close = {"access_min": 1.0, "quality": 0.3}
    summary, by_weight = ov.sensitivity(m, close)
    pd.testing.assert_frame_equal(summary, weight_sensitivity(m, close), check_dtype=False)
    assert summary["top_option"].item() == "N1-a" and summary["stability"].item() == 1.0
    # quality at 0.25: a = (0.769 + 0.25) / 1.25 = 0.815, b = 0.8; quality −20 % (0.2):
    # a = 0.969 / 1.2 = 0.808, b = 0.833 → b; access +20 %: a = 1.173 / 1.45 = 0.809, b = 0.828 → b
    tie = {"access_min": 1.0, "quality": 0.25}
    summary, by_weight = ov.sensitivity(m, tie)
    pd.testing.assert_frame_equal(summary, weight_sensitivity(m, tie), check_dtype=False)
    rows = by_weight.set_index("measure")
    assert (
        rows.loc["access_min", "top_minus"] == "N1-a"
        and rows.loc["access_min", "top_plus"] == "N1-b"
    )
    assert rows.loc["quality", "top_minus"] == "N1-b" and rows.loc["quality", "top_plus"] == "N1-a"
    assert summary["stability"].item() == 0.5 and summary["challengers"].item() == "N1-b"


def test_sensitivity_bad_inputs() -> None:
    m = ov.option_measures(measure_options([A, B], _ctx()), "N1")
    with pytest.raises(ConfigError, match="score weights are all zero"):
        ov.sensitivity(m, dict.fromkeys(MEASURES, 0.0))
    with pytest.raises(ConfigError, match="between 0 and 1"):
        ov.sensitivity(m, {"access_min": 1.0}, step=1.5)
    two = pd.concat([m, m.assign(neighbourhood_id="N2")], ignore_index=True)
    with pytest.raises(DataContractError, match="one neighbourhood"):
        ov.sensitivity(two, {"access_min": 1.0})


def test_comparison_table_puts_options_side_by_side() -> None:
    ranked = _ranked({"access_min": 1.0})
    table = ov.comparison_table(ranked, ["N1-b", "N1-a"])
    assert table.columns.tolist() == ["measure", "unit", "better", "N1-b", "N1-b score",
                                      "N1-a", "N1-a score"]  # fmt: skip
    assert len(table) == len(MEASURES) + 2
    access = table.iloc[0]
    assert access["measure"] == "Residents' mean travel time" and access["better"] == "lower"
    assert access["N1-a"] == pytest.approx(8.75) and access["N1-b"] == pytest.approx(7.25)
    assert access["N1-b score"] == 1.0
    assert access["N1-a score"] == pytest.approx((13.75 - 8.75) / (13.75 - 7.25))
    total, rank = table.iloc[-2], table.iloc[-1]
    assert total["N1-b"] == total["N1-b score"] == 1.0
    assert rank["N1-b"] == 1.0 and rank["N1-a"] == 2.0 and np.isnan(rank["N1-a score"])
    npv = table.set_index("measure").loc["Net present cost"]
    assert np.isnan(npv["N1-a"]) and np.isnan(npv["N1-a score"])  # no cost model: unknown


def test_comparison_table_bad_inputs() -> None:
    with pytest.raises(DataContractError, match="N1-z are not among the ranked options"):
        ov.comparison_table(_ranked(), ["N1-a", "N1-z"])
    with pytest.raises(DataContractError, match="repeated"):
        ov.comparison_table(_ranked(), ["N1-a", "N1-a"])


# --- optimiser --------------------------------------------------------------------------------


def test_optimiser_inputs_as_the_study_sets_them() -> None:
    inputs = ov.optimiser_inputs(_ctx(), _screening(), "N1")
    assert inputs.site_ids.tolist() == ["S1", "S2", "H1", "H2"]
    assert inputs.candidates == (2, 3) and inputs.forbidden == (0, 1) and inputs.today == (0, 1)
    np.testing.assert_array_equal(inputs.cost, WALK)
    assert inputs.demand.tolist() == [100.0, 200.0, 100.0]
    assert inputs.quintile.tolist() == [1.0, 3.0, 5.0]
    unknown = ov.optimiser_inputs(_ctx(), _screening(h2="unknown"), "N1")
    assert unknown.candidates == (2,)
    assert ov.optimiser_inputs(_ctx(), _screening(h2="unknown"), "N1",
                               include_unknown=True).candidates == (2, 3)  # fmt: skip


def test_p_median_by_hand() -> None:
    inputs = ov.optimiser_inputs(_ctx(), _screening(), "N1")
    run = ov.run_optimiser(inputs, objective="p_median", k=1)
    # H1: 100×10 + 200×5 + 100×15 = 3,500; H2: 3,000 + 6,000 + 400 = 9,400
    assert run.hubs == ("H1",) and run.hub_names == ("Library",)
    assert run.solution.objective == pytest.approx(3500.0)
    assert run.solution.mean_minutes == pytest.approx(8.75)
    assert run.solution.method == "exact" and run.solution.gap == pytest.approx(0.0)
    direct = optimise.p_median(WALK, [100, 200, 100], 1, forbidden=[0, 1])
    assert direct.open.tolist() == [2]
    # today (S1, S2): 500 + 2,000 + 3,000 = 5,500 → 13.75 min
    assert run.today is not None and run.today.mean_minutes == pytest.approx(13.75)
    assert run.assignment["site"].tolist() == ["H1"] * 3
    assert run.assignment["minutes"].tolist() == [10.0, 5.0, 15.0]
    hubs = run.hubs_table()
    assert hubs.to_dict(orient="records") == [
        {"asset_id": "H1", "name": "Library", "zones": 3, "demand": 400.0}
    ]
    summary = run.summary().set_index("item")["value"]
    assert summary["Objective (person-minutes)"] == "3,500.0"
    assert summary["Mean minutes today"] == "13.8"
    two = ov.run_optimiser(inputs, objective="p_median", k=2)
    assert two.hubs == ("H1", "H2") and two.solution.objective == pytest.approx(2400.0)


def test_covering_by_hand() -> None:
    inputs = ov.optimiser_inputs(_ctx(), _screening(), "N1")
    mc = ov.run_optimiser(inputs, objective="max_covering", k=1, threshold_min=10.0)
    # within 10 min: H1 covers Z1 and Z2 (300 people), H2 only Z3 (100)
    assert mc.hubs == ("H1",) and mc.solution.covered_share == pytest.approx(0.75)
    assert mc.assignment["catchment"].tolist() == ["H1", "H1", "not covered"]
    assert mc.k == 1 and mc.threshold_min == 10.0
    sc = ov.run_optimiser(inputs, objective="set_covering", threshold_min=10.0)
    assert sc.hubs == ("H1", "H2") and sc.solution.objective == 2.0 and sc.k is None
    assert "Share covered" in sc.summary()["item"].tolist()


def test_optimiser_infeasible_and_bad_requests() -> None:
    inputs = ov.optimiser_inputs(_ctx(), _screening(), "N1")
    with pytest.raises(InfeasibleError, match="k = 3 sites asked for but only 2 candidates"):
        ov.run_optimiser(inputs, k=3)
    # equity: Z1 (quintile 1) has 5 min to S1 today; the hubs give it 10 at best
    with pytest.raises(InfeasibleError, match="equity group 'IMD quintile 1'"):
        ov.run_optimiser(inputs, k=2, equity=True)
    with pytest.raises(InfeasibleError, match="cannot be reached by any allowed site within 3 min"):
        ov.run_optimiser(inputs, objective="set_covering", threshold_min=3.0)
    with pytest.raises(ConfigError, match="unknown objective 'median'"):
        ov.run_optimiser(inputs, objective="median")
    failing = _screening().assign(status="fail")
    with pytest.raises(InfeasibleError, match="no hub can be chosen in N1: 3 zones and 0"):
        ov.optimiser_inputs(_ctx(), failing, "N1")
    with pytest.raises(ConfigError, match="unknown cohort 'under_5'"):
        ov.optimiser_inputs(_ctx(), _screening(), "N1", cohort="under_5")
    with pytest.raises(ConfigError, match="no drive travel times"):
        ov.optimiser_inputs(_ctx(), _screening(), "N1", mode="drive")


def test_equity_needs_sites_today() -> None:
    ctx = _ctx()
    none_today = dataclasses.replace(ctx, service=np.zeros(4, dtype=bool))
    inputs = ov.optimiser_inputs(none_today, _screening(), "N1")
    assert inputs.today == () and inputs.site_ids.tolist() == ["H1", "H2"]
    with pytest.raises(ConfigError, match="has none in the service set"):
        ov.run_optimiser(inputs, equity=True)
    assert ov.run_optimiser(inputs).today is None


# --- catchments and map layers ----------------------------------------------------------------


def test_option_network_and_catchments_by_hand() -> None:
    ids = ["S1", "S2", "H1", "H2"]
    network = mo.option_network([True, True, False, False], ids, hubs=["H2"])
    assert network.tolist() == [True, True, False, True]
    table = mo.option_catchments(WALK, ["Z1", "Z2", "Z3"], ids, network, hubs=["H2"])
    # Z1 → S1 (5), Z2 → S2 (10), Z3 → H2 (4)
    assert table["site"].tolist() == ["S1", "S2", "H2"]
    assert table["minutes"].tolist() == [5.0, 10.0, 4.0]
    assert table["catchment"].tolist() == ["other site", "other site", "H2"]
    released = mo.option_network([True, True, False, False], ids, hubs=["H1"], released=["S1"])
    assert released.tolist() == [False, True, True, False]
    walk = WALK.copy()
    walk[2, :] = NAN  # Z3 reaches nothing
    walk[0, 2] = 20.0  # Z1: S2 and H1 tie at 20 → the first in asset order
    table = mo.option_catchments(walk, ["Z1", "Z2", "Z3"], ids, released, hubs=["H1"],
                                 zones=[True, False, True])  # fmt: skip
    assert table["zone_id"].tolist() == ["Z1", "Z3"]
    assert table["site"].iloc[0] == "S2" and pd.isna(table["site"].iloc[1])
    assert table["catchment"].tolist() == ["other site", "unreachable"]
    assert np.isnan(table["minutes"].iloc[1])


def test_catchment_bad_inputs() -> None:
    with pytest.raises(DataContractError, match="hub sites H9 are not in the asset register"):
        mo.option_network([True, False], ["S1", "H1"], hubs=["H9"])
    with pytest.raises(DataContractError, match="one per asset"):
        mo.option_network([True], ["S1", "H1"], hubs=[])
    with pytest.raises(DataContractError, match="must be zones"):
        mo.option_catchments(WALK, ["Z1"], ["S1"], [True])


def _study(*, synthetic: bool = True) -> Study:
    zones = gpd.GeoDataFrame(
        {c.ZONE_ID: ["Z1", "Z2", "Z3"], c.NEIGHBOURHOOD_ID: ["N1"] * 3},
        geometry=[box(X0 + i * 500, Y0, X0 + (i + 1) * 500, Y0 + 500) for i in range(3)],
        crs=c.ANALYSIS_CRS,
    )
    assets = gpd.GeoDataFrame(
        {c.ASSET_ID: ["S1", "S2", "H1", "H2"], c.NAME: ["Surgery One", "Surgery Two",
                                                       "Library", "Church"]},
        geometry=[Point(X0 + 100 + 400 * i, Y0 + 250) for i in range(4)],
        crs=c.ANALYSIS_CRS,
    )  # fmt: skip
    nbh = gpd.GeoDataFrame({c.NEIGHBOURHOOD_ID: ["N1"], c.NAME: ["Riverside"]},
                           geometry=[box(X0, Y0, X0 + 1500, Y0 + 500)], crs=c.ANALYSIS_CRS)  # fmt: skip
    # the matrix's columns in another order than the assets: zone_minutes realigns them
    matrix = TravelTimeMatrix(
        mode="walk", origin_ids=np.array(["Z3", "Z1", "Z2"], dtype=object),
        destination_ids=np.array(["H2", "H1", "S2", "S1"], dtype=object),
        minutes=WALK[[2, 0, 1]][:, ::-1].astype(np.float32), cutoff_min=60.0,
    )  # fmt: skip
    return Study(name="Riverside", assets=assets, zones=zones, neighbourhoods=nbh, cohorts={},
                 cohort_weights=pd.DataFrame(index=zones.index), synthetic=synthetic,
                 sources=(SourceRecord("OSM", "", "OpenStreetMap", "ODbL 1.0"),),
                 matrices={"walk": matrix})  # fmt: skip


def test_zone_minutes_aligns_the_stored_matrix() -> None:
    study = _study()
    np.testing.assert_array_equal(mo.zone_minutes(study, "walk"), WALK)
    with pytest.raises(ConfigError, match="no cycle travel-time matrix in Riverside"):
        mo.zone_minutes(study, "cycle")


def test_layers_and_map_of_a_neighbourhood() -> None:
    study = _study()
    screening = mo.screening_table(_screening(h2="unknown"), "N1")
    catch = mo.option_catchments(WALK, ["Z1", "Z2", "Z3"], ["S1", "S2", "H1", "H2"],
                                 [True, True, False, True], hubs=["H2"])  # fmt: skip
    colours = mo.catchment_colours(["H2"])
    assert colours["H2"] == mo.CATCHMENT_PALETTE[0]
    assert colours["other site"] == mo.OTHER_SITE_COLOUR
    layers = [
        mo.screening_layer(study.assets, screening),
        mo.catchment_layer(study.zones, catch, colours=colours),
        mo.hub_layer(study.assets, ["H2"], colours=colours, released=["S1"]),
    ]
    html = mo.colocation_map(study, "N1", layers, tiles=None).get_root().render()
    for colour in (
        mo.STATUS_COLOURS["pass"],
        mo.STATUS_COLOURS["unknown"],
        mo.STATUS_COLOURS["fail"],
        mo.CATCHMENT_PALETTE[0],
        mo.OTHER_SITE_COLOUR,
    ):
        assert colour in html  # fmt: skip
    assert "Library (pass)" in html and "condition A" in html  # tooltip and reasons
    assert "hub: Church (H2)" in html and "released: Surgery One (S1)" in html
    assert "SYNTHETIC DATA" in html and "OpenStreetMap contributors" in html
    assert "Riverside" in html
    real = mo.colocation_map(_study(synthetic=False), "N1", tiles=None).get_root().render()
    assert "SYNTHETIC DATA" not in real


def test_map_bad_inputs() -> None:
    study = _study()
    with pytest.raises(ConfigError, match="neighbourhood 'N9' is not in Riverside"):
        mo.colocation_map(study, "N9")
    no_crs = gpd.GeoDataFrame(study.assets.drop(columns="geometry"),
                              geometry=list(study.assets.geometry))  # fmt: skip
    with pytest.raises(CrsError, match="no CRS"):
        mo.screening_layer(no_crs, mo.screening_table(_screening(), "N1"))

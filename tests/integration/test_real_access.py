"""Access on the real Camden pack, end to end through the pipeline.

Checked against published figures: Census 2021 TS007A gives Camden 210,104 usual residents,
24,820 of them aged 65 or over; DfT journey time statistics report nearly all urban residents
within a 20-minute walk of a GP, which the walk matrix must reproduce.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from estatesplan import pipeline
from estatesplan.study import Study

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.data, pytest.mark.integration]


@pytest.fixture(scope="module")
def camden(shared_data: Path) -> Study:
    import warnings

    from estatesplan.errors import DataQualityWarning

    with warnings.catch_warnings():
        # ~80 practices in the 2 km margin lie beyond the pack's street extract (flagged NaN)
        warnings.filterwarnings("ignore", ".*further than 500 m", DataQualityWarning)
        # carbon: the pack has no car-availability table (TS045) and no metered energy
        warnings.filterwarnings("ignore", ".*no car-availability table", DataQualityWarning)
        warnings.filterwarnings("ignore", ".*no metered energy and no GIA", DataQualityWarning)
        warnings.filterwarnings("ignore", "GIA from OSM buildings", DataQualityWarning)
        return pipeline.run_study(REPO / "examples" / "camden.toml")


def _row(study: Study, cohort: str, mode: str) -> dict[str, float]:
    assert study.access is not None
    t = study.access.cohorts
    hit = t[(t["cohort"] == cohort) & (t["mode"] == mode) & (t["asset_set"] == "gp_practices")]
    assert len(hit) == 1
    return dict(hit.iloc[0])


def test_cohort_sizes_match_the_census(camden: Study) -> None:
    assert _row(camden, "everyone", "walk")["people"] == 210_104
    assert _row(camden, "over_65", "walk")["people"] == 24_820


def test_nearly_everyone_within_a_20_minute_walk_of_a_gp(camden: Study) -> None:
    walk = _row(camden, "everyone", "walk")
    assert walk["share_within_20"] >= 0.95
    assert walk["unreachable"] == 0
    assert 3 <= walk["mean_min"] <= 12  # a dense inner-London borough
    best = _row(camden, "everyone", "best")
    assert best["mean_min"] <= walk["mean_min"]


def test_camden_says_public_transport_is_not_measured_without_a_feed(camden: Study) -> None:
    from estatesplan.study_transit import NO_FEED, transit_sentence

    assert camden.access is not None
    status = camden.access.settings["transit"]  # the pack has no London GTFS feed
    assert status == {"status": "not computed", "why": NO_FEED}
    assert "transit" not in camden.matrices
    assert transit_sentence(status).startswith("Public transport is not measured")


def test_equity_and_left_behind_are_reported(camden: Study) -> None:
    assert camden.access is not None
    e = camden.access.equity
    row = e[(e["cohort"] == "everyone") & (e["mode"] == "walk")
            & (e["asset_set"] == "gp_practices") & (e["measure"] == "nearest_min")]  # fmt: skip
    assert len(row) == 1 and row["weight"].iloc[0] == pytest.approx(210_104)
    lb = camden.access.left_behind
    assert not lb.empty and lb["why"].str.contains("min on foot").all()
    n = camden.access.neighbourhoods
    assert set(n["neighbourhood_id"]) == set(camden.zones["neighbourhood_id"].astype(str))
    assert camden.carbon is not None
    c = camden.carbon.assets
    # the pack has no metered energy: every known figure is a labelled estimate (TM46 × GIA,
    # the GIA itself from OSM building outlines)
    assert (
        c["energy_estimated"].sum() >= 400
        and not (c["tco2e"].notna() & ~c["energy_estimated"]).any()
    )
    gp = c[(c["asset_type"] == "gp_practice") & c["in_area"].astype(bool) & c["tco2e"].notna()]
    assert len(gp) >= 25 and gp["energy_basis"].str.contains("GIA estimate: OSM building").all()
    assert set(camden.access.surfaces) == {
        f"surface_{m}_gp_practices" for m in ("walk", "cycle", "drive")
    }

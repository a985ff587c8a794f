"""Equity measures on Camden's real IMD 2025 and Census 2021 population, read in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estatesplan import equity as eq
from estatesplan.sources import imd, ons

pytestmark = [pytest.mark.data, pytest.mark.integration]

CAMDEN_RESIDENTS = 210_104  # Census 2021 usual residents (pack README)


@pytest.fixture(scope="module")
def camden(camden_dir: Path) -> pd.DataFrame:
    """One row per Camden LSOA 2021: IMD decile, rank and score and usual residents (raw CSVs)."""
    deprivation = pd.read_csv(camden_dir / "camden_imd2025_lsoa21.csv")
    people = pd.read_csv(camden_dir / "camden_census2021_ts007a_age_5yr_bands_lsoa21.csv")
    frame = deprivation[["lsoa21_code", "IMD_decile", "IMD_rank", "IMD_score"]].merge(
        people[["geography code", "Age: Total"]],
        left_on="lsoa21_code",
        right_on="geography code",
        validate="1:1",
    )
    assert len(frame) == 130
    assert frame["Age: Total"].sum() == CAMDEN_RESIDENTS
    return frame


def test_quintile_weights_equal_population_per_quintile(camden: pd.DataFrame) -> None:
    direct = (
        camden.assign(quintile=(camden["IMD_decile"] + 1) // 2)
        .groupby("quintile")["Age: Total"]
        .agg(["sum", "size"])
        .reindex(range(1, 6), fill_value=0)
    )
    out = eq.quintile_summary(camden["IMD_score"], camden["Age: Total"], camden["IMD_decile"])
    np.testing.assert_array_equal(out["weight"].to_numpy(), direct["sum"].to_numpy())
    np.testing.assert_array_equal(out["zones"].to_numpy(), direct["size"].to_numpy())
    assert out["weight"].sum() == CAMDEN_RESIDENTS
    # IMD score falls from the most to the least deprived fifth
    assert out["mean"].is_monotonic_decreasing


def test_sii_of_imd_score_has_the_expected_sign(camden: pd.DataFrame) -> None:
    # the score is higher where more deprived, so from the most deprived end (ridit 0) to the
    # least deprived end (ridit 1) it falls: SII < 0, like minutes that are longer where deprived
    score, people = camden["IMD_score"], camden["Age: Total"]
    by_rank = eq.slope_index(score, people, camden["IMD_rank"])
    by_decile = eq.slope_index(score, people, camden["IMD_decile"])
    for s in (by_rank, by_decile):
        assert -60 < s["sii"] < -10  # Camden scores run from about 4 to 52
        assert s["rii"] < 0
        assert s["worse_in_deprived"] is True
        assert s["fitted_most_deprived"] > s["mean"] > s["fitted_least_deprived"]
    assert eq.concentration_index(score, people, camden["IMD_rank"]) < 0
    gap = eq.quintile_gap(score, people, camden["IMD_decile"])
    assert gap["gap"] > 0
    assert gap["worse_in_deprived"] is True


def test_decile_sii_equals_fingertips_decile_regression(camden: pd.DataFrame) -> None:
    # Fingertips / phe_sii: one row per decile; y*sqrt(a) regressed on sqrt(a), b*sqrt(a)
    g = (
        camden.assign(wy=camden["IMD_score"] * camden["Age: Total"])
        .groupby("IMD_decile")[["Age: Total", "wy"]]
        .sum()
    )
    a = (g["Age: Total"] / g["Age: Total"].sum()).to_numpy()
    b = np.cumsum(a) - a / 2
    y = (g["wy"] / g["Age: Total"]).to_numpy()
    coef = np.linalg.lstsq(np.column_stack([np.sqrt(a), b * np.sqrt(a)]), y * np.sqrt(a))[0]
    s = eq.slope_index(camden["IMD_score"], camden["Age: Total"], camden["IMD_decile"])
    assert s["sii"] == pytest.approx(coef[1], rel=1e-9)
    assert s["fitted_most_deprived"] == pytest.approx(coef[0], rel=1e-9)


def test_project_loaders_give_the_same_measures(camden_dir: Path, camden: pd.DataFrame) -> None:
    # the study's loaders (Int64 deciles, zone_id index) feed the same numbers
    dep = imd.load_imd2025(camden_dir / "camden_imd2025_lsoa21.csv")
    people = ons.load_ts007a_age(camden_dir / "camden_census2021_ts007a_age_5yr_bands_lsoa21.csv")
    zones = dep.join(people["population"], how="inner")
    table = eq.equity_table(
        {"imd_score": zones["imd_score"]},
        zones["population"],
        zones["imd_decile"],
        zones["imd_rank"],
    )
    direct = eq.slope_index(camden["IMD_score"], camden["Age: Total"], camden["IMD_rank"])
    assert table.at["imd_score", "weight"] == CAMDEN_RESIDENTS
    assert table.at["imd_score", "sii"] == pytest.approx(direct["sii"], rel=1e-12)
    assert table.at["imd_score", "rank_basis"] == "imd_rank"

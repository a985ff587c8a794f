"""The packaged factor table equals the official files of the real-data pack, read in place."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from estatesplan import carbon

pytestmark = [pytest.mark.data, pytest.mark.integration]

FLAT = "desnz_ghg_conversion_factors_2024_v1.1_flat.csv"
SDU = "nhs_sdu_carbon_factors_2007-08_to_2020-21.csv"


@pytest.fixture(scope="module")
def flat(shared_data: Path) -> pd.DataFrame:
    table = pd.read_csv(shared_data / "carbon" / FLAT, dtype={"ID": str})
    return table.set_index("ID")


@pytest.mark.parametrize(
    ("key", "desnz_id", "level_3"),
    [
        ("electricity", "7_400_4000_5_1", "Electricity: UK"),
        ("gas", "1_100_1004_6_1", "Natural gas"),
        ("car_average", "25_301_3074_4_1", "Average car"),
        ("bus", "25_314_3145_11_1", "Average local bus"),
        ("rail", "25_315_3147_11_1", "National rail"),
    ],
)
def test_2024_factor_equals_the_official_flat_file(
    flat: pd.DataFrame, key: str, desnz_id: str, level_3: str
) -> None:
    factors = carbon.load_factors(2024)
    assert factors.desnz_id(key) == desnz_id
    row = flat.loc[desnz_id]
    assert row["Level 3"] == level_3
    assert row["GHG/Unit"] == "kg CO2e"
    assert factors.get(key) == pytest.approx(float(row["GHG Conversion Factor 2024"]), rel=1e-9)


def test_every_2024_row_with_an_id_matches(flat: pd.DataFrame) -> None:
    table = carbon.load_factor_table()
    rows = table[(table["year"] == 2024) & (table["desnz_id"] != "")]
    assert len(rows) >= 15
    for _, r in rows.iterrows():
        official = float(flat.loc[r["desnz_id"], "GHG Conversion Factor 2024"])
        assert r["value"] == pytest.approx(official, rel=1e-9), r["key"]
        assert r["desnz_id"] in r["source"]


def test_earlier_years_equal_the_sdu_series_cell_they_name(shared_data: Path) -> None:
    sdu = pd.read_csv(shared_data / "carbon" / SDU)
    table = carbon.load_factor_table()
    rows = table[table["source"].str.startswith("NHS Sustainable Development Unit")]
    assert len(rows) == 7 * 14
    pattern = re.compile(r"row '(.+) / (.+)', column (\d{4}-\d{2})$")
    for _, r in rows.iterrows():
        m = pattern.search(r["source"])
        assert m is not None, r["source"]
        category, name, fy = m.groups()
        assert int(fy[:4]) == r["year"]  # financial year Y-(Y+1) is recorded as year Y
        cell = sdu.loc[(sdu["category"] == category) & (sdu["name"] == name), fy]
        assert len(cell) == 1
        assert r["value"] == pytest.approx(float(cell.iloc[0]), rel=1e-12)

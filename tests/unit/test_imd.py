"""Unit tests for estatesplan.sources.imd on tiny hand-made files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estatesplan import contracts as c
from estatesplan.errors import (
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    MissingColumnError,
)
from estatesplan.sources import imd

FILE7_CODE_2021 = "LSOA code (2021)"
FILE7_SCORE = "Index of Multiple Deprivation (IMD) Score"
FILE7_RANK = "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"
FILE7_DECILE = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def _pack_2025(path: Path, **overrides: list[object]) -> Path:
    cols: dict[str, list[object]] = {
        "lsoa21_code": ["E01000001", "E01000002", "E01000003"],
        "IMD_decile": [1, 5, 10],
        "Income_decile": [2, 5, 9],
        "IMD_rank": [100, 15_000, 33_000],
        "IMD_score": [60.5, 20.25, 2.0],
    }
    cols.update(overrides)
    return _csv(path, pd.DataFrame(cols))


def test_imd2025_pack_layout(tmp_path: Path) -> None:
    out = imd.load_imd2025(_pack_2025(tmp_path / "imd.csv"))
    assert out.index.name == c.ZONE_ID
    assert list(out.columns) == [c.IMD_DECILE, c.IMD_RANK, c.IMD_SCORE]
    assert str(out[c.IMD_DECILE].dtype) == "Int64"
    assert out.loc["E01000002"].tolist() == [5, 15_000, 20.25]


def test_imd2025_file7_layout_without_score(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            FILE7_CODE_2021: ["E01000001", "E01000002"],
            "LSOA name (2021)": ["A 001A", "A 001B"],
            "Local Authority District code (2024)": ["E09000001"] * 2,
            FILE7_RANK: [3376, 3375],
            FILE7_DECILE: [2, 1],
            "Income Score (rate)": [0.1, 0.2],
        }
    )
    out = imd.load_imd2025(_csv(tmp_path / "file7.csv", frame))
    assert out.loc["E01000001", c.IMD_DECILE] == 2
    assert out.loc["E01000002", c.IMD_RANK] == 3375
    assert out[c.IMD_SCORE].isna().all()


@pytest.mark.parametrize("bad", [0, 11, 2.5])
def test_imd2025_decile_outside_1_to_10(tmp_path: Path, bad: float) -> None:
    path = _pack_2025(tmp_path / "imd.csv", IMD_decile=[1, bad, 10])
    with pytest.raises(DataContractError, match=r"IMD_decile'.*not whole numbers 1–10.*E01000002"):
        imd.load_imd2025(path)


def test_imd2025_non_numeric_and_bad_rank(tmp_path: Path) -> None:
    path = _pack_2025(tmp_path / "imd.csv", IMD_decile=[1, "high", 10], IMD_rank=[0, 1, 2])
    with pytest.raises(
        DataContractError, match=r"(?s)non-numeric.*'high'.*E01000002.*below 1.*E01000001"
    ):
        imd.load_imd2025(path)


def test_imd2025_given_a_2011_file_says_what_to_do(tmp_path: Path) -> None:
    frame = pd.DataFrame({"LSOA code (2011)": ["E01000001"], FILE7_DECILE: [3]})
    with pytest.raises(MissingColumnError, match=r"2011 LSOAs.*load_imd2019"):
        imd.load_imd2025(_csv(tmp_path / "imd2019.csv", frame))


def test_imd2025_missing_decile_column(tmp_path: Path) -> None:
    frame = pd.DataFrame({"lsoa21_code": ["E01000001"], "IMD_rank": [3]})
    with pytest.raises(MissingColumnError, match=r"no IMD decile column.*'IMD_rank'"):
        imd.load_imd2025(_csv(tmp_path / "imd.csv", frame))


def test_imd2025_repeated_code(tmp_path: Path) -> None:
    path = _pack_2025(tmp_path / "imd.csv", lsoa21_code=["E01000001", "E01000001", "E01000003"])
    with pytest.raises(DuplicateIdError, match="E01000001"):
        imd.load_imd2025(path)


def test_imd2025_blank_decile_warns_and_stays_unknown(tmp_path: Path) -> None:
    path = _pack_2025(tmp_path / "imd.csv", IMD_decile=[1, None, 10])
    with pytest.warns(DataQualityWarning, match="E01000002"):
        out = imd.load_imd2025(path)
    assert out[c.IMD_DECILE].isna().tolist() == [False, True, False]


def test_imd2025_missing_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="not found"):
        imd.load_imd2025(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataSourceError, match="empty"):
        imd.load_imd2025(empty)


# --- IoD2019 through the LSOA11 -> LSOA21 lookup ------------------------------------------
#
# 2011 LSOAs: A unchanged -> A; B split -> B1, B2; C and D merged -> CD; E (no IMD row) -> E.
# Ranks: C = 1000 (decile 1), D = 9000 (decile 3): mean 5000 -> ceil(5000 / 3284.4) = 2.

LOOKUP = pd.DataFrame(
    {
        "lsoa11_code": ["A", "B", "B", "C", "D", "E"],
        "change_code": ["U", "S", "S", "M", "M", "U"],
        "lsoa21_code": ["A", "B1", "B2", "CD", "CD", "E"],
    }
)
IMD2019 = pd.DataFrame(
    {
        "lsoa11_code": ["A", "B", "C", "D", "Z"],
        "IMD_decile": [10, 4, 1, 3, 6],
        "IMD_rank": [32_000, 12_000, 1000, 9000, 18_000],
    }
)


def test_imd2019_via_lookup(tmp_path: Path) -> None:
    lookup = LOOKUP[LOOKUP["lsoa11_code"] != "E"]
    out = imd.load_imd2019(_csv(tmp_path / "imd.csv", IMD2019), _csv(tmp_path / "lk.csv", lookup))
    assert sorted(out.index) == ["A", "B1", "B2", "CD"]
    assert out.loc["A", c.IMD_DECILE] == 10
    assert out.loc["B1", c.IMD_DECILE] == out.loc["B2", c.IMD_DECILE] == 4
    assert out.loc["CD", c.IMD_RANK] == 5000
    assert out.loc["CD", c.IMD_DECILE] == 2
    assert out.loc["CD", imd.IMD_METHOD] == "lookup_mean_rank"
    assert out.loc["B2", imd.IMD_METHOD] == "direct"
    assert out[c.IMD_SCORE].isna().all()
    assert str(out[c.IMD_DECILE].dtype) == "Int64"


def test_imd2019_decile_cut_points() -> None:
    # ceil(rank / 3284.4): deciles change between ranks 3284 and 3285, and 29559 and 29560.
    ranks = pd.Series([1, 3284, 3285, 29_559, 29_560, 32_844])
    assert np.ceil(ranks / (imd.IMD2019_LSOA_COUNT / 10)).tolist() == [1, 1, 2, 9, 10, 10]


def test_imd2019_reports_gaps(tmp_path: Path) -> None:
    with pytest.warns(
        DataQualityWarning,
        match=r"1 2011 LSOA\(s\) in the lookup have no IMD row \(E\)"
        r".*1 2021 LSOA\(s\) are left without IMD \(E\)",
    ):
        out = imd.load_imd2019(
            _csv(tmp_path / "imd.csv", IMD2019), _csv(tmp_path / "lk.csv", LOOKUP)
        )
    assert pd.isna(out.loc["E", c.IMD_DECILE])
    assert pd.isna(out.loc["E", imd.IMD_METHOD])


def test_imd2019_file7_layout_with_ons_lookup_names(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "LSOA code (2011)": ["A", "C", "D"],
            FILE7_SCORE: [1.5, 50.0, 30.0],
            FILE7_RANK: [32_000, 1000, 9000],
            FILE7_DECILE: [10, 1, 3],
        }
    )
    lookup = pd.DataFrame(
        {"LSOA11CD": ["A", "C", "D"], "LSOA21CD": ["A", "CD", "CD"], "CHGIND": ["U", "M", "M"]}
    )
    out = imd.load_imd2019(_csv(tmp_path / "f7.csv", frame), _csv(tmp_path / "lk.csv", lookup))
    assert out.loc["CD", c.IMD_SCORE] == 40.0
    assert out.loc["A", c.IMD_SCORE] == 1.5
    assert out.loc["CD", c.IMD_DECILE] == 2


def test_imd2019_decile_out_of_range(tmp_path: Path) -> None:
    bad = IMD2019.assign(IMD_decile=[10, 4, 1, 12, 6])
    with pytest.raises(DataContractError, match=r"not whole numbers 1–10.*\bD\b"):
        imd.load_imd2019(_csv(tmp_path / "imd.csv", bad), _csv(tmp_path / "lk.csv", LOOKUP))


def test_imd2019_merged_needs_rank(tmp_path: Path) -> None:
    no_rank = IMD2019.drop(columns="IMD_rank")
    lookup = LOOKUP[LOOKUP["lsoa11_code"] != "E"]
    with pytest.raises(MissingColumnError, match=r"no usable IMD rank.*CD"):
        imd.load_imd2019(_csv(tmp_path / "imd.csv", no_rank), _csv(tmp_path / "lk.csv", lookup))


def test_imd2019_lookup_without_codes(tmp_path: Path) -> None:
    lookup = LOOKUP.rename(columns={"lsoa21_code": "new_code"})
    with pytest.raises(MissingColumnError, match=r"code2021.*columns present.*new_code"):
        imd.load_imd2019(_csv(tmp_path / "imd.csv", IMD2019), _csv(tmp_path / "lk.csv", lookup))
    with pytest.raises(DataSourceError, match="not found"):
        imd.load_imd2019(_csv(tmp_path / "imd.csv", IMD2019), tmp_path / "absent.csv")

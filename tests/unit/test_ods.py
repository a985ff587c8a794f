"""ODS epraccur and Code-Point Open loaders on tiny hand-made files."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from estatesplan import contracts as c
from estatesplan.errors import (
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    MissingColumnError,
)
from estatesplan.sources import ods

DATA = Path(__file__).resolve().parents[1] / "data" / "assets"
EPRACCUR = DATA / "epraccur_published.csv"
CODEPOINT_DIR = DATA / "codepoint_csv"


@pytest.fixture
def postcodes() -> gpd.GeoDataFrame:
    return ods.load_codepoint_open(CODEPOINT_DIR)


def _write_geocoded(path: Path, rows: list[dict[str, object]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _geo_row(code: str, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "org_code": code,
        "name": f"PRACTICE {code}",
        "postcode": "NW1 8AB",
        "status_code": "A",
        "commissioner": "93C",
        "prescribing_setting": 4,
        "easting": 528000,
        "northing": 184000,
        "admin_district_code": "E09000007",
    }
    row.update(kw)
    return row


def test_normalise_postcode() -> None:
    got = ods.normalise_postcode(pd.Series(["nw12ab", "N1  9AA", " ec1a 1bb ", None, "", "X1"]))
    assert got.tolist() == ["NW1 2AB", "N1 9AA", "EC1A 1BB", None, None, None]


def test_codepoint_folder_of_published_csvs(postcodes: gpd.GeoDataFrame) -> None:
    # 4 rows over two files; "NW1 9ZZ" has PQI 90 (no coordinates) and is dropped
    assert sorted(postcodes[c.POSTCODE]) == ["N1 9AA", "NW1 2AB", "NW1 8AB"]
    assert postcodes.crs.to_epsg() == 27700
    row = postcodes.set_index(c.POSTCODE).loc["NW1 8AB"]
    assert (row.geometry.x, row.geometry.y) == (528396, 183966)
    assert row["positional_quality"] == 10
    assert row["admin_district_code"] == "E09000007"


def test_codepoint_single_published_file() -> None:
    got = ods.load_codepoint_open(CODEPOINT_DIR / "nw.csv")
    assert len(got) == 2


def test_codepoint_headered_variant(tmp_path: Path) -> None:
    path = tmp_path / "pc.csv"
    pd.DataFrame(
        {
            "postcode": ["nw1 8ab", "NW1 9ZZ"],
            "positional_quality": [10, 90],
            "easting": [528396, ""],
            "northing": [183966, ""],
            "admin_district_code": ["E09000007", "E09000007"],
            "lon": [-0.15, np.nan],
        }
    ).to_csv(path, index=False)
    got = ods.load_codepoint_open(path)
    assert got[c.POSTCODE].tolist() == ["NW1 8AB"]
    assert got.geometry.iloc[0].x == 528396


def test_codepoint_repeated_postcode_warns(tmp_path: Path) -> None:
    path = tmp_path / "pc.csv"
    path.write_text(
        '"NW1 8AB",10,528396,183966,"E92000001","","","","E09000007","W1"\n'
        '"NW1 8AB",10,528000,183000,"E92000001","","","","E09000007","W1"\n'
    )
    with pytest.warns(DataQualityWarning, match="repeated postcode"):
        got = ods.load_codepoint_open(path)
    assert len(got) == 1 and got.geometry.iloc[0].x == 528396


def test_codepoint_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="file not found"):
        ods.load_codepoint_open(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataSourceError, match="empty"):
        ods.load_codepoint_open(empty)
    (tmp_path / "dir").mkdir()
    with pytest.raises(DataSourceError, match=r"no non-empty \.csv"):
        ods.load_codepoint_open(tmp_path / "dir")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataSourceError, match="10"):
        ods.load_codepoint_open(wrong)
    nocoords = tmp_path / "nocoords.csv"
    nocoords.write_text("postcode,positional_quality\nNW1 8AB,10\n")
    with pytest.raises(MissingColumnError, match="easting"):
        ods.load_codepoint_open(nocoords)


def test_epraccur_published_layout(postcodes: gpd.GeoDataFrame) -> None:
    with pytest.warns(DataQualityWarning, match="F83004"):
        got = ods.load_epraccur(EPRACCUR, postcodes=postcodes)
    # F83002 closed, F83003 prescribing setting 2, F83004 postcode unknown
    assert got[c.ASSET_ID].tolist() == ["ODS-F83011", "ODS-F83005"]
    first = got.iloc[0]
    assert first[c.NAME] == "PRIMROSE HILL SURGERY"
    assert first[c.ASSET_TYPE] == "gp_practice"
    assert first[c.OWNER_TYPE] == "icb_primary_care"
    assert first[c.OWNER] == "93C"
    assert first[c.ODS_CODE] == first[c.SOURCE_REF] == "F83011"
    assert first[c.SOURCE] == "ods_epraccur"
    assert (first.geometry.x, first.geometry.y) == (528396, 183966)
    assert first["admin_district_code"] == "E09000007"
    second = got.iloc[1]
    assert second[c.POSTCODE] == "NW1 2AB"  # written "nw1  2ab" in the file
    assert (second.geometry.x, second.geometry.y) == (529200, 183100)
    assert np.isnan(got[c.GIA_M2]).all()  # epraccur has no floor area: unknown, not 0
    assert got.crs.to_epsg() == 27700


def test_epraccur_filters_can_be_switched_off(postcodes: gpd.GeoDataFrame) -> None:
    with pytest.warns(DataQualityWarning):
        got = ods.load_epraccur(
            EPRACCUR, postcodes=postcodes, active_only=False, gp_practices_only=False
        )
    types = dict(zip(got[c.ODS_CODE], got[c.ASSET_TYPE], strict=True))
    assert types == {
        "F83011": "gp_practice",
        "F83002": "gp_practice",
        "F83003": "other",
        "F83005": "gp_practice",
    }


def test_epraccur_without_postcodes_drops_all_with_warning() -> None:
    with pytest.warns(DataQualityWarning, match="3 practice"):
        got = ods.load_epraccur(EPRACCUR)
    assert len(got) == 0


def test_epraccur_headered_geocoded(tmp_path: Path) -> None:
    path = _write_geocoded(
        tmp_path / "gp.csv",
        [_geo_row("A1"), _geo_row("A2", status_code="C"), _geo_row("A3", prescribing_setting=0)],
    )
    got = ods.load_epraccur(path)
    assert got[c.ASSET_ID].tolist() == ["ODS-A1"]
    assert got.geometry.iloc[0].x == 528000
    assert got["admin_district_code"].iloc[0] == "E09000007"


def test_epraccur_headered_falls_back_to_postcode(
    tmp_path: Path, postcodes: gpd.GeoDataFrame
) -> None:
    path = _write_geocoded(
        tmp_path / "gp.csv",
        [_geo_row("A1", easting="", northing="", admin_district_code="")],
    )
    got = ods.load_epraccur(path, postcodes=postcodes)
    assert got.geometry.iloc[0].x == 528396
    assert got["admin_district_code"].iloc[0] == "E09000007"  # filled from Code-Point


def test_epraccur_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="file not found"):
        ods.load_epraccur(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataSourceError, match="empty"):
        ods.load_epraccur(empty)
    short = tmp_path / "short.csv"
    with short.open("w", newline="") as fh:
        csv.writer(fh).writerow(["A1", "NAME", "X"])
    with pytest.raises(DataSourceError, match="27"):
        ods.load_epraccur(short)
    nocol = _write_geocoded(tmp_path / "nocol.csv", [_geo_row("A1")])
    pd.read_csv(nocol).drop(columns="prescribing_setting").to_csv(nocol, index=False)
    with pytest.raises(MissingColumnError, match="prescribing_setting"):
        ods.load_epraccur(nocol)
    dup = _write_geocoded(tmp_path / "dup.csv", [_geo_row("A1"), _geo_row("a1")])
    with pytest.raises(DuplicateIdError, match="A1"):
        ods.load_epraccur(dup)

"""ERIC trust-level and site-level loaders, and attaching site figures to assets."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from estatesplan import contracts as c
from estatesplan.errors import (
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    MissingColumnError,
)
from estatesplan.sources import eric

SITES = Path(__file__).resolve().parents[1] / "data" / "assets" / "eric_site_invented.csv"

# headings as in the 2013-14 file (m² and £ spelt out) and the 2016-17 file
HEAD_1314 = [
    "Organisation Code",
    "Organisation Name",
    "Organisation Type",
    "Gross internal site floor area (m²)",
    "Occupied floor area (m²)",
    "Cost to eradicate high risk backlog (£)",
    "Cost to eradicate significant risk backlog (£)",
    "Cost to eradicate moderate risk backlog (£)",
    "Cost to eradicate low risk backlog (£)",
    "Electricity consumed - utility (kWh)",
    "Gas consumed - utility (kWh)",
    "Oil consumed - utility (kWh)",
    "Total energy cost (all energy supplies utility local and renewable) (£)",
]
HEAD_1617 = [
    "Organisation Code",
    "Organisation Name",
    "Gross internal floor area (m²)",
    "Cost to eradicate high risk backlog (\ufffd)",  # a mangled £, as in one pack file
    "Cost to eradicate significant risk backlog (£)",
    "Cost to eradicate moderate risk backlog (£)",
    "Cost to eradicate low risk backlog (£)",
    "Electricity consumed (kWh)",
    "Gas consumed (kWh)",
]


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    return path


def test_trust_level_2013_14_headings(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "eric_trust_level_2013-14.csv",
        HEAD_1314,
        [
            ["rxx", "A TRUST", "ACUTE", "172,475", "171525", 10, 20, 30, 40, 1000, 2000, 5, 99],
            [
                "RYY",
                "B TRUST",
                "MENTAL HEALTH",
                5000,
                "-",
                "n/a",
                "",
                "Not Applicable",
                "",
                1,
                2,
                0,
                "",
            ],
        ],
    )
    got = eric.load_eric_trust(path)
    assert got.index.name == "trust_code"
    assert list(got.index) == ["RXX", "RYY"]
    a = got.loc["RXX"]
    assert a["trust_name"] == "A TRUST"
    assert a[c.GIA_M2] == 172_475
    assert a["occupied_m2"] == 171_525
    assert a[c.BACKLOG_GBP] == 100  # 10 + 20 + 30 + 40
    assert a[c.ELECTRICITY_KWH] == 1000 and a[c.GAS_KWH] == 2000 and a["oil_kwh"] == 5
    assert a["energy_cost_gbp"] == 99
    assert a["year"] == "2013-14"  # from the file name
    b = got.loc["RYY"]
    assert np.isnan(b["occupied_m2"])  # "-" is unknown, not zero
    assert np.isnan(b[c.BACKLOG_GBP])  # all four parts unknown
    assert b["oil_kwh"] == 0  # a written 0 stays 0


def test_trust_level_2016_17_headings(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "eric_trust_level_2016-17.csv",
        HEAD_1617,
        [["RXX", "A TRUST", 268003, 1, "", 3, "No Data Provided", 31008332, 123441477]],
    )
    got = eric.load_eric_trust(path)
    row = got.loc["RXX"]
    assert row[c.GIA_M2] == 268003
    assert row["backlog_high_gbp"] == 1
    assert row[c.BACKLOG_GBP] == 4  # unknown parts are skipped, known ones summed
    assert row[c.ELECTRICITY_KWH] == 31008332
    assert row["year"] == "2016-17"


def test_trust_level_missing_headings_warn(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", ["Organisation Code", "Gas consumed (kWh)"], [["RXX", 5]])
    with pytest.warns(DataQualityWarning, match="gia_m2, electricity_kwh, backlog_gbp"):
        got = eric.load_eric_trust(path)
    assert np.isnan(got.loc["RXX", c.GIA_M2])
    assert got.loc["RXX", "year"] is None


def test_trust_level_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="file not found"):
        eric.load_eric_trust(tmp_path / "none.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataSourceError, match="empty"):
        eric.load_eric_trust(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(HEAD_1617) + "\n")
    with pytest.raises(DataSourceError, match="no data rows"):
        eric.load_eric_trust(header_only)
    nocode = _write(tmp_path / "nocode.csv", HEAD_1617[1:], [["A", 1, 1, 1, 1, 1, 1, 1]])
    with pytest.raises(MissingColumnError, match="trust code"):
        eric.load_eric_trust(nocode)
    other = _write(tmp_path / "other.csv", ["Organisation Code", "Beds"], [["RXX", 5]])
    with pytest.raises(DataSourceError, match="does not look like an ERIC"):
        eric.load_eric_trust(other)
    dup = _write(tmp_path / "dup.csv", HEAD_1617, [["RXX", "A", *[1] * 7], ["rxx", "B", *[1] * 7]])
    with pytest.raises(DuplicateIdError, match="RXX"):
        eric.load_eric_trust(dup)


def test_site_level_published_layout() -> None:
    got = eric.load_eric_sites(SITES)
    assert got.index.name == "site_code"
    assert list(got.index) == ["XX101", "XX102", "XX103"]
    h = got.loc["XX101"]
    assert h["trust_code"] == "XX1"
    assert h["site_name"] == "EXAMPLE GENERAL HOSPITAL"
    assert h[c.GIA_M2] == 12_500  # written "12,500"
    assert h[c.BACKLOG_GBP] == 1000 + 2000 + 3000 + 4000
    assert h[c.ELECTRICITY_KWH] == 1_500_000 and h[c.GAS_KWH] == 2_500_000
    hc = got.loc["XX102"]
    assert np.isnan(hc[c.BACKLOG_GBP])  # "-", "Not Applicable" and blanks: unknown
    assert np.isnan(hc[c.GAS_KWH])
    assert got.loc["XX103", c.BACKLOG_GBP] == 500
    assert np.isnan(got.loc["XX103", c.GAS_KWH])  # "No Data Provided"


def test_site_level_electricity_parts_are_summed(tmp_path: Path) -> None:
    header = [
        "Site Code",
        "Gross internal floor area (m²)",
        "Electricity - green electricity consumed (kWh)",
        "Electricity - other consumed (kWh)",
        "Gas consumed (kWh)",
    ]
    path = _write(
        tmp_path / "site_2023_24.csv", header, [["S1", 10, 100, 50, 7], ["S2", 10, "", "", 7]]
    )
    with pytest.warns(DataQualityWarning, match="backlog_gbp"):
        got = eric.load_eric_sites(path)
    assert got.loc["S1", c.ELECTRICITY_KWH] == 150
    assert np.isnan(got.loc["S2", c.ELECTRICITY_KWH])
    assert got.loc["S1", "year"] == "2023-24"


def test_site_level_needs_site_code(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.csv", HEAD_1617, [["RXX", "A", *[1] * 7]])
    with pytest.raises(MissingColumnError, match="site code"):
        eric.load_eric_sites(path)


def _assets() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            c.ASSET_ID: ["A", "B", "C"],
            c.NAME: ["Hospital", "Health centre", "Library"],
            c.OWNER_TYPE: ["nhs_trust", "nhs_trust", "local_authority"],
            c.ASSET_TYPE: ["hospital", "health_centre", "library"],
            c.ODS_CODE: ["xx101", "XX102", None],
            c.GIA_M2: [np.nan, 999.0, np.nan],
        },
        geometry=[shapely.Point(528000 + 10 * i, 184000) for i in range(3)],
        crs=c.ANALYSIS_CRS,
    )


def test_attach_eric_sites_fills_gaps_only() -> None:
    got = eric.attach_eric_sites(_assets(), eric.load_eric_sites(SITES)).set_index(c.ASSET_ID)
    assert got.loc["A", c.GIA_M2] == 12_500
    assert got.loc["A", c.BACKLOG_GBP] == 10_000
    assert got.loc["A", c.ELECTRICITY_KWH] == 1_500_000
    assert got.loc["A", c.TENURE] == "freehold"
    assert got.loc["A", eric.ERIC_SITE_CODE] == "XX101"
    assert got.loc["B", c.GIA_M2] == 999.0  # the register's own figure wins
    assert np.isnan(got.loc["B", c.BACKLOG_GBP])  # unknown in ERIC stays unknown
    assert got.loc["B", c.TENURE] == "leasehold"
    assert np.isnan(got.loc["C", c.GIA_M2]) and got.loc["C", eric.ERIC_SITE_CODE] is None
    assert got.attrs["eric_sites"] == {"matched": ["A", "B"], "unmatched_sites": ["XX103"]}


def test_attach_eric_sites_overwrite() -> None:
    got = eric.attach_eric_sites(_assets(), eric.load_eric_sites(SITES), overwrite=True)
    assert got.set_index(c.ASSET_ID).loc["B", c.GIA_M2] == 800


def test_trust_totals_are_not_spread(tmp_path: Path) -> None:
    """Assets of a trust get nothing from trust-level totals (only site codes match)."""
    trust = _write(tmp_path / "trust_2016-17.csv", HEAD_1617, [["XX1", "A", 5000, *[1] * 6]])
    table = eric.load_eric_trust(trust)
    assets = _assets()
    assets[c.ODS_CODE] = ["XX1", "XX1", None]  # trust code, not site codes
    with pytest.raises(DataContractError, match="Trust-level totals"):
        eric.attach_eric_sites(assets, table)

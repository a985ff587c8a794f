"""Unit tests for estatesplan.sources.ons on tiny hand-made files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from estatesplan import contracts as c
from estatesplan.errors import (
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    MissingColumnError,
)
from estatesplan.sources import ons

ZONES_DATA = Path(__file__).resolve().parents[1] / "data" / "zones"

AGE_LABELS = [
    "Aged 4 years and under",
    *[f"Aged {lo} to {lo + 4} years" for lo in range(5, 85, 5)],
    "Aged 85 years and over",
]
# Three zones, 18 bands each; hand-chosen so each row is easy to total.
AGE_ROWS = {
    "E01000001": [10] * 18,  # total 180
    "E01000002": [0] * 17 + [7],  # total 7, all aged 85+
    "E01000003": list(range(1, 19)),  # total 171
}


def _squares(n: int = 4) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "LSOA21CD": [f"E0100000{i + 1}" for i in range(n)],
            "LSOA21NM": [f"Testham 00{i + 1}A" for i in range(n)],
            "MSOA21CD": ["E02000001"] * n,
            "LAD22CD": ["E09000001"] * (n - 1) + ["E09000002"],
        },
        geometry=[box(530_000 + 100 * i, 180_000, 530_100 + 100 * i, 180_100) for i in range(n)],
        crs="EPSG:27700",
    )


def _write_age(
    path: Path,
    labels: list[str] = AGE_LABELS,
    rows: dict[str, list[object]] | None = None,
    total: bool = True,
) -> Path:
    rows = AGE_ROWS if rows is None else rows
    header = ["date", "geography", "geography code"] + (["Age: Total"] if total else [])
    header += [f"Age: {lab}" for lab in labels]
    lines = [",".join(header)]
    for code, vals in rows.items():
        tot = [str(sum(v for v in vals if isinstance(v, int)))] if total else []
        lines.append(",".join(["2021", f"Name {code}", code, *tot, *map(str, vals)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- boundaries -------------------------------------------------------------------------


def test_load_boundaries_gpkg_autodetects_id_and_name(tmp_path: Path) -> None:
    path = tmp_path / "b.gpkg"
    _squares().to_file(path, layer="lsoa21")
    out = ons.load_boundaries(path)
    assert list(out[c.ZONE_ID]) == ["E01000001", "E01000002", "E01000003", "E01000004"]
    assert out[c.ZONE_NAME].iloc[0] == "Testham 001A"
    assert {"MSOA21CD", "LAD22CD"} <= set(out.columns)
    assert "LSOA21CD" not in out.columns
    assert out.crs.to_epsg() == 27700


def test_load_boundaries_geojson_lowercase_id_no_name_keeps_crs(tmp_path: Path) -> None:
    gdf = _squares().rename(columns={"LSOA21CD": "lsoa21cd"}).drop(columns="LSOA21NM").to_crs(4326)
    path = tmp_path / "b.geojson"
    gdf.to_file(path, driver="GeoJSON")
    out = ons.load_boundaries(path)
    assert out[c.ZONE_ID].iloc[2] == "E01000003"
    assert out[c.ZONE_NAME].isna().all()
    assert out.crs.to_epsg() == 4326


def test_load_boundaries_file7_style_names(tmp_path: Path) -> None:
    gdf = _squares().rename(
        columns={"LSOA21CD": "LSOA code (2021)", "LSOA21NM": "LSOA name (2021)"}
    )
    path = tmp_path / "b.gpkg"
    gdf.to_file(path)
    out = ons.load_boundaries(path)
    assert out[c.ZONE_ID].iloc[1] == "E01000002"
    assert out[c.ZONE_NAME].iloc[1] == "Testham 002A"


def test_load_boundaries_2011_codes_and_explicit_columns(tmp_path: Path) -> None:
    gdf = _squares().rename(columns={"LSOA21CD": "LSOA11CD", "LSOA21NM": "label"})
    gdf["code"] = [f"Z{i}" for i in range(4)]
    path = tmp_path / "b.gpkg"
    gdf.to_file(path)
    assert ons.load_boundaries(path)[c.ZONE_ID].iloc[0] == "E01000001"
    out = ons.load_boundaries(path, id_column="code", name_column="label")
    assert list(out[c.ZONE_ID]) == ["Z0", "Z1", "Z2", "Z3"]
    assert out[c.ZONE_NAME].iloc[3] == "Testham 004A"
    assert "LSOA11CD" in out.columns


def test_load_boundaries_no_id_column_lists_columns(tmp_path: Path) -> None:
    path = tmp_path / "b.gpkg"
    _squares().drop(columns="LSOA21CD").to_file(path)
    with pytest.raises(
        MissingColumnError, match=r"b\.gpkg.*LSOA21NM, MSOA21CD, LAD22CD.*id_column"
    ):
        ons.load_boundaries(path)
    with pytest.raises(MissingColumnError, match="'nope' not found"):
        ons.load_boundaries(path, id_column="nope")


def test_load_boundaries_missing_empty_and_corrupt(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="not found"):
        ons.load_boundaries(tmp_path / "absent.gpkg")
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(DataSourceError, match="empty"):
        ons.load_boundaries(empty)
    corrupt = tmp_path / "corrupt.gpkg"
    corrupt.write_bytes(b"this is not a geopackage" * 10)
    with pytest.raises(DataSourceError, match=r"corrupt\.gpkg"):
        ons.load_boundaries(corrupt)


def test_load_boundaries_points_and_several_layers(tmp_path: Path) -> None:
    pts = gpd.GeoDataFrame(
        {"LSOA21CD": ["E01000001"]}, geometry=[Point(530_000, 180_000)], crs=27700
    )
    p1 = tmp_path / "pts.gpkg"
    pts.to_file(p1)
    with pytest.raises(DataSourceError, match="no polygons"):
        ons.load_boundaries(p1)
    p2 = tmp_path / "multi.gpkg"
    _squares().to_file(p2, layer="a")
    _squares(2).to_file(p2, layer="b")
    with pytest.raises(DataSourceError, match="2 layers"):
        ons.load_boundaries(p2)
    assert len(ons.load_boundaries(p2, layer="b")) == 2
    p3 = tmp_path / "mixed.gpkg"
    _squares().to_file(p3, layer="zones")
    pts.to_file(p3, layer="points")
    assert len(ons.load_boundaries(p3)) == 4  # the only polygon layer


def test_load_boundaries_blank_id(tmp_path: Path) -> None:
    gdf = _squares()
    gdf.loc[1, "LSOA21CD"] = None
    path = tmp_path / "b.gpkg"
    gdf.to_file(path)
    with pytest.raises(MissingColumnError, match="empty on 1 feature"):
        ons.load_boundaries(path)


# --- TS007A -------------------------------------------------------------------------------


def test_ts007a_values(tmp_path: Path) -> None:
    out = ons.load_ts007a_age(_write_age(tmp_path / "a.csv"))
    assert list(out.columns) == [c.POPULATION, *c.AGE_BANDS]
    assert out.index.name == c.ZONE_ID
    assert out.loc["E01000001", c.POPULATION] == 180
    assert out.loc["E01000002", "age_85_plus"] == 7
    assert out.loc["E01000002", "age_0_4"] == 0
    assert out.loc["E01000003", "age_5_9"] == 2
    assert out.loc["E01000003", c.POPULATION] == 171
    assert (out.dtypes == "float64").all()


def test_ts007a_matches_by_numbers_not_position(tmp_path: Path) -> None:
    labels = [
        "Aged under 5 years",
        *[f"Aged {lo}-{lo + 4}" for lo in range(5, 85, 5)],
        "Aged 85 and over",
    ]
    order = list(range(18))[::-1]  # columns reversed
    rows = {k: [v[i] for i in order] for k, v in AGE_ROWS.items()}
    out = ons.load_ts007a_age(_write_age(tmp_path / "a.csv", [labels[i] for i in order], rows))
    expected = ons.load_ts007a_age(_write_age(tmp_path / "b.csv"))
    pd.testing.assert_frame_equal(out, expected)


def test_ts007a_single_years_are_summed_into_bands(tmp_path: Path) -> None:
    labels = [
        "Aged under 1 year",
        *[f"Aged {a} years" for a in range(1, 100)],
        "Aged 100 years and over",
    ]
    rows = {"E01000001": [1] * 101, "E01000002": list(range(101))}
    out = ons.load_ts007a_age(_write_age(tmp_path / "a.csv", labels, rows))
    assert out.loc["E01000001", "age_0_4"] == 5
    assert out.loc["E01000001", "age_85_plus"] == 16  # 85..99 and 100+
    assert out.loc["E01000002", "age_10_14"] == 10 + 11 + 12 + 13 + 14
    assert out.loc["E01000002", c.POPULATION] == sum(range(101))


def test_ts007a_custom_download_long_layout(tmp_path: Path) -> None:
    lines = [
        "Lower layer Super Output Areas Code,Lower layer Super Output Areas,"
        "Age (18 categories) Code,Age (18 categories),Observation"
    ]
    for code, vals in AGE_ROWS.items():
        for i, (lab, v) in enumerate(zip(AGE_LABELS, vals, strict=True)):
            lines.append(f"{code},Name,{i + 1},{lab},{v}")
    path = tmp_path / "custom.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = ons.load_ts007a_age(path)
    expected = ons.load_ts007a_age(_write_age(tmp_path / "b.csv"))
    pd.testing.assert_frame_equal(out.sort_index(), expected)


def test_ts007a_missing_band(tmp_path: Path) -> None:
    rows = {k: v[:-1] for k, v in AGE_ROWS.items()}
    with pytest.raises(MissingColumnError, match=r"85 and over.*age_85_plus.*columns present"):
        ons.load_ts007a_age(_write_age(tmp_path / "a.csv", AGE_LABELS[:-1], rows))


def test_ts007a_non_numeric_count(tmp_path: Path) -> None:
    rows = {k: list(v) for k, v in AGE_ROWS.items()}
    rows["E01000002"][3] = "x"
    with pytest.raises(
        DataContractError, match=r"'Age: Aged 15 to 19 years'.*non-numeric.*E01000002"
    ):
        ons.load_ts007a_age(_write_age(tmp_path / "a.csv", rows=rows))


def test_ts007a_negative_count(tmp_path: Path) -> None:
    rows = {k: list(v) for k, v in AGE_ROWS.items()}
    rows["E01000003"][0] = -1
    with pytest.raises(
        DataContractError, match=r"'Age: Aged 4 years and under'.*negative.*E01000003"
    ):
        ons.load_ts007a_age(_write_age(tmp_path / "a.csv", rows=rows))


def test_ts007a_bands_not_summing_to_total(tmp_path: Path) -> None:
    path = _write_age(tmp_path / "a.csv")
    text = (
        path.read_text()
        .replace("E01000003,171,", "E01000003,170,")
        .replace("E01000001,180,", "E01000001,181,")
    )
    path.write_text(text)
    with pytest.raises(DataContractError, match=r"do not add up.*2 row\(s\).*E01000001, E01000003"):
        ons.load_ts007a_age(path)


def test_ts007a_empty_cell_stays_unknown(tmp_path: Path) -> None:
    path = _write_age(tmp_path / "a.csv")
    path.write_text(path.read_text().replace("E01000002,7,0,", "E01000002,7,,"))
    with pytest.warns(DataQualityWarning, match="E01000002"):
        out = ons.load_ts007a_age(path)
    assert np.isnan(out.loc["E01000002", "age_0_4"])
    assert out.loc["E01000002", c.POPULATION] == 7


def test_ts007a_bad_files(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="not found"):
        ons.load_ts007a_age(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataSourceError, match="empty"):
        ons.load_ts007a_age(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("date,geography,geography code,Age: Total\n")
    with pytest.raises(DataSourceError, match="no data rows"):
        ons.load_ts007a_age(header_only)
    no_code = tmp_path / "nocode.csv"
    no_code.write_text("date,area,Age: Total\n2021,x,5\n")
    with pytest.raises(MissingColumnError, match="no geography code column"):
        ons.load_ts007a_age(no_code)
    xlsx = tmp_path / "table.xlsx"
    xlsx.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DataSourceError, match="spreadsheet"):
        ons.load_ts007a_age(xlsx)


def test_ts007a_repeated_zone(tmp_path: Path) -> None:
    path = _write_age(tmp_path / "a.csv")
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(DuplicateIdError, match="E01000001"):
        ons.load_ts007a_age(path)


# --- TS037, TS038, TS045 -----------------------------------------------------------------------

TS037_HEADER = (
    "date,geography,geography code,General health: Total: All usual residents,"
    "General health: Very good health,General health: Good health,General health: Fair health,"
    "General health: Bad health,General health: Very bad health"
)
TS038_HEADER = (
    "date,geography,geography code,Disability: Total: All usual residents,"
    "Disability: Disabled under the Equality Act,"
    "Disability: Disabled under the Equality Act: Day-to-day activities limited a lot,"
    "Disability: Disabled under the Equality Act: Day-to-day activities limited a little,"
    "Disability: Not disabled under the Equality Act,"
    "Disability: Not disabled under the Equality Act: Has long term physical or mental health "
    "condition but day-to-day activities are not limited,"
    "Disability: Not disabled under the Equality Act: "
    "No long term physical or mental health conditions"
)


def test_ts037_values(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(
        f"{TS037_HEADER}\n2021,a,E01000001,100,50,30,10,6,4\n2021,b,E01000002,10,1,2,3,4,0\n"
    )
    out = ons.load_ts037_general_health(path)
    assert list(out.columns) == [
        c.HEALTH_VERY_GOOD,
        c.HEALTH_GOOD,
        c.HEALTH_FAIR,
        c.HEALTH_BAD,
        c.HEALTH_VERY_BAD,
    ]
    assert out.loc["E01000001"].tolist() == [50, 30, 10, 6, 4]
    assert out.loc["E01000002", c.HEALTH_BAD] == 4


def test_ts037_total_mismatch_warns(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(f"{TS037_HEADER}\n2021,a,E01000001,101,50,30,10,6,4\n")
    with pytest.warns(DataQualityWarning, match=r"do not add up.*E01000001"):
        ons.load_ts037_general_health(path)


def test_ts037_missing_category(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    header = TS037_HEADER.replace(",General health: Fair health", "")
    path.write_text(f"{header}\n2021,a,E01000001,96,50,30,6,4\n")
    with pytest.raises(MissingColumnError, match=r"health_fair.*columns present.*Very good"):
        ons.load_ts037_general_health(path)


def test_ts038_values_and_sum(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        f"{TS038_HEADER}\n2021,a,E01000001,1431,136,61,75,1295,86,1209\n"
        "2021,b,E01000002,100,30,10,20,70,5,65\n"
    )
    out = ons.load_ts038_disability(path)
    assert out.loc["E01000001"].tolist() == [61, 75, 86, 222]
    assert out.loc["E01000002", c.DISABILITY_OR_LTC] == 35
    assert list(out.columns) == [
        c.DISABLED_LIMITED_LOT,
        c.DISABLED_LIMITED_LITTLE,
        c.LTC_NOT_LIMITED,
        c.DISABILITY_OR_LTC,
    ]


def test_ts038_negative(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"{TS038_HEADER}\n2021,a,E01000001,100,30,-10,40,70,5,65\n")
    with pytest.raises(DataContractError, match=r"limited a lot'.*negative.*E01000001"):
        ons.load_ts038_disability(path)


def test_ts045_sample_file() -> None:
    out = ons.load_ts045_car_availability(ZONES_DATA / "ts045_sample.csv")
    assert list(out.columns) == [c.HOUSEHOLDS, c.HOUSEHOLDS_NO_CAR]
    assert out.loc["E01900001"].tolist() == [600, 420]
    assert out.loc["E01900003", c.HOUSEHOLDS_NO_CAR] == 0  # a real zero, not unknown
    assert out[c.HOUSEHOLDS].sum() == 600 + 550 + 700 + 480


def test_ts045_custom_download_drops_does_not_apply(tmp_path: Path) -> None:
    path = tmp_path / "cars.csv"
    cats = [
        ("-8", "Does not apply", 0),
        ("0", "No cars or vans in household", 4),
        ("1", "1 car or van in household", 3),
        ("2", "2 cars or vans in household", 2),
        ("3", "3 or more cars or vans in household", 1),
    ]
    lines = [
        "Lower layer Super Output Areas Code,Lower layer Super Output Areas,"
        "Car or van availability (5 categories) Code,"
        "Car or van availability (5 categories),Observation"
    ]
    lines += [f"E01000001,x,{code},{lab},{n}" for code, lab, n in cats]
    path.write_text("\n".join(lines) + "\n")
    out = ons.load_ts045_car_availability(path)
    assert out.loc["E01000001"].tolist() == [10, 4]


def test_ts045_non_numeric(tmp_path: Path) -> None:
    text = (
        (ZONES_DATA / "ts045_sample.csv")
        .read_text()
        .replace("E01900002,550,110", "E01900002,550,12a")
    )
    path = tmp_path / "cars.csv"
    path.write_text(text)
    with pytest.raises(
        DataContractError, match=r"No cars or vans in household'.*non-numeric.*'12a'.*E01900002"
    ):
        ons.load_ts045_car_availability(path)


def test_ts007a_broad_bands_rejected(tmp_path: Path) -> None:
    path = _write_age(
        tmp_path / "a.csv",
        ["Aged 0 to 15", "Aged 16 to 64", "Aged 65 and over"],
        {"E01000001": [1, 2, 3]},
    )
    with pytest.raises(
        DataContractError, match=r"(?s)ages 0 to 4.*'Age: Aged 0 to 15'.*do not fit"
    ):
        ons.load_ts007a_age(path)

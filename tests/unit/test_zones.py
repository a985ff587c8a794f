"""Unit tests for estatesplan.zones on tiny hand-made frames."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from estatesplan import contracts as c
from estatesplan import zones as z
from estatesplan.errors import (
    ConfigError,
    CrsError,
    DataContractError,
    DataQualityWarning,
    DuplicateIdError,
    MissingColumnError,
)

X0, Y0 = 530_000.0, 180_000.0
# A U-shaped zone (opening upwards) whose centroid lies in the gap, outside the polygon.
U_SHAPE = Polygon(
    [
        (X0 + 300, Y0),
        (X0 + 400, Y0),
        (X0 + 400, Y0 + 100),
        (X0 + 390, Y0 + 100),
        (X0 + 390, Y0 + 10),
        (X0 + 310, Y0 + 10),
        (X0 + 310, Y0 + 100),
        (X0 + 300, Y0 + 100),
    ]
)


def _boundaries() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            c.ZONE_ID: ["Z1", "Z2", "Z3", "Z4"],
            c.ZONE_NAME: ["One", "Two", "Three", "Four"],
            "LAD22CD": ["E09000001", "E09000001", "E09000002", "E09000003"],
        },
        geometry=[
            box(X0, Y0, X0 + 100, Y0 + 100),
            box(X0 + 100, Y0, X0 + 200, Y0 + 100),
            box(X0 + 200, Y0, X0 + 300, Y0 + 100),
            U_SHAPE,
        ],
        crs="EPSG:27700",
    )


def _age(ids: list[str]) -> pd.DataFrame:
    rows = {zid: [100.0 * (i + 1)] + [100.0 * (i + 1) / 18] * 18 for i, zid in enumerate(ids)}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=[c.POPULATION, *c.AGE_BANDS])
    frame.index.name = c.ZONE_ID
    return frame


def _imd(ids: list[str], deciles: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {c.IMD_DECILE: pd.array(deciles, dtype="Int64"), c.IMD_RANK: np.nan, c.IMD_SCORE: np.nan},
        index=pd.Index(ids, name=c.ZONE_ID),
    )


# --- select_zones -----------------------------------------------------------------------


def test_select_by_codes_autodetects_lad_column() -> None:
    out = z.select_zones(_boundaries(), area_codes=["E09000001"])
    assert list(out[c.ZONE_ID]) == ["Z1", "Z2"]
    both = z.select_zones(_boundaries(), area_codes=["E09000001", "E09000003"])
    assert list(both[c.ZONE_ID]) == ["Z1", "Z2", "Z4"]


def test_select_picks_the_lad_column_holding_the_codes() -> None:
    b = _boundaries().assign(ltla24_code=["X", "X", "Y", "Y"])
    out = z.select_zones(b, area_codes=["Y"])
    assert list(out[c.ZONE_ID]) == ["Z3", "Z4"]
    out = z.select_zones(
        b.rename(columns={"LAD22CD": "borough"}), area_codes=["E09000002"], area_column="borough"
    )
    assert list(out[c.ZONE_ID]) == ["Z3"]


def test_select_nothing_lists_codes_present() -> None:
    with pytest.raises(
        DataContractError,
        match=r"no zone has LAD22CD in E09000099.*E09000001, E09000002, E09000003",
    ):
        z.select_zones(_boundaries(), area_codes=["E09000099"])


def test_select_warns_on_codes_that_select_nothing() -> None:
    with pytest.warns(DataQualityWarning, match="E09000099"):
        out = z.select_zones(_boundaries(), area_codes=["E09000002", "E09000099"])
    assert list(out[c.ZONE_ID]) == ["Z3"]


def test_select_no_area_column() -> None:
    with pytest.raises(MissingColumnError, match=r"no local-authority code column.*zone_id, name"):
        z.select_zones(_boundaries().drop(columns="LAD22CD"), area_codes=["E09000001"])
    with pytest.raises(MissingColumnError, match="'nope' not found"):
        z.select_zones(_boundaries(), area_codes=["E09000001"], area_column="nope")


def test_select_by_area_outline_in_another_crs() -> None:
    outline = gpd.GeoDataFrame(
        geometry=[box(X0 - 10, Y0 - 10, X0 + 160, Y0 + 110)], crs=27700
    ).to_crs(4326)
    out = z.select_zones(_boundaries(), area=outline)
    assert list(out[c.ZONE_ID]) == ["Z1", "Z2"]  # Z2's representative point (x + 150) is inside


def test_select_area_outline_selects_nothing() -> None:
    far = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs=27700)
    with pytest.raises(DataContractError, match="no zone's representative point"):
        z.select_zones(_boundaries(), area=far)


def test_select_needs_exactly_one_criterion() -> None:
    with pytest.raises(ConfigError, match="either area_codes"):
        z.select_zones(_boundaries())
    outline = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs=27700)
    with pytest.raises(ConfigError, match="not both"):
        z.select_zones(_boundaries(), area_codes=["E09000001"], area=outline)


# --- build_zones --------------------------------------------------------------------------


def test_build_joins_tables_and_validates() -> None:
    ids = ["Z1", "Z2", "Z3", "Z4"]
    extra = _age([*ids, "OUTSIDE"])  # London-wide tables have more rows: fine
    out = z.build_zones(_boundaries().to_crs(4326), age=extra, imd=_imd(ids, [1, 2, 3, 10]))
    assert out.crs.to_epsg() == 27700
    assert list(out[c.ZONE_ID]) == ids
    assert out[c.POPULATION].tolist() == [100, 200, 300, 400]
    assert out[c.IMD_DECILE].tolist() == [1, 2, 3, 10]
    assert c.HOUSEHOLDS not in out.columns  # not supplied: absent, not zero
    assert c.HEALTH_GOOD not in out.columns
    assert "LAD22CD" in out.columns


def test_build_reports_missing_rows_per_table() -> None:
    with pytest.raises(
        DataContractError,
        match=r"(?s)age \(Census TS007A\) table has no row for 2 of 4 zone\(s\): Z3, Z4.*2011"
        r".*deprivation \(IMD\) table has no row for 1 of 4 zone\(s\): Z1",
    ):
        z.build_zones(
            _boundaries(), age=_age(["Z1", "Z2"]), imd=_imd(["Z2", "Z3", "Z4"], [1, 2, 3])
        )


def test_build_without_age_needs_population() -> None:
    with pytest.raises(MissingColumnError, match="no `population`"):
        z.build_zones(_boundaries())
    b = _boundaries().assign(population=[1.0, 2.0, 3.0, np.nan])
    out = z.build_zones(
        b,
        cars=pd.DataFrame(
            {
                c.ZONE_ID: ["Z1", "Z2", "Z3", "Z4"],
                c.HOUSEHOLDS: [1, 1, 1, 1],
                c.HOUSEHOLDS_NO_CAR: [0, 1, 0, 1],
            }
        ),
    )
    assert np.isnan(out[c.POPULATION].iloc[3])  # unknown stays unknown
    assert out[c.HOUSEHOLDS_NO_CAR].sum() == 2


def test_build_table_with_repeated_ids() -> None:
    table = _age(["Z1", "Z2", "Z3", "Z4"])
    table = pd.concat([table, table.iloc[[0]]])
    with pytest.raises(DuplicateIdError, match="repeats 1 zone id"):
        z.build_zones(_boundaries(), age=table)


def test_build_rejects_contract_breaches_via_validate() -> None:
    with pytest.raises(DataContractError, match="imd_decile"):
        z.build_zones(
            _boundaries(),
            age=_age(["Z1", "Z2", "Z3", "Z4"]),
            imd=_imd(["Z1", "Z2", "Z3", "Z4"], [1, 2, 3, 11]),
        )


# --- routing_points -------------------------------------------------------------------------


def _inside(out: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.contains_xy(np.asarray(out.geometry.array), out[c.ROUTE_X], out[c.ROUTE_Y])


def test_routing_centroid_rule() -> None:
    out = z.routing_points(_boundaries())
    assert out[c.ROUTE_METHOD].tolist() == [
        "centroid",
        "centroid",
        "centroid",
        "representative_point",
    ]
    assert out.loc[0, c.ROUTE_X] == pytest.approx(X0 + 50)
    assert out.loc[0, c.ROUTE_Y] == pytest.approx(Y0 + 50)
    assert _inside(out).all()


def test_routing_postcodes() -> None:
    postcodes = gpd.GeoDataFrame(
        {"postcode": ["A", "B", "C", "D", "E", "F"]},
        geometry=[
            Point(X0 + 10, Y0 + 10),
            Point(X0 + 30, Y0 + 50),  # Z1: mean (20, 30) inside
            Point(X0 + 305, Y0 + 90),
            Point(X0 + 395, Y0 + 20),
            Point(X0 + 395, Y0 + 95),  # Z4: mean in the gap
            Point(X0 + 5000, Y0),  # outside every zone: ignored
        ],
        crs=27700,
    ).to_crs(4326)  # reprojected to the zones' CRS
    out = z.routing_points(_boundaries(), method="postcodes", postcodes=postcodes)
    assert out[c.ROUTE_METHOD].tolist() == [
        "postcode_mean",
        "centroid",
        "centroid",
        "postcode_nearest",
    ]
    assert out.loc[0, c.ROUTE_X] == pytest.approx(X0 + 20, abs=1e-3)
    assert out.loc[0, c.ROUTE_Y] == pytest.approx(Y0 + 30, abs=1e-3)
    # Z4's mean is (365, 68.3), in the gap; the nearest of its postcodes is (395, 95).
    assert out.loc[3, c.ROUTE_X] == pytest.approx(X0 + 395, abs=1e-3)
    assert out.loc[3, c.ROUTE_Y] == pytest.approx(Y0 + 95, abs=1e-3)
    assert _inside(out).all()


def test_routing_errors() -> None:
    with pytest.raises(ConfigError, match="needs postcodes"):
        z.routing_points(_boundaries(), method="postcodes")
    with pytest.raises(ConfigError, match="method must be"):
        z.routing_points(_boundaries(), method="random")  # type: ignore[arg-type]
    with pytest.raises(CrsError, match="projected CRS"):
        z.routing_points(_boundaries().to_crs(4326))
    no_crs = gpd.GeoDataFrame(geometry=[Point(X0, Y0)])
    with pytest.raises(CrsError, match="postcode points have no CRS"):
        z.routing_points(_boundaries(), method="postcodes", postcodes=no_crs)

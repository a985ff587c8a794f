"""Contract validation on tiny hand-made layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from estatesplan.errors import (
    CrsError,
    DataContractError,
    DataQualityWarning,
    GeometryError,
    MissingColumnError,
)
from estatesplan.validate import (
    format_ids,
    validate_assets,
    validate_neighbourhoods,
    validate_zones,
)


def _assets(**overrides: object) -> gpd.GeoDataFrame:
    data = {
        "asset_id": ["A1", "A2", "A3"],
        "name": ["Surgery", "Library", "Church"],
        "owner_type": ["icb_primary_care", "local_authority", "faith"],
        "asset_type": ["gp_practice", "library", "place_of_worship"],
    }
    data.update(overrides)  # type: ignore[arg-type]
    pts = [shapely.Point(529_000 + 100 * i, 181_000) for i in range(3)]
    return gpd.GeoDataFrame(data, geometry=pts, crs="EPSG:27700")


def _zones(**overrides: object) -> gpd.GeoDataFrame:
    data = {"zone_id": ["Z1", "Z2"], "population": [1500, 1800], "imd_decile": [1, 10]}
    data.update(overrides)  # type: ignore[arg-type]
    polys = [
        shapely.box(529_000, 181_000, 529_500, 181_500),
        shapely.box(529_500, 181_000, 530_000, 181_500),
    ]
    return gpd.GeoDataFrame(data, geometry=polys, crs="EPSG:27700")


def test_valid_assets_get_optional_defaults() -> None:
    out = validate_assets(_assets())
    assert out.crs.to_epsg() == 27700
    assert np.isnan(out["gia_m2"]).all(), "unknown is NaN, never zero"
    assert out["condition"].isna().all()
    assert out["tenure"].isna().all()


def test_lonlat_input_reprojected() -> None:
    g = _assets().to_crs("EPSG:4326")
    out = validate_assets(g)
    assert out.crs.to_epsg() == 27700
    assert abs(out.geometry.x.iloc[0] - 529_000) < 0.01


def test_missing_column() -> None:
    with pytest.raises(MissingColumnError, match=r"`asset_type` missing from the asset layer"):
        validate_assets(_assets().drop(columns="asset_type"))


def test_condition_normalised_and_checked() -> None:
    out = validate_assets(_assets(condition=["b", " A", None]))
    assert out["condition"].tolist()[:2] == ["B", "A"]
    with pytest.raises(DataContractError, match=r"`condition` has 1 value\(s\) outside A–D \('E'"):
        validate_assets(_assets(condition=["B", "E", None]))


def test_negative_and_text_amounts_listed_together() -> None:
    with pytest.raises(DataContractError, match=r"2 problems found") as info:
        validate_assets(_assets(gia_m2=[100, -3, "big"]))
    assert "negative value(s) (asset_id A2)" in str(info.value)
    assert "non-numeric value(s) ('big'" in str(info.value)


def test_blank_id() -> None:
    with pytest.raises(
        DataContractError, match=r"`asset_id` is empty on 1 row\(s\) \(data rows 2\)"
    ):
        validate_assets(_assets(asset_id=["A1", " ", "A3"]))


def test_wrong_geometry_type() -> None:
    g = _assets()
    g.loc[0, "geometry"] = shapely.box(0, 0, 1, 1).buffer(0)
    g = g.set_crs("EPSG:27700", allow_override=True)
    with pytest.raises(GeometryError, match=r"Polygon, expected Point \(asset_id A1\)"):
        validate_assets(g)


def test_repair_invalid_zone_with_warning() -> None:
    z = _zones()
    z.loc[0, "geometry"] = shapely.Polygon(
        [(529_000, 181_000), (529_100, 181_100), (529_100, 181_000), (529_000, 181_100)]
    )
    with pytest.raises(GeometryError, match="Self-intersection"):
        validate_zones(z)
    with pytest.warns(DataQualityWarning, match=r"repaired 1 invalid geometry .*zone_id Z1"):
        out = validate_zones(z, repair=True)
    assert out.geometry.is_valid.all()


def test_zone_counts_coerced_and_decile_checked() -> None:
    out = validate_zones(_zones(population=["1500", 1800]))
    assert out["population"].dtype == "float64"
    with pytest.raises(DataContractError, match=r"not whole numbers 1–10 \('2.5'"):
        validate_zones(_zones(imd_decile=[2.5, 3]))


def test_no_crs() -> None:
    with pytest.raises(CrsError, match="no coordinate reference system"):
        validate_zones(_zones().set_crs(None, allow_override=True))


def test_neighbourhoods_place_added() -> None:
    n = _zones().rename(columns={"zone_id": "neighbourhood_id"}).assign(name=["North", "South"])
    out = validate_neighbourhoods(n)
    assert "place" in out.columns


def test_format_ids_truncates() -> None:
    assert format_ids(range(12)) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more"

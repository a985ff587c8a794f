"""load_asset_file: CSV, GeoJSON and GeoPackage terriers with mapping, recoding and defaults."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from estatesplan import contracts as c
from estatesplan.assets import FOOTPRINT_M2
from estatesplan.errors import (
    CrsError,
    DataContractError,
    DataSourceError,
    DuplicateIdError,
    GeometryError,
    MissingColumnError,
)
from estatesplan.sources.terrier import load_asset_file

MAPPING = {"asset_id": "Ref", "name": "Property", "asset_type": "Use", "gia_m2": "GIA"}
VALUE_MAPS = {"asset_type": {"surgery": "gp_practice", "Library": "library"}}


def _terrier_csv(tmp_path: Path, **overrides: list[object]) -> Path:
    data: dict[str, list[object]] = {
        "Ref": ["P1", "P2", "P3"],
        "Property": ["  Kentish Town Library ", "Queens Crescent Surgery", "Old Depot"],
        "Use": ["Library", "Surgery", "council_office"],
        "GIA": ["1,200", "", "300"],
        "Easting": [528000, 528500, 529000],
        "Northing": [184000, 184500, 185000],
        "Step free": ["Yes", "no", ""],
        "Ward": ["Kentish Town", "Gospel Oak", "Camden Town"],
    }
    data.update(overrides)
    path = tmp_path / "terrier.csv"
    pd.DataFrame(data).to_csv(path, index=False)
    return path


def test_csv_with_mapping_value_maps_and_defaults(tmp_path: Path) -> None:
    got = load_asset_file(
        _terrier_csv(tmp_path),
        mapping={**MAPPING, "step_free": "Step free"},
        value_maps=VALUE_MAPS,
        defaults={"owner_type": "local_authority", "owner": "Camden Council"},
        id_prefix="LBC-",
        source="camden_terrier",
    ).set_index(c.ASSET_ID, drop=False)
    assert list(got.index) == ["LBC-P1", "LBC-P2", "LBC-P3"]
    assert got[c.SOURCE_REF].tolist() == ["P1", "P2", "P3"]
    assert got[c.NAME].tolist() == ["Kentish Town Library", "Queens Crescent Surgery", "Old Depot"]
    assert got[c.ASSET_TYPE].tolist() == ["library", "gp_practice", "council_office"]
    assert (got[c.OWNER_TYPE] == "local_authority").all()
    assert got.loc["LBC-P1", c.GIA_M2] == 1200  # "1,200"
    assert np.isnan(got.loc["LBC-P2", c.GIA_M2])  # blank is unknown, not 0
    assert got[c.STEP_FREE].tolist()[:2] == [True, False]
    assert pd.isna(got[c.STEP_FREE].iloc[2])
    assert (got[c.SOURCE] == "camden_terrier").all()
    assert got["Ward"].tolist()[0] == "Kentish Town"  # unmapped columns kept
    assert "Property" not in got.columns  # mapped columns renamed, not duplicated
    assert got.crs.to_epsg() == 27700
    assert (got.geometry.x.tolist(), got.geometry.y.tolist()) == (
        [528000, 528500, 529000],
        [184000, 184500, 185000],
    )


def test_csv_lon_lat_autodetected(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    pd.DataFrame(
        {
            "asset_id": ["H1"],
            "Name": ["Royal Free Hospital"],
            "Asset Type": ["hospital"],
            "owner_type": ["nhs_trust"],
            "Longitude": [-0.165],
            "Latitude": [51.553],
        }
    ).to_csv(path, index=False)
    got = load_asset_file(path)
    assert got.crs.to_epsg() == 27700
    assert got[c.NAME].iloc[0] == "Royal Free Hospital"  # "Name" matched without mapping
    assert got[c.ASSET_TYPE].iloc[0] == "hospital"  # "Asset Type" too
    assert got.geometry.iloc[0].x == pytest.approx(527_200, abs=300)
    assert got[c.SOURCE].iloc[0] == "terrier:sites.csv"


def test_csv_explicit_columns_and_crs(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    pd.DataFrame({"id": ["1"], "name": ["A"], "E": [3_619_031.0], "N": [3_207_813.0]}).to_csv(
        path, index=False
    )
    got = load_asset_file(
        path,
        mapping={"asset_id": "id"},
        defaults={"asset_type": "library", "owner_type": "local_authority"},
        x="E",
        y="N",
        crs="EPSG:3035",
    )
    assert got.crs.to_epsg() == 27700
    assert got.geometry.iloc[0].x == pytest.approx(528_000, abs=1)
    assert got.geometry.iloc[0].y == pytest.approx(184_000, abs=1)


def test_geojson_points(tmp_path: Path) -> None:
    path = tmp_path / "assets.geojson"
    gpd.GeoDataFrame(
        {"code": ["X1", "X2"], "title": ["A", "B"]},
        geometry=[shapely.Point(-0.14, 51.54), shapely.Point(-0.15, 51.55)],
        crs="EPSG:4326",
    ).to_file(path, driver="GeoJSON")
    got = load_asset_file(
        path,
        mapping={"asset_id": "code", "name": "title"},
        defaults={"asset_type": "community_centre", "owner_type": "vcse"},
    )
    assert got[c.ASSET_ID].tolist() == ["X1", "X2"]
    assert got.crs.to_epsg() == 27700


def test_gpkg_polygons_become_points_with_footprint(tmp_path: Path) -> None:
    path = tmp_path / "sites.gpkg"
    square = shapely.box(528000, 184000, 528040, 184025)  # 40 m x 25 m = 1000 m²
    gpd.GeoDataFrame({"site": ["Depot"]}, geometry=[square], crs=c.ANALYSIS_CRS).to_file(
        path, layer="sites"
    )
    got = load_asset_file(
        path,
        layer="sites",
        mapping={"name": "site"},
        defaults={"asset_type": "council_office", "owner_type": "local_authority"},
    )
    assert got[c.ASSET_ID].tolist() == ["sites-1"]  # no id column: file stem + row number
    assert got[FOOTPRINT_M2].iloc[0] == pytest.approx(1000)
    assert got.geometry.iloc[0].geom_type == "Point"
    assert square.contains(got.geometry.iloc[0])


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="file not found"):
        load_asset_file(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataSourceError, match="empty"):
        load_asset_file(empty)
    header = tmp_path / "header.csv"
    header.write_text("asset_id,name,easting,northing\n")
    with pytest.raises(DataSourceError, match="no data rows"):
        load_asset_file(header)
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not a geopackage at all")
    with pytest.raises(DataSourceError, match=r"junk\.gpkg"):
        load_asset_file(junk)


def test_missing_mapped_column(tmp_path: Path) -> None:
    with pytest.raises(MissingColumnError, match="`Tenure` \\(mapped to `tenure`\\)"):
        load_asset_file(
            _terrier_csv(tmp_path),
            mapping={**MAPPING, "tenure": "Tenure"},
            value_maps=VALUE_MAPS,
            defaults={"owner_type": "local_authority"},
        )


def test_missing_required_column(tmp_path: Path) -> None:
    with pytest.raises(MissingColumnError, match="owner_type"):
        load_asset_file(_terrier_csv(tmp_path), mapping=MAPPING, value_maps=VALUE_MAPS)


def test_no_coordinate_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"asset_id": ["A"], "name": ["B"]}).to_csv(path, index=False)
    with pytest.raises(MissingColumnError, match="no coordinate columns"):
        load_asset_file(path)


def test_bad_coordinates_list_rows(tmp_path: Path) -> None:
    path = _terrier_csv(tmp_path, Easting=[528000, "n/a", ""])
    with pytest.raises(GeometryError, match=r"`Easting`/`Northing`.*row\(s\) 2, 3"):
        load_asset_file(path, mapping=MAPPING, value_maps=VALUE_MAPS)


def test_coordinates_outside_great_britain(tmp_path: Path) -> None:
    path = _terrier_csv(tmp_path, Easting=[-0.14, -0.15, -0.16], Northing=[51.5, 51.5, 51.5])
    with pytest.raises(CrsError, match="outside Great Britain"):
        load_asset_file(
            path,
            mapping=MAPPING,
            value_maps=VALUE_MAPS,
            defaults={"owner_type": "other"},
            crs="EPSG:3857",
        )


def test_unknown_asset_type_after_mapping(tmp_path: Path) -> None:
    path = _terrier_csv(tmp_path, Use=["Library", "Car park", "Surgery"])
    with pytest.raises(DataContractError, match=r"`Use` \(asset_type\).*'Car park'.*row\(s\) 2"):
        load_asset_file(
            path, mapping=MAPPING, value_maps=VALUE_MAPS, defaults={"owner_type": "other"}
        )


def test_bad_step_free_value(tmp_path: Path) -> None:
    path = _terrier_csv(tmp_path, **{"Step free": ["Yes", "sometimes", ""]})
    with pytest.raises(DataContractError, match=r"'sometimes'.*row\(s\) 2"):
        load_asset_file(
            path,
            mapping={**MAPPING, "step_free": "Step free"},
            value_maps=VALUE_MAPS,
            defaults={"owner_type": "other"},
        )


def test_duplicate_ids(tmp_path: Path) -> None:
    path = _terrier_csv(tmp_path, Ref=["P1", "P1", "P3"])
    with pytest.raises(DuplicateIdError, match="P1"):
        load_asset_file(
            path, mapping=MAPPING, value_maps=VALUE_MAPS, defaults={"owner_type": "other"}
        )


def test_empty_geometry(tmp_path: Path) -> None:
    path = tmp_path / "g.gpkg"
    gpd.GeoDataFrame(
        {"asset_id": ["A", "B"], "name": ["a", "b"]},
        geometry=[shapely.Point(528000, 184000), shapely.Point()],
        crs=c.ANALYSIS_CRS,
    ).to_file(path)
    with pytest.raises(GeometryError, match=r"missing or empty geometry.*B"):
        load_asset_file(path, defaults={"asset_type": "library", "owner_type": "local_authority"})


def test_invalid_polygon(tmp_path: Path) -> None:
    path = tmp_path / "g.gpkg"
    bowtie = shapely.Polygon(
        [(528000, 184000), (528010, 184010), (528010, 184000), (528000, 184010)]
    )
    gpd.GeoDataFrame(
        {"asset_id": ["A"], "name": ["a"]}, geometry=[bowtie], crs=c.ANALYSIS_CRS
    ).to_file(path)
    with pytest.raises(GeometryError, match=r"invalid polygon.*row\(s\) 1"):
        load_asset_file(path, defaults={"asset_type": "library", "owner_type": "local_authority"})


def test_gpkg_without_crs(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame(
            {"asset_id": ["A"], "name": ["a"]}, geometry=[shapely.Point(528000, 184000)]
        ).to_file(path)
    defaults = {"asset_type": "library", "owner_type": "local_authority"}
    with pytest.raises(CrsError, match="no coordinate reference system"):
        load_asset_file(path, defaults=defaults)
    got = load_asset_file(path, defaults=defaults, crs="EPSG:27700")
    assert got.geometry.iloc[0].x == 528000


def test_geojson_without_crs_member_holding_eastings(tmp_path: Path) -> None:
    """GeoJSON is lon/lat by definition; eastings in it are caught, not silently misplaced."""
    path = tmp_path / "bng.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"asset_id": "A", "name": "a"},
                        "geometry": {"type": "Point", "coordinates": [528000, 184000]},
                    }
                ],
            }
        )
    )
    with pytest.raises(CrsError):
        load_asset_file(path, defaults={"asset_type": "library", "owner_type": "local_authority"})


def test_declared_crs_conflicts_with_argument(tmp_path: Path) -> None:
    path = tmp_path / "a.gpkg"
    gpd.GeoDataFrame(
        {"asset_id": ["A"], "name": ["a"]}, geometry=[shapely.Point(528000, 184000)], crs=27700
    ).to_file(path)
    with pytest.raises(CrsError, match="declares"):
        load_asset_file(
            path, crs="EPSG:4326", defaults={"asset_type": "library", "owner_type": "other"}
        )

"""Exports: RFC 7946 GeoJSON, GeoPackage, CSV; synthetic marking; all-or-nothing writes."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from estatesplan import export
from estatesplan.export import read_study, to_geojson, write_study
from estatesplan.pipeline import demo_study
from estatesplan.study import Study


@pytest.fixture(scope="module")
def demo() -> Study:
    return demo_study(seed=0)


def test_geojson_rfc7946(tmp_path: Path) -> None:
    g = gpd.GeoDataFrame(
        {"asset_id": ["A1", "A2"], "gia_m2": [120.5, float("nan")]},
        geometry=[shapely.Point(529_090, 181_680), shapely.Point(529_190, 181_680)],
        crs="EPSG:27700",
    )
    doc = json.loads(to_geojson(g, tmp_path / "a.geojson").read_text())
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert -0.2 < lon < -0.1 and 51.5 < lat < 51.6  # lon first, then lat
    assert len(str(lon).split(".")[1]) <= 7
    assert doc["features"][1]["properties"]["gia_m2"] is None  # unknown, not 0 or NaN
    assert doc["estatesplan"]["synthetic"] is False


def test_write_and_read_round_trip(demo: Study, tmp_path: Path) -> None:
    files = write_study(demo, tmp_path / "out")
    for name in (
        "assets.geojson",
        "zones.geojson",
        "neighbourhoods.geojson",
        "study.gpkg",
        "assets.csv",
        "zones.csv",
        "manifest.json",
    ):
        assert (tmp_path / "out" / name).is_file(), name
        assert name in files
    doc = json.loads((tmp_path / "out" / "assets.geojson").read_text())
    assert doc["estatesplan"]["synthetic"] is True
    assert "SYNTHETIC DATA" in doc["estatesplan"]["notice"]
    assert all(f["properties"]["synthetic"] is True for f in doc["features"])
    back = read_study(tmp_path / "out")
    assert back.synthetic and back.name == demo.name
    assert sorted(back.assets["asset_id"]) == sorted(demo.assets["asset_id"])
    assert back.zones.crs == demo.zones.crs
    assert back.zones.geometry.area.sum() == pytest.approx(demo.zones.geometry.area.sum(), rel=1e-9)
    assert list(back.cohort_weights.columns) == list(demo.cohort_weights.columns)
    assert back.cohort_weights["everyone"].sum() == pytest.approx(demo.zones["population"].sum())
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"]["zones"] == len(demo.zones)
    assert manifest["synthetic"] is True
    csv = (tmp_path / "out" / "zones.csv").read_text().splitlines()[0]
    assert "cohort_over_65" in csv and "synthetic" in csv
    # a study read back carries the joined access/carbon columns: writing it again works
    # and gives the same columns, not a pandas "columns overlap" error
    again = write_study(back, tmp_path / "again")
    assert set(gpd.read_file(again["study.gpkg"], layer="zones").columns) == set(
        gpd.read_file(files["study.gpkg"], layer="zones").columns
    )
    assert config_path_recorded(manifest, demo)


def config_path_recorded(manifest: dict[str, object], study: Study) -> bool:
    """The manifest records the config the study came from (the app reopens it)."""
    return manifest.get("config_path") == study.config_path


def test_geojson_reads_back_in_gdal(demo: Study, tmp_path: Path) -> None:
    write_study(demo, tmp_path / "out")
    g = gpd.read_file(tmp_path / "out" / "zones.geojson")
    assert g.crs.to_epsg() == 4326
    assert len(g) == len(demo.zones)
    assert g.geometry.is_valid.all()


def test_failure_leaves_nothing_half_written(
    demo: Study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_study(demo, out)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(export, "to_gpkg", boom)
    with pytest.raises(OSError, match="disk full"):
        write_study(demo, out)
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert after == before, "existing outputs untouched"
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "no staging folder left behind"

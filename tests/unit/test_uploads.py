"""Studies from uploaded files: written beside a generated config, checked by the same
readers and contracts as ``estatesplan run``; bad uploads are refused with the file named."""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import geopandas as gpd
import pytest

from estatesplan import demo
from estatesplan.errors import DataContractError, DataSourceError, EstatesplanError
from estatesplan.uploads import Upload, prepare_uploads, study_from_uploads


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demo.write_demo(folder, seed=0)
    return folder


def _up(folder: Path, name: str, as_name: str | None = None) -> Upload:
    return Upload(as_name or name, (folder / name).read_bytes())


def test_uploaded_zones_and_assets_make_a_study(demo_files: Path, tmp_path: Path) -> None:
    files = {"zones": _up(demo_files, "zones.gpkg"), "assets": _up(demo_files, "assets.gpkg")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = study_from_uploads(files, name="My borough", folder=tmp_path)
    study = ws.study
    assert study.name == "My borough" and ws.has_config
    assert len(study.zones) == len(gpd.read_file(demo_files / "zones.gpkg"))
    assert len(study.assets) == len(gpd.read_file(demo_files / "assets.gpkg"))
    assert len(study.neighbourhoods) >= 1  # proposed from the zones
    assert study.matrices == {} and study.access is None  # no street extract uploaded
    toml = Path(study.config_path)
    cfg = tomllib.loads(toml.read_text(encoding="utf-8"))
    assert cfg["zones"]["file"] == "zones.gpkg" and "network" not in cfg
    # the same files again reuse the folder
    assert prepare_uploads(files, name="My borough", folder=tmp_path) == toml
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 1


def test_file_names_are_sanitised_and_kept_apart(demo_files: Path, tmp_path: Path) -> None:
    files = {
        "zones": _up(demo_files, "zones.gpkg", "../../etc/my zones.gpkg"),
        "assets": _up(demo_files, "assets.gpkg", "my zones.gpkg"),
        "network": _up(demo_files, "streets.osm.pbf"),
    }
    toml = prepare_uploads(files, folder=tmp_path)
    cfg = tomllib.loads(toml.read_text(encoding="utf-8"))
    assert cfg["zones"]["file"] == "my_zones.gpkg"
    assert cfg["assets"]["files"][0]["path"] == "assets_my_zones.gpkg"
    assert cfg["network"]["osm"] == "streets.osm.pbf"
    assert sorted(p.name for p in toml.parent.iterdir()) == [
        "assets_my_zones.gpkg", "my_zones.gpkg", "streets.osm.pbf", "study.toml",
    ]  # fmt: skip
    assert toml.parent.parent == tmp_path


def test_a_timetable_adds_the_transit_mode(demo_files: Path, tmp_path: Path) -> None:
    files = {
        "zones": _up(demo_files, "zones.gpkg"),
        "assets": _up(demo_files, "assets.gpkg"),
        "network": _up(demo_files, "streets.osm.pbf"),
        "timetable": _up(demo_files, "gtfs.zip", "buses.zip"),
    }
    toml = prepare_uploads(files, folder=tmp_path)
    cfg = tomllib.loads(toml.read_text(encoding="utf-8"))
    assert cfg["transit"] == {"gtfs": "buses.zip"}
    from estatesplan.config import load_config

    assert load_config(toml).access.modes == ("walk", "cycle", "drive", "transit")
    alone = {k: v for k, v in files.items() if k != "network"}
    with pytest.raises(DataSourceError, match=r"upload the street network \(\.osm\.pbf\) too"):
        prepare_uploads(alone, folder=tmp_path)


@pytest.mark.parametrize(
    ("files", "match"),
    [
        ({"assets": Upload("a.gpkg", b"x")}, "upload the zones"),
        ({"zones": Upload("z.gpkg", b"x"), "assets": None}, "upload the assets"),
        ({"zones": Upload("z.shp", b"x"), "assets": Upload("a.gpkg", b"x")},
         r"z\.shp: not a zones file .*\.gpkg"),
        ({"zones": Upload("z.gpkg", b""), "assets": Upload("a.gpkg", b"x")},
         r"z\.gpkg: the uploaded zones file is empty"),
        ({"zones": Upload("z.gpkg", b"x"), "assets": Upload("a.gpkg", b"x"),
          "pickle": Upload("p.pkl", b"x")}, "unknown upload slot"),
    ],
)  # fmt: skip
def test_bad_uploads_are_refused(files: dict[str, Upload | None], match: str,
                                 tmp_path: Path) -> None:  # fmt: skip
    with pytest.raises(DataSourceError, match=match):
        prepare_uploads(files, folder=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing written


def test_broken_layers_fail_with_the_file_named(demo_files: Path, tmp_path: Path) -> None:
    corrupt = {"zones": Upload("zones.gpkg", b"not a geopackage"),
               "assets": _up(demo_files, "assets.gpkg")}  # fmt: skip
    with pytest.raises(EstatesplanError, match=r"zones\.gpkg"):
        study_from_uploads(corrupt, folder=tmp_path)
    assets = gpd.read_file(demo_files / "assets.gpkg")
    assets.loc[1, "asset_id"] = assets.loc[0, "asset_id"]
    broken = tmp_path / "dup_ids.geojson"
    assets.to_file(broken, driver="GeoJSON")
    files = {"zones": _up(demo_files, "zones.gpkg"), "assets": _up(tmp_path, broken.name)}
    with pytest.raises(DataContractError, match=r"dup_ids\.geojson(.|\n)*asset_id"):
        study_from_uploads(files, folder=tmp_path / "up")

"""The bad-input catalogue, end to end: each defect in a study's files gets a clear error.

Every case starts from the demo study's input files (generated in tmp_path), breaks
one thing, runs the whole study and checks the error class and that the message
names the file/column/ids and what to do. Loader-level cases are also covered in
the unit tests of each loader; these prove the message reaches the user intact.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from estatesplan import demo, pipeline
from estatesplan.errors import (
    ConfigError,
    CrsError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    GeometryError,
    MissingColumnError,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo_inputs")
    demo.write_demo(folder, seed=0)
    return folder


@pytest.fixture
def study_dir(demo_inputs: Path, tmp_path: Path) -> Path:
    out = tmp_path / "study"
    shutil.copytree(demo_inputs, out)
    return out


def _edit_layer(path: Path, layer: str, fn: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> None:
    gdf = gpd.read_file(path, layer=layer)
    gdf = fn(gdf)
    path.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # writing a layer without a CRS, on purpose
        gdf.to_file(path, layer=layer, driver="GPKG")


def _set_toml(study_dir: Path, old: str, new: str) -> None:
    toml = study_dir / "demo.toml"
    text = toml.read_text()
    assert old in text, f"{old!r} not in demo.toml"
    toml.write_text(text.replace(old, new, 1))


def test_baseline_runs(study_dir: Path) -> None:
    study = pipeline.run_study(study_dir / "demo.toml")
    assert study.synthetic
    assert len(study.zones) >= 100


def test_missing_file(study_dir: Path) -> None:
    (study_dir / "zones.gpkg").unlink()
    with pytest.raises(ConfigError, match=r"\[zones\] file: file not found: .*zones\.gpkg"):
        pipeline.run_study(study_dir / "demo.toml")


def test_empty_file(study_dir: Path) -> None:
    (study_dir / "zones.gpkg").write_bytes(b"")
    with pytest.raises(DataSourceError, match=r"zones: file is empty \(0 bytes\): .*zones\.gpkg"):
        pipeline.run_study(study_dir / "demo.toml")


def test_missing_required_column(study_dir: Path) -> None:
    _edit_layer(study_dir / "zones.gpkg", "zones", lambda g: g.drop(columns="population"))
    with pytest.raises(MissingColumnError, match=r"required column `population` missing"):
        pipeline.run_study(study_dir / "demo.toml")


def test_duplicate_ids(study_dir: Path) -> None:
    def dup(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        g.loc[1, "asset_id"] = g.loc[0, "asset_id"]
        return g

    _edit_layer(study_dir / "assets.gpkg", "assets", dup)
    with pytest.raises(DuplicateIdError, match=r"`asset_id` has 1 duplicated id\(s\): DEMO-A001"):
        pipeline.run_study(study_dir / "demo.toml")


def test_invalid_geometry(study_dir: Path) -> None:
    def bowtie(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        x0, y0 = g.geometry.iloc[0].representative_point().coords[0]
        g.loc[0, "geometry"] = shapely.Polygon(
            [(x0, y0), (x0 + 50, y0 + 50), (x0 + 50, y0), (x0, y0 + 50)]
        )
        return g

    _edit_layer(study_dir / "zones.gpkg", "zones", bowtie)
    with pytest.raises(
        GeometryError, match=r"1 invalid geometry \(zone_id DMO0001; first: Self-intersection"
    ):
        pipeline.run_study(study_dir / "demo.toml")


def test_empty_geometry(study_dir: Path) -> None:
    def empty(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        g.loc[2, "geometry"] = shapely.Point()
        return g

    _edit_layer(study_dir / "assets.gpkg", "assets", empty)
    with pytest.raises(GeometryError, match=r"missing or empty geometry \(asset_id DEMO-A003\)"):
        pipeline.run_study(study_dir / "demo.toml")


def test_no_crs(study_dir: Path) -> None:
    _edit_layer(study_dir / "zones.gpkg", "zones", lambda g: g.set_crs(None, allow_override=True))
    with pytest.raises(CrsError, match=r"no coordinate reference system"):
        pipeline.run_study(study_dir / "demo.toml")


def test_unexpected_crs(study_dir: Path) -> None:
    # eastings/northings mislabelled as lon/lat
    _edit_layer(
        study_dir / "zones.gpkg", "zones", lambda g: g.set_crs("EPSG:4326", allow_override=True)
    )
    with pytest.raises(CrsError, match=r"outside Great Britain .* declared CRS is probably wrong"):
        pipeline.run_study(study_dir / "demo.toml")


def test_non_numeric_counts(study_dir: Path) -> None:
    def text(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        g["age_0_4"] = g["age_0_4"].astype(str)
        g.loc[3, "age_0_4"] = "about 40"
        return g

    _edit_layer(study_dir / "zones.gpkg", "zones", text)
    with pytest.raises(
        DataContractError, match=r"`age_0_4` has 1 non-numeric value\(s\) \('about 40'"
    ):
        pipeline.run_study(study_dir / "demo.toml")


def test_negative_counts(study_dir: Path) -> None:
    def neg(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        g.loc[4, "population"] = -5
        return g

    _edit_layer(study_dir / "zones.gpkg", "zones", neg)
    with pytest.raises(
        DataContractError, match=r"`population` has 1 negative value\(s\) \(zone_id DMO0005\)"
    ):
        pipeline.run_study(study_dir / "demo.toml")


def test_imd_decile_out_of_range(study_dir: Path) -> None:
    def bad(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        g.loc[0, "imd_decile"] = 11
        g.loc[1, "imd_decile"] = 0
        return g

    _edit_layer(study_dir / "zones.gpkg", "zones", bad)
    with pytest.raises(
        DataContractError, match=r"`imd_decile` has 2 value\(s\) that are not whole numbers 1–10"
    ):
        pipeline.run_study(study_dir / "demo.toml")


def test_several_problems_reported_together(study_dir: Path) -> None:
    def bad(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        g.loc[0, "imd_decile"] = 11
        g.loc[4, "population"] = -5
        g.loc[1, "zone_id"] = g.loc[0, "zone_id"]
        return g

    _edit_layer(study_dir / "zones.gpkg", "zones", bad)
    with pytest.raises(DataContractError, match=r"3 problems found") as info:
        pipeline.run_study(study_dir / "demo.toml")
    text = str(info.value)
    assert "duplicated" in text and "negative" in text and "imd_decile" in text


def test_unknown_asset_type(study_dir: Path) -> None:
    def bad(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        g.loc[0, "asset_type"] = "spaceport"
        return g

    _edit_layer(study_dir / "assets.gpkg", "assets", bad)
    with pytest.raises(
        DataContractError,
        match=r"`asset_type` .*unknown value\(s\) 'spaceport' on data row\(s\) 1\. Allowed: gp_practice.*value_maps",
    ):
        pipeline.run_study(study_dir / "demo.toml")


def test_assets_outside_area_warn_and_are_listed(study_dir: Path) -> None:
    def far(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        g.loc[0, "geometry"] = shapely.Point(300_000, 500_000)  # far outside Demoborough
        return g

    _edit_layer(study_dir / "assets.gpkg", "assets", far)
    with pytest.warns(DataQualityWarning, match=r"DEMO-A001"):
        study = pipeline.run_study(study_dir / "demo.toml")
    assert "DEMO-A001" not in set(study.assets["asset_id"])


def test_corrupt_osm_pbf(study_dir: Path) -> None:
    (study_dir / "streets.osm.pbf").write_bytes(b"\x00\x00\x00\x0eOSMHeader garbage" * 10)
    _set_toml(study_dir, "\nuse_osm_assets = false", "\nuse_osm_assets = true")
    with pytest.raises(DataSourceError, match=r"streets\.osm\.pbf"):
        pipeline.run_study(study_dir / "demo.toml")


def test_malformed_toml(study_dir: Path) -> None:
    _set_toml(study_dir, 'name = "Demoborough (synthetic)"', 'name = "Demoborough (synthetic)')
    with pytest.raises(ConfigError, match=r"not valid TOML"):
        pipeline.run_study(study_dir / "demo.toml")


def test_unknown_config_key(study_dir: Path) -> None:
    _set_toml(study_dir, "[zones]", "[zones]\npopulaton_file = 'x.csv'")
    with pytest.raises(ConfigError, match=r"\[zones\] unknown key 'populaton_file'"):
        pipeline.run_study(study_dir / "demo.toml")


def test_cohort_names_missing_column(study_dir: Path) -> None:
    with (study_dir / "demo.toml").open("a") as fh:
        fh.write('\n[cohorts]\nrenters = "households_renting"\n')
    with pytest.raises(
        DataContractError, match=r"cohort 'renters' .* names column\(s\) households_renting"
    ):
        pipeline.run_study(study_dir / "demo.toml")


@pytest.mark.parametrize(
    ("expression", "what"),
    [
        ("population ** 2", r"the operator \*\*"),
        ("__import__('os').system('true')", "a function call"),
        ("population.sum()", "a function call"),
        ("population[0]", "indexing"),
        ("population if 1 else 0", "if/else"),
        ("'text'", "the value 'text'"),
    ],
)
def test_cohort_expression_disallowed(study_dir: Path, expression: str, what: str) -> None:
    with (study_dir / "demo.toml").open("a") as fh:
        fh.write(f'\n[cohorts]\nbad = "{expression}"\n')
    with pytest.raises(ConfigError, match=rf"cohort 'bad': {what} is not allowed"):
        pipeline.run_study(study_dir / "demo.toml")

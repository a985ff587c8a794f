"""Study config: TOML into frozen dataclasses; every problem reported in one error."""

from __future__ import annotations

from pathlib import Path

import pytest

from estatesplan.config import StudyConfig, load_config
from estatesplan.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "zones.gpkg").write_bytes(b"x")
    (tmp_path / "assets.csv").write_text("asset_id\n")
    p = tmp_path / "study.toml"
    p.write_text(text)
    return p


MINIMAL = """
[study]
name = "Testham"
[zones]
file = "zones.gpkg"
[assets]
files = [ { path = "assets.csv", x = "easting", y = "northing" } ]
"""


def test_minimal_config_defaults(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, MINIMAL))
    assert isinstance(cfg, StudyConfig)
    assert cfg.name == "Testham"
    assert cfg.crs == "EPSG:27700"
    assert cfg.synthetic is False
    assert cfg.zones.file == tmp_path / "zones.gpkg"  # relative to the config file
    assert cfg.assets.files[0].x == "easting"
    assert cfg.neighbourhoods.method == "regionalise"
    assert (cfg.neighbourhoods.min_population, cfg.neighbourhoods.max_population) == (
        30_000,
        50_000,
    )
    assert cfg.access.thresholds_min == (10.0, 15.0, 20.0, 30.0)
    assert cfg.cohorts == {}


def test_config_is_frozen(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, MINIMAL))
    with pytest.raises(AttributeError):
        cfg.name = "x"  # type: ignore[misc]


def test_digest_stable_and_sensitive(tmp_path: Path) -> None:
    a = load_config(_write(tmp_path, MINIMAL))
    b = load_config(_write(tmp_path, MINIMAL))
    assert a.digest() == b.digest() and len(a.digest()) == 64
    c = load_config(_write(tmp_path, MINIMAL.replace("Testham", "Otherham")))
    assert c.digest() != a.digest()


def test_all_problems_listed_once(tmp_path: Path) -> None:
    text = """
[study]
crs = "EPSG:4326"
asset_buffer_m = -5
colour = "blue"
[zones]
file = "nowhere.gpkg"
routing = "postcodes"
[neighbourhoods]
min_population = 50000
max_population = 1000
[cohorts]
bad = "population ** 2"
[access]
thresholds_min = [10, -1]
[weather]
sunny = true
"""
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text))
    msg = str(info.value)
    for expected in (
        "unknown section [weather]",
        "[study] unknown key 'colour'",
        "[study] name is required",
        "not projected",
        "asset_buffer_m must be ≥ 0",
        "[zones] file: file not found",
        "routing = 'postcodes' needs postcodes",
        "min_population ≤ max_population",
        "the operator **",
        "thresholds_min must be a list of positive minutes",
    ):
        assert expected in msg, expected
    assert "problems in the study config" in msg


def test_malformed_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not valid TOML .*line 2"):
        load_config(_write(tmp_path, '[study]\nname = "x\nother = 1\n'))


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="study config not found"):
        load_config(tmp_path / "absent.toml")


def test_wrong_types(tmp_path: Path) -> None:
    text = MINIMAL + '\n[neighbourhoods]\nseed = "zero"\n'
    with pytest.raises(ConfigError, match=r"\[neighbourhoods\] seed must be int, found 'zero'"):
        load_config(_write(tmp_path, text))


def test_imd2019_needs_lookup(tmp_path: Path) -> None:
    (tmp_path / "b.gpkg").write_bytes(b"x")
    (tmp_path / "imd.csv").write_text("x\n")
    text = '[study]\nname="t"\n[zones]\nboundaries="b.gpkg"\nimd="imd.csv"\nimd_edition=2019\n'
    with pytest.raises(ConfigError, match="imd_edition = 2019 needs imd_lookup"):
        load_config(_write(tmp_path, text))


def test_camden_example_parses(shared_data: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    cfg = load_config(repo / "examples" / "camden.toml")
    assert cfg.area.codes == ("E09000007",)
    assert cfg.zones.imd_edition == 2025
    assert cfg.assets.osm is not None and cfg.assets.osm.name == "camden_2km.osm.pbf"

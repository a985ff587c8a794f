"""The demo and real studies write travel-time matrices for walk, cycle, drive (and transit), cached."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estatesplan import cli, demo, export, networks, pipeline
from estatesplan.errors import ConfigError, DataQualityWarning

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_toml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.write_demo(tmp_path_factory.mktemp("demo"), seed=0)


def test_demo_study_has_matrices_for_every_mode(demo_toml: Path, tmp_path: Path) -> None:
    study = pipeline.run_study(demo_toml)
    assert set(study.matrices) == {"walk", "cycle", "drive", "transit"}  # the demo has a bus feed
    for mode, m in study.matrices.items():
        assert m.minutes.dtype == np.float32
        assert m.minutes.shape == (len(study.zones), len(study.assets))
        assert list(m.origin_ids) == study.zones["zone_id"].tolist()
        assert list(m.destination_ids) == study.assets["asset_id"].tolist()
        finite = m.minutes[np.isfinite(m.minutes)]
        assert (finite >= 0).all() and (finite <= 60).all()
        # an 8 × 7 km borough: by bike or car every pair is within 60 min; on foot routes run
        # ~1.25× the straight line, so about four pairs in five are
        assert np.isfinite(m.minutes).mean() > (0.75 if mode in ("walk", "transit") else 0.99), mode
    walk, cycle = study.matrices["walk"].minutes, study.matrices["cycle"].minutes
    both = np.isfinite(walk) & np.isfinite(cycle)
    assert np.nanmedian(cycle[both]) < np.nanmedian(walk[both])  # cycling beats walking overall
    transit = study.matrices["transit"].minutes
    assert (np.nan_to_num(transit, nan=np.inf) <= np.nan_to_num(walk, nan=np.inf)).all()
    assert np.isfinite(transit).mean() > np.isfinite(walk).mean()  # buses reach further in 60 min
    files = export.write_study(study, tmp_path / "out")
    for mode in ("walk", "cycle", "drive", "transit"):
        long = pd.read_parquet(files[f"matrix_{mode}.parquet"])
        assert list(long.columns)[:3] == ["origin_id", "destination_id", "minutes"]
    back = export.read_study(tmp_path / "out")
    np.testing.assert_array_equal(back.matrices["walk"].minutes, study.matrices["walk"].minutes)
    np.testing.assert_array_equal(back.matrices["transit"].minutes, transit)
    assert back.matrices["transit"].metadata["timetable"]["gtfs"] == "gtfs.zip"


def test_rerun_with_nothing_changed_builds_no_network(
    demo_toml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = pipeline.run_study(demo_toml)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network rebuilt although nothing changed")

    monkeypatch.setattr(networks, "networks_from_osm", refuse)
    second = pipeline.run_study(demo_toml)
    for mode in first.matrices:
        np.testing.assert_array_equal(first.matrices[mode].minutes, second.matrices[mode].minutes)


def test_matrices_can_be_skipped(demo_toml: Path) -> None:
    assert pipeline.run_study(demo_toml, matrices=False).matrices == {}


def test_cli_matrix_command(
    demo_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = demo_toml.parent
    out = tmp_path / "walk.parquet"
    code = cli.main([
        "-q", "matrix", "--osm", str(folder / "streets.osm.pbf"), "--origins", str(folder / "zones.gpkg"),
        "--destinations", str(folder / "assets.gpkg"), "--mode", "walk", "--cutoff", "20",
        "--origin-id", "zone_id", "--destination-id", "asset_id", "--out", str(out),
    ])  # fmt: skip
    assert code == 0
    assert "walk matrix: 150 origins × 81 destinations" in capsys.readouterr().out
    long = pd.read_parquet(out)
    assert set(long.columns) >= {"origin_id", "destination_id", "minutes"}
    assert long["minutes"].max() <= 20


def test_cli_transit_matrix_command(
    demo_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = demo_toml.parent
    base = [
        "-q", "matrix", "--osm", str(folder / "streets.osm.pbf"), "--origins", str(folder / "zones.gpkg"),
        "--destinations", str(folder / "assets.gpkg"), "--cutoff", "45",
        "--origin-id", "zone_id", "--destination-id", "asset_id",
    ]  # fmt: skip
    transit = [
        "--mode", "transit", "--gtfs", str(folder / "gtfs.zip"), "--date", "2026-05-12",
        "--window", "08:00-09:00", "--out", str(tmp_path / "t.parquet"),
    ]  # fmt: skip
    assert cli.main([*base, *transit]) == 0
    printed = capsys.readouterr().out
    assert "transit matrix: 150 origins × 81 destinations" in printed
    assert "gtfs.zip, Tuesday 2026-05-12 (as configured)" in printed
    assert "departures 08:00–09:00 every minute, percentile 50" in printed
    assert "stops: 61 of 61 served that day lie within the street extract" in printed
    assert cli.main([*base, "--mode", "walk", "--out", str(tmp_path / "w.parquet")]) == 0
    t = pd.read_parquet(tmp_path / "t.parquet").set_index(["origin_id", "destination_id"])[
        "minutes"
    ]
    w = pd.read_parquet(tmp_path / "w.parquet").set_index(["origin_id", "destination_id"])[
        "minutes"
    ]
    assert w.index.isin(t.index).all() and len(t) > len(w)  # every walkable pair, and more
    assert (t.reindex(w.index) <= w).all()  # never slower than walking
    assert (t.reindex(w.index) < w - 1).any()  # the buses help somewhere


def test_cli_transit_percentiles(
    demo_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = demo_toml.parent
    base = [
        "-q", "matrix", "--osm", str(folder / "streets.osm.pbf"), "--origins", str(folder / "zones.gpkg"),
        "--destinations", str(folder / "assets.gpkg"), "--cutoff", "45", "--destination-id", "asset_id",
        "--mode", "transit", "--gtfs", str(folder / "gtfs.zip"), "--date", "2026-05-12",
        "--window", "08:00-09:00",
    ]  # fmt: skip
    assert (
        cli.main([*base, "--percentiles", "5,25,50,75,95", "--out", str(tmp_path / "p.parquet")])
        == 0
    )
    assert "transit percentiles p5, p25, p50, p75, p95:" in capsys.readouterr().out
    assert cli.main([*base, "--out", str(tmp_path / "m.parquet")]) == 0
    p = pd.read_parquet(tmp_path / "p.parquet").set_index(["origin_id", "destination_id"])
    median = (
        pd.read_parquet(tmp_path / "m.parquet")  # ids are dictionary-encoded there
        .astype({"origin_id": "str", "destination_id": "str"})
        .set_index(["origin_id", "destination_id"])
    )
    assert list(p.columns) == ["p5", "p25", "p50", "p75", "p95"]
    # the median column is the single-percentile matrix, pair for pair
    pd.testing.assert_series_equal(
        p["p50"].dropna().sort_index(), median["minutes"].sort_index(), check_names=False
    )
    v = p.to_numpy(dtype=float)
    ok = np.isfinite(v).all(axis=1)
    assert ok.sum() > 1000 and (np.diff(v[ok], axis=1) >= 0).all()  # percentiles never decrease
    assert (v[ok, 4] > v[ok, 0]).any()  # leaving at another minute changes some times


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--mode", "walk", "--percentiles", "50"], "--percentiles only applies to --mode transit"),
        (["--mode", "transit", "--gtfs", "{gtfs}", "--percentiles", "50,5"], "must be increasing numbers"),
        (["--mode", "transit"], "--mode transit needs --gtfs FEED.zip"),
        (["--mode", "walk", "--gtfs", "x.zip"], "--gtfs only applies to --mode transit"),
        (["--mode", "transit", "--gtfs", "{gtfs}", "--date", "12/05/2026"], "--date '12/05/2026' must be a date"),
        (["--mode", "transit", "--gtfs", "{gtfs}", "--window", "9-10"], "--window: departure window '9-10' must look like 07:00-10:00"),
        (["--mode", "transit", "--gtfs", "{gtfs}", "--date", "2026-05-10"], "no trip runs on Sunday 2026-05-10"),
        (["--mode", "transit", "--gtfs", "{osm}"], "not a zip archive"),
    ],
)  # fmt: skip
def test_cli_transit_matrix_bad_input(
    demo_toml: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    folder = demo_toml.parent
    fill = {"{gtfs}": str(folder / "gtfs.zip"), "{osm}": str(folder / "streets.osm.pbf")}
    code = cli.main([
        "matrix", "--osm", str(folder / "streets.osm.pbf"), "--origins", str(folder / "zones.gpkg"),
        "--destinations", str(folder / "assets.gpkg"), "--destination-id", "asset_id",
        *[fill.get(x, x) for x in extra], "--out", str(tmp_path / "x.parquet"),
    ])  # fmt: skip
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()


def test_cli_matrix_bad_cutoff(
    demo_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = demo_toml.parent
    code = cli.main([
        "matrix", "--osm", str(folder / "streets.osm.pbf"), "--origins", str(folder / "zones.gpkg"),
        "--destinations", str(folder / "assets.gpkg"), "--mode", "walk", "--cutoff", "0",
        "--out", str(tmp_path / "x.parquet"),
    ])  # fmt: skip
    assert code == 2
    assert "cut-off must be a positive number of minutes" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()


def test_cli_matrix_crs_option(
    demo_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = demo_toml.parent
    base = [
        "-q", "matrix", "--osm", str(folder / "streets.osm.pbf"), "--origins", str(folder / "zones.gpkg"),
        "--destinations", str(folder / "assets.gpkg"), "--mode", "walk", "--cutoff", "15",
        "--origin-id", "zone_id", "--destination-id", "asset_id",
    ]  # fmt: skip
    assert cli.main([*base, "--out", str(tmp_path / "a.parquet")]) == 0
    assert cli.main([*base, "--crs", "EPSG:27700", "--out", str(tmp_path / "b.parquet")]) == 0
    a, b = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    pd.testing.assert_frame_equal(a, b)  # the demo is in Great Britain: 27700 is the default
    capsys.readouterr()
    code = cli.main([*base, "--crs", "EPSG:4326", "--out", str(tmp_path / "c.parquet")])
    assert code == 2
    assert "EPSG:4326" in capsys.readouterr().err
    assert not (tmp_path / "c.parquet").exists()


def test_missing_network_in_config_is_an_error(demo_toml: Path) -> None:
    from estatesplan.config import load_config
    from estatesplan.matrices import study_matrices

    cfg = load_config(demo_toml)
    cfg = dataclasses.replace(cfg, network=dataclasses.replace(cfg.network, osm=None))
    study = pipeline.run_study(cfg, matrices=False)
    with pytest.raises(ConfigError, match=r"\[network\] osm is needed"):
        study_matrices(cfg, study.zones, study.assets)


@pytest.mark.data
def test_camden_walk_matrix_to_gp_practices(shared_data: Path) -> None:
    # the pack's extract covers only part of the 2 km margin (its README): assets out there
    # lie beyond any street of the extract and are flagged (NaN), never silently snapped
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "GIA from OSM buildings", DataQualityWarning)
        with pytest.warns(
            DataQualityWarning, match=r"further than 500 m from the (walk|cycle|drive) network"
        ):
            study = pipeline.run_study(REPO / "examples" / "camden.toml", access=False)
    walk = study.matrices["walk"]
    a = study.assets
    gp = ((a["source"] == "ods_epraccur") & (a["asset_type"] == "gp_practice")).to_numpy()
    nearest = np.nanmin(
        np.where(np.isfinite(walk.minutes[:, gp]), walk.minutes[:, gp], np.inf), axis=1
    )
    pop = study.zones["population"].to_numpy()
    share20 = pop[nearest <= 20].sum() / pop.sum()
    # national statistics: nearly everyone in urban areas lives within a 20-minute walk of a GP
    assert share20 > 0.95, share20
    assert set(study.matrices) == {"walk", "cycle", "drive"}

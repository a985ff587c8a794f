"""The transit mode of a study: config, service date, plumbing into matrices, cache and notes.

The router itself is proved exact in test_raptor.py and integration/test_raptor_real.py;
here the walk legs, the stop bookkeeping and the study wiring are checked on the demo
area (its own bus timetable) and on tiny hand-made feeds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pytest

from estatesplan import contracts as c
from estatesplan import demo, gtfs, pipeline, raptor, study_transit
from estatesplan._config_transit import TransitConfig, parse_window
from estatesplan.config import load_config
from estatesplan.errors import ConfigError, DataContractError
from estatesplan.matrices import study_matrices
from estatesplan.networks import network_from_osm
from estatesplan.travel_times import matrix_from_network

from .test_gtfs import BASE, write_feed


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo_transit")
    demo.write_demo(d, seed=0)
    return d


@pytest.fixture(scope="module")
def demo_layers(demo_dir: Path) -> tuple[object, object]:
    study = pipeline.run_study(demo_dir / "demo.toml", matrices=False)
    return study.zones, study.assets


def _config_with(tmp_path: Path, demo_dir: Path, extra: str, access: str = "") -> Path:
    text = (demo_dir / "demo.toml").read_text()
    text = text.replace('gtfs = "gtfs.zip"', f'gtfs = "{demo_dir / "gtfs.zip"}"\n{extra}')
    for name in ("area.gpkg", "zones.gpkg", "assets.gpkg", "streets.osm.pbf"):
        text = text.replace(f'"{name}"', f'"{demo_dir / name}"')
    if access:
        text += f"\n[access]\n{access}\n"
    p = tmp_path / "study.toml"
    p.write_text(text)
    return p


TRANSIT_ONLY = (
    'modes = ["transit"]\nleft_behind_mode = "transit"\n'
    '[colocation]\naccess_mode = "transit"\nstaff_mode = "transit"'
)

# --- config -------------------------------------------------------------------------------


def test_parse_window() -> None:
    assert parse_window("07:00-10:00") == ("07:00", "10:00")
    assert parse_window(" 23:30 – 25:00 ") == ("23:30", "25:00")  # GTFS times pass midnight
    for bad, why in (
        ("7-10", "must look like"),
        ("10:00-09:00", "empty"),
        ("07:75-09:00", "00–59"),
    ):
        with pytest.raises(ValueError, match=why):
            parse_window(bad)


def test_a_feed_adds_transit_to_the_default_modes(demo_dir: Path) -> None:
    cfg = load_config(demo_dir / "demo.toml")
    assert cfg.access.modes == ("walk", "cycle", "drive", "transit")
    assert cfg.transit.gtfs == demo_dir / "gtfs.zip"
    assert cfg.transit == TransitConfig(gtfs=demo_dir / "gtfs.zip")  # R5's defaults
    assert cfg.access.modes_for("households_no_car") == ("walk", "cycle", "transit")


def test_transit_settings_are_read(tmp_path: Path, demo_dir: Path) -> None:
    extra = 'date = 2026-05-12\nwindow = "08:00-09:30"\npercentile = 75\nmax_transfers = 2\nmax_walk_min = 10\ntransfer_m = 200'
    cfg = load_config(_config_with(tmp_path, demo_dir, extra))
    t = cfg.transit
    assert (t.date, t.window, t.percentile, t.max_transfers, t.max_walk_min, t.transfer_m) == (
        dt.date(2026, 5, 12), ("08:00", "09:30"), 75.0, 2, 10.0, 200.0,
    )  # fmt: skip
    assert load_config(
        _config_with(tmp_path, demo_dir, 'date = "2026-05-12"')
    ).transit.date == dt.date(2026, 5, 12)


def test_modes_named_elsewhere_must_be_among_the_access_modes(
    tmp_path: Path, demo_dir: Path
) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_config_with(tmp_path, demo_dir, "", access='modes = ["transit"]'))
    text = str(err.value)
    for key in ("[access] left_behind_mode", "[colocation] access_mode", "[colocation] staff_mode"):
        assert f"{key} = 'walk' is not among [access] modes (transit)" in text, key
    assert load_config(_config_with(tmp_path, demo_dir, "", access=TRANSIT_ONLY)).access.modes == (
        "transit",
    )


def test_explicit_modes_without_transit_leave_it_out(tmp_path: Path, demo_dir: Path) -> None:
    cfg = load_config(_config_with(tmp_path, demo_dir, "", access='modes = ["walk"]'))
    assert cfg.access.modes == ("walk",)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ('date = "12/05/2026"', r"\[transit\] date '12/05/2026' must be a date like 2026-05-12"),
        ('window = "10:00-07:00"', r"\[transit\] departure window '10:00-07:00' is empty"),
        ("window = 7", r"\[transit\] window must be a string"),
        ("percentile = 120", r"\[transit\] percentile must lie in 0–100"),
        ("max_transfers = -1", r"\[transit\] max_transfers must be ≥ 0"),
        ("max_walk_min = 0", r"\[transit\] max_walk_min must be positive"),
        ("stops = 3", r"\[transit\] unknown key 'stops'"),
    ],
)
def test_bad_transit_settings_are_named(
    tmp_path: Path, demo_dir: Path, extra: str, match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        load_config(_config_with(tmp_path, demo_dir, extra))


def test_transit_mode_without_a_feed_says_what_to_set(tmp_path: Path, demo_dir: Path) -> None:
    text = _config_with(tmp_path, demo_dir, "").read_text()
    text = text.replace(f'gtfs = "{demo_dir / "gtfs.zip"}"', "")
    p = tmp_path / "nofeed.toml"
    p.write_text(text + '\n[access]\nmodes = ["walk", "transit"]\n')
    with pytest.raises(
        ConfigError, match=r"modes includes transit but no timetable is given; set \[transit\] gtfs"
    ):
        load_config(p)
    p.write_text(text.replace("[transit]", '[transit]\nwindow = "08:00-09:00"'))
    with pytest.raises(ConfigError, match=r"\[transit\] has settings but no gtfs feed"):
        load_config(p)


def test_feed_without_street_network_is_an_error(tmp_path: Path, demo_dir: Path) -> None:
    text = _config_with(tmp_path, demo_dir, "").read_text()
    p = tmp_path / "nonet.toml"
    assert "[network]\nosm = " in text
    p.write_text(text.replace("[network]\nosm = ", "[network]\n# osm = "))
    with pytest.raises(ConfigError, match=r"\[transit\] gtfs needs a street network"):
        load_config(p)


# --- service date -----------------------------------------------------------------------------


def test_service_date_picks_the_busiest_early_tuesday(tmp_path: Path) -> None:
    feed = gtfs.read_gtfs(write_feed(tmp_path / "f.zip"))
    assert study_transit.service_date(feed) == (dt.date(2026, 1, 6), True)  # first Tuesday of 2026
    # the first Tuesday runs no weekday service: the next one is taken
    holiday = write_feed(
        tmp_path / "h.zip", calendar_dates=BASE["calendar_dates"] + "WK,20260106,2\n"
    )
    assert study_transit.service_date(gtfs.read_gtfs(holiday)) == (dt.date(2026, 1, 13), True)
    assert study_transit.service_date(feed, "2026-05-09") == (dt.date(2026, 5, 9), False)


def test_service_date_without_any_dates_asks_for_one(tmp_path: Path) -> None:
    feed = gtfs.read_gtfs(
        write_feed(
            tmp_path / "f.zip", calendar=None, calendar_dates="service_id,date,exception_type\n"
        )
    )
    with pytest.raises(ConfigError, match=r"define no service dates.*set \[transit\] date"):
        study_transit.service_date(feed)


def test_a_date_without_service_names_the_feed_and_its_span(tmp_path: Path) -> None:
    with pytest.raises(
        DataContractError, match=r"no trip runs on Sunday 2026-05-10.*from 2026-01-01 to 2026-12-31"
    ):
        study_transit.load_timetable(write_feed(tmp_path / "f.zip"), date="2026-05-10")


# --- matrices --------------------------------------------------------------------------------


def test_transit_matrix_equals_the_router_fed_directly(demo_dir: Path, demo_layers: tuple) -> None:  # type: ignore[type-arg]
    zones, assets = demo_layers
    net = network_from_osm(demo_dir / "streets.osm.pbf", "walk")
    tt = study_transit.load_timetable(demo_dir / "gtfs.zip", date="2026-05-12")
    transit = TransitConfig(gtfs=demo_dir / "gtfs.zip", window=("08:00", "09:00"))
    got = study_transit.transit_matrix_from_network(
        net, tt, zones, assets, origin_id=c.ZONE_ID, destination_id=c.ASSET_ID,
        transit=transit, cutoff_min=60.0,
    )  # fmt: skip
    # the slow obvious way: walk from every zone to every stop and from every stop to every
    # asset (no filtering of stops), then the router over the same window
    stops = tt.stops.reset_index(drop=True)
    kw = {"max_snap_m": 500.0, "warn": False}
    acc = matrix_from_network(
        net, zones, stops, origin_id=c.ZONE_ID, destination_id="stop_id", cutoff_min=20, **kw
    )
    egr = matrix_from_network(
        net, stops, assets, origin_id="stop_id", destination_id=c.ASSET_ID, cutoff_min=20, **kw
    )
    walk = matrix_from_network(
        net, zones, assets, origin_id=c.ZONE_ID, destination_id=c.ASSET_ID, cutoff_min=60, **kw
    )
    assert list(acc.destination_ids) == list(tt.timetable.stop_ids)
    want = raptor.transit_matrix(
        tt.timetable, np.nan_to_num(acc.minutes, nan=np.inf), np.nan_to_num(egr.minutes, nan=np.inf),
        walk_min=walk.minutes, window=("08:00", "09:00"), cutoff_min=60.0, workers=1,
    )  # fmt: skip
    np.testing.assert_array_equal(got.minutes, want)
    assert got.mode == "transit" and list(got.origin_ids) == list(walk.origin_ids)
    w = np.where(np.isnan(walk.minutes), np.inf, walk.minutes)
    t = np.where(np.isnan(got.minutes), np.inf, got.minutes)
    assert (t <= w).all()  # never slower than walking
    assert (t < w - 1).sum() > 100  # and the buses matter
    meta = got.metadata["timetable"]
    assert meta["date"] == "2026-05-12" and meta["date_chosen"] is False
    assert meta["stops_walkable"] == tt.timetable.n_stops == 61


def test_stops_beyond_the_street_network_are_ridden_not_walked(
    demo_dir: Path, demo_layers: tuple
) -> None:  # type: ignore[type-arg]
    zones, assets = demo_layers
    net = network_from_osm(demo_dir / "streets.osm.pbf", "walk")
    tt = study_transit.load_timetable(demo_dir / "gtfs.zip", date="2026-05-12")
    far = tt.stops.copy()
    far["geometry"] = far.geometry.translate(50_000, 0)  # every stop 50 km away
    moved = dataclasses.replace(tt, stops=far)
    transit = TransitConfig(gtfs=demo_dir / "gtfs.zip", window=("08:00", "08:30"))
    got = study_transit.transit_matrix_from_network(
        net, moved, zones, assets, origin_id=c.ZONE_ID, destination_id=c.ASSET_ID,
        transit=transit, cutoff_min=60.0,
    )  # fmt: skip
    walk = matrix_from_network(
        net,
        zones,
        assets,
        origin_id=c.ZONE_ID,
        destination_id=c.ASSET_ID,
        cutoff_min=60,
        warn=False,
    )
    np.testing.assert_array_equal(got.minutes, walk.minutes)  # only walking is left
    assert got.metadata["timetable"]["stops_walkable"] == 0


def test_a_walk_cap_for_other_layers_is_refused(demo_dir: Path, demo_layers: tuple) -> None:  # type: ignore[type-arg]
    zones, assets = demo_layers
    net = network_from_osm(demo_dir / "streets.osm.pbf", "walk")
    tt = study_transit.load_timetable(demo_dir / "gtfs.zip", date="2026-05-12")
    walk = matrix_from_network(
        net, zones.iloc[:5], assets, origin_id=c.ZONE_ID, destination_id=c.ASSET_ID, cutoff_min=60
    )
    with pytest.raises(
        DataContractError, match=r"other origins than the layer \(5 ids against 150\)"
    ):
        study_transit.transit_matrix_from_network(
            net, tt, zones, assets, origin_id=c.ZONE_ID, destination_id=c.ASSET_ID,
            transit=TransitConfig(gtfs=demo_dir / "gtfs.zip"), cutoff_min=60.0, walk=walk,
        )  # fmt: skip


def test_study_matrices_transit_only_computes_walk_as_its_cap(
    tmp_path: Path,
    demo_dir: Path,
    demo_layers: tuple,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    zones, assets = demo_layers
    cfg = load_config(
        _config_with(tmp_path, demo_dir, 'window = "08:00-08:30"', access=TRANSIT_ONLY)
    )
    cache = tmp_path / "cache"
    first = study_matrices(cfg, zones, assets, cache_folder=cache)
    assert list(first) == ["transit"]  # walk was computed as the cap, not returned
    walk = study_matrices(cfg, zones, assets, modes=["walk"], cache_folder=cache)["walk"]
    w = np.where(np.isnan(walk.minutes), np.inf, walk.minutes)
    assert (
        np.where(np.isnan(first["transit"].minutes), np.inf, first["transit"].minutes) <= w
    ).all()

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("rebuilt: the cache was not used")

    monkeypatch.setattr(study_transit, "load_timetable", boom)
    again = study_matrices(cfg, zones, assets, cache_folder=cache)["transit"]
    np.testing.assert_array_equal(again.minutes, first["transit"].minutes)
    assert again.metadata["timetable"] == first["transit"].metadata["timetable"]
    other = dataclasses.replace(
        cfg, transit=dataclasses.replace(cfg.transit, window=("08:00", "08:20"))
    )
    with pytest.raises(AssertionError, match="rebuilt"):  # a new window is a new key
        study_matrices(other, zones, assets, cache_folder=cache)


def test_transit_as_the_only_mode_still_gives_staff_journeys(
    tmp_path: Path, demo_dir: Path
) -> None:
    cfg = load_config(
        _config_with(tmp_path, demo_dir, 'window = "08:00-08:30"', access=TRANSIT_ONLY)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo's own data-quality notes are tested elsewhere
        study = pipeline.run_study(cfg)
    assert study.access is not None
    assert set(study.matrices) == {"transit"}
    assert set(study.access.staff["mode"]) == {"transit"}
    assert set(study.access.inter_site) == {"transit"}
    assert set(study.access.zones["mode"]) == {"transit"}


# --- what is said -------------------------------------------------------------------------------


def test_status_and_sentence(demo_dir: Path) -> None:
    cfg = load_config(demo_dir / "demo.toml")
    none = study_transit.transit_status({}, dataclasses.replace(cfg, transit=TransitConfig()))
    assert none["status"] == "not computed"
    assert study_transit.transit_sentence(none) == study_transit.NO_FEED
    assert (
        "no GTFS timetable" in study_transit.NO_FEED and "[transit] gtfs" in study_transit.NO_FEED
    )
    left_out = study_transit.transit_status({}, cfg)
    assert "leaves transit out" in left_out["why"]
    assert study_transit.transit_sentence(None).endswith("not recorded for this study.")


def test_demo_study_measures_transit_for_every_cohort(demo_dir: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo's own data-quality notes are tested elsewhere
        study = pipeline.run_study(demo_dir / "demo.toml")
    assert study.access is not None
    cohorts = study.access.cohorts
    for cohort in study.cohort_weights.columns:
        rows = cohorts[(cohorts["cohort"] == cohort) & (cohorts["mode"] == "transit")]
        assert len(rows) and rows["mean_min"].notna().all(), cohort
    status = study.access.settings["transit"]
    assert status["status"] == "computed" and status["date_chosen"] is True
    sentence = study_transit.transit_sentence(status)
    assert sentence.startswith("Public transport: gtfs.zip, Tuesday ") and "07:00–10:00" in sentence
    # households without a car are measured on walking, cycling and transit, never driving
    assert study.access.settings["cohort_modes"]["households_no_car"] == [
        "walk",
        "cycle",
        "transit",
    ]

"""Tests of the synthetic demo borough (estatesplan.demo and its private helpers)."""

from __future__ import annotations

import dataclasses
import io
import itertools
import math
import re
import time
import tomllib
import zipfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pandas as pd
import pytest
import shapely
from libpysal.weights import Queen

from estatesplan import contracts as c
from estatesplan import demo
from estatesplan._demo_gtfs import GTFS_FILES
from estatesplan.config import load_config
from estatesplan.validate import validate_assets, validate_zones

FILES = ("zones.gpkg", "assets.gpkg", "area.gpkg", "streets.osm.pbf", "gtfs.zip", "README.txt")
WALK_HIGHWAYS = {
    "primary", "secondary", "residential", "pedestrian", "footway", "path", "cycleway",
}  # fmt: skip
CAR_HIGHWAYS = {"primary", "secondary", "residential", "trunk", "trunk_link"}
GTFS_REQUIRED = {
    "agency": {"agency_name", "agency_url", "agency_timezone"},
    "stops": {"stop_id", "stop_name", "stop_lat", "stop_lon"},
    "routes": {"route_id", "route_short_name", "route_type"},
    "trips": {"route_id", "service_id", "trip_id"},
    "stop_times": {"trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"},
    "calendar": {
        "service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday", "start_date", "end_date",
    },
    "calendar_dates": {"service_id", "date", "exception_type"},
    "feed_info": {"feed_publisher_name", "feed_publisher_url", "feed_lang"},
}  # fmt: skip
OLD = ["age_65_69", "age_70_74", "age_75_79", "age_80_84", "age_85_plus"]
HEALTH = [c.HEALTH_VERY_GOOD, c.HEALTH_GOOD, c.HEALTH_FAIR, c.HEALTH_BAD, c.HEALTH_VERY_BAD]


@pytest.fixture(scope="module")
def study() -> demo.DemoStudy:
    return demo.generate_demo(seed=0)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.write_demo(tmp_path_factory.mktemp("demo_a"), seed=0).parent


def _frames(s: demo.DemoStudy) -> dict[str, pd.DataFrame]:
    frames = {"zones": s.zones, "assets": s.assets, "area": s.area}
    frames |= {"nodes": s.streets.nodes, "ways": s.streets.ways}
    frames |= {f"gtfs.{k}": v for k, v in s.gtfs.items()}
    return frames


def _read_osm(
    path: Path,
) -> tuple[dict[int, tuple[float, float]], list[tuple[list[int], dict[str, str]]]]:
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[list[int], dict[str, str]]] = []
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            nodes[obj.id] = (obj.location.lon, obj.location.lat)
        elif obj.is_way():
            ways.append(([n.ref for n in obj.nodes], dict(obj.tags)))
    return nodes, ways


def _read_gtfs(path: Path) -> dict[str, pd.DataFrame]:
    with zipfile.ZipFile(path) as zf:
        return {
            name.removesuffix(".txt"): pd.read_csv(io.BytesIO(zf.read(name)), dtype=str)
            for name in zf.namelist()
        }


# --- determinism ------------------------------------------------------------------------


def test_same_seed_gives_equal_frames_and_other_seed_differs(study: demo.DemoStudy) -> None:
    again = demo.generate_demo(seed=0)
    for name, frame in _frames(study).items():
        pd.testing.assert_frame_equal(frame, _frames(again)[name], obj=name)
    other = demo.generate_demo(seed=1)
    assert not study.area.geometry.iloc[0].equals(other.area.geometry.iloc[0])
    assert study.zones[c.POPULATION].tolist() != other.zones[c.POPULATION].tolist()
    assert not study.assets.geometry.geom_equals(other.assets.geometry).all()
    assert len(study.streets.nodes) != len(other.streets.nodes) or not np.array_equal(
        study.streets.nodes[["x", "y"]].to_numpy(), other.streets.nodes[["x", "y"]].to_numpy()
    )


def test_write_demo_is_byte_identical_for_a_seed(written: Path, tmp_path: Path) -> None:
    second = demo.write_demo(tmp_path / "b", seed=0).parent
    for name in (*FILES, "demo.toml"):
        assert (written / name).read_bytes() == (second / name).read_bytes(), name
    third = demo.write_demo(tmp_path / "c", seed=7).parent
    for name in ("zones.gpkg", "assets.gpkg", "area.gpkg", "streets.osm.pbf", "gtfs.zip"):
        assert (written / name).read_bytes() != (third / name).read_bytes(), name
    assert not list(written.glob(".*tmp*")), "temporary files left behind"


def test_generate_is_fast() -> None:
    demo.generate_demo(seed=11)  # warm imports and caches
    t0 = time.perf_counter()
    demo.generate_demo(seed=12)
    assert time.perf_counter() - t0 < 2.0


def test_demo_study_is_frozen(study: demo.DemoStudy) -> None:
    assert study.name == "Demoborough (synthetic)"
    assert study.seed == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize("n", [5, 5000])
def test_bad_zone_count_is_rejected(n: int) -> None:
    with pytest.raises(ValueError, match="n_zones"):
        demo.generate_demo(seed=0, n_zones=n)


# --- zones ------------------------------------------------------------------------------


def test_zone_count_ids_and_names(study: demo.DemoStudy) -> None:
    z = study.zones
    assert len(z) == 150
    assert z[c.ZONE_ID].tolist() == [f"DMO{k:04d}" for k in range(1, 151)]
    assert z[c.ZONE_NAME].str.fullmatch(r"Demoborough \d{3}[A-Z]").all()
    assert z[c.ZONE_NAME].is_unique
    assert len(demo.generate_demo(seed=4, n_zones=110).zones) == 110


def test_zone_counts_add_up(study: demo.DemoStudy) -> None:
    z = study.zones
    for col in c.ZONE_COUNT_COLUMNS:
        assert pd.api.types.is_integer_dtype(z[col]), col
        assert (z[col] >= 0).all(), col
    assert z[c.POPULATION].between(1000, 3000).all()
    assert (z[list(c.AGE_BANDS)].sum(axis=1) == z[c.POPULATION]).all()
    assert (z[HEALTH].sum(axis=1) == z[c.POPULATION]).all()
    limited = [c.DISABLED_LIMITED_LOT, c.DISABLED_LIMITED_LITTLE, c.LTC_NOT_LIMITED]
    assert (z[limited].sum(axis=1) == z[c.DISABILITY_OR_LTC]).all()
    assert (z[c.DISABILITY_OR_LTC] <= z[c.POPULATION]).all()
    assert (z[c.HOUSEHOLDS_NO_CAR] <= z[c.HOUSEHOLDS]).all()
    assert (z[c.HOUSEHOLDS] < z[c.POPULATION]).all()


def test_zone_ratios_are_plausible_for_england(study: demo.DemoStudy) -> None:
    z = study.zones
    pop = z[c.POPULATION].sum()
    assert 0.05 <= z[c.DISABLED_LIMITED_LOT].sum() / pop <= 0.10
    assert 0.03 <= (z[c.HEALTH_BAD] + z[c.HEALTH_VERY_BAD]).sum() / pop <= 0.08
    assert 0.15 <= z[c.HOUSEHOLDS_NO_CAR].sum() / z[c.HOUSEHOLDS].sum() <= 0.45
    assert 0.10 <= z[OLD].sum().sum() / pop <= 0.25
    assert 1.9 <= pop / z[c.HOUSEHOLDS].sum() <= 2.8
    # deprived zones have fewer cars and worse health; the centre is younger and denser
    deprived = z[c.IMD_DECILE] <= 3
    no_car = z[c.HOUSEHOLDS_NO_CAR] / z[c.HOUSEHOLDS]
    bad = (z[c.HEALTH_BAD] + z[c.HEALTH_VERY_BAD]) / z[c.POPULATION]
    assert no_car[deprived].mean() > no_car[~deprived].mean()
    assert bad[deprived].mean() > bad[~deprived].mean()
    dist = z.geometry.centroid.distance(shapely.Point(study.streets.centre))
    central = dist < dist.median()
    density = z[c.POPULATION] / z.geometry.area
    old = z[OLD].sum(axis=1) / z[c.POPULATION]
    assert density[central].mean() > 2 * density[~central].mean()
    assert old[central].mean() < old[~central].mean()


def test_imd_columns_are_consistent(study: demo.DemoStudy) -> None:
    z = study.zones
    assert pd.api.types.is_integer_dtype(z[c.IMD_DECILE])
    assert z[c.IMD_DECILE].between(1, 10).all()
    assert z[c.IMD_DECILE].nunique() >= 6
    assert z[c.IMD_RANK].is_unique
    expected = np.ceil(z[c.IMD_RANK] * 10 / 33_755).astype(int)
    assert (z[c.IMD_DECILE] == expected).all()
    by_rank = z.sort_values(c.IMD_RANK)[c.IMD_SCORE].to_numpy()
    assert (np.diff(by_rank) <= 0).all(), "higher rank (less deprived) must not score higher"
    assert z[c.IMD_SCORE].between(0, 100).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deprivation_is_spatially_clustered(seed: int) -> None:
    z = demo.generate_demo(seed=seed).zones
    w = Queen.from_dataframe(z, use_index=False)
    w.transform = "r"
    x = z[c.IMD_DECILE].to_numpy(float)
    dev = x - x.mean()
    moran = (dev @ (w.sparse @ dev)) / (dev @ dev)
    assert moran > 0.3


def test_zones_tile_the_outline(study: demo.DemoStudy) -> None:
    outline = study.area.geometry.iloc[0]
    geoms = study.zones.geometry
    assert geoms.is_valid.all()
    assert (geoms.geom_type == "Polygon").all()
    union = shapely.union_all(geoms.to_numpy())
    assert abs(union.area - outline.area) / outline.area < 1e-3
    assert abs(geoms.area.sum() - union.area) / union.area < 1e-6, "zones overlap"
    assert shapely.symmetric_difference(union, outline).area / outline.area < 1e-3


def test_outline_is_an_irregular_inland_borough(study: demo.DemoStudy) -> None:
    area = study.area
    assert len(area) == 1
    assert area.crs.to_epsg() == 27700
    outline = area.geometry.iloc[0]
    x0, y0, x1, y1 = outline.bounds
    assert 7000 <= x1 - x0 <= 9000
    assert 6000 <= y1 - y0 <= 8000
    assert outline.area / outline.envelope.area < 0.9, "looks like a rectangle"
    assert outline.centroid.distance(shapely.Point(450_000, 300_000)) < 1000


# --- assets -----------------------------------------------------------------------------


def test_asset_counts_and_vocabularies(study: demo.DemoStudy) -> None:
    a = study.assets
    assert len(a) >= 60
    assert set(a[c.OWNER_TYPE]) == set(c.OWNER_TYPES)
    assert a[c.ASSET_TYPE].nunique() >= 12
    assert set(a[c.ASSET_TYPE]) <= set(c.ASSET_TYPES)
    types = a[c.ASSET_TYPE].value_counts()
    assert 10 <= types["gp_practice"] <= 14
    assert 1 <= types["hospital"] <= 2
    assert a[c.ASSET_ID].tolist() == [f"DEMO-A{k:03d}" for k in range(1, len(a) + 1)]
    assert a[c.NAME].is_unique
    assert set(a[c.CONDITION]) <= set(c.CONDITIONS)
    assert a[c.CONDITION].isin(["B", "C"]).mean() > 0.5
    assert set(a[c.TENURE].dropna()) <= set(c.TENURES)
    assert a[c.POSTCODE].str.fullmatch(r"DM\d [0-9][A-Z]{2}").all()
    gp = a[a[c.ASSET_TYPE] == "gp_practice"]
    assert gp[c.ODS_CODE].str.fullmatch(r"DMO\d{2}").all()
    assert a.loc[a[c.ASSET_TYPE] != "gp_practice", c.ODS_CODE].isna().all()


def test_asset_amounts_are_plausible(study: demo.DemoStudy) -> None:
    a = study.assets
    gia = a.groupby(c.ASSET_TYPE)[c.GIA_M2].median()
    assert gia["hospital"] > gia["health_centre"] > gia["gp_practice"] > gia["pharmacy"]
    assert (a[c.GIA_M2] > 0).all()
    rate = a[c.BACKLOG_GBP] / a[c.GIA_M2]
    assert rate[a[c.CONDITION].isin(["C", "D"])].min() > rate[a[c.CONDITION] == "A"].max()
    elec = a[c.ELECTRICITY_KWH] / a[c.GIA_M2]
    assert elec.between(5, 400).all()
    assert (a[c.GAS_KWH] / a[c.GIA_M2]).between(5, 1500).all()
    # unknowns stay unknown, never zero
    assert 0 < a[c.AVAILABLE_M2].isna().sum() < 10
    known = a[c.AVAILABLE_M2].dropna()
    assert (known <= 0.3 * a.loc[known.index, c.GIA_M2] + 10).all()
    assert 0 < a[c.STEP_FREE].isna().sum() < 10
    assert 0 < a[c.TENURE].isna().sum() < 5


def test_assets_are_inside_the_area_and_near_streets(study: demo.DemoStudy) -> None:
    outline = study.area.geometry.iloc[0]
    assert study.assets.geometry.within(outline).all()
    lines = study.streets.way_lines()
    streets = shapely.union_all(lines[lines["highway"].isin(WALK_HIGHWAYS)].geometry.to_numpy())
    assert study.assets.geometry.distance(streets).max() < 150.0
    assert study.zones.geometry.centroid.distance(streets).max() < 150.0


def test_zones_and_assets_pass_validation(study: demo.DemoStudy) -> None:
    zones = validate_zones(study.zones)
    assets = validate_assets(study.assets)
    assert len(zones) == len(study.zones)
    assert assets[c.AVAILABLE_M2].isna().sum() == study.assets[c.AVAILABLE_M2].isna().sum()


# --- streets ----------------------------------------------------------------------------


def test_streets_pbf_has_the_expected_tag_mix(written: Path, study: demo.DemoStudy) -> None:
    nodes, ways = _read_osm(written / "streets.osm.pbf")
    assert 2000 <= len(nodes) <= 6000
    assert len(nodes) == len(study.streets.nodes)
    assert len(ways) == len(study.streets.ways)
    highways = {t.get("highway") for _, t in ways}
    assert highways >= WALK_HIGHWAYS | CAR_HIGHWAYS
    assert any(t.get("oneway") == "yes" for _, t in ways)
    trunk = [t for _, t in ways if t.get("highway") == "trunk"]
    assert trunk and all(t["foot"] == "no" and t["bicycle"] == "no" for t in trunk)
    main = [t for _, t in ways if t.get("highway") in ("primary", "secondary")]
    assert all("maxspeed" in t and "name" in t for t in main)
    assert any(t.get("leisure") == "park" for _, t in ways)
    lon = [p[0] for p in nodes.values()]
    lat = [p[1] for p in nodes.values()]
    assert min(lon) > -2.0 and max(lon) < -0.8 and min(lat) > 52.0 and max(lat) < 53.0
    with osmium.io.Reader(str(written / "streets.osm.pbf")) as reader:
        assert "estatesplan demo" in reader.header().get("generator")


def test_streets_are_walk_and_drive_connected(written: Path) -> None:
    _, ways = _read_osm(written / "streets.osm.pbf")
    walk: nx.Graph = nx.Graph()
    drive: nx.DiGraph = nx.DiGraph()
    for ids, tags in ways:
        pairs = list(itertools.pairwise(ids))
        if tags.get("highway") in WALK_HIGHWAYS and tags.get("foot") != "no":
            walk.add_edges_from(pairs)
        if tags.get("highway") in CAR_HIGHWAYS:
            drive.add_edges_from(pairs)
            if tags.get("oneway") != "yes":
                drive.add_edges_from((b, a) for a, b in pairs)
    assert walk.number_of_nodes() > 2000
    assert nx.is_connected(walk)
    assert nx.is_strongly_connected(drive)
    trunk_nodes = {n for ids, t in ways if t.get("highway") == "trunk" for n in ids}
    assert not trunk_nodes & set(walk.nodes), "the bypass must not be walkable"


# --- GTFS -------------------------------------------------------------------------------


def test_gtfs_tables_and_references(written: Path) -> None:
    feed = _read_gtfs(written / "gtfs.zip")
    assert set(feed) == set(GTFS_FILES)
    for name, required in GTFS_REQUIRED.items():
        assert required <= set(feed[name].columns), name
        assert c.SYNTHETIC not in feed[name].columns
    stops, trips, st = feed["stops"], feed["trips"], feed["stop_times"]
    assert 40 <= len(stops) <= 80
    assert 4 <= len(feed["routes"]) <= 6
    assert set(st["stop_id"]) <= set(stops["stop_id"])
    assert set(st["trip_id"]) == set(trips["trip_id"])
    assert set(trips["route_id"]) <= set(feed["routes"]["route_id"])
    assert set(trips["service_id"]) <= set(feed["calendar"]["service_id"])
    assert trips["trip_id"].is_unique and stops["stop_id"].is_unique
    assert st["arrival_time"].str.fullmatch(r"\d{2}:[0-5]\d:[0-5]\d").all()
    assert (st["departure_time"] >= st["arrival_time"]).all()
    assert "24:10:00" in set(st["arrival_time"])
    assert (feed["calendar"]["start_date"] <= "20260101").all()
    assert (feed["calendar"]["end_date"] >= "20271231").all()
    assert "2" in set(feed["calendar_dates"]["exception_type"])
    lat, lon = stops["stop_lat"].astype(float), stops["stop_lon"].astype(float)
    assert lat.between(52.0, 53.0).all() and lon.between(-2.0, -0.8).all()
    assert "synthetic" in feed["agency"]["agency_name"].iloc[0]


def test_gtfs_timetable_is_plausible(study: demo.DemoStudy) -> None:
    st = study.gtfs["stop_times"]
    trips = study.gtfs["trips"].drop(columns=c.SYNTHETIC).set_index("trip_id")
    secs = st["arrival_time"].str.split(":", expand=True).astype(int) @ [3600, 60, 1]
    st = st.assign(secs=secs.to_numpy())
    for _, g in st.groupby("trip_id"):
        assert (np.diff(g["stop_sequence"]) == 1).all()
        assert (np.diff(g["secs"]) >= 0).all()
    first = st[st["stop_sequence"] == 1].join(trips, on="trip_id")
    weekday = first[first["service_id"] == "WKDY"]
    assert weekday["secs"].min() >= 6 * 3600
    for _, g in weekday.groupby(["route_id", "direction_id"]):
        gaps = np.diff(np.sort(g["secs"].to_numpy()))[:-1] / 60  # last may be the night bus
        assert gaps.min() >= 10 and gaps.max() <= 20
    assert set(first["service_id"]) == {"WKDY", "SAT"}
    assert (st["secs"] > 24 * 3600).sum() >= 1


# --- synthetic flag, README and config --------------------------------------------------


def test_every_frame_is_flagged_synthetic(study: demo.DemoStudy) -> None:
    for name, frame in _frames(study).items():
        assert frame.attrs.get(c.SYNTHETIC) is True, name
        assert frame[c.SYNTHETIC].astype(bool).all(), name
    assert "synthetic" in study.area[c.NAME].iloc[0]


def test_written_files_say_synthetic(written: Path) -> None:
    for name, layer in (("zones", "zones"), ("assets", "assets"), ("area", "area")):
        gdf = gpd.read_file(written / f"{name}.gpkg", layer=layer)
        assert gdf[c.SYNTHETIC].all(), name
        assert gdf.crs.to_epsg() == 27700
    readme = (written / "README.txt").read_text(encoding="utf-8")
    assert "synthetic" in readme.lower() and "not a real place" in readme
    assets = gpd.read_file(written / "assets.gpkg", layer="assets")
    assert assets[c.AVAILABLE_M2].isna().any()


def test_demo_toml_parses_with_the_expected_content(written: Path) -> None:
    config = tomllib.loads((written / "demo.toml").read_text(encoding="utf-8"))
    assert config == {
        "study": {
            "name": "Demoborough (synthetic)",
            "crs": "EPSG:27700",
            "synthetic": True,
            "area": "area.gpkg",
        },
        "zones": {"file": "zones.gpkg"},
        "assets": {
            "files": [{"path": "assets.gpkg"}],
            "osm": "streets.osm.pbf",
            "use_osm_assets": False,
        },
        "neighbourhoods": {
            "method": "regionalise",
            "min_population": 30000,
            "max_population": 50000,
            "seed": 0,
        },
        "network": {"osm": "streets.osm.pbf"},
        "transit": {"gtfs": "gtfs.zip"},
    }
    for rel in ("area.gpkg", "zones.gpkg", "assets.gpkg", "streets.osm.pbf", "gtfs.zip"):
        assert (written / rel).stat().st_size > 0
    assert tomllib.loads(demo.demo_toml(seed=42))["neighbourhoods"]["seed"] == 42


def test_demo_toml_is_accepted_by_the_config_loader(written: Path) -> None:
    cfg = load_config(written / "demo.toml")
    assert cfg.synthetic is True
    assert cfg.name == "Demoborough (synthetic)"
    assert cfg.network.osm == written / "streets.osm.pbf"
    assert cfg.transit.gtfs == written / "gtfs.zip"
    assert cfg.assets.use_osm_assets is False


def test_toml_emitter_escapes_strings() -> None:
    value = 'a "quoted" \\ back\tslash, ünïcode\nnew line'
    text = demo._toml_document(
        "header", [("s", [("k", value, "note"), ("two words", [1, 2.5, True], "")])]
    )
    parsed = tomllib.loads(text)
    assert parsed == {"s": {"k": value, "two words": [1, 2.5, True]}}
    with pytest.raises(ValueError, match="non-finite"):
        demo._toml_value(math.inf)
    assert re.search(r"^# header$", text, flags=re.MULTILINE)

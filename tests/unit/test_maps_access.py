"""Tests for estatesplan.access_views and estatesplan.maps_access on hand-made access results.

The study: three 500 m square zones in a row (EPSG:27700, near 530000 E, 181000 N),
Z1 and Z2 in neighbourhood N1, Z3 in N2; population 100, 200, 300; over-65s 10, 50, 0;
three assets (two GP practices, one library). Hand-made access results for the asset
set ``gp`` by walk and drive (thresholds 10 and 20 min, cut-off 60 min):

- walk: nearest 5, 15, unreachable (NaN); sites within 10 min 1, 0, 0; within 20 min 2, 1, 0
- drive: nearest 2, 3, 8
- households without a car (``no_car``) may only walk.

So, for example, the over-65s with no GP within 10 min on foot are 0, 50, 0 (Z3 has none
of them), and everyone with none within 10 min on foot is 0, 200, 300.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, box

from estatesplan import access_views as av
from estatesplan import contracts as c
from estatesplan import maps_access as ma
from estatesplan._config_access import AccessConfig
from estatesplan.errors import ConfigError, CrsError
from estatesplan.graph import StreetNetwork
from estatesplan.study import SourceRecord, Study
from estatesplan.study_access import BEST, AccessResults

X0, Y0, SIDE = 530_000.0, 181_000.0, 500.0
WALK_MS = 4.8 / 3.6  # 80 m a minute


def _study(*, synthetic: bool = True) -> Study:
    zones = gpd.GeoDataFrame(
        {
            c.ZONE_ID: ["Z1", "Z2", "Z3"],
            c.ZONE_NAME: ["Alpha", "Beta", "Gamma"],
            c.POPULATION: [100.0, 200.0, 300.0],
            c.NEIGHBOURHOOD_ID: ["N1", "N1", "N2"],
        },
        geometry=[box(X0 + i * SIDE, Y0, X0 + (i + 1) * SIDE, Y0 + SIDE) for i in range(3)],
        crs=c.ANALYSIS_CRS,
    )
    neighbourhoods = gpd.GeoDataFrame(
        {c.NEIGHBOURHOOD_ID: ["N1", "N2"], c.NAME: ["West", "East"]},
        geometry=[
            box(X0, Y0, X0 + 2 * SIDE, Y0 + SIDE),
            box(X0 + 2 * SIDE, Y0, X0 + 3 * SIDE, Y0 + SIDE),
        ],
        crs=c.ANALYSIS_CRS,
    )
    assets = gpd.GeoDataFrame(
        {
            c.ASSET_ID: ["A1", "A2", "A3"],
            c.NAME: ["Elm Surgery", None, "Central Library"],
            c.OWNER_TYPE: ["icb_primary_care", "icb_primary_care", "local_authority"],
            c.ASSET_TYPE: ["gp_practice", "gp_practice", "library"],
        },
        geometry=[Point(X0 + 100, Y0 + 250), Point(X0 + 600, Y0 + 250), Point(X0 + 1300, Y0 + 250)],
        crs=c.ANALYSIS_CRS,
    )
    weights = pd.DataFrame(
        {
            "everyone": [100.0, 200.0, 300.0],
            "over_65": [10.0, 50.0, 0.0],
            "no_car": [5.0, 9.0, 20.0],
        },
        index=zones.index,
    )
    return Study(
        name="Tinyton",
        assets=assets,
        zones=zones,
        neighbourhoods=neighbourhoods,
        cohorts={"everyone": "population", "over_65": "age_65_plus", "no_car": "households_no_car"},
        cohort_weights=weights,
        synthetic=synthetic,
        sources=(SourceRecord(name="Demo", path="", publisher="estatesplan", licence="MIT"),),
    )


def _results() -> AccessResults:
    ids = ["Z1", "Z2", "Z3"]
    zones = pd.DataFrame(
        {
            c.ZONE_ID: ids * 2,
            "mode": ["walk"] * 3 + ["drive"] * 3,
            "asset_set": ["gp"] * 6,
            "nearest_min": [5.0, 15.0, np.nan, 2.0, 3.0, 8.0],
            "within_10": [1, 0, 0, 2, 2, 2],
            "within_20": [2, 1, 0, 2, 2, 2],
            "gravity": [0.9, 0.3, 0.0, 1.5, 1.4, 0.8],
            "fca_2sfca": [0.002, 0.001, 0.0, 0.003, 0.003, 0.003],
            "fca_e2sfca": [0.0021, 0.0011, 0.0, 0.0031, 0.0032, 0.0033],
        }
    )
    best = pd.DataFrame(
        {
            c.ZONE_ID: ids * 3,
            "cohort": ["everyone"] * 3 + ["over_65"] * 3 + ["no_car"] * 3,
            "asset_set": ["gp"] * 9,
            "best_min": [2.0, 3.0, 8.0, 2.0, 3.0, 8.0, 5.0, 15.0, np.nan],
            "best_mode": ["drive"] * 6 + ["walk", "walk", None],
        }
    )
    cohorts = pd.DataFrame(
        {
            "cohort": ["over_65"] * 3 + ["everyone"],
            "mode": ["walk", "drive", BEST, "walk"],
            "asset_set": ["gp"] * 4,
            "people": [60.0, 60.0, 60.0, 600.0],
            "mean_min": [13.33, 2.83, 2.83, 11.67],
            "median_min": [15.0, 3.0, 3.0, 15.0],
            "p90_min": [15.0, 3.0, 3.0, 15.0],
            "unreachable": [0.0, 0.0, 0.0, 300.0],
            "share_within_10": [1 / 6, 1.0, 1.0, 1 / 6],
            "share_within_20": [1.0, 1.0, 1.0, 0.5],
        }
    )
    minutes = [0.0, 5.0, 10.0, 15.0]
    s_curves = pd.DataFrame(
        {
            "minute": minutes * 2,
            "share": [0.0, 1 / 6, 1 / 6, 1.0, 0.0, 1.0, 1.0, 1.0],
            "cohort": ["over_65"] * 8,
            "mode": ["walk"] * 4 + ["drive"] * 4,
            "asset_set": ["gp"] * 8,
        }
    )
    equity = pd.DataFrame(
        {
            "measure": ["nearest_min", "within_20_min", "nearest_min"],
            "mean": [13.33, 1.0, 2.83],
            "q1_mean": [15.0, 1.0, 3.0],
            "q5_mean": [5.0, 1.0, 2.0],
            "gap": [10.0, 0.0, 1.0],
            "ratio": [3.0, 1.0, 1.5],
            "worse_in_deprived": [True, False, True],
            "sii": [1.0, 0.0, 0.5],
            "rii": [0.1, 0.0, 0.2],
            "concentration_index": [-0.1, 0.0, -0.05],
            "zones": [3, 3, 3],
            "weight": [60.0, 60.0, 60.0],
            "cohort": ["over_65"] * 3,
            "mode": ["walk", "walk", "drive"],
            "asset_set": ["gp"] * 3,
        }
    )
    neighbourhoods = pd.DataFrame(
        {
            c.NEIGHBOURHOOD_ID: ["N1", "N2"],
            "zones": [2, 1],
            "mean": [13.33, math.nan],
            "rank": pd.array([2, 1], dtype="Int64"),
            "cohort": ["over_65"] * 2,
            "mode": ["walk"] * 2,
            "asset_set": ["gp"] * 2,
        }
    )
    left_behind = pd.DataFrame(
        {
            c.ZONE_ID: ["Z3", "Z2"],
            "need": [300.0, 50.0],
            "access": [60.0, 15.0],
            "imd_decile": pd.array([1, 2], dtype="Int64"),
            "why": ["IMD decile 1; nearest site over 60 min <on foot>", "IMD decile 2; 15.0 min"],
            "cohort": ["everyone", "over_65"],
            "mode": ["walk", "walk"],
            "asset_set": ["gp", "gp"],
        }
    )
    settings = {
        "thresholds_min": [10.0, 20.0],
        "cutoff_min": {"walk": 60.0, "drive": 45.0},
        "asset_sets": {"gp": {"label": "GP practices", "assets": 2}},
        "supply": "one unit per site",
        "cohort_modes": {
            "everyone": ["walk", "drive"],
            "over_65": ["walk", "drive"],
            "no_car": ["walk"],
        },
        "left_behind": {"asset_set": "gp", "mode": "walk", "threshold_min": 20.0},
    }
    return AccessResults(
        zones=zones,
        cohorts=cohorts,
        s_curves=s_curves,
        best=best,
        equity=equity,
        neighbourhoods=neighbourhoods,
        left_behind=left_behind,
        settings=settings,
    )


# --- access_views -----------------------------------------------------------------------


def test_choices_follow_the_results_and_the_cohort_modes() -> None:
    r = _results()
    assert av.has_access(r)
    assert not av.has_access(None)
    assert not av.has_access(AccessResults.from_tables({}))
    assert av.asset_sets(r) == {"gp": "GP practices"}
    assert av.mode_options(r, cohort="over_65", asset_set="gp") == ["walk", "drive", BEST]
    # households without a car may only walk
    assert av.mode_options(r, cohort="no_car", asset_set="gp") == ["walk", BEST]
    assert av.mode_options(r, cohort="over_65", asset_set="nope") == []
    assert av.metric_options(r, mode="walk") == [
        "nearest_min", "within_10", "within_20", "gravity", "fca_2sfca", "fca_e2sfca",
        "beyond_10", "beyond_20",
    ]  # fmt: skip
    assert av.metric_options(r, mode=BEST) == ["nearest_min", "beyond_10", "beyond_20"]
    assert av.cutoff_min(r, "drive") == 45.0
    assert av.cutoff_min(r) == 60.0


def test_zone_values_are_the_zone_table_column_in_zone_order() -> None:
    study, r = _study(), _results()
    walk = av.zone_values(
        study, r, metric="nearest_min", cohort="over_65", mode="walk", asset_set="gp"
    )
    assert walk.index.equals(study.zones.index)
    assert walk.iloc[:2].tolist() == [5.0, 15.0]
    assert math.isnan(walk.iloc[2])  # unreachable stays NaN
    within = av.zone_values(
        study, r, metric="within_20", cohort="everyone", mode="drive", asset_set="gp"
    )
    assert within.tolist() == [2.0, 2.0, 2.0]
    best = av.zone_values(
        study, r, metric="nearest_min", cohort="no_car", mode=BEST, asset_set="gp"
    )
    assert best.iloc[:2].tolist() == [5.0, 15.0]
    assert math.isnan(best.iloc[2])


def test_zone_values_follow_the_zone_layer_order_not_the_table_order() -> None:
    study, r = _study(), _results()
    shuffled = AccessResults(**{**r.__dict__, "zones": r.zones.iloc[::-1].reset_index(drop=True)})
    values = av.zone_values(
        study, shuffled, metric="gravity", cohort="everyone", mode="walk", asset_set="gp"
    )
    assert values.tolist() == [0.9, 0.3, 0.0]


def test_beyond_counts_the_cohort_with_no_site_within_t() -> None:
    study, r = _study(), _results()
    over = av.zone_values(
        study, r, metric="beyond_10", cohort="over_65", mode="walk", asset_set="gp"
    )
    assert over.tolist() == [0.0, 50.0, 0.0]  # Z2 is 15 min away; Z3 has no over-65s
    everyone = av.zone_values(
        study, r, metric="beyond_10", cohort="everyone", mode="walk", asset_set="gp"
    )
    assert everyone.tolist() == [0.0, 200.0, 300.0]  # Z3 unreachable counts as beyond
    assert av.zone_values(
        study, r, metric="beyond_20", cohort="everyone", mode="walk", asset_set="gp"
    ).tolist() == [0.0, 0.0, 300.0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cohort": "under_5"}, "cohort 'under_5'"),
        ({"asset_set": "schools"}, "asset set 'schools'"),
        ({"cohort": "no_car", "mode": "drive"}, "mode 'drive'.*walk, best"),
        ({"mode": BEST, "metric": "gravity"}, "metric 'gravity'"),
    ],
)
def test_zone_values_reject_unavailable_choices(kwargs: dict[str, str], match: str) -> None:
    args = {
        "metric": "nearest_min",
        "cohort": "over_65",
        "mode": "walk",
        "asset_set": "gp",
    } | kwargs
    with pytest.raises(ConfigError, match=match):
        av.zone_values(_study(), _results(), **args)


def test_labels_and_formatters() -> None:
    r = _results()
    assert (
        av.metric_label("nearest_min", cohort="over_65", results=r) == "Minutes to the nearest site"
    )
    assert av.metric_label("within_20", cohort="over_65", results=r) == "Sites within 20 min"
    assert av.metric_label("beyond_10", cohort="over_65", results=r) == (
        "Over 65 with no site within 10 min (people)"
    )
    assert av.metric_label("beyond_10", cohort="households_no_car", results=r).endswith(
        "(households)"
    )
    assert "sites per 10,000 residents" in av.metric_label("fca_2sfca", cohort="x", results=r)
    fmt = av.metric_formatter("nearest_min", cutoff=60.0)
    assert fmt(12.345) == "12.3 min"
    assert fmt(math.nan) == "none within 60 min"
    assert av.metric_formatter("fca_e2sfca")(0.00123) == "12.30"  # per 10,000 residents
    assert av.metric_formatter("gravity")(math.nan) == "unknown"
    assert av.metric_formatter("beyond_10")(1234.0) == "1,234"
    assert av.mode_label(BEST) == "Fastest available"
    assert av.mode_label("e_scooter") == "E scooter"


def test_s_curve_table_is_percent_by_mode() -> None:
    table = av.s_curve_table(_results(), cohort="over_65", asset_set="gp")
    assert list(table.columns) == ["Walk", "Drive"]
    assert table.index.tolist() == [0.0, 5.0, 10.0, 15.0]
    assert table["Walk"].tolist() == pytest.approx([0.0, 100 / 6, 100 / 6, 100.0])
    assert table["Drive"].tolist() == pytest.approx([0.0, 100.0, 100.0, 100.0])
    assert av.s_curve_table(_results(), cohort="everyone", asset_set="gp").empty


def test_tables_are_the_results_filtered() -> None:
    r, study = _results(), _study()
    eq = av.equity_rows(r, cohort="over_65", mode="walk", asset_set="gp")
    assert eq["measure"].tolist() == ["nearest_min", "within_20_min"]
    assert eq["description"].tolist() == ["Minutes to the nearest site", "Share within 20 min"]
    assert eq["gap"].tolist() == [10.0, 0.0]
    assert av.equity_rows(r, cohort="over_65", mode="drive", asset_set="gp")["gap"].tolist() == [
        1.0
    ]
    summary = av.cohort_summary(r, cohort="over_65", asset_set="gp")
    assert summary["mode"].tolist() == ["walk", "drive", BEST]
    assert set(summary["cohort"]) == {"over_65"}
    assert "asset_set" not in summary
    assert summary["share_within_10"].iloc[0] == pytest.approx(1 / 6)
    nbh = av.neighbourhood_rows(
        r, study.neighbourhoods, cohort="over_65", mode="walk", asset_set="gp"
    )
    assert nbh[c.NEIGHBOURHOOD_ID].tolist() == ["N2", "N1"]  # rank 1 (worst) first
    assert nbh[c.NAME].tolist() == ["East", "West"]
    lb = av.left_behind_rows(r, study.zones, cohort="everyone")
    assert lb.columns.tolist() == [
        c.ZONE_ID,
        c.ZONE_NAME,
        c.NEIGHBOURHOOD_ID,
        "need",
        "access",
        "imd_decile",
        "why",
    ]
    assert lb[[c.ZONE_ID, c.ZONE_NAME, c.NEIGHBOURHOOD_ID]].values.tolist() == [
        ["Z3", "Gamma", "N2"]
    ]
    assert av.left_behind_rows(r, study.zones, cohort="no_car").empty
    assert "GP practices more than 20 min away by walk" in av.left_behind_caption(r)
    values = av.zone_values(
        study, r, metric="gravity", cohort="everyone", mode="walk", asset_set="gp"
    )
    zt = av.zone_table(study, values)
    assert zt.columns.tolist() == [c.ZONE_ID, c.ZONE_NAME, c.NEIGHBOURHOOD_ID, "gravity"]
    assert zt["gravity"].tolist() == [0.9, 0.3, 0.0]


def test_empty_results_give_empty_tables() -> None:
    r, study = AccessResults.from_tables({}), _study()
    assert av.asset_sets(r) == {}
    assert av.equity_rows(r, cohort="x", mode="walk", asset_set="gp").empty
    assert av.left_behind_rows(r, study.zones, cohort="x").empty
    assert av.s_curve_table(r, cohort="x", asset_set="gp").empty
    assert av.cohort_summary(r, cohort="x", asset_set="gp").empty
    assert av.left_behind_caption(r) == ""


def test_site_options_sorted_by_name_with_unknown_names() -> None:
    assert ma.site_options(_study().assets) == {
        "A3": "Central Library (A3)",
        "A1": "Elm Surgery (A1)",
        "A2": "unnamed (A2)",
    }
    assert list(ma.site_options(_study().assets)) == ["A3", "A1", "A2"]
    assert ma.asset_set_mask(_study(), None, "gp") is None


def test_asset_set_mask_follows_the_config_sets() -> None:
    config = SimpleNamespace(access=AccessConfig())  # stands in for a StudyConfig
    mask = ma.asset_set_mask(_study(), config, "gp_practices")  # type: ignore[arg-type]
    assert mask is not None
    assert mask.tolist() == [True, True, False]
    assert ma.asset_set_mask(_study(), config, "nope") is None  # type: ignore[arg-type]


# --- maps_access: clicks and isochrones -------------------------------------------------


def _lat_lng(x: float, y: float) -> tuple[float, float]:
    lng, lat = Transformer.from_crs(c.ANALYSIS_CRS, c.EXPORT_CRS, always_xy=True).transform(x, y)
    return lat, lng


def test_asset_at_finds_the_clicked_marker_only() -> None:
    assets = _study().assets
    lat, lng = _lat_lng(X0 + 600, Y0 + 250)
    assert ma.asset_at(assets, lat=round(lat, 6), lng=round(lng, 6)) == "A2"
    lat, lng = _lat_lng(X0 + 600, Y0 + 280)  # 30 m off
    assert ma.asset_at(assets, lat=lat, lng=lng) is None
    assert ma.asset_at(assets, lat=lat, lng=lng, tolerance_m=50.0) == "A2"
    assert ma.asset_at(assets, lat=math.nan, lng=lng) is None
    with pytest.raises(CrsError, match="no CRS"):
        ma.asset_at(assets.set_crs(None, allow_override=True), lat=lat, lng=lng)


def _street() -> StreetNetwork:
    """A straight two-way footway along y = Y0 + 250 from X0 to X0 + 1500, a node every 100 m."""
    n = 16
    x = X0 + np.arange(n) * 100.0
    y = np.full(n, Y0 + 250.0)
    u = np.concatenate((np.arange(n - 1), np.arange(1, n)))
    v = np.concatenate((np.arange(1, n), np.arange(n - 1)))
    length = np.abs(x[v] - x[u])
    return StreetNetwork(
        mode="walk",
        crs=c.ANALYSIS_CRS,
        node_osm_id=np.arange(n, dtype=np.int64) + 1,
        x=x,
        y=y,
        edge_u=u.astype(np.int32),
        edge_v=v.astype(np.int32),
        edge_length_m=length,
        edge_time_s=length / WALK_MS,
        edge_way_id=np.ones(len(u), dtype=np.int64),
        edge_highway=np.full(len(u), "footway", dtype=object),
    )


def test_site_isochrones_are_named_and_reach_400_m_in_5_minutes() -> None:
    iso = ma.site_isochrones(_street(), _study().assets, "A2", minutes=(10, 5))
    assert iso.columns.tolist() == ["site_id", c.NAME, "minutes", "mode", "area_km2", "geometry"]
    assert iso["minutes"].tolist() == [5.0, 10.0]
    assert iso["site_id"].tolist() == ["A2", "A2"]
    assert iso[c.NAME].tolist() == ["", ""]  # A2 has no name
    five = iso.geometry.iloc[0]
    assert five.covers(Point(X0 + 600 + 390, Y0 + 250))  # 400 m at 80 m a minute
    assert not five.covers(Point(X0 + 600 + 420, Y0 + 250))
    assert iso.geometry.iloc[1].covers(five)
    named = ma.site_isochrones(_street(), _study().assets, "A1", minutes=(5,))
    assert named[c.NAME].tolist() == ["Elm Surgery"]


def test_site_isochrones_reject_unknown_sites_and_bad_times() -> None:
    with pytest.raises(ConfigError, match="asset 'A9' is not in this study"):
        ma.site_isochrones(_street(), _study().assets, "A9")
    with pytest.raises(ConfigError, match="positive"):
        ma.site_isochrones(_street(), _study().assets, "A1", minutes=(0,))


def test_isochrone_geojson_is_rfc7946() -> None:
    iso = ma.site_isochrones(_street(), _study().assets, "A1", minutes=(5, 10))
    doc = ma.isochrone_geojson(iso, synthetic=True, study_name="Tinyton", metadata={"source": "x"})
    json.dumps(doc, allow_nan=False)
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    assert doc["estatesplan"]["study"] == "Tinyton"
    assert doc["estatesplan"]["source"] == "x"
    assert [f["properties"]["minutes"] for f in doc["features"]] == [5.0, 10.0]
    assert all(f["properties"]["synthetic"] for f in doc["features"])
    coords = np.array(doc["features"][1]["geometry"]["coordinates"][0])
    # central London: about 0.1° W, 51.5° N
    assert np.all((coords[:, 0] > -0.3) & (coords[:, 0] < 0.1))
    assert np.all((coords[:, 1] > 51.4) & (coords[:, 1] < 51.6))


def test_isochrone_geojson_writes_null_geometry_for_unsnapped_sites() -> None:
    iso = ma.site_isochrones(_street(), _study().assets, "A1", minutes=(5,))
    iso = iso.set_geometry([shapely.Polygon()], crs=iso.crs)
    doc = ma.isochrone_geojson(iso, synthetic=False, study_name="Tinyton")
    assert doc["features"][0]["geometry"] is None


# --- maps_access: layers and the map ----------------------------------------------------


def _geojson_features(group: folium.FeatureGroup) -> list[dict[str, object]]:
    layers = [ch for ch in group._children.values() if isinstance(ch, folium.GeoJson)]
    return [f for layer in layers for f in layer.data["features"]]


def test_left_behind_layer_outlines_only_the_listed_zones() -> None:
    study, r = _study(), _results()
    group = ma.left_behind_layer(
        study.zones, av.left_behind_rows(r, study.zones, cohort="everyone")
    )
    features = _geojson_features(group)
    assert [f["properties"]["zone_id"] for f in features] == ["Z3"]
    assert "&lt;on foot&gt;" in features[0]["properties"]["why"]
    empty = ma.left_behind_layer(study.zones, av.left_behind_rows(r, study.zones, cohort="no_car"))
    assert _geojson_features(empty) == []


def test_isochrone_layer_draws_longest_first_and_skips_empty() -> None:
    iso = ma.site_isochrones(_street(), _study().assets, "A1", minutes=(5, 10, 15))
    features = _geojson_features(ma.isochrone_layer(iso, site_name="Elm Surgery"))
    assert [f["properties"]["minutes"] for f in features] == [15.0, 10.0, 5.0]
    assert features[2]["properties"]["label"].startswith("5 min by walk from Elm Surgery: ")
    iso = iso.set_geometry([shapely.Polygon()] * 3, crs=iso.crs)
    assert _geojson_features(ma.isochrone_layer(iso)) == []


def test_access_map_has_every_layer_and_the_values() -> None:
    study, r = _study(), _results()
    iso = ma.site_isochrones(_street(), study.assets, "A1", minutes=(5,))
    m = ma.access_map(
        study, r, cohort="everyone", mode="walk", asset_set="gp", metric="nearest_min",
        assets=study.assets.iloc[:2], isochrones_frame=iso, site_id="A1", tiles=None,
    )  # fmt: skip
    html = m.get_root().render()
    for text in ("Left behind (1)", "Sites (2)", "Isochrones", "Neighbourhoods", "SYNTHETIC DATA"):
        assert text in html
    assert "Isochrone site: Elm Surgery (A1)" in html
    assert "tile.openstreetmap" not in html
    values = {
        f["properties"]["zone_id"]: f["properties"]["value"]
        for ch in m._children.values()
        if isinstance(ch, folium.FeatureGroup) and ch.layer_name.startswith("Zones")
        for f in _geojson_features(ch)
    }
    assert values == {"Z1": "5.0 min", "Z2": "15.0 min", "Z3": "none within 60 min"}
    assert "GeoJsonPopup" in html or "bindPopup" in html
    # the legend's grey swatch says what grey means here: beyond the cut-off, not unknown
    swatch = "\\u003c/span\\u003e{}\\u003c/div"  # the legend's HTML sits JSON-escaped in a script
    assert swatch.format("none within 60 min") in html and swatch.format("unknown") not in html


def test_access_map_rejects_unavailable_choices() -> None:
    with pytest.raises(ConfigError, match="metric 'gravity'"):
        ma.access_map(
            _study(), _results(), cohort="everyone", mode=BEST, asset_set="gp",
            metric="gravity", tiles=None,
        )  # fmt: skip

"""Tests for estatesplan.maps: folium layers and the estate map, on a tiny hand-made study.

The study: four 1 km square zones (EPSG:27700, near 530000 E, 181000 N, central
London) in a 2 × 2 grid, two neighbourhoods of two zones each, five assets of
different owner and asset types, cohorts ``everyone`` and ``over_65``. Expected
values are worked out by hand in each test.
"""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from estatesplan import contracts as c
from estatesplan import maps
from estatesplan._mapstyle import AssetMarkers
from estatesplan.cohorts import cohort_weights
from estatesplan.errors import ConfigError, CrsError, DataContractError
from estatesplan.study import SourceRecord, Study

X0, Y0 = 530_000.0, 181_000.0


def _study(*, synthetic: bool = False) -> Study:
    zones = gpd.GeoDataFrame(
        {
            c.ZONE_ID: ["Z1", "Z2", "Z3", "Z4"],
            c.ZONE_NAME: ["Alpha", "Beta", "Gamma", "Delta"],
            c.POPULATION: [1000.0, 2000.0, 500.0, np.nan],
            "age_65_69": [100.0, 100.0, 50.0, 10.0],
            "age_70_74": [100.0, 100.0, 0.0, 10.0],
            "age_75_79": [0.0, 100.0, 0.0, 10.0],
            "age_80_84": [0.0, 100.0, 0.0, 10.0],
            "age_85_plus": [0.0, 100.0, 0.0, 10.0],
            c.NEIGHBOURHOOD_ID: ["N1", "N1", "N2", "N2"],
        },
        geometry=[
            box(X0, Y0, X0 + 1000, Y0 + 1000),
            box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000),
            box(X0, Y0 + 1000, X0 + 1000, Y0 + 2000),
            box(X0 + 1000, Y0 + 1000, X0 + 2000, Y0 + 2000),
        ],
        crs=c.ANALYSIS_CRS,
    )
    neighbourhoods = gpd.GeoDataFrame(
        {c.NEIGHBOURHOOD_ID: ["N1", "N2"], c.NAME: ["Southside", "Northside"]},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 1000), box(X0, Y0 + 1000, X0 + 2000, Y0 + 2000)],
        crs=c.ANALYSIS_CRS,
    )
    assets = gpd.GeoDataFrame(
        {
            c.ASSET_ID: ["A1", "A2", "A3", "A4", "A5"],
            c.NAME: ["Elm Surgery", "General Hospital", "Civic Centre", "St Anne's", "Pool"],
            c.OWNER: ["Elm Partnership", "NHS Trust X", "Council", None, "Council"],
            c.OWNER_TYPE: ["icb_primary_care", "nhs_trust", "local_authority", "faith", "other"],
            c.ASSET_TYPE: [
                "gp_practice",
                "hospital",
                "council_office",
                "place_of_worship",
                "leisure_centre",
            ],
            c.GIA_M2: [420.0, np.nan, 3000.0, np.nan, 1500.0],
            c.CONDITION: ["B", None, "C", None, "A"],
            c.BACKLOG_GBP: [np.nan, 2_000_000.0, 0.0, np.nan, 12_345.0],
            c.AVAILABLE_M2: [np.nan, 120.0, 0.0, np.nan, np.nan],
            c.STEP_FREE: [True, None, False, None, True],
            c.TENURE: ["leasehold", "freehold", None, None, "pfi"],
            c.SOURCE: ["ods", "ods", "osm", "osm", "osm"],
        },
        geometry=[
            Point(X0 + 500, Y0 + 500),
            Point(X0 + 1500, Y0 + 500),
            Point(X0 + 500, Y0 + 1500),
            Point(X0 + 1500, Y0 + 1500),
            Point(X0 + 1000, Y0 + 1000),
        ],
        crs=c.ANALYSIS_CRS,
    )
    cohorts = {
        "everyone": "population",
        "over_65": "age_65_69 + age_70_74 + age_75_79 + age_80_84 + age_85_plus",
    }
    return Study(
        name="Testham",
        assets=assets,
        zones=zones,
        neighbourhoods=neighbourhoods,
        cohorts=cohorts,
        cohort_weights=cohort_weights(zones, cohorts),
        synthetic=synthetic,
        sources=(
            SourceRecord("OSM extract", "", publisher="OpenStreetMap", licence="ODbL 1.0"),
            SourceRecord("Census 2021", "", publisher="ONS", licence="OGL v3"),
        ),
    )


@pytest.fixture
def study() -> Study:
    return _study()


def _children(element: object, kind: type) -> list:
    """All descendants of a folium element that are instances of ``kind``."""
    found = []
    stack = list(getattr(element, "_children", {}).values())
    while stack:
        child = stack.pop()
        if isinstance(child, kind):
            found.append(child)
        stack.extend(getattr(child, "_children", {}).values())
    return found


def _markers(layer: object) -> list[dict]:
    """The asset markers a layer draws (one AssetMarkers element holds them all)."""
    return [m for el in _children(layer, AssetMarkers) for m in el.markers]


def _popup_html(marker: dict) -> str:
    return str(marker["popup"])


def _markers_by_tooltip(layer: folium.FeatureGroup) -> dict[str, dict]:
    return {str(m["tooltip"]): m for m in _markers(layer)}


# --- asset layer ---------------------------------------------------------------------------


def test_asset_layer_has_one_marker_per_asset_in_lon_lat(study: Study) -> None:
    layer = maps.asset_layer(study.assets)
    markers = _markers(layer)
    assert len(markers) == 5
    for marker in markers:
        lat, lon = marker["lat"], marker["lng"]
        # central London: latitude about 51.5, longitude about -0.1 (not eastings/northings)
        assert 51.4 < lat < 51.6
        assert -0.3 < lon < 0.1
    # the asset at (X0+500, Y0+500) is south-west of the one at (X0+1500, Y0+1500)
    by_name = _markers_by_tooltip(layer)
    surgery, church = by_name["Elm Surgery"], by_name["St Anne&#x27;s"]
    assert surgery["lat"] < church["lat"] and surgery["lng"] < church["lng"]
    # the script holds the data once, safely escaped for a <script> element
    html = folium.Map(tiles=None).add_child(layer).get_root().render()
    assert html.count("L.marker([d.lat, d.lng]") == 1 and "<\\/" in html


def test_asset_layer_skips_assets_without_geometry(study: Study) -> None:
    assets = study.assets.copy()
    assets.loc[1, "geometry"] = None
    assert len(_markers(maps.asset_layer(assets))) == 4


def test_popup_shows_unknown_for_missing_values_never_zero(study: Study) -> None:
    by_name = _markers_by_tooltip(maps.asset_layer(study.assets))
    hospital = _popup_html(by_name["General Hospital"])
    # GIA and condition are NaN/None for the hospital
    assert re.search(r"Gross internal area</th><td>unknown<", hospital)
    assert re.search(r"Condition \(ERIC\)</th><td>unknown<", hospital)
    assert re.search(r"Step-free access</th><td>unknown<", hospital)
    assert "£2,000,000" in hospital
    assert "120 m²" in hospital
    assert ">0 m²" not in hospital
    church = _popup_html(by_name["St Anne&#x27;s"])
    assert re.search(r"Owner</th><td>unknown<", church)
    assert re.search(r"Maintenance backlog</th><td>unknown<", church)
    assert "£0" not in church


def test_popup_keeps_a_real_zero_and_formats_fields(study: Study) -> None:
    by_name = _markers_by_tooltip(maps.asset_layer(study.assets))
    civic = _popup_html(by_name["Civic Centre"])
    assert "£0<" in civic  # a known zero backlog is zero, not unknown
    assert "Spare space</th><td>0 m²<" in civic
    assert "Step-free access</th><td>no<" in civic
    assert "3,000 m²" in civic
    assert "Local authority" in civic and "Council office" in civic
    surgery = _popup_html(by_name["Elm Surgery"])
    assert "GP practice" in surgery and "ICB / primary care" in surgery
    assert "Step-free access</th><td>yes<" in surgery


def test_popup_escapes_html_and_template_syntax() -> None:
    text = maps.asset_popup_html({c.NAME: "<b>Bad</b> `x` ${y}", c.OWNER_TYPE: "nhs_trust"})
    assert "<b>Bad</b>" not in text
    assert "&lt;b&gt;Bad&lt;/b&gt;" in text
    assert "`" not in text and "${" not in text


def test_owner_colours_are_distinct_and_used(study: Study) -> None:
    colours = [maps.OWNER_COLOURS[o] for o in c.OWNER_TYPES]
    assert len(set(colours)) == len(c.OWNER_TYPES)
    layer = maps.asset_layer(study.assets)
    by_name = _markers_by_tooltip(layer)
    assert maps.OWNER_COLOURS["nhs_trust"] in str(by_name["General Hospital"]["svg"])
    assert maps.OWNER_COLOURS["icb_primary_care"] in str(by_name["Elm Surgery"]["svg"])


def test_every_asset_type_has_a_family_with_a_shape() -> None:
    for asset_type in c.ASSET_TYPES:
        assert maps.asset_family(asset_type) in maps.FAMILY_SHAPES
    assert maps.asset_family("gp_practice") == "health"
    assert maps.asset_family("not_a_type") == "other"
    # one distinct shape per family
    assert len(set(maps.FAMILY_SHAPES.values())) == len(maps.FAMILY_SHAPES)


def test_asset_layer_without_crs_is_refused(study: Study) -> None:
    assets = study.assets.set_crs(None, allow_override=True)
    with pytest.raises(CrsError, match="no coordinate reference system"):
        maps.asset_layer(assets)


# --- filters and measures ------------------------------------------------------------------


def test_filter_assets_by_owner_and_asset_type(study: Study) -> None:
    out = maps.filter_assets(study.assets, owner_types=["nhs_trust", "icb_primary_care"])
    assert out[c.ASSET_ID].tolist() == ["A1", "A2"]
    out = maps.filter_assets(
        study.assets, owner_types=["nhs_trust", "icb_primary_care"], asset_types=["hospital"]
    )
    assert out[c.ASSET_ID].tolist() == ["A2"]
    assert len(maps.filter_assets(study.assets, owner_types=[])) == 0
    assert len(maps.filter_assets(study.assets)) == 5


def test_filter_assets_rejects_unknown_values(study: Study) -> None:
    with pytest.raises(ConfigError, match=r"unknown owner_type filter value.*'nhs'"):
        maps.filter_assets(study.assets, owner_types=["nhs"])


def test_cohort_measures_by_hand(study: Study) -> None:
    count = maps.cohort_measure(study, "over_65", "count")
    assert count.tolist() == [200.0, 500.0, 50.0, 50.0]
    share = maps.cohort_measure(study, "over_65", "share")
    # 200/1000, 500/2000, 50/500, population of Z4 unknown
    assert share.iloc[:3].tolist() == pytest.approx([0.2, 0.25, 0.1])
    assert np.isnan(share.iloc[3])
    density = maps.cohort_measure(study, "over_65", "density")
    # each zone is exactly 1 km²
    assert density.tolist() == pytest.approx([200.0, 500.0, 50.0, 50.0])


def test_cohort_measure_rejects_unknown_cohort_and_measure(study: Study) -> None:
    with pytest.raises(ConfigError, match="cohort 'under_5' is not in this study"):
        maps.cohort_measure(study, "under_5")
    with pytest.raises(ConfigError, match="measure 'rate'"):
        maps.cohort_measure(study, "over_65", "rate")


def test_format_measure() -> None:
    assert maps.format_measure("share")(0.125) == "12.5%"
    assert maps.format_measure("count")(1234.4) == "1,234"
    assert maps.format_measure("density")(5600.2) == "5,600 per km²"
    assert maps.format_measure("share")(float("nan")) == "unknown"


# --- choropleth and outlines ---------------------------------------------------------------


def _geojson_features(layer: folium.FeatureGroup) -> list[dict]:
    (geo,) = _children(layer, folium.GeoJson)
    return geo.data["features"]


def test_choropleth_shades_nan_grey_and_others_on_scale(study: Study) -> None:
    values = pd.Series([10.0, np.nan, 30.0, 20.0], index=study.zones.index)
    layer = maps.zone_choropleth(study.zones, values, name="Test", legend="people")
    features = {f["properties"]["zone_id"]: f["properties"] for f in _geojson_features(layer)}
    assert features["Z2"]["fill"] == maps.NAN_COLOUR
    assert features["Z2"]["value"] == "unknown"
    fills = {features[z]["fill"] for z in ("Z1", "Z3", "Z4")}
    assert maps.NAN_COLOUR not in fills and len(fills) == 3
    # the lowest value gets the first colour of the scale, the highest the last
    assert features["Z1"]["fill"] == layer.colormap.rgb_hex_str(10.0)
    assert (layer.colormap.vmin, layer.colormap.vmax) == (10.0, 30.0)
    assert features["Z3"]["value"] == "30.0"
    assert features["Z1"]["label"] == "Alpha"
    # only the needed properties are sent to the browser
    assert set(features["Z1"]) == {"zone_id", "label", "value", "fill"}


def test_choropleth_zone_missing_from_values_is_unknown(study: Study) -> None:
    values = pd.Series([5.0, 6.0], index=study.zones.index[:2])
    layer = maps.zone_choropleth(study.zones, values, name="T", legend="x")
    fills = [f["properties"]["fill"] for f in _geojson_features(layer)]
    assert fills.count(maps.NAN_COLOUR) == 2


def test_choropleth_all_unknown_or_constant_values_do_not_fail(study: Study) -> None:
    nan = pd.Series(np.nan, index=study.zones.index)
    layer = maps.zone_choropleth(study.zones, nan, name="T", legend="x")
    assert {f["properties"]["fill"] for f in _geojson_features(layer)} == {maps.NAN_COLOUR}
    const = pd.Series(1.0, index=study.zones.index)
    layer = maps.zone_choropleth(study.zones, const, name="T", legend="x")
    assert len({f["properties"]["fill"] for f in _geojson_features(layer)}) == 1


def test_choropleth_rejects_values_with_foreign_index(study: Study) -> None:
    values = pd.Series([1.0, 2.0], index=["a", "b"])
    with pytest.raises(DataContractError, match="matches none of the zones"):
        maps.zone_choropleth(study.zones, values, name="T", legend="x")


def test_choropleth_geometry_is_lon_lat_and_simplified(study: Study) -> None:
    zones = study.zones.copy()
    # add a 1 m wiggle to zone 1's edge: gone after 5 m simplification
    x, y = X0, Y0
    zones.loc[0, "geometry"] = gpd.GeoSeries.from_wkt(
        [
            f"POLYGON(({x} {y}, {x + 500} {y + 1}, {x + 1000} {y}, {x + 1000} {y + 1000}, "
            f"{x} {y + 1000}, {x} {y}))"
        ]
    ).iloc[0]
    values = pd.Series(1.0, index=zones.index)
    layer = maps.zone_choropleth(zones, values, name="T", legend="x")
    ring = _geojson_features(layer)[0]["geometry"]["coordinates"][0]
    assert len(ring) == 5  # the wiggle vertex was removed
    lons, lats = zip(*ring, strict=True)
    assert all(-0.3 < lon < 0.1 for lon in lons)
    assert all(51.4 < lat < 51.6 for lat in lats)
    unsimplified = maps.zone_choropleth(zones, values, name="T", legend="x", simplify_m=None)
    assert len(_geojson_features(unsimplified)[0]["geometry"]["coordinates"][0]) == 6


def test_neighbourhood_outlines_have_labels(study: Study) -> None:
    layer = maps.neighbourhood_outlines(study.neighbourhoods)
    features = _geojson_features(layer)
    assert [f["properties"]["name"] for f in features] == ["Southside", "Northside"]
    labels = _children(layer, folium.Marker)
    assert len(labels) == 2
    texts = " ".join(_children(m, folium.DivIcon)[0].options["html"] for m in labels)
    assert "Southside" in texts and "Northside" in texts


# --- whole map -----------------------------------------------------------------------------


def test_estate_map_renders_offline_without_tile_urls(study: Study) -> None:
    m = maps.estate_map(study, cohort="over_65", measure="share", tiles=None)
    html = m.get_root().render()
    assert "tile.openstreetmap.org" not in html
    assert "L.tileLayer" not in html
    assert "SYNTHETIC DATA" not in html
    assert "Elm Surgery" in html
    # attribution from the study's sources
    assert "OpenStreetMap contributors" in html
    assert "Open Government Licence" in html
    assert len(_children(m, folium.LayerControl)) == 1


def test_estate_map_with_tiles_has_osm_tiles(study: Study) -> None:
    html = maps.estate_map(study, tiles="OpenStreetMap").get_root().render()
    assert "tile.openstreetmap.org" in html


def test_synthetic_banner_only_when_synthetic() -> None:
    real = maps.estate_map(_study(synthetic=False), tiles=None).get_root().render()
    fake = maps.estate_map(_study(synthetic=True), tiles=None).get_root().render()
    assert "SYNTHETIC DATA" not in real
    assert "SYNTHETIC DATA" in fake
    assert "Testham is invented" in fake


def test_estate_map_filters_and_layers(study: Study) -> None:
    m = maps.estate_map(study, cohort="over_65", owner_types=["local_authority", "other"])
    groups = {g.layer_name: g for g in _children(m, folium.FeatureGroup)}
    asset_groups = [g for name, g in groups.items() if name.startswith("Assets")]
    assert len(asset_groups) == 1
    assert len(_markers(asset_groups[0])) == 2
    assert any(isinstance(g, maps.ChoroplethLayer) for g in groups.values())
    assert "Neighbourhoods" in groups


def test_estate_map_without_cohort_has_no_choropleth(study: Study) -> None:
    m = maps.estate_map(study, cohort=None, tiles=None)
    assert not _children(m, maps.ChoroplethLayer)


def test_estate_map_fits_bounds_in_lon_lat(study: Study) -> None:
    m = maps.estate_map(study, tiles=None)
    html = m.get_root().render()
    match = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", html, re.S)
    assert match
    (south, west), (north, east) = json.loads(match.group(1))
    assert 51.4 < south < north < 51.6
    assert -0.3 < west < east < 0.1


def test_estate_map_unknown_cohort_is_a_config_error(study: Study) -> None:
    with pytest.raises(ConfigError, match="cohort 'nobody'"):
        maps.estate_map(study, cohort="nobody", tiles=None)


def test_data_attribution_deduplicates() -> None:
    sources = [
        SourceRecord("a", "", publisher="OpenStreetMap", licence="ODbL 1.0"),
        SourceRecord("b", "", publisher="OpenStreetMap", licence="ODbL 1.0"),
        SourceRecord("c", "", publisher="ONS", licence="OGL v3"),
        SourceRecord("d", "", publisher="", licence=""),
    ]
    lines = maps.data_attribution(sources, synthetic=True)
    assert lines == [
        "Synthetic data generated by estatesplan (not real)",
        "© OpenStreetMap contributors (ODbL)",
        "ONS: Open Government Licence v3.0",
    ]

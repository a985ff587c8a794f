"""Streamlit AppTest tests of the access page, on the demo workspace and the tiny study.

The page is run through :func:`estatesplan.app.main` with a loader that returns the
workspace. Values shown are checked against the core's tables
(``study.access``: zone values, equity rows, zones left behind) and the isochrone
download is parsed as GeoJSON.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from estatesplan import contracts as c
from estatesplan.app import page_access as pa
from estatesplan.app import state
from estatesplan.study import Study
from estatesplan.study_access import AccessResults
from estatesplan.workspace import Workspace

from ._apptest import open_page

pytestmark = pytest.mark.app

TIMEOUT = 120


def _access_page(ws: Workspace | Study) -> AppTest:
    return open_page(ws, "Access", timeout=TIMEOUT, via_radio=True)


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The one table shown with all of ``columns`` (AppTest does not expose dataframe keys)."""
    (frame,) = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    return frame


def _map_script(at: AppTest) -> str:
    """The arguments (Leaflet script included) sent to the one st_folium map."""
    (component,) = at.get("component_instance")
    return str(component.proto.json_args)


def _results(ws: Workspace) -> AccessResults:
    assert ws.study.access is not None
    return ws.study.access


def _zone_column(ws: Workspace, mode: str, asset_set: str, column: str) -> np.ndarray:
    """The core's zone-table column for a mode and asset set, in zone-layer order."""
    z = _results(ws).zones
    rows = z[(z["mode"] == mode) & (z["asset_set"] == asset_set)].set_index(c.ZONE_ID)
    return rows[column].reindex(ws.study.zones[c.ZONE_ID].astype(str)).to_numpy(dtype=float)


def _check_equity(at: AppTest, ws: Workspace, cohort: str, mode: str, asset_set: str) -> None:
    e = _results(ws).equity
    want = e[(e["cohort"] == cohort) & (e["mode"] == mode) & (e["asset_set"] == asset_set)]
    shown = _table(at, "description", "q1_mean", "gap")
    assert len(want) == len(shown) > 0
    assert shown["measure"].tolist() == want["measure"].tolist()
    for col in ("mean", "q1_mean", "q5_mean", "gap", "ratio", "sii", "concentration_index"):
        np.testing.assert_allclose(shown[col].to_numpy(float), want[col].to_numpy(float))


def _check_left_behind(at: AppTest, ws: Workspace, cohort: str) -> None:
    lb = _results(ws).left_behind
    want = lb[lb["cohort"] == cohort]
    shown = _table(at, "why", "need")
    assert shown[c.ZONE_ID].tolist() == want[c.ZONE_ID].tolist()
    assert shown["why"].tolist() == want["why"].tolist()
    np.testing.assert_allclose(shown["need"].to_numpy(float), want["need"].to_numpy(float))


def test_tiny_study_without_access_says_so(tiny_study: Study) -> None:
    at = _access_page(tiny_study)
    assert any("no access results" in i.value for i in at.info)
    assert pa.ACCESS_METRIC not in at.session_state
    assert not at.get("component_instance")


def test_default_view_shows_the_core_numbers(demo_workspace: Workspace) -> None:
    at = _access_page(demo_workspace)
    ws = demo_workspace
    cohort = at.selectbox(key=state.COHORT).value
    aset = at.selectbox(key=pa.ACCESS_ASSET_SET).value
    mode = at.selectbox(key=pa.ACCESS_MODE).value
    assert at.selectbox(key=pa.ACCESS_METRIC).value == "nearest_min"
    assert aset in _results(ws).settings["asset_sets"]
    zones = _table(at, c.ZONE_ID, "nearest_min")
    assert zones[c.ZONE_ID].tolist() == ws.study.zones[c.ZONE_ID].astype(str).tolist()
    np.testing.assert_allclose(
        zones["nearest_min"].to_numpy(float), _zone_column(ws, mode, aset, "nearest_min")
    )
    _check_equity(at, ws, cohort, mode, aset)
    _check_left_behind(at, ws, cohort)
    # the S-curves chart: % of the cohort within t minutes, per mode, as in the core
    (chart,) = at.get("vega_lite_chart")
    (dataset,) = chart.proto.datasets
    data = convert_arrow_bytes_to_pandas_df(dataset.data.data)
    walk = data[data["color -- streamlit-generated"] == "Walk"]
    sc = _results(ws).s_curves
    want = sc[(sc["cohort"] == cohort) & (sc["asset_set"] == aset) & (sc["mode"] == "walk")]
    np.testing.assert_allclose(walk["minute"].to_numpy(float), want["minute"].to_numpy(float))
    np.testing.assert_allclose(
        walk["value -- streamlit-generated"].to_numpy(float), 100 * want["share"].to_numpy(float)
    )
    # the map: shaded zones, neighbourhoods, zones left behind, sites, OSM basemap
    script = _map_script(at)
    n_behind = int((_results(ws).left_behind["cohort"] == cohort).sum())
    for text in (
        "Zones: Minutes to the nearest site",
        "Neighbourhoods",
        f"Left behind ({n_behind})",
    ):
        assert text in script
    assert "tile.openstreetmap.org" in script
    # the cohort summary
    summary = _table(at, "share_within_10", "people")
    co = _results(ws).cohorts
    want = co[(co["cohort"] == cohort) & (co["asset_set"] == aset)]
    assert summary["mode"].tolist() == want["mode"].tolist()
    np.testing.assert_allclose(
        summary["share_within_10"].to_numpy(float), want["share_within_10"].to_numpy(float)
    )
    assert at.checkbox(key=pa.ACCESS_ISO_ON).value is False
    assert any("Synthetic data" in cap.value for cap in at.caption)


def test_changing_cohort_mode_and_metric_shows_the_core_numbers(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    at = _access_page(ws)
    at.selectbox(key=state.COHORT).set_value("under_5").run()
    at.selectbox(key=pa.ACCESS_ASSET_SET).set_value("health").run()
    at.selectbox(key=pa.ACCESS_MODE).set_value("cycle").run()
    at.selectbox(key=pa.ACCESS_METRIC).set_value("within_15").run()
    _ok(at)
    shown = _table(at, c.ZONE_ID, "within_15")["within_15"].to_numpy(float)
    np.testing.assert_allclose(shown, _zone_column(ws, "cycle", "health", "within_15"))
    _check_equity(at, ws, "under_5", "cycle", "health")
    _check_left_behind(at, ws, "under_5")
    # a cohort metric: under-5s in zones with no health site within 10 min by cycle
    at.selectbox(key=pa.ACCESS_METRIC).set_value("beyond_10").run()
    _ok(at)
    near = _zone_column(ws, "cycle", "health", "nearest_min")
    weights = ws.study.cohort_weights["under_5"].to_numpy(float)
    want = np.where(near <= 10.0, 0.0, weights)
    np.testing.assert_allclose(
        _table(at, c.ZONE_ID, "beyond_10")["beyond_10"].to_numpy(float), want
    )
    # the fastest mode: minutes from the core's best table
    at.selectbox(key=pa.ACCESS_MODE).set_value("best").run()
    _ok(at)
    assert at.selectbox(key=pa.ACCESS_METRIC).value == "beyond_10"  # still offered for "best"
    at.selectbox(key=pa.ACCESS_METRIC).set_value("nearest_min").run()
    b = _results(ws).best
    best = b[(b["cohort"] == "under_5") & (b["asset_set"] == "health")].set_index(c.ZONE_ID)
    np.testing.assert_allclose(
        _table(at, c.ZONE_ID, "nearest_min")["nearest_min"].to_numpy(float),
        best["best_min"].reindex(ws.study.zones[c.ZONE_ID].astype(str)).to_numpy(float),
    )
    _check_equity(at, ws, "under_5", "best", "health")


def test_households_without_a_car_are_not_offered_driving(demo_workspace: Workspace) -> None:
    at = _access_page(demo_workspace)
    at.selectbox(key=pa.ACCESS_MODE).set_value("drive").run()
    at.selectbox(key=state.COHORT).set_value("households_no_car").run()
    _ok(at)
    options = at.selectbox(key=pa.ACCESS_MODE).options
    assert "drive" not in options and "Drive" not in options
    assert at.selectbox(key=pa.ACCESS_MODE).value == "walk"  # the stale choice was reset


def test_public_transport_is_shown_for_every_cohort(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    at = _access_page(ws)
    assert any(cap.value.startswith("Public transport: gtfs.zip, Tuesday") for cap in at.caption)
    for cohort in ws.study.cohort_weights.columns:
        at.selectbox(key=state.COHORT).set_value(str(cohort)).run()
        assert "Public transport" in at.selectbox(key=pa.ACCESS_MODE).options, cohort
    at.selectbox(key=state.COHORT).set_value("over_65").run()
    at.selectbox(key=pa.ACCESS_MODE).set_value("transit").run()
    at.selectbox(key=pa.ACCESS_METRIC).set_value("nearest_min").run()
    _ok(at)
    shown = _table(at, c.ZONE_ID, "nearest_min")["nearest_min"].to_numpy(float)
    np.testing.assert_allclose(shown, _zone_column(ws, "transit", "gp_practices", "nearest_min"))
    walk = _zone_column(ws, "walk", "gp_practices", "nearest_min")
    assert (np.nan_to_num(shown, nan=np.inf) <= np.nan_to_num(walk, nan=np.inf)).all()
    _check_equity(at, ws, "over_65", "transit", "gp_practices")


def test_a_study_without_a_timetable_warns_that_transit_is_missing(
    demo_workspace: Workspace,
) -> None:
    from estatesplan.study_transit import NO_FEED

    results = _results(demo_workspace)
    settings = {**results.settings, "transit": {"status": "not computed", "why": NO_FEED}}
    study = dataclasses.replace(
        demo_workspace.study, access=dataclasses.replace(results, settings=settings)
    )
    at = _access_page(dataclasses.replace(demo_workspace, study=study))
    assert NO_FEED in [w.value for w in at.warning]
    assert not any(cap.value.startswith("Public transport:") for cap in at.caption)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, str, str | None]]:
    """Every file the app hands to Streamlit's media storage (download buttons)."""
    seen: list[tuple[bytes, str, str | None]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def record(
        self: Any, path_or_data: Any, mimetype: str, kind: Any, filename: str | None = None
    ) -> str:
        if isinstance(path_or_data, bytes):
            seen.append((path_or_data, mimetype, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return seen


def _demo_bounds(ws: Workspace) -> np.ndarray:
    return ws.study.zones.to_crs(c.EXPORT_CRS).total_bounds


def test_isochrones_around_a_chosen_site_download_as_geojson(
    demo_workspace: Workspace, downloads: list[tuple[bytes, str, str | None]]
) -> None:
    ws = demo_workspace
    site = "DEMO-A003"
    at = _access_page(ws)
    at.selectbox(key=pa.ACCESS_SITE).set_value(site)
    at.selectbox(key=pa.ACCESS_ISO_MODE).set_value("walk")
    at.multiselect(key=pa.ACCESS_ISO_BANDS).set_value([10.0, 5.0])
    at.checkbox(key=pa.ACCESS_ISO_ON).check().run()
    _ok(at)
    table = _table(at, "site_id", "area_km2")
    assert table["site_id"].tolist() == [site, site]
    assert table["minutes"].tolist() == [5.0, 10.0]
    assert 0 < table["area_km2"].iloc[0] < table["area_km2"].iloc[1]
    assert at.download_button(key=pa.ACCESS_ISO_DOWNLOAD).label == "Download isochrones (GeoJSON)"
    files = [d for d in downloads if d[2] == f"isochrones_{site}_walk.geojson"]
    assert files, [d[2] for d in downloads]
    data, mime, _ = files[-1]
    assert mime == "application/geo+json"
    doc = json.loads(data)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert [f["properties"]["minutes"] for f in doc["features"]] == [5.0, 10.0]
    assert all(f["properties"]["synthetic"] for f in doc["features"])
    west, south, east, north = _demo_bounds(ws)
    for feature in doc["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        xy = np.array([pt for ring in _rings(feature["geometry"]) for pt in ring], dtype=float)
        assert np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90)
        # around the site, inside a box a little larger than the demo area
        assert xy[:, 0].min() > west - 0.05 and xy[:, 0].max() < east + 0.05
        assert xy[:, 1].min() > south - 0.05 and xy[:, 1].max() < north + 0.05


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for poly in geometry["coordinates"] for ring in poly]


def test_clicking_a_marker_picks_the_site_and_draws_its_isochrones(
    demo_workspace: Workspace,
) -> None:
    ws = demo_workspace
    at = _access_page(ws)
    at.multiselect(key=pa.ACCESS_ISO_BANDS).set_value([5.0])
    at.run()
    site = "DEMO-A005"
    point = ws.study.assets.set_index(c.ASSET_ID).geometry[site]
    lng, lat = Transformer.from_crs(ws.study.assets.crs, c.EXPORT_CRS, always_xy=True).transform(
        point.x, point.y
    )
    # what streamlit-folium stores under the map's key when a marker is clicked
    at.session_state[pa.ACCESS_MAP] = {
        "last_object_clicked": {"lat": round(lat, 6), "lng": round(lng, 6)}
    }
    at.run()
    _ok(at)
    assert at.selectbox(key=pa.ACCESS_SITE).value == site
    assert at.checkbox(key=pa.ACCESS_ISO_ON).value is True
    assert _table(at, "site_id", "area_km2")["site_id"].tolist() == [site]


def test_without_config_the_map_works_and_isochrones_say_why(demo_workspace: Workspace) -> None:
    ws = dataclasses.replace(
        demo_workspace, config=None, config_note="its config /x/demo.toml no longer exists"
    )
    at = _access_page(ws)
    assert any("/x/demo.toml no longer exists" in i.value for i in at.info)
    assert pa.ACCESS_SITE not in at.session_state
    assert not _table(at, c.ZONE_ID, "nearest_min").empty
    assert any("Every asset is drawn" in cap.value for cap in at.caption)


def test_basemap_off_draws_no_tiles(demo_workspace: Workspace) -> None:
    at = _access_page(demo_workspace)
    at.checkbox(key=state.BASEMAP).uncheck().run()
    _ok(at)
    script = _map_script(at)
    assert "tile.openstreetmap.org" not in script
    assert "Zones: Minutes to the nearest site" in script

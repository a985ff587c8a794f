"""AppTest of the Export page: downloads exist, are prepared lazily, and their data parses.

The bytes handed to each ``st.download_button`` are captured where Streamlit stores them
(its in-memory media storage), then parsed back: GeoJSON (RFC 7946), GeoPackage, the CSV
zip and the HTML report, and compared with the core's selection of the same view.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from estatesplan import export_bundle as eb
from estatesplan.app import page_export as pe
from estatesplan.app import state
from estatesplan.errors import ConfigError
from estatesplan.study import Study
from estatesplan.workspace import Workspace

from ._apptest import open_page

pytestmark = pytest.mark.app

TIMEOUT = 120


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """File name → bytes of every file the app handed to Streamlit's media storage."""
    seen: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self: Any, path_or_data: Any, mimetype: str, kind: Any, filename: Any = None) -> str:
        if filename is not None and isinstance(path_or_data, bytes):
            seen[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return seen


def _open_export(ws: Workspace) -> AppTest:
    return open_page(ws, "Export", timeout=TIMEOUT, via_radio=True)


def _by_suffix(files: dict[str, bytes], name: str) -> bytes:
    hits = [data for fname, data in files.items() if fname.endswith(f"-{name}")]
    assert len(hits) == 1, (name, list(files))
    return hits[0]


def test_whole_study_downloads_parse(
    demo_workspace: Workspace, captured: dict[str, bytes], tmp_path: Path
) -> None:
    study = demo_workspace.study
    at = _open_export(demo_workspace)
    assert not at.get("download_button")  # nothing is built before the button is pressed
    at.button(key=pe.EXPORT_PREPARE).click().run()
    assert not at.exception and not at.error
    keys = {b.key for b in at.get("download_button")}
    sel = eb.select_view(study)
    expected = {pe.download_key(f"{n}.geojson") for n in sel.layers}
    expected |= {pe.download_key(n) for n in ("study.gpkg", "tables.zip", "report.html")}
    assert keys == expected
    # GeoJSON: RFC 7946, one feature per asset, lon/lat
    doc = json.loads(_by_suffix(captured, "assets.geojson"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert len(doc["features"]) == len(study.assets)
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert -8 < lon < 2 and 49 < lat < 61
    # GeoPackage: same row counts as the core's selection
    gpkg = tmp_path / "x.gpkg"
    gpkg.write_bytes(_by_suffix(captured, "study.gpkg"))
    assert len(gpd.read_file(gpkg, layer="zones")) == len(study.zones)
    assert len(gpd.read_file(gpkg, layer="assets")) == len(study.assets)
    # CSV zip: rows equal the tables
    with zipfile.ZipFile(io.BytesIO(_by_suffix(captured, "tables.zip"))) as zf:
        cohorts = pd.read_csv(zf.open("access_cohorts.csv"))
        manifest = json.loads(zf.read("manifest.json"))
    assert len(cohorts) == len(sel.tables["access_cohorts"])
    assert manifest["synthetic"] is True and manifest["view"]["description"] == "whole study"
    html = _by_suffix(captured, "report.html").decode()
    assert study.name in html and "SYNTHETIC DATA" in html
    # no URL in any src/href outside scripts (Leaflet's own source names its home page)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", markup)


def test_current_view_follows_sidebar_and_neighbourhoods(
    demo_workspace: Workspace, captured: dict[str, bytes]
) -> None:
    study = demo_workspace.study
    at = _open_export(demo_workspace)
    at.selectbox(key=state.COHORT).set_value("under_5").run()
    at.radio(key=pe.EXPORT_SCOPE).set_value(pe.CURRENT).run()
    at.multiselect(key=pe.EXPORT_NEIGHBOURHOODS).set_value(["N02"]).run()
    assert "neighbourhoods N02; cohort under 5" in " ".join(c.value for c in at.caption)
    at.button(key=pe.EXPORT_PREPARE).click().run()
    assert not at.exception and not at.error
    view = eb.ExportView(neighbourhood_ids=("N02",), cohort="under_5")
    sel = eb.select_view(study, view)
    doc = json.loads(_by_suffix(captured, "view-assets.geojson"))
    ids = sorted(f["properties"]["asset_id"] for f in doc["features"])
    assert ids == sorted(sel.layers["assets"]["asset_id"].astype(str))
    assert 0 < len(ids) < len(study.assets)
    zones = json.loads(_by_suffix(captured, "view-zones.geojson"))
    props = zones["features"][0]["properties"]
    assert "cohort_under_5" in props and "cohort_over_65" not in props
    assert {f["properties"]["neighbourhood_id"] for f in zones["features"]} == {"N02"}
    assert "under 5" in _by_suffix(captured, "view-report.html").decode()


def test_core_error_is_shown_plainly(tiny_study: Study, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object, **_kwargs: object) -> dict[str, bytes]:
        raise ConfigError("cannot export this view: neighbourhood 'N9' not in the study")

    monkeypatch.setattr(eb, "download_files", boom)
    ws = Workspace(source="tiny-export-error", study=tiny_study)
    at = _open_export(ws)
    at.button(key=pe.EXPORT_PREPARE).click().run()
    assert not at.exception
    assert "neighbourhood 'N9' not in the study" in at.error[0].value
    assert not at.get("download_button")

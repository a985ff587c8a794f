"""Streamlit AppTest tests of the estate-map page, with the tiny study injected.

The page is run through :func:`estatesplan.app.main` with a loader that returns the
tiny study of ``conftest.py`` (or raises), so no pipeline or data pack is needed.
Expected numbers are hand-computed in ``conftest.py``: population 6,000, over-65s 960.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from estatesplan.app import state, views
from estatesplan.study import Study
from estatesplan.workspace import Workspace

pytestmark = pytest.mark.app

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 60


# AppTest runs the body of these functions as a script, without this module's imports
# or ``from __future__ import annotations``: their annotations use builtins only.


def _page(study: object) -> None:
    """AppTest script: the page with a loader that always returns ``study``."""
    from estatesplan.app import main

    main(loader=lambda _source: study)


def _failing_page(message: str) -> None:
    """AppTest script: the page with a loader that raises a contract error."""
    from estatesplan.app import main
    from estatesplan.errors import DataContractError

    def loader(_source: str) -> object:
        raise DataContractError(message)

    main(loader=loader)


def _recording_page(study: object, seen: list[str]) -> None:
    """AppTest script: like ``_page`` but records the sources asked for."""
    from estatesplan.app import main

    def loader(source: str) -> object:
        seen.append(source)
        return study

    main(loader=loader)


def _run(study: Study) -> AppTest:
    at = AppTest.from_function(_page, kwargs={"study": study}, default_timeout=TIMEOUT)
    return at.run()


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _table(at: AppTest, column: str) -> Any:
    """The one table shown with ``column`` (AppTest does not expose dataframe keys)."""
    (frame,) = [d.value for d in at.dataframe if column in d.value.columns]
    return frame


def test_page_renders_with_metrics_and_tables(tiny_study: Study) -> None:
    at = _run(tiny_study)
    assert not at.exception
    assert not at.error
    metrics = _metrics(at)
    assert metrics["Zones"] == "6"
    assert metrics["Population"] == "6,000"
    assert metrics["Assets"] == "8"
    assert metrics["Neighbourhoods"] == "2"
    assert metrics["Over 65"] == "960"  # the default cohort
    assets = _table(at, "asset_id")
    assert len(assets) == 8
    zones = _table(at, "zone_id")
    assert zones["zone_id"].tolist() == ["Z1", "Z2", "Z3", "Z4", "Z5", "Z6"]
    assert zones["over_65_share_pct"].tolist() == pytest.approx(
        [10.0, 25.0, 10.0, 10.0, 30.0, 10.0]
    )
    # sources expander lists the study's inputs and their licences
    sources = _table(at, "licence")
    assert sources["licence"].tolist() == ["MIT", "ODbL 1.0", "OGL v3"]
    assert any("OpenStreetMap contributors" in cap.value for cap in at.caption)


def test_synthetic_banner_shown_only_for_synthetic(
    tiny_study: Study, tiny_real_study: Study
) -> None:
    at = _run(tiny_study)
    banners = [w.value for w in at.warning]
    assert any("Synthetic data — Demoborough is invented" in b for b in banners)
    real = _run(tiny_real_study)
    assert not any("Synthetic data" in w.value for w in real.warning)
    assert not real.exception


def test_changing_cohort_updates_metrics_and_zone_table(
    tiny_study: Study, over_65_total: float
) -> None:
    at = _run(tiny_study)
    at.selectbox(key=state.COHORT).set_value("over_65").run()
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Over 65"] == f"{over_65_total:,.0f}" == "960"
    assert "Everyone" not in metrics
    zones = _table(at, "zone_id")
    # over-65s per zone / population: 100/1000, 300/1200, 80/800, 150/1500, 270/900, 60/600
    assert zones["over_65_share_pct"].tolist() == pytest.approx([10, 25, 10, 10, 30, 10])
    # each zone is 500 m × 500 m = 0.25 km²
    assert zones["over_65_per_km2"].tolist() == pytest.approx([400, 1200, 320, 600, 1080, 240])
    at.selectbox(key=state.MEASURE).set_value("density").run()
    assert not at.exception


def test_filters_update_asset_metric_and_table(tiny_study: Study) -> None:
    at = _run(tiny_study)
    at.multiselect(key=state.OWNER_TYPES).set_value(["local_authority"]).run()
    assert not at.exception
    assert _metrics(at)["Assets"] == "3"
    assets = _table(at, "asset_id")
    assert sorted(assets["asset_id"]) == ["A3", "A4", "A8"]
    at.multiselect(key=state.ASSET_TYPES).set_value(["library", "hospital"]).run()
    assert _metrics(at)["Assets"] == "1"
    assert _table(at, "asset_id")["asset_id"].tolist() == ["A4"]
    at.multiselect(key=state.OWNER_TYPES).set_value([]).run()
    assert _metrics(at)["Assets"] == "0"
    assert not at.exception


def test_basemap_toggle_runs_offline(tiny_study: Study) -> None:
    at = _run(tiny_study)
    assert at.checkbox(key=state.BASEMAP).value is True
    at.checkbox(key=state.BASEMAP).uncheck().run()
    assert not at.exception
    assert at.checkbox(key=state.BASEMAP).value is False


def test_loader_error_is_shown_not_raised() -> None:
    message = "assets.gpkg: 1 problem found: column `asset_id` has 2 duplicated id(s): A1"
    at = AppTest.from_function(
        _failing_page, kwargs={"message": message}, default_timeout=TIMEOUT
    ).run()
    assert not at.exception
    assert [e.value for e in at.error] == [message]
    assert not at.metric  # the page stopped after the error


def test_typed_path_overrides_selectbox(tiny_study: Study, tmp_path: Path) -> None:
    seen: list[str] = []
    at = AppTest.from_function(
        _recording_page, kwargs={"study": tiny_study, "seen": seen}, default_timeout=TIMEOUT
    ).run()
    assert seen[-1] == "demo"
    at.text_input(key=state.STUDY_PATH).input(str(tmp_path)).run()
    assert not at.exception
    assert seen[-1] == str(tmp_path)


def test_empty_asset_register_renders(tiny_study: Study) -> None:
    empty = dataclasses.replace(tiny_study, assets=tiny_study.assets.iloc[:0])
    at = _run(empty)
    assert not at.exception
    assert _metrics(at)["Assets"] == "0"


def test_source_options_lists_example_configs(tmp_path: Path) -> None:
    (tmp_path / "b.toml").write_text("", encoding="utf-8")
    (tmp_path / "a.toml").write_text("", encoding="utf-8")
    (tmp_path / "notes.md").write_text("", encoding="utf-8")
    options = views.source_options(tmp_path)
    assert list(options) == ["demo", f"{tmp_path.name}/a.toml", f"{tmp_path.name}/b.toml"]
    assert options[f"{tmp_path.name}/a.toml"] == str(tmp_path / "a.toml")
    assert views.source_options(tmp_path / "missing") == {"demo": "demo"}


def test_default_source_reads_environment() -> None:
    assert state.default_source({}) == "demo"
    assert state.default_source({state.STUDY_ENV_VAR: "  out/camden "}) == "out/camden"


def test_init_and_sync_state_by_hand() -> None:
    session: dict[str, Any] = {}
    state.init_state(session, source_options=["demo"], default="out/x")
    assert session[state.STUDY_SOURCE] == "demo"
    assert session[state.STUDY_PATH] == "out/x"
    state.sync_with_study(
        session, source="a", cohorts=["everyone", "over_65"], owner_types=["faith"], asset_types=[]
    )
    assert session[state.COHORT] == "over_65"  # the default cohort, when offered
    assert session[state.OWNER_TYPES] == ["faith"]
    session[state.OWNER_TYPES] = []
    state.sync_with_study(
        session, source="a", cohorts=["everyone"], owner_types=["faith"], asset_types=[]
    )
    assert session[state.COHORT] == "everyone"  # "over_65" no longer offered
    assert session[state.OWNER_TYPES] == []  # the user's empty choice is kept
    state.sync_with_study(
        session, source="b", cohorts=["everyone"], owner_types=["faith", "vcse"], asset_types=[]
    )
    assert session[state.OWNER_TYPES] == ["faith", "vcse"]  # new study: filters reset


@pytest.mark.filterwarnings("ignore::estatesplan.errors.SyntheticDataWarning")
@pytest.mark.parametrize("script", ["app.py", "estatesplan/app/streamlit_app.py"])
def test_app_file_smoke(monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    monkeypatch.setenv(state.STUDY_ENV_VAR, "demo")
    at = AppTest.from_file(str(REPO / script), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert not at.error
    assert any("Synthetic data" in w.value for w in at.warning)


def test_app_file_with_missing_study_shows_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-study.toml"
    monkeypatch.setenv(state.STUDY_ENV_VAR, str(missing))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.text_input(key=state.STUDY_PATH).value == str(missing)


def test_demo_pages_show_access_carbon_and_options(demo_workspace: Workspace) -> None:
    at = _run(demo_workspace)  # type: ignore[arg-type]
    assert not at.exception and not at.error
    assert at.radio(key=views.PAGE).value == "Estate map"
    at.radio(key=views.PAGE).set_value("Access").run()
    assert not at.exception and not at.error
    access = _table(at, "share_within_20")
    assert set(access["cohort"]) == {"over_65"}  # the selected cohort
    assert "why" in _table(at, "why").columns
    at.radio(key=views.PAGE).set_value("Carbon and cost").run()
    assert not at.exception and not at.error
    assert any("tCO2e a year" in cap.value for cap in at.caption)
    at.radio(key=views.PAGE).set_value("Co-location").run()
    assert not at.exception and not at.error
    options = _table(at, "option_id")
    first = options["option_id"].str.split("-").str[0].iloc[0]
    assert options["option_id"].str.startswith(f"{first}-").all()  # one neighbourhood's
    assert options["rank"].is_monotonic_increasing


def test_every_page_renders_on_the_demo(demo_workspace: Workspace) -> None:
    at = _run(demo_workspace)  # type: ignore[arg-type]
    for page in views.PAGES:
        at.radio(key=views.PAGE).set_value(page).run()
        assert not at.exception, page
        assert not at.error, page


class _FakeUpload:
    """What Streamlit's uploader returns: a name and the bytes."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


def test_open_uploads_points_the_study_at_the_written_config(tmp_path: Path) -> None:
    session: dict[str, Any] = {views.UPLOAD_NAME: "Mine"}
    views.open_uploads(session, folder=tmp_path)
    assert "upload the zones and assets" in session[views.UPLOAD_ERROR]
    assert state.STUDY_PATH not in session
    session[views.UPLOAD_KEYS["zones"]] = _FakeUpload("z.gpkg", b"zones")
    session[views.UPLOAD_KEYS["assets"]] = _FakeUpload("a.csv", b"assets")
    views.open_uploads(session, folder=tmp_path)
    assert session[views.UPLOAD_ERROR] == ""
    toml = Path(session[state.STUDY_PATH])
    assert toml.name == "study.toml" and (toml.parent / "a.csv").read_bytes() == b"assets"
    assert 'name = "Mine"' in toml.read_text(encoding="utf-8")


def test_bad_upload_study_shows_the_contract_error(tmp_path: Path) -> None:
    """A config written for uploads whose zones file is not a GeoPackage: the page shows
    the reader's message naming the file, not a traceback."""
    session: dict[str, Any] = {}
    session[views.UPLOAD_KEYS["zones"]] = _FakeUpload("zones.gpkg", b"not a geopackage")
    session[views.UPLOAD_KEYS["assets"]] = _FakeUpload("assets.gpkg", b"nor this")
    views.open_uploads(session, folder=tmp_path)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    at.session_state[state.STUDY_PATH] = session[state.STUDY_PATH]
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "zones.gpkg" in at.error[0].value

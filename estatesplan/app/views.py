"""The app's shell: the study picker, the page switcher and the shared sidebar choices.

Each page lives in its own module (``page_*.py``) with a ``render(workspace)`` function;
only arrangement lives in the app, every number comes from the core. Errors the core
raises (:class:`EstatesplanError`) are shown as a message, never as a traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pandas as pd
import streamlit as st

from .. import maps
from ..errors import EstatesplanError
from ..study import Study
from ..uploads import LAYER_SUFFIXES, Upload, prepare_uploads
from ..workspace import Workspace
from . import (
    cached,
    page_access,
    page_carbon,
    page_colocation,
    page_estate,
    page_export,
    page_scenarios,
)
from . import state as s
from .common import show_error
from .page_estate import asset_table, zone_table

__all__ = [
    "EXAMPLES_DIR", "PAGES", "asset_table", "main", "open_uploads", "source_options", "zone_table",
]  # fmt: skip

logger = logging.getLogger(__name__)

EXAMPLES_DIR: Final = Path(__file__).resolve().parents[2] / "examples"
"""The repository's ``examples/`` folder (absent in an installed package)."""

PAGES: Final[dict[str, Callable[[Workspace], None]]] = {
    "Estate map": page_estate.render,
    "Access": page_access.render,
    "Carbon and cost": page_carbon.render,
    "Co-location": page_colocation.render,
    "Scenarios": page_scenarios.render,
    "Export": page_export.render,
}
"""Page label → drawing function, in the order of the page switcher."""
PAGE: Final = "page"
"""Session-state key of the page switcher."""
UPLOAD_KEYS: Final = {slot: f"upload_{slot}" for slot in LAYER_SUFFIXES}
"""File uploaders, one per slot (zones, assets, neighbourhoods, network, timetable)."""
UPLOAD_NAME: Final = "upload_name"
UPLOAD_OPEN: Final = "upload_open"
UPLOAD_ERROR: Final = "_upload_error"
_UPLOAD_HELP: Final = {
    "zones": "Polygons with zone_id and population (and Census age bands for cohorts).",
    "assets": "Points (or a CSV with coordinates) with the asset register's columns.",
    "neighbourhoods": "Optional polygons with neighbourhood_id and name; without them "
    "neighbourhoods are proposed from the zones.",
    "network": "Optional OpenStreetMap extract (.osm.pbf): adds travel times, access, "
    "carbon and co-location.",
    "timetable": "Optional GTFS timetable (.zip as published; needs the street extract): "
    "adds walk + public transport times, so people without a car are measured fairly.",
}


def source_options(examples_dir: Path = EXAMPLES_DIR) -> dict[str, str]:
    """Return the studies offered in the sidebar: label to source.

    Parameters
    ----------
    examples_dir
        Folder searched for ``*.toml`` study configs.

    Returns
    -------
    dict of str to str
        "demo" first, then ``examples/<name>.toml`` labels mapped to absolute paths.
    """
    options = {s.DEMO_SOURCE: s.DEMO_SOURCE}
    if examples_dir.is_dir():
        for path in sorted(examples_dir.glob("*.toml")):
            options[f"{examples_dir.name}/{path.name}"] = str(path)
    return options


def _resolve_source(options: dict[str, str]) -> str:
    typed = str(st.session_state.get(s.STUDY_PATH) or "").strip()
    if typed:
        return str(Path(typed).expanduser()) if typed != s.DEMO_SOURCE else typed
    return options.get(str(st.session_state.get(s.STUDY_SOURCE)), s.DEMO_SOURCE)


def _sidebar_study(options: dict[str, str]) -> None:
    st.sidebar.header("Study")
    st.sidebar.selectbox(
        "Study",
        options=list(options),
        key=s.STUDY_SOURCE,
        help="The invented demo area, or a study config from the examples folder.",
    )
    st.sidebar.text_input(
        "…or an output folder or config path",
        key=s.STUDY_PATH,
        placeholder="e.g. out/camden or my-study.toml",
        help="A folder written by `estatesplan run` / `estatesplan demo`, or a study .toml. "
        "Overrides the choice above when filled in.",
    )


def _sources(study: Study) -> None:
    with st.expander("Sources and licences"):
        if study.synthetic:
            st.markdown(f"**{study.name} is invented**: the demo is generated, not real data.")
        if study.sources:
            st.dataframe(
                pd.DataFrame(
                    {
                        "input": [r.name for r in study.sources],
                        "publisher": [r.publisher for r in study.sources],
                        "licence": [r.licence for r in study.sources],
                        "rows": [r.rows for r in study.sources],
                        "file": [r.path for r in study.sources],
                        "sha256": [r.digest[:12] for r in study.sources],
                    }
                ),
                hide_index=True,
                key="sources_table",
            )
        else:
            st.caption("No sources were recorded for this study.")
        for line in maps.data_attribution(study.sources, synthetic=study.synthetic):
            st.caption(line)


def open_uploads(state: s.StateLike, *, folder: Path | None = None) -> None:
    """Write the files in the upload widgets beside a config and point the study path at
    it (the next run opens that study); a refusal is kept under ``UPLOAD_ERROR``.

    Parameters
    ----------
    state
        ``st.session_state`` (or a mapping in tests) holding the uploaders' files
        (objects with ``name`` and ``getvalue()``).
    folder
        Where uploads are written (default: the per-user cache).
    """
    files: dict[str, Upload | None] = {}
    for slot, key in UPLOAD_KEYS.items():
        f = state.get(key)
        files[slot] = Upload(str(f.name), bytes(f.getvalue())) if f is not None else None
    name = str(state.get(UPLOAD_NAME) or "").strip() or "Uploaded study"
    try:
        toml = prepare_uploads(files, name=name, folder=folder)
    except EstatesplanError as err:
        state[UPLOAD_ERROR] = str(err)
        return
    state[UPLOAD_ERROR] = ""
    state[s.STUDY_PATH] = str(toml)


def _open_uploads() -> None:
    open_uploads(st.session_state)


def _sidebar_uploads() -> None:
    with st.sidebar.expander("Open your own files"):
        st.text_input("Study name", key=UPLOAD_NAME, placeholder="Uploaded study")
        for slot, key in UPLOAD_KEYS.items():
            st.file_uploader(
                slot.capitalize(),
                type=sorted({sfx.rsplit(".", 1)[-1] for sfx in LAYER_SUFFIXES[slot]}),
                key=key,
                help=_UPLOAD_HELP[slot],
            )
        st.button("Open uploaded files", key=UPLOAD_OPEN, on_click=_open_uploads)
        if message := st.session_state.get(UPLOAD_ERROR):
            st.error(message)
        st.caption(
            "Files are checked against the same data contracts as `estatesplan run`; "
            "problems are listed with the file, column and rows."
        )


def _sidebar_shared(cohorts: list[str]) -> str:
    """Page switcher, cohort and basemap; returns the page chosen."""
    st.sidebar.radio("Page", options=list(PAGES), key=PAGE)
    st.sidebar.selectbox(
        "Cohort",
        options=cohorts,
        key=s.COHORT,
        format_func=lambda name: name.replace("_", " "),
        help="Who the zones are shaded by and access is shown for; cohorts are defined "
        "in the study config.",
    )
    st.sidebar.checkbox(
        "OpenStreetMap basemap",
        key=s.BASEMAP,
        help="Untick to work offline: maps then show only the study's own layers.",
    )
    return str(st.session_state.get(PAGE) or next(iter(PAGES)))


def main(loader: Callable[[str], Workspace | Study] | None = None) -> None:
    """Draw the app: sidebar, synthetic-data banner, then the page chosen.

    Parameters
    ----------
    loader
        Loads a workspace (or a bare study) from a source string ("demo", a config
        path or an output directory); defaults to the cached
        :func:`estatesplan.workspace.load_workspace`. Tests inject their own.
    """
    start = time.perf_counter()
    load = loader if loader is not None else cached.get_workspace
    options = source_options()
    s.init_state(st.session_state, source_options=list(options), default=s.default_source())
    if PAGE not in st.session_state:
        st.session_state[PAGE] = next(iter(PAGES))
    _sidebar_study(options)
    _sidebar_uploads()
    source = _resolve_source(options)
    try:
        loaded = load(source)
    except EstatesplanError as err:
        show_error(err)
    ws = loaded if isinstance(loaded, Workspace) else Workspace(source=source, study=loaded)
    study = ws.study
    st.title(f"{study.name}: public estate and population")
    if study.synthetic:
        st.warning(
            f"Synthetic data — {study.name} is invented. Places, buildings and people on this "
            "page are generated for demonstration and must not be used for decisions.",
            icon="⚠️",
        )
    cohorts, owners, types = page_estate.study_choices(study)
    s.sync_with_study(
        st.session_state, source=source, cohorts=cohorts, owner_types=owners, asset_types=types
    )
    page = _sidebar_shared(cohorts)
    try:
        PAGES.get(page, page_estate.render)(ws)
    except EstatesplanError as err:
        show_error(err)
    _sources(study)
    logger.info("app: %s page of %r drawn in %.2f s", page, study.name,
                time.perf_counter() - start)  # fmt: skip

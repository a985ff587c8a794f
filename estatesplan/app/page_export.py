"""The export page: the whole study or the current view as GeoJSON, GeoPackage, CSV and report.

Arrangement only: :func:`estatesplan.export_bundle.current_view` turns the sidebar's
cohort and asset filters (and this page's neighbourhood choice) into a view, and
:func:`estatesplan.export_bundle.download_files` builds the files. Building takes a few
seconds, so it waits for the "Prepare downloads" button and is cached per study and view;
once prepared, moving back to a view already built is instant.
"""

from __future__ import annotations

import logging
import time
from typing import Final

import streamlit as st

from .. import export_bundle as eb
from ..errors import EstatesplanError
from ..workspace import Workspace
from . import state as s
from .common import synthetic_caption

__all__ = [
    "EXPORT_NEIGHBOURHOODS",
    "EXPORT_PREPARE",
    "EXPORT_SCOPE",
    "SCOPES",
    "download_key",
    "render",
]

logger = logging.getLogger(__name__)

EXPORT_SCOPE: Final = "export_scope"
"""Radio: export the whole study or the current view."""
EXPORT_NEIGHBOURHOODS: Final = "export_neighbourhoods"
"""Multiselect: neighbourhoods of the current view (none chosen: all)."""
EXPORT_PREPARE: Final = "export_prepare"
"""Button: build the files of the chosen scope."""
EXPORT_PREPARED: Final = "export_prepared"
"""Internal: the views whose files were prepared in this session."""
WHOLE: Final = "Whole study"
CURRENT: Final = "Current view"
SCOPES: Final = (WHOLE, CURRENT)

_MIME: Final = {
    ".geojson": "application/geo+json",
    ".gpkg": "application/geopackage+sqlite3",
    ".zip": "application/zip",
    ".html": "text/html",
}


def download_key(name: str) -> str:
    """Widget key of the download button of one file ("assets.geojson", "study.gpkg",
    "tables.zip", "report.html")."""
    return f"export_download_{name}"


_Fields = tuple[tuple[str, ...] | None, tuple[str, ...] | None, tuple[str, ...] | None, str | None]


@st.cache_data(show_spinner=False, max_entries=4)
def _files(
    source: str, study_key: tuple[str, str, int], view: _Fields, _ws: Workspace
) -> dict[str, bytes]:
    """The downloads of one study and view; cached on the source, study and view."""
    owners, types, ids, cohort = view
    ev = eb.ExportView(owner_types=owners, asset_types=types, neighbourhood_ids=ids, cohort=cohort)
    return eb.download_files(_ws.study, ev)


def _view(ws: Workspace) -> eb.ExportView:
    study = ws.study
    if st.session_state.get(EXPORT_SCOPE) != CURRENT:
        return eb.ExportView()
    nb = study.neighbourhoods
    names = dict(zip(nb["neighbourhood_id"].astype(str), nb["name"].astype(str), strict=True))
    st.multiselect(
        "Neighbourhoods",
        options=list(names),
        key=EXPORT_NEIGHBOURHOODS,
        format_func=lambda i: f"{i}: {names.get(i, i)}",
        placeholder="All neighbourhoods",
        help="Leave empty for every neighbourhood.",
    )
    return eb.current_view(
        study,
        owner_types=st.session_state.get(s.OWNER_TYPES),
        asset_types=st.session_state.get(s.ASSET_TYPES),
        neighbourhood_ids=st.session_state.get(EXPORT_NEIGHBOURHOODS) or None,
        cohort=st.session_state.get(s.COHORT),
    )


def render(ws: Workspace) -> None:
    """Offer the study, or the current view, as RFC 7946 GeoJSON, GeoPackage, CSV and an
    offline HTML report."""
    t0 = time.perf_counter()
    study = ws.study
    st.header("Export")
    st.markdown(
        "GeoJSON (RFC 7946: longitude/latitude, EPSG:4326) for web maps and other tools, a "
        "GeoPackage (analysis CRS, with every table) for GIS, CSV tables, and a report that "
        "opens offline in any browser."
    )
    if EXPORT_SCOPE not in st.session_state:
        st.session_state[EXPORT_SCOPE] = WHOLE
    st.radio("What to export", options=list(SCOPES), key=EXPORT_SCOPE, horizontal=True,
             help="The current view uses the sidebar's cohort and the estate map's owner and "
             "asset filters, and the neighbourhoods chosen below.")  # fmt: skip
    view = _view(ws)
    st.caption(f"Exporting: {view.describe()}.")
    fields: _Fields = (view.owner_types, view.asset_types, view.neighbourhood_ids, view.cohort)
    study_key = (study.name, study.config_digest, len(study.assets))
    prepared: list[object] = st.session_state.setdefault(EXPORT_PREPARED, [])
    token = (ws.source, study_key, fields)
    if token not in prepared:
        if not st.button("Prepare downloads", key=EXPORT_PREPARE, type="primary"):
            st.caption("Building the files takes a few seconds; they are kept for this session.")
            return
        prepared.append(token)
    try:
        with st.spinner("Preparing downloads…"):
            files = _files(ws.source, study_key, fields, ws)
    except EstatesplanError as err:
        prepared.remove(token)
        st.error(str(err))
        return
    synthetic_caption(study.synthetic)
    if study.synthetic:
        st.caption("Every file is marked synthetic (a `synthetic` column or member and a notice).")
    geojson = [n for n in files if n.endswith(".geojson")]
    labels = {"study.gpkg": "GeoPackage (layers and tables)", "tables.zip": "CSV tables (zip)",
              "report.html": "HTML report (works offline)"}  # fmt: skip
    for title, names in (
        ("Layers as GeoJSON", geojson),
        ("GeoPackage, CSV and report", list(labels)),
    ):
        st.subheader(title)
        for col, name in zip(st.columns(len(names)), names, strict=True):
            col.download_button(
                labels.get(name, name),
                data=files[name],
                file_name=eb.file_name(study.name, view, name),
                mime=_MIME["." + name.rsplit(".", 1)[-1]],
                key=download_key(name),
            )
    st.caption("Sizes: " + ", ".join(f"{n} {len(b) / 1e6:.2f} MB" for n, b in files.items()))
    left_out = eb.select_view(study, view).left_out
    if left_out:
        st.caption(
            "Not in this view (see manifest.json): "
            + "; ".join(f"{n} ({why})" for n, why in left_out.items())
        )
    logger.info("export page: %d files for %s in %.2f s", len(files), view.describe(),
                time.perf_counter() - t0)  # fmt: skip

"""Streamlit caches around the core: one loaded workspace per source, shared across reruns.

No logic lives here: each function only calls the core and lets Streamlit cache it.
"""

from __future__ import annotations

import streamlit as st

from ..workspace import Workspace, load_workspace

__all__ = ["get_workspace"]


@st.cache_resource(show_spinner="Loading study…", max_entries=4)
def get_workspace(source: str) -> Workspace:
    """Load a study (with its config and lazily built networks) once per source.

    Parameters
    ----------
    source
        "demo", a study config (.toml) or an output directory written by
        ``estatesplan run`` / ``estatesplan demo``.

    Returns
    -------
    Workspace
        Shared between sessions, so callers must not modify its study.

    Raises
    ------
    EstatesplanError
        If the study cannot be loaded (the message says why).
    """
    return load_workspace(source)

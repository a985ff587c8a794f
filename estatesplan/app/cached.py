"""Streamlit caches around the core: one loaded study per source, shared across reruns.

No logic lives here: each function only calls the core and lets Streamlit cache it.
"""

from __future__ import annotations

import streamlit as st

from ..errors import EstatesplanError
from ..study import Study

__all__ = ["get_study"]


@st.cache_resource(show_spinner="Loading study…", max_entries=4)
def get_study(source: str) -> Study:
    """Load a study once per source and keep it for every session.

    Parameters
    ----------
    source
        "demo", a study config (.toml) or an output directory written by
        ``estatesplan run`` / ``estatesplan demo``.

    Returns
    -------
    Study
        The loaded study; shared between sessions, so callers must not modify it.

    Raises
    ------
    EstatesplanError
        If the study cannot be loaded (the message says why), or this installation
        has no study loader.
    """
    try:
        from ..pipeline import load_study  # imported here: the app starts without it
    except ImportError as err:
        msg = (
            "this installation of estatesplan cannot load studies yet "
            f"(estatesplan.pipeline.load_study is missing: {err}). Update estatesplan."
        )
        raise EstatesplanError(msg) from err
    study: Study = load_study(source)
    return study

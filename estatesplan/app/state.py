"""Session-state keys of the Streamlit app and their initial values.

Widgets are created with these keys and no ``value=``/``default=`` argument: the
value lives in ``st.session_state`` and is set here, once, before the widget is
drawn, and reconciled when the loaded study changes (options differ per study).
This module does not import Streamlit; it works on any mutable mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

__all__ = [
    "ASSET_TYPES",
    "BASEMAP",
    "COHORT",
    "DEFAULT_COHORT",
    "DEFAULT_MEASURE",
    "DEMO_SOURCE",
    "LOADED_SOURCE",
    "MAIN_MAP",
    "MEASURE",
    "OWNER_TYPES",
    "STUDY_ENV_VAR",
    "STUDY_PATH",
    "STUDY_SOURCE",
    "StateLike",
    "default_source",
    "init_state",
    "sync_with_study",
]

STUDY_SOURCE: Final = "study_source"
"""Selectbox: "demo" or an example config under ``examples/``."""
STUDY_PATH: Final = "study_path"
"""Text input: an output directory or a config path; overrides ``study_source`` when set."""
COHORT: Final = "cohort"
"""Selectbox: the cohort shading the zones."""
MEASURE: Final = "measure"
"""Selectbox: "share", "count" or "density"."""
OWNER_TYPES: Final = "owner_types"
"""Multiselect: owner types of the assets shown."""
ASSET_TYPES: Final = "asset_types"
"""Multiselect: asset types of the assets shown."""
BASEMAP: Final = "basemap"
"""Checkbox: draw OpenStreetMap tiles (off for offline use)."""
MAIN_MAP: Final = "main_map"
"""Key of the map component."""
LOADED_SOURCE: Final = "_estatesplan_loaded_source"
"""Internal: the source whose study the filters were last set for."""


class StateLike(Protocol):
    """What this module needs of ``st.session_state``: a mutable mapping by key."""

    def __contains__(self, key: str) -> bool: ...

    def __getitem__(self, key: str) -> Any: ...

    def __setitem__(self, key: str, value: Any) -> None: ...

    def get(self, key: str, /) -> Any:
        """Return the value of ``key``, or None when absent."""


DEMO_SOURCE: Final = "demo"
STUDY_ENV_VAR: Final = "ESTATESPLAN_STUDY"
DEFAULT_COHORT: Final = "over_65"
DEFAULT_MEASURE: Final = "share"


def default_source(environ: Mapping[str, str] | None = None) -> str:
    """Return the study the app opens with: ``$ESTATESPLAN_STUDY``, else "demo".

    Parameters
    ----------
    environ
        Environment to read; ``os.environ`` when None.

    Returns
    -------
    str
        "demo", a study config path or an output directory, stripped of blanks.
    """
    env = os.environ if environ is None else environ
    value = env.get(STUDY_ENV_VAR, "").strip()
    return value or DEMO_SOURCE


def init_state(state: StateLike, *, source_options: Sequence[str], default: str) -> None:
    """Give the sidebar's study widgets, measure and basemap their first values.

    Keys already present are left alone, so user choices survive reruns.

    Parameters
    ----------
    state
        ``st.session_state`` (or any mutable mapping, in tests).
    source_options
        Labels offered by the study selectbox (first is "demo").
    default
        The study to open with (see :func:`default_source`): selected in the
        selectbox when it is one of ``source_options``, else typed into the path box.
    """
    if STUDY_SOURCE not in state or state[STUDY_SOURCE] not in source_options:
        state[STUDY_SOURCE] = default if default in source_options else source_options[0]
    if STUDY_PATH not in state:
        state[STUDY_PATH] = "" if default in source_options else default
    if MEASURE not in state:
        state[MEASURE] = DEFAULT_MEASURE
    if BASEMAP not in state:
        state[BASEMAP] = True


def sync_with_study(
    state: StateLike,
    *,
    source: str,
    cohorts: Sequence[str],
    owner_types: Sequence[str],
    asset_types: Sequence[str],
) -> None:
    """Fit the cohort and filter values to the options of the study just loaded.

    When ``source`` differs from the last study loaded (or on the first run) the
    filters are reset to "everything" and the cohort to "over_65" (else the first
    cohort); otherwise values that are no longer offered are dropped.

    Parameters
    ----------
    state
        ``st.session_state`` (or any mutable mapping, in tests).
    source
        The study source just loaded.
    cohorts
        Cohorts the study offers.
    owner_types
        Owner types present among its assets.
    asset_types
        Asset types present among its assets.
    """
    fresh = state.get(LOADED_SOURCE) != source
    state[LOADED_SOURCE] = source
    first_cohort = (
        DEFAULT_COHORT if DEFAULT_COHORT in cohorts else (cohorts[0] if cohorts else None)
    )
    if fresh or state.get(COHORT) not in cohorts:
        state[COHORT] = first_cohort
    for key, options in ((OWNER_TYPES, owner_types), (ASSET_TYPES, asset_types)):
        current = state.get(key)
        if fresh or current is None:
            state[key] = list(options)
        else:
            state[key] = [v for v in current if v in options]

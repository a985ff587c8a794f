"""The scenarios page: close, open, merge or re-purpose sites and compare with today."""

from __future__ import annotations

import streamlit as st

from ..workspace import Workspace
from .common import synthetic_caption

__all__ = ["render"]


def render(ws: Workspace) -> None:
    """Draw the scenario comparison computed by the study's run."""
    study = ws.study
    if study.options is None or study.options.scenarios.empty:
        st.info("This study has no scenarios.")
        return
    st.subheader("Scenarios against the baseline")
    st.dataframe(study.options.scenarios, hide_index=True, key="scenarios_table")
    synthetic_caption(study.synthetic)

"""The access page: how far each cohort is from services, and who is left behind."""

from __future__ import annotations

import streamlit as st

from ..workspace import Workspace
from . import state as s
from .common import synthetic_caption

__all__ = ["render"]


def render(ws: Workspace) -> None:
    """Draw the access tables of the workspace's study (cohort chosen in the sidebar)."""
    study = ws.study
    cohort = st.session_state.get(s.COHORT)
    if study.access is None or study.access.cohorts.empty:
        st.info("This study has no access results: it names no street network or travel modes.")
        return
    st.subheader("Access by cohort")
    if headline := study.access.headline():
        st.caption(headline)
    t = study.access.cohorts
    if cohort is not None and cohort in set(t["cohort"]):
        t = t[t["cohort"] == cohort]
    st.dataframe(t, hide_index=True, key="access_table")
    if not study.access.left_behind.empty:
        lb = study.access.left_behind
        if cohort is not None and cohort in set(lb["cohort"]):
            lb = lb[lb["cohort"] == cohort]
        st.markdown(f"**Left behind** ({len(lb)} zones): high need, poor access")
        st.dataframe(lb[["zone_id", "why"]], hide_index=True, key="left_behind_table")
    synthetic_caption(study.synthetic)

"""The carbon and cost page: emissions of the estate and its journeys, and 30-year costs."""

from __future__ import annotations

import streamlit as st

from ..workspace import Workspace
from .common import synthetic_caption

__all__ = ["render"]


def render(ws: Workspace) -> None:
    """Draw the carbon and cost tables of the workspace's study."""
    study = ws.study
    if study.carbon is None or not study.carbon.settings:
        st.info("This study has no carbon and cost results.")
        return
    st.subheader("Carbon and cost by neighbourhood")
    st.caption(study.carbon.headline())
    st.dataframe(study.carbon.neighbourhoods, hide_index=True, key="carbon_table")
    synthetic_caption(study.synthetic)

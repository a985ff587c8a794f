"""The co-location page: candidate hubs, options ranked, side-by-side comparison."""

from __future__ import annotations

import streamlit as st

from ..workspace import Workspace
from .common import synthetic_caption

__all__ = ["render"]


def render(ws: Workspace) -> None:
    """Draw the co-location options of the workspace's study."""
    study = ws.study
    if study.options is None or study.options.options.empty:
        st.info("This study has no co-location options (no candidate hubs or no access results).")
        return
    st.subheader("Co-location options (top three per neighbourhood)")
    o = study.options.options
    cols = [c for c in ("neighbourhood_id", "rank", "option_id", "label", "total",
                        "access_min", "carbon_t", "npv_gbp") if c in o.columns]  # fmt: skip
    st.dataframe(o[o["rank"] <= 3][cols], hide_index=True, key="options_table")
    synthetic_caption(study.synthetic)

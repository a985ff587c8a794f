"""Small helpers every page of the app shares (no analysis lives here)."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from ..errors import EstatesplanError

__all__ = ["show_error", "synthetic_caption"]


def show_error(err: EstatesplanError) -> NoReturn:
    """Show a core error as a plain message (never a traceback) and stop the page."""
    st.error(str(err))
    st.stop()


def synthetic_caption(synthetic: bool) -> None:
    """Under a table or chart of a synthetic study: say the numbers are invented."""
    if synthetic:
        st.caption("Synthetic data: every number here is computed on the invented demo area.")

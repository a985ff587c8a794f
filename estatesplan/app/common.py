"""Small helpers every page of the app shares (no analysis lives here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import folium
import streamlit as st
from streamlit_folium import st_folium

from ..errors import EstatesplanError
from ..map_assets import local_leaflet

__all__ = ["show_error", "show_map", "synthetic_caption"]


def show_error(err: EstatesplanError) -> NoReturn:
    """Show a core error as a plain message (never a traceback) and stop the page."""
    st.error(str(err))
    st.stop()


def synthetic_caption(synthetic: bool) -> None:
    """Under a table or chart of a synthetic study: say the numbers are invented."""
    if synthetic:
        st.caption("Synthetic data: every number here is computed on the invented demo area.")


def show_map(
    fmap: folium.Map,
    *,
    key: str,
    height: int = 560,
    returned_objects: Sequence[str] = (),
) -> dict[str, Any] | None:
    """Draw a folium map with the app's own Leaflet (no CDN) and return what
    ``st_folium`` returns (clicks etc., only ``returned_objects``)."""
    local_leaflet(fmap)
    out = st_folium(fmap, key=key, height=height, returned_objects=list(returned_objects),
                    use_container_width=True)  # fmt: skip
    return out if isinstance(out, dict) else None

"""The export page: the study's layers as RFC 7946 GeoJSON for other tools."""

from __future__ import annotations

import json

import streamlit as st

from .. import export
from ..workspace import Workspace

__all__ = ["render"]


def render(ws: Workspace) -> None:
    """Offer the assets and zones as RFC 7946 GeoJSON downloads."""
    study = ws.study
    for name, layer in (("assets", study.assets), ("zones", study.zones)):
        data = export.geojson_dict(layer, name=name, synthetic=study.synthetic,
                                   metadata={"study": study.name})  # fmt: skip
        st.download_button(
            f"Download {name} (GeoJSON)",
            data=json.dumps(data, allow_nan=False),
            file_name=f"{name}.geojson",
            mime="application/geo+json",
            key=f"download_{name}_geojson",
        )

"""The Streamlit app: ``streamlit run app.py`` (needs the ``app`` extra).

The core never imports this package; it only arranges calls to the core.
"""

from __future__ import annotations

from ..errors import OptionalDependencyError

try:
    import streamlit  # noqa: F401
    import streamlit_folium  # noqa: F401
except ImportError as err:  # pragma: no cover - depends on the installation
    msg = (
        f"the estatesplan app needs Streamlit and streamlit-folium ({err}). "
        "Install them with: pip install 'estatesplan[app]'"
    )
    raise OptionalDependencyError(msg) from err

from .views import main

__all__ = ["main"]

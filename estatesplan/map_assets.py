"""Maps that draw without a CDN: folium's scripts and styles pointed at vendored Leaflet.

folium's maps load Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from
public CDNs. On an NHS network that blocks them, or offline, the map stays blank. The
app therefore serves Leaflet 1.9.4 itself (``estatesplan/data/vendor/leaflet``, BSD-2
licence beside it; Streamlit's static serving exposes it at ``/app/static/leaflet/``)
and :func:`local_leaflet` points each map at it. Our maps draw circle markers, polygons
and HTML legends only, so folium's other defaults (jQuery, Bootstrap, icon fonts,
awesome-markers) are dropped; layers from other folium plugins keep their own links
and are named in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import folium
import folium.elements

__all__ = [
    "APP_STATIC_URL", "JQUERY_DIR", "LEAFLET_DIR", "LEAFLET_VERSION", "leaflet_sources",
    "local_leaflet",
]  # fmt: skip

logger = logging.getLogger(__name__)

LEAFLET_VERSION: Final = "1.9.4"
LEAFLET_DIR: Final = Path(__file__).resolve().parent / "data" / "vendor" / "leaflet"
"""The vendored Leaflet (leaflet.js, leaflet.css, LICENSE)."""
JQUERY_DIR: Final = LEAFLET_DIR.parent / "jquery"
"""The vendored jQuery (jquery.min.js, LICENSE.txt)."""
APP_STATIC_URL: Final = "/app/static"
"""Where Streamlit serves ``static/`` beside the app script (``enableStaticServing``)."""


def leaflet_sources() -> tuple[str, str]:
    """The vendored Leaflet's JavaScript and CSS text (for self-contained HTML).

    The CSS refers to ``images/`` beside it (the layer control's icon, the default
    marker): the app serves them from ``data/vendor/leaflet/images``; the HTML report,
    which uses neither, drops those references.

    Raises
    ------
    FileNotFoundError
        When the installation lacks the vendored files.
    """
    return ((LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8"),
            (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8"))  # fmt: skip


def _elements(fig: Any) -> Iterator[Any]:
    if isinstance(fig, folium.elements.JSCSSMixin):
        yield fig
    for child in getattr(fig, "_children", {}).values():
        yield from _elements(child)


def local_leaflet(fmap: folium.Map, *, base_url: str = APP_STATIC_URL) -> folium.Map:
    """Point ``fmap`` at the vendored Leaflet served under ``base_url``; returns it.

    Parameters
    ----------
    fmap
        A folium map (changed in place: its instance's script and style lists).
    base_url
        URL prefix under which ``leaflet/leaflet.js`` and ``leaflet/leaflet.css`` are
        served (default: Streamlit's static folder).

    Returns
    -------
    folium.Map
        The same map.
    """
    base = base_url.rstrip("/")
    fmap.default_js = [("leaflet", f"{base}/leaflet/leaflet.js"),
                       ("jquery", f"{base}/jquery/jquery.min.js")]  # fmt: skip
    fmap.default_css = [("leaflet_css", f"{base}/leaflet/leaflet.css")]
    others = sorted({url for el in _elements(fmap) if el is not fmap
                     for _, url in [*el.default_js, *el.default_css]
                     if url.startswith(("http://", "https://", "//"))})  # fmt: skip
    if others:
        logger.info("map layers still load from the network: %s", ", ".join(others))
    return fmap

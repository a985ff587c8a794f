"""Visual vocabulary of estatesplan maps: colours, marker shapes, labels and map widgets.

Private helper of :mod:`estatesplan.maps` (which re-exports the public names). One
colour per ``owner_type`` from the Okabe–Ito palette (safe for colour-blind
readers), one marker shape per asset-type family drawn as inline SVG (no icon font
is fetched, so markers draw offline), display labels and number formats in which
unknown reads "unknown", never 0, and three small Leaflet widgets: a legend that
follows its layer, the "SYNTHETIC DATA" banner and data attribution lines.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import branca.colormap as bcm
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from . import contracts as c
from .study import SourceRecord

__all__ = [
    "ASSET_FAMILIES",
    "FAMILY_SHAPES",
    "MARKER_PX",
    "NAN_COLOUR",
    "OWNER_COLOURS",
    "OWNER_TYPE_LABELS",
    "POPUP_FIELDS",
    "SVG_BODIES",
    "UNKNOWN_OWNER_COLOUR",
    "VIRIDIS",
    "AssetMarkers",
    "Attribution",
    "LayerLegend",
    "SyntheticBanner",
    "asset_family",
    "asset_legend_html",
    "asset_popup_html",
    "asset_type_label",
    "choropleth_legend_html",
    "data_attribution",
    "esc",
    "format_measure",
    "format_value",
    "is_unknown",
    "marker_svg",
    "owner_type_label",
]

VIRIDIS: Final[tuple[str, ...]] = (
    "#440154",
    "#472c7b",
    "#3a528b",
    "#2c728e",
    "#21908c",
    "#28ae80",
    "#5cc962",
    "#abdc31",
    "#fde725",
)
"""Sequential scale of the choropleths (viridis: perceptually uniform, colour-blind safe)."""

NAN_COLOUR: Final = "#bdbdbd"
"""Fill colour of zones whose value is unknown."""

OWNER_COLOURS: Final[dict[str, str]] = {
    "nhs_trust": "#0072B2",  # blue
    "icb_primary_care": "#56B4E9",  # sky blue
    "local_authority": "#009E73",  # bluish green
    "vcse": "#E69F00",  # orange
    "education": "#F0E442",  # yellow
    "faith": "#CC79A7",  # reddish purple
    "housing": "#D55E00",  # vermilion
    "other": "#000000",  # black
}
"""Marker colour per ``owner_type`` (Okabe–Ito palette); unknown owner types are grey."""

UNKNOWN_OWNER_COLOUR: Final = "#999999"

OWNER_TYPE_LABELS: Final[dict[str, str]] = {
    "nhs_trust": "NHS trust",
    "icb_primary_care": "ICB / primary care",
    "local_authority": "Local authority",
    "vcse": "Voluntary and community sector",
    "education": "Education",
    "faith": "Faith group",
    "housing": "Housing",
    "other": "Other",
}

ASSET_FAMILIES: Final[dict[str, str]] = {
    "gp_practice": "health",
    "health_centre": "health",
    "clinic": "health",
    "hospital": "health",
    "pharmacy": "health",
    "dental": "health",
    "care_home": "health",
    "council_office": "civic",
    "town_hall": "civic",
    "nhs_office": "civic",
    "library": "civic",
    "community_centre": "civic",
    "social_facility": "civic",
    "school": "education",
    "college": "education",
    "place_of_worship": "faith",
    "housing_estate": "housing",
    "leisure_centre": "leisure",
    "other": "other",
}
"""Marker family of each ``asset_type``; types not listed are drawn as "other"."""

FAMILY_SHAPES: Final[dict[str, str]] = {
    "health": "cross",
    "civic": "square",
    "education": "triangle",
    "faith": "diamond",
    "housing": "house",
    "leisure": "star",
    "other": "circle",
}
"""Marker shape of each asset-type family."""

SVG_BODIES: Final[dict[str, str]] = {
    "cross": '<path d="M6 1h6v5h5v6h-5v5H6v-5H1V6h5z"/>',
    "square": '<rect x="2" y="2" width="14" height="14"/>',
    "triangle": '<path d="M9 1.5 17 16.5H1z"/>',
    "diamond": '<path d="M9 1 17 9 9 17 1 9z"/>',
    "house": '<path d="M9 1.5 17 8.5V17H1V8.5z"/>',
    "star": '<path d="M9 1l2.4 5.3 5.6.6-4.2 3.8 1.2 5.6L9 13.5l-5 2.8 1.2-5.6L1 6.9l5.6-.6z"/>',
    "circle": '<circle cx="9" cy="9" r="7.5"/>',
}
MARKER_PX: Final = 18

POPUP_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    (c.NAME, "Name"),
    (c.OWNER, "Owner"),
    (c.OWNER_TYPE, "Owner type"),
    (c.ASSET_TYPE, "Asset type"),
    (c.GIA_M2, "Gross internal area"),
    (c.CONDITION, "Condition (ERIC)"),
    (c.BACKLOG_GBP, "Maintenance backlog"),
    (c.AVAILABLE_M2, "Spare space"),
    (c.STEP_FREE, "Step-free access"),
    (c.TENURE, "Tenure"),
    (c.IN_AREA, "In study area"),
    (c.SOURCE, "Source"),
    (c.ASSET_ID, "Asset id"),
)
_AREA_COLUMNS: Final = frozenset({c.GIA_M2, c.AVAILABLE_M2})
_MONEY_COLUMNS: Final = frozenset({c.BACKLOG_GBP})
_YES_NO_COLUMNS: Final = frozenset({c.STEP_FREE, c.IN_AREA})
_YES: Final = frozenset({"yes", "y", "true", "t", "1"})
_NO: Final = frozenset({"no", "n", "false", "f", "0"})


def esc(value: object) -> str:
    """Escape text for HTML that folium places inside a JavaScript template literal."""
    return html.escape(str(value)).replace("`", "&#96;").replace("$", "&#36;")


def is_unknown(value: object) -> bool:
    """Return True for None, NaN, pandas NA and blank text: values that are not known."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def format_value(column: str, value: object) -> str:
    """Return an asset attribute as popup text: "1,200 m²", "£35,000", "yes", "unknown"."""
    if is_unknown(value):
        return "unknown"
    if column in _YES_NO_COLUMNS:
        if isinstance(value, bool | np.bool_):
            return "yes" if value else "no"
        text = str(value).strip().lower()
        if text in _YES:
            return "yes"
        if text in _NO:
            return "no"
        return str(value)
    if column in _AREA_COLUMNS or column in _MONEY_COLUMNS:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(value)
        if column in _MONEY_COLUMNS:
            return f"£{number:,.0f}"
        return f"{number:,.0f} m²"
    if column == c.OWNER_TYPE:
        return owner_type_label(str(value))
    if column == c.ASSET_TYPE:
        return asset_type_label(str(value))
    return str(value)


def owner_type_label(owner_type: str) -> str:
    """Return the display label of an ``owner_type`` code (e.g. "NHS trust").

    Parameters
    ----------
    owner_type
        A code from ``contracts.OWNER_TYPES``; other text is returned unchanged.

    Returns
    -------
    str
        The label.
    """
    return OWNER_TYPE_LABELS.get(owner_type, owner_type)


def asset_type_label(asset_type: str) -> str:
    """Return the display label of an ``asset_type`` code (e.g. "GP practice").

    Parameters
    ----------
    asset_type
        A code from ``contracts.ASSET_TYPES``.

    Returns
    -------
    str
        Words separated by spaces, first capitalised, with NHS and GP in capitals.

    Examples
    --------
    >>> asset_type_label("gp_practice")
    'GP practice'
    """
    words = [w.upper() if w in {"gp", "nhs"} else w for w in asset_type.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def asset_family(asset_type: str) -> str:
    """Return the marker family of an ``asset_type`` ("health", "civic", …, "other").

    Parameters
    ----------
    asset_type
        A code from ``contracts.ASSET_TYPES``.

    Returns
    -------
    str
        A key of :data:`FAMILY_SHAPES`; "other" for types not in :data:`ASSET_FAMILIES`.
    """
    return ASSET_FAMILIES.get(asset_type, "other")


def marker_svg(shape: str, colour: str) -> str:
    """Return an inline SVG marker (18 px) of a shape in :data:`SVG_BODIES`, filled ``colour``."""
    body = SVG_BODIES[shape]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{MARKER_PX}" height="{MARKER_PX}" '
        f'viewBox="0 0 18 18" style="display:block">'
        f'<g fill="{colour}" fill-opacity="0.95" stroke="#222222" stroke-width="1.2">{body}</g></svg>'
    )


class AssetMarkers(MacroElement):
    """Many icon markers drawn by one script from inline data (one template render).

    folium compiles templates for every Marker, Tooltip, Popup and DivIcon it creates,
    so a register of 650 sites took seconds to render; this element emits the markers'
    data once and a loop that builds them with Leaflet's own ``L.marker``. Each marker
    is a dict with ``lat``, ``lng`` (EPSG:4326), ``svg`` (icon HTML), ``tooltip`` and
    ``popup`` (HTML, already escaped); it must be added to a layer (FeatureGroup).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function (group, size) {
                {{ this.data_json }}.forEach(function (d) {
                    var icon = L.divIcon({html: d.svg, iconSize: [size, size],
                        iconAnchor: [size / 2, size / 2], className: "estatesplan-asset"});
                    L.marker([d.lat, d.lng], {icon: icon})
                        .bindTooltip(d.tooltip)
                        .bindPopup(d.popup, {maxWidth: {{ this.max_width }}})
                        .addTo(group);
                });
            })({{ this._parent.get_name() }}, {{ this.size }});
        {% endmacro %}
        """
    )

    def __init__(self, markers: list[dict[str, object]], *, size: int, max_width: int = 320) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "AssetMarkers"
        self.markers = markers
        self.size = int(size)
        self.max_width = int(max_width)

    @property
    def data_json(self) -> str:
        """The markers as a JSON array, safe inside a <script> element."""
        return json.dumps(self.markers, allow_nan=False).replace("</", "<\\/")


class LayerLegend(MacroElement):
    """An HTML legend shown on the map while its parent layer is shown."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function (map) {
                var div = L.DomUtil.create('div', 'estatesplan-legend');
                div.style.cssText = 'background:rgba(255,255,255,0.92);padding:6px 8px;'
                    + 'font:12px/1.35 sans-serif;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);'
                    + 'max-width:260px;';
                div.innerHTML = {{ this.content|tojson }};
                return div;
            };
            (function (layer, legend) {
                layer.on('add', function () { legend.addTo(layer._map); });
                layer.on('remove', function () { legend.remove(); });
                if (layer._map) { legend.addTo(layer._map); }
            })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, position: str = "bottomright") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "LayerLegend"
        self.content = content
        self.position = position


class SyntheticBanner(MacroElement):
    """A red "SYNTHETIC DATA" banner drawn over the top centre of the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function (map) {
                var div = L.DomUtil.create('div', 'estatesplan-synthetic-banner', map.getContainer());
                div.style.cssText = 'position:absolute;top:10px;left:50%;transform:translateX(-50%);'
                    + 'z-index:1000;background:#b00020;color:#fff;font:bold 14px sans-serif;'
                    + 'padding:6px 14px;border-radius:4px;pointer-events:none;'
                    + 'box-shadow:0 1px 4px rgba(0,0,0,.4);text-align:center;';
                div.innerHTML = {{ this.text|tojson }};
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "SyntheticBanner"
        self.text = text


class Attribution(MacroElement):
    """Adds data attribution lines to the map's attribution control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function (map) {
                if (!map.attributionControl) { L.control.attribution().addTo(map); }
                {% for line in this.lines %}
                map.attributionControl.addAttribution({{ line|tojson }});
                {% endfor %}
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "DataAttribution"
        self.lines = list(lines)


def asset_popup_html(row: Mapping[str, Any]) -> str:
    """Return the HTML table shown in an asset's popup.

    Parameters
    ----------
    row
        One asset's attributes (a row of the asset register as a mapping).

    Returns
    -------
    str
        An HTML ``<table>`` of the estate attributes: name, owner, owner type,
        asset type, GIA (m²), condition, backlog (£), spare space (m²), step-free
        access, tenure, in-area flag, source and id. Missing or NaN values read
        "unknown", never 0. Text is HTML-escaped.
    """
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:8px;white-space:nowrap">{esc(label)}</th>'
        f"<td>{esc(format_value(column, row.get(column)))}</td></tr>"
        for column, label in POPUP_FIELDS
    )
    return f'<table class="estatesplan-popup" style="font:12px sans-serif">{cells}</table>'


def asset_legend_html(owner_types: Iterable[str], families: Iterable[str]) -> str:
    owners = "".join(
        f'<div><span style="display:inline-block;width:11px;height:11px;margin-right:5px;'
        f'border:1px solid #222;background:{OWNER_COLOURS.get(o, UNKNOWN_OWNER_COLOUR)}"></span>'
        f"{esc(owner_type_label(o))}</div>"
        for o in owner_types
    )
    shapes = "".join(
        f'<div><span style="display:inline-block;vertical-align:middle;margin-right:5px">'
        f"{marker_svg(FAMILY_SHAPES[f], '#ffffff')}</span>{esc(f.capitalize())}</div>"
        for f in families
    )
    return f"<b>Owner</b>{owners}<b>Kind of building</b>{shapes}"


def format_measure(measure: str) -> Callable[[float], str]:
    """Return a formatter for one measure's values ("12.5%", "1,234", "5,600 per km²").

    Parameters
    ----------
    measure
        "share" (a fraction 0–1), "count" (people) or "density" (people per km²).

    Returns
    -------
    callable
        Maps a float to display text; NaN gives "unknown".
    """

    def fmt(value: float) -> str:
        if is_unknown(value) or not math.isfinite(value):
            return "unknown"
        if measure == "share":
            return f"{value * 100:.1f}%"
        if measure == "density":
            return f"{value:,.0f} per km²"
        return f"{value:,.0f}"

    return fmt


def choropleth_legend_html(
    colormap: bcm.LinearColormap,
    caption: str,
    fmt: Callable[[float], str],
    *,
    nan_label: str = "unknown",
) -> str:
    """A legend: caption, gradient with its end values, and the grey swatch's meaning
    (``nan_label``: "unknown", or e.g. "none within 60 min" for travel times)."""
    stops = ", ".join(
        colormap.rgb_hex_str(colormap.vmin + (colormap.vmax - colormap.vmin) * k / 8)
        for k in range(9)
    )
    return (
        f"<b>{esc(caption)}</b>"
        f'<div style="width:200px;height:12px;margin:3px 0;border:1px solid #555;'
        f'background:linear-gradient(to right, {stops})"></div>'
        f'<div style="display:flex;justify-content:space-between;width:202px">'
        f"<span>{esc(fmt(colormap.vmin))}</span><span>{esc(fmt(colormap.vmax))}</span></div>"
        f'<div><span style="display:inline-block;width:11px;height:11px;margin-right:5px;'
        f'border:1px solid #555;background:{NAN_COLOUR}"></span>{esc(nan_label)}</div>'
    )


def data_attribution(sources: Iterable[SourceRecord], *, synthetic: bool = False) -> list[str]:
    """Return the attribution lines a map of these data must carry.

    Parameters
    ----------
    sources
        Provenance records of the study's inputs.
    synthetic
        True for the generated demo.

    Returns
    -------
    list of str
        One line per distinct publisher and licence, e.g. "© OpenStreetMap
        contributors (ODbL)" or "ONS: Open Government Licence v3.0"; plain text.
    """
    lines: dict[str, None] = {}
    if synthetic:
        lines["Synthetic data generated by estatesplan (not real)"] = None
    for src in sources:
        publisher, licence = src.publisher.strip(), src.licence.strip()
        if "openstreetmap" in publisher.lower() or "odbl" in licence.lower():
            lines["© OpenStreetMap contributors (ODbL)"] = None
        elif "ogl" in licence.lower() or "open government" in licence.lower():
            who = publisher or "Crown copyright"
            lines[f"{who}: Open Government Licence v3.0"] = None
        elif publisher or licence:
            lines[" ".join(p for p in (publisher, f"({licence})" if licence else "") if p)] = None
    return list(lines)

"""Co-location on the map: screened hubs, each option's catchments, the optimiser's picks.

Lists a neighbourhood's candidate hubs with their screening (:func:`screening_table`),
computes which site each zone would use under an option (:func:`option_catchments`, on
the study's stored travel-time matrix) and draws folium layers for one neighbourhood:
candidate hubs coloured by screening status with their reasons, the zones of each hub's
catchment, and the neighbourhood's outline (:func:`colocation_map`). Layers are
simplified (:data:`estatesplan.maps.DISPLAY_SIMPLIFY_M` metres) and reprojected to
EPSG:4326, and carry only the columns they show. Nothing here imports Streamlit.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from . import contracts as c
from . import maps
from ._mapstyle import NAN_COLOUR, Attribution, LayerLegend, SyntheticBanner, esc
from .errors import ConfigError, CrsError, DataContractError

if TYPE_CHECKING:
    from .study import Study

__all__ = [
    "CATCHMENT_PALETTE",
    "OTHER_SITE_COLOUR",
    "STATUS_COLOURS",
    "STATUS_ORDER",
    "catchment_colours",
    "catchment_layer",
    "colocation_map",
    "hub_layer",
    "option_catchments",
    "option_network",
    "screening_counts",
    "screening_layer",
    "screening_table",
    "zone_minutes",
]

logger = logging.getLogger(__name__)

_FArr = npt.NDArray[np.float64]
_BArr = npt.NDArray[np.bool_]
_OArr = npt.NDArray[np.object_]

STATUS_COLOURS: Final[dict[str, str]] = {
    "pass": "#009E73",  # bluish green
    "unknown": "#E69F00",  # orange
    "fail": "#D55E00",  # vermilion
}
"""Screening status → marker colour (Okabe–Ito, safe for colour-blind readers)."""

CATCHMENT_PALETTE: Final[tuple[str, ...]] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
)  # fmt: skip
"""Hub colours, in hub order (Okabe–Ito); repeated beyond eight hubs."""

OTHER_SITE_COLOUR: Final = "#e8e8e8"
"""Zones whose nearest site is a site other than the option's hubs."""

STATUS_ORDER: Final[tuple[str, ...]] = ("pass", "unknown", "fail")
"""Screening statuses, best first."""


def zone_minutes(study: Study, mode: str) -> _FArr:
    """The study's stored travel times of ``mode``, zones × assets in layer order.

    Parameters
    ----------
    study
        A study with matrices.
    mode
        A mode of ``study.matrices``.

    Returns
    -------
    numpy.ndarray
        float64 minutes, rows in ``study.zones`` order, columns in ``study.assets``
        order; NaN unreachable.

    Raises
    ------
    ConfigError
        If the study has no matrix for ``mode``.
    DataContractError
        If the matrix does not match the layers.
    """
    from .study_access import _aligned

    if mode not in study.matrices:
        msg = (
            f"no {mode} travel-time matrix in {study.name} (have "
            f"{', '.join(study.matrices) or 'none'}); choose another mode or run with it."
        )
        raise ConfigError(msg)
    return _aligned(study.matrices[mode], study.zones, study.assets.reset_index(drop=True))


def option_network(
    service: npt.ArrayLike,
    asset_ids: Sequence[str] | _OArr,
    *,
    hubs: Iterable[str],
    released: Iterable[str] = (),
) -> _BArr:
    """The service network under an option: today's sites, minus released, plus hubs.

    Parameters
    ----------
    service
        Today's service sites (bool per asset).
    asset_ids
        Asset ids in the same order.
    hubs, released
        The option's hub and released ids.

    Returns
    -------
    numpy.ndarray of bool
        One flag per asset.

    Raises
    ------
    DataContractError
        If an id is unknown or ``service`` has the wrong length.
    """
    ids = pd.Index([str(a) for a in asset_ids])
    mask = np.array(service, dtype=bool).copy()
    if mask.shape != (len(ids),):
        msg = f"service flags ({mask.shape}) must be one per asset ({len(ids)})."
        raise DataContractError(msg)
    for what, names, value in (("released", list(released), False), ("hub", list(hubs), True)):
        pos = ids.get_indexer(pd.Index(names))
        if (pos < 0).any():
            bad = [n for n, p in zip(names, pos, strict=True) if p < 0]
            msg = f"{what} sites {', '.join(bad[:5])} are not in the asset register."
            raise DataContractError(msg)
        mask[pos] = value
    return mask


def option_catchments(
    minutes: npt.ArrayLike,
    zone_ids: Sequence[str] | _OArr,
    asset_ids: Sequence[str] | _OArr,
    network: npt.ArrayLike,
    *,
    hubs: Iterable[str] = (),
    zones: npt.ArrayLike | None = None,
) -> pd.DataFrame:
    """Each zone's nearest site of a service network, and whether it is one of the hubs.

    Parameters
    ----------
    minutes
        Zones × assets minutes (NaN unreachable).
    zone_ids, asset_ids
        Row and column ids.
    network
        Sites of the network (bool per asset, e.g. from :func:`option_network`).
    hubs
        The option's hubs (named in ``catchment``).
    zones
        Which zones to keep (bool per zone); None keeps all.

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``site`` (nearest site id; missing (NaN) when none is reachable),
        ``minutes`` (NaN then) and ``catchment``: the hub's id when the nearest site is
        a hub, "other site" when it is another site of the network, "unreachable"; ties
        go to the first site in asset order. A 0..n-1 index.

    Raises
    ------
    DataContractError
        If the shapes do not match.
    """
    t = np.asarray(minutes, dtype=np.float64)
    mask = np.asarray(network, dtype=bool)
    if t.shape != (len(zone_ids), len(asset_ids)) or mask.shape != (len(asset_ids),):
        msg = (
            f"minutes {t.shape} must be zones ({len(zone_ids)}) × assets ({len(asset_ids)}) "
            f"and the network one flag per asset ({mask.shape})."
        )
        raise DataContractError(msg)
    keep = np.ones(len(zone_ids), dtype=bool) if zones is None else np.asarray(zones, dtype=bool)
    sub = np.where(np.isfinite(t) & mask[None, :], t, np.inf)[keep]
    best = sub.argmin(axis=1) if sub.shape[1] else np.zeros(len(sub), dtype=np.int64)
    best_min = sub[np.arange(len(sub)), best] if sub.shape[1] else np.full(len(sub), np.inf)
    reach = np.isfinite(best_min)
    ids = np.array([str(a) for a in asset_ids], dtype=object)
    hub_set = {str(h) for h in hubs}
    site = [str(ids[b]) if ok else None for b, ok in zip(best, reach, strict=True)]
    catchment = ["unreachable" if s is None else s if s in hub_set else "other site" for s in site]
    return pd.DataFrame(
        {
            c.ZONE_ID: np.array([str(z) for z in zone_ids], dtype=object)[keep],
            "site": site,
            "minutes": np.where(reach, best_min, np.nan),
            "catchment": catchment,
        }
    )


def screening_table(screening: pd.DataFrame, neighbourhood_id: str) -> pd.DataFrame:
    """The hub screening of one neighbourhood's sites, passes first.

    Parameters
    ----------
    screening
        From :func:`estatesplan.hubs.screen_candidates` (stored as ``hubs_screening``).
    neighbourhood_id
        The neighbourhood.

    Returns
    -------
    pandas.DataFrame
        ``asset_id``, ``name``, ``asset_type``, ``owner_type``, ``status``
        (pass / unknown / fail) and ``reasons``, sorted by status then asset id; a
        0..n-1 index. Sites outside every neighbourhood are left out.
    """
    nbh = screening[c.NEIGHBOURHOOD_ID].astype("string").fillna("")
    rows = screening[(nbh == neighbourhood_id).to_numpy(dtype=bool)].copy()
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    rows["_order"] = rows["status"].map(order).fillna(len(order))
    rows = rows.sort_values(["_order", c.ASSET_ID], kind="stable")
    cols = [col for col in (c.ASSET_ID, c.NAME, c.ASSET_TYPE, c.OWNER_TYPE, "status", "reasons")
            if col in rows.columns]  # fmt: skip
    return pd.DataFrame(rows[cols]).reset_index(drop=True)


def screening_counts(table: pd.DataFrame) -> dict[str, int]:
    """Sites per status (every status of :data:`STATUS_ORDER`, 0 when none)."""
    counts = table["status"].astype(str).value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUS_ORDER}


# --- layers ----------------------------------------------------------------------------------


def catchment_colours(hubs: Iterable[str]) -> dict[str, str]:
    """Colour per catchment label: each hub in turn, "other site", "unreachable", "not covered".

    Examples
    --------
    >>> catchment_colours(["H1", "H2"])["H2"]
    '#E69F00'
    """
    out = {
        h: CATCHMENT_PALETTE[i % len(CATCHMENT_PALETTE)] for i, h in enumerate(dict.fromkeys(hubs))
    }
    out.update({"other site": OTHER_SITE_COLOUR, "unreachable": NAN_COLOUR,
                "not covered": NAN_COLOUR})  # fmt: skip
    return out


def _display(gdf: gpd.GeoDataFrame, columns: Sequence[str], *, simplify: bool) -> gpd.GeoDataFrame:
    """Keep ``columns``, simplify polygons in metres and reproject to EPSG:4326."""
    if gdf.crs is None:
        msg = "a layer passed to the co-location map has no CRS; set one (e.g. EPSG:27700)."
        raise CrsError(msg)
    out = gpd.GeoDataFrame(gdf[[col for col in columns if col in gdf.columns]].copy(),
                           geometry=gdf.geometry.copy(), crs=gdf.crs)  # fmt: skip
    if simplify:
        if not out.crs.is_projected:
            out = out.to_crs(c.ANALYSIS_CRS)
        out = out.set_geometry(
            out.geometry.simplify(maps.DISPLAY_SIMPLIFY_M, preserve_topology=True)
        )
    out = out.to_crs(c.EXPORT_CRS)
    return out[~(out.geometry.isna() | out.geometry.is_empty)]


def _legend(items: Mapping[str, str], title: str) -> str:
    rows = "".join(
        f'<div><span style="display:inline-block;width:11px;height:11px;margin-right:5px;'
        f'border:1px solid #333;background:{colour}"></span>{esc(label)}</div>'
        for label, colour in items.items()
    )
    return f"<b>{esc(title)}</b>{rows}"


def screening_layer(
    assets: gpd.GeoDataFrame, screening: pd.DataFrame, *, name: str = "Candidate hubs"
) -> folium.FeatureGroup:
    """Sites coloured by hub screening status, with the reasons in the popup.

    Parameters
    ----------
    assets
        Asset layer (points, any CRS with a definition) with ``asset_id``.
    screening
        Screening rows to draw (``asset_id``, ``status``, ``reasons``, optional ``name``).
    name
        Layer name.

    Returns
    -------
    folium.FeatureGroup
        One circle per screened site found in ``assets``, and a legend of the statuses.
    """
    pts = _display(assets, [c.ASSET_ID], simplify=False)
    where = dict(zip(pts[c.ASSET_ID].astype(str), pts.geometry, strict=True))
    group = folium.FeatureGroup(name=name, overlay=True, control=True)
    for row in screening.to_dict(orient="records"):
        geom = where.get(str(row[c.ASSET_ID]))
        if geom is None:
            continue
        status = str(row.get("status"))
        label = row.get(c.NAME) if isinstance(row.get(c.NAME), str) else row[c.ASSET_ID]
        reasons = "".join(f"<li>{esc(r)}</li>" for r in str(row.get("reasons", "")).split("; "))
        folium.CircleMarker(
            location=[float(geom.y), float(geom.x)], radius=7, color="#222222", weight=1,
            fill=True, fill_color=STATUS_COLOURS.get(status, NAN_COLOUR), fill_opacity=0.95,
            tooltip=folium.Tooltip(esc(f"{label} ({status})")),
            popup=folium.Popup(f"<b>{esc(label)}</b> {esc(row[c.ASSET_ID])}: <b>{esc(status)}"
                               f'</b><ul style="padding-left:16px">{reasons}</ul>', max_width=340),
        ).add_to(group)  # fmt: skip
    legend = {f"{s} ({int((screening['status'] == s).sum())})": col
              for s, col in STATUS_COLOURS.items()}  # fmt: skip
    group.add_child(LayerLegend(_legend(legend, "Hub screening"), position="bottomleft"))
    return group


def hub_layer(
    assets: gpd.GeoDataFrame,
    hubs: Sequence[str],
    *,
    colours: Mapping[str, str] | None = None,
    released: Sequence[str] = (),
    name: str = "Hubs",
) -> folium.FeatureGroup:
    """An option's (or the optimiser's) hubs as large circles, released sites as white
    dashed ones.

    Parameters
    ----------
    assets
        Asset layer (points) with ``asset_id`` and optionally ``name``.
    hubs
        Hub ids, each filled with its colour from ``colours`` (default
        :func:`catchment_colours`).
    released
        Sites released by the option, drawn as small white circles with a dashed edge.
    name
        Layer name.

    Returns
    -------
    folium.FeatureGroup
        The markers, with the site's name and role as tooltip.
    """
    colours = dict(colours) if colours is not None else catchment_colours(hubs)
    pts = _display(assets, [c.ASSET_ID, c.NAME], simplify=False)
    pts = pts.set_index(pts[c.ASSET_ID].astype(str))
    group = folium.FeatureGroup(name=name, overlay=True, control=True)
    for ids, role in ((released, "released"), (hubs, "hub")):
        for a in ids:
            if a not in pts.index:
                continue
            geom, label = pts.geometry.loc[a], pts[c.NAME].loc[a] if c.NAME in pts else a
            hub = role == "hub"
            folium.CircleMarker(
                location=[float(geom.y), float(geom.x)], radius=11 if hub else 7,
                color="#000000" if hub else "#444444", weight=3 if hub else 2, fill=True,
                fill_color=colours.get(a, CATCHMENT_PALETTE[0]) if hub else "#ffffff",
                fill_opacity=1.0 if hub else 0.9, dash_array=None if hub else "3 2",
                tooltip=folium.Tooltip(esc(f"{role}: {label} ({a})")),
            ).add_to(group)  # fmt: skip
    return group


def catchment_layer(
    zones: gpd.GeoDataFrame,
    catchments: pd.DataFrame,
    *,
    colours: Mapping[str, str],
    name: str = "Catchments",
) -> folium.FeatureGroup:
    """Zones filled by the hub (or other site) that serves them.

    Parameters
    ----------
    zones
        Zone polygons (any CRS with a definition) with ``zone_id``.
    catchments
        From :func:`option_catchments` (or an optimiser's assignment): ``zone_id``,
        ``site``, ``minutes``, ``catchment``. Only these zones are drawn.
    colours
        Catchment label → fill colour (:func:`catchment_colours`).
    name
        Layer name.

    Returns
    -------
    folium.FeatureGroup
        One GeoJson of the zones with tooltips (zone, nearest site, minutes) and a legend.
    """
    table = catchments.assign(zone_id=catchments[c.ZONE_ID].astype(str)).set_index(c.ZONE_ID)
    keep = zones[c.ZONE_ID].astype(str).isin(table.index).to_numpy()
    shown = _display(zones[keep], [c.ZONE_ID], simplify=True)
    zid = shown[c.ZONE_ID].astype(str)
    label = table["catchment"].reindex(zid).fillna("unreachable").astype(str).to_numpy()
    minutes = pd.to_numeric(table["minutes"].reindex(zid), errors="coerce").to_numpy(dtype=float)
    shown = shown.assign(
        zone_id=[esc(z) for z in zid],
        site=[esc(s) for s in table["site"].reindex(zid).fillna("none").astype(str)],
        minutes=["unknown" if not np.isfinite(m) else f"{m:.1f}" for m in minutes],
        fill=[colours.get(lab, NAN_COLOUR) for lab in label],
    )
    group = folium.FeatureGroup(name=name, overlay=True, control=True)
    folium.GeoJson(
        json.loads(shown.to_json(drop_id=True)),
        name=name,
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.6,
                                  "color": "#555555", "weight": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=[c.ZONE_ID, "site", "minutes"],
                                      aliases=["Zone", "Nearest site", "Minutes"]),
    ).add_to(group)  # fmt: skip
    used = [lab for lab in colours if lab in set(label)]
    group.add_child(LayerLegend(_legend({u: colours[u] for u in used}, "Served by")))
    return group


def _zone_outlines(zones: gpd.GeoDataFrame, name: str) -> folium.FeatureGroup:
    shown = _display(zones, [c.ZONE_ID], simplify=True)
    shown = shown.assign(zone_id=[esc(z) for z in shown[c.ZONE_ID].astype(str)])
    group = folium.FeatureGroup(name=name, overlay=True, control=True)
    folium.GeoJson(
        json.loads(shown.to_json(drop_id=True)), name=name,
        style_function=lambda _f: {"fillColor": "#ffffff", "fillOpacity": 0.15,
                                   "color": "#777777", "weight": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=[c.ZONE_ID], aliases=["Zone"]),
    ).add_to(group)  # fmt: skip
    return group


def colocation_map(
    study: Study,
    neighbourhood_id: str,
    layers: Sequence[folium.FeatureGroup] = (),
    *,
    zones: bool = True,
    tiles: str | None = "OpenStreetMap",
    layer_control: bool = True,
) -> folium.Map:
    """A map of one neighbourhood: its outline, its zones and the layers given.

    Parameters
    ----------
    study
        The study (layers in a projected CRS).
    neighbourhood_id
        The neighbourhood drawn and fitted.
    layers
        Layers to add in order (e.g. :func:`screening_layer`, :func:`catchment_layer`,
        :func:`hub_layer`).
    zones
        Draw the neighbourhood's zones as light outlines (leave off when a catchment
        layer draws them).
    tiles
        Basemap (a folium tile name); None for none (offline).
    layer_control
        Add a layer control (leave off on small maps).

    Returns
    -------
    folium.Map
        Fitted to the neighbourhood (EPSG:4326), with a "SYNTHETIC DATA" banner when
        the study is synthetic and the data attribution.

    Raises
    ------
    ConfigError
        If the neighbourhood is not in the study.
    """
    t0 = time.perf_counter()
    nbh = study.neighbourhoods[
        study.neighbourhoods[c.NEIGHBOURHOOD_ID].astype(str).to_numpy() == neighbourhood_id
    ]
    in_nbh = study.zones[c.NEIGHBOURHOOD_ID].astype(str).to_numpy() == neighbourhood_id
    if nbh.empty and not in_nbh.any():
        known = ", ".join(sorted(study.neighbourhoods[c.NEIGHBOURHOOD_ID].astype(str)))
        msg = f"neighbourhood {neighbourhood_id!r} is not in {study.name} (have {known})."
        raise ConfigError(msg)
    m = folium.Map(tiles=tiles, control_scale=True, zoom_start=14)
    if zones and in_nbh.any():
        _zone_outlines(study.zones[in_nbh], "Zones").add_to(m)
    for layer in layers:
        layer.add_to(m)
    if not nbh.empty:
        maps.neighbourhood_outlines(nbh, name="Neighbourhood").add_to(m)
    if layer_control:
        folium.LayerControl(collapsed=True).add_to(m)
    if study.synthetic:
        m.add_child(SyntheticBanner("SYNTHETIC DATA"))
    lines = maps.data_attribution(study.sources, synthetic=study.synthetic)
    if lines:
        m.add_child(Attribution([esc(line) for line in lines]))
    frame = nbh if not nbh.empty else study.zones[in_nbh]
    west, south, east, north = frame.to_crs(c.EXPORT_CRS).total_bounds
    m.fit_bounds([[float(south), float(west)], [float(north), float(east)]])
    logger.info("co-location map of %s: %d layers, %d zones in %.2f s", neighbourhood_id,
                len(layers), int(in_nbh.sum()), time.perf_counter() - t0)  # fmt: skip
    return m

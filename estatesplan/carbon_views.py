"""What the carbon and cost views show: per-asset and per-neighbourhood tables, the net zero
gap, chart data for the trajectory and the 30-year forecast, and a map of emissions.

Plain functions over :class:`~estatesplan.study_carbon.CarbonResults`, for the map app,
notebooks and reports alike. Nothing here imports Streamlit and nothing here invents a
number: totals are sums of the core's tables, estimates keep the core's labels
(``energy_estimated``/``energy_basis``) and unknown stays NaN, never 0.

Maps are folium over EPSG:4326; geometry arrives in the analysis CRS (EPSG:27700, metres)
and is sent with only the properties a tooltip needs. The map helpers here
(``_base_map``, ``_finish``, ``_points``) are shared with :mod:`estatesplan.scenario_views`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

import branca.colormap as bcm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from . import contracts as c
from ._mapstyle import (
    NAN_COLOUR,
    Attribution,
    LayerLegend,
    SyntheticBanner,
    choropleth_legend_html,
    esc,
)
from .maps import data_attribution, neighbourhood_outlines

if TYPE_CHECKING:
    from .study import Study
    from .study_carbon import CarbonResults

__all__ = [
    "COST_COMPONENTS",
    "PATHWAY_LABELS",
    "TARGET_SERIES",
    "asset_carbon_table",
    "carbon_map",
    "carbon_metrics",
    "cost_chart_data",
    "cumulative_npv",
    "net_zero_table",
    "trajectory_chart_data",
    "unknown_cost_assets",
]

logger = logging.getLogger(__name__)

COST_COMPONENTS: Final[dict[str, str]] = {
    "running_cost_gbp": "Running cost",
    "energy_cost_gbp": "Energy",
    "backlog_gbp": "Backlog maintenance",
    "capital_gbp": "Capital works (with optimism bias)",
    "disposal_gbp": "Disposal receipts",
    "carbon_value_gbp": "Carbon value",
}
"""Cost forecast columns (£ a year, real prices) and their chart labels."""

PATHWAY_LABELS: Final[dict[str, str]] = {"no_action": "No action", "retrofit": "Retrofit"}
TARGET_SERIES: Final = "NHS net zero path"

_ASSET_COLUMNS: Final = (
    c.ASSET_ID, c.NAME, c.ASSET_TYPE, c.OWNER_TYPE, c.NEIGHBOURHOOD_ID, c.IN_AREA, c.GIA_M2,
    "electricity_kwh", "gas_kwh", "tco2e", "kgco2e_per_m2", "energy_estimated", "energy_basis",
)  # fmt: skip
_CARBON_COLOURS: Final = ("#fee8c8", "#fdbb84", "#e34a33", "#7f0000")


# --- carbon and cost -------------------------------------------------------------------------


def _ids_in(carbon: CarbonResults, neighbourhood_id: str | None) -> set[str] | None:
    """Asset ids located in a neighbourhood (None: the whole place)."""
    if neighbourhood_id is None:
        return None
    a = carbon.assets
    inside = a[c.NEIGHBOURHOOD_ID].astype("string") == str(neighbourhood_id)
    return set(a.loc[inside.fillna(False).to_numpy(dtype=bool), c.ASSET_ID].astype(str))


def _keep(frame: pd.DataFrame, ids: set[str] | None) -> pd.DataFrame:
    if ids is None or frame.empty:
        return frame
    return frame[frame[c.ASSET_ID].astype(str).isin(ids).to_numpy()]


def carbon_metrics(
    carbon: CarbonResults, *, neighbourhood_id: str | None = None
) -> dict[str, float]:
    """Headline figures of the place or one neighbourhood.

    Returns
    -------
    dict
        ``buildings_tco2e`` and ``travel_tco2e`` (t a year), ``estimated`` (assets whose
        energy is a benchmark estimate), ``unknown`` (assets whose emissions are unknown),
        from ``carbon.settings`` for the place and ``carbon.neighbourhoods`` for a
        neighbourhood (NaN when the neighbourhood has no row).
    """
    if neighbourhood_id is None:
        s = carbon.settings
        return {"buildings_tco2e": float(s.get("buildings_tco2e", math.nan)),
                "travel_tco2e": float(s.get("travel_tco2e", math.nan)),
                "estimated": float(s.get("estimated_assets", math.nan)),
                "unknown": float(s.get("unknown_assets", math.nan))}  # fmt: skip
    n = carbon.neighbourhoods
    row = n[n[c.NEIGHBOURHOOD_ID].astype(str) == str(neighbourhood_id)]
    pick = {"buildings_tco2e": "buildings_tco2e", "travel_tco2e": "travel_tco2e",
            "estimated": "buildings_estimated", "unknown": "buildings_unknown"}  # fmt: skip
    return {
        k: float(row[v].iloc[0]) if len(row) and v in row else math.nan for k, v in pick.items()
    }


def asset_carbon_table(
    carbon: CarbonResults, *, neighbourhood_id: str | None = None
) -> pd.DataFrame:
    """Per asset: energy, tCO2e a year and 30-year net present cost, estimates labelled.

    Parameters
    ----------
    carbon
        The study's carbon results.
    neighbourhood_id
        Keep the assets located in this neighbourhood; None keeps all.

    Returns
    -------
    pandas.DataFrame
        The core's columns (``energy_estimated`` and ``energy_basis`` as the core wrote
        them; kWh a year, tCO2e a year, kgCO2e/m²) and, where projected,
        ``npv_no_action_gbp``, ``npv_retrofit_gbp`` (£, Green Book present value over the
        horizon) and ``payback_year``; NaN where unknown or not projected (out-of-area
        assets and assets whose emissions are unknown). Highest tCO2e first.
    """
    a = _keep(carbon.assets, _ids_in(carbon, neighbourhood_id))
    out = pd.DataFrame(a[[col for col in _ASSET_COLUMNS if col in a.columns]]).copy()
    npv = carbon.npv
    if not npv.empty and not out.empty:
        key = out[c.ASSET_ID].astype(str)
        for pathway in ("no_action", "retrofit"):
            p = npv[npv["pathway"].astype(str) == pathway]
            if len(p):
                by_id = p.set_index(p[c.ASSET_ID].astype(str))
                out[f"npv_{pathway}_gbp"] = key.map(by_id["pv_total_gbp"]).to_numpy(dtype=float)
                if pathway == "retrofit" and "payback_year" in by_id:
                    out["payback_year"] = key.map(by_id["payback_year"]).to_numpy(dtype=float)
    if "tco2e" in out:
        out = out.sort_values("tco2e", ascending=False, na_position="last", kind="stable")
    return out.reset_index(drop=True)


def net_zero_table(carbon: CarbonResults, *, neighbourhood_id: str | None = None) -> pd.DataFrame:
    """The NHS net zero gap of the place (``carbon.net_zero``) or of one neighbourhood.

    A neighbourhood's gap is :func:`estatesplan.retrofit.net_zero_gap` over the trajectories
    of its assets, against the same baseline year and NHS targets as the place's.

    Returns
    -------
    pandas.DataFrame
        Per pathway and year: ``group``, ``year``, ``baseline_tco2e``, ``target_tco2e``,
        ``projected_tco2e``, ``gap_tco2e`` (t a year; > 0 is above the path), ``on_track``,
        ``baseline_basis``, ``pathway``. Empty when nothing was projected.
    """
    from .retrofit import net_zero_gap

    nz = carbon.net_zero
    if nz.empty or neighbourhood_id is None:
        return nz.copy()
    traj = _keep(carbon.trajectory, _ids_in(carbon, neighbourhood_id))
    if traj.empty:
        return pd.DataFrame(columns=nz.columns)
    baseline = int(nz["baseline_year"].iloc[0])
    parts = []
    for pathway, t in traj.groupby("pathway", sort=False):
        group = dict.fromkeys(t[c.ASSET_ID].astype(str), str(neighbourhood_id))
        parts.append(net_zero_gap(t, baseline_year=baseline, by=group).assign(pathway=str(pathway)))
    return pd.concat(parts, ignore_index=True)


def trajectory_chart_data(net_zero: pd.DataFrame) -> pd.DataFrame:
    """Long table for the trajectory chart: each pathway's tCO2e and the NHS path, by year.

    Parameters
    ----------
    net_zero
        From :func:`net_zero_table` (one group).

    Returns
    -------
    pandas.DataFrame
        ``year``, ``series`` ("No action", "Retrofit", :data:`TARGET_SERIES`) and
        ``tco2e`` (t a year).
    """
    if net_zero.empty:
        return pd.DataFrame({"year": [], "series": [], "tco2e": []})
    parts = [
        pd.DataFrame({"year": t["year"].to_numpy(dtype=int),
                      "series": PATHWAY_LABELS.get(str(p), str(p)),
                      "tco2e": t["projected_tco2e"].to_numpy(dtype=float)})
        for p, t in net_zero.groupby("pathway", sort=False)
    ]  # fmt: skip
    first = net_zero[net_zero["pathway"] == net_zero["pathway"].iloc[0]]
    parts.append(pd.DataFrame({"year": first["year"].to_numpy(dtype=int), "series": TARGET_SERIES,
                               "tco2e": first["target_tco2e"].to_numpy(dtype=float)}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def cost_chart_data(
    carbon: CarbonResults, *, pathway: str = "no_action", neighbourhood_id: str | None = None
) -> pd.DataFrame:
    """Long table for the forecast chart: each cost component summed over assets, by year.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``component`` (labels of :data:`COST_COMPONENTS`) and ``gbp`` (£ in that
        year, real prices, undiscounted; disposal receipts negative). Assets whose value is
        unknown (NaN) are left out of the sums: see :func:`unknown_cost_assets`.
    """
    f = _keep(carbon.forecast, _ids_in(carbon, neighbourhood_id))
    if f.empty:
        return pd.DataFrame({"year": [], "component": [], "gbp": []})
    f = f[f["pathway"].astype(str) == pathway]
    cols = [col for col in COST_COMPONENTS if col in f]
    by_year = f.groupby("year", sort=True)[cols].sum()
    out = by_year.rename(columns=COST_COMPONENTS).reset_index()
    return out.melt(id_vars="year", var_name="component", value_name="gbp")


def cumulative_npv(carbon: CarbonResults, *, neighbourhood_id: str | None = None) -> pd.DataFrame:
    """Per pathway and year: present value (£) and its running total, the cumulative NPV.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``pathway`` (label), ``pv_gbp`` and ``cumulative_pv_gbp`` (£, Green Book
        discounted); the last year's running total over the whole place equals the
        ``TOTAL`` row of ``carbon.npv`` when every asset's costs are known.
    """
    f = _keep(carbon.forecast, _ids_in(carbon, neighbourhood_id))
    if f.empty:
        return pd.DataFrame({"year": [], "pathway": [], "pv_gbp": [], "cumulative_pv_gbp": []})
    out = f.groupby(["pathway", "year"], sort=True)["pv_gbp"].sum().reset_index()
    out["cumulative_pv_gbp"] = out.groupby("pathway")["pv_gbp"].cumsum()
    out["pathway"] = out["pathway"].map(lambda p: PATHWAY_LABELS.get(str(p), str(p)))
    return out[["year", "pathway", "pv_gbp", "cumulative_pv_gbp"]]


def unknown_cost_assets(carbon: CarbonResults, *, neighbourhood_id: str | None = None) -> list[str]:
    """Ids of the assets whose forecast has an unknown (NaN) total in some year."""
    f = _keep(carbon.forecast, _ids_in(carbon, neighbourhood_id))
    if f.empty:
        return []
    return sorted(set(f.loc[f["total_gbp"].isna().to_numpy(), c.ASSET_ID].astype(str)))


def _points(study: Study, ids: Iterable[str]) -> gpd.GeoSeries:
    a = study.assets.set_index(study.assets[c.ASSET_ID].astype(str))
    keep = [i for i in ids if i in a.index]
    return gpd.GeoSeries(a.loc[keep].geometry, crs=study.assets.crs).to_crs(c.EXPORT_CRS)


def _base_map(study: Study, tiles: str | None) -> folium.Map:
    m = folium.Map(tiles=tiles, control_scale=True, zoom_start=13)
    if len(study.neighbourhoods):
        neighbourhood_outlines(study.neighbourhoods).add_to(m)
    if study.synthetic:
        m.add_child(SyntheticBanner(f"SYNTHETIC DATA — {esc(study.name)} is invented"))
    return m


def _finish(m: folium.Map, study: Study, focus: gpd.GeoDataFrame | None = None) -> folium.Map:
    """Layer control, data attribution, and the view fitted to ``focus`` (else the zones)."""
    folium.LayerControl(collapsed=False).add_to(m)
    lines = data_attribution(study.sources, synthetic=study.synthetic)
    if lines:
        m.add_child(Attribution([esc(line) for line in lines]))
    frame = focus if focus is not None and len(focus) else study.zones
    west, south, east, north = frame.to_crs(c.EXPORT_CRS).total_bounds
    if np.isfinite([west, south, east, north]).all():
        m.fit_bounds([[float(south), float(west)], [float(north), float(east)]])
    return m


def carbon_map(
    study: Study, carbon: CarbonResults, *, neighbourhood_id: str | None = None,
    tiles: str | None = "OpenStreetMap",
) -> folium.Map:  # fmt: skip
    """Assets as circles sized and coloured by tCO2e a year, over the neighbourhoods.

    Parameters
    ----------
    study
        The study (assets and neighbourhoods in the analysis CRS).
    carbon
        Its carbon results (``assets``: ``tco2e``, ``energy_estimated``, ``energy_basis``).
    neighbourhood_id
        Show only the assets located in this neighbourhood, and zoom to it; None: all.
    tiles
        Basemap tiles; None for none (offline).

    Returns
    -------
    folium.Map
        Circle area proportional to tCO2e a year (radius 4–24 px), colour light to dark over
        the known range; estimates have a dashed outline and say "estimate" and their basis
        in the tooltip; unknown emissions are small grey circles saying "unknown".
    """
    t0 = time.perf_counter()
    table = asset_carbon_table(carbon, neighbourhood_id=neighbourhood_id)
    m = _base_map(study, tiles)
    pts = _points(study, table[c.ASSET_ID].astype(str))
    table = table[table[c.ASSET_ID].astype(str).isin(pts.index).to_numpy()]
    t = pd.to_numeric(table["tco2e"], errors="coerce").to_numpy(dtype=float)
    known = t[np.isfinite(t)]
    top = float(known.max()) if len(known) and known.max() > 0 else 1.0
    scale = bcm.LinearColormap(list(_CARBON_COLOURS), vmin=0.0, vmax=top)
    group = folium.FeatureGroup(name=f"Assets by tCO2e a year ({len(table)})")
    for (_, row), value in zip(table.iterrows(), t, strict=True):
        p = pts.loc[str(row[c.ASSET_ID])]
        est = bool(row.get("energy_estimated", False))
        text = f"{row.get(c.NAME)} ({row[c.ASSET_ID]}): "
        if not math.isfinite(value):
            text += "unknown (no metered energy and no floor area)"
        else:
            text += f"{value:,.1f} tCO2e a year"
            text += f" (estimate: {row.get('energy_basis')})" if est else ""
        folium.CircleMarker(
            location=[float(p.y), float(p.x)],
            radius=4.0 + 20.0 * math.sqrt(max(value, 0.0) / top) if math.isfinite(value) else 4.0,
            color="#333333", weight=1.2, dash_array="3 3" if est else None, fill=True,
            fill_color=scale.rgb_hex_str(value) if math.isfinite(value) else NAN_COLOUR,
            fill_opacity=0.8, tooltip=esc(text),
        ).add_to(group)  # fmt: skip
    legend = choropleth_legend_html(scale, "tCO2e a year (also circle area; dashed: estimate)",
                                    lambda v: f"{v:,.0f}")  # fmt: skip
    group.add_child(LayerLegend(legend))
    group.add_to(m)
    n = study.neighbourhoods
    focus = (
        None
        if neighbourhood_id is None
        else n[n[c.NEIGHBOURHOOD_ID].astype(str) == neighbourhood_id]
    )
    logger.info("carbon map: %d assets in %.2f s", len(table), time.perf_counter() - t0)
    return _finish(m, study, focus)

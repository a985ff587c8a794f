"""What the scenario views show: scenarios built from choices, their comparison, change maps.

Plain functions over the study's co-location results
(:class:`~estatesplan.study_options.OptionsResults`) and :mod:`estatesplan.scenarios`, for the
map app, notebooks and reports alike. Nothing here imports Streamlit and nothing here
invents a number: totals are sums of the core's tables, estimates keep the core's labels
(``energy_estimated``/``energy_basis``) and unknown stays NaN, never 0.

Maps are folium over EPSG:4326; geometry arrives in the analysis CRS (EPSG:27700, metres),
is simplified by :data:`estatesplan.maps.DISPLAY_SIMPLIFY_M` metres and sent with only the
properties a tooltip needs.
"""

from __future__ import annotations

import logging
import math
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import branca.colormap as bcm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from . import contracts as c
from . import scenarios as _sc
from ._mapstyle import (
    NAN_COLOUR,
    LayerLegend,
    choropleth_legend_html,
    esc,
)
from .carbon_views import _base_map, _finish, _points
from .errors import ConfigError
from .maps import DISPLAY_SIMPLIFY_M

if TYPE_CHECKING:
    from ._access_network import StudyNetworks
    from .config import StudyConfig
    from .study import Study
    from .study_options import OptionsResults

__all__ = [
    "LOST",
    "MAX_SCENARIO_BYTES",
    "ScenarioRun",
    "asset_labels",
    "build_scenario",
    "change_map",
    "combine_comparisons",
    "comparison_view",
    "metric_label",
    "run_scenario",
    "scenario_summary",
    "scenarios_from_toml",
    "scenarios_to_toml",
    "stored_scenarios",
    "stored_zone_changes",
    "zone_change_summary",
]

logger = logging.getLogger(__name__)

LOST: Final = "no site within the cut-off any more"
"""Change shown for a zone that reached a site before the scenario and reaches none after."""
MAX_SCENARIO_BYTES: Final = 1_000_000
"""Largest scenario file accepted (bytes): scenario files are a few kB."""

_CHANGE_COLOURS: Final = ("#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b")  # fmt: skip
"""Diverging scale of minutes gained (blue) and lost (red), ColorBrewer RdBu."""
_TOL: Final = 1e-6


# --- scenarios ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario applied to a study.

    Attributes
    ----------
    scenario
        The scenario.
    table
        :func:`estatesplan.scenarios.compare_scenarios` of the baseline and this scenario.
    study
        The study under the scenario (access and carbon recomputed).
    zones
        :func:`estatesplan.scenarios.zone_changes` (empty when the baseline has no access).
    """

    scenario: _sc.Scenario
    table: pd.DataFrame
    study: Study
    zones: pd.DataFrame


def asset_labels(assets: pd.DataFrame) -> dict[str, str]:
    """Asset id → "name (id)" for pickers, in register order."""
    names = assets[c.NAME].astype("string").fillna("unnamed") if c.NAME in assets else None
    ids = assets[c.ASSET_ID].astype(str)
    if names is None:
        return {i: i for i in ids}
    return {i: f"{n} ({i})" for i, n in zip(ids, names, strict=True)}


def build_scenario(
    name: str, assets: pd.DataFrame, *, close: Sequence[str] = (), hubs: Sequence[str] = (),
    merge_into: str | None = None, merge_from: Sequence[str] = (),
    repurpose: Mapping[str, str] | None = None, open_site: Mapping[str, Any] | None = None,
    description: str = "",
) -> _sc.Scenario:  # fmt: skip
    """Build a :class:`~estatesplan.scenarios.Scenario` from a planner's choices.

    Parameters
    ----------
    name
        Scenario name (not blank).
    assets
        The study's asset register (``asset_id``, ``asset_type``).
    close
        Ids of sites that close.
    hubs
        Ids of existing sites that become hubs: a site that is not a health site changes
        use to ``health_centre`` (as the pipeline's option scenarios do).
    merge_into, merge_from
        The ``merge_from`` sites close and their services move into ``merge_into``.
    repurpose
        Id → new ``asset_type``.
    open_site
        A new site: ``id``, ``name``, ``x``, ``y`` (analysis CRS, metres), ``asset_type``,
        ``owner_type`` and optional ``gia_m2`` (m²); it is routed on the street network.
    description
        Free text; the hubs chosen are added to it.

    Raises
    ------
    ConfigError
        Listing every problem: blank name, unknown ids, a site both closed and kept, a
        merge without host or sites, a scenario that changes nothing.
    """
    ids = assets[c.ASSET_ID].astype(str)
    types = dict(zip(ids, assets[c.ASSET_TYPE].astype(str), strict=True))
    close, hubs, merge_from = list(close), list(hubs), list(merge_from)
    repurpose = dict(repurpose or {})
    problems: list[str] = []
    if not name.strip():
        problems.append("give the scenario a name")
    named = [*close, *hubs, *merge_from, *repurpose, *([merge_into] if merge_into else [])]
    unknown = sorted({i for i in named if i not in types})
    if unknown:
        problems.append(f"asset ids not in the study: {', '.join(unknown)}")
    gone = set(close) | set(merge_from)
    kept = {*hubs, *repurpose, *([merge_into] if merge_into else [])}
    if both := sorted(gone & kept):
        problems.append(f"sites both closed and kept (hub, host or new use): {', '.join(both)}")
    if (merge_into is None) != (not merge_from):
        problems.append("a merge needs a host site and at least one site moving into it")
    if bad := sorted({v for v in repurpose.values() if v not in c.ASSET_TYPES}):
        problems.append(
            f"unknown asset types {', '.join(bad)} (allowed: {', '.join(c.ASSET_TYPES)})"
        )
    changes = dict(repurpose)
    for h in hubs:
        if h in types and types[h] not in c.HEALTH_ASSET_TYPES:
            changes.setdefault(h, "health_centre")
    if not (gone or changes or open_site):
        problems.append("the scenario changes nothing (hubs that are already health sites need "
                        "sites closed or merged into them)")  # fmt: skip
    opened: tuple[dict[str, Any], ...] = ()
    if open_site:
        site = {k: v for k, v in open_site.items() if v is not None and v != ""}
        for k in ("x", "y", "gia_m2"):
            if k in site:
                try:
                    site[k] = float(site[k])
                except (TypeError, ValueError):
                    site[k] = math.nan
        if not math.isfinite(site.get("gia_m2", 0.0)):
            problems.append("a new site's gia_m2 must be a number (m²)")
        problems += [p.replace(f"scenario {name!r}: ", "") for p in
                     _sc.check_scenario(_sc.Scenario(name, open=(site,)), set(ids))]  # fmt: skip
        if not all(math.isfinite(site.get(k, math.nan)) for k in ("x", "y")):
            problems.append("a new site needs finite x and y (metres, analysis CRS)")
        opened = (site,)
    if problems:
        msg = f"scenario {name.strip() or '(unnamed)'!r}: " + "; ".join(problems) + "."
        raise ConfigError(msg)
    note = f"hubs: {', '.join(hubs)}" if hubs else ""
    return _sc.Scenario(
        name=name.strip(), close=tuple(close), open=opened,
        merge=({"into": merge_into, "from": merge_from},) if merge_into else (),
        repurpose=tuple({"id": i, "asset_type": t} for i, t in changes.items()),
        description="; ".join(x for x in (description.strip(), note) if x),
    )  # fmt: skip


def scenario_summary(scenarios: Sequence[_sc.Scenario]) -> pd.DataFrame:
    """One row per scenario: what closes, merges, changes use and opens (ids, ";"-joined)."""
    return pd.DataFrame(
        {"scenario": [s.name for s in scenarios],
         "closes": [";".join(sorted(s.closed())) for s in scenarios],
         "merges_into": [";".join(str(m.get("into")) for m in s.merge) for s in scenarios],
         "new_use": [";".join(f"{r.get('id')}→{r.get('asset_type', '')}" for r in s.repurpose)
                     for s in scenarios],
         "opens": [";".join(str(o.get("id")) for o in s.open) for s in scenarios],
         "description": [s.description for s in scenarios]}
    )  # fmt: skip


def scenarios_to_toml(scenarios: Sequence[_sc.Scenario]) -> str:
    """The scenario file's text, as :func:`estatesplan.scenarios.save_scenarios` writes it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _sc.save_scenarios(list(scenarios), Path(tmp) / "scenarios.toml")
        return path.read_text(encoding="utf-8")


def scenarios_from_toml(
    data: bytes | str, *, label: str = "scenario file", assets: pd.DataFrame | None = None
) -> list[_sc.Scenario]:
    """Read scenarios from a TOML file's content, by the rules of :func:`load_scenarios`.

    Parameters
    ----------
    data
        The file's bytes (UTF-8) or text; at most :data:`MAX_SCENARIO_BYTES`.
    label
        The file's name, used in messages.
    assets
        When given, every scenario is also checked against this asset register (ids that
        exist, new ids that do not, known types), as :func:`apply_scenario` would.

    Raises
    ------
    ConfigError
        Naming the file and every problem found (never a parser's traceback).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_SCENARIO_BYTES:
        msg = f"{label}: {len(raw):,} bytes is too large for a scenario file (at most {MAX_SCENARIO_BYTES:,})"
        raise ConfigError(msg)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        msg = f"{label}: not a UTF-8 text file ({err.reason} at byte {err.start}); save it as UTF-8 TOML"
        raise ConfigError(msg) from None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenarios.toml"
        path.write_text(text, encoding="utf-8")
        try:
            out = _sc.load_scenarios(path)
        except ConfigError as err:
            raise ConfigError(str(err).replace(str(path), label)) from None
    if assets is not None:
        ids = set(assets[c.ASSET_ID].astype(str))
        problems = [p for s in out for p in _sc.check_scenario(s, ids)]
        if problems:
            msg = f"{label}: " + "; ".join(problems) + ". Was it written for another study?"
            raise ConfigError(msg)
    return out


def run_scenario(
    baseline: Study,
    scenario: _sc.Scenario,
    cfg: StudyConfig,
    *,
    networks: StudyNetworks | None = None,
) -> ScenarioRun:
    """Apply a scenario and compare it with the baseline (see :class:`ScenarioRun`).

    ``networks`` (e.g. :meth:`estatesplan.workspace.Workspace.networks`) are reused when a
    scenario opens a site, so the street networks and timetable are built once per session.
    """
    t0 = time.perf_counter()
    table, studies = _sc.compare_scenarios(baseline, [scenario], cfg, networks=networks)
    changed = studies[scenario.name]
    zones = (
        _sc.zone_changes(baseline, changed, cfg)
        if baseline.access is not None and changed.access is not None
        else pd.DataFrame({c.ZONE_ID: [], "before_min": [], "after_min": [], "change_min": []})
    )
    logger.info("scenario view %r: %d metrics, %d zones in %.1f s", scenario.name, len(table),
                len(zones), time.perf_counter() - t0)  # fmt: skip
    return ScenarioRun(scenario=scenario, table=table, study=changed, zones=zones)


def combine_comparisons(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Join one-scenario comparisons into the table :func:`compare_scenarios` would give.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``metric`` (the first table's rows): ``baseline``, one column per
        scenario, then ``change: <scenario>`` (scenario - baseline).
    """
    if not tables:
        return pd.DataFrame(index=pd.Index([], name="metric"))
    out = pd.DataFrame({"baseline": tables[0]["baseline"]})
    names = []
    for t in tables:
        for col in t.columns:
            if col != "baseline" and not str(col).startswith("change: "):
                out[col] = t[col]
                names.append(col)
    for name in names:
        out[f"change: {name}"] = out[name] - out["baseline"]
    out.index.name = "metric"
    return out


_MODE_METRIC: Final = re.compile(r"^(?P<who>.+)_(?P<mode>walk|cycle|drive|transit|best)_(?P<what>mean_min|share_within_(?P<t>[\d.]+))$")  # fmt: skip
_FIXED_LABELS: Final[dict[str, str]] = {
    "sites": "Sites (count)",
    "equity_gap_walk_min": "Equity gap: most minus least deprived fifth, walk (minutes)",
    "sii_walk_min": "Slope index of inequality, walk (minutes)",
    "left_behind_zones": "Left-behind zones, everyone (count)",
    "buildings_tco2e": "Buildings' emissions (tCO2e a year)",
    "travel_tco2e": "Residents' health trips (tCO2e a year)",
    "npv_gbp": "Net present cost, no action (£)",
}


def metric_label(metric: str) -> str:
    """Plain words (and the unit) of a :func:`compare_scenarios` metric name."""
    if metric in _FIXED_LABELS:
        return _FIXED_LABELS[metric]
    m = _MODE_METRIC.match(metric)
    if m is None:
        return metric.replace("_", " ")
    who, mode = m["who"].replace("_", " "), "best mode" if m["mode"] == "best" else m["mode"]
    if m["t"] is None:
        return f"{who}: mean minutes to the nearest site, {mode}"
    return f"{who}: share within {m['t']} minutes, {mode} (0–1)"


def comparison_view(table: pd.DataFrame) -> pd.DataFrame:
    """A comparison table (indexed by ``metric`` or with a ``metric`` column) with a
    ``what`` column of :func:`metric_label` after ``metric``; values unchanged."""
    t = table.reset_index() if "metric" not in table.columns else table.copy()
    t.insert(1, "what", [metric_label(str(m)) for m in t["metric"]])
    return t.reset_index(drop=True)


def stored_zone_changes(options: OptionsResults | None) -> dict[str, pd.DataFrame]:
    """The pipeline's per-zone changes (``OptionsResults.scenario_zones``) by scenario name."""
    if options is None or options.scenario_zones.empty:
        return {}
    z = options.scenario_zones
    return {str(n): t.drop(columns="scenario").reset_index(drop=True)
            for n, t in z.groupby("scenario", sort=False)}  # fmt: skip


def stored_scenarios(study: Study, cfg: StudyConfig | None = None) -> dict[str, _sc.Scenario]:
    """The scenarios behind ``OptionsResults.scenarios``, rebuilt as the pipeline built them.

    Each neighbourhood's best option (:func:`estatesplan.study_options.option_scenarios`)
    and, with ``cfg``, those of its ``[colocation] scenarios`` file; by name. Empty when the
    study has no options; a scenario file that cannot be read is left out (logged).
    """
    from .study_options import option_scenarios

    o = study.options
    if o is None or o.options.empty or "origin" not in o.options:
        return {}
    types = dict(zip(study.assets[c.ASSET_ID].astype(str), study.assets[c.ASSET_TYPE].astype(str), strict=True))  # fmt: skip
    out = {s.name: s for s in option_scenarios(o.options, types)}
    if cfg is not None and cfg.colocation.scenarios is not None:
        try:
            out.update({s.name: s for s in _sc.load_scenarios(cfg.colocation.scenarios)})
        except ConfigError as err:
            logger.info("stored scenarios: %s", err)
    return out


def zone_change_summary(changes: pd.DataFrame) -> dict[str, float]:
    """Counts of zones whose trip to the nearest site gets longer, shorter or is lost.

    Returns
    -------
    dict
        ``longer``, ``shorter`` (zones, change beyond 1e-6 min), ``lost`` (reachable before,
        not after), ``max_increase_min`` and ``mean_change_min`` (over zones known before
        and after; NaN when none).
    """
    ch = pd.to_numeric(changes.get("change_min", pd.Series(dtype=float)), errors="coerce")
    before = pd.to_numeric(changes.get("before_min", pd.Series(dtype=float)), errors="coerce")
    after = pd.to_numeric(changes.get("after_min", pd.Series(dtype=float)), errors="coerce")
    known = ch.dropna()
    return {"longer": float((known > _TOL).sum()), "shorter": float((known < -_TOL).sum()),
            "lost": float((before.notna() & after.isna()).sum()),
            "max_increase_min": float(known.max()) if len(known) else math.nan,
            "mean_change_min": float(known.mean()) if len(known) else math.nan}  # fmt: skip


def _minutes(v: float, sign: bool = False) -> str:
    return "unknown" if not math.isfinite(v) else (f"{v:+,.1f} min" if sign else f"{v:,.1f} min")


def change_map(
    study: Study, changes: pd.DataFrame, *, scenario: _sc.Scenario | None = None,
    tiles: str | None = "OpenStreetMap", simplify_m: float = DISPLAY_SIMPLIFY_M,
) -> folium.Map:  # fmt: skip
    """Zones shaded by the change in minutes to the nearest site; changed sites marked.

    Parameters
    ----------
    study
        The baseline study (zones and assets in the analysis CRS).
    changes
        From :func:`estatesplan.scenarios.zone_changes`: ``zone_id``, ``before_min``,
        ``after_min``, ``change_min`` (NaN: unreachable).
    scenario
        When given, closed sites (red), sites that change use or take in services (green)
        and new sites (blue) are marked.
    tiles
        Basemap tiles; None for none (offline).

    Returns
    -------
    folium.Map
        Blue: shorter trips, red: longer, on a scale symmetric about 0 minutes; darkest red
        with :data:`LOST`: a site was in reach before and none is after; grey: unknown.
    """
    t0 = time.perf_counter()
    m = _base_map(study, tiles)
    ch = changes.set_index(changes[c.ZONE_ID].astype(str)) if len(changes) else changes
    zones = study.zones[[c.ZONE_ID, study.zones.geometry.name]].copy()
    zid = zones[c.ZONE_ID].astype(str)
    val = {k: zid.map(ch[k]).to_numpy(dtype=float) if k in ch else np.full(len(zones), np.nan)
           for k in ("before_min", "after_min", "change_min")}  # fmt: skip
    finite = val["change_min"][np.isfinite(val["change_min"])]
    top = max(1.0, float(np.abs(finite).max())) if len(finite) else 1.0
    scale = bcm.LinearColormap(list(_CHANGE_COLOURS), vmin=-top, vmax=top)
    lost = np.isfinite(val["before_min"]) & np.isnan(val["after_min"])
    shown = gpd.GeoDataFrame(
        {"zone": zid.map(esc).to_numpy(),
         "before": [_minutes(v) for v in val["before_min"]],
         "after": [_minutes(v) for v in val["after_min"]],
         "change": [LOST if lost_ else _minutes(v, sign=True) for v, lost_ in zip(val["change_min"], lost, strict=True)],
         "fill": [_CHANGE_COLOURS[-1] if lost_ else scale.rgb_hex_str(v) if math.isfinite(v) else NAN_COLOUR
                  for v, lost_ in zip(val["change_min"], lost, strict=True)]},
        geometry=zones.geometry.simplify(simplify_m, preserve_topology=True).to_numpy(),
        crs=study.zones.crs,
    ).to_crs(c.EXPORT_CRS)  # fmt: skip
    layer = folium.FeatureGroup(name="Change in minutes to the nearest site")
    folium.GeoJson(
        shown.to_json(drop_id=True),
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.7,
                                  "color": "#555555", "weight": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["zone", "before", "after", "change"],
                                      aliases=["Zone", "Before", "After", "Change"]),
    ).add_to(layer)  # fmt: skip
    legend = choropleth_legend_html(scale, "Change in minutes to the nearest site (blue: shorter)",
                                    lambda v: f"{v:+.1f}")  # fmt: skip
    if lost.any():
        legend += (f'<div><span style="display:inline-block;width:11px;height:11px;margin-right:5px;'
                   f'border:1px solid #555;background:{_CHANGE_COLOURS[-1]}"></span>{esc(LOST)}</div>')  # fmt: skip
    layer.add_child(LayerLegend(legend))
    layer.add_to(m)
    if scenario is not None:
        _site_markers(study, scenario).add_to(m)
    logger.info("change map: %d zones (%d known) in %.2f s", len(zones), len(finite),
                time.perf_counter() - t0)  # fmt: skip
    return _finish(m, study)


def _site_markers(study: Study, scenario: _sc.Scenario) -> folium.FeatureGroup:
    labels = asset_labels(study.assets)
    group = folium.FeatureGroup(name="Sites that change")
    marks: list[tuple[str, str, str]] = [
        (i, "#d7191c", "Closes") for i in sorted(scenario.closed())
    ]
    marks += [(str(m_["into"]), "#1a9641", "Takes in services") for m_ in scenario.merge]
    marks += [
        (str(r["id"]), "#1a9641", f"New use: {r.get('asset_type', '')}") for r in scenario.repurpose
    ]
    pts = _points(study, [i for i, _, _ in marks])
    for i, colour, what in marks:
        if i in pts.index:
            p = pts.loc[i]
            folium.CircleMarker(location=[float(p.y), float(p.x)], radius=8, color="#000000",
                                weight=2, fill=True, fill_color=colour, fill_opacity=0.95,
                                tooltip=esc(f"{what}: {labels.get(i, i)}")).add_to(group)  # fmt: skip
    if scenario.open:
        new = gpd.GeoSeries.from_xy([float(o["x"]) for o in scenario.open],
                                    [float(o["y"]) for o in scenario.open],
                                    crs=study.assets.crs).to_crs(c.EXPORT_CRS)  # fmt: skip
        for o, p in zip(scenario.open, new, strict=True):
            folium.CircleMarker(location=[float(p.y), float(p.x)], radius=8, color="#000000",
                                weight=2, fill=True, fill_color="#2b83ba", fill_opacity=0.95,
                                tooltip=esc(f"Opens: {o.get('name')} ({o.get('id')})")).add_to(group)  # fmt: skip
    legend = "".join(
        f'<div><span style="display:inline-block;width:11px;height:11px;border-radius:6px;'
        f'margin-right:5px;border:1px solid #000;background:{col}"></span>{txt}</div>'
        for col, txt in (("#d7191c", "closes"), ("#1a9641", "hub, host or new use"), ("#2b83ba", "opens"))
    )  # fmt: skip
    group.add_child(LayerLegend(f"<b>Sites that change</b>{legend}", position="bottomleft"))
    return group

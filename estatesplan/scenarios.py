"""Scenarios: close, open, merge and re-purpose sites; every metric recomputed; side by side.

A scenario is a list of changes to the asset register. Applying it gives a new study whose
access (:mod:`estatesplan.study_access`) and carbon and cost (:mod:`estatesplan.study_carbon`)
are recomputed from the same travel-time matrices: existing sites keep their columns; a
new site gets its column from the street network (cached). :func:`compare_scenarios` puts
the headline metrics of the baseline and every scenario side by side, and
:func:`zone_changes` gives the map layer of what changes where.

Scenario files are plain TOML, so they can be shared and reviewed::

    [[scenario]]
    name = "Library hub"
    close = ["DEMO-A005"]
    repurpose = [{ id = "DEMO-A060", asset_type = "health_centre", owner_type = "nhs_trust" }]
    merge = [{ into = "DEMO-A044", from = ["DEMO-A001", "DEMO-A002"] }]
    open = [{ id = "NEW-1", name = "New hub", x = 530100.0, y = 181200.0,
              asset_type = "health_centre", owner_type = "nhs_trust", gia_m2 = 600.0 }]
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import contracts as c
from ._io import atomic_path
from .errors import ConfigError, DataContractError

if TYPE_CHECKING:
    from ._access_network import StudyNetworks
    from .config import StudyConfig
    from .study import Study
    from .travel_times import TravelTimeMatrix

__all__ = [
    "Scenario",
    "apply_scenario",
    "check_scenario",
    "compare_scenarios",
    "load_scenarios",
    "save_scenarios",
    "zone_changes",
]

logger = logging.getLogger(__name__)

_OPEN_KEYS = {"id", "name", "x", "y", "asset_type", "owner_type"}


@dataclass(frozen=True)
class Scenario:
    """Changes to the asset register.

    Parameters
    ----------
    name
        Scenario name (unique in a file).
    close
        Asset ids closed (removed).
    open
        New sites: ``id``, ``name``, ``x``, ``y`` (analysis CRS), ``asset_type``,
        ``owner_type`` and any other asset column (``gia_m2``, ``condition`` …).
    merge
        ``{"into": id, "from": [ids]}``: the ``from`` sites close and their services move
        into ``into`` (which stays).
    repurpose
        ``{"id": id, "asset_type": ..., "owner_type": ...}``: a site changes use.
    description
        Free text.
    """

    name: str
    close: tuple[str, ...] = ()
    open: tuple[dict[str, Any], ...] = ()
    merge: tuple[dict[str, Any], ...] = ()
    repurpose: tuple[dict[str, Any], ...] = ()
    description: str = ""

    def closed(self) -> set[str]:
        """Every asset id this scenario removes (closed or merged away)."""
        out = set(self.close)
        for m in self.merge:
            out |= set(m.get("from", ()))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the TOML file (empty parts left out)."""
        d = {k: v for k, v in dataclasses.asdict(self).items() if v not in ((), "", None)}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def check_scenario(s: Scenario, ids: set[str]) -> list[str]:
    """Problems of scenario ``s`` against a study's asset ids (empty when it can apply):
    ids that do not exist, opened sites lacking keys or reusing an id, unknown types."""
    out = []
    where = f"scenario {s.name!r}"
    unknown = sorted((s.closed() | {str(m.get("into")) for m in s.merge}
                      | {str(r.get("id")) for r in s.repurpose}) - ids)  # fmt: skip
    if unknown:
        out.append(f"{where}: {len(unknown)} asset ids not in the study ({', '.join(unknown[:5])})")
    for o in s.open:
        missing = sorted(_OPEN_KEYS - set(o))
        if missing:
            out.append(f"{where}: an opened site lacks {', '.join(missing)}")
        elif str(o["id"]) in ids:
            out.append(f"{where}: opened site id {o['id']!r} already exists; give a new id")
        elif o["asset_type"] not in c.ASSET_TYPES or o["owner_type"] not in c.OWNER_TYPES:
            out.append(f"{where}: opened site {o['id']!r} has an unknown asset_type or owner_type")
    for r in s.repurpose:
        if "asset_type" in r and r["asset_type"] not in c.ASSET_TYPES:
            out.append(
                f"{where}: repurpose {r.get('id')!r}: unknown asset type {r['asset_type']!r}"
            )
    return out


def apply_scenario(
    study: Study, scenario: Scenario, cfg: StudyConfig, *, networks: StudyNetworks | None = None
) -> Study:
    """Return the study as it would be under a scenario, with every metric recomputed.

    Parameters
    ----------
    study
        The baseline study (with matrices).
    scenario
        The changes.
    cfg
        The study config (network, access, carbon, costs settings).
    networks
        The study's street networks and timetable, built on first use and kept (pass
        the same object to several calls, as :func:`compare_scenarios` does, so opening
        sites in many scenarios builds them once); None makes a new one.

    Returns
    -------
    Study
        Assets changed, matrices re-columned (new sites routed on the street network),
        ``access`` and ``carbon`` recomputed; ``name`` is ``"<study> — <scenario>"``.

    Raises
    ------
    DataContractError
        If the scenario names unknown sites or an opened site is incomplete.
    """
    from .study_access import study_access
    from .study_carbon import study_carbon

    t0 = time.perf_counter()
    assets = study.assets
    ids = set(assets[c.ASSET_ID].astype(str))
    problems = check_scenario(scenario, ids)
    if problems:
        msg = "; ".join(problems) + ". Fix the scenario file."
        raise DataContractError(msg)
    keep = ~assets[c.ASSET_ID].astype(str).isin(scenario.closed())
    new = assets[keep].copy()
    for r in scenario.repurpose:
        row = new[c.ASSET_ID].astype(str) == str(r["id"])
        for key in ("asset_type", "owner_type", "name"):
            if key in r:
                new.loc[row, key] = r[key]
    opened = pd.DataFrame()
    if scenario.open:
        rows = [{k: v for k, v in o.items() if k not in ("x", "y")} for o in scenario.open]
        geom = [shapely.Point(float(o["x"]), float(o["y"])) for o in scenario.open]
        opened = gpd.GeoDataFrame(rows, geometry=geom, crs=assets.crs)
        opened[c.ASSET_ID] = (
            opened[c.ASSET_ID].astype(str) if c.ASSET_ID in opened else opened["id"].astype(str)
        )
        opened = opened.drop(columns=["id"], errors="ignore")
        opened[c.IN_AREA] = True
        for col, default in c.ASSET_OPTIONAL_DEFAULTS.items():
            if col not in opened:
                opened[col] = default
        if c.NEIGHBOURHOOD_ID in assets:
            from .neighbourhoods import assign_assets

            opened[c.NEIGHBOURHOOD_ID] = assign_assets(opened, study.neighbourhoods)
        new = pd.concat(
            [new, opened[[col for col in new.columns if col in opened]]], ignore_index=True
        )
    new = gpd.GeoDataFrame(new, geometry="geometry", crs=assets.crs).reset_index(drop=True)
    if networks is None:
        from ._access_network import StudyNetworks

        networks = StudyNetworks(cfg)
    matrices = {
        m: _recolumn(mat, new, opened, study, cfg, m, networks) for m, mat in study.matrices.items()
    }
    changed = dataclasses.replace(
        study, name=f"{study.name} — {scenario.name}", assets=new, matrices=matrices,
        access=None, carbon=None, options=None,
    )  # fmt: skip
    changed = dataclasses.replace(
        changed, access=study_access(changed, cfg.access), carbon=study_carbon(changed, cfg)
    )
    logger.info(
        "scenario %r: %d closed, %d opened, %d repurposed in %.1f s",
        scenario.name, len(scenario.closed()), len(scenario.open), len(scenario.repurpose),
        time.perf_counter() - t0,
    )  # fmt: skip
    return changed


def _recolumn(
    matrix: TravelTimeMatrix, assets: pd.DataFrame, opened: pd.DataFrame, study: Study,
    cfg: StudyConfig, mode: str, nets: StudyNetworks,
) -> TravelTimeMatrix:  # fmt: skip
    from .travel_times import TravelTimeMatrix, matrix_from_network

    cols = pd.Index(matrix.destination_ids.astype(str))
    wanted = assets[c.ASSET_ID].astype(str).to_numpy()
    minutes = np.full((len(matrix.origin_ids), len(wanted)), np.nan, dtype=np.float32)
    have = cols.get_indexer(wanted)
    minutes[:, have >= 0] = matrix.minutes[:, have[have >= 0]]
    if len(opened):
        if cfg.network.osm is None:
            msg = "opening a site needs the street network ([network] osm) to route to it"
            raise ConfigError(msg)
        if mode == "transit":  # walk + public transport to the new sites, capped by walking
            extra = nets.transit(
                study.zones,
                opened,
                origin_id=c.ZONE_ID,
                destination_id=c.ASSET_ID,
                cutoff_min=matrix.cutoff_min,
            )
        else:
            extra = matrix_from_network(
                nets(mode), study.zones, opened, origin_id=c.ZONE_ID,
                destination_id=c.ASSET_ID, cutoff_min=matrix.cutoff_min,
                max_snap_m=cfg.network.max_snap_m, walk_speed_kmh=cfg.network.walk_speed_kmh,
            )  # fmt: skip
        pos = pd.Index(wanted).get_indexer(pd.Index(extra.destination_ids.astype(str)))
        rows = pd.Index(extra.origin_ids.astype(str)).get_indexer(
            pd.Index(matrix.origin_ids.astype(str))
        )
        minutes[:, pos] = extra.minutes[rows]
    return TravelTimeMatrix(
        mode=matrix.mode, origin_ids=matrix.origin_ids, destination_ids=wanted.astype(object),
        minutes=minutes, cutoff_min=matrix.cutoff_min, metadata=dict(matrix.metadata),
    )  # fmt: skip


def _headline(study: Study, cfg: StudyConfig) -> dict[str, float]:
    out: dict[str, float] = {"sites": float(len(study.assets))}
    acc = study.access
    if acc is not None and not acc.cohorts.empty:
        t = acc.cohorts
        lb = cfg.access.left_behind_set
        for cohort in ("everyone", "over_65", "households_no_car"):
            for mode in ("walk", "best"):
                row = t[(t["cohort"] == cohort) & (t["mode"] == mode) & (t["asset_set"] == lb)]
                if len(row):
                    thr = f"share_within_{cfg.access.left_behind_min:g}"
                    out[f"{cohort}_{mode}_mean_min"] = float(row["mean_min"].iloc[0])
                    if thr in row:
                        out[f"{cohort}_{mode}_{thr}"] = float(row[thr].iloc[0])
        e = acc.equity
        row = e[(e["cohort"] == "everyone") & (e["mode"] == "walk") & (e["asset_set"] == lb)
                & (e["measure"] == "nearest_min")]  # fmt: skip
        if len(row):
            out["equity_gap_walk_min"] = float(row["gap"].iloc[0])
            out["sii_walk_min"] = float(row["sii"].iloc[0])
        out["left_behind_zones"] = (
            float((acc.left_behind["cohort"] == "everyone").sum())
            if not acc.left_behind.empty
            else 0.0
        )
    if study.carbon is not None:
        st = study.carbon.settings
        out["buildings_tco2e"] = float(st.get("buildings_tco2e", np.nan))
        out["travel_tco2e"] = float(st.get("travel_tco2e", np.nan))
        npv = study.carbon.npv
        if not npv.empty:
            tot = npv[(npv[c.ASSET_ID].astype(str) == "TOTAL") & (npv["pathway"] == "no_action")]
            if len(tot):
                out["npv_gbp"] = float(tot["pv_total_gbp"].iloc[0])
    return out


def compare_scenarios(
    baseline: Study,
    scenarios: list[Scenario],
    cfg: StudyConfig,
    *,
    networks: StudyNetworks | None = None,
) -> tuple[pd.DataFrame, dict[str, Study]]:
    """Headline metrics of the baseline and each scenario side by side.

    Parameters
    ----------
    baseline
        The study as it is (with access and carbon results).
    scenarios
        The scenarios.
    cfg
        The study config.
    networks
        Street networks and timetable shared by every scenario (None: one is made here,
        built only if a scenario opens a site).

    Returns
    -------
    tuple
        A table (one column per scenario, ``baseline`` first, one row per metric, plus
        ``change_*`` columns against the baseline) and the recomputed studies by name.
    """
    names = [s.name for s in scenarios]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        msg = f"scenario names must be unique: {', '.join(dupes)} repeated"
        raise ConfigError(msg)
    if networks is None:
        from ._access_network import StudyNetworks

        networks = StudyNetworks(cfg)
    studies = {s.name: apply_scenario(baseline, s, cfg, networks=networks) for s in scenarios}
    table = pd.DataFrame({"baseline": _headline(baseline, cfg)})
    for name, st in studies.items():
        table[name] = pd.Series(_headline(st, cfg))
    for name in studies:
        table[f"change: {name}"] = table[name] - table["baseline"]
    table.index.name = "metric"
    return table, studies


def zone_changes(baseline: Study, changed: Study, cfg: StudyConfig) -> pd.DataFrame:
    """Per zone: minutes to the nearest site of the left-behind set, before and after.

    Parameters
    ----------
    baseline, changed
        The study before and under a scenario.
    cfg
        The config (``[access] left_behind_set`` and ``left_behind_mode``).

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``before_min``, ``after_min``, ``change_min`` (NaN: unreachable).
    """

    def nearest(study: Study) -> pd.Series:
        assert study.access is not None
        z = study.access.zones
        sel = z[
            (z["mode"] == cfg.access.left_behind_mode)
            & (z["asset_set"] == cfg.access.left_behind_set)
        ]
        return sel.set_index(c.ZONE_ID)["nearest_min"]

    before, after = nearest(baseline), nearest(changed)
    out = pd.DataFrame({"before_min": before, "after_min": after.reindex(before.index)})
    out["change_min"] = out["after_min"] - out["before_min"]
    return out.reset_index()


def _shape_problems(data: Mapping[str, Any]) -> list[str]:
    """Type checks of the parsed file, so a malformed one is named, never a TypeError."""
    out: list[str] = []
    raw = data.get("scenario")
    for i, s in enumerate(raw if isinstance(raw, list) else [], start=1):
        if not isinstance(s, dict):
            continue
        where = f"scenario {s.get('name', f'#{i}')!r}"
        if not _str_list(s.get("close", [])):
            out.append(f"{where}: close must be a list of asset ids")
        parts = {k: s.get(k, []) for k in ("open", "merge", "repurpose")}
        ok = {k: v for k, v in parts.items() if isinstance(v, list) and all(isinstance(x, dict) for x in v)}  # fmt: skip
        out += [f"{where}: {k} must be a list of tables" for k in parts if k not in ok]
        if any(not (isinstance(m.get("into"), str) and _str_list(m.get("from"))) for m in ok.get("merge", [])):  # fmt: skip
            out.append(f'{where}: each merge needs into = "id" and from = ["id", ...]')
        if any(not isinstance(r.get("id"), str) for r in ok.get("repurpose", [])):
            out.append(f'{where}: each repurpose needs id = "asset id"')
        if any(not isinstance(o.get(k, 0.0), int | float) for o in ok.get("open", []) for k in "xy"):  # fmt: skip
            out.append(f"{where}: an opened site's x and y must be numbers (metres)")
    return out


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def load_scenarios(path: str | os.PathLike[str]) -> list[Scenario]:
    """Read scenarios from a TOML file (``[[scenario]]`` tables).

    Raises
    ------
    ConfigError
        If the file is missing, not TOML, or a scenario is malformed (all problems listed).
    """
    p = Path(path)
    if not p.is_file():
        msg = f"scenario file not found: {p}"
        raise ConfigError(msg)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        msg = f"{p}: not a valid TOML scenario file ({err})"
        raise ConfigError(msg) from err
    raw = data.get("scenario", [])
    problems: list[str] = _shape_problems(data)
    if problems:
        msg = f"{p}: " + "; ".join(problems)
        raise ConfigError(msg)
    out: list[Scenario] = []
    if not isinstance(raw, list) or not raw:
        problems.append("no [[scenario]] tables")
        raw = []
    known = {f.name for f in dataclasses.fields(Scenario)}
    for i, spec in enumerate(raw, start=1):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            problems.append(f"scenario #{i} needs a name")
            continue
        extra = sorted(set(spec) - known)
        if extra:
            problems.append(
                f"scenario {spec['name']!r}: unknown keys {extra} (known: {sorted(known)})"
            )
            continue
        out.append(
            Scenario(
                name=spec["name"],
                close=tuple(str(x) for x in spec.get("close", [])),
                open=tuple(dict(x) for x in spec.get("open", [])),
                merge=tuple(dict(x) for x in spec.get("merge", [])),
                repurpose=tuple(dict(x) for x in spec.get("repurpose", [])),
                description=str(spec.get("description", "")),
            )
        )
    names = [s.name for s in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"repeated scenario names: {', '.join(dupes)}")
    if problems:
        msg = f"{p}: " + "; ".join(problems)
        raise ConfigError(msg)
    return out


def save_scenarios(scenarios: list[Scenario], path: str | os.PathLike[str]) -> Path:
    """Write scenarios to a TOML file (atomically), readable by :func:`load_scenarios`."""
    import tomli_w

    text = tomli_w.dumps({"scenario": [s.to_dict() for s in scenarios]})
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)

"""Co-location options for every neighbourhood of a study: screen, generate, measure, rank.

Arranges calls into :mod:`estatesplan.hubs` (screening), :mod:`estatesplan.options`
(options, measures, ranking, sensitivity), :mod:`estatesplan.carbon_travel` and
:mod:`estatesplan.costs` (the carbon and cost of each option) and, when present,
:mod:`estatesplan.optimise` (hubs chosen by p-median / covering models).

Assumptions (documented in ``docs/colocation.md``)
---------------------------------------------------
- Residents' trips under an option go to the nearest site of the new service network;
  their number is the GP visit rate by age band (:mod:`estatesplan.carbon_travel`).
- An option's cost is the change in net present cost against keeping the same sites:
  released sites are disposed of in the year after the start year (their running, energy
  and backlog costs end, any receipt is taken), and each hub is fitted out for the teams
  moving in (``m2_per_team`` × teams × refurbishment £/m², with optimism bias, paid in
  the start year).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import contracts as c
from . import hubs as _hubs
from . import options as _options
from .errors import DataContractError

if TYPE_CHECKING:
    from .config import StudyConfig
    from .study import Study

__all__ = ["OptionsResults", "option_context", "study_options"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OptionsResults:
    """Co-location results of one study.

    Attributes
    ----------
    screening
        Every asset's hub screening: status and reasons.
    options
        Every option (and each neighbourhood's baseline) with its measures, scores,
        weighted total and rank within its neighbourhood.
    sensitivity
        Per neighbourhood: how stable the top option is when each weight moves ±20 %.
    optimised
        Hubs chosen by the optimiser runs (empty when none ran).
    scenarios
        Headline metrics of the baseline and each scenario side by side (one row per
        metric), with the change against the baseline.
    scenario_zones
        Per scenario and zone: minutes to the nearest site before and after (the map layer
        of what changes).
    settings
        Settings used (for the manifest).
    """

    screening: pd.DataFrame
    options: pd.DataFrame
    sensitivity: pd.DataFrame
    optimised: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenarios: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenario_zones: pd.DataFrame = field(default_factory=pd.DataFrame)
    settings: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables by export name."""
        return {
            "hubs_screening": self.screening,
            "options_comparison": self.options,
            "options_sensitivity": self.sensitivity,
            "options_optimised": self.optimised,
            "scenarios_comparison": self.scenarios,
            "scenario_zones": self.scenario_zones,
        }

    @classmethod
    def from_tables(
        cls, tables: dict[str, pd.DataFrame], settings: dict[str, Any] | None = None
    ) -> OptionsResults:
        """Rebuild results from :meth:`tables`."""

        def get(name: str) -> pd.DataFrame:
            return tables.get(name, pd.DataFrame())

        return cls(
            screening=get("hubs_screening"),
            options=get("options_comparison"),
            sensitivity=get("options_sensitivity"),
            optimised=get("options_optimised"),
            scenarios=get("scenarios_comparison"),
            scenario_zones=get("scenario_zones"),
            settings=dict(settings or {}),
        )


def _travel_carbon(study: Study, cfg: StudyConfig, minutes: npt.NDArray[np.float64]) -> Any:
    """A callable: service network (bool per asset) → residents' trip tCO2e a year."""
    from . import carbon as _carbon
    from . import carbon_travel as _travel

    if study.carbon is None or study.carbon.zones.empty:
        return None
    factors = _carbon.load_factors(cfg.carbon.factor_year)
    zones, assets = study.zones, study.assets
    zx = pd.to_numeric(zones[c.ROUTE_X]).to_numpy(dtype=float)
    zy = pd.to_numeric(zones[c.ROUTE_Y]).to_numpy(dtype=float)
    straight = (
        np.hypot(zx[:, None] - assets.geometry.x.to_numpy()[None, :],
                 zy[:, None] - assets.geometry.y.to_numpy()[None, :]) / 1000.0
    )  # fmt: skip
    visits = study.carbon.zones["visits"].to_numpy(dtype=float)
    no_car = study.carbon.zones["no_car_share"].to_numpy(dtype=float)
    rows = np.arange(len(zones))

    def tco2e(mask: npt.NDArray[np.bool_]) -> float:
        if not mask.any():
            return float("nan")
        t = np.where(np.isfinite(minutes) & mask[None, :], minutes, np.inf)
        by_time = t.argmin(axis=1)
        reach = np.isfinite(t[rows, by_time])
        by_line = np.where(mask[None, :], straight, np.inf).argmin(axis=1)
        pick = np.where(reach, by_time, by_line)
        km = _travel.trip_km(straight[rows, pick], circuity=cfg.carbon.circuity)
        shares = _travel.mode_shares(km, no_car)
        return float(_travel.travel_emissions(visits, km, shares, factors)["tco2e"].sum())

    return tco2e


def _npv(study: Study, cfg: StudyConfig, m2_per_team: float) -> Any:
    """A callable: option → change in net present cost (£) against keeping its sites."""
    from . import costs as _costs
    from .study_carbon import cost_assumptions

    if study.carbon is None or study.carbon.npv.empty:
        return None
    assumptions = cost_assumptions(cfg)
    keep = study.carbon.npv[study.carbon.npv["pathway"] == "no_action"]
    keep_pv = keep.set_index(keep[c.ASSET_ID].astype(str))["pv_total_gbp"]
    ops = study.carbon.assets.set_index(study.carbon.assets[c.ASSET_ID].astype(str))
    assets = study.assets.set_index(study.assets[c.ASSET_ID].astype(str), drop=False)
    df = _costs.discount_factors(2)
    fit_out = assumptions.refurbishment_gbp_m2 * (1.0 + assumptions.optimism_bias) * float(df[0])

    def npv(option: _options.Option) -> float:
        delta = fit_out * m2_per_team * len(option.moving)
        released = [a for a in option.released if a in keep_pv.index]
        if len(released) < len(option.released):
            return float("nan")  # a released site's costs are unknown
        if released:
            actions = pd.DataFrame(
                {c.ASSET_ID: released, "action": "dispose", "year": assumptions.start_year + 1}
            )
            f = _costs.forecast(
                assets.loc[released].reset_index(drop=True),
                ops.loc[released].reset_index(drop=True),
                assumptions=assumptions, actions=actions, on_missing="nan",
            )  # fmt: skip
            option_pv = float(f["pv_gbp"].sum())
            delta += option_pv - float(keep_pv[released].sum())
        return float(delta)

    return npv


def option_context(study: Study, cfg: StudyConfig) -> _options.OptionContext:
    """Align a study's data for measuring options.

    Parameters
    ----------
    study
        A study with matrices (and, for carbon and cost measures, carbon results).
    cfg
        Its config (``[colocation]``, ``[access]``, ``[carbon]``, ``[costs]``).

    Returns
    -------
    OptionContext
        The context.
    """
    from .study_access import _aligned, select_assets

    col = cfg.colocation
    if not study.matrices:
        msg = "co-location options need travel-time matrices ([network] osm)"
        raise DataContractError(msg)
    assets = study.assets.reset_index(drop=True)
    zones = study.zones
    minutes = {m: _aligned(mat, zones, assets) for m, mat in study.matrices.items()}
    service = select_assets(assets, cfg.access.all_asset_sets()[col.service_set])
    if c.IN_AREA in assets:
        service &= assets[c.IN_AREA].fillna(False).to_numpy(dtype=bool)
    inter: dict[str, pd.DataFrame] = {}
    if study.access is not None:
        inter = {m: x.to_frame() for m, x in study.access.inter_site.items()}
    operational: dict[str, float] = {}
    if study.carbon is not None and not study.carbon.assets.empty:
        t = study.carbon.assets
        operational = dict(zip(t[c.ASSET_ID].astype(str), t["tco2e"].astype(float), strict=True))
    access_minutes = minutes.get(col.access_mode)
    return _options.OptionContext(
        zone_ids=zones[c.ZONE_ID].astype(str).to_numpy(dtype=object),
        zone_neighbourhood=zones[c.NEIGHBOURHOOD_ID].astype(str).to_numpy(dtype=object),
        weights=study.cohort_weights.reset_index(drop=True),
        imd_decile=pd.to_numeric(zones.get(c.IMD_DECILE), errors="coerce").to_numpy(dtype=float)
        if c.IMD_DECILE in zones
        else np.full(len(zones), np.nan),
        asset_ids=assets[c.ASSET_ID].astype(str).to_numpy(dtype=object),
        assets=assets,
        minutes=minutes,
        service=service,
        cohort_modes={k: cfg.access.modes_for(k) for k in study.cohort_weights.columns},
        inter_site=inter,
        operational_t=operational,
        travel_carbon=_travel_carbon(study, cfg, access_minutes)
        if access_minutes is not None
        else None,
        npv=_npv(study, cfg, col.m2_per_team),
        access_mode=col.access_mode,
        staff_mode=col.staff_mode,
        threshold_min=col.threshold_min,
        priority_cohorts=col.priority_cohorts,
        m2_per_team=col.m2_per_team,
    )


def study_options(study: Study, cfg: StudyConfig) -> OptionsResults:
    """Screen hubs, generate and accept options, measure, rank and test their stability.

    Parameters
    ----------
    study
        The study (matrices; access and carbon results when available).
    cfg
        Its config (``[colocation]``).

    Returns
    -------
    OptionsResults
        Screening, ranked options with their measures, sensitivity, optimiser picks.
    """
    t0 = time.perf_counter()
    col = cfg.colocation
    ctx = option_context(study, cfg)
    screening = _hubs.screen_candidates(study.assets, col.rules)
    generated = _options.generate_options(
        screening, ctx, pairs=col.pairs, release_conditions=col.release_conditions,
        include_unknown=col.include_unknown,
    )  # fmt: skip
    planner = [
        _options.Option(
            option_id=p.option_id,
            neighbourhood_id=p.neighbourhood_id,
            hubs=p.hubs,
            moving=p.moving,
            released=p.released,
            origin="planner",
            label=p.label,
        )
        for p in col.options
    ]
    measures = _options.measure_options(
        [*generated, *planner], ctx, cutoff_min=cfg.access.cutoff_min
    )
    ranked = _options.rank_options(measures, col.weights)
    sensitivity = _options.weight_sensitivity(measures, col.weights)
    optimised = _optimised(study, cfg, ctx, screening)
    scen_table, scen_zones = _scenarios(study, cfg, ranked)
    logger.info(
        "options: %d screened (%d pass), %d options over %d neighbourhoods in %.1f s",
        len(screening), int((screening["status"] == "pass").sum()), len(generated) + len(planner),
        ranked["neighbourhood_id"].nunique(), time.perf_counter() - t0,
    )  # fmt: skip
    return OptionsResults(
        screening=screening,
        options=ranked,
        sensitivity=sensitivity,
        optimised=optimised,
        scenarios=scen_table,
        scenario_zones=scen_zones,
        settings={
            "service_set": col.service_set,
            "access_mode": col.access_mode,
            "threshold_min": col.threshold_min,
            "m2_per_team": col.m2_per_team,
            "weights": col.weights,
            "rules": {k: getattr(col.rules, k) for k in col.rules.__slots__},
        },
    )


def option_scenarios(ranked: pd.DataFrame, asset_types: dict[str, str]) -> list[Any]:
    """Each neighbourhood's best-ranked option (other than "do nothing") as a scenario:
    its released sites close and its hubs host services.

    Parameters
    ----------
    ranked
        From :func:`estatesplan.options.rank_options`.
    asset_types
        Asset id → asset type (hubs that are not health sites become health centres).

    Returns
    -------
    list of estatesplan.scenarios.Scenario
        One per neighbourhood with at least one option.
    """
    from .contracts import HEALTH_ASSET_TYPES
    from .scenarios import Scenario

    options = ranked[ranked["origin"] != "baseline"].sort_values(["neighbourhood_id", "rank"])
    out = []
    for _, row in options.drop_duplicates("neighbourhood_id").iterrows():
        released = tuple(x for x in str(row["released"]).split(";") if x and x != "nan")
        hubs = [x for x in str(row["hubs"]).split(";") if x and x != "nan"]
        if hubs:
            out.append(
                Scenario(
                    name=f"{row['neighbourhood_id']}: {row['option_id']}",
                    close=released,
                    repurpose=tuple(
                        {"id": h, "asset_type": "health_centre"}
                        for h in hubs
                        if asset_types.get(h) not in HEALTH_ASSET_TYPES
                    ),
                    description=f"best option of {row['neighbourhood_id']} (rank {row['rank']}): {row['label']}"
                    " (hubs that are not health sites count as health centres once services "
                    "move in)",
                )
            )
    return out


def _scenarios(
    study: Study, cfg: StudyConfig, ranked: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    from . import scenarios as _sc

    if study.access is None:
        return pd.DataFrame(), pd.DataFrame()
    types = dict(
        zip(
            study.assets[c.ASSET_ID].astype(str),
            study.assets[c.ASSET_TYPE].astype(str),
            strict=True,
        )
    )
    todo = option_scenarios(ranked, types)
    if cfg.colocation.scenarios is not None:
        todo += _sc.load_scenarios(cfg.colocation.scenarios)
    if not todo:
        return pd.DataFrame(), pd.DataFrame()
    table, studies = _sc.compare_scenarios(study, todo, cfg)
    zones = pd.concat(
        [_sc.zone_changes(study, st, cfg).assign(scenario=name) for name, st in studies.items()],
        ignore_index=True,
    )
    return table.reset_index(), zones


def _optimised(
    study: Study, cfg: StudyConfig, ctx: _options.OptionContext, screening: pd.DataFrame
) -> pd.DataFrame:
    """Run the configured optimiser models (when estatesplan.optimise is available)."""
    try:
        from . import optimise as _opt
    except ImportError:  # pragma: no cover - the module ships with the package
        return pd.DataFrame()
    return _opt_runs(_opt, study, cfg, ctx, screening)


def _opt_runs(
    opt: Any, study: Study, cfg: StudyConfig, ctx: _options.OptionContext, screening: pd.DataFrame
) -> pd.DataFrame:
    """One row per optimiser run (× neighbourhood with ``per = "neighbourhood"``).

    Candidates are the sites that pass screening (and ``unknown`` ones with
    ``include_unknown``); demand is the run's cohort; cost is minutes by the access mode.
    With ``equity``, no IMD quintile may end worse off than with today's service sites.
    Infeasible requests are reported in ``status`` with the numbers, not raised.
    """
    from .errors import ConfigError, EstatesplanError

    col = cfg.colocation
    ok = {"pass", "unknown"} if col.include_unknown else {"pass"}
    viable = set(screening.loc[screening["status"].isin(ok), c.ASSET_ID].astype(str))
    ids = ctx.asset_ids.astype(str)
    nbh_of_asset = ctx.assets[c.NEIGHBOURHOOD_ID].astype(str).to_numpy()
    minutes = ctx.minutes[ctx.access_mode]
    quintile = np.ceil(ctx.imd_decile / 2.0)
    names = ctx.assets[c.NAME].astype(str).to_numpy() if c.NAME in ctx.assets else ids
    rows: list[dict[str, Any]] = []
    for i, run in enumerate(col.optimise, start=1):
        if run.capacity:
            msg = (
                "[[colocation.optimise]] capacity = true is not yet available in the pipeline "
                "(hubs' spare space has no agreed conversion to people served); call "
                "estatesplan.optimise with site_capacity directly"
            )
            raise ConfigError(msg)
        if run.cohort not in ctx.weights.columns:
            msg = f"[[colocation.optimise]] #{i}: unknown cohort {run.cohort!r}"
            raise ConfigError(msg)
        weights = ctx.weights[run.cohort].to_numpy(dtype=float)
        areas = (
            sorted({str(n) for n in ctx.zone_neighbourhood})
            if run.per == "neighbourhood"
            else ["place"]
        )
        for area in areas:
            zone_rows = (
                ctx.zone_neighbourhood.astype(str) == area
                if run.per == "neighbourhood"
                else np.ones(len(ctx.zone_ids), dtype=bool)
            )
            in_area = (
                nbh_of_asset == area
                if run.per == "neighbourhood"
                else np.ones(len(ids), dtype=bool)
            )
            cand = np.flatnonzero(np.isin(ids, list(viable)) & in_area)
            today = np.flatnonzero(ctx.service & in_area)
            cols = np.union1d(cand, today)
            cost = minutes[np.ix_(zone_rows, cols)]
            demand = weights[zone_rows]
            forbidden = [j for j, a in enumerate(cols) if a not in set(cand)]
            base = {"run": i, "objective": run.objective, "per": run.per, "area": area,
                    "cohort": run.cohort, "k": run.k, "threshold_min": run.threshold_min}  # fmt: skip
            try:
                equity = None
                if run.equity:
                    groups = {
                        f"IMD quintile {q:.0f}": demand * (quintile[zone_rows] == q)
                        for q in range(1, 6)
                        if (demand * (quintile[zone_rows] == q)).sum() > 0
                    }
                    open_today = [j for j, a in enumerate(cols) if a in set(today)]
                    equity = opt.equity_baselines(
                        cost, groups, open_today,
                        threshold_min=None if run.objective == "p_median" else run.threshold_min,
                    )  # fmt: skip
                if run.objective == "p_median":
                    sol = opt.p_median(cost, demand, run.k, forbidden=forbidden, equity=equity)
                elif run.objective == "max_covering":
                    sol = opt.max_covering(
                        cost, demand, run.k, run.threshold_min, forbidden=forbidden, equity=equity
                    )
                else:
                    sol = opt.set_covering(
                        cost, run.threshold_min, demand=demand, forbidden=forbidden, equity=equity
                    )
            except EstatesplanError as err:
                rows.append({**base, "status": f"not solved: {err}"})
                continue
            chosen = [str(ids[cols[j]]) for j in sol.open]
            rows.append(
                {
                    **base,
                    "hubs": ";".join(chosen),
                    "hub_names": "; ".join(str(names[cols[j]]) for j in sol.open),
                    "objective_value": sol.objective,
                    "mean_min": sol.mean_minutes,
                    "covered_share": sol.covered_share,
                    "gap": sol.gap,
                    "method": sol.method,
                    "status": sol.status,
                    "seconds": sol.seconds,
                }
            )
    return pd.DataFrame(rows)

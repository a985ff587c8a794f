"""Carbon and whole-life cost of a study's estate and of the journeys it causes.

Arranges calls into :mod:`estatesplan.carbon` (operational emissions, factor tables),
:mod:`estatesplan.carbon_travel` (visits, mode shares, travel emissions),
:mod:`estatesplan.retrofit` (measures, trajectories, the NHS net zero gap) and
:mod:`estatesplan.costs` (forecast, Green Book NPV). It holds no formulas of its own.

Conventions
-----------
- Every estimate is labelled: ``energy_estimated``/``energy_basis`` on assets,
  ``no_car_basis`` and ``distance_basis`` on zones.
- Residents' visits go to the nearest site of ``[carbon] visits_set`` by walking time
  (straight line when none is reachable on foot); trip km = straight-line km × circuity.
- Cohort travel emissions share a zone's emissions in proportion to the cohort's
  residents (an approximation: it ignores that older people visit more often).
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import carbon as _carbon
from . import carbon_travel as _travel
from . import contracts as c
from .errors import DataQualityWarning

if TYPE_CHECKING:
    from .config import StudyConfig
    from .study import Study

__all__ = ["CarbonResults", "study_carbon"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CarbonResults:
    """Carbon and cost tables of one study.

    Attributes
    ----------
    assets
        Per asset: energy used (metered or estimated, labelled), tCO2e a year, intensity.
    zones
        Per zone: visits a year, nearest site and km, no-car share (and its basis), mode
        shares, travel tCO2e a year.
    neighbourhoods
        Per neighbourhood: buildings' tCO2e (in-area assets located in it), residents'
        travel tCO2e, estimated share.
    cohorts
        Per cohort: travel tCO2e a year (zone emissions shared by residents).
    trajectory
        Per asset × year × pathway (``no_action``, ``retrofit``): tCO2e.
    net_zero
        Per year and pathway: place totals, NHS target and gap.
    forecast
        Per asset × year: costs (£) and carbon value.
    npv
        Per asset and pathway: net present cost, payback year of retrofit.
    staff
        Per staff home zone: commuting trips to the nearest staff site, km, tCO2e a year
        (empty without a staff-origins file).
    settings
        Settings and assumptions used (for the manifest).
    """

    assets: pd.DataFrame
    zones: pd.DataFrame
    neighbourhoods: pd.DataFrame
    cohorts: pd.DataFrame
    trajectory: pd.DataFrame = field(default_factory=pd.DataFrame)
    net_zero: pd.DataFrame = field(default_factory=pd.DataFrame)
    forecast: pd.DataFrame = field(default_factory=pd.DataFrame)
    npv: pd.DataFrame = field(default_factory=pd.DataFrame)
    staff: pd.DataFrame = field(default_factory=pd.DataFrame)
    settings: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables by export name (``carbon_*``, ``cost_*``)."""
        return {
            "carbon_assets": self.assets,
            "carbon_zones": self.zones,
            "carbon_neighbourhoods": self.neighbourhoods,
            "carbon_cohorts": self.cohorts,
            "carbon_trajectory": self.trajectory,
            "carbon_net_zero": self.net_zero,
            "cost_forecast": self.forecast,
            "cost_npv": self.npv,
            "carbon_staff": self.staff,
        }

    def headline(self) -> str:
        """One line for the CLI: buildings' and trips' tCO2e and the 30-year cost."""
        st = self.settings
        if not st:
            return ""
        line = (
            f"carbon: buildings {st.get('buildings_tco2e', float('nan')):,.0f} tCO2e a year "
            f"({st.get('estimated_assets', 0)} estimated, {st.get('unknown_assets', 0)} unknown), "
            f"residents' health trips {st.get('travel_tco2e', float('nan')):,.0f} tCO2e a year"
        )
        if not self.npv.empty:
            total = self.npv[self.npv["asset_id"].astype(str) == "TOTAL"].set_index("pathway")
            parts = [
                f"{str(p).replace('_', ' ')} £{v / 1e6:,.1f}m"
                for p, v in total["pv_total_gbp"].items()
            ]
            line += "; net present cost " + ", ".join(parts)
        return line

    @classmethod
    def from_tables(
        cls, tables: dict[str, pd.DataFrame], settings: dict[str, Any] | None = None
    ) -> CarbonResults:
        """Rebuild results from :meth:`tables` (e.g. read back from CSV)."""

        def get(name: str) -> pd.DataFrame:
            return tables.get(name, pd.DataFrame())

        return cls(
            assets=get("carbon_assets"),
            zones=get("carbon_zones"),
            neighbourhoods=get("carbon_neighbourhoods"),
            cohorts=get("carbon_cohorts"),
            trajectory=get("carbon_trajectory"),
            net_zero=get("carbon_net_zero"),
            forecast=get("cost_forecast"),
            npv=get("cost_npv"),
            staff=get("carbon_staff"),
            settings=dict(settings or {}),
        )


def _operational(study: Study, cfg: StudyConfig, factors: _carbon.FactorTable) -> pd.DataFrame:
    assets = study.assets
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        ops = _carbon.operational_emissions(
            assets, factors, include_td=cfg.carbon.include_td, on_missing="nan"
        )
    for w in caught:  # one summary instead of the loader's per-field messages
        logger.info("%s", w.message)
    if "gia_estimated" in assets.columns:  # say when the floor area itself is an estimate
        est = assets["gia_estimated"].fillna(False).to_numpy(dtype=bool) & ops[
            "energy_estimated"
        ].to_numpy(dtype=bool)
        ops.loc[est, "energy_basis"] = (
            ops.loc[est, "energy_basis"].astype(str)
            + "; GIA "
            + assets.loc[est, "gia_basis"].astype(str).to_numpy()
        )
    unknown = ops["tco2e"].isna()
    if unknown.any():
        warnings.warn(
            f"operational carbon: {int(unknown.sum())} of {len(assets)} assets have no metered "
            "energy and no GIA to estimate from; their emissions are unknown (NaN) and left out "
            "of totals. Add gia_m2 or metered kWh to the asset register to include them.",
            DataQualityWarning,
            stacklevel=3,
        )
    keep = [col for col in (c.ASSET_ID, c.NAME, c.ASSET_TYPE, c.OWNER_TYPE, c.IN_AREA,
                            c.NEIGHBOURHOOD_ID) if col in assets.columns]  # fmt: skip
    out: pd.DataFrame = pd.concat(
        [assets[keep].reset_index(drop=True), ops.reset_index(drop=True)], axis=1
    )
    return out


def _zone_travel(study: Study, cfg: StudyConfig, factors: _carbon.FactorTable) -> pd.DataFrame:
    from .study_access import _aligned, select_assets

    zones, assets = study.zones, study.assets
    sets = cfg.access.all_asset_sets()
    mask = select_assets(assets, sets[cfg.carbon.visits_set])
    if not mask.any():
        warnings.warn(
            f"carbon: asset set {cfg.carbon.visits_set!r} ([carbon] visits_set) has no sites in "
            "this study; residents' trip emissions are unknown (NaN)",
            DataQualityWarning,
            stacklevel=3,
        )
        return pd.DataFrame(
            {
                c.ZONE_ID: zones[c.ZONE_ID].astype(str).to_numpy(),
                c.NEIGHBOURHOOD_ID: zones[c.NEIGHBOURHOOD_ID].astype(str).to_numpy(),
                "visits": _travel.visits_per_year(zones),
                "no_car_share": np.nan,
                "tco2e": np.nan,
            }
        )
    ax = assets.geometry.x.to_numpy()[mask]
    ay = assets.geometry.y.to_numpy()[mask]
    ids = assets[c.ASSET_ID].astype(str).to_numpy()[mask]
    zx = pd.to_numeric(zones.get(c.ROUTE_X, zones.geometry.centroid.x)).to_numpy(dtype=float)
    zy = pd.to_numeric(zones.get(c.ROUTE_Y, zones.geometry.centroid.y)).to_numpy(dtype=float)
    straight = np.hypot(zx[:, None] - ax[None, :], zy[:, None] - ay[None, :]) / 1000.0
    pick = straight.argmin(axis=1)
    basis = np.full(len(zones), "nearest by straight line", dtype=object)
    if "walk" in study.matrices:
        walk = _aligned(study.matrices["walk"], zones, assets)[:, mask]
        reach = np.isfinite(walk).any(axis=1)
        by_walk = np.where(np.isfinite(walk), walk, np.inf).argmin(axis=1)
        pick = np.where(reach, by_walk, pick)
        basis[reach] = "nearest by walking time"
    rows = np.arange(len(zones))
    km = _travel.trip_km(straight[rows, pick], circuity=cfg.carbon.circuity)
    households = (
        pd.to_numeric(zones.get(c.HOUSEHOLDS), errors="coerce") if c.HOUSEHOLDS in zones else None
    )
    if households is not None and c.HOUSEHOLDS_NO_CAR in zones:
        no_car = (pd.to_numeric(zones[c.HOUSEHOLDS_NO_CAR], errors="coerce") / households).to_numpy(
            float
        )
        car_basis = np.where(np.isfinite(no_car), "Census TS045", "assumed")
    else:
        no_car = np.full(len(zones), np.nan)
        car_basis = np.full(len(zones), "assumed", dtype=object)
    missing = ~np.isfinite(no_car)
    if missing.any():
        warnings.warn(
            f"carbon: {int(missing.sum())} zones have no car-availability table (Census TS045); "
            f"assuming {cfg.carbon.no_car_share:.1%} of households have no car "
            "([carbon] no_car_share; England and Wales 2021). Give [zones] car_availability for "
            "local figures.",
            DataQualityWarning,
            stacklevel=3,
        )
        no_car = np.where(missing, cfg.carbon.no_car_share, no_car)
        car_basis = np.where(missing, f"assumed {cfg.carbon.no_car_share:.1%}", car_basis)
    visits = _travel.visits_per_year(zones)
    shares = _travel.mode_shares(km, no_car)
    em = _travel.travel_emissions(visits, km, shares, factors)
    out = pd.DataFrame(
        {
            c.ZONE_ID: zones[c.ZONE_ID].astype(str).to_numpy(),
            c.NEIGHBOURHOOD_ID: zones[c.NEIGHBOURHOOD_ID].astype(str).to_numpy()
            if c.NEIGHBOURHOOD_ID in zones
            else None,
            "visits": visits,
            "nearest_site": ids[pick],
            "distance_basis": basis,
            "trip_km": km,
            "no_car_share": no_car,
            "no_car_basis": car_basis,
        }
    )
    shares = shares.add_prefix("share_").reset_index(drop=True)
    return pd.concat(
        [out, shares, em.reset_index(drop=True).drop(columns=["trips"], errors="ignore")], axis=1
    )


def _by_neighbourhood(assets: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    in_area = (
        assets[c.IN_AREA].fillna(False).astype(bool)
        if c.IN_AREA in assets
        else pd.Series(True, index=assets.index)
    )
    inside = assets[in_area & assets[c.NEIGHBOURHOOD_ID].notna()]
    b = inside.groupby(c.NEIGHBOURHOOD_ID).agg(
        buildings=(c.ASSET_ID, "size"),
        buildings_tco2e=("tco2e", "sum"),
        buildings_unknown=("tco2e", lambda s: int(s.isna().sum())),
        buildings_estimated=("energy_estimated", "sum"),
    )
    t = zones.groupby(c.NEIGHBOURHOOD_ID).agg(
        travel_tco2e=("tco2e", "sum"), visits=("visits", "sum")
    )
    out = b.join(t, how="outer").reset_index()
    out["total_tco2e"] = out["buildings_tco2e"].fillna(0) + out["travel_tco2e"].fillna(0)
    return out


def study_carbon(study: Study, cfg: StudyConfig) -> CarbonResults:
    """Compute the study's operational and travel emissions, trajectories and costs.

    Parameters
    ----------
    study
        The study (assets, zones, matrices).
    cfg
        Its config (``[carbon]``, ``[costs]``, ``[access]`` asset sets).

    Returns
    -------
    CarbonResults
        The tables.
    """
    t0 = time.perf_counter()
    factors = _carbon.load_factors(cfg.carbon.factor_year)
    assets = _operational(study, cfg, factors)
    zones = _zone_travel(study, cfg, factors)
    pop = study.zones[c.POPULATION].to_numpy(dtype=float)
    share = np.divide(1.0, pop, out=np.zeros_like(pop), where=pop > 0)
    # households_no_car counts households, not people: its share of residents is unknown
    people_cohorts = [k for k in study.cohort_weights.columns if k != c.HOUSEHOLDS_NO_CAR]
    cohorts = pd.DataFrame(
        {
            "cohort": people_cohorts,
            "travel_tco2e": [
                float(
                    np.nansum(
                        zones["tco2e"].to_numpy() * study.cohort_weights[k].to_numpy() * share
                    )
                )
                for k in people_cohorts
            ],
        }
    )
    extra = _forward(study, cfg, assets, factors)
    staff = _staff_commuting(study, cfg, factors, zones)
    result = CarbonResults(
        assets=assets,
        zones=zones,
        neighbourhoods=_by_neighbourhood(assets, zones),
        cohorts=cohorts,
        staff=staff,
        **extra,
        settings={
            "factor_year": factors.year,
            "visits_set": cfg.carbon.visits_set,
            "circuity": cfg.carbon.circuity,
            "no_car_share_assumed": cfg.carbon.no_car_share,
            "estimated_assets": int(assets["energy_estimated"].sum()),
            "unknown_assets": int(assets["tco2e"].isna().sum()),
            "buildings_tco2e": float(np.nansum(assets["tco2e"])),
            "travel_tco2e": float(np.nansum(zones["tco2e"])),
            "staff_commuting_tco2e": float(staff["tco2e"].sum()) if not staff.empty else None,
            "staff_working_days": STAFF_WORKING_DAYS,
            "staff_car_occupancy": STAFF_CAR_OCCUPANCY,
        },
    )
    logger.info(
        "carbon: buildings %.0f tCO2e/yr (%d estimated, %d unknown), residents' travel %.0f "
        "tCO2e/yr, in %.1f s",
        result.settings["buildings_tco2e"], result.settings["estimated_assets"],
        result.settings["unknown_assets"], result.settings["travel_tco2e"], time.perf_counter() - t0,
    )  # fmt: skip
    return result


STAFF_WORKING_DAYS = 220
"""Commuting days a year per member of staff (an assumption: 52 weeks × 5 days less leave
and bank holidays, about 225; rounded down for part-time working)."""

STAFF_CAR_OCCUPANCY = 1.1
"""People per car on commuting trips (an assumption; DfT National Travel Survey reports
commuting occupancy a little above 1)."""


def _staff_commuting(
    study: Study, cfg: StudyConfig, factors: _carbon.FactorTable, zones: pd.DataFrame
) -> pd.DataFrame:
    """Staff commutes from home zones to the nearest staff site, when origins are given."""
    from .staff import read_staff_origins
    from .study_access import select_assets

    if cfg.access.staff.origins is None:
        return pd.DataFrame()
    counts = read_staff_origins(
        cfg.access.staff.origins, zone_ids=study.zones[c.ZONE_ID].astype(str).to_numpy()
    ).to_numpy(dtype=float)
    sets = cfg.access.all_asset_sets()
    mask = select_assets(study.assets, sets[cfg.access.staff.sites])
    if not mask.any():
        return pd.DataFrame()
    zx = pd.to_numeric(study.zones[c.ROUTE_X]).to_numpy(dtype=float)
    zy = pd.to_numeric(study.zones[c.ROUTE_Y]).to_numpy(dtype=float)
    ax = study.assets.geometry.x.to_numpy()[mask]
    ay = study.assets.geometry.y.to_numpy()[mask]
    straight = np.hypot(zx[:, None] - ax[None, :], zy[:, None] - ay[None, :]).min(axis=1) / 1000
    km = _travel.trip_km(straight, circuity=cfg.carbon.circuity)
    no_car = zones["no_car_share"].to_numpy(dtype=float)
    shares = _travel.mode_shares(km, no_car)
    trips = counts * STAFF_WORKING_DAYS  # round trips a year
    em = _travel.travel_emissions(trips, km, shares, factors, occupancy=STAFF_CAR_OCCUPANCY)
    out = pd.DataFrame({c.ZONE_ID: study.zones[c.ZONE_ID].astype(str).to_numpy(), "staff": counts,
                        "trip_km": km})  # fmt: skip
    out = pd.concat([out, em.reset_index(drop=True)], axis=1)
    return out[out["staff"] > 0].reset_index(drop=True)


def cost_assumptions(cfg: StudyConfig) -> Any:
    """The ``CostAssumptions`` of a config (start year, horizon, carbon series, overrides)."""
    from .costs import CostAssumptions

    settings: dict[str, Any] = {
        "start_year": cfg.costs.start_year,
        "horizon_years": cfg.costs.horizon_years,
        "carbon_series": cfg.costs.carbon_values,
        **cfg.costs.overrides,
    }
    return CostAssumptions(**settings)


def _grid(cfg: StudyConfig) -> str | None:
    return None if cfg.carbon.grid == "constant" else cfg.carbon.grid


def _forward(
    study: Study, cfg: StudyConfig, operational: pd.DataFrame, factors: _carbon.FactorTable
) -> dict[str, pd.DataFrame]:
    """Trajectories (no action vs retrofit), the NHS net zero gap, cost forecasts and NPV.

    Only in-area assets whose emissions are known are projected (the others are counted
    in the operational table's warning). The retrofit pathway installs ``[carbon]
    retrofit`` measures on every such asset in ``retrofit_year``.
    """
    from . import costs as _costs
    from . import retrofit as _retrofit

    assets = study.assets.reset_index(drop=True)
    ops = operational.reset_index(drop=True)
    keep = ops["tco2e"].notna().to_numpy().copy()
    if c.IN_AREA in assets:
        keep &= assets[c.IN_AREA].fillna(False).to_numpy(dtype=bool)
    if not keep.any():
        logger.info("no in-area asset has known emissions: no trajectory or cost forecast")
        return {}
    assets, ops = assets[keep].reset_index(drop=True), ops[keep].reset_index(drop=True)
    assumptions = cost_assumptions(cfg)
    start = assumptions.start_year
    end = max(2050, start + assumptions.horizon_years - 1)
    grid = _grid(cfg)
    plan = None
    if cfg.carbon.retrofit:
        plan = pd.DataFrame(
            [
                {c.ASSET_ID: a, "measure": m, "year": max(cfg.carbon.retrofit_year, start)}
                for a in assets[c.ASSET_ID].astype(str)
                for m in cfg.carbon.retrofit
            ]
        )
    paths = []
    for name, p in (("no_action", None), ("retrofit", plan)):
        if name == "retrofit" and p is None:
            continue
        traj = _retrofit.retrofit_trajectory(
            assets, ops, factors, start_year=start, end_year=end, plan=p, grid_decarbonisation=grid
        )
        paths.append(traj.assign(pathway=name))
    trajectory = pd.concat(paths, ignore_index=True)
    baseline = cfg.carbon.baseline_year or start
    gaps = []
    for pathway in trajectory["pathway"].unique():
        traj = trajectory[trajectory["pathway"] == pathway]
        gap = _retrofit.net_zero_gap(traj, baseline_year=baseline)
        gaps.append(gap.assign(pathway=str(pathway)))
    net_zero = pd.concat(gaps, ignore_index=True)
    base = _costs.forecast(
        assets, ops, assumptions=assumptions, factors=factors, grid_decarbonisation=grid,
        on_missing="nan",
    )  # fmt: skip
    forecasts = [base.assign(pathway="no_action")]
    npvs = [_costs.npv(base).reset_index().assign(pathway="no_action")]
    if plan is not None:
        actions = pd.DataFrame(
            {
                c.ASSET_ID: assets[c.ASSET_ID].astype(str),
                "action": "retrofit",
                "year": max(cfg.carbon.retrofit_year, start),
                "measures": ",".join(cfg.carbon.retrofit),
            }
        )
        option = _costs.forecast(
            assets, ops, assumptions=assumptions, actions=actions, factors=factors,
            grid_decarbonisation=grid, on_missing="nan",
        )  # fmt: skip
        forecasts.append(option.assign(pathway="retrofit"))
        npv = _costs.npv(option).reset_index().assign(pathway="retrofit")
        per_asset, total = _costs.payback_years(base, option)  # one pass, not one per asset
        npv["payback_year"] = [
            total if a == _costs.TOTAL_ROW else per_asset.get(a)
            for a in npv[c.ASSET_ID].astype(str)
        ]
        npvs.append(npv)
    return {
        "trajectory": trajectory,
        "net_zero": net_zero,
        "forecast": pd.concat(forecasts, ignore_index=True),
        "npv": pd.concat(npvs, ignore_index=True),
    }

"""Co-location options per neighbourhood: generate them, measure them, rank them.

An **option** names one or more hubs for a neighbourhood (existing sites that host the
co-located services), the service sites whose teams move in, and the sites released.
Each option is measured on its own scale (:func:`measure_options`), then the measures are
normalised across the neighbourhood's options and combined with the planner's weights
(:func:`rank_options`); :func:`weight_sensitivity` says how stable the ranking is when the
weights move by ±20 %.

The *service network* is the set of sites residents use for the neighbourhood's services
today (an asset set, default ``health``). Under an option it becomes: today's sites, minus
the released ones, plus the hubs. Access is the time from each zone to the nearest site of
that network, so a hub that is easier to reach, or a release that leaves people further
away, both show.

Measures (raw, each with its own unit; ``higher_is_better`` in :data:`MEASURES`)
---------------------------------------------------------------------------------
``access_min``
    Neighbourhood residents' mean minutes (weighted by people) to the nearest service
    site by the access mode (default walk).
``share_within``
    Share of the neighbourhood's residents within the access threshold (default 20 min).
``priority_min``
    Mean over the priority cohorts (those present in the neighbourhood) of each cohort's
    mean minutes by the access mode, or by the fastest mode it has when it cannot use
    that one.
``equity_gap_min``
    Study-wide gap (IMD Q1 − Q5) in mean minutes to the nearest service site; lower is
    fairer to the most deprived fifth.
``teams_colocated``
    Service sites whose teams move into a hub.
``staff_travel_min``
    Mean journey between the team's sites after the move (hubs plus sites not moved),
    by the staff mode; NaN when the inter-site matrix lacks a site.
``quality``
    Mean condition of the hubs on a 0–1 scale (A = 1, B = 2/3, C = 1/3, D = 0).
``capacity_fit``
    Spare space at the hubs ÷ space needed (``m2_per_team`` × teams moving in); 1 or
    more fits.
``carbon_t``
    Change in tCO2e a year (negative = saving): released sites' operational emissions
    avoided, plus the change in residents' travel emissions when given.
``npv_gbp``
    Net present cost of the option over the forecast horizon, when a cost model is given
    (lower is better).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import access as _access
from . import contracts as c
from .errors import ConfigError, DataContractError

if TYPE_CHECKING:
    pass

__all__ = [
    "MEASURES",
    "Option",
    "OptionContext",
    "generate_options",
    "measure_options",
    "rank_options",
    "weight_sensitivity",
]

logger = logging.getLogger(__name__)

_FArr = npt.NDArray[np.float64]

MEASURES: Final[dict[str, bool]] = {
    "access_min": False,
    "share_within": True,
    "priority_min": False,
    "equity_gap_min": False,
    "teams_colocated": True,
    "staff_travel_min": False,
    "quality": True,
    "capacity_fit": True,
    "carbon_t": False,
    "npv_gbp": False,
}
"""Measure → True when higher is better."""

DEFAULT_WEIGHTS: Final[dict[str, float]] = {
    "access_min": 2.0,
    "share_within": 1.0,
    "priority_min": 1.0,
    "equity_gap_min": 1.0,
    "teams_colocated": 1.0,
    "staff_travel_min": 1.0,
    "quality": 1.0,
    "capacity_fit": 1.0,
    "carbon_t": 1.0,
    "npv_gbp": 1.0,
}
"""Default weights: access counts double (the model's first aim is access for residents).
A starting point for the planner, not a recommendation."""

_CONDITION_SCORE: Final = {"A": 1.0, "B": 2.0 / 3.0, "C": 1.0 / 3.0, "D": 0.0}


@dataclass(frozen=True, slots=True)
class Option:
    """One co-location option for a neighbourhood.

    Parameters
    ----------
    option_id
        Unique id (e.g. ``N01-hub-DEMO-A031``).
    neighbourhood_id
        The neighbourhood it serves.
    hubs
        Asset ids of the hub sites.
    moving
        Asset ids of the service sites whose teams move into the hubs.
    released
        Asset ids released (vacated: disposal, lease exit or re-purpose).
    origin
        ``"generated"`` or ``"planner"``.
    label
        Plain-English description.
    """

    option_id: str
    neighbourhood_id: str
    hubs: tuple[str, ...]
    moving: tuple[str, ...] = ()
    released: tuple[str, ...] = ()
    origin: str = "generated"
    label: str = ""


@dataclass(frozen=True)
class OptionContext:
    """What measuring options needs, aligned once per study.

    Parameters
    ----------
    zone_ids
        Zone ids (rows of every matrix).
    zone_neighbourhood
        Neighbourhood id per zone.
    weights
        Cohort sizes per zone (columns: cohorts; rows: zones in order).
    imd_decile
        IMD decile per zone (NaN unknown), for the equity gap.
    asset_ids
        Asset ids (columns of every matrix).
    assets
        The asset layer (``condition``, ``available_m2``, ``neighbourhood_id``), rows in
        ``asset_ids`` order.
    minutes
        Mode → zones × assets minutes (NaN unreachable).
    service
        Which assets are service sites today (bool per asset).
    cohort_modes
        Cohort → modes it can use.
    inter_site
        Mode → site × site minutes (DataFrame indexed and columned by asset id).
    operational_t
        Asset id → operational tCO2e a year (for released sites), optional.
    travel_carbon
        Callable from a service network (bool per asset) to tCO2e a year of residents'
        trips to its nearest sites, optional.
    npv
        Callable from an option to its net present cost (£), optional.
    access_mode, staff_mode, threshold_min, priority_cohorts, m2_per_team
        Settings (defaults walk, walk, 20 minutes, over 65 / most deprived fifth / no-car
        households, 150 m² per team — an assumption: two consulting rooms, a shared
        office and a share of a group room).
    """

    zone_ids: npt.NDArray[np.object_]
    zone_neighbourhood: npt.NDArray[np.object_]
    weights: pd.DataFrame
    imd_decile: _FArr
    asset_ids: npt.NDArray[np.object_]
    assets: pd.DataFrame
    minutes: Mapping[str, _FArr]
    service: npt.NDArray[np.bool_]
    cohort_modes: Mapping[str, tuple[str, ...]]
    inter_site: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    operational_t: Mapping[str, float] = field(default_factory=dict)
    travel_carbon: Callable[[npt.NDArray[np.bool_]], float] | None = None
    npv: Callable[[Option], float] | None = None
    access_mode: str = "walk"
    staff_mode: str = "walk"
    threshold_min: float = 20.0
    priority_cohorts: tuple[str, ...] = ("over_65", "most_deprived_fifth", "households_no_car")
    m2_per_team: float = 150.0

    def columns(self, ids: Sequence[str]) -> npt.NDArray[np.int64]:
        """Column positions of asset ids (error naming unknown ids)."""
        pos = pd.Index(self.asset_ids.astype(str)).get_indexer(list(ids))
        if (pos < 0).any():
            bad = [i for i, p in zip(ids, pos, strict=True) if p < 0]
            msg = f"option names {len(bad)} unknown asset ids ({', '.join(bad[:5])}); use ids from assets.csv"
            raise DataContractError(msg)
        out: npt.NDArray[np.int64] = pos.astype(np.int64)
        return out


def _network(ctx: OptionContext, option: Option | None) -> npt.NDArray[np.bool_]:
    mask = ctx.service.copy()
    if option is not None:
        mask[ctx.columns(option.released)] = False
        mask[ctx.columns(option.hubs)] = True
    return mask


def _nearest(ctx: OptionContext, mode: str, mask: npt.NDArray[np.bool_]) -> _FArr:
    return _access.nearest_minutes(ctx.minutes[mode], columns=mask)


def _mean(times: _FArr, w: _FArr, cutoff: float) -> float:
    """People-weighted mean minutes, unreachable counted at the cut-off."""
    filled = np.where(np.isfinite(times), times, cutoff)
    total = w.sum()
    return float((filled * w).sum() / total) if total > 0 else float("nan")


def _gap(times: _FArr, w: _FArr, decile: _FArr, cutoff: float) -> float:
    q = np.ceil(decile / 2.0)
    filled = np.where(np.isfinite(times), times, cutoff)
    q1, q5 = (q == 1) & (w > 0), (q == 5) & (w > 0)
    if not q1.any() or not q5.any():
        return float("nan")
    return float(
        (filled[q1] * w[q1]).sum() / w[q1].sum() - (filled[q5] * w[q5]).sum() / w[q5].sum()
    )


def _staff_travel(ctx: OptionContext, option: Option) -> float:
    table = ctx.inter_site.get(ctx.staff_mode)
    if table is None:
        return float("nan")
    nbh = ctx.assets[c.NEIGHBOURHOOD_ID].astype(str).to_numpy()
    team = set(ctx.asset_ids[ctx.service & (nbh == option.neighbourhood_id)].astype(str))
    sites = sorted((team - set(option.moving) - set(option.released)) | set(option.hubs))
    if len(sites) < 2 or not set(sites) <= set(table.index):
        return float("nan") if len(sites) >= 2 else 0.0
    sub = table.loc[sites, sites].to_numpy(dtype=float)
    off = ~np.eye(len(sites), dtype=bool)
    values = sub[off]
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def measure_options(
    options: Sequence[Option], ctx: OptionContext, *, cutoff_min: float = 60.0
) -> pd.DataFrame:
    """Measure each option on its own scale (see the module notes), with the baseline.

    Parameters
    ----------
    options
        The options (any neighbourhoods).
    ctx
        The aligned study data.
    cutoff_min
        Minutes counted for residents with no service site within the matrices' cut-off.

    Returns
    -------
    pandas.DataFrame
        One row per option plus one ``baseline`` row per neighbourhood of the zones or
        options (option_id
        ``<nbh>-baseline``): ``option_id``, ``neighbourhood_id``, ``hubs``, ``moving``,
        ``released`` (";"-joined ids), ``origin``, ``label`` and every measure in
        :data:`MEASURES` (NaN where its inputs are missing).
    """
    t0 = time.perf_counter()
    if ctx.access_mode not in ctx.minutes:
        msg = f"access mode {ctx.access_mode!r} has no matrix (have {', '.join(ctx.minutes)})"
        raise ConfigError(msg)
    everyone = ctx.weights["everyone"].to_numpy(dtype=float)
    base_mask = _network(ctx, None)
    base_times = _nearest(ctx, ctx.access_mode, base_mask)
    base_travel = ctx.travel_carbon(base_mask) if ctx.travel_carbon else float("nan")
    rows = []
    nbhs = sorted({str(n) for n in ctx.zone_neighbourhood} | {o.neighbourhood_id for o in options})
    baseline = [Option(f"{n}-baseline", n, (), origin="baseline", label="today") for n in nbhs]
    for option in [*baseline, *options]:
        is_base = option.origin == "baseline"
        mask = base_mask if is_base else _network(ctx, option)
        times = base_times if is_base else _nearest(ctx, ctx.access_mode, mask)
        local = ctx.zone_neighbourhood.astype(str) == option.neighbourhood_id
        w = everyone * local
        priority = []
        for cohort in ctx.priority_cohorts:
            if cohort not in ctx.weights.columns:
                continue
            modes = [
                m for m in ctx.cohort_modes.get(cohort, tuple(ctx.minutes)) if m in ctx.minutes
            ]
            if not modes:
                continue
            use = [ctx.access_mode] if ctx.access_mode in modes else modes
            best = np.fmin.reduce([_nearest(ctx, m, mask) for m in use])
            cw = ctx.weights[cohort].to_numpy(dtype=float) * local
            if cw.sum() > 0:
                priority.append(_mean(best, cw, cutoff_min))
        hubs = ctx.columns(option.hubs)
        grades = ctx.assets[c.CONDITION].iloc[hubs] if c.CONDITION in ctx.assets else pd.Series()
        scores = [_CONDITION_SCORE[str(g)] for g in grades if str(g) in _CONDITION_SCORE]
        spare = pd.to_numeric(
            ctx.assets.get(c.AVAILABLE_M2, pd.Series(np.nan, index=ctx.assets.index)).iloc[hubs],
            errors="coerce",
        )
        needed = ctx.m2_per_team * len(option.moving)
        released_t = [ctx.operational_t.get(a, np.nan) for a in option.released]
        carbon = -float(np.nansum(released_t)) if released_t else 0.0
        if ctx.travel_carbon is not None and not is_base:
            carbon += ctx.travel_carbon(mask) - base_travel
        rows.append(
            {
                "option_id": option.option_id,
                "neighbourhood_id": option.neighbourhood_id,
                "hubs": ";".join(option.hubs),
                "moving": ";".join(option.moving),
                "released": ";".join(option.released),
                "origin": option.origin,
                "label": option.label,
                "access_min": _mean(times, w, cutoff_min),
                "share_within": float(
                    (w * (np.isfinite(times) & (times <= ctx.threshold_min))).sum() / w.sum()
                )
                if w.sum() > 0
                else float("nan"),
                "priority_min": float(np.mean(priority)) if priority else float("nan"),
                "equity_gap_min": _gap(times, everyone, ctx.imd_decile, cutoff_min),
                "teams_colocated": float(len(option.moving)),
                "staff_travel_min": _staff_travel(ctx, option)
                if not is_base
                else _staff_travel(ctx, Option("", option.neighbourhood_id, ())),
                "quality": float(np.mean(scores)) if scores else float("nan"),
                "capacity_fit": float(spare.sum() / needed)
                if needed > 0 and spare.notna().all() and len(spare)
                else (float("nan") if needed > 0 else 1.0),
                "carbon_t": 0.0 if is_base else carbon,
                "npv_gbp": ctx.npv(option) if ctx.npv is not None else float("nan"),
            }
        )
    out = pd.DataFrame(rows)
    logger.info(
        "measured %d options in %d neighbourhoods in %.2f s",
        len(options), len(nbhs), time.perf_counter() - t0,
    )  # fmt: skip
    return out


def _check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(MEASURES))
    if unknown:
        msg = f"unknown score weights {unknown} (known: {', '.join(MEASURES)})"
        raise ConfigError(msg)
    bad = {k: v for k, v in weights.items() if not np.isfinite(v) or v < 0}
    if bad:
        msg = f"score weights must be >= 0: {bad}"
        raise ConfigError(msg)
    if not any(v > 0 for v in weights.values()):
        msg = "score weights are all zero: give at least one measure a positive weight"
        raise ConfigError(msg)
    return dict(weights)


def rank_options(
    measures: pd.DataFrame, weights: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Normalise each measure across a neighbourhood's options and rank by weighted total.

    Each measure is scaled to 0..1 within the neighbourhood (1 = best option on that
    measure; all options equal → 1). A measure that is NaN for every option of a
    neighbourhood is left out of its totals (and its weight with it); a NaN for one option
    scores 0 on that measure. The total is the weighted mean of the scores, 0..1.

    Parameters
    ----------
    measures
        From :func:`measure_options` (baseline rows are ranked too, as "do nothing").
    weights
        Measure → weight >= 0 (default :data:`DEFAULT_WEIGHTS`).

    Returns
    -------
    pandas.DataFrame
        ``measures`` with ``score_<measure>`` columns, ``total`` and ``rank`` (1 = best,
        within the neighbourhood), sorted by neighbourhood then rank.
    """
    w = _check_weights(weights if weights is not None else DEFAULT_WEIGHTS)
    out = measures.copy()
    totals = np.zeros(len(out))
    weight_sum = np.zeros(len(out))
    groups = out.groupby("neighbourhood_id", sort=False).indices
    for name, higher in MEASURES.items():
        col = out[name].to_numpy(dtype=float)
        score = np.zeros(len(out))
        present = np.zeros(len(out), dtype=bool)
        for idx in groups.values():
            v = col[idx]
            if not np.isfinite(v).any():
                continue
            lo, hi = np.nanmin(v), np.nanmax(v)
            s = np.ones(len(v)) if hi == lo else (v - lo) / (hi - lo)
            s = s if higher else 1.0 - s
            score[idx] = np.where(np.isfinite(v), s, 0.0)
            present[idx] = True
        out[f"score_{name}"] = np.where(present, score, np.nan)
        totals += np.where(present, score * w.get(name, 0.0), 0.0)
        weight_sum += np.where(present, w.get(name, 0.0), 0.0)
    out["total"] = np.where(
        weight_sum > 0, totals / np.where(weight_sum > 0, weight_sum, 1), np.nan
    )
    out["rank"] = (
        out.groupby("neighbourhood_id")["total"].rank(ascending=False, method="min").astype("Int64")
    )
    return out.sort_values(["neighbourhood_id", "rank", "option_id"]).reset_index(drop=True)


def weight_sensitivity(
    measures: pd.DataFrame, weights: Mapping[str, float] | None = None, *, step: float = 0.2
) -> pd.DataFrame:
    """How stable the ranking is when each weight moves by ±``step`` (default 20 %).

    Parameters
    ----------
    measures
        From :func:`measure_options`.
    weights
        The planner's weights (default :data:`DEFAULT_WEIGHTS`).
    step
        Relative change of one weight at a time (0.2 = ±20 %).

    Returns
    -------
    pandas.DataFrame
        Per neighbourhood: ``top_option`` (with the planner's weights), ``perturbations``
        (2 per weighted measure), ``top_unchanged`` (how many keep the same top option),
        ``stability`` (share), ``challengers`` (options that take the top spot in some
        perturbation, ";"-joined) and ``min_spearman`` (lowest rank correlation with the
        unperturbed ranking).
    """
    w = _check_weights(weights if weights is not None else DEFAULT_WEIGHTS)
    if not 0 < step < 1:
        msg = f"sensitivity step must be between 0 and 1 (0.2 = ±20 %), found {step}"
        raise ConfigError(msg)
    base = rank_options(measures, w)
    top = base[base["rank"] == 1].groupby("neighbourhood_id")["option_id"].first()
    results: dict[str, dict[str, Any]] = {
        n: {"neighbourhood_id": n, "top_option": top[n], "perturbations": 0,
            "top_unchanged": 0, "challengers": set(), "min_spearman": 1.0}
        for n in top.index
    }  # fmt: skip
    base_rank = base.set_index("option_id")["rank"].astype(float)
    for name, sign in itertools.product([k for k, v in w.items() if v > 0], (-1.0, 1.0)):
        moved = dict(w)
        moved[name] = w[name] * (1.0 + sign * step)
        ranked = rank_options(measures, moved)
        new_top = ranked[ranked["rank"] == 1].groupby("neighbourhood_id")["option_id"].first()
        ranks = ranked.set_index("option_id")["rank"].astype(float)
        for n, r in results.items():
            r["perturbations"] += 1
            if new_top[n] == r["top_option"]:
                r["top_unchanged"] += 1
            else:
                r["challengers"].add(new_top[n])
            ids = base.loc[base["neighbourhood_id"] == n, "option_id"]
            a, b = base_rank[ids].to_numpy(), ranks[ids].to_numpy()
            if len(ids) > 1 and a.std() > 0 and b.std() > 0:
                rho = float(np.corrcoef(a, b)[0, 1])  # Pearson on ranks = Spearman
                r["min_spearman"] = min(r["min_spearman"], rho)
    rows = []
    for r in results.values():
        rows.append(
            {
                **r,
                "stability": r["top_unchanged"] / r["perturbations"] if r["perturbations"] else 1.0,
                "challengers": ";".join(sorted(r["challengers"])),
            }
        )
    return pd.DataFrame(rows)


def _make_option(
    nbh: str,
    hub_set: tuple[str, ...],
    kind: str,
    team: Sequence[str],
    releasable: set[str],
    status: Mapping[str, str],
) -> Option:
    moving = tuple(t for t in team if t not in hub_set)
    released = tuple(t for t in moving if t in releasable)
    incomplete = any(status.get(h) == "unknown" for h in hub_set)
    caveat = " (screening incomplete: check the data)" if incomplete else ""
    plural = "s" if len(hub_set) > 1 else ""
    return Option(
        option_id=f"{nbh}-{kind}-" + "+".join(hub_set),
        neighbourhood_id=nbh,
        hubs=hub_set,
        moving=moving,
        released=released,
        label=f"{' and '.join(hub_set)} as hub{plural}; {len(moving)} teams move in, "
        f"{len(released)} sites released{caveat}",
    )


def generate_options(
    screen: pd.DataFrame,
    ctx: OptionContext,
    *,
    pairs: int = 3,
    release_conditions: tuple[str, ...] = ("C", "D"),
    include_unknown: bool = False,
) -> list[Option]:
    """Generate options for every neighbourhood: each viable hub alone, and the best pairs.

    The teams moving in are the neighbourhood's service sites other than the hubs; the
    sites released are those of them in condition ``release_conditions`` (default C or D:
    the buildings an estates team would look to exit first — an assumption the planner can
    change). Pairs are the ``pairs`` best by residents' access among all pairs of viable
    hubs.

    Parameters
    ----------
    screen
        From :func:`estatesplan.hubs.screen_candidates`.
    ctx
        The aligned study data.
    pairs
        Best pairs kept per neighbourhood (0: none).
    release_conditions
        Condition grades whose service sites are released when their team moves.
    include_unknown
        Also use sites whose screening is ``unknown`` (not enough data) as hubs; their
        options say so in the label.

    Returns
    -------
    list of Option
        In neighbourhood order.
    """
    ok = {"pass", "unknown"} if include_unknown else {"pass"}
    viable = screen[screen["status"].isin(ok) & screen[c.NEIGHBOURHOOD_ID].notna()]
    nbh_of_asset = ctx.assets[c.NEIGHBOURHOOD_ID].astype(str).to_numpy()
    condition = (
        ctx.assets[c.CONDITION].astype(str).to_numpy() if c.CONDITION in ctx.assets else None
    )
    everyone = ctx.weights["everyone"].to_numpy(dtype=float)
    out: list[Option] = []
    for nbh, group in viable.groupby(c.NEIGHBOURHOOD_ID, sort=True):
        nbh = str(nbh)
        team_idx = np.flatnonzero(ctx.service & (nbh_of_asset == nbh))
        team = [str(ctx.asset_ids[i]) for i in team_idx]
        releasable = {
            str(ctx.asset_ids[i])
            for i in team_idx
            if condition is not None and condition[i] in release_conditions
        }
        hubs = [str(h) for h in group[c.ASSET_ID]]
        status = dict(zip(group[c.ASSET_ID].astype(str), group["status"], strict=True))

        singles = [_make_option(nbh, (h,), "hub", team, releasable, status) for h in hubs]
        out.extend(singles)
        if pairs > 0 and len(hubs) >= 2:
            local = (ctx.zone_neighbourhood.astype(str) == nbh) * everyone
            scored = []
            for a, b in itertools.combinations(hubs, 2):
                option = _make_option(nbh, (a, b), "pair", team, releasable, status)
                t = _nearest(ctx, ctx.access_mode, _network(ctx, option))
                scored.append((_mean(t, local, 60.0), option.option_id, option))
            scored.sort(key=lambda s: (s[0], s[1]))
            out.extend(s[2] for s in scored[:pairs])
    logger.info(
        "generated %d options over %d neighbourhoods",
        len(out),
        viable[c.NEIGHBOURHOOD_ID].nunique(),
    )
    return out

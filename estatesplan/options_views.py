"""Co-location options as a planner explores them: re-rank, compare, map catchments, optimise.

The study's run (:mod:`estatesplan.study_options`) stores every option's measures; the
functions here work on those stored tables so that changing a weight re-ranks at once
(no travel time is recomputed), put two or three options side by side, say which site
each zone would use under an option (its *catchment*), and run the optimiser for one
neighbourhood with the planner's choices. The map app and notebooks arrange these calls;
the map layers are in :mod:`estatesplan.maps_options`.

Conventions
-----------
- Minutes are travel times from each zone's routing point to a site; NaN means
  unreachable within the matrix's cut-off.
- Asset and option ids are strings; stored lists of ids are ";"-joined.
- Unknown stays unknown: a missing measure is NaN, never 0.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import contracts as c
from . import optimise as _opt
from .errors import ConfigError, DataContractError, InfeasibleError
from .options import MEASURES, rank_options

if TYPE_CHECKING:
    from .options import OptionContext

__all__ = [
    "MEASURE_INFO",
    "OBJECTIVES",
    "OptimiserInputs",
    "OptimiserRun",
    "comparison_table",
    "neighbourhood_labels",
    "optimiser_inputs",
    "option_measures",
    "run_optimiser",
    "sensitivity",
    "split_ids",
]

logger = logging.getLogger(__name__)

_FArr = npt.NDArray[np.float64]
_BArr = npt.NDArray[np.bool_]
_OArr = npt.NDArray[np.object_]

MEASURE_INFO: Final[dict[str, tuple[str, str]]] = {
    "access_min": ("Residents' mean travel time", "minutes"),
    "share_within": ("Residents within the threshold", "share 0–1"),
    "priority_min": ("Priority cohorts' mean travel time", "minutes"),
    "equity_gap_min": ("Deprivation gap (IMD Q1 − Q5)", "minutes"),
    "teams_colocated": ("Teams co-located", "teams"),
    "staff_travel_min": ("Staff travel between sites", "minutes"),
    "quality": ("Hub building condition", "0–1 (A = 1, D = 0)"),
    "capacity_fit": ("Capacity fit", "spare ÷ needed space"),
    "carbon_t": ("Carbon change", "tCO2e a year"),
    "npv_gbp": ("Net present cost", "£"),
}
"""Measure → (plain-English label, unit), in the order of :data:`estatesplan.options.MEASURES`."""

OBJECTIVES: Final[dict[str, str]] = {
    "p_median": "Least travel time (p-median)",
    "max_covering": "Most people within the threshold (maximal covering)",
    "set_covering": "Fewest hubs covering everyone (set covering)",
}
"""Optimiser objective → label."""

_TEXT_COLUMNS: Final = ("option_id", "neighbourhood_id", "hubs", "moving", "released",
                        "origin", "label")  # fmt: skip


def split_ids(value: object) -> tuple[str, ...]:
    """Split a stored ";"-joined id list (NaN or "" → no ids).

    Examples
    --------
    >>> split_ids("A;B"), split_ids(float("nan")), split_ids("")
    (('A', 'B'), (), ())
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ()
    return tuple(x.strip() for x in str(value).split(";") if x.strip() and x.strip() != "nan")


def neighbourhood_labels(
    options: pd.DataFrame, neighbourhoods: pd.DataFrame | None = None
) -> dict[str, str]:
    """Neighbourhoods that have options, as id → label ("N01: Name"), sorted by id.

    Parameters
    ----------
    options
        Stored options table (``neighbourhood_id``).
    neighbourhoods
        Neighbourhood layer (``neighbourhood_id``, ``name``), for the names; optional.

    Returns
    -------
    dict of str to str
        The id alone when the name is unknown.
    """
    ids = sorted({str(n) for n in options["neighbourhood_id"].dropna()})
    names: dict[str, str] = {}
    if neighbourhoods is not None and c.NAME in neighbourhoods.columns:
        for nid, name in zip(neighbourhoods[c.NEIGHBOURHOOD_ID].astype(str),
                             neighbourhoods[c.NAME], strict=True):  # fmt: skip
            if isinstance(name, str) and name.strip():
                names[nid] = name.strip()
    return {n: f"{n}: {names[n]}" if n in names else n for n in ids}


def option_measures(options: pd.DataFrame, neighbourhood_id: str | None = None) -> pd.DataFrame:
    """The stored measures of options (one neighbourhood's, or all), ready to re-rank.

    Parameters
    ----------
    options
        Stored options table (``options_comparison``: the measures with their scores,
        totals and ranks).
    neighbourhood_id
        Keep this neighbourhood's options (with its baseline); None keeps all.

    Returns
    -------
    pandas.DataFrame
        The id and text columns and every measure of :data:`estatesplan.options.MEASURES`
        as float (NaN where unknown or not stored); scores, totals and ranks dropped; a
        0..n-1 index, in the stored order.

    Raises
    ------
    DataContractError
        If the table lacks ``option_id`` or ``neighbourhood_id``, or the neighbourhood
        has no options.
    """
    missing = [col for col in ("option_id", "neighbourhood_id") if col not in options.columns]
    if missing:
        msg = f"the options table lacks {', '.join(missing)}; re-run `estatesplan run`."
        raise DataContractError(msg)
    rows = options
    if neighbourhood_id is not None:
        rows = options[(options["neighbourhood_id"].astype(str) == neighbourhood_id).to_numpy()]
        if rows.empty:
            known = ", ".join(sorted({str(n) for n in options["neighbourhood_id"]}))
            msg = f"no co-location options for neighbourhood {neighbourhood_id!r} (have {known})."
            raise DataContractError(msg)
    out = pd.DataFrame(index=range(len(rows)))
    for col in _TEXT_COLUMNS:
        values = rows[col] if col in rows.columns else pd.Series("", index=rows.index)
        out[col] = [
            ";".join(split_ids(v)) if col in ("hubs", "moving", "released") else
            ("" if pd.isna(v) else str(v))
            for v in values
        ]  # fmt: skip
    for name in MEASURES:
        if name in rows.columns:
            out[name] = pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float)
        else:
            out[name] = np.nan
    return out


def _totals(scores: Mapping[str, _FArr], weights: Mapping[str, float]) -> _FArr:
    """Weighted totals as :func:`rank_options` adds them (same order: same rounding)."""
    n = len(next(iter(scores.values())))
    totals, weight_sum = np.zeros(n), np.zeros(n)
    for name, s in scores.items():
        present = np.isfinite(s)
        totals += np.where(present, s * weights.get(name, 0.0), 0.0)
        weight_sum += np.where(present, weights.get(name, 0.0), 0.0)
    out: _FArr = np.where(weight_sum > 0, totals / np.where(weight_sum > 0, weight_sum, 1), np.nan)
    return out


def sensitivity(
    measures: pd.DataFrame, weights: Mapping[str, float], *, step: float = 0.2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How stable one neighbourhood's ranking is when each weight alone moves by ±``step``.

    The same answer as :func:`estatesplan.options.weight_sensitivity`, computed from one
    normalisation (:func:`estatesplan.options.rank_options`) re-weighted per
    perturbation, so that it is quick enough to follow a weight slider; and, per weight,
    the option that comes top when it moves.

    Parameters
    ----------
    measures
        One neighbourhood's measures (:func:`option_measures`).
    weights
        Measure → weight >= 0, not all zero.
    step
        Relative change (0.2 = ±20 %), between 0 and 1.

    Returns
    -------
    summary : pandas.DataFrame
        One row with the columns of :func:`~estatesplan.options.weight_sensitivity`:
        ``neighbourhood_id``, ``top_option``, ``perturbations``, ``top_unchanged``,
        ``challengers`` (";"-joined), ``min_spearman`` and ``stability`` (share).
    by_weight : pandas.DataFrame
        One row per measure with a positive weight: ``measure``, ``weight``,
        ``top_minus`` and ``top_plus`` (the top option with that weight lowered /
        raised; ties: the first by option id) and ``changes`` (either differs from the
        top option with ``weights``).

    Raises
    ------
    ConfigError
        Weights all zero, negative or unknown (from :func:`rank_options`), or a bad step.
    DataContractError
        If ``measures`` holds more than one neighbourhood.
    """
    if not 0 < step < 1:
        msg = f"sensitivity step must be between 0 and 1 (0.2 = ±20 %), found {step}"
        raise ConfigError(msg)
    if measures["neighbourhood_id"].nunique() > 1:
        msg = "sensitivity takes one neighbourhood's options; select them with option_measures."
        raise DataContractError(msg)
    ranked = rank_options(measures, weights).sort_values("option_id", kind="stable")
    ids = ranked["option_id"].astype(str).to_numpy()
    scores = {n: ranked[f"score_{n}"].to_numpy(dtype=float) for n in MEASURES}

    def ranks(w: Mapping[str, float]) -> tuple[str, _FArr]:
        total = _totals(scores, w)
        top = str(ids[int(np.argmax(np.where(np.isnan(total), -np.inf, total)))])
        r = np.asarray(pd.Series(total).rank(ascending=False, method="min"), dtype=np.float64)
        return top, r

    base_top, base_rank = ranks(weights)
    rows, unchanged, challengers, rho_min = [], 0, set(), 1.0
    for name, value in weights.items():
        if value <= 0:
            continue
        tops = []
        for sign in (-1.0, 1.0):
            moved = {**weights, name: value * (1.0 + sign * step)}
            top, r = ranks(moved)
            tops.append(top)
            unchanged += top == base_top
            challengers |= {top} - {base_top}
            if len(ids) > 1 and base_rank.std() > 0 and r.std() > 0:
                rho_min = min(rho_min, float(np.corrcoef(base_rank, r)[0, 1]))
        rows.append({"measure": name, "weight": float(value), "top_minus": tops[0],
                     "top_plus": tops[1], "changes": tops != [base_top, base_top]})  # fmt: skip
    n = 2 * len(rows)
    summary = pd.DataFrame(
        [{"neighbourhood_id": str(measures["neighbourhood_id"].iloc[0]), "top_option": base_top,
          "perturbations": n, "top_unchanged": unchanged,
          "challengers": ";".join(sorted(challengers)), "min_spearman": rho_min,
          "stability": unchanged / n if n else 1.0}]
    )  # fmt: skip
    by_weight = pd.DataFrame(
        rows, columns=["measure", "weight", "top_minus", "top_plus", "changes"]
    )
    return summary, by_weight


def comparison_table(ranked: pd.DataFrame, option_ids: Sequence[str]) -> pd.DataFrame:
    """Options side by side: each measure's value and score, one pair of columns per option.

    Parameters
    ----------
    ranked
        From :func:`estatesplan.options.rank_options` (one neighbourhood's options).
    option_ids
        The options to compare, in the order wanted.

    Returns
    -------
    pandas.DataFrame
        One row per measure (in :data:`MEASURE_INFO` order), then ``total`` (weighted
        score 0–1) and ``rank``; columns ``measure`` (label), ``unit``, ``better``
        ("higher" / "lower"), then for each option ``<option_id>`` (the raw measure) and
        ``<option_id> score`` (0–1 within the neighbourhood, 1 = best; NaN when unknown).

    Raises
    ------
    DataContractError
        If an option id is not in ``ranked``, or one is repeated.
    """
    ids = [str(i) for i in option_ids]
    if len(set(ids)) < len(ids):
        msg = f"options to compare are repeated: {', '.join(ids)}; choose each once."
        raise DataContractError(msg)
    where = {oid: k for k, oid in enumerate(ranked["option_id"].astype(str))}
    if unknown := [i for i in ids if i not in where]:
        msg = f"options {', '.join(unknown)} are not among the ranked options; pick from the table."
        raise DataContractError(msg)
    names = [*MEASURES, "total", "rank"]
    out = pd.DataFrame(
        {
            "measure": [MEASURE_INFO[n][0] for n in MEASURES] + ["Weighted total", "Rank"],
            "unit": [MEASURE_INFO[n][1] for n in MEASURES] + ["score 0–1", "1 = best"],
            "better": ["higher" if MEASURES[n] else "lower" for n in MEASURES]
            + ["higher", "lower"],
        }
    )
    for i in ids:
        row = ranked.iloc[where[i]]
        out[i] = [float(row[n]) if pd.notna(row[n]) else np.nan for n in names]
        scores = [row.get(f"score_{n}", np.nan) for n in MEASURES] + [row["total"], np.nan]
        out[f"{i} score"] = [float(s) if pd.notna(s) else np.nan for s in scores]
    return out


# --- the optimiser for one neighbourhood ---------------------------------------------------


@dataclass(frozen=True, eq=False)
class OptimiserInputs:
    """One neighbourhood's optimiser problem, as the study's run sets it up.

    Rows are the neighbourhood's zones; columns are its candidate hubs (sites that pass
    screening, and ``unknown`` ones when asked) and today's service sites, in asset
    order. Today's sites that are not candidates are in the columns (for the equity
    baselines) but ``forbidden``.

    Attributes
    ----------
    neighbourhood_id, mode, cohort
        What was asked for.
    zone_ids, site_ids, site_names
        Row ids; column ids and names.
    cost, demand
        Rows × columns minutes by ``mode`` (NaN unreachable); the cohort's people per row.
    candidates, forbidden, today
        Columns that may open; that may not (today's sites that fail screening); open today.
    quintile
        IMD quintile per row (1 = most deprived fifth; NaN unknown).
    """

    neighbourhood_id: str
    mode: str
    cohort: str
    zone_ids: _OArr
    site_ids: _OArr
    site_names: _OArr
    cost: _FArr
    demand: _FArr
    candidates: tuple[int, ...]
    forbidden: tuple[int, ...]
    today: tuple[int, ...]
    quintile: _FArr


@dataclass(frozen=True, eq=False)
class OptimiserRun:
    """The hubs an optimiser chose for one neighbourhood, and how good and sure they are.

    Attributes
    ----------
    objective, k, threshold_min, equity
        The request (``k`` None for set covering; ``threshold_min`` None for the p-median).
    hubs, hub_names
        Chosen sites.
    solution
        The solver's :class:`estatesplan.optimise.Solution` (column indices of the inputs).
    today
        Today's sites scored the same way (None when the neighbourhood has none).
    assignment
        Per zone: ``zone_id``, ``demand`` (the cohort's people), ``site`` (its chosen hub;
        missing (NaN) when none is reachable or, for covering, none within the threshold),
        ``minutes`` and ``catchment`` (the hub's id, or "unreachable" / "not covered").
    """

    objective: str
    k: int | None
    threshold_min: float | None
    equity: bool
    hubs: tuple[str, ...]
    hub_names: tuple[str, ...]
    solution: _opt.Solution
    today: _opt.Solution | None
    assignment: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """The headline numbers as a two-column table (``item``, ``value``, as text)."""
        s, t = self.solution, self.today
        unit = {"p_median": "person-minutes", "max_covering": "people covered",
                "set_covering": "hubs"}[self.objective]  # fmt: skip

        def num(v: float | None, fmt: str = "{:,.1f}") -> str:
            return "unknown" if v is None or not math.isfinite(v) else fmt.format(v)

        rows = [
            (f"Objective ({unit})", num(s.objective)),
            ("Method", s.method),
            ("Gap to the bound", num(s.gap * 100 if math.isfinite(s.gap) else s.gap, "{:.2f} %")),
            ("Mean minutes to the hub", num(s.mean_minutes)),
            ("Mean minutes today", num(t.mean_minutes) if t is not None else "no sites today"),
        ]
        if s.covered_share is not None:
            rows.append(("Share covered", num(s.covered_share * 100, "{:.1f} %")))
            if t is not None and t.covered_share is not None:
                rows.append(("Share covered today", num(t.covered_share * 100, "{:.1f} %")))
        rows.append(("Demand with no hub in reach", num(s.unserved_demand, "{:,.0f}")))
        for name, value in s.groups.items():
            rows.append((f"Equity: {name}", f"{num(value, '{:.3g}')} (today "
                                             f"{num(s.baselines.get(name), '{:.3g}')})"))  # fmt: skip
        rows.append(("Solver", f"{s.status} ({s.seconds:.2f} s)"))
        return pd.DataFrame(rows, columns=["item", "value"])

    def hubs_table(self) -> pd.DataFrame:
        """The chosen hubs: ``asset_id``, ``name``, ``zones`` and ``demand`` (people) served."""
        served = self.assignment.groupby("site")["demand"].agg(["size", "sum"])
        zones = served["size"].reindex(list(self.hubs), fill_value=0).to_numpy(dtype=int)
        demand = served["sum"].reindex(list(self.hubs), fill_value=0.0).to_numpy(dtype=float)
        return pd.DataFrame({c.ASSET_ID: list(self.hubs), c.NAME: list(self.hub_names),
                             "zones": zones, "demand": demand})  # fmt: skip


def optimiser_inputs(
    ctx: OptionContext,
    screening: pd.DataFrame,
    neighbourhood_id: str,
    *,
    mode: str | None = None,
    cohort: str = "everyone",
    include_unknown: bool = False,
) -> OptimiserInputs:
    """Set up one neighbourhood's optimiser problem as the study's run does.

    Parameters
    ----------
    ctx
        The study's aligned data (:func:`estatesplan.study_options.option_context`).
    screening
        Hub screening (``asset_id``, ``status``).
    neighbourhood_id
        The neighbourhood.
    mode
        Travel mode of the cost (default the context's access mode).
    cohort
        Cohort whose people are the demand.
    include_unknown
        Sites with incomplete screening data may be chosen too.

    Returns
    -------
    OptimiserInputs
        The problem.

    Raises
    ------
    ConfigError
        Unknown mode or cohort.
    InfeasibleError
        No zone or no candidate hub in the neighbourhood (the counts are named).
    """
    mode = ctx.access_mode if mode is None else mode
    if mode not in ctx.minutes:
        msg = f"no {mode} travel times in this study (have {', '.join(ctx.minutes)})."
        raise ConfigError(msg)
    if cohort not in ctx.weights.columns:
        msg = f"unknown cohort {cohort!r} (have {', '.join(map(str, ctx.weights.columns))})."
        raise ConfigError(msg)
    ok = {"pass", "unknown"} if include_unknown else {"pass"}
    viable = set(screening.loc[screening["status"].isin(ok), c.ASSET_ID].astype(str))
    ids = np.array([str(a) for a in ctx.asset_ids], dtype=object)
    in_area = ctx.assets[c.NEIGHBOURHOOD_ID].astype(str).to_numpy() == neighbourhood_id
    rows = ctx.zone_neighbourhood.astype(str) == neighbourhood_id
    cand = np.flatnonzero(np.isin(ids, list(viable)) & in_area)
    today = np.flatnonzero(ctx.service & in_area)
    if not rows.any() or not len(cand):
        n_sites = int(in_area.sum())
        msg = (
            f"no hub can be chosen in {neighbourhood_id}: {int(rows.sum())} zones and "
            f"{len(cand)} candidate hubs (of {n_sites} sites there) pass screening"
            f"{' or are unknown' if include_unknown else ''}. Relax [colocation.rules] "
            "or include sites with unknown screening."
        )
        raise InfeasibleError(msg)
    cols = np.union1d(cand, today)
    names = (ctx.assets[c.NAME].astype("string").fillna("").to_numpy(dtype=object)
             if c.NAME in ctx.assets.columns else ids)  # fmt: skip
    cand_set, today_set = set(cand.tolist()), set(today.tolist())
    return OptimiserInputs(
        neighbourhood_id=neighbourhood_id,
        mode=mode,
        cohort=cohort,
        zone_ids=np.array([str(z) for z in ctx.zone_ids[rows]], dtype=object),
        site_ids=ids[cols],
        site_names=np.array([str(n) for n in names[cols]], dtype=object),
        cost=np.asarray(ctx.minutes[mode], dtype=np.float64)[np.ix_(rows, cols)],
        demand=ctx.weights[cohort].to_numpy(dtype=float)[rows],
        candidates=tuple(j for j, a in enumerate(cols) if a in cand_set),
        forbidden=tuple(j for j, a in enumerate(cols) if a not in cand_set),
        today=tuple(j for j, a in enumerate(cols) if a in today_set),
        quintile=np.ceil(np.asarray(ctx.imd_decile, dtype=float)[rows] / 2.0),
    )


def run_optimiser(
    inputs: OptimiserInputs,
    *,
    objective: str = "p_median",
    k: int = 1,
    threshold_min: float = 20.0,
    equity: bool = False,
    time_limit_s: float = 30.0,
) -> OptimiserRun:
    """Choose hubs for the neighbourhood of ``inputs``.

    Parameters
    ----------
    inputs
        From :func:`optimiser_inputs`.
    objective
        "p_median" (least demand-weighted minutes), "max_covering" (most demand within
        ``threshold_min``) or "set_covering" (fewest hubs putting all demand within it).
    k
        Hubs to open (p-median and maximal covering).
    threshold_min
        Coverage threshold in minutes (covering objectives).
    equity
        No IMD quintile worse off than with today's sites (p-median: its mean minutes;
        covering: its covered share).
    time_limit_s
        Seconds allowed to the solver.

    Returns
    -------
    OptimiserRun
        The chosen hubs with the solver's numbers and each zone's hub.

    Raises
    ------
    ConfigError
        Unknown objective, or equity asked for where there are no sites today or no
        IMD deciles.
    InfeasibleError
        From :mod:`estatesplan.optimise`, naming the numbers that make it infeasible
        (``k`` above the candidates, zones out of reach within the threshold, an equity
        baseline that cannot be met).
    """
    t0 = time.perf_counter()
    if objective not in OBJECTIVES:
        msg = f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}."
        raise ConfigError(msg)
    covering = objective != "p_median"
    thr = float(threshold_min) if covering else None
    groups: dict[str, tuple[_FArr, float]] | None = None
    if equity:
        if not inputs.today:
            msg = (
                f"the equity constraint compares with today's sites, and {inputs.neighbourhood_id} "
                "has none in the service set; switch equity off."
            )
            raise ConfigError(msg)
        parts = {f"IMD quintile {q}": inputs.demand * (inputs.quintile == q) for q in range(1, 6)}
        parts = {n: w for n, w in parts.items() if w.sum() > 0}
        if not parts:
            msg = f"the equity constraint needs IMD deciles, and {inputs.neighbourhood_id}'s zones have none."
            raise ConfigError(msg)
        groups = _opt.equity_baselines(inputs.cost, parts, inputs.today, threshold_min=thr)
    f, eq, tl, cost, demand = inputs.forbidden, groups, time_limit_s, inputs.cost, inputs.demand
    if objective == "p_median":
        sol = _opt.p_median(cost, demand, k, forbidden=f, equity=eq, time_limit_s=tl)
    elif objective == "max_covering":
        sol = _opt.max_covering(cost, demand, k, float(threshold_min), forbidden=f, equity=eq,
                                time_limit_s=tl)  # fmt: skip
    else:
        sol = _opt.set_covering(cost, float(threshold_min), demand=demand, forbidden=f,
                                equity=eq, time_limit_s=tl)  # fmt: skip
    today = (_opt.evaluate_sites(cost, demand, inputs.today, threshold_min=thr)
             if inputs.today and demand.sum() > 0 else None)  # fmt: skip
    open_sites = [int(j) for j in sol.open]
    site = [str(inputs.site_ids[j]) if j >= 0 else None for j in sol.assignment]
    none_label = "not covered" if covering else "unreachable"
    assignment = pd.DataFrame(
        {c.ZONE_ID: inputs.zone_ids, "demand": inputs.demand, "site": site,
         "minutes": np.asarray(sol.minutes, dtype=float),
         "catchment": [s if s is not None else none_label for s in site]}
    )  # fmt: skip
    run = OptimiserRun(
        objective=objective, k=None if objective == "set_covering" else int(k),
        threshold_min=thr, equity=equity, hubs=tuple(str(inputs.site_ids[j]) for j in open_sites),
        hub_names=tuple(str(inputs.site_names[j]) for j in open_sites), solution=sol,
        today=today, assignment=assignment,
    )  # fmt: skip
    logger.info(
        "optimiser %s for %s (%s, %s): %d hubs of %d candidates, %s, gap %.3g in %.2f s",
        objective, inputs.neighbourhood_id, inputs.cohort, inputs.mode, len(run.hubs),
        len(inputs.candidates), sol.method, sol.gap, time.perf_counter() - t0,
    )  # fmt: skip
    return run

"""Whole-life cost of assets and options: Green Book discounting, carbon values, forecast, NPV, payback.

A forecast runs one row per asset and year over a horizon (30 years by default) and
prices running cost, energy, backlog maintenance, capital works (with optimism bias),
disposal receipts and operational carbon at the government's appraisal values. Present
values use the HM Treasury Green Book's declining schedule of discount rates. Costs are
real (constant prices); carbon values are in 2022 prices (:func:`load_carbon_values`), and
``CostAssumptions.carbon_value_uplift`` moves them to the price base of the other costs.

Every assumption is a field of :class:`CostAssumptions`; ``CostAssumptions().describe()``
lists each with its unit, status (verified, secondary, derived or assumption) and source.
"""

from __future__ import annotations

import importlib.resources
import io
import logging
import math
import time
import types
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from . import retrofit as rt
from ._costs_payback import payback_year, payback_years
from .errors import ConfigError, DataContractError, DataQualityWarning, MissingColumnError
from .validate import format_ids

__all__ = [
    "ACTIONS",
    "CARBON_SERIES",
    "GREEN_BOOK_SCHEDULE",
    "OPTIMISM_BIAS",
    "TOTAL_ROW",
    "CostAssumptions",
    "carbon_values",
    "discount_factors",
    "forecast",
    "load_carbon_values",
    "npv",
    "payback_year",
    "payback_years",
]

logger = logging.getLogger(__name__)

GREEN_BOOK_SCHEDULE: Final[tuple[tuple[int, float], ...]] = (
    (0, 0.035), (31, 0.030), (76, 0.025), (126, 0.020), (201, 0.015), (301, 0.010),
)  # fmt: skip
"""HM Treasury Green Book declining discount rates as (first year of the band, rate).

3.5 % for years 0-30, 3.0 % for 31-75, 2.5 % for 76-125, 2.0 % for 126-200, 1.5 % for
201-300, 1.0 % after (Green Book 2022, Annex A6; Table 6.1 of the 2003 edition). Year t's
factor is year t-1's divided by (1 + year t's rate): year 31 adds 3.0 % to 30 at 3.5 %.
"""

OPTIMISM_BIAS: Final[Mapping[str, tuple[float, float]]] = types.MappingProxyType(
    {"standard_buildings": (0.02, 0.24), "non_standard_buildings": (0.04, 0.51)}
)
"""Optimism bias on capital expenditure as (lower bound, upper bound) fractions.

HM Treasury Green Book supplementary guidance on optimism bias (Mott MacDonald, 2002,
"Review of large public procurement in the UK", Table 2): standard buildings 2-24 %,
non-standard buildings 4-51 %. Use the upper bound at outline stage.
"""

CARBON_SERIES: Final[tuple[str, ...]] = ("low", "central", "high")
"""DESNZ carbon value series."""

ACTIONS: Final[tuple[str, ...]] = ("keep", "refurbish", "retrofit", "new_build", "dispose")
"""What an option does to an asset in a year (see :func:`forecast`)."""

TOTAL_ROW: Final = "TOTAL"
"""Label of the all-assets row that :func:`npv` adds."""

_COMPONENTS: Final = (
    "running_cost_gbp", "energy_cost_gbp", "backlog_gbp", "capital_gbp", "disposal_gbp",
    "carbon_value_gbp",
)  # fmt: skip


def _a(default: Any, unit: str, status: str, source: str) -> Any:
    return field(default=default, metadata={"unit": unit, "status": status, "source": source})


def _nonneg(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


_ERIC = (
    "NHS Digital ERIC 2016-17 trust-level returns (shared data pack), COMMUNITY trusts, median of"
)


@dataclass(frozen=True)
class CostAssumptions:
    """Named, documented cost assumptions (prices real, £ of ``price_base_year``).

    Each field carries its unit, status and source in its metadata; see :meth:`describe`.
    Fields: ``start_year`` (calendar year of year 0), ``horizon_years``, energy prices
    (£/kWh), ``running_cost_gbp_m2`` and ``backlog_gbp_m2`` (used only where an asset's
    own value is missing, and labelled as estimates), ``backlog_year`` (years after the
    start when backlog is cleared), capital rates (£/m² GIA), ``new_build_electricity_kwh_m2``
    (an all-electric new building), ``disposal_receipt_gbp_m2``, ``optimism_bias``,
    ``carbon_series``, ``carbon_value_uplift`` and ``running_cost_includes_energy``.

    Raises
    ------
    ConfigError
        From construction, listing every field with a bad value (a horizon below one
        year, a negative price or rate, an unknown carbon series, ...).
    """

    # fmt: off
    start_year: int = _a(2025, "year", "assumption", "First appraisal year (year 0); set to the year of the decision.")
    horizon_years: int = _a(30, "years", "assumption", "Issue 5 default appraisal period; Green Book appraisals of buildings commonly run 30 years.")
    price_base_year: int = _a(2024, "year", "assumption", "Price base of the energy and capital rates below (real terms).")
    electricity_price_gbp_kwh: float = _a(0.24, "GBP/kWh", "assumption", "Order of 2024 UK business unit rates (about 21-24 p/kWh in supplier surveys); update from DESNZ Quarterly Energy Prices non-domestic tables (3.4.x), not read here.")
    gas_price_gbp_kwh: float = _a(0.06, "GBP/kWh", "assumption", "Order of 2024 UK non-domestic gas unit rates; update from DESNZ Quarterly Energy Prices non-domestic tables, not read here.")
    running_cost_gbp_m2: float = _a(77.0, "GBP/m2 GIA/year", "derived", f"{_ERIC} (estates and property maintenance + other hard FM + other soft FM + cleaning) / GIA, 2016-17 cash prices, excluding energy, rates and rent.")
    backlog_gbp_m2: float = _a(27.0, "GBP/m2 GIA", "derived", f"{_ERIC} cost to eradicate high + significant + moderate + low risk backlog / GIA, 2016-17 cash prices.")
    backlog_year: int = _a(0, "years after start", "assumption", "Backlog is cleared as one payment in this year of the forecast.")
    refurbishment_gbp_m2: float = _a(1500.0, "GBP/m2 GIA", "assumption", "Assumption of this project for a major refurbishment of a health or community building; replace with a BCIS or quantity surveyor's rate.")
    new_build_gbp_m2: float = _a(3500.0, "GBP/m2 GIA", "assumption", "Assumption of this project; Building magazine cost models gave GBP 2,000-2,500/m2 GIFA for community hospitals (South East, mid-2010s), before inflation since; replace with a BCIS rate.")
    new_build_electricity_kwh_m2: float = _a(100.0, "kWh/m2 GIA/year", "assumption", "All-electric new building with no gas; the intensity is an assumption of this project.")
    disposal_receipt_gbp_m2: float = _a(0.0, "GBP/m2 GIA", "assumption", "No receipt unless a valuation is given (conservative).")
    optimism_bias: float = _a(0.24, "fraction of capex", "verified", "Green Book supplementary guidance (Mott MacDonald 2002, Table 2): standard buildings, capital expenditure, upper bound 24 %.")
    carbon_series: str = _a("central", "series", "verified", "DESNZ carbon values for appraisal: low, central or high (estatesplan/data/carbon_values.csv).")
    carbon_value_uplift: float = _a(1.0, "multiplier", "assumption", "Multiplies the 2022-price carbon values to reach price_base_year (e.g. the GDP deflator ratio); 1.0 leaves them in 2022 prices.")
    running_cost_includes_energy: bool = _a(False, "flag", "assumption", "False: running_cost_gbp excludes energy, which is costed from kWh. True: the baseline energy cost is subtracted from it first.")
    # fmt: on

    def __post_init__(self) -> None:
        vals = {f.name: (getattr(self, f.name), f) for f in fields(self)}
        bad = [
            f"{k} must be a finite number >= 0 ({f.metadata['unit']}), got {v!r}"
            for k, (v, f) in vals.items()
            if f.type in {"float", "int"} and not _nonneg(v)
        ]
        if not (isinstance(self.horizon_years, int) and self.horizon_years >= 1):
            bad.append(
                f"horizon_years must be a whole number of years >= 1, got {self.horizon_years!r}"
            )
        if not 1990 <= self.start_year <= 2100:
            bad.append(f"start_year {self.start_year!r} is not a plausible calendar year")
        if not 0 <= self.backlog_year < max(int(self.horizon_years), 1):
            bad.append(
                f"backlog_year must lie in the horizon (0-{self.horizon_years}), got {self.backlog_year!r}"
            )
        if self.carbon_series not in CARBON_SERIES:
            bad.append(f"carbon_series must be one of {CARBON_SERIES}, got {self.carbon_series!r}")
        if bad:
            msg = f"CostAssumptions: {'; '.join(bad)}."
            raise ConfigError(msg)

    def describe(self) -> pd.DataFrame:
        """Return every assumption: field, value, unit, status and source (one row each)."""
        rows = [
            (f.name, getattr(self, f.name), *(f.metadata[k] for k in ("unit", "status", "source")))
            for f in fields(self)
        ]
        return pd.DataFrame(rows, columns=["field", "value", "unit", "status", "source"])  # fmt: skip


def discount_factors(
    n_years: int, *, schedule: Sequence[tuple[int, float]] = GREEN_BOOK_SCHEDULE
) -> np.ndarray:
    """Return Green Book discount factors for years 0 .. n_years - 1.

    Parameters
    ----------
    n_years
        Number of years (>= 1); year 0 has factor 1.
    schedule
        ``(first year of band, annual rate)`` pairs starting at year 0.

    Returns
    -------
    numpy.ndarray
        float64 factors, ``d[t] = d[t-1] / (1 + r_t)``.

    Raises
    ------
    ConfigError
        If ``n_years`` < 1 or the schedule does not start at 0 with increasing years.

    Examples
    --------
    >>> d = discount_factors(32)
    >>> round(float(d[1]), 6), round(float(d[31] / d[30]), 6)
    (0.966184, 0.970874)
    """
    if isinstance(n_years, bool) or not isinstance(n_years, int | np.integer) or n_years < 1:
        msg = f"discount_factors: n_years must be a whole number >= 1, got {n_years!r}; a horizon of zero years has nothing to discount."
        raise ConfigError(msg)
    starts = [int(s) for s, _ in schedule]
    if (
        not starts
        or starts[0] != 0
        or starts != sorted(set(starts))
        or any(r <= -1 for _, r in schedule)
    ):
        msg = f"discount_factors: schedule {list(schedule)!r} must start at year 0, with increasing years and rates above -100 %."
        raise ConfigError(msg)
    t = np.arange(n_years)
    rates = np.asarray([r for _, r in schedule], dtype=np.float64)[
        np.searchsorted(starts, t, side="right") - 1
    ]
    growth = np.where(t == 0, 1.0, 1.0 + rates)
    return np.asarray(1.0 / np.cumprod(growth), dtype=np.float64)


def load_carbon_values() -> pd.DataFrame:
    """Return the packaged DESNZ carbon values, indexed by year.

    Returns
    -------
    pandas.DataFrame
        Columns ``low``, ``central``, ``high`` (£/tCO2e, 2022 prices), ``unit``,
        ``price_base_year``, ``status``, ``source``, ``notes``; years 2020-2050.
    """
    text = importlib.resources.files("estatesplan").joinpath("data/carbon_values.csv")
    return pd.read_csv(io.StringIO(text.read_text(encoding="utf-8"))).set_index("year")


def carbon_values(
    years: Sequence[int] | np.ndarray,
    *,
    series: str = "central",
    beyond: Literal["hold", "error"] = "hold",
) -> np.ndarray:
    """Return DESNZ appraisal carbon values in £/tCO2e (2022 prices) for each year.

    Parameters
    ----------
    years
        Calendar years.
    series
        ``"low"``, ``"central"`` or ``"high"``.
    beyond
        After the table's last year (2050): ``"hold"`` keeps the last value in real
        terms (an assumption; the published values keep rising) or ``"error"``.

    Returns
    -------
    numpy.ndarray
        float64 values, one per year.

    Raises
    ------
    ConfigError
        For an unknown series, a year before the table, or after it with ``"error"``.

    Examples
    --------
    >>> carbon_values([2025, 2030]).tolist()
    [273.06, 294.5]
    """
    if series not in CARBON_SERIES:
        msg = f"carbon_values: series must be one of {CARBON_SERIES}, got {series!r}."
        raise ConfigError(msg)
    tab = load_carbon_values()
    first, last = int(tab.index.min()), int(tab.index.max())
    yrs = np.asarray(years, dtype=np.int64)
    if (early := yrs < first).any() or (beyond == "error" and (yrs > last).any()):
        msg = f"carbon_values: years {sorted(set(yrs[early | (yrs > last)].tolist()))} are outside the DESNZ table ({first}-{last}); choose years in it."
        raise ConfigError(msg)
    values = tab[series].astype(np.float64)
    return values.reindex(np.minimum(yrs, last)).to_numpy(dtype=np.float64)


def _col(frame: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name not in frame.columns:
        return np.full(n, np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)


def _actions(actions: pd.DataFrame | None, ids: pd.Series, years: np.ndarray) -> pd.DataFrame:
    """Validate and sort the action rows."""
    if actions is None or actions.empty:
        return pd.DataFrame(columns=["asset_id", "action", "year", "measures", "gia_m2"])
    if missing := {"asset_id", "action", "year"} - set(actions.columns):
        msg = f"forecast actions: missing columns {sorted(missing)}; give asset_id, action, year (and measures for retrofit, optionally gia_m2 for new_build)."
        raise ConfigError(msg)
    act = actions.copy()
    act["asset_id"], act["action"] = act["asset_id"].astype(str), act["action"].astype(str)
    act["year"] = pd.to_numeric(act["year"], errors="coerce")
    act["measures"] = act["measures"] if "measures" in act.columns else None
    act["gia_m2"] = pd.to_numeric(act["gia_m2"] if "gia_m2" in act.columns else np.nan)
    problems = []
    if bad := sorted(set(act["action"]) - set(ACTIONS)):
        problems.append(f"unknown actions {bad} (known: {', '.join(ACTIONS)})")
    if unknown := sorted(set(act["asset_id"]) - set(ids)):
        problems.append(f"assets not in the asset layer: {format_ids(unknown)}")
    for what, mask in (
        (f"years outside the forecast {years[0]}-{years[-1]}", ~act["year"].isin(years)),
        ("retrofit without measures", (act["action"] == "retrofit") & act["measures"].map(lambda m: not _split(m))),
    ):  # fmt: skip
        if mask.any():
            problems.append(f"{what} for assets {format_ids(act.loc[mask, 'asset_id'])}")
    act = act.sort_values("year", kind="stable")
    early_exit = (act["action"] == "dispose") & (
        act.groupby("asset_id").cumcount(ascending=False) > 0
    )
    if early_exit.any():
        problems.append(
            f"actions after disposal for assets {format_ids(act.loc[early_exit, 'asset_id'])}"
        )
    if problems:
        msg = f"forecast actions: {'; '.join(problems)}."
        raise ConfigError(msg)
    return act


def _split(measures: object) -> list[str]:
    if isinstance(measures, str):
        return [m.strip() for m in measures.replace(";", ",").split(",") if m.strip()]
    if isinstance(measures, list | tuple | np.ndarray):
        return [str(m) for m in measures]
    return []  # None, NaN or NA: no measures


def forecast(
    assets: pd.DataFrame,
    operational: pd.DataFrame,
    *,
    assumptions: CostAssumptions | None = None,
    actions: pd.DataFrame | None = None,
    factors: rt.FactorLike | None = None,
    grid_decarbonisation: rt.GridPath = None,
    measures: rt.MeasureTable | None = None,
    on_missing: Literal["raise", "nan"] = "raise",
) -> pd.DataFrame:
    """Forecast each asset's yearly costs, carbon and present value under an option.

    Parameters
    ----------
    assets
        Asset rows: ``asset_id``; ``gia_m2`` (m²), ``running_cost_gbp`` (£/year) and
        ``backlog_gbp`` (£) where known (NaN or absent: unknown).
    operational
        From ``carbon.operational_emissions``, indexed like ``assets``:
        ``electricity_kwh``, ``gas_kwh`` (kWh/year), ``tco2e`` (t/year, used when
        ``factors`` is None); ``energy_estimated`` / ``energy_basis`` are carried.
    assumptions
        Rates and horizon; ``CostAssumptions()`` by default.
    actions
        The option: rows of ``asset_id``, ``action`` (one of :data:`ACTIONS`), calendar
        ``year``, ``measures`` (retrofit: names from ``retrofit.MEASURES``, comma-separated
        or a list) and optional ``gia_m2`` (new_build). None: keep everything.
        ``refurbish`` pays refurbishment £/m² and absorbs uncleared backlog; ``retrofit``
        pays each measure's capex (again when its life ends) and changes energy from that
        year; ``new_build`` pays new-build £/m², is all-electric at
        ``new_build_electricity_kwh_m2`` with benchmark running cost and no backlog;
        ``dispose`` takes the receipt and ends every cost. Capital carries optimism bias.
    factors
        ``get("electricity")``, ``get("gas")`` in kgCO2e/kWh; needed by retrofit and
        new_build actions and by ``grid_decarbonisation``
        (``retrofit.electricity_factor_path``).
    measures
        Retrofit measure table; the packaged one by default.
    on_missing
        Where a missing GIA blocks an estimate or a capital cost: ``"raise"`` or
        ``"nan"`` (NaN values and a DataQualityWarning).

    Returns
    -------
    pandas.DataFrame
        One row per asset and year (asset-major): ``asset_id``, ``year``, ``action``,
        ``running_cost_gbp``, ``energy_cost_gbp``, ``backlog_gbp``, ``capital_gbp``
        (with optimism bias), ``optimism_bias_gbp`` (the part of capital that is bias),
        ``disposal_gbp`` (receipts negative), ``electricity_kwh``, ``gas_kwh``,
        ``carbon_t``, ``carbon_value_gbp``, ``total_gbp`` (sum of the £ components
        above bar optimism_bias_gbp), ``discount_factor``, ``pv_gbp``, ``cost_estimated``,
        ``cost_basis``, ``energy_estimated``, ``energy_basis``, ``carbon_value_extrapolated``.

    Raises
    ------
    ConfigError
        For bad actions (unknown action, asset or year, retrofit without measures, an
        action after disposal) or ones that need ``factors`` without them.
    MissingColumnError
        If a needed column is missing.
    DataContractError
        If the frames are not aligned, values are negative, or a needed GIA is missing.
    """
    t0 = time.perf_counter()
    a = assumptions if assumptions is not None else CostAssumptions()
    rt._check_frames(
        assets, operational, where="forecast", need=("tco2e",) if factors is None else ("gas_kwh",)
    )
    ids = assets["asset_id"].astype(str).reset_index(drop=True)
    n, ny = len(ids), a.horizon_years
    years = a.start_year + np.arange(ny)
    gia, run0, back0 = (_col(assets, c, n) for c in ("gia_m2", "running_cost_gbp", "backlog_gbp"))
    el0, gas0 = _col(operational, "electricity_kwh", n), _col(operational, "gas_kwh", n)
    named = dict(zip(("gia_m2", "running_cost_gbp", "backlog_gbp", "electricity_kwh", "gas_kwh"), (gia, run0, back0, el0, gas0), strict=True))  # fmt: skip
    for name, arr in named.items():
        if (arr < 0).any():
            msg = f"forecast: negative {name} for assets {format_ids(ids[arr < 0])}; fix the input values."
            raise DataContractError(msg)
    act = _actions(actions, ids, years)
    if factors is None and (
        grid_decarbonisation is not None or act["action"].isin(["retrofit", "new_build"]).any()
    ):
        msg = "forecast: retrofit and new_build actions and grid_decarbonisation change emissions, so they need factors (e.g. carbon.load_factors(2024))."
        raise ConfigError(msg)

    est_run, est_back = np.isnan(run0), np.isnan(back0)
    needs_gia = est_run | est_back
    pos = pd.Series(np.arange(n), index=ids.to_numpy())
    own_gia = (act["action"] == "new_build") & act["gia_m2"].notna()
    priced = act.loc[act["action"].isin(ACTIONS[1:]) & ~own_gia, "asset_id"]
    needs_gia[pos[priced].to_numpy(dtype=np.int64)] = True
    if (lack := needs_gia & np.isnan(gia)).any():
        text = f"forecast: assets {format_ids(ids[lack])} have no gia_m2, needed to estimate running cost or backlog (GBP/m2) or to price their action"
        if on_missing == "raise":
            msg = f"{text}; give their GIA, their costs, or on_missing='nan'."
            raise DataContractError(msg)
        warnings.warn(f"{text}; their values are NaN.", DataQualityWarning, stacklevel=2)
    run0 = np.where(est_run, gia * a.running_cost_gbp_m2, run0)
    back0 = np.where(est_back, gia * a.backlog_gbp_m2, back0)
    if a.running_cost_includes_energy:
        energy0 = el0 * a.electricity_price_gbp_kwh + gas0 * a.gas_price_gbp_kwh
        run0 = np.maximum(run0 - energy0, 0.0)

    shape = (n, ny)
    el, gas = np.repeat(el0[:, None], ny, axis=1), np.repeat(gas0[:, None], ny, axis=1)
    run = np.repeat(run0[:, None], ny, axis=1)
    backlog, capex, disposal = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    backlog[:, int(a.backlog_year)] = back0
    alive = np.ones(shape)
    label = np.full(shape, "keep", dtype=object)
    tab = measures if measures is not None else rt.load_measures()
    cols = (act["asset_id"], act["action"], act["year"].astype(int), act["measures"], act["gia_m2"])
    for aid, kind, year, names_in, gia_in in zip(*cols, strict=True):
        i, t = int(pos[str(aid)]), int(year) - a.start_year
        label[i, t:] = kind
        if kind == "refurbish":
            capex[i, t] += a.refurbishment_gbp_m2 * gia[i]
            backlog[i, t:] = 0.0
        elif kind == "retrofit":
            names = _split(names_in)
            el[i, t:], gas[i, t:] = rt.apply_measures(
                el[i, t:], gas[i, t:], np.full(ny - t, gia[i]), names, table=tab
            )
            for m in names:
                capex[i, t : ny : tab.lifetime_years(m)] += tab.capex_gbp_m2(m) * gia[i]
        elif kind == "new_build":
            g_new = gia[i] if np.isnan(gia_in) else float(gia_in)
            capex[i, t] += a.new_build_gbp_m2 * g_new
            el[i, t:], gas[i, t:] = g_new * a.new_build_electricity_kwh_m2, 0.0
            run[i, t:], backlog[i, t:] = g_new * a.running_cost_gbp_m2, 0.0
        elif kind == "dispose":
            disposal[i, t] = -a.disposal_receipt_gbp_m2 * gia[i]
            alive[i, t:], backlog[i, t:] = 0.0, 0.0
    el, gas, run = el * alive, gas * alive, run * alive
    energy = el * a.electricity_price_gbp_kwh + gas * a.gas_price_gbp_kwh
    if factors is not None:
        ef = rt.electricity_factor_path(factors.get("electricity"), years, grid_decarbonisation)
        carbon = (el * ef[None, :] + gas * float(factors.get("gas"))) / 1000.0
    else:
        carbon = np.repeat(_col(operational, "tco2e", n)[:, None], ny, axis=1) * alive
    cv = carbon_values(years, series=a.carbon_series) * a.carbon_value_uplift
    carbon_value = carbon * cv[None, :]
    bias = capex * a.optimism_bias
    capital = capex + bias
    total = run + energy + backlog + capital + disposal + carbon_value
    d = discount_factors(ny)

    est = {
        "running cost": (est_run, a.running_cost_gbp_m2),
        "backlog": (est_back, a.backlog_gbp_m2),
    }
    basis = [
        "; ".join(f"{k} estimated at GBP {v:g}/m2 GIA (ERIC 2016-17 benchmark)" for k, (m, v) in est.items() if m[i])
        or "recorded running cost and backlog"
        for i in range(n)
    ]  # fmt: skip
    out = pd.DataFrame(
        {"asset_id": np.repeat(ids.to_numpy(dtype=object), ny), "year": np.tile(years, n)}
    )
    out["action"] = label.ravel()
    for name, arr in (
        ("running_cost_gbp", run), ("energy_cost_gbp", energy), ("backlog_gbp", backlog),
        ("capital_gbp", capital), ("optimism_bias_gbp", bias), ("disposal_gbp", disposal),
        ("electricity_kwh", el), ("gas_kwh", gas), ("carbon_t", carbon),
        ("carbon_value_gbp", carbon_value), ("total_gbp", total),
    ):  # fmt: skip
        out[name] = arr.ravel()
    out["discount_factor"] = np.tile(d, n)
    out["pv_gbp"] = out["total_gbp"] * out["discount_factor"]
    out["cost_estimated"] = np.repeat(est_run | est_back, ny)
    out["cost_basis"] = np.repeat(basis, ny)
    for col, fill in (("energy_estimated", False), ("energy_basis", "not stated")):
        vals = operational[col] if col in operational.columns else pd.Series([fill] * n)
        out[col] = np.repeat(vals.to_numpy(), ny)
    out["carbon_value_extrapolated"] = np.tile(years > int(load_carbon_values().index.max()), n)
    logger.info(
        "forecast: %d assets x %d years (%d-%d), %d actions, PV GBP %.0f in %.2f s",
        n, ny, years[0], years[-1], len(act), float(np.nansum(out["pv_gbp"])), time.perf_counter() - t0,
    )  # fmt: skip
    return out


def npv(forecast_frame: pd.DataFrame, *, total: bool = True) -> pd.DataFrame:
    """Return present values per asset (and for all assets) from a :func:`forecast`.

    Parameters
    ----------
    forecast_frame
        From :func:`forecast`.
    total
        Add a :data:`TOTAL_ROW` row summing every asset.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``asset_id``: ``pv_<component>`` for each £ component and
        ``pv_total_gbp`` (all in £ of the price base, discounted to the start year),
        and ``carbon_t`` (undiscounted tonnes over the horizon). NaN inputs give NaN.

    Raises
    ------
    MissingColumnError
        If the frame lacks forecast columns.
    """
    need = ["asset_id", "discount_factor", "carbon_t", "total_gbp", *_COMPONENTS]
    if missing := [c for c in need if c not in forecast_frame.columns]:
        msg = f"npv: missing columns {missing}; pass the frame returned by costs.forecast."
        raise MissingColumnError(msg)
    f = forecast_frame
    pv = pd.DataFrame({f"pv_{c}": f[c] * f["discount_factor"] for c in (*_COMPONENTS, "total_gbp")})
    pv["carbon_t"] = f["carbon_t"]
    out = pv.groupby(f["asset_id"].astype(str), sort=False).sum(min_count=1)
    out = out.where(~pv.isna().groupby(f["asset_id"].astype(str), sort=False).any())
    if total:
        if TOTAL_ROW in out.index:
            msg = f"npv: an asset is called {TOTAL_ROW!r}; call npv(..., total=False)."
            raise DataContractError(msg)
        out.loc[TOTAL_ROW] = out.sum(skipna=False)
    out.index.name = "asset_id"
    return out

"""Retrofit measures, decarbonisation trajectories per asset and the gap to the NHS net-zero targets.

Four typical measures, each from rows of ``estatesplan/data/retrofit_measures.csv`` (one
row per measure and parameter, with unit, source and status: published or assumption):
``fabric`` cuts gas kWh by ``heating_saving``; ``led_lighting`` cuts electricity by
``lighting_share_of_electricity`` x ``lighting_saving``; ``heat_pump`` replaces the gas
boiler, supplying the heat it gave (gas x ``heating_share_of_gas`` x ``boiler_efficiency``)
with heat / ``scop`` kWh of electricity; ``solar_pv`` generates ``gia_m2`` x
``roof_share_of_gia`` x ``kwp_per_m2_roof`` x ``kwh_per_kwp`` kWh a year, offsetting
imports up to the electricity used (exports are not credited). Measures apply in the
order of :data:`MEASURES` whatever order they are listed in.

NHS targets ("Delivering a net zero National Health Service", NHS England, 2020): the NHS
Carbon Footprint reaches net zero by 2040, with an ambition of an 80 % cut by 2028-2032,
both against 1990. No asset has 1990 data, so :func:`net_zero_gap` measures the gap from
a *configured baseline year* and says so in every row of its output.
"""

from __future__ import annotations

import functools
import importlib.resources
import io
import logging
import os
import time
import types
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, Protocol

import numpy as np
import pandas as pd

from .errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    MissingColumnError,
)
from .validate import format_ids

__all__ = [
    "GRID_PATHS",
    "MEASURES",
    "NHS_INTERIM_WINDOW",
    "NHS_TARGETS",
    "FactorLike",
    "MeasureTable",
    "apply_measures",
    "electricity_factor_path",
    "load_measures",
    "net_zero_gap",
    "retrofit_trajectory",
]

logger = logging.getLogger(__name__)

MEASURES: Final[tuple[str, ...]] = ("fabric", "led_lighting", "heat_pump", "solar_pv")
"""Known measures, in the order they are applied."""

# fmt: off
_PARAMETERS: Final[Mapping[str, tuple[str, ...]]] = types.MappingProxyType({
    "fabric": ("heating_saving", "capex_gbp_m2", "lifetime_years"),
    "led_lighting": ("lighting_share_of_electricity", "lighting_saving", "capex_gbp_m2", "lifetime_years"),
    "heat_pump": ("scop", "boiler_efficiency", "heating_share_of_gas", "capex_gbp_m2", "lifetime_years"),
    "solar_pv": ("kwh_per_kwp", "kwp_per_m2_roof", "roof_share_of_gia", "capex_gbp_per_kwp", "lifetime_years"),
})
_FRACTIONS: Final = frozenset({
    "heating_saving", "lighting_share_of_electricity", "lighting_saving", "boiler_efficiency",
    "heating_share_of_gas", "roof_share_of_gia",
})
# fmt: on

NHS_TARGETS: Final[tuple[tuple[int, float], ...]] = ((2032, 0.20), (2040, 0.0))
"""NHS Carbon Footprint targets as (year, share of baseline emissions allowed).

From "Delivering a net zero National Health Service" (NHS England, October 2020): net
zero by 2040, with an ambition of an 80 % reduction by 2028-2032. The 80 % point is
placed at the end of that window (2032); pass ``((2028, 0.2), (2040, 0.0))`` for the
strict reading. Between points the target falls linearly (an assumption: the NHS
publishes only the points).
"""

NHS_INTERIM_WINDOW: Final = (2028, 2032)  # years of the NHS ambition of an 80 % cut

GRID_PATHS: Final[Mapping[str, tuple[int, float]]] = types.MappingProxyType(
    {"power_2035": (2035, 0.10), "clean_power_2030": (2030, 0.10)}
)
"""Named grid-decarbonisation assumptions: (year reached, share of today's factor left).

``power_2035``: the UK Government's commitment (October 2021) to a decarbonised power
system by 2035, subject to security of supply; ``clean_power_2030``: the 2024 Clean Power
2030 aim (about 95 % low-carbon generation). The factor falls linearly from the first
trajectory year to the target year, then stays flat; the residual 10 % is an assumption
of this project. For appraisal pass DESNZ Green Book supplementary guidance grid-average
factors (data table 1) as a ``{year: kgCO2e/kWh}`` mapping instead.
"""

GridPath = str | Mapping[int, float] | None  # None, a GRID_PATHS name, or {year: kgCO2e/kWh}


class FactorLike(Protocol):
    """Emission factors by key (``carbon.load_factors`` returns one)."""

    def get(self, key: str) -> float:
        """Return the factor for ``key`` in kgCO2e per unit (kWh for energy)."""
        ...


@dataclass(frozen=True, eq=False)
class MeasureTable:
    """Retrofit measure parameters (``frame``: measure, parameter, value, unit, status, source, notes)."""

    frame: pd.DataFrame

    @functools.cached_property
    def _values(self) -> dict[tuple[str, str], float]:
        keys = zip(self.frame["measure"], self.frame["parameter"], strict=True)
        return dict(zip(keys, self.frame["value"].astype(float), strict=True))

    def get(self, measure: str, parameter: str) -> float:
        """Return one parameter of one measure (units as in the table); ConfigError if unknown."""
        values = self._values
        if (measure, parameter) not in values:
            _check_measures([measure])
            msg = f"retrofit measure {measure!r} has no parameter {parameter!r}; it has {', '.join(_PARAMETERS[measure])}."
            raise ConfigError(msg)
        return float(values[measure, parameter])

    def capex_gbp_m2(self, measure: str) -> float:
        """Return the capital cost of a measure in £ per m² GIA (before optimism bias)."""
        if measure != "solar_pv":
            return self.get(measure, "capex_gbp_m2")
        per_kwp = self.get(measure, "capex_gbp_per_kwp")
        return (
            per_kwp * self.get(measure, "kwp_per_m2_roof") * self.get(measure, "roof_share_of_gia")
        )

    def lifetime_years(self, measure: str) -> int:
        """Return the years a measure lasts before it must be replaced."""
        return round(self.get(measure, "lifetime_years"))


def load_measures(path: str | os.PathLike[str] | None = None) -> MeasureTable:
    """Read the retrofit measures table (the packaged one by default).

    Parameters
    ----------
    path
        A CSV with the columns of ``estatesplan/data/retrofit_measures.csv`` (measure,
        parameter, value, unit, status, source, notes), or None for the packaged table.

    Returns
    -------
    MeasureTable
        The validated table.

    Raises
    ------
    DataSourceError
        If a measure or parameter is unknown, missing or repeated, or a value is not a
        finite non-negative number (fractions at most 1; SCOP and lifetimes above 0).
    """
    if path is None:
        where = "estatesplan/data/retrofit_measures.csv"
        text = importlib.resources.files("estatesplan").joinpath("data/retrofit_measures.csv")
        frame = pd.read_csv(io.StringIO(text.read_text(encoding="utf-8")), keep_default_na=False)
    else:
        where = str(path)
        frame = pd.read_csv(path, keep_default_na=False)
    missing = {"measure", "parameter", "value", "source"} - set(frame.columns)
    if missing:
        msg = f"{where}: missing columns {sorted(missing)}; see estatesplan/data/retrofit_measures.csv."
        raise DataSourceError(msg)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    problems = []
    cols = (
        frame["measure"],
        frame["parameter"],
        frame["value"].to_numpy(np.float64),
        frame["source"],
    )
    cells = zip(*cols, strict=True)
    for i, (m, p, v, src) in enumerate(cells, start=2):
        if m not in _PARAMETERS or p not in _PARAMETERS[m]:
            problems.append(f"line {i}: unknown measure/parameter {m}/{p}")
        elif not (np.isfinite(v) and v >= 0) or (p in _FRACTIONS and v > 1):
            problems.append(f"line {i}: {m}/{p} = {v} is not a valid value")
        elif p in {"scop", "lifetime_years"} and v <= 0:
            problems.append(f"line {i}: {m}/{p} must be positive")
        elif not str(src).strip():
            problems.append(f"line {i}: {m}/{p} has no source")
    for m in set(frame["measure"]) & set(_PARAMETERS):
        rows = frame[frame["measure"] == m]
        if lacking := [p for p in _PARAMETERS[m] if (rows["parameter"] == p).sum() != 1]:
            problems.append(f"measure {m} needs exactly one row for each of {lacking}")
    if problems:
        msg = f"{where}: {'; '.join(problems)}."
        raise DataSourceError(msg)
    return MeasureTable(frame=frame)


def _check_measures(measures: Sequence[str]) -> None:
    unknown = sorted({str(m) for m in measures} - set(MEASURES))
    if unknown:
        msg = f"unknown retrofit measures {unknown}; known measures are {', '.join(MEASURES)}."
        raise ConfigError(msg)


def _apply(
    el: np.ndarray, gs: np.ndarray, gia: np.ndarray, on: Mapping[str, np.ndarray], tab: MeasureTable
) -> tuple[np.ndarray, np.ndarray]:
    """Apply each measure where ``on[measure]`` is True, in :data:`MEASURES` order."""
    g = tab.get
    if "fabric" in on:
        gs = np.where(on["fabric"], gs * (1.0 - g("fabric", "heating_saving")), gs)
    if "led_lighting" in on:
        cut = g("led_lighting", "lighting_share_of_electricity") * g(
            "led_lighting", "lighting_saving"
        )
        el = np.where(on["led_lighting"], el * (1.0 - cut), el)
    if "heat_pump" in on:
        moved = gs * g("heat_pump", "heating_share_of_gas")
        heat_kwh = moved * g("heat_pump", "boiler_efficiency")
        el = np.where(on["heat_pump"], el + heat_kwh / g("heat_pump", "scop"), el)
        gs = np.where(on["heat_pump"], gs - moved, gs)
    if "solar_pv" in on:
        kwp = gia * g("solar_pv", "roof_share_of_gia") * g("solar_pv", "kwp_per_m2_roof")
        el = np.where(on["solar_pv"], np.maximum(el - kwp * g("solar_pv", "kwh_per_kwp"), 0.0), el)
    return el, gs


def apply_measures(
    electricity_kwh: np.ndarray | pd.Series,
    gas_kwh: np.ndarray | pd.Series,
    gia_m2: np.ndarray | pd.Series,
    measures: Sequence[str],
    *,
    table: MeasureTable | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return electricity and gas kWh a year after installing ``measures`` on every building.

    Parameters
    ----------
    electricity_kwh, gas_kwh
        Yearly kWh before the measures (NaN unknown: stays NaN), one per building.
    gia_m2
        Gross internal area in m² (used by ``solar_pv`` only; NaN gives NaN there).
    measures
        Names from :data:`MEASURES`, in any order (applied in :data:`MEASURES` order).
    table
        Measure parameters; the packaged table by default.

    Returns
    -------
    tuple of numpy.ndarray
        Electricity kWh and gas kWh a year after the measures, float64.

    Raises
    ------
    ConfigError
        If a measure is unknown.
    DataContractError
        If the arrays differ in length or hold negative kWh or area.

    Examples
    --------
    >>> el, gas = apply_measures([100_000.0], [200_000.0], [1000.0], ["heat_pump"])
    >>> float(el[0]), float(gas[0])  # 200,000 x 0.84 / 2.8 = 60,000 kWh added
    (160000.0, 0.0)
    """
    _check_measures(measures)
    el, gs, gia = (np.asarray(a, dtype=np.float64) for a in (electricity_kwh, gas_kwh, gia_m2))
    if not el.shape == gs.shape == gia.shape:
        msg = f"apply_measures: electricity_kwh, gas_kwh and gia_m2 differ in length ({el.shape}, {gs.shape}, {gia.shape})."
        raise DataContractError(msg)
    for name, arr in (("electricity_kwh", el), ("gas_kwh", gs), ("gia_m2", gia)):
        if np.any(arr < 0):
            msg = f"apply_measures: {name} is negative at positions {format_ids(np.flatnonzero(arr < 0))}; kWh and m² cannot be negative."
            raise DataContractError(msg)
    tab = table if table is not None else load_measures()
    on = np.ones(el.shape, dtype=bool)
    return _apply(el, gs, gia, dict.fromkeys(measures, on), tab)


def electricity_factor_path(
    base_factor: float, years: Sequence[int] | np.ndarray, grid_decarbonisation: GridPath = None
) -> np.ndarray:
    """Return the grid electricity factor (kgCO2e/kWh) for each of ``years`` (ascending).

    Parameters
    ----------
    base_factor
        Today's factor in kgCO2e/kWh (e.g. ``factors.get("electricity")``).
    years
        Calendar years; the first is the year a named path starts from.
    grid_decarbonisation
        None: ``base_factor`` throughout (the default: no decarbonisation assumed). A name
        in :data:`GRID_PATHS`: linear fall to the named share by the named year, then
        flat. A mapping ``{year: kgCO2e/kWh}``: linear interpolation, flat outside.

    Returns
    -------
    numpy.ndarray
        float64, one factor per year.

    Raises
    ------
    ConfigError
        If the path name is unknown or a mapping is empty or holds negative factors.
    """
    yrs = np.asarray(years, dtype=np.float64)
    if grid_decarbonisation is None:
        return np.full(yrs.shape, float(base_factor))
    if isinstance(grid_decarbonisation, str):
        if grid_decarbonisation not in GRID_PATHS:
            msg = f"unknown grid_decarbonisation {grid_decarbonisation!r}; use None, one of {sorted(GRID_PATHS)} or a {{year: kgCO2e/kWh}} mapping."
            raise ConfigError(msg)
        target_year, share = GRID_PATHS[grid_decarbonisation]
        first = float(yrs.min()) if yrs.size else float(target_year)
        if first >= target_year:
            return np.full(yrs.shape, base_factor * share)
        return np.interp(yrs, [first, target_year], [base_factor, base_factor * share])
    points = sorted((int(y), float(v)) for y, v in grid_decarbonisation.items())
    if not points or any(not (np.isfinite(v) and v >= 0) for _, v in points):
        msg = "grid_decarbonisation mapping must hold at least one {year: kgCO2e/kWh} pair with non-negative factors."
        raise ConfigError(msg)
    return np.interp(yrs, [p[0] for p in points], [p[1] for p in points])


def _check_frames(
    assets: pd.DataFrame, operational: pd.DataFrame, *, where: str, need: Sequence[str] = ()
) -> None:
    """Check columns (asset_id, gia_m2 unless ``need`` is given; kWh and ``need``), alignment, ids, kWh >= 0."""
    missing = [c for c in ("asset_id", "gia_m2")[: 2 - bool(need)] if c not in assets.columns]
    if missing := missing + [c for c in ("electricity_kwh", "gas_kwh", *need) if c not in operational.columns]:  # fmt: skip
        msg = f"{where}: missing columns {missing}; assets need asset_id (and gia_m2 for trajectories), operational (from carbon.operational_emissions) electricity_kwh, gas_kwh {list(need)}."
        raise MissingColumnError(msg)
    if not operational.index.equals(assets.index):
        msg = f"{where}: operational is not indexed like assets; pass the frame returned by carbon.operational_emissions(assets, ...) for these assets."
        raise DataContractError(msg)
    if (dup := assets["asset_id"].astype(str).duplicated()).any():
        msg = f"{where}: asset_id repeated: {format_ids(assets.loc[dup, 'asset_id'])}; make ids unique."
        raise DataContractError(msg)
    for col in ("electricity_kwh", "gas_kwh"):
        if (neg := pd.to_numeric(operational[col], errors="coerce") < 0).any():
            msg = f"{where}: negative {col} for assets {format_ids(assets.loc[neg, 'asset_id'])}; fix the metered values."
            raise DataContractError(msg)  # fmt: skip


def _plan_frame(plan: pd.DataFrame | Sequence[str] | None, asset_ids: pd.Series, start_year: int) -> pd.DataFrame:  # fmt: skip
    """Normalise a plan to columns asset_id, measure, year."""
    if plan is None:
        return pd.DataFrame({"asset_id": [], "measure": [], "year": []})
    if not isinstance(plan, pd.DataFrame):
        ms = [str(m) for m in plan]
        ids = np.repeat(asset_ids.to_numpy(dtype=object), len(ms))
        return pd.DataFrame({"asset_id": ids, "measure": ms * len(asset_ids), "year": start_year})
    missing = {"asset_id", "measure", "year"} - set(plan.columns)
    if missing:
        msg = f"retrofit plan: missing columns {sorted(missing)}; give one row per asset_id, measure and install year."
        raise ConfigError(msg)
    return plan[["asset_id", "measure"]].assign(year=pd.to_numeric(plan["year"], errors="coerce"))


def retrofit_trajectory(
    assets: pd.DataFrame,
    operational: pd.DataFrame,
    factors: FactorLike,
    *,
    start_year: int,
    end_year: int = 2050,
    plan: pd.DataFrame | Sequence[str] | None = None,
    grid_decarbonisation: GridPath = None,
    table: MeasureTable | None = None,
) -> pd.DataFrame:
    """Project each asset's energy and emissions a year at a time, with planned measures.

    Parameters
    ----------
    assets
        Asset rows with ``asset_id`` and ``gia_m2`` (m², NaN unknown).
    operational
        From ``carbon.operational_emissions``, indexed like ``assets``: ``electricity_kwh``
        and ``gas_kwh`` a year (metered or estimated; NaN stays NaN); ``energy_estimated``
        and ``energy_basis`` are carried through when present.
    factors
        ``factors.get("electricity")`` and ``factors.get("gas")`` in kgCO2e/kWh.
    start_year, end_year
        First and last calendar year, inclusive.
    plan
        None (business as usual); measure names installed on every asset in ``start_year``
        (so no pre-retrofit year); or a frame of ``asset_id``, ``measure``, ``year`` rows.
    grid_decarbonisation
        See :func:`electricity_factor_path`; None keeps today's factor (the default).
    table
        Measure parameters; the packaged table by default.

    Returns
    -------
    pandas.DataFrame
        One row per asset and year: ``asset_id``, ``year``, ``electricity_kwh``,
        ``gas_kwh``, ``electricity_factor``, ``gas_factor`` (kgCO2e/kWh),
        ``tco2e_electricity``, ``tco2e_gas``, ``tco2e`` (t a year), ``measures`` (installed
        by then, comma-separated), ``grid_basis``, and ``energy_estimated`` /
        ``energy_basis`` when given.

    Raises
    ------
    ConfigError
        If the years are reversed or the plan has unknown measures or assets, repeats,
        or install years outside the range.
    MissingColumnError
        If a needed column is missing.
    DataContractError
        If the frames are not aligned, kWh are negative, or PV is planned without GIA.
    """
    t0 = time.perf_counter()
    if end_year < start_year:
        msg = f"retrofit_trajectory: end_year {end_year} is before start_year {start_year}; give end_year >= start_year."
        raise ConfigError(msg)
    _check_frames(assets, operational, where="retrofit_trajectory")
    tab = table if table is not None else load_measures()
    ids = assets["asset_id"].astype(str).reset_index(drop=True)
    pl = _plan_frame(plan, ids, start_year)
    pl["asset_id"] = pl["asset_id"].astype(str)
    _check_measures(list(pl["measure"]))
    problems = []
    if unknown := sorted(set(pl["asset_id"]) - set(ids)):
        problems.append(f"assets not in the asset layer: {format_ids(unknown)}")
    if (dup := pl.duplicated(["asset_id", "measure"])).any():
        problems.append(f"measures repeated for assets {format_ids(pl.loc[dup, 'asset_id'])}")
    if (late := ~pl["year"].between(start_year, end_year)).any():
        problems.append(
            f"install years outside {start_year}-{end_year} for assets {format_ids(pl.loc[late, 'asset_id'])}"
        )
    if problems:
        msg = f"retrofit plan: {'; '.join(problems)}."
        raise ConfigError(msg)
    gia = pd.to_numeric(assets["gia_m2"], errors="coerce").to_numpy(dtype=np.float64)
    pv_ids = set(pl.loc[pl["measure"] == "solar_pv", "asset_id"])
    if no_gia := [a for a, g in zip(ids, gia, strict=True) if a in pv_ids and not g >= 0]:
        msg = f"retrofit_trajectory: solar_pv is planned for assets without a valid gia_m2: {format_ids(no_gia)}; give their GIA or drop PV for them."
        raise DataContractError(msg)

    years = np.arange(start_year, end_year + 1)
    n, ny = len(ids), len(years)
    el0 = pd.to_numeric(operational["electricity_kwh"], errors="coerce").to_numpy(dtype=np.float64)
    gas0 = pd.to_numeric(operational["gas_kwh"], errors="coerce").to_numpy(dtype=np.float64)
    pos = pd.Series(np.arange(n), index=ids.to_numpy())
    install = {m: np.full(n, np.iinfo(np.int64).max) for m in MEASURES}
    for a, m, y in pl.itertuples(index=False):
        install[str(m)][int(pos[str(a)])] = int(y)
    el, gas = np.empty((ny, n)), np.empty((ny, n))
    labels = np.empty((ny, n), dtype=object)
    for j, year in enumerate(years):
        on = {m: install[m] <= year for m in MEASURES}
        el[j], gas[j] = _apply(el0, gas0, gia, on, tab)
        labels[j] = [",".join(m for m in MEASURES if on[m][i]) for i in range(n)]
    ef = electricity_factor_path(factors.get("electricity"), years, grid_decarbonisation)
    gf = float(factors.get("gas"))
    out = pd.DataFrame(
        {"asset_id": np.tile(ids.to_numpy(dtype=object), ny), "year": np.repeat(years, n)}
    )
    out["electricity_kwh"], out["gas_kwh"] = el.ravel(), gas.ravel()
    out["electricity_factor"], out["gas_factor"] = np.repeat(ef, n), gf
    out["tco2e_electricity"] = out["electricity_kwh"] * out["electricity_factor"] / 1000.0
    out["tco2e_gas"] = out["gas_kwh"] * gf / 1000.0
    out["tco2e"] = out["tco2e_electricity"] + out["tco2e_gas"]
    out["measures"] = labels.ravel()
    out["grid_basis"] = _grid_basis(grid_decarbonisation)
    for col in ("energy_estimated", "energy_basis"):
        if col in operational.columns:
            out[col] = np.tile(operational[col].to_numpy(), ny)
    logger.info(
        "retrofit trajectory: %d assets x %d years (%d-%d), %d planned measures, grid %s in %.2f s",
        n, ny, start_year, end_year, len(pl), _grid_basis(grid_decarbonisation), time.perf_counter() - t0,
    )  # fmt: skip
    return out


def _grid_basis(grid: GridPath) -> str:
    if grid is None:
        return "constant grid factor (no decarbonisation assumed)"
    if isinstance(grid, str):
        year, share = GRID_PATHS[grid]
        return f"assumption {grid}: linear fall to {share:.0%} of today's factor by {year}"
    return "grid factors given by year (interpolated)"


def net_zero_gap(
    trajectory: pd.DataFrame,
    *,
    baseline_year: int,
    targets: Sequence[tuple[int, float]] = NHS_TARGETS,
    by: Literal["total", "asset"] | Mapping[str, str] | pd.Series = "total",
) -> pd.DataFrame:
    """Compare projected emissions with the NHS net-zero path, per year and per group.

    A group's target in a year is its emissions in ``baseline_year`` times a share that
    falls linearly from 1 through each ``(year, share)`` of ``targets``, flat after the
    last. The NHS targets are set against 1990, for which no asset-level emissions exist,
    so the baseline is the configured year, named in ``baseline_basis`` on every row.

    Parameters
    ----------
    trajectory
        From :func:`retrofit_trajectory`: ``asset_id``, ``year``, ``tco2e`` (t a year).
    baseline_year
        In ``trajectory`` and before the first target year.
    targets
        ``(year, share of baseline allowed)``, years increasing, shares in [0, 1].
    by
        ``"total"`` (all assets as one place), ``"asset"``, or a mapping / Series from
        ``asset_id`` to a place or neighbourhood id.

    Returns
    -------
    pandas.DataFrame
        Per group and year from ``baseline_year``: ``group``, ``year``, ``baseline_year``,
        ``baseline_tco2e``, ``target_share``, ``target_tco2e``, ``projected_tco2e``,
        ``gap_tco2e`` (projected - target; > 0 is above the path),
        ``reduction_vs_baseline`` (NaN for a zero baseline), ``on_track``,
        ``baseline_basis``. A NaN asset makes its group NaN (DataQualityWarning).

    Raises
    ------
    ConfigError
        If targets are malformed, ``baseline_year`` is not in the trajectory or not
        before the first target, or ``by`` leaves assets without a group.
    MissingColumnError
        If ``trajectory`` lacks asset_id, year or tco2e.
    """
    t0 = time.perf_counter()
    missing = [c for c in ("asset_id", "year", "tco2e") if c not in trajectory.columns]
    if missing:
        msg = f"net_zero_gap: trajectory lacks columns {missing}; pass the frame from retrofit_trajectory."
        raise MissingColumnError(msg)
    tys = [int(y) for y, _ in targets]
    if not tys or tys != sorted(set(tys)) or any(not 0.0 <= float(f) <= 1.0 for _, f in targets):
        msg = f"net_zero_gap: targets {list(targets)!r} must be (year, share) pairs with increasing years and shares in [0, 1]."
        raise ConfigError(msg)
    if baseline_year >= tys[0]:
        msg = f"net_zero_gap: baseline_year {baseline_year} must be before the first target year {tys[0]}."
        raise ConfigError(msg)
    if baseline_year not in set(trajectory["year"].astype(int)):
        msg = f"net_zero_gap: baseline_year {baseline_year} is not in the trajectory ({int(trajectory['year'].min())}-{int(trajectory['year'].max())}); start the trajectory in the baseline year."
        raise ConfigError(msg)
    tr = trajectory[["asset_id", "year", "tco2e"]].copy()
    tr["asset_id"] = tr["asset_id"].astype(str)
    tr = tr[tr["year"] >= baseline_year]
    if isinstance(by, str) and by in {"total", "asset"}:
        tr["group"] = "total" if by == "total" else tr["asset_id"]
    elif isinstance(by, str):
        msg = f"net_zero_gap: by={by!r} is not 'total', 'asset' or a mapping from asset_id to a group."
        raise ConfigError(msg)
    else:
        mapping = {str(k): v for k, v in dict(by).items()}
        if lost := sorted(set(tr["asset_id"]) - set(mapping)):
            msg = f"net_zero_gap: no group given for assets {format_ids(lost)}; map every asset_id to a place."
            raise ConfigError(msg)
        tr["group"] = tr["asset_id"].map(mapping).astype(str)
    if tr["tco2e"].isna().any():
        warnings.warn(
            f"net_zero_gap: unknown emissions for assets {format_ids(tr.loc[tr['tco2e'].isna(), 'asset_id'].unique())}; their groups' totals are NaN.",
            DataQualityWarning,
            stacklevel=2,
        )
    grouped = tr.groupby(["group", "year"], sort=True)["tco2e"].sum(min_count=1)
    nan_any = tr["tco2e"].isna().groupby([tr["group"], tr["year"]]).any()
    proj = grouped.where(~nan_any).rename("projected_tco2e").reset_index()
    base = proj[proj["year"] == baseline_year].set_index("group")["projected_tco2e"]
    out = proj.assign(baseline_year=baseline_year, baseline_tco2e=proj["group"].map(base))
    ty, tf = [float(y) for y, _ in targets], [float(f) for _, f in targets]
    out["target_share"] = np.interp(
        out["year"].to_numpy(np.float64), [baseline_year, *ty], [1.0, *tf]
    )
    out["target_tco2e"] = out["baseline_tco2e"] * out["target_share"]
    out["gap_tco2e"] = out["projected_tco2e"] - out["target_tco2e"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["reduction_vs_baseline"] = np.where(
            out["baseline_tco2e"] > 0, 1.0 - out["projected_tco2e"] / out["baseline_tco2e"], np.nan
        )
    out["on_track"] = out["gap_tco2e"] <= 1e-9
    out["baseline_basis"] = (
        f"configured baseline year {baseline_year}: the NHS targets are set against 1990, for "
        f"which no asset-level emissions exist, so the gap is measured from {baseline_year}"
    )
    cols = [
        "group", "year", "baseline_year", "baseline_tco2e", "target_share", "target_tco2e",
        "projected_tco2e", "gap_tco2e", "reduction_vs_baseline", "on_track", "baseline_basis",
    ]  # fmt: skip
    logger.info(
        "net-zero gap: %d groups x %d years from baseline %d in %.2f s",
        out["group"].nunique(), out["year"].nunique(), baseline_year, time.perf_counter() - t0,
    )  # fmt: skip
    return out[cols].reset_index(drop=True)

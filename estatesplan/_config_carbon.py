"""The ``[carbon]`` and ``[costs]`` sections of a study config.

Re-exported by :mod:`estatesplan.config`. Defaults are named assumptions, documented in
:mod:`estatesplan.carbon`, :mod:`estatesplan.carbon_travel`, :mod:`estatesplan.costs` and
:mod:`estatesplan.retrofit`, and listed in ``docs/carbon.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .config import _Reader

__all__ = [
    "NO_CAR_SHARE_ENGLAND_WALES_2021",
    "CarbonConfig",
    "CostsConfig",
    "read_carbon",
    "read_costs",
]

NO_CAR_SHARE_ENGLAND_WALES_2021: Final = 0.233
"""Share of households with no car or van, England and Wales, Census 2021 (ONS, TS045:
23.3 %). Used for zones without a car-availability table, with a warning: it understates
car-free living in inner cities (use the borough's own TS045 table)."""


@dataclass(frozen=True, slots=True)
class CarbonConfig:
    """Carbon settings.

    Parameters
    ----------
    factor_year
        DESNZ conversion-factor year (default 2024; see ``carbon.FACTOR_YEARS``).
    visits_set
        Asset set residents' health visits go to, the nearest by walk (default GP practices).
    circuity
        Detour factor from straight-line to travelled km (default 1.3, an assumption).
    no_car_share
        Households without a car where the zones lack TS045 (default: England and Wales
        2021, 23.3 %).
    include_td
        Count grid transmission and distribution losses (Scope 3) in electricity.
    retrofit
        Retrofit measures applied in the "with retrofit" trajectory (default all:
        fabric, LED lighting, heat pump, solar PV).
    retrofit_year
        Year the measures take effect (default 2030).
    baseline_year
        Year the net zero trajectory is measured from (default: the costs start year).
    grid
        Electricity factor path for future years: ``"constant"`` (default) or a named
        decarbonisation path of :mod:`estatesplan.retrofit`.
    """

    factor_year: int = 2024
    visits_set: str = "gp_practices"
    circuity: float = 1.3
    no_car_share: float = NO_CAR_SHARE_ENGLAND_WALES_2021
    include_td: bool = False
    retrofit: tuple[str, ...] = ("fabric", "led_lighting", "heat_pump", "solar_pv")
    retrofit_year: int = 2030
    baseline_year: int | None = None
    grid: str = "constant"


@dataclass(frozen=True, slots=True)
class CostsConfig:
    """Whole-life cost settings; any field of ``costs.CostAssumptions`` may be overridden.

    Parameters
    ----------
    start_year
        First forecast year (default 2026).
    horizon_years
        Forecast length (default 30).
    carbon_values
        DESNZ appraisal series: ``low``, ``central`` (default) or ``high``.
    overrides
        Other ``CostAssumptions`` fields by name (e.g. ``electricity_price_gbp_kwh``).
    """

    start_year: int = 2026
    horizon_years: int = 30
    carbon_values: str = "central"
    overrides: dict[str, Any] = field(default_factory=dict)


_CARBON_KEYS: Final = {
    "factor_year", "visits_set", "circuity", "no_car_share", "include_td", "retrofit",
    "retrofit_year", "baseline_year", "grid",
}  # fmt: skip


def read_carbon(r: _Reader, data: Mapping[str, Any]) -> CarbonConfig:
    """Read ``[carbon]``, recording problems on ``r``."""
    from .carbon import FACTOR_YEARS

    t = r.table(data, "carbon")
    r.unknown("carbon", t, _CARBON_KEYS)
    year = r.typed("carbon", t, "factor_year", int, 2024)
    if year not in FACTOR_YEARS:
        r.problems.append(
            f"[carbon] factor_year {year} is not in the factor table "
            f"(years: {', '.join(map(str, FACTOR_YEARS))})"
        )
        year = 2024
    circuity = r.typed("carbon", t, "circuity", float, 1.3)
    if circuity < 1:
        r.problems.append(
            f"[carbon] circuity must be 1 or more (a detour factor), found {circuity}"
        )
        circuity = 1.3
    share = r.typed("carbon", t, "no_car_share", float, NO_CAR_SHARE_ENGLAND_WALES_2021)
    if not 0 <= share <= 1:
        r.problems.append(f"[carbon] no_car_share must be between 0 and 1, found {share}")
        share = NO_CAR_SHARE_ENGLAND_WALES_2021
    measures = t.get("retrofit", ["fabric", "led_lighting", "heat_pump", "solar_pv"])
    if not isinstance(measures, list) or not all(isinstance(m, str) for m in measures):
        r.problems.append("[carbon] retrofit must be a list of measure names")
        measures = []
    else:
        from .retrofit import MEASURES

        bad = [m for m in measures if m not in MEASURES]
        if bad:
            r.problems.append(
                f"[carbon] unknown retrofit measures {bad} (known: {', '.join(MEASURES)})"
            )
    return CarbonConfig(
        factor_year=year,
        visits_set=r.typed("carbon", t, "visits_set", str, "gp_practices"),
        circuity=circuity,
        no_car_share=share,
        include_td=r.typed("carbon", t, "include_td", bool, False),
        retrofit=tuple(measures),
        retrofit_year=r.typed("carbon", t, "retrofit_year", int, 2030),
        baseline_year=r.typed("carbon", t, "baseline_year", int, None),
        grid=r.typed("carbon", t, "grid", str, "constant"),
    )


def read_costs(r: _Reader, data: Mapping[str, Any]) -> CostsConfig:
    """Read ``[costs]``, recording problems on ``r``."""
    t = r.table(data, "costs")
    start = r.typed("costs", t, "start_year", int, 2026)
    horizon = r.typed("costs", t, "horizon_years", int, 30)
    if horizon <= 0:
        r.problems.append(f"[costs] horizon_years must be at least 1, found {horizon}")
        horizon = 30
    series = r.choice("costs", t, "carbon_values", ("low", "central", "high"), "central")
    from dataclasses import fields as _fields

    from .costs import CostAssumptions
    from .errors import ConfigError

    known = {f.name: f for f in _fields(CostAssumptions)}
    fixed = {"start_year", "horizon_years", "carbon_values", "carbon_series"}
    overrides: dict[str, Any] = {}
    for key, value in t.items():
        if key in fixed:
            continue
        if key not in known:
            names = ", ".join(sorted(set(known) - fixed))
            r.problems.append(
                f"[costs] unknown key {key!r} (known: start_year, horizon_years, "
                f"carbon_values, {names})"
            )
        elif isinstance(value, bool) and "bool" in str(known[key].type):
            overrides[key] = value
        elif isinstance(value, bool) or not isinstance(value, int | float):
            r.problems.append(f"[costs] {key} must be a number, found {value!r}")
        else:
            overrides[key] = value
    try:
        CostAssumptions(start_year=start, horizon_years=horizon, carbon_series=series, **overrides)
    except (ConfigError, TypeError) as err:
        r.problems.append(f"[costs] {err}")
    return CostsConfig(
        start_year=start, horizon_years=horizon, carbon_values=series, overrides=overrides
    )

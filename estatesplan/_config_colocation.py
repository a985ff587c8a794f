"""The ``[colocation]`` section of a study config: hub rules, option settings, weights.

Re-exported by :mod:`estatesplan.config`. Every default is a named assumption documented
in :mod:`estatesplan.hubs` and :mod:`estatesplan.options`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from . import contracts as c
from .errors import ConfigError
from .hubs import ScreenRules
from .options import DEFAULT_WEIGHTS, MEASURES

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .config import _Reader

__all__ = ["ColocationConfig", "OptimiseConfig", "PlannerOption", "read_colocation"]

OBJECTIVES: Final = ("p_median", "max_covering", "set_covering")
_PRIORITY: Final = ("over_65", "most_deprived_fifth", "households_no_car")


@dataclass(frozen=True, slots=True)
class PlannerOption:
    """An option written by the planner (``[[colocation.options]]``)."""

    option_id: str
    neighbourhood_id: str
    hubs: tuple[str, ...]
    moving: tuple[str, ...] = ()
    released: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True, slots=True)
class OptimiseConfig:
    """One optimiser run (``[[colocation.optimise]]``).

    Parameters
    ----------
    objective
        ``p_median`` (least cohort-weighted time), ``max_covering`` (most people within
        ``threshold_min``) or ``set_covering`` (fewest hubs covering everyone).
    k
        Hubs to choose (not used by ``set_covering``).
    per
        ``"neighbourhood"`` (k per neighbourhood) or ``"place"`` (k across the study).
    cohort
        Cohort whose people are the demand (default ``everyone``).
    threshold_min
        Covering threshold (default 20 minutes).
    capacity
        Respect hubs' spare space (``available_m2`` ÷ ``m2_per_person``…): off by default.
    equity
        No IMD quintile worse off than today (default False).
    """

    objective: str = "p_median"
    k: int = 1
    per: str = "neighbourhood"
    cohort: str = "everyone"
    threshold_min: float = 20.0
    capacity: bool = False
    equity: bool = False


@dataclass(frozen=True, slots=True)
class ColocationConfig:
    """Co-location settings.

    Parameters
    ----------
    rules
        Hub screening rules.
    service_set
        Asset set whose sites are today's service network (default ``health``).
    access_mode, staff_mode, threshold_min, m2_per_team, priority_cohorts
        See :class:`estatesplan.options.OptionContext`.
    pairs
        Best pairs of hubs kept per neighbourhood (default 3).
    release_conditions
        Condition grades whose service sites are released when their team moves.
    include_unknown
        Use sites with incomplete screening data as hubs (labelled).
    weights
        Score weights (default :data:`estatesplan.options.DEFAULT_WEIGHTS`).
    options
        Planner-defined options.
    optimise
        Optimiser runs.
    scenarios
        Scenario file (TOML) to compare against the baseline.
    """

    rules: ScreenRules = field(default_factory=ScreenRules)
    service_set: str = "health"
    access_mode: str = "walk"
    staff_mode: str = "walk"
    threshold_min: float = 20.0
    m2_per_team: float = 150.0
    priority_cohorts: tuple[str, ...] = ("over_65", "most_deprived_fifth", "households_no_car")
    pairs: int = 3
    release_conditions: tuple[str, ...] = ("C", "D")
    include_unknown: bool = False
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    options: tuple[PlannerOption, ...] = ()
    optimise: tuple[OptimiseConfig, ...] = (OptimiseConfig(),)
    scenarios: Path | None = None


_KEYS: Final = {
    "rules", "service_set", "access_mode", "staff_mode", "threshold_min", "m2_per_team",
    "priority_cohorts", "pairs", "release_conditions", "include_unknown", "weights", "options",
    "optimise", "scenarios",
}  # fmt: skip


def _strs(r: _Reader, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.problems.append(f"{where} must be a list of strings, found {value!r}")
        return ()
    return tuple(value)


def _rules(r: _Reader, col: Mapping[str, Any]) -> ScreenRules:
    raw = r.table(col, "rules")
    known = {f.name for f in fields(ScreenRules)}
    r.unknown("colocation.rules", raw, known)
    kw: dict[str, Any] = {}
    for f in fields(ScreenRules):
        if f.name not in raw:
            continue
        value = raw[f.name]
        if f.name in ("min_gia_m2", "min_available_m2"):
            kw[f.name] = r.typed("colocation.rules", raw, f.name, float, 0.0)
        elif f.name in ("step_free", "in_area_only"):
            kw[f.name] = r.typed("colocation.rules", raw, f.name, bool, True)
        else:
            kw[f.name] = _strs(r, f"[colocation.rules] {f.name}", value)
    try:
        return ScreenRules(**kw)
    except ConfigError as err:
        r.problems.append(f"[colocation.rules] {err}")
        return ScreenRules()


def _options(r: _Reader, col: Mapping[str, Any]) -> tuple[PlannerOption, ...]:
    raw = col.get("options", [])
    if not isinstance(raw, list):
        r.problems.append("[[colocation.options]] must be an array of tables")
        return ()
    out = []
    for i, spec in enumerate(raw, start=1):
        where = f"[[colocation.options]] #{i}"
        if not isinstance(spec, dict):
            r.problems.append(f"{where} must be a table")
            continue
        r.unknown(
            f"colocation.options #{i}",
            spec,
            {"id", "neighbourhood", "hubs", "moving", "released", "label"},
        )
        if not isinstance(spec.get("id"), str) or not isinstance(spec.get("neighbourhood"), str):
            r.problems.append(f"{where} needs id and neighbourhood (strings)")
            continue
        hubs = _strs(r, f"{where} hubs", spec.get("hubs", []))
        if not hubs:
            r.problems.append(f"{where} ({spec['id']}) names no hubs")
        out.append(
            PlannerOption(
                option_id=spec["id"],
                neighbourhood_id=spec["neighbourhood"],
                hubs=hubs,
                moving=_strs(r, f"{where} moving", spec.get("moving", [])),
                released=_strs(r, f"{where} released", spec.get("released", [])),
                label=str(spec.get("label", "")),
            )
        )
    ids = [o.option_id for o in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        r.problems.append(f"[[colocation.options]] repeated ids: {', '.join(dupes)}")
    return tuple(out)


def _optimise(r: _Reader, col: Mapping[str, Any]) -> tuple[OptimiseConfig, ...]:
    raw = col.get("optimise")
    if raw is None:
        return (OptimiseConfig(),)
    if not isinstance(raw, list):
        r.problems.append("[[colocation.optimise]] must be an array of tables")
        return ()
    out = []
    for i, spec in enumerate(raw, start=1):
        sec = f"colocation.optimise #{i}"
        if not isinstance(spec, dict):
            r.problems.append(f"[{sec}] must be a table")
            continue
        r.unknown(sec, spec, {f.name for f in fields(OptimiseConfig)})
        k = r.typed(sec, spec, "k", int, 1)
        if k < 1:
            r.problems.append(f"[{sec}] k must be 1 or more, found {k}")
        thr = r.typed(sec, spec, "threshold_min", float, 20.0)
        if thr <= 0:
            r.problems.append(f"[{sec}] threshold_min must be positive, found {thr}")
        out.append(
            OptimiseConfig(
                objective=r.choice(sec, spec, "objective", OBJECTIVES, "p_median"),
                k=max(k, 1),
                per=r.choice(sec, spec, "per", ("neighbourhood", "place"), "neighbourhood"),
                cohort=r.typed(sec, spec, "cohort", str, "everyone"),
                threshold_min=thr if thr > 0 else 20.0,
                capacity=r.typed(sec, spec, "capacity", bool, False),
                equity=r.typed(sec, spec, "equity", bool, False),
            )
        )
    return tuple(out)


def read_colocation(r: _Reader, data: Mapping[str, Any]) -> ColocationConfig:
    """Read ``[colocation]``, recording every problem on ``r``.

    Parameters
    ----------
    r
        The config reader.
    data
        The whole parsed TOML document.

    Returns
    -------
    ColocationConfig
        Settings, defaults where missing or wrong.
    """
    col = r.table(data, "colocation")
    r.unknown("colocation", col, _KEYS)
    sec = "colocation"
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in r.table(col, "weights").items():
        if name not in MEASURES:
            r.problems.append(
                f"[colocation.weights] unknown measure {name!r} (known: {', '.join(MEASURES)})"
            )
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            r.problems.append(f"[colocation.weights] {name} must be a number >= 0, found {value!r}")
        else:
            weights[name] = float(value)
    if not any(v > 0 for v in weights.values()):
        r.problems.append("[colocation.weights] are all zero: give at least one a positive weight")
    positive = {}
    for key, default in (("threshold_min", 20.0), ("m2_per_team", 150.0)):
        value = r.typed(sec, col, key, float, default)
        if value <= 0:
            r.problems.append(f"[colocation] {key} must be positive, found {value}")
            value = default
        positive[key] = value
    pairs = r.typed(sec, col, "pairs", int, 3)
    if pairs < 0:
        r.problems.append(f"[colocation] pairs must be 0 or more, found {pairs}")
    release = _strs(r, "[colocation] release_conditions", col.get("release_conditions", ["C", "D"]))
    bad = [g for g in release if g not in c.CONDITIONS]
    if bad:
        r.problems.append(f"[colocation] release_conditions: unknown grades {bad}")
    return ColocationConfig(
        rules=_rules(r, col),
        service_set=r.typed(sec, col, "service_set", str, "health"),
        access_mode=r.choice(
            sec, col, "access_mode", ("walk", "cycle", "drive", "transit"), "walk"
        ),
        staff_mode=r.choice(sec, col, "staff_mode", ("walk", "cycle", "drive", "transit"), "walk"),
        threshold_min=positive["threshold_min"],
        m2_per_team=positive["m2_per_team"],
        priority_cohorts=_strs(
            r,
            "[colocation] priority_cohorts",
            col.get("priority_cohorts", list(_PRIORITY)),
        ),
        pairs=max(pairs, 0),
        release_conditions=release,
        include_unknown=r.typed(sec, col, "include_unknown", bool, False),
        weights=weights,
        options=_options(r, col),
        optimise=_optimise(r, col),
        scenarios=r.path(sec, col, "scenarios"),
    )

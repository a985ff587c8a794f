"""The ``[access]`` section of a study config: thresholds, modes, asset sets and measures.

Kept apart from :mod:`estatesplan.config` (which re-exports :class:`AccessConfig`) so each
module stays readable. Every default here is a named, documented assumption; the
README's "Access" section and ``docs/access.md`` say where each comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from . import contracts as c

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .config import _Reader

__all__ = [
    "ALL_MODES",
    "DEFAULT_ASSET_SETS",
    "DEFAULT_COHORT_MODES",
    "AccessConfig",
    "AssetSetConfig",
    "StaffConfig",
]

ALL_MODES: Final[tuple[str, ...]] = ("walk", "cycle", "drive", "transit")
DEFAULT_BANDS: Final[tuple[tuple[float, float], ...]] = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))


@dataclass(frozen=True, slots=True)
class AssetSetConfig:
    """A named selection of assets that access is measured to.

    An asset is in the set when it passes every filter given (an empty filter passes
    everything).

    Parameters
    ----------
    label
        Plain-English name for tables and maps (e.g. "GP practices").
    asset_types
        Allowed ``asset_type`` values.
    owner_types
        Allowed ``owner_type`` values.
    ids
        Allowed ``asset_id`` values.
    in_area_only
        Keep only assets inside the study area (default False: services over the
        boundary count, as residents use them).
    """

    label: str
    asset_types: tuple[str, ...] = ()
    owner_types: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    in_area_only: bool = False


DEFAULT_ASSET_SETS: Final[dict[str, AssetSetConfig]] = {
    "gp_practices": AssetSetConfig("GP practices", asset_types=("gp_practice",)),
    "health": AssetSetConfig(
        "All health services", asset_types=tuple(sorted(c.HEALTH_ASSET_TYPES))
    ),
}
"""Asset sets every study gets; a config's ``[access.asset_sets.NAME]`` adds or replaces."""

DEFAULT_COHORT_MODES: Final[dict[str, tuple[str, ...]]] = {
    "households_no_car": ("walk", "cycle", "transit"),
}
"""Modes open to a cohort when the config does not say: households without a car do not
drive. Cohorts not named here may use every configured mode."""


@dataclass(frozen=True, slots=True)
class StaffConfig:
    """Staff travel: inter-site journeys of teams and commutes from staff home zones.

    Parameters
    ----------
    sites
        Asset set whose sites teams work from (default ``"health"``).
    teams
        Team name → the asset ids it works across. Empty (default): one team per
        neighbourhood, working across that neighbourhood's sites in ``sites``.
    origins
        CSV of staff counts per home zone (``zone_id`` and a count column); no
        personal data.
    """

    sites: str = "health"
    teams: dict[str, tuple[str, ...]] = field(default_factory=dict)
    origins: Path | None = None


@dataclass(frozen=True, slots=True)
class AccessConfig:
    """Access settings: matrices, measures and the asset sets they are measured to.

    Parameters
    ----------
    thresholds_min
        Travel-time thresholds in minutes (default 10, 15, 20, 30).
    modes
        Travel modes to compute.
    cutoff_min
        Travel-time matrices stop searching at this many minutes; longer trips are
        marked unreachable (default 60).
    asset_sets
        Sets declared in the config (name → filters); merged over
        :data:`DEFAULT_ASSET_SETS` by name.
    supply
        Asset column used as supply in floating catchments and gravity (e.g.
        ``gia_m2``); None (default) counts each site as one unit. Sites with unknown
        supply are left out of those measures and counted in a warning.
    catchment_min
        2SFCA catchment in minutes (default 30).
    decay_bands
        Enhanced 2SFCA bands: (upper edge in minutes, weight), default
        (10, 1.0), (20, 0.68), (30, 0.22) — the Gaussian-derived weights of Luo and
        Qi (2009), Health & Place 15(4).
    gravity_beta
        Exponential decay per minute of the gravity measure (default 0.1: a site
        10 minutes away counts 37 % of one on the doorstep). An assumption; set it
        from local trip data where available.
    cohort_modes
        Cohort → modes it can use, merged over :data:`DEFAULT_COHORT_MODES`.
    left_behind_set, left_behind_mode, left_behind_min
        "Left behind" zones: high need and nearest ``left_behind_set`` more than
        ``left_behind_min`` minutes away by ``left_behind_mode`` (defaults: GP
        practices, walk, 20 minutes).
    population_raster
        GeoTIFF of people per cell; when given, the ``everyone`` cohort is the sum of
        its cells per zone instead of the census count.
    surface_cell_m
        Cell size of the travel-time surfaces written as GeoTIFF (default 100 m;
        0 turns them off).
    staff
        Staff travel settings.
    """

    thresholds_min: tuple[float, ...] = (10.0, 15.0, 20.0, 30.0)
    modes: tuple[str, ...] = ("walk", "cycle", "drive")
    cutoff_min: float = 60.0
    asset_sets: dict[str, AssetSetConfig] = field(default_factory=dict)
    supply: str | None = None
    catchment_min: float = 30.0
    decay_bands: tuple[tuple[float, float], ...] = DEFAULT_BANDS
    gravity_beta: float = 0.1
    cohort_modes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    left_behind_set: str = "gp_practices"
    left_behind_mode: str = "walk"
    left_behind_min: float = 20.0
    population_raster: Path | None = None
    surface_cell_m: float = 100.0
    staff: StaffConfig = field(default_factory=StaffConfig)

    def all_asset_sets(self) -> dict[str, AssetSetConfig]:
        """Return the default asset sets updated with the config's own.

        Returns
        -------
        dict of str to AssetSetConfig
            Name → set, defaults first.
        """
        return {**DEFAULT_ASSET_SETS, **self.asset_sets}

    def modes_for(self, cohort: str) -> tuple[str, ...]:
        """Return the configured modes a cohort can use.

        Parameters
        ----------
        cohort
            Cohort name.

        Returns
        -------
        tuple of str
            Modes in configured order.
        """
        allowed = {**DEFAULT_COHORT_MODES, **self.cohort_modes}.get(cohort)
        return tuple(m for m in self.modes if allowed is None or m in allowed)


_ACCESS_KEYS: Final = {
    "thresholds_min", "modes", "cutoff_min", "asset_sets", "supply", "catchment_min",
    "decay_bands", "gravity_beta", "cohort_modes", "left_behind_set", "left_behind_mode",
    "left_behind_min", "population_raster", "surface_cell_m", "staff",
}  # fmt: skip
_SET_KEYS: Final = {"label", "asset_types", "owner_types", "ids", "in_area_only"}


def _str_list(r: _Reader, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.problems.append(f"{where} must be a list of strings, found {value!r}")
        return ()
    return tuple(value)


def _read_sets(r: _Reader, acc: Mapping[str, Any]) -> dict[str, AssetSetConfig]:
    raw = r.table(acc, "asset_sets")
    out: dict[str, AssetSetConfig] = {}
    for name, spec in raw.items():
        where = f"[access.asset_sets.{name}]"
        if not isinstance(spec, dict):
            r.problems.append(f"{where} must be a table of filters")
            continue
        r.unknown(f"access.asset_sets.{name}", spec, _SET_KEYS)
        types = _str_list(r, f"{where} asset_types", spec.get("asset_types", []))
        owners = _str_list(r, f"{where} owner_types", spec.get("owner_types", []))
        for t in types:
            if t not in c.ASSET_TYPES:
                r.problems.append(
                    f"{where} unknown asset type {t!r} (known: {', '.join(c.ASSET_TYPES)})"
                )
        for o in owners:
            if o not in c.OWNER_TYPES:
                r.problems.append(
                    f"{where} unknown owner type {o!r} (known: {', '.join(c.OWNER_TYPES)})"
                )
        out[name] = AssetSetConfig(
            label=r.typed(f"access.asset_sets.{name}", spec, "label", str, name.replace("_", " ")),
            asset_types=types,
            owner_types=owners,
            ids=_str_list(r, f"{where} ids", spec.get("ids", [])),
            in_area_only=r.typed(f"access.asset_sets.{name}", spec, "in_area_only", bool, False),
        )
    return out


def _read_bands(r: _Reader, value: Any) -> tuple[tuple[float, float], ...]:
    default = DEFAULT_BANDS
    if value is None:
        return default
    ok = (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(b, list)
            and len(b) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in b)
            for b in value
        )
    )
    if ok:
        bands = tuple((float(b[0]), float(b[1])) for b in value)
        edges = [b[0] for b in bands]
        if edges == sorted(set(edges)) and edges[0] > 0 and all(0 <= w <= 1 for _, w in bands):
            return bands
    r.problems.append(
        "[access] decay_bands must be [[upper minutes, weight], ...] with increasing positive "
        "edges and weights in 0..1, e.g. [[10, 1.0], [20, 0.68], [30, 0.22]]"
    )
    return default


def _read_staff(r: _Reader, acc: Mapping[str, Any]) -> StaffConfig:
    st = r.table(acc, "staff")
    r.unknown("access.staff", st, {"sites", "teams", "origins"})
    teams = {
        name: _str_list(r, f"[access.staff.teams] {name}", ids)
        for name, ids in r.table(st, "teams").items()
    }
    return StaffConfig(
        sites=r.typed("access.staff", st, "sites", str, "health"),
        teams=teams,
        origins=r.path("access.staff", st, "origins"),
    )


def read_access(r: _Reader, data: Mapping[str, Any]) -> AccessConfig:
    """Read the ``[access]`` table, recording every problem on ``r``.

    Parameters
    ----------
    r
        The config reader (collects problems, resolves paths).
    data
        The whole parsed TOML document.

    Returns
    -------
    AccessConfig
        Settings, with defaults where a value was missing or wrong.
    """
    acc = r.table(data, "access")
    r.unknown("access", acc, _ACCESS_KEYS)
    th = acc.get("thresholds_min", [10, 15, 20, 30])
    if (
        not isinstance(th, list)
        or not th
        or not all(isinstance(x, int | float) and not isinstance(x, bool) and x > 0 for x in th)
    ):
        r.problems.append(
            "[access] thresholds_min must be a list of positive minutes, e.g. [10, 15, 20, 30]"
        )
        th = [10, 15, 20, 30]
    modes = acc.get("modes", ["walk", "cycle", "drive"])
    if not isinstance(modes, list) or not all(m in ALL_MODES for m in modes):
        r.problems.append(f"[access] modes must be a list drawn from {', '.join(ALL_MODES)}")
        modes = ["walk", "cycle", "drive"]
    positive: dict[str, float] = {}
    for key, default in (
        ("cutoff_min", 60.0),
        ("catchment_min", 30.0),
        ("gravity_beta", 0.1),
        ("left_behind_min", 20.0),
    ):
        value = r.typed("access", acc, key, float, default)
        if value <= 0:
            r.problems.append(f"[access] {key} must be a positive number, found {value}")
            value = default
        positive[key] = value
    cell = r.typed("access", acc, "surface_cell_m", float, 100.0)
    if cell < 0:
        r.problems.append(
            f"[access] surface_cell_m must be 0 (off) or positive metres, found {cell}"
        )
        cell = 100.0
    sets = _read_sets(r, acc)
    lb_set = r.typed("access", acc, "left_behind_set", str, "gp_practices")
    if lb_set not in {**DEFAULT_ASSET_SETS, **sets}:
        r.problems.append(f"[access] left_behind_set {lb_set!r} is not a defined asset set")
    lb_mode = r.choice("access", acc, "left_behind_mode", ALL_MODES, "walk")
    cohort_modes: dict[str, tuple[str, ...]] = {}
    for name, ms in r.table(acc, "cohort_modes").items():
        got = _str_list(r, f"[access.cohort_modes] {name}", ms)
        bad = [m for m in got if m not in ALL_MODES]
        if bad:
            r.problems.append(
                f"[access.cohort_modes] {name}: unknown modes {bad} (known: {', '.join(ALL_MODES)})"
            )
        cohort_modes[name] = got
    staff = _read_staff(r, acc)
    if staff.sites not in {**DEFAULT_ASSET_SETS, **sets}:
        r.problems.append(f"[access.staff] sites {staff.sites!r} is not a defined asset set")
    return AccessConfig(
        thresholds_min=tuple(float(x) for x in sorted(th)),
        modes=tuple(modes),
        cutoff_min=positive["cutoff_min"],
        asset_sets=sets,
        supply=r.typed("access", acc, "supply", str, None),
        catchment_min=positive["catchment_min"],
        decay_bands=_read_bands(r, acc.get("decay_bands")),
        gravity_beta=positive["gravity_beta"],
        cohort_modes=cohort_modes,
        left_behind_set=lb_set,
        left_behind_mode=lb_mode,
        left_behind_min=positive["left_behind_min"],
        population_raster=r.path("access", acc, "population_raster"),
        surface_cell_m=cell,
        staff=staff,
    )

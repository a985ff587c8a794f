"""Which OpenStreetMap ways each mode may use, in which directions and how fast (internal).

The rules are described in :mod:`estatesplan.networks`, which re-exports the public
names (:data:`MODES`, :func:`parse_maxspeed`, :func:`load_speed_table`). Speeds per
``highway`` class come from the packaged table ``estatesplan/data/network_speeds.csv``;
how each mode reads the access, one-way and speed tags is one row of ``_MODE_TAGS``.
Everything here works on the tags of whole ways, vectorised over ways with pandas.
"""

from __future__ import annotations

import importlib.resources
import io
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

import numpy as np
import pandas as pd

from .errors import ConfigError, DataSourceError

__all__ = [
    "MODES",
    "TAG_KEYS",
    "Keep",
    "Mode",
    "Rules",
    "check_settings",
    "load_speed_table",
    "parse_maxspeed",
    "resolve_rules",
    "way_rules",
]

logger = logging.getLogger(__name__)

Mode = Literal["walk", "cycle", "drive"]
Keep = Literal["strong", "weak"]
MODES: Final[tuple[str, ...]] = get_args(Mode)
"""The modes a network can be built for."""

TAG_KEYS: Final = (
    "highway", "access", "foot", "bicycle", "vehicle", "motor_vehicle", "motorcar",
    "motorroad", "oneway", "oneway:bicycle", "junction", "maxspeed", "service", "area",
    "cycleway", "cycleway:left", "cycleway:right", "cycleway:both", "cycleway:left:oneway",
    "cycleway:right:oneway", "cycleway:both:oneway",
)  # fmt: skip
"""The way tags the rules read (every reader keeps these, in this order)."""


@dataclass(frozen=True)
class _ModeTags:
    """How one mode reads a way's tags (one row of ``_MODE_TAGS``)."""

    hierarchy: tuple[str, ...]
    """Access keys from the most general to the most specific; the last one present wins."""
    motorroad_denies: bool
    """``motorroad=yes`` forbids the mode unless an access key says otherwise."""
    dismount: bool
    """A specific ``dismount`` permits explicit-only classes, at walking speed."""
    areas: bool
    """``area=yes`` ways (walked along their outline) are usable."""
    denied_service: frozenset[str]
    """``service`` values the mode may not use."""
    posted_speed: bool
    """``maxspeed`` overrides the class speed, and the congestion factor applies."""
    oneway: bool
    """``oneway`` (or its implication by roundabouts and motorways) is respected."""
    own_oneway: str | None
    """A key that replaces ``oneway`` for this mode where present (``yes``/``-1``/``no``)."""
    contraflow: tuple[tuple[str, frozenset[str]], ...]
    """(key, values): any one present makes a one-way way two-way for the mode."""


_OPPOSITE: Final = frozenset(
    {"opposite", "opposite_lane", "opposite_track", "opposite_share_busway"}
)
_MODE_TAGS: Final = {
    "walk": _ModeTags(
        hierarchy=("access", "foot"), motorroad_denies=True, dismount=False, areas=True,
        denied_service=frozenset(), posted_speed=False, oneway=False, own_oneway=None,
        contraflow=(),
    ),
    "cycle": _ModeTags(
        hierarchy=("access", "vehicle", "bicycle"), motorroad_denies=True, dismount=True,
        areas=False, denied_service=frozenset(), posted_speed=False, oneway=True,
        own_oneway="oneway:bicycle",
        contraflow=(
            ("cycleway", _OPPOSITE),
            *((f"cycleway:{side}", _OPPOSITE) for side in ("left", "right", "both")),
            *((f"cycleway:{side}:oneway", frozenset({"-1", "no"}))
              for side in ("left", "right", "both")),
        ),
    ),
    "drive": _ModeTags(
        hierarchy=("access", "vehicle", "motor_vehicle", "motorcar"), motorroad_denies=False,
        dismount=False, areas=False, denied_service=frozenset({"emergency_access"}),
        posted_speed=True, oneway=True, own_oneway=None, contraflow=(),
    ),
}  # fmt: skip
_DENY: Final = frozenset({
    "no", "private", "agricultural", "forestry", "delivery", "military", "restricted",
    "emergency", "psv", "bus", "use_sidepath",
})  # fmt: skip
_PERMIT: Final = frozenset({"yes", "designated", "permissive", "destination", "customers"})
_YES: Final = frozenset({"yes", "1", "true"})
_REVERSE: Final = frozenset({"-1", "reverse"})
_UNITS: Final = {"km/h": 1.0, "mph": 1.609344, "factor": math.nan}
_MPH: Final = 1.609344
_MAXSPEED_CODES: Final = {
    "national": 60 * _MPH, "gb:nsl_single": 60 * _MPH, "gb:nsl_dual": 70 * _MPH,
    "gb:motorway": 70 * _MPH, "gb:nsl_restricted": 30 * _MPH, "walk": 5.0,
}  # fmt: skip
_NUMBER: Final = re.compile(r"^(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph|knots)?$")
_ZONE: Final = re.compile(r"^([a-z]{2}):zone:?(\d+)$")


def parse_maxspeed(value: object) -> float:
    """Read an OSM ``maxspeed`` value as km/h.

    Parameters
    ----------
    value
        The tag value: ``"30 mph"``, ``"50"`` (km/h), ``"20 mph;30 mph"`` (the first is
        used), ``"national"`` or ``"GB:nsl_single"`` (60 mph), ``"GB:nsl_dual"`` or
        ``"GB:motorway"`` (70 mph), ``"GB:nsl_restricted"`` (30 mph), ``"GB:zone20"``
        (20 mph; ``"XX:zone30"`` elsewhere is km/h), ``"walk"`` (5 km/h), knots.

    Returns
    -------
    float
        Speed limit in km/h; NaN when missing, not positive or unreadable (``"signals"``,
        ``"none"``), so the class default applies.
    """
    if not isinstance(value, str):
        return math.nan
    text = value.split(";")[0].strip().lower()
    if text in _MAXSPEED_CODES:
        return _MAXSPEED_CODES[text]
    if zone := _ZONE.match(text):
        return float(zone[2]) * (_MPH if zone[1] == "gb" else 1.0)
    if not (num := _NUMBER.match(text)):
        return math.nan
    kmh = float(num[1]) * {"mph": _MPH, "knots": 1.852}.get(num[2] or "", 1.0)
    return kmh if kmh > 0 else math.nan


def load_speed_table() -> pd.DataFrame:
    """Read the speed and usability table shipped with the package.

    Returns
    -------
    pandas.DataFrame
        Columns ``mode``, ``item`` (a ``highway`` value, or ``default_speed`` /
        ``congestion_factor``), ``value`` (float), ``unit`` (``km/h``, ``mph`` or
        ``factor``: a multiple of the mode's ``default_speed``), ``access`` (``yes``,
        ``explicit`` or empty for settings) and ``note``; one row per item, file order.

    Raises
    ------
    DataSourceError
        If the packaged table is malformed.
    """
    text = importlib.resources.files("estatesplan").joinpath("data/network_speeds.csv")
    table = pd.read_csv(
        io.StringIO(text.read_text(encoding="utf-8")), dtype=object, keep_default_na=False
    )
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    bad = (
        ~table["mode"].isin(MODES)
        | ~table["unit"].isin(list(_UNITS))
        | ~table["access"].isin(["yes", "explicit", ""])
        | ~(table["value"] > 0)
        | table.duplicated(["mode", "item"])
    )
    if bad.any():
        msg = f"network_speeds.csv: malformed rows {[int(i) + 2 for i in np.flatnonzero(bad)]}; reinstall estatesplan"
        raise DataSourceError(msg)
    return table


@dataclass(frozen=True)
class Rules:
    """One mode's resolved speeds (km/h) per highway class, and its settings."""

    usable: dict[str, float]
    """Classes usable unless access tags forbid."""
    explicit: dict[str, float]
    """Classes usable only with an explicit permission for the mode."""
    dismount_kmh: float
    """Walking speed, for ways a cyclist must push along."""
    congestion: float
    """Multiplier of every speed of a mode with ``posted_speed``."""


def check_settings(
    table: pd.DataFrame, speeds: Mapping[str, float] | None, congestion: float | None
) -> None:
    """Raise one ConfigError listing every bad speed override or congestion factor.

    Parameters
    ----------
    table
        From :func:`load_speed_table`.
    speeds
        Overrides in km/h keyed ``mode`` or ``mode:highway``.
    congestion
        Congestion factor (> 0), or None.

    Raises
    ------
    ConfigError
        If a key is not a speed setting or a value is not a positive finite number.
    """
    items = {(str(m), str(i)) for m, i in zip(table["mode"], table["item"], strict=True)}
    problems = []
    for key, val in (speeds or {}).items():
        mode, _, item = str(key).partition(":")
        if (mode, item or "default_speed") not in items or item == "congestion_factor":
            problems.append(f"{key!r} is not a speed setting")
        elif isinstance(val, bool) or not isinstance(val, int | float) or not 0 < val < math.inf:
            problems.append(f"{key!r} must be a positive number of km/h, found {val!r}")
    if congestion is not None and (
        isinstance(congestion, bool)
        or not isinstance(congestion, int | float)
        or not 0 < congestion < math.inf
    ):
        problems.append(f"congestion_factor must be a positive number, found {congestion!r}")
    if problems:
        msg = (
            f"network speeds: {'; '.join(problems)}. Keys are a mode ('walk', 'cycle': its default "
            "speed) or 'mode:highway' (e.g. 'drive:residential'), values in km/h; see "
            "estatesplan/data/network_speeds.csv."
        )
        raise ConfigError(msg)


def resolve_rules(
    table: pd.DataFrame, mode: str, speeds: Mapping[str, float] | None, congestion: float | None
) -> Rules:
    """Resolve one mode's km/h per class from the table and the overrides.

    Parameters
    ----------
    table
        From :func:`load_speed_table`.
    mode
        One of :data:`MODES`.
    speeds, congestion
        As checked by :func:`check_settings`.

    Returns
    -------
    Rules
        The mode's speeds in km/h and its congestion factor.
    """
    value: dict[tuple[str, str], float] = {}
    unit: dict[tuple[str, str], str] = {}
    access: dict[str, str] = {}
    for m, item, val, un, acc in zip(
        table["mode"], table["item"], table["value"], table["unit"], table["access"], strict=True
    ):
        value[m, item], unit[m, item] = float(val), str(un)
        if m == mode and acc:
            access[str(item)] = str(acc)
    over = {}
    for key, val in (speeds or {}).items():
        kmode, _, item = str(key).partition(":")
        over[kmode, item or "default_speed"] = float(val)
    setting = value | over
    base = setting.get((mode, "default_speed"), 0.0)

    def kmh(item: str) -> float:
        k = (mode, item)
        if k in over:
            return over[k]
        return base * value[k] if unit[k] == "factor" else value[k] * _UNITS[unit[k]]

    return Rules(
        usable={i: kmh(i) for i, a in access.items() if a == "yes"},
        explicit={i: kmh(i) for i, a in access.items() if a == "explicit"},
        dismount_kmh=setting["walk", "default_speed"],
        congestion=float(
            setting.get((mode, "congestion_factor"), 1.0) if congestion is None else congestion
        ),
    )


def _norm(col: pd.Series) -> pd.Series:
    """Stripped, lower-case tag values (NaN where absent), via the distinct values."""
    return col.map({v: str(v).strip().lower() for v in col.dropna().unique()})


def way_rules(
    tags: pd.DataFrame, mode: str, rules: Rules
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply one mode's rules to every way at once.

    Parameters
    ----------
    tags
        One row per way, a column per :data:`TAG_KEYS` (object; NaN where absent).
    mode
        One of :data:`MODES`.
    rules
        From :func:`resolve_rules` for ``mode``.

    Returns
    -------
    forward, backward, kmh
        Per way (row order of ``tags``): whether the mode may go along the way's node
        order, against it, and its speed in km/h (NaN where the way is not usable).
    """
    spec = _MODE_TAGS[mode]
    t = {k: _norm(tags[k]) for k in TAG_KEYS}
    hw = t["highway"]
    none = pd.Series(False, index=tags.index)
    base = t["access"]
    if spec.motorroad_denies:
        base = base.where(base.notna() | (t["motorroad"] != "yes"), "no")
    specific = pd.Series(np.nan, index=tags.index, dtype=object)
    for key in spec.hierarchy[1:]:
        specific = t[key].where(t[key].notna(), specific)
    resolved = specific.where(specific.notna(), base)
    kmh = hw.map(rules.usable).astype(float)
    permitted = specific.isin(list(_PERMIT))
    dismount = (specific == "dismount") if spec.dismount else none
    kmh = kmh.where(kmh.notna(), hw.map(rules.explicit).astype(float).where(permitted | dismount))
    kmh = kmh.where(~dismount | kmh.isna(), rules.dismount_kmh)
    allowed = kmh.notna() & ~resolved.isin(list(_DENY))
    if not spec.areas:
        allowed &= t["area"] != "yes"
    if spec.denied_service:
        allowed &= ~t["service"].isin(list(spec.denied_service))
    if spec.posted_speed:
        limits = {v: parse_maxspeed(v) for v in tags["maxspeed"].dropna().unique()}
        posted = tags["maxspeed"].map(limits).astype(float)
        kmh = posted.where(posted.notna(), kmh) * rules.congestion
    if spec.oneway:
        ow = t["oneway"]
        one_fwd = ow.isin(list(_YES)) | (
            ow.isna() & (t["junction"].isin(["roundabout", "circular"]) | (hw == "motorway"))
        )
        one_rev = ow.isin(list(_REVERSE))
        if spec.own_oneway:
            own = t[spec.own_oneway]
            one_fwd = one_fwd.where(own.isna(), own.isin(list(_YES)))
            one_rev = one_rev.where(own.isna(), own.isin(list(_REVERSE)))
        contra = none
        for key, values in spec.contraflow:
            contra = contra | t[key].isin(list(values))
        one_fwd &= ~contra
        one_rev &= ~contra
    else:
        one_fwd = one_rev = none
    ok = allowed.to_numpy(dtype=bool)
    return (
        ok & ~one_rev.to_numpy(dtype=bool),
        ok & ~one_fwd.to_numpy(dtype=bool),
        kmh.to_numpy(dtype=np.float64, na_value=np.nan),
    )

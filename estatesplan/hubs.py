"""Candidate hubs: which existing sites could host co-located neighbourhood services, and why.

Any asset of any owner can be a candidate — a GP practice, a council library, a school, a
place of worship, a housing estate's community space. The planner's rules
(:class:`ScreenRules`) decide; every site gets a status and the reasons behind it, so a
place team can argue with the data rather than with a black box.

Status
------
``pass``
    Every rule is met on known data.
``fail``
    At least one rule is not met (the reasons say which).
``unknown``
    No rule fails, but at least one could not be checked because the register lacks the
    value (e.g. no GIA, no condition survey). Unknown is never treated as a pass or a
    fail: the reasons name the missing fields so the estates team can fill them in.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from . import contracts as c
from .errors import ConfigError, MissingColumnError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["DEFAULT_HUB_TYPES", "ScreenRules", "screen_candidates"]

logger = logging.getLogger(__name__)

DEFAULT_HUB_TYPES: Final[tuple[str, ...]] = tuple(
    t for t in c.ASSET_TYPES if t not in {"pharmacy", "dental", "care_home", "nhs_office", "other"}
)
"""Asset types screened by default: buildings that can host clinics, meetings and drop-ins.
Pharmacies, dental surgeries and care homes are usually too specialised to host other
services, and NHS offices hold no public-facing space; name them in ``asset_types`` to
include them."""


@dataclass(frozen=True, slots=True)
class ScreenRules:
    """Rules a site must meet to be a candidate hub.

    Parameters
    ----------
    asset_types
        Asset types that may host services (default :data:`DEFAULT_HUB_TYPES`).
    owner_types
        Owner types allowed (default: every owner).
    min_gia_m2
        A site passes the space rule with at least this gross internal area …
    min_available_m2
        … or at least this much spare space (defaults 500 m² GIA or 100 m² spare: a
        small hub of two consulting rooms, a group room and a shared office). Both are
        assumptions for the planner to set.
    conditions
        ERIC-style condition grades allowed (default A and B: "as new" and "sound,
        operationally safe and exhibits only minor deterioration").
    step_free
        Require step-free public access (default True).
    tenures
        Tenures allowed (default: every tenure).
    in_area_only
        Only sites inside the study area and within a neighbourhood (default True).
    """

    asset_types: tuple[str, ...] = DEFAULT_HUB_TYPES
    owner_types: tuple[str, ...] = ()
    min_gia_m2: float = 500.0
    min_available_m2: float = 100.0
    conditions: tuple[str, ...] = ("A", "B")
    step_free: bool = True
    tenures: tuple[str, ...] = ()
    in_area_only: bool = True
    exclude_ids: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        problems = []
        for name in ("min_gia_m2", "min_available_m2"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                problems.append(f"{name} must be a number of m² >= 0, found {value}")
        bad = [t for t in self.asset_types if t not in c.ASSET_TYPES]
        if bad:
            problems.append(f"unknown asset types {bad} (known: {', '.join(c.ASSET_TYPES)})")
        bad = [t for t in self.owner_types if t not in c.OWNER_TYPES]
        if bad:
            problems.append(f"unknown owner types {bad} (known: {', '.join(c.OWNER_TYPES)})")
        bad = [t for t in self.conditions if t not in c.CONDITIONS]
        if bad:
            problems.append(f"unknown condition grades {bad} (known: {', '.join(c.CONDITIONS)})")
        bad = [t for t in self.tenures if t not in c.TENURES]
        if bad:
            problems.append(f"unknown tenures {bad} (known: {', '.join(c.TENURES)})")
        if problems:
            msg = "hub screening rules: " + "; ".join(problems)
            raise ConfigError(msg)


def _m2(value: float) -> str:
    return f"{value:,.0f} m²"


def _column(assets: pd.DataFrame, name: str) -> pd.Series:
    if name in assets.columns:
        return assets[name]
    return pd.Series(pd.NA, index=assets.index, dtype="object")


def screen_candidates(assets: gpd.GeoDataFrame, rules: ScreenRules | None = None) -> pd.DataFrame:
    """Screen every asset against the hub rules.

    Parameters
    ----------
    assets
        Asset layer (``asset_id``, ``asset_type``, ``owner_type``; optional ``gia_m2``,
        ``available_m2``, ``condition``, ``step_free``, ``tenure``, ``in_area``,
        ``neighbourhood_id``). Missing optional columns count as unknown.
    rules
        The rules (default :class:`ScreenRules`).

    Returns
    -------
    pandas.DataFrame
        One row per asset, in layer order: ``asset_id``, ``name``, ``neighbourhood_id``,
        ``asset_type``, ``owner_type``, ``status`` (``pass``/``fail``/``unknown``),
        ``reasons`` (plain English, "; "-separated: what passed, what failed, what is
        unknown), ``failed`` and ``unknown`` (comma-separated rule names).

    Raises
    ------
    MissingColumnError
        If ``asset_id``, ``asset_type`` or ``owner_type`` is missing.

    Examples
    --------
    >>> import geopandas as gpd
    >>> a = gpd.GeoDataFrame({"asset_id": ["L1"], "name": ["Library"], "asset_type": ["library"],
    ...     "owner_type": ["local_authority"], "gia_m2": [900.0], "condition": ["B"],
    ...     "step_free": [True], "in_area": [True], "neighbourhood_id": ["N1"]})
    >>> screen_candidates(a).loc[0, ["status", "reasons"]].tolist()
    ['pass', 'library; local_authority; space: GIA 900 m² >= 500 m²; condition B; step-free; tenure not restricted']
    """
    t0 = time.perf_counter()
    rules = rules or ScreenRules()
    missing = [col for col in (c.ASSET_ID, c.ASSET_TYPE, c.OWNER_TYPE) if col not in assets.columns]
    if missing:
        msg = f"cannot screen hubs: the asset layer lacks {', '.join(missing)}"
        raise MissingColumnError(msg)
    gia = pd.to_numeric(_column(assets, c.GIA_M2), errors="coerce").to_numpy(dtype=float)
    spare = pd.to_numeric(_column(assets, c.AVAILABLE_M2), errors="coerce").to_numpy(dtype=float)
    condition = _column(assets, c.CONDITION)
    step = _column(assets, c.STEP_FREE)
    tenure = _column(assets, c.TENURE)
    in_area = _column(assets, c.IN_AREA)
    nbh = _column(assets, c.NEIGHBOURHOOD_ID)
    rows = []
    for i in range(len(assets)):
        reasons: list[str] = []
        failed: list[str] = []
        unknown: list[str] = []
        a_type = str(assets[c.ASSET_TYPE].iloc[i])
        o_type = str(assets[c.OWNER_TYPE].iloc[i])
        if a_type in rules.asset_types:
            reasons.append(a_type)
        else:
            failed.append("asset_type")
            reasons.append(f"{a_type} is not a hub type")
        if not rules.owner_types or o_type in rules.owner_types:
            reasons.append(o_type)
        else:
            failed.append("owner_type")
            reasons.append(f"owner {o_type} not allowed")
        if str(assets[c.ASSET_ID].iloc[i]) in rules.exclude_ids:
            failed.append("excluded")
            reasons.append("excluded by the planner")
        if rules.in_area_only:
            inside = in_area.iloc[i]
            if pd.isna(nbh.iloc[i]) or (not pd.isna(inside) and not bool(inside)):
                failed.append("in_area")
                reasons.append("outside the study area's neighbourhoods")
        g, s = gia[i], spare[i]
        if np.isfinite(g) and g >= rules.min_gia_m2:
            reasons.append(f"space: GIA {_m2(g)} >= {_m2(rules.min_gia_m2)}")
        elif np.isfinite(s) and s >= rules.min_available_m2:
            reasons.append(f"space: {_m2(s)} spare >= {_m2(rules.min_available_m2)}")
        elif np.isfinite(g) and np.isfinite(s):
            failed.append("space")
            reasons.append(
                f"space: GIA {_m2(g)} < {_m2(rules.min_gia_m2)} and {_m2(s)} spare "
                f"< {_m2(rules.min_available_m2)}"
            )
        else:
            known = (
                f"GIA {_m2(g)}" if np.isfinite(g) else f"{_m2(s)} spare" if np.isfinite(s) else ""
            )
            unknown.append("space")
            reasons.append(
                "space unknown"
                + (f" ({known} below the rule; the other measure is not recorded)" if known else "")
            )
        grade = condition.iloc[i]
        if pd.isna(grade):
            unknown.append("condition")
            reasons.append("condition unknown")
        elif str(grade) in rules.conditions:
            reasons.append(f"condition {grade}")
        else:
            failed.append("condition")
            reasons.append(f"condition {grade} (needs {'/'.join(rules.conditions)})")
        if rules.step_free:
            sf = step.iloc[i]
            if pd.isna(sf):
                unknown.append("step_free")
                reasons.append("step-free access unknown")
            elif bool(sf):
                reasons.append("step-free")
            else:
                failed.append("step_free")
                reasons.append("not step-free")
        if rules.tenures:
            ten = tenure.iloc[i]
            if pd.isna(ten):
                unknown.append("tenure")
                reasons.append("tenure unknown")
            elif str(ten) in rules.tenures:
                reasons.append(f"tenure {ten}")
            else:
                failed.append("tenure")
                reasons.append(f"tenure {ten} not allowed")
        else:
            reasons.append("tenure not restricted")
        status = "fail" if failed else "unknown" if unknown else "pass"
        rows.append(
            {
                c.ASSET_ID: str(assets[c.ASSET_ID].iloc[i]),
                c.NAME: assets[c.NAME].iloc[i] if c.NAME in assets.columns else None,
                c.NEIGHBOURHOOD_ID: None if pd.isna(nbh.iloc[i]) else str(nbh.iloc[i]),
                c.ASSET_TYPE: a_type,
                c.OWNER_TYPE: o_type,
                "status": status,
                "reasons": "; ".join(reasons),
                "failed": ",".join(failed),
                "unknown": ",".join(unknown),
            }
        )
    out = pd.DataFrame(rows)
    counts = out["status"].value_counts() if len(out) else pd.Series(dtype=int)
    logger.info(
        "screened %d sites for hubs: %d pass, %d unknown, %d fail (%.3f s)",
        len(out), int(counts.get("pass", 0)), int(counts.get("unknown", 0)),
        int(counts.get("fail", 0)), time.perf_counter() - t0,
    )  # fmt: skip
    return out

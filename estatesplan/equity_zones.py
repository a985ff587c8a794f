"""Equity between groups of zones (e.g. neighbourhoods) and the zones left behind.

Re-exported by :mod:`estatesplan.equity`, whose module notes give the conventions: per-zone
arrays in one shared order, weights as cohort sizes (zones count by cohort size, never by
number), IMD deciles 1 (most deprived) .. 10, and NaN or infinite values as unreachable
within the travel-time cut-off (:func:`left_behind` always counts them as poor access).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from typing import Literal

import numpy as np
import pandas as pd

from ._equity_common import (
    NO_VALUE,
    ArrayLike,
    BoolArray,
    FloatArray,
    check_cutoff,
    check_deciles,
    check_inputs,
    check_values,
    check_weights,
    fmt_amount,
    left_out,
    log_done,
    to_float,
)
from .access import weighted_quantile
from .errors import ConfigError, DataQualityWarning, DuplicateIdError
from .validate import format_ids

__all__ = ["compare_groups", "left_behind"]

logger = logging.getLogger(__name__)


def compare_groups(
    values: ArrayLike,
    weights: ArrayLike,
    groups: ArrayLike,
    *,
    zone_ids: ArrayLike | None = None,
    higher_is_better: bool = False,
    cutoff_min: float | None = None,
    weight_name: str = "people",
) -> pd.DataFrame:
    """Compare groups of zones (e.g. neighbourhoods) on a cohort-weighted value.

    Parameters
    ----------
    values, weights, cutoff_min, weight_name
        As in :func:`~estatesplan.equity.quintile_summary`.
    groups
        Group per zone (e.g. ``neighbourhood_id``); NaN/None = in no group (left out, warned).
    zone_ids
        Zone ids for the worst zone; default the index of ``values`` when it is a Series,
        else positions 0..n−1.
    higher_is_better
        False for minutes: the worst zone has the largest value; rank 1 the largest mean.

    Returns
    -------
    pandas.DataFrame
        Index ``group`` (sorted); columns ``zones`` (with a value), ``weight``, ``mean``,
        ``median``, ``p10``, ``p90`` (cohort-weighted; a quantile is the smallest value with
        at least that share of the weight at or below it, numpy ``inverted_cdf``),
        ``worst_value``, ``worst_zone_id`` (worst zone with weight > 0; ties: lowest id as
        text) and ``rank`` (1 = worst off by mean; ties share the better-off-first rank).
        Statistics (and the worst id) are missing (NaN) for a group with no weight.
    """
    t0 = time.perf_counter()
    arrays = {"values": values, "weights": weights, "groups": groups, "zone_ids": zone_ids}
    check_inputs("compare_groups", arrays)
    v, w = check_values(values, cutoff_min), check_weights(weights)
    if zone_ids is not None:
        ids = np.asarray(zone_ids, dtype=object)
    else:
        ids = np.asarray(values.index if isinstance(values, pd.Series) else np.arange(len(v)))
    codes, labels = pd.factorize(pd.Series(groups, dtype=object), sort=True)
    nogroup, novalue = codes < 0, (codes >= 0) & np.isnan(v)
    notes = left_out(nogroup, w, weight_name, "in no group left out")
    notes += left_out(novalue, w, weight_name, NO_VALUE)
    if notes:
        warnings.warn("compare_groups: " + "; ".join(notes) + ".", DataQualityWarning, stacklevel=2)
    keep = ~nogroup & ~novalue
    bad = -v if higher_is_better else v
    rows = []
    for g, label in enumerate(labels):
        sel = np.flatnonzero(keep & (codes == g))
        gv, gw = v[sel], w[sel]
        total = float(gw.sum())
        row = {"group": label, "zones": len(sel), "weight": total, "mean": math.nan}
        row |= {k: weighted_quantile(gv, gw, q) for k, q in (("median", 0.5), ("p10", 0.1))}
        row |= {"p90": weighted_quantile(gv, gw, 0.9), "worst_value": math.nan}
        row["worst_zone_id"] = None
        if total > 0:
            cand = sel[gw > 0]
            top = cand[bad[cand] == bad[cand].max()]
            pick = top[np.argsort(ids[top].astype(str), kind="stable")[0]]
            row |= {"mean": float(gw @ gv) / total, "worst_value": float(v[pick])}
            row["worst_zone_id"] = ids[pick]
        rows.append(row)
    cols = ["group", "zones", "weight", "mean", "median", "p10", "p90", "worst_value"]
    out = pd.DataFrame(rows, columns=[*cols, "worst_zone_id"]).set_index("group")
    out["rank"] = out["mean"].rank(method="min", ascending=higher_is_better).astype("Int64")
    log_done(logger, f"compared {len(out)} groups", int(keep.sum()), t0)
    return out


def _top_share(bad: FloatArray, share: float) -> BoolArray:
    """True where at most ``share`` of zones (by count) have a value as high or higher."""
    as_high = len(bad) - np.searchsorted(np.sort(bad), bad, side="left")
    return np.asarray(as_high / len(bad) <= share + 1e-12, dtype=np.bool_)


def _share_word(q: float | None) -> str:
    return "fifth" if q is not None and abs(q - 0.8) < 1e-9 else f"{100 * (1 - (q or 0)):g}%"


def left_behind(
    zone_ids: ArrayLike,
    *,
    need: ArrayLike | None = None,
    access_minutes: ArrayLike,
    imd_decile: ArrayLike | None = None,
    need_quantile: float | None = 0.8,
    need_imd_max_decile: int | None = 2,
    need_rule: Literal["either", "both"] = "either",
    access_threshold: float | None = 20.0,
    access_quantile: float | None = 0.8,
    higher_is_better: bool = False,
    cutoff_min: float | None = None,
    need_label: str = "people",
    access_label: str = "nearest asset",
    mode_label: str = "",
    access_unit: str = "min",
) -> pd.DataFrame:
    """Zones with high need and poor access, worst first, each with a plain-English reason.

    High need (defaults): IMD decile <= ``need_imd_max_decile`` (2: the most deprived
    fifth of England, IMD quintile 1) OR ``need`` in the top fifth of zones (no more than a
    fifth of zones, by count, have a need as high or higher: ``need_quantile=0.8``);
    ``need_rule="both"`` asks for both when both are given. Poor access: beyond
    ``access_threshold`` (over it for minutes, under it if ``higher_is_better``) OR in the
    worst fifth of zones (``access_quantile=0.8``) OR unreachable (NaN, always poor). A
    rule whose keyword is None is switched off.

    Parameters
    ----------
    zone_ids
        Zone id per zone (unique).
    need
        Cohort size per zone (e.g. people over 65), >= 0, no NaN; None = IMD only.
    access_minutes
        Access per zone: minutes to the nearest asset (or a share with
        ``higher_is_better``); NaN = unreachable.
    imd_decile
        IMD decile per zone; NaN = unknown (cannot count as deprived; warned).
    need_quantile, need_imd_max_decile, need_rule, access_threshold, access_quantile
        The rule above (``access_threshold`` in ``access_unit``).
    higher_is_better
        True when access is a share or ratio rather than minutes.
    cutoff_min
        Minutes shown for unreachable zones (the matrix cut-off); None shows NaN.
    need_label, access_label, mode_label, access_unit
        Words for ``why``, e.g. ``"people over 65"``, ``"nearest GP"``, ``"on foot"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``zone_id``, ``need`` (NaN without ``need``), ``access``, ``imd_decile``
        (Int64) and ``why``, e.g. ``"IMD decile 1; 412 people over 65 (top fifth); nearest
        GP 23.4 min on foot, over 20 min"``; sorted by worst access (unreachable first),
        then higher need, then zone id as text.
    """
    t0 = time.perf_counter()
    problems = [
        "give `need` (cohort sizes), `imd_decile`, or both" if need is None and imd_decile is None else "",
        f"need_rule must be 'either' or 'both', not {need_rule!r}" if need_rule not in ("either", "both") else "",
        "set access_threshold or access_quantile" if access_threshold is None and access_quantile is None else "",
    ] + [
        f"{k} must be between 0 and 1 (exclusive) or None, not {q!r}"
        for k, q in (("need_quantile", need_quantile), ("access_quantile", access_quantile))
        if q is not None and not 0.0 < q < 1.0
    ]  # fmt: skip
    if problems := [p for p in problems if p]:
        msg = "left_behind: " + "; ".join(problems) + "."
        raise ConfigError(msg)
    check_cutoff(cutoff_min)
    arrays = {"zone_ids": zone_ids, "need": need, "access_minutes": access_minutes}
    check_inputs("left_behind", arrays | {"imd_decile": imd_decile})
    ids = pd.Series(np.asarray(zone_ids, dtype=object))
    if ids.duplicated().any():
        msg = f"left_behind: zone ids repeat ({format_ids(ids[ids.duplicated()].unique())}); give one row per zone."
        raise DuplicateIdError(msg)
    n, none = len(ids), np.zeros(len(ids), dtype=np.bool_)
    acc = to_float(access_minutes, "access_minutes")
    unreachable = ~np.isfinite(acc)
    bad = np.where(unreachable, np.inf, -acc if higher_is_better else acc)
    nd = check_weights(need, "need") if need is not None else None
    dec = check_deciles(imd_decile) if imd_decile is not None else np.full(n, np.nan)
    if imd_decile is not None and np.isnan(dec).any():
        msg = f"left_behind: {int(np.isnan(dec).sum())} zone(s) have no IMD decile and cannot count as deprived."
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    top_need = _top_share(nd, 1 - need_quantile) if nd is not None and need_quantile else none
    deprived = dec <= need_imd_max_decile if need_imd_max_decile is not None else none
    both = need_rule == "both" and nd is not None and imd_decile is not None
    high = (top_need & deprived) if both else (top_need | deprived)
    limit = math.inf if access_threshold is None else access_threshold
    over = ~unreachable & (bad > (-limit if higher_is_better else limit))
    worst = _top_share(bad, 1 - access_quantile) if access_quantile is not None else none
    flagged = np.flatnonzero(high & (unreachable | over | worst))
    mode = f" {mode_label}" if mode_label else ""
    whys = []
    for i in flagged:
        parts = [f"IMD decile {int(dec[i])}"] if deprived[i] else []
        if nd is not None:
            top = f" (top {_share_word(need_quantile)})" if top_need[i] else ""
            parts.append(f"{fmt_amount(float(nd[i]))} {need_label}{top}")
        if unreachable[i] and cutoff_min is not None:
            text = f"{access_label} over {cutoff_min:g} {access_unit}{mode} (beyond the cut-off)"
        elif unreachable[i]:
            text = f"{access_label} unreachable{mode} within the cut-off"
        else:
            text = f"{access_label} {acc[i]:.1f} {access_unit}{mode}"
            if over[i]:
                side = "under" if higher_is_better else "over"
                text += f", {side} {access_threshold:g} {access_unit}"
            if worst[i]:
                text += f" (worst {_share_word(access_quantile)} of zones)"
        whys.append("; ".join([*parts, text]))
    shown = np.where(unreachable & (cutoff_min is not None), cutoff_min or 0.0, acc)
    out = pd.DataFrame(
        {
            "zone_id": ids.to_numpy()[flagged],
            "need": nd[flagged] if nd is not None else np.full(len(flagged), np.nan),
            "access": shown[flagged],
            "imd_decile": pd.Series(dec[flagged]).astype("Int64"),
            "why": pd.Series(whys, dtype=object),
            "_bad": bad[flagged],
            "_id": ids.astype(str).to_numpy()[flagged],
        }
    )
    out = out.sort_values(["_bad", "need", "_id"], ascending=[False, False, True], kind="stable")
    out = out.drop(columns=["_bad", "_id"]).reset_index(drop=True)
    poor = int((unreachable | over | worst).sum())
    what = f"left behind: {len(out)} zones ({int(high.sum())} high need, {poor} poor access)"
    log_done(logger, what, n, t0)
    return out

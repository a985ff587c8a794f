"""Views of a study's access results: the choices, zone values and tables the app shows.

:class:`~estatesplan.study_access.AccessResults` holds tidy tables (one row per zone ×
mode × asset set, cohort × mode × asset set, …). The map app, notebooks and reports
show slices of them: the values of one metric per zone for a cohort, mode and asset
set; the S-curves of a cohort by mode; its equity measures; the zones left behind.
This module cuts those slices, names them in plain English and checks the choices,
so that the app only arranges calls. It computes no new measure except the
cohort-weighted ``beyond_<T>`` (people of the cohort in a zone whose nearest site is
more than T minutes away or unreachable), a product of two published columns.

Conventions: zone values are indexed like ``study.zones``; minutes are minutes; NaN
in a minute column means no site within the matrices' cut-off; shares are fractions
0–1 unless a function says it returns percentages.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from . import contracts as c
from .errors import ConfigError
from .study_access import BEST, AccessResults

if TYPE_CHECKING:
    from .study import Study

__all__ = [
    "BEYOND_PREFIX",
    "MODE_LABELS",
    "asset_sets",
    "cohort_summary",
    "cutoff_min",
    "equity_rows",
    "has_access",
    "left_behind_caption",
    "left_behind_rows",
    "metric_formatter",
    "metric_label",
    "metric_options",
    "mode_label",
    "mode_options",
    "neighbourhood_rows",
    "s_curve_table",
    "transit_note",
    "zone_table",
    "zone_values",
]

logger = logging.getLogger(__name__)

BEYOND_PREFIX: Final = "beyond_"
"""Prefix of the cohort metrics ``beyond_<T>``: people with no site within T minutes."""

MODE_LABELS: Final[dict[str, str]] = {
    "walk": "Walk",
    "cycle": "Cycle",
    "drive": "Drive",
    "transit": "Public transport",
    BEST: "Fastest available",
}
"""Display names of the modes (``best`` is the fastest mode a cohort can use)."""

_ZONE_METRICS: Final[tuple[str, ...]] = ("gravity", "fca_2sfca", "fca_e2sfca")
_FCA_SCALE: Final = 10_000.0
"""Floating catchments are shown per this many residents (the table holds per resident)."""

_EQUITY_COLUMNS: Final[tuple[str, ...]] = (
    "measure", "description", "mean", "q1_mean", "q5_mean", "gap", "ratio",
    "worse_in_deprived", "sii", "rii", "concentration_index", "zones", "weight",
)  # fmt: skip
_SUMMARY_COLUMNS: Final[tuple[str, ...]] = (
    "cohort", "mode", "people", "mean_min", "median_min", "p90_min", "unreachable",
)  # fmt: skip


def has_access(results: AccessResults | None) -> bool:
    """Return True when there are zone access results to show.

    Parameters
    ----------
    results
        The study's access results, or None.

    Returns
    -------
    bool
        False for None or an empty zone table (no matrices were computed).
    """
    return results is not None and not results.zones.empty


def _unique(values: pd.Series) -> list[str]:
    return [str(v) for v in pd.unique(values.astype(str))]


def asset_sets(results: AccessResults) -> dict[str, str]:
    """Return the asset sets access was measured to, with their labels.

    Parameters
    ----------
    results
        Access results.

    Returns
    -------
    dict of str to str
        Set name → label (e.g. ``"gp_practices"`` → ``"GP practices"``), in the order
        of the zone table; the name stands in for a label the settings do not record.
    """
    labels = results.settings.get("asset_sets", {})
    names = _unique(results.zones["asset_set"]) if not results.zones.empty else []
    return {n: str(labels.get(n, {}).get("label", n)) for n in names}


def mode_label(mode: str) -> str:
    """Return the display name of a mode ("Walk", "Fastest available", …)."""
    return MODE_LABELS.get(mode, mode.replace("_", " ").capitalize())


def transit_note(results: AccessResults) -> tuple[str, bool] | None:
    """How public transport was measured in these results, for a caption.

    Parameters
    ----------
    results
        Access results.

    Returns
    -------
    tuple of (str, bool) or None
        The sentence and whether transit was computed; None for results written before
        the record existed.
    """
    from .study_transit import transit_sentence

    status = results.settings.get("transit")
    if not isinstance(status, dict):
        return None
    return transit_sentence(status), status.get("status") == "computed"


def mode_options(results: AccessResults, *, cohort: str, asset_set: str) -> list[str]:
    """Return the modes a cohort can be shown for, to one asset set.

    Parameters
    ----------
    results
        Access results.
    cohort
        Cohort name.
    asset_set
        Asset set name.

    Returns
    -------
    list of str
        The modes of the zone table open to the cohort (``settings["cohort_modes"]``;
        every mode when the settings do not say), then ``"best"`` when the fastest-mode
        table has the cohort; empty when the asset set is unknown.
    """
    zones = results.zones
    present = _unique(zones.loc[zones["asset_set"] == asset_set, "mode"]) if len(zones) else []
    allowed = results.settings.get("cohort_modes", {}).get(cohort)
    modes = [m for m in present if allowed is None or m in allowed]
    best = results.best
    if not best.empty and ((best["cohort"] == cohort) & (best["asset_set"] == asset_set)).any():
        modes.append(BEST)
    return modes


def _thresholds(results: AccessResults) -> list[str]:
    """Threshold tokens ("10", "15", …) of the zone table's ``within_<T>`` columns."""
    return [
        col.removeprefix("within_") for col in results.zones.columns if col.startswith("within_")
    ]


def metric_options(results: AccessResults, *, mode: str) -> list[str]:
    """Return the metrics that can be mapped for a mode.

    Parameters
    ----------
    results
        Access results.
    mode
        A mode of the zone table, or ``"best"``.

    Returns
    -------
    list of str
        ``nearest_min``, ``within_<T>`` per threshold, ``gravity``, ``fca_2sfca``,
        ``fca_e2sfca`` (those the zone table holds), then the cohort metrics
        ``beyond_<T>``; for ``"best"`` only ``nearest_min`` and ``beyond_<T>`` (the
        fastest-mode table holds minutes only).
    """
    cols = set(results.zones.columns)
    beyond = [f"{BEYOND_PREFIX}{t}" for t in _thresholds(results)]
    if mode == BEST:
        return ["nearest_min", *beyond]
    within = [f"within_{t}" for t in _thresholds(results)]
    zone = [m for m in ("nearest_min", *within, *_ZONE_METRICS) if m in cols]
    return [*zone, *beyond]


def cutoff_min(results: AccessResults, mode: str | None = None) -> float:
    """Return the matrices' cut-off in minutes (of ``mode``, else the largest; NaN if unknown)."""
    cutoffs = results.settings.get("cutoff_min", {})
    if mode is not None and mode in cutoffs:
        return float(cutoffs[mode])
    return float(max(cutoffs.values())) if cutoffs else math.nan


def _supply_words(results: AccessResults) -> str:
    supply = str(results.settings.get("supply", "one unit per site"))
    return "sites" if supply == "one unit per site" else supply.replace("_", " ")


def metric_label(metric: str, *, cohort: str, results: AccessResults) -> str:
    """Return a legend caption for a metric, with its unit.

    Parameters
    ----------
    metric
        One of :func:`metric_options`.
    cohort
        Cohort name (for the ``beyond_<T>`` metrics).
    results
        Access results (for the supply unit).

    Returns
    -------
    str
        E.g. "Minutes to the nearest site", "Sites within 15 min", "Over 65 with no site
        within 20 min (people)".
    """
    supply = _supply_words(results)
    per = f"{_FCA_SCALE:,.0f} residents"
    if metric == "nearest_min":
        return "Minutes to the nearest site"
    if metric.startswith("within_"):
        return f"Sites within {metric.removeprefix('within_')} min"
    if metric.startswith(BEYOND_PREFIX):
        unit = "households" if cohort == c.HOUSEHOLDS_NO_CAR else "people"
        t = metric.removeprefix(BEYOND_PREFIX)
        return f"{cohort.replace('_', ' ').capitalize()} with no site within {t} min ({unit})"
    labels = {
        "gravity": f"Gravity access ({supply}, weighted by exponential decay of time)",
        "fca_2sfca": f"2SFCA: {supply} per {per}",
        "fca_e2sfca": f"Enhanced 2SFCA: {supply} per {per}",
    }
    return labels.get(metric, metric.replace("_", " "))


def metric_formatter(metric: str, *, cutoff: float = math.nan) -> Callable[[float], str]:
    """Return the text formatter of a metric's values for tooltips and legends.

    Parameters
    ----------
    metric
        One of :func:`metric_options`.
    cutoff
        The matrices' cut-off in minutes, named for unreachable zones.

    Returns
    -------
    callable
        Float → text. NaN reads "none within <cut-off> min" for ``nearest_min`` and
        "unknown" otherwise; floating catchments are shown per 10,000 residents.
    """

    def fmt(value: float) -> str:
        if not math.isfinite(value):
            if metric == "nearest_min":
                return f"none within {cutoff:g} min" if math.isfinite(cutoff) else "unreachable"
            return "unknown"
        if metric == "nearest_min":
            return f"{value:.1f} min"
        if metric.startswith(("within_", BEYOND_PREFIX)):
            return f"{value:,.0f}"
        if metric.startswith("fca_"):
            return f"{value * _FCA_SCALE:,.2f}"
        return f"{value:,.2f}"

    return fmt


def _check_choice(what: str, value: str, options: list[str]) -> None:
    if value not in options:
        msg = (
            f"{what} {value!r} is not available in these access results; choose one of "
            f"{', '.join(options) or '(none)'}."
        )
        raise ConfigError(msg)


def _by_zone(study: Study, frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` (one row per zone id) aligned to ``study.zones``' index."""
    values = pd.Series(
        pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64),
        index=pd.Index(frame[c.ZONE_ID].astype(str)),
    )
    ids = study.zones[c.ZONE_ID].astype(str).to_numpy()
    return pd.Series(values.reindex(ids).to_numpy(), index=study.zones.index, dtype="float64")


def zone_values(
    study: Study,
    results: AccessResults,
    *,
    metric: str,
    cohort: str,
    mode: str,
    asset_set: str,
) -> pd.Series:
    """Return one access metric per zone, for a cohort, mode and asset set.

    Parameters
    ----------
    study
        The study whose zones the values are aligned to.
    results
        Its access results.
    metric
        One of :func:`metric_options` for ``mode``.
    cohort
        A column of ``study.cohort_weights`` (used by ``mode="best"`` and ``beyond_<T>``).
    mode
        One of :func:`mode_options`.
    asset_set
        One of :func:`asset_sets`.

    Returns
    -------
    pandas.Series
        Float64 indexed like ``study.zones``, named ``metric``: the zone table's
        column (minutes; sites; supply per resident), the fastest mode's minutes for
        ``"best"``, or for ``beyond_<T>`` the cohort's people (households) in zones
        whose nearest site is over T minutes or unreachable (0 elsewhere). NaN: no
        site within the cut-off (minutes), or a zone missing from the results.

    Raises
    ------
    ConfigError
        If the cohort, asset set, mode or metric is not available.
    """
    _check_choice("cohort", cohort, [str(x) for x in study.cohort_weights.columns])
    _check_choice("asset set", asset_set, list(asset_sets(results)))
    _check_choice("mode", mode, mode_options(results, cohort=cohort, asset_set=asset_set))
    _check_choice("metric", metric, metric_options(results, mode=mode))
    if mode == BEST:
        b = results.best
        rows = b[(b["cohort"] == cohort) & (b["asset_set"] == asset_set)]
        column = "best_min"
    else:
        z = results.zones
        rows = z[(z["mode"] == mode) & (z["asset_set"] == asset_set)]
        column = "nearest_min" if metric.startswith(BEYOND_PREFIX) else metric
    values = _by_zone(study, rows, column)
    if metric.startswith(BEYOND_PREFIX):
        t = float(metric.removeprefix(BEYOND_PREFIX))
        weights = pd.to_numeric(study.cohort_weights[cohort], errors="coerce").astype("float64")
        weights = weights.reindex(study.zones.index)
        within = (values <= t).fillna(False).astype(bool)
        values = weights.where(~within, 0.0)
    logger.debug(
        "zone values %s of %s by %s for %s: %d zones, %d NaN",
        metric, asset_set, mode, cohort, len(values), int(values.isna().sum()),
    )  # fmt: skip
    return values.rename(metric)


def zone_table(study: Study, values: pd.Series) -> pd.DataFrame:
    """Return the zones with one metric's values, for a sortable table.

    Parameters
    ----------
    study
        The study.
    values
        One value per zone, indexed like ``study.zones`` (e.g. :func:`zone_values`),
        named after the metric.

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``name`` and ``neighbourhood_id`` (where the zones have them) and
        the values under their name, in zone order; NaN as in ``values``.
    """
    zones = study.zones
    cols = [col for col in (c.ZONE_ID, c.ZONE_NAME, c.NEIGHBOURHOOD_ID) if col in zones]
    table = pd.DataFrame(zones[cols]).copy()
    table[str(values.name or "value")] = values.reindex(zones.index).to_numpy(dtype=np.float64)
    return table.reset_index(drop=True)


def s_curve_table(results: AccessResults, *, cohort: str, asset_set: str) -> pd.DataFrame:
    """Return a cohort's S-curves by mode, as percentages, for a line chart.

    Parameters
    ----------
    results
        Access results.
    cohort
        Cohort name.
    asset_set
        Asset set name.

    Returns
    -------
    pandas.DataFrame
        Index ``minute`` (float, ascending); one column per mode (display name, in
        :func:`mode_options` order): the % (0–100) of the cohort whose nearest site
        is within that many minutes. Empty when the results have no curve for them.
    """
    curves = results.s_curves
    if curves.empty:
        return pd.DataFrame()
    rows = curves[(curves["cohort"] == cohort) & (curves["asset_set"] == asset_set)]
    if rows.empty:
        return pd.DataFrame()
    wide = rows.pivot_table(index="minute", columns="mode", values="share", sort=True)
    order = [m for m in mode_options(results, cohort=cohort, asset_set=asset_set) if m in wide]
    order += [m for m in wide.columns if m not in order]
    out = wide[order] * 100.0
    out.columns = pd.Index([mode_label(str(m)) for m in order])
    out.index = pd.Index(out.index.astype("float64"), name="minute")
    return out


def cohort_summary(results: AccessResults, *, cohort: str, asset_set: str) -> pd.DataFrame:
    """Return a cohort's access summary by mode (people, mean/median/p90 minutes, shares).

    Parameters
    ----------
    results
        Access results.
    cohort
        Cohort name.
    asset_set
        Asset set name.

    Returns
    -------
    pandas.DataFrame
        One row per mode (in the results' order) with ``cohort``, ``mode``, ``people``,
        ``mean_min``, ``median_min``, ``p90_min``, ``unreachable`` and
        ``share_within_<T>`` (fractions 0–1) as in ``AccessResults.cohorts``.
    """
    t = results.cohorts
    if t.empty:
        return pd.DataFrame(columns=list(_SUMMARY_COLUMNS))
    rows = t[(t["cohort"] == cohort) & (t["asset_set"] == asset_set)]
    cols = [col for col in t.columns if col in _SUMMARY_COLUMNS or col.startswith("share_within_")]
    return rows[cols].reset_index(drop=True)


_MEASURE_WORDS: Final = {
    "nearest_min": "Minutes to the nearest site",
    "e2sfca": "Enhanced 2SFCA (supply per resident)",
}


def _measure_words(measure: str) -> str:
    if measure in _MEASURE_WORDS:
        return _MEASURE_WORDS[measure]
    if measure.startswith("within_") and measure.endswith("_min"):
        return f"Share within {measure.removeprefix('within_').removesuffix('_min')} min"
    return measure.replace("_", " ")


def equity_rows(results: AccessResults, *, cohort: str, mode: str, asset_set: str) -> pd.DataFrame:
    """Return the equity measures of a cohort, mode and asset set (one row per measure).

    Parameters
    ----------
    results
        Access results.
    cohort, mode, asset_set
        The slice; ``mode`` may be ``"best"``.

    Returns
    -------
    pandas.DataFrame
        ``measure``, ``description``, then as in ``AccessResults.equity``: ``mean``,
        ``q1_mean`` (most deprived IMD quintile), ``q5_mean`` (least deprived),
        ``gap`` and ``ratio`` (Q1 against Q5), ``worse_in_deprived``, ``sii``,
        ``rii``, ``concentration_index``, ``zones``, ``weight``; in the results'
        order. Empty when the zones have no IMD (no equity was computed).
    """
    e = results.equity
    if e.empty:
        return pd.DataFrame(columns=list(_EQUITY_COLUMNS))
    rows = e[(e["cohort"] == cohort) & (e["mode"] == mode) & (e["asset_set"] == asset_set)]
    out = rows.reset_index(drop=True).copy()
    out["description"] = [_measure_words(str(m)) for m in out["measure"]]
    return out[[col for col in _EQUITY_COLUMNS if col in out.columns]]


def neighbourhood_rows(
    results: AccessResults,
    neighbourhoods: pd.DataFrame,
    *,
    cohort: str,
    mode: str,
    asset_set: str,
) -> pd.DataFrame:
    """Return the cohort's time to the nearest site compared between neighbourhoods.

    Parameters
    ----------
    results
        Access results.
    neighbourhoods
        Neighbourhood layer (``neighbourhood_id``, ``name``) for the names.
    cohort, mode, asset_set
        The slice; ``mode`` may be ``"best"``.

    Returns
    -------
    pandas.DataFrame
        ``AccessResults.neighbourhoods`` rows of the slice (minutes; ``rank`` 1 =
        worst), with ``name`` after ``neighbourhood_id``, sorted by rank.
    """
    t = results.neighbourhoods
    if t.empty:
        return pd.DataFrame()
    rows = t[(t["cohort"] == cohort) & (t["mode"] == mode) & (t["asset_set"] == asset_set)]
    rows = rows.drop(columns=["cohort", "mode", "asset_set"]).copy()
    if c.NAME in neighbourhoods.columns:
        names = pd.Series(
            neighbourhoods[c.NAME].astype("string").to_numpy(),
            index=neighbourhoods[c.NEIGHBOURHOOD_ID].astype(str).to_numpy(),
        )
        rows.insert(1, c.NAME, rows[c.NEIGHBOURHOOD_ID].astype(str).map(names))
    if "rank" in rows:
        rows = rows.sort_values("rank", kind="stable")
    return rows.reset_index(drop=True)


def left_behind_rows(results: AccessResults, zones: pd.DataFrame, *, cohort: str) -> pd.DataFrame:
    """Return the zones left behind for a cohort (high need, poor access), worst first.

    Parameters
    ----------
    results
        Access results.
    zones
        Zone layer (``zone_id``; ``name`` and ``neighbourhood_id`` when present).
    cohort
        Cohort name.

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``name``, ``neighbourhood_id`` (where the zones have them),
        ``need`` (people or households), ``access`` (minutes; the cut-off for
        unreachable zones), ``imd_decile`` and ``why``, in the results' order.
    """
    lb = results.left_behind
    base = [c.ZONE_ID, "need", "access", "imd_decile", "why"]
    if lb.empty:
        return pd.DataFrame(columns=base)
    rows = lb[lb["cohort"] == cohort].reset_index(drop=True)
    out = rows[[col for col in base if col in rows.columns]].copy()
    ids = zones[c.ZONE_ID].astype(str).to_numpy()
    for pos, col in enumerate((c.ZONE_NAME, c.NEIGHBOURHOOD_ID), start=1):
        if col in zones.columns:
            lookup = pd.Series(zones[col].astype("string").to_numpy(), index=ids)
            out.insert(pos, col, out[c.ZONE_ID].astype(str).map(lookup))
    return out


def left_behind_caption(results: AccessResults) -> str:
    """Return what "left behind" means in these results, in one sentence.

    Returns
    -------
    str
        E.g. "High need and the nearest GP practices more than 20 min away by walk
        (or in the worst fifth of zones)."; empty when the settings do not say.
    """
    lb = results.settings.get("left_behind", {})
    aset, mode, t = lb.get("asset_set"), lb.get("mode"), lb.get("threshold_min")
    if aset is None or mode is None or t is None:
        return ""
    label = asset_sets(results).get(str(aset), str(aset))
    return (
        f"High need (most deprived fifth by IMD, or the top fifth of zones by the cohort's "
        f"size) and the nearest of the {label} more than {float(t):g} min away by "
        f"{mode_label(str(mode)).lower()}, unreachable, or in the worst fifth of zones."
    )

"""Input checks and preparation shared by :mod:`estatesplan.equity` and :mod:`estatesplan.equity_zones`.

Private plumbing: conventions (zone order, weights, deciles, NaN meaning) are those of
the :mod:`estatesplan.equity` module notes. Each check raises
:class:`~estatesplan.errors.DataContractError` or :class:`~estatesplan.errors.ConfigError`
saying what is wrong and what to do.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from .errors import ConfigError, DataContractError, DataQualityWarning
from .validate import format_ids

__all__ = [
    "NO_VALUE",
    "ArrayLike",
    "BoolArray",
    "Clean",
    "FloatArray",
    "check_cutoff",
    "check_deciles",
    "check_inputs",
    "check_values",
    "check_weights",
    "fmt_amount",
    "left_out",
    "log_done",
    "prepare",
    "to_float",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ArrayLike = npt.ArrayLike


def fmt_amount(x: float) -> str:
    """A count or amount for messages: whole numbers without decimals, else one."""
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.1f}"


def log_done(log: logging.Logger, what: str, n: int, t0: float) -> None:
    """Log one DEBUG line (the calling stage logs at INFO): what was done, zones, time."""
    log.debug("%s over %d zones in %.3f s", what, n, time.perf_counter() - t0)


def to_float(x: ArrayLike, name: str) -> FloatArray:
    """One value per zone as a new float64 array (NaN for missing); ``name`` for messages."""
    if np.ndim(x) != 1:
        msg = f"{name} must be one-dimensional (one value per zone); got {np.ndim(x)} dimensions"
        raise DataContractError(msg)
    s = x if isinstance(x, pd.Series) else pd.Series(x)
    if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
        try:
            s = pd.to_numeric(s, errors="raise")
        except (ValueError, TypeError) as exc:
            msg = f"{name} must be numbers, one per zone ({exc}); convert the column to numbers."
            raise DataContractError(msg) from exc
    return np.array(s.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64, copy=True)


def check_inputs(caller: str, arrays: Mapping[str, object]) -> None:
    """Check the per-zone arrays (None: not given) have one length and, as Series, one index."""
    sized = {k: len(cast("pd.Series[float]", v)) for k, v in arrays.items() if v is not None}
    if len(set(sized.values())) > 1:
        detail = ", ".join(f"{k} has {n} entries" for k, n in sized.items())
        msg = f"{caller}: {detail}; every array must have one entry per zone, in the same order."
        raise DataContractError(msg)
    series = {k: v.index for k, v in arrays.items() if isinstance(v, pd.Series)}
    names = list(series)
    bad = [k for k in names[1:] if not series[names[0]].equals(series[k])]
    if bad:
        msg = (
            f"{caller}: the pandas index of {', '.join(bad)} differs from that of {names[0]}; "
            "arrays are matched by position, so reindex them to one zone order (or pass numpy "
            "arrays)."
        )
        raise DataContractError(msg)


def check_weights(w: ArrayLike, name: str = "weights") -> FloatArray:
    """Cohort sizes per zone: finite and >= 0."""
    out = to_float(w, name)
    if (bad := ~np.isfinite(out)).any():
        msg = (
            f"{name}: {int(bad.sum())} zone(s) have no cohort size (NaN or infinite) at "
            f"positions {format_ids(np.flatnonzero(bad))}; fill them (0 if nobody) first."
        )
        raise DataContractError(msg)
    if (neg := out < 0).any():
        msg = (
            f"{name}: {int(neg.sum())} zone(s) have negative cohort sizes (e.g. "
            f"{out[neg][0]:g} at position {int(np.flatnonzero(neg)[0])}); sizes must be >= 0."
        )
        raise DataContractError(msg)
    return out


def check_deciles(d: ArrayLike, name: str = "imd_decile") -> FloatArray:
    """IMD deciles per zone: whole numbers 1..10, NaN for unknown."""
    out = to_float(d, name)
    bad = ~np.isnan(out) & ~np.isin(out, np.arange(1.0, 11.0))
    if bad.any():
        msg = (
            f"{name}: {int(bad.sum())} zone(s) have deciles outside 1..10 or not whole numbers "
            f"({format_ids(f'{x:g}' for x in np.unique(out[bad]))}); IMD deciles run from 1 "
            "(most deprived tenth of England) to 10."
        )
        raise DataContractError(msg)
    return out


def check_cutoff(cutoff_min: float | None) -> None:
    """The matrix cut-off: finite minutes >= 0, or None."""
    if cutoff_min is not None and not (math.isfinite(cutoff_min) and cutoff_min >= 0):
        msg = f"cutoff_min must be a finite number of minutes >= 0, or None; got {cutoff_min!r}"
        raise ConfigError(msg)


def check_values(v: ArrayLike, cutoff_min: float | None) -> FloatArray:
    """Values per zone; unreachable (NaN or infinite) as NaN, or at ``cutoff_min`` when given."""
    check_cutoff(cutoff_min)
    out = to_float(v, "values")
    out[~np.isfinite(out)] = np.nan if cutoff_min is None else cutoff_min
    return out


def left_out(mask: BoolArray, w: FloatArray, weight_name: str, what: str) -> list[str]:
    """A note (empty list if none) on the zones and weight in ``mask``, for a warning."""
    if not mask.any():
        return []
    return [f"{int(mask.sum())} zone(s) ({fmt_amount(float(w[mask].sum()))} {weight_name}) {what}"]


NO_VALUE = (
    "with no value (NaN: unreachable within the travel-time cut-off) left out; pass "
    "cutoff_min=<the cut-off> to count them at the cut-off instead"
)


@dataclass(frozen=True, slots=True)
class Clean:
    """The zones kept by :func:`prepare`: value, weight and deprivation key per zone."""

    values: FloatArray
    weights: FloatArray
    key: FloatArray


def prepare(
    caller: str,
    values: ArrayLike,
    weights: ArrayLike,
    deprivation: ArrayLike,
    kind: Literal["decile", "rank"],
    cutoff_min: float | None,
    weight_name: str,
) -> Clean:
    """Check inputs, warn once about what is left out, and return the zones kept."""
    label = "IMD decile" if kind == "decile" else "deprivation rank or score"
    check_inputs(caller, {"values": values, "weights": weights, label: deprivation})
    v, w = check_values(values, cutoff_min), check_weights(weights)
    d = check_deciles(deprivation) if kind == "decile" else to_float(deprivation, label)
    unknown = ~np.isfinite(d)
    no_value = ~unknown & np.isnan(v)
    notes = left_out(
        unknown, w, weight_name, f"with unknown {label} (NaN) left out; add it to the zones"
    ) + left_out(no_value, w, weight_name, NO_VALUE)
    if notes:
        warnings.warn(f"{caller}: " + "; ".join(notes) + ".", DataQualityWarning, stacklevel=3)
    keep = ~unknown & ~no_value
    return Clean(v[keep], w[keep], d[keep])

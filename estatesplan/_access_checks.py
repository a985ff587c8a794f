"""Input checks and row chunking for :mod:`estatesplan.access` (private plumbing).

Each check takes ``what``, the public function's name, for its messages, and raises
:class:`~estatesplan.errors.DataContractError` (bad data) or
:class:`~estatesplan.errors.ConfigError` (bad option) saying what is wrong and what to do.
Conventions (units, NaN meaning, shapes) are those of :mod:`estatesplan.access`.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from .errors import ConfigError, DataContractError, DataQualityWarning

__all__ = [
    "check_bands",
    "check_mask",
    "check_matrix",
    "check_number",
    "check_pair",
    "check_vector",
    "float_rows",
    "kept_pairs",
    "row_chunks",
]

logger = logging.getLogger(__name__)

_FArr = npt.NDArray[np.float64]
_BArr = npt.NDArray[np.bool_]


def row_chunks(n_rows: int, n_cols: int, *, chunk_cells: int) -> Iterator[slice]:
    """Yield row slices of about ``chunk_cells`` cells each (at least one row)."""
    step = max(1, chunk_cells // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def float_rows(minutes: npt.NDArray[np.floating], rows: slice) -> _FArr:
    """Rows of the matrix as float64 (a view of a float64 matrix: never written to)."""
    return np.asarray(minutes[rows], dtype=np.float64)


def check_matrix(
    minutes: npt.ArrayLike, what: str, *, chunk_cells: int
) -> npt.NDArray[np.floating]:
    """Check the matrix: 2-D, numeric, no negative times; warn when nothing is reachable.

    Scans the matrix in row chunks of about ``chunk_cells`` cells. The warning is
    raised at the caller of ``what`` (call this directly from the public function).
    """
    try:
        m = np.asarray(minutes)
        if not np.issubdtype(m.dtype, np.floating):
            m = m.astype(np.float64)
    except (TypeError, ValueError) as err:
        msg = f"{what}: the travel-time matrix is not numeric ({err}); pass minutes as floats."
        raise DataContractError(msg) from err
    if m.ndim != 2:
        msg = (
            f"{what}: the travel-time matrix must be 2-D (zones × sites), got shape "
            f"{m.shape}; pass TravelTimeMatrix.minutes."
        )
        raise DataContractError(msg)
    negative, reached = 0, 0
    for rows in row_chunks(*m.shape, chunk_cells=chunk_cells):
        block = m[rows]
        negative += int(np.count_nonzero(block < 0))
        reached += int(np.count_nonzero(np.isfinite(block).any(axis=1)))
    if negative:
        msg = (
            f"{what}: {negative} travel times are negative; times must be minutes >= 0 "
            "(NaN for unreachable). Check how the matrix was built."
        )
        raise DataContractError(msg)
    n_zones, n_sites = m.shape
    if n_zones and not reached:
        msg = (
            f"{what}: all {n_zones} zones are unreachable: none reaches any of the "
            f"{n_sites} sites (every travel time is NaN). Results are NaN or zero; check "
            "the mode's cut-off and that the matrix belongs to these zones and sites."
        )
        warnings.warn(msg, DataQualityWarning, stacklevel=3)
    elif reached < n_zones:
        logger.debug("%s: %d of %d zones reach no site", what, n_zones - reached, n_zones)
    return m


def check_vector(values: npt.ArrayLike, n: int, what: str, name: str, *, per: str) -> _FArr:
    """A non-negative, finite float64 vector of length ``n`` (weights, demand, supply)."""
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        msg = f"{what}: {name} is not numeric ({err}); pass one number per {per}."
        raise DataContractError(msg) from err
    if v.ndim != 1 or len(v) != n:
        msg = (
            f"{what}: {name} has shape {v.shape} but the matrix has {n} {per}s; pass one "
            f"value per {per}, in the matrix's {per} order."
        )
        raise DataContractError(msg)
    bad = {"NaN": np.isnan(v), "infinite": np.isinf(v), "negative": v < 0}
    found = [f"{k} {kind}" for kind, flags in bad.items() if (k := int(flags.sum()))]
    if found:
        msg = (
            f"{what}: {name} has {' and '.join(found)} values (of {n} {per}s); each must "
            "be a finite number >= 0 (0 for none, not NaN)."
        )
        raise DataContractError(msg)
    return v


def check_mask(columns: npt.ArrayLike | None, n_sites: int, what: str) -> _BArr | None:
    """A boolean site mask with one flag per column, or None for all sites."""
    if columns is None:
        return None
    mask = np.asarray(columns)
    if mask.dtype != np.bool_ or mask.shape != (n_sites,):
        msg = (
            f"{what}: columns must be a boolean mask with one flag per site ({n_sites}), "
            f"got dtype {mask.dtype} and shape {mask.shape}."
        )
        raise DataContractError(msg)
    return mask


def check_number(
    value: float, what: str, name: str, *, low: float = 0.0, strict: bool = False
) -> float:
    """A finite option >= ``low`` (> ``low`` when ``strict``), as float."""
    x = float(value)
    if not math.isfinite(x) or x < low or (strict and x == low):
        sign = ">" if strict else ">="
        msg = f"{what}: {name} = {value!r} must be a finite number {sign} {low:g}."
        raise ConfigError(msg)
    return x


def check_pair(
    values: npt.ArrayLike, weights: npt.ArrayLike, what: str, *, times: bool
) -> tuple[_FArr, _FArr]:
    """Values (times: >= 0) and weights, one per zone."""
    v = np.asarray(values, dtype=np.float64)
    name = "times" if times else "values"
    if v.ndim != 1:
        msg = f"{what}: {name} must be 1-D (one per zone), got shape {v.shape}."
        raise DataContractError(msg)
    w = check_vector(weights, len(v), what, "weights", per="zone")
    if times and np.any(v < 0):
        msg = f"{what}: {int(np.count_nonzero(v < 0))} times are negative; times must be >= 0."
        raise DataContractError(msg)
    return v, w


def kept_pairs(values: npt.ArrayLike, weights: npt.ArrayLike, what: str) -> tuple[_FArr, _FArr]:
    """Checked values and weights without the NaN values and the zero weights."""
    v, w = check_pair(values, weights, what, times=False)
    keep = ~np.isnan(v) & (w > 0)
    return v[keep], w[keep]


def check_bands(bands: Sequence[tuple[float, float]], what: str) -> tuple[_FArr, _FArr]:
    """E2SFCA (upper edge in minutes, weight) pairs as sorted edges and their weights."""
    pairs = sorted((float(e), float(w)) for e, w in bands)
    edges = np.array([e for e, _ in pairs])
    weights = np.array([w for _, w in pairs])
    ok = (
        len(pairs) > 0
        and np.isfinite(edges).all()
        and np.isfinite(weights).all()
        and (weights >= 0).all()
        and (np.diff(edges) > 0).all()
    )
    if not ok:
        msg = (
            f"{what}: bands = {list(bands)!r} must be (upper edge in minutes, weight) pairs "
            "with distinct finite edges and weights >= 0, e.g. ((10, 1.0), (20, 0.68), (30, 0.22))."
        )
        raise ConfigError(msg)
    return edges, weights

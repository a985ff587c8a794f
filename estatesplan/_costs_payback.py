"""Payback of an option against a base forecast (internal; :mod:`estatesplan.costs`
re-exports :func:`payback_year` and :func:`payback_years`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import DataContractError, MissingColumnError

__all__ = ["payback_year", "payback_years"]


def payback_year(
    base: pd.DataFrame, option: pd.DataFrame, *, asset_id: str | None = None
) -> int | None:
    """Return the first year from which an option's cumulative PV saving stays >= 0.

    The saving in a year is the base's ``pv_gbp`` minus the option's, summed over all
    assets or for ``asset_id`` alone; it must stay >= 0 to the end of the horizon.

    Parameters
    ----------
    base, option
        Forecasts over the same assets and years (from :func:`estatesplan.costs.forecast`).
    asset_id
        One asset, or None for all assets together.

    Returns
    -------
    int or None
        A calendar year, or None if the saving ends below zero (or is NaN).

    Raises
    ------
    DataContractError
        If the forecasts differ in assets or years (MissingColumnError: lack columns).
    """
    per_asset, total = payback_years(base, option)
    if asset_id is None:
        return total
    if str(asset_id) not in per_asset:
        msg = "payback_year: base and option must cover the same assets and years (and the asset must exist)."
        raise DataContractError(msg)
    return per_asset[str(asset_id)]


def payback_years(
    base: pd.DataFrame, option: pd.DataFrame
) -> tuple[dict[str, int | None], int | None]:
    """:func:`payback_year` of every asset, and of all assets together, in one pass.

    Parameters
    ----------
    base, option
        Forecasts over the same assets and years (from :func:`estatesplan.costs.forecast`).

    Returns
    -------
    per_asset : dict of str to int or None
        Asset id → first year from which its cumulative PV saving stays >= 0 (None: never).
    total : int or None
        The same for all assets together.

    Raises
    ------
    DataContractError
        If the forecasts differ in assets or years (MissingColumnError: lack columns).
    """
    frames = []
    for name, f in (("base", base), ("option", option)):
        if missing := [c for c in ("asset_id", "year", "pv_gbp") if c not in f.columns]:
            msg = f"payback_year: {name} lacks columns {missing}; pass frames from costs.forecast."
            raise MissingColumnError(msg)
        frames.append(f.assign(asset_id=f["asset_id"].astype(str)))
    keys = [set(zip(f["asset_id"], f["year"], strict=True)) for f in frames]
    if keys[0] != keys[1] or frames[0].empty:
        msg = "payback_year: base and option must cover the same assets and years (and the asset must exist)."
        raise DataContractError(msg)

    def yearly(f: pd.DataFrame, by: list[str]) -> pd.Series:
        nan = f["pv_gbp"].isna().groupby([f[k] for k in by]).any()
        return f.groupby(by)["pv_gbp"].sum().where(~nan)  # a year with an unknown cost: unknown

    per = yearly(frames[0], ["asset_id", "year"]) - yearly(frames[1], ["asset_id", "year"])
    per_asset = {str(a): _payback(s.droplevel(0)) for a, s in per.groupby(level=0, sort=False)}
    return per_asset, _payback(yearly(frames[0], ["year"]) - yearly(frames[1], ["year"]))


def _payback(saving: pd.Series) -> int | None:
    """First year (index, increasing) from which the cumulative saving stays >= 0."""
    cum = saving.cumsum().to_numpy()
    if np.isnan(cum).any() or cum[-1] < 0:
        return None
    below = np.flatnonzero(cum < 0)
    first = 0 if below.size == 0 else int(below[-1]) + 1
    return int(saving.index[first])

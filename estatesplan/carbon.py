"""Operational carbon of the estate: conversion factors, benchmark estimates, intensities.

Emissions are energy (kWh a year) x UK Government greenhouse-gas conversion factors
(kgCO2e per unit), with the factor year selectable. The factor table ships with the
package as ``estatesplan/data/carbon_factors.csv``: the 2024 values recorded from the
DESNZ 2024 flat file (v1.1), each row naming its DESNZ ID, and earlier years from the
NHS Sustainable Development Unit (SDU) series 2007-08 to 2020-21. A financial year
``Y-(Y+1)`` of the SDU series is recorded as calendar year ``Y``: its columns hold the
government factor set published in ``Y`` (e.g. 2020-21 electricity 0.23314 is the 2020
set), which is also the set the government guidance applies to April ``Y`` - March ``Y+1``
reporting years.

Where metered energy is unknown (NaN), it is estimated as a benchmark intensity
(kWh/m²/yr, CIBSE TM46 typical values by asset type, ``data/energy_benchmarks.csv``) x
gross internal area (GIA), and labelled: ``*_estimated`` flags and an ``energy_basis``
text name the assumption. Unknown stays NaN, never 0. Travel emissions are in
:mod:`estatesplan.carbon_travel` and re-exported here.
"""

from __future__ import annotations

import importlib.resources
import io
import logging
import time
import warnings
from dataclasses import dataclass
from os import PathLike
from typing import Final, Literal

import numpy as np
import pandas as pd

from . import contracts as c
from ._io import check_input_file
from .carbon_travel import (
    CAR_OCCUPANCY,
    DEFAULT_CIRCUITY,
    MODE_KEYS,
    MODES,
    load_mode_share_table,
    load_visit_rates,
    mode_shares,
    travel_emissions,
    trip_km,
    visits_per_year,
)
from .errors import ConfigError, DataContractError, DataQualityWarning, DataSourceError
from .validate import format_ids

__all__ = [
    "CAR_OCCUPANCY",
    "DEFAULT_CIRCUITY",
    "DEFAULT_FACTOR_YEAR",
    "FACTOR_YEARS",
    "MODES",
    "MODE_KEYS",
    "FactorTable",
    "load_benchmarks",
    "load_factor_table",
    "load_factors",
    "load_mode_share_table",
    "load_visit_rates",
    "mode_shares",
    "operational_emissions",
    "travel_emissions",
    "trip_km",
    "visits_per_year",
]

logger = logging.getLogger(__name__)

DEFAULT_FACTOR_YEAR: Final = 2024
"""Year of the newest factor set shipped (DESNZ 2024, flat file v1.1)."""

FACTOR_YEARS: Final[tuple[int, ...]] = (*range(2007, 2021), 2024)
"""Years in the packaged factor table: 2007-2020 (SDU series, by the year a financial
year starts) and 2024 (DESNZ). 2021-2023 are not shipped; pass a table of your own."""

_FACTOR_COLUMNS: Final = (
    "key",
    "year",
    "value",
    "unit",
    "desnz_id",
    "description",
    "source",
    "notes",
)
_BENCHMARK_COLUMNS: Final = ("asset_type", "tm46_category", "electricity_kwh_m2", "fossil_kwh_m2")


@dataclass(frozen=True, eq=False)
class FactorTable:
    """Conversion factors of one year: ``get(key)`` is kgCO2e per unit (see ``unit(key)``).

    Keys include ``electricity`` (UK grid, generation, per kWh), ``electricity_td`` (T&D
    losses, per kWh), ``gas`` (natural gas, per kWh gross CV), ``oil`` (burning oil, per
    kWh gross CV; 2024 only), ``fuel_oil``, ``car_average`` / ``car_petrol`` /
    ``car_diesel`` / ``car_hybrid`` / ``car_phev`` / ``car_bev`` (per vehicle-km), ``taxi``,
    ``bus``, ``bus_london``, ``rail``, ``underground``, ``light_rail`` (per passenger-km) and
    ``cycle`` = ``walk`` = 0 (assumption). Earlier years hold fewer keys.

    Attributes
    ----------
    year
        Factor year.
    rows
        One row per key: ``value``, ``unit``, ``desnz_id`` ("" when none),
        ``description``, ``source``, ``notes``; indexed by key.
    """

    year: int
    rows: pd.DataFrame

    def keys(self) -> tuple[str, ...]:
        """Return the factor keys of this year, sorted."""
        return tuple(sorted(str(k) for k in self.rows.index))

    def _row(self, key: str) -> pd.Series:
        if key not in self.rows.index:
            msg = (
                f"carbon factor {key!r} is not in the {self.year} factor table; keys for "
                f"{self.year}: {', '.join(self.keys())}. Choose one of these, or a factor year "
                "that has it (the packaged 2024 set has every key)."
            )
            raise ConfigError(msg)
        row = self.rows.loc[key]
        return row.iloc[0] if isinstance(row, pd.DataFrame) else row

    def get(self, key: str) -> float:
        """Return the factor in kgCO2e per unit of ``unit(key)``.

        Raises
        ------
        ConfigError
            If ``key`` is not in this year's table (the keys it has are listed).
        """
        return float(self._row(key)["value"])

    def unit(self, key: str) -> str:
        """Return the unit of a factor, e.g. ``"kgCO2e/kWh"``."""
        return str(self._row(key)["unit"])

    def source(self, key: str) -> str:
        """Return the publisher, title, year and table/row of a factor."""
        return str(self._row(key)["source"])

    def desnz_id(self, key: str) -> str:
        """Return the DESNZ flat-file ID of a factor ("" when it has none)."""
        return str(self._row(key)["desnz_id"])


def _read_packaged(name: str) -> pd.DataFrame:
    text = (
        importlib.resources.files("estatesplan")
        .joinpath(f"data/{name}")
        .read_text(encoding="utf-8")
    )
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def load_factor_table(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Read the conversion-factor table: every key and year.

    Parameters
    ----------
    path
        A CSV with the columns of ``estatesplan/data/carbon_factors.csv`` (``key``,
        ``year``, ``value`` in kgCO2e per unit, ``unit``, ``desnz_id``, ``description``,
        ``source``, ``notes``); None reads the packaged table.

    Returns
    -------
    pandas.DataFrame
        One row per key and year, file order; ``year`` int, ``value`` float.

    Raises
    ------
    DataSourceError
        If the file is missing, lacks columns, or has rows with a bad year or value
        (negative, not a number) or a repeated key and year.
    """
    if path is None:
        table, what = _read_packaged("carbon_factors.csv"), "estatesplan/data/carbon_factors.csv"
    else:
        p = check_input_file(path, what="carbon factor table")
        table, what = pd.read_csv(p, dtype=str, keep_default_na=False), str(p)
    missing = [col for col in _FACTOR_COLUMNS if col not in table.columns]
    if missing:
        msg = (
            f"{what}: columns {', '.join(missing)} missing; expected {', '.join(_FACTOR_COLUMNS)}."
        )
        raise DataSourceError(msg)
    year = pd.to_numeric(table["year"], errors="coerce")
    value = pd.to_numeric(table["value"], errors="coerce")
    bad = (
        year.isna()
        | (year % 1 != 0)
        | ~np.isfinite(value.to_numpy(float))
        | (value < 0)
        | (table["key"].str.strip() == "")
        | table.duplicated(["key", "year"])
    )
    if bad.any():
        rows = [int(i) + 2 for i in np.flatnonzero(bad.to_numpy())]
        msg = (
            f"{what}: malformed rows (file lines {format_ids(rows)}): each needs a key, an "
            "integer year, a non-negative number of kgCO2e per unit, and no repeated key and year."
        )
        raise DataSourceError(msg)
    return table.assign(year=year.astype(int), value=value.astype(float))


def load_factors(
    year: int = DEFAULT_FACTOR_YEAR, *, path: str | PathLike[str] | None = None
) -> FactorTable:
    """Return the conversion factors of one year.

    Parameters
    ----------
    year
        Factor year (see :data:`FACTOR_YEARS` for the packaged table: 2007-2020 from the
        NHS SDU series by the year a financial year starts, 2024 from DESNZ).
    path
        Own factor table (see :func:`load_factor_table`); None uses the packaged one.

    Returns
    -------
    FactorTable
        Frozen; ``get(key)`` in kgCO2e per unit.

    Raises
    ------
    ConfigError
        If the table has no factors for ``year`` (the years it has are listed).

    Examples
    --------
    >>> f = load_factors(2024)
    >>> f.get("electricity"), f.unit("electricity")
    (0.20705, 'kgCO2e/kWh')
    """
    table = load_factor_table(path)
    years = sorted({int(y) for y in table["year"]})
    if isinstance(year, bool) or not isinstance(year, int | np.integer) or int(year) not in years:
        msg = (
            f"carbon factor year {year!r} is not in the factor table; years available: "
            f"{', '.join(map(str, years))}. Choose one of these, or pass path= a table with "
            "that year's factors."
        )
        raise ConfigError(msg)
    rows = table[table["year"] == int(year)].set_index("key")
    return FactorTable(year=int(year), rows=rows.drop(columns=["year"]))


def load_benchmarks(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Read the energy benchmarks: typical intensity by asset type (CIBSE TM46 categories).

    Parameters
    ----------
    path
        A CSV with the columns of ``estatesplan/data/energy_benchmarks.csv``
        (``asset_type``, ``tm46_category``, ``electricity_kwh_m2``, ``fossil_kwh_m2`` per m²
        GIA a year, ``source``, ``notes``); None reads the packaged table.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``asset_type``; intensities as float kWh/m²/yr.

    Raises
    ------
    DataSourceError
        If the file is missing, lacks columns, repeats an asset type, or has an intensity
        that is not a non-negative number.
    """
    if path is None:
        table, what = (
            _read_packaged("energy_benchmarks.csv"),
            "estatesplan/data/energy_benchmarks.csv",
        )
    else:
        p = check_input_file(path, what="energy benchmark table")
        table, what = pd.read_csv(p, dtype=str, keep_default_na=False), str(p)
    missing = [col for col in _BENCHMARK_COLUMNS if col not in table.columns]
    if missing:
        msg = f"{what}: columns {', '.join(missing)} missing; expected {', '.join(_BENCHMARK_COLUMNS)}."
        raise DataSourceError(msg)
    out = table.set_index("asset_type")
    bad = out.index.duplicated()
    for col in ("electricity_kwh_m2", "fossil_kwh_m2"):
        out[col] = pd.to_numeric(out[col], errors="coerce")
        bad |= ~(out[col].to_numpy(float) >= 0) | ~np.isfinite(out[col].to_numpy(float))
    if bad.any():
        msg = (
            f"{what}: bad rows for asset types {format_ids(out.index[bad])}: each asset type "
            "once, with non-negative kWh/m²/yr intensities."
        )
        raise DataSourceError(msg)
    return out


def _ids(assets: pd.DataFrame, mask: np.ndarray) -> str:
    ids = assets[c.ASSET_ID] if c.ASSET_ID in assets.columns else pd.Series(assets.index)
    return format_ids(np.asarray(ids)[mask])


def _numeric(assets: pd.DataFrame, col: str, source: str) -> np.ndarray:
    if col not in assets.columns:
        return np.full(len(assets), np.nan)
    raw = assets[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = (num.isna() & raw.notna()).to_numpy()
    if bad.any():
        msg = (
            f"{source}: column `{col}` is not a number for assets {_ids(assets, bad)}; "
            "give a number, or leave the cell empty when unknown."
        )
        raise DataContractError(msg)
    return np.asarray(num.to_numpy(dtype=float, na_value=np.nan), dtype=np.float64)


def _occupied(
    assets: pd.DataFrame, gia: np.ndarray, occupancy: float | pd.Series | None, source: str
) -> np.ndarray:
    if occupancy is None:
        available = _numeric(assets, c.AVAILABLE_M2, source)
        over = available > gia
        if over.any():
            msg = (
                f"{source}: available_m2 exceeds gia_m2 for assets {_ids(assets, over)}; "
                "spare space cannot exceed the floor area. Correct either column."
            )
            raise DataContractError(msg)
        return np.asarray(gia - available, dtype=np.float64)  # NaN where either is unknown
    if isinstance(occupancy, pd.Series):
        share = occupancy.reindex(assets.index).to_numpy(dtype=float, na_value=np.nan)
    elif isinstance(occupancy, bool) or not isinstance(occupancy, int | float):
        msg = (
            f"occupancy must be a share in [0, 1], a Series of shares or None; found {occupancy!r}."
        )
        raise ConfigError(msg)
    else:
        share = np.full(len(assets), float(occupancy))
    if ((share < 0) | (share > 1)).any():
        msg = (
            f"occupancy: shares must lie in [0, 1] (occupied / GIA); out of range for assets "
            f"{_ids(assets, (share < 0) | (share > 1))}."
        )
        raise ConfigError(msg)
    return np.asarray(gia * share, dtype=np.float64)


def _estimate(
    metered: np.ndarray,
    intensity: np.ndarray,
    gia: np.ndarray,
    category: np.ndarray,
    fuel: str,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Fill unknown kWh with intensity x GIA; return kWh, estimated flags, basis texts."""
    need = np.isnan(metered)
    est = intensity * gia
    used = np.where(need, est, metered)
    basis = []
    for i in range(len(metered)):
        if not need[i]:
            basis.append(f"{fuel} metered")
        elif np.isnan(est[i]):
            basis.append(f"{fuel} unknown (no metered kWh and no usable GIA or benchmark)")
        else:
            basis.append(
                f"{fuel} estimated: CIBSE TM46 '{category[i]}' {intensity[i]:g} kWh/m²/yr "
                f"x GIA {gia[i]:g} m²"
            )
    return used, need & ~np.isnan(est), basis


def operational_emissions(
    assets: pd.DataFrame,
    factors: FactorTable,
    *,
    benchmarks: pd.DataFrame | None = None,
    occupancy: float | pd.Series | None = None,
    include_td: bool = False,
    on_missing: Literal["raise", "nan"] = "raise",
    source: str = "assets",
) -> pd.DataFrame:
    """Yearly operational emissions of each asset, estimating unknown energy from benchmarks.

    ``tco2e_electricity = electricity_kWh x factor("electricity") / 1000`` (plus
    ``electricity_td`` when ``include_td``), ``tco2e_gas = gas_kWh x factor("gas") / 1000``,
    and, when the optional column ``oil_kwh`` is present, ``tco2e_oil`` from factor
    ``oil`` (burning oil; NaN oil counts as none, since the fossil benchmark is booked to
    gas). Unknown (NaN) electricity or gas is estimated as the TM46 typical intensity of
    the asset type x ``gia_m2``; an all-electric building should record ``gas_kwh = 0``.

    Parameters
    ----------
    assets
        Asset layer (see :mod:`estatesplan.contracts`): ``asset_type``, ``gia_m2`` (m², NaN
        unknown), ``electricity_kwh`` and ``gas_kwh`` (metered kWh/year, NaN unknown),
        ``available_m2`` (spare m²); ``asset_id`` names assets in messages. Missing
        optional columns count as unknown.
    factors
        From :func:`load_factors`; its year is reported in ``factor_year``.
    benchmarks
        From :func:`load_benchmarks`; None uses the packaged CIBSE TM46 table.
    occupancy
        Occupied share of GIA in [0, 1] (one number, or a Series aligned on the assets'
        index); None takes occupied = ``gia_m2 - available_m2`` (NaN where either is unknown).
    include_td
        Add grid transmission and distribution losses (Scope 3) to electricity.
    on_missing
        Where an estimate is needed but GIA is missing or zero, or the asset type has no
        benchmark: ``"raise"`` a DataContractError naming the assets, or ``"nan"``: leave
        that energy and the totals NaN and warn (DataQualityWarning).
    source
        Layer name for messages.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``assets``: ``electricity_kwh``, ``gas_kwh`` (kWh/year used: metered
        or estimated), ``electricity_estimated``, ``gas_estimated``, ``energy_estimated``
        (bool, either estimated), ``energy_basis`` (text naming the assumption),
        ``tco2e_electricity``, ``tco2e_gas``, [``tco2e_oil``], ``tco2e`` (t/year),
        ``gia_m2``, ``occupied_m2`` (m²), ``kgco2e_per_m2`` (per m² GIA),
        ``kgco2e_per_occupied_m2`` (NaN where the area is unknown or zero) and
        ``factor_year``.

    Raises
    ------
    DataContractError
        Negative or non-numeric energy, GIA or spare space, spare space above GIA, or
        (with ``on_missing="raise"``) an estimate that cannot be made; assets are named.
    ConfigError
        Bad ``occupancy`` or ``on_missing``, or a factor missing from ``factors``.

    Examples
    --------
    >>> a = pd.DataFrame({"asset_id": ["A"], "asset_type": ["clinic"], "gia_m2": [500.0],
    ...                   "electricity_kwh": [10_000.0], "gas_kwh": [50_000.0]})
    >>> round(float(operational_emissions(a, load_factors(2024))["tco2e"].iloc[0]), 4)
    11.2155
    """
    t0 = time.perf_counter()
    if on_missing not in ("raise", "nan"):
        msg = f"on_missing must be 'raise' or 'nan', found {on_missing!r}."
        raise ConfigError(msg)
    bench = load_benchmarks() if benchmarks is None else benchmarks
    elec_m = _numeric(assets, c.ELECTRICITY_KWH, source)
    gas_m = _numeric(assets, c.GAS_KWH, source)
    oil_m = _numeric(assets, "oil_kwh", source) if "oil_kwh" in assets.columns else None
    gia = _numeric(assets, c.GIA_M2, source)
    problems = []
    for name, arr in (
        ("electricity_kwh", elec_m),
        ("gas_kwh", gas_m),
        ("oil_kwh", oil_m),
        ("gia_m2", gia),
    ):
        if arr is not None and (arr < 0).any():
            problems.append(f"negative `{name}` for assets {_ids(assets, arr < 0)}")
    if problems:
        msg = f"{source}: {'; '.join(problems)}. Energy and floor area cannot be negative: correct them, or leave unknown values empty."
        raise DataContractError(msg)
    occupied = _occupied(assets, gia, occupancy, source)

    need = np.isnan(elec_m) | np.isnan(gas_m)
    types = (
        assets[c.ASSET_TYPE].astype(object).to_numpy()
        if c.ASSET_TYPE in assets.columns
        else np.full(len(assets), None, dtype=object)
    )
    known = np.array([t in bench.index for t in types], dtype=bool)
    usable_gia = np.where(gia > 0, gia, np.nan)
    no_gia = need & np.isnan(usable_gia)
    no_bench = need & ~known
    if no_gia.any() or no_bench.any():
        parts = []
        if no_gia.any():
            parts.append(f"gia_m2 missing or zero for assets {_ids(assets, no_gia)}")
        if no_bench.any():
            unknown = sorted({str(t) for t in types[no_bench]})
            parts.append(
                f"no benchmark for asset types {', '.join(unknown)} (assets {_ids(assets, no_bench)})"
            )
        msg = (
            f"{source}: metered electricity or gas is unknown, so energy must be estimated from "
            f"a benchmark intensity x GIA, but {'; and '.join(parts)}. Add gia_m2 (or metered "
            "kWh), add the asset type to the benchmark table, or pass on_missing='nan'."
        )
        if on_missing == "raise":
            raise DataContractError(msg)
        warnings.warn(msg + " Those values are left NaN.", DataQualityWarning, stacklevel=2)
    labels = pd.Index([str(t) if k else "" for t, k in zip(types, known, strict=True)])
    cats = bench["tm46_category"].reindex(labels).fillna("").astype(str).to_numpy()
    e_int = bench["electricity_kwh_m2"].reindex(labels).to_numpy(dtype=float, na_value=np.nan)
    f_int = bench["fossil_kwh_m2"].reindex(labels).to_numpy(dtype=float, na_value=np.nan)
    elec, elec_est, e_basis = _estimate(elec_m, e_int, usable_gia, cats, "electricity")
    gas, gas_est, g_basis = _estimate(gas_m, f_int, usable_gia, cats, "gas")

    e_factor = factors.get("electricity") + (factors.get("electricity_td") if include_td else 0.0)
    out = pd.DataFrame(index=assets.index)
    out["electricity_kwh"] = elec
    out["gas_kwh"] = gas
    out["electricity_estimated"] = elec_est
    out["gas_estimated"] = gas_est
    out["energy_estimated"] = elec_est | gas_est
    out["energy_basis"] = [f"{e}; {g}" for e, g in zip(e_basis, g_basis, strict=True)]
    out["tco2e_electricity"] = elec * e_factor / 1000.0
    out["tco2e_gas"] = gas * factors.get("gas") / 1000.0
    total = out["tco2e_electricity"].to_numpy() + out["tco2e_gas"].to_numpy()
    if oil_m is not None:
        out["tco2e_oil"] = np.nan_to_num(oil_m, nan=0.0) * factors.get("oil") / 1000.0
        total = total + out["tco2e_oil"].to_numpy()
    out["tco2e"] = total
    out["gia_m2"] = gia
    out["occupied_m2"] = occupied
    with np.errstate(divide="ignore", invalid="ignore"):
        out["kgco2e_per_m2"] = np.where(gia > 0, total * 1000.0 / gia, np.nan)
        out["kgco2e_per_occupied_m2"] = np.where(occupied > 0, total * 1000.0 / occupied, np.nan)
    out["factor_year"] = factors.year
    logger.info(
        "operational emissions: %d assets, %d estimated, %.1f tCO2e/yr (factors %d) in %.2f s",
        len(out), int(out["energy_estimated"].sum()), float(np.nansum(total)), factors.year,
        time.perf_counter() - t0,
    )  # fmt: skip
    return out

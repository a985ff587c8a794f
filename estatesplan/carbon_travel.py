"""Travel carbon: visits by age, mode shares by distance and car availability, emissions.

A zone's yearly health visits are its people by five-year age band x visits per person
a year (``data/visit_rates.csv``). Each visit is a journey to the nearest (or assigned)
site; the distance (network km, or straight-line km x a detour factor, :func:`trip_km`)
sets the mode shares by distance band and household car availability
(``data/mode_share.csv``); person-km by mode x DESNZ per-km factors gives tCO2e a year.
Car factors are per vehicle-km, so car person-km are divided by :data:`CAR_OCCUPANCY`.
Walking and cycling count as zero. The functions are re-exported by
:mod:`estatesplan.carbon`.
"""

from __future__ import annotations

import importlib.resources
import io
import logging
import time
import warnings
from collections.abc import Mapping
from os import PathLike
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from . import contracts as c
from ._io import check_input_file
from .errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    MissingColumnError,
)
from .validate import format_ids

if TYPE_CHECKING:
    from .carbon import FactorTable

__all__ = [
    "CAR_OCCUPANCY",
    "DEFAULT_CIRCUITY",
    "MODES",
    "MODE_KEYS",
    "load_mode_share_table",
    "load_visit_rates",
    "mode_shares",
    "travel_emissions",
    "trip_km",
    "visits_per_year",
]

logger = logging.getLogger(__name__)

MODES: Final[tuple[str, ...]] = ("walk", "cycle", "bus", "rail", "car")
"""Travel modes of the mode-share table and of :func:`travel_emissions`."""

MODE_KEYS: Final[Mapping[str, str]] = MappingProxyType(
    {"walk": "walk", "cycle": "cycle", "bus": "bus", "rail": "rail", "car": "car_average"}
)
"""Default factor key per mode (average local bus, national rail, average car of unknown
fuel). In London pass e.g. ``{"bus": "bus_london", "rail": "underground"}``."""

CAR_OCCUPANCY: Final = 1.5
"""People per car on a health visit, to turn car person-km into vehicle-km.
ASSUMPTION (unverified): about the National Travel Survey average car or van occupancy
(DfT, NTS0906 'Car or van occupancy by trip purpose', England), which is near 1.5 for
personal business and escort trips and 1.1 for commuting; use 1.1 for staff commuting."""

DEFAULT_CIRCUITY: Final = 1.3
"""Network km per straight-line km. ASSUMPTION: urban road networks measure about 1.2
(Newell 1980; O'Sullivan 1996, as summarised in Wikibooks, 'Transportation Geography and
Network Science/Circuity'), walking routes more; 1.3 sits between them."""

_SHARE_TOL: Final = 1e-6


def _read_table(name: str, path: str | PathLike[str] | None, what: str) -> tuple[pd.DataFrame, str]:
    if path is None:
        res = importlib.resources.files("estatesplan").joinpath(f"data/{name}")
        text = res.read_text(encoding="utf-8")
        return pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False
        ), f"estatesplan/data/{name}"
    p = check_input_file(path, what=what)
    return pd.read_csv(p, dtype=str, keep_default_na=False), str(p)


def load_visit_rates(path: str | PathLike[str] | None = None) -> pd.Series:
    """Read yearly health visits per person by five-year age band.

    Parameters
    ----------
    path
        A CSV with ``age_band`` (names of :data:`estatesplan.contracts.AGE_BANDS`) and
        ``visits_per_person_year``; None reads ``estatesplan/data/visit_rates.csv`` (GP and
        practice-nurse consultations; see its ``basis``, ``source`` and ``notes``: the
        child and 85+ rates are published figures, the adult bands are assumptions).

    Returns
    -------
    pandas.Series
        Visits per person a year (float), indexed by age band in contract order.

    Raises
    ------
    DataSourceError
        If the file is missing, or a band is missing, repeated or not a non-negative number.
    """
    table, what = _read_table("visit_rates.csv", path, "visit rate table")
    if not {"age_band", "visits_per_person_year"} <= set(table.columns):
        msg = f"{what}: needs columns age_band and visits_per_person_year."
        raise DataSourceError(msg)
    rates = pd.Series(
        pd.to_numeric(table["visits_per_person_year"], errors="coerce").to_numpy(float),
        index=table["age_band"].to_numpy(),
    )
    bad = [b for b in c.AGE_BANDS if b not in rates.index or rates.index.tolist().count(b) != 1]
    bad += [str(b) for b, v in rates.items() if not (np.isfinite(v) and v >= 0)]
    if bad:
        msg = f"{what}: bands {', '.join(bad)} missing, repeated or not a non-negative number."
        raise DataSourceError(msg)
    return rates.loc[list(c.AGE_BANDS)]


def visits_per_year(
    zones: pd.DataFrame, *, rates: Mapping[str, float] | pd.Series | None = None
) -> np.ndarray:
    """Yearly health visits made by each zone's residents.

    ``visits = sum over bands of people_in_band x rate_band``.

    Parameters
    ----------
    zones
        Zone layer with the age-band counts of :data:`estatesplan.contracts.AGE_BANDS`
        (people); ``zone_id`` names zones in messages.
    rates
        Visits per person a year by age band (every band); None uses
        :func:`load_visit_rates`.

    Returns
    -------
    numpy.ndarray
        float64 (n_zones,), visits a year, in zone order; NaN where a band count is
        unknown (with a DataQualityWarning naming the zones).

    Raises
    ------
    MissingColumnError
        If age-band columns are missing.
    DataContractError
        If a count is negative or not a number.
    ConfigError
        If ``rates`` lacks a band or has a negative or non-numeric rate.

    Examples
    --------
    >>> z = pd.DataFrame({b: [0.0] for b in c.AGE_BANDS}).assign(age_85_plus=[10.0])
    >>> float(visits_per_year(z)[0])
    135.0
    """
    t0 = time.perf_counter()
    bands = list(c.AGE_BANDS)
    missing = [b for b in bands if b not in zones.columns]
    if missing:
        msg = (
            f"zones: age-band columns {format_ids(missing)} missing; visits need all of "
            f"{bands[0]} ... {bands[-1]} (Census 2021 TS007A five-year bands)."
        )
        raise MissingColumnError(msg)
    r = load_visit_rates() if rates is None else pd.Series(rates, dtype=object)
    absent = [b for b in bands if b not in r.index]
    values = pd.to_numeric(r.reindex(bands), errors="coerce").to_numpy(float)
    if absent or not (np.isfinite(values) & (values >= 0)).all():
        bad = absent + [
            b
            for b, v in zip(bands, values, strict=True)
            if b not in absent and not (v >= 0 and np.isfinite(v))
        ]
        msg = f"visit rates: bands {', '.join(bad)} missing or not a non-negative number of visits per person a year."
        raise ConfigError(msg)
    counts = zones[bands].apply(pd.to_numeric, errors="coerce")
    ids = zones[c.ZONE_ID].to_numpy() if c.ZONE_ID in zones.columns else zones.index.to_numpy()
    arr = counts.to_numpy(dtype=float, na_value=np.nan)
    nonnum = (counts.isna() & zones[bands].notna()).to_numpy().any(axis=1)
    negative = (arr < 0).any(axis=1)
    if nonnum.any() or negative.any():
        msg = (
            f"zones: age-band counts negative or not a number for zones "
            f"{format_ids(ids[nonnum | negative])}; counts of people are numbers >= 0."
        )
        raise DataContractError(msg)
    out = np.asarray(arr @ values, dtype=np.float64)
    unknown = np.isnan(out)
    if unknown.any():
        warnings.warn(
            f"zones: age-band counts unknown for zones {format_ids(ids[unknown])}; "
            "their visits are NaN.",
            DataQualityWarning,
            stacklevel=2,
        )
    logger.info(
        "visits per year: %d zones, %.0f visits in %.2f s",
        len(out),
        float(np.nansum(out)),
        time.perf_counter() - t0,
    )
    return out


def load_mode_share_table(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Read mode shares by distance band and household car availability.

    Parameters
    ----------
    path
        A CSV with ``car_availability`` (``car`` / ``no_car``), ``min_km``, ``max_km``
        (band ``[min, max)``, km of network distance; the last ``inf``) and one share
        column per mode of :data:`MODES`; None reads ``estatesplan/data/mode_share.csv``
        (an ASSUMPTION approximating DfT National Travel Survey tables NTS0308/NTS0705:
        see its notes).

    Returns
    -------
    pandas.DataFrame
        The table, numbers as float, sorted by availability then ``min_km``.

    Raises
    ------
    DataSourceError
        If the table is missing columns, its bands do not run from 0 to inf without gaps
        (the same bands for both availabilities), or a row's shares do not sum to 1.
    """
    table, what = _read_table("mode_share.csv", path, "mode share table")
    cols = ["car_availability", "min_km", "max_km", *MODES]
    missing = [col for col in cols if col not in table.columns]
    if missing:
        msg = f"{what}: columns {', '.join(missing)} missing."
        raise DataSourceError(msg)
    for col in ["min_km", "max_km", *MODES]:
        table[col] = pd.to_numeric(table[col], errors="coerce")
    table = table.sort_values(["car_availability", "min_km"], kind="stable").reset_index(drop=True)
    _check_share_table(table, what)
    return table


def _check_share_table(table: pd.DataFrame, what: str) -> None:
    problems = []
    edges: dict[str, list[float]] = {}
    for avail in ("car", "no_car"):
        t = table[table["car_availability"] == avail]
        lo, hi = t["min_km"].to_numpy(float), t["max_km"].to_numpy(float)
        if len(t) == 0 or lo[0] != 0 or hi[-1] != np.inf or not np.array_equal(lo[1:], hi[:-1]):
            problems.append(f"bands for {avail!r} must run from 0 to inf without gaps")
        edges[avail] = [*lo.tolist(), *hi[-1:].tolist()]
    if not problems and edges["car"] != edges["no_car"]:
        problems.append("'car' and 'no_car' rows must use the same distance bands")
    shares = table[list(MODES)].to_numpy(float)
    bad = ~((shares >= 0).all(axis=1) & (np.abs(shares.sum(axis=1) - 1) <= _SHARE_TOL))
    if bad.any():
        problems.append(
            f"shares must be >= 0 and sum to 1 on rows {format_ids(np.flatnonzero(bad) + 1)}"
        )
    if problems:
        msg = f"{what}: {'; '.join(problems)}."
        raise DataSourceError(msg)


def mode_shares(
    distance_km: ArrayLike,
    no_car_share: ArrayLike,
    *,
    table: pd.DataFrame | None = None,
    fill_no_car: float | None = None,
) -> pd.DataFrame:
    """Share of journeys by each mode, from journey distance and car availability.

    A zone's shares are ``(1 - s) x shares[car, band] + s x shares[no_car, band]`` with
    ``s`` the share of households without a car (standing in for the share of people)
    and ``band`` the distance band holding ``distance_km`` (``[min_km, max_km)``).

    Parameters
    ----------
    distance_km
        One-way journey distance per zone, km (n,); NaN (no reachable site) gives a NaN row.
    no_car_share
        Share of households without a car or van per zone, in [0, 1] (n,).
    table
        From :func:`load_mode_share_table`; None uses the packaged table.
    fill_no_car
        Share used where ``no_car_share`` is NaN; None leaves those rows NaN and warns.

    Returns
    -------
    pandas.DataFrame
        (n x modes of :data:`MODES`), rows summing to 1; indexed like ``distance_km`` when it
        is a Series, else 0..n-1.

    Raises
    ------
    DataContractError
        If lengths differ, a distance is negative, or a share is outside [0, 1].
    ConfigError
        If ``fill_no_car`` is outside [0, 1].

    Examples
    --------
    >>> s = mode_shares([0.5], [1.0])
    >>> float(s["walk"].iloc[0]), float(s.sum(axis=1).iloc[0])
    (0.88, 1.0)
    """
    index = distance_km.index if isinstance(distance_km, pd.Series) else None
    d = np.asarray(distance_km, dtype=float).reshape(-1)
    s = np.asarray(no_car_share, dtype=float).reshape(-1)
    if len(d) != len(s):
        msg = f"mode_shares: distance_km has {len(d)} values but no_car_share has {len(s)}; give one of each per zone."
        raise DataContractError(msg)
    if (d < 0).any():
        msg = f"mode_shares: negative distance at positions {format_ids(np.flatnonzero(d < 0))}; distances are km >= 0."
        raise DataContractError(msg)
    if ((s < 0) | (s > 1)).any():
        msg = (
            f"mode_shares: no_car_share outside [0, 1] at positions {format_ids(np.flatnonzero((s < 0) | (s > 1)))}; "
            "it is households without a car / all households."
        )
        raise DataContractError(msg)
    if fill_no_car is not None:
        if not 0 <= fill_no_car <= 1:
            msg = f"fill_no_car must be a share in [0, 1], found {fill_no_car!r}."
            raise ConfigError(msg)
        s = np.where(np.isnan(s), fill_no_car, s)
    elif np.isnan(s).any():
        warnings.warn(
            f"mode_shares: car availability unknown at positions {format_ids(np.flatnonzero(np.isnan(s)))}; "
            "their shares are NaN (pass fill_no_car= to assume a share).",
            DataQualityWarning,
            stacklevel=2,
        )
    t = load_mode_share_table() if table is None else table
    if table is not None:
        _check_share_table(t, "mode share table")
    car = t[t["car_availability"] == "car"].sort_values("min_km")
    nocar = t[t["car_availability"] == "no_car"].sort_values("min_km")
    band = np.clip(
        np.searchsorted(car["min_km"].to_numpy(float), np.nan_to_num(d), side="right") - 1, 0, None
    )
    a = car[list(MODES)].to_numpy(float)[band]
    b = nocar[list(MODES)].to_numpy(float)[band]
    shares = (1 - s)[:, None] * a + s[:, None] * b
    shares[np.isnan(d)] = np.nan
    return pd.DataFrame(shares, columns=list(MODES), index=index)


def trip_km(straight_line_km: ArrayLike, *, circuity: float = DEFAULT_CIRCUITY) -> np.ndarray:
    """Journey distance along the network estimated from straight-line distance.

    Parameters
    ----------
    straight_line_km
        Straight-line (crow-fly) distance, km; NaN stays NaN.
    circuity
        Network km per straight-line km (>= 1; :data:`DEFAULT_CIRCUITY`, an assumption).
        Pass network distances straight to :func:`mode_shares` and
        :func:`travel_emissions` instead when a routed matrix is available.

    Returns
    -------
    numpy.ndarray
        float64, km.

    Raises
    ------
    ConfigError
        If ``circuity`` is below 1 or not finite.
    DataContractError
        If a distance is negative.

    Examples
    --------
    >>> trip_km([2.0]).tolist()
    [2.6]
    """
    if (
        isinstance(circuity, bool)
        or not isinstance(circuity, int | float)
        or not 1 <= circuity < np.inf
    ):
        msg = (
            f"circuity must be a number >= 1 (network km per straight-line km), found {circuity!r}."
        )
        raise ConfigError(msg)
    d = np.asarray(straight_line_km, dtype=float)
    if (d < 0).any():
        msg = f"trip_km: negative distance at positions {format_ids(np.flatnonzero(d.reshape(-1) < 0))}."
        raise DataContractError(msg)
    return d * float(circuity)


def _factor_keys(factors: FactorTable, mode_keys: Mapping[str, str] | None) -> dict[str, str]:
    keys = dict(MODE_KEYS)
    if mode_keys:
        unknown = [m for m in mode_keys if m not in MODES]
        if unknown:
            msg = f"mode_keys: unknown modes {', '.join(map(str, unknown))}; modes are {', '.join(MODES)}."
            raise ConfigError(msg)
        keys.update(mode_keys)
    for mode, key in keys.items():
        want = "kgCO2e/vehicle-km" if mode == "car" else "kgCO2e/passenger-km"
        if factors.unit(key) != want:
            msg = f"mode_keys: factor {key!r} for {mode} is in {factors.unit(key)}; {mode} needs a factor in {want}."
            raise ConfigError(msg)
    return keys


def travel_emissions(
    visits: ArrayLike,
    distance_km: ArrayLike,
    shares: pd.DataFrame,
    factors: FactorTable,
    *,
    round_trip: bool = True,
    occupancy: float = CAR_OCCUPANCY,
    mode_keys: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Yearly travel emissions per zone (or any origin) from visits, distance and mode shares.

    ``trips = visits x (2 if round_trip else 1)``; ``km_<mode> = trips x distance x
    share_<mode>`` (person-km); ``tco2e_<mode> = km_<mode> x factor / 1000``, where the car
    factor is per vehicle-km so car person-km are first divided by ``occupancy``.

    Parameters
    ----------
    visits
        Journeys a year per zone (n,), e.g. from :func:`visits_per_year`, or staff per
        origin x working days for commuting.
    distance_km
        One-way network distance per zone to the site used, km (n,); NaN gives NaN km.
    shares
        (n x modes) from :func:`mode_shares`; its index labels the output.
    factors
        From :func:`estatesplan.carbon.load_factors`.
    round_trip
        Count the journey home too.
    occupancy
        People per car (:data:`CAR_OCCUPANCY`; > 0).
    mode_keys
        Factor key per mode overriding :data:`MODE_KEYS`, e.g. ``{"car": "car_bev"}``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``shares``: ``trips`` (one-way trips a year), ``km_<mode>``
        (person-km a year), ``vkm_car`` (car vehicle-km a year), ``tco2e_<mode>`` and
        ``tco2e`` (t a year).

    Raises
    ------
    DataContractError
        If lengths differ, visits or distances are negative, or a row of shares lacks a
        mode, is negative or does not sum to 1.
    ConfigError
        If ``occupancy`` is not positive, or ``mode_keys`` names an unknown mode or a factor
        in the wrong unit.
    """
    t0 = time.perf_counter()
    v = np.asarray(visits, dtype=float).reshape(-1)
    d = np.asarray(distance_km, dtype=float).reshape(-1)
    missing = [m for m in MODES if m not in shares.columns]
    if missing:
        msg = f"travel_emissions: shares lack columns {', '.join(missing)} (modes: {', '.join(MODES)})."
        raise DataContractError(msg)
    sh = shares[list(MODES)].to_numpy(dtype=float, na_value=np.nan)
    if not len(v) == len(d) == len(sh):
        msg = f"travel_emissions: {len(v)} visits, {len(d)} distances and {len(sh)} share rows; give one of each per zone."
        raise DataContractError(msg)
    problems = []
    if (v < 0).any():
        problems.append(f"negative visits at {format_ids(shares.index[v < 0])}")
    if (d < 0).any():
        problems.append(f"negative distance at {format_ids(shares.index[d < 0])}")
    known = ~np.isnan(sh).any(axis=1)
    bad = known & ~((sh >= 0).all(axis=1) & (np.abs(sh.sum(axis=1) - 1) <= _SHARE_TOL))
    if bad.any():
        problems.append(f"shares negative or not summing to 1 at {format_ids(shares.index[bad])}")
    if problems:
        msg = f"travel_emissions: {'; '.join(problems)}."
        raise DataContractError(msg)
    if (
        isinstance(occupancy, bool)
        or not isinstance(occupancy, int | float)
        or not 0 < occupancy < np.inf
    ):
        msg = f"occupancy must be a positive number of people per car, found {occupancy!r}."
        raise ConfigError(msg)
    keys = _factor_keys(factors, mode_keys)
    trips = v * (2.0 if round_trip else 1.0)
    out = pd.DataFrame({"trips": trips}, index=shares.index)
    person_km = (trips * d)[:, None] * sh
    total = np.zeros(len(v))
    for j, mode in enumerate(MODES):
        out[f"km_{mode}"] = person_km[:, j]
    out["vkm_car"] = out["km_car"] / float(occupancy)
    for j, mode in enumerate(MODES):
        units = out["vkm_car"].to_numpy() if mode == "car" else person_km[:, j]
        t = units * factors.get(keys[mode]) / 1000.0
        out[f"tco2e_{mode}"] = t
        total = total + t
    out["tco2e"] = total
    logger.info(
        "travel emissions: %d origins, %.0f trips, %.1f tCO2e/yr (factors %d) in %.2f s",
        len(out), float(np.nansum(trips)), float(np.nansum(total)), factors.year, time.perf_counter() - t0,
    )  # fmt: skip
    return out

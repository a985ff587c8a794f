"""Access by cohort, mode and asset set for a whole study, and the equity of it.

This module arranges calls into :mod:`estatesplan.access` (the measures),
:mod:`estatesplan.equity` (gaps, SII/RII, concentration index, "left behind") and
:mod:`estatesplan.staff` over a :class:`~estatesplan.study.Study` and its travel-time
matrices. It holds no formulas of its own.

Conventions
-----------
- Zone results are per mode and asset set; cohort results weight zones by the cohort's
  size (people, or households for ``households_no_car``), never by zone count.
- A cohort is measured only over the modes it can use (``AccessConfig.modes_for``:
  households without a car do not drive); ``mode == "best"`` is the fastest of those
  modes per zone.
- Unreachable within the matrices' cut-off is NaN in zone tables; in cohort tables it
  counts as "not within" every threshold and is reported in ``unreachable``.
- Floating catchments and gravity use the ``everyone`` cohort as demand (residents share
  supply whatever their cohort) and the configured supply column (default one unit per site).
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import access as _access
from . import contracts as c
from . import equity as _equity
from .errors import DataContractError, DataQualityWarning

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    import geopandas as gpd

    from ._config_access import AccessConfig, AssetSetConfig
    from .config import StudyConfig
    from .progress import Progress
    from .study import Study
    from .travel_times import TravelTimeMatrix

__all__ = ["BEST", "AccessResults", "select_assets", "study_access"]

logger = logging.getLogger(__name__)

BEST: Final = "best"
"""Pseudo-mode: the fastest of the modes a cohort can use, per zone."""

_FArr = npt.NDArray[np.float64]
_BArr = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class AccessResults:
    """Access and equity tables of one study (tidy: one row per key combination).

    Attributes
    ----------
    zones
        Per zone × mode × asset set: ``nearest_min`` (NaN: none within the cut-off),
        ``within_<T>`` (sites within T minutes), ``gravity``, ``fca_2sfca`` and
        ``fca_e2sfca`` (supply per resident).
    cohorts
        Per cohort × mode (incl. ``best``) × asset set: ``people``, weighted
        ``mean_min``/``median_min``/``p90_min`` of the time to the nearest site (over the
        reachable), ``unreachable`` (people with none within the cut-off) and
        ``share_within_<T>`` (0..1, unreachable counted as not within).
    s_curves
        Per cohort × mode × asset set × ``minute``: ``share`` of the cohort whose
        nearest site is within that many minutes.
    best
        Per zone × cohort × asset set: ``best_min`` and ``best_mode``.
    equity
        Per cohort × mode × asset set × ``measure``: quintile means and gap/ratio,
        SII, RII and concentration index across IMD (see :mod:`estatesplan.equity`).
    neighbourhoods
        Per cohort × mode × asset set × ``neighbourhood_id``: the cohort's time to the
        nearest site compared between neighbourhoods.
    left_behind
        Zones with high need and poor access, per cohort, with why.
    staff
        Per team × mode: journeys between the team's sites.
    staff_commute
        Per mode × asset set: commutes from staff home zones (empty when no staff
        origins file was given).
    inter_site
        Mode → site × site travel-time matrix of the staff sites.
    surfaces
        ``surface_<mode>_<asset set>`` → GeoTIFF of minutes to the nearest site.
    settings
        The settings used (for the manifest).
    """

    zones: pd.DataFrame
    cohorts: pd.DataFrame
    s_curves: pd.DataFrame
    best: pd.DataFrame
    equity: pd.DataFrame
    neighbourhoods: pd.DataFrame
    left_behind: pd.DataFrame
    staff: pd.DataFrame = field(default_factory=pd.DataFrame)
    staff_commute: pd.DataFrame = field(default_factory=pd.DataFrame)
    inter_site: dict[str, TravelTimeMatrix] = field(default_factory=dict)
    surfaces: dict[str, Path] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def headline(self) -> str:
        """One line for the CLI: residents' access to the left-behind asset set and mode.

        Returns
        -------
        str
            E.g. "GP practices by walk: 87.5% of residents within 10 min, 100.0% within
            20 min; 10 zones left behind (everyone)"; empty when there is nothing to say.
        """
        lb = self.settings.get("left_behind", {})
        aset, mode = lb.get("asset_set"), lb.get("mode")
        rows = self.cohorts
        if rows.empty or aset is None:
            return ""
        row = rows[
            (rows["cohort"] == "everyone") & (rows["mode"] == mode) & (rows["asset_set"] == aset)
        ]
        if row.empty:
            return ""
        r = row.iloc[0]
        shares = [
            f"{100 * r[col]:.1f}% within {col.removeprefix('share_within_')} min"
            for col in rows.columns
            if col.startswith("share_within_") and pd.notna(r[col])
        ]
        label = self.settings.get("asset_sets", {}).get(aset, {}).get("label", aset)
        behind = self.left_behind
        n = int((behind["cohort"] == "everyone").sum()) if not behind.empty else 0
        return (
            f"{label} by {mode}: " + ", ".join(shares) + f" of residents; "
            f"{n} zones left behind (high need, poor access)"
        )

    @classmethod
    def from_tables(
        cls,
        tables: Mapping[str, pd.DataFrame],
        *,
        inter_site: Mapping[str, TravelTimeMatrix] | None = None,
        surfaces: Mapping[str, Path] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> AccessResults:
        """Rebuild results from the tables :meth:`tables` returned (e.g. read from CSV).

        Parameters
        ----------
        tables
            Export name → table; missing tables are empty.
        inter_site, surfaces, settings
            As the attributes.

        Returns
        -------
        AccessResults
            The results.
        """

        def get(name: str) -> pd.DataFrame:
            return tables.get(name, pd.DataFrame())

        return cls(
            zones=get("access_zones"),
            cohorts=get("access_cohorts"),
            s_curves=get("access_s_curves"),
            best=get("access_best"),
            equity=get("access_equity"),
            neighbourhoods=get("access_neighbourhoods"),
            left_behind=get("left_behind"),
            staff=get("staff_journeys"),
            staff_commute=get("staff_commute"),
            inter_site=dict(inter_site or {}),
            surfaces=dict(surfaces or {}),
            settings=dict(settings or {}),
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tidy tables by export name.

        Returns
        -------
        dict of str to pandas.DataFrame
            ``access_zones``, ``access_cohorts``, ``access_s_curves``, ``access_best``,
            ``access_equity``, ``access_neighbourhoods``, ``left_behind``,
            ``staff_journeys``, ``staff_commute``.
        """
        return {
            "access_zones": self.zones,
            "access_cohorts": self.cohorts,
            "access_s_curves": self.s_curves,
            "access_best": self.best,
            "access_equity": self.equity,
            "access_neighbourhoods": self.neighbourhoods,
            "left_behind": self.left_behind,
            "staff_journeys": self.staff,
            "staff_commute": self.staff_commute,
        }


def select_assets(assets: gpd.GeoDataFrame, spec: AssetSetConfig) -> _BArr:
    """Return which assets belong to an asset set.

    Parameters
    ----------
    assets
        Asset layer (``asset_id``, ``asset_type``, ``owner_type``, ``in_area``).
    spec
        The set's filters; an empty filter passes everything.

    Returns
    -------
    numpy.ndarray of bool
        One flag per asset row, in layer order.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from estatesplan.config import AssetSetConfig
    >>> a = gpd.GeoDataFrame({"asset_id": ["A", "B"], "asset_type": ["gp_practice", "school"],
    ...                       "owner_type": ["icb_primary_care", "local_authority"], "in_area": [True, True]})
    >>> select_assets(a, AssetSetConfig("GPs", asset_types=("gp_practice",))).tolist()
    [True, False]
    """
    keep = np.ones(len(assets), dtype=bool)
    if spec.asset_types:
        keep &= assets[c.ASSET_TYPE].isin(spec.asset_types).to_numpy(dtype=bool)
    if spec.owner_types:
        keep &= assets[c.OWNER_TYPE].isin(spec.owner_types).to_numpy(dtype=bool)
    if spec.ids:
        keep &= assets[c.ASSET_ID].astype(str).isin(spec.ids).to_numpy(dtype=bool)
    if spec.in_area_only and c.IN_AREA in assets:
        keep &= assets[c.IN_AREA].fillna(False).to_numpy(dtype=bool)
    return keep


def _aligned(matrix: TravelTimeMatrix, zones: pd.DataFrame, assets: pd.DataFrame) -> _FArr:
    """The matrix's minutes (float64) in zone-row and asset-row order; ids must match."""
    zone_ids = zones[c.ZONE_ID].astype(str).to_numpy()
    asset_ids = assets[c.ASSET_ID].astype(str).to_numpy()
    rows = pd.Index(matrix.origin_ids.astype(str)).get_indexer(zone_ids)
    cols = pd.Index(matrix.destination_ids.astype(str)).get_indexer(asset_ids)
    problems = []
    for what, idx, ids, n in (
        ("zones", rows, zone_ids, len(matrix.origin_ids)),
        ("assets", cols, asset_ids, len(matrix.destination_ids)),
    ):
        missing = ids[idx < 0]
        if len(missing) or n != len(ids):
            problems.append(
                f"{len(missing)} of {len(ids)} {what} are not in the {matrix.mode} matrix "
                f"(e.g. {', '.join(map(str, missing[:3]))}) and it has {n} {what}"
            )
    if problems:
        msg = (
            f"the {matrix.mode} travel-time matrix does not match the study layers: "
            + "; ".join(problems)
            + ". Recompute the matrices for these layers (delete the cached matrix or "
            "re-run `estatesplan run`)."
        )
        raise DataContractError(msg)
    return np.asarray(matrix.minutes, dtype=np.float64)[np.ix_(rows, cols)]


def _supply(assets: pd.DataFrame, column: str | None) -> _FArr:
    if column is None:
        return np.ones(len(assets))
    if column not in assets.columns:
        msg = (
            f"[access] supply = {column!r}: the asset layer has no such column; use one of "
            f"{', '.join(x for x in assets.columns if x != 'geometry')} or remove the setting "
            "to count each site as one unit."
        )
        raise DataContractError(msg)
    values = pd.to_numeric(assets[column], errors="coerce").to_numpy(dtype=np.float64)
    negative = np.flatnonzero(values < 0)
    if len(negative):
        ids = assets[c.ASSET_ID].astype(str).to_numpy()[negative]
        msg = (
            f"[access] supply column {column!r} has {len(negative)} negative values "
            f"(assets {', '.join(ids[:5])}); supply must be zero or more."
        )
        raise DataContractError(msg)
    return values


def _summary(nearest: _FArr, weights: _FArr, thresholds: tuple[float, ...]) -> dict[str, float]:
    reach = np.isfinite(nearest)
    out: dict[str, float] = {
        "people": float(weights.sum()),
        "mean_min": _access.weighted_mean(nearest, weights),
        "median_min": _access.weighted_quantile(nearest, weights, 0.5),
        "p90_min": _access.weighted_quantile(nearest, weights, 0.9),
        "unreachable": float(weights[~reach].sum()),
    }
    shares = _access.share_within(nearest, weights, thresholds)
    for t in thresholds:
        out[f"share_within_{t:g}"] = float(shares.loc[t])
    return out


def _best(times: Mapping[str, _FArr]) -> tuple[_FArr, npt.NDArray[np.object_]]:
    modes = list(times)
    stack = np.vstack([times[m] for m in modes])
    filled = np.where(np.isfinite(stack), stack, np.inf)
    pick = filled.argmin(axis=0)
    best = filled[pick, np.arange(stack.shape[1])]
    names = np.asarray(modes, dtype=object)[pick]
    none = ~np.isfinite(best)
    names[none] = None
    return np.where(none, np.nan, best), names


def study_access(
    study: Study,
    settings: AccessConfig,
    *,
    progress: Progress | None = None,
    config: StudyConfig | None = None,
) -> AccessResults:
    """Compute access per zone, cohort, mode and asset set, with its equity.

    Parameters
    ----------
    study
        A study with travel-time matrices (``study.matrices``).
    settings
        The ``[access]`` settings (thresholds, sets, supply, decay, cohort modes).
    progress
        Optional progress callback ``(done, total, label)``.
    config
        The study config; when it names a street network, staff journeys between
        sites and travel-time surfaces are computed too (both cached on disk).

    Returns
    -------
    AccessResults
        Tidy tables; see the class.

    Raises
    ------
    DataContractError
        If a matrix's ids do not match the layers, the supply column is missing or
        negative, or the zones lack a cohort's counts.
    """
    t0 = time.perf_counter()
    zones, assets = study.zones, study.assets
    if not study.matrices:
        msg = (
            "access needs travel-time matrices: name a street network in the config "
            "([network] osm) and run with matrices on."
        )
        raise DataContractError(msg)
    sets: dict[str, _BArr] = {}
    for name, spec in settings.all_asset_sets().items():
        mask = select_assets(assets, spec)
        if not mask.any():
            warnings.warn(
                f"asset set {name!r} ({spec.label}) selects no assets in this study; "
                "it is left out of the access tables",
                DataQualityWarning,
                stacklevel=2,
            )
            continue
        sets[name] = mask
    supply = _supply(assets, settings.supply)
    everyone = _demand(study)
    thresholds = settings.thresholds_min
    zone_ids = zones[c.ZONE_ID].astype(str).to_numpy()
    nearest: dict[tuple[str, str], _FArr] = {}
    zone_rows: list[pd.DataFrame] = []
    modes = [m for m in study.matrices if m in settings.modes]
    aligned: dict[str, _FArr] = {}
    zone_index = pd.Index(zone_ids, name=c.ZONE_ID)
    unknown = ~np.isfinite(supply) & np.logical_or.reduce(list(sets.values()))
    if unknown.any():
        warnings.warn(
            f"[access] supply {settings.supply!r} is unknown for {int(unknown.sum())} assets in "
            f"the asset sets (e.g. {', '.join(assets[c.ASSET_ID].astype(str)[unknown][:3])}); "
            "they count for nearest times but not in gravity or floating catchments",
            DataQualityWarning,
            stacklevel=2,
        )
    report = progress or (lambda done, total, label: None)
    for i, mode in enumerate(modes):
        report(i, len(modes), f"access {mode}")
        minutes = _aligned(study.matrices[mode], zones, assets)
        aligned[mode] = minutes
        dark = []
        for name, mask in sets.items():
            frame = _zone_frame(minutes[:, mask], supply[mask], everyone, settings)
            nearest[(mode, name)] = frame["nearest_min"].to_numpy()
            if np.isnan(nearest[(mode, name)]).all():
                dark.append(name)
            zone_rows.append(frame.assign(mode=mode, asset_set=name).set_index(zone_index))
        if dark:
            warnings.warn(
                f"no zone reaches any asset of {', '.join(map(repr, dark))} by {mode} within "
                f"{study.matrices[mode].cutoff_min:g} min: that {mode} access is all "
                "unreachable (check the network covers the area and the cut-off)",
                DataQualityWarning,
                stacklevel=2,
            )
    report(len(modes), len(modes), "access")
    zone_table = pd.concat(zone_rows).reset_index()
    zone_table = zone_table[[c.ZONE_ID, "mode", "asset_set", *_ZONE_MEASURES(thresholds)]]
    tables = _cohort_tables(study, settings, sets, nearest, zone_table)
    staff = commute = pd.DataFrame()
    inter_site: dict[str, TravelTimeMatrix] = {}
    surfaces: dict[str, Path] = {}
    if config is not None and config.network.osm is not None:
        from . import _access_network as an

        nets = an.StudyNetworks(config)
        staff, commute, inter_site = an.staff_tables(study, config, sets, nets, aligned)
        surfaces = an.surfaces(study, config, sets, nets)
    result = AccessResults(
        zones=zone_table,
        **tables,
        staff=staff,
        staff_commute=commute,
        inter_site=inter_site,
        surfaces=surfaces,
        settings=_settings_record(settings, sets, study, config),
    )
    logger.info(
        "access: %d zones × %d modes × %d asset sets, %d cohorts in %.1f s",
        len(zones), len(modes), len(sets), study.cohort_weights.shape[1],
        time.perf_counter() - t0,
    )  # fmt: skip
    return result


def _ZONE_MEASURES(thresholds: tuple[float, ...]) -> list[str]:  # noqa: N802
    return [
        "nearest_min",
        *(f"within_{t:g}" for t in thresholds),
        "gravity",
        "fca_2sfca",
        "fca_e2sfca",
    ]


def _zone_frame(sub: _FArr, supply: _FArr, demand: _FArr, settings: AccessConfig) -> pd.DataFrame:
    """Zone measures to one asset set by one mode (sites with unknown supply left out of
    gravity and floating catchments). "All unreachable" is warned about once by the caller."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "(?s).*are unreachable", DataQualityWarning)
        frame: dict[str, Any] = {"nearest_min": _access.nearest_minutes(sub)}
        for t in settings.thresholds_min:
            frame[f"within_{t:g}"] = _access.count_within(sub, t)
        known = np.isfinite(supply)
        sup, sub_known = supply[known], sub[:, known]
        frame["gravity"] = _access.gravity(
            sub_known, sup, decay="exponential", beta=settings.gravity_beta
        )
        frame["fca_2sfca"] = _access.two_stage_fca(
            sub_known, demand, sup, catchment_min=settings.catchment_min
        )
        frame["fca_e2sfca"] = _access.enhanced_two_stage_fca(
            sub_known, demand, sup, bands=settings.decay_bands
        )
    return pd.DataFrame(frame)


def _settings_record(
    settings: AccessConfig, sets: Mapping[str, _BArr], study: Study, config: StudyConfig | None
) -> dict[str, Any]:
    """What the manifest records about how access was measured."""
    from .study_transit import transit_status

    all_sets = settings.all_asset_sets()
    return {
        "thresholds_min": list(settings.thresholds_min),
        "cutoff_min": {m: float(x.cutoff_min) for m, x in study.matrices.items()},
        "asset_sets": {
            name: {"label": all_sets[name].label, "assets": int(mask.sum())}
            for name, mask in sets.items()
        },
        "supply": settings.supply or "one unit per site",
        "demand": "everyone (usual residents)",
        "catchment_min": settings.catchment_min,
        "decay_bands": [list(b) for b in settings.decay_bands],
        "gravity": {"decay": "exponential", "beta_per_min": settings.gravity_beta},
        "cohort_modes": {
            cohort: list(settings.modes_for(cohort)) for cohort in study.cohort_weights.columns
        },
        "left_behind": {
            "asset_set": settings.left_behind_set,
            "mode": settings.left_behind_mode,
            "threshold_min": settings.left_behind_min,
        },
        "transit": transit_status(study.matrices, config),
    }


def _demand(study: Study) -> _FArr:
    w = study.cohort_weights
    col = "everyone" if "everyone" in w.columns else None
    values = (
        w[col].to_numpy(dtype=np.float64)
        if col is not None
        else pd.to_numeric(study.zones[c.POPULATION], errors="coerce").to_numpy(dtype=np.float64)
    )
    bad = ~np.isfinite(values)
    if bad.any():
        ids = study.zones[c.ZONE_ID].astype(str).to_numpy()[bad]
        msg = (
            f"{bad.sum()} zones have no resident count (e.g. {', '.join(ids[:5])}); floating "
            "catchments need the population of every zone. Fix the zone counts or the population raster."
        )
        raise DataContractError(msg)
    return values


def _cohort_tables(
    study: Study,
    settings: AccessConfig,
    sets: Mapping[str, _BArr],
    nearest: Mapping[tuple[str, str], _FArr],
    zone_table: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    zones = study.zones
    zone_ids = zones[c.ZONE_ID].astype(str).to_numpy()
    cutoff = max(m.cutoff_min for m in study.matrices.values())
    grid = np.arange(0.0, cutoff + 1.0)
    decile = _numeric(zones, c.IMD_DECILE)
    rank = _numeric(zones, c.IMD_RANK)
    groups = (
        zones[c.NEIGHBOURHOOD_ID].astype(str).to_numpy() if c.NEIGHBOURHOOD_ID in zones else None
    )
    fca = {
        (mode, name): frame["fca_e2sfca"].to_numpy(dtype=np.float64)
        for (mode, name), frame in zone_table.groupby(["mode", "asset_set"], sort=False)
    }
    t_lb = settings.left_behind_min
    cohort_rows: list[dict[str, Any]] = []
    curves, bests, equity, nbhs, behind = [], [], [], [], []
    for cohort in study.cohort_weights.columns:
        w = study.cohort_weights[cohort].to_numpy(dtype=np.float64)
        unit = "households" if cohort == c.HOUSEHOLDS_NO_CAR else "people"
        modes = [m for m in settings.modes_for(cohort) if any(k[0] == m for k in nearest)]
        if not modes:
            logger.info("cohort %s: none of its modes has a matrix; skipped", cohort)
            continue
        for name in sets:
            times = {m: nearest[(m, name)] for m in modes}
            best, best_mode = _best(times)
            bests.append(
                pd.DataFrame(
                    {c.ZONE_ID: zone_ids, "cohort": cohort, "asset_set": name,
                     "best_min": best, "best_mode": best_mode}
                )
            )  # fmt: skip
            for mode, near in [*times.items(), (BEST, best)]:
                key = {"cohort": cohort, "mode": mode, "asset_set": name}
                cohort_rows.append({**key, **_summary(near, w, settings.thresholds_min)})
                curves.append(_access.s_curve(near, w, minutes=grid).assign(**key))
                if decile is not None:
                    values = {"nearest_min": near, f"within_{t_lb:g}_min": _within(near, t_lb)}
                    if (mode, name) in fca:
                        values["e2sfca"] = fca[(mode, name)]
                    table = _equity.equity_table(
                        values, w, decile, rank,
                        higher_is_better={f"within_{t_lb:g}_min": True, "e2sfca": True},
                        cutoff_min=cutoff, weight_name=unit,
                    )  # fmt: skip
                    equity.append(table.rename_axis("measure").reset_index().assign(**key))
                if groups is not None:
                    cmp = _equity.compare_groups(
                        near, w, groups, zone_ids=zone_ids, cutoff_min=cutoff, weight_name=unit
                    )
                    nbhs.append(cmp.rename_axis(c.NEIGHBOURHOOD_ID).reset_index().assign(**key))
        lb_mode = settings.left_behind_mode if settings.left_behind_mode in modes else BEST
        if settings.left_behind_set in sets and w.sum() > 0:
            near = (
                nearest[(lb_mode, settings.left_behind_set)]
                if lb_mode != BEST
                else _best({m: nearest[(m, settings.left_behind_set)] for m in modes})[0]
            )
            label = settings.all_asset_sets()[settings.left_behind_set].label
            lb = _equity.left_behind(
                zone_ids, need=w, access_minutes=near, imd_decile=decile,
                access_threshold=t_lb, cutoff_min=cutoff,
                need_label=_NEED_WORDS.get(cohort, f"people ({cohort.replace('_', ' ')})"),
                access_label=f"nearest site ({label})",
                mode_label=_MODE_WORDS.get(lb_mode, lb_mode),
            )  # fmt: skip
            behind.append(
                lb.assign(cohort=cohort, mode=lb_mode, asset_set=settings.left_behind_set)
            )
    return {
        "cohorts": _frame(cohort_rows),
        "s_curves": _concat(curves),
        "best": _concat(bests),
        "equity": _concat(equity),
        "neighbourhoods": _concat(nbhs),
        "left_behind": _concat(behind),
    }


_NEED_WORDS: Final = {
    "everyone": "residents",
    "households_no_car": "households without a car",
    "over_65": "people over 65",
    "under_5": "children under 5",
}

_MODE_WORDS: Final = {
    "walk": "on foot",
    "cycle": "by bike",
    "drive": "by car",
    "transit": "by public transport",
    BEST: "by the fastest mode available",
}


def _within(near: _FArr, t: float) -> _FArr:
    return (np.isfinite(near) & (near <= t)).astype(np.float64)


def _numeric(frame: pd.DataFrame, column: str) -> _FArr | None:
    if column not in frame.columns:
        return None
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    return None if np.isnan(values).all() else values


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

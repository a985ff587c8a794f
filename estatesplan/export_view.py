"""Views of a study for export: the part of it the app's filters show.

A *view* (:class:`ExportView`) narrows the study the way the app's filters do: owner
types and asset types of the assets, a set of neighbourhoods, one cohort. An empty view
is the whole study. :func:`select_view` applies it and returns an
:class:`ExportSelection`: the layers (assets, zones, neighbourhoods, options and the
study area) and the result tables restricted to the view, plus the tables that had to
be left out because they cannot be restricted (a figure pooled over the whole study is
not the figure of one neighbourhood). :mod:`estatesplan.export_bundle` writes a
selection as files; :mod:`estatesplan.report` as an HTML report.
Rules of a view
---------------
- Owner and asset types select asset rows: the assets layer and every table keyed by
  ``asset_id``. Tables that sum over every kind of building (carbon per neighbourhood,
  the net zero path, staff journeys) are left out. Tables about residents (access,
  travel carbon) are kept as they are: their asset sets are the study's.
- Neighbourhoods select zones, neighbourhoods and the assets located in them (by the
  assets' ``neighbourhood_id``, else by position), and every table keyed by
  ``zone_id``, ``neighbourhood_id`` or ``asset_id`` (optimiser runs by their ``area``).
  Tables with none of those keys cover the whole study and are left out.
- A cohort keeps the rows of tables keyed by ``cohort`` and that cohort's counts on the
  zones layer; tables without a cohort are kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import pandas as pd

from . import contracts as c
from . import export as _export
from .errors import ConfigError
from .study import SourceRecord, Study

__all__ = ["ExportSelection", "ExportView", "current_view", "select_view"]

logger = logging.getLogger(__name__)

_KIND_AGGREGATES: Final[dict[str, str]] = {
    "carbon_neighbourhoods": "sums buildings of every owner and asset type",
    "carbon_net_zero": "sums buildings of every owner and asset type",
    "staff_journeys": "joins sites of every owner and asset type",
}
_PLACE_KEYS: Final[tuple[str, ...]] = (c.ASSET_ID, c.ZONE_ID, c.NEIGHBOURHOOD_ID)


def _as_tuple(values: Iterable[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return (values,)
    return tuple(str(v) for v in values)


@dataclass(frozen=True)
class ExportView:
    """What part of a study to export; every field None means "all".

    Parameters
    ----------
    owner_types
        Owner types of the assets to keep (codes of ``contracts.OWNER_TYPES``); an
        empty tuple keeps no asset.
    asset_types
        Asset types to keep (codes of ``contracts.ASSET_TYPES``).
    neighbourhood_ids
        Neighbourhoods to keep (``neighbourhood_id`` values of the study).
    cohort
        The one cohort to keep (a column of ``study.cohort_weights``).
    """

    owner_types: tuple[str, ...] | None = None
    asset_types: tuple[str, ...] | None = None
    neighbourhood_ids: tuple[str, ...] | None = None
    cohort: str | None = None

    def __post_init__(self) -> None:
        # accept any iterable (lists from widgets) but store tuples: the view is hashable
        for name in ("owner_types", "asset_types", "neighbourhood_ids"):
            object.__setattr__(self, name, _as_tuple(getattr(self, name)))

    @property
    def restricts_kinds(self) -> bool:
        """True when owner or asset types are restricted."""
        return self.owner_types is not None or self.asset_types is not None

    @property
    def restricts_place(self) -> bool:
        """True when neighbourhoods are restricted."""
        return self.neighbourhood_ids is not None

    @property
    def is_whole_study(self) -> bool:
        """True when nothing is restricted."""
        return not (self.restricts_kinds or self.restricts_place or self.cohort is not None)

    def describe(self) -> str:
        """Return the view in words, e.g. "neighbourhoods N01, N02; cohort over 65"."""
        if self.is_whole_study:
            return "whole study"
        parts = []
        for label, values in (
            ("owner types", self.owner_types),
            ("asset types", self.asset_types),
            ("neighbourhoods", self.neighbourhood_ids),
        ):
            if values is not None:
                parts.append(f"{label} {', '.join(values) if values else '(none)'}")
        if self.cohort is not None:
            parts.append(f"cohort {self.cohort.replace('_', ' ')}")
        return "; ".join(parts)


@dataclass(frozen=True)
class ExportSelection:
    """A study restricted to a view, ready to be written.

    Attributes
    ----------
    study_name
        The study's name.
    synthetic
        True for the generated demo.
    view
        The view applied.
    layers
        Layer name → GeoDataFrame in the analysis CRS: ``assets`` (with operational
        carbon columns when computed), ``zones`` (``cohort_<name>`` counts and access
        columns), ``neighbourhoods``, ``options`` (hub points) and ``area`` (whole-place
        views only), each present only when it has a source.
    tables
        Export name → result table restricted to the view (names as in
        :mod:`estatesplan.export`: ``access_cohorts``, ``carbon_assets``, …); empty
        tables are left out.
    left_out
        Table name → why it is not in this view.
    sources
        Provenance of the study's inputs (licences).
    config_digest
        Digest of the study's config.
    """

    study_name: str
    synthetic: bool
    view: ExportView
    layers: dict[str, gpd.GeoDataFrame]
    tables: dict[str, pd.DataFrame]
    left_out: dict[str, str] = field(default_factory=dict)
    sources: tuple[SourceRecord, ...] = ()
    config_digest: str = ""


def current_view(
    study: Study,
    *,
    owner_types: Iterable[str] | None = None,
    asset_types: Iterable[str] | None = None,
    neighbourhood_ids: Iterable[str] | None = None,
    cohort: str | None = None,
) -> ExportView:
    """Return the view of the app's filters, dropping filters that keep everything.

    Parameters
    ----------
    study
        The study.
    owner_types, asset_types
        Types chosen in the filters; None, or every type present among the assets,
        means no restriction (so whole-study tables are not left out needlessly).
    neighbourhood_ids
        Neighbourhoods chosen; None, empty or all of them means every neighbourhood.
    cohort
        The cohort chosen; None keeps every cohort.

    Returns
    -------
    ExportView
        The view.
    """
    present = {
        c.OWNER_TYPE: set(study.assets[c.OWNER_TYPE].astype(str)),
        c.ASSET_TYPE: set(study.assets[c.ASSET_TYPE].astype(str)),
    }
    kinds = {}
    for col, chosen in ((c.OWNER_TYPE, owner_types), (c.ASSET_TYPE, asset_types)):
        values = _as_tuple(chosen)
        kinds[col] = None if values is None or present[col] <= set(values) else values
    ids = _as_tuple(neighbourhood_ids)
    every = set(study.neighbourhoods[c.NEIGHBOURHOOD_ID].astype(str))
    return ExportView(
        owner_types=kinds[c.OWNER_TYPE],
        asset_types=kinds[c.ASSET_TYPE],
        neighbourhood_ids=None if not ids or every <= set(ids) else ids,
        cohort=cohort,
    )


def _check_view(study: Study, view: ExportView) -> None:
    """Raise one ConfigError listing every value of ``view`` that the study lacks."""
    problems: list[str] = []
    for label, values, vocab in (
        ("owner type", view.owner_types, c.OWNER_TYPES),
        ("asset type", view.asset_types, c.ASSET_TYPES),
    ):
        bad = [v for v in values or () if v not in vocab]
        if bad:
            problems.append(f"unknown {label}(s) {', '.join(map(repr, bad))}")
    known = study.neighbourhoods[c.NEIGHBOURHOOD_ID].astype(str).tolist()
    missing = [n for n in view.neighbourhood_ids or () if n not in known]
    if missing:
        problems.append(
            f"neighbourhood(s) {', '.join(map(repr, missing))} not in the study "
            f"(it has {', '.join(known) or 'none'})"
        )
    if view.cohort is not None and view.cohort not in study.cohort_weights.columns:
        problems.append(
            f"cohort {view.cohort!r} not in the study "
            f"(it has {', '.join(map(str, study.cohort_weights.columns))})"
        )
    if problems:
        msg = (
            f"cannot export this view of {study.name}: "
            + "; ".join(problems)
            + ". Choose values the study has, or export the whole study."
        )
        raise ConfigError(msg)


def _asset_mask(study: Study, view: ExportView) -> pd.Series:
    assets = study.assets
    keep = pd.Series(True, index=assets.index)
    if view.owner_types is not None:
        keep &= assets[c.OWNER_TYPE].astype(str).isin(view.owner_types)
    if view.asset_types is not None:
        keep &= assets[c.ASSET_TYPE].astype(str).isin(view.asset_types)
    if view.neighbourhood_ids is not None:
        if c.NEIGHBOURHOOD_ID in assets.columns:
            nid = assets[c.NEIGHBOURHOOD_ID].astype("string").fillna("")
            keep &= nid.isin(view.neighbourhood_ids)
        else:  # locate the assets in the chosen neighbourhoods' polygons
            nb = study.neighbourhoods
            chosen = nb[nb[c.NEIGHBOURHOOD_ID].astype(str).isin(view.neighbourhood_ids)]
            shape = chosen.to_crs(assets.crs).geometry.union_all()
            keep &= assets.geometry.within(shape)
    return keep


def _join_fresh(layer: gpd.GeoDataFrame, extra: pd.DataFrame) -> gpd.GeoDataFrame:
    """Join ``extra`` onto ``layer``, replacing columns of the same name (a study read back
    from its outputs already carries them)."""
    return layer.drop(columns=[col for col in extra.columns if col in layer.columns]).join(extra)


def _layers(study: Study, view: ExportView) -> dict[str, gpd.GeoDataFrame]:
    assets = study.assets
    if study.carbon is not None and not study.carbon.assets.empty:
        assets = _join_fresh(
            assets, _export.asset_carbon_columns(study.assets, study.carbon.assets)
        )
    assets = assets[_asset_mask(study, view).to_numpy()]
    weights = study.cohort_weights
    if view.cohort is not None:
        weights = weights[[view.cohort]]
    zones = _join_fresh(study.zones, weights.add_prefix("cohort_"))
    if study.access is not None and not study.access.zones.empty:
        zones = _join_fresh(zones, _export.zone_access_columns(study.zones, study.access.zones))
    nbhd = study.neighbourhoods
    if view.neighbourhood_ids is not None:
        zones = zones[zones[c.NEIGHBOURHOOD_ID].astype(str).isin(view.neighbourhood_ids)]
        nbhd = nbhd[nbhd[c.NEIGHBOURHOOD_ID].astype(str).isin(view.neighbourhood_ids)]
    layers: dict[str, gpd.GeoDataFrame] = {
        "assets": assets,
        "zones": zones,
        "neighbourhoods": nbhd,
    }
    if study.options is not None and not study.options.options.empty:
        opts = _export.options_layer(study)
        if view.neighbourhood_ids is not None:
            opts = opts[opts[c.NEIGHBOURHOOD_ID].astype(str).isin(view.neighbourhood_ids)]
        layers["options"] = opts
    if study.area is not None and view.neighbourhood_ids is None:
        layers["area"] = study.area
    return {name: gdf.reset_index(drop=True) for name, gdf in layers.items()}


def _restrict(
    name: str,
    table: pd.DataFrame,
    view: ExportView,
    *,
    asset_ids: set[str],
    zone_ids: set[str],
) -> tuple[pd.DataFrame | None, str]:
    """The rows of one table in the view, or None and why it cannot be restricted."""
    keep = pd.Series(True, index=table.index)
    cols = set(table.columns)
    if view.cohort is not None and "cohort" in cols:
        keep &= table["cohort"].astype(str) == view.cohort
    if view.restricts_kinds:
        if c.ASSET_ID in cols:
            keep &= table[c.ASSET_ID].astype(str).isin(asset_ids)
        elif name in _KIND_AGGREGATES:
            return None, f"{_KIND_AGGREGATES[name]}: it cannot be restricted to these types"
    if view.restricts_place:
        assert view.neighbourhood_ids is not None
        if c.ASSET_ID in cols:
            keep &= table[c.ASSET_ID].astype(str).isin(asset_ids)
        elif c.ZONE_ID in cols:
            keep &= table[c.ZONE_ID].astype(str).isin(zone_ids)
        elif c.NEIGHBOURHOOD_ID in cols:
            keep &= table[c.NEIGHBOURHOOD_ID].astype(str).isin(view.neighbourhood_ids)
        elif "area" in cols and "per" in cols:  # optimiser runs: per neighbourhood or place
            keep &= (table["per"].astype(str) == "neighbourhood") & table["area"].astype(str).isin(
                view.neighbourhood_ids
            )
        else:
            return None, "covers the whole study: it has no neighbourhood, zone or asset column"
    return table[keep.to_numpy()].reset_index(drop=True), ""


def _all_tables(study: Study) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    for results in (study.access, study.carbon, study.options):
        if results is not None:
            tables.update({n: t for n, t in results.tables().items() if not t.empty})
    return tables


def select_view(study: Study, view: ExportView | None = None) -> ExportSelection:
    """Restrict a study's layers and result tables to a view.

    Parameters
    ----------
    study
        The study (layers in the analysis CRS).
    view
        What to keep; None (or an empty view) keeps the whole study.

    Returns
    -------
    ExportSelection
        Layers and tables of the view, and the tables left out with why (see the
        module's rules).

    Raises
    ------
    ConfigError
        If the view names an owner or asset type outside the contract's vocabulary, a
        neighbourhood the study does not have, or an unknown cohort.
    """
    t0 = time.perf_counter()
    view = view or ExportView()
    _check_view(study, view)
    layers = _layers(study, view)
    asset_ids = set(layers["assets"][c.ASSET_ID].astype(str))
    zone_ids = set(layers["zones"][c.ZONE_ID].astype(str))
    tables: dict[str, pd.DataFrame] = {}
    left_out: dict[str, str] = {}
    for name, table in _all_tables(study).items():
        kept, why = _restrict(name, table, view, asset_ids=asset_ids, zone_ids=zone_ids)
        if kept is None:
            left_out[name] = why
        else:
            tables[name] = kept
    logger.info(
        "export view of %r (%s): %d assets, %d zones, %d tables (%d left out) in %.2f s",
        study.name, view.describe(), len(layers["assets"]), len(layers["zones"]), len(tables),
        len(left_out), time.perf_counter() - t0,
    )  # fmt: skip
    return ExportSelection(
        study_name=study.name,
        synthetic=study.synthetic,
        view=view,
        layers=layers,
        tables=tables,
        left_out=left_out,
        sources=study.sources,
        config_digest=study.config_digest,
    )


# --- files ----------------------------------------------------------------------------------

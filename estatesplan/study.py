"""The loaded study: assets, zones and neighbourhoods of one place, with their provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

if TYPE_CHECKING:
    from .study_access import AccessResults
    from .study_carbon import CarbonResults
    from .study_options import OptionsResults
    from .travel_times import TravelTimeMatrix

__all__ = ["SourceRecord", "Study"]


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """Where one input came from, for the export manifest and the app's "sources" panel.

    Parameters
    ----------
    name
        What the input is (e.g. "Census 2021 TS007A age bands").
    path
        File it was read from (empty for generated inputs).
    publisher
        Original publisher (e.g. "ONS", "NHS England ODS", "OpenStreetMap").
    licence
        Licence of the data (e.g. "OGL v3", "ODbL 1.0").
    rows
        Rows read.
    digest
        SHA-256 of the file's bytes (empty for generated inputs).
    """

    name: str
    path: str
    publisher: str = ""
    licence: str = ""
    rows: int = 0
    digest: str = ""


@dataclass(frozen=True)
class Study:
    """One place's estate and population, validated against the data contracts.

    Parameters
    ----------
    name
        Study name shown in maps and reports.
    assets
        Asset register (point geometry, analysis CRS), see ``contracts``.
    zones
        Population zones (polygons, analysis CRS) with ``neighbourhood_id``.
    neighbourhoods
        Neighbourhood polygons with ``neighbourhood_id``, ``name``, ``place``.
    cohorts
        Cohort name to expression, as declared in the config.
    cohort_weights
        People (or households) of each cohort per zone, indexed like ``zones``.
    synthetic
        True when the data are the generated demo, never real.
    area
        Study-area outline (analysis CRS), or None.
    sources
        Provenance of every input.
    config_digest
        Digest of the normalised config that produced this study.
    config_path
        The study config file that produced it ("" when unknown).
    matrices
        Travel-time matrices (zones × assets, minutes) by mode; empty when the
        study names no street network or they were not asked for.
    access
        Access and equity tables (see :class:`~estatesplan.study_access.AccessResults`),
        or None when there are no matrices or they were not asked for.
    carbon
        Carbon and whole-life cost tables (see
        :class:`~estatesplan.study_carbon.CarbonResults`), or None.
    options
        Co-location screening, options and rankings (see
        :class:`~estatesplan.study_options.OptionsResults`), or None.
    """

    name: str
    assets: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    neighbourhoods: gpd.GeoDataFrame
    cohorts: dict[str, str]
    cohort_weights: pd.DataFrame
    synthetic: bool = False
    area: gpd.GeoDataFrame | None = None
    sources: tuple[SourceRecord, ...] = field(default_factory=tuple)
    config_digest: str = ""
    config_path: str = ""
    matrices: dict[str, TravelTimeMatrix] = field(default_factory=dict)
    access: AccessResults | None = None
    carbon: CarbonResults | None = None
    options: OptionsResults | None = None

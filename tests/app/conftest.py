"""Fixtures for the Streamlit app tests: a tiny hand-made study.

Six 500 m square zones in a 3 × 2 grid (EPSG:27700, near 528000 E, 182000 N), two
neighbourhoods of three zones each, eight assets of several owner and asset types
(some attributes unknown), and the cohorts ``everyone`` and ``over_65``. Values are
small round numbers so that totals can be checked by hand:

- population: 1000, 1200, 800, 1500, 900, 600 (total 6000)
- over-65s (age_65_69 + … + age_85_plus): 100, 300, 80, 150, 270, 60 (total 960)
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from estatesplan import contracts as c
from estatesplan.cohorts import cohort_weights
from estatesplan.study import SourceRecord, Study
from estatesplan.workspace import Workspace

X0, Y0, SIDE = 528_000.0, 182_000.0, 500.0
POPULATION = [1000.0, 1200.0, 800.0, 1500.0, 900.0, 600.0]
OVER_65 = [100.0, 300.0, 80.0, 150.0, 270.0, 60.0]
OLD_BANDS = ("age_65_69", "age_70_74", "age_75_79", "age_80_84", "age_85_plus")


def make_tiny_study(*, synthetic: bool = True, name: str = "Demoborough") -> Study:
    """Build the tiny study described in this module's docstring."""
    squares = [
        box(X0 + col * SIDE, Y0 + row * SIDE, X0 + (col + 1) * SIDE, Y0 + (row + 1) * SIDE)
        for row in range(2)
        for col in range(3)
    ]
    zones = gpd.GeoDataFrame(
        {
            c.ZONE_ID: [f"Z{i}" for i in range(1, 7)],
            c.ZONE_NAME: [f"Zone {i}" for i in range(1, 7)],
            c.POPULATION: POPULATION,
            c.IMD_DECILE: [1, 2, 5, 7, 9, 10],
            c.NEIGHBOURHOOD_ID: ["N1", "N1", "N1", "N2", "N2", "N2"],
        },
        geometry=squares,
        crs=c.ANALYSIS_CRS,
    )
    # over-65s split evenly over the five bands (20 % each)
    for band in OLD_BANDS:
        zones[band] = [v / 5 for v in OVER_65]
    neighbourhoods = gpd.GeoDataFrame(
        {
            c.NEIGHBOURHOOD_ID: ["N1", "N2"],
            c.NAME: ["North", "South"],
            c.PLACE: ["Demoborough", "Demoborough"],
        },
        geometry=[
            box(X0, Y0, X0 + 3 * SIDE, Y0 + SIDE),
            box(X0, Y0 + SIDE, X0 + 3 * SIDE, Y0 + 2 * SIDE),
        ],
        crs=c.ANALYSIS_CRS,
    )
    assets = gpd.GeoDataFrame(
        {
            c.ASSET_ID: [f"A{i}" for i in range(1, 9)],
            c.NAME: [
                "Hill Street Surgery",
                "Demoborough General Hospital",
                "Town Hall",
                "Central Library",
                "St Mary's Church",
                "Park Primary School",
                "Riverside Estate Hall",
                "Canal Leisure Centre",
            ],
            c.OWNER: [
                "Hill Street Partnership",
                "Demoborough NHS Trust",
                "Demoborough Council",
                "Demoborough Council",
                None,
                "Demoborough Council",
                "Riverside Housing",
                "Demoborough Council",
            ],
            c.OWNER_TYPE: [
                "icb_primary_care",
                "nhs_trust",
                "local_authority",
                "local_authority",
                "faith",
                "education",
                "housing",
                "local_authority",
            ],
            c.ASSET_TYPE: [
                "gp_practice",
                "hospital",
                "town_hall",
                "library",
                "place_of_worship",
                "school",
                "housing_estate",
                "leisure_centre",
            ],
            c.GIA_M2: [450.0, 25_000.0, 3_000.0, 1_200.0, np.nan, 2_500.0, 300.0, np.nan],
            c.CONDITION: ["B", "C", "B", None, None, "A", "D", "B"],
            c.BACKLOG_GBP: [20_000.0, 1_500_000.0, np.nan, 0.0, np.nan, 50_000.0, np.nan, 10_000.0],
            c.AVAILABLE_M2: [np.nan, 200.0, 150.0, 80.0, 60.0, np.nan, 40.0, np.nan],
            c.STEP_FREE: [True, True, None, True, False, None, False, True],
            c.TENURE: [
                "leasehold",
                "freehold",
                "freehold",
                "freehold",
                None,
                "freehold",
                None,
                "pfi",
            ],
            c.SOURCE: ["demo"] * 8,
            c.IN_AREA: [True] * 8,
        },
        geometry=[
            Point(X0 + 250, Y0 + 250),
            Point(X0 + 750, Y0 + 300),
            Point(X0 + 1250, Y0 + 200),
            Point(X0 + 1300, Y0 + 350),
            Point(X0 + 200, Y0 + 800),
            Point(X0 + 700, Y0 + 700),
            Point(X0 + 1200, Y0 + 900),
            Point(X0 + 1400, Y0 + 600),
        ],
        crs=c.ANALYSIS_CRS,
    )
    cohorts = {
        "everyone": "population",
        "over_65": " + ".join(OLD_BANDS),
    }
    weights = cohort_weights(zones, cohorts)
    sources = (
        SourceRecord(name="Demo zones", path="", publisher="estatesplan", licence="MIT", rows=6),
        SourceRecord(
            name="OSM buildings", path="", publisher="OpenStreetMap", licence="ODbL 1.0", rows=8
        ),
        SourceRecord(name="Census 2021 TS007A", path="", publisher="ONS", licence="OGL v3", rows=6),
    )
    return Study(
        name=name,
        assets=assets,
        zones=zones,
        neighbourhoods=neighbourhoods,
        cohorts=cohorts,
        cohort_weights=weights,
        synthetic=synthetic,
        sources=sources,
    )


@pytest.fixture(scope="session")
def demo_workspace() -> Workspace:
    """The demo study (seed 0) with its config, built once per test process (about
    20 s; matrices come from the on-disk cache after the first run)."""
    import warnings

    from estatesplan.errors import SyntheticDataWarning
    from estatesplan.workspace import load_workspace

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)
        return load_workspace("demo")


@pytest.fixture
def tiny_study() -> Study:
    """The tiny synthetic study ("Demoborough")."""
    return make_tiny_study(synthetic=True)


@pytest.fixture
def tiny_real_study() -> Study:
    """The same tiny study flagged as real data (not synthetic)."""
    return make_tiny_study(synthetic=False, name="Realtown")


@pytest.fixture
def population_total() -> float:
    """Hand-computed total population of the tiny study."""
    return float(sum(POPULATION))


@pytest.fixture
def over_65_total() -> float:
    """Hand-computed over-65 total of the tiny study."""
    return float(sum(OVER_65))


__all__ = ["OVER_65", "POPULATION", "make_tiny_study"]

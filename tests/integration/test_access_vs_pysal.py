"""Floating catchments and gravity on the real Camden walk matrix equal PySAL ``access``.

The 130 Camden LSOAs' centroids to the 33 in-borough GP practices (as
test_real_matrix.py), demand = Census 2021 usual residents (TS007A total), supply = one
per practice and a seeded "FTE" per practice. PySAL gets the long cost table of the
matrix's finite entries; results must agree to 1e-9 relative error, NaN for NaN.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from estatesplan import access as acc
from estatesplan import networks
from estatesplan import travel_times as tt

pytestmark = [pytest.mark.data, pytest.mark.integration]
pysal = pytest.importorskip("access")
CAMDEN = "E09000007"


@pytest.fixture(scope="module")
def camden(camden_dir: Path) -> dict[str, Any]:
    net = networks.network_from_osm(camden_dir / "camden_2km.osm.pbf", "walk")
    lsoa = gpd.read_file(camden_dir / "camden_lsoa21_boundaries_27700.gpkg")
    zones = gpd.GeoDataFrame(
        {"zone_id": lsoa["LSOA21CD"]}, geometry=lsoa.geometry.centroid, crs=lsoa.crs
    )
    gp = pd.read_csv(camden_dir / "camden_2km_gp_practices_active.csv")
    gp = gp[gp["admin_district_code"] == CAMDEN]
    practices = gpd.GeoDataFrame(
        {"org_code": gp["org_code"]},
        geometry=gpd.points_from_xy(gp["easting"], gp["northing"]), crs="EPSG:27700",
    )  # fmt: skip
    m = tt.matrix_from_network(net, zones, practices, origin_id="zone_id",
                               destination_id="org_code", cutoff_min=60.0)  # fmt: skip
    census = pd.read_csv(camden_dir / "camden_census2021_ts007a_age_5yr_bands_lsoa21.csv")
    people = census.set_index("geography code")["Age: Total"]
    demand = people.reindex(zones["zone_id"]).to_numpy(dtype=np.float64)
    assert m.minutes.shape == (130, 33) and not np.isnan(demand).any()
    return {
        "minutes": m.minutes,
        "zone_ids": zones["zone_id"].astype(str).to_numpy(),
        "site_ids": practices["org_code"].astype(str).to_numpy(),
        "demand": demand,
        "supplies": {
            "one": np.ones(33),
            "fte": np.random.default_rng(0).integers(1, 12, 33).astype(np.float64),
        },
    }


def pysal_access(c: dict[str, Any], supply: np.ndarray) -> Any:
    minutes = c["minutes"]
    i, j = np.nonzero(np.isfinite(minutes))
    cost = pd.DataFrame({"origin": c["zone_ids"][i], "dest": c["site_ids"][j],
                         "cost": minutes[i, j].astype(np.float64)})  # fmt: skip
    with warnings.catch_warnings():
        # PySAL access 1.1.9 under pandas 3: set_index(inplace=True) is deprecated
        # (Pandas4Warning); not ours to fix and no effect on its results.
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)
        return pysal.Access(
            demand_df=pd.DataFrame({"geoid": c["zone_ids"], "pop": c["demand"]}),
            demand_index="geoid", demand_value="pop",
            supply_df=pd.DataFrame({"geoid": c["site_ids"], "doc": supply}),
            supply_index="geoid", supply_value="doc",
            cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost",
        )  # fmt: skip


def run(c: dict[str, Any], a: Any, method: str, **kwargs: Any) -> np.ndarray:
    name = f"x{len(a.access_df.columns)}"  # a fresh column each call: PySAL never overwrites
    with warnings.catch_warnings():
        # fca.py's `temp[supply].fillna(0, inplace=True)` is a no-op under pandas 3
        # copy-on-write (ChainedAssignmentError); every site has a supply value here.
        warnings.filterwarnings("ignore", message="A value is being set on a copy .* chained")
        out = getattr(a, method)(name=name, **kwargs)
    return np.asarray(out[f"{name}_doc"].reindex(c["zone_ids"]), dtype=np.float64)


def assert_same(ours: np.ndarray, theirs: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    assert np.isfinite(theirs[~np.isnan(theirs)]).all()
    fin = ~np.isnan(theirs)
    np.testing.assert_allclose(ours[fin], theirs[fin], rtol=1e-9, atol=0)


@pytest.mark.parametrize("supply", ["one", "fte"])
def test_two_stage_fca_equals_pysal_on_camden(camden: dict[str, Any], supply: str) -> None:
    s = camden["supplies"][supply]
    a = pysal_access(camden, s)
    for catchment in (5.0, 10.0, 15.0, 20.0, 30.0):
        ours = acc.two_stage_fca(camden["minutes"], camden["demand"], s, catchment_min=catchment)
        assert_same(ours, run(camden, a, "two_stage_fca", max_cost=catchment))
        if catchment >= 15:  # every practice has residents within 15 minutes: supply is conserved
            assert np.nansum(camden["demand"] * ours) == pytest.approx(s.sum(), rel=1e-9)
    # short catchments leave zones with no practice in reach: NaN, as PySAL
    assert np.isnan(
        acc.two_stage_fca(camden["minutes"], camden["demand"], s, catchment_min=5.0)
    ).any()


@pytest.mark.parametrize("supply", ["one", "fte"])
@pytest.mark.parametrize(
    "bands",
    [acc.DEFAULT_BANDS, ((5.0, 1.0), (10.0, 0.6), (15.0, 0.3)), ((20.0, 1.0), (40.0, 0.68), (60.0, 0.22))],
)  # fmt: skip
def test_enhanced_two_stage_fca_equals_pysal_on_camden(
    camden: dict[str, Any], supply: str, bands: tuple[tuple[float, float], ...]
) -> None:
    s = camden["supplies"][supply]
    a = pysal_access(camden, s)
    ours = acc.enhanced_two_stage_fca(camden["minutes"], camden["demand"], s, bands=bands)
    theirs = run(camden, a, "enhanced_two_stage_fca", weight_fn=pysal.weights.step_fn(dict(bands)))
    assert_same(ours, theirs)
    # with a strict catchment (PySAL's max_cost) as well
    ours = acc.enhanced_two_stage_fca(camden["minutes"], camden["demand"], s, bands=bands,
                                      catchment_min=12.0)  # fmt: skip
    theirs = run(camden, a, "enhanced_two_stage_fca", max_cost=12.0,
                 weight_fn=pysal.weights.step_fn(dict(bands)))  # fmt: skip
    assert_same(ours, theirs)


def test_gravity_equals_pysal_weighted_catchment_on_camden(camden: dict[str, Any]) -> None:
    s = camden["supplies"]["fte"]
    a = pysal_access(camden, s)
    m = camden["minutes"]
    cases: list[tuple[acc.Decay, float, Any]] = [
        ("power", 1.5, pysal.weights.gravity(scale=1.0, alpha=-1.5, min_dist=1.0)),
        ("gaussian", 8.0, pysal.weights.gaussian(sigma=8.0)),
        ("exponential", 0.1, lambda t: np.exp(-0.1 * t)),
    ]
    for decay, beta, fn in cases:
        theirs = run(camden, a, "weighted_catchment", weight_fn=fn)
        # every zone reaches a practice, so PySAL has no NaN rows here
        assert_same(acc.gravity(m, s, decay=decay, beta=beta), theirs)


def test_camden_access_is_plausible(camden: dict[str, Any]) -> None:
    """Nearly every resident is within a 20-minute walk of a GP practice."""
    nearest = acc.nearest_minutes(camden["minutes"])
    shares = acc.share_within(nearest, camden["demand"], [10, 15, 20])
    assert shares.loc[20.0] >= 0.95
    assert acc.weighted_quantile(nearest, camden["demand"], 0.5) < 12
    assert acc.count_within(camden["minutes"], 20).min() >= 0

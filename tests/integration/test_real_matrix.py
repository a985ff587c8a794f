"""Camden walk matrix: the 130 LSOAs' centroids to the 33 in-borough GP practices, from the
real pack, equals an independent Dijkstra and a networkx search to 1e-6 minutes."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from estatesplan import networks
from estatesplan import travel_times as tt
from estatesplan.snapping import SegmentIndex
from tests.unit.test_travel_times import assert_same_minutes, reference_seconds

pytestmark = [pytest.mark.data, pytest.mark.integration]
CAMDEN = "E09000007"


@pytest.fixture(scope="module")
def camden(camden_dir: Path) -> tuple[object, gpd.GeoDataFrame, gpd.GeoDataFrame]:
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
    return net, zones, practices


def test_camden_walk_matrix_equals_independent_dijkstra(camden: tuple) -> None:  # type: ignore[type-arg]
    net, zones, practices = camden
    assert (len(zones), len(practices)) == (130, 33)
    m = tt.matrix_from_network(net, zones, practices, origin_id="zone_id", destination_id="org_code",
                               cutoff_min=60.0)  # fmt: skip
    index = SegmentIndex.build(net)

    def xy(g: gpd.GeoDataFrame) -> np.ndarray:
        return np.column_stack((g.geometry.x.to_numpy(), g.geometry.y.to_numpy()))

    o, d = index.snap(xy(zones)), index.snap(xy(practices))
    assert not o.flagged.any() and not d.flagged.any()
    ref = reference_seconds(net, o, d) / 60.0
    ref = np.where(ref <= 60.0, ref, np.nan)
    assert_same_minutes(m.minutes, ref)
    nearest = np.nanmin(np.where(np.isnan(m.minutes), np.inf, m.minutes), axis=1)
    assert (nearest <= 20).mean() >= 0.95  # nearly every zone has a GP within 20 minutes' walk
    assert np.median(nearest) < 12


def test_camden_walk_matches_networkx_between_snapped_nodes(camden: tuple) -> None:  # type: ignore[type-arg]
    """networkx over to_networkx(net), from the node ahead of each zone's snap point."""
    net, zones, practices = camden
    g = nx.DiGraph()
    for u, v, data in networks.to_networkx(net).edges(data=True):
        if not g.has_edge(u, v) or data["time_s"] < g[u][v]["time_s"]:
            g.add_edge(u, v, time_s=data["time_s"])
    index = SegmentIndex.build(net)
    # Points exactly on nodes: each trip is then node to node.
    o_nodes = net.edge_v[index.snap(np.column_stack((zones.geometry.x, zones.geometry.y))).edge][
        :20
    ]
    d_nodes = np.unique(net.edge_u[index.snap(np.column_stack((practices.geometry.x,
                                                                practices.geometry.y))).edge])  # fmt: skip
    on = gpd.GeoDataFrame({"id": [f"o{i}" for i in range(len(o_nodes))]},
                          geometry=gpd.points_from_xy(net.x[o_nodes], net.y[o_nodes]), crs=net.crs)  # fmt: skip
    dn = gpd.GeoDataFrame({"id": [f"d{i}" for i in range(len(d_nodes))]},
                          geometry=gpd.points_from_xy(net.x[d_nodes], net.y[d_nodes]), crs=net.crs)  # fmt: skip
    m = tt.matrix_from_network(net, on, dn, origin_id="id", destination_id="id", cutoff_min=45.0)
    for i, node in enumerate(o_nodes):
        lengths = nx.single_source_dijkstra_path_length(
            g, int(node), cutoff=45.0 * 60, weight="time_s"
        )
        want = np.array([lengths.get(int(t), np.inf) / 60.0 for t in d_nodes])
        want = np.where(want <= 45.0, want, np.nan)
        np.testing.assert_array_equal(np.isnan(m.minutes[i]), np.isnan(want))
        fin = ~np.isnan(want)
        np.testing.assert_allclose(m.minutes[i][fin], want[fin], rtol=0, atol=1e-5)

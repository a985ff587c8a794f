"""Rasters: exact zonal sums on a 4 × 4 synthetic population GeoTIFF, a travel-time surface on
a hand-made network checked against the matrix from each cell centre, the GeoTIFF's metadata,
and every kind of bad input."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from estatesplan import demo, networks, rasters
from estatesplan.errors import (
    ConfigError,
    CrsError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    GeometryError,
    MissingColumnError,
    OptionalDependencyError,
)
from estatesplan.graph import StreetNetwork
from estatesplan.travel_times import matrix_from_network

rasterio = pytest.importorskip("rasterio", reason="needs the optional extra 'raster' (rasterio)")
Affine = pytest.importorskip("affine").Affine

CRS = "EPSG:27700"
X0, Y0 = 529_000.0, 182_000.0

# --- zonal population -------------------------------------------------------------------------


def write_raster(path: Path, values: np.ndarray, *, nodata: float | None = -1.0,
                 crs: str | None = CRS, cell: float = 100.0) -> Path:  # fmt: skip
    """A GeoTIFF with its north-west corner at (X0, Y0 + rows × cell)."""
    rows, cols = values.shape
    with rasterio.open(
        path, "w", driver="GTiff", width=cols, height=rows, count=1, dtype="float32",
        crs=crs, transform=Affine(cell, 0, X0, 0, -cell, Y0 + rows * cell), nodata=nodata,
    ) as dst:  # fmt: skip
        dst.write(values.astype(np.float32), 1)
    return path


@pytest.fixture
def pop_tif(tmp_path: Path) -> Path:
    # Row 0 is the north: cells hold 1..16 row by row; the south-east cell (16) is nodata.
    values = np.arange(1, 17, dtype=float).reshape(4, 4)
    values[3, 3] = -1.0
    return write_raster(tmp_path / "pop.tif", values)


def zones(
    boxes: Mapping[str, tuple[float, float, float, float]], crs: str | None = CRS
) -> gpd.GeoDataFrame:
    """Zones from boxes in metres relative to (X0, Y0)."""
    return gpd.GeoDataFrame(
        {"zone_id": list(boxes)},
        geometry=[shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes.values()],
        crs=crs,
    )


QUARTERS = {"NW": (0, 200, 200, 400), "NE": (200, 200, 400, 400), "S": (0, 0, 400, 200)}


def test_zonal_population_exact_sums(pop_tif: Path) -> None:
    out = rasters.zonal_population(pop_tif, zones(QUARTERS))
    # NW: 1 + 2 + 5 + 6; NE: 3 + 4 + 7 + 8; S: 9..15 (16 is nodata)
    assert out.to_dict() == {"NW": 14.0, "NE": 22.0, "S": 84.0}
    assert out.index.name == "zone_id" and out.name == "population" and out.dtype == np.float64


def test_zonal_population_reprojects_zones(pop_tif: Path) -> None:
    out = rasters.zonal_population(pop_tif, zones(QUARTERS).to_crs(4326))
    assert out.to_dict() == {"NW": 14.0, "NE": 22.0, "S": 84.0}


def test_cells_count_by_their_centre(pop_tif: Path) -> None:
    # The box touches 4 cells but holds only the centre of the south-west cell (13).
    out = rasters.zonal_population(pop_tif, zones({"SW": (0, 0, 140, 140)}))
    assert out["SW"] == 13.0


def test_tiny_and_nodata_zones_are_nan_and_warned(pop_tif: Path) -> None:
    boxes = {"A": (0, 0, 200, 200), "tiny": (10, 10, 20, 20), "sea": (300, 0, 400, 100)}
    with pytest.warns(DataQualityWarning) as record:
        out = rasters.zonal_population(pop_tif, zones(boxes))
    messages = [str(w.message) for w in record]
    assert any("1 of 3 zones contain no raster cell centre" in m and "tiny" in m for m in messages)
    assert any("1 of 3 zones have only nodata cells: sea" in m for m in messages)
    assert out["A"] == 9 + 10 + 13 + 14
    assert np.isnan(out["tiny"]) and np.isnan(out["sea"])


def test_partial_coverage_is_warned(pop_tif: Path) -> None:
    with pytest.warns(DataQualityWarning, match=r"50\.0% of their area lies outside it"):
        out = rasters.zonal_population(pop_tif, zones({"half": (200, -200, 400, 200)}))
    assert out["half"] == 11 + 12 + 15  # 16 is nodata


def test_nan_nodata_and_a_written_surface_read_back(tmp_path: Path) -> None:
    values = np.array([[1.0, np.nan], [2.5, 4.0]])
    p = write_raster(tmp_path / "nan.tif", values, nodata=np.nan)
    out = rasters.zonal_population(p, zones({"all": (0, 0, 200, 200)}))
    assert out["all"] == 7.5


def test_zonal_population_bad_input(tmp_path: Path, pop_tif: Path) -> None:
    z = zones(QUARTERS)
    with pytest.raises(CrsError, match=r"has no coordinate reference system.*gdal_edit"):
        rasters.zonal_population(write_raster(tmp_path / "nocrs.tif", np.ones((2, 2)), crs=None), z)
    with pytest.raises(CrsError, match="zones: the layer has no coordinate reference system"):
        rasters.zonal_population(pop_tif, zones(QUARTERS, crs=None))
    far = zones(QUARTERS).set_crs(3857, allow_override=True)  # same numbers, wrong CRS
    with pytest.raises(CrsError, match=r"does not overlap the zones.*EPSG:3857.*check both CRSs"):
        rasters.zonal_population(pop_tif, far)
    with pytest.raises(
        DataContractError, match=r"1 cell\(s\) inside the zones are negative \(e\.g\. -5\).*nodata"
    ):
        rasters.zonal_population(
            write_raster(tmp_path / "neg.tif", np.array([[1.0, -5.0]]), nodata=None),
            zones({"z": (0, 0, 200, 100)}),
        )
    text = tmp_path / "pop.txt"
    text.write_text("not a raster\n")
    with pytest.raises(DataSourceError, match="cannot read as a raster"):
        rasters.zonal_population(text, z)
    with pytest.raises(DataSourceError, match="population raster: file not found"):
        rasters.zonal_population(tmp_path / "missing.tif", z)
    with pytest.raises(DataSourceError, match="band 2 asked for, the file has 1 band"):
        rasters.zonal_population(pop_tif, z, band=2)
    with pytest.raises(MissingColumnError, match="id column 'lsoa' not found"):
        rasters.zonal_population(pop_tif, z, id_column="lsoa")
    with pytest.raises(DuplicateIdError, match="repeated: NW"):
        rasters.zonal_population(pop_tif, z.iloc[[0, 0, 1]])
    empty = z.copy()
    empty.loc[1, "geometry"] = shapely.Polygon()
    with pytest.raises(GeometryError, match=r"1 zone\(s\) have no geometry \(NE\)"):
        rasters.zonal_population(pop_tif, empty)


def test_without_rasterio_the_error_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, pop_tif: Path, hand_net: StreetNetwork
) -> None:
    monkeypatch.setitem(sys.modules, "rasterio", None)  # import rasterio raises ImportError
    with pytest.raises(OptionalDependencyError, match=r'pip install "estatesplan\[raster\]"'):
        rasters.zonal_population(pop_tif, zones(QUARTERS))
    with pytest.raises(OptionalDependencyError, match="rasterio"):
        rasters.travel_time_surface(
            hand_net, dests([(150, -40)]), area=shapely.box(X0, Y0, X0 + 1, Y0 + 1)
        )


# --- travel-time surface ----------------------------------------------------------------------


def make_net(
    nodes: dict[str, tuple[float, float]], edges: list[tuple[str, str, float]]
) -> StreetNetwork:
    names = list(nodes)
    pos = {k: i for i, k in enumerate(names)}
    x = np.array([nodes[k][0] for k in names], dtype=float) + X0
    y = np.array([nodes[k][1] for k in names], dtype=float) + Y0
    u = np.array([pos[a] for a, _, _ in edges], dtype=np.int32)
    v = np.array([pos[b] for _, b, _ in edges], dtype=np.int32)
    return StreetNetwork(
        mode="drive", crs=CRS, node_osm_id=np.arange(1, len(names) + 1, dtype=np.int64), x=x, y=y,
        edge_u=u, edge_v=v, edge_length_m=np.hypot(x[v] - x[u], y[v] - y[u]),
        edge_time_s=np.array([s for _, _, s in edges], dtype=float),
        edge_way_id=np.arange(len(edges), dtype=np.int64),
        edge_highway=np.full(len(edges), "residential", dtype=object), report={"source": "hand-made"},
    )  # fmt: skip


@pytest.fixture
def hand_net() -> StreetNetwork:
    # A(0,0) ⇄ B(100,0): 60 s; B ⇄ C(200,0): 120 s; C → D(200,100) one-way 30 s;
    # F(1000,0) ⇄ G(1100,0) is a separate island.
    return make_net(
        {"A": (0, 0), "B": (100, 0), "C": (200, 0), "D": (200, 100), "F": (1000, 0), "G": (1100, 0)},
        [("A", "B", 60.0), ("B", "A", 60.0), ("B", "C", 120.0), ("C", "B", 120.0),
         ("C", "D", 30.0), ("F", "G", 10.0), ("G", "F", 10.0)],
    )  # fmt: skip


def dests(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"asset_id": [f"d{i}" for i in range(len(xy))]},
        geometry=[shapely.Point(X0 + a, Y0 + b) for a, b in xy], crs=CRS,
    )  # fmt: skip


def rel_box(a: float, b: float, c: float, d: float) -> shapely.Polygon:
    return shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d)


def test_surface_hand_made(hand_net: StreetNetwork, tmp_path: Path) -> None:
    area = gpd.GeoDataFrame(geometry=[rel_box(0, -50, 200, 50)], crs=CRS)
    s = rasters.travel_time_surface(hand_net, dests([(150, -40)]), area=area, cell_m=50,
                                    walk_speed_kmh=3.6, path=tmp_path / "tt.tif")  # fmt: skip
    assert s.minutes.shape == (2, 4) and s.minutes.dtype == np.float32
    assert tuple(s.transform)[:6] == (50.0, 0.0, X0, 0.0, -50.0, Y0 + 50)
    # centre (25, 25): 25 s to A–B, 45 s on to B, 60 s to the middle of B–C, 40 s walk: 170 s
    assert s.minutes[0, 0] == pytest.approx(170 / 60, rel=1e-6)
    # centre (175, -25): 25 s walk, 30 s back along B–C, 40 s walk: 95 s
    assert s.minutes[1, 3] == pytest.approx(95 / 60, rel=1e-6)
    assert s.metadata["cells_in_area"] == 8 and s.metadata["cells_reached"] == 8
    assert s.path == tmp_path / "tt.tif" and [p.name for p in tmp_path.iterdir()] == ["tt.tif"]


def test_surface_equals_the_matrix_from_each_cell_centre(hand_net: StreetNetwork) -> None:
    area = shapely.union_all([rel_box(0, -50, 250, 100), rel_box(950, -50, 1100, 50)])
    d = dests([(150, -40), (60, 30)])
    s = rasters.travel_time_surface(hand_net, d, area=area, cell_m=50, cutoff_min=5.0)
    rows, cols = np.indices(s.minutes.shape)
    cx, cy = s.transform @ (cols.ravel() + 0.5, rows.ravel() + 0.5)
    pts = gpd.GeoDataFrame(
        {"id": np.arange(cx.size).astype(str)}, geometry=gpd.points_from_xy(cx, cy), crs=CRS
    )
    inside = shapely.intersects_xy(area, cx, cy)
    m = matrix_from_network(
        hand_net, pts[inside], d, origin_id="id", destination_id="asset_id", cutoff_min=5.0
    )
    expected = np.full(cx.size, np.nan, dtype=np.float32)
    expected[inside] = np.fmin(m.minutes[:, 0], m.minutes[:, 1])
    np.testing.assert_array_equal(s.minutes.ravel(), expected)
    assert np.isnan(s.minutes[:, 8:18]).all()  # between the two parts: outside the area
    assert np.isnan(s.minutes[:, 19:]).all()  # the island: no route to a destination
    assert np.isfinite(s.minutes[1:, :3]).all()
    assert np.isnan(s.minutes[0, 3])  # centre (175, 75) is on the one-way street to a dead end


def test_flagged_cells_are_nan(hand_net: StreetNetwork) -> None:
    area = shapely.union_all([rel_box(0, -50, 100, 50), rel_box(450, 50, 550, 100)])
    with pytest.warns(
        DataQualityWarning, match=r"2 origins \(cell r0c9, cell r0c10\).*further than 100 m"
    ):
        s = rasters.travel_time_surface(
            hand_net, dests([(150, -40)]), area=area, cell_m=50, max_snap_m=100
        )
    assert s.metadata["cells_flagged"] == 2
    assert np.isnan(s.minutes[0, 9:11]).all() and np.isfinite(s.minutes[1:, :2]).all()


def test_geotiff_metadata(hand_net: StreetNetwork, tmp_path: Path) -> None:
    area = gpd.GeoDataFrame(geometry=[rel_box(0, -50, 200, 50)], crs=CRS).to_crs(
        4326
    )  # reprojected
    s = rasters.travel_time_surface(hand_net, dests([(150, -40)]), area=area, cell_m=50,
                                    path=tmp_path / "out" / "tt.tif")  # fmt: skip
    assert s.minutes.shape == (2, 4)  # the round trip through lon/lat keeps the grid
    with rasterio.open(s.path) as src:
        assert src.crs.to_epsg() == 27700
        assert src.dtypes == ("float32",) and math.isnan(src.nodata)
        assert src.transform == s.transform
        assert src.profile["compress"] == "deflate"
        tags = src.tags()
        assert (tags["units"], tags["mode"], tags["cutoff_min"], tags["source"]) == (
            "minutes",
            "drive",
            "60",
            "hand-made",
        )
        assert src.tags(1)["units"] == "minutes" and src.units == ("minutes",)
        assert src.descriptions[0] == "minutes by drive to the nearest of 1 destinations"
        np.testing.assert_array_equal(src.read(1), s.minutes)


def test_surface_on_the_demo(tmp_path: Path) -> None:
    demo.write_demo(tmp_path, seed=0)
    net = networks.network_from_osm(tmp_path / "streets.osm.pbf", "walk")
    assets = gpd.read_file(tmp_path / "assets.gpkg")
    gp = assets[assets["asset_type"] == "gp_practice"]
    area = gpd.read_file(tmp_path / "area.gpkg")
    s = rasters.travel_time_surface(net, gp, area=area, cell_m=250, path=tmp_path / "gp_walk.tif")
    assert s.metadata["cells_reached"] > 0.95 * s.metadata["cells_in_area"]
    r, c = np.argwhere(np.isfinite(s.minutes))[len(gp)]  # any reached cell
    x, y = s.transform @ (c + 0.5, r + 0.5)
    one = gpd.GeoDataFrame({"id": ["c"]}, geometry=[shapely.Point(x, y)], crs=net.crs)
    m = matrix_from_network(
        net, one, gp, origin_id="id", destination_id="asset_id", cutoff_min=60.0
    )
    assert s.minutes[r, c] == np.nanmin(m.minutes)


def test_surface_bad_input(hand_net: StreetNetwork) -> None:
    d, area = dests([(150, -40)]), rel_box(0, -50, 200, 50)
    with pytest.raises(ConfigError, match="cell_m must be a positive number"):
        rasters.travel_time_surface(hand_net, d, area=area, cell_m=0)
    with pytest.raises(ConfigError, match="no destinations"):
        rasters.travel_time_surface(hand_net, d.iloc[:0], area=area)
    with pytest.raises(CrsError, match="area: the layer has no coordinate reference system"):
        rasters.travel_time_surface(hand_net, d, area=gpd.GeoDataFrame(geometry=[area]))
    with pytest.raises(CrsError, match=r"does not overlap the drive network; check the area's CRS"):
        rasters.travel_time_surface(hand_net, d, area=shapely.box(-0.15, 51.5, -0.14, 51.51))
    with pytest.raises(ConfigError, match=r"4 × 2 = 8 cells, more than max_cells=3"):
        rasters.travel_time_surface(hand_net, d, area=area, cell_m=50, max_cells=3)
    with pytest.raises(GeometryError, match="no polygon with a positive area"):
        rasters.travel_time_surface(hand_net, d, area=shapely.Polygon())
    with pytest.raises(ConfigError, match="no 500 m cell has its centre inside the area"):
        rasters.travel_time_surface(hand_net, d, area=rel_box(10, 10, 20, 20), cell_m=500)
    with pytest.raises(ConfigError, match="cut-off must be a positive number"):
        rasters.travel_time_surface(hand_net, d, area=area, cell_m=50, cutoff_min=0)
    with pytest.raises(ConfigError, match="area must be a GeoDataFrame"):
        rasters.travel_time_surface(hand_net, d, area="camden")


def test_a_failed_write_leaves_the_old_file(
    hand_net: StreetNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "tt.tif"
    target.write_bytes(b"old")

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(rasterio.io.DatasetWriter, "update_tags", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        rasters.travel_time_surface(hand_net, dests([(150, -40)]), area=rel_box(0, -50, 200, 50),
                                    cell_m=50, path=target)  # fmt: skip
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["tt.tif"]


@pytest.mark.data
def test_camden_walk_surface_to_gp_practices(camden_dir: Path, tmp_path: Path) -> None:
    """Plausibility on the real pack: nearly all of Camden lies within a 20-minute walk of an
    active GP practice (prescribing setting 4) that the OSM extract reaches."""
    bounds = gpd.read_file(camden_dir / "camden_boundary_and_2km_buffer_27700.gpkg")
    gp = gpd.read_file(
        camden_dir / "camden_2km_gp_and_prescribing_settings_epraccur_2023-12_27700.gpkg"
    )
    gp = gp[(gp["status_code"] == "A") & (gp["prescribing_setting"].astype(str) == "4")]
    net = networks.network_from_osm(camden_dir / "camden_2km.osm.pbf", "walk")
    # the extract stops short of the 2 km buffer in places: keep practices within 300 m of a node
    _, dist = shapely.STRtree(shapely.points(net.x, net.y)).query_nearest(
        gp.geometry.to_numpy(), return_distance=True, all_matches=False
    )
    gp = gp[dist < 300]
    assert len(gp) > 50
    camden = bounds[bounds["buffer_m"] == 0]
    s = rasters.travel_time_surface(
        net, gp, area=camden, destination_id="org_code", path=tmp_path / "gp.tif"
    )
    assert s.metadata["cells_in_area"] > 2000  # about 22 km² of 100 m cells
    assert s.metadata["cells_reached"] == s.metadata["cells_in_area"]
    reached = s.minutes[np.isfinite(s.minutes)]
    assert (reached <= 20).mean() > 0.9 and (reached <= 10).mean() > 0.5

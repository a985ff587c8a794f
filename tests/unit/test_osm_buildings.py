"""OSM building outlines and GIA estimates on a hand-made .osm file (written in tmp_path).

The buildings are laid out in British National Grid metres from an origin near Camden
and written as lon/lat (7 decimals, as OSM stores them)::

    A  way 1      square 20 × 20 m at (0, 0)-(20, 20), building=yes, building:levels=3
    B  way 2      10 × 30 m at (50, 0)-(60, 30), building=house, no levels
    C  relation 10 multipolygon building=hospital, building:levels="3;4" (3.5):
                  outer 40 × 40 m at (100, 0)-(140, 40) with a 10 × 10 m hole at
                  (115, 15)-(125, 25): 1600 - 100 = 1500 m²
    way 4 building=no, way 5 (open) building=yes and node 900 building=yes: not buildings

GIA by hand (gross-to-internal 0.9): A 400 × 3 × 0.9 = 1080 m²; B 300 × 2 (default)
× 0.9 = 540 m²; C 1500 × 3.5 × 0.9 = 4725 m².
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from estatesplan import contracts as c
from estatesplan.errors import (
    ConfigError,
    CrsError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    MissingColumnError,
)
from estatesplan.sources import osm_buildings as ob

X0, Y0 = 529_000.0, 184_000.0  # EPSG:27700 origin of the hand-made layout
_TO_LONLAT = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

RINGS: dict[int, list[tuple[float, float]]] = {  # way id -> ring in metres from the origin
    1: [(0, 0), (20, 0), (20, 20), (0, 20), (0, 0)],
    2: [(50, 0), (60, 0), (60, 30), (50, 30), (50, 0)],
    20: [(100, 0), (140, 0), (140, 40), (100, 40), (100, 0)],  # C outer
    21: [(115, 15), (125, 15), (125, 25), (115, 25), (115, 15)],  # C inner
    4: [(200, 0), (210, 0), (210, 10), (200, 10), (200, 0)],  # building=no
    5: [(300, 0), (310, 0), (310, 10)],  # open way
}
WAY_TAGS: dict[int, dict[str, str]] = {
    1: {"building": "yes", "building:levels": "3", "name": "Alpha House"},
    2: {"building": "house"},
    20: {},
    21: {},
    4: {"building": "no"},
    5: {"building": "yes"},
}


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = _TO_LONLAT.transform(X0 + x, Y0 + y)
    return round(lon, 7), round(lat, 7)


def _exact_area(rings: list[list[tuple[float, float]]]) -> float:
    """Area in m² of the rings (outer first, holes after) as stored: rounded lon/lat, reprojected."""
    polys = []
    for ring in rings:
        ll = [_lonlat(x, y) for x, y in ring]
        xs, ys = _TO_BNG.transform([p[0] for p in ll], [p[1] for p in ll])
        polys.append(shapely.Polygon(list(zip(xs, ys, strict=True))))
    return polys[0].area - sum(p.area for p in polys[1:])


def _tags(tags: dict[str, str]) -> str:
    return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())


def _osm_xml() -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    way_nodes: dict[int, list[int]] = {}
    node_id = 0
    for way, ring in RINGS.items():
        refs: list[int] = []
        for x, y in ring[:-1] if ring[0] == ring[-1] else ring:
            node_id += 1
            lon, lat = _lonlat(x, y)
            lines.append(f'<node id="{node_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
            refs.append(node_id)
        way_nodes[way] = [*refs, refs[0]] if ring[0] == ring[-1] else refs
    lon, lat = _lonlat(400, 400)
    lines.append(
        f'<node id="900" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{_tags({"building": "yes"})}</node>'
    )
    for way, refs in sorted(way_nodes.items()):  # osmium needs ids in order
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        lines.append(f'<way id="{way}" version="1">{nds}{_tags(WAY_TAGS[way])}</way>')
    rel_tags = {"type": "multipolygon", "building": "hospital", "building:levels": " 3;4 "}
    lines.append(
        '<relation id="10" version="1"><member type="way" ref="20" role="outer"/>'
        f'<member type="way" ref="21" role="inner"/>{_tags(rel_tags)}</relation>'
    )
    lines.append("</osm>")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("osm") / "buildings.osm"
    path.write_text(_osm_xml(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def buildings(osm_file: Path) -> gpd.GeoDataFrame:
    return ob.read_buildings(osm_file)


def _assets(rows: list[tuple[str, str, tuple[float, float] | None, float]]) -> gpd.GeoDataFrame:
    """(asset_id, asset_type, (x, y) from the origin or None, gia_m2) → asset layer in EPSG:27700."""
    return gpd.GeoDataFrame(
        {
            c.ASSET_ID: [r[0] for r in rows],
            c.ASSET_TYPE: [r[1] for r in rows],
            c.GIA_M2: [r[3] for r in rows],
        },
        geometry=[
            None if r[2] is None else shapely.Point(X0 + r[2][0], Y0 + r[2][1]) for r in rows
        ],
        crs="EPSG:27700",
        index=pd.Index([f"row{i}" for i in range(len(rows))]),
    )


def _buildings(
    spec: dict[str, tuple[tuple[float, float, float, float], float]],
) -> gpd.GeoDataFrame:
    """osm_id -> ((xmin, ymin, xmax, ymax) from the origin, levels) → buildings layer."""
    geoms = [shapely.box(X0 + b[0], Y0 + b[1], X0 + b[2], Y0 + b[3]) for b, _ in spec.values()]
    gdf = gpd.GeoDataFrame(
        {ob.OSM_ID: list(spec), ob.LEVELS: [lv for _, lv in spec.values()]},
        geometry=geoms,
        crs="EPSG:27700",
    )
    gdf[ob.FOOTPRINT] = gdf.area
    return gdf


# --- reading -------------------------------------------------------------------------------


def test_read_buildings_kinds_levels_and_exact_areas(buildings: gpd.GeoDataFrame) -> None:
    assert buildings.crs.to_epsg() == 27700
    assert list(buildings.columns) == [
        "osm_id", "building", "name", "levels", "footprint_m2", "geometry",
    ]  # fmt: skip
    b = buildings.set_index("osm_id")
    assert sorted(b.index) == ["r10", "w1", "w2"]  # building=no, open way and node dropped
    assert b.loc["w1", "building"] == "yes"
    assert b.loc["w1", "name"] == "Alpha House"
    assert b.loc["w2", "building"] == "house"
    assert b.loc["r10", "building"] == "hospital"
    assert b.loc["w1", "levels"] == 3.0
    assert math.isnan(b.loc["w2", "levels"])
    assert b.loc["r10", "levels"] == 3.5  # " 3;4 ": the mean
    # exact against the same rounding and transform; close to the nominal layout
    assert b.loc["w1", "footprint_m2"] == pytest.approx(_exact_area([RINGS[1]]), abs=1e-6)
    assert b.loc["w2", "footprint_m2"] == pytest.approx(_exact_area([RINGS[2]]), abs=1e-6)
    assert b.loc["r10", "footprint_m2"] == pytest.approx(
        _exact_area([RINGS[20], RINGS[21]]), abs=1e-6
    )
    assert b.loc["w1", "footprint_m2"] == pytest.approx(400.0, abs=0.5)
    assert b.loc["w2", "footprint_m2"] == pytest.approx(300.0, abs=0.5)
    assert b.loc["r10", "footprint_m2"] == pytest.approx(1500.0, abs=1.0)
    assert b.geometry.area.to_numpy() == pytest.approx(b["footprint_m2"].to_numpy())


def test_read_buildings_pbf_matches_xml(
    osm_file: Path, buildings: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    pbf = tmp_path / "buildings.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    try:
        for obj in osmium.FileProcessor(str(osm_file)):
            writer.add(obj)
    finally:
        writer.close()
    got = ob.read_buildings(pbf).sort_values("osm_id", ignore_index=True)
    want = buildings.sort_values("osm_id", ignore_index=True)
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")), pd.DataFrame(want.drop(columns="geometry"))
    )


def test_read_buildings_bbox(osm_file: Path) -> None:
    got = ob.read_buildings(osm_file, bbox=(X0 - 5, Y0 - 5, X0 + 55, Y0 + 5))
    assert sorted(got["osm_id"]) == ["w1", "w2"]
    assert list(got.index) == [0, 1]


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("3", 3.0), (" 3 ", 3.0), ("2.5", 2.5), ("3;4", 3.5), (" 3 ; 5 ", 4.0),
        ("3-4", math.nan), ("three", math.nan), ("3;x", math.nan), ("0", math.nan),
        ("-1", math.nan), ("inf", math.nan), ("250", math.nan), ("", math.nan), (None, math.nan),
    ],
)  # fmt: skip
def test_parse_levels(raw: str | None, want: float) -> None:
    got = ob.parse_levels([raw])
    assert got.dtype == np.float64
    assert got[0] == want or (math.isnan(want) and math.isnan(got[0]))


def test_parse_levels_keeps_order_and_empty() -> None:
    assert ob.parse_levels(pd.Series(["4", None, "1;2"])).tolist()[::2] == [4.0, 1.5]
    assert ob.parse_levels([]).shape == (0,)


def test_read_buildings_bad_files(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="file not found"):
        ob.read_buildings(tmp_path / "missing.osm.pbf")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a pbf file at all")
    with pytest.raises(DataSourceError, match="corrupt"):
        ob.read_buildings(bad)


def test_read_buildings_geographic_crs(osm_file: Path) -> None:
    with pytest.raises(CrsError, match="not projected"):
        ob.read_buildings(osm_file, crs="EPSG:4326")


# --- estimating ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def main_assets() -> gpd.GeoDataFrame:
    return _assets(
        [
            ("inA", "gp_practice", (10, 10), math.nan),
            ("inC1", "gp_practice", (105, 5), math.nan),
            ("inC2", "pharmacy", (135, 35), math.nan),
            ("inHole", "dental", (120, 20), math.nan),  # in C's courtyard: C's edge is 5 m away
            ("nearB", "library", (65, 15), math.nan),  # 5 m east of B
            ("regB", "clinic", (55, 15), 250.0),  # inside B, register GIA
            ("far", "gp_practice", (300, 300), math.nan),
            ("nowhere", "gp_practice", None, math.nan),
        ]
    )


@pytest.fixture(scope="module")
def main_result(main_assets: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> pd.DataFrame:
    with pytest.warns(
        DataQualityWarning, match=r"1 asset\(s\) have no building within 25 m \(far\)"
    ):
        return ob.estimate_gia(main_assets, buildings)


def _footprint(buildings: gpd.GeoDataFrame, osm_id: str) -> float:
    return float(buildings.set_index("osm_id").loc[osm_id, "footprint_m2"])


def test_estimate_columns_and_index(
    main_result: pd.DataFrame, main_assets: gpd.GeoDataFrame
) -> None:
    assert list(main_result.columns) == [
        "gia_m2", "gia_estimated", "gia_basis", "building_osm_id", "building_distance_m",
    ]  # fmt: skip
    assert main_result.index.equals(main_assets.index)
    assert main_result["gia_estimated"].dtype == bool


def test_estimate_containment(main_result: pd.DataFrame, buildings: gpd.GeoDataFrame) -> None:
    r = main_result.loc["row0"]
    fp = _footprint(buildings, "w1")
    assert r["gia_m2"] == pytest.approx(fp * 3 * 0.9)  # ≈ 1080 m²
    assert r["gia_m2"] == pytest.approx(1080.0, abs=2.0)
    assert r["gia_estimated"]
    assert r["building_osm_id"] == "w1"
    assert r["building_distance_m"] == 0.0
    assert r["gia_basis"] == (
        f"estimate: OSM building w1 (Alpha House) [contains the point] footprint {fp:.0f} m² "
        "× 3 storeys (tagged) × 0.9 gross-to-internal = 1080 m²"
    )


def test_estimate_shared_building_and_hole(
    main_result: pd.DataFrame, buildings: gpd.GeoDataFrame
) -> None:
    fp = _footprint(buildings, "r10")
    share = fp * 3.5 * 0.9 / 3  # 1500 × 3.5 × 0.9 / 3 ≈ 1575 m² each
    for row in ("row1", "row2", "row3"):
        r = main_result.loc[row]
        assert r["building_osm_id"] == "r10"
        assert r["gia_m2"] == pytest.approx(share)
        assert "× 3.5 storeys (tagged)" in r["gia_basis"]
        assert "shared by 3 assets: 1/3 each = 1575 m²" in r["gia_basis"]
    assert main_result.loc["row1", "building_distance_m"] == 0.0
    # the courtyard point is not inside the multipolygon: matched as nearest, 5 m to the hole's edge
    assert main_result.loc["row3", "building_distance_m"] == pytest.approx(5.0, abs=0.05)
    assert "[nearest, 5.0 m away]" in main_result.loc["row3", "gia_basis"]


def test_estimate_nearest_and_register_not_shared(
    main_result: pd.DataFrame, buildings: gpd.GeoDataFrame
) -> None:
    near = main_result.loc["row4"]
    assert near["building_osm_id"] == "w2"
    assert near["building_distance_m"] == pytest.approx(5.0, abs=0.05)
    # the register asset inside B does not share it
    assert near["gia_m2"] == pytest.approx(_footprint(buildings, "w2") * 2 * 0.9)  # ≈ 540 m²
    assert "2 storeys (default: building:levels not tagged)" in near["gia_basis"]
    assert "shared" not in near["gia_basis"]
    reg = main_result.loc["row5"]
    assert reg["gia_m2"] == 250.0
    assert not reg["gia_estimated"]
    assert reg["gia_basis"] == "register"
    assert pd.isna(reg["building_osm_id"])
    assert math.isnan(reg["building_distance_m"])


def test_estimate_none_and_no_location(main_result: pd.DataFrame) -> None:
    far = main_result.loc["row6"]
    assert math.isnan(far["gia_m2"])
    assert not far["gia_estimated"]
    assert far["gia_basis"] == "no building found within 25 m"
    assert pd.isna(far["building_osm_id"])
    nowhere = main_result.loc["row7"]
    assert math.isnan(nowhere["gia_m2"])
    assert nowhere["gia_basis"] == "no location: cannot match a building"


def test_estimate_parameters(main_assets: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> None:
    near_b = main_assets.loc[["row4"]]
    got = ob.estimate_gia(near_b, buildings, default_levels=3.0, gross_to_internal=0.8)
    assert got.loc["row4", "gia_m2"] == pytest.approx(_footprint(buildings, "w2") * 3 * 0.8)
    assert "× 3 storeys (default" in got.loc["row4", "gia_basis"]
    assert "× 0.8 gross-to-internal" in got.loc["row4", "gia_basis"]
    with pytest.warns(DataQualityWarning, match="no building within 4 m"):
        got = ob.estimate_gia(near_b, buildings, max_distance_m=4.0)
    assert got.loc["row4", "gia_basis"] == "no building found within 4 m"


def test_estimate_without_gia_column_and_other_crs(
    main_assets: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> None:
    subset = main_assets.loc[["row0", "row4", "row5"]]
    lonlat = subset.drop(columns=c.GIA_M2).to_crs("EPSG:4326")
    got = ob.estimate_gia(lonlat, buildings)
    assert got["gia_estimated"].all()  # no gia_m2 column: every asset is estimated
    assert got["building_osm_id"].tolist() == ["w1", "w2", "w2"]
    # the asset inside B and the one 5 m away now share it
    assert got.loc["row4", "gia_m2"] == pytest.approx(_footprint(buildings, "w2") * 2 * 0.9 / 2)
    assert "shared by 2 assets" in got.loc["row5", "gia_basis"]


def test_estimate_own_osm_outline_first(buildings: gpd.GeoDataFrame) -> None:
    assets = _assets([("own", "clinic", (10, 10), math.nan)])  # inside A, but its own outline is B
    assets[c.OSM_ID] = ["w2"]
    got = ob.estimate_gia(assets, buildings)
    assert got.loc["row0", "building_osm_id"] == "w2"
    assert got.loc["row0", "building_distance_m"] == pytest.approx(40.0, abs=0.05)
    assert "[the asset's own OSM outline]" in got.loc["row0", "gia_basis"]


def test_estimate_smallest_of_overlapping_outlines() -> None:
    b = _buildings({"w1": ((0, 0, 100, 100), math.nan), "w2": ((10, 10, 20, 20), 1.0)})
    got = ob.estimate_gia(_assets([("a", "pharmacy", (15, 15), math.nan)]), b)
    assert got.loc["row0", "building_osm_id"] == "w2"
    assert got.loc["row0", "gia_m2"] == pytest.approx(100 * 1 * 0.9)


def test_estimate_flags_large_building_for_small_types() -> None:
    # 100 × 100 m × 3 storeys × 0.9 = 27,000 m² > 20,000 m²
    b = _buildings({"w1": ((0, 0, 100, 100), 3.0), "w2": ((200, 0, 300, 100), 3.0)})
    assets = _assets(
        [("gp", "gp_practice", (50, 50), math.nan), ("hosp", "hospital", (250, 50), math.nan)]
    )
    with pytest.warns(
        DataQualityWarning, match=r"1 small asset\(s\) matched a building over 20,000 m² \(gp\)"
    ):
        got = ob.estimate_gia(assets, b)
    assert got["gia_m2"].tolist() == pytest.approx([27_000.0, 27_000.0])  # value kept, not capped
    assert "building much larger than the asset type suggests" in got.loc["row0", "gia_basis"]
    assert "much larger" not in got.loc["row1", "gia_basis"]


def test_estimate_empty_assets(buildings: gpd.GeoDataFrame) -> None:
    got = ob.estimate_gia(_assets([]), buildings)
    assert got.empty
    assert "gia_basis" in got.columns


def test_estimate_bad_buildings_columns(
    main_assets: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> None:
    with pytest.raises(MissingColumnError, match="`levels`"):
        ob.estimate_gia(main_assets, buildings.drop(columns="levels"))


def test_estimate_assets_without_crs(
    main_assets: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> None:
    with pytest.raises(CrsError, match="no coordinate reference system"):
        ob.estimate_gia(main_assets.set_crs(None, allow_override=True), buildings)


def test_estimate_buildings_geographic(
    main_assets: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> None:
    with pytest.raises(CrsError, match="not projected"):
        ob.estimate_gia(main_assets, buildings.to_crs("EPSG:4326"))


def test_estimate_gia_not_numbers(buildings: gpd.GeoDataFrame) -> None:
    assets = _assets([("a", "clinic", (10, 10), math.nan), ("b", "clinic", (55, 15), math.nan)])
    assets[c.GIA_M2] = pd.Series(["big", None], index=assets.index, dtype="object")
    with pytest.raises(DataContractError, match=r"non-numbers on 1 row\(s\) \(a\)"):
        ob.estimate_gia(assets, buildings)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_distance_m": -1.0}, "max_distance_m=-1.0"),
        ({"default_levels": 0.0}, "default_levels=0.0"),
        ({"gross_to_internal": 1.5}, "gross_to_internal=1.5"),
        ({"large_building_m2": math.nan}, "large_building_m2=nan"),
    ],
)
def test_estimate_bad_parameters(
    main_assets: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, kwargs: dict[str, float], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        ob.estimate_gia(main_assets, buildings, **kwargs)


def test_read_buildings_skips_way_with_missing_node(tmp_path: Path) -> None:
    nodes = [_lonlat(x, y) for x, y in RINGS[1][:-1]]
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    xml += [
        f'<node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>'
        for i, (lon, lat) in enumerate(nodes, start=1)
    ]
    # way 7 is clipped at the extract's edge: node 99 is missing
    xml.append(
        '<way id="6" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/>'
        '<nd ref="1"/><tag k="building" v="yes"/></way>'
    )
    xml.append(
        '<way id="7" version="1"><nd ref="1"/><nd ref="2"/><nd ref="99"/><nd ref="4"/>'
        '<nd ref="1"/><tag k="building" v="yes"/></way></osm>'
    )
    path = tmp_path / "clipped.osm"
    path.write_text("\n".join(xml), encoding="utf-8")
    assert ob.read_buildings(path)["osm_id"].tolist() == ["w6"]

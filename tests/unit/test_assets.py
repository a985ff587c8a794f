"""merge_duplicates and build_asset_register on tiny hand-made layers (EPSG:27700 metres)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from estatesplan import assets
from estatesplan import contracts as c
from estatesplan.errors import (
    CrsError,
    DataContractError,
    DataQualityWarning,
    DuplicateIdError,
    MissingColumnError,
)

X0, Y0 = 528_000.0, 184_000.0


def _layer(source: str, rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    """rows: id, name, type, owner (owner_type), dx, dy (metres from X0, Y0) and any extras."""
    recs = []
    for r in rows:
        rec = {
            c.ASSET_ID: r["id"],
            c.NAME: r["name"],
            c.ASSET_TYPE: r["type"],
            c.OWNER_TYPE: r.get("owner", "other"),
            c.SOURCE: source,
        }
        rec.update(
            {k: v for k, v in r.items() if k not in {"id", "name", "type", "owner", "dx", "dy"}}
        )
        recs.append(rec)
    geom = [shapely.Point(X0 + float(r.get("dx", 0)), Y0 + float(r.get("dy", 0))) for r in rows]
    return gpd.GeoDataFrame(recs, geometry=geom, crs=c.ANALYSIS_CRS)


def _ods(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    for r in rows:
        r.setdefault("owner", "icb_primary_care")
        r.setdefault("type", "gp_practice")
    return _layer("ods_epraccur", rows)


def _osm(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    return _layer("osm", rows)


def _merge(*layers: gpd.GeoDataFrame, **kw: float) -> gpd.GeoDataFrame:
    both = pd.concat(layers, ignore_index=True)
    return assets.merge_duplicates(gpd.GeoDataFrame(both, crs=c.ANALYSIS_CRS), **kw).set_index(
        c.ASSET_ID, drop=False
    )


def test_name_tokens_and_similarity() -> None:
    assert assets.name_tokens("THE BLOOMSBURY SURGERY") == {"BLOOMSBURY"}
    assert assets.name_tokens("Dr. Smith's Medical Centre & Practice") == {"SMITHS"}
    assert assets.name_tokens("<unnamed pharmacy>") == frozenset()
    assert assets.name_tokens(None) == frozenset()
    tok = assets.name_tokens
    assert assets.name_similarity(tok("Rosslyn Surgery"), tok("ROSSLYN HILL SURGERY")) == 1.0
    assert assets.name_similarity(tok("Chomley Gardens"), tok("CHOLMLEY GARDENS")) == 1.0
    assert assets.name_similarity(tok("St Mary's Church"), tok("St Mark's Church")) == 2 / 3
    assert assets.name_similarity(tok("Flat 12"), tok("Flat 13")) == 0.5
    assert assets.name_similarity(tok("Fitzroy Surgery"), tok("FITZROVIA MEDICAL CENTRE")) < 0.8
    assert assets.name_similarity(frozenset(), tok("X")) == 0.0


def test_ods_code_match_whatever_the_distance() -> None:
    ods = _ods([{"id": "ODS-F1", "name": "PARK SURGERY", "ods_code": "F1", "postcode": "NW1 8AB"}])
    osm = _osm(
        [
            {
                "id": "OSM-n1", "name": "Completely Different", "type": "health_centre",
                "ods_code": "f1", "dx": 900, "step_free": True, "osm_id": "n1",
                "footprint_m2": 250.0,
            }
        ]
    )  # fmt: skip
    got = _merge(ods, osm)
    assert list(got.index) == ["ODS-F1"]
    row = got.loc["ODS-F1"]
    assert row[c.NAME] == "PARK SURGERY" and row[c.ASSET_TYPE] == "gp_practice"  # ODS wins
    assert row.geometry.x == X0  # and keeps its location
    assert row[c.STEP_FREE] == True  # noqa: E712  (filled from OSM)
    assert row[c.OSM_ID] == "n1" and row["footprint_m2"] == 250.0
    assert row[assets.MERGED_FROM] == "OSM-n1"


def test_place_and_name_match_within_distance() -> None:
    ods = _ods(
        [
            {"id": "ODS-F1", "name": "THE BLOOMSBURY SURGERY", "ods_code": "F1"},
            {"id": "ODS-F2", "name": "ABBEY MEDICAL CENTRE", "ods_code": "F2", "dx": 1000},
            {"id": "ODS-F3", "name": "PARK END SURGERY", "ods_code": "F3", "dx": 2000},
        ]
    )
    osm = _osm(
        [
            {"id": "OSM-n1", "name": "Bloomsbury Surgery", "type": "gp_practice", "dx": 30},
            # a health centre is in the same (primary care) category as a GP practice
            {"id": "OSM-n2", "name": "Abbey Health Centre", "type": "health_centre", "dx": 1050},
            # similar-ish name but 100 m away (> 60 m) and not a strong match
            {"id": "OSM-n3", "name": "Park Road Surgery", "type": "gp_practice", "dx": 2100},
        ]
    )
    got = _merge(ods, osm)
    assert set(got.index) == {"ODS-F1", "ODS-F2", "ODS-F3", "OSM-n3"}
    assert got.loc["ODS-F1", assets.MERGED_FROM] == "OSM-n1"
    assert got.loc["ODS-F2", assets.MERGED_FROM] == "OSM-n2"
    assert got.loc["ODS-F3", assets.MERGED_FROM] is None


def test_strong_name_further_apart() -> None:
    ods = _ods(
        [
            {"id": "ODS-F1", "name": "BELSIZE PRIORY MEDICAL PRACTICE", "ods_code": "F1"},
            {"id": "ODS-F2", "name": "ROSSLYN SURGERY", "ods_code": "F2", "dx": 5000},
        ]
    )
    osm = _osm(
        [
            {"id": "OSM-n1", "name": "Belsize Priory Health Centre", "type": "health_centre", "dy": 220},
            # one significant word only: not enough at 200 m
            {"id": "OSM-n2", "name": "Rosslyn Surgery", "type": "gp_practice", "dx": 5000, "dy": 200},
        ]
    )  # fmt: skip
    got = _merge(ods, osm)
    assert got.loc["ODS-F1", assets.MERGED_FROM] == "OSM-n1"
    assert "OSM-n2" in got.index
    # beyond the strong-name distance nothing merges
    got2 = _merge(ods, osm, strong_name_distance_m=100)
    assert "OSM-n1" in got2.index


def test_register_never_absorbs_two_far_osm_records() -> None:
    reg = _layer(
        "terrier:t.csv", [{"id": "T1", "name": "Alpha Beta Hall", "type": "community_centre"}]
    )
    osm = _osm(
        [
            {"id": "OSM-n1", "name": "Alpha Beta Hall", "type": "community_centre", "dx": 200},
            {"id": "OSM-n2", "name": "Alpha Beta Hall", "type": "community_centre", "dx": -210},
        ]
    )
    got = _merge(reg, osm)
    assert set(got.index) == {"T1", "OSM-n2"}
    assert got.loc["T1", assets.MERGED_FROM] == "OSM-n1"  # the nearer one


def test_different_ods_codes_never_merge() -> None:
    ods = _ods(
        [
            {"id": "ODS-F1", "name": "KENTISH TOWN SURGERY", "ods_code": "F1"},
            {"id": "ODS-F2", "name": "KENTISH TOWN SURGERY", "ods_code": "F2", "dx": 5},
        ]
    )
    osm = _osm([{"id": "OSM-n1", "name": "Kentish Town Surgery", "type": "gp_practice", "dx": 2}])
    got = _merge(ods, osm)
    assert set(got.index) == {"ODS-F1", "ODS-F2"}  # the OSM record joins only one of them
    assert sorted(got[assets.MERGED_FROM].dropna()) == ["OSM-n1"]


def test_other_category_or_type_is_not_merged() -> None:
    ods = _ods([{"id": "ODS-F1", "name": "HIGH STREET SURGERY", "ods_code": "F1"}])
    osm = _osm(
        [
            {"id": "OSM-n1", "name": "High Street Surgery", "type": "pharmacy", "dx": 5},
            {"id": "OSM-n2", "name": "<unnamed pharmacy>", "type": "pharmacy", "dx": 10},
        ]
    )
    got = _merge(ods, osm)
    assert set(got.index) == {"ODS-F1", "OSM-n1"}  # the unnamed pharmacy joins the named one
    assert got.loc["OSM-n1", assets.MERGED_FROM] == "OSM-n2"


def test_unnamed_osm_joins_a_register_record_of_the_same_type() -> None:
    ods = _ods([{"id": "ODS-F1", "name": "HIGH STREET SURGERY", "ods_code": "F1"}])
    osm = _osm([{"id": "OSM-w9", "name": "<unnamed gp practice>", "type": "gp_practice", "dx": 40}])
    got = _merge(ods, osm)
    assert list(got.index) == ["ODS-F1"]
    far = _merge(
        ods,
        _osm([{"id": "OSM-w9", "name": "<unnamed gp practice>", "type": "gp_practice", "dx": 80}]),
    )
    assert len(far) == 2


def test_register_wins_over_ods_and_ods_fills_gaps() -> None:
    reg = _layer(
        "terrier:gp.csv",
        [{"id": "LBC-1", "name": "Health Centre", "type": "health_centre", "owner": "local_authority",
          "ods_code": "F1", "gia_m2": 900.0, "dx": 15}],
    )  # fmt: skip
    ods = _ods([{"id": "ODS-F1", "name": "X SURGERY", "ods_code": "F1", "postcode": "NW1 8AB"}])
    got = _merge(ods, reg)
    row = got.loc["LBC-1"]
    assert len(got) == 1
    assert row[c.GIA_M2] == 900.0 and row[c.POSTCODE] == "NW1 8AB"
    assert row[c.OWNER_TYPE] == "local_authority" and row.geometry.x == X0 + 15


def test_osm_node_and_building_of_the_same_place() -> None:
    osm = _osm(
        [
            {"id": "OSM-n5", "name": "St Mary's School", "type": "school", "owner": "education"},
            {"id": "OSM-w6", "name": "St Marys School", "type": "school", "owner": "education",
             "dx": 25, "footprint_m2": 1500.0},
        ]
    )  # fmt: skip
    got = _merge(osm)
    assert list(got.index) == ["OSM-n5"]
    assert got.loc["OSM-n5", "footprint_m2"] == 1500.0
    assert np.isnan(got.loc["OSM-n5", c.GIA_M2])  # a footprint is not a GIA


def test_merge_rejects_duplicate_ids() -> None:
    osm = _osm(
        [{"id": "A", "name": "a", "type": "school"}, {"id": "A", "name": "b", "type": "school"}]
    )
    with pytest.raises(DuplicateIdError, match="A"):
        assets.merge_duplicates(osm)


def test_merge_many_distinct_records_is_quick() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    xy = rng.uniform(0, 10_000, size=(n, 2))
    layer = gpd.GeoDataFrame(
        {
            c.ASSET_ID: [f"OSM-n{i}" for i in range(n)],
            c.NAME: [f"Place {i} Q{i * 7919 % 10007}" for i in range(n)],
            c.ASSET_TYPE: "school",
            c.OWNER_TYPE: "education",
            c.SOURCE: "osm",
        },
        geometry=gpd.points_from_xy(X0 + xy[:, 0], Y0 + xy[:, 1]),
        crs=c.ANALYSIS_CRS,
    )
    got = assets.merge_duplicates(layer)
    assert len(got) == n  # all names differ: nothing merged


# --- build_asset_register ---------------------------------------------------------------


def _area() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["area"]},
        geometry=[shapely.box(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500)],
        crs=27700,
    )


def test_build_register_marks_and_clips_to_area() -> None:
    ods = _ods(
        [
            {"id": "ODS-F1", "name": "INSIDE SURGERY", "ods_code": "F1"},
            {"id": "ODS-F2", "name": "MARGIN SURGERY", "ods_code": "F2", "dx": 800},
            {"id": "ODS-F3", "name": "FAR SURGERY", "ods_code": "F3", "dx": 5000},
        ]
    )
    osm = _osm(
        [
            {"id": "OSM-n1", "name": "Inside Surgery", "type": "gp_practice", "dx": 10},
            {
                "id": "OSM-n2",
                "name": "Library",
                "type": "library",
                "owner": "local_authority",
                "dy": 100,
            },
        ]
    )
    with pytest.warns(DataQualityWarning, match=r"1 asset\(s\).*1000 m margin.*ODS-F3"):
        got = assets.build_asset_register([ods, osm], area=_area(), buffer_m=1000)
    got = got.set_index(c.ASSET_ID, drop=False)
    assert set(got.index) == {"ODS-F1", "ODS-F2", "OSM-n2"}
    assert got[c.IN_AREA].to_dict() == {"ODS-F1": True, "ODS-F2": False, "OSM-n2": True}
    assert got.loc["ODS-F1", assets.MERGED_FROM] == "OSM-n1"
    assert got[c.ASSET_ID].is_unique and got.crs.to_epsg() == 27700


def test_build_register_without_area_keeps_all() -> None:
    ods = _ods([{"id": "ODS-F1", "name": "A SURGERY", "ods_code": "F1", "dx": 90_000}])
    got = assets.build_asset_register([ods])
    assert got[c.IN_AREA].tolist() == [True]


def test_build_register_other_crs_layer() -> None:
    osm = _osm([{"id": "OSM-n1", "name": "Library", "type": "library"}]).to_crs(4326)
    got = assets.build_asset_register([osm], area=_area())
    assert got.crs.to_epsg() == 27700
    assert got.geometry.iloc[0].x == pytest.approx(X0, abs=0.01)


def test_build_register_duplicate_ids_across_layers() -> None:
    a = _osm([{"id": "X1", "name": "a", "type": "school"}])
    b = _layer("terrier:t.csv", [{"id": "X1", "name": "b", "type": "library", "dx": 900}])
    with pytest.raises(DuplicateIdError, match=r"X1.*id prefix"):
        assets.build_asset_register([a, b])


def test_build_register_bad_layer() -> None:
    bad = _osm([{"id": "X1", "name": "a", "type": "school"}]).drop(columns=c.OWNER_TYPE)
    with pytest.raises(MissingColumnError, match="owner_type"):
        assets.build_asset_register([bad])


def test_build_register_area_without_crs() -> None:
    osm = _osm([{"id": "X1", "name": "a", "type": "school"}])
    area = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(CrsError, match="study area"):
        assets.build_asset_register([osm], area=area)


def test_build_register_unknown_type() -> None:
    osm = _osm([{"id": "X1", "name": "a", "type": "spaceport"}])
    with pytest.raises(ValueError, match="spaceport"):
        assets.build_asset_register([osm])


def test_build_register_needs_a_layer() -> None:
    with pytest.raises(DataContractError, match="no asset layers"):
        assets.build_asset_register([])

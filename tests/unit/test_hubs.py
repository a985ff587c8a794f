"""Hub screening: pass / fail / unknown with the reasons, on hand-made sites."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from estatesplan.errors import ConfigError, MissingColumnError
from estatesplan.hubs import ScreenRules, screen_candidates

NAN = float("nan")


def _assets() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "asset_id": ["LIB", "SMALL", "SPARE", "OLD", "STEPS", "NODATA", "PHARM", "AWAY"],
            "name": ["Library", "Hut", "School", "Hall", "Chapel", "Centre", "Chemist", "Clinic"],
            "asset_type": ["library", "community_centre", "school", "town_hall",
                           "place_of_worship", "community_centre", "pharmacy", "clinic"],
            "owner_type": ["local_authority", "vcse", "education", "local_authority", "faith",
                           "local_authority", "other", "nhs_trust"],
            "gia_m2": [900.0, 200.0, 300.0, 2000.0, 800.0, NAN, 150.0, 700.0],
            "available_m2": [NAN, 20.0, 250.0, NAN, NAN, NAN, NAN, NAN],
            "condition": ["B", "A", "A", "D", "B", None, "A", "A"],
            "step_free": [True, True, True, True, False, True, True, True],
            "tenure": ["freehold", "licence", "freehold", "freehold", "freehold", None, "leasehold",
                       "leasehold"],
            "in_area": [True, True, True, True, True, True, True, False],
            "neighbourhood_id": ["N1", "N1", "N2", "N2", "N1", "N2", "N1", None],
        },
        geometry=[shapely.Point(i, 0) for i in range(8)],
        crs="EPSG:27700",
    )  # fmt: skip


def test_statuses_and_reasons() -> None:
    r = screen_candidates(_assets()).set_index("asset_id")
    assert r.loc["LIB", "status"] == "pass"
    assert r.loc["SMALL", "status"] == "fail" and r.loc["SMALL", "failed"] == "space"
    assert "GIA 200 m² < 500 m² and 20 m² spare < 100 m²" in r.loc["SMALL", "reasons"]
    assert r.loc["SPARE", "status"] == "pass"  # small building, but 250 m² spare
    assert "250 m² spare >= 100 m²" in r.loc["SPARE", "reasons"]
    assert (
        r.loc["OLD", "failed"] == "condition"
        and "condition D (needs A/B)" in r.loc["OLD", "reasons"]
    )
    assert r.loc["STEPS", "failed"] == "step_free"
    assert r.loc["NODATA", "status"] == "unknown"
    assert r.loc["NODATA", "unknown"] == "space,condition"
    assert r.loc["PHARM", "failed"] == "asset_type"  # spare space unrecorded: space unknown
    assert r.loc["PHARM", "unknown"] == "space"
    assert r.loc["AWAY", "failed"] == "in_area"
    assert list(r.index) == list(_assets()["asset_id"])  # layer order kept


def test_rules_are_the_planners() -> None:
    rules = ScreenRules(
        conditions=("A", "B", "C", "D"), step_free=False, tenures=("freehold",),
        owner_types=("local_authority", "faith"), in_area_only=False, min_gia_m2=100,
    )  # fmt: skip
    r = screen_candidates(_assets(), rules).set_index("asset_id")
    assert r.loc["OLD", "status"] == "pass" and r.loc["STEPS", "status"] == "pass"
    assert r.loc["SPARE", "failed"] == "owner_type"  # education not allowed here
    assert r.loc["NODATA", "unknown"] == "space,condition,tenure"
    excluded = screen_candidates(_assets(), ScreenRules(exclude_ids=("LIB",))).set_index("asset_id")
    assert excluded.loc["LIB", "failed"] == "excluded"


def test_unknown_columns_count_as_unknown() -> None:
    a = _assets().drop(columns=["condition", "step_free"])
    r = screen_candidates(a).set_index("asset_id")
    assert r.loc["LIB", "status"] == "unknown" and r.loc["LIB", "unknown"] == "condition,step_free"


def test_bad_rules_and_layers() -> None:
    with pytest.raises(ConfigError, match=r"unknown condition grades \['E'\]"):
        ScreenRules(conditions=("E",))
    with pytest.raises(ConfigError, match="min_gia_m2 must be a number"):
        ScreenRules(min_gia_m2=-1)
    with pytest.raises(ConfigError, match="unknown asset types"):
        ScreenRules(asset_types=("castle",))
    with pytest.raises(MissingColumnError, match="lacks owner_type"):
        screen_candidates(_assets().drop(columns=["owner_type"]))

"""Staff and collaboration: inter-site times on a hand-made network, team journeys and staff
commutes worked by hand, the staff-origins reader and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from estatesplan import demo, networks, staff
from estatesplan.errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    MissingColumnError,
)
from estatesplan.graph import StreetNetwork
from estatesplan.travel_times import TravelTimeMatrix, matrix_from_network

CRS = "EPSG:27700"
X0, Y0 = 529_000.0, 182_000.0


def make_net(
    nodes: dict[str, tuple[float, float]], edges: list[tuple[str, str, float]]
) -> StreetNetwork:
    """A drive network from named nodes and (tail, head, seconds) edges; lengths are straight."""
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
    # A(0,0) ⇄ B(100,0): 60 s each way; B ⇄ C(200,0): 120 s; C → D(200,100) one-way 30 s.
    return make_net(
        {"A": (0, 0), "B": (100, 0), "C": (200, 0), "D": (200, 100)},
        [("A", "B", 60.0), ("B", "A", 60.0), ("B", "C", 120.0), ("C", "B", 120.0), ("C", "D", 30.0)],
    )  # fmt: skip


def sites(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"asset_id": [f"s{i}" for i in range(len(xy))]},
        geometry=[shapely.Point(X0 + px, Y0 + py) for px, py in xy], crs=CRS,
    )  # fmt: skip


def hand_matrix() -> TravelTimeMatrix:
    ids = np.array(["a", "b", "c"], dtype=object)
    minutes = np.array([[0, 10, 20], [12, 0, np.nan], [18, 30, 0]], dtype=np.float32)
    return TravelTimeMatrix("walk", ids, ids.copy(), minutes, 60.0)


# --- inter-site matrix ------------------------------------------------------------------------


def test_inter_site_matrix_hand_made(hand_net: StreetNetwork) -> None:
    # s0 on A–B at t=0.5 (20 s walk at 1 m/s); s1 on B–C at t=0.5 (40 s); s2 on C→D at t=0.5 (20 s).
    # s0→s1: 20 + 30 + 60 + 40 = 150 s; s0→s2: 20 + 30 + 120 + 15 + 20 = 205 s;
    # s1→s0: 40 + 60 + 30 + 20 = 150 s; s1→s2: 40 + 60 + 15 + 20 = 135 s; from s2 (one-way street
    # to the dead end D) nothing is reachable. The diagonal is 0 (not the 2 × walk to the street).
    with pytest.warns(DataQualityWarning, match=r"2 of 6 ordered pairs.*s2 → s0, s2 → s1"):
        m = staff.inter_site_matrix(
            hand_net, sites([(50, 20), (150, -40), (220, 50)]), walk_speed_kmh=3.6
        )
    expected = np.array([[0, 150, 205], [150, 0, 135], [np.nan, np.nan, 0]]) / 60.0
    np.testing.assert_allclose(m.minutes, expected.astype(np.float32), rtol=1e-6, equal_nan=True)
    assert m.minutes.dtype == np.float32
    assert list(m.origin_ids) == list(m.destination_ids) == ["s0", "s1", "s2"]
    assert m.metadata["unreachable_pairs"] == [["s2", "s0"], ["s2", "s1"]]


def test_inter_site_matrix_equals_matrix_off_the_diagonal(tmp_path: Path) -> None:
    demo.write_demo(tmp_path, seed=0)
    net = networks.network_from_osm(tmp_path / "streets.osm.pbf", "walk")
    assets = gpd.read_file(tmp_path / "assets.gpkg")
    gp = assets[assets["asset_type"] == "gp_practice"]
    m = staff.inter_site_matrix(net, gp, cutoff_min=240.0)  # long enough: no warning
    ref = matrix_from_network(net, gp, gp, origin_id="asset_id", destination_id="asset_id",
                              cutoff_min=240.0)  # fmt: skip
    off = ~np.eye(len(gp), dtype=bool)
    np.testing.assert_array_equal(m.minutes[off], ref.minutes[off])
    assert (np.diag(m.minutes) == 0).all() and (np.diag(ref.minutes) > 0).all()
    assert m.metadata["unreachable_pairs"] == []


# --- team journeys ----------------------------------------------------------------------------


def test_team_journeys_two_sites() -> None:
    out = staff.team_journeys(hand_matrix(), ["a", "b"])
    assert out["mean_min"] == pytest.approx(11.0)  # (10 + 12) / 2
    assert (out["max_min"], out["max_pair"]) == (12.0, "b → a")
    assert (out["pairs"], out["pairs_reachable"], out["pairs_unreachable"]) == (2, 2, 0)
    assert out["weighted"] is False and out["mode"] == "walk"


def test_team_journeys_unweighted_leaves_out_unreachable_pairs() -> None:
    with pytest.warns(DataQualityWarning, match=r"1 of 6 journeys.*b → c.*leaves them out"):
        out = staff.team_journeys(hand_matrix(), ["a", "b", "c"])
    assert out["mean_min"] == pytest.approx(90.0 / 5)  # 10 + 20 + 12 + 18 + 30 over 5 pairs
    assert (out["max_min"], out["max_pair"]) == (30.0, "c → b")
    assert out["unreachable"] == ["b → c"]
    assert out["unreachable_weight_share"] == pytest.approx(1 / 6)


def test_team_journeys_weighted_by_time_at_sites() -> None:
    # w = (0.5, 0.25, 0.25): w_i w_j is 0.125 for ab, ac, ba, ca and 0.0625 for bc (unreachable)
    # and cb: (0.125 · (10 + 20 + 12 + 18) + 0.0625 · 30) / (4 · 0.125 + 0.0625) = 9.375 / 0.5625
    with pytest.warns(DataQualityWarning, match="b → c"):
        out = staff.team_journeys(
            hand_matrix(), ["a", "b", "c"], visits={"a": 0.5, "b": 0.25, "c": 0.25}
        )
    assert out["mean_min"] == pytest.approx(9.375 / 0.5625)
    assert out["unreachable_weight_share"] == pytest.approx(0.0625 / 0.625)
    assert out["weighted"] is True
    # equal shares give the unweighted mean; a site never visited drops out (no warning)
    with pytest.warns(DataQualityWarning):
        equal = staff.team_journeys(hand_matrix(), ["a", "b", "c"], visits={"a": 2, "b": 2, "c": 2})
    assert equal["mean_min"] == pytest.approx(18.0)
    out = staff.team_journeys(hand_matrix(), ["a", "b", "c"], visits={"a": 1, "b": 3, "c": 0})
    assert out["mean_min"] == pytest.approx(11.0)
    assert out["max_pair"] == "b → a"


def test_team_of_one_site_makes_no_journey() -> None:
    out = staff.team_journeys(hand_matrix(), ["c"])
    assert np.isnan(out["mean_min"]) and np.isnan(out["max_min"]) and out["pairs"] == 0


@pytest.mark.parametrize(
    ("team", "visits", "err", "match"),
    [
        (["a", "x", "y"], None, DataContractError, r"2 team site id\(s\) are not in the inter-site matrix \(x, y\)"),
        (["a", "b", "a"], None, DataContractError, r"repeats 1 site id\(s\): a"),
        ("ab", None, ConfigError, "not one string"),
        ([], None, ConfigError, "team_sites is empty"),
        (["a", "b"], {"a": 1.0}, DataContractError, r"1 team site\(s\) have no share \(b\)"),
        (["a", "b"], {"a": 1.0, "b": 1.0, "c": 1.0}, DataContractError, r"not team sites \(c\)"),
        (["a", "b"], {"a": 1.0, "b": -1.0}, DataContractError, r"negative or not finite \(b\)"),
        (["a", "b"], {"a": 1.0, "b": 0.0}, DataContractError, "fewer than two sites have a positive share"),
    ],
)  # fmt: skip
def test_team_journeys_bad_input(team: object, visits: object, err: type, match: str) -> None:
    with pytest.raises(err, match=match):
        staff.team_journeys(hand_matrix(), team, visits=visits)  # type: ignore[arg-type]


def test_team_journeys_needs_a_square_matrix() -> None:
    m = hand_matrix()
    rect = TravelTimeMatrix("walk", m.origin_ids, m.destination_ids[:2], m.minutes[:, :2], 60.0)
    with pytest.raises(DataContractError, match=r"sites × sites.*inter_site_matrix"):
        staff.team_journeys(rect, ["a", "b"])


# --- staff origins ----------------------------------------------------------------------------

ZONES = ["Z1", "Z2", "Z3", "Z4"]


def write_csv(tmp_path: Path, text: str, name: str = "staff.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8-sig")  # with a byte-order mark, as Excel writes
    return p


def test_read_staff_origins(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "zone_id,staff,zone_name\nZ3,12,Somewhere\nZ1,5,Elsewhere\n")
    out = staff.read_staff_origins(p, zone_ids=ZONES)
    assert out.to_dict() == {"Z1": 5.0, "Z2": 0.0, "Z3": 12.0, "Z4": 0.0}
    assert list(out.index) == ZONES and out.index.name == "zone_id" and out.name == "staff"
    assert out.dtype == np.float64


def test_read_staff_origins_finds_the_count_column_and_sums_repeats(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "zone_id,headcount\nZ1,5\nZ2,1\nZ1,3\n")
    with pytest.warns(
        DataQualityWarning, match=r"1 zone\(s\) appear on several rows \(Z1\).*summed"
    ):
        out = staff.read_staff_origins(p, zone_ids=ZONES)
    assert out.tolist() == [8.0, 1.0, 0.0, 0.0]
    q = write_csv(tmp_path, "zone_id,team_a\nZ4,2\n", "other.csv")
    assert staff.read_staff_origins(q, zone_ids=ZONES)["Z4"] == 2.0  # the only other column
    r = write_csv(tmp_path, "zone_id,a,b\nZ4,2,3\n", "two.csv")
    assert staff.read_staff_origins(r, zone_ids=ZONES, count_column="b")["Z4"] == 3.0


@pytest.mark.parametrize(
    ("column", "what"),
    [("name", "a name"), ("Surname", "a name"), ("Postcode", "a postcode"),
     ("Home Address", "an address"), ("DOB", "a date of birth"), ("date_of_birth", "a date of birth"),
     ("NHS Number", "an NHS number"), ("e-mail", "an email address"), ("Mobile phone", "a phone number"),
     ("Employee ID", "a staff identifier")],
)  # fmt: skip
def test_read_staff_origins_refuses_personal_columns(
    tmp_path: Path, column: str, what: str
) -> None:
    p = write_csv(tmp_path, f"zone_id,staff,{column}\nZ1,1,x\n")
    with pytest.raises(
        DataContractError, match=rf"staff\.csv: 1 column\(s\) look like personal data: `{column}` \(looks like {what}\).*aggregate to counts per zone"
    ):  # fmt: skip
        staff.read_staff_origins(p, zone_ids=ZONES)


def test_read_staff_origins_unknown_zones(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "zone_id,staff\nZ1,1\nE01000001,2\nE01000002,3\n")
    with pytest.raises(
        DataContractError,
        match=r"2 zone_id value\(s\) are not zones of the study \(E01000001, E01000002\)",
    ):
        staff.read_staff_origins(p, zone_ids=ZONES)


def test_read_staff_origins_bad_counts(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "zone_id,staff\nZ1,1\nZ2,-2\nZ3,1.5\nZ4,\n,3\n")
    with pytest.raises(
        DataContractError,
        match=r"(?s)1 row\(s\) have no zone_id \(lines 6\).*3 value\(s\) that are not whole numbers ≥ 0 .*lines 3, 4, 5",
    ):
        staff.read_staff_origins(p, zone_ids=ZONES)


def test_read_staff_origins_missing_columns_and_files(tmp_path: Path) -> None:
    with pytest.raises(MissingColumnError, match="no `zone_id` column"):
        staff.read_staff_origins(write_csv(tmp_path, "lsoa,staff\nZ1,1\n"), zone_ids=ZONES)
    with pytest.raises(MissingColumnError, match=r"count column 'staff' not found.*count_column"):
        staff.read_staff_origins(write_csv(tmp_path, "zone_id,a,b\nZ1,1,2\n"), zone_ids=ZONES)
    with pytest.raises(DataSourceError, match="staff origins: file not found"):
        staff.read_staff_origins(tmp_path / "nope.csv", zone_ids=ZONES)
    with pytest.raises(DataContractError, match="zone_ids repeat 1 id"):
        staff.read_staff_origins(
            write_csv(tmp_path, "zone_id,staff\nZ1,1\n"), zone_ids=["Z1", "Z1"]
        )


# --- commutes ---------------------------------------------------------------------------------

MINUTES = np.array([[10.0, 25.0], [40.0, np.nan], [np.nan, np.nan]])
COUNTS = np.array([10.0, 30.0, 5.0])


def test_staff_access_hand_worked() -> None:
    out = staff.staff_access(MINUTES, COUNTS, thresholds=(15, 30, 45))
    np.testing.assert_array_equal(out["nearest_min"], [10.0, 40.0, np.nan])
    assert (out["staff"], out["staff_reached"], out["staff_unreachable"]) == (45.0, 40.0, 5.0)
    assert out["zones_unreachable"] == 1
    assert out["mean_min"] == pytest.approx((10 * 10 + 30 * 40) / 40)  # 32.5: weighted by staff
    assert out["median_min"] == 40.0 and out["p90_min"] == 40.0  # 30 of the 40 reached: 40 min
    assert out["share_within"] == pytest.approx({15.0: 10 / 45, 30.0: 10 / 45, 45.0: 40 / 45})


def test_staff_access_to_selected_sites() -> None:
    out = staff.staff_access(MINUTES, COUNTS, sites_mask=[False, True], thresholds=(25,))
    assert out["staff_reached"] == 10.0 and out["mean_min"] == 25.0
    assert out["share_within"] == {25.0: pytest.approx(10 / 45)}  # inclusive threshold
    nobody = staff.staff_access(MINUTES, np.zeros(3))
    assert np.isnan(nobody["mean_min"]) and np.isnan(nobody["share_within"][15.0])


def test_commute_by_site() -> None:
    table = staff.commute_by_site(MINUTES, COUNTS, ["a", "b"], thresholds=(30,))
    assert list(table.index) == ["a", "b"] and table.index.name == "site_id"
    assert table.loc["a", "mean_min"] == pytest.approx(32.5)
    assert table.loc["b", "mean_min"] == 25.0 and table.loc["b", "staff_unreachable"] == 35.0
    assert table.loc["b", "within_30_min"] == pytest.approx(10 / 45)


@pytest.mark.parametrize(
    ("counts", "kw", "err", "match"),
    [
        ([10.0, np.nan, 1.0], {}, DataContractError, r"1 NaN value\(s\); use 0"),
        ([10.0, -1.0, 1.0], {}, DataContractError, r"1 negative or infinite"),
        ([10.0, 1.0], {}, DataContractError, r"shape \(2,\), expected \(3,\)"),
        (COUNTS, {"sites_mask": [False, False]}, ConfigError, "selects no site"),
        (COUNTS, {"sites_mask": [1, 0]}, DataContractError, "must be 2 booleans"),
        (COUNTS, {"thresholds": (0, 10)}, ConfigError, "positive finite minutes"),
    ],
)  # fmt: skip
def test_staff_access_bad_input(
    counts: object, kw: dict[str, object], err: type, match: str
) -> None:
    with pytest.raises(err, match=match):
        staff.staff_access(MINUTES, counts, **kw)  # type: ignore[arg-type]


def test_staff_on_the_demo(tmp_path: Path) -> None:
    """End to end on the demo: staff origins for a few zones, commutes to the GP practices."""
    demo.write_demo(tmp_path, seed=0)
    net = networks.network_from_osm(tmp_path / "streets.osm.pbf", "walk")
    zones = gpd.read_file(tmp_path / "zones.gpkg")
    assets = gpd.read_file(tmp_path / "assets.gpkg")
    gp = assets[assets["asset_type"] == "gp_practice"]
    ids = zones["zone_id"].astype(str).tolist()
    p = write_csv(
        tmp_path, "zone_id,staff\n" + "".join(f"{z},{k + 1}\n" for k, z in enumerate(ids[:20:4]))
    )
    counts = staff.read_staff_origins(p, zone_ids=ids)
    assert counts.sum() == 15.0 and (counts > 0).sum() == 5
    m = matrix_from_network(
        net, zones, gp, origin_id="zone_id", destination_id="asset_id", cutoff_min=90.0
    )
    out = staff.staff_access(m.minutes, counts.to_numpy(), thresholds=(20, 90))
    nearest = np.nanmin(m.minutes[counts.to_numpy() > 0], axis=1).astype(float)
    w = counts[counts > 0].to_numpy()
    assert out["mean_min"] == pytest.approx(float((w * nearest).sum() / w.sum()))
    assert out["share_within"][90.0] == 1.0
    with pytest.raises(DuplicateIdError):
        staff.inter_site_matrix(net, gp.iloc[[0, 0]])

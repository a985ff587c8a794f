"""The [access] section: asset sets, supply, decay bands, cohort modes, staff, left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from estatesplan.config import AccessConfig, AssetSetConfig, load_config
from estatesplan.errors import ConfigError
from tests.unit.test_config import MINIMAL, _write


def test_defaults() -> None:
    acc = AccessConfig()
    sets = acc.all_asset_sets()
    assert sets["gp_practices"].asset_types == ("gp_practice",)
    assert "pharmacy" in sets["health"].asset_types and "school" not in sets["health"].asset_types
    assert acc.decay_bands == ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
    assert acc.modes_for("everyone") == ("walk", "cycle", "drive")
    assert acc.modes_for("households_no_car") == ("walk", "cycle")  # no drive; no transit configured
    assert (acc.left_behind_set, acc.left_behind_mode, acc.left_behind_min) == (
        "gp_practices",
        "walk",
        20.0,
    )


def test_full_section(tmp_path: Path) -> None:
    (tmp_path / "staff.csv").write_text("zone_id,staff\n")
    text = (
        MINIMAL
        + """
[access]
thresholds_min = [20, 5]
modes = ["walk", "drive"]
supply = "gia_m2"
catchment_min = 25
decay_bands = [[5, 1.0], [15, 0.5]]
gravity_beta = 0.2
left_behind_set = "hubs"
left_behind_min = 15
surface_cell_m = 0
[access.cohort_modes]
over_65 = ["walk"]
[access.asset_sets.hubs]
label = "Candidate hubs"
owner_types = ["local_authority", "nhs_trust"]
asset_types = ["community_centre", "library"]
in_area_only = true
[access.staff]
sites = "hubs"
origins = "staff.csv"
[access.staff.teams]
north = ["A1", "A2"]
"""
    )
    acc = load_config(_write(tmp_path, text)).access
    assert acc.thresholds_min == (5.0, 20.0)  # sorted
    assert acc.supply == "gia_m2" and acc.catchment_min == 25.0 and acc.gravity_beta == 0.2
    assert acc.decay_bands == ((5.0, 1.0), (15.0, 0.5))
    assert acc.modes_for("over_65") == ("walk",)
    assert acc.modes_for("households_no_car") == ("walk",)
    assert acc.all_asset_sets()["hubs"] == AssetSetConfig(
        "Candidate hubs",
        asset_types=("community_centre", "library"),
        owner_types=("local_authority", "nhs_trust"),
        in_area_only=True,
    )
    assert acc.staff.origins == tmp_path / "staff.csv"
    assert acc.staff.teams == {"north": ("A1", "A2")} and acc.staff.sites == "hubs"
    assert acc.surface_cell_m == 0.0 and acc.left_behind_set == "hubs"


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("decay_bands = [[20, 1.0], [10, 0.5]]", "decay_bands must be"),
        ("decay_bands = [[10, 1.5]]", "decay_bands must be"),
        ("catchment_min = 0", "catchment_min must be a positive"),
        ("gravity_beta = -1", "gravity_beta must be a positive"),
        ("surface_cell_m = -5", "surface_cell_m must be 0"),
        ('left_behind_set = "nowhere"', "left_behind_set 'nowhere' is not a defined asset set"),
        ('left_behind_mode = "boat"', "left_behind_mode = 'boat' is not one of"),
        ('modes = ["walk", "teleport"]', "modes must be a list drawn from"),
        ("[access.cohort_modes]\nover_65 = ['hover']", r"over_65: unknown modes \['hover'\]"),
        ("[access.asset_sets.x]\nasset_types = ['castle']", "unknown asset type 'castle'"),
        ("[access.asset_sets.x]\nowner_types = ['king']", "unknown owner type 'king'"),
        ("[access.asset_sets.x]\ncolour = 'red'", "unknown key 'colour'"),
        ("[access.staff]\nsites = 'nowhere'", "sites 'nowhere' is not a defined asset set"),
        ("[access.staff]\norigins = 'missing.csv'", "origins: file not found"),
    ],
)
def test_bad_access_values(tmp_path: Path, snippet: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, MINIMAL + "\n[access]\n" + snippet + "\n"))

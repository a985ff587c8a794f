"""Cohort expressions: parsed with ast, evaluated over columns, never eval'd."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estatesplan.cohorts import DEFAULT_COHORTS, cohort_weights, parse_cohort
from estatesplan.errors import ConfigError, DataContractError


@pytest.fixture
def zones() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "population": [1000, 2000, 1500],
            "age_0_4": [60, 150, 90],
            "age_65_69": [50, 40, 30],
            "age_70_74": [40, 30, 20],
            "age_75_79": [30, 20, 10],
            "age_80_84": [20, 10, 5],
            "age_85_plus": [10, 5, np.nan],
            "imd_decile": [1, 2, 9],
        },
        index=["Z1", "Z2", "Z3"],
    )


def test_sum_of_columns(zones: pd.DataFrame) -> None:
    w = parse_cohort("over_65", DEFAULT_COHORTS["over_65"]).weights(zones)
    assert w.loc["Z1"] == 150.0
    assert w.loc["Z2"] == 105.0
    assert np.isnan(w.loc["Z3"]), "unknown stays unknown, never zero"
    assert w.name == "over_65"
    assert list(w.index) == ["Z1", "Z2", "Z3"]


def test_comparison_gives_indicator(zones: pd.DataFrame) -> None:
    w = parse_cohort("deprived", "population * (imd_decile <= 2)").weights(zones)
    assert w.tolist() == [1000.0, 2000.0, 0.0]


def test_arithmetic_and_precedence(zones: pd.DataFrame) -> None:
    w = parse_cohort("x", "(age_0_4 + 40) / 2 - -1").weights(zones)
    assert w.tolist() == [51.0, 96.0, 66.0]


def test_division_by_zero_is_unknown() -> None:
    z = pd.DataFrame({"a": [1.0, 2.0], "b": [0.0, 4.0]})
    w = parse_cohort("r", "a / b").weights(z)
    assert np.isnan(w.iloc[0]) and w.iloc[1] == 0.5


def test_constant_expression_broadcasts(zones: pd.DataFrame) -> None:
    assert parse_cohort("k", "2 * 3").weights(zones).tolist() == [6.0, 6.0, 6.0]


def test_columns_listed_in_order() -> None:
    assert parse_cohort("c", "b + a * b - c").columns == ("b", "a", "c")


def test_negative_cohort_rejected(zones: pd.DataFrame) -> None:
    with pytest.raises(DataContractError, match=r"negative in 3 zone"):
        parse_cohort("neg", "age_0_4 - population").weights(zones)


def test_missing_column_named(zones: pd.DataFrame) -> None:
    with pytest.raises(
        DataContractError, match=r"cohort 'nocar' .*names column\(s\) households_no_car"
    ):
        cohort_weights(zones, {"nocar": "households_no_car"})


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "the expression is empty"),
        ("population +", "not a valid expression"),
        ("population ** 2", r"the operator \*\*"),
        ("population % 2", "the operator %"),
        ("population // 2", "the operator //"),
        ("open('/etc/passwd')", "a function call"),
        ("population.__class__", "attribute access"),
        ("population[0]", "indexing"),
        ("lambda: 1", "lambda"),
        ("population and age_0_4", "and/or"),
        ("not population", "not"),
        ("True", "the value True"),
        ("'abc'", "the value 'abc'"),
        ("[population]", "List"),
        ("population in age_0_4", "the comparison In"),
    ],
)
def test_rejected_expressions(expression: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_cohort("c", expression)


def test_bad_name() -> None:
    with pytest.raises(ConfigError, match="must be letters, digits and underscores"):
        parse_cohort("over 65", "population")


def test_cohort_weights_frame(zones: pd.DataFrame) -> None:
    w = cohort_weights(zones, {"everyone": "population", "under_5": "age_0_4"})
    assert list(w.columns) == ["everyone", "under_5"]
    assert w["everyone"].sum() == 4500.0
    assert (w.index == zones.index).all()


@settings(max_examples=50, deadline=None)
@given(
    a=st.lists(st.integers(0, 10_000), min_size=1, max_size=20),
    k=st.integers(1, 9),
)
def test_property_sum_matches_numpy(a: list[int], k: int) -> None:
    z = pd.DataFrame({"a": a, "b": [x * k for x in a]})
    w = parse_cohort("c", f"a + b / {k}").weights(z)
    np.testing.assert_allclose(w.to_numpy(), 2 * np.array(a, dtype=float))

"""Cohorts: named weights over zones, declared as arithmetic over zone columns.

A cohort expression such as ``"age_65_69 + age_70_74 + age_75_79 + age_80_84 + age_85_plus"``
or ``"population * (imd_decile <= 2)"`` is parsed with :mod:`ast` and evaluated over
the zones' columns. Only column names, numbers, ``+ - * /``, unary minus, brackets
and the comparisons ``< <= > >= == !=`` (which give 1 or 0) are allowed; anything else
(calls, attributes, subscripts, names that are not columns) is rejected with a
message that says what was found. Nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from .errors import ConfigError, DataContractError

__all__ = [
    "DEFAULT_COHORTS",
    "Cohort",
    "cohort_weights",
    "parse_cohort",
]

DEFAULT_COHORTS: Final[dict[str, str]] = {
    "everyone": "population",
    "over_65": "age_65_69 + age_70_74 + age_75_79 + age_80_84 + age_85_plus",
    "under_5": "age_0_4",
    "most_deprived_fifth": "population * (imd_decile <= 2)",
    "limited_a_lot": "disabled_limited_lot",
    "bad_health": "health_bad + health_very_bad",
    "households_no_car": "households_no_car",
}
"""Cohorts every study gets unless its config overrides them.

``households_no_car`` counts households (Census TS045), not people, and is only
available when a car-availability table is given; the others count usual residents.
"""

_BINOPS: Final[dict[type[ast.operator], Callable[[object, object], object]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_CMPOPS: Final[dict[type[ast.cmpop], Callable[[Any, Any], Any]]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_SYMBOLS: Final[dict[type[ast.AST], str]] = {
    ast.Pow: "**",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Call: "a function call",
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Lambda: "lambda",
    ast.BoolOp: "and/or",
    ast.Not: "not",
    ast.IfExp: "if/else",
}


@dataclass(frozen=True, slots=True)
class Cohort:
    """A parsed cohort: its name, the expression as written and the columns it uses.

    Parameters
    ----------
    name
        Cohort name (a snake_case identifier).
    expression
        The expression as written in the config.
    columns
        Zone columns the expression reads, in order of first use.
    """

    name: str
    expression: str
    columns: tuple[str, ...]
    _tree: ast.Expression

    def weights(self, zones: pd.DataFrame) -> pd.Series:
        """Evaluate the cohort over ``zones`` and return people (or households) per zone.

        Parameters
        ----------
        zones
            Zone table with the columns the expression names.

        Returns
        -------
        pandas.Series
            Float64, indexed like ``zones``, named after the cohort; NaN where any
            input column is unknown for that zone.

        Raises
        ------
        DataContractError
            If a column is missing from ``zones``, or the result is negative somewhere.
        """
        missing = [col for col in self.columns if col not in zones.columns]
        if missing:
            msg = (
                f"cohort {self.name!r} ({self.expression!r}) names column(s) "
                f"{', '.join(missing)} that the zones do not have. Available: "
                f"{', '.join(map(str, zones.columns))}. Fix the cohort in the study config "
                "or supply the table that provides the column."
            )
            raise DataContractError(msg)
        cols = {
            col: pd.to_numeric(zones[col], errors="coerce").astype("float64")
            for col in self.columns
        }
        value = _evaluate(self._tree.body, cols)
        if isinstance(value, pd.Series):
            out = value.astype("float64")
        else:
            out = pd.Series(float(value), index=zones.index, dtype="float64")  # type: ignore[arg-type]
        out.index = zones.index
        negative = out < 0
        if negative.any():
            msg = (
                f"cohort {self.name!r} ({self.expression!r}) is negative in "
                f"{int(negative.sum())} zone(s); a cohort counts people and cannot be negative."
            )
            raise DataContractError(msg)
        return out.rename(self.name)


def _evaluate(node: ast.AST, cols: Mapping[str, pd.Series]) -> object:
    if isinstance(node, ast.Constant):
        return float(node.value)  # type: ignore[arg-type]
    if isinstance(node, ast.Name):
        return cols[node.id]
    if isinstance(node, ast.UnaryOp):
        val = _evaluate(node.operand, cols)
        return -val if isinstance(node.op, ast.USub) else val  # type: ignore[operator]
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, cols), _evaluate(node.right, cols)
        if isinstance(node.op, ast.Div):
            with np.errstate(divide="ignore", invalid="ignore"):
                res = _BINOPS[ast.Div](left, right)
            if isinstance(res, pd.Series):
                return res.replace([np.inf, -np.inf], np.nan)
            return res
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, cols)
        result: object = None
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comp, cols)
            cmp = _CMPOPS[type(op)](left, right)
            if isinstance(cmp, pd.Series):
                # unknown stays unknown: a comparison with NaN is NaN, not False
                nan = pd.Series(False, index=cmp.index)
                for side in (left, right):
                    if isinstance(side, pd.Series):
                        nan = nan | side.isna()
                cmp = cmp.astype("float64").where(~nan)
            else:
                cmp = float(bool(cmp))
            result = cmp if result is None else result * cmp
            left = right
        return result
    msg = f"unsupported expression node {type(node).__name__}"  # unreachable after parse
    raise AssertionError(msg)


def _check_node(node: ast.AST, name: str, expression: str, used: list[str]) -> None:
    def reject(what: str) -> None:
        msg = (
            f"cohort {name!r}: {what} is not allowed in {expression!r}. A cohort expression "
            "may use zone column names, numbers, + - * /, brackets and comparisons "
            "(< <= > >= == !=, which give 1 or 0)."
        )
        raise ConfigError(msg)

    if isinstance(node, ast.Expression):
        _check_node(node.body, name, expression, used)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            reject(f"the value {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id not in used:
            used.append(node.id)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            reject(_SYMBOLS.get(type(node.op), type(node.op).__name__))
        _check_node(node.operand, name, expression, used)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            reject(f"the operator {_SYMBOLS.get(type(node.op), type(node.op).__name__)}")
        _check_node(node.left, name, expression, used)
        _check_node(node.right, name, expression, used)
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _CMPOPS:
                reject(f"the comparison {type(op).__name__}")
        _check_node(node.left, name, expression, used)
        for comp in node.comparators:
            _check_node(comp, name, expression, used)
    else:
        reject(_SYMBOLS.get(type(node), type(node).__name__))


def parse_cohort(name: str, expression: str) -> Cohort:
    """Parse a cohort expression safely.

    Parameters
    ----------
    name
        Cohort name; must be a Python-style identifier (letters, digits, underscores).
    expression
        Arithmetic over zone column names.

    Returns
    -------
    Cohort
        The parsed cohort, ready to evaluate with :meth:`Cohort.weights`.

    Raises
    ------
    ConfigError
        If the name is not an identifier, the expression is not valid syntax, or it
        uses anything but column names, numbers, ``+ - * /``, brackets and comparisons.

    Examples
    --------
    >>> import pandas as pd
    >>> zones = pd.DataFrame({"age_0_4": [10, 20], "population": [100, 150]})
    >>> parse_cohort("under_5", "age_0_4").weights(zones).tolist()
    [10.0, 20.0]
    >>> parse_cohort("share", "age_0_4 / population * 100").weights(zones).round(1).tolist()
    [10.0, 13.3]
    """
    if not name.isidentifier():
        msg = f"cohort name {name!r} must be letters, digits and underscores (e.g. 'over_65')"
        raise ConfigError(msg)
    if not isinstance(expression, str) or not expression.strip():
        msg = f"cohort {name!r}: the expression is empty; write e.g. 'age_0_4 + age_5_9'"
        raise ConfigError(msg)
    if len(expression) > 2000:
        msg = f"cohort {name!r}: the expression is longer than 2,000 characters"
        raise ConfigError(msg)
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as err:
        msg = f"cohort {name!r}: {expression!r} is not a valid expression ({err.msg})"
        raise ConfigError(msg) from err
    used: list[str] = []
    _check_node(tree, name, expression, used)
    return Cohort(name=name, expression=expression.strip(), columns=tuple(used), _tree=tree)


def cohort_weights(zones: pd.DataFrame, cohorts: Mapping[str, str | Cohort]) -> pd.DataFrame:
    """Evaluate several cohorts over the zones.

    Parameters
    ----------
    zones
        Zone table (a GeoDataFrame works) with the columns the cohorts name.
    cohorts
        Cohort name to expression (or parsed :class:`Cohort`).

    Returns
    -------
    pandas.DataFrame
        One float64 column per cohort, indexed like ``zones``: people (or
        households) of the cohort in each zone; NaN where unknown.

    Raises
    ------
    DataContractError
        If a cohort names a column the zones lack (all such cohorts are listed).

    Examples
    --------
    >>> import pandas as pd
    >>> zones = pd.DataFrame({"population": [100, 50], "imd_decile": [1, 7]})
    >>> cohort_weights(zones, {"deprived": "population * (imd_decile <= 2)"})["deprived"].tolist()
    [100.0, 0.0]
    """
    parsed = {k: v if isinstance(v, Cohort) else parse_cohort(k, v) for k, v in cohorts.items()}
    problems = [
        f"cohort {c.name!r} ({c.expression!r}) names column(s) "
        f"{', '.join(col for col in c.columns if col not in zones.columns)}"
        for c in parsed.values()
        if any(col not in zones.columns for col in c.columns)
    ]
    if problems:
        msg = (
            "; ".join(problems)
            + " that the zones do not have. Fix the cohort in the study config or supply the "
            "table that provides the column. Zone columns: " + ", ".join(map(str, zones.columns))
        )
        raise DataContractError(msg)
    return pd.DataFrame({k: c.weights(zones) for k, c in parsed.items()}, index=zones.index)

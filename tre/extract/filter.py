"""Cohort filters: a permit's SQL predicate, validated before it goes near a query.

A cohort filter is one boolean expression over the permitted columns of the project's
patient-level dataset (the granted dataset whose table is `patient`). It selects persons;
the selected person set then restricts every table of the extract.

Only a small grammar is accepted (parsed with sqlglot, DuckDB dialect): column references,
literals, comparisons, AND/OR/NOT, IN (list), BETWEEN, IS [NOT] NULL, [I]LIKE, arithmetic,
CAST, and the pure scalar functions in `ALLOWED_FUNCTIONS`. Anything else (several
statements, subqueries, table functions such as read_csv, unknown or identifier columns) is
rejected with `CohortFilterError`. The SQL that runs is sqlglot's re-rendering of the
validated tree, never the text as written.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from tre.errors import UserError
from tre.i18n import _

# Function names as sqlglot renders them in the DuckDB dialect (upper case).
ALLOWED_FUNCTIONS = frozenset(
    {
        "ABS",
        "COALESCE",
        "DATE_PART",
        "DATE_TRUNC",
        "DAY",
        "EXTRACT",
        "LENGTH",
        "LOWER",
        "MONTH",
        "NULLIF",
        "ROUND",
        "STRPTIME",
        "SUBSTRING",
        "TRIM",
        "UPPER",
        "YEAR",
    }
)

# Node types that may appear in a predicate (beyond the function calls above).
_ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.DPipe,
    exp.Neg,
    exp.Cast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Var,
    exp.Tuple,
)


class CohortFilterError(UserError):
    """A cohort filter is not an acceptable predicate over the permitted columns."""

    exit_code = 6


def _reject(why: str) -> CohortFilterError:
    return CohortFilterError(
        _("The cohort filter was rejected: {why}.").format(why=why),
        hint=_(
            "Write one condition over the permitted columns of the patient dataset, "
            "e.g. year_of_birth >= 1950 AND region IN ('north', 'south')."
        ),
    )


def _function_name(node: Any) -> str | None:
    """Upper-case name of a function call node, or None if `node` is not a call."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).upper()
    if isinstance(node, exp.Func) and not isinstance(node, exp.Cast | exp.Connector):
        return str(node.sql_name()).upper()
    return None


def validate_cohort_filter(predicate: str, columns: Collection[str]) -> str:
    """Return the predicate as safe DuckDB SQL, or raise CohortFilterError.

    `columns` are the names the predicate may use (permitted, non-identifier columns).
    Column names are compared case-sensitively, as the lake stores them. The returned SQL
    names columns unqualified; the caller evaluates it over the patient dataset only.
    """
    text = (predicate or "").strip()
    if not text:
        raise _reject(_("it is empty"))
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except ParseError:
        raise _reject(_("it is not valid SQL")) from None
    if len(statements) != 1:
        raise _reject(_("it must be a single expression, not several statements"))
    tree = statements[0]
    if isinstance(tree, exp.Query | exp.DDL | exp.DML | exp.Command):
        raise _reject(_("it must be a condition, not a statement"))
    allowed = set(columns)
    for node in tree.walk():
        if isinstance(node, exp.Query | exp.Subquery | exp.Exists):
            raise _reject(_("subqueries are not allowed"))
        if isinstance(node, exp.Column):
            if node.table:
                raise _reject(_("columns must not be qualified with a table name"))
            if node.name not in allowed:
                raise _reject(_("it uses a column that is not permitted or does not exist"))
            continue
        name = _function_name(node)
        if name is not None:
            if name not in ALLOWED_FUNCTIONS:
                raise _reject(_("the function {name} is not allowed").format(name=name))
            continue
        if not isinstance(node, _ALLOWED_NODES):
            raise _reject(_("the construct {kind} is not allowed").format(kind=type(node).__name__))
        if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
            raise _reject(_("IN must list values, not a subquery"))
    if not any(isinstance(n, exp.Column) for n in tree.walk()):
        raise _reject(_("it does not refer to any column"))
    return tree.sql(dialect="duckdb")

"""Conformance of the embedded engine (regorus) on every Rego construct the policies use.

Each expected value is what OPA's documented semantics give. If an engine upgrade changes
any of them, this fails before a policy silently changes meaning.
"""

from __future__ import annotations

from typing import Any

import pytest
import regorus

MODULE = r"""
package conf

import data.conf.helpers as h

default flag := false

flag if input.on == true

# Partial set with a message built by sprintf.
deny contains msg if {
	input.role != "admin"
	msg := sprintf("role %v is not admin", [input.role])
}

deny contains "late" if input.date > "2025-01-01"

decision := {"allow": count(deny) == 0, "reasons": sort(deny)}

# Table-driven pattern: `some i, c in cases` with `with input as c`.
cases := [
	{"role": "admin", "date": "2024-01-01"},
	{"role": "user", "date": "2024-01-01"},
	{"role": "admin", "date": "2026-01-01"},
	{"role": "user", "date": "2026-01-01"},
]

denied_indices contains i if {
	some i, c in cases
	d := decision with input as c
	not d.allow
}

denied_counts := {i: n |
	some i, c in cases
	n := count(deny) with input as c
}

names_denied := {c.role | some c in cases; count(deny) > 0 with input as c}

every_admin_early_allowed if {
	every c in [x | some x in cases; x.role == "admin"; x.date < "2025"] {
		decision.allow with input as c
	}
}

# Functions with several bodies, default-valued complete rules.
kind(x) := "request" if startswith(x, "airlock.")

kind(x) := "project" if {
	some p in {"project.", "workspace."}
	startswith(x, p)
}

default status := "unknown"

status := input.status if is_string(input.status)

default sod := true

sod := input.sod if is_boolean(input.sod)

members := {"ana": "analyst", "lena": "lead"}

role_of := members[input.user]

works if role_of in {"lead", "analyst"}

keys_sorted := sort(object.keys(members))

missing_get := object.get({"a": 1}, "b", "fallback")

merged := object.union({"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"y": 3}, "c": 4})

removed := object.remove({"a": 1, "b": 2}, ["a"])

joined := array.concat([1, 2], [3])

trimmed := trim_space("  hi ")

not_in_set if not "z" in {"a", "b"}

set_equal if {x | some x in ["b", "a", "a"]} == {"a", "b"}

float_cmp if 0.8 < 0.9

int_fmt := sprintf("%d of %d", [1, 2])

concat_sorted := concat(", ", sort({"b", "a"}))

contains_text if contains("only an admin may", "admin")

undefined_not if not input.nothing.deeper

null_is_defined if {
	x := null
	not x == false
}

via_alias := h.double(21)

some_key_value contains k if {
	some k, v in {"a": 1, "b": 2}
	v > 1
}

data_override := v if v := h.limit with data.conf.params.limit as 7

string_compare if {
	"2025-01-01" <= "2025-01-01"
	"2024-12-31" < "2025-01-01"
}
"""

HELPERS = """
package conf.helpers

double(x) := x * 2

limit := data.conf.params.limit
"""

EXPECTED: list[tuple[str, Any, Any]] = [
    ("flag", {}, False),
    ("flag", {"on": True}, True),
    ("deny", {"role": "user", "date": "2026-01-01"}, {"role user is not admin", "late"}),
    ("decision", {"role": "admin", "date": "2024-01-01"}, {"allow": True, "reasons": []}),
    (
        "decision",
        {"role": "x", "date": "2026-02-02"},
        {"allow": False, "reasons": ["late", "role x is not admin"]},
    ),
    ("denied_indices", {}, {1, 2, 3}),
    ("denied_counts", {}, {0: 0, 1: 1, 2: 1, 3: 2}),
    ("names_denied", {}, {"user", "admin"}),
    ("every_admin_early_allowed", {}, True),
    ("status", {}, "unknown"),
    ("status", {"status": 3}, "unknown"),
    ("status", {"status": "approved"}, "approved"),
    ("sod", {}, True),
    ("sod", {"sod": False}, False),
    ("sod", {"sod": "no"}, True),
    ("works", {"user": "ana"}, True),
    ("works", {"user": "zed"}, None),
    ("keys_sorted", {}, ["ana", "lena"]),
    ("missing_get", {}, "fallback"),
    ("merged", {}, {"a": {"x": 1, "y": 3}, "b": 1, "c": 4}),
    ("removed", {}, {"b": 2}),
    ("joined", {}, [1, 2, 3]),
    ("trimmed", {}, "hi"),
    ("not_in_set", {}, True),
    ("set_equal", {}, True),
    ("float_cmp", {}, True),
    ("int_fmt", {}, "1 of 2"),
    ("concat_sorted", {}, "a, b"),
    ("contains_text", {}, True),
    ("undefined_not", {}, True),
    ("null_is_defined", {}, True),
    ("via_alias", {}, 42),
    ("some_key_value", {}, {"b"}),
    ("data_override", {}, 7),
    ("string_compare", {}, True),
]


@pytest.fixture(scope="module")
def engine() -> regorus.Engine:
    engine = regorus.Engine()
    engine.add_policy("conf.rego", MODULE)
    engine.add_policy("helpers.rego", HELPERS)
    engine.add_data({"conf": {"params": {"limit": 3}}})
    return engine


@pytest.mark.parametrize(("rule", "input", "expected"), EXPECTED, ids=lambda v: str(v)[:40])
def test_construct(engine: regorus.Engine, rule: str, input: Any, expected: Any) -> None:
    engine.set_input(input)
    value = engine.eval_rule(f"data.conf.{rule}")
    assert value == expected
    if isinstance(expected, dict):
        # Integer keys stay integers (one engine on PyPI returned float keys).
        assert [type(k) for k in value] == [type(k) for k in expected]


def test_kind_function_bodies(engine: regorus.Engine) -> None:
    result = engine.eval_query(
        'x := [data.conf.kind("airlock.submit"), data.conf.kind("workspace.start")]'
    )
    assert result["result"][0]["bindings"]["x"] == ["request", "project"]


def test_undefined_function_result(engine: regorus.Engine) -> None:
    assert engine.eval_query('x := data.conf.kind("user.add")') == {"result": []}


def test_parse_error_is_an_exception_not_a_crash() -> None:
    engine = regorus.Engine()
    with pytest.raises(RuntimeError):
        engine.add_policy("bad.rego", "package bad\n\nallow if {")


def test_v0_syntax_is_refused() -> None:
    """Policies must be Rego v1: a v0 rule without `if` does not load."""
    engine = regorus.Engine()
    with pytest.raises(RuntimeError):
        engine.add_policy("old.rego", 'package old\n\ndeny[msg] { msg := "x" }\n')

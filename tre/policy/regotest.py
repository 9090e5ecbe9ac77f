"""Run the Rego unit tests beside the policies (`*_test.rego`, rules named `test_*`).

OPA's convention: a test passes when its rule evaluates to true; undefined or false is a
failure. Table-driven tests keep their rows in rules named `*_cases`; `failing_cases`
names the rows that fail, through `data.tre.testing.failures`, so a failure says which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regorus

from tre.policy.embedded import load_engine

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)
_CASES_RULE = re.compile(r"^(\w*cases)\s*:=", re.MULTILINE)


@dataclass(frozen=True)
class RegoTest:
    package: str
    rule: str
    file: Path
    table_rules: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.package}.{self.rule}"


def discover(policies_dir: Path) -> list[RegoTest]:
    """Every `test_*` rule of every `*_test.rego` under `policies_dir`, in file order."""
    found: list[RegoTest] = []
    for path in sorted(policies_dir.rglob("*_test.rego")):
        source = path.read_text("utf-8")
        package = _PACKAGE.search(source)
        if package is None:
            continue
        tables = tuple(dict.fromkeys(_CASES_RULE.findall(source)))
        for rule in dict.fromkeys(_TEST_RULE.findall(source)):
            found.append(RegoTest(package.group(1), rule, path, tables))
    return found


def engine_with_tests(policies_dir: Path) -> regorus.Engine:
    """An engine with policies, their tests and data.json loaded."""
    return load_engine(policies_dir, include_tests=True)


def run(engine: regorus.Engine, test: RegoTest) -> tuple[bool, str]:
    """(passed, detail): detail says the value found and which table rows fail."""
    try:
        value = engine.eval_rule(f"data.{test.package}.{test.rule}")
    except RuntimeError as exc:
        return False, f"evaluation error: {exc}"
    if value is True:
        return True, ""
    detail = f"{test.name} evaluated to {value!r}, not true"
    failing = {table: failing_cases(engine, test.package, table) for table in test.table_rules}
    failing = {table: names for table, names in failing.items() if names}
    if failing:
        detail += "; failing cases: " + "; ".join(
            f"{table}: {', '.join(sorted(names))}" for table, names in failing.items()
        )
    return False, detail


def failing_cases(engine: regorus.Engine, package: str, table: str) -> set[str]:
    try:
        result = engine.eval_query(f"x := data.tre.testing.failures(data.{package}.{table})")
    except RuntimeError:
        return set()
    rows: list[dict[str, Any]] = result.get("result", [])
    return set(rows[0]["bindings"]["x"]) if rows else set()


def case_count(engine: regorus.Engine, tests: list[RegoTest]) -> int:
    """How many table rows the tests hold."""
    total = 0
    for package, table in {(t.package, table) for t in tests for table in t.table_rules}:
        value = engine.eval_rule(f"data.{package}.{table}")
        total += len(value) if isinstance(value, list | set) else 0
    return total

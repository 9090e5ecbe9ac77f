"""Every row-level rule that blocks a file is listed as person-level, so a file it blocks is
shown to no one (the policy's `airlock.read_file`); a new rule cannot be forgotten there."""

from __future__ import annotations

import ast
from pathlib import Path

from tre.sdc import rowlevel
from tre.sdc.rowlevel import PERSON_LEVEL_RULES


def _blocking_rules(module: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding":
            rule, severity = [*node.args, None, None][:2]
            if isinstance(severity, ast.Constant) and severity.value == "block":
                assert isinstance(rule, ast.Constant), "a rule name is a literal"
                found.add(str(rule.value))
    return found


def test_every_blocking_row_level_rule_is_person_level() -> None:
    blocking = _blocking_rules(Path(rowlevel.__file__))
    assert len(blocking) >= 8  # the scan found the rules
    assert blocking <= PERSON_LEVEL_RULES, sorted(blocking - PERSON_LEVEL_RULES)
    assert sorted(PERSON_LEVEL_RULES - blocking) == []  # and lists no rule that is not one

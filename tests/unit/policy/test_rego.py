"""Every Rego unit test under policies/ as its own pytest test, through the embedded engine.

Collection fails loudly when no Rego test is found; the table-driven cases must number at
least 100. A deliberately failing policy test proves the runner can fail.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import regorus

from tre.policy import regotest

POLICIES = Path(__file__).resolve().parents[3] / "policies"
TESTS = regotest.discover(POLICIES)
MIN_CASES = 100


@cache
def engine() -> regorus.Engine:
    return regotest.engine_with_tests(POLICIES)


def test_rego_tests_are_found() -> None:
    assert len(TESTS) >= 10, f"only {len(TESTS)} Rego tests found under {POLICIES}"
    assert {t.file.parent.name for t in TESTS} >= {"authz", "project", "airlock", "workspace"}


def test_at_least_100_policy_cases() -> None:
    assert regotest.case_count(engine(), TESTS) >= MIN_CASES


def test_every_policy_has_a_test_file_beside_it() -> None:
    for policy in POLICIES.rglob("*.rego"):
        if policy.name.endswith("_test.rego") or policy.parent.name == "testing":
            continue
        assert policy.with_name(f"{policy.stem}_test.rego").exists(), policy


def test_packages_match_directories() -> None:
    for policy in POLICIES.rglob("*.rego"):
        package = next(
            line.split()[1]
            for line in policy.read_text().splitlines()
            if line.startswith("package")
        )
        expected = ".".join(policy.parent.relative_to(POLICIES).parts)
        assert package.removesuffix("_test") == expected, policy


def test_no_future_keywords_import() -> None:
    for policy in POLICIES.rglob("*.rego"):
        assert "import rego.v1" not in policy.read_text(), policy
        assert "import future." not in policy.read_text(), policy


@pytest.mark.parametrize("rego_test", TESTS, ids=lambda t: t.name)
def test_rego(rego_test: regotest.RegoTest) -> None:
    passed, detail = regotest.run(engine(), rego_test)
    assert passed, detail


def test_runner_reports_failing_tests_and_rows(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "policies"
    shutil.copytree(POLICIES, copy)
    (copy / "tre" / "authz" / "broken_test.rego").write_text(
        """package tre.authz_test

import data.tre.testing as t

broken_cases := [
\t{"name": "anonymous may read the audit log", "input": {"action": "audit.read"}, "allow": true},
\t{"name": "admin reads", "input": {"action": "audit.read", "actor": t.admin}, "allow": true},
]

test_broken if count(t.failures(broken_cases)) == 0

test_false if false
"""
    )
    tests = {t.rule: t for t in regotest.discover(copy)}
    broken_engine = regotest.engine_with_tests(copy)
    passed, detail = regotest.run(broken_engine, tests["test_broken"])
    assert not passed
    assert "anonymous may read the audit log" in detail
    assert "admin reads" not in detail
    assert regotest.run(broken_engine, tests["test_false"])[0] is False
    assert regotest.run(broken_engine, tests["test_public"])[0]


def test_runner_finds_nothing_in_an_empty_tree(tmp_path: Path) -> None:
    assert regotest.discover(tmp_path) == []

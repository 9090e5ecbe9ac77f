"""The gate's route table against the documented one, and paths it must refuse unmatched.

docs/workspaces.md lists every route of the workspace image's single-user server with an
example path and the methods the gate passes; each row is checked here against
`tre.workspace.gate.routes.match` (tests/integration/workspace/test_browser_paths.py checks
that the running image has no route the table lacks).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tre.workspace.gate import routes

DOC = Path(__file__).resolve().parents[3] / "docs" / "workspaces.md"
METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS")


def documented_rows() -> list[tuple[str, str, set[str]]]:
    """(server pattern, example path, methods passed) for each row of the route table."""
    text = DOC.read_text()
    start = text.index("| server route | example | methods | how |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        pattern, example, methods = (c.strip("`").replace("\\|", "|") for c in cells[:3])
        rows.append((pattern, example, set() if methods == "—" else set(methods.split())))
    return rows


ROWS = documented_rows()


def test_table_is_long_enough_to_be_the_real_one() -> None:
    assert len(ROWS) > 50


@pytest.mark.parametrize(("pattern", "example", "methods"), ROWS, ids=[r[1] for r in ROWS])
def test_gate_passes_exactly_the_documented_methods(
    pattern: str, example: str, methods: set[str]
) -> None:
    if example == "—":  # outside the server prefix: never routed to a workspace
        assert not methods
        return
    path = routes.canonical(example.removeprefix("/"))
    passed = {m for m in METHODS if routes.match(m, path) is not None}
    assert passed == methods, pattern


@pytest.mark.parametrize(
    "rest",
    [
        "api/contents/a.py/../big.csv",
        "api/contents/a.py/%2e%2e/big.csv",
        "api/contents/a.py%2F..%2Fbig.csv",
        "api/contents//big.csv",
        "api/contents/./big.csv",
        "static/lab/..%2F..%2Fhome",
        "api/contents/a%00.py",
        "api/contents/a%5C..%5Cb.py",
    ],
)
def test_ambiguous_paths_are_refused_before_matching(rest: str) -> None:
    with pytest.raises(routes.NotCanonical):
        routes.canonical(rest)


def test_contents_path_is_the_file_below_the_route() -> None:
    assert routes.contents_path("api/contents/work/a b.py") == "work/a b.py"
    assert routes.contents_path("api/contents") == ""

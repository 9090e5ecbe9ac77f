"""The reference docs are generated from the code; fail when they are stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("target", ["docs/cli.md", "docs/settings.md"])
def test_generated_docs_are_current(target: str) -> None:
    expected = _generator().TARGETS[target]()
    actual = (ROOT / target).read_text() if (ROOT / target).exists() else ""
    assert actual == expected, f"{target} is stale: run `make docs`"


def test_every_setting_is_documented() -> None:
    from tre.config import FILE_ONLY, Settings

    text = (ROOT / "docs" / "settings.md").read_text()
    for name in Settings.model_fields:
        if name in FILE_ONLY:  # not settable from the environment, and said so
            assert f"| `{name}` | (tre.toml only) |" in text
        else:
            assert f"`TRE_{name.upper()}`" in text

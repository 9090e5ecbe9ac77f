"""The skeleton: settings, `tre init`, user errors without tracebacks."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tre.cli import main
from tre.config import load_settings
from tre.errors import ConfigError


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    return int(info.value.code or 0)


def test_init_creates_key_with_mode_0600_and_is_idempotent(tre_home: Path) -> None:
    assert run(["init"]) == 0
    key_path = tre_home / "keys" / "lake.key"
    key = key_path.read_bytes()
    assert len(key) == 32
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert run(["init"]) == 0
    assert key_path.read_bytes() == key, "a second init must not replace the key"


def test_two_homes_get_different_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = []
    for name in ("a", "b"):
        monkeypatch.setenv("TRE_HOME", str(tmp_path / name))
        assert run(["init"]) == 0
        keys.append((tmp_path / name / "keys" / "lake.key").read_bytes())
    assert keys[0] != keys[1]


def test_settings_from_toml_and_env(tre_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tre_home.mkdir(parents=True, exist_ok=True)
    (tre_home / "tre.toml").write_text("hub_port = 8123\nidle_timeout_seconds = 60\n")
    settings = load_settings()
    assert settings.hub_port == 8123
    assert settings.idle_timeout_seconds == 60
    monkeypatch.setenv("TRE_HUB_PORT", "8124")
    assert load_settings().hub_port == 8124


def test_bad_setting_is_a_config_error_with_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRE_HUB_PORT", "99999")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "hub_port" in str(info.value)
    assert "docs/settings.md" in str(info.value)


def test_user_error_prints_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRE_HUB_PORT", "0")
    assert run(["init"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ConfigError: ")
    assert "Traceback" not in err


def test_missing_lake_key_says_run_init() -> None:
    with pytest.raises(ConfigError, match="tre init"):
        load_settings().read_lake_key()

"""Which proxy the hub runs: the locked Node proxy, a configured one, or a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config import Config

from tre.config import load_settings
from tre.errors import ConfigError
from tre.workspace import proxy
from tre.workspace.hub import HubOptions, configure


def test_the_hub_runs_the_locked_node_proxy(tre_home: Path) -> None:
    c = Config()
    configure(c, HubOptions(gateway="127.0.0.1", tre_home=str(tre_home)).to_json())
    assert c.ConfigurableHTTPProxy.command == [str(proxy.LOCKED_PROXY)]
    # Installed by `npm ci` from the committed lock, not the PyPI port of the same name.
    assert proxy.LOCKED_PROXY.resolve().is_relative_to(proxy.PROXY_DIR / "node_modules")
    assert (proxy.PROXY_DIR / "package-lock.json").exists()


def test_a_missing_proxy_says_how_to_install_it(
    tre_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(proxy, "LOCKED_PROXY", tmp_path / "absent" / "configurable-http-proxy")
    with pytest.raises(ConfigError) as raised:
        proxy.proxy_command(load_settings(home=tre_home))
    assert "not installed" in str(raised.value)
    assert "make install" in str(raised.value)


def test_a_configured_proxy_must_be_an_executable(
    tre_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    program = tmp_path / "chp"
    program.write_text("#!/bin/sh\n")
    monkeypatch.setenv("TRE_PROXY_COMMAND", str(program))
    with pytest.raises(ConfigError, match="not an executable"):
        proxy.proxy_command(load_settings(home=tre_home))
    program.chmod(0o755)
    assert proxy.proxy_command(load_settings(home=tre_home)) == [str(program)]


def test_without_node_the_proxy_cannot_run(
    tre_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match=r"Node\.js"):
        proxy.proxy_command(load_settings(home=tre_home))

"""Image build helpers that run without an engine: the tre wheel, wheel tags, and the clear
error when no Docker engine answers (a socket that does not exist)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tre.cli import main
from tre.workspace.image import DockerUnavailable, docker_client, images_dir, wheel_platforms
from tre.workspace.wheel import build_tre_wheel


def test_tre_wheel_is_reproducible_and_holds_the_extension(tmp_path: Path) -> None:
    first = build_tre_wheel(tmp_path / "a")
    second = build_tre_wheel(tmp_path / "b")
    assert first.name == second.name
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = set(archive.namelist())
        record = archive.read(next(n for n in names if n.endswith("/RECORD"))).decode()
    assert "tre/workspace/serverext.py" in names
    assert "tre/i18n.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert "tre/workspace/serverext.py,sha256=" in record


def test_rebuilding_an_unchanged_wheel_keeps_the_file(tmp_path: Path) -> None:
    wheel = build_tre_wheel(tmp_path)
    before = wheel.stat().st_mtime_ns
    assert build_tre_wheel(tmp_path) == wheel
    assert wheel.stat().st_mtime_ns == before
    assert [p.name for p in tmp_path.iterdir()] == [wheel.name]


def test_wheel_platforms_cover_manylinux_up_to_the_base_glibc() -> None:
    tags = wheel_platforms()
    assert any(t.startswith("manylinux_2_36_") for t in tags)
    assert any(t.startswith("manylinux_2_17_") for t in tags)
    assert any(t.startswith("manylinux2014_") for t in tags)


def test_recipes_are_found() -> None:
    images = images_dir()
    assert (images / "base" / "build.sh").is_file()
    assert (images / "workspace" / "requirements.txt").is_file()


def test_no_engine_is_a_clear_user_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-such.sock'}")
    with pytest.raises(DockerUnavailable, match="No Docker engine answers"):
        docker_client()
    with pytest.raises(SystemExit) as exit_info:
        main(["image", "build", "--json"])
    assert exit_info.value.code != 0
    body = json.loads(capsys.readouterr().out)
    assert body["error"] == "DockerUnavailable"
    assert "dockerd" in body["message"]

"""Build directories: atomic switch of `current`, what garbage collection keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from tre.config import load_settings
from tre.errors import UserError
from tre.extract import layout


def _build(settings, project: str) -> str:  # type: ignore[no-untyped-def]
    build_id = layout.new_build_id()
    tmp = layout.builds_dir(settings, project) / f"{layout.TMP_PREFIX}{build_id}"
    tmp.mkdir(parents=True)
    (tmp / "manifest.json").write_text("{}")
    layout.publish(settings, project, tmp, build_id)
    return build_id


def test_switch_keep_current_previous_and_provided(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    first, second, third = (_build(settings, "p-1") for _ in range(3))
    assert layout.current_build(settings, "p-1") == third
    assert layout.in_use_builds(settings, "p-1") == {second, third}
    monkeypatch.setattr(layout, "_providers", [])
    layout.register_in_use_provider(lambda _s, project: {first} if project == "p-1" else set())
    stale = layout.builds_dir(settings, "p-1") / f"{layout.TMP_PREFIX}x"
    stale.mkdir()
    with layout.project_lock(settings, "p-1"):
        removed = layout.collect_garbage(settings, "p-1")
    assert removed == [stale.name]
    monkeypatch.setattr(layout, "_providers", [])
    with layout.project_lock(settings, "p-1"):
        assert layout.collect_garbage(settings, "p-1") == [first]
    current = layout.current_path(settings, "p-1")
    assert current is not None and (current / "manifest.json").is_file()
    link = settings.extracts_path / "p-1" / "current"
    assert link.is_symlink() and not Path(link.readlink()).is_absolute()


def test_one_build_at_a_time_and_ids_checked() -> None:
    settings = load_settings()
    with (
        layout.project_lock(settings, "p-2"),
        pytest.raises(layout.ExtractBusy),
        layout.project_lock(settings, "p-2"),
    ):
        pass
    with pytest.raises(UserError):
        layout.project_dir(settings, "../etc")

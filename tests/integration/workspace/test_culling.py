"""An idle project server is stopped by the hub's idle-culler service (short timeout here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_workspace import server_state, start_server, wait_for
from ws_hub import HubEnv, make_world, start_hub

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def culling_hub(tmp_path: Path) -> Iterator[HubEnv]:
    home = tmp_path / "culled-home"
    make_world(home)
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from start_hub(
            home,
            monkeypatch,
            idle_timeout_seconds=10,
            cull_every_seconds=3,
            operator_interval_seconds=3600,
        )


def test_idle_server_is_culled(culling_hub: HubEnv) -> None:
    assert start_server(culling_hub, "alice", "p-1").status_code in (201, 202)
    assert server_state(culling_hub, "alice", "p-1") == "ready"
    wait_for(lambda: server_state(culling_hub, "alice", "p-1") is None, 120)

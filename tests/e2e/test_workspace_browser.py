"""JupyterLab in a real browser, through the hub's proxy and the workspace gate.

Signs in as an analyst, opens the project's workspace, writes and runs a cell, sees its output
and saves the notebook: normal work passes every rule of the gate (JupyterLab's files are
hash-checked, the rest capped and metered). Opening a CSV file instead shows JupyterLab's
error with the server's message pointing to the airlock, and the file's rows never reach the
page.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "workspace"))

from ws_hub import PASSWORD, HubEnv, make_world, start_hub  # noqa: E402

from tre.workspace.spawner import project_paths  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.timeout(600)]
MARKER = "row-marker-93b1"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubEnv]:
    home = tmp_path_factory.mktemp("lab") / "tre-home"
    make_world(home)
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from start_hub(home, monkeypatch, operator_interval_seconds=3600)


def test_jupyterlab_works_through_the_gate_and_refuses_data(hub: HubEnv, browser: Any) -> None:
    admin = {"Authorization": f"token {hub.hub.token}"}
    httpx.post(f"{hub.hub.api_url}/users/alice", headers=admin, timeout=30)
    home, _outputs = project_paths(hub.settings, "p-1", "alice")
    home.mkdir(parents=True, exist_ok=True)
    rows = home / "rows.csv"
    rows.write_text("person,year\n" + f"{MARKER},1950\n" * 1000)
    os.chown(home, 1000, 1000)
    os.chown(rows, 1000, 1000)

    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="en-GB")
    page = context.new_page()
    bodies: list[str] = []

    def keep(response: Any) -> None:
        with contextlib.suppress(Exception):  # binary answers: not text the rows could be in
            bodies.append(response.text())

    page.on("response", keep)
    page.goto(f"{hub.hub.public_url}/hub/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("[type=submit]")
    page.goto(f"{hub.hub.public_url}/hub/spawn/alice/p-1")
    page.wait_for_url("**/user/alice/p-1/lab**", timeout=180_000)
    page.wait_for_selector(".jp-LauncherCard", timeout=120_000)

    page.click(".jp-LauncherCard[data-category='Notebook']")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # The kernel is connected (through the gate) once the status bar says so.
    page.wait_for_selector(".jp-StatusBar-Item >> text=/\\| Idle/", timeout=120_000)
    page.click(".jp-Notebook .jp-Cell .cm-content")
    page.keyboard.type("print('sum', 20 + 22)")
    page.keyboard.press("Shift+Enter")
    page.wait_for_selector(".jp-OutputArea-output >> text=sum 42", timeout=60_000)
    page.keyboard.press("Control+s")
    page.wait_for_selector(".jp-DirListing-item[title*='Untitled.ipynb']", timeout=30_000)

    page.goto(f"{hub.hub.public_url}/user/alice/p-1/lab/tree/rows.csv")
    dialog = page.wait_for_selector(".jp-Dialog-content", timeout=120_000)
    assert "airlock" in dialog.inner_text()
    assert not any(MARKER in body for body in bodies)
    context.close()

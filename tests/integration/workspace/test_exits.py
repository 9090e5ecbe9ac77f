"""A starting server learns from Docker's event stream that its container died (no polling)."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import docker
import pytest
from ws_hub import TEST_LABELS, cleanup_by_label

from tre.workspace.exits import ContainerExits

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]


def test_a_dying_container_resolves_its_watch_with_the_exit_code() -> None:
    image = os.environ.get("TRE_TEST_WORKSPACE_IMAGE", "tre-workspace:latest")
    client = docker.from_env()
    labels = {"tre.workspace": "1", **TEST_LABELS}
    exits = ContainerExits(lambda: docker.APIClient(), label="tre.workspace=1")

    async def run() -> tuple[int, bool]:
        dying = client.containers.create(image, ["sh", "-c", "exit 3"], labels=labels)
        living = client.containers.create(image, ["sleep", "60"], labels=labels)
        died, lives = exits.watch(dying.id), exits.watch(living.id)
        living.start()
        dying.start()
        # A guard against hanging, not a measure: the event arrives within milliseconds.
        code = await asyncio.wait_for(died, timeout=60)
        still_waiting = not lives.done()
        exits.forget(living.id)
        return code, still_waiting

    try:
        # On a thread of its own: the main thread may already run a loop (Playwright's sync
        # API keeps one running there for the whole session once a browser test has run).
        with ThreadPoolExecutor(1) as pool:
            code, still_waiting = pool.submit(asyncio.run, run()).result()
    finally:
        cleanup_by_label()
    assert code == 3
    assert still_waiting  # another container's watch is untouched

"""Starts overlap: the spawner's Docker calls do not wait for one another."""

from __future__ import annotations

import threading

from tre.workspace.spawner import TreSpawner


def test_docker_calls_of_overlapping_starts_run_at_the_same_time() -> None:
    spawner = TreSpawner(docker_threads=4)
    assert spawner.client_kwargs["max_pool_size"] == 4  # a pooled connection per thread
    # Four calls that can only finish together: with DockerSpawner's one thread, the first
    # would wait at the barrier for ever (here: until it breaks) and the others never start.
    together = threading.Barrier(4, timeout=30)
    futures = [spawner.executor.submit(together.wait) for _ in range(4)]
    assert sorted(f.result() for f in futures) == [0, 1, 2, 3]


def test_every_spawner_shares_one_pool() -> None:
    assert TreSpawner().executor is TreSpawner().executor

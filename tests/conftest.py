"""Shared fixtures: every test gets its own TRE_HOME; real-service markers skip or fail;
the command line acts as `test-admin` through a mapping in tre.toml, as a deployment's
operator would (tests/cli_accounts.py; none inherits TRE_USER or a token).

Tests marked `docker`, `postgres`, `browser` or `native` skip with a reason when the service
(or, for `native`, a C compiler and OpenSSL headers) is not there, unless TRE_REQUIRE_DOCKER /
TRE_REQUIRE_POSTGRES / TRE_REQUIRE_BROWSER / TRE_REQUIRE_NATIVE is 1 (as in CI), in which case
they fail instead: nothing that should run is silently skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from cli_accounts import allow_cli

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SYNTHEA_BUNDLES = SHARED_DATA / "fhir-synthea" / "generated-sample-data-r4"
SYNTHEA_BULK = SHARED_DATA / "fhir-synthea" / "sample-bulk-10-patients"


@cache
def docker_available() -> str | None:
    """None when a Docker engine answers, else the reason it does not."""
    try:
        import docker

        docker.from_env(timeout=5).ping()
    except Exception as exc:
        return f"no Docker engine ({type(exc).__name__}); install docker.io and start dockerd"
    return None


def postgres_url() -> str | None:
    return os.environ.get("TRE_TEST_POSTGRES_URL")


@cache
def postgres_available() -> str | None:
    url = postgres_url()
    if not url:
        return "TRE_TEST_POSTGRES_URL is not set (CI sets it after starting PostgreSQL)"
    try:
        import sqlalchemy

        engine = sqlalchemy.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at TRE_TEST_POSTGRES_URL does not answer ({type(exc).__name__})"
    return None


@cache
def browser_available() -> str | None:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        return "no Chromium; apt-get install chromium"
    try:
        subprocess.run([path, "--version"], check=True, capture_output=True, timeout=30)
    except Exception as exc:
        return f"Chromium does not start ({type(exc).__name__})"
    return None


@cache
def native_available() -> str | None:
    from tre import native

    reason = native.status()
    return None if reason == "native" else f"native HMAC extension unavailable: {reason}"


_REQUIREMENTS = {
    "docker": ("TRE_REQUIRE_DOCKER", docker_available),
    "postgres": ("TRE_REQUIRE_POSTGRES", postgres_available),
    "browser": ("TRE_REQUIRE_BROWSER", browser_available),
    "native": ("TRE_REQUIRE_NATIVE", native_available),
}


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, (env, probe) in _REQUIREMENTS.items():
        if item.get_closest_marker(marker) is None:
            continue
        reason = probe()
        if reason is None:
            continue
        if os.environ.get(env) == "1":
            pytest.fail(f"{env}=1 but {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def tre_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point every TRE path at a fresh directory of the test's own (beside its tmp_path, which
    stays the test's alone: TRE_HOME exists from the start, holding tre.toml)."""
    home = tmp_path_factory.mktemp("tre-home")
    monkeypatch.setenv("TRE_HOME", str(home))
    monkeypatch.delenv("TRE_CONFIG", raising=False)
    monkeypatch.delenv("TRE_DATABASE_URL", raising=False)
    for variable in ("TRE_USER", "TRE_HUB_TOKEN", "TRE_CLI_ACCOUNTS"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TRE_LOCALE", "en")
    # The command line acts as test-admin, as for an operator mapped to it in tre.toml.
    allow_cli(home, "test-admin")
    yield home


@pytest.fixture
def synthea_bundles() -> Path:
    assert SYNTHEA_BUNDLES.is_dir(), f"shared test data missing at {SYNTHEA_BUNDLES}"
    return SYNTHEA_BUNDLES


@pytest.fixture
def synthea_bulk() -> Path:
    assert SYNTHEA_BULK.is_dir(), f"shared test data missing at {SYNTHEA_BULK}"
    return SYNTHEA_BULK

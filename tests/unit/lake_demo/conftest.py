"""The command line's ingest and opt-out ask the policy: `test-admin`, whom the tests' account
is mapped to, is an admin in the control database here."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_accounts import admin_in_database


@pytest.fixture(autouse=True)
def cli_admin(tre_home: Path) -> None:
    admin_in_database(tre_home)

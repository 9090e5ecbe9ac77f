"""An HTTP client on the portal (FastAPI TestClient), signed in through the test-only login."""

from __future__ import annotations

import re
import warnings

from tre.config import Settings
from tre.web.app import create_app

with warnings.catch_warnings():  # starlette warns that it prefers httpx2 (not installed)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

COUNTS = "sex,n\nF,150\nM,150\n"

__all__ = ["COUNTS", "TestClient", "client_for", "csrf"]


def client_for(settings: Settings, user: str | None) -> TestClient:
    """A client signed in as `user` (needs TRE_PORTAL_TEST_LOGIN_INSECURE=1), or anonymous."""
    client = TestClient(create_app(settings))
    if user:
        r = client.post("/test-login", data={"username": user, "next": "/"})
        assert r.status_code in (200, 303)
    return client


def csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found
    return found.group(1)

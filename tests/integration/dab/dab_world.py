"""A small real world for the data access body's pages: a lake of synthetic FHIR patients
(ingested once per test session, copied for each test), people, and the portal's test sign-in.
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest

from tre.config import Settings, load_settings
from tre.db import dispose_engines, init_db
from tre.web.app import create_app

with warnings.catch_warnings():  # starlette warns that it prefers httpx2 (not installed)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SOURCE = "demo"
PATIENTS = 40
PEOPLE = {
    "ada": ["admin"],
    "appy": ["approver"],
    "lena": ["analyst"],
    "ana": ["analyst"],
    "chk": ["output_checker"],
    "hosp": ["data_holder"],
}


def build_template(root: Path) -> Path:
    """TRE home with the lake key, control database and an ingested lake; returned path."""
    from tre.cli.init import initialise
    from tre.lake.ingest import ingest_fhir
    from tre.lake.synth import write_demo_data

    home = root / "home"
    settings = load_settings(home=home)
    initialise(settings)
    data = root / "fhir"
    write_demo_data(data, PATIENTS, 7)
    ingest_fhir(settings, [data], SOURCE, actor="test-admin")
    dispose_engines()
    return home


def make_world(template: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    from tre import users

    shutil.copytree(template, home, symlinks=True)
    monkeypatch.setenv("TRE_HOME", str(home))
    monkeypatch.setenv("TRE_PORTAL_TEST_LOGIN_INSECURE", "1")
    settings = load_settings()
    init_db(settings)
    users.add_user(settings, "ada", "ada", ["admin"])
    for name, roles in PEOPLE.items():
        if name != "ada":
            users.add_user(settings, "ada", name, roles)
    return settings


def patient_ids(template: Path, n: int = 3) -> list[str]:
    """Source ids of the first patients of the lake's input (what a data holder knows)."""
    import json

    with (template.parent / "fhir" / "Patient.ndjson").open() as fh:
        return [json.loads(next(fh))["id"] for _ in range(n)]


def client(settings: Settings, user: str | None = None, peer: str = "127.0.0.1") -> TestClient:
    """A browser on the portal; by default behind the hub's proxy (a loopback peer)."""
    c = TestClient(create_app(settings), client=(peer, 50000))
    if user:
        r = c.post("/test-login", data={"username": user, "next": "/"}, follow_redirects=False)
        assert r.status_code == 303
    return c


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "no form with a CSRF token on the page"
    return found.group(1)


def application_form(**changes: Any) -> dict[str, Any]:
    """A complete application as the portal's form posts it."""
    form: dict[str, Any] = {
        "title": "Diabetes care by region",
        "organisation": "University of Example",
        "lay_summary": "How diabetes care differs between regions, from synthetic records.",
        "purpose": "scientific_research",
        "purpose_description": "Compare care pathways for diabetes between regions.",
        "lawful_basis": "public_interest",
        "expected_outputs": "Aggregate tables by region.",
        "team": "ana",
        "period_start": "2025-01-01",
        "period_end": "2099-12-31",
        "tier": "standard",
        "columns": [
            "demo.patient::person_id",
            "demo.patient::gender",
            "demo.patient::region",
            "demo.condition::person_id",
            "demo.condition::code",
        ],
        "action": "submit",
    }
    form.update(changes)
    return form

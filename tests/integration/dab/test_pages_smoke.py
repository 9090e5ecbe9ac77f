"""Every new page answers for the people it is for (a first guard against template errors)."""

from __future__ import annotations

from dab_world import client

from tre.config import Settings


def test_pages_render(world: Settings) -> None:
    for user, paths in {
        None: ["/patients", "/register", "/"],
        "lena": ["/applications", "/applications/new", "/notices"],
        "appy": ["/review"],
        "ada": ["/admin", "/admin/users", "/admin/audit", "/admin/ingests", "/admin/patient-codes"],
    }.items():
        c = client(world, user)
        for path in paths:
            r = c.get(path)
            assert r.status_code == 200, (path, r.text[:2000])

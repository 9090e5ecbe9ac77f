"""The hub configuration that `tre up` writes: roles that the portal's sign-in depends on."""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

from tre.workspace.hub import PORTAL_SERVICE, HubOptions, configure


def _configured(tre_home: Path, portal: bool) -> Config:
    c = Config()
    options = HubOptions(gateway="127.0.0.1", tre_home=str(tre_home), portal=portal)
    configure(c, options.to_json())
    return c


def test_every_user_may_sign_in_to_the_portal(tre_home: Path) -> None:
    # Without this scope the hub refuses the portal's OAuth step with 403 for everyone.
    roles = {
        role["name"]: role for role in _configured(tre_home, portal=True).JupyterHub.load_roles
    }
    assert f"access:services!service={PORTAL_SERVICE}" in roles["user"]["scopes"]
    assert "self" in roles["user"]["scopes"]
    assert not any(s.startswith("admin") for s in roles["user"]["scopes"])


def test_portal_service_is_registered_with_a_read_only_role(tre_home: Path) -> None:
    c = _configured(tre_home, portal=True)
    names = [service["name"] for service in c.JupyterHub.services]
    assert PORTAL_SERVICE in names
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert set(roles["portal"]["scopes"]) == {"read:users", "list:users"}


def test_without_portal_no_portal_service(tre_home: Path) -> None:
    c = _configured(tre_home, portal=False)
    assert PORTAL_SERVICE not in [service["name"] for service in c.JupyterHub.services]

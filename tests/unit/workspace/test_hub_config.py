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


def test_every_server_is_reached_through_the_gate(tre_home: Path) -> None:
    from tre.workspace.hub import GATE_SERVICE

    c = _configured(tre_home, portal=False)
    gate = next(s for s in c.JupyterHub.services if s["name"] == GATE_SERVICE)
    assert "url" not in gate  # the proxy routes no path of its own to it
    assert gate["command"][1:3] == ["-m", "tre.workspace.gate"]
    assert "--port=8002" in gate["command"]
    assert c.TreSpawner.gate_url == "http://127.0.0.1:8002"
    labels = c.DockerSpawner.extra_create_kwargs["labels"]
    assert labels["tre.workspace.user"] == "{raw_username}"
    assert labels["tre.workspace.project"] == "{raw_servername}"
    assert not any(role.get("services") == [GATE_SERVICE] for role in c.JupyterHub.load_roles)

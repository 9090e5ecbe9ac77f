"""Keep the hub in step with governance: groups from membership, no server without a right.

`stop_unauthorised(settings)` stops every running project server whose user may no longer start
it (member removed, permit revoked or expired, project revoked). The governance commands call it
after a revocation or removal (`notify_hub`), and the `tre-operator` hub service runs it with
`sync_groups` every few seconds (`python -m tre.workspace.enforce --interval N`), so nothing
depends on a command line reaching the hub. The same loop deletes the extracts of projects
whose right to them has ended (`tre.extract.service.delete_lapsed_extracts`), records the
warnings before a permit ends (`tre.permits.warn_expiring`), sends notices by e-mail when SMTP
is set (`tre.notices.mail.send_pending`), and signs an audit checkpoint when one is due
(`tre.checkpoint.publish.sign_when_due`: with an `audit_checkpoint_interval_seconds`, events
after the last signed change are covered here).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import httpx

from tre.checkpoint import publish
from tre.config import Settings, load_settings
from tre.extract.service import delete_lapsed_extracts
from tre.notices.mail import send_pending
from tre.permits import warn_expiring
from tre.workspace import access, governance
from tre.workspace.hub import hub_api_url, operator_token

log = logging.getLogger("tre.workspace.enforce")

AccessCheck = Callable[[Settings, str, str], list[str]]
DEFAULT_CHECK = "tre.workspace.access:start_reasons"


def load_check(spec: str) -> AccessCheck:
    module, _, name = spec.partition(":")
    check: AccessCheck = getattr(importlib.import_module(module), name)
    return check


class HubClient:
    """The few hub REST API calls the TRE makes, with the operator's admin token."""

    def __init__(self, api_url: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.http.request(method, path, **kwargs)
        resp.raise_for_status()
        return resp.json() if resp.content else None

    def running_servers(self) -> list[tuple[str, str]]:
        users = self.request("GET", "/users", params={"state": "active", "limit": 10000})
        return [
            (user["name"], name)
            for user in users
            for name, server in (user.get("servers") or {}).items()
            if name and (server.get("ready") or server.get("pending") == "spawn")
        ]

    def stop_server(self, username: str, server_name: str) -> None:
        self.request("DELETE", f"/users/{username}/servers/{server_name}")


def stop_unauthorised(
    settings: Settings,
    hub: HubClient | None = None,
    check: AccessCheck = access.start_reasons,
) -> list[tuple[str, str]]:
    """Stop running servers whose user may no longer start them; return (user, project) pairs."""
    if hub is None:
        url = hub_api_url(settings)
        if url is None:
            return []
        with HubClient(url, operator_token(settings)) as client:
            return stop_unauthorised(settings, client, check)
    stopped = []
    for username, project_id in hub.running_servers():
        if check(settings, username, project_id):
            log.info("stopping %s's workspace %s: no longer allowed", username, project_id)
            hub.stop_server(username, project_id)
            stopped.append((username, project_id))
    return stopped


def sync_groups(settings: Settings, hub: HubClient) -> None:
    """One hub group per project (`project-<id>`) holding its members that have hub accounts."""
    wanted = {
        f"project-{pid}": set(members) for pid, members in governance.members(settings).items()
    }
    existing = {g["name"]: set(g["users"]) for g in hub.request("GET", "/groups")}
    hub_users = {u["name"] for u in hub.request("GET", "/users", params={"limit": 10000})}
    for group, members in wanted.items():
        members &= hub_users
        if group not in existing:
            hub.request("POST", f"/groups/{group}", json={"users": sorted(members)})
            continue
        if add := members - existing[group]:
            hub.request("POST", f"/groups/{group}/users", json={"users": sorted(add)})
        if remove := existing[group] - members:
            hub.request("DELETE", f"/groups/{group}/users", json={"users": sorted(remove)})
    for group in existing.keys() - wanted.keys():
        if group.startswith("project-"):
            hub.request("DELETE", f"/groups/{group}")


def revoke_project(settings: Settings, actor: str, project_id: str, reason: str) -> dict[str, Any]:
    """Revoke the project and its permit, stop its workspaces, delete its extract (its
    members' scripts and outputs stay). The command line and the portal both do this."""
    from tre import projects
    from tre.extract.service import delete_extract

    result = projects.revoke(settings, actor, project_id, reason)
    notify_hub(settings)
    result["extract"] = delete_extract(settings, project_id, actor)
    return result


def notify_hub(settings: Settings) -> list[tuple[str, str]]:
    """After a revocation or removal: stop what must stop now, if a hub is running here."""
    try:
        return stop_unauthorised(settings)
    except httpx.HTTPError as exc:
        log.warning("hub not reachable (%s); its operator service will stop servers", exc)
        return []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interval", type=float, default=30)
    parser.add_argument("--check", default=DEFAULT_CHECK)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[tre-operator] %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one line per API call
    settings = load_settings()
    check = load_check(args.check)
    api_url = os.environ["JUPYTERHUB_API_URL"]
    token = os.environ["JUPYTERHUB_API_TOKEN"]
    with HubClient(api_url, token) as hub:
        while True:
            for step in (
                lambda: sync_groups(settings, hub),
                lambda: stop_unauthorised(settings, hub, check),
                lambda: delete_lapsed_extracts(settings),
                lambda: publish.sign_when_due(settings),  # events left after the interval
                lambda: warn_expiring(settings),
                lambda: send_pending(settings),
            ):
                try:
                    step()
                except httpx.HTTPStatusError as exc:  # say which call, never a body
                    request = exc.request
                    log.warning(
                        "operator step failed: %s %s answered %s",
                        request.method,
                        request.url.path,
                        exc.response.status_code,
                    )
                except Exception as exc:  # keep the loop alive; the next round retries
                    log.warning("operator step failed: %s", type(exc).__name__)
            time.sleep(args.interval)


if __name__ == "__main__":
    main()

"""The workspace network: an internal Docker bridge that reaches the hub API and nothing else.

Three layers, each idempotent and each removed by `teardown`:

1. An `--internal` Docker network with inter-container traffic off (`enable_icc=false`):
   Docker drops forwarding out of the bridge and between containers on it.
2. A packet-filter chain on the host (`TRE-<bridge>`, jumped to from INPUT for packets arriving
   on the bridge) that admits only the hub API port on the gateway address, plus replies to
   connections the host opened (the proxy and the hub reaching the servers). IPv6 from the
   bridge is dropped altogether.
3. After a container starts, its default route is deleted inside its network namespace
   (`nsenter --net`), since Docker 20.10 still gives containers on internal networks one.

Everything created carries the label / comment `tre` (and any extra labels passed, e.g.
`tre.test=<run>`), so it can be found and removed by label. Needs root on the host (iptables,
nsenter); containers themselves get no capability.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors

log = logging.getLogger(__name__)

LABEL = "tre.workspace-network"
RULE_COMMENT = "tre-workspace"


@dataclass(frozen=True)
class WorkspaceNetwork:
    """What the hub needs to know about the network its servers live on."""

    name: str
    bridge: str
    subnet: str
    gateway: str

    @property
    def chain(self) -> str:
        return f"TRE-{self.bridge}"[:28]


def bridge_name_for(network_name: str) -> str:
    """A Linux interface name (at most 15 characters) derived from the network's name."""
    tail = network_name.removeprefix("tre-")
    return f"tre-{tail}"[:15]


def ensure_network(
    client: docker.DockerClient,
    name: str,
    *,
    subnet: str | None = None,
    labels: dict[str, str] | None = None,
) -> WorkspaceNetwork:
    """Create the internal, icc-off network `name` unless it exists; return its addresses."""
    try:
        net = client.networks.get(name)
    except docker.errors.NotFound:
        ipam = None
        if subnet:
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
        net = client.networks.create(
            name,
            driver="bridge",
            internal=True,
            check_duplicate=True,
            ipam=ipam,
            options={
                "com.docker.network.bridge.enable_icc": "false",
                "com.docker.network.bridge.name": bridge_name_for(name),
            },
            labels={LABEL: "1", **(labels or {})},
        )
        net.reload()
    attrs: dict[str, Any] = net.attrs
    options = attrs.get("Options") or {}
    if not attrs.get("Internal") or options.get("com.docker.network.bridge.enable_icc") != "false":
        raise RuntimeError(
            f"Docker network {name} exists but is not internal with inter-container traffic off;"
            " remove it (docker network rm) and start again."
        )
    config = (attrs.get("IPAM") or {}).get("Config") or []
    if not config or "Gateway" not in config[0]:
        raise RuntimeError(f"Docker network {name} has no IPv4 gateway.")
    return WorkspaceNetwork(
        name=name,
        bridge=options.get("com.docker.network.bridge.name") or f"br-{attrs['Id'][:12]}",
        subnet=config[0]["Subnet"],
        gateway=config[0]["Gateway"],
    )


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def _iptables(binary: str) -> str:
    path = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")
    if path is None:
        raise RuntimeError(f"{binary} is not installed; apt-get install iptables.")
    return path


def install_firewall(net: WorkspaceNetwork, hub_api_port: int) -> None:
    """Admit only `gateway:hub_api_port` (and replies) from the bridge to the host. Idempotent."""
    for binary, rules in (
        (
            "iptables",
            [
                ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
                ["-p", "tcp", "-d", net.gateway, "--dport", str(hub_api_port), "-j", "ACCEPT"],
                ["-j", "DROP"],
            ],
        ),
        (
            "ip6tables",
            [
                ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
                ["-j", "DROP"],
            ],
        ),
    ):
        ipt = _iptables(binary)
        # Create (or empty) the chain, then fill it: the same result however often it runs.
        if _run(ipt, "-w", "-N", net.chain, check=False).returncode != 0:
            _run(ipt, "-w", "-F", net.chain)
        for rule in rules:
            _run(ipt, "-w", "-A", net.chain, *rule, "-m", "comment", "--comment", RULE_COMMENT)
        jump = _jump_rule(net)
        if _run(ipt, "-w", "-C", *jump, check=False).returncode != 0:
            _run(ipt, "-w", "-I", *jump)
    log.info("packet filter %s admits only port %s on %s", net.chain, hub_api_port, net.gateway)


def _jump_rule(net: WorkspaceNetwork) -> list[str]:
    """The INPUT rule that sends traffic from the workspace bridge to the TRE chain."""
    return ["INPUT", "-i", net.bridge, "-j", net.chain, "-m", "comment", "--comment", RULE_COMMENT]


def remove_firewall(net: WorkspaceNetwork) -> None:
    """Remove the jump and the chain. Safe to call when they are already gone."""
    for binary in ("iptables", "ip6tables"):
        try:
            ipt = _iptables(binary)
        except RuntimeError:
            continue
        jump = _jump_rule(net)
        while _run(ipt, "-w", "-D", *jump, check=False).returncode == 0:
            pass
        _run(ipt, "-w", "-F", net.chain, check=False)
        _run(ipt, "-w", "-X", net.chain, check=False)


def remove_default_route(pid: int) -> None:
    """Delete the default routes inside the network namespace of process `pid` (a container)."""
    if pid <= 0:
        raise RuntimeError("the container is not running; cannot remove its default route")
    for family in ("-4", "-6"):
        while True:
            shown = _run(
                "nsenter", "-t", str(pid), "--net", "ip", family, "route", "show", "default"
            )
            if not shown.stdout.strip():
                break
            _run("nsenter", "-t", str(pid), "--net", "ip", family, "route", "del", "default")


def routes(pid: int) -> str:
    """The routing table inside `pid`'s network namespace (for checks and diagnostics)."""
    return _run("nsenter", "-t", str(pid), "--net", "ip", "route", "show").stdout


def setup(
    client: docker.DockerClient,
    name: str,
    hub_api_port: int,
    *,
    subnet: str | None = None,
    labels: dict[str, str] | None = None,
) -> WorkspaceNetwork:
    """Network plus packet filter, ready for servers. Idempotent."""
    net = ensure_network(client, name, subnet=subnet, labels=labels)
    install_firewall(net, hub_api_port)
    return net


def teardown(client: docker.DockerClient, name: str) -> None:
    """Remove the packet filter and the network (after its containers are gone)."""
    try:
        net = client.networks.get(name)
    except docker.errors.NotFound:
        return
    options = net.attrs.get("Options") or {}
    bridge = options.get("com.docker.network.bridge.name") or f"br-{net.id[:12]}"
    remove_firewall(WorkspaceNetwork(name=name, bridge=bridge, subnet="", gateway=""))
    try:
        net.remove()
    except docker.errors.APIError as exc:
        log.warning("could not remove network %s: %s", name, exc.explanation)

"""Benchmark: the portal's public pages under 100 readers at once, through the hub's proxy.

Makes the demo world of `tre up --demo` (lake, people, an approved and provisioned project) in
a throw-away TRE_HOME, starts the hub with the portal as `tre up` does (no workspaces needed),
then lets `--clients` closed-loop clients (each sends its next request when the last one
answered, over a kept-alive connection, as a browser does) read the register and the catalogue
for `--seconds`:
- baseline: straight to the portal's own port;
- proxy: through the hub's proxy, at /services/portal/, as every browser does.
Prints throughput and p50/p99 of each, and the ratio of the p99s. `--rounds` repeats both.

    python bench/portal.py [--clients 100] [--seconds 15] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tre.workspace.launcher import running_hub

PAGES = ("register", "catalogue")
TARGET_P99_MS = 300.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


async def closed_loop(base: str, clients: int, seconds: float, warmup: float = 2.0) -> Load:
    """`clients` loops of request-then-next; latencies counted after `warmup` seconds."""
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measure_from = start + warmup
    stop = measure_from + seconds
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(i: int) -> None:
            nonlocal errors
            n = i
            while (now := time.perf_counter()) < stop:
                page = PAGES[n % len(PAGES)]
                n += 1
                try:
                    async with session.get(f"{base}/{page}", allow_redirects=False) as resp:
                        await resp.read()
                        ok = resp.status == 200
                except aiohttp.ClientError:
                    ok = False
                if now >= measure_from:
                    if ok:
                        latencies.append((time.perf_counter() - now) * 1000)
                    else:
                        errors += 1

        await asyncio.gather(*(client(i) for i in range(clients)))
    return Load(len(latencies), errors, seconds, latencies)


def wait_for(url: str, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in time")


def describe(name: str, load: Load) -> str:
    return (
        f"{name:>8}: {load.throughput:7.0f} req/s  p50 {load.percentile(50):6.1f} ms  "
        f"p99 {load.percentile(99):6.1f} ms  errors {load.errors}"
    )


def spread(values: list[float], fmt: str = ".1f") -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    middle, low, high = statistics.median(values), min(values), max(values)
    return f"{middle:{fmt}} ({low:{fmt}}-{high:{fmt}})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    from tre.cli.init import initialise
    from tre.config import load_settings
    from tre.workspace.demo import setup_demo
    from tre.workspace.hub import HubOptions

    with tempfile.TemporaryDirectory(prefix="tre-bench-portal-") as tmp:
        home = Path(tmp) / "home"
        os.environ.update(
            TRE_HOME=str(home), TRE_HUB_PORT=str(free_port()), TRE_PORTAL_PORT=str(free_port())
        )
        settings = load_settings(home=home)
        initialise(settings)
        setup_demo(settings)
        options = HubOptions(
            gateway="",
            hub_api_port=free_port(),
            proxy_api_port=free_port(),
            gate_port=free_port(),
            auth="shared-password",
            shared_password=secrets.token_hex(8),
            operator_interval_seconds=3600,
        )
        rounds: list[tuple[Load, Load]] = []
        with running_hub(settings, options, with_docker=False) as hub:
            proxied = f"{hub.public_url}/services/portal"
            direct = f"http://127.0.0.1:{settings.portal_port}/services/portal"
            for base in (direct, proxied):
                wait_for(f"{base}/register")
            for _ in range(args.rounds):
                baseline = asyncio.run(closed_loop(direct, args.clients, args.seconds))
                through = asyncio.run(closed_loop(proxied, args.clients, args.seconds))
                rounds.append((baseline, through))
                print(describe("direct", baseline))
                print(describe("proxy", through))
    p99_direct = [b.percentile(99) for b, _t in rounds]
    p99_proxy = [t.percentile(99) for _b, t in rounds]
    ratios = [t / b for t, b in zip(p99_proxy, p99_direct, strict=True)]
    print(f"{args.clients} clients, {args.seconds:.0f} s each, rounds: {args.rounds}")
    print("  median (min-max) over rounds       direct             proxy")
    print(
        f"  throughput (req/s)  {spread([b.throughput for b, _t in rounds], '.0f'):>18}"
        f"  {spread([t.throughput for _b, t in rounds], '.0f'):>18}"
    )
    print(f"  p99 (ms)            {spread(p99_direct):>18}  {spread(p99_proxy):>18}")
    p99 = statistics.median(p99_proxy)
    print(f"p99 through the proxy: {p99:.0f} ms (target < {TARGET_P99_MS:.0f} ms)")
    print(f"ratio: {statistics.median(ratios):.2f} (p99 through the proxy / p99 direct)")
    result = {
        "clients": args.clients,
        "p99_proxy_ms": round(statistics.median(p99_proxy), 1),
        "p99_direct_ms": round(statistics.median(p99_direct), 1),
        "throughput_proxy": round(statistics.median([t.throughput for _b, t in rounds]), 1),
        "throughput_direct": round(statistics.median([b.throughput for b, _t in rounds]), 1),
        "ratio": round(statistics.median(ratios), 3),
    }
    print("bench-result: " + json.dumps(result))


if __name__ == "__main__":
    main()

"""The PolicyEngine contract: EmbeddedRego (real Rego in-process) and OpaServer.

No OPA server can run on the build machines, so OpaServer is tested against a stub of
OPA's documented Data API (`POST /v1/data/<path>` with `{"input": ...}` answering
`{"result": ...}`, or `{}` when the rule is undefined), served on 127.0.0.1. The stub
evaluates the repository's policies with the embedded engine, so answers are real Rego.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tre import policy
from tre.config import Settings, load_settings
from tre.errors import PolicyDenied
from tre.policy.base import Decision, PolicyUnavailable
from tre.policy.embedded import EmbeddedRego, load_engine
from tre.policy.opa import OpaServer

POLICIES = Path(__file__).resolve().parents[3] / "policies"
ADMIN = {"username": "ada", "roles": ["admin"], "known": True}
ANALYST = {"username": "ana", "roles": ["analyst"], "known": True}


@pytest.fixture
def settings() -> Settings:
    return load_settings()


def test_require_allows_and_denies_with_reasons(settings: Settings) -> None:
    policy.require(settings, "audit.read", {"actor": ADMIN})
    with pytest.raises(PolicyDenied) as caught:
        policy.require(settings, "audit.read", {"actor": ANALYST})
    assert caught.value.reasons == ["only an admin may read the audit log"]
    assert caught.value.action == "audit.read"
    assert caught.value.exit_code == 3
    assert "only an admin may read the audit log" in str(caught.value)


def test_decide_fills_action_today_and_settings(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = policy.complete_input(settings, "audit.read", {"actor": ADMIN, "action": "x"})
    assert document["action"] == "audit.read"
    assert len(document["today"]) == 10
    assert document["settings"] == {"separation_of_duties": True}
    monkeypatch.setenv("TRE_SEPARATION_OF_DUTIES", "0")
    assert policy.complete_input(load_settings(), "a", {})["settings"] == {
        "separation_of_duties": False
    }


def test_unknown_action_is_denied(settings: Settings) -> None:
    decision = policy.decide(settings, "project.delete", {"actor": ADMIN})
    assert not decision.allow
    assert "not an action the policy knows" in decision.reasons[0]


def test_engine_is_loaded_once(settings: Settings) -> None:
    first = policy.engine(settings)
    assert isinstance(first, EmbeddedRego)
    assert policy.engine(load_settings()) is first


@pytest.mark.parametrize(
    "document",
    [None, {}, {"allow": "yes"}, {"allow": True, "reasons": "x"}, {"allow": True, "reasons": [1]}],
)
def test_malformed_or_undefined_decisions_fail_closed(document: Any) -> None:
    decision = Decision.from_document(document)
    assert decision.allow is False and decision.reasons


def test_allow_with_reasons_is_a_denial() -> None:
    assert Decision.from_document({"allow": True, "reasons": ["no"]}).allow is False


def test_missing_or_broken_policies_are_reported(tmp_path: Path) -> None:
    with pytest.raises(PolicyUnavailable, match="No Rego policies"):
        EmbeddedRego(tmp_path)
    (tmp_path / "bad.rego").write_text("package bad\n\nallow if {\n")
    with pytest.raises(PolicyUnavailable, match="does not parse"):
        EmbeddedRego(tmp_path)


def test_test_files_are_not_loaded_for_decisions() -> None:
    engine = load_engine(POLICIES)
    assert all(not p.endswith("_test") for p in engine.get_packages())


def test_concurrent_decisions_do_not_mix_inputs(settings: Settings) -> None:
    """Threads evaluating at once each get the decision for their own input."""
    engine = policy.engine(settings)
    cases = [
        ({"action": "audit.read", "actor": ADMIN}, True),
        ({"action": "audit.read", "actor": ANALYST}, False),
        ({"action": "catalogue.view"}, True),
        ({"action": "lake.ingest", "actor": ANALYST}, False),
    ]
    mismatches: list[int] = []
    start = threading.Barrier(8)

    def worker(offset: int) -> None:
        start.wait()
        for i in range(300):
            document, expected = cases[(i + offset) % len(cases)]
            if engine.decide("tre.authz", document).allow is not expected:
                mismatches.append(i)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mismatches == []


def test_sdc_parameters_by_tier(settings: Settings) -> None:
    standard = policy.sdc_parameters(settings, "standard")
    assert standard == {
        "profile": "acro",
        "threshold": 10,
        "dominance_n": 2,
        "dominance_k": 0.9,
        "p_ratio": 0.1,
        "min_residual_df": 10,
        "zeros": "disclosive",
        "unchecked": "block",
        "class_share": 0.9,
        "max_file_bytes": 16 * 1024 * 1024,
        "allowed_types": ["csv", "tsv", "txt", "md", "json", "png", "jpeg"],
    }
    assert policy.sdc_parameters(settings) == standard
    high = policy.sdc_parameters(settings, "high")
    assert high["threshold"] > standard["threshold"]
    assert high["max_file_bytes"] < standard["max_file_bytes"]
    assert set(high["allowed_types"]) < set(standard["allowed_types"])
    assert policy.required_approvals(settings) == 2
    assert policy.required_approvals(settings, "high") == 3
    assert policy.tiers(settings) == ["high", "standard"]
    with pytest.raises(PolicyUnavailable, match="not a sensitivity tier"):
        policy.sdc_parameters(settings, "secret")


def test_sdc_parameters_missing_data_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRE_POLICIES_DIR", str(tmp_path))
    with pytest.raises(PolicyUnavailable, match="missing or malformed"):
        policy.sdc_parameters(load_settings(), "standard")


# --- OpaServer against a stub of OPA's Data API -------------------------------------------


class StubOpaDataApi(ThreadingHTTPServer):
    """A stub of OPA's Data API (not OPA): evaluates our policies with the embedded engine."""

    # server_close() waits for every handler thread, so none outlives its test (one that did
    # could report an error on a stream the test run had already closed).
    daemon_threads = False
    block_on_close = True

    def __init__(self, fail_with: int | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _StubHandler)
        self.engine = EmbeddedRego(POLICIES)
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.fail_with = fail_with

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up before reading the whole answer is not the stub's error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _StubHandler(BaseHTTPRequestHandler):
    server: StubOpaDataApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, body))
        if self.server.fail_with:
            self._reply(self.server.fail_with, {"code": "internal_error", "message": "stub"})
            return
        if not self.path.startswith("/v1/data/") or set(body) != {"input"}:
            self._reply(400, {"code": "invalid_parameter", "message": "bad request"})
            return
        parts = self.path.removeprefix("/v1/data/").split("/")
        package, rule = ".".join(parts[:-1]), parts[-1]
        if rule != "decision":
            self._reply(200, {})  # undefined document: OPA answers without "result"
            return
        try:
            value = self.server.engine._evaluate(package, body["input"])
        except PolicyUnavailable:  # no such rule: OPA calls that an undefined document
            value = None
        self._reply(200, {} if value is None else {"result": value})

    def _reply(self, status: int, document: dict[str, Any]) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def opa_stub() -> Iterator[StubOpaDataApi]:
    server = StubOpaDataApi()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_opa_server_queries_the_data_api(opa_stub: StubOpaDataApi) -> None:
    engine = OpaServer(opa_stub.url)
    document = {"action": "audit.read", "actor": ANALYST}
    decision = engine.decide("tre.authz", document)
    assert decision == Decision(False, ["only an admin may read the audit log"])
    assert opa_stub.requests == [("/v1/data/tre/authz/decision", {"input": document})]
    assert engine.decide("tre/authz", {"action": "audit.read", "actor": ADMIN}).allow
    engine.close()


def test_opa_server_chosen_by_settings(
    opa_stub: StubOpaDataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRE_POLICY_ENGINE", "opa")
    monkeypatch.setenv("TRE_OPA_URL", opa_stub.url)
    settings = load_settings()
    assert isinstance(policy.engine(settings), OpaServer)
    with pytest.raises(PolicyDenied, match="only an admin may ingest"):
        policy.require(settings, "lake.ingest", {"actor": ANALYST})
    assert opa_stub.requests[-1][1]["input"]["action"] == "lake.ingest"


def test_opa_undefined_decision_is_a_denial(opa_stub: StubOpaDataApi) -> None:
    decision = OpaServer(opa_stub.url).decide("tre.nothing", {})
    assert not decision.allow
    assert decision.reasons == ["the policy gave no decision for this input"]


def test_embedded_unknown_package_fails_closed(settings: Settings) -> None:
    with pytest.raises(PolicyUnavailable):
        policy.engine(settings).decide("tre.nothing", {})


def test_opa_server_error_fails_closed() -> None:
    server = StubOpaDataApi(fail_with=500)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        with pytest.raises(PolicyUnavailable, match="did not answer"):
            OpaServer(server.url).decide("tre.authz", {"action": "catalogue.view"})
    finally:
        server.shutdown()
        server.server_close()


def test_opa_unreachable_fails_closed() -> None:
    server = StubOpaDataApi()
    url = server.url
    server.server_close()  # nothing listens on this loopback port now
    with pytest.raises(PolicyUnavailable, match="did not answer"):
        OpaServer(url, timeout=1).decide("tre.authz", {"action": "catalogue.view"})


def test_opa_url_must_be_http() -> None:
    with pytest.raises(PolicyUnavailable, match="not an http"):
        OpaServer("ftp://127.0.0.1:8181")

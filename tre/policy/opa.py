"""`OpaServer`: the same Rego served by an OPA server, asked through its Data API.

Each decision is one ``POST /v1/data/<package path>/decision`` with ``{"input": ...}``
(opa-python-client's `query_rule`); OPA answers ``{"result": ...}``, or no `result` when
the rule is undefined. Policies and data.json are deployed to OPA separately (bundle or
``opa run policies/``). Fails closed: transport errors raise `PolicyUnavailable`.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import requests
from opa_client import OpaClient

from tre.i18n import _
from tre.policy.base import DECISION_RULE, PolicyEngine, PolicyUnavailable


class OpaServer(PolicyEngine):
    """Decisions from an OPA server at `url` (e.g. ``http://127.0.0.1:8181``)."""

    def __init__(self, url: str, timeout: float = 2.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise PolicyUnavailable(
                _("The OPA URL is not an http(s) URL."),
                hint=_("Set opa_url, e.g. http://127.0.0.1:8181."),
            )
        self.url = url
        self._options: dict[str, Any] = {
            "host": parts.hostname,
            "port": parts.port or (443 if parts.scheme == "https" else 80),
            "ssl": parts.scheme == "https",
            "timeout": timeout,
            "retries": 0,
        }
        # requests.Session is not documented as thread-safe: one client per thread.
        self._local = threading.local()
        self._clients: list[OpaClient] = []
        self._lock = threading.Lock()

    def _client(self) -> OpaClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = OpaClient(**self._options)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _evaluate(self, package: str, input: dict[str, Any]) -> Any:
        try:
            answer = self._client().query_rule(
                input_data=input, package_path=package, rule_name=DECISION_RULE
            )
        except (requests.RequestException, ValueError) as exc:
            raise PolicyUnavailable(
                _("The OPA server did not answer ({error}).").format(error=type(exc).__name__),
                hint=_("Check that OPA runs at opa_url and serves the TRE policies."),
            ) from None
        if not isinstance(answer, dict):
            return None
        return answer.get("result")

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close_connection()
            self._clients.clear()

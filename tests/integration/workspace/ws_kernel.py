"""Run code in a workspace kernel through the hub's proxy: the Jupyter REST and websocket APIs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import websocket


class KernelError(AssertionError):
    pass


class Kernel:
    """A kernel in the server at `base` (e.g. http://127.0.0.1:8000/user/alice/p-1)."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.headers = {"Authorization": f"token {token}"}
        resp = httpx.post(f"{self.base}/api/kernels", headers=self.headers, json={}, timeout=60)
        resp.raise_for_status()
        self.kernel_id = resp.json()["id"]
        ws_url = self.base.replace("http://", "ws://") + f"/api/kernels/{self.kernel_id}/channels"
        self.ws = websocket.create_connection(
            ws_url, header=[f"Authorization: token {token}"], timeout=60
        )

    def run(self, code: str, timeout: float = 60) -> str:
        """Execute `code`; return its printed output; raise KernelError on an exception."""
        out: list[str] = []
        error: dict[str, Any] | None = None
        for msg in self.execute(code, timeout):
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "execute_result":
                out.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                error = content
        if error is not None:
            raise KernelError(f"{error['ename']}: {error['evalue']}")
        return "".join(out)

    def execute(self, code: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Execute `code`; every message answering it, until the kernel is idle again."""
        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": "test",
                        "session": uuid.uuid4().hex,
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False, "store_history": False},
                    "channel": "shell",
                }
            )
        )
        answers: list[dict[str, Any]] = []
        self.ws.settimeout(timeout)
        while True:
            raw = self.ws.recv()
            if not raw:  # a close frame: the other side ended the connection
                raise websocket.WebSocketConnectionClosedException("the kernel connection closed")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            answers.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return answers

    def close(self) -> None:
        self.ws.close()
        httpx.delete(f"{self.base}/api/kernels/{self.kernel_id}", headers=self.headers, timeout=30)

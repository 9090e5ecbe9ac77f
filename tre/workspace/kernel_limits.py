"""Kernel messages between the Jupyter server and the browser, within the workspace's limits.

Runs inside the container as the server's kernel websocket connection class (configured in
the root-owned /etc/jupyter). It is the friendly layer: the workspace gate in the control
plane holds the same limits whatever this class does; this one explains them in the
notebook, where the analyst looks.

- A message to the browser larger than `output_max_bytes` is not sent; a short notice is
  shown under the cell that produced it.
- Output (every IOPub message but kernel status) is counted in a token bucket of
  `output_rate_bytes` per second holding `output_burst_bytes`; output beyond it is dropped,
  with one notice per cell execution. Jupyter's own `iopub_data_rate_limit` counts only
  `stream` messages and resets at every idle status, so a display or a result of any size
  passed it; this bucket counts everything and does not reset.
- A message from the browser larger than `text_max_bytes` (plus the message envelope) is not
  passed to the kernel; the cell ends with an error saying why.
"""

from __future__ import annotations

import json
import time
from typing import Any

from jupyter_client.jsonutil import json_default
from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

from tre.workspace.transfer import (
    ENVELOPE_BYTES,
    Bucket,
    Limits,
    input_too_large,
    output_paused,
    output_too_large,
)

V1 = "v1.kernel.websocket.jupyter.org"
# Messages the protocol needs whatever their rate: dropping them would hang the notebook.
_UNCOUNTED = frozenset({"status", "execute_input"})


class LimitedChannelsConnection(ZMQChannelsWebsocketConnection):
    """`ZMQChannelsWebsocketConnection` with the caps and the rate of `tre.workspace.transfer`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tre_limits = Limits.from_env()
        self.tre_bucket = Bucket(
            self.tre_limits.output_rate_bytes, self.tre_limits.output_burst_bytes, time.monotonic()
        )
        self.tre_paused_for: str | None = None  # parent msg_id already told about the pause

    # -- kernel to browser -------------------------------------------------------------
    def handle_outgoing_message(self, stream: Any, outgoing_msg: list[Any]) -> None:
        _idents, fed = self.session.feed_identities(outgoing_msg)
        parts = fed[1:]
        size = sum(len(part) for part in parts)
        channel = stream if isinstance(stream, str) else getattr(stream, "channel", None)
        header = self.get_part("header", None, parts)
        msg_type = header.get("msg_type", "")
        if size > self.tre_limits.output_max_bytes:
            parent = self.get_part("parent_header", None, parts)
            self.write_stderr(output_too_large(size, self.tre_limits), parent)
            return
        counted = channel == "iopub" and msg_type not in _UNCOUNTED
        if counted and not self.tre_bucket.try_take(size, time.monotonic()):
            parent = self.get_part("parent_header", None, parts)
            if parent.get("msg_id") != self.tre_paused_for:
                self.tre_paused_for = parent.get("msg_id")
                self.write_stderr(output_paused(self.tre_limits), parent)
            return
        super().handle_outgoing_message(stream, outgoing_msg)

    # -- browser to kernel -------------------------------------------------------------
    def handle_incoming_message(self, incoming_msg: Any) -> None:
        size = len(incoming_msg.encode() if isinstance(incoming_msg, str) else incoming_msg)
        if size <= self.tre_limits.text_max_bytes + ENVELOPE_BYTES:
            super().handle_incoming_message(incoming_msg)
            return
        header = self._incoming_header(incoming_msg)
        self.log.warning("tre: dropped a %d-byte message from the browser", size)
        if header is None:
            return
        message = input_too_large(size, self.tre_limits)
        self.write_stderr(message, header)
        if header.get("msg_type") == "execute_request":
            reply = {"status": "error", "ename": "InputTooLarge", "evalue": message}
            self._to_browser("shell", "execute_reply", {**reply, "traceback": []}, header)
        self._to_browser("iopub", "status", {"execution_state": "idle"}, header)

    def _incoming_header(self, incoming_msg: Any) -> dict[str, Any] | None:
        try:
            if self.subprotocol == V1:
                _channel, msg_list = deserialize_msg_from_ws_v1(incoming_msg)
                header: dict[str, Any] = self.session.unpack(msg_list[0])
                return header
            if isinstance(incoming_msg, bytes):
                return dict(deserialize_binary_message(incoming_msg)["header"])
            return dict(json.loads(incoming_msg)["header"])
        except Exception:  # a malformed message gets no answer; the kernel never saw it
            return None

    def _to_browser(
        self, channel: str, msg_type: str, content: dict[str, Any], parent: dict[str, Any]
    ) -> None:
        msg = self.session.msg(msg_type, content=content, parent=parent)
        if self.subprotocol == V1:
            self.write_message(serialize_msg_to_ws_v1(msg, channel, self.session.pack), binary=True)
        else:
            msg["channel"] = channel
            self.write_message(json.dumps(msg, default=json_default))

"""What the contents API may carry: an upload's body and a file's answer, checked.

The rules are `tre.workspace.transfer`'s; here they are applied to the bytes crossing the
gate, which it cannot take on trust from the server that produced them.
"""

from __future__ import annotations

import json

from tre.i18n import _
from tre.workspace.gate.refusals import download_message, name_of, response_too_large
from tre.workspace.transfer import (
    ENVELOPE_BYTES,
    Kind,
    Limits,
    Refusal,
    content_size,
    decoded_content,
    read_refusal,
    too_large,
    upload_refusal,
)


def check_upload(file_path: str, body: bytes, limits: Limits) -> tuple[Refusal | None, int]:
    """Why a PUT body may not be saved at `file_path` (None: it may), and its content's size."""
    try:
        model = json.loads(body)
    except ValueError:
        model = None
    if not isinstance(model, dict):
        return Refusal("not-a-model", _("This is not a file the workspace can save.")), 0
    problem = upload_refusal(file_path, model, limits)
    try:
        content = decoded_content(model)
    except ValueError:
        content = None
    return problem, content_size(content) if content is not None else 0


def check_read(
    file_path: str, kind: Kind, answer: bytes, limits: Limits
) -> tuple[Refusal | None, int]:
    """Whether a contents-API answer may reach the browser, and the content's size."""
    cap = limits.cap(kind)
    if cap is not None and len(answer) <= cap + ENVELOPE_BYTES:
        return None, len(answer)  # whatever it holds, it is within the cap
    try:
        model = json.loads(answer)
    except ValueError:
        model = None
    if not isinstance(model, dict):
        return Refusal("not-a-model", response_too_large()), len(answer)
    if model.get("type") == "directory":
        entries = model.get("content") or []
        if isinstance(entries, list) and all(
            isinstance(e, dict) and e.get("content") is None for e in entries
        ):
            return None, len(answer)
        return Refusal("listing-with-content", response_too_large()), len(answer)
    if model.get("content") is None:
        return None, len(answer)
    if cap is None:
        return read_refusal(file_path, None, limits), len(answer)
    if model.get("format") == "base64":
        return Refusal("base64", download_message()), len(answer)
    try:
        content = decoded_content(model)
    except ValueError:
        content = None
    size = content_size(content) if content is not None else len(answer)
    if size > cap:
        return too_large(name_of(file_path), kind, size, cap), size
    return None, size

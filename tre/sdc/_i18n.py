"""Translation for messages; falls back to English where the catalogues' reader is absent
(the workspace image installs `tre` without server dependencies).

`_` returns a `Message`: the text in the current language that also remembers its English
text and the parameters given to `.format`, so a finding stored once can be shown again in
the reader's language (the portal re-renders it). Parameters never carry record values,
just as the messages do not.
"""

from __future__ import annotations

from typing import Any

try:
    from tre.i18n import _ as _translate
except ImportError:  # pragma: no cover - exercised in the workspace image

    def _translate(message: str) -> str:
        return message


class Message(str):
    """A translated message with its English `msgid` and its format `params`."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, text: str, msgid: str, params: dict[str, Any] | None = None) -> Message:
        obj = super().__new__(cls, text)
        obj.msgid, obj.params = msgid, dict(params or {})
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message, (str(self), self.msgid, self.params))

    def format(self, *args: object, **kwargs: Any) -> Message:
        return Message(str.format(self, *args, **kwargs), self.msgid, {**self.params, **kwargs})


def _(message: str) -> Message:
    return Message(_translate(message), message)


__all__ = ["Message", "_"]

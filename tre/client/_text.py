"""Messages of the client in the workspace's language (`TRE_LOCALE`).

The catalogues' reader is imported only when a message is made, so `import tre.client`
stays light; where it is absent the message stays in English.
"""

from __future__ import annotations


def text(message: str) -> str:
    """`message` (English, with `{placeholders}` for `.format`) in the current language."""
    try:
        from tre.i18n import _
    except ImportError:  # pragma: no cover - a workspace image without the catalogues' reader
        return message
    return _(message)


__all__ = ["text"]

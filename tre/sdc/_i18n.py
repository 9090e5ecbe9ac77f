"""Translation for messages; falls back to English where the catalogues' reader is absent
(the workspace image installs `tre` without server dependencies)."""

from __future__ import annotations

try:
    from tre.i18n import _
except ImportError:  # pragma: no cover - exercised in the workspace image

    def _(message: str) -> str:
        return message


__all__ = ["_"]

"""Every message people read has Japanese, and each translation takes the same values."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import tre

PACKAGE = Path(tre.__file__).parent
PO = PACKAGE / "locale" / "ja" / "LC_MESSAGES" / "tre.po"
# `_` everywhere, `text` in tre.client (which reads catalogues only when it must).
KEYWORDS = {"_": None, "text": None, "gettext": None, "ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"\{([a-z_]+)[^{}]*\}")


def _messages() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map=METHODS, keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{line}")
    return found


def _catalogue() -> dict[str, str]:
    with PO.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale="ja") if isinstance(m.id, str)}


def test_the_extraction_sees_code_and_templates() -> None:
    places = [p for where in _messages().values() for p in where]
    assert any(p.endswith(".html") or ".html:" in p for p in places)
    assert any(".py:" in p for p in places)
    assert len(places) > 300


def test_every_message_in_code_and_templates_has_japanese() -> None:
    catalogue = _catalogue()
    missing = {m: where[0] for m, where in _messages().items() if not catalogue.get(m)}
    assert not missing, f"messages without Japanese in {PO.name}: {missing}"


def test_translations_take_the_same_placeholders() -> None:
    wrong = {
        msgid: msgstr
        for msgid, msgstr in _catalogue().items()
        if msgstr and set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(msgstr))
    }
    assert not wrong, f"placeholders differ: {wrong}"

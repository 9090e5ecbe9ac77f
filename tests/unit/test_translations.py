"""Every message people read has Japanese, and each translation takes the same values.

Messages are the string literals that `_()`, `gettext()`, `ngettext()` (and `text()` in
tre.client) wrap. Python files are read with the `ast` module, so nothing else (docstrings, a
variable that happens to be called `text`) is ever taken for a message, whatever Babel's
tokenizer does in a given release; templates go through Jinja's own extractor.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

import tre

PACKAGE = Path(tre.__file__).parent
PO = PACKAGE / "locale" / "ja" / "LC_MESSAGES" / "tre.po"
# `_` everywhere, `text` in tre.client (which reads catalogues only when it must).
SINGULAR = ("_", "text", "gettext")
PLURAL = ("ngettext",)
PLACEHOLDER = re.compile(r"\{([a-z_]+)[^{}]*\}")


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def python_messages(source: str) -> Iterator[tuple[int, str]]:
    """(line, message) for each string literal wrapped by a translation call, in reading order."""
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    for node in sorted(calls, key=lambda call: (call.lineno, call.col_offset)):
        wanted = 1 if node.func.id in SINGULAR else 2 if node.func.id in PLURAL else 0
        for arg in node.args[:wanted]:
            message = _literal(arg)
            if message:
                yield node.lineno, message


def template_messages(path: Path) -> Iterator[tuple[int, str]]:
    keywords = (*SINGULAR, *PLURAL)
    with path.open("rb") as fh:
        for line, _func, message, _comments in babel_extract(fh, keywords, [], {}):
            for msgid in message if isinstance(message, tuple) else (message,):
                if msgid:
                    yield line, msgid


def _messages() -> dict[str, list[str]]:
    """Each message with the places (`path:line`, relative to the package) that use it."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, message in python_messages(path.read_text(encoding="utf-8")):
            found.setdefault(message, []).append(f"{path.relative_to(PACKAGE)}:{line}")
    for path in sorted(PACKAGE.glob("**/templates/**/*.html")):
        for line, message in template_messages(path):
            found.setdefault(message, []).append(f"{path.relative_to(PACKAGE)}:{line}")
    return found


def _catalogue() -> dict[str, str]:
    with PO.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale="ja") if isinstance(m.id, str)}


def test_the_extraction_sees_code_and_templates() -> None:
    places = [p for where in _messages().values() for p in where]
    assert any(".html:" in p for p in places)
    assert any(".py:" in p for p in places)
    assert len(places) > 300


def test_only_wrapped_literals_are_messages() -> None:
    source = '''
def sniff(text: str) -> str:
    """Whether `text` is html or text."""
    if text == "html":
        return "text"
    return _("A message") + text[:3] + gettext("Another") + ngettext("one", "many", 2)
'''
    assert [m for _line, m in python_messages(source)] == ["A message", "Another", "one", "many"]


def test_every_message_in_code_and_templates_has_japanese() -> None:
    catalogue = _catalogue()
    missing = [
        f"{where[0]}: {message!r}"
        for message, where in sorted(_messages().items(), key=lambda item: item[1][0])
        if not catalogue.get(message)
    ]
    assert not missing, f"messages without Japanese in {PO.name}:\n" + "\n".join(missing)


def test_translations_take_the_same_placeholders() -> None:
    wrong = {
        msgid: msgstr
        for msgid, msgstr in _catalogue().items()
        if msgstr and set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(msgstr))
    }
    assert not wrong, f"placeholders differ: {wrong}"


def _po_keys(text: str) -> list[tuple[str, str]]:
    """(context, msgid) of every entry, read from the catalogue's text (Babel's reader keeps
    only the last of two equal entries, so it cannot see a duplicate)."""
    keys: list[tuple[str, str]] = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        current = ""
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            head = re.match(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (\".*\")$", line)
            if head:
                current = head.group(1)
                fields[current] = ast.literal_eval(head.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if "msgid" in fields:
            keys.append((fields.get("msgctxt", ""), fields["msgid"]))
    return keys


def test_no_message_is_in_the_catalogue_twice() -> None:
    keys = _po_keys(PO.read_text(encoding="utf-8"))
    seen: set[tuple[str, str]] = set()
    twice = [key for key in keys if key in seen or seen.add(key)]  # type: ignore[func-returns-value]
    assert not twice, f"entries in {PO.name} more than once (keep one): {twice}"

"""Translations for messages people read (English in code, catalogues in tre/locale).

Catalogues are gettext `.po` files under `tre/locale/<lang>/LC_MESSAGES/tre.po`; they are
compiled in memory on first use, so no binary `.mo` files live in the repository.
The language comes from `TRE_LOCALE` (default `en`); while the portal serves a request, from
that request (`set_request_language`), so errors raised deep in a service read in the
language of the page that asked.
"""

from __future__ import annotations

import gettext
import io
import os
import re
from collections.abc import Callable
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "tre"
SUPPORTED = ("en", "ja")


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@cache
def _catalog(lang: str) -> Catalog | None:
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po_path.exists():
        return None
    with po_path.open("rb") as fh:
        return read_po(fh, locale=lang)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    catalog = _catalog(lang)
    if catalog is None:
        return gettext.NullTranslations()
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


# The language of the request being served (the portal sets it per request); commands
# use TRE_LOCALE.
_request_language: ContextVar[str | None] = ContextVar("tre_request_language", default=None)


def set_request_language(lang: str) -> Token[str | None]:
    return _request_language.set(lang if lang in SUPPORTED else None)


def reset_request_language(token: Token[str | None]) -> None:
    _request_language.reset(token)


def current_language() -> str:
    lang = _request_language.get() or os.environ.get("TRE_LOCALE", "en").split("_")[0].lower()
    return lang if lang in SUPPORTED else "en"


def gettext_for(lang: str, message: str) -> str:
    return translations(lang if lang in SUPPORTED else "en").gettext(message)


def _(message: str) -> str:
    """Translate `message` into the current language (TRE_LOCALE)."""
    return gettext_for(current_language(), message)


@cache
def _templates(lang: str) -> list[tuple[re.Pattern[str], str, str]]:
    """The catalogue's messages with `{name}` placeholders, as patterns over the English,
    with the English template and its translation."""
    catalog = _catalog(lang)
    found = []
    for message in catalog or ():
        msgid, msgstr = message.id, message.string
        if not (isinstance(msgid, str) and isinstance(msgstr, str) and msgstr):
            continue
        parts = _PLACEHOLDER.split(msgid)
        if len(parts) == 1:
            continue
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        try:
            found.append((re.compile(pattern + r"\Z", re.DOTALL), msgid, msgstr))
        except re.error:  # a placeholder used twice: not a template this can fill
            continue
    return found


def _translated(
    text: str, lang: str | None, values: bool, fill: Callable[[str, str], str] | None = None
) -> str:
    lang = lang if lang in SUPPORTED else current_language()
    exact = gettext_for(lang, text)
    if exact != text or (lang == "en" and fill is None):
        return exact
    # In English only the values are filled in (a state's label for its code), from the
    # same templates: the Japanese catalogue's message ids are the English ones.
    for pattern, msgid, msgstr in _templates("ja" if lang == "en" else lang):
        match = pattern.match(text)
        if match:
            found = match.groupdict()
            if values:
                found = {k: gettext_for(lang, v) for k, v in found.items()}
            elif fill is not None:
                found = {k: fill(k, v) for k, v in found.items()}
            return (msgid if lang == "en" else msgstr).format(**found)
    return text


def translate_reason(
    reason: str, lang: str | None = None, fill: Callable[[str, str], str] | None = None
) -> str:
    """A policy reason in `lang` (default: the current language).

    Reasons come from the Rego policies in English. The catalogue holds fixed ones as they
    are, and those the policy builds with `sprintf` as templates with `{name}` placeholders
    ("the permit does not grant dataset {dataset}"), filled from the English reason (the
    values themselves, names and states, are kept). A reason the catalogue lacks stays in
    English. `fill(placeholder, value)` gives what a page shows for a value (a state's label
    rather than its code).
    """
    return _translated(reason, lang, values=False, fill=fill)


def translate_description(text: str, lang: str | None = None) -> str:
    """A lake table or column description in `lang`: as `translate_reason`, except that the
    parts a template leaves open are translated too ("Code of {what}." with "the condition")."""
    return _translated(text, lang, values=True)

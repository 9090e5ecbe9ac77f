"""Translations for messages people read (English in code, catalogues in tre/locale).

Catalogues are gettext `.po` files under `tre/locale/<lang>/LC_MESSAGES/tre.po`; they are
compiled in memory on first use, so no binary `.mo` files live in the repository.
The language comes from `TRE_LOCALE` (default `en`); the portal passes the request's.
"""

from __future__ import annotations

import gettext
import io
import os
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "tre"
SUPPORTED = ("en", "ja")


@cache
def translations(lang: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def current_language() -> str:
    lang = os.environ.get("TRE_LOCALE", "en").split("_")[0].lower()
    return lang if lang in SUPPORTED else "en"


def gettext_for(lang: str, message: str) -> str:
    return translations(lang if lang in SUPPORTED else "en").gettext(message)


def _(message: str) -> str:
    """Translate `message` into the current language (TRE_LOCALE)."""
    return gettext_for(current_language(), message)

"""The portal's language (Accept-Language, or the switch, kept in a cookie) and locale-aware
formatting of dates and numbers with Babel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from fastapi import Request

from tre.i18n import (
    SUPPORTED,
    gettext_for,
    translate_description,
    translate_reason,
    translations,
)
from tre.notices.collect import message as notice_message
from tre.web.labels import label_for

LANG_COOKIE = "tre_lang"


def negotiate(request: Request) -> str:
    """`?lang=` wins, then the cookie, then the best Accept-Language match, then English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in SUPPORTED:
            return str(candidate)
    header = request.headers.get("accept-language", "")
    weighted = []
    for part in header.split(","):
        piece = part.strip().split(";")
        tag = piece[0].split("-")[0].lower()
        q = 1.0
        for param in piece[1:]:
            if param.strip().startswith("q="):
                try:
                    q = float(param.strip()[2:])
                except ValueError:
                    q = 0.0
        if tag in SUPPORTED:
            weighted.append((q, tag))
    return max(weighted)[1] if weighted else "en"


def helpers(lang: str, time_zone: str = "UTC") -> dict[str, Callable[..., Any]]:
    """Template functions: `_` (translate), `label` (a coded value's translated label),
    `finding_message`, `policy_reason`, `description` (of lake data), `fmt_dt`, `fmt_date`,
    `fmt_num`, `notice_text` (a notice in this language). Times are shown in `time_zone`
    (they are stored in UTC), in the language's own form (2026年12月7日 20:48 JST;
    December 7, 2026 20:48 JST)."""
    zone = ZoneInfo(time_zone)

    def translate(message: str, **kwargs: Any) -> str:
        text = gettext_for(lang, message)
        return text.format(**kwargs) if kwargs else text

    def label(kind: str, code: str) -> str:
        # The kind is the gettext context: "Approved" as a state is not "Approved" as a date.
        return translations(lang).pgettext(kind, label_for(kind, code))

    def finding_message(finding: dict[str, Any]) -> str:
        """A stored finding's message in this language (as stored when it cannot be)."""
        msgid, params = finding.get("message_id"), finding.get("message_params")
        if not isinstance(msgid, str) or not isinstance(params, dict):
            return str(finding.get("message", ""))
        try:
            return gettext_for(lang, msgid).format(**params)
        except (KeyError, IndexError, ValueError):
            return str(finding.get("message", ""))

    def fmt_dt(value: datetime | str | None) -> str:
        if value is None:
            return "-"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
        day = format_date(local, "long", locale=lang)
        return f"{day} {format_time(local, 'HH:mm', locale=lang)} {local.tzname()}"

    def fmt_date(value: date | datetime | str | None) -> str:
        if value is None:
            return "-"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(zone)
        return format_date(value, format="medium", locale=lang)

    def fmt_num(value: float | int | None) -> str:
        return "-" if value is None else format_decimal(value, locale=lang)

    def state_label(placeholder: str, value: str) -> str:
        # Reasons name states by code ("this one is in_review"): people read the label.
        if placeholder not in ("status", "state"):
            return value
        shown = label("state", value)
        return shown.lower() if lang == "en" else shown  # inside a sentence

    def policy_reason(reason: str) -> str:
        return translate_reason(reason, lang, state_label)

    def description(text: str | None) -> str:
        return translate_description(text, lang) if text else ""

    def notice_text(item: dict[str, Any]) -> str:
        return notice_message(item["kind"], item["params"], lang)

    return {
        "_": translate,
        "policy_reason": policy_reason,
        "description": description,
        "label": label,
        "finding_message": finding_message,
        "fmt_dt": fmt_dt,
        "fmt_date": fmt_date,
        "fmt_num": fmt_num,
        "notice_text": notice_text,
    }

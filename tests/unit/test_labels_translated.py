"""Coded values' labels and notices read in Japanese too (their gettext context is the kind)."""

from __future__ import annotations

import pytest

from tre.i18n import translations
from tre.notices.collect import KINDS, message
from tre.web.labels import LABELS


@pytest.mark.parametrize("kind", sorted(LABELS))
def test_every_label_has_japanese(kind: str) -> None:
    ja = translations("ja")
    missing = [text for text in LABELS[kind].values() if ja.pgettext(kind, text) == text]
    assert not missing, f"labels of {kind} without Japanese: {missing}"


def test_every_notice_has_japanese_with_the_same_values() -> None:
    params = {"project": "p-7", "request": "r-3", "valid_from": "2026-01-01", "valid_to": "X-DAY"}
    for kind in KINDS:
        english, japanese = message(kind, params, "en"), message(kind, params, "ja")
        assert japanese != english, kind
        for value in params.values():
            assert (value in english) == (value in japanese), (kind, value)

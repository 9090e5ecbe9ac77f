"""Every reason a policy can give reads in Japanese too (the catalogue is complete), and a
reason built with `sprintf` is translated with its values filled in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tre.errors import PolicyDenied
from tre.i18n import LOCALE_DIR, translate_reason

POLICIES = Path(__file__).resolve().parents[3] / "policies"
FIXED = re.compile(r'(?:contains|:=)\s*"((?:[^"\\]|\\.)+)"')
TEMPLATE = re.compile(r'sprintf\(\s*"((?:[^"\\]|\\.)+)"')


def _policy_messages() -> tuple[set[str], set[str]]:
    fixed: set[str] = set()
    templates: set[str] = set()
    for path in POLICIES.rglob("*.rego"):
        if path.name.endswith("_test.rego") or "testing" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        templates.update(TEMPLATE.findall(text))
        # Fixed reasons are sentences: a space in them (not an action name or a role).
        fixed.update(m for m in FIXED.findall(text) if " " in m and "%" not in m)
    return fixed, templates


def _catalogue() -> dict[str, str]:
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / "ja" / "LC_MESSAGES" / "tre.po").open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh) if isinstance(m.id, str)}


def _shape(text: str) -> str:
    return re.sub(r"%[vsd]|\{[a-z_]+\}", "\x00", text)


def test_every_policy_reason_has_a_japanese_translation() -> None:
    fixed, templates = _policy_messages()
    assert len(fixed) > 40 and len(templates) > 20  # the scan found the policies' reasons
    catalogue = _catalogue()
    assert sorted(m for m in fixed if not catalogue.get(m)) == []
    shapes = {_shape(msgid) for msgid, msgstr in catalogue.items() if msgstr}
    assert sorted(t for t in templates if _shape(t) not in shapes) == []


@pytest.mark.parametrize(
    ("reason", "japanese"),
    [
        ("only an admin may read the audit log", "監査ログを読めるのは管理者だけです"),
        (
            "the permit does not grant column onset of dataset synthea.condition",
            "利用許可はデータセット synthea.condition の列 onset を許可していません",
        ),
        (
            "the project's data permit expired on 2026-01-31",
            "プロジェクトのデータ利用許可は 2026-01-31 に期限が切れました",
        ),
    ],
)
def test_reasons_are_translated_with_their_values(reason: str, japanese: str) -> None:
    assert translate_reason(reason, "ja") == japanese
    assert translate_reason(reason, "en") == reason


def test_an_unknown_reason_stays_as_the_policy_wrote_it() -> None:
    assert translate_reason("a reason no catalogue holds", "ja") == "a reason no catalogue holds"


def test_a_refusal_reads_in_the_users_language(monkeypatch: pytest.MonkeyPatch) -> None:
    reasons = ["only an admin may read the audit log"]
    english = PolicyDenied("audit.read", reasons)
    assert str(english) == "Not allowed to audit.read: only an admin may read the audit log"
    monkeypatch.setenv("TRE_LOCALE", "ja")
    japanese = PolicyDenied("audit.read", reasons)
    assert str(japanese) == "audit.read は許可されていません: 監査ログを読めるのは管理者だけです"
    assert japanese.reasons == reasons  # machine-readable reasons stay as the policy wrote them

"""One-time codes: a data holder issues one to a person, who proves with it who they are.

A stand-in for My Number card verification (see `tre.patients.identity`). The data holder
(an admin or a `data_holder` account) names the person by source and identifier, exactly as
`tre optout add` does; the code binds the person's lake pseudonym, whether or not the lake
holds them (issuing reveals nothing). A code is 12 characters of Crockford's base32 (60 random
bits, shown as XXXX-XXXX-XXXX), valid for `patient_code_days`, and works once: it opens a
session of `patient_session_minutes`.

Codes and session tokens are stored as keyed hashes (a key derived from the lake key), so the
database alone cannot be used to sign in. Failed attempts are counted per client (a keyed
hash of its address) and in total over `patient_attempt_window_minutes`; past either limit a
client is refused before its code is even looked at. Every attempt is audited; a client's
limited attempts once per window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tre import audit, policy
from tre.config import Settings
from tre.db import session_scope
from tre.errors import UserError
from tre.i18n import _
from tre.lake.optout import lake_person_id
from tre.lake.pseudonymise import check_source_name
from tre.patients.identity import IdentityRefused, RateLimited, VerifiedPerson
from tre.patients.models import PatientAttempt, PatientCode, PatientSession
from tre.users import actor_document

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
CODE_LENGTH = 12
_SAME_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# (client, window) whose limited attempts this process has audited: once each, not per request.
_LIMITED_AUDITED: set[tuple[str, int]] = set()
_LIMITED_LOCK = threading.Lock()


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.read_lake_key(), b"tre patient codes v1", hashlib.sha256).digest()


def _hash(settings: Settings, purpose: str, value: str) -> str:
    return hmac.new(_key(settings), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def normalise(code: str) -> str:
    """What a person typed, as issued: case, spaces and dashes ignored; O read as 0, I/L as 1."""
    return "".join(c for c in code.upper() if c not in " -\t").translate(_SAME_AS)


def client_key(settings: Settings, address: str) -> str:
    """The client's address as stored and audited: a keyed hash, not the address."""
    return _hash(settings, "client", address)[:32]


def issue_code(settings: Settings, actor: str, source: str, identifier: str) -> dict[str, Any]:
    """A new code for the person `identifier` at `source`; the code is returned only here."""
    if not check_source_name(source):
        raise UserError(_("Invalid source name: use lower-case letters, digits, '-' or '_'."))
    if not identifier.strip():
        raise UserError(_("The id is empty."), hint=_("Give the person's id in that source."))
    with session_scope(settings) as session:
        policy.require(settings, "patient.code.issue", {"actor": actor_document(session, actor)})
        person_id = lake_person_id(settings, source, identifier.strip())
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        now = datetime.now(UTC)
        row = PatientCode(
            id=f"pc-{secrets.token_hex(8)}",
            code_hash=_hash(settings, "code", code),
            source=source,
            person_id=person_id,
            issued_by=actor,
            issued_at=now,
            expires_at=now + timedelta(days=settings.patient_code_days),
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor=actor, action="patient.code.issue", object_type="patient_code",
            object_id=row.id, body={"source": source, "days": settings.patient_code_days},
        )  # fmt: skip
    shown = "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4))
    return {"id": row.id, "code": shown, "expires_at": row.expires_at}


class OneTimeCodes:
    """`IdentityProvider` by one-time code: credentials `{"code": ...}`."""

    def verify(
        self, settings: Settings, credentials: Mapping[str, str], client: str
    ) -> VerifiedPerson:
        code = normalise(credentials.get("code", ""))
        who = client_key(settings, client)
        now = datetime.now(UTC)
        window = timedelta(minutes=settings.patient_attempt_window_minutes)
        person: VerifiedPerson | None = None
        with session_scope(settings) as session:  # committed, whatever the answer
            retry_at = _limited(settings, session, who, now, window)
            if retry_at is not None:
                self._audit_limited(session, who, now, window)
            else:
                person = _check(settings, session, code, who, now)
        if retry_at is not None:
            raise RateLimited(_("Too many attempts with a wrong code. Try again later."), retry_at)
        if person is None:
            raise IdentityRefused(
                _("That code does not work. Codes work once and for a limited time."),
                hint=_("Check what you typed, or ask your data holder for a new code."),
            )
        return person

    def _audit_limited(self, session: Session, who: str, now: datetime, window: timedelta) -> None:
        slot = (who, int(now.timestamp() // window.total_seconds()))
        with _LIMITED_LOCK:
            if slot in _LIMITED_AUDITED:
                return
            for old in [x for x in _LIMITED_AUDITED if x[1] < slot[1]]:  # past windows
                _LIMITED_AUDITED.discard(old)
            _LIMITED_AUDITED.add(slot)
        audit.record(
            session, actor="patient", action="patient.signin_limited", object_type="client",
            object_id=who, body={},
        )  # fmt: skip


def _check(
    settings: Settings, session: Session, code: str, who: str, now: datetime
) -> VerifiedPerson | None:
    """The person `code` proves (using it up), or None; the attempt is recorded and audited."""
    row = None
    if len(code) == CODE_LENGTH and all(c in ALPHABET for c in code):
        digest = _hash(settings, "code", code)
        row = session.execute(
            select(PatientCode).where(PatientCode.code_hash == digest)
        ).scalar_one_or_none()
    ok = row is not None and row.used_at is None and row.expires_at > now
    session.add(PatientAttempt(at=now, client=who, ok=ok))
    if row is None or not ok:
        audit.record(
            session, actor="patient", action="patient.signin", object_type="client",
            object_id=who, body={"ok": False},
        )  # fmt: skip
        return None
    row.used_at = now
    audit.record(
        session, actor=f"patient:{row.id}", action="patient.signin",
        object_type="patient_code", object_id=row.id, body={"ok": True},
    )  # fmt: skip
    return VerifiedPerson(row.source, row.person_id, row.id)


def _limited(
    settings: Settings, session: Session, who: str, now: datetime, window: timedelta
) -> datetime | None:
    """When the client may try again, or None when it may try now."""
    since = now - window
    failed = (PatientAttempt.ok.is_(False)) & (PatientAttempt.at > since)
    mine = session.execute(
        select(func.count(), func.min(PatientAttempt.at)).where(
            failed, PatientAttempt.client == who
        )
    ).one()
    if mine[0] >= settings.patient_attempts_per_client:
        return mine[1] + window
    everyone = session.execute(
        select(func.count(), func.min(PatientAttempt.at)).where(failed)
    ).one()
    if everyone[0] >= settings.patient_attempts_total:
        return everyone[1] + window
    return None


def open_session(settings: Settings, person: VerifiedPerson) -> tuple[str, datetime]:
    """A session for the verified person: (token for the cookie, when it ends)."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(minutes=settings.patient_session_minutes)
    with session_scope(settings) as session:
        session.add(
            PatientSession(
                token_hash=_hash(settings, "session", token),
                code_id=person.proof_id,
                source=person.source,
                person_id=person.person_id,
                expires_at=expires,
            )
        )
    return token, expires


def session_person(settings: Settings, token: str) -> VerifiedPerson | None:
    """The person of a live session, or None."""
    if not token:
        return None
    with session_scope(settings) as session:
        row = session.get(PatientSession, _hash(settings, "session", token))
        if row is None or row.expires_at <= datetime.now(UTC):
            return None
        return VerifiedPerson(row.source, row.person_id, row.code_id)


def close_session(settings: Settings, token: str) -> None:
    with session_scope(settings) as session:
        row = session.get(PatientSession, _hash(settings, "session", token))
        if row is not None:
            session.delete(row)

"""Patients' one-time codes, their short sessions, and sign-in attempts (for rate limits).

No identifier of a person is stored: a code and a session name the person by their lake
pseudonym only; codes and session tokens are stored as keyed hashes, never as issued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tre.db.models import Base, UTCDateTime, utcnow


class PatientCode(Base):
    __tablename__ = "patient_codes"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))  # lake pseudonym
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PatientSession(Base):
    __tablename__ = "patient_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_id: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PatientAttempt(Base):
    __tablename__ = "patient_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    client: Mapped[str] = mapped_column(String(32))  # a keyed hash of the client's address
    ok: Mapped[bool] = mapped_column(Boolean)

"""SQLAlchemy 2 models of the control database: people, projects, permits, audit.

Times are timezone-aware UTC. A project's `pseudonym_secret` is read only by tre.extract
and never printed, logged or exported (it is excluded from `repr`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; returns aware UTC datetimes on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Purpose(StrEnum):
    """Purposes for secondary use, after EHDS Article 53(1)."""

    PUBLIC_HEALTH = "public_health"
    POLICY_MAKING = "policy_making"
    STATISTICS = "statistics"
    EDUCATION = "education"
    SCIENTIFIC_RESEARCH = "scientific_research"
    CARE_IMPROVEMENT = "care_improvement"


class LawfulBasis(StrEnum):
    """The legal ground an applicant gives for the secondary use of the data."""

    EHDS_PERMIT = "ehds_permit"
    PUBLIC_INTEREST = "public_interest"
    JP_NEXT_GENERATION_ACT = "jp_next_generation_act"
    JP_ACADEMIC_RESEARCH = "jp_academic_research"
    JP_PUBLIC_HEALTH = "jp_public_health"
    CONSENT = "consent"


class ProjectStatus(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"  # the review body asked questions; back with the applicant
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(300))
    lay_summary: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(40))
    purpose_description: Mapped[str] = mapped_column(Text, default="")
    lawful_basis: Mapped[str] = mapped_column(String(40), default="")
    expected_outputs: Mapped[str] = mapped_column(Text, default="")
    proposed_tier: Mapped[str] = mapped_column(String(20), default="standard")
    organisation: Mapped[str] = mapped_column(String(300))
    requested: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=ProjectStatus.SUBMITTED.value)
    tier: Mapped[str] = mapped_column(String(20), default="standard")
    applicant: Mapped[str] = mapped_column(ForeignKey("users.username"))
    pseudonym_secret: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    provisioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    members: Mapped[list[Member]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Member.id"
    )
    decisions: Mapped[list[ProjectDecision]] = relationship(
        back_populates="project", order_by="ProjectDecision.id"
    )
    permits: Mapped[list[Permit]] = relationship(back_populates="project", order_by="Permit.id")

    def __repr__(self) -> str:  # never the secret
        return f"Project(id={self.id!r}, status={self.status!r})"

    @property
    def permit(self) -> Permit | None:
        """The latest permit, revoked or not."""
        return self.permits[-1] if self.permits else None


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("project_id", "username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    username: Mapped[str] = mapped_column(ForeignKey("users.username"))
    role: Mapped[str] = mapped_column(String(20))
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship(back_populates="members")


class ProjectDecision(Base):
    """Who decided what about an application or permit, when, and why."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship(back_populates="decisions")


class Permit(Base):
    """A data permit: `grant` maps dataset names to granted column names."""

    __tablename__ = "permits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    grant: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    cohort_filter: Mapped[str | None] = mapped_column(Text, nullable=True)
    tier: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    project: Mapped[Project] = relationship(back_populates="permits")

    def document(self) -> dict[str, Any]:
        """The permit as policy input."""
        return {
            "grant": self.grant,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "revoked": self.revoked_at is not None,
        }


class ApplicationDraft(Base):
    """An application being written: the form as typed, checked only when submitted."""

    __tablename__ = "application_drafts"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEvent(Base):
    """One link of the hash chain; see tre.audit for how `hash` is computed."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)  # key handovers are found by it
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(128), index=True)  # a request's history
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row naming the chain's last event; locked to serialise appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))

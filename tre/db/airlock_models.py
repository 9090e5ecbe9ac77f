"""Release requests: requests, file groups, files, reviews (votes per file), comments.

A request's files point into the airlock's content-addressed store by sha256; the store,
not `outputs/`, is what reviewers see and what is released. `round` counts submissions:
a returned request that is resubmitted starts a new round of reviews.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tre.db.models import Base, UTCDateTime, utcnow


class AirlockRequest(Base):
    __tablename__ = "airlock_requests"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # r-<n>
    number: Mapped[int] = mapped_column(Integer, unique=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    author: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    override_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    override_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)

    groups: Mapped[list[FileGroup]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="FileGroup.id"
    )
    files: Mapped[list[RequestFile]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestFile.id"
    )
    votes: Mapped[list[FileVote]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="FileVote.id"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Comment.id"
    )
    versions: Mapped[list[FileVersion]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="FileVersion.id"
    )


class FileGroup(Base):
    """Files released together, with what they show (context) and how they were made safe
    (controls): both are required before submit."""

    __tablename__ = "airlock_groups"
    __table_args__ = (UniqueConstraint("request_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("airlock_requests.id"))
    name: Mapped[str] = mapped_column(String(100))
    context: Mapped[str] = mapped_column(Text, default="")
    controls: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[AirlockRequest] = relationship(back_populates="groups")


class RequestFile(Base):
    __tablename__ = "airlock_files"
    __table_args__ = (UniqueConstraint("request_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("airlock_requests.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("airlock_groups.id"))
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    detected_type: Mapped[str] = mapped_column(String(20))
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    verdict: Mapped[str] = mapped_column(String(10), default="review")  # block|review|pass
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[AirlockRequest] = relationship(back_populates="files")
    group: Mapped[FileGroup] = relationship()


class FileVote(Base):
    """One reviewer's vote on one file in one round: approve | changes_requested."""

    __tablename__ = "airlock_votes"
    __table_args__ = (UniqueConstraint("request_id", "round", "reviewer", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("airlock_requests.id"))
    round: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    vote: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[AirlockRequest] = relationship(back_populates="votes")


class FileVersion(Base):
    """A file as it was submitted in one round (its content stays in the store), so the
    next round's reviewers see what changed."""

    __tablename__ = "airlock_file_versions"
    __table_args__ = (UniqueConstraint("request_id", "round", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("airlock_requests.id"))
    round: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    detected_type: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str] = mapped_column(String(10))
    person_level: Mapped[bool] = mapped_column(Boolean, default=False)

    request: Mapped[AirlockRequest] = relationship(back_populates="versions")


class Comment(Base):
    """`visibility` public (the author sees it) or private (checkers and admins only);
    `path` the file a comment is about (none: the whole request)."""

    __tablename__ = "airlock_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("airlock_requests.id"))
    round: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(64))
    visibility: Mapped[str] = mapped_column(String(10))
    path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[AirlockRequest] = relationship(back_populates="comments")

"""Tables of notices and of how far the audit log has been read for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tre.db.models import Base, UTCDateTime, utcnow


class Notice(Base):
    """One notice for one person, made from the audit event `seq`."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("username", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(64))  # the audit action
    project_id: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str] = mapped_column(String(128))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NoticeCursor(Base):
    """The last audit event turned into notices (a single row)."""

    __tablename__ = "notice_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)

"""Tables of staff work: broadcasts and the durable outbox every bulk message goes through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(160))
    text: Mapped[str] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(255))
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scheduled_at: Mapped[datetime | None] = mapped_column(index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)  # queued/sending/done/cancelled
    total: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMessage(Base):
    """One message to one person, written in the same transaction as what caused it.

    A worker claims rows (FOR UPDATE SKIP LOCKED on PostgreSQL), sends them
    through the paced sender and records the outcome before moving on, so a
    crash resumes where it stopped: nobody lost, nobody messaged twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("outbox_due", "status", "not_before"),
        UniqueConstraint("broadcast_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    """The person a message is about (a help request, a new mentee), so it goes when they do."""
    kind: Mapped[str] = mapped_column(String(16), default="broadcast")
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    image: Mapped[str | None] = mapped_column(String(255))
    priority: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued/sending/sent/failed/unreachable
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobRun(Base):
    """Periodic jobs that must happen once per period (report reminders, help-request reminders)."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(default=utcnow)

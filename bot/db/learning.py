"""Tables of learning: lesson progress, quiz attempts, certificates, questions we could not answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow


class LessonProgress(Base):
    """Where a person is in one lesson; `completed_at` set once they reach its end."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[str] = mapped_column(String(64))
    topic_id: Mapped[str] = mapped_column(String(32), index=True)
    step: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    check_correct: Mapped[bool | None] = mapped_column(Boolean)


class QuizAttempt(Base):
    """One try at a topic quiz: the drawn questions, their shuffled options, the answers given."""

    __tablename__ = "quiz_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[str] = mapped_column(String(32), index=True)
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    orders: Mapped[list[list[int]]] = mapped_column(JSON)
    answers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean, index=True)


class Certificate(Base):
    """A certificate per passed topic (`topic_id`) or the overall one (`topic_id` = "all")."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "topic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[str] = mapped_column(String(32), index=True)
    holder_name: Mapped[str] = mapped_column(String(128))
    ward_name: Mapped[str | None] = mapped_column(String(128))
    tdp_name: Mapped[str | None] = mapped_column(String(128))
    topics: Mapped[list[str]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class RevokedCertificate(Base):
    """What remains of a certificate whose holder was deleted: the digest of its code and two dates.

    A paper certificate outlives the data behind it; whoever scans its QR code then
    learns it was revoked on that day, not that it was forged (`/verify` says so),
    and nothing of the person is kept.
    """

    __tablename__ = "revoked_certificates"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # `bot.people.codes.digest` of the code
    issued_at: Mapped[datetime]
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnansweredQuestion(Base):
    """Questions the FAQ could not answer, masked, so staff can grow the FAQ from real questions."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    text: Mapped[str] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    """Who asked: their questions go when they do (`bot.privacy`)."""
    answered_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    """When staff answered it (`bot.questions`): answered questions leave the list of what to add."""
    answered_by: Mapped[str | None] = mapped_column(String(80), default=None)
    """The staff identity that answered ("telegram:123"), as in the audit log."""


class ScamCheck(Base):
    """One "Kiểm tra tin nhắn lạ" check, for the monthly counts per TDP and kind of trick.

    Neither the message nor the person is kept: a ward sees a new wave of one trick in
    one TDP, nobody sees who asked or what they were sent.
    """

    __tablename__ = "scam_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    tdp_id: Mapped[int | None] = mapped_column(ForeignKey("tdps.id", ondelete="SET NULL"), index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    signs: Mapped[list[str]] = mapped_column(JSON, default=list)

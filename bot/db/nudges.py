"""Tables of coming back: the nudges a person chose and those sent, and the spaced-review items.

A nudge plan is the person's own choice ("Nhắc tôi học?": which days, which part
of the day, or never); `nudges` is one row per nudge queued, which the weekly cap,
the pause after three ignored ones and the staff counts are read from. A review
item is one quiz question a person met, in its Leitner box, with its results.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow


class NudgePlan(Base):
    """When a person wants to be reminded; `days` = 0 means "never"."""

    __tablename__ = "nudge_plans"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE", name="fk_nudge_plans_user"), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, default=0)
    """Weekdays as bits, Monday = 1, Tuesday = 2, … Sunday = 64: how many are set is the weekly cap."""
    part: Mapped[str | None] = mapped_column(String(16))
    """"morning", "afternoon" or "evening" (ward time)."""
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
    """Set by "DỪNG" (any channel, any screen); cleared by "TIẾP TỤC" or a new choice."""
    paused_at: Mapped[datetime | None]
    """Set after three nudges in a row had no reply; cleared by any message."""
    ignored: Mapped[int] = mapped_column(Integer, default=0)
    """Nudges in a row with no reply since."""


class Nudge(Base):
    """One nudge queued for a person (its message is the outbox row `outbox_id`)."""

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint("user_id", "day", name="uq_nudges_user_day"),
        Index("ix_nudges_user_week", "user_id", "week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE", name="fk_nudges_user"))
    day: Mapped[date] = mapped_column(Date)
    """The ward-time day it is for: never two on one day, whatever the number of workers."""
    week: Mapped[str] = mapped_column(String(8))
    """ISO week of `day` ("2026-W50"): the cap counts per week."""
    kind: Mapped[str] = mapped_column(String(16))
    """"lesson" (the next lesson) or "review" (Ôn nhanh)."""
    queued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL", name="fk_nudges_outbox"))
    answered_at: Mapped[datetime | None]
    """When the person next wrote (any message): a nudge answered is not an ignored one."""


class ReviewItem(Base):
    """One question a person met in a lesson or a quiz, coming back at growing intervals."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("user_id", "question_id", name="uq_review_items_user_question"),
        Index("ix_review_items_user_due", "user_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE", name="fk_review_items_user"))
    question_id: Mapped[str] = mapped_column(String(64))
    topic_id: Mapped[str] = mapped_column(String(32))
    box: Mapped[int] = mapped_column(Integer, default=1)
    """Leitner box 1..5: box n comes back after INTERVALS[n - 1] days (`bot.review.leitner`)."""
    due_at: Mapped[datetime]
    right: Mapped[int] = mapped_column(Integer, default=0)
    wrong: Mapped[int] = mapped_column(Integer, default=0)
    last_correct: Mapped[bool | None] = mapped_column(Boolean)
    last_answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

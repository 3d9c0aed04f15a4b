"""Tables of the "Đại sứ số" network: mentors, pairings, help given, help requests, households.

A resident registered offline by a mentor (no phone) is a `User` with channel
"offline": progress, certificates and reports then count them like everyone else.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow

ORGANISATIONS = ("doan-thanh-nien", "hoi-phu-nu", "cuu-chien-binh", "tdp", "truong-hoc", "khac")
PLACES = ("tai-nha", "mot-cua", "lop-hoc", "khac")


class Mentor(Base):
    __tablename__ = "mentors"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    full_name: Mapped[str] = mapped_column(String(128))
    organisation: Mapped[str] = mapped_column(String(32))
    tdp_id: Mapped[int | None] = mapped_column(ForeignKey("tdps.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(160))


class Mentorship(Base):
    """A mentor guiding a mentee; one active pairing per mentee (ended_at is null)."""

    __tablename__ = "mentorships"
    __table_args__ = (
        Index("one_active_mentor", "mentee_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentors.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    how: Mapped[str] = mapped_column(String(16))  # invite / offline / staff
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(32))


class HelpSession(Base):
    """Help a mentor gave: one person at home, or a group class ("buổi hướng dẫn")."""

    __tablename__ = "help_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentors.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    topic_id: Mapped[str | None] = mapped_column(String(32))
    lesson_id: Mapped[str | None] = mapped_column(String(64))
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    place: Mapped[str] = mapped_column(String(16), default="khac")
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpSessionAttendee(Base):
    __tablename__ = "help_session_attendees"

    session_id: Mapped[int] = mapped_column(ForeignKey("help_sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    quiz_score: Mapped[int | None] = mapped_column(Integer)


class HelpRequest(Base):
    """"Nhờ người hướng dẫn": a question, where the person was stuck, and the answer relayed back."""

    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("mentors.id", ondelete="SET NULL"), index=True)
    tdp_id: Mapped[int | None] = mapped_column(ForeignKey("tdps.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answered_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]


class Household(Base):
    """"Gia đình số": a family learning together; counts once a member holds a certificate."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    tdp_id: Mapped[int | None] = mapped_column(ForeignKey("tdps.id", ondelete="SET NULL"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HouseholdMember(Base):
    __tablename__ = "household_members"

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, unique=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

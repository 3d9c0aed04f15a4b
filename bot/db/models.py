"""Database tables of the core: people, units (ward / TDP), processed updates, audit log.

Feature tables (progress, quiz attempts, certificates, mentors, broadcasts) live in
their own modules next to this one and share `Base`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import JSON, BigInteger, Boolean, CursorResult, DateTime, ForeignKey, Integer, Result, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, typed as one (core INSERT/UPDATE statements built once, without the ORM)."""
    return cast(Table, model.__table__)


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE/DELETE/INSERT touched (`Result` is typed without it; the DB-API cursor has it)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


class Ward(Base):
    __tablename__ = "wards"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))

    tdps: Mapped[list[Tdp]] = relationship(back_populates="ward", order_by="Tdp.number")


class Tdp(Base):
    """Tổ dân phố: the unit every report counts by."""

    __tablename__ = "tdps"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    number: Mapped[int | None] = mapped_column(Integer)
    adult_population: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)

    ward: Mapped[Ward] = relationship(back_populates="tdps")


class User(Base):
    """One account on one channel; `merged_into_id` points to the account it was linked to."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(128))
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    role: Mapped[str] = mapped_column(String(16), default="learner", index=True)
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id", ondelete="SET NULL"), index=True)
    tdp_id: Mapped[int | None] = mapped_column(ForeignKey("tdps.id", ondelete="SET NULL"), index=True)
    age_band: Mapped[str | None] = mapped_column(String(8))
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(index=True)
    state: Mapped[str | None] = mapped_column(String(64))
    state_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    has_smartphone: Mapped[bool | None]
    uses_social: Mapped[bool | None]
    vneid_active: Mapped[bool | None]
    notifications_off: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    scope_tdp_id: Mapped[int | None] = mapped_column(ForeignKey("tdps.id", ondelete="SET NULL", name="fk_users_scope_tdp"))

    ward: Mapped[Ward | None] = relationship(lazy="raise")
    tdp: Mapped[Tdp | None] = relationship(lazy="raise", foreign_keys=[tdp_id])

    @property
    def has_consented(self) -> bool:
        return self.consent_at is not None

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.external_id}"


class ProcessedUpdate(Base):
    """Inbound update ids already handled: the guard against redelivery."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(160))
    """The acting identity ("telegram:9001", "web:…", "cli"), not only the merged person."""
    via: Mapped[str | None] = mapped_column(String(64))
    """The screen or command that acted ("screen:staff.roles", "cli:admin add")."""
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(160))
    detail: Mapped[str | None] = mapped_column(Text)


class Code(Base):
    """A one-time code (link accounts, a mentor's invitation, a household, mentor approval); see
    `bot.people.codes`. Only the digest of the code is kept."""

    __tablename__ = "codes"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("mentors.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

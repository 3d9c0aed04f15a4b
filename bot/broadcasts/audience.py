"""Who receives a broadcast: one SQL query built from a small, testable description.

"all" means everyone reachable by push: Telegram and Zalo people who have not
turned announcements off, not blocked the bot, and not been merged into another
account. Web-chat visitors have no push channel and are counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.learning import Certificate, LessonProgress
from bot.db.models import Tdp, User, Ward
from bot.network.mentors import approved_mentor_exists
from bot.outbox import PUSH_CHANNELS

KINDS = ("all", "ward", "tdp", "role", "uncertified", "not_started", "channel")


class AudienceError(ValueError):
    """The audience text is not understood; the message says what is accepted."""


@dataclass(frozen=True)
class Audience:
    kind: str = "all"
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> Audience:
        """'all', 'ward:hung-dao', 'tdp:hung-dao/5', 'role:mentor', 'uncertified', 'not_started:vneid', 'channel:zalo'."""
        kind, _, value = text.strip().partition(":")
        kind = kind.strip().lower().replace("-", "_")
        if kind not in KINDS:
            raise AudienceError(f"unknown audience {text!r}; use one of: all, ward:<code>, tdp:<ward>/<number>, "
                                "role:learner|mentor, uncertified, not_started:<topic>, channel:telegram|zalo")
        if kind in ("all", "uncertified") and value:
            raise AudienceError(f"{kind} takes no value")
        if kind in ("ward", "tdp", "role", "channel") and not value:
            raise AudienceError(f"{kind} needs a value, e.g. {kind}:…")
        if kind == "role" and value not in ("learner", "mentor"):
            raise AudienceError("role is learner or mentor")
        if kind == "channel" and value not in PUSH_CHANNELS:
            raise AudienceError("channel is telegram or zalo")
        return cls(kind, value or None)

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "value": self.value}


def _reachable() -> list:  # type: ignore[type-arg]
    return [User.channel.in_(PUSH_CHANNELS), User.notifications_off.is_(False), User.unreachable_at.is_(None),
            User.merged_into_id.is_(None)]


async def recipients_query(session: AsyncSession, audience: Audience, scope_tdp_id: int | None = None) -> Select:
    """SELECT of the recipients' user ids; `scope_tdp_id` limits a TDP leader to their own TDP."""
    conditions = _reachable()
    if scope_tdp_id is not None:
        conditions.append(User.tdp_id == scope_tdp_id)
    if audience.kind == "ward":
        ward_id = await session.scalar(select(Ward.id).where(Ward.code == audience.value))
        conditions.append(User.ward_id == (ward_id if ward_id is not None else -1))
    elif audience.kind == "tdp":
        ward_code, _, number = (audience.value or "").partition("/")
        tdp_id = await session.scalar(select(Tdp.id).join(Ward, Ward.id == Tdp.ward_id).where(
            Ward.code == ward_code, Tdp.number == (int(number) if number.isdigit() else -1)))
        conditions.append(User.tdp_id == (tdp_id if tdp_id is not None else -1))
    elif audience.kind == "role":
        is_mentor = approved_mentor_exists(User.id)
        conditions.append(is_mentor if audience.value == "mentor" else ~is_mentor)
    elif audience.kind == "uncertified":
        conditions.append(~exists().where(Certificate.user_id == User.id, Certificate.revoked_at.is_(None)))
    elif audience.kind == "not_started":
        started = [LessonProgress.user_id == User.id]
        if audience.value:
            started.append(LessonProgress.topic_id == audience.value)
        conditions.append(~exists().where(and_(*started)))
    elif audience.kind == "channel":
        conditions.append(User.channel == audience.value)
    return select(User.id).where(*conditions).order_by(User.id)


async def count(session: AsyncSession, audience: Audience, scope_tdp_id: int | None = None) -> tuple[int, int]:
    """(reachable recipients, web-chat visitors in the same units who cannot be reached by push)."""
    query = await recipients_query(session, audience, scope_tdp_id)
    reachable = await session.scalar(select(func.count()).select_from(query.subquery()))
    web = select(func.count()).select_from(User).where(User.channel == "web", User.merged_into_id.is_(None))
    if scope_tdp_id is not None:
        web = web.where(User.tdp_id == scope_tdp_id)
    return int(reachable or 0), int(await session.scalar(web) or 0)

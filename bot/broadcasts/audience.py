"""Who receives a broadcast: one SQL query built from a small, testable description.

"all" means everyone reachable: Telegram and Zalo people who have not turned
announcements off, not blocked the bot, and not been merged into another
account, and web-chat residents (who consented, so the ward knows who they are)
with announcements on — they get it live while their page is open and in their
history when they next open it. An audience naming a ward or TDP that does not
exist is refused before anything is counted or sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.learning import Certificate, LessonProgress
from bot.db.models import User
from bot.network.mentors import approved_mentor_exists
from bot.outbox.queue import PUSH_CHANNELS
from bot.units.reference import tdp_by_ref, ward_by_code

KINDS = ("all", "ward", "tdp", "role", "uncertified", "not_started", "channel", "age")
CHANNELS = (*PUSH_CHANNELS, "web")
AGE_BANDS = ("u16", "16-59", "60+")
"""The age bands onboarding asks (`bot.handlers.onboarding`)."""


class AudienceError(ValueError):
    """The audience text is not understood; the message says what is accepted."""


@dataclass(frozen=True)
class Audience:
    kind: str = "all"
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> Audience:
        """'all', 'ward:hung-dao', 'tdp:hung-dao/5', 'role:mentor', 'uncertified', 'not_started:vneid', 'channel:zalo', 'age:60+'."""
        kind, _, value = text.strip().partition(":")
        kind = kind.strip().lower().replace("-", "_")
        if kind not in KINDS:
            raise AudienceError(f"unknown audience {text!r}; use one of: all, ward:<code>, tdp:<ward>/<number>, "
                                "role:learner|mentor, uncertified, not_started:<topic>, channel:telegram|zalo, age:u16|16-59|60+")
        if kind in ("all", "uncertified") and value:
            raise AudienceError(f"{kind} takes no value")
        if kind in ("ward", "tdp", "role", "channel", "age") and not value:
            raise AudienceError(f"{kind} needs a value, e.g. {kind}:…")
        if kind == "role" and value not in ("learner", "mentor"):
            raise AudienceError("role is learner or mentor")
        if kind == "channel" and value not in CHANNELS:
            raise AudienceError("channel is telegram, zalo or web")
        if kind == "age" and value not in AGE_BANDS:
            raise AudienceError("age is u16, 16-59 or 60+")
        return cls(kind, value or None)

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "value": self.value}


class UnknownUnit(AudienceError):
    """The ward or TDP the audience names does not exist."""


def _reachable() -> list:
    push = User.channel.in_(PUSH_CHANNELS) & User.unreachable_at.is_(None)
    web = (User.channel == "web") & User.consent_at.is_not(None)
    return [push | web, User.notifications_off.is_(False), User.merged_into_id.is_(None)]


async def recipients_query(session: AsyncSession, audience: Audience, scope_tdp_id: int | None = None) -> Select:
    """SELECT of the recipients' user ids; `scope_tdp_id` limits a TDP leader to their own TDP.

    Raises UnknownUnit when the audience names a ward or TDP that does not exist.
    """
    conditions = _reachable()
    if scope_tdp_id is not None:
        conditions.append(User.tdp_id == scope_tdp_id)
    if audience.kind == "ward":
        ward = await ward_by_code(session, audience.value or "")
        if ward is None:
            raise UnknownUnit(f"no ward {audience.value!r}")
        conditions.append(User.ward_id == ward.id)
    elif audience.kind == "tdp":
        tdp = await tdp_by_ref(session, audience.value or "")
        if tdp is None:
            raise UnknownUnit(f"no TDP {audience.value!r} (give <ward code>/<number>, e.g. hung-dao/5)")
        conditions.append(User.tdp_id == tdp.id)
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
    elif audience.kind == "age":
        conditions.append(User.age_band == audience.value)
    return select(User.id).where(*conditions).order_by(User.id)


async def count(session: AsyncSession, audience: Audience, scope_tdp_id: int | None = None) -> dict[str, int]:
    """Recipients per channel ("telegram", "zalo", "web"), each channel present, in one query."""
    ids = (await recipients_query(session, audience, scope_tdp_id)).subquery()
    rows = await session.execute(select(User.channel, func.count()).where(User.id.in_(select(ids.c.id)))
                                 .group_by(User.channel))
    return dict.fromkeys(CHANNELS, 0) | {channel: int(n) for channel, n in rows}

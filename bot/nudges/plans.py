"""A person's nudge plan: chosen, stopped ("DỪNG"), restarted ("TIẾP TỤC"), paused and resumed.

Kept apart from the screens so the conversation, the scheduler and the tests
change a plan in one way only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import rows_changed
from bot.db.nudges import Nudge, NudgePlan

PAUSE_AFTER = 3
"""Nudges in a row with no reply, after which nudges pause until the person writes again."""


async def plan_of(session: AsyncSession, user_id: int) -> NudgePlan | None:
    return await session.get(NudgePlan, user_id)


async def choose(session: AsyncSession, user_id: int, days: int, part: str | None, now: datetime) -> NudgePlan:
    """Saves the person's choice (`days` = 0: never); a new choice also restarts stopped or paused nudges."""
    plan = await plan_of(session, user_id)
    if plan is None:
        plan = NudgePlan(user_id=user_id, ignored=0)
        session.add(plan)
    plan.days, plan.part, plan.chosen_at = days, part if days else None, now
    plan.stopped_at = plan.paused_at = None
    plan.ignored = 0
    await session.flush()
    return plan


def active(plan: NudgePlan | None) -> bool:
    return plan is not None and bool(plan.days) and plan.part is not None and plan.stopped_at is None \
        and plan.paused_at is None


async def stop(session: AsyncSession, user_id: int, now: datetime) -> NudgePlan | None:
    """"DỪNG": no nudge until "TIẾP TỤC" or a new choice; None when the person never chose any."""
    plan = await plan_of(session, user_id)
    if plan is None or not plan.days:
        return None
    if plan.stopped_at is None:
        plan.stopped_at = now
    return plan


async def restart(session: AsyncSession, user_id: int) -> NudgePlan | None:
    """"TIẾP TỤC": the plan again, as chosen; None when nothing was stopped or paused."""
    plan = await plan_of(session, user_id)
    if plan is None or not plan.days or (plan.stopped_at is None and plan.paused_at is None):
        return None
    plan.stopped_at = plan.paused_at = None
    plan.ignored = 0
    return plan


async def answered(session: AsyncSession, user_id: int, now: datetime) -> bool:
    """The person wrote: their waiting nudges are answered and a pause after ignored ones ends.

    One UPDATE that changes nothing in the usual case (no nudge waiting for an answer), since it
    runs at every turn; True when there was a nudge to answer.
    """
    result = await session.execute(
        update(NudgePlan).where(NudgePlan.user_id == user_id, NudgePlan.ignored > 0)
        .values(ignored=0, paused_at=None).execution_options(synchronize_session=False))
    if not rows_changed(result):
        return False
    await session.execute(update(Nudge).where(Nudge.user_id == user_id, Nudge.answered_at.is_(None))
                          .values(answered_at=now).execution_options(synchronize_session=False))
    return True

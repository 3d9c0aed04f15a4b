"""Answering and assigning a resident's help request ("Nhờ người hướng dẫn"): one place for the mentor's
chat screen and the staff console."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User
from bot.db.network import HelpRequest, Mentor
from bot.outbox.queue import enqueue
from bot.text.i18n import translate

MAX_ANSWER = 500


async def answer_request(session: AsyncSession, request: HelpRequest, reply: str, answered_by: int, helper: str) -> bool:
    """Closes an open request with `reply` and sends it to the resident, naming `helper`; False if it was
    no longer open (someone answered first)."""
    reply = " ".join(reply.split())[:MAX_ANSWER]
    if not reply or request.status != "open":
        return False
    request.status, request.answer = "answered", reply
    request.answered_by, request.answered_at = answered_by, datetime.now(UTC)
    mentee = await session.get(User, request.mentee_id)
    lang = mentee.locale if mentee is not None else "vi"
    await enqueue(session, request.mentee_id, translate(lang, "help_request.answer", mentor=helper,
                                                        question=request.question, answer=reply), priority=0)
    return True


async def assign_request(session: AsyncSession, request: HelpRequest, mentor: Mentor, alert: str) -> None:
    """Gives an open request to `mentor` and tells them (`alert`, already in their language)."""
    request.mentor_id = mentor.id
    await enqueue(session, mentor.user_id, alert, about=request.mentee_id)

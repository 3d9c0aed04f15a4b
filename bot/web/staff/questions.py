"""Câu hỏi: what residents asked that the assistant could not answer, similar ones grouped with counts;
answer a group (each person who asked gets the answer in their own chat) or start a FAQ entry from it.

The grouping and the sending are `bot.questions.service` (the chat screen and `bot faq unanswered`
use them too); a draft goes where `bot faq add` writes it (var/faq-drafts.yaml beside the files folder).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.content.drafts import AlreadyDrafted, DraftError, Group, add_group_draft, drafts_beside, faq_topics
from bot.people.audit import record
from bot.questions.service import answer_group, count_askers, unanswered_groups
from bot.text.fold import fold
from bot.web.staff.console import Staff, action, page

LISTED = 30


async def groups(staff: Staff) -> list[Group]:
    async with staff.db.sessions() as session:
        return await unanswered_groups(session, staff.runtime.services.content.synonyms, tdp_id=staff.scope_tdp_id)


def chosen(found: list[Group], representative: str) -> Group | None:
    """The group the form names by its representative wording (numbers move as new questions arrive)."""
    for group in found:
        if group.representative == representative:
            return group
    wanted = fold(representative)
    return next((g for g in found if any(fold(a.text) == wanted for a in g.texts)), None)


@page
async def questions_page(staff: Staff) -> web.StreamResponse:
    found = await groups(staff)
    async with staff.db.sessions() as session:
        people = [await count_askers(session, group, tdp_id=staff.scope_tdp_id) for group in found[:LISTED]]
    return staff.render("questions.html", groups=list(zip(found[:LISTED], people)), more=max(0, len(found) - LISTED),
                        topics=faq_topics(staff.runtime.services.content))


@action
async def answer(staff: Staff) -> web.StreamResponse:
    text = staff.field("answer")
    group = chosen(await groups(staff), staff.field("group"))
    if group is None:
        return staff.back_to("/staff/questions", "question_gone")
    if not text:
        return staff.back_to("/staff/questions", "answer_empty")
    async with staff.db.transaction() as session:
        told = await answer_group(session, group, text, staff.key, tdp_id=staff.scope_tdp_id)
        record(session, staff.actor, "question.answer", target=group.representative[:160],
               detail=f"people={told} texts={len(group.texts)}")
    return staff.back_to("/staff/questions", "question_answered", told)


@action
async def draft(staff: Staff) -> web.StreamResponse:
    content = staff.runtime.services.content
    group = chosen(await groups(staff), staff.field("group"))
    if group is None:
        return staff.back_to("/staff/questions", "question_gone")
    try:
        made = add_group_draft(drafts_beside(Path(staff.runtime.services.files_dir)), content, staff.field("topic"), group)
    except AlreadyDrafted:
        return staff.back_to("/staff/questions", "draft_exists")
    except DraftError:
        return staff.back_to("/staff/questions", "draft_failed")
    async with staff.db.transaction() as session:
        record(session, staff.actor, "faq.draft", target=made.id, detail=f"topic={made.topic} asked={made.asked}")
    return staff.back_to("/staff/questions", "draft_written")


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/questions", questions_page)
    app.router.add_post("/staff/questions/answer", answer)
    app.router.add_post("/staff/questions/draft", draft)

"""Câu hỏi chưa trả lời, from the staff menu: what residents asked that the assistant could not answer.

Grouped by meaning with counts (`bot.questions`), a TDP leader seeing only their TDP. A group can be
answered in chat: the staff member types the answer, sees to how many people it goes, confirms,
and each person who asked gets it quoting their own question. Or it becomes a draft FAQ entry
(var/faq-drafts.yaml, as `bot faq add` writes) for whoever edits content/.
"""

from __future__ import annotations

from bot.content.drafts import DraftError, Group, add_group_draft, drafts_beside, find_group
from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.people.roles import STAFF, staff_tdp_scope
from bot.questions.service import MAX_ANSWER, answer_group, count_askers, unanswered_groups
from bot.text.i18n import format_moment
from bot.text.labels import cut_at_word
from bot.text.masking import mask

router = Router()

LISTED = 5
"""Groups per screen, with "back" six choices."""
LABEL = 48
"""A group's button shows the start of its most asked wording, cut at a word."""


async def _groups(ctx: Ctx) -> list[Group]:
    return await unanswered_groups(ctx.session, ctx.services.content.synonyms, tdp_id=staff_tdp_scope(ctx.identity))


async def _group(ctx: Ctx) -> Group | None:
    """The group chosen earlier, found again by its wording: new questions may have renumbered the list."""
    return find_group(await _groups(ctx), ctx.data["question"], ctx.services.content.synonyms)


@router.screen("staff.questions", help="help.staff_questions", requires=STAFF)
async def questions(ctx: Ctx) -> None:
    """The most asked open groups; tapping one opens it."""
    groups = await _groups(ctx)
    if (number := ctx.chosen_id("g")) is not None and 0 < number <= len(groups):
        await ctx.go("staff.question", question=groups[number - 1].representative)
        return
    if not groups:
        ctx.say(ctx.t("questions.none"), [ctx.opt("back", "nav.back")])
        return
    ctx.say(ctx.t("questions.title", groups=len(groups), asked=sum(g.count for g in groups)),
            [Option(f"g:{g.number}", ctx.t("questions.group_label", n=g.count, text=cut_at_word(g.representative, LABEL)))
             for g in groups[:LISTED]] + [ctx.opt("back", "nav.back")])


@router.screen("staff.question", help="help.staff_questions", free_text=True, requires=STAFF, needs=("question",))
async def question(ctx: Ctx) -> None:
    """One group: its wordings; type an answer to send it, or make a FAQ draft of it."""
    group = await _group(ctx)
    options = [ctx.opt("draft", "questions.make_draft"), ctx.opt("back", "nav.back")]
    if group is None:
        ctx.say(ctx.t("questions.gone"), [ctx.opt("back", "nav.back")])
        return
    if ctx.option == "draft":
        try:
            draft = add_group_draft(drafts_beside(ctx.services.files_dir), ctx.services.content, "general", group)
        except DraftError as exc:
            ctx.say(ctx.t("questions.draft_failed", reason=str(exc)), options)
            return
        ctx.audit("faq.draft", target=draft.id, detail=f"{group.count} asked")
        ctx.say(ctx.t("questions.drafted", id=draft.id), options)
        return
    text = " ".join((ctx.text or "").split())
    if text and not ctx.entering:
        if len(text) > MAX_ANSWER:
            ctx.say(ctx.t("questions.answer_too_long", limit=MAX_ANSWER), options)
            return
        await ctx.go("staff.question_send", question=ctx.data["question"], answer=text)
        return
    lines = [ctx.t("questions.group", n=group.count, text=group.representative,
                   last=format_moment(group.last, ctx.user.locale))]
    lines += [f"• {example}" for example in group.examples]
    lines.append(ctx.t("questions.type_answer"))
    ctx.say("\n".join(lines), options)


@router.screen("staff.question_send", help="help.staff_questions", requires=STAFF, needs=("question", "answer"))
async def send(ctx: Ctx) -> None:
    """Exactly what goes out and to how many people, then send: nothing leaves before "Gửi"."""
    group = await _group(ctx)
    if group is None:
        ctx.say(ctx.t("questions.gone"), [ctx.opt("back", "nav.back")])
        return
    if ctx.option == "send":
        told = await answer_group(ctx.session, group, ctx.data["answer"], ctx.identity.key,
                                  tdp_id=staff_tdp_scope(ctx.identity))
        ctx.audit("questions.answer", target=mask(group.representative)[:120], detail=f"{told} people")
        ctx.say(ctx.t("questions.sent", n=told))
        await ctx.go("staff.questions")
        return
    people = await count_askers(ctx.session, group, tdp_id=staff_tdp_scope(ctx.identity))
    ctx.say(ctx.t("questions.confirm", n=people, answer=ctx.data["answer"]),
            [ctx.opt("send", "questions.send"), ctx.opt("back", "nav.back")])

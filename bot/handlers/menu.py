"""The main menu: only features that work, at most six choices per screen, the rest behind "Thêm"."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from bot.core.context import Ctx, MenuEntry
from bot.core.flow import Router
from bot.core.messages import Option
from bot.lessons.progress import HAS_OPEN_LESSON

router = Router()

PAGE = 5

FACTS: dict[str, ColumnElement[bool]] = {"open_lesson": HAS_OPEN_LESSON}
"""Yes/no questions about the person (SQL conditions on `:user_id`) the menu's entries ask with
`person_fact`: read together in one query when the menu is built, not one query each."""
_FACTS_QUERY = select(*(condition.label(name) for name, condition in FACTS.items()))


async def person_fact(ctx: Ctx, name: str) -> bool:
    """Fact `name` (see `FACTS`) about this person: read with the others when the menu is built, else alone."""

    async def read_alone() -> bool:
        return bool(await ctx.session.scalar(select(FACTS[name]), {"user_id": ctx.user.id}))

    return await ctx.answer_once(name, read_alone)


async def _entries_for(ctx: Ctx) -> list[MenuEntry]:
    with ctx.reading():  # `visible` checks only read, so a question two of them ask is asked once
        if FACTS:
            facts = (await ctx.session.execute(_FACTS_QUERY, {"user_id": ctx.user.id})).one()
            for name, value in facts._mapping.items():
                ctx.known(name, bool(value))
        entries = []
        for entry in ctx.menu:
            if not await shown_to(ctx, entry):
                continue
            changed = await entry.instead(ctx) if entry.instead is not None else None
            if changed is not None:
                entry = MenuEntry(entry.order, entry.option_id, changed[0], changed[1])
            entries.append(entry)
        return entries


async def shown_to(ctx: Ctx, entry: MenuEntry) -> bool:
    """Whether this person sees `entry` (it requires no right they lack, and its `visible` says yes)."""
    screen = ctx.screens.get(entry.screen)
    if screen is not None and screen.requires is not None and not await ctx.holds(screen.requires):
        return False
    return entry.visible is None or await entry.visible(ctx)


@router.screen("menu", help="help.menu")
async def menu(ctx: Ctx) -> None:
    entries = await _entries_for(ctx)
    if not ctx.entering:
        chosen = next((e for e in entries if e.option_id == ctx.option), None)
        if chosen is not None:
            await ctx.go(chosen.screen)
            return
        if ctx.option == "more":
            ctx.data["page"] = int(ctx.data.get("page", 0)) + 1
    page = int(ctx.data.get("page", 0))
    if page * PAGE >= len(entries):
        page = ctx.data["page"] = 0
    if len(entries) <= PAGE + 1:
        shown, has_more = entries, False
    else:
        shown, has_more = entries[page * PAGE:(page + 1) * PAGE], True
    options = [Option(e.option_id, ctx.t(e.label_key)) for e in shown]
    if has_more:
        last_page = (page + 1) * PAGE >= len(entries)
        options.append(ctx.opt("more", "menu.first_page" if last_page else "menu.more"))
    name = ctx.user.display_name
    title = ctx.t("menu.title_named", name=name) if name else ctx.t("menu.title")
    ctx.say(title, options)


@router.screen("help", help="help.menu")
async def help_screen(ctx: Ctx) -> None:
    ctx.say(ctx.t("help.how_to_use"), [ctx.opt("menu", "menu.back_to_menu")])


router.menu_entry(90, "guide", "menu.help", "help")

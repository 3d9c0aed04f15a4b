"""The main menu: only features that work, at most six choices per screen, the rest behind "Thêm"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import ColumnElement, Select, select

from bot.core.context import Ctx
from bot.core.flow import flow
from bot.core.messages import Option

PAGE = 5


@dataclass(frozen=True)
class MenuEntry:
    order: int
    option_id: str
    label_key: str
    screen: str
    visible: Callable[[Ctx], Awaitable[bool]] | None = None


ENTRIES: list[MenuEntry] = []
FACTS: dict[str, ColumnElement[bool]] = {}


def menu_entry(order: int, option_id: str, label_key: str, screen: str,
               visible: Callable[[Ctx], Awaitable[bool]] | None = None) -> None:
    """Features add themselves to the menu here; `visible` hides an entry from some people.

    An entry whose screen requires a right is shown only to identities holding it.
    """
    ENTRIES.append(MenuEntry(order, option_id, label_key, screen, visible))
    ENTRIES.sort(key=lambda entry: entry.order)


def menu_fact(name: str, condition: ColumnElement[bool]) -> None:
    """A yes/no about the person (a SQL condition on `:user_id`) that `visible` checks ask for with
    `ctx.answer_once(name, …)`: the menu reads all of them in one query, not one query each."""
    FACTS[name] = condition
    _facts_query.cache_clear()


@cache
def _facts_query() -> Select:  # type: ignore[type-arg]
    return select(*(condition.label(name) for name, condition in FACTS.items()))


async def person_fact(ctx: Ctx, name: str) -> bool:
    """Fact `name` (see `menu_fact`) about this person: read with the others when the menu is built, else alone."""

    async def read_alone() -> bool:
        return bool(await ctx.session.scalar(select(FACTS[name]), {"user_id": ctx.user.id}))

    return await ctx.answer_once(name, read_alone)


async def _entries_for(ctx: Ctx) -> list[MenuEntry]:
    with ctx.reading():  # `visible` checks only read, so a question two of them ask is asked once
        if FACTS:
            facts = (await ctx.session.execute(_facts_query(), {"user_id": ctx.user.id})).one()
            for name, value in facts._mapping.items():
                ctx.known(name, bool(value))
        return [e for e in ENTRIES if await _visible(ctx, e)]


async def _visible(ctx: Ctx, entry: MenuEntry) -> bool:
    screen = flow.get(entry.screen)
    if screen is not None and screen.requires is not None and not await ctx.holds(screen.requires):
        return False
    return entry.visible is None or await entry.visible(ctx)


@flow.screen("menu", help="help.menu")
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
        options.append(ctx.opt("more", "menu.more"))
    name = ctx.user.display_name
    title = ctx.t("menu.title_named", name=name) if name else ctx.t("menu.title")
    ctx.say(title, options)


@flow.screen("help", help="help.menu")
async def help_screen(ctx: Ctx) -> None:
    ctx.say(ctx.t("help.how_to_use"), [ctx.opt("menu", "menu.back_to_menu")])


menu_entry(90, "guide", "menu.help", "help")

"""A conversation crawler: every option offered on every screen, through a real adapter.

From a resident, a mentor and a staff member, it explores breadth-first: it
takes a snapshot of where the person stands (their screen and its state), taps
each option offered there (or types its number on Zalo), checks what the
adapter delivered, and queues the screens it reached. Free-text screens get a
few typed answers, every new screen gets "menu" (which must leave it) and
"trợ giúp". Screens no path reaches from the start (a quiz result, a code
typed by someone else) are entered from a seeded state, so that every
registered screen is walked. What a person would see as broken is a `Problem`:
a refused request, a reply with no way on or no way back, a message key or a
`{placeholder}` shown as text, a message over the channel's limit, a button the
adapter cannot carry, Vietnamese interface text in English mode.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from babel.messages.pofile import read_po
from sqlalchemy import select, update

from bot.core.messages import Incoming
from bot.db.models import User

LOCALES = Path(__file__).resolve().parents[2] / "bot" / "locales"
CONTENT = Path(__file__).resolve().parents[2] / "content"
WAY_BACK = frozenset({"back", "menu", "cancel", "keep", "later", "no", "restart", "skip", "done", "leave_quiz"})
"""Option ids that take a person back or out of where they are."""
NO_WAY_BACK_NEEDED = frozenset({"menu", "onboarding.consent", "deleted"})
"""Home itself, the very first question, and the goodbye after deletion (its "Bắt đầu lại" starts again)."""
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
LAST = frozenset({("settings.delete", "confirm")})
"""Taps after which the person is gone: walked once, when everything else has been."""


@dataclass(frozen=True)
class Seen:
    """One message as the person received it."""

    text: str
    options: list[tuple[str, str]]  # (id as the adapter carried it, label)


@dataclass
class Snapshot:
    screen: str
    state_data: dict[str, Any]
    locale: str
    options: list[tuple[str, str]]
    handle: Any = None  # what the adapter needs to tap these buttons again (Telegram: the message id)
    depth: int = 0


@dataclass
class Report:
    screens: set[str] = field(default_factory=set)
    transitions: int = 0
    problems: list[str] = field(default_factory=list)


class Adapter(Protocol):
    name: str
    channel: str

    async def tap(self, user: str, option_id: str, label: str, snapshot: Snapshot) -> tuple[list[Seen], Any]: ...

    async def type(self, user: str, text: str) -> tuple[list[Seen], Any]: ...


def catalog(lang: str) -> dict[str, str]:
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


class Checks:
    """What the crawler asserts of every delivered message."""

    def __init__(self, lang: str, limit: int) -> None:
        vi, en = catalog("vi"), catalog("en")
        keys = sorted(vi, key=len, reverse=True)
        self.keys = re.compile(r"(?<![\w./-])(" + "|".join(re.escape(k) for k in keys if "." in k) + r")(?![\w/-])")
        fragments = set()
        # Lessons, questions and practice messages are Vietnamese in every interface language: a
        # catalog phrase that the content itself also says ("không phải trang của") is not a sign
        # of an untranslated interface text when it shows in one of them.
        content = " ".join(path.read_text(encoding="utf-8") for path in CONTENT.rglob("*.yaml")) if lang == "en" else ""
        if lang == "en":
            for key, text in vi.items():
                if en.get(key) == text:
                    continue
                for piece in re.split(r"\{[a-z_]+\}|\n", text):
                    piece = piece.strip(" .,:;!?\"“”()–-")
                    if len(piece) >= 14 and piece not in content:
                        fragments.add(piece)
        self.vietnamese = re.compile("|".join(re.escape(f) for f in sorted(fragments, key=len, reverse=True))) \
            if fragments else None
        self.limit = limit

    def messages(self, where: str, seen: list[Seen], english: bool = True) -> list[str]:
        """Problems of one turn's messages; `english` is false once the person chose Vietnamese."""
        problems = []
        if not seen:
            return [f"{where}: no answer at all"]
        if seen[0].text.startswith(("HTTP ", "the engine raised")):
            return [f"{where}: refused or failed: {seen[0].text[:200]}"]
        if not seen[-1].options:
            problems.append(f"{where}: the last message has no way on")
        for message in seen:
            shown = "\n".join([message.text, *(label for _, label in message.options)])
            if len(message.text) > self.limit:
                problems.append(f"{where}: a message of {len(message.text)} characters (limit {self.limit})")
            if key := self.keys.search(shown):
                problems.append(f"{where}: message key {key.group(0)!r} shown as text")
            if hole := _PLACEHOLDER.search(shown):
                problems.append(f"{where}: placeholder {hole.group(0)} shown as text")
            if english and self.vietnamese is not None and (vi := self.vietnamese.search(shown)):
                problems.append(f"{where}: Vietnamese interface text in English mode: {vi.group(0)!r}")
            if len(message.options) > 6:
                problems.append(f"{where}: {len(message.options)} choices on one screen")
        return problems


async def snapshot(runtime: Any, channel: str, user: str, options: list[tuple[str, str]], handle: Any,
                   depth: int) -> Snapshot:
    async with runtime.db.sessions() as session:
        identity = await session.scalar(select(User).where(User.channel == channel, User.external_id == user))
        person = await session.get(User, identity.merged_into_id) if identity.merged_into_id else identity
        return Snapshot(person.state or "", dict(person.state_data or {}), person.locale, options, handle, depth)


async def restore(runtime: Any, channel: str, user: str, snap: Snapshot) -> None:
    async with runtime.db.transaction() as session:
        identity = await session.scalar(select(User).where(User.channel == channel, User.external_id == user))
        person_id = identity.merged_into_id or identity.id
        await session.execute(update(User).where(User.id == person_id).values(
            state=snap.screen, state_data=snap.state_data, locale=snap.locale))


Typed = Callable[[], Awaitable[str]] | str


async def crawl(runtime: Any, adapter: Adapter, user: str, lang: str, *, typed: dict[str, list[Typed]],
                seeds: dict[str, dict[str, Any]], limit_chars: int, per_screen: int = 14,
                max_transitions: int = 400, max_depth: int = 14) -> Report:
    """Walks from the person's current place; `seeds` enters screens no walk reached (screen → data)."""
    checks = Checks(lang, limit_chars)
    report = Report()
    final: dict[tuple[str, str], tuple[Snapshot, str, str]] = {}
    tried: set[tuple[str, str]] = set()
    per: dict[str, int] = {}

    async def visit(snap: Snapshot, label: str, action: Callable[[], Awaitable[tuple[list[Seen], Any]]],
                    queue: deque[Snapshot]) -> None:
        await restore(runtime, adapter.channel, user, snap)
        seen, handle = await action()
        report.transitions += 1
        where = f"{adapter.name}/{lang} {snap.screen} → {label}"
        after = await snapshot(runtime, adapter.channel, user, seen[-1].options if seen else [], handle,
                               snap.depth + 1)
        report.problems += checks.messages(where, seen, english=after.locale == "en")
        if after.screen not in report.screens:
            report.screens.add(after.screen)
            await leaves_with_menu(after, where)
            if after.screen not in NO_WAY_BACK_NEEDED and not any(i in WAY_BACK for i, _ in after.options):
                report.problems.append(f"{where}: screen {after.screen} offers no way back "
                                       f"({[i for i, _ in after.options]})")
        if after.depth <= max_depth:
            queue.append(after)

    async def leaves_with_menu(snap: Snapshot, where: str) -> None:
        await restore(runtime, adapter.channel, user, snap)
        seen, _ = await adapter.type(user, "menu")
        now = await snapshot(runtime, adapter.channel, user, [], None, 0)
        if now.screen != "menu":
            report.problems.append(f"{where}: \"menu\" does not leave {snap.screen} (now {now.screen})")
        report.problems += checks.messages(f"{where} → menu", seen)

    async def explore(start: Snapshot) -> None:
        queue: deque[Snapshot] = deque([start])
        report.screens.add(start.screen)
        while queue and report.transitions < max_transitions:
            snap = queue.popleft()
            screen = runtime.engine.flow.get(snap.screen)
            for option_id, label in snap.options:
                key = (snap.screen, option_id.split(":")[0] if ":" in option_id else option_id)
                if key in LAST:
                    final.setdefault(key, (snap, option_id, label))
                    continue
                if key in tried or per.get(snap.screen, 0) >= per_screen:
                    continue
                tried.add(key)
                per[snap.screen] = per.get(snap.screen, 0) + 1
                await visit(snap, label, partial(adapter.tap, user, option_id, label, snap), queue)
            if screen is not None and screen.free_text and (snap.screen, "typed") not in tried:
                tried.add((snap.screen, "typed"))
                for text in typed.get(snap.screen, []) + ["xin chào bạn"]:
                    value = text if isinstance(text, str) else await text()
                    await visit(snap, repr(value), partial(adapter.type, user, value), queue)
            if (snap.screen, "help") not in tried:
                tried.add((snap.screen, "help"))
                await visit(snap, "trợ giúp", lambda: adapter.type(user, "trợ giúp"), queue)

    await explore(await snapshot(runtime, adapter.channel, user, [], None, 0))
    for screen, data in seeds.items():
        if screen in report.screens:
            continue
        async with runtime.db.transaction() as session:  # the screen as it would have been entered
            identity = await session.scalar(select(User).where(User.channel == adapter.channel,
                                                               User.external_id == user))
            await session.execute(update(User).where(User.id == (identity.merged_into_id or identity.id)).values(
                state=screen, state_data={"data": data, "options": [], "history": [["menu", {}]]}))
        # A button of an old message: the engine says so and shows the screen again, with its options.
        replies = await runtime.engine.handle(Incoming(adapter.channel, user, None, option="__old_button__"))
        start = await snapshot(runtime, adapter.channel, user, [(o.id, o.label) for o in replies[-1].options],
                               None, 0)
        await explore(start)
    for snap, option_id, label in final.values():
        await restore(runtime, adapter.channel, user, snap)
        seen, _ = await adapter.tap(user, option_id, label, snap)
        report.transitions += 1
        report.problems += checks.messages(f"{adapter.name}/{lang} {snap.screen} → {label}", seen)
        report.screens.add("deleted")
    return report

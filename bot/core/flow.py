"""The conversation as a table of screens, built once from the features' routers.

A screen is one async function `run(ctx)`: called with `ctx.entering` true to
show itself, and again with the person's choice (`ctx.option`) or typed text
(`ctx.text`). It answers with `ctx.say(...)` and moves on with `ctx.go(...)`.

Each feature module declares what it adds on its own `Router` (screens, main
menu entries, deep links, options that work on any screen, what runs before
every turn); `Flow.of(*routers)` joins them into the value the engine is given
(`bot.handlers.build_flow`), as aiogram joins routers into a dispatcher. No
screen exists by side effect of an import, and tests can build a flow of their
own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core.context import Ctx, Handler, Instead, MenuEntry, Screen, Visible

if TYPE_CHECKING:
    from bot.core.messages import Option
    from bot.people.roles import Right

Unmatched = Callable[[Ctx, "list[Option]"], Awaitable[None]]
Word = Callable[[Ctx], Awaitable[bool]]
"""Handles a word that works everywhere (see `Router.word`); False lets the turn go on as if it were not said."""


@dataclass
class Router:
    """What one feature module adds to the conversation."""

    screens: dict[str, Screen] = field(default_factory=dict)
    menu: list[MenuEntry] = field(default_factory=list)
    deep_links: dict[str, Handler] = field(default_factory=dict)
    option_prefixes: dict[str, Handler] = field(default_factory=dict)
    before_turn: list[Handler] = field(default_factory=list)
    unmatched: Unmatched | None = None
    words: dict[str, Word] = field(default_factory=dict)
    pushed_options: dict[str, Handler] = field(default_factory=dict)

    def screen(
        self, name: str, *, help: str = "help.generic", free_text: bool = False, handles_back: bool = False,
        requires: Right | None = None, needs: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:
        """Registers `run` as the screen `name`.

        `help` is the message key shown for "trợ giúp"; `free_text` screens receive typed
        answers; `handles_back` screens take "quay lại" themselves (a lesson's previous step).
        `requires` is the right the identity speaking must hold: the engine checks it before
        every run of the screen (a button can be forged, a state can be stale), so a screen
        cannot forget it. `needs` names what a step of a form reads from the earlier steps
        (`ctx.data`); a state that lacks one (saved by an older version, or forged) leads home
        with a word instead of a crash.
        """

        def register(run: Handler) -> Handler:
            if name in self.screens:
                raise ValueError(f"screen {name!r} registered twice")
            self.screens[name] = Screen(name, run, help, free_text, handles_back, requires, needs)
            return run

        return register

    def menu_entry(self, order: int, option_id: str, label_key: str, screen: str, visible: Visible | None = None,
                   instead: Instead | None = None) -> None:
        """A main-menu choice; `visible` hides it from some people, `instead` changes what it says and opens
        (Học bài → Học tiếp) while keeping its place, so a menu number means the same thing whatever the
        person's progress. An entry whose screen requires a right is shown only to identities holding it."""
        self.menu.append(MenuEntry(order, option_id, label_key, screen, visible, instead))

    def deep_link(self, prefix: str) -> Callable[[Handler], Handler]:
        """Handles `/start <prefix>…` (Telegram deep links, typed invite codes)."""

        def register(run: Handler) -> Handler:
            self.deep_links[prefix] = run
            return run

        return register

    def option_prefix(self, prefix: str) -> Callable[[Handler], Handler]:
        """Options whose id starts with `prefix` work on any screen (an FAQ answer offered mid-lesson)."""

        def register(run: Handler) -> Handler:
            self.option_prefixes[prefix] = run
            return run

        return register

    def word(self, action: str) -> Callable[[Word], Word]:
        """Handles the global word `action` of `bot.core.matching.GLOBAL_WORDS` ("DỪNG" → "stop_nudges")
        on every screen, before the screen's own choices."""

        def register(run: Word) -> Word:
            self.words[action] = run
            return run

        return register

    def pushed_option(self, prefix: str) -> Callable[[Handler], Handler]:
        """Buttons of messages pushed through the outbox (a nudge's "Học ngay"): they work whatever screen
        the person is on, though that screen never showed them."""

        def register(run: Handler) -> Handler:
            self.pushed_options[prefix] = run
            return run

        return register

    def on_turn(self, run: Handler) -> Handler:
        """Runs at the start of every turn, before the person's screen (messages waiting for them)."""
        self.before_turn.append(run)
        return run

    def on_unmatched(self, run: Unmatched) -> Unmatched:
        """Handles text that is neither an option nor expected free text (gets the closest options)."""
        self.unmatched = run
        return run


@dataclass(frozen=True)
class Flow:
    """Every feature's router joined: the whole conversation."""

    screens: dict[str, Screen]
    menu: list[MenuEntry]
    deep_links: dict[str, Handler]
    option_prefixes: dict[str, Handler]
    before_turn: list[Handler]
    unmatched: Unmatched | None
    words: dict[str, Word] = field(default_factory=dict)
    pushed_options: dict[str, Handler] = field(default_factory=dict)

    @classmethod
    def of(cls, *routers: Router) -> Flow:
        screens: dict[str, Screen] = {}
        for router in routers:
            for name, screen in router.screens.items():
                if name in screens:
                    raise ValueError(f"screen {name!r} registered by two routers")
                screens[name] = screen
        unmatched = [r.unmatched for r in routers if r.unmatched is not None]
        if len(unmatched) > 1:
            raise ValueError("only one router may handle unmatched text")
        return cls(
            screens=screens,
            menu=sorted((entry for r in routers for entry in r.menu), key=lambda entry: entry.order),
            deep_links={prefix: run for r in routers for prefix, run in r.deep_links.items()},
            option_prefixes={prefix: run for r in routers for prefix, run in r.option_prefixes.items()},
            before_turn=[run for r in routers for run in r.before_turn],
            unmatched=unmatched[0] if unmatched else None,
            words={action: run for r in routers for action, run in r.words.items()},
            pushed_options={prefix: run for r in routers for prefix, run in r.pushed_options.items()},
        )

    def get(self, name: str | None) -> Screen | None:
        return self.screens.get(name or "")

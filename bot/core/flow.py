"""The conversation as a table of screens.

A screen is one async function `run(ctx)`: called with `ctx.entering` true to
show itself, and again with the person's choice (`ctx.option`) or typed text
(`ctx.text`). It answers with `ctx.say(...)` and moves on with `ctx.go(...)`.
Feature modules register their screens here on import; the engine looks them up
by the name stored in the person's row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.context import Ctx
    from bot.core.messages import Option
    from bot.people.roles import Right

Handler = Callable[["Ctx"], Awaitable[None]]
Unmatched = Callable[["Ctx", "list[Option]"], Awaitable[None]]


@dataclass(frozen=True)
class Screen:
    name: str
    run: Handler
    help_key: str
    free_text: bool
    handles_back: bool
    requires: Right | None = None


class Flow:
    def __init__(self) -> None:
        self.screens: dict[str, Screen] = {}
        self.deep_links: dict[str, Handler] = {}
        self.unmatched: Unmatched | None = None
        self.option_prefixes: dict[str, Handler] = {}

    def screen(
        self, name: str, *, help: str = "help.generic", free_text: bool = False, handles_back: bool = False,
        requires: Right | None = None,
    ) -> Callable[[Handler], Handler]:
        """Registers `run` as the screen `name`.

        `help` is the message key shown for "trợ giúp"; `free_text` screens receive typed
        answers; `handles_back` screens take "quay lại" themselves (a lesson's previous step).
        `requires` is the right the identity speaking must hold: the engine checks it before
        every run of the screen (a button can be forged, a state can be stale), so a screen
        cannot forget it.
        """

        def register(run: Handler) -> Handler:
            if name in self.screens:
                raise ValueError(f"screen {name!r} registered twice")
            self.screens[name] = Screen(name, run, help, free_text, handles_back, requires)
            return run

        return register

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

    def on_unmatched(self, run: Unmatched) -> Unmatched:
        """Handles text that is neither an option nor expected free text (gets the closest options)."""
        self.unmatched = run
        return run

    def get(self, name: str | None) -> Screen | None:
        return self.screens.get(name or "")


flow = Flow()

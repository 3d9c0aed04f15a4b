"""What a screen sees while it handles one update, and how it answers."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Attachment, Incoming, Option, Reply
from bot.db.models import AuditEntry, User
from bot.people.audit import Actor, record
from bot.text.i18n import translate

if TYPE_CHECKING:
    from bot.core.services import Services
    from bot.people.roles import Right

MAX_HOPS = 12
HISTORY_LIMIT = 15
T = TypeVar("T")
Handler = Callable[["Ctx"], Awaitable[None]]


@dataclass(frozen=True)
class Screen:
    """One step of the conversation (see `bot.core.flow.Router.screen`)."""

    name: str
    run: Handler
    help_key: str
    free_text: bool
    handles_back: bool
    requires: Right | None = None
    needs: tuple[str, ...] = ()


Visible = Callable[["Ctx"], Awaitable[bool]]
Instead = Callable[["Ctx"], Awaitable["tuple[str, str] | None"]]
"""(label key, screen) a menu entry shows and opens for this person instead of its own (or None)."""


@dataclass(frozen=True)
class MenuEntry:
    """A choice of the main menu, leading to `screen` (see `bot.core.flow.Router.menu_entry`)."""

    order: int
    option_id: str
    label_key: str
    screen: str
    visible: Visible | None = None
    instead: Instead | None = None


class FlowError(RuntimeError):
    pass


@dataclass
class Ctx:
    """`user` is the person (their learning and profile, shared by linked accounts); `identity` is the
    account that sent this update, which alone decides rights (see `bot.people.roles`)."""

    services: Services
    session: AsyncSession
    user: User
    incoming: Incoming
    identity: User = None  # type: ignore[assignment]  # the person's own account unless set
    screens: Mapping[str, Screen] = field(default_factory=dict)
    """Every screen of the conversation, by name (the engine's flow)."""
    menu: Sequence[MenuEntry] = ()
    """The main menu's entries, in order (the engine's flow)."""
    screen: str = "menu"
    data: dict[str, Any] = field(default_factory=dict)
    history: list[list[Any]] = field(default_factory=list)
    memory: dict[str, Any] = field(default_factory=dict)
    option: str | None = None
    text: str | None = None
    entering: bool = False
    deleted: bool = False
    replies: list[Reply] = field(default_factory=list)
    new_identity: bool = False
    """The identity's row was created by this update."""
    forget: bool = False
    """Leave nothing of this update behind (a failed code guess from a fresh identity): rolled back."""
    after_commit: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    """Work outside the database once the turn has committed (a deleted person's files)."""
    _hops: int = 0
    _answers: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.identity is None:
            self.identity = self.user

    @property
    def actor(self) -> Actor:
        """Who acts in this update, for the audit log: the identity, and the screen it acts from."""
        return Actor(self.identity.key, f"screen:{self.screen}")

    def audit(self, action: str, target: str | None = None, detail: str | None = None) -> AuditEntry:
        return record(self.session, self.actor, action, target, detail)

    async def holds(self, right: Right) -> bool:
        """Whether the identity speaking holds `right` (asked once per `reading()` block)."""
        return await self.answer_once(f"right:{right.name}", lambda: right.held_by(
            self.session, self.identity, self.services.settings))

    async def run(self, screen: Screen) -> None:
        """Runs `screen` with what is set on the context, once the identity holds what it requires."""
        if screen.requires is not None and not await self.holds(screen.requires):
            self.audit("right.refused", target=screen.name, detail=screen.requires.name)
            await self.home(self.t(screen.requires.refused))
            return
        if any(key not in self.data for key in screen.needs):  # a step of a form whose earlier answers are gone
            await self.home(self.t("engine.form_lost"))
            return
        await screen.run(self)

    def chosen(self, prefix: str) -> str | None:
        """The value of a chosen option "<prefix>:<value>" ("lesson:vneid-2" → "vneid-2"), else None."""
        if self.option is None or not self.option.startswith(prefix + ":"):
            return None
        return self.option[len(prefix) + 1:] or None

    def chosen_id(self, prefix: str) -> int | None:
        """The number of a chosen option "<prefix>:<n>" ("mentee:12" → 12), else None (also for "mentee:x")."""
        value = self.chosen(prefix)
        return int(value) if value is not None and value.isdecimal() else None

    def chosen_number(self, prefix: str, below: int | None = None) -> int | None:
        """The number of a compact option "<prefix><n>" ("q2" → 2), at most `below` - 1 when given, else None."""
        if self.option is None or not self.option.startswith(prefix) or not self.option[len(prefix):].isdecimal():
            return None
        number = int(self.option[len(prefix):])
        return number if below is None or number < below else None

    async def answer_once(self, key: str, ask: Callable[[], Awaitable[T]]) -> T:
        """`await ask()`, asked once per `reading()` block (the menu asks "is this a mentor?" twice)."""
        if self._answers is None:
            return await ask()
        if key not in self._answers:
            self._answers[key] = await ask()
        return self._answers[key]

    def known(self, key: str, answer: Any) -> None:
        """Gives `answer_once(key, …)` its answer in advance (read together with others)."""
        if self._answers is not None:
            self._answers[key] = answer

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """A stretch of reads only (the menu's `visible` checks): nothing written in it can change an answer."""
        outer, self._answers = self._answers, {}
        try:
            yield
        finally:
            self._answers = outer

    @property
    def settings(self):
        return self.services.settings

    @property
    def lang(self) -> str:
        return self.user.locale or self.services.settings.default_locale

    def t(self, key: str, **params: object) -> str:
        return translate(self.lang, key, **params)

    def opt(self, option_id: str, key: str, **params: object) -> Option:
        """An option whose label is the message `key`."""
        return Option(option_id, self.t(key, **params))

    def say(
        self,
        text: str,
        options: list[Option] | None = None,
        *,
        screen: str | None = None,
        image: Attachment | None = None,
        document: Attachment | None = None,
        about: str = "",
        audio: Attachment | None = None,
    ) -> Reply:
        reply = Reply(text, list(options or []), screen or self.screen, image, document, about, audio)
        self.replies.append(reply)
        return reply

    async def go(self, name: str, /, **data: Any) -> None:
        """Moves to screen `name` and shows it; "quay lại" comes back here."""
        if self.screen and (self.screen != name or self.data != data):
            self.history.append([self.screen, self.data])
            del self.history[:-HISTORY_LIMIT]
        await self._enter(name, data)

    async def replace(self, name: str, /, **data: Any) -> None:
        """Moves on without leaving a way back to the current screen (finished forms)."""
        await self._enter(name, data)

    async def home(self, notice: str | None = None) -> None:
        self.history.clear()
        if notice:
            self.say(notice)
        await self._enter("menu", {})

    async def back(self) -> None:
        if not self.history:
            await self.home()
            return
        name, data = self.history.pop()
        await self._enter(name, data)

    async def show_again(self) -> None:
        await self._enter(self.screen, self.data)

    async def _enter(self, name: str, data: dict[str, Any]) -> None:
        screen = self.screens.get(name)
        if screen is None:
            raise FlowError(f"unknown screen {name!r}")
        self._hops += 1
        if self._hops > MAX_HOPS:
            raise FlowError(f"too many screen changes in one update (last {name!r})")
        self.screen, self.data = name, dict(data)
        self.option, self.text, self.entering = None, None, True
        await self.run(screen)

"""The "typing…" indicator of one turn: nothing at all for a quick turn, repeated for a slow one.

Most turns end well before `TYPING_DELAY`, so until then the indicator is only a
timer, not a task, and costs no API call. Failures are ignored: it is a courtesy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.logs import mask

log = logging.getLogger(__name__)

TYPING_DELAY = 1.0
"""A turn quicker than this needs no "typing…" indicator (it would cost one API call per message)."""
TYPING_REPEAT = 4.5
"""Platforms show "typing…" for about 5 s."""
TYPING_ROUNDS = 12

Action = Callable[[str], Awaitable[object]]
"""Shows "typing…" in one chat (the platform's sendChatAction)."""


class Line(Protocol):
    """The sender of the channel: its state decides whether the indicator is shown."""

    @property
    def paused(self) -> bool: ...  # a 429 wait: no call at all

    @property
    def closed(self) -> bool: ...

    def track(self, task: asyncio.Task[None]) -> None: ...  # cancelled when the sender closes


class Typing:
    """Started by `Sender.typing`; `cancel()` when the turn's replies are ready."""

    __slots__ = ("task", "timer")

    def __init__(self, delay: float, chat: str, action: Action, line: Line) -> None:
        self.task: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(
            delay, self._start, chat, action, line)

    def _start(self, chat: str, action: Action, line: Line) -> None:
        if not line.closed:
            self.task = asyncio.create_task(_repeat(chat, action, line))
            line.track(self.task)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.task is not None:
            self.task.cancel()


async def _repeat(chat: str, action: Action, line: Line) -> None:
    """Shows the indicator every few seconds, skipping the rounds of a 429 wait."""
    for _ in range(TYPING_ROUNDS):
        if not line.paused:
            try:
                await action(chat)
            except Exception as exc:
                log.debug("typing indicator failed in %s: %s", chat, mask(repr(exc)))
        await asyncio.sleep(TYPING_REPEAT)

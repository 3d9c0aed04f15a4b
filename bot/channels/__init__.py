"""Channel adapters: Telegram, Zalo and the web chat, each translating to and from the neutral core.

`start_channels` starts every chat platform whose token is set (polling, or
webhook routes on the web app when PUBLIC_BASE_URL is set); `bot run` calls it
before the web server starts listening and `Channels.stop()` on shutdown.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.channels.sender import BULK

if TYPE_CHECKING:
    from aiohttp import web

    from bot.channels.host import Host
    from bot.channels.sender import Outcome
    from bot.core.messages import Reply


class Channel(Protocol):
    name: str

    def check(self) -> None: ...

    async def start(self, app: web.Application | None = None) -> None: ...

    def start_sending(self) -> None: ...

    async def stop(self) -> None: ...

    def send(self, chat_id: Any, reply: Reply, priority: int = ...) -> asyncio.Future[Outcome]: ...


@dataclass
class Channels:
    running: dict[str, Channel] = field(default_factory=dict)

    def send(self, channel: str, chat_id: str, reply: Reply, priority: int = BULK) -> asyncio.Future[Outcome]:
        """Queue a message to a person on `channel` (broadcasts, reminders: behind the replies)."""
        return self.running[channel].send(chat_id, reply, priority)

    async def stop(self) -> None:
        await asyncio.gather(*(channel.stop() for channel in self.running.values()))
        self.running.clear()


async def start_channels(
    runtime: Host, app: web.Application | None, *, receive: bool = True, **options: Any
) -> Channels:
    """Starts Telegram and Zalo when their tokens are set; `options` go to each adapter (tests, bench).

    With `receive=False` only the senders run (the CLI sending a broadcast beside the running bot).
    """
    settings = runtime.settings
    wanted: list[Channel] = []
    # Each adapter is imported only when its token is set: Telegram's library alone costs ~155 MB.
    if settings.telegram_bot_token is not None:
        from bot.channels.telegram import TelegramChannel

        wanted.append(TelegramChannel(runtime, **options))
    if settings.zalo_bot_token is not None:
        from bot.channels.zalo import ZaloChannel

        wanted.append(ZaloChannel(runtime, **options))
    for channel in wanted:
        channel.check()  # a settings error stops start-up before anything is registered anywhere
    channels = Channels()
    try:
        for channel in wanted:
            if receive:
                await channel.start(app)
            else:
                channel.start_sending()
            channels.running[channel.name] = channel
    except BaseException:
        await channels.stop()
        raise
    return channels

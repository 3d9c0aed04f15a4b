"""Messages that waited for a web-chat resident (a mentor's answer, a broadcast): shown first in their turn.

Telegram and Zalo people get them pushed by the outbox worker, and an open web
page gets them live (`bot.web.live`); this is the fallback when the page was closed.
"""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.outbox.queue import take_inbox

router = Router()


@router.on_turn
async def waiting_messages(ctx: Ctx) -> None:
    for message in await take_inbox(ctx.session, ctx.user):
        ctx.say(ctx.t("inbox.new", text=message.text), screen="inbox")

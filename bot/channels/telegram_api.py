"""Bot API calls on the busiest path (a reply with its buttons), without aiogram's types.

For a text message aiogram builds a pydantic method object, encodes it as a
form and reads Telegram's answer into a full `Message`, which the sender never
looks at: that was more than half of the adapter's CPU per reply
(`bench/telegram.py`). Here the JSON body is built directly and a successful
answer is only checked for `"ok": true`. A failed call still goes through
aiogram's own `check_response`, so callers see aiogram's exceptions
(TelegramRetryAfter, TelegramForbiddenError…) exactly as before; everything
else (files, commands, webhooks, polling) stays on aiogram.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import TelegramMethod
from aiohttp import ClientError, ClientTimeout

JSON = {"Content-Type": "application/json"}


async def post(bot: Bot, method: type[TelegramMethod[Any]], payload: dict[str, Any]) -> None:
    """Calls API method `method` (e.g. SendMessage) with `payload` as JSON; raises what aiogram would raise."""
    session = bot.session
    http = await session.create_session()
    url = session.api.api_url(token=bot.token, method=method.__api_method__)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        async with http.post(url, data=body, headers=JSON, timeout=ClientTimeout(total=session.timeout)) as resp:
            status, content = resp.status, await resp.text()
    except asyncio.TimeoutError as exc:
        raise TelegramNetworkError(method=method.model_validate(payload), message="Request timeout error") from exc
    except ClientError as exc:
        raise TelegramNetworkError(method=method.model_validate(payload), message=f"{type(exc).__name__}: {exc}") from exc
    if status == 200 and _ok(content):
        return
    session.check_response(bot=bot, method=method.model_validate(payload), status_code=status, content=content)


def _ok(content: str) -> bool:
    try:
        answer = json.loads(content)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("ok") is True

"""Bot API calls on the busiest paths (replies, getUpdates), without aiogram's types.

For a text message aiogram builds a pydantic method object, encodes it as a
form and reads Telegram's answer into a full `Message`, which the sender never
looks at: that was more than half of the adapter's CPU per reply
(`bench/telegram.py`). Here the JSON body is built directly and an answer is
only checked for `"ok": true`; `getUpdates` hands back the raw updates, so the
adapter can parse them one by one (aiogram rejects a whole batch for one update
it cannot read, and would fetch that batch again forever). A failed call still
goes through aiogram's own `check_response`, so callers see aiogram's exceptions
(TelegramRetryAfter, TelegramForbiddenError…) exactly as before; everything
else (files, commands, webhooks) stays on aiogram.
"""

from __future__ import annotations

import json
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError
from aiogram.methods.base import TelegramMethod
from aiohttp import ClientError, ClientTimeout

JSON = {"Content-Type": "application/json"}


async def call(bot: Bot, method: type[TelegramMethod[Any]], payload: dict[str, Any],
               timeout: float | None = None) -> Any:
    """The `result` of API method `method` (e.g. SendMessage) called with `payload`, as plain JSON.

    Raises what aiogram would raise for the same call.
    """
    session = bot.session
    http = await cast(AiohttpSession, session).create_session()
    url = session.api.api_url(token=bot.token, method=method.__api_method__)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    limit = ClientTimeout(total=session.timeout if timeout is None else timeout)
    try:
        async with http.post(url, data=body, headers=JSON, timeout=limit) as resp:
            status, content = resp.status, await resp.text()
    except TimeoutError as exc:
        raise TelegramNetworkError(method=method.model_validate(payload), message="Request timeout error") from exc
    except ClientError as exc:
        message = f"{type(exc).__name__}: {exc}"
        raise TelegramNetworkError(method=method.model_validate(payload), message=message) from exc
    try:
        answer = json.loads(content)
    except ValueError as exc:
        raise ClientDecodeError("Failed to decode object", exc, content) from exc
    if status == 200 and isinstance(answer, dict) and answer.get("ok") is True:
        return answer.get("result")
    session.check_response(bot=bot, method=method.model_validate(payload), status_code=status, content=content)
    raise ClientDecodeError("Failed to decode object", ValueError("no result"), content)  # ok, yet not 200

"""Telegram adapter: updates in as `Incoming`, replies out through the sender (client: `telegram_api`).

Choices are inline buttons, one per row, carrying the option id as
`callback_data`. Why inline rather than a reply keyboard: a tap then names
exactly the option that was shown (no guessing from a label such as "Tổ dân
phố số 1" against "… số 11"), a tap on a button of an old message reaches the
engine as an unknown id and gets its "this button belongs to an old message"
answer, and the buttons stay next to the question they answer. One button per
row keeps long Vietnamese labels whole and the targets large. Typed text still
works: the engine matches numbers and words against the same options. An id
longer than Telegram's 64 bytes travels as "#<n>" and comes back as that
button's label, which the engine matches like typed text.

Modes: long polling when PUBLIC_BASE_URL is unset (a laptop), a webhook at
`{PUBLIC_BASE_URL}/telegram/webhook` otherwise; the webhook answers 200 at once
and handles the update in a tracked background task.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import ClientError, web
from telegram import Bot, BotCommand, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter

from bot.channels import telegram_api
from bot.channels.backoff import Backoff
from bot.channels.host import Host
from bot.channels.http_body import NOT_JSON, read_json
from bot.channels.push import POLL_BACKOFF, PushChannel
from bot.channels.render import channel_text, explain_text_only, join_turn, split_text, utf16_len
from bot.channels.sender import PER_CHAT_INTERVAL, REPLY, Failure, Outcome
from bot.channels.telegram_updates import Said, Tapped, read_update
from bot.channels.typing import TYPING_DELAY
from bot.core.messages import Attachment, Incoming, Option, Reply
from bot.logs import mask

log = logging.getLogger(__name__)

CHANNEL = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEXT_LIMIT = 4096
CALLBACK_LIMIT = 64
LABEL_PREFIX = "#"
ALLOWED_UPDATES = ["message", "callback_query"]
COMMANDS = (("start", "Bắt đầu"), ("menu", "Trang chính"), ("help", "Trợ giúp"), ("back", "Quay lại"))

Markup = dict[str, Any]
"""An InlineKeyboardMarkup as the Bot API's JSON."""


@dataclass(frozen=True)
class Text:
    text: str
    markup: Markup | None = None


@dataclass(frozen=True)
class File:
    kind: Literal["photo", "document", "voice"]
    attachment: Attachment
    markup: Markup | None = None


def keyboard(options: list[Option]) -> Markup | None:
    if not options:
        return None
    rows = []
    for number, option in enumerate(options, start=1):
        fits = 1 <= len(option.id.encode()) <= CALLBACK_LIMIT and not option.id.startswith(LABEL_PREFIX)
        data = option.id if fits else f"{LABEL_PREFIX}{number}"
        rows.append([{"text": option.label, "callback_data": data}])
    return {"inline_keyboard": rows}


def render(reply: Reply) -> list[Text | File]:
    """Text in parts of at most 4096, then the photo, the document and the voice; the buttons go on the last part."""
    parts: list[Text | File] = [Text(part) for part in split_text(reply.text, TEXT_LIMIT, utf16_len)]
    if reply.image is not None:
        parts.append(File("photo", reply.image))
    if reply.document is not None:
        parts.append(File("document", reply.document))
    if reply.audio is not None:
        parts.append(File("voice", reply.audio))
    markup = keyboard(reply.options)
    if markup is not None:
        if not parts:
            parts.append(Text("…"))
        last = parts[-1]
        parts[-1] = Text(last.text, markup) if isinstance(last, Text) else File(last.kind, last.attachment, markup)
    return parts


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, RetryAfter):
        return Failure("retry_after", telegram_api.retry_seconds(exc))
    if isinstance(exc, Forbidden):
        return Failure("unreachable")
    if isinstance(exc, (BadRequest, InvalidToken)):
        return Failure("permanent")
    if isinstance(exc, (NetworkError, ClientError, TimeoutError)):  # TimedOut is a NetworkError
        return Failure("transient")
    return Failure("permanent")


def incoming_of(update: Said | Tapped) -> Incoming:
    """The neutral update: typed text (with its /start payload), or a tapped button's option id.

    A button whose id did not fit in callback data comes back as its label, read like typed text.
    """
    if isinstance(update, Said):
        return Incoming(
            channel=CHANNEL, external_id=str(update.person.id), update_id=str(update.update_id), text=update.text,
            display_name=update.person.full_name, start_payload=start_payload(update.text),
            forwarded=update.forwarded,
        )
    by_label = update.data.startswith(LABEL_PREFIX)
    return Incoming(
        channel=CHANNEL, external_id=str(update.person.id), update_id=str(update.update_id),
        option=None if by_label else update.data, text=update.label if by_label else None,
        display_name=update.person.full_name,
    )


def start_payload(text: str | None) -> str | None:
    """'/start lop-to5' → 'lop-to5' (deep link https://t.me/<bot>?start=lop-to5)."""
    if not text or not text.startswith("/start"):
        return None
    command, _, payload = text.partition(" ")
    if command.split("@")[0] != "/start":
        return None
    return payload.strip() or None


class TelegramChannel(PushChannel):
    name = CHANNEL
    webhook_path = WEBHOOK_PATH
    secret_setting = "telegram_webhook_secret"

    def __init__(
        self,
        runtime: Host,
        *,
        bot: Bot | None = None,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        typing_delay: float = TYPING_DELAY,
        polling_timeout: int = 25,
    ) -> None:
        self.runtime = runtime
        self._owns_bot = bot is None
        self.bot = bot or self._make_bot()
        super().__init__(runtime, rate=runtime.settings.telegram_rate, classify=classify, polling_timeout=polling_timeout,
                         per_chat_interval=per_chat_interval, typing_delay=typing_delay)
        self._offset: int | None = None

    def _make_bot(self) -> Bot:
        settings = self.runtime.settings
        assert settings.telegram_bot_token is not None
        return telegram_api.make_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)

    def _token_refused(self, exc: Exception) -> str | None:
        if isinstance(exc, InvalidToken):
            return "Setting TELEGRAM_BOT_TOKEN is invalid: Telegram answered Unauthorized"
        return None

    async def _setup_remote(self) -> None:
        """The command menu in Vietnamese, and the webhook set (webhook mode) or removed (polling)."""
        me = await self.bot.get_me()
        self.runtime.services.extras["telegram_username"] = me.username  # for mentor invite links
        await self.bot.set_my_commands([BotCommand(command=c, description=d) for c, d in COMMANDS])
        if self.webhook_mode:
            url = f"{self.runtime.settings.public_base_url}{WEBHOOK_PATH}"
            await self.bot.set_webhook(url=url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES)
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)

    async def _closed(self) -> None:
        if self._offset is not None:
            try:  # confirm what was handled, so a restart does not fetch it again
                await telegram_api.call(self.bot, "getUpdates", {"offset": self._offset, "limit": 1, "timeout": 0},
                                        timeout=5)
            except Exception as exc:
                log.debug("telegram: final offset not confirmed: %s", mask(repr(exc)))
        if self._owns_bot:
            await telegram_api.close(self.bot)

    def send(self, chat_id: int | str, reply: Reply, priority: int = REPLY) -> asyncio.Future[Outcome]:
        return self.sender.submit(chat_id, render(reply), priority)

    # ---- updates in --------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret.encode()):
            return web.Response(status=401, text="unauthorized")
        data = await read_json(request)
        if data is NOT_JSON:
            return web.Response(status=400, text="bad json")
        if not isinstance(data, dict):
            return web.Response(status=400, text="bad update")
        update = self._parse(data)
        if update is not None:
            self._accept(update)
        return web.Response(status=200)

    async def _poll(self) -> None:
        backoff = Backoff(POLL_BACKOFF)
        while True:
            asked: dict[str, Any] = {"timeout": self.polling_timeout, "allowed_updates": ALLOWED_UPDATES}
            if self._offset is not None:
                asked["offset"] = self._offset
            try:
                updates = await telegram_api.call(self.bot, "getUpdates", asked, timeout=self.polling_timeout + 10)
            except RetryAfter as exc:
                await asyncio.sleep(telegram_api.retry_seconds(exc))
                continue
            except Exception as exc:
                delay = next(backoff)
                log.warning("telegram: getUpdates failed (%s); again in %.0f s", mask(repr(exc)), delay)
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            for data in updates if isinstance(updates, list) else []:
                update = self._parse(data)
                if isinstance(data, dict) and isinstance(data.get("update_id"), int):
                    self._offset = data["update_id"] + 1  # past a broken update too: it would only come back
                if update is not None:
                    self._accept(update)
            await self._room.wait()

    @staticmethod
    def _parse(data: Any) -> Said | Tapped | None:
        update = read_update(data)
        if update is None:
            log.info("telegram: ignored an update that is not a private message or a button tap")
        return update

    def _accept(self, update: Said | Tapped) -> None:
        incoming = incoming_of(update)
        self._receive(update.chat_id, incoming, lambda: self._on_update(update, incoming))

    async def _on_update(self, update: Said | Tapped, incoming: Incoming) -> None:
        """Messages and button taps; nothing else is asked for (ALLOWED_UPDATES)."""
        replies = await self._turn(update.chat_id, incoming)
        if isinstance(update, Said) and update.text is None:
            replies = explain_text_only(replies, channel_text("channel.text_only.buttons", self._lang))
        for reply in join_turn(replies, TEXT_LIMIT, utf16_len):
            self.send(update.chat_id, reply)
        if isinstance(update, Tapped) and replies:  # a redelivered update's query was answered the first time
            self._spawn(self._answer(update.query_id))

    # ---- replies out -------------------------------------------------------------------

    async def _deliver(self, chat_id: str, part: Text | File) -> None:
        chat = int(chat_id)
        if isinstance(part, Text):
            message: dict[str, Any] = {"chat_id": chat, "text": part.text}
            if part.markup is not None:
                message["reply_markup"] = part.markup
            await telegram_api.call(self.bot, "sendMessage", message)
            return
        markup = InlineKeyboardMarkup.de_json(part.markup, None) if part.markup is not None else None
        with part.attachment.path.open("rb") as handle:
            upload = InputFile(handle, filename=part.attachment.filename)
            if part.kind == "photo":
                await self.bot.send_photo(chat, upload, reply_markup=markup)
            elif part.kind == "voice":
                await self.bot.send_voice(chat, upload, reply_markup=markup)
            else:
                await self.bot.send_document(chat, upload, reply_markup=markup)

    async def _typing(self, chat_id: str) -> None:
        await self.bot.send_chat_action(int(chat_id), "typing")

    async def _answer(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except Exception as exc:
            log.debug("telegram: callback not answered: %s", mask(repr(exc)))

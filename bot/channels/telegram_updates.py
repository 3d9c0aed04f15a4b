"""What the Telegram adapter reads from an update, straight from the Bot API's JSON.

The adapter needs a handful of fields (who, which chat, the text or the tapped
button); reading the whole update into aiogram's pydantic models, which bind
the bot to every nested object, cost about a tenth of a turn's CPU
(`bench/telegram.py`). Every field is type-checked here: an update that does
not have the expected shape is ignored (`None`) like one of a kind we did not
ask for, and never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Person:
    id: int
    full_name: str


@dataclass(frozen=True)
class Said:
    """A message in a private chat; `text` is None for a photo, sticker, voice… without a caption."""

    update_id: int
    person: Person
    chat_id: int
    text: str | None
    forwarded: bool = False


@dataclass(frozen=True)
class Tapped:
    """A tap on an inline button; `label` is the text of the tapped button when it is known."""

    update_id: int
    person: Person
    query_id: str
    chat_id: int
    data: str
    label: str | None


def read_update(data: Any) -> Said | Tapped | None:
    """The message or button tap in `data`; None for anything else (other chats, other kinds, bad shapes)."""
    if not isinstance(data, dict) or not _is_int(data.get("update_id")):
        return None
    update_id = data["update_id"]
    if isinstance(message := data.get("message"), dict):
        return _said(update_id, message)
    if isinstance(query := data.get("callback_query"), dict):
        return _tapped(update_id, query)
    return None


def _said(update_id: int, message: dict[str, Any]) -> Said | None:
    person, chat = _person(message.get("from")), message.get("chat")
    if person is None or not isinstance(chat, dict) or not _is_int(chat.get("id")) or chat.get("type") != "private":
        return None
    text = message.get("text")
    if text is None:
        text = message.get("caption")
    if text is not None and not isinstance(text, str):
        return None
    forwarded = any(key in message for key in ("forward_origin", "forward_from", "forward_sender_name", "forward_date"))
    return Said(update_id, person, chat["id"], text, forwarded)


def _tapped(update_id: int, query: dict[str, Any]) -> Tapped | None:
    person, query_id, data = _person(query.get("from")), query.get("id"), query.get("data", "")
    if person is None or not isinstance(query_id, str) or not isinstance(data, str):
        return None
    message = query.get("message")
    message = message if isinstance(message, dict) else {}
    chat = message.get("chat")
    chat_id = chat["id"] if isinstance(chat, dict) and _is_int(chat.get("id")) else person.id
    return Tapped(update_id, person, query_id, chat_id, data, _label(message, data))


def _person(sender: Any) -> Person | None:
    if not isinstance(sender, dict) or not _is_int(sender.get("id")):
        return None
    first, last = sender.get("first_name"), sender.get("last_name")
    if not isinstance(first, str):
        return None
    return Person(sender["id"], f"{first} {last}" if isinstance(last, str) and last else first)


def _label(message: dict[str, Any], data: str) -> str | None:
    """The text of the button carrying `data` on the message it was tapped on."""
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data and isinstance(button.get("text"), str):
                return str(button["text"])
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

"""Reading Telegram updates from their JSON: the fields the adapter uses, and nothing from a bad shape."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.telegram_updates import Person, Said, Tapped, read_update

LAN = {"id": 42, "is_bot": False, "first_name": "Lan", "last_name": "Nguyễn"}


def message(**fields: Any) -> dict[str, Any]:
    body = {"message_id": 1, "date": 0, "from": LAN, "chat": {"id": 42, "type": "private"}, **fields}
    return {"update_id": 7, "message": body}


def test_a_private_text_message() -> None:
    assert read_update(message(text="học vneid")) == Said(7, Person(42, "Lan Nguyễn"), 42, "học vneid")


def test_a_caption_stands_for_the_text_and_a_bare_photo_has_none() -> None:
    photo = read_update(message(photo=[], caption="ảnh CCCD"))
    assert isinstance(photo, Said) and photo.text == "ảnh CCCD"
    sticker = read_update(message(sticker={"file_id": "x"}))
    assert isinstance(sticker, Said) and sticker.text is None


def test_a_button_tap_carries_the_label_of_the_tapped_button() -> None:
    keyboard = {"inline_keyboard": [[{"text": "Đồng ý", "callback_data": "agree"}],
                                    [{"text": "Bài 2", "callback_data": "#2"}]]}
    shown = {"message_id": 5, "date": 0, "chat": {"id": 42, "type": "private"}, "reply_markup": keyboard}
    query = {"id": "q1", "from": {"id": 42, "first_name": "Lan"}, "data": "#2", "message": shown}
    tapped = Tapped(8, Person(42, "Lan"), "q1", 42, "#2", "Bài 2")
    assert read_update({"update_id": 8, "callback_query": query}) == tapped


def test_a_tap_on_a_message_too_old_to_be_sent_along_answers_in_the_private_chat() -> None:
    query = {"id": "q1", "from": {"id": 42, "first_name": "Lan"}, "data": "agree"}
    tapped = Tapped(8, Person(42, "Lan"), "q1", 42, "agree", None)
    assert read_update({"update_id": 8, "callback_query": query}) == tapped


@pytest.mark.parametrize("update", [
    message(text="hi", chat={"id": -100, "type": "group"}),  # groups are not served
    {"update_id": 9, "edited_message": message(text="x")["message"]},  # a kind not asked for
    {"update_id": True, "message": message(text="x")["message"]},
    {"update_id": "7", "message": message(text="x")["message"]},
    message(text=5),
    message(text="x", **{"from": {"id": "42", "first_name": "Lan"}}),
    message(text="x", **{"from": {"id": 42}}),
    message(text="x", chat="nowhere"),
    {"update_id": 8, "callback_query": {"id": 1, "from": LAN, "data": "a"}},
    {"update_id": 8, "callback_query": {"id": "q", "from": LAN, "data": ["a"]}},
    [1, 2],
    None,
])
def test_anything_else_is_ignored(update: Any) -> None:
    assert read_update(update) is None

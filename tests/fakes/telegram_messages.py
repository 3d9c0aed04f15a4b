"""Messages out of the fake Telegram server: sending, editing, deleting, answering button taps.

Each method validates like the real Bot API (chat ids, text and caption
limits after ``parse_mode`` rendering, keyboards and their unofficial limits,
uploads and file ids, "message is not modified"…) before the failure
injection and the store of sent messages see the call.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .records import ApiError, Call, UploadedFile, bad_request
from .telegram_text import render_text

__all__ = ["TelegramMessages"]

_CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
)
_INLINE_ACTIONS = frozenset(
    {"url", "callback_data", "web_app", "login_url", "switch_inline_query",
     "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
     "callback_game", "pay"}
)
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF", b"BM")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_WRONG_FILE = "wrong file identifier/HTTP URL specified"


class TelegramMessages:
    """Mixed into :class:`~tests.fakes.telegram.FakeTelegramServer`, which holds the state used here."""

    bot_user: dict[str, Any]
    strict_chats: bool
    max_inline_buttons: int | None
    max_row_buttons: int | None
    answered_callbacks: dict[str, dict[str, Any]]
    _chats: dict[int, dict[str, Any]]
    _messages: dict[tuple[int, int], dict[str, Any]]
    _callbacks: dict[str, bool]
    _file_ids: dict[str, UploadedFile | str]

    if TYPE_CHECKING:  # defined by FakeTelegramServer and FakeBotServer
        def _chat(self, chat_id: int) -> dict[str, Any]: ...
        def _new_message_id(self, chat_id: int) -> int: ...
        def _gate(self, call: Call) -> None: ...

    def _require_chat(self, call: Call) -> int:
        chat_id = call.params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        if self.strict_chats and chat_id > 0 and chat_id not in self._chats:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat_id

    def _check_text(self, text: Any, parse_mode: Any, limit: int, what: str) -> str:
        """Return the rendered text or raise like the real server."""
        if not isinstance(text, str) or not text.strip():
            raise bad_request("message text is empty" if what == "text" else "caption is empty")
        plain = render_text(text, parse_mode).strip()
        if not plain:
            raise bad_request("message text is empty")
        if len(plain) > limit:
            raise bad_request("message is too long" if what == "text" else "message caption is too long")
        return plain

    def _check_markup(self, call: Call, *, inline_only: bool = False) -> dict[str, Any] | None:
        markup = call.params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            self._check_inline_keyboard(markup["inline_keyboard"])
        elif inline_only:
            raise bad_request("inline keyboard expected")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays')
            for row in rows:
                for button in row:
                    text = button.get("text") if isinstance(button, dict) else button
                    if not isinstance(text, str) or not text:
                        raise bad_request("can't parse keyboard button: Text must be non-empty")
        elif "remove_keyboard" in markup:
            if markup["remove_keyboard"] is not True:
                raise bad_request('field "remove_keyboard" of the ReplyKeyboardRemove must be true')
        elif "force_reply" in markup:
            if markup["force_reply"] is not True:
                raise bad_request('field "force_reply" of the ForceReply must be true')
        else:
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup

    def _check_inline_keyboard(self, rows: Any) -> None:
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays')
        total = 0
        for row in rows:
            if self.max_row_buttons is not None and len(row) > self.max_row_buttons:
                raise bad_request("REPLY_MARKUP_TOO_LONG")
            for button in row:
                total += 1
                if not isinstance(button, dict):
                    raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
                if not isinstance(button.get("text"), str) or not button["text"]:
                    raise bad_request("can't parse inline keyboard button: Text must be non-empty")
                actions = [k for k in button if k in _INLINE_ACTIONS]
                if not actions:
                    raise bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                        raise bad_request("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
                        raise bad_request("BUTTON_URL_INVALID")
        if self.max_inline_buttons is not None and total > self.max_inline_buttons:
            raise bad_request("REPLY_MARKUP_TOO_LONG")

    def _input_file(self, call: Call, name: str) -> tuple[UploadedFile | None, str | None]:
        """Resolve an InputFile param: upload (direct or attach://) or URL/file_id string."""
        if name in call.files and not isinstance(call.params.get(name), str):
            return call.files[name], None
        value = call.params.get(name)
        if not isinstance(value, str) or not value:
            if name in call.files:
                return call.files[name], None
            raise bad_request(f"there is no {name} in the request")
        if value.startswith("attach://"):
            key = value[len("attach://"):]
            upload = call.files.pop(key, None)
            if upload is None:
                raise bad_request(_WRONG_FILE)
            call.files[name] = upload
            return upload, None
        if re.match(r"^https?://\S+$", value) or value in self._file_ids:
            return None, value
        raise bad_request(_WRONG_FILE)

    def add_file_id(self, file_id: str) -> None:
        """Make a file_id known (e.g. one cached by the bot from an earlier run)."""
        self._file_ids[file_id] = file_id

    def _new_file_id(self, prefix: str, source: UploadedFile | str) -> tuple[str, str]:
        file_id = prefix + secrets.token_urlsafe(24)
        self._file_ids[file_id] = source
        return file_id, secrets.token_urlsafe(8)

    # ---- sending ---------------------------------------------------------------------

    def _store_sent(
        self, call: Call, chat_id: int, body: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **body,
        }
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        self._messages[(chat_id, message["message_id"])] = message
        return message

    async def _send_message(self, call: Call, request: web.Request) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        plain = self._check_text(call.params.get("text"), call.params.get("parse_mode"), 4096, "text")
        markup = self._check_markup(call)
        self._gate(call)
        return self._store_sent(call, chat_id, {"text": plain}, markup)

    def _caption(self, call: Call) -> dict[str, Any]:
        caption = call.params.get("caption")
        if caption is None or (isinstance(caption, str) and not caption.strip()):
            return {}
        return {"caption": self._check_text(caption, call.params.get("parse_mode"), 1024, "caption")}

    def _media(self, call: Call, field: str, magic: tuple[bytes, ...],
               refusal: str) -> tuple[UploadedFile | None, UploadedFile | str]:
        """The uploaded file of `field` (refused when empty or not of its kind, by its first bytes), and what
        the message keeps: the upload, or the file_id / URL sent instead."""
        upload, ref = self._input_file(call, field)
        if upload is not None:
            if upload.size == 0:
                raise bad_request("file must be non-empty")
            if not upload.data.startswith(magic):
                raise bad_request(refusal)
        return upload, upload if upload is not None else str(ref)

    async def _send_photo(self, call: Call, request: web.Request) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        upload, source = self._media(call, "photo", _IMAGE_MAGIC, "IMAGE_PROCESS_FAILED")
        caption = self._caption(call)
        markup = self._check_markup(call)
        self._gate(call)
        file_id, unique = self._new_file_id("AgAC", source)
        size = upload.size if upload is not None else None
        photo: list[dict[str, Any]] = [
            {"file_id": f"{file_id}{suffix}", "file_unique_id": f"{unique}{suffix}", "width": w, "height": w,
             **({"file_size": size} if size is not None and suffix == "" else {})}
            for suffix, w in (("_s", 90), ("_m", 320), ("", 800))
        ]
        for p in photo:
            self._file_ids[p["file_id"]] = source
        return self._store_sent(call, chat_id, {"photo": photo, **caption}, markup)

    async def _send_document(self, call: Call, request: web.Request) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        upload, ref = self._input_file(call, "document")
        if upload is not None and upload.size == 0:
            raise bad_request("file must be non-empty")
        caption = self._caption(call)
        markup = self._check_markup(call)
        self._gate(call)
        if upload is not None:
            file_id, unique = self._new_file_id("BQAC", upload)
            document: dict[str, Any] = {
                "file_id": file_id,
                "file_unique_id": unique,
                "file_name": upload.filename or "document",
                "mime_type": upload.content_type or "application/octet-stream",
                "file_size": upload.size,
            }
        else:
            source = self._file_ids.get(str(ref), str(ref))
            file_id, unique = self._new_file_id("BQAC", source)
            name = source.filename if isinstance(source, UploadedFile) else str(ref).rstrip("/").rsplit("/", 1)[-1]
            document = {"file_id": file_id, "file_unique_id": unique, "file_name": name or "document"}
            if isinstance(source, UploadedFile):
                document["file_size"] = source.size
        return self._store_sent(call, chat_id, {"document": document, **caption}, markup)

    async def _send_voice(self, call: Call, request: web.Request) -> dict[str, Any]:
        """sendVoice: Telegram plays an OGG file encoded with OPUS as a voice message (other formats may
        be sent as audio or a document); an upload that is not OGG is refused here so a wrong encoding shows."""
        chat_id = self._require_chat(call)
        upload, source = self._media(call, "voice", (b"OggS",), "VOICE_MESSAGES_FORBIDDEN: not an OGG file")
        caption = self._caption(call)
        markup = self._check_markup(call)
        self._gate(call)
        file_id, unique = self._new_file_id("AwAC", source)
        voice: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique, "duration": 1, "mime_type": "audio/ogg"}
        if upload is not None:
            voice["file_size"] = upload.size
        return self._store_sent(call, chat_id, {"voice": voice, **caption}, markup)

    async def _send_chat_action(self, call: Call, request: web.Request) -> bool:
        self._require_chat(call)
        action = call.params.get("action")
        if not action:
            raise bad_request('parameter "action" is required')
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._gate(call)
        return True

    # ---- editing ---------------------------------------------------------------------

    def _editable(self, call: Call, *, what: str = "edit") -> tuple[int, int, dict[str, Any]]:
        chat_id = self._require_chat(call)
        message_id = call.params.get("message_id")
        if not isinstance(message_id, int):
            raise bad_request("message identifier is not specified")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise bad_request(f"message to {what} not found")
        if what == "edit" and not message.get("from", {}).get("is_bot"):
            raise bad_request("message can't be edited")
        return chat_id, message_id, message

    async def _edit_message_text(self, call: Call, request: web.Request) -> dict[str, Any] | bool:
        if call.params.get("inline_message_id"):
            self._check_text(call.params.get("text"), call.params.get("parse_mode"), 4096, "text")
            self._check_markup(call, inline_only=True)
            self._gate(call)
            return True
        _chat_id, _message_id, message = self._editable(call)
        plain = self._check_text(call.params.get("text"), call.params.get("parse_mode"), 4096, "text")
        markup = self._check_markup(call, inline_only=True)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        new_markup = {"inline_keyboard": markup["inline_keyboard"]} if markup else None
        if message.get("text") == plain and message.get("reply_markup") == new_markup:
            raise bad_request(_NOT_MODIFIED)
        self._gate(call)
        message["text"] = plain
        message["edit_date"] = int(time.time())
        if new_markup:
            message["reply_markup"] = new_markup
        else:
            message.pop("reply_markup", None)
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, call: Call, request: web.Request) -> dict[str, Any] | bool:
        if call.params.get("inline_message_id"):
            self._check_markup(call, inline_only=True)
            self._gate(call)
            return True
        _, _, message = self._editable(call)
        markup = self._check_markup(call, inline_only=True)
        new_markup = {"inline_keyboard": markup["inline_keyboard"]} if markup else None
        if message.get("reply_markup") == new_markup:
            raise bad_request(_NOT_MODIFIED)
        self._gate(call)
        message["edit_date"] = int(time.time())
        if new_markup:
            message["reply_markup"] = new_markup
        else:
            message.pop("reply_markup", None)
        return copy.deepcopy(message)

    async def _delete_message(self, call: Call, request: web.Request) -> bool:
        chat_id, message_id, _ = self._editable(call, what="delete")
        self._gate(call)
        del self._messages[(chat_id, message_id)]
        return True

    async def _answer_callback_query(self, call: Call, request: web.Request) -> bool:
        query_id = str(call.params.get("callback_query_id") or "")
        if not query_id:
            raise bad_request('parameter "callback_query_id" is required')
        if self._callbacks.get(query_id, True):  # unknown or already answered
            raise bad_request(_QUERY_INVALID)
        text = call.params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._gate(call)
        self._callbacks[query_id] = True
        self.answered_callbacks[query_id] = dict(call.params)
        return True

"""What the fake servers record and raise: calls, uploads, pacing violations, webhook deliveries, API errors.

Shared by both fakes (``base.FakeBotServer`` and its Telegram and Zalo
subclasses) and by the tests that read what the bot did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["UNSET", "ApiError", "Call", "Delivery", "UploadedFile", "Violation", "bad_request"]

UNSET: Any = object()
"""Marker for "argument not given" where ``None`` has a meaning of its own."""


@dataclass
class UploadedFile:
    """A file received in a multipart request."""

    filename: str | None
    size: int
    content_type: str | None
    data: bytes = field(repr=False)


@dataclass
class Call:
    """One API request as the server saw it.

    ``params`` are normalised (JSON-encoded form values such as ``reply_markup``
    decoded, numeric ids turned into ``int`` for Telegram) so tests can compare
    them with plain Python values.  ``status`` is the HTTP status answered
    (``None`` while the request is still pending, e.g. a long poll).
    """

    method: str
    params: dict[str, Any]
    at: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int | None = None
    error: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        """The message text, or the caption for media."""
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    def button_texts(self) -> list[str]:
        """Texts of all inline or reply keyboard buttons, row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [b if isinstance(b, str) else str(b.get("text")) for row in rows for b in row]

    def button_data(self) -> list[str]:
        """``callback_data`` of all inline buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass
class Violation:
    """A send that arrived while a ``retry_after`` wait was still running."""

    method: str
    chat_id: Any
    at: float
    retry_at: float
    since_429: float
    """Seconds between the 429 that started the wait and this call (tiny = was in flight)."""

    @property
    def early_by(self) -> float:
        """How many seconds too early the call came."""
        return self.retry_at - self.at


@dataclass
class Delivery:
    """One webhook POST made by :meth:`FakeBotServer.deliver`."""

    update: dict[str, Any]
    status: int
    body: str
    at: float


class ApiError(Exception):
    """Raised inside handlers; turned into an error envelope.

    ``kind`` decides where the call is listed: ``"rejected"`` (the bot sent
    something the real server refuses), ``"injected"`` (a failure the test asked
    for), ``"violation"`` (ignored ``retry_after``) or ``None`` (a normal,
    expected error such as a Zalo long-poll timeout).
    """

    def __init__(
        self,
        code: int,
        description: str,
        *,
        parameters: dict[str, Any] | None = None,
        kind: str | None = "rejected",
    ) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = parameters
        self.kind = kind


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")

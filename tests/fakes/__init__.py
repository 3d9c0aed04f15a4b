"""Local fake chat-platform servers for tests (127.0.0.1 only, no network).

One subject a file: ``records`` (what is recorded and raised), ``failures``
(failure injection), ``base`` (the server both fakes share), ``telegram`` with
``telegram_updates``, ``telegram_messages`` and ``telegram_text``, ``zalo``, ``tts`` (an HTTP text-to-speech
service), and ``session`` (an aiogram session for plain HTTP).
"""

from .base import FakeBotServer
from .records import UNSET, ApiError, Call, Delivery, UploadedFile, Violation
from .session import QuickSession
from .telegram import FakeTelegramServer
from .zalo import FakeZaloServer

__all__ = [
    "UNSET",
    "ApiError",
    "Call",
    "Delivery",
    "FakeBotServer",
    "FakeTelegramServer",
    "FakeZaloServer",
    "QuickSession",
    "UploadedFile",
    "Violation",
]

"""Local fake chat-platform servers for tests (127.0.0.1 only, no network)."""

from .telegram import (
    UNSET,
    ApiError,
    Call,
    Delivery,
    FakeBotServer,
    FakeTelegramServer,
    UploadedFile,
    Violation,
)
from .session import QuickSession
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

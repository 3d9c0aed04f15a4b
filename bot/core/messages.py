"""The neutral shapes every channel translates to and from.

Features never see aiogram or Zalo objects: they read an `Incoming` and answer
with `Reply` objects; the adapters render those as keyboards, numbered lists or
web buttons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: typed text, or chose an option (button / callback)."""

    channel: str
    external_id: str
    update_id: str | None = None
    text: str | None = None
    option: str | None = None
    display_name: str | None = None
    start_payload: str | None = None

    @property
    def user_key(self) -> str:
        return f"{self.channel}:{self.external_id}"


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Attachment:
    """A file made for a person (certificate, chart); served under /files/<name>."""

    path: Path
    filename: str
    mime: str = "application/octet-stream"

    @property
    def url_path(self) -> str:
        return f"/files/{self.path.name}"


@dataclass
class Reply:
    text: str
    options: list[Option] = field(default_factory=list)
    screen: str = ""
    image: Attachment | None = None
    document: Attachment | None = None

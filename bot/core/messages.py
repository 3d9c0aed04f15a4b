"""The neutral shapes every channel translates to and from.

Features never see Telegram or Zalo library objects: they read an `Incoming` and answer
with `Reply` objects; the adapters render those as keyboards, numbered lists or
web buttons.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.people.folders import PERSON_FOLDER_PREFIX

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
"""NUL and other control characters, and lone UTF-16 surrogates: no database or JSON encoder takes them."""


def clean_text(text: str) -> str:
    """Text as a person meant it: without the invisible characters that would break storing it."""
    return _UNSAFE.sub("", text)


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
    replayable: bool = False
    """A resend of the same update gets the replies of the first time (the web chat's "Gửi lại")
    instead of none (push channels already delivered them)."""
    forwarded: bool = False
    """Forwarded from someone else (Telegram): a message the person got and wonders about."""

    @property
    def user_key(self) -> str:
        return f"{self.channel}:{self.external_id}"

    def cleaned(self) -> Incoming:
        """The same update with its texts made safe to store (see `clean_text`)."""
        changes = {name: clean_text(value) for name in ("text", "option", "display_name", "start_payload")
                   if isinstance(value := getattr(self, name), str) and _UNSAFE.search(value)}
        return Incoming(**{**self.__dict__, **changes}) if changes else self


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Attachment:
    """A file made for a person (certificate, chart); served under /files/<name>, or
    /files/<their folder>/<name> when it is in the person's own folder (`bot.people.folders`)."""

    path: Path
    filename: str
    mime: str = "application/octet-stream"

    @property
    def url_path(self) -> str:
        folder = self.path.parent.name
        if folder.startswith(PERSON_FOLDER_PREFIX):
            return f"/files/{folder}/{self.path.name}"
        return f"/files/{self.path.name}"


@dataclass
class Reply:
    text: str
    options: list[Option] = field(default_factory=list)
    screen: str = ""
    image: Attachment | None = None
    document: Attachment | None = None
    about: str = ""
    """What the reply answers, for measuring and for staff counts: "faq:<id>", "lesson:<id>",
    "intent:emergency" …; adapters never show it."""
    audio: Attachment | None = None
    """The screen's text read aloud (OGG/Opus, `bot.voice`): Telegram sends it as a voice message,
    the web page plays it in an `<audio>` element, Zalo gets its link."""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON, to keep a reply in the person's state (see `Incoming.replayable`)."""
        data = asdict(self)
        for name in _FILES:
            if data[name] is not None:
                data[name]["path"] = str(data[name]["path"])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        files = {name: Attachment(Path(item["path"]), item["filename"], item["mime"])
                 for name in _FILES if (item := data.get(name))}
        return cls(data["text"], [Option(o["id"], o["label"]) for o in data.get("options", [])],
                   data.get("screen", ""), files.get("image"), files.get("document"), data.get("about", ""),
                   files.get("audio"))

    @property
    def has_files(self) -> bool:
        return self.image is not None or self.document is not None or self.audio is not None


_FILES = ("image", "document", "audio")

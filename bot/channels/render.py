"""What the chat adapters share when they turn neutral replies into platform messages.

Platforms cap a message's length (Telegram 4096, Zalo 2000), so long texts are
cut where a reader would pause: between paragraphs, else between lines, else
between words, and only as a last resort in the middle of a word. Zalo has no
buttons, so choices become a numbered list the engine already understands
("2", "số 2", "hai" or the words).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Sequence

from bot.core.messages import Option, Reply
from bot.text.i18n import translate

Measure = Callable[[str], int]

# Boundaries to cut at, strongest first; the hard cut comes after them.
_BOUNDARIES = (re.compile(r"\n[ \t]*\n\s*"), re.compile(r"\n\s*"), re.compile(r"\s+"))

def channel_text(key: str, lang: str = "vi", **params: object) -> str:
    """Texts of the adapters themselves (from the catalogs like every other message)."""
    return translate(lang, key, **params)


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji can count twice)."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int, measure: Measure) -> int:
    """The longest prefix length (in characters) whose measure stays within `limit`."""
    if measure(text[:limit]) <= limit:
        return min(limit, len(text))
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _cut(text: str, window: int) -> tuple[int, int]:
    """Where the part ends and where the rest starts, for a part of at most `window` characters."""
    for boundary in _BOUNDARIES:
        last = None
        for found in boundary.finditer(text, 0, window + 1):
            if found.start() > 0:
                last = found
        if last is not None:
            return last.start(), last.end()
    cut = window
    while cut > 1 and unicodedata.combining(text[cut]):
        cut -= 1  # never separate a letter from its diacritic
    return cut, cut


def split_text(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Parts of `text`, each 1..`limit` long; only the whitespace at the cuts is dropped."""
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text.strip()
    while rest and measure(rest) > limit:
        end, start = _cut(rest, max(1, _fit(rest, limit, measure)))
        parts.append(rest[:end].rstrip())
        rest = rest[start:].lstrip()
    if rest:
        parts.append(rest)
    return parts


_LETTERED = re.compile(r"^[A-D][.)]\s+")


def numbered(options: Sequence[Option]) -> str:
    """'1. Học bài\\n2. Làm bài kiểm tra': the order is the one the engine reads numbers against.

    A quiz answer's own letter ("B. Sai") is left out, so a person never reads "2. B. Sai";
    typing "b" still works, the engine reads it from the label.
    """
    return "\n".join(f"{number}. {_LETTERED.sub('', option.label)}" for number, option in enumerate(options, start=1))


def with_numbered_options(text: str, options: Sequence[Option]) -> str:
    if not options:
        return text
    return f"{text.rstrip()}\n\n{numbered(options)}" if text.strip() else numbered(options)


def explain_text_only(replies: list[Reply], note: str) -> list[Reply]:
    """Replies to a photo, sticker or voice note: the engine's "nothing typed" answer says so kindly.

    An update without text reaches the engine as an empty message; its answer is
    the `fallback` screen with the options shown before. On a chat platform that
    means the person sent something other than text, so that answer gets `note`.
    """
    if replies and replies[0].screen == "fallback":
        first = replies[0]
        replies = [dataclasses.replace(first, text=note), *replies[1:]]
    return replies


def join_turn(replies: Sequence[Reply], limit: int, measure: Measure = len, *, numbered_options: bool = False
              ) -> list[Reply]:
    """One turn's texts as few messages as the channel allows: a text without buttons or files is
    joined to the next reply when both fit in one message, so "Đúng rồi!" and the next question
    arrive together (and the per-chat pacing never holds the second half back a second).
    `numbered_options`: the choices are part of the text (Zalo), so they count towards `limit`."""
    joined: list[Reply] = []
    for reply in replies:
        previous = joined[-1] if joined else None
        if (previous is not None and not previous.options and not previous.has_files
                and previous.text.strip() and reply.text.strip()):
            text = f"{previous.text.rstrip()}\n\n{reply.text.lstrip()}"
            rendered = with_numbered_options(text, reply.options) if numbered_options else text
            if measure(rendered) <= limit:
                joined[-1] = dataclasses.replace(reply, text=text, options=list(reply.options))
                continue
        joined.append(reply)
    return joined


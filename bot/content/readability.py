"""Does a lesson fit an elderly reader's phone? Screen length, sentence length, words explained.

A step must fit one phone screen as the resident receives it (the "📖 title / Bước n/m" header
included), a sentence must stay short enough to read in one breath, and a word from the glossary
(content/glossary.yaml) must be explained where a lesson first uses it: "mã OTP (mã xác nhận …)",
"Shipper là người giao hàng", "mã QR: ô vuông …".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.content.models import GlossaryTerm, Lesson
from bot.text.i18n import LANGUAGES, translate

MAX_RENDERED = 300  # characters on one phone screen with large text
MAX_SYLLABLES = 25  # Vietnamese words are one syllable each: a sentence of at most 25 of them

_SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+|\n+")
_SYLLABLE = re.compile(r"\S*\w\S*")
# after a term: "(…)", ": …", "– …", " là …", ", tức là …", ", hay …"
_EXPLAINS_AFTER = r"[”\"’»]?(?:\s*[(:–—]|\s+(?:là|nghĩa là|tức là)\b|\s*,\s*(?:tức|nghĩa|hay|còn gọi)\b)"
_EXPLAINS_BEFORE = r"(?:gọi là|còn gọi là|tên là|chính là)\s+[“\"‘«]?"


def rendered_steps(lesson: Lesson) -> Iterator[str]:
    """Each step as sent, in the language whose header is longest (the same text in every language)."""
    for index in range(len(lesson.steps)):
        yield max((lesson.step_message(index, translate(lang, "lessons.step_header", title=lesson.title,
                                                        n=index + 1, total=len(lesson.steps)))
                   for lang in LANGUAGES), key=len)


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def syllables(sentence: str) -> int:
    """Written words, numbers and addresses count one each ("dichvucong.gov.vn", "10.000")."""
    return len(_SYLLABLE.findall(sentence))


def long_sentences(text: str, limit: int = MAX_SYLLABLES) -> list[tuple[str, int]]:
    return [(sentence, syllables(sentence)) for sentence in sentences(text) if syllables(sentence) > limit]


def reading_blocks(lesson: Lesson) -> list[str]:
    """What a resident reads in a lesson, in order (the title is a heading, explained by the steps)."""
    check = lesson.check
    return [*(step.text for step in lesson.steps), lesson.practice, check.question, *check.options, check.feedback]


def _form(form: str) -> str:
    return rf"(?<!\w){re.escape(form)}(?!\w)"


def uses(text: str, term: GlossaryTerm) -> bool:
    return any(re.search(_form(form), text, re.I) for form in term.all_forms)


def explains(text: str, term: GlossaryTerm) -> bool:
    """The text defines the term right where it names it ("OTP là …", "shipper (người giao hàng)")."""
    return any(re.search(_form(form) + _EXPLAINS_AFTER, text, re.I)
               or re.search(_EXPLAINS_BEFORE + _form(form), text, re.I) for form in term.all_forms)


def unexplained_terms(lesson: Lesson, glossary: list[GlossaryTerm]) -> list[tuple[GlossaryTerm, str]]:
    """Glossary terms this lesson uses before (or without) explaining them, with the text of first use."""
    missing = []
    blocks = reading_blocks(lesson)
    for term in glossary:
        first = next((block for block in blocks if uses(block, term)), None)
        if first is not None and not explains(first, term):
            missing.append((term, first))
    return missing

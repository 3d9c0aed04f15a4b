"""`bot content check`: what the schema alone cannot see, and a table per topic.

Checks ids are unique, references and sources exist, URLs are well formed,
Vietnamese text really carries its diacritics (a file saved without them reads
as nonsense to residents), quiz banks are big enough, and the reading time.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.lessons.loader import CONTENT_DIR, Content, ContentError, Problem, load_content
from bot.lessons.models import Lesson

WORDS_PER_MINUTE = 120
MIN_LESSONS = {True: 4, False: 3}
MIN_QUESTIONS = {True: 15, False: 10}
_URL = re.compile(r"^https?://[A-Za-z0-9.\-]+\.[A-Za-z]{2,}(/\S*)?$")
_VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)


@dataclass(frozen=True)
class TopicStats:
    topic: str
    lessons: int
    steps: int
    words: int
    questions: int

    @property
    def minutes(self) -> float:
        return self.words / WORDS_PER_MINUTE


def lesson_words(lesson: Lesson) -> int:
    """Everything a resident reads in a lesson: title, steps, practice, check question and feedback."""
    parts = [lesson.title, lesson.practice, lesson.check.question, lesson.check.feedback, *lesson.check.options]
    parts += [step.text for step in lesson.steps]
    return sum(len(part.split()) for part in parts)


def lesson_minutes(lesson: Lesson) -> int:
    return max(1, math.ceil(lesson_words(lesson) / WORDS_PER_MINUTE))


def _has_diacritics(text: str) -> bool:
    return len(text.split()) < 4 or bool(_VIETNAMESE.search(text))


def find_problems(content: Content) -> list[Problem]:
    problems: list[Problem] = []

    def problem(item_id: str, message: str) -> None:
        problems.append(Problem(content.files.get(item_id, Path("content")), 1, f"{item_id}: {message}"))

    def check_sources(item_id: str, source_ids: list[str]) -> None:
        for source_id in source_ids:
            if source_id not in content.sources:
                problem(item_id, f"source {source_id} is not in sources.yaml")

    for source in content.sources.values():
        if source.url is not None and not _URL.match(source.url):
            problems.append(Problem(CONTENT_DIR / "sources.yaml", 1, f"{source.id}: URL {source.url!r} is not well formed"))
    ids = Counter([*content.lessons, *(q.id for qs in content.questions.values() for q in qs), *(f.id for f in content.faq)])
    for item_id, count in ids.items():
        if count > 1:
            problem(item_id, f"id used {count} times")
    for lesson in content.lessons.values():
        check_sources(lesson.id, lesson.sources)
        if lesson.minutes != lesson_minutes(lesson):
            problem(lesson.id, f"minutes: {lesson.minutes}, but the text reads in {lesson_minutes(lesson)} "
                               f"(at {WORDS_PER_MINUTE} words/minute)")
        texts = [lesson.title, lesson.practice, lesson.check.question, *(s.text for s in lesson.steps)]
        for text in texts:
            if not _has_diacritics(text):
                problem(lesson.id, f"text without Vietnamese diacritics: {text[:50]!r}")
    for topic_id, questions in content.questions.items():
        if content.topic(topic_id) is None:
            problems.append(Problem(CONTENT_DIR / "quiz", 1, f"quiz topic {topic_id!r} is not in topics.yaml"))
        for question in questions:
            if question.lesson not in content.lessons:
                problem(question.id, f"lesson {question.lesson!r} does not exist")
            elif content.lessons[question.lesson].topic != topic_id:
                problem(question.id, f"lesson {question.lesson!r} belongs to another topic")
            check_sources(question.id, question.sources)
            if not _has_diacritics(question.question):
                problem(question.id, "question without Vietnamese diacritics")
    for entry in content.faq:
        if entry.lesson is not None and entry.lesson not in content.lessons:
            problem(entry.id, f"lesson {entry.lesson!r} does not exist")
        check_sources(entry.id, entry.sources)
        if not _has_diacritics(entry.answer):
            problem(entry.id, "answer without Vietnamese diacritics")
    for topic in content.topics:
        lessons = content.lessons_by_topic.get(topic.id, [])
        if len(lessons) < MIN_LESSONS[topic.core]:
            problems.append(Problem(CONTENT_DIR / "lessons", 1,
                                    f"topic {topic.id}: {len(lessons)} lessons, needs at least {MIN_LESSONS[topic.core]}"))
        count = len(content.questions.get(topic.id, []))
        if count < MIN_QUESTIONS[topic.core]:
            problems.append(Problem(CONTENT_DIR / "quiz", 1,
                                    f"topic {topic.id}: {count} quiz questions, needs at least {MIN_QUESTIONS[topic.core]}"))
    return problems


def topic_stats(content: Content) -> list[TopicStats]:
    return [
        TopicStats(
            topic=topic.id,
            lessons=len(content.lessons_by_topic.get(topic.id, [])),
            steps=sum(len(lesson.steps) for lesson in content.lessons_by_topic.get(topic.id, [])),
            words=sum(lesson_words(lesson) for lesson in content.lessons_by_topic.get(topic.id, [])),
            questions=len(content.questions.get(topic.id, [])),
        )
        for topic in content.topics
    ]


def check(root: Path = CONTENT_DIR) -> tuple[Content | None, list[Problem]]:
    """The loaded content and every problem in it (empty list: the content is fine)."""
    try:
        content = load_content(root)
    except ContentError as exc:
        return None, exc.problems
    return content, find_problems(content)


def render_table(stats: list[TopicStats], faq_entries: int) -> str:
    lines = [f"{'topic':<12} {'lessons':>7} {'steps':>6} {'words':>6} {'minutes':>8} {'questions':>9}"]
    for row in stats:
        lines.append(f"{row.topic:<12} {row.lessons:>7} {row.steps:>6} {row.words:>6} {row.minutes:>8.1f} {row.questions:>9}")
    lines.append(f"FAQ entries: {faq_entries}  (reading speed {WORDS_PER_MINUTE} words/minute)")
    return "\n".join(lines)

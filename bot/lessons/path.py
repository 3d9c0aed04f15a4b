"""The personal path: which topics first and which lessons may be skipped, from three start answers.

Pure functions over plain data, so the rules are easy to read and to test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.loader import Content
from bot.content.models import Lesson


@dataclass(frozen=True)
class StartAnswers:
    has_smartphone: bool | None = None
    uses_social: bool | None = None
    vneid_active: bool | None = None

    @property
    def known(self) -> bool:
        return None not in (self.has_smartphone, self.uses_social, self.vneid_active)


def topic_order(content: Content, answers: StartAnswers) -> list[str]:
    """Topic ids in the recommended order.

    Safety first for someone without a smartphone or social networks: scam calls
    and messages reach them anyway. Someone whose VNeID already works goes on to
    the public services it unlocks.
    """
    order = [t.id for t in content.topics if t.core] + [t.id for t in content.topics if not t.core]
    if answers.has_smartphone is False or answers.uses_social is False:
        order.remove("antoan")
        order.insert(0, "antoan")
    elif answers.vneid_active:
        order.remove("dichvucong")
        order.insert(0, "dichvucong")
    return order


def skippable(lesson: Lesson, answers: StartAnswers) -> bool:
    return any(getattr(answers, reason) is True for reason in lesson.skip_if)


def path(content: Content, answers: StartAnswers) -> list[Lesson]:
    """Every lesson in the recommended order, without the ones the answers let the person skip."""
    lessons: list[Lesson] = []
    for topic_id in topic_order(content, answers):
        topic_lessons = content.lessons_by_topic.get(topic_id, [])
        if answers.has_smartphone is False:
            topic_lessons = sorted(topic_lessons, key=lambda lesson: lesson.needs_smartphone)
        lessons += [lesson for lesson in topic_lessons if not skippable(lesson, answers)]
    return lessons


def next_lesson(content: Content, answers: StartAnswers, done: Iterable[str]) -> Lesson | None:
    finished = set(done)
    return next((lesson for lesson in path(content, answers) if lesson.id not in finished), None)

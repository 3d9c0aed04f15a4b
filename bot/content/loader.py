"""Reading `content/`: every file validated, every problem reported with its file and line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.config import PROJECT_ROOT
from bot.content.models import (
    FaqEntry,
    FaqFile,
    GlossaryFile,
    GlossaryTerm,
    Lesson,
    LessonFile,
    PronunciationFile,
    QuizFile,
    QuizQuestion,
    Source,
    SourcesFile,
    SynonymsFile,
    Topic,
    TopicsFile,
)
from bot.text.problems import Problems

CONTENT_DIR = PROJECT_ROOT / "content"
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Problems):
    """`content/` cannot be loaded; `problems` are `Problem`s (file, line, message)."""

    problems: list[Problem]


@dataclass
class Content:
    topics: list[Topic]
    lessons: dict[str, Lesson]
    lessons_by_topic: dict[str, list[Lesson]]
    questions: dict[str, list[QuizQuestion]]
    faq: list[FaqEntry]
    synonyms: list[list[str]]
    sources: dict[str, Source]
    glossary: list[GlossaryTerm] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    pronunciation: PronunciationFile | None = None
    _index: Any = field(default=None, repr=False, compare=False)

    def topic(self, topic_id: str) -> Topic | None:
        return self._topics.get(topic_id)

    def topic_of(self, lesson: Lesson) -> Topic:
        """The topic a lesson belongs to (loading refuses a lesson whose topic is not in topics.yaml)."""
        return self._topics[lesson.topic]

    def question(self, question_id: str) -> QuizQuestion | None:
        """A quiz question by id, from any topic's bank."""
        return self._questions.get(question_id)

    @cached_property
    def _topics(self) -> dict[str, Topic]:
        return {t.id: t for t in self.topics}

    @cached_property
    def _questions(self) -> dict[str, QuizQuestion]:
        return {q.id: q for bank in self.questions.values() for q in bank}

    @property
    def core_topics(self) -> list[Topic]:
        return [t for t in self.topics if t.core]

    def all_lessons(self) -> Iterator[Lesson]:
        for topic in self.topics:
            yield from self.lessons_by_topic.get(topic.id, [])


def _line_index(node: yaml.Node, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], int]]:
    """(path inside the document, line number) for every value, so errors can name their line."""
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _line_index(value, path + (key.value,))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _line_index(item, path + (index,))


def _line_for(index: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in index:
            return index[loc[:end]]
    return 1


def read_model(path: Path, model: type[M], problems: list[Problem]) -> tuple[M | None, dict[tuple[Any, ...], int]]:
    """The validated file, or None with its problems (file and line) appended."""
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        problems.append(Problem(path, line, f"YAML: {exc.problem}"))
        return None, {}
    index = dict(_line_index(node)) if node is not None else {}
    try:
        return model.model_validate(data), index
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            problems.append(Problem(path, _line_for(index, tuple(error["loc"])), f"{where}: {error['msg']}"))
        return None, index


def load_content(root: Path = CONTENT_DIR) -> Content:
    """All content under `root`; raises ContentError listing every problem found."""
    problems: list[Problem] = []
    topics_file, _ = read_model(root / "topics.yaml", TopicsFile, problems)
    sources_file, _ = read_model(root / "sources.yaml", SourcesFile, problems)
    synonyms_file, _ = read_model(root / "synonyms.yaml", SynonymsFile, problems)
    glossary_file, _ = read_model(root / "glossary.yaml", GlossaryFile, problems)
    spoken = root / "voice" / "pronunciation.yaml"
    pronunciation, _ = read_model(spoken, PronunciationFile, problems) if spoken.is_file() else (None, {})
    topics = topics_file.topics if topics_file else []
    order = {t.id: n for n, t in enumerate(topics)}
    lessons_by_topic: dict[str, list[Lesson]] = {}
    lessons: dict[str, Lesson] = {}
    questions: dict[str, list[QuizQuestion]] = {}
    files: dict[str, Path] = {}
    for path in sorted((root / "lessons").glob("*.yaml")):
        lesson_file, _ = read_model(path, LessonFile, problems)
        if lesson_file is None:
            continue
        if lesson_file.topic not in order:
            problems.append(Problem(path, 1, f"topic {lesson_file.topic!r} is not in topics.yaml"))
        items = [lesson.model_copy(update={"topic": lesson_file.topic}) for lesson in lesson_file.lessons]
        lessons_by_topic.setdefault(lesson_file.topic, []).extend(items)
        for lesson in items:
            if lesson.id in lessons:
                problems.append(Problem(path, 1, f"lesson id {lesson.id!r} is used twice"))
            lessons[lesson.id], files[lesson.id] = lesson, path
    for path in sorted((root / "quiz").glob("*.yaml")):
        quiz_file, _ = read_model(path, QuizFile, problems)
        if quiz_file is None:
            continue
        asked = [q.model_copy(update={"topic": quiz_file.topic}) for q in quiz_file.questions]
        questions.setdefault(quiz_file.topic, []).extend(asked)
        for question in asked:
            files[question.id] = path
    faq: list[FaqEntry] = []
    for path in sorted((root / "faq").glob("*.yaml")):
        faq_file, _ = read_model(path, FaqFile, problems)
        if faq_file is not None:
            faq.extend(faq_file.faq)
            files.update({entry.id: path for entry in faq_file.faq})
    if problems:
        raise ContentError(problems)
    return Content(
        topics=sorted(topics, key=lambda t: order[t.id]),
        lessons=lessons,
        lessons_by_topic=lessons_by_topic,
        questions=questions,
        faq=faq,
        synonyms=synonyms_file.synonyms if synonyms_file else [],
        sources={s.id: s for s in sources_file.sources} if sources_file else {},
        glossary=glossary_file.terms if glossary_file else [],
        files=files,
        pronunciation=pronunciation,
    )

"""The shape of lesson, quiz and FAQ files (content/README.md explains them to writers)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_STEP = 600
StartAnswer = Literal["has_smartphone", "uses_social", "vneid_active"]
Competence = Literal["D1", "D2", "D3", "D4", "D5", "D6"]


def check_answer(answer: int, options: list[str]) -> None:
    if not 0 <= answer < len(options):
        raise ValueError(f"answer {answer} is not an index of the {len(options)} options")


QUESTIONS_PER_ATTEMPT = 10
"""Questions a quiz draws from its topic's bank (the content check simulates the same draw)."""

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    id: str
    title: str
    short: str | None = Field(None, max_length=40)  # "Cổng DVC quốc gia": what a lesson's end shows
    url: str | None = None

    @property
    def label(self) -> str:
        """The name a resident reads under a lesson: the short title when there is one."""
        return self.short or self.title


class Step(Strict):
    text: str = Field(min_length=1, max_length=MAX_STEP)
    image: str | None = None


class CheckQuestion(Strict):
    question: str
    options: list[str] = Field(min_length=2, max_length=4)
    answer: int
    feedback: str

    @model_validator(mode="after")
    def _answer_in_range(self) -> CheckQuestion:
        check_answer(self.answer, self.options)
        return self


class Lesson(Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    level: Literal["co-ban", "trung-cap"] = "co-ban"
    competences: list[Competence] = Field(min_length=1)
    minutes: int = Field(ge=1, le=30)
    skip_if: list[StartAnswer] = []
    needs_smartphone: bool = True
    general_advice: bool = False
    sources: list[str] = []
    steps: list[Step] = Field(min_length=1)
    practice: str
    check: CheckQuestion
    reviewed: date  # when someone last checked the lesson against its sources
    topic: str = ""

    @model_validator(mode="after")
    def _sourced(self) -> Lesson:
        if not self.sources and not self.general_advice:
            raise ValueError("a lesson needs sources (or general_advice: true when it only gives common-sense advice)")
        return self

    def step_message(self, index: int, header: str) -> str:
        """Step `index` exactly as `lesson.step` sends it: the header, a blank line, the step's text.

        One definition, so that `bot content check` measures what residents read.
        """
        return f"{header}\n\n{self.steps[index].text.strip()}"


class LessonFile(Strict):
    topic: str
    lessons: list[Lesson] = Field(min_length=1)


class Topic(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    short: str = Field(max_length=24)
    core: bool
    description: str


class TopicsFile(Strict):
    topics: list[Topic] = Field(min_length=1)


class QuizQuestion(Strict):
    id: str
    kind: Literal["choice", "truefalse", "situation"] = "choice"
    question: str
    options: list[str] = Field(min_length=2, max_length=4)
    answer: int
    explanation: str
    lesson: str
    sources: list[str] = []
    # situation items say whether the case told is a scam or a safe, ordinary one: banks must mix both,
    # or "always pick the scam answer" passes without reading a lesson
    case: Literal["scam", "safe"] | None = None
    topic: str = ""

    @model_validator(mode="after")
    def _valid_answer(self) -> QuizQuestion:
        check_answer(self.answer, self.options)
        if self.kind == "truefalse" and self.options != ["Đúng", "Sai"]:
            raise ValueError('truefalse questions have exactly options: ["Đúng", "Sai"]')
        if self.kind == "situation" and self.case is None:
            raise ValueError("situation questions say `case: scam` or `case: safe`")
        return self


class QuizFile(Strict):
    topic: str
    questions: list[QuizQuestion] = Field(min_length=1)


class FaqEntry(Strict):
    id: str
    question: str
    phrasings: list[str] = []
    answer: str = Field(max_length=MAX_STEP)
    lesson: str | None = None
    sources: list[str] = []

    @field_validator("answer")
    @classmethod
    def _trim(cls, value: str) -> str:
        return value.strip()


class FaqFile(Strict):
    faq: list[FaqEntry] = Field(min_length=1)


class SynonymsFile(Strict):
    synonyms: list[list[str]]


class SourcesFile(Strict):
    sources: list[Source]


class GlossaryTerm(Strict):
    """A word residents may not know: a lesson explains it where it first uses it."""

    term: str
    forms: list[str] = []  # other ways lessons write it ("link" for "đường link")
    means: str  # the plain explanation writers reuse

    @property
    def all_forms(self) -> list[str]:
        return [self.term, *self.forms]


class GlossaryFile(Strict):
    terms: list[GlossaryTerm] = Field(min_length=1)


class PronunciationFile(Strict):
    """How the read-aloud voice says what it would misread (`bot.voice.speech`)."""

    words: dict[str, str] = Field(min_length=1)
    """A word as lessons write it (whole word, any case) → the Vietnamese syllables to say."""
    link: str = Field(min_length=1)
    """Said instead of a web address, which nobody can follow read letter by letter."""

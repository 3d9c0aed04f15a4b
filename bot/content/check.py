"""`bot content check`: what the schema alone cannot see, and a table per topic.

Checks ids are unique, references and sources exist, URLs are well formed,
Vietnamese text really carries its diacritics (a file saved without them reads
as nonsense to residents), quiz banks are big enough, and the reading time.
It also checks what makes content trustworthy for elderly readers: every step
fits one phone screen, sentences stay short, glossary words are explained at
first use (bot/lessons/readability.py); and that a quiz measures something: no
blind answering strategy passes more than 5% of quizzes, true/false answers are
balanced, situations mix scams with safe cases, and no quiz item repeats the
check question the resident has just answered (bot/lessons/guessing.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from rapidfuzz import fuzz

from bot.content import guessing, readability
from bot.content.loader import CONTENT_DIR, Content, ContentError, Problem, load_content
from bot.content.models import Lesson, QuizQuestion
from bot.text.fold import fold
from bot.text.i18n import translate

WORDS_PER_MINUTE = 120
MIN_LESSONS = {True: 4, False: 3}
MIN_QUESTIONS = {True: 15, False: 10}
PASS_MARK = 80  # QUIZ_PASS_MARK's default
MAX_BLIND_PASS = 0.05  # a blind guesser passes at most this share of quizzes
DUNG_SHARE = (0.4, 0.6)  # share of true/false items answered "Đúng"
SAFE_SHARE = (0.3, 0.7)  # share of situation items that tell a safe case
REVIEW_EVERY = timedelta(days=365)
_URL = re.compile(r"^https?://[A-Za-z0-9.\-]+\.[A-Za-z]{2,}(/\S*)?$")
_LESSON_REFERENCE = re.compile(r'Xem bài ["“](.+?)["”]\.?$', re.M)  # 'Xem bài "Báo lừa đảo ở đâu?".'
_SPELLED = re.compile(r"[0-9A-Z]")
_VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)


@dataclass(frozen=True)
class TopicStats:
    topic: str
    lessons: int
    steps: int
    words: int
    questions: int
    longest_step: int = 0  # characters of the longest step as sent, header included
    guessing: guessing.Guessing | None = None

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


def repeats_check(question: QuizQuestion, lesson: Lesson) -> bool:
    """The quiz item asks what the lesson's check question asked (a free point for having just seen it)."""
    asked, checked = fold(question.question), fold(lesson.check.question)
    same_answer = fuzz.ratio(fold(question.options[question.answer]), fold(lesson.check.options[lesson.check.answer]))
    return fuzz.token_sort_ratio(asked, checked) >= 78 or (same_answer >= 90 and fuzz.token_set_ratio(asked, checked) >= 78)


def _readability_problems(lesson: Lesson, content: Content, problem) -> None:
    for number, message in enumerate(readability.rendered_steps(lesson), 1):
        if len(message) > readability.MAX_RENDERED:
            problem(lesson.id, f"step {number} is {len(message)} characters as sent (at most "
                               f"{readability.MAX_RENDERED}): split it into two steps")
    practice = translate("vi", "lessons.practice", task=lesson.practice.strip())
    if len(practice) > readability.MAX_RENDERED:
        problem(lesson.id, f"practice is {len(practice)} characters as sent (at most {readability.MAX_RENDERED})")
    for text in readability.reading_blocks(lesson):
        for sentence, count in readability.long_sentences(text):
            problem(lesson.id, f"sentence of {count} words (at most {readability.MAX_SYLLABLES}): {sentence[:60]!r}")
    for term, text in readability.unexplained_terms(lesson, content.glossary):
        problem(lesson.id, f"“{term.term}” is used before it is explained (glossary: {term.means}): {text[:50]!r}")
    for source_id in lesson.sources:
        source = content.sources.get(source_id)
        if source is not None and not source.short:
            problem(lesson.id, f"source {source_id} has no `short` title to show at the lesson's end")


def _quiz_problems(content: Content, topic_id: str, questions: list[QuizQuestion], pass_mark: int,
                   problem) -> None:
    where = CONTENT_DIR / "quiz" / f"{topic_id}.yaml"
    report = guessing.analyse(topic_id, questions, pass_mark)
    name, rate = report.worst
    if rate > MAX_BLIND_PASS:
        problem(where, f"topic {topic_id}: answering blind by “{name}” passes {rate:.1%} of quizzes "
                       f"(at most {MAX_BLIND_PASS:.0%}): vary which option is right")
    if report.dung_share is not None and not DUNG_SHARE[0] <= report.dung_share <= DUNG_SHARE[1]:
        problem(where, f"topic {topic_id}: “Đúng” answers {report.dung_share:.0%} of true/false items "
                       f"(keep it between {DUNG_SHARE[0]:.0%} and {DUNG_SHARE[1]:.0%})")
    situations = [q for q in questions if q.kind == "situation"]
    if situations:
        safe = sum(1 for q in situations if q.case == "safe") / len(situations)
        if not SAFE_SHARE[0] <= safe <= SAFE_SHARE[1]:
            problem(where, f"topic {topic_id}: {safe:.0%} of situations are safe cases "
                           f"(mix scams and safe cases: {SAFE_SHARE[0]:.0%}–{SAFE_SHARE[1]:.0%} safe)")
    for question in questions:
        for lesson in content.lessons_by_topic.get(topic_id, []):
            if repeats_check(question, lesson):
                problem(question.id, f"repeats the check question of {lesson.id}: ask something else")
        texts = [question.question, question.explanation, *question.options]
        for sentence, count in (found for text in texts for found in readability.long_sentences(text)):
            problem(question.id, f"sentence of {count} words (at most {readability.MAX_SYLLABLES}): {sentence[:60]!r}")


def find_problems(content: Content, pass_mark: int = PASS_MARK) -> list[Problem]:
    problems: list[Problem] = []

    def problem(item: str | Path, message: str) -> None:
        if isinstance(item, Path):
            problems.append(Problem(item, 1, message))
        else:
            problems.append(Problem(content.files.get(item, Path("content")), 1, f"{item}: {message}"))

    def check_sources(item_id: str, source_ids: list[str]) -> None:
        for source_id in source_ids:
            if source_id not in content.sources:
                problem(item_id, f"source {source_id} is not in sources.yaml")

    for source in content.sources.values():
        if source.url is not None and not _URL.match(source.url):
            problem(CONTENT_DIR / "sources.yaml", f"{source.id}: URL {source.url!r} is not well formed")
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
        _readability_problems(lesson, content, problem)
    for topic_id, questions in content.questions.items():
        if content.topic(topic_id) is None:
            problem(CONTENT_DIR / "quiz", f"quiz topic {topic_id!r} is not in topics.yaml")
        for question in questions:
            if question.lesson not in content.lessons:
                problem(question.id, f"lesson {question.lesson!r} does not exist")
            elif content.lessons[question.lesson].topic != topic_id:
                problem(question.id, f"lesson {question.lesson!r} belongs to another topic")
            check_sources(question.id, question.sources)
            if not _has_diacritics(question.question):
                problem(question.id, "question without Vietnamese diacritics")
        _quiz_problems(content, topic_id, questions, pass_mark, problem)
    titles = {lesson.title for lesson in content.lessons.values()}
    for entry in content.faq:
        if entry.lesson is not None and entry.lesson not in content.lessons:
            problem(entry.id, f"lesson {entry.lesson!r} does not exist")
        check_sources(entry.id, entry.sources)
        if "TODO" in entry.answer:  # a draft of `bot faq add`, not finished
            problem(entry.id, "answer still says TODO: a draft to finish before it ships")
        if not _has_diacritics(entry.answer):
            problem(entry.id, "answer without Vietnamese diacritics")
        for sentence, count in readability.long_sentences(entry.answer):
            problem(entry.id, f"sentence of {count} words (at most {readability.MAX_SYLLABLES}): {sentence[:60]!r}")
        for title in _LESSON_REFERENCE.findall(entry.answer):
            if title not in titles:
                problem(entry.id, f"names a lesson “{title}” that does not exist (lesson titles changed?)")
    _pronunciation_problems(content, problem)
    for topic in content.topics:
        lessons = content.lessons_by_topic.get(topic.id, [])
        if len(lessons) < MIN_LESSONS[topic.core]:
            problem(CONTENT_DIR / "lessons", f"topic {topic.id}: {len(lessons)} lessons, needs at least {MIN_LESSONS[topic.core]}")
        count = len(content.questions.get(topic.id, []))
        if count < MIN_QUESTIONS[topic.core]:
            problem(CONTENT_DIR / "quiz", f"topic {topic.id}: {count} quiz questions, needs at least {MIN_QUESTIONS[topic.core]}")
    return problems


def _pronunciation_problems(content: Content, problem) -> None:
    """What the read-aloud voice says must be said, not spelled: lower-case syllables, no digits,
    and one way to say each word (keys are matched in any case)."""
    spoken = content.pronunciation
    where = CONTENT_DIR / "voice" / "pronunciation.yaml"
    if spoken is None:
        problem(where, "missing: the read-aloud voice needs it for VNeID, OTP, QR …")
        return
    for word, count in Counter(key.casefold() for key in spoken.words).items():
        if count > 1 and len({spoken.words[k] for k in spoken.words if k.casefold() == word}) > 1:
            problem(where, f"{word!r} is said in {count} different ways")
    for word, said in [*spoken.words.items(), ("link", spoken.link)]:
        if not said.strip() or _SPELLED.search(said):
            problem(where, f"{word}: {said!r} must be lower-case syllables without digits, as it is said")


def find_warnings(content: Content, today: date | None = None) -> list[Problem]:
    """What does not stop the bot but needs a person soon: lessons nobody has re-read against their sources for a year."""
    today = today or date.today()
    return [Problem(content.files.get(lesson.id, Path("content")), 1,
                    f"{lesson.id}: last reviewed {lesson.reviewed.isoformat()}, more than 12 months ago: "
                    f"check it against its sources and update `reviewed:`")
            for lesson in content.all_lessons() if today - lesson.reviewed > REVIEW_EVERY]


def topic_stats(content: Content, pass_mark: int = PASS_MARK) -> list[TopicStats]:
    rows = []
    for topic in content.topics:
        lessons = content.lessons_by_topic.get(topic.id, [])
        questions = content.questions.get(topic.id, [])
        rows.append(TopicStats(
            topic=topic.id,
            lessons=len(lessons),
            steps=sum(len(lesson.steps) for lesson in lessons),
            words=sum(lesson_words(lesson) for lesson in lessons),
            questions=len(questions),
            longest_step=max((len(m) for lesson in lessons for m in readability.rendered_steps(lesson)), default=0),
            guessing=guessing.analyse(topic.id, questions, pass_mark) if questions else None,
        ))
    return rows


def check(root: Path = CONTENT_DIR, *, pass_mark: int = PASS_MARK) -> tuple[Content | None, list[Problem]]:
    """The loaded content and every problem in it (empty list: the content is fine)."""
    try:
        content = load_content(root)
    except ContentError as exc:
        return None, exc.problems
    return content, find_problems(content, pass_mark)


def render_table(stats: list[TopicStats], faq_entries: int) -> str:
    lines = [f"{'topic':<12} {'lessons':>7} {'steps':>6} {'words':>6} {'minutes':>8} {'questions':>9} {'longest step':>13}"]
    for row in stats:
        lines.append(f"{row.topic:<12} {row.lessons:>7} {row.steps:>6} {row.words:>6} {row.minutes:>8.1f} "
                     f"{row.questions:>9} {row.longest_step:>13}")
    lines.append(f"FAQ entries: {faq_entries}  (reading speed {WORDS_PER_MINUTE} words/minute)")
    lines.append("")
    lines.append(f"{'quiz':<12} {'random':>7} {'longest right':>14} {'Đúng':>6}  best blind strategy")
    for row in stats:
        if row.guessing is None:
            continue
        report = row.guessing
        dung = f"{report.dung_share:.0%}" if report.dung_share is not None else "–"
        name, rate = report.worst
        lines.append(f"{row.topic:<12} {report.random_rate:>7.1%} {report.longest_right:>14.0%} {dung:>6}  "
                     f"{rate:.1%} by “{name}”")
    lines.append(f"(pass rates over the real draw of {guessing.QUESTIONS_PER_ATTEMPT} questions with shuffled options; "
                 f"a quiz fails the check above {MAX_BLIND_PASS:.0%})")
    return "\n".join(lines)

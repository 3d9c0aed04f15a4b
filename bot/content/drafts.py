"""What to add to the FAQ next: unanswered questions grouped by meaning, and a draft entry per group.

Residents ask one thing in many ways ("quên mật khẩu VNeID rồi", "quen mk vneid"), so
counting identical texts scatters the most asked needs over many rows of one. Texts are
grouped after the FAQ search's own normalisation (`bot.content.search.Normaliser`: folded,
the synonym groups of content/synonyms.yaml → one token each, question scaffolding dropped),
then by rapidfuzz similarity to the most asked text of each group (leader clustering, most
asked first, so the grouping and its numbers depend only on the rows).

A draft is a new FAQ entry in the format of content/faq/*.yaml whose answer says TODO in
words `bot content check` refuses (it says TODO, and has no Vietnamese diacritics), so it cannot
ship unfinished once moved into content/faq/. Nothing here knows about a channel or the CLI.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rapidfuzz import fuzz, process

from bot.config import PROJECT_ROOT
from bot.content.loader import CONTENT_DIR, Content, Problem, read_model
from bot.content.models import FaqFile, SynonymsFile
from bot.content.search import Normaliser, words
from bot.text.fold import fold
from bot.text.i18n import WARD_TZ

SIMILAR = 80.0          # mean of token_set_ratio and token_sort_ratio at which two questions are one
EXAMPLES = 3            # other wordings shown per group
MAX_PHRASINGS = 15      # a draft's phrasings: the group's most asked other wordings
SLUG_WORDS = 5
DEFAULT_DRAFTS = PROJECT_ROOT / "var" / "faq-drafts.yaml"
# ASCII on purpose: `bot content check` flags an answer of 4+ words without Vietnamese diacritics.
TODO_ANSWER = "TODO: write the answer in Vietnamese with diacritics, then list its sources"
DRAFTS_HEADER = (
    "# Drafts of FAQ entries made by `bot faq add` from questions residents asked.\n"
    "# Not finished: complete each entry, move it into content/faq/<topic>.yaml, then run `bot content check`.\n"
    "faq:\n"
)


@dataclass(frozen=True)
class Asked:
    """One text as residents typed it (masked), how often, and when last."""

    text: str
    count: int
    last: datetime


@dataclass(frozen=True)
class Group:
    """Questions that ask the same thing; `texts[0]` (the most asked wording) represents them."""

    number: int
    count: int
    last: datetime
    texts: tuple[Asked, ...]

    @property
    def representative(self) -> str:
        return self.texts[0].text

    def others(self) -> list[str]:
        """The group's other wordings, most asked first, one per folded form, none folding like the representative."""
        seen = {fold(self.representative)}
        out = []
        for asked in self.texts[1:]:
            if (folded := fold(asked.text)) not in seen:
                seen.add(folded)
                out.append(asked.text)
        return out

    @property
    def examples(self) -> list[str]:
        return self.others()[:EXAMPLES]

    def as_json(self) -> dict[str, Any]:
        return {"group": self.number, "count": self.count, "last_asked": self.last.isoformat(),
                "representative": self.representative, "examples": self.examples,
                "texts": [{"text": a.text, "count": a.count, "last_asked": a.last.isoformat()} for a in self.texts]}


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _has_diacritics(text: str) -> bool:
    return "đ" in text.lower() or any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))


def _wording_order(asked: Asked) -> tuple[Any, ...]:
    """Most asked first; of equals, one with diacritics (it reads better as a question), then the latest."""
    return -asked.count, not _has_diacritics(asked.text), -asked.last.timestamp(), asked.text


def load_synonyms(root: Path = CONTENT_DIR) -> list[list[str]]:
    """content/synonyms.yaml alone (grouping must not fail because a lesson is being edited)."""
    problems: list[Problem] = []
    synonyms_file, _ = read_model(root / "synonyms.yaml", SynonymsFile, problems)
    return synonyms_file.synonyms if synonyms_file else []


def question_key(text: str, normaliser: Normaliser) -> str:
    """What a question is about: 'Quên mật khẩu VNeID rồi?' and 'quen mk vneid' both → 'quen mk vneid'."""
    return " ".join(normaliser.content(words(text))) or fold(text)


def _similarity(a: str, b: str) -> float:
    """token_set alone calls any subset the same ("vneid" ⊂ "quen mk vneid"); token_sort balances it."""
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 2


def _most_similar(key: str, choices: list[str], similar: float) -> int | None:
    """Index of the choice most like `key` (the first of equals), if at least `similar`.

    rapidfuzz's C loop keeps only choices whose token_set_ratio can still reach the mean
    (token_sort_ratio is at most 100); the mean is computed for those few."""
    if not choices:
        return None
    near = process.extract(key, choices, scorer=fuzz.token_set_ratio, score_cutoff=max(0.0, 2 * similar - 100), limit=None)
    scored = [(_similarity(key, choice), -index) for choice, _, index in near]
    best = max(scored, default=None)
    return -best[1] if best is not None and best[0] >= similar else None


def group_questions(asked: Iterable[Asked], synonyms: list[list[str]], similar: float = SIMILAR) -> list[Group]:
    """Groups of similar questions, most asked first, numbered from 1; the same rows give the same numbers."""
    merged: dict[str, Asked] = {}
    for row in asked:
        text = row.text.strip()
        if not text:
            continue
        before = merged.get(text)
        last = _utc(row.last)
        merged[text] = Asked(text, row.count + (before.count if before else 0), max(last, before.last) if before else last)
    normaliser = Normaliser(synonyms)
    by_key: dict[str, list[Asked]] = {}
    for row in merged.values():
        by_key.setdefault(question_key(row.text, normaliser), []).append(row)

    def weight(key: str) -> tuple[Any, ...]:
        rows = by_key[key]
        return -sum(r.count for r in rows), -max(r.last for r in rows).timestamp(), key

    leaders: list[str] = []
    members: dict[str, list[Asked]] = {}
    for key in sorted(by_key, key=weight):
        leader = _most_similar(key, leaders, similar)
        if leader is None:
            leaders.append(key)
            members[key] = list(by_key[key])
        else:
            members[leaders[leader]].extend(by_key[key])
    groups = [sorted(rows, key=_wording_order) for rows in members.values()]
    groups.sort(key=lambda rows: (-sum(r.count for r in rows), -max(r.last for r in rows).timestamp(), rows[0].text))
    return [Group(number, sum(r.count for r in rows), max(r.last for r in rows), tuple(rows))
            for number, rows in enumerate(groups, 1)]


def find_group(groups: list[Group], text: str, synonyms: list[list[str]], similar: float = SIMILAR) -> Group | None:
    """The group holding `text` (as typed or folded alike), else the one whose wording is most like it."""
    folded = fold(text)
    for group in groups:
        if any(fold(a.text) == folded for a in group.texts):
            return group
    normaliser = Normaliser(synonyms)
    keys = [question_key(group.representative, normaliser) for group in groups]
    best = _most_similar(question_key(text, normaliser), keys, similar)
    return groups[best] if best is not None else None


# --- drafts -------------------------------------------------------------------------------------


class DraftError(ValueError):
    """The draft cannot be written (unknown topic, unreadable drafts file, question already drafted)."""


class AlreadyDrafted(DraftError):
    """The drafts file already holds an entry asking the same question."""


def drafts_beside(files_dir: Path) -> Path:
    """The running bot's drafts file: var/faq-drafts.yaml beside var/files, where `bot faq add` writes by default."""
    return files_dir.parent / DEFAULT_DRAFTS.name


def faq_topics(content: Content) -> list[str]:
    """What `--topic` accepts: every topic of topics.yaml and every content/faq/<name>.yaml (general)."""
    stems = {path.stem for path in content.files.values() if path.parent.name == "faq"}
    return [*(t.id for t in content.topics), *sorted(stems - {t.id for t in content.topics})]


def faq_prefix(content: Content, topic: str) -> str:
    """How the ids of the topic's FAQ file start (vneid-, dvc-, tt-, at-, gen-); the topic id when it has none."""
    starts = Counter(entry.id.split("-")[0] for entry in content.faq
                     if (path := content.files.get(entry.id)) is not None and path.parent.name == "faq" and path.stem == topic)
    return starts.most_common(1)[0][0] if starts else topic


def draft_id(question: str, prefix: str, taken: set[str], synonyms: list[list[str]] | None = None) -> str:
    """'vneid-quen-mat-khau' from 'Quên mật khẩu VNeID rồi?': scaffolding dropped, unique against `taken`."""
    normaliser = Normaliser(synonyms or [])
    slug = [w for w in normaliser.plain(words(question)) if w != prefix][:SLUG_WORDS] or ["cau-hoi"]
    base = f"{prefix}-{'-'.join(slug)}"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True)
class Draft:
    id: str
    topic: str
    question: str
    phrasings: list[str]
    asked: int          # how many times residents asked it
    last: datetime | None
    group: int | None

    def render(self) -> str:
        """The entry as it is appended under `faq:`, in the layout of content/faq/*.yaml."""
        origin = [f"group {self.group} of `bot faq unanswered`"] if self.group is not None else ["from --text"]
        if self.asked:
            origin.append(f"asked {self.asked} time(s)")
        if self.last is not None:
            origin.append(f"last {self.last.astimezone(WARD_TZ):%d/%m/%Y}")
        phrasings = ", ".join(_quoted(p) for p in self.phrasings)
        return (
            f"  # DRAFT, NOT FINISHED ({', '.join(origin)}).\n"
            "  # To complete: write the answer in Vietnamese with diacritics, list its sources (ids from\n"
            "  # content/sources.yaml), add `lesson:` if a lesson teaches it, tidy the question; then move\n"
            f"  # the entry into content/faq/{self.topic}.yaml and run `bot content check`.\n"
            f"  - id: {self.id}\n"
            f"    question: {_quoted(self.question)}\n"
            f"    phrasings: [{phrasings}]\n"
            "    answer: |\n"
            f"      {TODO_ANSWER}\n"
            "    sources: []\n"
        )


def make_draft(content: Content, topic: str, question: str, others: list[str], *, taken: Iterable[str] = (),
               asked: int = 1, last: datetime | None = None, group: int | None = None) -> Draft:
    """A new FAQ entry for `topic`: its id unique among every lesson, quiz and FAQ id and `taken`."""
    if topic not in faq_topics(content):
        raise DraftError(f"unknown topic {topic!r}: one of {', '.join(faq_topics(content))}")
    question = " ".join(question.split())
    ids = {*content.lessons, *(q.id for bank in content.questions.values() for q in bank),
           *(entry.id for entry in content.faq), *taken}
    folded_question = fold(question)
    phrasings = list(dict.fromkeys(f for f in (fold(text) for text in others) if f and f != folded_question))
    return Draft(id=draft_id(question, faq_prefix(content, topic), ids, content.synonyms), topic=topic,
                 question=question, phrasings=phrasings[:MAX_PHRASINGS], asked=asked, last=last, group=group)


def draft_from_group(content: Content, topic: str, group: Group, taken: Iterable[str] = ()) -> Draft:
    return make_draft(content, topic, group.representative, [a.text for a in group.texts[1:]], taken=taken,
                      asked=group.count, last=group.last, group=group.number)


def read_drafts(path: Path) -> list[dict[str, Any]]:
    """The entries already in a drafts file ([] when it does not exist yet)."""
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DraftError(f"{path} is not valid YAML: {exc}") from None
    entries = data.get("faq") if isinstance(data, dict) else None
    if not isinstance(entries, list) or set(data) != {"faq"}:
        raise DraftError(f"{path} is not a FAQ file (one `faq:` list)")
    return [entry for entry in entries if isinstance(entry, dict)]


def append_draft(path: Path, draft: Draft) -> None:
    """Appends `draft` under the file's `faq:` list (a new file gets a header); the result must still be a FAQ file."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if not existing.strip():
        text = DRAFTS_HEADER + draft.render()
    else:
        text = existing.rstrip("\n") + "\n\n" + draft.render()
    try:
        FaqFile.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:  # the file was hand-edited into something else
        raise DraftError(f"{path} would not be a valid FAQ file after appending: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def drafted_as(existing: list[dict[str, Any]], draft: Draft) -> str | None:
    """The id of an entry of `existing` asking `draft`'s question (folded alike), else None."""
    folded = fold(draft.question)
    return next((str(entry.get("id")) for entry in existing if fold(str(entry.get("question", ""))) == folded), None)


def add_group_draft(path: Path, content: Content, topic: str, group: Group) -> Draft:
    """A draft of `group` appended to the drafts file `path`, its id unique there too; `AlreadyDrafted`
    when the file already asks that question (the chat screen and the staff console)."""
    existing = read_drafts(path)
    draft = draft_from_group(content, topic, group, taken=[str(entry.get("id")) for entry in existing])
    if (same := drafted_as(existing, draft)) is not None:
        raise AlreadyDrafted(f"already drafted in {path.name} as {same}")
    append_draft(path, draft)
    return draft

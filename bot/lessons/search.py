"""Free-text question search: a resident's own words → FAQ entries and lessons.

Residents type short questions without diacritics and with typos ("vnied la cai gi",
"ck nham thi lam sao"). Plain keyword search misses most of them and plain fuzzy string
matching prefers long texts that merely share many letters, so both sides (documents
and query) go through the same normalisation and two signals are blended:

1. keyword coverage: how much of the query's IDF-weighted words (and word pairs, since
   Vietnamese meaning lives in two-syllable words) a document holds, the question or
   title counting fully and the body only partly;
2. string similarity (rapidfuzz) between the query and the document's question,
   phrasings or title, which prefers the entry worded most like the query.

Everything that depends only on the content is computed once in `SearchIndex.build()`,
so `search()` is a few dictionary look-ups plus rapidfuzz calls on a handful of texts.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.core.matching import fold
from bot.lessons.loader import Content

# Question scaffolding that says nothing about the topic ("... là gì", "... thì làm sao").
STOP_PHRASES = (
    "la gi", "la cai gi", "lam sao", "lam the nao", "the nao", "nhu the nao", "nhu nao", "ra sao",
    "kieu gi", "bang cach nao", "o dau", "cua toi", "duoc khong", "co phai", "phai lam gi", "bao nhieu",
    "thi", "toi", "minh", "bi", "co", "khong", "a", "ah", "ak", "vay", "nhe", "oi", "gi", "nao",
    "la", "de", "cua", "duoc", "roi", "da", "se", "nhu", "hay", "hoac", "va", "voi", "cac",
    "nhung", "nay", "kia", "day", "do", "muon", "phai", "sao", "tren", "trong", "bang", "o",
)
STRONG, ANSWER, STEP = 1.0, 0.5, 0.4  # how much a word counts in the title vs the body
SURFACE = 1.0                          # a word inside a synonym phrase, vs the phrase itself
ANSWER_CHARS = 200                     # only the start of an answer says what it is about
BIGRAM_WEIGHT = 0.25                   # word pairs add precision on top of single words
KEYWORD_SHARE = 0.6                   # the rest of the score is string similarity
TYPO_WEIGHT = 0.8                      # a corrected word is less certain than a typed one
MIN_COVERAGE = 0.34                    # below this share of the query, it is not about the doc
MIN_SCORE = 40.0
CANDIDATES = 12                        # documents that get the (costlier) string similarity
_SPLIT_DIGITS = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


@dataclass(frozen=True)
class Hit:
    kind: Literal["faq", "lesson"]
    id: str
    title: str      # FAQ question or lesson title, with diacritics, for an option label
    score: float    # 0..100


def words(text: str) -> list[str]:
    """Folded words, with numbers split from letters ("muc2" → muc 2, "15tr" → 15 tr) and % spelled out."""
    return _SPLIT_DIGITS.sub(" ", fold(text.replace("%", " phần trăm "))).split()


def _replace(tokens: list[str], table: dict[tuple[str, ...], str | None], longest: int) -> list[str]:
    """Left to right, the longest phrase of `table` starting here wins; None drops the phrase."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            key = tuple(tokens[i:i + size])
            if key in table:
                if table[key] is not None:
                    out.append(table[key])  # type: ignore[arg-type]
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


class Normaliser:
    """Synonym groups → one canonical token each; question scaffolding removed."""

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self.synonyms: dict[tuple[str, ...], str | None] = {}
        for group in groups:
            phrases = [tuple(words(p)) for p in group if words(p)]
            if phrases:
                canonical = "_".join(phrases[0])  # "_" keeps it one token that no phrase can match again
                for phrase in phrases:
                    self.synonyms.setdefault(phrase, canonical)
        self.stops: dict[tuple[str, ...], str | None] = {tuple(p.split()): None for p in STOP_PHRASES}
        self._longest = max((len(p) for p in [*self.synonyms, *self.stops]), default=1)

    def canonical(self, tokens: list[str]) -> list[str]:
        """Repeat until stable, so "ko nho" → "khong nho" → "quen" needs no extra group entries."""
        for _ in range(3):
            replaced = _replace(tokens, self.synonyms, self._longest)
            if replaced == tokens:
                break
            tokens = replaced
        return tokens

    def content(self, tokens: list[str]) -> list[str]:
        """Canonical tokens without scaffolding; again after it, so "chuyen duoc tien" → ck too."""
        return self.canonical(_replace(self.canonical(tokens), self.stops, self._longest))


@dataclass(frozen=True)
class _Doc:
    kind: Literal["faq", "lesson"]
    id: str
    title: str
    texts: tuple[str, ...]  # normalised question, phrasings or title, for string similarity


def _pairs(tokens: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


class SearchIndex:
    """Inverted index over FAQ entries and lessons; build once, search many times."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.norm = normaliser
        self.docs: list[_Doc] = []
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.idf: dict[str, float] = {}
        self.unknown_idf = 0.0
        self.vocabulary: list[str] = []
        self.known: set[str] = set()
        self._typos: dict[str, tuple[str, float] | None] = {}

    @classmethod
    def build(cls, content: Content) -> SearchIndex:
        index = cls(Normaliser(content.synonyms))
        for entry in content.faq:
            index._add("faq", entry.id, entry.question, [entry.question, *entry.phrasings],
                       [(entry.answer[:ANSWER_CHARS], ANSWER)])
        for lesson in content.lessons.values():
            index._add("lesson", lesson.id, lesson.title, [lesson.title], [(s.text, STEP) for s in lesson.steps])
        index._finish(content.synonyms)
        return index

    def _add(self, kind: Literal["faq", "lesson"], doc_id: str, title: str, strong: list[str],
             weak: list[tuple[str, float]]) -> None:
        number, weights = len(self.docs), defaultdict(float)
        texts = []
        for text, weight in [*((t, STRONG) for t in strong), *weak]:
            raw = words(text)
            self.known.update(raw)
            tokens = self.norm.content(raw)
            if weight == STRONG:
                texts.append(" ".join(tokens))
            for feature in [*tokens, *_pairs(tokens)]:
                weights[feature] = max(weights[feature], weight)
            # Also indexed as written: "xoa het thong tin" should still find "xoa du lieu".
            surface = _replace(raw, self.norm.stops, 3)
            for feature in [*surface, *_pairs(surface)]:
                weights[feature] = max(weights[feature], weight * SURFACE)
        self.docs.append(_Doc(kind, doc_id, title, tuple(texts)))
        for feature, weight in weights.items():
            self.postings.setdefault(feature, []).append((number, weight))

    def _finish(self, groups: list[list[str]]) -> None:
        """BM25 IDF per word; the vocabulary that typos are corrected against."""
        total = len(self.docs)
        for feature, posting in self.postings.items():
            self.idf[feature] = math.log(1 + (total - len(posting) + 0.5) / (len(posting) + 0.5))
        # A word the content never uses counts like a rare word: the query is partly about something else.
        self.unknown_idf = math.log(1 + (total - 0.5) / 1.5)
        self.known.update(w for group in groups for phrase in group for w in words(phrase))
        self.known.update(w for phrase in STOP_PHRASES for w in phrase.split())
        self.vocabulary = sorted(w for w in self.known if not w.isdigit())

    def _correct(self, word: str) -> tuple[str, float] | None:
        """The content word a typo most likely meant ("vnied" → vneid), or None; cached."""
        if word in self._typos:
            return self._typos[word]
        found = None
        if len(word) >= 3 and not word.isdigit():
            cutoff = 85.0 if len(word) <= 4 else 80.0
            best = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
            if best is not None:
                found = (best[0], best[1] / 100.0)
        if len(self._typos) < 10_000:
            self._typos[word] = found
        return found

    def query_tokens(self, query: str) -> tuple[list[str], dict[str, float]]:
        """Content tokens of a query and how sure each one is (typo-corrected words count less)."""
        raw, sure = [], {}
        for word in words(query):
            fixed = None if word in self.known else self._correct(word)
            raw.append(fixed[0] if fixed else word)
            if fixed:
                sure[fixed[0]] = TYPO_WEIGHT * fixed[1]
        tokens = self.norm.content(raw)
        return tokens, {t: sure.get(t, 1.0) for t in tokens}

    def search(self, query: str, limit: int = 4) -> list[Hit]:
        """The most likely answers, best first; [] when none is credible."""
        tokens, sure = self.query_tokens(query)
        if not tokens or len("".join(tokens)) < 2 or limit <= 0:
            return []
        scores: dict[int, float] = defaultdict(float)
        total = 0.0
        for feature, weight in [*((t, 1.0) for t in sure), *((p, BIGRAM_WEIGHT) for p in dict.fromkeys(_pairs(tokens)))]:
            idf = self.idf.get(feature)
            if idf is None:
                if " " in feature:
                    continue  # a word pair no document has is no evidence against any document
                idf = self.unknown_idf
            idf *= weight
            total += idf
            certainty = min((sure.get(t, 1.0) for t in feature.split()), default=1.0)
            for number, field in self.postings.get(feature, ()):
                scores[number] += idf * field * certainty
        if not scores:
            return []
        text = " ".join(tokens)
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:CANDIDATES]
        hits = []
        for number, keyword in ranked:
            coverage = keyword / total
            if coverage < MIN_COVERAGE:
                continue
            doc = self.docs[number]
            similar = max((fuzz.token_set_ratio(text, t) + fuzz.token_sort_ratio(text, t)) / 2 for t in doc.texts)
            score = 100 * KEYWORD_SHARE * coverage + (1 - KEYWORD_SHARE) * similar
            if score >= MIN_SCORE:
                hits.append(Hit(doc.kind, doc.id, doc.title, round(score, 1)))
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits[:limit]

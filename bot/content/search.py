"""Free-text question search: a resident's own words → FAQ entries and lessons.

Residents type short questions without diacritics, with typos and abbreviations ("vnied la
cai gi", "ck nham thi lam sao"). Plain keyword search misses most of them, plain fuzzy
matching prefers long texts that merely share letters. So documents and queries get the
same normalisation (fold, synonyms → one token, scaffolding words dropped) and two signals
are blended: keyword coverage (how much of the query's IDF-weighted words and word pairs a
document holds; question/title count fully, the body partly) and rapidfuzz similarity to
the question, phrasings or title (which prefers the entry worded most like the query).
All that depends only on the content is computed in `SearchIndex.build()`.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.content.loader import Content
from bot.text.fold import fold

# Question scaffolding and small talk that say nothing about the topic ("... là gì", "cho hỏi").
# Not "ban" (bạn / bán hàng), "cho" (cho / chợ / chỗ), "the" (thế / thẻ): folding merges them.
STOP_PHRASES = (
    "la gi", "la cai gi", "lam sao", "lam the nao", "the nao", "nhu the nao", "nhu nao", "ra sao",
    "kieu gi", "bang cach nao", "o dau", "cua toi", "duoc khong", "co phai", "phai lam gi", "bao nhieu",
    "xin chao", "chao ban", "chao", "xin cam on", "cam on", "cho hoi", "xin hoi", "ban oi", "bot oi", "alo",
    "thi", "toi", "minh", "bi", "co", "khong", "a", "ah", "ak", "vay", "nhe", "oi", "gi", "nao",
    "la", "de", "cua", "duoc", "roi", "da", "se", "nhu", "hay", "hoac", "va", "voi", "cac",
    "nhung", "nay", "kia", "day", "do", "muon", "phai", "sao", "tren", "trong", "bang", "o", "chut",
    "j", "gj", "kieu j", "ntn", "neu", "ha", "hu",
)
# Words residents use to address and to tell ("bác", "cháu", "người ta bảo", "không biết"), which
# are also content now and then ("thêm cháu vào VNeID", "biết tiền đã về"): they count a little,
# both in what the query asks and in what a document matches, so a long chatty question is not
# judged "about something else" for its courtesy.
SOFT_WORDS = frozenset({
    "bac", "chau", "ba", "ong", "chu", "anh", "chi", "em", "con", "co", "ta", "nguoi", "bao", "biet", "hoi",
    "nen", "lam", "truoc", "ra", "vua", "moi", "cai", "no", "xin", "giup", "that", "ca", "vao", "xong",
})
SOFT_WEIGHT = 0.35
STORY_SHARE = 0.85  # of an entry's question, the share a story must hold to be about it
STORY_FULL = 6.0    # IDF held for full confidence: two or three distinctive words
# Words typed WITH diacritics that only carry tone or politeness ("cái", "hả", "ấy", "thế"): with
# their marks they cannot be the content word they fold to ("thế" is not "thẻ", "cái" not "cài"), so
# they are dropped before folding instead of counting as unknown words against every answer.
TYPED_FILLERS = frozenset({
    "cái", "hả", "ạ", "ấy", "đấy", "nhé", "nhỉ", "thế", "vậy", "à", "ơi", "mà", "cứ", "bảo", "nào", "đâu",
    "chẳng", "thôi", "nhá", "đi", "với", "hử", "kìa", "vâng", "dạ",
})
_TYPED_WORD = re.compile(r"\w+")
FINAL_PARTICLES = frozenset({"chua"})  # "xong chua?" asks; "chua co tin nhan" (not yet) is content
STRONG, ANSWER, STEP = 1.0, 0.5, 0.4   # how much a word counts in the question/title vs the body
ANSWER_CHARS = 200                     # only the start of an answer says what it is about
BIGRAM_WEIGHT = 0.25                   # word pairs add precision on top of single words
KEYWORD_SHARE = 0.6                    # the rest of the score is string similarity
TYPO_WEIGHT = 0.8                      # a corrected word is less certain than a typed one
MIN_COVERAGE = 0.34                    # below this share of the query, the doc is not about it
MIN_SCORE = 40.0
CANDIDATES = 12                        # documents that get the (costlier) string similarity
_SPLIT_DIGITS = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_WORD = re.compile(r"\w+")
# A folded Vietnamese syllable (loosely). Such a word is a real word the content does not use
# ("vang", "troi"), not a typo: "correcting" it would turn small talk into a match.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:(?:[aeiou]|ie|ye|uo|oa|ua)(?:c|ch|m|n|ng|nh|p|t)?|oe[nt]?|ue(?:n|nh|ch)?|uy(?:ch|nh|t|u|a|en|et)?"
    r"|oo(?:ng|c)|ai|ao|au|ay|eo|eu|ia|iu|oi|ui|uu|ieu|yeu|oai|oay|oeo|uay|uoi|uou|y)")


@dataclass(frozen=True)
class Hit:
    """One likely answer: the best is shown, the next ones are offered as options."""

    kind: Literal["faq", "lesson"]
    id: str
    title: str      # FAQ question or lesson title, with diacritics, for an option label
    score: float    # 0..100


_TELEX_TONE = re.compile(r"(?<=[aeiouy])([aeiouyw]*[cmnpgth]*)[sfrxj]([cmnpgth]*)$")
_TELEX_MARKS = re.compile(r"aa|aw|ee|oo|ow|uw|dd")


def untelex(word: str) -> str | None:
    """A word typed in Telex with the Vietnamese keyboard off ("tieefn", "hocj", "dduwowcj"), folded
    ("tien", "hoc", "duoc"); None when it is not one. No Vietnamese syllable ends in s, f, r, x or j,
    so such a letter after the vowels is the tone key; aa ee oo dd and aw ow uw are â ê ô đ and ă ơ ư."""
    toned = _TELEX_TONE.sub(lambda m: m.group(1) + m.group(2), word)
    plain = _TELEX_MARKS.sub(lambda m: m.group()[0], toned)
    return plain if plain != word and _SYLLABLE.fullmatch(plain) else None


def words(text: str) -> list[str]:
    """Folded words, numbers split from letters ("muc2" → muc 2, "15tr" → 15 tr), % spelled out."""
    return _SPLIT_DIGITS.sub(" ", fold(text.replace("%", " phan tram "))).split()


def _spellings(text: str) -> list[tuple[str, str]]:
    """(folded word, its diacritics in any order) per word: "hoà" and "hòa" are the same spelling."""
    out = []
    for word in _WORD.findall(unicodedata.normalize("NFC", text.lower())):
        marks = "".join(sorted(c for c in unicodedata.normalize("NFD", word) if unicodedata.combining(c)))
        out.append((fold(word), marks + ("đ" if "đ" in word else "")))
    return out


def _replace(tokens: list[str], table: dict[tuple[str, ...], str | None], longest: int) -> list[str]:
    """Left to right, the longest phrase of `table` starting here wins; None drops the phrase."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            key = tuple(tokens[i:i + size])
            if key in table:
                if (value := table[key]) is not None:
                    out.append(value)
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
                canonical = "_".join(phrases[0])  # "_" keeps it one token that no phrase matches again
                for phrase in phrases:
                    self.synonyms.setdefault(phrase, canonical)
        self.stops: dict[tuple[str, ...], str | None] = {tuple(p.split()): None for p in STOP_PHRASES}
        self.longest = max((len(p) for p in [*self.synonyms, *self.stops]), default=1)

    def canonical(self, tokens: list[str]) -> list[str]:
        """Repeated until stable, so "ko nho" → "khong nho" → "quen" needs no extra group entry."""
        for _ in range(3):
            replaced = _replace(tokens, self.synonyms, self.longest)
            if replaced == tokens:
                break
            tokens = replaced
        return tokens

    def plain(self, tokens: list[str]) -> list[str]:
        """Without question scaffolding ("la gi", "thi", trailing "chua")."""
        tokens = _replace(tokens, self.stops, self.longest)
        while tokens and tokens[-1] in FINAL_PARTICLES:
            tokens = tokens[:-1]
        return tokens

    def content(self, tokens: list[str]) -> list[str]:
        """Canonical tokens without scaffolding; canonical again after it: "chuyen duoc tien" → ck."""
        return self.canonical(self.plain(self.canonical(tokens)))


@dataclass(frozen=True)
class _Doc:
    kind: Literal["faq", "lesson"]
    id: str
    title: str
    texts: tuple[str, ...]  # normalised question, phrasings or title, for string similarity


def _pairs(tokens: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


class SearchIndex:
    """Inverted index over FAQ entries and lessons; build once, search many times."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.norm = normaliser
        self.docs: list[_Doc] = []
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.idf: dict[str, float] = {}
        self.unknown_idf = 0.0
        self.content_words: set[str] = set()            # folded words as written in the content
        self.synonym_words: set[str] = set()
        self.known: set[str] = set()                    # content, synonym and stop words
        self.vocabulary: list[str] = []                 # what typos are corrected to
        self.pairs: set[str] = set()                    # word pairs as written, for typo context
        self.spellings: set[tuple[str, str]] = set()    # words with their diacritics
        self._typos: dict[str, list[tuple[str, int]]] = {}
        self._story: list[tuple[int, frozenset[str], float]] | None = None

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
        number, texts = len(self.docs), []
        weights: dict[str, float] = defaultdict(float)
        for text, weight in [*((t, STRONG) for t in strong), *weak]:
            raw = words(text)
            self.content_words.update(raw)
            self.pairs.update(_pairs(raw))
            self.spellings.update(_spellings(text))
            tokens = self.norm.content(raw)
            if weight == STRONG:
                texts.append(" ".join(tokens))
            # Indexed normalised and also as written, so "xoa het thong tin" still finds "xoa du lieu".
            for sequence in (tokens, self.norm.plain(raw)):
                for feature in [*sequence, *_pairs(sequence)]:
                    weights[feature] = max(weights[feature], weight)
        self.docs.append(_Doc(kind, doc_id, title, tuple(texts)))
        for feature, weight in weights.items():
            self.postings.setdefault(feature, []).append((number, weight))

    def _finish(self, groups: list[list[str]]) -> None:
        """BM25 IDF per feature; the vocabulary that typos are corrected against."""
        total = len(self.docs)
        for feature, posting in self.postings.items():
            self.idf[feature] = math.log(1 + (total - len(posting) + 0.5) / (len(posting) + 0.5))
        # A word the content never uses counts like a rare word: the query is partly about something else.
        self.unknown_idf = math.log(1 + (total - 0.5) / 1.5)
        self.synonym_words = {w for group in groups for phrase in group for w in words(phrase)}
        self.known = self.content_words | self.synonym_words | {w for p in STOP_PHRASES for w in p.split()}
        self.vocabulary = sorted(w for w in self.known if not w.isdigit())

    def _candidates(self, word: str) -> list[tuple[str, int]]:
        """Content words one slip away (two for long words): a letter missing, extra, wrong or swapped."""
        if word in self._typos:
            return self._typos[word]
        found: list[tuple[str, int]] = []
        if len(word) >= 3 and not word.isdigit():
            limit = 2 if len(word) >= 6 else 1
            found = [(w, int(d)) for w, d, _ in process.extract(
                word, self.vocabulary, scorer=OSA.distance, score_cutoff=limit, limit=None)
                # 3 letters: only a missing letter ("qet" → quet), else every short word has neighbours
                if len(word) > 3 or len(w) > 3]
        if len(self._typos) < 10_000:
            self._typos[word] = found
        return found

    def _correct(self, word: str, before: str, after: str) -> tuple[str, float] | None:
        """The content word a typo most likely meant ("vnied" → vneid): fewest slips, then one that
        forms a known word pair with a neighbour ("danh tih so" → tinh), then the most common one."""
        candidates = self._candidates(word)
        if not candidates:
            return None
        best, slips = min(candidates, key=lambda c: (
            c[1], f"{before} {c[0]}" not in self.pairs and f"{c[0]} {after}" not in self.pairs,
            -len(self.postings.get(c[0], ()))))
        return best, TYPO_WEIGHT ** slips

    def query_tokens(self, query: str) -> tuple[list[str], dict[str, float]]:
        """Content tokens of a query and how sure each is: typo-corrected words count less.

        A word typed WITH diacritics that the content never spells that way ("đói" when the content
        has "đòi", "dõi") is kept apart: folding would otherwise turn small talk into a match.
        """
        typed: list[tuple[str, bool]] = []
        query = _TYPED_WORD.sub(lambda w: "" if w.group().lower() in TYPED_FILLERS else w.group(),
                                unicodedata.normalize("NFC", query))
        for plain, marks in _spellings(query.replace("%", " phan tram ")):
            foreign = bool(marks) and (plain, marks) not in self.spellings and (
                plain in self.content_words or plain not in self.synonym_words)  # "khoảng": not in content
            typed += [(word, foreign) for word in words(plain)]
        raw, sure = [], {}
        for i, (word, foreign) in enumerate(typed):
            if foreign:
                raw.append(word + "?")  # matches nothing, counts as an unknown word
                continue
            if word not in self.known and not _SYLLABLE.fullmatch(word) and (telex := untelex(word)):
                word = telex  # typed in Telex: as sure as typed, it is what they meant letter by letter
            fixed = None if word in self.known or _SYLLABLE.fullmatch(word) else self._correct(
                word, typed[i - 1][0] if i else "", typed[i + 1][0] if i + 1 < len(typed) else "")
            raw.append(fixed[0] if fixed else word)
            if fixed:
                sure[fixed[0]] = fixed[1]
        tokens = self.norm.content(raw)
        return tokens, {t: sure.get(t, 1.0) for t in tokens}

    def search(self, query: str, limit: int = 4, min_coverage: float = MIN_COVERAGE) -> list[Hit]:
        """The most likely answers, best first; [] when none is credible. A part of a long story
        may ask for less `min_coverage`: its many words about what happened are not the question."""
        tokens, sure = self.query_tokens(query)
        if limit <= 0 or len("".join(tokens).replace("?", "")) < 2:
            return []
        scores: dict[int, float] = defaultdict(float)
        total = 0.0
        features = [*((t, SOFT_WEIGHT if t in SOFT_WORDS else 1.0) for t in sure),
                    *((p, BIGRAM_WEIGHT) for p in dict.fromkeys(_pairs(tokens)))]
        for feature, weight in features:
            idf = self.idf.get(feature)
            if idf is None:
                if " " in feature:
                    continue  # a word pair no document has is no evidence against any document
                idf = self.unknown_idf
            total += idf * weight
            certainty = weight * min(sure.get(t, 1.0) for t in feature.split())
            for number, field in self.postings.get(feature, ()):
                scores[number] += idf * field * certainty
        text = " ".join(tokens)
        hits = []
        for number, keyword in sorted(scores.items(), key=lambda item: item[1], reverse=True)[:CANDIDATES]:
            coverage = keyword / total
            if coverage < min_coverage:
                break
            doc = self.docs[number]
            similar = max((fuzz.token_set_ratio(text, t) + fuzz.token_sort_ratio(text, t)) / 2 for t in doc.texts)
            score = 100 * KEYWORD_SHARE * coverage + (1 - KEYWORD_SHARE) * similar
            if score >= MIN_SCORE:
                hits.append(Hit(doc.kind, doc.id, doc.title, round(score, 1)))
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits[:limit]

    def _story_texts(self) -> list[tuple[int, frozenset[str], float]]:
        """Each entry's question, phrasings and title as its distinctive words and their IDF in all."""
        if self._story is None:
            self._story = []
            for number, doc in enumerate(self.docs):
                for text in doc.texts:
                    own = frozenset(w for w in text.split() if w not in SOFT_WORDS and w in self.idf)
                    if len(own) >= 2:
                        self._story.append((number, own, sum(self.idf[w] for w in own)))
        return self._story

    def search_story(self, story: str, limit: int = 4) -> list[Hit]:
        """The entries whose own question a long story contains: a story of 60 words holds the few that
        ask ("làm sao biết tiền vào thật") among many about what happened, so here the measure is how much
        of an entry's question or phrasing (IDF-weighted, courtesy words aside) the story holds, and how
        much that is, rather than how much of the story the entry holds (`search`)."""
        tokens, _ = self.query_tokens(story)
        asked = set(tokens)
        best: dict[int, tuple[float, float]] = {}
        for number, own, weight in self._story_texts():
            held = sum(self.idf[w] for w in own & asked)
            if held / weight >= STORY_SHARE and held > best.get(number, (0.0, 0.0))[0]:
                best[number] = (held, held / weight)
        hits = [Hit(self.docs[n].kind, self.docs[n].id, self.docs[n].title,
                    round(100 * share * min(1.0, held / STORY_FULL), 1)) for n, (held, share) in best.items()]
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits[:limit]


def index_of(content: Content) -> SearchIndex:
    """The free-text search over `content`'s FAQ and lessons, built once per loaded content."""
    if content._index is None:
        content._index = SearchIndex.build(content)
    return content._index

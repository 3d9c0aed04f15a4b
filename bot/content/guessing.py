"""Can someone pass a quiz without reading a lesson? Exact pass rates of blind answering strategies.

A quiz draws `QUESTIONS_PER_ATTEMPT` distinct questions of a topic at random and shuffles the options
of every question except true/false, which keeps "Đúng" before "Sai" (bot/quiz/bank.py). A blind
strategy sees only the words on the screen: it takes the longest option, the first one, "Đúng", the
one that says "lừa đảo", a word the bank's right answers habitually contain, or a chain of such
habits ("the scam word if there is one, else the longest").

For every strategy and question we work out the exact chance of picking the right option over the
shuffle, then the exact chance of reaching the pass mark over the random draw of questions (a small
dynamic programme over "questions drawn, answers right"). No sampling, so no noise and no seed, and a
topic takes a few milliseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import permutations

from bot.content.models import QUESTIONS_PER_ATTEMPT, QuizQuestion
from bot.text.fold import fold

Dist = dict[int, float]  # option index in the bank -> chance the strategy picks it
Picker = Callable[[QuizQuestion], Dist]
Cue = Callable[[QuizQuestion, int], float]  # how strongly option i shows the habit (0: not at all)

_WORD = re.compile(r"\w+")
_SCAM = re.compile(r"\blua\b|\bgia mao\b")
# words that sound careful: a guesser who always picks the cautious-sounding option
_CAUTION = ("không", "dừng", "cúp", "tự", "chính thức", "kiểm tra", "hỏi", "từ chối", "chặn", "báo")


def words(text: str) -> list[str]:
    """Lower-case words with their diacritics ('Tự gọi' -> ['tự', 'gọi'])."""
    return _WORD.findall(text.lower())


def _among(question: QuizQuestion, candidates: Sequence[int], last: bool = False) -> Dist:
    """The first (or last) shown of `candidates`: any of them alike once shuffled, fixed for true/false."""
    if question.kind == "truefalse":
        return {max(candidates) if last else min(candidates): 1.0}
    return {index: 1.0 / len(candidates) for index in candidates}


def _best_by(question: QuizQuestion, key: Callable[[str], float]) -> Dist:
    scores = [key(option) for option in question.options]
    top = max(scores)
    return _among(question, [i for i, score in enumerate(scores) if score == top])


def _middle(question: QuizQuestion) -> Dist:
    """Neither the longest nor the shortest: writers who avoid "longest is right" drift to the middle."""
    lengths = [len(option) for option in question.options]
    middle = [i for i, length in enumerate(lengths) if min(lengths) < length < max(lengths)]
    return _among(question, middle) if middle else PICKERS["random"](question)


def _echo(question: QuizQuestion) -> Dist:
    """The option sharing most words with the question (people pick the answer that 'sounds like' it)."""
    asked = set(words(question.question))
    return _best_by(question, lambda option: len(asked & set(words(option))))


PICKERS: dict[str, Picker] = {
    "random": lambda q: {i: 1.0 / len(q.options) for i in range(len(q.options))},
    "first": lambda q: _among(q, range(len(q.options))),
    "last": lambda q: _among(q, range(len(q.options)), last=True),
    "longest": lambda q: _best_by(q, len),
    "shortest": lambda q: _best_by(q, lambda option: -len(option)),
    "most words": lambda q: _best_by(q, lambda option: len(option.split())),
    "fewest words": lambda q: _best_by(q, lambda option: -len(option.split())),
    "middle length": lambda q: _middle(q),
    "echo the question": _echo,
}
CHAIN_FALLBACKS = ("random", "first", "longest", "shortest", "most words", "middle length")


def _caution(question: QuizQuestion, index: int) -> float:
    text = " ".join(words(question.options[index]))
    return float(sum(1 for word in _CAUTION if re.search(rf"\b{word}\b", text)))


CUES: dict[str, Cue] = {
    "Đúng": lambda q, i: float(fold(q.options[i]).startswith("dung")),
    "Sai": lambda q, i: float(fold(q.options[i]).startswith("sai")),
    "scam word": lambda q, i: float(bool(_SCAM.search(fold(q.options[i])))),
    "safe word": lambda q, i: float("an toan" in fold(q.options[i])),
    "cautious words": _caution,
}


def word_cue(word: str) -> Cue:
    return lambda q, i: float(word in words(q.options[i]))


@dataclass(frozen=True)
class Strategy:
    """Follow the first cue that fires on a question (picking among the options showing it most), else the fallback."""

    cues: tuple[tuple[str, Cue], ...]
    fallback: str

    @property
    def name(self) -> str:
        return " > ".join([*(name for name, _ in self.cues), self.fallback])

    def right_chance(self, question: QuizQuestion, seen: Seen | None = None) -> float:
        seen = seen if seen is not None else Seen(question)
        for name, cue in self.cues:
            candidates = seen.fired(name, cue)
            if candidates:
                return _among(question, candidates).get(question.answer, 0.0)
        return seen.picked(self.fallback)


class Seen:
    """What one question shows each cue and picker, worked out once for all the strategies."""

    def __init__(self, question: QuizQuestion) -> None:
        self.question = question
        self._fired: dict[str, tuple[int, ...]] = {}
        self._picked: dict[str, float] = {}

    def fired(self, name: str, cue: Cue) -> tuple[int, ...]:
        if name not in self._fired:
            scores = [cue(self.question, i) for i in range(len(self.question.options))]
            top = max(scores)
            self._fired[name] = tuple(i for i, score in enumerate(scores) if score == top) if top > 0 else ()
        return self._fired[name]

    def picked(self, fallback: str) -> float:
        if fallback not in self._picked:
            self._picked[fallback] = PICKERS[fallback](self.question).get(self.question.answer, 0.0)
        return self._picked[fallback]


def fixed_strategies() -> list[Strategy]:
    """Every picker alone, every cue with every picker, and chains of two or three cues."""
    cues = list(CUES.items())
    found = [Strategy((), fallback) for fallback in PICKERS]
    found += [Strategy((cue,), fallback) for cue in cues for fallback in PICKERS]
    for length in (2, 3):
        found += [Strategy(chain, fallback) for chain in permutations(cues, length) for fallback in CHAIN_FALLBACKS]
    return found


def habit_words(questions: Sequence[QuizQuestion], least: int = 3) -> list[str]:
    """Words found in the right answer of at least `least` questions where not every option has them."""
    counts: dict[str, int] = {}
    for question in questions:
        option_words = [set(words(option)) for option in question.options]
        shared = set.intersection(*option_words)
        for word in option_words[question.answer] - shared:
            counts[word] = counts.get(word, 0) + 1
    return sorted(word for word, count in counts.items() if count >= least)


def habit_strategies(questions: Sequence[QuizQuestion]) -> list[Strategy]:
    """Someone who retook the quiz and noticed "the right answer usually says «tự»"."""
    found = []
    for word in habit_words(questions):
        cue = (f"word «{word}»", word_cue(word))
        found += [Strategy((cue,), fallback) for fallback in ("random", "first", "longest")]
        found.append(Strategy((("Đúng", CUES["Đúng"]), cue), "longest"))
    return found


def needed(count: int, pass_mark: int) -> int:
    """Right answers needed to pass `count` questions at `pass_mark` percent (as bank.passed counts)."""
    return -(-count * pass_mark // 100)


def pass_rate(chances: Sequence[float], pass_mark: int, draw: int = QUESTIONS_PER_ATTEMPT) -> float:
    """Exact chance to pass when `draw` of these questions are drawn at random, each answered right with its chance."""
    total = len(chances)
    size = min(draw, total)
    if size == 0:
        return 0.0
    # ways[j][c]: summed over the ways to draw j of the questions seen so far, the chance of c right answers
    ways = [[0.0] * (size + 1) for _ in range(size + 1)]
    ways[0][0] = 1.0
    for chance in chances:
        for drawn in range(min(size - 1, total), -1, -1):
            row, longer = ways[drawn], ways[drawn + 1]
            for right in range(drawn, -1, -1):
                value = row[right]
                if value:
                    longer[right + 1] += value * chance
                    longer[right] += value * (1.0 - chance)
    return sum(ways[size][needed(size, pass_mark):]) / math.comb(total, size)


@dataclass(frozen=True)
class Guessing:
    """How a topic's bank stands up to blind answering."""

    topic: str
    questions: int
    rates: list[tuple[str, float]]  # strategy name, pass rate; highest first
    random_rate: float
    longest_right: float  # share of multiple-choice items the longest option answers right
    dung_share: float | None  # share of true/false items whose answer is "Đúng"
    truefalse: int

    @property
    def worst(self) -> tuple[str, float]:
        return self.rates[0]


def analyse(topic: str, questions: Sequence[QuizQuestion], pass_mark: int,
            strategies: Iterable[Strategy] | None = None) -> Guessing:
    """Pass rates of every blind strategy on this bank (the same chances are computed once)."""
    chosen = list(strategies) if strategies is not None else [*fixed_strategies(), *habit_strategies(questions)]
    seen = [Seen(q) for q in questions]
    cache: dict[tuple[float, ...], float] = {}
    rates = []
    for strategy in chosen:
        chances = tuple(round(strategy.right_chance(q, s), 9) for q, s in zip(questions, seen))
        if chances not in cache:
            cache[chances] = pass_rate(chances, pass_mark)
        rates.append((strategy.name, cache[chances]))
    rates.sort(key=lambda item: -item[1])
    longest = Strategy((), "longest")
    choice = [q for q in questions if q.kind != "truefalse"]
    truefalse = [q for q in questions if q.kind == "truefalse"]
    return Guessing(
        topic=topic,
        questions=len(questions),
        rates=rates,
        random_rate=pass_rate([1.0 / len(q.options) for q in questions], pass_mark),
        longest_right=sum(longest.right_chance(q) for q in choice) / len(choice) if choice else 0.0,
        dung_share=sum(1 for q in truefalse if q.answer == 0) / len(truefalse) if truefalse else None,
        truefalse=len(truefalse),
    )

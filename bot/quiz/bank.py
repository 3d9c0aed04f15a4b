"""Drawing a fair quiz and scoring it: pure functions over plain data."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from bot.content.models import QUESTIONS_PER_ATTEMPT, QuizQuestion

LETTERS = "ABCD"


@dataclass(frozen=True)
class Drawn:
    question_id: str
    order: list[int]  # order[shown position] = index in the bank's options


def draw(bank: Sequence[QuizQuestion], rng: random.Random, count: int = QUESTIONS_PER_ATTEMPT) -> list[Drawn]:
    """`count` distinct questions at random, options shuffled (true/false keeps Đúng before Sai)."""
    chosen = rng.sample(list(bank), min(count, len(bank)))
    drawn = []
    for question in chosen:
        order = list(range(len(question.options)))
        if question.kind != "truefalse":
            rng.shuffle(order)
        drawn.append(Drawn(question.id, order))
    return drawn


def shown_options(question: QuizQuestion, order: Sequence[int]) -> list[str]:
    """'A. …', 'B. …' labels: the letter lets people answer "a" or "b"."""
    return [f"{LETTERS[pos]}. {question.options[index]}" for pos, index in enumerate(order)]


def is_correct(question: QuizQuestion, order: Sequence[int], shown_position: int) -> bool:
    return order[shown_position] == question.answer


def score(correct: Sequence[bool]) -> int:
    return sum(1 for answer in correct if answer)


def passed(points: int, total: int, pass_mark: int) -> bool:
    """Pass mark in percent: 8 of 10 passes at 80%."""
    return total > 0 and points * 100 >= pass_mark * total

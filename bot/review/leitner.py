"""Leitner boxes as pure functions: where an item goes after an answer, and when it comes back.

Box n comes back after INTERVALS[n - 1] days (1, 3, 7, 14, 30). A right answer
moves the item one box up; a missed one sends it back to box 1, so it returns
the next day instead of weeks later. An item met for the first time enters box 1
(box 2 when it was answered right at once, in a quiz).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

INTERVALS = (1, 3, 7, 14, 30)
"""Days until an item of box 1, 2, … 5 comes back."""
TOP = len(INTERVALS)


@dataclass(frozen=True)
class Card:
    box: int
    due_at: datetime


def due_after(box: int, moment: datetime) -> datetime:
    return moment + timedelta(days=INTERVALS[min(max(box, 1), TOP) - 1])


def first(moment: datetime, correct: bool | None = None) -> Card:
    """A new item: box 1 (seen in a lesson, or missed), box 2 when answered right at first sight."""
    box = 2 if correct else 1
    return Card(box, due_after(box, moment))


def answered(card: Card, correct: bool, moment: datetime) -> Card:
    """The card after one answer at `moment`: up one box when right, back to box 1 when missed."""
    box = min(card.box + 1, TOP) if correct else 1
    return Card(box, due_after(box, moment))

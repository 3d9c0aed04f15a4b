"""`Problems`: the error of a file or a table that is wrong in several places, all said at once.

Content files, the scam rules and the units CSV are written by ward staff and
volunteers; one error at a time would make them fix, rerun, fix again. So
loaders collect every problem and raise them together, one a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Problems(ValueError):
    """Every problem found (`problems`, each printable as one line naming its place)."""

    def __init__(self, problems: Sequence[object]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems: list[Any] = list(problems)

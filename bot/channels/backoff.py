"""Waits between retries of a channel's polling or set-up: growing, capped, jittered.

The same arithmetic as aiogram's `Backoff` (each delay the last times `factor`, at most
`max_delay`, with normal jitter), here so that a Zalo-only or web-only process does not
import aiogram (about 155 MB of pydantic models) for these few lines.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class BackoffConfig:
    min_delay: float
    max_delay: float
    factor: float
    jitter: float


class Backoff:
    """`next(backoff)`: the next delay in seconds; `reset()` after a success."""

    def __init__(self, config: BackoffConfig) -> None:
        self.config = config
        self._next = config.min_delay

    def __iter__(self) -> Backoff:
        return self

    def __next__(self) -> float:
        current = self._next
        grown = min(current * self.config.factor, self.config.max_delay)
        self._next = max(self.config.min_delay, random.normalvariate(grown, self.config.jitter))
        return current

    def reset(self) -> None:
        self._next = self.config.min_delay

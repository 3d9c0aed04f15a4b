"""Failure injection for the fake servers: errors on demand, blocked chats, random failures, ``retry_after``.

A 429 starts a wait for the whole token, as on the real platforms; a send that
arrives during it is recorded as a :class:`~tests.fakes.records.Violation`
(the bot ignored ``retry_after``) and refused again.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from .records import ApiError, Call, Violation

__all__ = ["FailureInjection"]


@dataclass
class _FailRule:
    method: str
    code: int
    description: str | None
    retry_after: int | None
    chat_id: Any
    times: int | None  # None = forever


@dataclass
class _RandomFailures:
    rate_429: float
    rate_403: float
    retry_after: int
    rng: random.Random


class FailureInjection:
    """Mixed into :class:`~tests.fakes.base.FakeBotServer`: which calls fail, and how.

    ``_gate(call)`` is called by every handler once the call passed validation;
    ``_check_flood(call)`` by the base before any handler runs.
    """

    MESSAGE_METHODS: ClassVar[frozenset[str]] = frozenset()
    """Methods that put a message in a chat: counted by sent_to and pacing."""
    FLOOD_METHODS: ClassVar[frozenset[str]] = frozenset()
    """Methods refused (and recorded as violations) during a retry_after wait."""
    BLOCKED_DESCRIPTION: ClassVar[str] = "Forbidden: bot was blocked by the user"

    violations: list[Violation]

    def __init__(self) -> None:
        self._fail_rules: list[_FailRule] = []
        self._blocked: dict[Any, str] = {}
        self._random: _RandomFailures | None = None
        self._flood_until: float = 0.0
        self._flood_started: float = 0.0
        self.violation_grace: float = 0.0
        """Calls arriving this soon after a 429 still get 429 but are not violations
        (raise it when the bot sends concurrently and requests were already in flight)."""

    def _norm_chat(self, chat_id: Any) -> Any:
        return chat_id

    def fail(
        self,
        method: str,
        code: int,
        *,
        retry_after: int | None = None,
        chat_id: Any = None,
        times: int | None = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` valid calls of ``method`` with error ``code``.

        ``method="*"`` matches every sending method.  ``chat_id`` narrows the rule
        to one chat; ``times=None`` keeps it forever.  A 429 also starts a
        ``retry_after`` wait for the whole token (default 1 s).
        """
        if code == 429 and retry_after is None:
            retry_after = 1
        self._fail_rules.append(
            _FailRule(
                method=method,
                code=code,
                description=description,
                retry_after=retry_after,
                chat_id=self._norm_chat(chat_id) if chat_id is not None else None,
                times=times,
            )
        )

    def block(self, chat_id: Any, description: str | None = None) -> None:
        """Every later send to ``chat_id`` answers 403 (the user blocked the bot)."""
        self._blocked[self._norm_chat(chat_id)] = description or self.BLOCKED_DESCRIPTION

    def unblock(self, chat_id: Any) -> None:
        self._blocked.pop(self._norm_chat(chat_id), None)

    @property
    def blocked_chats(self) -> set[Any]:
        return set(self._blocked)

    def random_failures(
        self,
        rate_429: float = 0.05,
        rate_403: float = 0.02,
        retry_after: int = 1,
        seed: int | None = None,
    ) -> None:
        """Fail message sends at random: 429 (with a token-wide wait) or 403.

        A chat that drew a 403 stays blocked, like a real user who blocked the bot.
        Pass ``seed`` for repeatable runs; ``rate_429=rate_403=0`` turns it off.
        """
        if rate_429 <= 0 and rate_403 <= 0:
            self._random = None
            return
        self._random = _RandomFailures(rate_429, rate_403, retry_after, random.Random(seed))

    def clear_failures(self) -> None:
        """Drop fail rules, blocks, random failures and any running retry_after wait."""
        self._fail_rules.clear()
        self._blocked.clear()
        self._random = None
        self._flood_until = 0.0

    def _default_description(self, code: int, retry_after: int | None) -> str:
        return {
            400: "Bad Request: injected failure",
            401: "Unauthorized",
            403: self.BLOCKED_DESCRIPTION,
            404: "Not Found",
            409: "Conflict: injected failure",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }.get(code, f"Error {code}")

    def _injected_error(self, code: int, description: str | None, retry_after: int | None) -> ApiError:
        parameters = None
        if code == 429 and retry_after is not None:
            now = time.monotonic()
            if now >= self._flood_until:
                self._flood_started = now
            self._flood_until = max(self._flood_until, now + retry_after)
            parameters = {"retry_after": retry_after}
        return ApiError(
            code,
            description or self._default_description(code, retry_after),
            parameters=parameters,
            kind="injected",
        )

    def _check_flood(self, call: Call) -> None:
        """A send during a retry_after wait is a violation and gets 429 again."""
        if call.method not in self.FLOOD_METHODS or call.at >= self._flood_until:
            return
        since = call.at - self._flood_started
        in_flight = since < self.violation_grace
        if not in_flight:
            self.violations.append(Violation(call.method, call.chat_id, call.at, self._flood_until, since))
        remaining = max(1, math.ceil(self._flood_until - call.at))
        raise ApiError(
            429,
            f"Too Many Requests: retry after {remaining}",
            parameters={"retry_after": remaining},
            kind="injected" if in_flight else "violation",
        )

    def _gate(self, call: Call) -> None:
        """Apply injected failures to a call that passed validation."""
        chat = call.chat_id
        for rule in self._fail_rules:
            if rule.method == "*":
                matches = call.method in self.MESSAGE_METHODS | self.FLOOD_METHODS
            else:
                matches = rule.method.lower() == call.method.lower()
            if matches and (rule.chat_id is None or rule.chat_id == chat):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._fail_rules.remove(rule)
                raise self._injected_error(rule.code, rule.description, rule.retry_after)
        if chat is None or call.method not in self.MESSAGE_METHODS | self.FLOOD_METHODS:
            return
        if chat in self._blocked:
            raise ApiError(403, self._blocked[chat], kind="injected")
        if self._random is not None and call.method in self.MESSAGE_METHODS:
            roll = self._random.rng.random()
            if roll < self._random.rate_403:
                self._blocked[chat] = self.BLOCKED_DESCRIPTION
                raise ApiError(403, self.BLOCKED_DESCRIPTION, kind="injected")
            if roll < self._random.rate_403 + self._random.rate_429:
                raise self._injected_error(429, None, self._random.retry_after)

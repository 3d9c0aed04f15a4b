"""Reporting periods: a quarter, a year or a month of the ward's calendar.

Wards count days in Asia/Ho_Chi_Minh, while the database stores UTC, so each
period carries both: `first_day`/`last_day` (local dates, for `held_on`
columns) and `start`/`end` (UTC instants, end exclusive, for timestamps).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from bot.text.i18n import WARD_TZ

Kind = Literal["quarterly", "annual", "monthly"]
KINDS: tuple[Kind, ...] = ("quarterly", "annual", "monthly")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def target_percent(year: int) -> int | None:
    """Share of adults to certify by the end of `year` (the ward plan: 90% in 2025, 100% from 2026)."""
    if year < 2025:
        return None
    return 90 if year == 2025 else 100


def local_midnight_utc(day: date) -> datetime:
    """00:00 of `day` in the ward's time zone, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=WARD_TZ).astimezone(UTC)


def _next_month(year: int, month: int) -> date:
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: Kind
    year: int
    quarter: int | None
    month: int | None
    first_day: date
    last_day: date

    @classmethod
    def quarterly(cls, year: int, quarter: int) -> Period:
        if quarter not in ROMAN:
            raise ValueError("quarter must be 1–4")
        first = date(year, 3 * quarter - 2, 1)
        return cls("quarterly", year, quarter, None, first, _next_month(year, 3 * quarter) - timedelta(days=1))

    @classmethod
    def annual(cls, year: int) -> Period:
        return cls("annual", year, None, None, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def monthly(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise ValueError("month must be 1–12")
        return cls("monthly", year, None, month, date(year, month, 1), _next_month(year, month) - timedelta(days=1))

    @classmethod
    def of(cls, kind: str, year: int, quarter: int | None = None, month: int | None = None) -> Period:
        """The period named by a CLI or chat request; raises ValueError when a part is missing."""
        if kind == "quarterly":
            if quarter is None:
                raise ValueError("a quarterly report needs the quarter")
            return cls.quarterly(year, quarter)
        if kind == "monthly":
            if month is None:
                raise ValueError("a monthly report needs the month")
            return cls.monthly(year, month)
        if kind == "annual":
            return cls.annual(year)
        raise ValueError(f"unknown report kind {kind!r}")

    @property
    def start(self) -> datetime:
        """First instant of the period (UTC)."""
        return local_midnight_utc(self.first_day)

    @property
    def end(self) -> datetime:
        """First instant after the period (UTC, exclusive)."""
        return local_midnight_utc(self.last_day + timedelta(days=1))

    @property
    def label(self) -> str:
        """'Quý IV/2026', 'Năm 2026', 'Tháng 11/2026'."""
        if self.kind == "quarterly":
            return f"Quý {ROMAN[self.quarter or 1]}/{self.year}"
        if self.kind == "monthly":
            return f"Tháng {self.month}/{self.year}"
        return f"Năm {self.year}"

    @property
    def slug(self) -> str:
        """File-name part: '2026-q4', '2026', '2026-11'."""
        if self.kind == "quarterly":
            return f"{self.year}-q{self.quarter}"
        if self.kind == "monthly":
            return f"{self.year}-{self.month:02d}"
        return str(self.year)

    @property
    def target(self) -> int | None:
        return target_percent(self.year)

"""When reports are due, so a reminder can go out in time (the sending lives elsewhere).

From the ward letters: quarterly reports before the 15th of the quarter's last
month (15/3, 15/6, 15/9, 15/12), the annual report before 25/10 (Chu Văn An)
or 05/12 (Hưng Đạo), the monthly % completion with the monthly report at
month end (Ái Quốc). Pure functions of the date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.reports.periods import Period

# (day, month) of the annual deadline per ward code. Ái Quốc's letter names none:
# the city plan's 05/12 is assumed until the ward says otherwise.
DEFAULT_ANNUAL_DUE: dict[str, tuple[int, int]] = {"hung-dao": (5, 12), "chu-van-an": (25, 10), "ai-quoc": (5, 12)}


@dataclass(frozen=True)
class Deadline:
    kind: str  # quarterly / annual / monthly
    period: str  # 'Quý IV/2026'
    due: date
    ward_code: str | None = None  # set for annual deadlines, which differ per ward


def _next_quarterly(today: date) -> Deadline:
    for year in (today.year, today.year + 1):
        for quarter in (1, 2, 3, 4):
            due = date(year, 3 * quarter, 15)
            if due >= today:
                return Deadline("quarterly", Period.quarterly(year, quarter).label, due)
    raise AssertionError("unreachable")


def _next_monthly(today: date) -> Deadline:
    period = Period.monthly(today.year, today.month)
    return Deadline("monthly", period.label, period.last_day)


def _next_annual(today: date, ward_code: str, day: int, month: int) -> Deadline:
    year = today.year if date(today.year, month, day) >= today else today.year + 1
    return Deadline("annual", Period.annual(year).label, date(year, month, day), ward_code)


def upcoming_deadlines(today: date, annual_due: dict[str, tuple[int, int]] | None = None) -> list[Deadline]:
    """The next deadline of each kind (annual: one per ward), due today or later, soonest first."""
    annual_due = DEFAULT_ANNUAL_DUE if annual_due is None else annual_due
    found = [_next_quarterly(today), _next_monthly(today)]
    found += [_next_annual(today, code, day, month) for code, (day, month) in sorted(annual_due.items())]
    return sorted(found, key=lambda d: (d.due, d.kind, d.ward_code or ""))


def due_within(today: date, days: int = 7, annual_due: dict[str, tuple[int, int]] | None = None) -> list[Deadline]:
    """Deadlines falling from today to `days` days ahead (inclusive): the ones to remind staff of."""
    horizon = today + timedelta(days=days)
    return [d for d in upcoming_deadlines(today, annual_due) if d.due <= horizon]

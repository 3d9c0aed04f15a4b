"""When a nudge may go: the parts of the day a person picks, clipped to the ward's nudge hours.

Pure functions of plain values, so the rules are easy to test with any clock.
Each person's nudge goes at their own minute of the window (a hash of who and
which day), so a whole ward choosing "Thursday evening" is spread over the
evening instead of arriving at 19:00 at once, and sent well before the window
closes; a nudge still waiting when its window closes is withdrawn, never late.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta

from bot.text.i18n import WARD_TZ

PARTS: dict[str, tuple[int, int]] = {
    "morning": (8 * 60, 11 * 60),
    "afternoon": (14 * 60, 17 * 60),
    "evening": (19 * 60, 20 * 60 + 30),
}
"""Minutes after midnight, ward time: sáng 08:00–11:00, chiều 14:00–17:00, tối 19:00–20:30."""
SPREAD = 2 / 3
"""Nudges are spread over the first two thirds of their window; the rest is time for a busy queue."""
MARGIN = 10
"""Minutes kept free before the end of the nudge hours."""
WEEKDAYS = 7


def day_bit(weekday: int) -> int:
    """Monday (0) = 1, Tuesday = 2, … Sunday (6) = 64, as `NudgePlan.days` stores them."""
    return 1 << weekday


def weekdays_of(days: int) -> list[int]:
    return [d for d in range(WEEKDAYS) if days & day_bit(d)]


def window(part: str, hours: tuple[int, int]) -> tuple[int, int]:
    """The part of the day clipped to the nudge hours (minutes after midnight); an empty clip falls back to
    the hour of the nudge hours nearest to the chosen part."""
    start, end = PARTS[part]
    low, high = hours[0], hours[1] - MARGIN
    clipped = max(start, low), min(end, high)
    if clipped[0] < clipped[1]:
        return clipped
    if end <= low:
        return low, min(low + 60, high)
    return max(low, high - 60), high


def local_moment(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=WARD_TZ).astimezone(UTC)


def slot(user_id: int, day: date, span: tuple[int, int]) -> datetime:
    """This person's moment on `day` inside `span`: the same whichever worker asks."""
    width = max(1, int((span[1] - span[0]) * SPREAD))
    offset = int.from_bytes(hashlib.blake2b(f"{user_id}:{day.isoformat()}".encode(), digest_size=4).digest()) % width
    return local_moment(day, span[0] + offset)


def in_hours(moment: datetime, hours: tuple[int, int]) -> bool:
    local = moment.astimezone(WARD_TZ)
    minutes = local.hour * 60 + local.minute
    return hours[0] <= minutes < hours[1]


def aware(moment: datetime) -> datetime:
    """A moment read back from SQLite (naive, stored in UTC) made comparable with `datetime.now(UTC)`."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def local_day(moment: datetime) -> date:
    return moment.astimezone(WARD_TZ).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The ward-time day as UTC moments [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=WARD_TZ)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)

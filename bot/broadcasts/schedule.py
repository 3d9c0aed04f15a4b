"""When a broadcast goes out: Vietnamese date formats, the ward's time zone, quiet hours."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from bot.text.i18n import WARD_TZ

QUIET_START, QUIET_END = time(21, 0), time(7, 0)
_FORMS = [
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})[ t](?P<H>\d{1,2})[:h](?P<M>\d{2})?$"),
    re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{4}))?\s+(?P<H>\d{1,2})(?:[:h](?P<M>\d{2})?)?h?$"),
    re.compile(r"^(?P<H>\d{1,2})(?:[:h](?P<M>\d{2})?)?h?\s+(?:ngay\s+)?(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{4}))?$"),
]


class ScheduleError(ValueError):
    pass


def parse_when(text: str, now: datetime) -> datetime:
    """'20/12 8:00', '20/12/2026 08:00', '8h 20/12', '2026-12-20 08:00' → an aware UTC moment.

    A date without a year is the next one to come; the time is the ward's local time.
    """
    cleaned = " ".join(text.strip().lower().replace("ngày", "ngay").replace("lúc", "").split())
    for form in _FORMS:
        found = form.match(cleaned)
        if found is None:
            continue
        parts = found.groupdict()
        local_now = now.astimezone(WARD_TZ)
        year = int(parts["y"]) if parts.get("y") else local_now.year
        try:
            moment = datetime(year, int(parts["m"]), int(parts["d"]), int(parts["H"]), int(parts.get("M") or 0),
                              tzinfo=WARD_TZ)
        except ValueError as exc:
            raise ScheduleError(f"not a real date or time: {text!r}") from exc
        if not parts.get("y") and moment < local_now:
            moment = moment.replace(year=year + 1)
        if moment < local_now - timedelta(minutes=1):
            raise ScheduleError(f"{text!r} is in the past")
        return moment.astimezone(UTC)
    raise ScheduleError(f"not understood: {text!r} (examples: 20/12 8:00, 20/12/2026 08:00, 2026-12-20 08:00)")


def in_quiet_hours(moment: datetime) -> bool:
    local = moment.astimezone(WARD_TZ).time()
    return local >= QUIET_START or local < QUIET_END


def outside_quiet_hours(moment: datetime, urgent: bool) -> datetime:
    """Moves a non-urgent send out of 21:00–07:00 to the next 07:00."""
    if urgent or not in_quiet_hours(moment):
        return moment
    local = moment.astimezone(WARD_TZ)
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=WARD_TZ).astimezone(UTC)

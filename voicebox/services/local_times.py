"""Wall-clock rules in a child's time zone: quiet hours, and weekly times like "20:00 on school
nights". Pure functions of UTC instants; the zone's rules (DST included) come from zoneinfo.

A wall time that does not exist (the hour skipped when clocks go forward) is read with the
offset before the change, so it lands just after the gap; one that happens twice (clocks go
back) means its first occurrence. Either way a weekly time happens once a day.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_hhmm(text: str) -> int:
    """Minutes after midnight of an "HH:MM" wall time; ValueError if it is not one."""
    hours, _, minutes = text.partition(":")
    digits = hours + minutes
    if len(hours) != 2 or len(minutes) != 2 or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"not an HH:MM time: {text!r}")
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"not a time of day: {text!r}")
    return int(hours) * 60 + int(minutes)


def format_hhmm(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def _at(day: date, minute_of_day: int, zone: ZoneInfo) -> datetime:
    wall = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), zone)
    return wall.astimezone(UTC)


def after_quiet_hours(at: datetime, timezone: str, start: int | None, end: int | None) -> datetime:
    """``at``, or the end of the quiet hours it falls in. The window [start, end) is in minutes
    after local midnight and may cross midnight (21:30 to 07:00); None or start == end: none."""
    if start is None or end is None or start == end:
        return at
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    minute = local.hour * 60 + local.minute
    if start < end:
        if not start <= minute < end:
            return at
        ends_on = local.date()
    else:
        if end <= minute < start:
            return at
        ends_on = local.date() + timedelta(days=1) if minute >= start else local.date()
    return max(at, _at(ends_on, end, zone))


def next_occurrence(
    after: datetime, timezone: str, minute_of_day: int, weekdays: Collection[int]
) -> datetime:
    """The first instant strictly after ``after`` that is ``minute_of_day`` on one of the ISO
    ``weekdays`` (1 = Monday) in ``timezone``."""
    if not weekdays:
        raise ValueError("a weekly time needs at least one weekday")
    zone = ZoneInfo(timezone)
    first_day = after.astimezone(zone).date()
    for offset in range(8):
        day = first_day + timedelta(days=offset)
        if day.isoweekday() in weekdays:
            candidate = _at(day, minute_of_day, zone)
            if candidate > after:
                return candidate
    raise AssertionError("every weekday comes round within eight days")

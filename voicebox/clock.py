"""The one source of "now" for voicebox: timezone-aware UTC.

Timers (leases, escalations) are tested by moving this clock, in the process that runs them,
rather than by sleeping; nothing else ever moves it.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def local_now(timezone: str) -> datetime:
    """Now on the wall clock of an IANA time zone (a child's, say)."""
    return utcnow().astimezone(ZoneInfo(timezone))


def age(birth_year: int, timezone: str) -> int:
    """A child's age as their family counts it: this year, where they live, less the birth year."""
    return local_now(timezone).year - birth_year


def advance(by: timedelta) -> None:
    """Move this process's clock forward (tests drive timers with it)."""
    global _offset
    _offset += by


def reset() -> None:
    global _offset
    _offset = timedelta(0)

"""The one source of "now" for voicebox: timezone-aware UTC.

Timers (leases, escalations) are tested by moving this clock, in the process that runs them,
rather than by sleeping; nothing else ever moves it.
"""

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def advance(by: timedelta) -> None:
    """Move this process's clock forward (tests drive timers with it)."""
    global _offset
    _offset += by


def reset() -> None:
    global _offset
    _offset = timedelta(0)

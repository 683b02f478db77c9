"""Quiet hours and weekly times in a child's zone, across midnight and DST changes."""

from datetime import UTC, datetime

import pytest

from voicebox.services.local_times import (
    after_quiet_hours,
    format_hhmm,
    next_occurrence,
    parse_hhmm,
)

QUIET = (parse_hhmm("21:30"), parse_hhmm("07:00"))
EVERY_DAY = range(1, 8)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_hhmm_round_trips_and_rejects_nonsense() -> None:
    assert parse_hhmm("07:05") == 425 and format_hhmm(425) == "07:05"
    for bad in ("7:05", "24:00", "12:60", "ab:cd", "1200", "12:5"):
        with pytest.raises(ValueError):
            parse_hhmm(bad)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 11, 24, 13, 29), utc(2026, 11, 24, 13, 29)),  # 21:29 in Beijing: not yet quiet
        (utc(2026, 11, 24, 13, 30), utc(2026, 11, 24, 23, 0)),  # 21:30: waits for 07:00
        (utc(2026, 11, 24, 17, 0), utc(2026, 11, 24, 23, 0)),  # 01:00 the next local day
        (utc(2026, 11, 24, 23, 0), utc(2026, 11, 24, 23, 0)),  # 07:00 exactly: the end is open
    ],
)
def test_quiet_hours_cross_midnight(at: datetime, expected: datetime) -> None:
    assert after_quiet_hours(at, "Asia/Shanghai", *QUIET) == expected


def test_a_daytime_window_and_no_window() -> None:
    lunch = (parse_hhmm("12:00"), parse_hhmm("13:00"))
    assert after_quiet_hours(utc(2026, 6, 1, 4, 30), "Asia/Shanghai", *lunch) == utc(2026, 6, 1, 5, 0)
    assert after_quiet_hours(utc(2026, 6, 1, 13, 30), "Asia/Shanghai", None, None) == utc(2026, 6, 1, 13, 30)


def test_quiet_hours_end_on_the_new_offset_after_clocks_go_forward() -> None:
    # New York, 8 March 2026: clocks go from 02:00 EST to 03:00 EDT. 07:00 that morning is EDT.
    night = utc(2026, 3, 8, 4, 0)  # 23:00 EST on the 7th
    assert after_quiet_hours(night, "America/New_York", *QUIET) == utc(2026, 3, 8, 11, 0)
    # ...and on 1 November 2026, when they go back, 07:00 is EST again.
    assert after_quiet_hours(utc(2026, 11, 1, 3, 0), "America/New_York", *QUIET) == utc(2026, 11, 1, 12, 0)


def test_weekly_time_follows_the_wall_clock_through_dst() -> None:
    eight_pm = parse_hhmm("20:00")
    # London goes to BST on 29 March 2026: 20:00 is 20:00 UTC on the 28th, 19:00 UTC on the 29th.
    first = next_occurrence(utc(2026, 3, 28, 12, 0), "Europe/London", eight_pm, EVERY_DAY)
    second = next_occurrence(first, "Europe/London", eight_pm, EVERY_DAY)
    assert (first, second) == (utc(2026, 3, 28, 20, 0), utc(2026, 3, 29, 19, 0))


def test_a_skipped_wall_time_runs_once_just_after_the_gap_and_a_repeated_one_once() -> None:
    half_two = parse_hhmm("02:30")
    runs = [utc(2026, 3, 7, 0, 0)]
    for _ in range(3):
        runs.append(next_occurrence(runs[-1], "America/New_York", half_two, EVERY_DAY))
    # 02:30 EST on the 7th, the nonexistent 02:30 on the 8th read as EST (03:30 EDT), then EDT.
    assert runs[1:] == [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)]
    half_one = parse_hhmm("01:30")
    autumn = [utc(2026, 10, 31, 12, 0)]
    for _ in range(3):
        autumn.append(next_occurrence(autumn[-1], "America/New_York", half_one, EVERY_DAY))
    # 1 November: 01:30 happens twice; only the first (EDT) counts.
    assert autumn[1:] == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30), utc(2026, 11, 3, 6, 30)]


def test_weekdays_are_the_childs_local_weekdays() -> None:
    # Friday 23:00 UTC is already Saturday 07:00 in Beijing: a school-night schedule waits for Sunday.
    school_nights = [7, 1, 2, 3, 4]
    friday_night_utc = utc(2026, 11, 27, 23, 0)
    assert next_occurrence(friday_night_utc, "Asia/Shanghai", parse_hhmm("20:00"), school_nights) == utc(
        2026, 11, 29, 12, 0
    )
    with pytest.raises(ValueError):
        next_occurrence(friday_night_utc, "Asia/Shanghai", 0, [])

"""Quiet hours: notifications wait for evenings and weekends to pass, in Amsterdam time."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.notify.quiet import AMSTERDAM, QuietHours, delivery_time, is_quiet, quiet_ends

UTC = timezone.utc
DEFAULT = QuietHours()


def local(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


def utc(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# 2026-03-10 is a Tuesday, 2026-03-13 a Friday, 2026-03-14 a Saturday (CET, UTC+1).


def test_weekday_morning_is_not_quiet_and_delivers_now():
    now = local(2026, 3, 10, 10)
    assert not is_quiet(now, DEFAULT)
    assert delivery_time(now, DEFAULT) == now
    assert delivery_time(now, DEFAULT).tzinfo == UTC


def test_weekday_evening_waits_until_next_morning():
    now = local(2026, 3, 10, 21)
    assert is_quiet(now, DEFAULT)
    assert delivery_time(now, DEFAULT) == local(2026, 3, 11, 8) == utc(2026, 3, 11, 7)


def test_just_before_morning_waits_one_minute():
    now = local(2026, 3, 11, 7, 59)
    assert delivery_time(now, DEFAULT) - now == timedelta(minutes=1)


def test_quiet_period_end_itself_is_not_quiet():
    assert not is_quiet(local(2026, 3, 11, 8), DEFAULT)
    assert is_quiet(local(2026, 3, 10, 18), DEFAULT)


def test_friday_evening_waits_until_monday_morning():
    assert delivery_time(local(2026, 3, 13, 19), DEFAULT) == local(2026, 3, 16, 8)


def test_saturday_noon_waits_until_monday_morning():
    assert quiet_ends(local(2026, 3, 14, 12), DEFAULT) == local(2026, 3, 16, 8)


def test_weekends_off_delivers_saturday_noon_now():
    now = local(2026, 3, 14, 12)
    assert delivery_time(now, QuietHours(weekends=False)) == now


def test_weekends_off_saturday_evening_waits_until_sunday_morning():
    assert delivery_time(local(2026, 3, 14, 20), QuietHours(weekends=False)) == local(2026, 3, 15, 8)


def test_disabled_is_never_quiet():
    now = local(2026, 3, 14, 23)
    off = QuietHours(enabled=False)
    assert not is_quiet(now, off)
    assert delivery_time(now, off) == now


def test_deadline_before_quiet_ends_delivers_now():
    now = local(2026, 3, 10, 21)
    round_starts = local(2026, 3, 11, 7, 30)
    assert delivery_time(now, DEFAULT, deadline=round_starts) == now


def test_deadline_after_quiet_ends_waits():
    now = local(2026, 3, 10, 21)
    round_starts = local(2026, 3, 11, 9)
    assert delivery_time(now, DEFAULT, deadline=round_starts) == local(2026, 3, 11, 8)


def test_deadline_does_not_matter_outside_quiet_hours():
    now = local(2026, 3, 10, 10)
    assert delivery_time(now, DEFAULT, deadline=now - timedelta(hours=1)) == now


def test_spring_forward_weekend_ends_at_monday_eight_summer_time():
    # Clocks go forward on Sunday 29 March 2026: Monday 08:00 is CEST (UTC+2).
    assert delivery_time(local(2026, 3, 28, 20), DEFAULT) == utc(2026, 3, 30, 6)


def test_fall_back_weekend_ends_at_monday_eight_winter_time():
    # Clocks go back on Sunday 25 October 2026: Monday 08:00 is CET (UTC+1).
    assert delivery_time(local(2026, 10, 24, 20), DEFAULT) == utc(2026, 10, 26, 7)


def test_daytime_window_lunch_break():
    lunch = QuietHours(evening=time(12, 0), morning=time(13, 0), weekends=False)
    assert not is_quiet(local(2026, 3, 10, 11, 59), lunch)
    assert is_quiet(local(2026, 3, 10, 12, 30), lunch)
    assert not is_quiet(local(2026, 3, 10, 21), lunch)
    assert delivery_time(local(2026, 3, 10, 12, 30), lunch) == local(2026, 3, 10, 13)


def test_equal_times_mean_no_daily_window():
    none_daily = QuietHours(evening=time(9, 0), morning=time(9, 0))
    assert not is_quiet(local(2026, 3, 10, 23), none_daily)
    assert quiet_ends(local(2026, 3, 14, 12), none_daily) == local(2026, 3, 16, 0)


def test_other_time_zone():
    london = ZoneInfo("Europe/London")
    now = datetime(2026, 3, 10, 21, tzinfo=london)
    assert delivery_time(now, DEFAULT, london) == datetime(2026, 3, 11, 8, tzinfo=london)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        is_quiet(datetime(2026, 3, 10, 10), DEFAULT)
    with pytest.raises(ValueError):
        quiet_ends(datetime(2026, 3, 10, 21), DEFAULT)
    with pytest.raises(ValueError):
        delivery_time(local(2026, 3, 10, 21), DEFAULT, deadline=datetime(2026, 3, 11, 7))

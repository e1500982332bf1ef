"""Quiet hours: when may a notification reach someone?

Pure logic (no Flask, no database) so the worker, the preferences page and the tests share one
definition. Quiet hours are wall-clock times in the person's zone (Europe/Amsterdam by default):
"08:00" means 08:00 on the kitchen clock, whether that is 06:00 or 07:00 UTC.

A quiet period is half-open: quiet from `evening` up to, not including, `morning`, so the moment
it ends is already deliverable.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from app.timezone import AMSTERDAM


# The longest possible quiet stretch (Friday evening to Monday morning) is under three days;
# eight days of boundaries is a generous bound that also covers odd settings.
_SEARCH_DAYS = 8


@dataclass(frozen=True)
class QuietHours:
    enabled: bool = True
    evening: time = time(18, 0)  # quiet from this local time...
    morning: time = time(8, 0)  # ...until this local time (the next day when evening > morning)
    weekends: bool = True  # Saturday and Sunday are quiet all day


def is_quiet(moment: datetime, quiet: QuietHours, tz: ZoneInfo = AMSTERDAM) -> bool:
    """Is `moment` inside the person's quiet hours?"""
    _require_aware(moment, "moment")
    if not quiet.enabled:
        return False
    local = moment.astimezone(tz)
    if quiet.weekends and _is_weekend(local.date()):
        return True
    return _in_daily_window(local.time(), quiet)


def quiet_ends(moment: datetime, quiet: QuietHours, tz: ZoneInfo = AMSTERDAM) -> datetime:
    """The first moment at or after `moment` that is not quiet, as aware UTC."""
    _require_aware(moment, "moment")
    if not is_quiet(moment, quiet, tz):
        return moment.astimezone(timezone.utc)
    # Quietness only changes at a boundary (morning, evening, midnight for weekends), so the
    # end of the quiet period is the first later boundary that is not itself quiet.
    for boundary in _boundaries_after(moment, quiet, tz):
        if not is_quiet(boundary, quiet, tz):
            return boundary
    raise RuntimeError(f"quiet hours never end within {_SEARCH_DAYS} days: {quiet!r}")


def delivery_time(
    now: datetime,
    quiet: QuietHours,
    tz: ZoneInfo = AMSTERDAM,
    *,
    deadline: datetime | None = None,
) -> datetime:
    """When to deliver a notification created at `now`, as aware UTC.

    Normally: now, or when the quiet period ends. But a notification about something that
    starts before then (`deadline`, e.g. a round's start) goes out now: a reminder that
    arrives after the event is worse than one during the evening.
    """
    _require_aware(now, "now")
    if deadline is not None:
        _require_aware(deadline, "deadline")
    end = quiet_ends(now, quiet, tz)
    if deadline is not None and deadline < end:
        return now.astimezone(timezone.utc)
    return end


def _require_aware(value: datetime, name: str) -> None:
    # A naive datetime could be local or UTC; guessing would shift deliveries by hours.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def _is_weekend(day: date) -> bool:
    return day.weekday() >= 5  # Saturday = 5, Sunday = 6


def _in_daily_window(clock: time, quiet: QuietHours) -> bool:
    if quiet.evening > quiet.morning:  # overnight, e.g. 18:00 -> 08:00 next day
        return clock >= quiet.evening or clock < quiet.morning
    if quiet.evening < quiet.morning:  # daytime, e.g. 12:00 -> 13:00 the same day
        return quiet.evening <= clock < quiet.morning
    return False  # evening == morning: no daily window


def _boundaries_after(moment: datetime, quiet: QuietHours, tz: ZoneInfo) -> list[datetime]:
    """Every local midnight, morning and evening after `moment` in the search range, in UTC order.

    Built from local dates and wall-clock times so daylight-saving changes are respected. A wall
    time that does not exist (inside the spring-forward gap) resolves to the same reading after
    the jump, i.e. up to an hour late, never early.
    """
    first_day = moment.astimezone(tz).date()
    start = moment.astimezone(timezone.utc)
    found = {
        datetime.combine(first_day + timedelta(days=offset), clock, tzinfo=tz).astimezone(timezone.utc)
        for offset in range(_SEARCH_DAYS + 1)
        for clock in (time(0, 0), quiet.morning, quiet.evening)
    }
    return sorted(b for b in found if b > start)

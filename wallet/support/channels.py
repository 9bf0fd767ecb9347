"""Support channels and the reply time each promises.

- live (in the app, through the helpdesk API): minutes
- email (SMTP): 1-2 business days, counted on the support team's calendar (time zone, working
  weekdays and holidays from SupportSettings)
- social (through the helpdesk API, answered on the official social account): 24 hours

Hand-written business-day arithmetic: the `holidays`/`workalendar` packages would add a
country's calendar, but the support team's days off are a configured list, not a country's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from wallet.support.config import SupportSettings


class Channel(StrEnum):
    LIVE = "live"
    EMAIL = "email"
    SOCIAL = "social"


@dataclass(frozen=True, slots=True)
class Promise:
    channel: Channel
    # Exactly one unit is used: minutes (live), hours (social) or business days (email).
    minutes: int = 0
    hours: int = 0
    business_days: tuple[int, int] = (0, 0)


def promise(channel: Channel, settings: SupportSettings) -> Promise:
    if channel is Channel.LIVE:
        return Promise(channel, minutes=settings.live_reply_minutes)
    if channel is Channel.SOCIAL:
        return Promise(channel, hours=settings.social_reply_hours)
    return Promise(channel, business_days=settings.email_reply_business_days)


def is_business_day(day: date, settings: SupportSettings) -> bool:
    return day.weekday() in settings.business_days and day not in settings.holidays


def add_business_days(start: datetime, days: int, settings: SupportSettings) -> datetime:
    """`start` plus `days` business days, on the support team's calendar. A ticket sent on a
    day off starts counting at the beginning of the next business day: Friday 15:00 + 2 is
    Tuesday 15:00; Saturday 10:00 + 1 is Tuesday 00:00 (Monday is the first day counted)."""
    if not settings.business_days:
        raise ValueError("no business days configured")
    tz = ZoneInfo(settings.business_timezone)
    local = start.astimezone(tz)
    if not is_business_day(local.date(), settings):
        d = local.date()
        while not is_business_day(d, settings):
            d += timedelta(days=1)
        local = datetime.combine(d, time(0), tzinfo=tz)
    d, clock = local.date(), local.timetz()
    remaining = days
    while remaining > 0:
        d += timedelta(days=1)
        if is_business_day(d, settings):
            remaining -= 1
    # Combine in the zone (not add a timedelta) so a DST change keeps the wall-clock time.
    return datetime.combine(d, clock.replace(tzinfo=None), tzinfo=tz).astimezone(UTC)


def reply_due(channel: Channel, submitted_at: datetime, settings: SupportSettings) -> datetime:
    """When a reply is promised by at the latest; past it, the ticket is overdue."""
    if submitted_at.tzinfo is None:
        raise ValueError("submitted_at must be timezone-aware")
    p = promise(channel, settings)
    if channel is Channel.EMAIL:
        return add_business_days(submitted_at, p.business_days[1], settings)
    return (submitted_at + timedelta(minutes=p.minutes, hours=p.hours)).astimezone(UTC)

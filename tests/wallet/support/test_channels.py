from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from wallet.support.channels import Channel, add_business_days, promise, reply_due
from wallet.support.config import SupportSettings

S = SupportSettings(
    business_timezone="Europe/Berlin", holidays=(date(2025, 12, 25), date(2025, 12, 26))
)


def berlin(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (berlin(2025, 6, 2, 10), 2, berlin(2025, 6, 4, 10)),  # Monday -> Wednesday
        (berlin(2025, 6, 6, 15), 2, berlin(2025, 6, 10, 15)),  # Friday -> Tuesday
        (berlin(2025, 6, 7, 10), 1, berlin(2025, 6, 10, 0)),  # Saturday counts from Monday 00:00
        (berlin(2025, 12, 24, 9), 1, berlin(2025, 12, 29, 9)),  # over Christmas and a weekend
        (
            berlin(2025, 3, 28, 12),
            1,
            berlin(2025, 3, 31, 12),
        ),  # across the DST change: 12:00 wall clock
    ],
)
def test_business_days(start, days, due):
    assert add_business_days(start, days, S) == due.astimezone(UTC)


def test_reply_due_per_channel():
    t = datetime(2025, 6, 6, 13, 0, tzinfo=UTC)  # Friday 15:00 in Berlin
    assert reply_due(Channel.LIVE, t, S) == t + timedelta(minutes=15)
    assert reply_due(Channel.SOCIAL, t, S) == t + timedelta(hours=24)
    assert reply_due(Channel.EMAIL, t, S) == berlin(2025, 6, 10, 15).astimezone(UTC)
    assert promise(Channel.EMAIL, S).business_days == (1, 2)
    with pytest.raises(ValueError):
        reply_due(Channel.LIVE, datetime(2025, 6, 6), S)


def test_settings_validate():
    with pytest.raises(ValueError):
        SupportSettings(business_timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        SupportSettings(email_reply_business_days=(3, 1))
    with pytest.raises(ValueError):
        SupportSettings(helpdesk_url="ftp://x")

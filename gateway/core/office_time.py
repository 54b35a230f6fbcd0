"""The office's clock: the database keeps UTC, people read the time of the office (Japan)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

OFFICE_TIME = zoneinfo.ZoneInfo("Asia/Tokyo")


def in_office_time(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(OFFICE_TIME)


def office_clock(value: dt.datetime | None) -> str:
    """2026-12-02 16:22, for pages that say once which zone they show."""
    return in_office_time(value).strftime("%Y-%m-%d %H:%M") if value else ""


def office_stamp(value: dt.datetime | None) -> str:
    """2026-12-02 16:22:05 JST: the zone named, for a console that may run in any zone."""
    return in_office_time(value).strftime("%Y-%m-%d %H:%M:%S %Z") if value else ""

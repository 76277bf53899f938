"""Local time: what a person types and reads, against the UTC the database keeps.

Every moment is stored in UTC. A person reads it in their own zone (their setting, else
their browser's, else the site's), always labelled: "5 Dec 2026, 17:00 PST". What they
type is local too: a due date is a *date*, meaning the end of that day where they are
(23:59:59 local), unless they give a time. A plain date with no zone anywhere (the API)
is read in the site's zone.

The hard part is the wall clock: a local time can happen twice (the hour repeated when
clocks go back) or never (the hour skipped when they go forward). End of day is never in
either gap in the zones people use, but a typed time can be: a skipped one is refused
naming the field, a repeated one means its first occurrence (fold=0), as a person
setting a due time "01:30" on that night would expect.

Dates that are not moments (a lot's expiry, a purchase date, a warranty's end) stay
dates: they have no zone and are shown as they are."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from server.domain.errors import InvalidInput

UTC = ZoneInfo("UTC")
END_OF_DAY = dt.time(23, 59, 59)
MAX_ZONE_LENGTH = 64
_ZONE_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_names() -> list[str]:
    """Every zone this machine knows, for a picker."""
    return sorted(_known())


def is_zone(name: str) -> bool:
    """An IANA zone name this machine knows ("Europe/Berlin", "UTC")."""
    return (
        0 < len(name) <= MAX_ZONE_LENGTH
        and _ZONE_SHAPE.fullmatch(name) is not None
        and name in _known()
    )


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    """The zone named `name`, or InvalidInput naming `field`."""
    if not is_zone(name):
        shown = name if len(name) <= MAX_ZONE_LENGTH else name[:MAX_ZONE_LENGTH] + "…"
        raise InvalidInput(f"{field.replace('_', ' ')} must be a time zone name like "
                           f"Europe/Berlin or America/Los_Angeles, not {shown!r}", field=field)
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError):  # listed but unreadable: refuse, don't crash
        raise InvalidInput(f"{field.replace('_', ' ')}: the time zone {name!r} cannot be "
                           "read on this server", field=field) from None


def zone_or_none(name: str | None) -> ZoneInfo | None:
    """A zone from an untrusted place (a browser's cookie): None rather than an error."""
    if not name or not is_zone(name):
        return None
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def check_zone_name(value: object, field: str = "time_zone") -> str | None:
    """A setting's value: None or "" clears it, anything else must name a zone."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field.replace('_', ' ')} must be a time zone name", field=field)
    zone(value.strip(), field)
    return value.strip()


# Reading what people type

def _exists(local: dt.datetime, tz: ZoneInfo) -> bool:
    """False for a wall time skipped when the clocks went forward."""
    there_and_back = local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return there_and_back.replace(tzinfo=None) == local


def local_moment(day: dt.date, time: dt.time, tz: ZoneInfo, field: str = "due_at") -> dt.datetime:
    """The UTC moment of a wall-clock `time` on `day` in `tz`."""
    local = dt.datetime.combine(day, time)
    if not _exists(local, tz):
        raise InvalidInput(f"{field.replace('_', ' ')}: {local:%H:%M} on {format_date(day)} "
                           f"does not exist in {tz.key} (the clocks go forward then)",
                           field=field)
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def end_of_day(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """23:59:59 of `day` where the reader is, in UTC: what "due 5 Dec" means."""
    return local_moment(day, END_OF_DAY, tz)


def parse_moment(text: str, tz: ZoneInfo, field: str = "due_at") -> dt.datetime:
    """ISO 8601 as people and programs send it, in UTC:
    - with an offset ("2026-12-05T17:00:00-08:00", "…Z"): that moment;
    - a date and time without one ("2026-12-05T17:00", a datetime-local field): in `tz`;
    - a plain date ("2026-12-05"): the end of that day in `tz`."""
    text = text.strip()
    if len(text) == 10:
        try:
            return end_of_day(dt.date.fromisoformat(text), tz)
        except ValueError:
            pass
    else:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment.astimezone(UTC)
            return local_moment(moment.date(), moment.time(), tz, field)
    raise InvalidInput(f"{field.replace('_', ' ')} must be a date like 2026-12-05 or a date and "
                       "time like 2026-12-05T17:00 (an offset such as -08:00 or Z is welcome)",
                       field=field)


def parse_date_and_time(day: str, time: str, tz: ZoneInfo,
                        field: str = "due_at") -> dt.datetime | None:
    """A form's date field and optional time field, in `tz`; None when both are empty."""
    day, time = day.strip(), time.strip()
    if not day:
        if time:
            raise InvalidInput(f"{field.replace('_', ' ')}: give the date too, not only a time",
                               field=field)
        return None
    if "T" in day or not time:
        return parse_moment(day, tz, field)
    try:
        clock = dt.time.fromisoformat(time)
    except ValueError:
        raise InvalidInput(f"{field.replace('_', ' ')}: the time must be like 17:00",
                           field=field) from None
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise InvalidInput(f"{field.replace('_', ' ')} must be a date like 2026-12-05",
                           field=field) from None
    return local_moment(date, clock.replace(tzinfo=None), tz, field)


# Showing: one format everywhere ("5 Dec 2026"; "5 Dec 2026, 17:00 PST")

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(day: dt.date) -> str:
    """English month names whatever the server's locale (web/static/scan/time.js too)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def abbreviation(moment: dt.datetime) -> str:
    """PST, CET, UTC; zones without letters get their offset ("+0530" style, as tzdata)."""
    return moment.tzname() or moment.strftime("%z")


def format_time(moment: dt.datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{format_date(local.date())}, {local:%H:%M} {abbreviation(local)}"


def is_end_of_day(moment: dt.datetime, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz)
    return (local.hour, local.minute) == (23, 59)


def format_due(moment: dt.datetime, tz: ZoneInfo) -> str:
    """A due date that is the end of a local day is that day; any other, the moment."""
    if is_end_of_day(moment, tz):
        return format_date(moment.astimezone(tz).date())
    return format_time(moment, tz)


def local_date(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    return moment.astimezone(tz).date()


def abbreviations(tz: ZoneInfo, around: dt.datetime) -> dict[int, str]:
    """The zone's labels by UTC offset in minutes over the years around `around`
    ({-480: "PST", -420: "PDT"}), for the scanning page, whose browser has no names for
    most zones' abbreviations."""
    out: dict[int, str] = {}
    for months in range(-12, 25):
        year, month = divmod(around.month - 1 + months, 12)
        moment = dt.datetime(around.year + year, month + 1, 1, 12, tzinfo=UTC).astimezone(tz)
        offset = moment.utcoffset()
        if offset is not None:
            out[int(offset.total_seconds() // 60)] = abbreviation(moment)
    return out

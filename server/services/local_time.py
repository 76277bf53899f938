"""Whose clock a time is read and shown in: the actor's zone (their own setting, or on a
request their browser's), else the site's (TAGTRACK_TIME_ZONE). The rules themselves are
pure, in domain/timezones.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from server.domain import timezones
from server.domain.actors import Actor
from server.settings import get_settings


def site_zone() -> ZoneInfo:
    return timezones.zone(get_settings().time_zone, "TAGTRACK_TIME_ZONE")


def zone_of(actor: Actor | None) -> ZoneInfo:
    return timezones.zone_or_none(actor.time_zone if actor else None) or site_zone()


def site_today(now: dt.datetime) -> dt.date:
    """The site's date at `now` (a lot expires at the end of its day where it is kept)."""
    return now.astimezone(site_zone()).date()

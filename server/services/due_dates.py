"""The due date of a check-out or a lend: the one given (refused when in the past unless
confirmed), else the item's loan period, else the site's (TAGTRACK_LOAN_DAYS). The clock
is one function here, so that tests can set the time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from server.domain import loans as rules
from server.domain import timezones
from server.settings import get_settings


def clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def due_for(given: dt.datetime | None, item_days: int | None, *,
            allow_past: bool = False, zone: ZoneInfo | None = None) -> dt.datetime | None:
    """`zone`: the one a refusal writes the due date in (the reader's)."""
    return rules.due_date(given, clock(), item_days=item_days,
                          site_days=get_settings().loan_days, allow_past=allow_past,
                          zone=zone or timezones.UTC)

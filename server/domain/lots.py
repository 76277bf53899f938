"""Lots and their expiry: when a lot counts as expired or expiring soon, and correcting a
lot's expiry date (a new event, with the reason; the old date stays in the history).

Every rule takes today's date as an argument: the clock belongs to the caller, so the rules
are the same in a test on a fixed day as on the server. A lot that "expires on" a date is
still good on that day and expired from the next one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.vocab import EventKind

# The windows the lists offer ("expiring within 30 days"); the API takes any of 1..MAX.
EXPIRY_WINDOWS = (30, 60, 90)
MAX_WINDOW_DAYS = 3650
MAX_REASON = 500


class Expiry(StrEnum):
    """Where a lot stands against its expiry date on a given day."""

    NONE = "none"  # no expiry date: never expires
    GOOD = "good"
    SOON = "soon"  # expires within the warning window, not yet expired
    EXPIRED = "expired"


SOON_DAYS = 30  # the warning window the pages colour by default


@dataclass(frozen=True, slots=True)
class Lot:
    id: int
    item_id: int
    code: str
    expires_on: dt.date | None = None


def is_expired(expires_on: dt.date | None, today: dt.date) -> bool:
    return expires_on is not None and expires_on < today


def days_left(expires_on: dt.date | None, today: dt.date) -> int | None:
    """Days until the expiry date (0 on the day itself, negative once expired)."""
    return None if expires_on is None else (expires_on - today).days


def expiring_within(expires_on: dt.date | None, today: dt.date, days: int) -> bool:
    """Not expired yet, and expires within `days` days from today (today included)."""
    return expires_on is not None and today <= expires_on <= today + dt.timedelta(days=days)


def expiry(expires_on: dt.date | None, today: dt.date, soon_days: int = SOON_DAYS) -> Expiry:
    if expires_on is None:
        return Expiry.NONE
    if is_expired(expires_on, today):
        return Expiry.EXPIRED
    return Expiry.SOON if expiring_within(expires_on, today, soon_days) else Expiry.GOOD


def check_window(days: int, field: str = "expiring_within") -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_WINDOW_DAYS:
        raise InvalidInput(f"{field} must be a number of days from 1 to {MAX_WINDOW_DAYS}",
                           field=field)
    return days


def window(today: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The first and last expiry date (both included) of "expiring within `days` days"."""
    return today, today + dt.timedelta(days=check_window(days))


def change_expiry(lot: Lot, expires_on: dt.date | None, reason: str) -> EventDraft:
    """A corrected expiry date (None: the lot does not expire). The reason is required: an
    expiry decides whether stock may be used, so the history must say why it moved."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a change of expiry needs a reason", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason must be at most {MAX_REASON} characters", field="reason")
    if expires_on == lot.expires_on:
        said = expires_on.isoformat() if expires_on else "no expiry"
        raise Conflict(f"lot {lot.code} already has {'expiry ' * bool(expires_on)}{said}",
                       field="expires_on", code="no_change")
    return EventDraft(
        kind=EventKind.LOT_EXPIRY_CHANGED,
        item_id=lot.item_id,
        lot_id=lot.id,
        note=reason,
        details={"from": _iso(lot.expires_on), "to": _iso(expires_on), "code": lot.code},
    )


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()

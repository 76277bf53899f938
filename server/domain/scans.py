"""Scans: the actions a scan may ask for, which of them fit a resolved record, and the
short sentences a phone shows. Pure: no I/O."""

from __future__ import annotations

import datetime as dt

from server.domain.errors import InvalidInput
from server.domain.vocab import Status, Tracking

ACTIONS = ("lookup", "move", "check_out", "check_in", "receive", "consume", "claim", "audit")
COUNTED_ACTIONS = ("move", "check_out", "check_in", "receive", "consume", "audit")

_UNIT_ACTIONS = {
    Status.AVAILABLE: ("move", "check_out", "audit"),
    Status.RESERVED: ("move", "check_out", "audit"),
    Status.IN_REPAIR: ("move", "audit"),
    Status.CHECKED_OUT: ("check_in", "audit"),
    Status.LOST: ("audit",),
    Status.RETIRED: (),
}


def check_action(action: str) -> str:
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of: {', '.join(ACTIONS)}", field="action")
    return action


# What a scan may carry. No code Tagtrack resolves is longer than MAX_CODE (tags, label
# URLs, GS1 strings, serials, SKUs, lot codes all fit); the device fields are stored as is.
MAX_CODE, MAX_DEVICE_ID, MAX_IDEMPOTENCY_KEY = 200, 100, 200


def check_scan(action: str, code: str, device_id: str, idempotency_key: str | None) -> None:
    check_action(action)
    for field, value, most in (("code", code, MAX_CODE), ("device_id", device_id, MAX_DEVICE_ID),
                               ("idempotency_key", idempotency_key or "", MAX_IDEMPOTENCY_KEY)):
        if len(value) > most:
            raise InvalidInput(f"{field} must be at most {most} characters", field=field)


def actions_for(
    kind: str,
    *,
    status: str | None = None,
    tracking: str | None = None,
    collapsed: bool = False,
    blank_tag: bool = False,
) -> tuple[str, ...]:
    """What can be done next with a scanned code, for the buttons of the scan page."""
    if kind == "unit":
        return () if collapsed or status is None else _UNIT_ACTIONS[Status(status)]
    if kind == "item":
        if tracking == Tracking.SERIAL:
            return ("claim", "audit")
        return COUNTED_ACTIONS
    if kind == "lot":
        return COUNTED_ACTIONS
    if kind == "unknown" and blank_tag:
        return ("claim",)
    return ()


def when(moment: dt.datetime, now: dt.datetime) -> str:
    """ "09:12" today, "20 Nov" this year, "20 Nov 2025" before (times in UTC)."""
    moment, now = moment.astimezone(dt.UTC), now.astimezone(dt.UTC)
    if moment.date() == now.date():
        return moment.strftime("%H:%M")
    if moment.year == now.year:
        return f"{moment.day} {moment:%b}"
    return f"{moment.day} {moment:%b %Y}"


def count_of(quantity: int, name: str, unit_of_measure: str = "each") -> str:
    """ "3 Zip ties", "2.5 kg Coffee" style: the unit of measure unless it is `each`."""
    measure = "" if unit_of_measure in ("", "each") else f" {unit_of_measure}"
    return f"{quantity}{measure} {name}"

"""What a check-out reads besides the unit: the item's loan period, and why the unit is in
the condition it is in (the note of the event that last set its condition)."""

from __future__ import annotations

from typing import Any

from server.db.engine import fetch
from server.db.rows import load_json

# The events that may set a unit's condition; the newest with a condition in its details
# (or any condition change) holds the words people wrote ("chuck slips").
_CONDITION_EVENTS = ("unit.condition_changed", "unit.checked_in", "unit.created")
_LOOK_BACK = 20


async def item_loan_days(item_id: int) -> int | None:
    rows = await fetch("SELECT loan_days FROM item WHERE id = {}", item_id)
    return None if not rows or rows[0]["loan_days"] is None else int(rows[0]["loan_days"])


async def condition_note(unit_id: int) -> str:
    rows = await fetch(
        "SELECT kind, note, details FROM event WHERE unit_id = {} AND kind IN ({}, {}, {}) "
        f"ORDER BY id DESC LIMIT {_LOOK_BACK}",
        unit_id,
        *_CONDITION_EVENTS,
    )
    for row in rows:
        details: dict[str, Any] = load_json(row["details"], {})
        if row["kind"] == "unit.condition_changed" or "condition" in details:
            return str(row["note"] or "")
    return ""

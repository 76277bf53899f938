"""Units of serialized items and the custody state machine.

The allowed status changes are one table (TRANSITIONS), not ifs spread over controllers.
Each function takes the current unit and a command and returns the new unit and the event,
or raises a domain error that says why not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.vocab import Condition, EventKind, Status

S = Status


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    sources: frozenset[Status]
    target: Status
    event: EventKind


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "check_out",
            frozenset({S.AVAILABLE, S.RESERVED}),
            S.CHECKED_OUT,
            EventKind.UNIT_CHECKED_OUT,
        ),
        Transition("check_in", frozenset({S.CHECKED_OUT}), S.AVAILABLE, EventKind.UNIT_CHECKED_IN),
        Transition("reserve", frozenset({S.AVAILABLE}), S.RESERVED, EventKind.UNIT_STATUS_CHANGED),
        Transition(
            "unreserve", frozenset({S.RESERVED}), S.AVAILABLE, EventKind.UNIT_STATUS_CHANGED
        ),
        Transition(
            "send_to_repair",
            frozenset({S.AVAILABLE, S.RESERVED}),
            S.IN_REPAIR,
            EventKind.UNIT_STATUS_CHANGED,
        ),
        Transition(
            "return_from_repair",
            frozenset({S.IN_REPAIR}),
            S.AVAILABLE,
            EventKind.UNIT_STATUS_CHANGED,
        ),
        Transition(
            "retire",
            frozenset({S.AVAILABLE, S.RESERVED, S.IN_REPAIR, S.LOST}),
            S.RETIRED,
            EventKind.UNIT_STATUS_CHANGED,
        ),
        Transition(
            "mark_lost",
            frozenset({S.AVAILABLE, S.RESERVED, S.IN_REPAIR, S.CHECKED_OUT}),
            S.LOST,
            EventKind.UNIT_STATUS_CHANGED,
        ),
        Transition("mark_found", frozenset({S.LOST}), S.AVAILABLE, EventKind.UNIT_STATUS_CHANGED),
    )
}

_BY_STATUS_PAIR = {(src, t.target): t for t in TRANSITIONS.values() for src in t.sources}

_REFUSAL = {
    S.CHECKED_OUT: "it is checked out",
    S.RETIRED: "it is retired",
    S.LOST: "it is marked lost",
    S.IN_REPAIR: "it is in repair",
    S.RESERVED: "it is reserved",
    S.AVAILABLE: "it is available (not out)",
}

# A unit in one of these conditions is not lent unless a manager overrides, with a reason.
NOT_LENDABLE = {Condition.NEEDS_REPAIR: "needs repair", Condition.DAMAGED: "is damaged"}
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Unit:
    id: int
    item_id: int
    tag: str
    location_id: int
    status: Status = Status.AVAILABLE
    condition: Condition = Condition.WORKING
    serial: str | None = None
    custodian_id: int | None = None
    due_at: dt.datetime | None = None
    lot_id: int | None = None
    purchase_date: dt.date | None = None
    purchase_cost: str | None = None
    warranty_end: dt.date | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    collapsed: bool = False
    version: int = 1


def transition_for(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise InvalidInput(f"unknown action {action!r}", field="action") from None


def transition_between(current: Status, target: Status) -> Transition:
    """The action that takes a unit from `current` to `target` (for a plain status edit)."""
    if target is Status.CHECKED_OUT:
        raise InvalidInput("use check-out to hand a unit to a person", field="status")
    if current is Status.CHECKED_OUT and target is Status.AVAILABLE:
        raise InvalidInput("use check-in to take a unit back", field="status")
    found = _BY_STATUS_PAIR.get((current, target))
    if found is None:
        raise Conflict(
            f"cannot change status from {current} to {target}",
            field="status",
            code="invalid_transition",
        )
    return found


def apply(unit: Unit, action: str, *, note: str = "", **kw: Any) -> tuple[Unit, EventDraft]:
    """Apply one custody action. Keyword arguments: person_id, due_at, and for a unit that
    is not in working order condition_note and override_reason, for check_out; location_id
    and condition for check_in."""
    _ensure_live(unit)
    t = transition_for(action)
    if unit.status not in t.sources:
        raise Conflict(
            f"cannot {action.replace('_', ' ')} unit {unit.tag}: {_REFUSAL[unit.status]}",
            code=f"unit_{unit.status.value}",
            details={"status": unit.status.value, "custodian_id": unit.custodian_id},
        )
    new = replace(unit, status=t.target, version=unit.version + 1)
    details: dict[str, Any] = {"status": t.target.value, "from_status": unit.status.value}
    from_person = to_person = None
    to_location = None
    if action == "check_out":
        person_id = kw.get("person_id")
        if person_id is None:
            raise InvalidInput("check-out needs a person", field="person")
        details.update(check_lendable(unit, kw.get("condition_note") or "",
                                      kw.get("override_reason")))
        due_at = kw.get("due_at")
        new = replace(new, custodian_id=person_id, due_at=due_at)
        to_person = person_id
        if due_at is not None:
            details["due_at"] = due_at.isoformat()
    elif unit.custodian_id is not None:  # check_in, or lost while out
        from_person = unit.custodian_id
        new = replace(new, custodian_id=None, due_at=None)
    if action == "check_in":
        location_id = kw.get("location_id") or unit.location_id
        condition = kw.get("condition")
        new = replace(new, location_id=location_id)
        to_location = location_id
        if condition is not None and condition != unit.condition:
            new = replace(new, condition=condition)
            details["condition"] = Condition(condition).value
            details["from_condition"] = unit.condition.value
    event = EventDraft(
        kind=t.event,
        item_id=unit.item_id,
        unit_id=unit.id,
        lot_id=unit.lot_id,
        from_location_id=unit.location_id if to_location is not None else None,
        to_location_id=to_location,
        from_person_id=from_person,
        to_person_id=to_person,
        note=note,
        details={"action": action, **details},
    )
    return new, event


def check_lendable(unit: Unit, note: str = "", override_reason: str | None = None
                   ) -> dict[str, Any]:
    """A unit that needs repair or is damaged is refused at check-out, with the reason
    people wrote when they marked it ("needs repair: chuck slips"). A manager may lend it
    anyway by giving a reason, which the check-out event keeps. Answers the event details
    the override adds (none for a unit in working order)."""
    words = NOT_LENDABLE.get(unit.condition)
    if words is None:
        return {}
    reason = (override_reason or "").strip()
    if override_reason is not None and not reason:
        raise InvalidInput(f"say why unit {unit.tag} is lent although it {words}",
                           field="override_reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"override_reason must be at most {MAX_REASON} characters",
                           field="override_reason")
    if not reason:
        note = note.strip()
        raise Conflict(
            f"unit {unit.tag} {words}{f': {note}' if note else ''}",
            code="unit_not_working",
            details={"condition": unit.condition.value, "condition_note": note,
                     "override": "override_condition"},
        )
    return {"condition_override": reason, "lent_condition": unit.condition.value}


def set_status(unit: Unit, target: Status, *, note: str = "") -> tuple[Unit, EventDraft]:
    _ensure_live(unit)
    if target == unit.status:
        raise Conflict(f"unit {unit.tag} is already {target}", field="status", code="no_change")
    return apply(unit, transition_between(unit.status, target).action, note=note)


def move(unit: Unit, location_id: int, *, note: str = "") -> tuple[Unit, EventDraft]:
    _ensure_live(unit)
    if unit.status in (Status.RETIRED, Status.LOST):
        raise Conflict(
            f"cannot move unit {unit.tag}: {_REFUSAL[unit.status]}",
            code=f"unit_{unit.status.value}",
        )
    if location_id == unit.location_id:
        raise Conflict(f"unit {unit.tag} is already there", field="location", code="no_change")
    event = EventDraft(
        kind=EventKind.UNIT_MOVED,
        item_id=unit.item_id,
        unit_id=unit.id,
        lot_id=unit.lot_id,
        from_location_id=unit.location_id,
        to_location_id=location_id,
        note=note,
    )
    return replace(unit, location_id=location_id, version=unit.version + 1), event


def set_condition(unit: Unit, condition: Condition, *, note: str = "") -> tuple[Unit, EventDraft]:
    _ensure_live(unit)
    if condition == unit.condition:
        raise Conflict(
            f"unit {unit.tag} is already {condition}", field="condition", code="no_change"
        )
    event = EventDraft(
        kind=EventKind.UNIT_CONDITION_CHANGED,
        item_id=unit.item_id,
        unit_id=unit.id,
        note=note,
        details={"condition": condition.value, "from_condition": unit.condition.value},
    )
    return replace(unit, condition=condition, version=unit.version + 1), event


def _ensure_live(unit: Unit) -> None:
    if unit.collapsed:
        raise Conflict(
            f"unit {unit.tag} was merged into a count when its item stopped tracking units",
            code="unit_collapsed",
        )

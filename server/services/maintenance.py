"""Maintenance use cases: plan, start, finish and cancel a service record; set schedule
rules; where each unit stands on its rules.

The hard part is the unit's status. Starting a service puts the unit in `in_repair` and
remembers the status it had (`status_before`: available or reserved); finishing or
cancelling puts it back, in the same transaction as the record's change, with one event
(service.started / service.finished) that carries the unit's new status in its details, so
that `tagtrack verify` rebuilds the unit's status from the events like any other status
change. A unit that left `in_repair` some other way meanwhile (retired, lost) is left
where it is. Finished records are never edited (domain: RECORD_TRANSITIONS)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from server.db import ledger, maintenance_repo, units_repo
from server.db.engine import write_transaction
from server.domain import fields
from server.domain import maintenance as m
from server.domain.actors import Actor
from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.units import Unit
from server.domain.vocab import EventKind, Role, Status
from server.services.local_time import zone_of

# as long as the pages' inputs take (server/domain/fields.py)
MAX_TEXT = {k: fields.max_chars(k) or 0 for k in ("performed_by", "vendor", "notes")}
MAX_TEXT["name"] = 100
STARTABLE = frozenset({Status.AVAILABLE, Status.RESERVED})


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


clock: Callable[[], dt.datetime] = _utc_now  # tests put a clock of their own here


def today_for(actor: Actor | None) -> dt.date:
    return clock().astimezone(zone_of(actor)).date()


def _text(changes: dict[str, Any], key: str) -> str:
    value = changes.get(key) or ""
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be text", field=key)
    if len(value) > MAX_TEXT[key]:
        raise InvalidInput(f"{key} must be at most {MAX_TEXT[key]} characters", field=key)
    return value.strip()


def _cost(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput("cost must be a number", field="cost") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise InvalidInput("cost must be from 0 to 9999999999.99", field="cost")
    return amount.quantize(Decimal("0.01"))


def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field} must be a date like 2026-01-31", field=field) from None


def _live(unit: Unit, doing: str) -> None:
    if unit.collapsed or unit.status in (Status.RETIRED, Status.LOST):
        why = "was merged into a count" if unit.collapsed else f"is {unit.status.value}"
        raise Conflict(f"cannot {doing} unit {unit.tag}: it {why}", field="unit",
                       code="unit_not_live")


def _event(event_kind: EventKind, unit: Unit, record_id: int, /, **details: Any
           ) -> EventDraft:
    return EventDraft(kind=event_kind, item_id=unit.item_id, unit_id=unit.id,
                      details={"record": record_id, **details})


async def plan_record(actor: Actor, tag: str, kind: str, *, planned_on: Any = None,
                      rule_id: int | None = None, corrects: int | None = None,
                      fields: dict[str, Any] | None = None) -> int:
    actor.require(Role.OPERATOR)
    what = m.parse_kind(kind)
    day = _date(planned_on, "planned_on")
    extra = fields or {}
    values = {k: _text(extra, k) for k in ("performed_by", "vendor", "notes")}
    async with write_transaction():
        unit = await units_repo.get(tag=tag, lock=True)
        _live(unit, "plan a service of")
        if rule_id is not None:
            rule = await maintenance_repo.rule(rule_id)
            if rule["unit"] not in (None, unit.id) or rule["item"] not in (None, unit.item_id):
                raise InvalidInput(f"service rule {rule_id} is not a rule of unit {unit.tag}",
                                   field="rule")
        if corrects is not None:
            old = await maintenance_repo.record(corrects)
            if old["unit"] != unit.id or not m.ServiceState(old["state"]).finished:
                raise InvalidInput(f"a correction points to a finished record of unit "
                                   f"{unit.tag}; {corrects} is not one", field="corrects")
        record_id = await maintenance_repo.insert_record({
            "unit": unit.id, "rule": rule_id, "kind": what.value, "state": "planned",
            "planned_on": day, "corrects": corrects, "created_by": actor.name, **values})
        await ledger.record(actor, _event(
            EventKind.SERVICE_PLANNED, unit, record_id, kind=what.value,
            planned_on=day.isoformat() if day else None, corrects=corrects))
        return record_id


async def start_record(actor: Actor, record_id: int) -> int:
    """The unit goes in_repair: it cannot be checked out or booked until the service ends."""
    actor.require(Role.OPERATOR)
    async with write_transaction():
        row = await maintenance_repo.record(record_id, lock=True)
        m.check_transition(m.ServiceState(row["state"]), m.ServiceState.IN_PROGRESS,
                           record_id=record_id)
        unit = await units_repo.get(unit_id=row["unit"], lock=True)
        _live(unit, "start a service of")
        if unit.status not in STARTABLE:
            raise Conflict(f"cannot start a service of unit {unit.tag}: it is "
                           f"{unit.status.value.replace('_', ' ')}"
                           + (" (check it in first)" if unit.status is Status.CHECKED_OUT
                              else ""), field="unit", code=f"unit_{unit.status.value}")
        new = replace(unit, status=Status.IN_REPAIR, version=unit.version + 1)
        await units_repo.save(new, read=unit)
        await maintenance_repo.save_record(row, {
            "state": "in_progress", "started_at": clock(), "status_before": unit.status.value})
        return await ledger.record(actor, _event(
            EventKind.SERVICE_STARTED, unit, record_id, kind=row["kind"],
            status=Status.IN_REPAIR.value, from_status=unit.status.value))


async def finish_record(actor: Actor, record_id: int, outcome: str,
                        fields: dict[str, Any] | None = None) -> int:
    """outcome: done, failed or cancelled. The unit returns to the status it had before."""
    actor.require(Role.OPERATOR)
    try:
        target = m.ServiceState(outcome)
    except ValueError:
        raise InvalidInput("outcome must be one of: done, failed, cancelled",
                           field="outcome") from None
    if not target.finished:
        raise InvalidInput("outcome must be one of: done, failed, cancelled", field="outcome")
    extra = fields or {}
    values: dict[str, Any] = {k: _text(extra, k) for k in ("performed_by", "vendor", "notes")
                              if k in extra}
    if "cost" in extra:
        values["cost"] = _cost(extra["cost"])
    if "under_warranty" in extra:
        if not isinstance(extra["under_warranty"], bool):
            raise InvalidInput("under_warranty must be true or false", field="under_warranty")
        values["under_warranty"] = extra["under_warranty"]
    async with write_transaction():
        row = await maintenance_repo.record(record_id, lock=True)
        m.check_transition(m.ServiceState(row["state"]), target, record_id=record_id)
        unit = await units_repo.get(unit_id=row["unit"], lock=True)
        details: dict[str, Any] = {"kind": row["kind"], "state": target.value,
                                   "from_state": row["state"]}
        if unit.status is Status.IN_REPAIR and row["state"] == "in_progress":
            back = Status(row["status_before"] or Status.AVAILABLE.value)
            await units_repo.save(replace(unit, status=back, version=unit.version + 1),
                                  read=unit)
            details.update(status=back.value, from_status=unit.status.value)
        if "cost" in values and values["cost"] is not None:
            details["cost"] = str(values["cost"])
        await maintenance_repo.save_record(row, {"state": target.value,
                                                 "finished_at": clock(), **values})
        return await ledger.record(actor, _event(EventKind.SERVICE_FINISHED, unit,
                                                 record_id, **details))


async def ensure_not_in_service(unit: Unit, target: Status) -> None:
    """A unit in repair for a service goes back by finishing or cancelling that service
    (which records it), not by a plain status change (units.py asks before one)."""
    if unit.status is not Status.IN_REPAIR or target in (Status.RETIRED, Status.LOST):
        return
    found = await maintenance_repo.open_service(unit.id)
    if found is not None:
        raise Conflict(f"unit {unit.tag} is in repair for service {found['id']} "
                       f"({found['kind']}): finish or cancel that service",
                       field="status", code="unit_in_service",
                       details={"record": found["id"]})


async def unit_records(tag: str) -> list[dict[str, Any]]:
    unit = await units_repo.get(tag=tag)
    return await maintenance_repo.records_of_unit(unit.id)


async def record(record_id: int) -> dict[str, Any]:
    return await maintenance_repo.record(record_id)


async def in_progress() -> list[dict[str, Any]]:
    return await maintenance_repo.records_in_state("in_progress")

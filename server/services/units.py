"""Use cases for the units of serialized items: create (one or many), edit, move, and the
custody actions (check-out, check-in, status, condition, retire, lost, found)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from server.db import counters, custody_repo, items_repo, ledger, places_repo, units_repo
from server.db.engine import write_transaction
from server.domain import units as rules
from server.domain.actors import Actor
from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.fields import check_length
from server.domain.items import check_custom_values
from server.domain.serials import check_serial, plan_serials
from server.domain.tags import TagKind
from server.domain.units import Unit
from server.domain.vocab import Condition, EventKind, Role, Status, Tracking
from server.services import maintenance
from server.services.due_dates import due_for
from server.services.local_time import zone_of


def _enum(cls: Any, value: Any, field: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        raise InvalidInput(f"{field} must be one of: {', '.join(cls)}", field=field) from None


async def _live_location(location_id: int, loc: dict[str, Any] | None = None) -> None:
    """`loc` is the row when the caller has already read it in this transaction."""
    if loc is None or loc["id"] != location_id:
        loc = await places_repo.location(location_id=location_id)
    if loc["archived"]:
        raise Conflict(f"location {loc['name']} is archived", field="location",
                       code="location_archived")


async def create_units(actor: Actor, item_id: int, location_id: int, *, count: int | None = None,
                       serials: list[str] | None = None, serial_pattern: str | None = None,
                       condition: str = "working", fields: dict[str, Any] | None = None,
                       note: str = "") -> list[int]:
    planned = plan_serials(count, serials, serial_pattern)
    cond = _enum(Condition, condition, "condition")
    extra = _check_fields(fields or {})
    async with write_transaction():
        item = await items_repo.get(item_id, share=True)
        item.ensure_active("add units")
        item.ensure_tracking(Tracking.SERIAL, doing="add units (receive a count instead)")
        await _live_location(location_id)
        custom = check_custom_values(item.custom_fields, extra.pop("custom", {}))
        await units_repo.ensure_serials_free(item.id, planned)
        tags = await counters.next_tags(TagKind.UNIT, len(planned))
        units = [Unit(id=0, item_id=item.id, tag=str(tag), location_id=location_id,
                      condition=cond, serial=serial, custom=custom, **extra)
                 for tag, serial in zip(tags, planned, strict=True)]
        ids = await units_repo.insert_many(units)
        await ledger.record_many(actor, [_created(replace(u, id=i), note)
                                         for u, i in zip(units, ids, strict=True)])
        return ids


def _created(unit: Unit, note: str, **details: Any) -> EventDraft:
    return EventDraft(kind=EventKind.UNIT_CREATED, item_id=unit.item_id, unit_id=unit.id,
                      lot_id=unit.lot_id, to_location_id=unit.location_id, note=note,
                      details={"tag": unit.tag, "serial": unit.serial,
                               "status": unit.status.value,
                               "condition": unit.condition.value, **details})


def _check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("purchase_date", "warranty_end"):
            out[key] = _date(value, key)
        elif key == "purchase_cost":
            out[key] = _cost(value)
        elif key == "custom":
            if not isinstance(value, dict):
                raise InvalidInput("custom must be an object of field values", field="custom")
            out[key] = value
        elif key == "serial":
            out[key] = check_serial(value)
        else:
            raise InvalidInput(f"{key} cannot be set here", field=key)
    return out


def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field} must be a date like 2026-01-31", field=field) from None


def _cost(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(check_length("purchase_cost", str(value)))
    except InvalidOperation:
        raise InvalidInput("purchase_cost must be a number", field="purchase_cost") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput("purchase_cost must be zero or more", field="purchase_cost")
    return str(amount.quantize(Decimal("0.01")))


async def update_unit(actor: Actor, tag: str, changes: dict[str, Any]) -> int | None:
    clean = _check_fields(changes)
    async with write_transaction():
        unit = await units_repo.get(tag=tag, lock=True)
        item = await items_repo.get(unit.item_id, share=True)
        if "custom" in clean:
            clean["custom"] = check_custom_values(item.custom_fields,
                                                  {**unit.custom, **clean["custom"]})
        if "serial" in clean:
            await units_repo.ensure_serials_free(item.id, [clean["serial"]], except_id=unit.id)
        new = replace(unit, **clean, version=unit.version + 1)
        diff = {k: [_show(getattr(unit, k)), _show(getattr(new, k))] for k in clean
                if getattr(unit, k) != getattr(new, k)}
        if not diff:
            return None
        await units_repo.save(new, read=unit)
        return await ledger.record(actor, EventDraft(
            kind=EventKind.UNIT_UPDATED, item_id=unit.item_id, unit_id=unit.id,
            details={"changes": diff}))


def _show(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


async def _change(actor: Actor, tag: str, step: Any) -> int:
    """Load the unit locked, let the domain decide, save with a version check, record."""
    async with write_transaction():
        unit = await units_repo.get(tag=tag, lock=True)
        new, event = await step(unit)
        await units_repo.save(new, read=unit)
        return await ledger.record(actor, event)


async def move_unit(actor: Actor, tag: str, location_id: int, note: str = "", *,
                    location: dict[str, Any] | None = None) -> int:
    """`location` (and `person` below): the row, if the caller has read it already in the
    same transaction, so that it is not read again."""
    async def step(unit: Unit) -> tuple[Unit, EventDraft]:
        await _live_location(location_id, location)
        return rules.move(unit, location_id, note=note)
    return await _change(actor, tag, step)


async def check_out(actor: Actor, tag: str, person_id: int, *, due_at: dt.datetime | None = None,
                    note: str = "", person: dict[str, Any] | None = None,
                    allow_past_due: bool = False, override_reason: str | None = None) -> int:
    """No due date given: the item's loan period, else the site's. A unit that needs
    repair or is damaged is refused unless a manager gives `override_reason`."""
    if override_reason is not None:
        actor.require(Role.MANAGER)

    async def step(unit: Unit) -> tuple[Unit, EventDraft]:
        nonlocal person
        if person is None or person["id"] != person_id:
            person = await places_repo.person(person_id=person_id)
        if not person["active"]:
            raise Conflict(f"{person['name']} is not active", field="person",
                           code="person_inactive")
        if unit.status is Status.CHECKED_OUT and unit.custodian_id is not None:
            holder = await places_repo.person(person_id=unit.custodian_id)
            raise Conflict(f"unit {unit.tag} is already checked out to {holder['name']}",
                           code="unit_checked_out",
                           details={"custodian": holder["tag"]})
        due = due_for(due_at, None if due_at else await custody_repo.item_loan_days(unit.item_id),
                      allow_past=allow_past_due, zone=zone_of(actor))
        why = "" if unit.condition is Condition.WORKING else \
            await custody_repo.condition_note(unit.id)
        return rules.apply(unit, "check_out", person_id=person_id, due_at=due, note=note,
                           condition_note=why, override_reason=override_reason)
    return await _change(actor, tag, step)


async def check_in(actor: Actor, tag: str, *, location_id: int | None = None,
                   condition: str | None = None, note: str = "",
                   location: dict[str, Any] | None = None) -> int:
    cond = _enum(Condition, condition, "condition") if condition else None

    async def step(unit: Unit) -> tuple[Unit, EventDraft]:
        if location_id is not None:
            await _live_location(location_id, location)
        return rules.apply(unit, "check_in", location_id=location_id, condition=cond, note=note)
    return await _change(actor, tag, step)


async def set_status(actor: Actor, tag: str, status: str, note: str = "") -> int:
    target = _enum(Status, status, "status")

    async def step(unit: Unit) -> tuple[Unit, EventDraft]:
        await maintenance.ensure_not_in_service(unit, target)
        return rules.set_status(unit, target, note=note)
    return await _change(actor, tag, step)


async def act(actor: Actor, tag: str, action: str, note: str = "") -> int:
    """retire, mark_lost, mark_found, reserve, unreserve, send_to_repair, return_from_repair"""
    if action in ("check_out", "check_in"):
        raise InvalidInput(f"use the {action.replace('_', '-')} endpoint", field="action")

    async def step(unit: Unit) -> tuple[Unit, EventDraft]:
        if action == "return_from_repair":
            await maintenance.ensure_not_in_service(unit, Status.AVAILABLE)
        return rules.apply(unit, action, note=note)
    return await _change(actor, tag, step)


async def set_condition(actor: Actor, tag: str, condition: str, note: str = "") -> int:
    cond = _enum(Condition, condition, "condition")

    async def step(unit: Unit) -> tuple[Unit, EventDraft]:
        return rules.set_condition(unit, cond, note=note)
    return await _change(actor, tag, step)

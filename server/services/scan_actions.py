"""What each scan action does with a resolved code. Every handler runs inside the scan's
write transaction (the services it calls join it) and returns an Outcome, or raises a
domain error that becomes the scan's refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from server.db import items_repo, ledger, scans_repo, units_repo
from server.domain import scans as rules
from server.domain import timezones
from server.domain.actors import Actor
from server.domain.errors import Conflict, DomainError, InvalidInput, NotFound, Unavailable
from server.domain.events import EventDraft
from server.domain.serials import check_serial
from server.domain.stock import check_quantity
from server.domain.tags import Tag, TagKind
from server.domain.units import Unit
from server.domain.vocab import Condition, EventKind, Status, Tracking
from server.services import due_dates, local_time, lookup, stock, units
from server.services.resolve import AMBIGUOUS, ITEM, LOT, UNIT, UNKNOWN, Resolution


@dataclass(frozen=True)
class ScanCommand:
    code: str
    action: str = "lookup"
    location: str | None = None
    from_location: str | None = None
    person: str | None = None
    due_at: dt.datetime | None = None
    condition: str | None = None
    quantity: int | None = None
    device_id: str = ""
    scanned_at: dt.datetime | None = None
    idempotency_key: str | None = None
    audit: int | None = None
    item: int | str | None = None
    lot: str | None = None
    expires_on: dt.date | None = None
    serial: str | None = None
    note: str = ""
    allow_past_due: bool = False  # check-out: a due date in the past is meant (else refused)
    override_condition: bool = False  # check-out of a unit that needs repair: a manager's call
    override_reason: str | None = None


@dataclass
class Outcome:
    """What a scan did: the sentence, the record to show (kind and id, read after the
    change), the event. `error` is set instead for a refusal."""

    resolution: Resolution
    message: str = ""
    kind: str | None = None
    record_id: int | None = None
    event_id: int | None = None
    actions: tuple[str, ...] = ()
    audit: dict[str, Any] | None = None
    error: DomainError | None = None
    row: dict[str, Any] | None = None  # the record as read for the answer


def _need(value: Any, name: str, doing: str) -> Any:
    if value is None or value == "":
        raise InvalidInput(f"{doing} needs {name}", field=name)
    return value


async def _location(ref: str | None, name: str, doing: str) -> dict[str, Any]:
    return await lookup.location(_need(ref, name, doing), name)


async def _person(ref: str | None, doing: str) -> dict[str, Any]:
    return await lookup.person(_need(ref, "person", doing))


def _quantity(cmd: ScanCommand, doing: str) -> int:
    return check_quantity(_need(cmd.quantity, "quantity", doing))


def _lot_code(cmd: ScanCommand, res: Resolution) -> str | None:
    return res.lot_code or cmd.lot


async def _unit_row(res: Resolution) -> dict[str, Any]:
    return await units_repo.detail(_need(res.id, "code", "this"))


def _unit_name(row: dict[str, Any]) -> str:
    return f"{row['item_name']} {row['tag']}"


async def move(actor: Actor, cmd: ScanCommand, res: Resolution) -> Outcome:
    target = await _location(cmd.location, "location", "a move")
    if res.kind == UNIT:
        assert res.tag is not None
        event = await units.move_unit(actor, res.tag, target["id"], cmd.note, location=target)
        row = await _unit_row(res)
        return Outcome(
            res, f"{_unit_name(row)} moved to {target['name']}", UNIT, res.id, event, row=row
        )
    item = await items_repo.get(_counted_item(res, "move"))
    source = await _location(cmd.from_location, "from_location", "a move of a count")
    quantity = _quantity(cmd, "a move of a count")
    event = await stock.move(
        actor, item.id, source["id"], target["id"], quantity, lot=_lot_code(cmd, res), note=cmd.note
    )
    what = rules.count_of(quantity, item.name, item.unit_of_measure)
    return Outcome(
        res, f"{what} moved from {source['name']} to {target['name']}", res.kind, res.id, event
    )


def _counted_item(res: Resolution, doing: str) -> int:
    if res.kind not in (ITEM, LOT) or res.item_id is None:
        raise InvalidInput(
            f"scan a unit, an item or a lot to {doing.replace('_', ' ')}",
            field="code",
            code="wrong_kind",
        )
    return res.item_id


def _due_words(due_at: dt.datetime | None, actor: Actor) -> str:
    """", due 5 Dec 2026" in the reader's zone (a time only when it is not the day's end)."""
    return f", due {timezones.format_due(due_at, local_time.zone_of(actor))}" if due_at else ""


async def check_out(actor: Actor, cmd: ScanCommand, res: Resolution) -> Outcome:
    person = await _person(cmd.person, "a check-out")
    if res.kind == UNIT:
        assert res.tag is not None
        try:
            event = await units.check_out(
                actor, res.tag, person["id"], due_at=cmd.due_at, note=cmd.note, person=person,
                allow_past_due=cmd.allow_past_due,
                override_reason=(cmd.override_reason or "") if cmd.override_condition else None,
            )
        except Conflict as error:
            raise await _explain(error, res, actor) from None
        row = await _unit_row(res)
        return Outcome(
            res,
            f"{_unit_name(row)} checked out to {person['name']}{_due_words(row['due_at'], actor)}",
            UNIT,
            res.id,
            event,
            row=row,
        )
    from server.services import loans  # the loans engineer's module

    item = await items_repo.get(_counted_item(res, "check out"))
    source = await _location(
        cmd.from_location or cmd.location, "from_location", "a check-out of a count"
    )
    quantity = _quantity(cmd, "a check-out of a count")
    lot_id = await loans.lot_id_for(item.id, _lot_code(cmd, res))
    due_at = due_dates.due_for(cmd.due_at, item.loan_days, allow_past=cmd.allow_past_due,
                               zone=local_time.zone_of(actor))
    event = await loans.lend(
        actor,
        item.id,
        source["id"],
        person["id"],
        quantity,
        lot_id=lot_id,
        due_at=due_at,
        note=cmd.note,
        allow_past_due=True,  # checked just above
    )
    what = rules.count_of(quantity, item.name, item.unit_of_measure)
    return Outcome(
        res,
        f"{what} lent to {person['name']} from {source['name']}{_due_words(due_at, actor)}",
        res.kind,
        res.id,
        event,
    )


async def _explain(error: Conflict, res: Resolution, actor: Actor) -> Conflict:
    """A refusal in words for the phone: who has it, since when; what state it is in."""
    row = await _unit_row(res)
    name = _unit_name(row)
    if error.code == "unit_not_working":  # "Cordless drill U-0000003 needs repair: chuck slips"
        return Conflict(error.message.replace(f"unit {row['tag']}", name, 1), code=error.code,
                        details=error.details)
    if error.code == "unit_checked_out" and row["custodian"] is not None:
        since = await scans_repo.checked_out_at(row["id"])
        when = f" since {timezones.format_time(since, local_time.zone_of(actor))}" if since else ""
        return Conflict(
            f"Already checked out to {row['custodian_name']}{when}",
            code=error.code,
            details={
                "custodian": row["custodian_tag"],
                "since": since.isoformat() if since else None,
            },
        )
    if error.code.startswith("unit_"):
        state = row["status"].replace("_", " ")
        return Conflict(
            f"{name} is {state}: it cannot be checked out",
            code=error.code,
            details={"status": row["status"]},
        )
    return error


async def check_in(actor: Actor, cmd: ScanCommand, res: Resolution) -> Outcome:
    if res.kind == UNIT:
        assert res.tag is not None
        target = None if cmd.location is None else await _location(cmd.location, "location", "")
        try:
            event = await units.check_in(
                actor,
                res.tag,
                condition=cmd.condition,
                note=cmd.note,
                location_id=None if target is None else target["id"],
                location=target,
            )
        except Conflict as error:
            if not error.code.startswith("unit_"):
                raise
            row = await _unit_row(res)
            raise Conflict(
                f"{_unit_name(row)} is not checked out (it is {row['status'].replace('_', ' ')})",
                code=error.code,
            ) from None
        row = await _unit_row(res)
        message = f"{_unit_name(row)} checked in to {row['location_name']}"
        if cmd.condition and cmd.condition != "working":
            message += f", marked {cmd.condition.replace('_', ' ')}"
        # back broken: the page offers to send it to repair in one tap
        fix = ("send_to_repair",) if row["condition"] != Condition.WORKING.value else ()
        return Outcome(res, message, UNIT, res.id, event, actions=fix, row=row)
    from server.services import loans

    item = await items_repo.get(_counted_item(res, "check in"))
    person = await _person(cmd.person, "a check-in of a count")
    target = await _location(cmd.location, "location", "a check-in of a count")
    quantity = _quantity(cmd, "a check-in of a count")
    lot_id = await loans.lot_id_for(item.id, _lot_code(cmd, res))
    event = await loans.give_back(
        actor, item.id, person["id"], quantity, target["id"], lot_id=lot_id, note=cmd.note
    )
    what = rules.count_of(quantity, item.name, item.unit_of_measure)
    return Outcome(
        res, f"{what} returned by {person['name']} to {target['name']}", res.kind, res.id, event
    )


async def receive(actor: Actor, cmd: ScanCommand, res: Resolution) -> Outcome:
    item = await items_repo.get(_counted_item(res, "receive"))
    target = await _location(cmd.location, "location", "a receipt")
    quantity = _quantity(cmd, "a receipt")
    code, expiry = _lot_code(cmd, res), res.expiry or cmd.expires_on
    event = await stock.receive(
        actor, item.id, target["id"], quantity, lot=code, expires_on=expiry, note=cmd.note
    )
    what = rules.count_of(quantity, item.name, item.unit_of_measure)
    lot = ""
    if item.tracking is Tracking.LOT and code:
        lot = f" (lot {code}{f', expires {timezones.format_date(expiry)}' if expiry else ''})"
    return Outcome(res, f"Received {what} at {target['name']}{lot}", res.kind, res.id, event)


async def consume(actor: Actor, cmd: ScanCommand, res: Resolution) -> Outcome:
    item = await items_repo.get(_counted_item(res, "consume"))
    source = await _location(cmd.from_location or cmd.location, "location", "a consumption")
    quantity = _quantity(cmd, "a consumption")
    code = _lot_code(cmd, res)
    lots = ""
    try:
        if item.tracking is Tracking.LOT and not code:  # first expiry, first out
            taken = await stock.consume_first_expiry(actor, item.id, source["id"], quantity,
                                                     note=cmd.note)
            event = taken[0][2]
            lots = " (" + ", ".join(f"{n} from lot {c}" for c, n, _ in taken) + ")"
        else:
            event = await stock.consume(actor, item.id, source["id"], quantity, lot=code,
                                        note=cmd.note)
    except Conflict as error:
        if error.code != "insufficient_stock":
            raise
        left = error.details.get("on_hand", 0)
        raise Conflict(
            f"Not enough stock: {left} left at {source['name']}",
            field="quantity",
            code=error.code,
            details=error.details,
        ) from None
    left = await scans_repo.on_hand(item.id, source["id"], code)
    what = rules.count_of(quantity, item.name, item.unit_of_measure)
    return Outcome(
        res, f"Consumed {what} at {source['name']}{lots}: {left} left", res.kind, res.id, event
    )


async def claim(actor: Actor, cmd: ScanCommand, res: Resolution) -> Outcome:
    """A blank pre-printed tag becomes the tag of a new unit of `item` at `location`.
    Only tags the label batches have issued (number <= the unit tag counter) are claimed,
    so a made-up tag cannot be."""
    if res.kind == UNIT:
        raise Conflict(f"Tag {res.tag} is already on a unit", field="code", code="tag_taken")
    if res.kind != UNKNOWN or not res.tag or not res.tag.startswith(TagKind.UNIT.value):
        raise InvalidInput(
            "Only a blank unit tag (U-...) can be claimed", field="code", code="not_a_blank_tag"
        )
    tag = Tag.parse(res.tag)
    item = await items_repo.get(
        await lookup.item_id(_need(cmd.item, "item", "a claim")), share=True
    )
    item.ensure_active("add units")
    item.ensure_tracking(Tracking.SERIAL, doing="claim a tag (only items tracked by unit)")
    target = await _location(cmd.location, "location", "a claim")
    if target["archived"]:
        raise Conflict(
            f"location {target['name']} is archived", field="location", code="location_archived"
        )
    if tag.number > await scans_repo.counter_value(TagKind.UNIT.value):
        raise Conflict(
            f"Tag {tag} was never printed as a blank label: it cannot be claimed",
            field="code",
            code="tag_not_issued",
        )
    await scans_repo.serialize(f"claim:{tag}")
    if await scans_repo.unit_by_tag(str(tag)) is not None:
        raise Conflict(f"Tag {tag} is already on a unit", field="code", code="tag_taken")
    serial = check_serial(cmd.serial)
    await units_repo.ensure_serials_free(item.id, [serial])
    unit = Unit(id=0, item_id=item.id, tag=str(tag), location_id=target["id"], serial=serial)
    [unit_id] = await units_repo.insert_many([unit])
    event = await ledger.record(
        actor,
        EventDraft(
            kind=EventKind.UNIT_CREATED,
            item_id=item.id,
            unit_id=unit_id,
            to_location_id=target["id"],
            note=cmd.note,
            details={
                "tag": str(tag),
                "serial": serial,
                "status": Status.AVAILABLE.value,
                "condition": unit.condition.value,
                "claimed": True,
            },
        ),
    )
    return Outcome(
        res, f"Tag {tag} claimed: new {item.name} at {target['name']}", UNIT, unit_id, event
    )


async def audit(actor: Actor, cmd: ScanCommand, res: Resolution) -> Outcome:
    try:
        from server.services import audits  # the audits engineer's module
    except ImportError:
        raise Unavailable("audit scans are not available yet", code="unavailable") from None

    audit_id = _need(cmd.audit, "audit", "an audit scan")
    # An unknown code is passed on too: "unknown codes" are one of an audit's findings.
    where = None if not cmd.location else await lookup.location_id(cmd.location)
    result = await audits.scan(actor, audit_id, res, cmd.quantity, location_id=where, code=cmd.code)
    message = str(result.get("message") or "Counted in the audit")
    return Outcome(res, message, res.kind, res.id, audit=result)


Handler = Callable[[Actor, ScanCommand, Resolution], Awaitable[Outcome]]


def _as_role_allows(action: str, handler: Handler) -> Handler:
    """A kiosk account scans only to look up, check out and check in (403 otherwise)."""

    async def checked(actor: Actor, cmd: ScanCommand, res: Resolution) -> Outcome:
        actor.require_scan(action)
        return await handler(actor, cmd, res)

    return checked


HANDLERS: dict[str, Handler] = {
    action: _as_role_allows(action, handler)
    for action, handler in {
        "move": move,
        "check_out": check_out,
        "check_in": check_in,
        "receive": receive,
        "consume": consume,
        "claim": claim,
        "audit": audit,
    }.items()
}


def refuse_unresolved(res: Resolution, action: str) -> None:
    """A code that names nothing (or several things) cannot be acted on."""
    if res.kind == AMBIGUOUS:
        raise Conflict(res.message, field="code", code="ambiguous_code")
    if res.kind == UNKNOWN and action != "audit" and not (action == "claim" and res.tag):
        raise NotFound(res.message, field="code", code="unknown_code")

"""Use cases for audits: start (snapshot the expected set), scan, report, finish, confirm
(write the moves and adjustments as events, in one transaction), list, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from server.db import audits_repo, items_repo, ledger, places_repo, stock_repo, units_repo
from server.db.engine import write_transaction
from server.domain import audits as rules
from server.domain import stock as stock_rules
from server.domain import units as unit_rules
from server.domain.actors import Actor
from server.domain.audits import Line, Options
from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.stock import StockKey
from server.domain.vocab import EventKind, Status, Tracking

if TYPE_CHECKING:
    from server.services.resolve import Resolution


async def start(actor: Actor, location_id: int, include_sublocations: bool = False) -> int:
    async with write_transaction():
        loc = await places_repo.location(location_id=location_id)
        if loc["archived"]:
            raise Conflict(
                f"location {loc['name']} is archived", field="location", code="location_archived"
            )
        scope = (
            await places_repo.subtree_ids(location_id) if include_sublocations else [location_id]
        )
        audit_id = await audits_repo.insert(location_id, include_sublocations, actor.name)
        await audits_repo.insert_lines(audit_id, await audits_repo.expected_set(scope))
        return audit_id


async def _scope(audit: dict[str, Any]) -> list[int]:
    if audit["include_sublocations"]:
        return await places_repo.subtree_ids(audit["location"])
    return [audit["location"]]


async def _in_scope(audit: dict[str, Any], location_id: int) -> dict[str, Any]:
    loc = await places_repo.location(location_id=location_id)
    if location_id not in await _scope(audit):
        where = "or under it" if audit["include_sublocations"] else "only"
        raise Conflict(
            f"{loc['name']} is not part of this audit (it counts the audited location {where})",
            field="location",
            code="outside_audit",
        )
    return loc


async def scan(
    actor: Actor,
    audit_id: int,
    resolution: Resolution,
    quantity: int | None,
    *,
    location_id: int | None = None,
    code: str = "",
) -> dict[str, Any]:
    """Record one scan of an audit and answer what the phone shows. A location scan sets
    where the next scans are counted; `location_id` says it for this scan alone. `code` is
    the scanned text, kept for codes that name nothing."""
    async with write_transaction():
        audit = await audits_repo.get(audit_id, lock=True)
        rules.ensure_open(audit["status"])
        at = location_id if location_id is not None else audit["current_location"]
        if location_id is not None:
            await _in_scope(audit, location_id)
        kind = resolution.kind
        if kind == "location":
            assert resolution.id is not None
            loc = await _in_scope(audit, resolution.id)
            await audits_repo.update(audit_id, {"current_location": loc["id"]})
            result, message = "location", f"Counting at {loc['name']} now"
        elif kind == "unit":
            assert resolution.id is not None
            result, message = await _scan_unit(audit_id, resolution.id, at)
        elif kind in ("item", "lot"):
            result = "counted"
            message = await _count(audit_id, resolution, quantity, at or audit["location"])
        elif kind == "person":
            raise Conflict(
                "a person's badge is not counted in an audit", field="code", code="not_countable"
            )
        elif kind == "ambiguous":
            raise Conflict(
                resolution.message or "this code names several things: scan a tag",
                field="code",
                code="ambiguous",
                details={"candidates": [c.tag for c in resolution.candidates]},
            )
        else:
            text = (
                code or resolution.tag or resolution.serial or resolution.lot_code or ""
            ).strip()
            line = await audits_repo.find_line(audit_id, code=text)
            await audits_repo.save_line(audit_id, rules.unknown(line, text))
            result = "unknown"
            message = f"Unknown code {text}: noted" + (
                f" ({resolution.message})" if resolution.message else ""
            )
        totals = await audits_repo.progress(audit_id)
        return {"audit_id": audit_id, "result": result, "message": message, **totals}


async def _scan_unit(audit_id: int, unit_id: int, at: int | None) -> tuple[str, str]:
    unit = await units_repo.get(unit_id=unit_id)
    if unit.collapsed:
        raise Conflict(
            f"unit {unit.tag} was merged into a count: count its item instead",
            field="code",
            code="unit_collapsed",
        )
    line = await audits_repo.find_line(audit_id, unit_id=unit.id)
    new, outcome = rules.scan_unit(
        line,
        unit_id=unit.id,
        item_id=unit.item_id,
        system_location_id=unit.location_id,
        custodian_id=unit.custodian_id,
        status=unit.status.value,
        at_location_id=at,
    )
    await audits_repo.save_line(audit_id, new)
    if outcome == "found":
        return outcome, f"{unit.tag} found"
    if outcome == "again":
        return outcome, f"{unit.tag} was already scanned"
    where = (await places_repo.location(location_id=unit.location_id))["name"]
    why = f"the system has it at {where}"
    if unit.status is Status.CHECKED_OUT and unit.custodian_id is not None:
        holder = (await places_repo.person(person_id=unit.custodian_id))["name"]
        why = f"the system has it checked out to {holder}"
    elif unit.status in (Status.LOST, Status.RETIRED):
        why = f"the system has it as {unit.status.value}"
    return outcome, f"{unit.tag} is not expected here: {why}"


async def _count(
    audit_id: int, resolution: Resolution, quantity: int | None, location_id: int
) -> str:
    assert resolution.item_id is not None
    item = await items_repo.get(resolution.item_id)
    if item.tracking is Tracking.SERIAL:
        raise Conflict(
            f"{item.name} is tracked by unit: scan each unit's tag",
            field="code",
            code="wrong_tracking",
        )
    lot_id = resolution.lot_id
    if item.tracking is Tracking.LOT and lot_id is None:
        raise InvalidInput(
            f"{item.name} is counted per lot: scan the lot code", field="code", code="lot_needed"
        )
    counted = 1 if quantity is None else quantity
    key = StockKey(item.id, location_id, lot_id)
    line = await audits_repo.find_line(
        audit_id, item_id=item.id, lot_id=lot_id, location_id=location_id
    )
    new = rules.count(
        line,
        item_id=item.id,
        lot_id=lot_id,
        location_id=location_id,
        on_hand=await stock_repo.on_hand(key),
        quantity=counted,
    )
    await audits_repo.save_line(audit_id, new)
    where = (await places_repo.location(location_id=location_id))["name"]
    return f"{new.counted_quantity} {item.unit_of_measure} of {item.name} counted at {where}"


async def scan_code(
    actor: Actor, audit_id: int, code: str, quantity: int | None, *, location_id: int | None = None
) -> dict[str, Any]:
    from server.services.resolve import resolve  # the scans API's resolver chain

    resolution = await resolve(code)
    return await scan(actor, audit_id, resolution, quantity, location_id=location_id, code=code)


async def report(audit_id: int) -> dict[str, Any]:
    audit = await audits_repo.get(audit_id)
    rows = await audits_repo.lines(audit_id)
    names = {line.id: row for line, row in rows}
    r = rules.report([line for line, _ in rows])

    def show(lines: list[Line]) -> list[dict[str, Any]]:
        return [
            {**rules.as_dict(ln), "difference": ln.difference, "names": names[ln.id]}
            for ln in lines
        ]

    return {
        "audit": audit,
        "totals": r.totals(),
        "found": show(r.found),
        "missing": show(r.missing),
        "unexpected": show(r.unexpected),
        "misplaced": show(r.misplaced),
        "unknown": show(r.unknown),
        "count_differences": show(r.differences),
        "counted": show(r.counted),
        "not_counted": show(r.not_counted),
    }


async def finish(actor: Actor, audit_id: int) -> dict[str, Any]:
    async with write_transaction():
        audit = await audits_repo.get(audit_id, lock=True)
        rules.ensure_open(audit["status"])
        await audits_repo.update(
            audit_id, {"status": rules.FINISHED, "finished_at": dt.datetime.now(dt.UTC)}
        )
    return await report(audit_id)


async def confirm(actor: Actor, audit_id: int, options: Options) -> dict[str, Any]:
    """Write what the audit found, all in one transaction: move unexpected and misplaced
    units to where they were scanned (checking in a unit that was out, marking found a
    unit that was lost), adjust counts that differ, optionally mark missing units lost,
    and stamp last_audited_at (with a unit.audited event) on every unit seen. Every row is
    written before the first event (PostgreSQL: row locks before the chain lock, see
    server/db/ledger.py), the events all at the end, in order."""
    async with write_transaction():
        audit = await audits_repo.get(audit_id, lock=True)
        if audit["status"] == rules.CONFIRMED:
            raise Conflict(f"audit {audit_id} is already confirmed", code="audit_confirmed")
        lines = [line for line, _ in await audits_repo.lines(audit_id)]
        plan = rules.plan(lines, options)
        note = f"audit {audit_id}"
        done: dict[str, list[Any]] = {"moved": [], "adjusted": [], "marked_lost": [], "skipped": []}
        events: list[EventDraft] = []
        for line in sorted(plan.moves, key=lambda ln: ln.unit_id or 0):
            await _move_seen(
                events, audit_id, line, line.scanned_location_id or audit["location"], note, done
            )
        for line in sorted(plan.adjustments, key=lambda ln: (ln.item_id or 0, ln.id)):
            await _adjust(events, audit_id, line, note, done)
        scope = await _scope(audit)
        for line in sorted(plan.lost, key=lambda ln: ln.unit_id or 0):
            await _mark_lost(events, audit_id, line, scope, note, done)
        now = dt.datetime.now(dt.UTC)
        await audits_repo.stamp_audited(plan.seen, now)
        items = {ln.unit_id: ln.item_id for ln in lines if ln.kind == rules.UNIT}
        events += [
            EventDraft(
                kind=EventKind.UNIT_AUDITED,
                item_id=items[uid],
                unit_id=uid,
                note=note,
                details={"audit": audit_id},
            )
            for uid in plan.seen
        ]
        outcome = {
            **done,
            "stamped": len(plan.seen),
            "options": {
                "move_unexpected": options.move_unexpected,
                "adjust_counts": options.adjust_counts,
                "mark_missing_lost": options.mark_missing_lost,
            },
        }
        await audits_repo.update(
            audit_id,
            {
                "status": rules.CONFIRMED,
                "confirmed_at": now,
                "confirmed_by": actor.name,
                "finished_at": audit["finished_at"] or now,
                "outcome": outcome,
            },
        )
        await ledger.record_many(actor, events)
    return await report(audit_id)


def _tagged(event: EventDraft, audit_id: int) -> EventDraft:
    return replace(event, details={**event.details, "audit": audit_id})


async def _move_seen(
    events: list[EventDraft],
    audit_id: int,
    line: Line,
    target: int,
    note: str,
    done: dict[str, list[Any]],
) -> None:
    assert line.unit_id is not None
    unit = await units_repo.get(unit_id=line.unit_id, lock=True)
    if unit.collapsed or unit.status is Status.RETIRED:
        done["skipped"].append({"unit": unit.tag, "why": f"it is {unit.status.value}"})
        return
    loc = await places_repo.location(location_id=target)
    if loc["archived"]:  # as units.move_unit refuses it
        raise Conflict(
            f"location {loc['name']} is archived: cannot move {unit.tag} there",
            field="location",
            code="location_archived",
        )
    steps: list[str] = []
    if unit.status is Status.CHECKED_OUT:
        steps.append("check_in")  # found on the shelf: it is back
    elif unit.status is Status.LOST:
        steps.append("mark_found")
    for action in steps:
        new, event = unit_rules.apply(unit, action, location_id=target, note=note)
        await units_repo.save(new, read=unit)
        events.append(_tagged(event, audit_id))
        unit = new
    if unit.location_id != target:
        new, event = unit_rules.move(unit, target, note=note)
        await units_repo.save(new, read=unit)
        events.append(_tagged(event, audit_id))
        steps.append("move")
    if steps:
        done["moved"].append({"unit": unit.tag, "to_location": target, "steps": steps})


async def _adjust(
    events: list[EventDraft], audit_id: int, line: Line, note: str, done: dict[str, list[Any]]
) -> None:
    assert line.item_id is not None and line.location_id is not None
    item = await items_repo.get(line.item_id, share=True)
    key = StockKey(item.id, line.location_id, line.lot_id)
    have = await stock_repo.on_hand(key, lock=True)
    target = rules.target_count(line, have)
    if target == have:
        return
    event = stock_rules.adjust(item, key, have, target, note)
    await stock_repo.apply_delta(key, target - have)
    events.append(_tagged(event, audit_id))
    done["adjusted"].append(
        {
            "item": item.sku,
            "location": line.location_id,
            "lot": line.lot_id,
            "was": have,
            "now": target,
        }
    )


async def _mark_lost(
    events: list[EventDraft],
    audit_id: int,
    line: Line,
    scope: list[int],
    note: str,
    done: dict[str, list[Any]],
) -> None:
    assert line.unit_id is not None
    unit = await units_repo.get(unit_id=line.unit_id, lock=True)
    # it may have been checked out or moved away since the audit began: then it is not lost
    if (
        unit.collapsed
        or unit.location_id not in scope
        or unit.status not in (Status.AVAILABLE, Status.RESERVED, Status.IN_REPAIR)
    ):
        done["skipped"].append({"unit": unit.tag, "why": "changed since the audit began"})
        return
    new, event = unit_rules.apply(unit, "mark_lost", note=note)
    await units_repo.save(new, read=unit)
    events.append(_tagged(event, audit_id))
    done["marked_lost"].append(unit.tag)


async def list_audits(
    *,
    status: str | None = None,
    location_ids: list[int] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    return await audits_repo.list_audits(
        status=status, location_ids=location_ids, limit=limit, offset=offset
    )


CSV_COLUMNS = [
    "result",
    "kind",
    "unit_tag",
    "serial",
    "item_sku",
    "item_name",
    "lot",
    "system_location",
    "scanned_location",
    "status",
    "custodian",
    "expected_quantity",
    "counted_quantity",
    "difference",
    "code",
    "scans",
]


async def export_csv(audit_id: int) -> str:
    r = await report(audit_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result in (
        "found",
        "missing",
        "unexpected",
        "misplaced",
        "counted",
        "not_counted",
        "unknown",
    ):
        for ln in r[result]:
            n = ln["names"]
            writer.writerow(
                [
                    result,
                    ln["kind"],
                    n["unit_tag"] or "",
                    n["unit_serial"] or "",
                    n["item_sku"] or "",
                    n["item_name"] or "",
                    n["lot_code"] or "",
                    n["location_tag"] or "",
                    n["scanned_location_tag"] or "",
                    ln["status"],
                    n["custodian_tag"] or "",
                    _blank(ln["expected_quantity"]),
                    _blank(ln["counted_quantity"]),
                    _blank(ln["difference"]),
                    ln["code"],
                    ln["scans"],
                ]
            )
    return out.getvalue()


def _blank(value: int | None) -> str | int:
    return "" if value is None else value

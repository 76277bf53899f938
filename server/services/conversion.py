"""Switch an item's tracking mode in one transaction (see server/domain/conversion.py)."""

from __future__ import annotations

from dataclasses import replace

from server.db import counters, items_repo, ledger, loans_repo, stock_repo, units_repo
from server.db.engine import write_transaction
from server.domain import conversion, units
from server.domain.actors import Actor
from server.domain.conversion import ConversionPlan
from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.fields import check_length
from server.domain.items import Item
from server.domain.tags import TagKind
from server.domain.units import Unit
from server.domain.vocab import EventKind, Status, Tracking

DEFAULT_LOT = "UNLOTTED"


async def convert(actor: Actor, item_id: int, target: str, *, lot: str | None = None,
                  on_checked_out: str = "refuse") -> dict[str, int]:
    mode = _mode(target)
    # the events are held back and appended at the end, after the last row lock (the tag
    # counter's, for new units): a lock taken after the chain's can deadlock (ledger.py)
    async with write_transaction():
        with ledger.held() as held:
            answer = await _convert(actor, item_id, mode, lot, on_checked_out)
        await held.append()
        return answer


async def _convert(actor: Actor, item_id: int, mode: Tracking, lot: str | None,
                   on_checked_out: str) -> dict[str, int]:
    item = await items_repo.get(item_id, lock=True)
    stock = await stock_repo.for_item(item.id, lock=True)
    unit_list = await units_repo.for_item(item.id, lock=True)
    await _refuse_if_lent(item)
    lot_id = None
    if mode is Tracking.LOT:
        code = check_length("lot", (lot or DEFAULT_LOT).strip())
        row = await stock_repo.get_lot(item.id, code)
        lot_id = int(row["id"]) if row else await stock_repo.insert_lot(item.id, code, None)
        if row is None:
            await ledger.record(actor, EventDraft(kind=EventKind.LOT_CREATED,
                                                  item_id=item.id, lot_id=lot_id,
                                                  details={"code": code}))
    plan = conversion.plan(item, mode, stock, unit_list, lot_id=lot_id,
                           on_checked_out=on_checked_out)
    for unit in plan.check_in:
        new, event = units.apply(unit, "check_in", note="checked in to change tracking")
        await units_repo.save(new, read=unit)
        await ledger.record(actor, event)
    for unit in plan.collapse:
        current = await units_repo.get(unit_id=unit.id)
        await units_repo.save(replace(current, collapsed=True, version=current.version + 1),
                              read=current)
    for unit, key in plan.restore:
        await units_repo.save(replace(unit, collapsed=False, location_id=key.location_id,
                                      lot_id=key.lot_id, version=unit.version + 1),
                              read=unit)
    await items_repo.update(replace(item, tracking=mode))
    await ledger.record_many(actor, plan.events)
    for key, delta in plan.stock_deltas.items():
        if delta:
            await stock_repo.apply_delta(key, delta)
    created = await _create_units(actor, item.id, plan.new_units)
    return {"units_created": created, "units_restored": len(plan.restore),
            "units_collapsed": len(plan.collapse), "units_checked_in": len(plan.check_in)}


async def preview(item_id: int, target: str, *, lot: str | None = None,
                  on_checked_out: str = "refuse") -> tuple[Item, ConversionPlan]:
    """What `convert` would do now, without doing it: the same checks and the same plan,
    read outside a transaction (the tracking advisor shows it before a manager applies it).
    A lot that does not exist yet is planned under lot id 0."""
    mode = _mode(target)
    item = await items_repo.get(item_id)
    stock = await stock_repo.for_item(item.id)
    unit_list = await units_repo.for_item(item.id)
    await _refuse_if_lent(item)
    lot_id = None
    if mode is Tracking.LOT:
        row = await stock_repo.get_lot(item.id, check_length("lot", (lot or DEFAULT_LOT).strip()))
        lot_id = int(row["id"]) if row else 0
    return item, conversion.plan(item, mode, stock, unit_list, lot_id=lot_id,
                                 on_checked_out=on_checked_out)


def _mode(target: str) -> Tracking:
    try:
        return Tracking(target)
    except ValueError:
        raise InvalidInput("tracking must be quantity, lot or serial", field="tracking") from None


async def _refuse_if_lent(item: Item) -> None:
    held = await loans_repo.held_by_people(item.id) if item.tracking.counted else 0
    if held:
        raise Conflict(f"{held} of {item.sku} {'is' if held == 1 else 'are'} lent to "
                       "people: take them back before changing how it is tracked",
                       code="quantity_on_loan",
                       details={"held": held})


async def _create_units(actor: Actor, item_id: int, keys: list) -> int:
    if not keys:
        return 0
    tags = await counters.next_tags(TagKind.UNIT, len(keys))
    new = [Unit(id=0, item_id=item_id, tag=str(t), location_id=k.location_id, lot_id=k.lot_id,
                status=Status.AVAILABLE) for t, k in zip(tags, keys, strict=True)]
    ids = await units_repo.insert_many(new)
    await ledger.record_many(actor, [
        EventDraft(kind=EventKind.UNIT_CREATED, item_id=item_id, unit_id=i, lot_id=u.lot_id,
                   to_location_id=u.location_id, note="created from a counted piece",
                   details={"tag": u.tag, "serial": None, "status": "available",
                            "condition": "working", "reason": "conversion"})
        for u, i in zip(new, ids, strict=True)])
    return len(ids)

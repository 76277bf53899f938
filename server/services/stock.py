"""Use cases for counted stock: receive, consume, adjust, move; lots on the way in."""

from __future__ import annotations

import datetime as dt

from server.db import items_repo, ledger, places_repo, stock_repo
from server.db.engine import write_transaction
from server.domain import stock as rules
from server.domain.actors import Actor
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.events import EventDraft
from server.domain.fields import check_length
from server.domain.items import Item
from server.domain.stock import StockKey
from server.domain.vocab import EventKind, Tracking


async def _lot_id(actor: Actor, item: Item, code: str | None, expires_on: dt.date | None,
                  *, create: bool) -> int | None:
    if item.tracking is not Tracking.LOT:
        if code:
            raise InvalidInput(f"item {item.sku} is not tracked by lot", field="lot")
        return None
    code = check_length("lot", (code or "").strip())
    if not code:
        raise InvalidInput(f"item {item.sku} is tracked by lot: give a lot code", field="lot")
    lot = await stock_repo.get_lot(item.id, code)
    if lot is not None:
        if expires_on is not None and lot["expires_on"] not in (None, expires_on):
            raise Conflict(f"lot {code} of {item.sku} expires on {lot['expires_on']}, "
                           f"not {expires_on}", field="expires_on", code="lot_expiry_differs")
        return int(lot["id"])
    if not create:
        raise NotFound(f"item {item.sku} has no lot {code}", field="lot")
    lot_id = await stock_repo.insert_lot(item.id, code, expires_on)
    await ledger.record(actor, EventDraft(
        kind=EventKind.LOT_CREATED, item_id=item.id, lot_id=lot_id,
        details={"code": code, "expires_on": expires_on.isoformat() if expires_on else None}))
    return lot_id


async def _where(location_id: int) -> str:
    return str((await places_repo.location(location_id=location_id))["name"])


async def _live_location(location_id: int, field: str = "location") -> None:
    loc = await places_repo.location(location_id=location_id)
    if loc["archived"]:
        raise Conflict(f"location {loc['name']} is archived", field=field,
                       code="location_archived")


async def receive(actor: Actor, item_id: int, location_id: int, quantity: int, *,
                  lot: str | None = None, expires_on: dt.date | None = None,
                  note: str = "") -> int:
    async with write_transaction():
        item = await items_repo.get(item_id, share=True)
        await _live_location(location_id)
        lot_id = await _lot_id(actor, item, lot, expires_on, create=True)
        key = StockKey(item.id, location_id, lot_id)
        event = rules.receive(item, key, quantity, note)
        await stock_repo.apply_delta(key, quantity)
        return await ledger.record(actor, event)


async def consume(actor: Actor, item_id: int, location_id: int, quantity: int, *,
                  lot: str | None = None, note: str = "") -> int:
    """A lot item consumed without a lot code: first expiry, first out (see
    consume_first_expiry); the first of its events is returned."""
    async with write_transaction():
        item = await items_repo.get(item_id, share=True)
        if item.tracking is Tracking.LOT and not (lot or "").strip():
            return (await consume_first_expiry(actor, item_id, location_id, quantity,
                                               note=note))[0][2]
        lot_id = await _lot_id(actor, item, lot, None, create=False)
        key = StockKey(item.id, location_id, lot_id)
        have = await stock_repo.on_hand(key, lock=True)
        event = rules.consume(item, key, have, quantity, await _where(location_id), note)
        await stock_repo.apply_delta(key, -quantity)
        return await ledger.record(actor, event)


async def consume_first_expiry(actor: Actor, item_id: int, location_id: int, quantity: int,
                               *, note: str = "") -> list[tuple[str, int, int]]:
    """Consume a lot item from the lots that expire first at the location, one event per
    lot taken from. Returns (lot code, quantity, event id) for each. Every row is written
    before the first event (PostgreSQL: row locks before the chain lock, server/db/ledger.py)."""
    async with write_transaction():
        item = await items_repo.get(item_id, share=True)
        lots = await stock_repo.lots_at(item.id, location_id)
        taken = rules.first_expiry_first(item, lots, quantity, await _where(location_id))
        events = []
        for lot, qty in taken:
            key = StockKey(item.id, location_id, lot.lot_id)
            events.append(rules.consume(item, key, lot.on_hand, qty, "", note))
            await stock_repo.apply_delta(key, -qty)
        ids = await ledger.record_many(actor, events)
        return [(lot.code, qty, event_id) for (lot, qty), event_id in zip(taken, ids, strict=True)]


async def adjust(actor: Actor, item_id: int, location_id: int, counted: int, reason: str, *,
                 lot: str | None = None) -> int:
    async with write_transaction():
        item = await items_repo.get(item_id, share=True)
        await places_repo.location(location_id=location_id)
        lot_id = await _lot_id(actor, item, lot, None, create=True)
        key = StockKey(item.id, location_id, lot_id)
        have = await stock_repo.on_hand(key, lock=True)
        event = rules.adjust(item, key, have, counted, reason)
        await stock_repo.apply_delta(key, counted - have)
        return await ledger.record(actor, event)


async def move(actor: Actor, item_id: int, from_location_id: int, to_location_id: int,
               quantity: int, *, lot: str | None = None, note: str = "") -> int:
    async with write_transaction():
        item = await items_repo.get(item_id, share=True)
        await _live_location(to_location_id, "to_location")
        lot_id = await _lot_id(actor, item, lot, None, create=False)
        source = StockKey(item.id, from_location_id, lot_id)
        have = await stock_repo.on_hand(source, lock=True)
        event = rules.move(item, source, to_location_id, have, quantity,
                           await _where(from_location_id), note)
        await stock_repo.apply_delta(source, -quantity)
        await stock_repo.apply_delta(StockKey(item.id, to_location_id, lot_id), quantity)
        return await ledger.record(actor, event)

"""Counted stock: receive, consume, adjust and move for quantity and lot items.

A stock row is the count of one item at one location (and one lot, for lot items).
Counts never go below zero unless the item allows negative stock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.items import Item
from server.domain.vocab import EventKind, Tracking

COUNTED = (Tracking.QUANTITY, Tracking.LOT)


@dataclass(frozen=True, slots=True)
class StockKey:
    item_id: int
    location_id: int
    lot_id: int | None = None


# One operation moves at most this many: a typo of a few extra digits is refused, and every
# count stays far inside the 64-bit integers that SQLite and PostgreSQL store.
MAX_QUANTITY = 1_000_000_000


def check_quantity(quantity: int, field: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput(f"{field} must be a whole number above zero", field=field)
    if quantity > MAX_QUANTITY:
        raise InvalidInput(f"{field} must be at most {MAX_QUANTITY:,}", field=field)
    return quantity


def _check_lot(item: Item, lot_id: int | None) -> None:
    if item.tracking is Tracking.LOT and lot_id is None:
        raise InvalidInput(f"item {item.sku} is tracked by lot: give a lot", field="lot")
    if item.tracking is Tracking.QUANTITY and lot_id is not None:
        raise InvalidInput(f"item {item.sku} is not tracked by lot", field="lot")


def receive(item: Item, key: StockKey, quantity: int, note: str = "") -> EventDraft:
    item.ensure_active("receive stock")
    item.ensure_tracking(*COUNTED, doing="receive a count (create units instead)")
    _check_lot(item, key.lot_id)
    check_quantity(quantity)
    return EventDraft(
        kind=EventKind.STOCK_RECEIVED,
        item_id=item.id,
        lot_id=key.lot_id,
        quantity=quantity,
        to_location_id=key.location_id,
        note=note,
    )


def _ensure_enough(item: Item, on_hand: int, quantity: int, where: str) -> None:
    if on_hand - quantity < 0 and not item.allow_negative:
        raise Conflict(
            f"not enough stock of {item.sku} at {where}: {on_hand} left, {quantity} asked",
            field="quantity",
            code="insufficient_stock",
            details={"on_hand": on_hand, "asked": quantity},
        )


def consume(
    item: Item, key: StockKey, on_hand: int, quantity: int, where: str, note: str = ""
) -> EventDraft:
    item.ensure_tracking(*COUNTED, doing="consume a count")
    _check_lot(item, key.lot_id)
    check_quantity(quantity)
    _ensure_enough(item, on_hand, quantity, where)
    return EventDraft(
        kind=EventKind.STOCK_CONSUMED,
        item_id=item.id,
        lot_id=key.lot_id,
        quantity=quantity,
        from_location_id=key.location_id,
        note=note,
    )


@dataclass(frozen=True, slots=True)
class LotOnHand:
    lot_id: int
    code: str
    expires_on: dt.date | None
    on_hand: int


def first_expiry_first(item: Item, lots: list[LotOnHand], quantity: int, where: str
                       ) -> list[tuple[LotOnHand, int]]:
    """Which lots a consumption that names no lot takes from: the lot that expires first
    (lots without an expiry last, then the oldest lot), and on into the next while the
    quantity is more than one lot holds. Going below zero needs a named lot."""
    item.ensure_tracking(Tracking.LOT, doing="take stock by expiry")
    check_quantity(quantity)
    order = sorted((lot for lot in lots if lot.on_hand > 0),
                   key=lambda lot: (lot.expires_on is None, lot.expires_on or dt.date.max,
                                    lot.lot_id))
    total = sum(lot.on_hand for lot in order)
    if total < quantity:
        raise Conflict(
            f"not enough stock of {item.sku} at {where}: {total} left, {quantity} asked",
            field="quantity", code="insufficient_stock",
            details={"on_hand": total, "asked": quantity})
    taken: list[tuple[LotOnHand, int]] = []
    left = quantity
    for lot in order:
        take = min(lot.on_hand, left)
        taken.append((lot, take))
        left -= take
        if left == 0:
            break
    return taken


def adjust(item: Item, key: StockKey, on_hand: int, counted: int, reason: str) -> EventDraft:
    item.ensure_tracking(*COUNTED, doing="adjust a count")
    _check_lot(item, key.lot_id)
    if isinstance(counted, bool) or not isinstance(counted, int):
        raise InvalidInput("counted must be a whole number", field="counted")
    if counted < 0 and not item.allow_negative:
        raise InvalidInput("counted must not be below zero", field="counted")
    if abs(counted) > MAX_QUANTITY:
        raise InvalidInput(f"counted must be at most {MAX_QUANTITY:,}", field="counted")
    if not reason.strip():
        raise InvalidInput("an adjustment needs a reason", field="reason")
    if counted == on_hand:
        raise Conflict(
            f"the count of {item.sku} there is already {counted}", field="counted", code="no_change"
        )
    diff = counted - on_hand
    return EventDraft(
        kind=EventKind.STOCK_ADJUSTED,
        item_id=item.id,
        lot_id=key.lot_id,
        quantity=abs(diff),
        from_location_id=key.location_id if diff < 0 else None,
        to_location_id=key.location_id if diff > 0 else None,
        note=reason.strip(),
        details={"counted": counted, "was": on_hand},
    )


def move(
    item: Item,
    source: StockKey,
    target_location_id: int,
    on_hand: int,
    quantity: int,
    where: str,
    note: str = "",
) -> EventDraft:
    item.ensure_tracking(*COUNTED, doing="move a count (move its units instead)")
    _check_lot(item, source.lot_id)
    check_quantity(quantity)
    if source.location_id == target_location_id:
        raise InvalidInput("the target location is the same as the source", field="to_location")
    if on_hand - quantity < 0:  # a move never goes negative, even when consume may
        raise Conflict(
            f"not enough stock of {item.sku} at {where}: {on_hand} left, {quantity} asked",
            field="quantity",
            code="insufficient_stock",
            details={"on_hand": on_hand, "asked": quantity},
        )
    return EventDraft(
        kind=EventKind.STOCK_MOVED,
        item_id=item.id,
        lot_id=source.lot_id,
        quantity=quantity,
        from_location_id=source.location_id,
        to_location_id=target_location_id,
        note=note,
    )

"""Switching an item's tracking mode in one operation that loses nothing.

quantity/lot -> serial: every counted piece becomes a unit at the same location (and lot).
Units collapsed by an earlier switch come back first, with their tags (still on their
labels), serials and fields: those collapsed at the piece's location, then any others of
the item, oldest first; only the pieces beyond them become new units.
serial -> quantity/lot: units still on hand collapse into counts per location; every unit
keeps its record and history (it is marked collapsed, not deleted).
quantity <-> lot: counts are assigned to one lot, or lots are merged per location."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.items import Item
from server.domain.stock import StockKey
from server.domain.units import Unit
from server.domain.vocab import EventKind, Status, Tracking

# What a unit becomes when its item stops tracking units: these count as stock.
COUNTED_WHEN_COLLAPSED = frozenset({Status.AVAILABLE, Status.RESERVED, Status.IN_REPAIR})
CHECKED_OUT_CHOICES = ("refuse", "check_in")


@dataclass
class ConversionPlan:
    events: list[EventDraft] = field(default_factory=list)
    new_units: list[StockKey] = field(default_factory=list)  # one entry per unit to create
    restore: list[tuple[Unit, StockKey]] = field(default_factory=list)  # collapsed, back here
    check_in: list[Unit] = field(default_factory=list)       # checked-out units to take back
    collapse: list[Unit] = field(default_factory=list)
    stock_deltas: Counter[StockKey] = field(default_factory=Counter)


def plan(item: Item, target: Tracking, stock: dict[StockKey, int], units: list[Unit], *,
         lot_id: int | None, on_checked_out: str = "refuse") -> ConversionPlan:
    """`lot_id` is the lot that counts go into when the target is `lot` and they have none."""
    if target == item.tracking:
        raise Conflict(f"item {item.sku} is already tracked by {target}", field="tracking",
                       code="no_change")
    negative = [(k, q) for k, q in stock.items() if q < 0]
    if negative:
        raise Conflict(f"item {item.sku} has negative stock ({negative[0][1]}): "
                       "adjust it to a real count first", code="negative_stock")
    out = ConversionPlan()
    out.events.append(EventDraft(kind=EventKind.ITEM_TRACKING_CHANGED, item_id=item.id,
                                 details={"from": item.tracking.value, "to": target.value}))
    if target is Tracking.SERIAL:
        _to_units(out, item, stock, units)
        return out
    if item.tracking is Tracking.SERIAL:
        _collapse(out, item, target, units, lot_id, on_checked_out)
        return out
    for key, qty in sorted(stock.items(), key=lambda kv: _order(kv[0])):
        if qty > 0:
            new_lot = lot_id if target is Tracking.LOT else None
            _shift(out, item, key, StockKey(item.id, key.location_id, new_lot), qty)
    return out


def _to_units(out: ConversionPlan, item: Item, stock: dict[StockKey, int],
              units: list[Unit]) -> None:
    keys = sorted((k for k, q in stock.items() if q > 0), key=_order)
    waiting = sorted((u for u in units if u.collapsed and u.status in COUNTED_WHEN_COLLAPSED),
                     key=lambda u: u.id)
    pieces = {k: stock[k] for k in keys}
    for same_place in (True, False):  # first where they were, then wherever pieces remain
        for key in keys:
            for unit in [u for u in waiting if u.location_id == key.location_id or not same_place]:
                if pieces[key] == 0:
                    break
                waiting.remove(unit)
                pieces[key] -= 1
                out.restore.append((unit, key))
    for key in keys:
        _shift(out, item, key, None, stock[key])
        out.new_units.extend([key] * pieces[key])
    for unit, key in out.restore:
        moved = unit.location_id if unit.location_id != key.location_id else None
        out.events.append(EventDraft(
            kind=EventKind.UNIT_RESTORED, item_id=item.id, unit_id=unit.id, lot_id=key.lot_id,
            from_location_id=moved, to_location_id=key.location_id,
            note="back from a count", details={"status": unit.status.value}))


def _collapse(out: ConversionPlan, item: Item, target: Tracking, units: list[Unit],
              lot_id: int | None, on_checked_out: str) -> None:
    if on_checked_out not in CHECKED_OUT_CHOICES:
        raise InvalidInput("say what happens to checked-out units: "
                           f"{' or '.join(CHECKED_OUT_CHOICES)}", field="on_checked_out")
    live = [u for u in units if not u.collapsed]
    out_now = [u for u in live if u.status is Status.CHECKED_OUT]
    if out_now and on_checked_out == "refuse":
        one = len(out_now) == 1
        raise Conflict(
            f"{len(out_now)} unit{'' if one else 's'} of {item.sku} {'is' if one else 'are'} "
            f"checked out (first: {out_now[0].tag}): check {'it' if one else 'them'} in "
            "first, or have them checked in as part of the change",
            field="on_checked_out", code="units_checked_out",
            details={"checked_out": [u.tag for u in out_now]},
        )
    out.check_in = out_now
    for unit in live:
        status = Status.AVAILABLE if unit.status is Status.CHECKED_OUT else unit.status
        out.collapse.append(unit)
        out.events.append(EventDraft(
            kind=EventKind.UNIT_COLLAPSED, item_id=item.id, unit_id=unit.id, lot_id=unit.lot_id,
            details={"status": status.value, "counted": status in COUNTED_WHEN_COLLAPSED,
                     "into": target.value},
        ))
        if status in COUNTED_WHEN_COLLAPSED:
            lot = (unit.lot_id or lot_id) if target is Tracking.LOT else None
            out.stock_deltas[StockKey(item.id, unit.location_id, lot)] += 1
    for key, qty in sorted(out.stock_deltas.items(), key=lambda kv: _order(kv[0])):
        out.events.append(EventDraft(kind=EventKind.STOCK_CONVERTED, item_id=item.id,
                                     lot_id=key.lot_id, quantity=qty,
                                     to_location_id=key.location_id,
                                     details={"from": "serial", "to": target.value}))


def _shift(out: ConversionPlan, item: Item, source: StockKey, dest: StockKey | None,
           qty: int) -> None:
    details = {"from": item.tracking.value}
    out.events.append(EventDraft(kind=EventKind.STOCK_CONVERTED, item_id=item.id,
                                 lot_id=source.lot_id, quantity=qty,
                                 from_location_id=source.location_id, details=details))
    out.stock_deltas[source] -= qty
    if dest is not None:
        out.events.append(EventDraft(kind=EventKind.STOCK_CONVERTED, item_id=item.id,
                                     lot_id=dest.lot_id, quantity=qty,
                                     to_location_id=dest.location_id, details=details))
        out.stock_deltas[dest] += qty


def _order(key: StockKey) -> tuple[int, int]:
    return (key.location_id, key.lot_id or 0)

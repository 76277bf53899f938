"""Stock rows and lots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db.engine import is_postgres
from server.db.rows import for_update
from server.db.tables import Lot, Stock
from server.domain.errors import NotFound
from server.domain.stock import LotOnHand, StockKey


def row_key(key: StockKey) -> str:
    return f"{key.item_id}:{key.location_id}:{key.lot_id or 0}"


async def _serialize(name: str) -> None:
    """PostgreSQL only: a lock held until the transaction ends, on a name rather than a
    row, so it works for rows that do not exist yet (SQLite's IMMEDIATE transaction
    already serializes every writer)."""
    if is_postgres():
        await Stock.raw("SELECT pg_advisory_xact_lock(hashtext({}))", name)


async def on_hand(key: StockKey, *, lock: bool = False) -> int:
    if lock:
        # One read-then-write of an item's stock at a time: a move locks its source and then
        # writes its target, so two moves in opposite directions would take the same two
        # rows in opposite orders and deadlock on PostgreSQL.
        await _serialize(f"stock:{key.item_id}")
    rows = await Stock.raw("SELECT quantity FROM stock WHERE key = {}"
                           + (for_update() if lock else ""), row_key(key))
    return int(rows[0]["quantity"]) if rows else 0


async def lots_at(item_id: int, location_id: int) -> list[LotOnHand]:
    """The lots of an item with stock at one location, locked like on_hand(lock=True)."""
    await _serialize(f"stock:{item_id}")
    rows = await Stock.raw(
        "SELECT s.lot, lo.code, lo.expires_on, s.quantity FROM stock s JOIN lot lo "
        "ON lo.id = s.lot WHERE s.item = {} AND s.location = {} AND s.quantity > 0",
        item_id, location_id)
    return [LotOnHand(int(r["lot"]), str(r["code"]), _date(r["expires_on"]),
                      int(r["quantity"])) for r in rows]


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


async def apply_delta(key: StockKey, delta: int) -> int:
    """Add `delta` to the row (creating it when needed) and return the new quantity.
    One statement on both engines, so concurrent writers never lose an update."""
    rows = await Stock.raw(
        "INSERT INTO stock (key, item, location, lot, quantity) VALUES ({}, {}, {}, {}, {}) "
        "ON CONFLICT (key) DO UPDATE SET quantity = stock.quantity + excluded.quantity "
        "RETURNING quantity",
        row_key(key), key.item_id, key.location_id, key.lot_id, delta,
    )
    return int(rows[0]["quantity"])


async def for_item(item_id: int, *, lock: bool = False) -> dict[StockKey, int]:
    rows = await Stock.raw("SELECT item, location, lot, quantity FROM stock WHERE item = {}"
                           " ORDER BY id" + (for_update() if lock else ""), item_id)
    return {StockKey(r["item"], r["location"], r["lot"]): int(r["quantity"]) for r in rows}


async def all_rows() -> dict[tuple[int, int, int | None], int]:
    rows = await Stock.raw("SELECT item, location, lot, quantity FROM stock WHERE quantity <> 0")
    return {(r["item"], r["location"], r["lot"]): int(r["quantity"]) for r in rows}


STOCK_SELECT = """
SELECT s.id, s.quantity, s.item AS item_id, i.sku AS item_sku, i.name AS item_name,
       i.unit_of_measure, s.location AS location_id, l.tag AS location_tag,
       l.name AS location_name, s.lot AS lot_id, lo.code AS lot_code,
       lo.expires_on AS lot_expires_on
FROM stock s JOIN item i ON i.id = s.item JOIN location l ON l.id = s.location
LEFT JOIN lot lo ON lo.id = s.lot
"""


def stock_where(*, item_id: int | None, location_ids: list[int] | None, lot_id: int | None,
                include_zero: bool) -> tuple[list[str], list[Any]]:
    """The stock list's filter as SQL conditions on `stock s` (the export shares it)."""
    where: list[str] = []
    args: list[Any] = []
    if item_id is not None:
        where.append("s.item = {}")
        args.append(item_id)
    if lot_id is not None:
        where.append("s.lot = {}")
        args.append(lot_id)
    if location_ids is not None:
        where.append(f"s.location IN ({', '.join('{}' for _ in location_ids) or 'NULL'})")
        args += location_ids
    if not include_zero:
        where.append("s.quantity <> 0")
    return where, args


async def list_stock(*, item_id: int | None, location_ids: list[int] | None,
                     lot_id: int | None, include_zero: bool, limit: int,
                     offset: int) -> tuple[list[dict[str, Any]], int]:
    where, args = stock_where(item_id=item_id, location_ids=location_ids, lot_id=lot_id,
                              include_zero=include_zero)
    cond = " AND ".join(where) or "1 = 1"
    total = await Stock.raw(f"SELECT COUNT(*) AS n FROM stock s WHERE {cond}", *args)
    rows = await Stock.raw(f"{STOCK_SELECT} WHERE {cond} ORDER BY i.sku, l.name, lo.code "
                           "LIMIT {} OFFSET {}", *args, limit, offset)
    return rows, int(total[0]["n"])


async def get_lot(item_id: int, code: str) -> dict[str, Any] | None:
    # Callers create the lot when it is missing: two first receipts of one new lot at the
    # same moment must not both insert it (the second would hit lot_item_code).
    await _serialize(f"lot:{item_id}:{code}")
    row: dict[str, Any] | None = await Lot.select().where(
        (Lot.item == item_id) & (Lot.code == code)).first()
    return row


async def lot_by_id(lot_id: int) -> dict[str, Any]:
    row = await Lot.select().where(Lot.id == lot_id).first()
    if row is None:
        raise NotFound(f"no lot {lot_id}", field="lot")
    return row


async def insert_lot(item_id: int, code: str, expires_on: dt.date | None) -> int:
    rows = await Lot.insert(Lot(item=item_id, code=code, expires_on=expires_on)).returning(Lot.id)
    return int(rows[0]["id"])

"""Reading whole tables for an export: chunks in id order (keyset paging, `id > last`), so
that memory stays constant however many rows there are and no chunk costs more than the
one before it (an OFFSET would rescan every skipped row).

The filters are the list endpoints', as SQL conditions from the lists' own repositories
(item_where, unit_where, stock_where, location_where, person_where); the stock, location
and people lists take keyword parameters, gathered here in dataclasses. The lists choose a
page by sort order and OFFSET, an export walks ids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from server.db.engine import fetch
from server.db.items_repo import COUNT_SQL, ItemFilter, item_where
from server.db.places_repo import location_where, person_where
from server.db.rows import load_json
from server.db.stock_repo import stock_where
from server.db.units_repo import UnitFilter, unit_where

CHUNK = 2000
Chunks = AsyncIterator[list[dict[str, Any]]]


def _marks(values: list[Any]) -> str:
    return ", ".join("{}" for _ in values) or "NULL"


async def _walk(sql: str, args: list[Any], chunk: int, id_column: str = "id") -> Chunks:
    """`sql` has `{last}` where the keyset condition goes and ends before ORDER BY."""
    last = 0
    while True:
        rows = await fetch(sql + " ORDER BY " + id_column + " LIMIT {}", *args, last, chunk)
        if rows:
            yield rows
        if len(rows) < chunk:
            return
        last = int(rows[-1]["id"])


async def items(f: ItemFilter, chunk: int = CHUNK) -> Chunks:
    """Items with `barcodes` (a list) added."""
    where, args = item_where(f)
    cond = " AND ".join(where) or "1 = 1"
    if f.low_stock:
        sql = (f"SELECT * FROM (SELECT i.*, {COUNT_SQL} FROM item i WHERE {cond}) t "
               "WHERE t.count <= t.reorder_point AND t.id > {}")
        args = [False, False, *args]
    else:
        sql = f"SELECT i.* FROM item i WHERE {cond} AND i.id > {{}}"
    async for rows in _walk(sql, args, chunk):
        await _add_barcodes(rows)
        yield rows


async def _add_barcodes(rows: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in rows]
    codes: dict[int, list[str]] = {}
    for b in await fetch(f"SELECT item, gtin FROM item_barcode WHERE item IN ({_marks(ids)})"
                         " ORDER BY gtin", *ids):
        codes.setdefault(b["item"], []).append(b["gtin"])
    for r in rows:
        r["barcodes"] = codes.get(r["id"], [])


async def items_by_id(ids: list[int]) -> dict[int, dict[str, Any]]:
    """These items (all columns and `barcodes`), by id."""
    if not ids:
        return {}
    rows = await fetch(f"SELECT * FROM item WHERE id IN ({_marks(ids)})", *ids)
    await _add_barcodes(rows)
    return {r["id"]: r for r in rows}


UNITS_SQL = """
SELECT u.id, u.tag, u.serial, u.status, u.condition, u.location, u.item, u.purchase_date,
       u.purchase_cost, u.warranty_end, u.custom,
       p.tag AS custodian_tag, p.name AS custodian_name, p.email AS custodian_email,
       p.badge_code AS custodian_badge
FROM unit u JOIN item i ON i.id = u.item LEFT JOIN person p ON p.id = u.custodian
"""


async def units(f: UnitFilter, chunk: int = CHUNK) -> Chunks:
    """Units with `item_row` added: their item's row (as items_by_id gives it)."""
    where, args = unit_where(f)
    cond = " AND ".join([*where, "u.id > {}"])
    async for rows in _walk(f"{UNITS_SQL} WHERE {cond}", args, chunk, "u.id"):
        found = await items_by_id(sorted({r["item"] for r in rows}))
        for r in rows:
            r["item_row"] = found[r["item"]]
        yield rows


@dataclass(frozen=True)
class StockFilter:
    item_id: int | None = None
    location_ids: list[int] | None = None
    lot_id: int | None = None
    include_zero: bool = False


STOCK_SQL = """
SELECT s.id, s.quantity, s.location, i.sku AS item_sku, lo.code AS lot_code,
       lo.expires_on AS lot_expires_on
FROM stock s JOIN item i ON i.id = s.item LEFT JOIN lot lo ON lo.id = s.lot
"""


async def stock(f: StockFilter, chunk: int = CHUNK) -> Chunks:
    where, args = stock_where(item_id=f.item_id, location_ids=f.location_ids,
                              lot_id=f.lot_id, include_zero=f.include_zero)
    cond = " AND ".join([*where, "s.id > {}"])
    async for rows in _walk(f"{STOCK_SQL} WHERE {cond}", args, chunk, "s.id"):
        yield rows


@dataclass(frozen=True)
class LocationFilter:
    parent_id: int | None = None
    root_only: bool = False
    q: str | None = None
    archived: bool | None = False


async def locations(f: LocationFilter, chunk: int = CHUNK) -> Chunks:
    where, args = location_where(parent_id=f.parent_id, root_only=f.root_only, q=f.q,
                                 archived=f.archived)
    cond = " AND ".join([*where, "id > {}"])
    async for rows in _walk(f"SELECT * FROM location WHERE {cond}", args, chunk):
        yield rows


@dataclass(frozen=True)
class PersonFilter:
    q: str | None = None
    active: bool | None = None


async def people(f: PersonFilter, chunk: int = CHUNK) -> Chunks:
    where, args = person_where(q=f.q, active=f.active)
    cond = " AND ".join([*where, "id > {}"])
    async for rows in _walk(f"SELECT * FROM person WHERE {cond}", args, chunk):
        yield rows


async def custom_field_defs(item_ids: list[int] | None = None) -> list[list[dict[str, Any]]]:
    """The custom field definitions of every item (or of these), each item's list once."""
    if item_ids is not None:
        rows = await fetch("SELECT DISTINCT CAST(custom_fields AS TEXT) AS custom_fields "
                           "FROM item WHERE id IN "
                           f"({_marks(item_ids)})", *item_ids)
    else:
        rows = await fetch("SELECT DISTINCT CAST(custom_fields AS TEXT) AS custom_fields FROM item")
    return [load_json(r["custom_fields"], []) for r in rows]


async def last_event_id() -> int:
    rows = await fetch("SELECT MAX(id) AS id FROM event")
    return int(rows[0]["id"] or 0)


EVENT_COLUMNS = ("id", "at", "actor_id", "actor", "kind", "item_id", "unit_id", "lot_id",
                 "quantity", "from_location_id", "to_location_id", "from_person_id",
                 "to_person_id", "note", "details", "prev_hash", "hash")


async def events(upto: int, chunk: int = CHUNK) -> Chunks:
    """Every event up to id `upto`, in id order (the chain's), all columns as stored."""
    sql = (f"SELECT {', '.join(EVENT_COLUMNS)} FROM event WHERE id <= {{}} AND id > {{}}")
    async for rows in _walk(sql, [upto], chunk):
        yield rows

"""Items and their barcodes; the catalog list with counts derived from units and stock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from server.db.rows import dump_json, for_share, for_update, item_from_row
from server.db.tables import Item as ItemRow
from server.db.tables import ItemBarcode
from server.domain.errors import ConcurrentChange, NotFound
from server.domain.items import Item

ITEM_SORTS = {"sku": "i.sku_key", "name": "i.name", "category": "i.category",
              "created_at": "i.created_at", "id": "i.id"}


async def get(item_id: int | None = None, *, sku: str | None = None,
              lock: bool = False, share: bool = False) -> Item:
    """`lock` to change the item; `share` to change rows that depend on its tracking mode."""
    suffix = for_update() if lock else for_share() if share else ""
    if item_id is not None:
        rows = await ItemRow.raw("SELECT * FROM item WHERE id = {}" + suffix, item_id)
    else:
        assert sku is not None
        rows = await ItemRow.raw("SELECT * FROM item WHERE sku_key = {}" + suffix, sku.lower())
    if not rows:
        raise NotFound(f"no item {'with SKU ' + sku if sku else item_id}", field="item")
    codes = await ItemBarcode.select(ItemBarcode.gtin).where(ItemBarcode.item == rows[0]["id"])
    return item_from_row(rows[0], [c["gtin"] for c in codes])


async def find_ids_by_gtin(gtins: set[str]) -> list[int]:
    rows = await ItemBarcode.select(ItemBarcode.item).where(ItemBarcode.gtin.is_in(list(gtins)))
    return sorted({r["item"] for r in rows})


async def sku_taken(sku: str, except_id: int | None = None) -> bool:
    q = ItemRow.exists().where(ItemRow.sku_key == sku.lower())
    if except_id is not None:
        q = ItemRow.exists().where((ItemRow.sku_key == sku.lower()) & (ItemRow.id != except_id))
    return bool(await q)


async def barcode_owner(gtin: str) -> int | None:
    row = await ItemBarcode.select(ItemBarcode.item).where(ItemBarcode.gtin == gtin).first()
    return None if row is None else int(row["item"])


def _values(item: Item) -> dict[str, Any]:
    return {
        "sku": item.sku, "sku_key": item.sku.lower(), "name": item.name,
        "description": item.description, "category": item.category,
        "unit_of_measure": item.unit_of_measure, "tracking": item.tracking.value,
        "reorder_point": item.reorder_point, "unit_cost": item.unit_cost,
        "loan_days": item.loan_days, "regulated": item.regulated,
        "allow_negative": item.allow_negative, "archived": item.archived,
        "custom_fields": dump_json([f.to_dict() for f in item.custom_fields]),
    }


async def insert(item: Item) -> int:
    rows = await ItemRow.insert(ItemRow(**_values(item))).returning(ItemRow.id)
    item_id = int(rows[0]["id"])
    await _save_barcodes(item_id, item.barcodes)
    return item_id


async def update(item: Item) -> None:
    """Write `item` if nobody changed it since it was read (optimistic check on version)."""
    values: dict[Any, Any] = _values(item)
    values["version"] = item.version + 1
    values["updated_at"] = dt.datetime.now(dt.UTC)
    rows = await ItemRow.update(values).where(
        (ItemRow.id == item.id) & (ItemRow.version == item.version)
    ).returning(ItemRow.id)
    if not rows:
        raise ConcurrentChange(f"item {item.sku} was changed by someone else: reload and retry")
    await ItemBarcode.delete().where(ItemBarcode.item == item.id)
    await _save_barcodes(item.id, item.barcodes)


async def _save_barcodes(item_id: int, barcodes: tuple[str, ...]) -> None:
    if barcodes:
        await ItemBarcode.insert(*[ItemBarcode(item=item_id, gtin=g) for g in barcodes])


@dataclass(frozen=True)
class ItemFilter:
    tracking: str | None = None
    category: str | None = None
    q: str | None = None
    location_ids: list[int] | None = None  # items with stock or units in these locations
    archived: bool | None = False
    low_stock: bool = False
    item_ids: list[int] | None = None  # only these (the tracking advisor's suggestions)


COUNT_SQL = """
CASE WHEN i.tracking = 'serial' THEN
  (SELECT COUNT(*) FROM unit u WHERE u.item = i.id AND u.collapsed = {}
     AND u.status IN ('available','checked_out','in_repair','reserved'))
ELSE (SELECT COALESCE(SUM(s.quantity), 0) FROM stock s WHERE s.item = i.id) END AS count,
CASE WHEN i.tracking = 'serial' THEN
  (SELECT COUNT(*) FROM unit u WHERE u.item = i.id AND u.collapsed = {}
     AND u.status = 'available')
ELSE (SELECT COALESCE(SUM(s.quantity), 0) FROM stock s WHERE s.item = i.id) END AS available
"""


def item_where(f: ItemFilter) -> tuple[list[str], list[Any]]:
    """The filter as SQL conditions on `item i` and their arguments (the list and the
    export share it)."""
    where: list[str] = ["1 = 1"]
    args: list[Any] = []
    if f.tracking:
        where.append("i.tracking = {}")
        args.append(f.tracking)
    if f.category:
        where.append("i.category = {}")
        args.append(f.category)
    if f.archived is not None:
        where.append("i.archived = {}")
        args.append(f.archived)
    if f.q:
        text = f.q.strip()
        like = f"%{text.lower()}%"
        where.append("(LOWER(i.sku) LIKE {} OR LOWER(i.name) LIKE {} OR i.id IN "
                     "(SELECT u.item FROM unit u WHERE u.tag = {} OR u.serial = {})"
                     " OR i.id IN (SELECT b.item FROM item_barcode b WHERE b.gtin LIKE {}))")
        args += [like, like, text.upper(), text, f"%{text}"]
    if f.location_ids is not None:
        marks = ", ".join("{}" for _ in f.location_ids) or "NULL"
        where.append(f"(i.id IN (SELECT s.item FROM stock s WHERE s.quantity <> 0 AND "
                     f"s.location IN ({marks})) OR i.id IN (SELECT u.item FROM unit u WHERE "
                     f"u.collapsed = {{}} AND u.location IN ({marks})))")
        args += [*f.location_ids, False, *f.location_ids]
    if f.item_ids is not None:
        where.append(f"i.id IN ({', '.join('{}' for _ in f.item_ids) or 'NULL'})")
        args += f.item_ids
    if f.low_stock:
        where.append("i.reorder_point IS NOT NULL")
    return where, args


async def list_items(f: ItemFilter, *, sort: str, descending: bool, limit: int,
                     offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of items with their derived counts. The page's ids are chosen first, without
    counts; the counts are then computed for those rows only (bench/bench_catalog.py)."""
    where, args = item_where(f)
    cond = " AND ".join(where)
    order = ITEM_SORTS[sort] + (" DESC" if descending else " ASC") + ", i.id ASC"
    if f.low_stock:  # the filter needs every candidate's count: one pass
        inner = f"SELECT i.*, {COUNT_SQL} FROM item i WHERE {cond}"
        outer = "WHERE t.count <= t.reorder_point"
        total = await ItemRow.raw(f"SELECT COUNT(*) AS n FROM ({inner}) t {outer}",
                                  False, False, *args)
        rows = await ItemRow.raw(
            f"SELECT * FROM ({inner}) t {outer} ORDER BY {order.replace('i.', 't.')} "
            "LIMIT {} OFFSET {}", False, False, *args, limit, offset)
        return rows, int(total[0]["n"])
    total = await ItemRow.raw(f"SELECT COUNT(*) AS n FROM item i WHERE {cond}", *args)
    page = await ItemRow.raw(f"SELECT i.id FROM item i WHERE {cond} ORDER BY {order} "
                             "LIMIT {} OFFSET {}", *args, limit, offset)
    ids = [r["id"] for r in page]
    if not ids:
        return [], int(total[0]["n"])
    marks = ", ".join("{}" for _ in ids)
    rows = await ItemRow.raw(f"SELECT i.*, {COUNT_SQL} FROM item i WHERE i.id IN ({marks})",
                             False, False, *ids)
    position = {item_id: n for n, item_id in enumerate(ids)}
    rows.sort(key=lambda r: position[r["id"]])
    return rows, int(total[0]["n"])


async def barcodes_of(item_ids: list[int]) -> dict[int, list[str]]:
    if not item_ids:
        return {}
    rows = await ItemBarcode.select().where(ItemBarcode.item.is_in(item_ids))
    out: dict[int, list[str]] = {}
    for r in rows:
        out.setdefault(r["item"], []).append(r["gtin"])
    return out


async def row_with_counts(item_id: int) -> dict[str, Any]:
    rows = await ItemRow.raw(f"SELECT i.*, {COUNT_SQL} FROM item i WHERE i.id = {{}}",
                             False, False, item_id)
    if not rows:
        raise NotFound(f"no item {item_id}", field="item")
    row: dict[str, Any] = rows[0]
    return row

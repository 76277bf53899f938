"""Units: load (optionally locked), insert in bulk, save with an optimistic version check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from server.db.engine import fetch
from server.db.rows import dump_json, for_update, unit_from_row
from server.db.tables import Unit as UnitRow
from server.domain.errors import ConcurrentChange, Conflict, NotFound
from server.domain.units import Unit

UNIT_SORTS = {"tag": "u.tag", "serial": "u.serial", "status": "u.status",
              "created_at": "u.created_at", "id": "u.id", "due_at": "u.due_at"}


async def get(*, tag: str | None = None, unit_id: int | None = None,
              lock: bool = False) -> Unit:
    col, value = ("tag", tag) if tag is not None else ("id", unit_id)
    rows = await fetch(f"SELECT * FROM unit WHERE {col} = {{}}"
                             + (for_update() if lock else ""), value)
    if not rows:
        raise NotFound(f"no unit {value}", field="unit")
    return unit_from_row(rows[0])


async def for_item(item_id: int, *, lock: bool = False) -> list[Unit]:
    rows = await fetch("SELECT * FROM unit WHERE item = {} ORDER BY id"
                             + (for_update() if lock else ""), item_id)
    return [unit_from_row(r) for r in rows]


async def by_serial(serial: str) -> list[Unit]:
    rows = await fetch("SELECT * FROM unit WHERE serial = {} ORDER BY id", serial)
    return [unit_from_row(r) for r in rows]


async def serials_taken(item_id: int, serials: list[str], except_id: int | None = None
                        ) -> list[str]:
    if not serials:
        return []
    q = UnitRow.select(UnitRow.serial).where(
        (UnitRow.item == item_id) & UnitRow.serial.is_in(serials))
    if except_id is not None:
        q = q.where(UnitRow.id != except_id)
    return sorted(r["serial"] for r in await q)


def _values(u: Unit) -> dict[str, Any]:
    return {
        "tag": u.tag, "item": u.item_id, "serial": u.serial, "status": u.status.value,
        "condition": u.condition.value, "location": u.location_id, "custodian": u.custodian_id,
        "due_at": u.due_at, "lot": u.lot_id, "purchase_date": u.purchase_date,
        "purchase_cost": u.purchase_cost, "warranty_end": u.warranty_end,
        "custom": dump_json(u.custom), "collapsed": u.collapsed,
    }


async def insert_many(units: list[Unit]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(units), 500):
        rows = await UnitRow.insert(*[UnitRow(**_values(u)) for u in units[start:start + 500]]
                                    ).returning(UnitRow.id)
        ids.extend(int(r["id"]) for r in rows)
    return ids


async def save(unit: Unit, *, read: Unit) -> None:
    """Write the unit if its version is still the one we read (`read`); otherwise someone
    else changed it first and this change loses with a clear conflict. Only the columns
    that changed are written: SQLite rewrites the entries of every index on a column named
    in SET, changed or not, and a unit has seven indexes."""
    before = _values(read)
    values = {k: v for k, v in _values(unit).items() if v != before[k]}
    values["version"] = unit.version
    values["updated_at"] = dt.datetime.now(dt.UTC)
    # Raw SQL: the query builder cost more than the UPDATE itself on the scan path.
    sets = ", ".join(f'"{column}" = {{}}' for column in values)
    rows = await fetch(
        f"UPDATE unit SET {sets} WHERE id = {{}} AND version = {{}} RETURNING id",
        *values.values(), unit.id, read.version)
    if not rows:
        raise ConcurrentChange(f"unit {unit.tag} was changed by someone else at the same "
                               "moment: look again and retry")


async def ensure_serials_free(item_id: int, serials: list[str | None],
                              except_id: int | None = None) -> None:
    real = [s for s in serials if s]
    taken = await serials_taken(item_id, real, except_id)
    if taken:
        raise Conflict(f"serial {taken[0]} is already used by another unit of this item",
                       field="serial", code="serial_taken")


@dataclass(frozen=True)
class UnitFilter:
    item_id: int | None = None
    status: str | None = None
    condition: str | None = None
    location_ids: list[int] | None = None
    custodian_id: int | None = None
    q: str | None = None
    include_collapsed: bool = False
    tags: list[str] | None = None  # only these tags (a label batch's range)


UNIT_SELECT = """
SELECT u.*, i.sku AS item_sku, i.name AS item_name, l.tag AS location_tag,
       l.name AS location_name, p.tag AS custodian_tag, p.name AS custodian_name,
       lo.code AS lot_code
FROM unit u JOIN item i ON i.id = u.item JOIN location l ON l.id = u.location
LEFT JOIN person p ON p.id = u.custodian LEFT JOIN lot lo ON lo.id = u.lot
"""


def unit_where(f: UnitFilter) -> tuple[list[str], list[Any]]:
    """The filter as SQL conditions on `unit u JOIN item i` and their arguments (the list
    and the export share it)."""
    where: list[str] = []
    args: list[Any] = []
    for column, value in (("u.item", f.item_id), ("u.status", f.status),
                          ("u.condition", f.condition), ("u.custodian", f.custodian_id)):
        if value is not None:
            where.append(f"{column} = {{}}")
            args.append(value)
    if not f.include_collapsed:
        where.append("u.collapsed = {}")
        args.append(False)
    if f.location_ids is not None:
        where.append(f"u.location IN ({', '.join('{}' for _ in f.location_ids) or 'NULL'})")
        args += f.location_ids
    if f.tags is not None:
        where.append(f"u.tag IN ({', '.join('{}' for _ in f.tags) or 'NULL'})")
        args += f.tags
    if f.q:
        text = f.q.strip()
        where.append("(u.tag = {} OR u.serial LIKE {} OR LOWER(i.sku) LIKE {} "
                     "OR LOWER(i.name) LIKE {})")
        args += [text.upper(), f"%{text}%", f"%{text.lower()}%", f"%{text.lower()}%"]
    return where, args


async def list_units(f: UnitFilter, *, sort: str, descending: bool, limit: int,
                     offset: int) -> tuple[list[dict[str, Any]], int]:
    where, args = unit_where(f)
    cond = " AND ".join(where) or "1 = 1"
    order = UNIT_SORTS[sort] + (" DESC" if descending else " ASC")
    total = await fetch(
        f"SELECT COUNT(*) AS n FROM unit u JOIN item i ON i.id = u.item WHERE {cond}", *args)
    rows = await fetch(f"{UNIT_SELECT} WHERE {cond} ORDER BY {order}, u.id ASC "
                             "LIMIT {} OFFSET {}", *args, limit, offset)
    return rows, int(total[0]["n"])


async def detail(unit_id: int) -> dict[str, Any]:
    rows = await fetch(f"{UNIT_SELECT} WHERE u.id = {{}}", unit_id)
    if not rows:
        raise NotFound(f"no unit {unit_id}", field="unit")
    return rows[0]

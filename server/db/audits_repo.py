"""Audits and their lines (rows <-> domain Line), the expected set, the listing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db.rows import dump_json, for_update, load_json
from server.db.tables import Audit, AuditLine
from server.db.tables import Unit as UnitRow
from server.domain.audits import UNIT, Line
from server.domain.errors import NotFound

_COLUMNS = {
    "unit_id": "unit",
    "item_id": "item",
    "lot_id": "lot",
    "location_id": "location",
    "custodian_id": "custodian",
    "scanned_location_id": "scanned_location",
}


def _line(r: dict[str, Any]) -> Line:
    return Line(
        id=r["id"],
        kind=r["kind"],
        unit_id=r["unit"],
        item_id=r["item"],
        lot_id=r["lot"],
        location_id=r["location"],
        custodian_id=r["custodian"],
        status=r["status"],
        scanned_location_id=r["scanned_location"],
        expected=bool(r["expected"]),
        found=bool(r["found"]),
        expected_quantity=r["expected_quantity"],
        counted_quantity=r["counted_quantity"],
        code=r["code"],
        scans=r["scans"],
    )


def _values(line: Line) -> dict[Any, Any]:
    values: dict[Any, Any] = {
        _COLUMNS.get(k, k): getattr(line, k) for k in Line.__slots__ if k != "id"
    }
    values["last_scanned_at"] = dt.datetime.now(dt.UTC) if line.scans else None
    return values


async def insert(location_id: int, include_sublocations: bool, started_by: str) -> int:
    rows = await Audit.insert(
        Audit(
            location=location_id, include_sublocations=include_sublocations, started_by=started_by
        )
    ).returning(Audit.id)
    return int(rows[0]["id"])


async def get(audit_id: int, *, lock: bool = False) -> dict[str, Any]:
    rows = await Audit.raw(
        "SELECT * FROM audit WHERE id = {}" + (for_update() if lock else ""), audit_id
    )
    if not rows:
        raise NotFound(f"no audit {audit_id}", field="audit")
    row: dict[str, Any] = rows[0]
    row["outcome"] = load_json(row["outcome"], {})
    return row


async def update(audit_id: int, values: dict[str, Any]) -> None:
    clean: dict[Any, Any] = dict(values)
    if "outcome" in clean:
        clean["outcome"] = dump_json(clean["outcome"])
    await Audit.update(clean).where(Audit.id == audit_id)


async def expected_set(location_ids: list[int]) -> list[Line]:
    """What the system believes is there: units on hand (not collapsed, retired, lost or
    checked out: a unit out is with a person, not on the shelf) and non-zero stock rows."""
    marks = ", ".join("{}" for _ in location_ids)
    units = await UnitRow.raw(
        f"SELECT id, item, location, status FROM unit WHERE location IN ({marks}) "
        "AND collapsed = {} AND status IN ('available', 'reserved', 'in_repair') ORDER BY id",
        *location_ids,
        False,
    )
    stock = await UnitRow.raw(
        f"SELECT item, location, lot, quantity FROM stock WHERE location IN ({marks}) "
        "AND quantity <> 0 ORDER BY item, location, lot",
        *location_ids,
    )
    return [
        Line(
            id=0,
            kind=UNIT,
            unit_id=r["id"],
            item_id=r["item"],
            location_id=r["location"],
            status=r["status"],
        )
        for r in units
    ] + [
        Line(
            id=0,
            kind="count",
            item_id=r["item"],
            lot_id=r["lot"],
            location_id=r["location"],
            expected_quantity=int(r["quantity"]),
        )
        for r in stock
    ]


async def insert_lines(audit_id: int, lines: list[Line]) -> None:
    for start in range(0, len(lines), 500):
        await AuditLine.insert(
            *[AuditLine(audit=audit_id, **_values(ln)) for ln in lines[start : start + 500]]
        )


async def save_line(audit_id: int, line: Line) -> int:
    if line.id == 0:
        rows = await AuditLine.insert(AuditLine(audit=audit_id, **_values(line))).returning(
            AuditLine.id
        )
        return int(rows[0]["id"])
    await AuditLine.update(_values(line)).where(AuditLine.id == line.id)
    return line.id


async def find_line(
    audit_id: int,
    *,
    unit_id: int | None = None,
    code: str | None = None,
    item_id: int | None = None,
    lot_id: int | None = None,
    location_id: int | None = None,
) -> Line | None:
    args: list[Any]
    if unit_id is not None:
        cond, args = "unit = {}", [unit_id]
    elif code is not None:
        cond, args = "kind = 'unknown' AND code = {}", [code]
    else:
        lot = "lot IS NULL" if lot_id is None else "lot = {}"
        cond = f"kind = 'count' AND item = {{}} AND location = {{}} AND {lot}"
        args = [item_id, location_id] + ([] if lot_id is None else [lot_id])
    rows = await AuditLine.raw(
        f"SELECT * FROM audit_line WHERE audit = {{}} AND {cond}", audit_id, *args
    )
    return _line(rows[0]) if rows else None


async def lines(audit_id: int) -> list[tuple[Line, dict[str, Any]]]:
    """Every line, with the names and tags a person reads."""
    rows = await AuditLine.raw(
        "SELECT a.*, u.tag AS unit_tag, u.serial AS unit_serial, i.sku AS item_sku, "
        "i.name AS item_name, lo.code AS lot_code, l.tag AS location_tag, "
        "l.name AS location_name, sl.tag AS scanned_location_tag, "
        "sl.name AS scanned_location_name, p.tag AS custodian_tag, p.name AS custodian_name "
        "FROM audit_line a LEFT JOIN unit u ON u.id = a.unit LEFT JOIN item i ON i.id = a.item "
        "LEFT JOIN lot lo ON lo.id = a.lot LEFT JOIN location l ON l.id = a.location "
        "LEFT JOIN location sl ON sl.id = a.scanned_location "
        "LEFT JOIN person p ON p.id = a.custodian WHERE a.audit = {} ORDER BY a.id",
        audit_id,
    )
    return [(_line(r), r) for r in rows]


async def progress(audit_id: int) -> dict[str, int]:
    """The running totals a phone shows after each scan, in one query."""
    rows = await AuditLine.raw(
        "SELECT "
        "SUM(CASE WHEN kind = 'unit' AND expected = {} THEN 1 ELSE 0 END) AS expected, "
        "SUM(CASE WHEN kind = 'unit' AND expected = {} AND found = {} THEN 1 ELSE 0 END) "
        "AS found, "
        "SUM(CASE WHEN kind = 'unit' AND expected = {} THEN 1 ELSE 0 END) AS unexpected, "
        "SUM(CASE WHEN kind = 'unknown' THEN 1 ELSE 0 END) AS unknown, "
        "SUM(CASE WHEN kind = 'count' AND counted_quantity IS NOT NULL THEN 1 ELSE 0 END) "
        "AS counted FROM audit_line WHERE audit = {}",
        True,
        True,
        True,
        False,
        audit_id,
    )
    return {k: int(v or 0) for k, v in rows[0].items()}


async def list_audits(
    *, status: str | None, location_ids: list[int] | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[str] = []
    args: list[Any] = []
    if status is not None:
        where.append("a.status = {}")
        args.append(status)
    if location_ids is not None:
        where.append(f"a.location IN ({', '.join('{}' for _ in location_ids) or 'NULL'})")
        args += location_ids
    cond = " AND ".join(where) or "1 = 1"
    total = await Audit.raw(f"SELECT COUNT(*) AS n FROM audit a WHERE {cond}", *args)
    rows = await Audit.raw(
        "SELECT a.*, l.tag AS location_tag, l.name AS location_name FROM audit a "
        f"JOIN location l ON l.id = a.location WHERE {cond} ORDER BY a.id DESC "
        "LIMIT {} OFFSET {}",
        *args,
        limit,
        offset,
    )
    for r in rows:
        r["outcome"] = load_json(r["outcome"], {})
    return rows, int(total[0]["n"])


async def stamp_audited(unit_ids: list[int], at: dt.datetime) -> None:
    for start in range(0, len(unit_ids), 500):
        await UnitRow.update({UnitRow.last_audited_at: at}).where(
            UnitRow.id.is_in(unit_ids[start : start + 500])
        )

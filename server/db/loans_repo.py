"""Quantity loans (rows <-> domain Loan) and the open-loans listing, units included."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db.engine import fetch
from server.db.rows import for_update, load_json
from server.db.search_repo import contains
from server.db.tables import Loan as LoanRow
from server.domain.loans import Loan


def _loan(r: dict[str, Any]) -> Loan:
    return Loan(
        id=r["id"],
        person_id=r["person"],
        item_id=r["item"],
        lot_id=r["lot"],
        from_location_id=r["from_location"],
        quantity_out=r["quantity_out"],
        quantity_returned=r["quantity_returned"],
        due_at=r["due_at"],
    )


async def insert(loan: Loan) -> int:
    rows = await LoanRow.insert(
        LoanRow(
            person=loan.person_id,
            item=loan.item_id,
            lot=loan.lot_id,
            from_location=loan.from_location_id,
            quantity_out=loan.quantity_out,
            quantity_returned=0,
            due_at=loan.due_at,
            status=loan.status,
        )
    ).returning(LoanRow.id)
    return int(rows[0]["id"])


async def open_for(
    person_id: int, item_id: int, lot_id: int | None, *, lock: bool = False
) -> list[Loan]:
    lot_cond = "lot IS NULL" if lot_id is None else "lot = {}"
    args: list[Any] = [person_id, item_id] + ([] if lot_id is None else [lot_id])
    rows = await LoanRow.raw(
        f"SELECT * FROM loan WHERE person = {{}} AND item = {{}} AND {lot_cond} "
        "AND status = 'open' ORDER BY id" + (for_update() if lock else ""),
        *args,
    )
    return [_loan(r) for r in rows]


async def save_returns(loans: list[Loan]) -> None:
    now = dt.datetime.now(dt.UTC)
    for loan in loans:
        await LoanRow.update(
            {
                LoanRow.quantity_returned: loan.quantity_returned,
                LoanRow.status: loan.status,
                LoanRow.closed_at: now if loan.status == "closed" else None,
            }
        ).where(LoanRow.id == loan.id)


async def all_loans() -> dict[int, tuple[int, int, int | None, int, int, str]]:
    """Every loan as the ledger rebuilds it: (person, item, lot, out, returned, status)."""
    rows = await LoanRow.select(
        LoanRow.id,
        LoanRow.person,
        LoanRow.item,
        LoanRow.lot,
        LoanRow.quantity_out,
        LoanRow.quantity_returned,
        LoanRow.status,
    )
    return {
        r["id"]: (
            r["person"],
            r["item"],
            r["lot"],
            r["quantity_out"],
            r["quantity_returned"],
            r["status"],
        )
        for r in rows
    }


# Open loans of both kinds in one shape: units out (custody on the unit row, since the
# unit's last check-out event) and quantity loans with something still outstanding.
_OPEN_LOANS = """
SELECT 'unit' AS kind, u.id AS id, u.tag AS unit_tag, u.serial AS serial,
       u.item AS item_id, i.sku AS item_sku, i.name AS item_name,
       NULL AS lot_code, 1 AS quantity, u.custodian AS person_id, p.tag AS person_tag,
       p.name AS person_name, u.due_at AS due_at, u.location AS location_id,
       l.tag AS location_tag, l.name AS location_name,
       (SELECT MAX(e.at) FROM event e WHERE e.unit_id = u.id
          AND e.kind = 'unit.checked_out') AS lent_at
FROM unit u JOIN item i ON i.id = u.item JOIN person p ON p.id = u.custodian
JOIN location l ON l.id = u.location
WHERE u.status = 'checked_out' AND u.collapsed = {}
UNION ALL
SELECT 'quantity' AS kind, n.id AS id, NULL AS unit_tag, NULL AS serial,
       n.item AS item_id, i.sku AS item_sku, i.name AS item_name,
       lo.code AS lot_code, n.quantity_out - n.quantity_returned AS quantity,
       n.person AS person_id, p.tag AS person_tag, p.name AS person_name,
       n.due_at AS due_at, n.from_location AS location_id, l.tag AS location_tag,
       l.name AS location_name, n.lent_at AS lent_at
FROM loan n JOIN item i ON i.id = n.item JOIN person p ON p.id = n.person
JOIN location l ON l.id = n.from_location LEFT JOIN lot lo ON lo.id = n.lot
WHERE n.status = 'open'
"""


def _moment(value: Any) -> dt.datetime | None:
    """A timestamp as an aware datetime: SQLite hands back text for a column of a UNION
    that is not a plain column in its first SELECT, and an event's details hold ISO text."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _dated(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        for key in ("due_at", "lent_at", "returned_at"):
            if key in row:
                row[key] = _moment(row[key])
    return rows


def _filters(person_id: int | None, item_id: int | None, overdue_at: dt.datetime | None,
             no_due: bool, q: str | None) -> tuple[str, list[Any]]:
    """The WHERE of a loans list over its rows `x` (open or closed, the same columns)."""
    where: list[str] = []
    args: list[Any] = []
    if person_id is not None:
        where.append("x.person_id = {}")
        args.append(person_id)
    if item_id is not None:
        where.append("x.item_id = {}")
        args.append(item_id)
    if overdue_at is not None:
        where.append("x.due_at IS NOT NULL AND x.due_at < {}")
        args.append(overdue_at)
    if no_due:
        where.append("x.due_at IS NULL")
    if q:  # a part of the unit's tag or serial, the item's SKU or name, the person, the lot
        where.append(
            "LOWER(COALESCE(x.unit_tag, '') || ' ' || COALESCE(x.serial, '') || ' ' || "
            "x.item_sku || ' ' || x.item_name || ' ' || x.person_name || ' ' || "
            "COALESCE(x.lot_code, '')) LIKE {} ESCAPE '!'"
        )
        args.append(contains(q))
    return " AND ".join(where) or "1 = 1", args


async def open_loans(
    *,
    person_id: int | None = None,
    item_id: int | None = None,
    overdue_at: dt.datetime | None = None,
    no_due: bool = False,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    cond, args = _filters(person_id, item_id, overdue_at, no_due, q)
    base = f"SELECT * FROM ({_OPEN_LOANS}) x WHERE {cond}"
    total = await LoanRow.raw(f"SELECT COUNT(*) AS n FROM ({base}) c", False, *args)
    rows = await LoanRow.raw(
        f"{base} ORDER BY CASE WHEN x.due_at IS NULL THEN 1 ELSE 0 END, x.due_at, "
        "x.kind, x.id LIMIT {} OFFSET {}",
        False,
        *args,
        limit,
        offset,
    )
    return _dated(rows), int(total[0]["n"])


# Closed loans, the history: a unit's loan ends with the event that takes it from its
# custodian (a check-in, or lost while out: from_person_id set on a unit's event); a
# quantity loan is closed when all of it came back. `returned_at` is when.
_CLOSED_LOANS = """
SELECT 'unit' AS kind, e.id AS id, u.id AS unit_id, u.tag AS unit_tag, u.serial AS serial,
       u.item AS item_id, i.sku AS item_sku, i.name AS item_name,
       NULL AS lot_code, 1 AS quantity, e.from_person_id AS person_id, p.tag AS person_tag,
       p.name AS person_name, NULL AS due_at, l.id AS location_id, l.tag AS location_tag,
       l.name AS location_name, NULL AS lent_at, e.at AS returned_at, e.kind AS ended_by
FROM event e JOIN unit u ON u.id = e.unit_id JOIN item i ON i.id = u.item
JOIN person p ON p.id = e.from_person_id
JOIN location l ON l.id = COALESCE(e.to_location_id, u.location)
WHERE e.unit_id IS NOT NULL AND e.from_person_id IS NOT NULL
UNION ALL
SELECT 'quantity' AS kind, n.id AS id, NULL AS unit_id, NULL AS unit_tag, NULL AS serial,
       n.item AS item_id, i.sku AS item_sku, i.name AS item_name,
       lo.code AS lot_code, n.quantity_out AS quantity,
       n.person AS person_id, p.tag AS person_tag, p.name AS person_name,
       n.due_at AS due_at, n.from_location AS location_id, l.tag AS location_tag,
       l.name AS location_name, n.lent_at AS lent_at, n.closed_at AS returned_at,
       'stock.returned' AS ended_by
FROM loan n JOIN item i ON i.id = n.item JOIN person p ON p.id = n.person
JOIN location l ON l.id = n.from_location LEFT JOIN lot lo ON lo.id = n.lot
WHERE n.status = 'closed'
"""
# A unit's loan began with its check-out just before the event that ended it; its due
# date is in that event's details. Looked up for the rows of one page only.
_CHECK_OUT_BEFORE = (
    "SELECT c.at, c.details FROM event c WHERE c.id = (SELECT MAX(b.id) FROM event b "
    "WHERE b.unit_id = {} AND b.kind = 'unit.checked_out' AND b.id < {})"
)


async def closed_loans(
    *,
    person_id: int | None = None,
    item_id: int | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Loans that ended, the latest first. A unit's row carries `lent_at` and `due_at` from
    its check-out event."""
    cond, args = _filters(person_id, item_id, None, False, q)
    base = f"SELECT * FROM ({_CLOSED_LOANS}) x WHERE {cond}"
    total = await fetch(f"SELECT COUNT(*) AS n FROM ({base}) c", *args)
    rows = await fetch(f"{base} ORDER BY x.returned_at DESC, x.kind, x.id DESC "
                       "LIMIT {} OFFSET {}", *args, limit, offset)
    for row in rows:
        if row["kind"] == "unit":
            began = await fetch(_CHECK_OUT_BEFORE, row["unit_id"], row["id"])
            if began:
                details = load_json(began[0]["details"], {})
                row["lent_at"] = began[0]["at"]
                row["due_at"] = details.get("due_at")
    return _dated(rows), int(total[0]["n"])


async def filter_choices(*, closed: bool, limit: int = 2000
                         ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The items and the people that appear in the open (or closed) loans, by name: what
    the loans page's filters offer."""
    union, args = (_CLOSED_LOANS, []) if closed else (_OPEN_LOANS, [False])
    items = await fetch(f"SELECT DISTINCT x.item_id AS id, x.item_sku AS sku, x.item_name AS "
                        f"name FROM ({union}) x ORDER BY x.item_name, x.item_id LIMIT {{}}",
                        *args, limit)
    people = await fetch(f"SELECT DISTINCT x.person_tag AS tag, x.person_name AS name FROM "
                         f"({union}) x ORDER BY x.person_name, x.person_tag LIMIT {{}}",
                         *args, limit)
    return items, people


async def held_by_people(item_id: int) -> int:
    """How much of a counted item people hold on open loans."""
    rows = await LoanRow.raw(
        "SELECT COALESCE(SUM(quantity_out - quantity_returned), 0) AS held FROM loan "
        "WHERE item = {} AND status = 'open'",
        item_id,
    )
    return int(rows[0]["held"])

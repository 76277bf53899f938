"""Quantity loans (rows <-> domain Loan) and the open-loans listing, units included."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db.rows import for_update
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


# Open loans of both kinds in one shape: units out (custody on the unit row) and quantity
# loans with something still outstanding.
_OPEN_LOANS = """
SELECT 'unit' AS kind, u.id AS id, u.tag AS unit_tag, u.serial AS serial,
       u.item AS item_id, i.sku AS item_sku, i.name AS item_name,
       NULL AS lot_code, 1 AS quantity, u.custodian AS person_id, p.tag AS person_tag,
       p.name AS person_name, u.due_at AS due_at, u.location AS location_id,
       l.tag AS location_tag, l.name AS location_name, NULL AS lent_at
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


async def open_loans(
    *,
    person_id: int | None = None,
    item_id: int | None = None,
    overdue_at: dt.datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
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
    cond = " AND ".join(where) or "1 = 1"
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
    return rows, int(total[0]["n"])


async def held_by_people(item_id: int) -> int:
    """How much of a counted item people hold on open loans."""
    rows = await LoanRow.raw(
        "SELECT COALESCE(SUM(quantity_out - quantity_returned), 0) AS held FROM loan "
        "WHERE item = {} AND status = 'open'",
        item_id,
    )
    return int(rows[0]["held"])

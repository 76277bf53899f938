"""The rows behind the stock, value, loan and shrinkage reports: one set-based statement
each, aggregated in the database; the rules applied to them are in server/domain/reports.py.

`Scope` narrows every query the same way: a location subtree (ids), a category, an item.
A stock event moves `quantity` out of `from_location_id` and into `to_location_id` (either
side may be empty: received, consumed, lent, returned), the same rule the ledger replay
(server/domain/ledger.py) applies, so a count as of a date is the sum of those movements."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from server.db.engine import fetch, is_postgres

ON_HAND = "('available','checked_out','in_repair','reserved')"
_LOT_KINDS = "('lot.created','lot.updated','lot.expiry_changed')"


@dataclasses.dataclass(frozen=True)
class Scope:
    location_ids: list[int] | None = None  # None: everywhere
    category: str = ""
    item_id: int | None = None


def _items(scope: Scope, alias: str = "i") -> tuple[str, list[Any]]:
    where: list[str] = [f"{alias}.archived = {{}}"]
    args: list[Any] = [False]
    if scope.category:
        where.append(f"{alias}.category = {{}}")
        args.append(scope.category)
    if scope.item_id is not None:
        where.append(f"{alias}.id = {{}}")
        args.append(scope.item_id)
    return " AND ".join(where), args


def _places(scope: Scope, column: str) -> tuple[str, list[Any]]:
    if scope.location_ids is None:
        return "1 = 1", []
    marks = ", ".join("{}" for _ in scope.location_ids) or "NULL"
    return f"{column} IN ({marks})", list(scope.location_ids)


async def on_hand(scope: Scope, *, by_location: bool, reorder_only: bool) -> list[dict[str, Any]]:
    """On hand per item (or per item and location): counts from stock rows, units that are
    ours (not retired, lost or collapsed). Driven from the items (those with a reorder
    point), each counted through the unit (item, status) and stock (item) indexes."""
    icond, iargs = _items(scope)
    if reorder_only:
        icond += " AND i.reorder_point IS NOT NULL"
    scond, sargs = _places(scope, "s.location")
    ucond, uargs = _places(scope, "u.location")
    if not by_location:
        return await fetch(
            "SELECT i.id AS item_id, CASE WHEN i.tracking = 'serial' THEN "
            "(SELECT COUNT(*) FROM unit u WHERE u.item = i.id AND u.collapsed = {} "
            f"AND u.status IN {ON_HAND} AND {ucond}) ELSE (SELECT COALESCE(SUM(s.quantity), 0) "
            f"FROM stock s WHERE s.item = i.id AND {scond}) END AS on_hand "
            f"FROM item i WHERE {icond}", False, *uargs, *sargs, *iargs)
    chosen = f"(SELECT i.id FROM item i WHERE {icond})"
    return await fetch(
        "SELECT s.item AS item_id, s.location AS location_id, SUM(s.quantity) AS on_hand "
        f"FROM stock s WHERE s.item IN {chosen} AND {scond} GROUP BY s.item, s.location "
        "UNION ALL SELECT u.item AS item_id, u.location AS location_id, COUNT(*) AS on_hand "
        f"FROM unit u WHERE u.item IN {chosen} AND {ucond} AND u.collapsed = {{}} "
        f"AND u.status IN {ON_HAND} GROUP BY u.item, u.location",
        *iargs, *sargs, *iargs, *uargs, False)


async def items(scope: Scope, *, reorder_only: bool = False) -> list[dict[str, Any]]:
    icond, iargs = _items(scope)
    if reorder_only:
        icond += " AND i.reorder_point IS NOT NULL"
    return await fetch(
        "SELECT i.id, i.sku, i.name, i.category, i.tracking, i.unit_of_measure, "
        f"i.reorder_point, i.unit_cost FROM item i WHERE {icond}", *iargs)


async def locations(ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    rows = await fetch(f"SELECT id, tag, name FROM location WHERE id IN ({marks})", *ids)
    return {r["id"]: r for r in rows}


async def value_today(scope: Scope, *, by_location: bool = True) -> list[dict[str, Any]]:
    """Per item (and location): the count and its value. Counted items at the item's unit
    cost; units at their purchase cost, else the item's unit cost (retired, lost and
    collapsed units are not ours to value). Units are summed on their own first (one pass
    over the table), then joined to their items: the other way round the planner fetches
    every unit through the item index. Without `by_location` the location is not read."""
    icond, iargs = _items(scope)
    scond, sargs = _places(scope, "s.location")
    ucond, uargs = _places(scope, "u.location")
    uloc = "u.location" if by_location else "CAST(NULL AS INTEGER)"
    ugroup = ", u.location" if by_location else ""
    return await fetch(
        "SELECT s.item AS item_id, s.location AS location_id, SUM(s.quantity) AS quantity, "
        "SUM(s.quantity) * MAX(COALESCE(i.unit_cost, 0)) AS value FROM stock s "
        f"JOIN item i ON i.id = s.item WHERE {icond} AND {scond} "
        "GROUP BY s.item, s.location HAVING SUM(s.quantity) <> 0 "
        "UNION ALL SELECT x.item_id, x.location_id, x.n AS quantity, "
        "x.costed + x.uncosted * COALESCE(i.unit_cost, 0) AS value FROM ("
        f"SELECT u.item AS item_id, {uloc} AS location_id, COUNT(*) AS n, "
        "COALESCE(SUM(u.purchase_cost), 0) AS costed, "
        "SUM(CASE WHEN u.purchase_cost IS NULL THEN 1 ELSE 0 END) AS uncosted FROM unit u "
        f"WHERE u.collapsed = {{}} AND u.status IN {ON_HAND} AND {ucond} "
        f"GROUP BY u.item{ugroup}) x JOIN item i ON i.id = x.item_id WHERE {icond}"
        + _ON_LOAN_TODAY.format(
            items=icond, everywhere="1 = 1" if scope.location_ids is None else "1 = 0"),
        *iargs, *sargs, False, *uargs, *iargs, *iargs)


# Quantities lent are still ours: valued as "on loan" (no location), where nothing narrows
# the report to a location. Today from the open loans; as of a date from the person side
# of the events (what the ledger replay calls holdings).
_ON_LOAN_TODAY = (
    " UNION ALL SELECT n.item AS item_id, NULL AS location_id, "
    "SUM(n.quantity_out - n.quantity_returned) AS quantity, "
    "SUM(n.quantity_out - n.quantity_returned) * MAX(COALESCE(i.unit_cost, 0)) AS value "
    "FROM loan n JOIN item i ON i.id = n.item WHERE n.status = 'open' AND {items} "
    "AND {everywhere} GROUP BY n.item")


async def counts_as_of(scope: Scope, moment: dt.datetime) -> list[dict[str, Any]]:
    """Per counted item and location: the sum of the stock movements up to `moment`."""
    icond, iargs = _items(scope)
    lcond, largs = _places(scope, "x.location_id")
    moves = ("SELECT e.item_id, {side} AS location_id, {sign} e.quantity AS q FROM event e "
             "WHERE e.unit_id IS NULL AND e.item_id IS NOT NULL AND e.quantity IS NOT NULL "
             f"AND {{side}} IS NOT NULL AND e.kind NOT IN {_LOT_KINDS} AND e.at <= {{{{}}}}")
    into = moves.format(side="e.to_location_id", sign="")
    out_of = moves.format(side="e.from_location_id", sign="-")
    if scope.location_ids is None:
        held = moves.replace("{side} AS location_id", "NULL AS location_id")
        into += " UNION ALL " + held.format(side="e.to_person_id", sign="")
        out_of += " UNION ALL " + held.format(side="e.from_person_id", sign="-")
    return await fetch(
        "SELECT x.item_id, x.location_id, SUM(x.q) AS quantity, "
        "SUM(x.q) * MAX(COALESCE(i.unit_cost, 0)) AS value "
        f"FROM ({into} UNION ALL {out_of}) x JOIN item i ON i.id = x.item_id "
        f"WHERE i.tracking <> 'serial' AND {icond} AND {lcond} "
        "GROUP BY x.item_id, x.location_id HAVING SUM(x.q) <> 0",
        *([moment] * (4 if scope.location_ids is None else 2)), *iargs, *largs)


async def unit_count(scope: Scope) -> int:
    """Units of the scope's items, any status (through the unit (item, status) index)."""
    icond, iargs = _items(scope)
    rows = await fetch(f"SELECT COUNT(*) AS n FROM unit u JOIN item i ON i.id = u.item "
                       f"WHERE {icond}", *iargs)
    return int(rows[0]["n"])


async def unit_events_until(scope: Scope, moment: dt.datetime) -> list[dict[str, Any]]:
    """The events of units of the scope's items up to `moment`, in order: replayed into
    each unit's place and status then (server/domain/ledger.py)."""
    icond, iargs = _items(scope)
    return await fetch(
        "SELECT e.id, e.kind, e.item_id, e.unit_id, e.to_location_id, e.from_person_id, "
        "e.to_person_id, e.details FROM event e JOIN unit u ON u.id = e.unit_id "
        f"JOIN item i ON i.id = u.item WHERE e.at <= {{}} AND {icond} ORDER BY e.id",
        moment, *iargs)


async def unit_costs(unit_ids: list[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for start in range(0, len(unit_ids), 5000):
        chunk = unit_ids[start:start + 5000]
        marks = ", ".join("{}" for _ in chunk)
        rows = await fetch(
            "SELECT u.id, COALESCE(u.purchase_cost, i.unit_cost, 0) AS cost FROM unit u "
            f"JOIN item i ON i.id = u.item WHERE u.id IN ({marks})", *chunk)
        out.update({r["id"]: float(r["cost"]) for r in rows})
    return out


async def unit_loan_tallies(scope: Scope, start_s: int, end_s: int,
                            now_s: int) -> list[dict[str, Any]]:
    """Per person, the check-outs of units that overlap [start_s, end_s) (epoch seconds),
    tallied in the database from the custody summary (one row per check-out, kept with
    each event, see migration 2026-11-29T15:20): returns, seconds held (open ones up to
    now), returns that had a due date and those back by it, out and overdue now. The due
    date is in the check-out event's details. A location narrows to units there now."""
    icond, iargs = _items(scope)
    lcond, largs = _places(scope, "u.location")
    due = ("EXTRACT(EPOCH FROM (CAST(e.details AS json) ->> 'due_at')::timestamptz)"
           if is_postgres() else "unixepoch(json_extract(e.details, '$.due_at'))")
    return await fetch(
        "SELECT x.person_id, COUNT(*) AS check_outs, "
        "SUM(CASE WHEN x.in_s IS NULL THEN 0 ELSE 1 END) AS returns, "
        "SUM(COALESCE(x.in_s, {}) - x.out_s) AS held_s, "
        "SUM(CASE WHEN x.in_s IS NOT NULL AND x.due IS NOT NULL THEN 1 ELSE 0 END) "
        "AS dated_returns, "
        "SUM(CASE WHEN x.in_s IS NOT NULL AND x.in_s <= x.due THEN 1 ELSE 0 END) AS on_time, "
        "SUM(CASE WHEN x.in_s IS NULL AND x.due < {} THEN 1 ELSE 0 END) AS overdue_now, "
        "SUM(CASE WHEN x.in_s IS NULL THEN 1 ELSE 0 END) AS out_now "
        f"FROM (SELECT c.person_id, c.out_s, c.in_s, {due} AS due FROM unit_custody c "
        "JOIN event e ON e.id = c.id JOIN item i ON i.id = c.item_id "
        "JOIN unit u ON u.id = c.unit_id "
        f"WHERE (c.in_s IS NULL OR c.in_s >= {{}}) AND c.out_s < {{}} AND {icond} "
        f"AND {lcond}) x WHERE x.person_id IS NOT NULL GROUP BY x.person_id",
        now_s, now_s, start_s, end_s, *iargs, *largs)


async def quantity_loans(scope: Scope, end: dt.datetime) -> list[dict[str, Any]]:
    icond, iargs = _items(scope)
    return await fetch(
        "SELECT n.person AS person_id, n.lent_at, n.due_at, n.closed_at AS returned_at, "
        "n.quantity_out AS quantity FROM loan n JOIN item i ON i.id = n.item "
        f"WHERE n.lent_at < {{}} AND {icond}", end, *iargs)


async def people(ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    rows = await fetch(f"SELECT id, tag, name FROM person WHERE id IN ({marks})", *ids)
    return {r["id"]: r for r in rows}


async def units_needing_care(scope: Scope, limit: int | None = None,
                             offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Units in repair or whose condition is not working (still ours), in the order they
    were made, with when each last changed; `limit`: one page (the total is counted)."""
    icond, iargs = _items(scope)
    lcond, largs = _places(scope, "u.location")
    base = (f"FROM unit u JOIN item i ON i.id = u.item WHERE {icond} AND {lcond} "
            "AND u.collapsed = {} AND (u.status = 'in_repair' OR (u.condition IN "
            f"('needs_repair', 'damaged') AND u.status IN {ON_HAND}))")
    args = [*iargs, *largs, False]
    total = int((await fetch(f"SELECT COUNT(*) AS n {base}", *args))[0]["n"])
    page = " LIMIT {} OFFSET {}" if limit is not None else ""
    rows = await fetch(
        "SELECT u.id, u.tag, u.serial, u.status, u.condition, i.sku, i.name, "
        "(SELECT MAX(e.at) FROM event e WHERE e.unit_id = u.id) AS since, "
        "(SELECT l.name FROM location l WHERE l.id = u.location) AS location_name, "
        "(SELECT p.name FROM person p WHERE p.id = u.custodian) AS custodian "
        f"{base} ORDER BY u.id{page}", *args, *([limit, offset] if limit is not None else []))
    return rows, total


async def shrinkage(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Counts adjusted down and units that went lost in [start, end): per event, with
    item, location and value (unit cost; a unit at its purchase cost). The events are
    picked by kind first (a materialized CTE: the planner would otherwise walk every unit
    of every item and its events)."""
    icond, iargs = _items(scope)
    lcond, largs = _places(scope, "e.from_location_id")
    ucond, uargs = _places(scope, "COALESCE(e.from_location_id, u.location)")
    return await fetch(
        "WITH adj AS MATERIALIZED (SELECT e.at, e.item_id, e.from_location_id, e.quantity "
        "FROM event e WHERE e.kind = 'stock.adjusted' AND e.from_location_id IS NOT NULL "
        "AND +e.unit_id IS NULL AND e.at >= {} AND e.at < {}), "
        "lost AS MATERIALIZED (SELECT e.at, e.unit_id, e.from_location_id FROM event e "
        "WHERE e.kind = 'unit.status_changed' AND e.at >= {} AND e.at < {} "
        "AND CAST(e.details AS TEXT) LIKE {}) "
        "SELECT e.at, e.item_id, e.from_location_id AS location_id, e.quantity, "
        "e.quantity * COALESCE(i.unit_cost, 0) AS value, 'adjusted down' AS cause "
        f"FROM adj e JOIN item i ON i.id = e.item_id WHERE {icond} AND {lcond} "
        "UNION ALL SELECT e.at, u.item AS item_id, COALESCE(e.from_location_id, u.location) "
        "AS location_id, 1 AS quantity, COALESCE(u.purchase_cost, i.unit_cost, 0) AS value, "
        "'unit lost' AS cause FROM lost e JOIN unit u ON u.id = e.unit_id "
        f"JOIN item i ON i.id = u.item WHERE {icond} AND {ucond}",
        start, end, start, end, '%"status": "lost"%', *iargs, *largs, *iargs, *uargs)


async def open_loans_due(before: dt.datetime) -> int:
    """Open loans (units and quantities) due before `before`."""
    rows = await fetch(
        "SELECT (SELECT COUNT(*) FROM unit u WHERE u.status = 'checked_out' AND "
        "u.collapsed = {} AND u.due_at < {}) + (SELECT COUNT(*) FROM loan n WHERE "
        "n.status = 'open' AND n.due_at < {}) AS n", False, before, before)
    return int(rows[0]["n"])


# Open loans, units and quantities, without the per-row look-ups of loans_repo's listing
# (a unit's check-out time is found for the rows of one page only).
_OPEN = (
    "SELECT 'unit' AS kind, u.id AS id, u.tag AS unit_tag, u.item AS item_id, 1 AS quantity, "
    "u.custodian AS person_id, u.due_at AS due_at, u.location AS location_id, "
    "NULL AS lot_id, NULL AS lent_at FROM unit u WHERE u.status = 'checked_out' "
    "AND u.collapsed = {} AND u.custodian IS NOT NULL "
    "UNION ALL SELECT 'quantity' AS kind, n.id AS id, NULL AS unit_tag, n.item AS item_id, "
    "n.quantity_out - n.quantity_returned AS quantity, n.person AS person_id, "
    "n.due_at AS due_at, n.from_location AS location_id, n.lot AS lot_id, "
    "n.lent_at AS lent_at FROM loan n WHERE n.status = 'open'")


async def open_loans(scope: Scope, *, overdue_at: dt.datetime | None, no_due: bool,
                     limit: int | None, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Open loans past due (`overdue_at`: now) or without a due date, the earliest due
    first, and how many there are; `limit` None: all of them."""
    icond, iargs = _items(scope)
    lcond, largs = _places(scope, "x.location_id")
    due = "x.due_at < {}" if overdue_at is not None else (
        "x.due_at IS NULL" if no_due else "1 = 1")
    args = [False, *iargs, *largs, *([overdue_at] if overdue_at is not None else [])]
    base = f"FROM ({_OPEN}) x JOIN item i ON i.id = x.item_id WHERE {icond} AND {lcond} AND {due}"
    total = int((await fetch(f"SELECT COUNT(*) AS n {base}", *args))[0]["n"])
    page = " LIMIT {} OFFSET {}" if limit is not None else ""
    rows = await fetch(
        "SELECT x.*, i.sku AS item_sku, i.name AS item_name, p.tag AS person_tag, "
        "p.name AS person_name, l.tag AS location_tag, l.name AS location_name, "
        "lo.code AS lot_code "
        f"FROM ({_OPEN}) x JOIN item i ON i.id = x.item_id "
        "JOIN person p ON p.id = x.person_id JOIN location l ON l.id = x.location_id "
        f"LEFT JOIN lot lo ON lo.id = x.lot_id WHERE {icond} AND {lcond} AND {due} "
        f"ORDER BY x.due_at, x.kind, x.id{page}",
        *args, *([limit, offset] if limit is not None else []))
    units = [r["id"] for r in rows if r["kind"] == "unit"]
    lent: dict[int, Any] = {}
    for start in range(0, len(units), 500):
        chunk = units[start:start + 500]
        marks = ", ".join("{}" for _ in chunk)
        for r in await fetch("SELECT unit_id, MAX(at) AS at FROM event WHERE unit_id IN "
                             f"({marks}) AND kind = 'unit.checked_out' GROUP BY unit_id", *chunk):
            lent[r["unit_id"]] = r["at"]
    for r in rows:
        if r["kind"] == "unit":
            r["lent_at"] = lent.get(r["id"])
    return rows, total

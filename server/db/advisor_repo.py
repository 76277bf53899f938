"""The figures the tracking advisor reads, for many items at once (server/domain/advisor.py).

Each source is one set-based statement grouped by item, never a query per item: the items
themselves, their units, their lots, their events in the period (one pass over the event
table for check-outs, loans, condition changes, repairs, audit scans and shrinkage, one for
moves), and GS1 scans that carried a serial. `facts()` joins them in Python by item id."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from server.db.engine import fetch, is_postgres
from server.db.rows import money
from server.domain.advisor import ItemFacts
from server.domain.vocab import Tracking

# A repair is a status change whose new status is in_repair (details as the ledger writes
# them: json.dumps with sort_keys, so `"from_status": "in_repair"` never matches).
REPAIR_DETAILS = '%"status": "in_repair"%'
# A scan answer names the serial a GS1 string carried (AI 21): `"serial":"..."`.
SERIAL_ANSWER = '%"serial":"%'


@dataclass(frozen=True)
class Scope:
    """Which items: one item, a category, those held in some locations; archived ones never."""

    item_ids: list[int] | None = None
    category: str | None = None
    location_ids: list[int] | None = None
    tracking: str | None = None


def _marks(values: list[Any]) -> str:
    return ", ".join("{}" for _ in values) or "NULL"


def _item_where(scope: Scope, alias: str = "i") -> tuple[str, list[Any]]:
    where: list[str] = [f"{alias}.archived = {{}}"]
    args: list[Any] = [False]
    if scope.item_ids is not None:
        where.append(f"{alias}.id IN ({_marks(scope.item_ids)})")
        args += scope.item_ids
    if scope.category:
        where.append(f"{alias}.category = {{}}")
        args.append(scope.category)
    if scope.tracking:
        where.append(f"{alias}.tracking = {{}}")
        args.append(scope.tracking)
    if scope.location_ids is not None:
        marks = _marks(scope.location_ids)
        where.append(f"({alias}.id IN (SELECT s.item FROM stock s WHERE s.quantity <> 0 AND "
                     f"s.location IN ({marks})) OR {alias}.id IN (SELECT u.item FROM unit u "
                     f"WHERE u.collapsed = {{}} AND u.location IN ({marks})))")
        args += [*scope.location_ids, False, *scope.location_ids]
    return " AND ".join(where), args


def _only(column: str, ids: list[int] | None) -> tuple[str, list[Any]]:
    if ids is None:
        return "", []
    return f" AND {column} IN ({_marks(ids)})", list(ids)


async def items(scope: Scope) -> list[dict[str, Any]]:
    where, args = _item_where(scope)
    return await fetch(
        "SELECT i.id, i.sku, i.name, i.category, i.tracking, i.unit_cost, i.regulated "
        f"FROM item i WHERE {where} ORDER BY i.sku_key", *args)


async def unit_figures(ids: list[int] | None, today: dt.date) -> dict[int, dict[str, Any]]:
    extra, args = _only("u.item", ids)
    rows = await fetch(
        "SELECT u.item AS item_id, COUNT(*) AS units, "
        "SUM(CASE WHEN u.serial IS NOT NULL AND u.serial <> '' THEN 1 ELSE 0 END) AS serials, "
        "MAX(CAST(u.purchase_cost AS NUMERIC)) AS top_cost, "
        "SUM(CASE WHEN u.warranty_end >= {} THEN 1 ELSE 0 END) AS under_warranty, "
        "MAX(CASE WHEN u.warranty_end >= {} THEN u.warranty_end END) AS warranty_until, "
        "SUM(CASE WHEN u.status = 'in_repair' OR u.condition <> 'working' THEN 1 ELSE 0 END) "
        "AS needing_repair "
        "FROM unit u WHERE u.collapsed = {} AND u.status NOT IN ('retired', 'lost')"
        f"{extra} GROUP BY u.item", today, today, False, *args)
    return {int(r["item_id"]): r for r in rows}


async def stock_figures(ids: list[int] | None) -> dict[int, dict[str, Any]]:
    extra, args = _only("s.item", ids)
    rows = await fetch("SELECT s.item AS item_id, COALESCE(SUM(s.quantity), 0) AS on_hand "
                       f"FROM stock s WHERE 1 = 1{extra} GROUP BY s.item", *args)
    return {int(r["item_id"]): r for r in rows}


async def lot_figures(ids: list[int] | None) -> dict[int, dict[str, Any]]:
    extra, args = _only("l.item", ids)
    rows = await fetch(
        "SELECT l.item AS item_id, COUNT(*) AS lots, "
        "SUM(CASE WHEN l.expires_on IS NOT NULL THEN 1 ELSE 0 END) AS with_expiry "
        f"FROM lot l WHERE 1 = 1{extra} GROUP BY l.item", *args)
    return {int(r["item_id"]): r for r in rows}


EVENT_KINDS = ("unit.checked_out", "stock.lent", "unit.condition_changed",
               "unit.status_changed", "unit.audited", "stock.adjusted")


async def event_figures(ids: list[int] | None, since: dt.datetime,
                        until: dt.datetime) -> dict[int, dict[str, Any]]:
    extra, args = _only("e.item_id", ids)
    rows = await fetch(
        "SELECT e.item_id, "
        "SUM(CASE WHEN e.kind IN ('unit.checked_out', 'stock.lent') THEN 1 ELSE 0 END) AS loans, "
        "COUNT(DISTINCT CASE WHEN e.kind IN ('unit.checked_out', 'stock.lent') "
        "THEN e.to_person_id END) AS borrowers, "
        "SUM(CASE WHEN e.kind = 'stock.lent' THEN e.quantity ELSE 0 END) AS lent_quantity, "
        "SUM(CASE WHEN e.kind = 'unit.condition_changed' THEN 1 ELSE 0 END) AS conditions, "
        "SUM(CASE WHEN e.kind = 'unit.status_changed' AND CAST(e.details AS TEXT) LIKE {} "
        "THEN 1 ELSE 0 END) AS repairs, "
        "SUM(CASE WHEN e.kind = 'unit.audited' THEN 1 ELSE 0 END) AS audited, "
        "SUM(CASE WHEN e.kind = 'stock.adjusted' AND e.from_location_id IS NOT NULL "
        "THEN 1 ELSE 0 END) AS shrink_times, "
        "SUM(CASE WHEN e.kind = 'stock.adjusted' AND e.from_location_id IS NOT NULL "
        "THEN e.quantity ELSE 0 END) AS shrink_quantity "
        "FROM event e WHERE e.at >= {} AND e.at < {} "
        f"AND e.kind IN ({_marks(list(EVENT_KINDS))}){extra} GROUP BY e.item_id",
        REPAIR_DETAILS, since, until, *EVENT_KINDS, *args)
    return {int(r["item_id"]): r for r in rows if r["item_id"] is not None}


async def moved_alone(ids: list[int] | None, since: dt.datetime,
                      until: dt.datetime) -> dict[int, int]:
    """Unit moves with no other unit of the same item moved to the same place in the same
    minute: a person moved that one unit on purpose, not a trolley of them."""
    minute = "date_trunc('minute', e.at)" if is_postgres() else "substr(e.at, 1, 16)"
    extra, args = _only("e.item_id", ids)
    rows = await fetch(
        "SELECT g.item_id, COUNT(*) AS alone FROM (SELECT e.item_id, e.to_location_id, "
        f"{minute} AS m, COUNT(*) AS n FROM event e WHERE e.kind = 'unit.moved' "
        f"AND e.at >= {{}} AND e.at < {{}}{extra} GROUP BY e.item_id, e.to_location_id, "
        f"{minute}) g WHERE g.n = 1 GROUP BY g.item_id", since, until, *args)
    return {int(r["item_id"]): int(r["alone"]) for r in rows if r["item_id"] is not None}


async def serial_scans(ids: list[int] | None) -> dict[int, int]:
    extra, args = _only("c.resolved_id", ids)
    rows = await fetch(
        "SELECT c.resolved_id AS item_id, COUNT(*) AS n FROM scan_log c "
        "WHERE c.resolved_kind = 'item' AND CAST(c.answer AS TEXT) LIKE {}"
        f"{extra} GROUP BY c.resolved_id", SERIAL_ANSWER, *args)
    return {int(r["item_id"]): int(r["n"]) for r in rows if r["item_id"] is not None}


def _int(row: dict[str, Any] | None, key: str) -> int:
    return int((row or {}).get(key) or 0)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


async def facts(scope: Scope, *, since: dt.datetime, until: dt.datetime,
                today: dt.date) -> list[ItemFacts]:
    """Every item in `scope` with its figures, by SKU. The per-source statements read all
    items when the scope is wide, and only the chosen ones when it names a few."""
    rows = await items(scope)
    if not rows:
        return []
    ids = [int(r["id"]) for r in rows] if len(rows) <= 500 else None
    units = await unit_figures(ids, today)
    stock = await stock_figures(ids)
    lots = await lot_figures(ids)
    events = await event_figures(ids, since, until)
    alone = await moved_alone(ids, since, until)
    scans = await serial_scans(ids)
    out = []
    for r in rows:
        i = int(r["id"])
        u, e, lot = units.get(i), events.get(i), lots.get(i)
        tracking = Tracking(r["tracking"])
        out.append(ItemFacts(
            item_id=i, sku=r["sku"], name=r["name"], tracking=tracking,
            category=r["category"] or "", unit_cost=money(r["unit_cost"]),
            regulated=bool(r["regulated"]),
            on_hand=_int(u, "units") if tracking is Tracking.SERIAL
            else _int(stock.get(i), "on_hand"),
            units=_int(u, "units"), units_with_serial=_int(u, "serials"),
            top_unit_cost=money((u or {}).get("top_cost")),
            under_warranty=_int(u, "under_warranty"),
            warranty_until=_date((u or {}).get("warranty_until")),
            lots=_int(lot, "lots"), lots_with_expiry=_int(lot, "with_expiry"),
            serial_scans=scans.get(i, 0),
            loans=_int(e, "loans"), borrowers=_int(e, "borrowers"),
            lent_quantity=_int(e, "lent_quantity"), condition_changes=_int(e, "conditions"),
            repairs=_int(e, "repairs"), needing_repair=_int(u, "needing_repair"),
            moved_alone=alone.get(i, 0), audited=_int(e, "audited"),
            shrink_times=_int(e, "shrink_times"), shrink_quantity=_int(e, "shrink_quantity"),
        ))
    return out


async def names(table: str, ids: set[int]) -> dict[int, dict[str, Any]]:
    """Tags and names (or lot codes) of a few locations, people or lots, for a plan."""
    if not ids:
        return {}
    cols = {"location": "id, tag, name", "person": "id, tag, name", "lot": "id, code AS tag, "
            "code AS name"}[table]
    marks = _marks(sorted(ids))
    rows = await fetch(f"SELECT {cols} FROM {table} WHERE id IN ({marks})", *sorted(ids))
    return {int(r["id"]): r for r in rows}


async def last_unit_id(item_id: int) -> int:
    rows = await fetch("SELECT COALESCE(MAX(id), 0) AS n FROM unit WHERE item = {}", item_id)
    return int(rows[0]["n"])


async def tags_after(item_id: int, unit_id: int) -> tuple[str, str] | None:
    """The first and last tag of the item's units made after `unit_id` (tags are issued in
    order, so a conversion's new units are one run)."""
    rows = await fetch("SELECT MIN(tag) AS first, MAX(tag) AS last FROM unit "
                       "WHERE item = {} AND id > {}", item_id, unit_id)
    if not rows or rows[0]["first"] is None:
        return None
    return str(rows[0]["first"]), str(rows[0]["last"])


async def event_count(item_id: int) -> int:
    rows = await fetch("SELECT COUNT(*) AS n FROM event WHERE item_id = {}", item_id)
    return int(rows[0]["n"])


async def marks() -> tuple[int, str, int]:
    """The newest event (id and chain hash) and scan-log id: every change of state writes an
    event (DESIGN.md, invariant 1), and a scan that changed nothing still logs its row, so
    figures computed at these marks stay true until either grows."""
    rows = await fetch(
        "SELECT e.id, e.hash, (SELECT COALESCE(MAX(id), 0) FROM scan_log) AS s FROM event e "
        "WHERE e.id = (SELECT MAX(id) FROM event)")
    if not rows:
        scans = await fetch("SELECT COALESCE(MAX(id), 0) AS s FROM scan_log")
        return 0, "", int(scans[0]["s"])
    return int(rows[0]["id"]), str(rows[0]["hash"] or ""), int(rows[0]["s"])


async def still_there(event_id: int, event_hash: str) -> bool:
    """The event of an earlier mark is still in the history (a restored or emptied
    database starts a different one)."""
    if event_id == 0:
        return True
    rows = await fetch("SELECT hash FROM event WHERE id = {}", event_id)
    return bool(rows) and str(rows[0]["hash"] or "") == event_hash


async def touched_since(event_id: int, scan_id: int, most: int) -> set[int] | None:
    """The items named by events and item scans after the marks; None when more than
    `most` (cheaper to read everything again)."""
    rows = await fetch(
        "SELECT DISTINCT item_id AS i FROM event WHERE id > {} AND item_id IS NOT NULL "
        "UNION SELECT DISTINCT resolved_id AS i FROM scan_log WHERE id > {} "
        "AND resolved_kind = 'item' AND resolved_id IS NOT NULL LIMIT {}",
        event_id, scan_id, most + 1)
    found = {int(r["i"]) for r in rows}
    return None if len(found) > most else found


async def held_in(location_ids: list[int]) -> set[int]:
    """Items with stock or units (not merged into counts) in these locations."""
    marks_ = _marks(location_ids)
    rows = await fetch(
        f"SELECT s.item AS i FROM stock s WHERE s.quantity <> 0 AND s.location IN ({marks_}) "
        f"UNION SELECT u.item AS i FROM unit u WHERE u.collapsed = {{}} "
        f"AND u.location IN ({marks_})", *location_ids, False, *location_ids)
    return {int(r["i"]) for r in rows}

"""Scans: the lookups of code resolution (each one indexed query) and the scan log."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, fields
from typing import Any

from server.db import ledger
from server.db.engine import fetch, is_postgres
from server.db.rows import load_json
from server.db.units_repo import UNIT_SELECT
from server.domain.actors import Actor
from server.domain.events import EventDraft

# Plain text is tried as a unit serial, a person's badge, an item SKU and a lot code in one
# round trip; resolve.py picks among the rows in that order (the resolver chain).
_TEXT_SQL = """
SELECT 'unit' AS kind, u.id, u.tag, u.item AS item_id, i.name, u.serial AS code,
       u.collapsed FROM unit u JOIN item i ON i.id = u.item WHERE u.serial = {}
UNION ALL
SELECT 'person', p.id, p.tag, NULL, p.name, p.badge_code, FALSE FROM person p
 WHERE p.badge_code = {}
UNION ALL
SELECT 'item', i.id, i.sku, i.id, i.name, i.sku, FALSE FROM item i WHERE i.sku_key = {}
UNION ALL
SELECT 'lot', lo.id, lo.code, lo.item, i.name, lo.code, FALSE FROM lot lo
  JOIN item i ON i.id = lo.item WHERE lo.code = {}
"""


async def unit_by_tag(tag: str) -> dict[str, Any] | None:
    """The unit as the API shows it (UNIT_SELECT row), by its tag."""
    rows = await fetch(f"{UNIT_SELECT} WHERE u.tag = {{}}", tag)
    return rows[0] if rows else None


async def location_by_tag(tag: str) -> dict[str, Any] | None:
    rows = await fetch("SELECT * FROM location WHERE tag = {}", tag)
    return rows[0] if rows else None


async def person_by_tag(tag: str) -> dict[str, Any] | None:
    rows = await fetch("SELECT * FROM person WHERE tag = {}", tag)
    return rows[0] if rows else None


async def items_by_gtins(gtins: set[str]) -> list[dict[str, Any]]:
    marks = ", ".join("{}" for _ in gtins)
    return await fetch(
        "SELECT DISTINCT i.id, i.sku, i.name, i.tracking FROM item_barcode b "
        f"JOIN item i ON i.id = b.item WHERE b.gtin IN ({marks}) ORDER BY i.id",
        *sorted(gtins),
    )


async def unit_by_item_serial(item_ids: list[int], serial: str) -> dict[str, Any] | None:
    marks = ", ".join("{}" for _ in item_ids)
    rows = await fetch(
        f"{UNIT_SELECT} WHERE u.item IN ({marks}) AND u.serial = {{}} ORDER BY u.id",
        *item_ids,
        serial,
    )
    return rows[0] if rows else None


async def lot_of(item_id: int, code: str) -> dict[str, Any] | None:
    rows = await fetch(
        "SELECT id, code, expires_on FROM lot WHERE item = {} AND code = {}", item_id, code
    )
    return rows[0] if rows else None


async def by_text(text: str) -> list[dict[str, Any]]:
    return await fetch(_TEXT_SQL, text, text, text.lower(), text)


# The scan log


KEY_INDEX = "scan_log_user_key"  # unique (idempotency_key, COALESCE(user_id, 0))


def is_duplicate_key(error: BaseException) -> bool:
    """The scan log's unique idempotency key (per user) was hit: the same scan of the same
    user is already stored."""
    if isinstance(error, sqlite3.IntegrityError):
        return f"index '{KEY_INDEX}'" in str(error)
    # asyncpg's UniqueViolationError (asyncpg is imported only on PostgreSQL)
    return getattr(error, "constraint_name", None) == KEY_INDEX


@dataclass(frozen=True)
class LogEntry:
    device_id: str
    user_id: int | None
    username: str
    code: str
    action: str
    ok: bool
    status: int
    error_code: str | None
    resolved_kind: str | None
    resolved_id: int | None
    event_id: int | None
    scanned_at: dt.datetime | None
    idempotency_key: str | None
    answer: str  # the answer's JSON, exactly as sent


_LOG_COLUMNS = tuple(f.name for f in fields(LogEntry))
# Raw SQL: one row per scan, and the query builder cost twice the INSERT itself.
_LOG_INSERT = (
    f"INSERT INTO scan_log ({', '.join(_LOG_COLUMNS)}, received_at) "
    f"VALUES ({', '.join('{}' for _ in _LOG_COLUMNS)}, {{}}) RETURNING id"
)


async def insert(entry: LogEntry) -> int:
    values = [getattr(entry, name) for name in _LOG_COLUMNS]
    rows = await fetch(_LOG_INSERT, *values, dt.datetime.now(dt.UTC))
    return int(rows[0]["id"])


async def insert_with_event(actor: Actor, draft: EventDraft, entry: LogEntry,
                            answer_before: str, answer_after: str) -> int:
    """PostgreSQL: append the scan's event and write its log row in one statement
    (tagtrack_append_scan, migration 2026-11-29T15:50), the answer being the text around
    the event's id; the event's id. (`entry.event_id` and `entry.answer` are not used.)"""
    values = [getattr(entry, name) for name in _LOG_COLUMNS if name not in ("event_id", "answer")]
    return await ledger.append_with(actor, draft, "tagtrack_append_scan",
                                    [*values, answer_before, answer_after, dt.datetime.now(dt.UTC)])


async def by_key(user_id: int | None, key: str) -> dict[str, Any] | None:
    """The scan a user stored under an idempotency key: keys are scoped per user, so
    another user's scan with the same key is another scan."""
    rows = await fetch(
        "SELECT code, action, status, answer FROM scan_log "
        "WHERE idempotency_key = {} AND COALESCE(user_id, 0) = {}",
        key,
        user_id or 0,
    )
    if not rows:
        return None
    row: dict[str, Any] = rows[0]
    return row


async def list_scans(
    *, device_id: str | None, username: str | None, ok: bool | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where, args = [], []
    for column, value in (("device_id", device_id), ("username", username), ("ok", ok)):
        if value is not None:
            where.append(f"{column} = {{}}")
            args.append(value)
    cond = " AND ".join(where) or "1 = 1"
    total = await fetch(f"SELECT COUNT(*) AS n FROM scan_log WHERE {cond}", *args)
    rows = await fetch(
        f"SELECT * FROM scan_log WHERE {cond} ORDER BY id DESC LIMIT {{}} OFFSET {{}}",
        *args,
        limit,
        offset,
    )
    for row in rows:
        row["answer"] = load_json(row["answer"], {})
    return rows, int(total[0]["n"])


async def checked_out_at(unit_id: int) -> dt.datetime | None:
    """When the unit's current check-out happened (its last check-out event)."""
    rows = await fetch(
        "SELECT at FROM event WHERE unit_id = {} AND kind = {} ORDER BY id DESC LIMIT 1",
        unit_id,
        "unit.checked_out",
    )
    return _aware(rows[0]["at"]) if rows else None


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def on_hand(item_id: int, location_id: int, lot_code: str | None) -> int:
    sql = (
        "SELECT COALESCE(SUM(s.quantity), 0) AS n FROM stock s LEFT JOIN lot lo "
        "ON lo.id = s.lot WHERE s.item = {} AND s.location = {}"
    )
    args: list[Any] = [item_id, location_id]
    if lot_code:
        sql += " AND lo.code = {}"
        args.append(lot_code)
    rows = await fetch(sql, *args)
    return int(rows[0]["n"])


async def counter_value(name: str) -> int:
    rows = await fetch("SELECT value FROM counter WHERE name = {}", name)
    return int(rows[0]["value"]) if rows else 0


async def serialize(name: str) -> None:
    """PostgreSQL: hold a lock on a name until the transaction ends (SQLite's IMMEDIATE
    transaction already serializes writers)."""
    if is_postgres():
        await fetch("SELECT pg_advisory_xact_lock(hashtext({}))", name)


async def location_chain(location_id: int) -> list[dict[str, Any]]:
    """The location and its ancestors (id, parent, name, tag), for its path."""
    return await fetch(
        "WITH RECURSIVE up(id, parent, name, tag) AS (SELECT id, parent, name, tag FROM "
        "location WHERE id = {} UNION ALL SELECT l.id, l.parent, l.name, l.tag FROM location l "
        "JOIN up ON l.id = up.parent) SELECT id, parent, name, tag FROM up",
        location_id,
    )


async def lot_row(lot_id: int) -> dict[str, Any] | None:
    rows = await fetch(
        "SELECT lo.id, lo.code, lo.expires_on, lo.item AS item_id, i.sku AS item_sku, "
        "i.name AS item_name, (SELECT COALESCE(SUM(s.quantity), 0) FROM stock s "
        "WHERE s.lot = lo.id) AS quantity FROM lot lo JOIN item i ON i.id = lo.item "
        "WHERE lo.id = {}",
        lot_id,
    )
    return rows[0] if rows else None

"""Imports: the snapshot a plan is made against (every key of a kind, loaded once), the
set-based writes of a commit (ids drawn in bulk, rows inserted and updated many at a time,
never a round trip per row), the import runs and the saved mappings.

Bulk writes run inside the caller's write transaction. On SQLite the statements run on the
connection the transaction holds (executemany, a few thousand rows per call, giving other
tasks a turn between calls); on PostgreSQL new rows go in by COPY and updates by one
UPDATE ... FROM (VALUES ...) per chunk that checks each row's version, so a row changed by
someone else since the plan was made fails the whole import (ConcurrentChange) instead of
being overwritten."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from server.db.engine import current_engine, fetch, is_postgres
from server.db.rows import dump_json, item_from_row, load_json, unit_from_row
from server.domain.errors import ConcurrentChange, NotFound
from server.domain.import_plan import Person, Snapshot

CHUNK = 2000  # rows per executemany call or COPY on the way in
UPDATE_CHUNK = 500  # rows per UPDATE ... FROM (VALUES ...) on PostgreSQL


# --- the snapshot ------------------------------------------------------------------------

async def snapshot(kind: str, tags: set[str] | None = None,
                   serials: set[str] | None = None) -> Snapshot:
    """Every item, location, person and lot (a file may name any of them); units only
    those whose tag or serial the file names, when given (a small file on a big database
    loads a few units, not all of them)."""
    s = Snapshot()
    barcodes: dict[int, list[str]] = {}
    for r in await fetch("SELECT item, gtin FROM item_barcode"):
        barcodes.setdefault(r["item"], []).append(r["gtin"])
        s.gtins[r["gtin"]] = r["item"]
    for r in await fetch("SELECT * FROM item"):
        item = item_from_row(r, barcodes.get(r["id"], []))
        s.items[item.sku.lower()] = item
    for r in await fetch("SELECT id, name, parent, archived FROM location"):
        s.locations.setdefault((r["parent"], r["name"].casefold()), r["id"])
        s.location_names[r["id"]] = r["name"]
        s.location_parents[r["id"]] = r["parent"]
        if r["archived"]:
            s.archived_locations.add(r["id"])
    for r in await fetch("SELECT id, tag, name, email, badge_code FROM person ORDER BY id"):
        s.people[r["id"]] = Person(r["id"], r["tag"], r["name"], r["email"] or "",
                                   r["badge_code"])
    for r in await fetch("SELECT id, item, code, expires_on FROM lot"):
        s.lots[(r["item"], r["code"])] = (r["id"], _date(r["expires_on"]))
    if kind == "units":
        for r in await _units(tags, serials):
            unit = unit_from_row(r)
            s.units[unit.tag] = unit
            if unit.serial:
                s.serials.setdefault((unit.item_id, unit.serial), unit.tag)
        rows = await fetch("SELECT value FROM counter WHERE name = {}", "U")
        s.unit_tag_counter = int(rows[0]["value"]) if rows else 0
    if kind == "stock":
        for r in await fetch("SELECT item, location, lot, quantity FROM stock"):
            s.stock[(r["item"], r["location"], r["lot"])] = int(r["quantity"])
    return s


async def _units(tags: set[str] | None, serials: set[str] | None) -> list[dict[str, Any]]:
    if tags is None or serials is None:
        return await fetch("SELECT * FROM unit")
    rows: dict[int, dict[str, Any]] = {}
    for column, keys in (("tag", sorted(tags)), ("serial", sorted(serials))):
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            for r in await fetch(f"SELECT * FROM unit WHERE {column} IN "
                                 f"({', '.join('{}' for _ in chunk)})", *chunk):
                rows[r["id"]] = r
    return list(rows.values())


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


async def last_event_id() -> int:
    rows = await fetch("SELECT MAX(id) AS id FROM event")
    return int(rows[0]["id"] or 0)


async def events_since(event_id: int) -> list[dict[str, Any]]:
    """What happened since a plan's snapshot: which records later events touched."""
    return await fetch("SELECT kind, item_id, unit_id, to_location_id, from_location_id, "
                       "lot_id FROM event WHERE id > {}", event_id)


# --- bulk writes -------------------------------------------------------------------------

def db_time(when: dt.datetime) -> Any:
    """A timestamp as the driver writes it: the text SQLite stores (made once for a whole
    import instead of once per row by the adapter), the datetime itself for PostgreSQL."""
    if is_postgres():
        return when
    from piccolo.engine.sqlite import convert_datetime_in

    return convert_datetime_in(when)


async def next_ids(table: str, n: int) -> list[int]:
    """Ids for n new rows of `table`, inside the write transaction."""
    if n == 0:
        return []
    if is_postgres():
        rows = await fetch(f"SELECT nextval('{table}_id_seq') AS id FROM generate_series(1, {{}})",
                           n)
        return sorted(int(r["id"]) for r in rows)
    rows = await fetch(f"SELECT COALESCE(MAX(id), 0) AS id FROM {table}")
    last = int(rows[0]["id"])
    return list(range(last + 1, last + n + 1))


async def raise_counter(name: str, at_least: int) -> None:
    """Tags issued outside the counter (pre-printed ones claimed by an import) are never
    issued again."""
    await fetch("INSERT INTO counter (name, value) VALUES ({}, {}) ON CONFLICT (name) DO "
                "UPDATE SET value = CASE WHEN counter.value < excluded.value THEN "
                "excluded.value ELSE counter.value END", name, at_least)


async def insert(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    txn = current_engine().current_transaction.get()
    assert txn is not None, "bulk writes run inside write_transaction"
    if is_postgres():
        for start in range(0, len(rows), CHUNK * 5):
            await txn.connection.copy_records_to_table(
                table, records=rows[start:start + CHUNK * 5],
                columns=list(columns))
        return
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)})")
    await _sqlite_many(txn.connection, sql, rows)


async def _sqlite_many(conn: Any, sql: str, rows: list[tuple[Any, ...]]) -> int:
    raw = getattr(conn, "_inline", None)
    done = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]  # piccolo's adapters type dates and decimals
        if raw is not None:
            done += raw.executemany(sql, chunk).rowcount
            await asyncio.sleep(0)  # a turn for the scans between chunks
        else:
            cursor = await conn.executemany(sql, chunk)
            done += cursor.rowcount
    return done


async def update(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]],
                 types: Sequence[str], *, versioned: bool = True) -> None:
    """Rows are (id, version read, *values of columns). Each row is written only if its
    version is still the one read; any that is not fails the whole import. Bumps
    version (when `versioned`)."""
    if not rows:
        return
    txn = current_engine().current_transaction.get()
    assert txn is not None, "bulk writes run inside write_transaction"
    bump = ", version = version + 1" if versioned else ""
    if not is_postgres():
        sets = ", ".join(f'"{c}" = ?' for c in columns)
        check = " AND version = ?" if versioned else ""
        sql = f"UPDATE {table} SET {sets}{bump} WHERE id = ?{check}"
        ordered = [(*r[2:], r[0], r[1]) if versioned else (*r[2:], r[0]) for r in rows]
        done = await _sqlite_many(txn.connection, sql, ordered)
    else:
        done = 0
        names = ["id", "version", *columns]
        sets = ", ".join(f'"{c}" = v."{c}"' for c in columns)
        bump = ", version = t.version + 1" if versioned else ""
        check = " AND t.version = v.version" if versioned else ""
        all_types = ["int", "int", *types]
        for start in range(0, len(rows), UPDATE_CHUNK):
            chunk = rows[start:start + UPDATE_CHUNK]
            width = len(names)
            values = ", ".join(
                "(" + ", ".join(f"${i * width + j + 1}::{all_types[j]}" for j in range(width))
                + ")" for i in range(len(chunk)))
            sql = (f"UPDATE {table} AS t SET {sets}{bump} FROM (VALUES {values}) "
                   f"AS v({', '.join(chr(34) + n + chr(34) for n in names)}) "
                   f"WHERE t.id = v.id{check} RETURNING t.id")
            got = await txn.connection.fetch(sql, *(v for r in chunk for v in r))
            done += len(got)
    if done != len(rows):
        raise ConcurrentChange(f"{len(rows) - done} of the {table.replace('_', ' ')} rows this "
                               "import changes were changed by someone else meanwhile: "
                               "check the file again and commit")


async def delete_barcodes(item_ids: list[int]) -> None:
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start:start + 500]
        await fetch(f"DELETE FROM item_barcode WHERE item IN ({', '.join('{}' for _ in chunk)})",
                    *chunk)


async def add_stock(rows: list[tuple[str, int, int, int | None, int]]) -> None:
    """(key, item, location, lot, delta) each: added to the row, made when missing."""
    sql = ("INSERT INTO stock (key, item, location, lot, quantity) VALUES ({}, {}, {}, {}, {}) "
           "ON CONFLICT (key) DO UPDATE SET quantity = stock.quantity + excluded.quantity")
    if not rows:
        return
    txn = current_engine().current_transaction.get()
    assert txn is not None
    if is_postgres():
        native = sql.replace("{}", "$%d") % tuple(range(1, 6))
        await txn.connection.executemany(native, rows)
        return
    await _sqlite_many(txn.connection, sql.replace("{}", "?"), list(rows))


# --- runs --------------------------------------------------------------------------------

RUN_JSON = ("options", "mapping", "counts", "errors", "changes")


async def create_run(values: dict[str, Any]) -> int:
    cols = list(values)
    args = [dump_json(values[c]) if c in RUN_JSON else values[c] for c in cols]
    rows = await fetch(f"INSERT INTO import_run ({', '.join(cols)}) VALUES "
                       f"({', '.join('{}' for _ in cols)}) RETURNING id", *args)
    return int(rows[0]["id"])


async def update_run(run_id: int, values: dict[str, Any]) -> None:
    cols = list(values)
    args = [dump_json(values[c]) if c in RUN_JSON else values[c] for c in cols]
    await fetch(f"UPDATE import_run SET {', '.join(f'{c} = {{}}' for c in cols)} "
                "WHERE id = {}", *args, run_id)


async def get_run(run_id: int) -> dict[str, Any]:
    rows = await fetch("SELECT * FROM import_run WHERE id = {}", run_id)
    if not rows:
        raise NotFound(f"no import {run_id}", field="import")
    row = dict(rows[0])
    for c in RUN_JSON:
        row[c] = load_json(row[c], [] if c in ("errors", "changes") else {})
    return row


async def recent_runs(limit: int = 20) -> list[dict[str, Any]]:
    return await fetch("SELECT id, kind, file_name, status, dry_run, error_count, rows_total, "
                       "username, created_at, finished_at FROM import_run "
                       "ORDER BY id DESC LIMIT {}", limit)


# --- saved mappings ----------------------------------------------------------------------

async def mappings(kind: str | None = None) -> list[dict[str, Any]]:
    where, args = ("WHERE kind = {}", [kind]) if kind else ("", [])
    rows = await fetch(f"SELECT * FROM import_mapping {where} ORDER BY kind, name", *args)
    return [{**r, "columns": load_json(r["columns"], {})} for r in rows]


async def mapping(kind: str, name: str) -> dict[str, Any]:
    rows = await fetch("SELECT * FROM import_mapping WHERE kind = {} AND name = {}", kind, name)
    if not rows:
        raise NotFound(f"no saved {kind} mapping named {name}", field="mapping")
    return {**rows[0], "columns": load_json(rows[0]["columns"], {})}


async def save_mapping(kind: str, name: str, columns: dict[str, str], user: str) -> None:
    now = dt.datetime.now(dt.UTC)
    await fetch("INSERT INTO import_mapping (kind, name, columns, created_by, updated_at) "
                "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (kind, name) DO UPDATE SET "
                "columns = excluded.columns, updated_at = excluded.updated_at",
                kind, name, json.dumps(columns, sort_keys=True), user, now)


async def delete_mapping(kind: str, name: str) -> bool:
    rows = await fetch("DELETE FROM import_mapping WHERE kind = {} AND name = {} RETURNING id",
                       kind, name)
    return bool(rows)

"""Read every table of a database in one consistent snapshot, and write rows back, on
SQLite and PostgreSQL alike (server/services/backup.py packages them; the format is in
server/domain/backup_format.py).

Which tables: all of them, as the database's own catalog lists them (Piccolo's
`migration` table aside: a restored database is migrated by this code), so that a table
another change adds is backed up without anyone remembering to list it. Each column's kind
comes from the Piccolo table class in server/db/tables.py that declares it, else from the
type the catalog gives; a column of a kind this code cannot carry stops the backup with
its name (never a table or a column silently left out). Order: the catalog's foreign
keys, a table after the tables it references.

The snapshot:
- SQLite: the online backup API copies the database to a file next to the backup being
  written, in one step (one read transaction: in WAL mode writers carry on meanwhile);
  the rows are read from that copy, which is deleted afterwards.
- PostgreSQL: one connection, one REPEATABLE READ READ ONLY transaction for every table,
  each read through a server-side cursor in chunks (constant memory).
Writing runs in one transaction (all or nothing), in chunks: COPY on PostgreSQL,
executemany on SQLite (through Piccolo's adapters, so values are stored as the app
stores them)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import piccolo.engine.sqlite  # noqa: F401  (registers the adapters the app stores values with)
from piccolo.columns import column_types as ct
from piccolo.table import Table

from server.db import tables as table_module
from server.domain.backup_format import BackupError, TableShape, dependency_order

CHUNK = 5000  # rows per read and per write
SKIPPED = frozenset({"migration"})  # Piccolo's own: the restore migrates the database


def _piccolo_kind(column: Any) -> str | None:
    checks: list[tuple[type[Any], str]] = [
        (ct.Boolean, "bool"), (ct.Serial, "int"), (ct.Integer, "int"), (ct.ForeignKey, "int"),
        (ct.Real, "float"), (ct.Timestamptz, "timestamptz"), (ct.Timestamp, "timestamp"),
        (ct.Date, "date"), (ct.JSON, "json"), (ct.Varchar, "text"), (ct.Text, "text")]
    if isinstance(column, ct.Numeric):
        digits = column.digits
        return f"numeric:{digits[1]}" if digits else "numeric"
    for cls, kind in checks:
        if isinstance(column, cls):
            return kind
    return None


def piccolo_kinds() -> dict[str, dict[str, str]]:
    """Per table, its columns' kinds as the Piccolo classes in tables.py declare them."""
    classes = {t for t in vars(table_module).values()
               if isinstance(t, type) and issubclass(t, Table) and t is not Table}
    classes.update(table_module.ALL_TABLES)
    kinds: dict[str, dict[str, str]] = {}
    for table in classes:
        found = {c._meta.db_column_name: _piccolo_kind(c) for c in table._meta.columns}
        kinds[table._meta.tablename] = {k: v for k, v in found.items() if v is not None}
    return kinds


def _declared_kind(declared: str, scale: int | None = None) -> str | None:
    """A catalog type (SQLite's declared type or PostgreSQL's data_type) as a kind."""
    t = declared.strip().lower()
    if t.startswith(("numeric", "decimal")):
        if scale is None and "," in t:
            scale = int(t.split(",")[1].strip(" )"))
        return f"numeric:{scale}" if scale is not None else "numeric"
    for prefix, kind in (("timestamptz", "timestamptz"), ("timestamp with time zone",
                         "timestamptz"), ("timestamp", "timestamp"), ("date", "date"),
                         ("bool", "bool"), ("json", "json"), ("real", "float"),
                         ("double", "float"), ("float", "float"), ("text", "text"),
                         ("varchar", "text"), ("character", "text")):
        if t.startswith(prefix):
            return kind
    return "int" if re.fullmatch(r"(big|small|tiny|medium)?int(eger)?\d?|(big)?serial", t) \
        else None


def _shape(name: str, columns: Sequence[tuple[str, str, int | None]],
           parents: dict[str, list[str]], known: dict[str, dict[str, str]],
           primary: Sequence[str]) -> TableShape:
    """columns: (name, declared type, numeric scale); parents: referenced table -> the
    referencing columns; primary: the primary key's columns."""
    kinds = []
    declared_by = known.get(name, {})
    for column, declared, scale in columns:
        kind = declared_by.get(column) or _declared_kind(declared, scale)
        if kind is None:
            raise BackupError(f"table {name}, column {column}: type {declared!r} is not one "
                              "a backup can carry", field="tables")
        kinds.append(kind)
    names = tuple(c[0] for c in columns)
    return TableShape(name=name, columns=names, kinds=tuple(kinds),
                      parents=frozenset(p for p in parents if p != name),
                      self_refs=tuple(parents.get(name, ())),
                      order=tuple(primary),
                      key=primary[0] if len(primary) == 1 and kinds[names.index(primary[0])]
                      == "int" else None)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(shape: TableShape) -> str:
    by = ", ".join(map(_ident, shape.order)) if shape.order else \
        ", ".join(str(i) for i in range(1, len(shape.columns) + 1))
    order = f" ORDER BY {by}"
    return f"SELECT {', '.join(map(_ident, shape.columns))} FROM {_ident(shape.name)}{order}"


class SqliteDatabase:
    engine = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._triggers: list[tuple[str, str]] = []

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    def _shapes(self) -> list[TableShape]:
        known = piccolo_kinds()
        names = [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        shapes = []
        for name in names:
            if name in SKIPPED:
                continue
            info = self.conn.execute(f"PRAGMA table_info({_ident(name)})").fetchall()
            columns = [(r[1], r[2] or "", None) for r in info]
            primary = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
            parents: dict[str, list[str]] = {}
            for fk in self.conn.execute(f"PRAGMA foreign_key_list({_ident(name)})"):
                parents.setdefault(fk[2], []).append(fk[3])
            shapes.append(_shape(name, columns, parents, known, primary))
        return dependency_order(shapes)

    async def shapes(self) -> list[TableShape]:
        return list(await self._run(self._shapes))

    def _migrations(self) -> list[str]:
        try:
            rows = self.conn.execute(
                "SELECT name FROM migration WHERE app_name = 'tagtrack' ORDER BY name")
            return [r[0] for r in rows]
        except sqlite3.OperationalError as exc:
            raise BackupError("this database is not a migrated Tagtrack database (no "
                              "migration table)", field="database") from exc

    async def migrations(self) -> list[str]:
        return list(await self._run(self._migrations))

    async def sequences(self, shapes: Sequence[TableShape]) -> dict[str, int]:
        def read() -> dict[str, int]:
            if not self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = "
                                     "'sqlite_sequence'").fetchone():
                return {}
            return {r[0]: int(r[1]) for r in
                    self.conn.execute("SELECT name, seq FROM sqlite_sequence")}
        return dict(await self._run(read))

    async def chunks(self, shape: TableShape) -> AsyncIterator[list[tuple[Any, ...]]]:
        cursor = await self._run(self.conn.execute, _select(shape))
        try:
            while rows := await self._run(cursor.fetchmany, CHUNK):
                yield rows
        finally:
            cursor.close()

    async def count(self, table: str) -> int:
        rows = await self._run(lambda: self.conn.execute(
            f"SELECT COUNT(*) FROM {_ident(table)}").fetchone())
        return int(rows[0])

    async def holding_rows(self, shapes: Sequence[TableShape]) -> list[str]:
        def read() -> list[str]:
            return [s.name for s in shapes if self.conn.execute(
                f"SELECT 1 FROM {_ident(s.name)} LIMIT 1").fetchone()]
        return list(await self._run(read))

    async def wipe(self, shapes: Sequence[TableShape]) -> None:
        def run() -> None:
            for shape in reversed(shapes):  # children first
                self.conn.execute(f"DELETE FROM {_ident(shape.name)}")
        await self._run(run)

    async def suspend_triggers(self, shapes: Sequence[TableShape]) -> None:
        """A restore copies rows as they were: triggers that keep summary tables (those
        tables are restored too) must not fire. Dropped here and made again by
        resume_triggers, in the same transaction (SQLite cannot disable a trigger)."""
        def run() -> None:
            self._triggers = self.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
            for name, _sql in self._triggers:
                self.conn.execute(f"DROP TRIGGER {_ident(name)}")
        await self._run(run)

    async def resume_triggers(self, shapes: Sequence[TableShape]) -> None:
        def run() -> None:
            for _name, sql in self._triggers:
                self.conn.execute(sql)
        await self._run(run)

    async def insert(self, table: str, columns: Sequence[str],
                     rows: Sequence[Sequence[Any]]) -> None:
        sql = (f"INSERT INTO {_ident(table)} ({', '.join(map(_ident, columns))}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        await self._run(self.conn.executemany, sql, rows)

    async def update(self, table: str, columns: Sequence[str], key: str,
                     rows: Sequence[Sequence[Any]]) -> None:
        """rows: the new values of `columns`, then the key."""
        sets = ", ".join(f"{_ident(c)} = ?" for c in columns)
        await self._run(self.conn.executemany,
                        f"UPDATE {_ident(table)} SET {sets} WHERE {_ident(key)} = ?", rows)

    async def continue_sequences(self, shapes: Sequence[TableShape],
                                 issued: dict[str, int]) -> None:
        """Tables with AUTOINCREMENT keep their counter in sqlite_sequence; other rowid
        tables continue after the largest id by themselves."""
        def run() -> None:
            if not self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = "
                                     "'sqlite_sequence'").fetchone():
                return
            for shape in shapes:
                if shape.key is None:
                    continue
                top = self.conn.execute(f"SELECT MAX({_ident(shape.key)}) FROM "
                                        f"{_ident(shape.name)}").fetchone()[0] or 0
                value = max(int(top), issued.get(shape.name, 0))
                self.conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", (shape.name,))
                if value:
                    self.conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                                      (shape.name, value))
        await self._run(run)

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return list(await self._run(lambda: self.conn.execute(sql).fetchall()))


class PostgresDatabase:
    engine = "postgres"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def shapes(self) -> list[TableShape]:
        known = piccolo_kinds()
        cols = await self.conn.fetch(
            "SELECT c.table_name, c.column_name, c.data_type, c.numeric_scale "
            "FROM information_schema.columns c JOIN information_schema.tables t "
            "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
            "ORDER BY c.table_name, c.ordinal_position")
        fks = await self.conn.fetch(
            "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent, "
            "a.attname AS col FROM pg_constraint c JOIN pg_attribute a "
            "ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
            "WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace")
        keys = await self.conn.fetch(
            "SELECT i.indrelid::regclass::text AS t, a.attname AS col FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
            "JOIN pg_class c ON c.oid = i.indrelid "
            "WHERE i.indisprimary AND c.relnamespace = current_schema()::regnamespace "
            "ORDER BY array_position(i.indkey::int2[], a.attnum)")
        primary: dict[str, list[str]] = {}
        for r in keys:
            primary.setdefault(r["t"].strip('"'), []).append(r["col"])
        columns: dict[str, list[tuple[str, str, int | None]]] = {}
        for r in cols:
            columns.setdefault(r["table_name"], []).append(
                (r["column_name"], r["data_type"], r["numeric_scale"]))
        parents: dict[str, dict[str, list[str]]] = {}
        for r in fks:
            child, parent = r["child"].strip('"'), r["parent"].strip('"')
            parents.setdefault(child, {}).setdefault(parent, []).append(r["col"])
        return dependency_order(_shape(name, cs, parents.get(name, {}), known,
                                       primary.get(name, []))
                                for name, cs in columns.items() if name not in SKIPPED)

    async def migrations(self) -> list[str]:
        try:
            rows = await self.conn.fetch(
                "SELECT name FROM migration WHERE app_name = 'tagtrack' ORDER BY name")
        except asyncpg.UndefinedTableError as exc:
            raise BackupError("this database is not a migrated Tagtrack database (no "
                              "migration table)", field="database") from exc
        return [r["name"] for r in rows]

    async def _sequence(self, shape: TableShape) -> str | None:
        if shape.key is None:
            return None
        seq: str | None = await self.conn.fetchval(
            "SELECT pg_get_serial_sequence($1, $2)", _ident(shape.name), shape.key)
        return seq

    async def sequences(self, shapes: Sequence[TableShape]) -> dict[str, int]:
        """The highest value each table's id sequence has handed out (0: none yet)."""
        issued = {}
        for shape in shapes:
            seq = await self._sequence(shape)
            if seq is not None:
                row = await self.conn.fetchrow(f"SELECT last_value, is_called FROM {seq}")
                issued[shape.name] = int(row["last_value"]) if row["is_called"] else 0
        return issued

    async def chunks(self, shape: TableShape) -> AsyncIterator[list[tuple[Any, ...]]]:
        cursor = await self.conn.cursor(_select(shape))
        while rows := await cursor.fetch(CHUNK):
            yield [tuple(r) for r in rows]

    async def count(self, table: str) -> int:
        return int(await self.conn.fetchval(f"SELECT COUNT(*) FROM {_ident(table)}"))

    async def holding_rows(self, shapes: Sequence[TableShape]) -> list[str]:
        return [s.name for s in shapes if await self.conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {_ident(s.name)})")]

    async def wipe(self, shapes: Sequence[TableShape]) -> None:
        if shapes:
            await self.conn.execute(
                f"TRUNCATE {', '.join(_ident(s.name) for s in shapes)} RESTART IDENTITY")

    async def suspend_triggers(self, shapes: Sequence[TableShape]) -> None:
        """A restore copies rows as they were: triggers that keep summary tables (those
        tables are restored too) must not fire. USER leaves the foreign keys' own
        triggers on; ALTER TABLE is undone with the transaction if the restore fails."""
        for shape in shapes:
            await self.conn.execute(f"ALTER TABLE {_ident(shape.name)} DISABLE TRIGGER USER")

    async def resume_triggers(self, shapes: Sequence[TableShape]) -> None:
        for shape in shapes:
            await self.conn.execute(f"ALTER TABLE {_ident(shape.name)} ENABLE TRIGGER USER")

    async def insert(self, table: str, columns: Sequence[str],
                     rows: Sequence[Sequence[Any]]) -> None:
        await self.conn.copy_records_to_table(table, records=rows, columns=list(columns))

    async def update(self, table: str, columns: Sequence[str], key: str,
                     rows: Sequence[Sequence[Any]]) -> None:
        sets = ", ".join(f"{_ident(c)} = ${i}" for i, c in enumerate(columns, start=1))
        await self.conn.executemany(
            f"UPDATE {_ident(table)} SET {sets} WHERE {_ident(key)} = ${len(columns) + 1}",
            rows)

    async def continue_sequences(self, shapes: Sequence[TableShape],
                                 issued: dict[str, int]) -> None:
        """Each id sequence past the largest id restored and past what the source's
        sequence had handed out, so new rows never reuse an id."""
        for shape in shapes:
            seq = await self._sequence(shape)
            if seq is None or shape.key is None:
                continue
            top = await self.conn.fetchval(
                f"SELECT MAX({_ident(shape.key)}) FROM {_ident(shape.name)}")
            value = max(int(top or 0), issued.get(shape.name, 0))
            await self.conn.execute("SELECT setval($1, $2, $3)", seq, max(value, 1), value > 0)

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await self.conn.fetch(sql)]


Database = SqliteDatabase | PostgresDatabase


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def sqlite_file(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise BackupError(f"a database URL starts with sqlite:/// or postgresql://, not "
                          f"{url.split(':', 1)[0]!r}", field="database")
    return Path(url.removeprefix("sqlite:///"))


@contextlib.asynccontextmanager
async def reading(url: str, workdir: Path) -> AsyncIterator[Database]:
    """A consistent snapshot of the database at `url` (see the module docstring); on
    SQLite its copy is made in `workdir` and deleted afterwards."""
    if is_postgres_url(url):
        conn = await asyncpg.connect(url, timeout=30)
        try:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                yield PostgresDatabase(conn)
        finally:
            await conn.close()
        return
    source = sqlite_file(url)
    if not source.exists():
        raise BackupError(f"no database file at {source}", field="database")
    fd, name = tempfile.mkstemp(prefix=".tagtrack-snapshot-", suffix=".db", dir=workdir)
    os.close(fd)
    copy = Path(name)

    def take() -> sqlite3.Connection:
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(copy, check_same_thread=False)
        try:
            src.backup(dst)  # pages=-1: one step, one read transaction
        finally:
            src.close()
        return dst

    try:
        conn = await asyncio.to_thread(take)
        try:
            yield SqliteDatabase(conn)
        finally:
            conn.close()
    finally:
        copy.unlink(missing_ok=True)


@contextlib.asynccontextmanager
async def writing(url: str) -> AsyncIterator[Database]:
    """The database at `url` in one write transaction, committed when the block ends
    without an error, else rolled back."""
    if is_postgres_url(url):
        conn = await asyncpg.connect(url, timeout=30)
        try:
            async with conn.transaction():
                yield PostgresDatabase(conn)
        finally:
            await conn.close()
        return
    conn = sqlite3.connect(sqlite_file(url), timeout=30, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield SqliteDatabase(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()

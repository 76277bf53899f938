"""Engine setup for SQLite (embedded default) and PostgreSQL.

Piccolo's stock SQLiteEngine opens a new connection (and a new thread) for every query
run outside a transaction, and again for every transaction. PooledSQLiteEngine keeps a
small pool of open connections instead, each already in WAL mode with a busy timeout, and
skips the PRAGMA that the stock engine repeats before every query in a transaction.
bench/bench_sqlite_engine.py measures the difference."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

from server.db.tables import ALL_TABLES

BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 4


class _PooledConnection:
    """Looks like an aiosqlite connection; close() hands it back to the pool."""

    def __init__(self, conn: aiosqlite.Connection, pool: PooledSQLiteEngine) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_pool", pool)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)

    async def close(self) -> None:
        self._pool._release(self._conn)


class PooledSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, pool_size: int = POOL_SIZE) -> None:
        super().__init__(path=path, timeout=BUSY_TIMEOUT_MS / 1000)
        self._idle: list[aiosqlite.Connection] = []
        self._pool_size = pool_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self.opened = 0  # connections opened so far (the benchmark reads it)

    async def _open(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(**self.connection_kwargs)
        conn.row_factory = dict_factory  # type: ignore[assignment]
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON",
                       f"busy_timeout = {BUSY_TIMEOUT_MS}"):
            await conn.execute(f"PRAGMA {pragma}")
        self.opened += 1
        return conn

    def _check_loop(self) -> None:
        # A pool belongs to one event loop: tests and the CLI may run several loops in turn.
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._idle = []
            self._loop = loop

    async def _acquire(self) -> aiosqlite.Connection:
        self._check_loop()
        if self._idle:
            return self._idle.pop()
        return await self._open()

    def _release(self, conn: aiosqlite.Connection) -> None:
        if len(self._idle) < self._pool_size and self._loop is asyncio.get_running_loop():
            self._idle.append(conn)
        else:
            asyncio.get_running_loop().create_task(conn.close())

    async def close_pool(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()

    async def get_connection(self) -> Any:
        return _PooledConnection(await self._acquire(), self)

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None,
                                     query_type: str = "generic", table: Any = None) -> Any:
        conn = await self._acquire()
        try:
            async with conn.execute(query, args or []) as cursor:
                rows = await cursor.fetchall()
        except BaseException:
            # the connection may be mid-statement: do not hand it to the next caller
            await conn.close()
            raise
        self._release(conn)
        return rows

    async def _run_in_existing_connection(self, connection: Any, query: str,
                                          args: list[Any] | None = None,
                                          query_type: str = "generic",
                                          table: Any = None) -> Any:
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()


def make_engine(database_url: str) -> Engine:
    if database_url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(config={"dsn": database_url})
    path = Path(database_url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return PooledSQLiteEngine(path=str(path))


def bind(engine: Engine) -> None:
    for table in ALL_TABLES:
        table._meta.db = engine


def current_engine() -> Engine:
    return ALL_TABLES[0]._meta.db


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A read-then-write transaction: IMMEDIATE on SQLite (takes the write lock first, so
    two writers never deadlock on a lock upgrade); READ COMMITTED plus row locks on
    PostgreSQL (repositories use SELECT ... FOR UPDATE where they read before writing)."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        txn = engine.transaction(transaction_type=TransactionType.immediate)
    else:
        txn = engine.transaction()
    async with txn as t:
        yield t


async def start(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        if engine.pool is not None:
            await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()


def is_postgres() -> bool:
    return isinstance(current_engine(), PostgresEngine)

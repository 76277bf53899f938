"""Engine setup for SQLite (embedded default) and PostgreSQL.

Piccolo's stock SQLiteEngine opens a new connection (and a new thread) for every query
run outside a transaction, and again for every transaction. PooledSQLiteEngine keeps a
small pool of open connections instead, each already in WAL mode with a busy timeout, and
skips the PRAGMA that the stock engine repeats before every query in a transaction.
bench/bench_sqlite_engine.py measures the difference.

The pool is bounded: when all POOL_SIZE connections are busy, a caller waits for one to be
handed back instead of opening (and then closing) a connection of its own; opening one
costs a thread and five round trips, and under load that churn was most of the cost of a
request. A query outside a transaction makes one round trip to the connection's thread
(execute and fetch together). On SQLite, write transactions of one process take an
asyncio lock before BEGIN IMMEDIATE: SQLite runs one writer at a time anyway, and a writer
that waits in SQLite's busy handler sleeps in steps of up to 100 ms, while one that waits
on the lock is woken the moment the previous writer commits. Other processes are still
kept out by BEGIN IMMEDIATE and the busy timeout, as before."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import functools
import os
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from server.db.postgres import PooledPostgresEngine
from server.db.tables import ALL_TABLES

BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 4
# /healthz waits at most this long for another process's write lock before saying "busy".
HEALTH_WAIT_MS = 1000
# A caller that has waited this long for a pooled connection opens one of its own (closed
# again when handed back), so nothing can ever wait on the pool for good.
POOL_WAIT_S = 2.0
# Inside a write transaction whose statements run inline, give other tasks a turn this often.
INLINE_YIELD_S = 0.005
# A SELECT outside a transaction first runs on the event loop's thread; one that takes
# longer than this (checked every INLINE_CHECK_OPS SQLite VM steps) is stopped and run on a
# pooled connection's thread instead, so a long report never holds the server up.
INLINE_READ_MAX_S = 0.002
INLINE_CHECK_OPS = 2000
_GIVE_UP = {sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


class _PooledConnection:
    """Looks like an aiosqlite connection; close() hands it back to the pool. `_inline` is
    the underlying sqlite3 connection while statements run on the event loop's thread
    (inside write_transaction), else None."""

    _inline: sqlite3.Connection | None = None

    def __init__(self, conn: aiosqlite.Connection, pool: PooledSQLiteEngine) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_pool", pool)
        object.__setattr__(self, "_yielded_at", 0.0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)

    async def close(self) -> None:
        self._pool._release(self._conn)


class PooledSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, pool_size: int = POOL_SIZE, *,
                 busy_timeout_ms: int = BUSY_TIMEOUT_MS, pool_wait_s: float = POOL_WAIT_S) -> None:
        super().__init__(path=path, timeout=busy_timeout_ms / 1000)
        self.busy_timeout_ms = busy_timeout_ms  # tests make it short; read at every BEGIN
        self.pool_wait_s = pool_wait_s
        # After a fault that may have left connections unable to write (a read-only file:
        # a connection opened meanwhile stays read-only for good), no connection is reused
        # until a write commits again: each one is closed when handed back.
        self.renewing = False
        self._idle: list[aiosqlite.Connection] = []
        self._waiters: collections.deque[asyncio.Future[aiosqlite.Connection]] = \
            collections.deque()
        self._open_count = 0  # pooled connections open (idle or lent out)
        self._overflow: set[aiosqlite.Connection] = set()
        self._pool_size = pool_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._write_lock: asyncio.Lock | None = None
        # each pooled connection's sqlite3 connection, for statements run inline
        self._raw: weakref.WeakKeyDictionary[aiosqlite.Connection, sqlite3.Connection] = \
            weakref.WeakKeyDictionary()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reader: sqlite3.Connection | None = None  # see _read_inline
        self._prober: sqlite3.Connection | None = None  # see probe
        self._reader_deadline = 0.0
        self.inline_fallbacks = 0  # inline reads that gave up and went to the pool
        self.opened = 0  # connections opened so far (the benchmark reads it)
        self.overflows = 0  # times a caller waited POOL_WAIT_S in vain and opened its own

    async def _open(self) -> aiosqlite.Connection:
        opened: list[sqlite3.Connection] = []
        kwargs = {**self.connection_kwargs, "check_same_thread": False}

        def connector() -> sqlite3.Connection:  # what aiosqlite.connect does, keeping a hold
            opened.append(sqlite3.connect(**kwargs))
            return opened[0]

        conn = await aiosqlite.Connection(connector, iter_chunk_size=64)
        if not os.access(self.path, os.W_OK) and os.path.exists(self.path):
            self.renewing = True  # opened read-only, and would stay so: not to be reused
        self._raw[conn] = opened[0]
        conn.row_factory = dict_factory  # type: ignore[assignment]
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON",
                       f"busy_timeout = {self.busy_timeout_ms}"):
            await conn.execute(f"PRAGMA {pragma}")
        self.opened += 1
        return conn

    def _check_loop(self) -> None:
        # A pool belongs to one event loop: tests and the CLI may run several loops in turn.
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._idle = []
            self._waiters = collections.deque()
            self._open_count = 0
            self._overflow = set()
            self._write_lock = asyncio.Lock()
            self._close_own_connections()
            self._loop = loop

    def write_lock(self) -> asyncio.Lock:
        self._check_loop()
        assert self._write_lock is not None
        return self._write_lock

    async def _acquire(self) -> aiosqlite.Connection:
        self._check_loop()
        if self._idle:
            return self._idle.pop()
        if self._open_count < self._pool_size:
            self._open_count += 1
            try:
                return await self._open()
            except BaseException:
                self._open_count -= 1
                raise
        waiter: asyncio.Future[aiosqlite.Connection] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), self.pool_wait_s)
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                return waiter.result()  # handed over just as the wait ended
            waiter.cancel()
            return await self._open_overflow()
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())  # cancelled after the hand-over: pass it on
            else:
                waiter.cancel()
            raise

    async def _open_overflow(self) -> aiosqlite.Connection:
        conn = await self._open()
        self._overflow.add(conn)
        self.overflows += 1
        return conn

    def _release(self, conn: aiosqlite.Connection) -> None:
        loop = asyncio.get_running_loop()
        if conn in self._overflow or self._loop is not loop:
            self._overflow.discard(conn)
            self._spawn(conn.close())
            return
        if self.renewing:
            self._discard(conn)
            return
        while self._waiters:  # hand it straight to the longest waiter
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    def _discard(self, conn: aiosqlite.Connection) -> None:
        """A connection that must not be reused (it failed mid-statement): close it and
        let the pool open a fresh one in its place."""
        loop = asyncio.get_running_loop()
        if conn in self._overflow:
            self._overflow.discard(conn)
        elif self._loop is loop:
            self._open_count -= 1
            while self._waiters and self._waiters[0].done():
                self._waiters.popleft()
            if self._waiters:  # someone is waiting: open them a replacement
                waiter = self._waiters.popleft()
                self._open_count += 1

                async def replace() -> None:
                    try:
                        new = await self._open()
                    except BaseException as exc:
                        self._open_count -= 1
                        if not waiter.done():
                            waiter.set_exception(exc)
                        return
                    if waiter.done():
                        self._release(new)
                    else:
                        waiter.set_result(new)

                self._spawn(replace())
        self._spawn(conn.close())

    def renew(self) -> None:
        """Stop reusing connections (see `renewing`): the idle ones are closed now, the
        ones lent out when they are handed back, and the inline reader is opened afresh."""
        self._check_loop()
        self.renewing = True
        idle, self._idle = self._idle, []
        for conn in idle:
            self._discard(conn)
        self._close_own_connections()

    async def probe(self) -> None:
        """A cheap check that this process could write now (for /healthz): BEGIN IMMEDIATE
        and ROLLBACK, writing nothing, on a connection of its own that never waits (two
        statements on the event loop's thread). Only when another process holds the write
        lock does it wait, on a pooled connection's thread, up to HEALTH_WAIT_MS; raises
        what a write would (busy, I/O error)."""
        async with self.write_lock():
            if self._prober is None:
                self._prober = sqlite3.connect(
                    **{**self.connection_kwargs, "timeout": 0, "check_same_thread": False}
                )
            try:
                self._prober.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode not in _GIVE_UP:
                    self._prober.close()
                    self._prober = None
                    raise
            else:
                self._prober.execute("ROLLBACK")
                return
            conn = await self._acquire()  # another process writes: wait a little for it
            wait = min(self.busy_timeout_ms, HEALTH_WAIT_MS)
            try:
                await conn.execute(f"PRAGMA busy_timeout = {wait}")
                await conn.execute("BEGIN IMMEDIATE")
                await conn.execute("ROLLBACK")
                await conn.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
            except BaseException:
                self._discard(conn)
                raise
            self._release(conn)

    def pool_state(self) -> dict[str, int]:
        """How the pool stands (tests and diagnostics): connections open, idle, lent out,
        opened beyond the pool's size, and callers waiting for one."""
        return {
            "open": self._open_count,
            "idle": len(self._idle),
            "lent": self._open_count - len(self._idle),
            "overflow": len(self._overflow),
            "waiting": sum(not w.done() for w in self._waiters),
        }

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred,
                    allow_nested: bool = True) -> SQLiteTransaction:
        return _PooledTransaction(self, transaction_type=transaction_type,
                                  allow_nested=allow_nested)

    def _close_own_connections(self) -> None:
        """The inline reader's and the prober's, opened on the event loop's thread."""
        for conn in (self._reader, self._prober):
            if conn is not None:
                conn.close()
        self._reader = self._prober = None

    async def close_pool(self) -> None:
        self._close_own_connections()
        idle, self._idle = self._idle, []
        self._open_count -= len(idle)
        for conn in idle:
            await conn.close()

    async def get_connection(self) -> Any:
        return _PooledConnection(await self._acquire(), self)

    def _inline_reader(self) -> sqlite3.Connection:
        if self._reader is None:
            reader = sqlite3.connect(**{**self.connection_kwargs, "timeout": 0,
                                        "check_same_thread": False})
            reader.row_factory = dict_factory
            reader.execute("PRAGMA busy_timeout = 0")
            reader.execute("PRAGMA query_only = ON")  # it can only ever read
            reader.set_progress_handler(self._too_long, INLINE_CHECK_OPS)
            self._reader = reader
        return self._reader

    def _too_long(self) -> int:
        return int(time.perf_counter() > self._reader_deadline)

    def _read_inline(self, query: str, args: list[Any]) -> Any:
        """A SELECT outside any transaction, run on the event loop's thread on a read-only
        connection that never waits: if SQLite would wait for a lock, or the statement
        runs longer than INLINE_READ_MAX_S, it gives up and returns None, and the caller
        runs the statement the usual way (on a pooled connection's thread)."""
        self._check_loop()
        reader = self._inline_reader()
        self._reader_deadline = time.perf_counter() + INLINE_READ_MAX_S
        try:
            return reader.execute(query, args).fetchall()
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode in _GIVE_UP:
                self.inline_fallbacks += 1
                return None
            self._reader = None  # a fault (an I/O error, say): the next read opens afresh
            reader.close()
            raise

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None,
                                     query_type: str = "generic", table: Any = None) -> Any:
        if query[:7].lstrip().upper().startswith("SELECT"):
            rows = self._read_inline(query, args or [])
            if rows is not None:
                return rows
        conn = await self._acquire()
        try:
            # one round trip to the connection's thread: execute and fetch together
            rows = await conn.execute_fetchall(query, args or [])
        except BaseException:
            # the connection may be mid-statement: do not hand it to the next caller
            self._discard(conn)
            raise
        self._release(conn)
        return rows

    async def _run_in_existing_connection(self, connection: Any, query: str,
                                          args: list[Any] | None = None,
                                          query_type: str = "generic",
                                          table: Any = None) -> Any:
        raw = connection._inline
        if raw is None:
            return await connection.execute_fetchall(query, args or [])
        # Inside write_transaction: the statement runs here, on the event loop's thread
        # (see _WriteTransaction). Now and then let other tasks run, so a long
        # transaction of many statements does not hold the whole process up.
        now = time.perf_counter()
        if now - connection._yielded_at > INLINE_YIELD_S:
            object.__setattr__(connection, "_yielded_at", now)
            await asyncio.sleep(0)
        return raw.execute(query, args or []).fetchall()


class _PooledTransaction(SQLiteTransaction):
    """Piccolo's transaction on a pooled connection, which it never loses: if BEGIN fails
    (another process held the lock past the busy timeout), or COMMIT or ROLLBACK does (a
    disk I/O error, a full disk), the connection may be left inside a transaction, so it
    is closed rather than handed back, and the pool opens a fresh one in its place.
    Piccolo's own __aenter__/__aexit__ skipped the hand-back on those paths, and the pool
    ran dry after POOL_SIZE such failures."""

    engine: PooledSQLiteEngine

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            await self.begin()
        except BaseException:
            self.engine._discard(self.connection._conn)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        conn = self.connection._conn
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            self.engine._discard(conn)
            if exception is None:
                raise
            return False  # the ROLLBACK failed too: the first error is the one to report
        finally:
            self.engine.current_transaction.reset(self.context)
        self.engine._release(conn)
        return exception is None


class _WriteTransaction(_PooledTransaction):
    """BEGIN IMMEDIATE ... COMMIT whose statements run on the event loop's thread instead
    of a round trip to the connection's own thread (a round trip costs more CPU than a
    short indexed statement, and BEGIN + COMMIT alone cost two).

    Used by write_transaction only, under this process's writer lock. BEGIN IMMEDIATE is
    first tried here with SQLite's busy timeout at 0: if another process holds the write
    lock, it is retried the usual way, on the connection's thread, where it may wait up to
    the busy timeout without holding this process up. From BEGIN on, the connection holds
    SQLite's write lock, so its statements (and COMMIT, in WAL mode) never wait for a lock;
    a COMMIT that triggers SQLite's automatic checkpoint (every ~1,000 pages of WAL) takes
    a few milliseconds longer. The connection's thread is idle meanwhile: the statements
    are awaited one after another, so the sqlite3 connection is never used by two threads
    at once (it is opened with check_same_thread=False for this)."""

    async def begin(self) -> None:
        raw = self.engine._raw.get(self.connection._conn)
        if raw is not None:
            raw.execute("PRAGMA busy_timeout = 0")
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode not in _GIVE_UP:
                    raise
            else:
                object.__setattr__(self.connection, "_inline", raw)
                object.__setattr__(self.connection, "_yielded_at", time.perf_counter())
                return
            finally:
                raw.execute(f"PRAGMA busy_timeout = {self.engine.busy_timeout_ms}")
        await super().begin()  # wait for the other process on the connection's thread
        if raw is not None:
            object.__setattr__(self.connection, "_inline", raw)

    async def commit(self) -> None:
        raw = self.connection._inline
        if raw is None:
            await super().commit()
        else:
            raw.execute("COMMIT")
            self._committed = True
        self.engine.renewing = False  # a write went through: connections are sound again

    async def rollback(self) -> None:
        raw = self.connection._inline
        if raw is None:
            await super().rollback()
            return
        raw.execute("ROLLBACK")
        self._rolled_back = True


class _PgConnection(asyncpg.Connection):
    """asyncpg's connection whose reset, sent when it goes back to the pool, can be sent
    ahead together with a last statement (finish_with): one round trip instead of two."""

    _reset_sent = False

    def get_reset_query(self) -> str:
        if self._reset_sent:
            self._reset_sent = False
            return ""
        return super().get_reset_query()

    async def execute_and_reset(self, sql: str) -> None:
        # one simple-protocol message: its statements run as one implicit transaction
        await self.execute(f"{sql};\n{super().get_reset_query()}")
        self._reset_sent = True


def make_engine(database_url: str) -> Engine:
    if database_url.startswith(("postgres://", "postgresql://")):
        return PooledPostgresEngine(config={"dsn": database_url,
                                            "connection_class": _PgConnection})
    path = Path(database_url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return PooledSQLiteEngine(path=str(path))


def bind(engine: Engine) -> None:
    for table in ALL_TABLES:
        table._meta.db = engine


def current_engine() -> Engine:
    return ALL_TABLES[0]._meta.db


AfterCommit = Callable[[], Awaitable[None]]
# The callbacks of the write transaction in progress, None outside one (and while they
# run); a nested write_transaction shares its parent's list.
_after_commit: contextvars.ContextVar[list[AfterCommit] | None] = contextvars.ContextVar(
    "tagtrack_after_commit", default=None)
# PostgreSQL, while the callbacks run: the connection that has just committed, on which
# fetch() outside a transaction runs (autocommit) before it goes back to the pool.
_committed_connection: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "tagtrack_committed_connection", default=None)


def after_commit(callback: AfterCommit, *, first: bool = False) -> None:
    """Have `callback()` awaited once the current write transaction has committed, and
    never if it rolls back. Callbacks run in the order registered (the same callback
    registered again runs once), outside the transaction, before write_transaction hands
    control back to its caller: an answer sent after the transaction can rely on them. One
    that raises stops those after it, and its error reaches the caller, although the change
    is committed. A nested write_transaction's callbacks wait for the outermost commit.
    On PostgreSQL, fetch() in a callback runs in autocommit on the connection that has just
    committed, before it goes back to the pool (no second connection, no second reset);
    on SQLite they run after this process's writer lock is released. `first` puts the
    callback before those registered so far (the ledger's wait for the disk: nothing that
    follows a commit may happen before the change is durable)."""
    hooks = _after_commit.get()
    if hooks is None:
        raise RuntimeError("after_commit() needs a write_transaction()")
    if callback in hooks:
        return
    if first:
        hooks.insert(0, callback)
    else:
        hooks.append(callback)


async def finish_with(sql: str) -> None:
    """In an after_commit callback on PostgreSQL: run `sql` (no parameters, rows not
    returned) on the connection that has just committed, in the same round trip as the
    reset the pool sends when it takes a connection back (which then is not sent again).
    The connection is done with then: later callbacks' statements go to the pool. Anywhere
    else, `sql` runs as fetch() would run it."""
    conn = _committed_connection.get()
    # the pool's proxy hands attributes on to its _PgConnection
    send = getattr(conn, "execute_and_reset", None) if conn is not None else None
    if send is None:
        await fetch(sql)
        return
    await send(sql)
    _committed_connection.set(None)


def in_write_transaction() -> bool:
    """Whether after_commit() can be used here."""
    return _after_commit.get() is not None


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A read-then-write transaction: IMMEDIATE on SQLite (takes the write lock first, so
    two writers never deadlock on a lock upgrade); READ COMMITTED plus row locks on
    PostgreSQL (repositories use SELECT ... FOR UPDATE where they read before writing).
    After a successful commit it runs the after_commit() callbacks."""
    engine = current_engine()
    if engine.current_transaction.get() is not None:
        # joins its parent (Piccolo hands the parent back), whose commit runs the callbacks
        # registered in here too; on SQLite it must not wait for the writer lock it holds
        async with _transaction(engine) as t:
            yield t
        return
    hooks: list[AfterCommit] = []
    token = _after_commit.set(hooks)
    failed: BaseException | None = None
    try:
        if isinstance(engine, PooledSQLiteEngine):
            # one writer of this process at a time (see the module docstring)
            async with engine.write_lock(), \
                    _WriteTransaction(engine, transaction_type=TransactionType.immediate) as t:
                yield t
        elif isinstance(engine, PostgresEngine):
            async with _transaction(engine) as t:
                yield t
                if hooks:  # commit now, and run them before the connection goes back
                    await t.commit()
                    try:
                        await _run_after_commit(engine, hooks, t.connection)
                    except BaseException as exc:  # the connection is sound: hand it back
                        failed = exc
            hooks = []
        else:
            async with _transaction(engine) as t:
                yield t
    finally:
        _after_commit.reset(token)
    if failed is not None:
        raise failed
    if hooks:
        await _run_after_commit(engine, hooks, None)


def _transaction(engine: Engine) -> Any:
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def _run_after_commit(engine: Engine, hooks: list[AfterCommit], connection: Any) -> None:
    # outside the transaction: a callback that writes opens a write_transaction of its own
    outer = engine.current_transaction.set(None)
    no_hooks = _after_commit.set(None)
    conn = _committed_connection.set(connection)
    try:
        for hook in hooks:
            await hook()
    finally:
        _committed_connection.reset(conn)
        _after_commit.reset(no_hooks)
        engine.current_transaction.reset(outer)


async def start(engine: Engine) -> None:
    if isinstance(engine, PooledPostgresEngine):
        await engine.start()
    elif isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        if engine.pool is not None:
            await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()


def is_postgres() -> bool:
    return isinstance(current_engine(), PostgresEngine)


@functools.cache
def _native(sql: str, postgres: bool) -> str:
    """Piccolo's `{}` placeholders as the driver's own: `?` for sqlite3, `$1..$n` for
    asyncpg. Every `{}` is a value; the SQL text holds no other braces."""
    parts = sql.split("{}")
    if any("{" in part or "}" in part for part in parts):
        raise ValueError(f"a brace that is not a placeholder in: {sql}")
    if not postgres:
        return "?".join(parts)
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run one statement (with `{}` placeholders, as Table.raw takes them) on the current
    transaction's connection, or else the engine's pool, and return its rows as dicts.

    The same connections and transactions as Piccolo's `Table.raw`, without building a
    QueryString and a Query object for each call: on the scan path, where a scan runs
    seven short indexed statements, that machinery cost more CPU than SQLite itself."""
    engine = current_engine()
    if isinstance(engine, PooledSQLiteEngine):
        query = _native(sql, False)
        txn = engine.current_transaction.get()
        if txn is not None:
            rows = await engine._run_in_existing_connection(txn.connection, query, list(args))
        else:
            rows = await engine._run_in_new_connection(query, list(args))
        return rows  # type: ignore[no-any-return]  # dict_factory rows
    if isinstance(engine, PostgresEngine):
        query = _native(sql, True)
        pg_txn = engine.current_transaction.get()
        if pg_txn is not None:
            records = await pg_txn.connection.fetch(query, *args)
        elif (committed := _committed_connection.get()) is not None:
            records = await committed.fetch(query, *args)  # in an after_commit callback
        elif engine.pool is not None:
            async with engine.pool.acquire() as conn:
                records = await conn.fetch(query, *args)
        else:
            records = await engine._run_in_new_connection(query, list(args))
        return [dict(r) for r in records]
    return await ALL_TABLES[0].raw(sql, *args)  # type: ignore[no-any-return]

"""The pool heals (issue 9, item 1): a write that fails at BEGIN (another process held the
lock past the busy timeout), at COMMIT (a disk I/O error) or because the server went away
mid-transaction gives its connection back or closes it, so later writes find a
connection at once and the pool never runs dry."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.db import engine as db
from server.db.engine import POOL_SIZE, PooledSQLiteEngine, fetch, write_transaction
from server.db.postgres import POOL_MAX
from server.settings import Settings
from tests.sync import run_sync


@contextlib.contextmanager
def bound(engine: Any) -> Iterator[None]:
    from server.db.tables import ALL_TABLES

    before = ALL_TABLES[0]._meta._db  # None when no test bound one yet
    db.bind(engine)
    try:
        yield
    finally:
        db.bind(before)  # type: ignore[arg-type]


def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "pool.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    conn.close()
    return path


async def insert(x: int) -> None:
    async with write_transaction():
        await fetch("INSERT INTO t (x) VALUES ({})", x)


@pytest.mark.sqlite_only
def test_writes_refused_at_begin_by_a_lock_give_their_connections_back(tmp_path: Path) -> None:
    path = sqlite_file(tmp_path)
    engine = PooledSQLiteEngine(str(path), busy_timeout_ms=20, pool_wait_s=0.05)
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    async def run() -> tuple[dict[str, int], dict[str, int], int]:
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        for x in range(POOL_SIZE + 3):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await insert(x)
        during = engine.pool_state()
        blocker.execute("ROLLBACK")
        for x in range(POOL_SIZE * 2):
            await insert(x)
        after = engine.pool_state()
        rows = await fetch("SELECT COUNT(*) AS n FROM t")
        await engine.close_pool()
        return during, after, int(rows[0]["n"])

    with bound(engine):
        during, after, n = run_sync(run())
    blocker.close()
    assert during["lent"] == 0 and during["waiting"] == 0
    assert after["lent"] == 0 and after["open"] <= POOL_SIZE
    assert engine.overflows == 0, "no write had to wait for a pooled connection"
    assert n == POOL_SIZE * 2


@pytest.mark.sqlite_only
def test_a_commit_that_fails_closes_its_connection_and_releases_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sqlite_file(tmp_path)
    engine = PooledSQLiteEngine(str(path), busy_timeout_ms=20, pool_wait_s=0.05)

    async def disk_io_error(self: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    async def run() -> tuple[dict[str, int], int]:
        with monkeypatch.context() as patch:
            patch.setattr(db._WriteTransaction, "commit", disk_io_error)
            for x in range(POOL_SIZE + 2):
                with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
                    await insert(x)
        # the failed transactions were left open on their connections: unless those were
        # closed, they would still hold SQLite's write lock and every write would be busy
        for x in range(3):
            await insert(x)
        state = engine.pool_state()
        rows = await fetch("SELECT COUNT(*) AS n FROM t")
        await engine.close_pool()
        return state, int(rows[0]["n"])

    with bound(engine):
        state, n = run_sync(run())
    assert state["lent"] == 0 and state["open"] <= POOL_SIZE and engine.overflows == 0
    assert n == 3


@pytest.mark.sqlite_only
def test_a_failed_commit_of_a_plain_transaction_is_not_lost_either(tmp_path: Path) -> None:
    """A deferred foreign key broken at COMMIT: SQLite refuses the COMMIT and leaves the
    transaction open, on Piccolo's own transaction() as on write_transaction()."""
    path = tmp_path / "fk.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "PRAGMA journal_mode = WAL; CREATE TABLE p (id INTEGER PRIMARY KEY);"
        "CREATE TABLE c (p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED);"
    )
    conn.close()
    engine = PooledSQLiteEngine(str(path), busy_timeout_ms=20, pool_wait_s=0.05)

    async def run() -> dict[str, int]:
        for _ in range(POOL_SIZE + 1):
            with pytest.raises(sqlite3.IntegrityError):
                async with engine.transaction(transaction_type=db.TransactionType.immediate):
                    await fetch("INSERT INTO c (p) VALUES ({})", 42)
        async with write_transaction():
            await fetch("INSERT INTO p (id) VALUES ({})", 1)
        state = engine.pool_state()
        await engine.close_pool()
        return state

    with bound(engine):
        state = run_sync(run())
    assert state["lent"] == 0 and engine.overflows == 0


@pytest.mark.postgres_only
def test_transactions_cut_off_by_the_server_give_their_connections_back(
    settings: Settings,
) -> None:
    engine = db.make_engine(settings.database_url)

    async def run() -> tuple[dict[str, int], list[dict[str, Any]]]:
        await db.start(engine)
        try:
            for _ in range(POOL_MAX + 2):
                # the server ends the session mid-transaction: the ROLLBACK fails too
                with pytest.raises(Exception, match=r"terminat|closed"):
                    async with write_transaction():
                        await fetch("SELECT pg_terminate_backend(pg_backend_pid())")
            state = engine.pool_state()  # type: ignore[attr-defined]
            # a safety net against a pool run dry (it would wait for good), not a timing
            async with asyncio.timeout(30):
                async with write_transaction():
                    rows = await fetch("SELECT 1 AS one")
            return state, rows
        finally:
            await db.stop(engine)

    with bound(engine):
        state, rows = run_sync(run())
    assert state["lent"] == 0
    assert rows == [{"one": 1}]

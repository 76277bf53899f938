"""after_commit() (server/db/engine.py) on a real database, the engine TAGTRACK_TEST_DB
picks: callbacks run once the write transaction has committed (another connection sees the
change by then), in order, before write_transaction hands back; never after a rollback; a
nested write_transaction's callbacks wait for the outermost commit; a failing callback
reaches the caller without undoing the change or losing the connection. On PostgreSQL a
callback's statements run in autocommit on the connection that has just committed, and
finish_with() sends its last statement with the pool's reset of that connection."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.db import engine as db
from server.db.engine import (
    after_commit,
    fetch,
    finish_with,
    in_write_transaction,
    write_transaction,
)
from server.settings import Settings
from tests.sync import run_sync

ENGINE = os.environ.get("TAGTRACK_TEST_DB", "sqlite")


class Probe:
    """A table of its own, and a second connection to look at it from outside."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        if ENGINE == "sqlite":
            self.url = f"sqlite:///{tmp_path / 'after.db'}"
            conn = sqlite3.connect(tmp_path / "after.db")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("CREATE TABLE probe (x INTEGER)")
            conn.commit()
            conn.close()
            self.table = "probe"
        else:
            self.url = settings.database_url
            self.table = f"probe_{uuid.uuid4().hex[:8]}"
        self.outside: Any = None

    async def open(self) -> None:
        if ENGINE == "sqlite":
            self.outside = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            return
        import asyncpg

        self.outside = await asyncpg.connect(self.url)
        await self.outside.execute(f"CREATE TABLE {self.table} (x INTEGER)")

    async def close(self) -> None:
        if ENGINE == "sqlite":
            self.outside.close()
            return
        await self.outside.execute(f"DROP TABLE {self.table}")
        await self.outside.close()

    async def seen_outside(self) -> list[int]:
        query = f"SELECT x FROM {self.table} ORDER BY x"
        if ENGINE == "sqlite":
            return [r[0] for r in self.outside.execute(query).fetchall()]
        return [r["x"] for r in await self.outside.fetch(query)]

    async def insert(self, x: int) -> None:
        await fetch(f"INSERT INTO {self.table} (x) VALUES ({{}})", x)


@pytest.fixture
def probe(settings: Settings, tmp_path: Path) -> Iterator[Probe]:
    yield Probe(settings, tmp_path)


@contextlib.asynccontextmanager
async def engine_on(probe: Probe) -> AsyncIterator[Any]:
    from server.db.tables import ALL_TABLES

    engine = db.make_engine(probe.url)
    before = ALL_TABLES[0]._meta._db
    db.bind(engine)
    await db.start(engine)
    await probe.open()
    try:
        yield engine
    finally:
        await probe.close()
        await db.stop(engine)
        db.bind(before)  # type: ignore[arg-type]


def test_callbacks_run_in_order_once_the_change_is_committed_before_the_caller_goes_on(
        probe: Probe) -> None:
    async def run() -> list[Any]:
        log: list[Any] = []

        def callback(name: str) -> Any:
            async def call() -> None:
                log.append((name, await probe.seen_outside(), in_write_transaction()))
            return call

        async with engine_on(probe):
            async with write_transaction():
                await probe.insert(1)
                after_commit(callback("first"))
                after_commit(callback("second"))
                log.append(("body", await probe.seen_outside(), in_write_transaction()))
            log.append(("after", await probe.seen_outside(), in_write_transaction()))
        return log

    assert run_sync(run()) == [("body", [], True), ("first", [1], False),
                               ("second", [1], False), ("after", [1], False)]


def test_callbacks_never_run_after_a_rollback(probe: Probe) -> None:
    async def run() -> tuple[list[str], list[int]]:
        ran: list[str] = []

        async def callback() -> None:
            ran.append("ran")

        async with engine_on(probe):
            with pytest.raises(LookupError):
                async with write_transaction():
                    await probe.insert(1)
                    after_commit(callback)
                    raise LookupError("the change is refused")
            async with write_transaction():  # the next transaction starts with none
                await probe.insert(2)
            return ran, await probe.seen_outside()

    assert run_sync(run()) == ([], [2])


def test_a_nested_transaction_s_callbacks_wait_for_the_outermost_commit(probe: Probe) -> None:
    async def run() -> tuple[list[tuple[str, list[int]]], list[int]]:
        log: list[tuple[str, list[int]]] = []

        def callback(name: str) -> Any:
            async def call() -> None:
                log.append((name, await probe.seen_outside()))
            return call

        async with engine_on(probe):
            async with write_transaction():
                async with write_transaction():
                    await probe.insert(1)
                    after_commit(callback("nested"))
                log.append(("outer body", await probe.seen_outside()))
                await probe.insert(2)
            with pytest.raises(LookupError):
                async with write_transaction():
                    async with write_transaction():
                        await probe.insert(3)
                        after_commit(callback("rolled back"))
                    raise LookupError("the outer transaction fails after the nested one")
            return log, await probe.seen_outside()

    assert run_sync(run()) == ([("outer body", []), ("nested", [1, 2])], [1, 2])


def test_a_callback_registered_first_runs_before_the_others(probe: Probe) -> None:
    async def run() -> list[str]:
        order: list[str] = []

        def callback(name: str) -> Any:
            async def call() -> None:
                order.append(name)
            return call

        async with engine_on(probe), write_transaction():
            after_commit(callback("outbox"))
            await probe.insert(1)
            after_commit(callback("durable"), first=True)
            after_commit(callback("later"))
        return order

    assert run_sync(run()) == ["durable", "outbox", "later"]


def test_the_same_callback_registered_twice_runs_once(probe: Probe) -> None:
    async def run() -> int:
        calls = 0

        async def callback() -> None:
            nonlocal calls
            calls += 1

        async with engine_on(probe), write_transaction():
            after_commit(callback)
            await probe.insert(1)
            after_commit(callback)
        return calls

    assert run_sync(run()) == 1


def test_a_failing_callback_reaches_the_caller_and_the_change_stays_with_its_connection_back(
        probe: Probe) -> None:
    async def run() -> tuple[list[int], dict[str, int], list[str]]:
        ran: list[str] = []

        async def broken() -> None:
            raise OSError("the mail server is away")

        async def never() -> None:
            ran.append("after the broken one")

        async with engine_on(probe) as engine:
            with pytest.raises(OSError, match="mail server"):
                async with write_transaction():
                    await probe.insert(1)
                    after_commit(broken)
                    after_commit(never)
            state = engine.pool_state()
            async with write_transaction():  # the pool still serves writers
                await probe.insert(2)
            return await probe.seen_outside(), state, ran

    seen, state, ran = run_sync(run())
    assert (seen, state["lent"], ran) == ([1, 2], 0, [])


def test_after_commit_outside_a_write_transaction_is_refused() -> None:
    async def callback() -> None:
        pass

    assert not in_write_transaction()
    with pytest.raises(RuntimeError, match="write_transaction"):
        after_commit(callback)


@pytest.mark.postgres_only
def test_callbacks_run_in_autocommit_on_the_connection_that_committed(probe: Probe) -> None:
    """No second connection from the pool (and no second reset of one) for a statement
    right after the commit; a callback that writes in a transaction gets one of its own."""

    async def run() -> tuple[Any, ...]:
        seen: dict[str, Any] = {}

        async def callback() -> None:
            row = (await fetch("SELECT pg_backend_pid() AS pid, "
                               "txid_current_if_assigned() AS xid"))[0]
            seen["pid"], seen["xid"] = row["pid"], row["xid"]
            with contextlib.suppress(LookupError):
                async with write_transaction():
                    await probe.insert(2)
                    seen["own"] = (await fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"]
                    raise LookupError("only this one rolls back")

        async with engine_on(probe):
            async with write_transaction():
                await probe.insert(1)
                pid = (await fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"]
                after_commit(callback)
            return pid, seen["pid"], seen["xid"], seen["own"] != pid, \
                await probe.seen_outside()

    pid, callback_pid, xid, own_connection, seen = run_sync(run())
    assert (callback_pid, xid, own_connection, seen) == (pid, None, True, [1])


@pytest.mark.postgres_only
def test_finish_with_sends_its_statement_with_the_pool_s_reset_in_one_round_trip(
        probe: Probe) -> None:
    """The last statement of a committed connection and the reset the pool would send on
    its own: one message. The session is reset all the same; callbacks after it use the
    pool."""
    from server.db.engine import _PgConnection

    sent: list[tuple[int, str]] = []
    execute = _PgConnection.execute

    async def spy(self: Any, query: str, *args: Any, **kw: Any) -> Any:
        sent.append((id(self), query))
        return await execute(self, query, *args, **kw)

    async def run() -> tuple[Any, ...]:
        seen: dict[str, Any] = {}

        async def last() -> None:
            await finish_with(f"INSERT INTO {probe.table} SELECT pg_backend_pid()")

        async def after() -> None:
            seen["after"] = (await fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"]

        async with engine_on(probe):
            async with write_transaction():
                pid = (await fetch("SELECT pg_backend_pid() AS pid, "
                                   "set_config('application_name', 'dirty', false)"))[0]["pid"]
                after_commit(last)
                after_commit(after)
            dirty = await probe.outside.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dirty'")
            return pid, await probe.seen_outside(), seen["after"] != pid, dirty

    _PgConnection.execute = spy  # type: ignore[method-assign]
    try:
        pid, seen, elsewhere, dirty = run_sync(run())
    finally:
        _PgConnection.execute = execute  # type: ignore[method-assign]
    committed = next(conn for conn, q in sent if q.startswith("BEGIN"))
    resets = [q for conn, q in sent if conn == committed and "RESET ALL" in q]
    assert (seen, elsewhere, dirty) == ([pid], True, 0)
    assert len(resets) == 1 and resets[0].startswith("INSERT INTO"), sent

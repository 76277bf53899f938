"""A fault is never a loss (DESIGN.md invariant 9; issue 9, item 3): a database that is
busy, read-only, full or out of reach answers 503 with Retry-After and a problem that
names the state, changes nothing, shows in /healthz (while /livez still answers), and the
server recovers by itself once the cause is gone, without a restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.db import engine as db
from server.db import faults
from server.db.engine import BUSY_TIMEOUT_MS, POOL_SIZE
from server.settings import Settings
from tests.factories import event_count, item, location, units
from tests.sync import run_sync

PG_ADMIN = os.environ.get("TAGTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture
def crib(manager: Any) -> dict[str, Any]:
    shelf, b3 = location(manager, "Shelf A"), location(manager, "Shelf B3")
    drills = item(manager, tracking="serial", name="Cordless drill")
    [drill] = units(manager, drills["id"], shelf["tag"], serials=["0001"])
    return {"shelf": shelf, "b3": b3, "drill": drill}


def move(crib: dict[str, Any], to: str = "b3") -> dict[str, Any]:
    return {"code": crib["drill"]["tag"], "action": "move", "location": crib[to]["tag"]}


def where(api: Any, crib: dict[str, Any]) -> str:
    answer = api.get(f"/api/v1/units/{crib['drill']['tag']}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["location"]["tag"])


def assert_fault(answer: Any, code: str, title: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert int(answer.headers["retry-after"]) > 0
    body = answer.json()
    assert (body["code"], body["title"]) == (code, title), body
    assert body["type"].endswith(f"/problems/{code}")
    assert "nothing was changed" in body["detail"]


def assert_health(client: Any, database: str) -> None:
    health = client.get("/healthz")
    if database == "ok":
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ok"
    else:
        assert health.status_code == 503, health.text
        assert int(health.headers["retry-after"]) > 0
    assert health.json()["database"] == database
    assert client.get("/livez").json() == {"status": "ok"}  # never asks the database


def on_app_loop(client: Any, work: Any) -> Any:
    """Run a coroutine function on the app's own event loop (its pool lives there)."""
    return client.blocking_portal.call(work)


def settled_pool(client: Any, engine: Any) -> dict[str, int]:
    """The pool's state once background writes (an API token's last use) are done: a
    bounded wait of at most 2 s, never a measure of time."""

    async def wait() -> dict[str, int]:
        for _ in range(200):
            if engine.pool_state()["lent"] == 0:
                break
            await asyncio.sleep(0.01)
        return dict(engine.pool_state())

    return on_app_loop(client, wait)  # type: ignore[no-any-return]


# SQLite


@pytest.fixture
def short_busy(app_client: Any) -> Iterator[Any]:
    """The busy timeout at 50 ms instead of 10 s, on fresh pooled connections."""
    engine = db.current_engine()
    engine.busy_timeout_ms = 50
    on_app_loop(app_client, engine.close_pool)
    yield engine
    engine.busy_timeout_ms = BUSY_TIMEOUT_MS
    on_app_loop(app_client, engine.close_pool)


@contextlib.contextmanager
def held_lock(path: Path) -> Iterator[None]:
    """Another writer holds SQLite's write lock (as another process would)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The database file made read-only: chmod, or for root (whom file modes do not stop)
    the immutable attribute."""
    mode = path.stat().st_mode
    path.chmod(0o444)
    immutable = False
    if os.access(path, os.W_OK):
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        immutable = done.returncode == 0
        if not immutable or os.access(path, os.W_OK):
            path.chmod(mode)
            pytest.skip("this user cannot make a file read-only (root without chattr)")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(mode)


@pytest.mark.sqlite_only
def test_a_lock_held_too_long_answers_503_busy_changes_nothing_and_the_pool_recovers(
    client: Any, operator: Any, crib: Any, settings: Settings, short_busy: Any
) -> None:
    events, overflows = event_count(operator), short_busy.overflows
    with held_lock(settings.sqlite_path):
        for _ in range(POOL_SIZE + 2):
            assert_fault(operator.post("/api/v1/scans", json=move(crib)),
                         "database_busy", "Database busy")
        assert_health(client, "busy")
        assert where(operator, crib) == crib["shelf"]["tag"]
    state = settled_pool(client, short_busy)
    answer = operator.post("/api/v1/scans", json=move(crib))
    assert answer.status_code == 200, answer.text
    assert where(operator, crib) == crib["b3"]["tag"]
    assert event_count(operator) == events + 1
    assert state["lent"] == 0 and state["waiting"] == 0
    assert short_busy.overflows == overflows, "no write waited for a pooled connection"
    assert_health(client, "ok")


@pytest.mark.sqlite_only
def test_a_read_only_file_answers_503_and_writes_work_again_once_it_is_writable(
    client: Any, app_client: Any, operator: Any, crib: Any, settings: Settings
) -> None:
    engine = db.current_engine()
    events = event_count(operator)
    with read_only(settings.sqlite_path):
        # as for a server started now: its connections open read-only, and stay so
        on_app_loop(app_client, engine.close_pool)
        for _ in range(POOL_SIZE + 1):
            assert_fault(operator.post("/api/v1/scans", json=move(crib)),
                         "database_read_only", "Database read-only")
        assert_health(client, "read-only")
        assert where(operator, crib) == crib["shelf"]["tag"]
        assert event_count(operator) == events
    answer = operator.post("/api/v1/scans", json=move(crib))  # no restart, no second try
    assert answer.status_code == 200, answer.text
    assert where(operator, crib) == crib["b3"]["tag"]
    assert_health(client, "ok")


def _real_full_disk_error() -> sqlite3.OperationalError:
    """SQLite's own SQLITE_FULL, from a database allowed a single page."""
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA max_page_count = 1")
    try:
        conn.execute("CREATE TABLE t (x)")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("SQLite found room in one page")


@pytest.mark.sqlite_only
def test_a_full_disk_answers_503_disk_full_and_recovers_when_space_is_back(
    client: Any, operator: Any, crib: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = _real_full_disk_error()

    async def commit(self: Any) -> None:
        raise full

    events = event_count(operator)
    with monkeypatch.context() as disk:
        disk.setattr(db._WriteTransaction, "commit", commit)
        disk.setattr(faults, "free_bytes", lambda directory: 0)
        for _ in range(POOL_SIZE + 1):
            assert_fault(operator.post("/api/v1/scans", json=move(crib)), "disk_full", "Disk full")
        assert_health(client, "disk-full")
    assert event_count(operator) == events
    assert where(operator, crib) == crib["shelf"]["tag"]
    answer = operator.post("/api/v1/scans", json=move(crib))
    assert answer.status_code == 200, answer.text
    assert_health(client, "ok")


@pytest.mark.sqlite_only
def test_a_disk_io_error_on_a_nearly_full_disk_is_called_a_full_disk() -> None:
    error = sqlite3.OperationalError("disk I/O error")
    assert faults._sqlite(error) == (faults.UNAVAILABLE, faults._sqlite(error)[1])  # type: ignore[index]
    with pytest.MonkeyPatch.context() as disk:
        disk.setattr(faults, "disk_is_full", lambda path=None: True)
        assert faults._sqlite(error) == (faults.DISK_FULL, None)


# Both engines


def _driver_error(settings: Settings) -> tuple[Exception, str, str, str]:
    """A database fault as the engine's driver raises it: (error, code, title, words)."""
    if settings.engine == "sqlite":
        return (sqlite3.OperationalError("disk I/O error"), "database_unavailable",
                "Database unavailable", "disk I/O error")
    import asyncpg

    error = asyncpg.exceptions.ReadOnlySQLTransactionError(
        "cannot execute INSERT in a read-only transaction")
    return error, "database_read_only", "Database read-only", "read-only"


def test_a_browser_gets_the_fault_as_a_page_with_the_same_words_and_503(
    client: Any, manager: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.db import items_repo

    error, code, title, words = _driver_error(settings)

    async def failing(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(items_repo, "list_items", failing)
    page = manager.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert int(page.headers["retry-after"]) > 0
    assert f"<h1>{title}</h1>" in page.text and words in page.text
    assert "nothing was changed" in page.text
    api = manager.get("/api/v1/items")
    assert_fault(api, code, title)


# PostgreSQL


async def _pg_admin(*statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{PG_ADMIN}/postgres", timeout=10)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def pg_admin(*statements: str) -> None:
    run_sync(_pg_admin(*statements))


def _kick(name: str) -> str:
    """End every session on the test database (as a restart or failover would)."""
    return (f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
            "AND pid <> pg_backend_pid()")


def _first_settled(send: Any, code: str) -> Any:
    """The first answer after the sessions were cut may meet a connection that has just
    been closed (503 unavailable); the pool replaces it, and the next answers settle."""
    answer = send()
    for _ in range(3):
        if answer.status_code != 503 or answer.json()["code"] == code:
            return answer
        assert answer.json()["code"] == "database_unavailable", answer.text
        answer = send()
    return answer


@pytest.mark.postgres_only
def test_a_read_only_postgres_answers_503_and_writes_work_again_once_it_is_writable(
    client: Any, operator: Any, crib: Any, settings: Settings
) -> None:
    name = settings.database_url.rsplit("/", 1)[1]
    events = event_count(operator)
    try:
        pg_admin(f"ALTER DATABASE {name} SET default_transaction_read_only = on", _kick(name))
        answer = _first_settled(lambda: operator.post("/api/v1/scans", json=move(crib)),
                                "database_read_only")
        assert_fault(answer, "database_read_only", "Database read-only")
        for _ in range(3):
            assert_fault(operator.post("/api/v1/scans", json=move(crib)),
                         "database_read_only", "Database read-only")
        assert_health(client, "read-only")
        assert where(operator, crib) == crib["shelf"]["tag"]
        assert event_count(operator) == events
    finally:
        pg_admin(f"ALTER DATABASE {name} RESET default_transaction_read_only")
    answer = operator.post("/api/v1/scans", json=move(crib))  # no restart, no second try
    assert answer.status_code == 200, answer.text
    assert where(operator, crib) == crib["b3"]["tag"]
    assert_health(client, "ok")


@pytest.mark.postgres_only
def test_an_unreachable_postgres_answers_503_unavailable_and_the_pool_heals(
    client: Any, app_client: Any, operator: Any, crib: Any, settings: Settings
) -> None:
    name = settings.database_url.rsplit("/", 1)[1]
    try:
        pg_admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false", _kick(name))
        for _ in range(12):  # more than the pool holds
            assert_fault(operator.post("/api/v1/scans", json=move(crib)),
                         "database_unavailable", "Database unavailable")
        assert_health(client, "unavailable")
    finally:
        pg_admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    answer = operator.post("/api/v1/scans", json=move(crib))
    assert answer.status_code == 200, answer.text
    assert where(operator, crib) == crib["b3"]["tag"]
    assert settled_pool(client, db.current_engine())["lent"] == 0
    assert_health(client, "ok")

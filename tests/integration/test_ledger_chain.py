"""DESIGN.md invariant 7 on a real database (the engine TAGTRACK_TEST_DB picks): events are
hash-chained as they are written; editing, deleting, inserting or swapping events directly
in the database makes `verify` fail naming the right event; an exported chain head catches
a history rewritten with every later hash recomputed; concurrent writers in several server
processes keep one unbroken chain. On PostgreSQL an event's transaction commits without
waiting for the WAL flush (so the chain lock goes at once) and is on disk before the caller
goes on, and the services that write several events take their row locks before the chain
lock, so that a writer holding such a row never deadlocks with them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from server.db import engine as db
from server.db import ledger
from server.db.engine import after_commit, fetch, write_transaction
from server.domain import chain
from server.domain.actors import SYSTEM
from server.domain.events import EventDraft
from server.domain.vocab import EventKind
from server.settings import Settings
from tests.conftest import As, reset_database
from tests.integration.servers import cli, database, env_for, running
from tests.sync import run_sync

ENGINE = os.environ.get("TAGTRACK_TEST_DB", "sqlite")
COLUMNS = ", ".join((*chain.FIELDS, "prev_hash", "hash"))


# ---------------------------------------------------------------------------- the database


def sql(settings: Settings, statement: str, *args: Any) -> list[dict[str, Any]]:
    """Run one statement (`?` placeholders) straight on the database, as an attacker with
    access to the file or the server would; its rows."""
    if settings.engine == "sqlite":
        import sqlite3

        conn = sqlite3.connect(settings.sqlite_path, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            rows = [dict(r) for r in conn.execute(statement, args).fetchall()]
            conn.commit()
            return rows
        finally:
            conn.close()

    async def pg() -> list[dict[str, Any]]:
        import asyncpg

        n = iter(range(1, 100))
        native = "".join(f"${next(n)}" if c == "?" else c for c in statement)
        conn = await asyncpg.connect(settings.database_url)
        try:
            return [dict(r) for r in await conn.fetch(native, *args)]
        finally:
            await conn.close()

    return run_sync(pg())


def events(settings: Settings) -> list[dict[str, Any]]:
    return sql(settings, f"SELECT {COLUMNS} FROM event ORDER BY id")


def reseal(settings: Settings, rows: list[dict[str, Any]]) -> None:
    """What a careful forger does after a change: recompute every hash from the start."""
    prev = chain.GENESIS
    for row in rows:
        sealed = chain.seal(prev, row)
        sql(settings, "UPDATE event SET prev_hash = ?, hash = ? WHERE id = ?", prev, sealed,
            row["id"])
        prev = sealed


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def admin(app_client: TestClient[Any], settings: Settings,
          seed_sql: list[tuple[str, tuple[Any, ...]]]) -> Iterator[As]:
    """An admin on an empty database; unlike the `client` fixture, no verify at the end
    (these tests break the history on purpose), and the database is emptied again."""
    reset_database(settings, seed_sql)
    app_client.headers.pop("Authorization", None)
    app_client.cookies.clear()
    yield As(app_client, "admin")
    reset_database(settings, seed_sql)


def make(api: As, path: str, body: dict[str, Any]) -> Any:
    answer = api.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def some_history(api: As) -> None:
    """A dozen events of several kinds, some written together (record_many)."""
    shelf = make(api, "/api/v1/locations", {"name": "Shelf"})
    bench = make(api, "/api/v1/locations", {"name": "Bench"})
    ann = make(api, "/api/v1/people", {"name": "Ann"})
    drill = make(api, "/api/v1/items", {"sku": "DRILL", "name": "Drill", "tracking": "serial"})
    units = make(api, "/api/v1/units",
                 {"item": drill["id"], "location": shelf["tag"], "count": 3})["units"]
    make(api, f"/api/v1/units/{units[0]['tag']}/move", {"location": bench["tag"]})
    make(api, f"/api/v1/units/{units[1]['tag']}/check-out", {"person": ann["tag"]})
    ties = make(api, "/api/v1/items", {"sku": "TIES", "name": "Zip ties"})
    make(api, "/api/v1/stock/receive",
         {"item": ties["id"], "location": shelf["tag"], "quantity": 40})
    make(api, "/api/v1/stock/consume",
         {"item": ties["id"], "location": shelf["tag"], "quantity": 3, "note": "repair"})
    make(api, f"/api/v1/units/{units[1]['tag']}/check-in", {"location": shelf["tag"]})


def problems(api: As) -> list[str]:
    answer = api.get("/api/v1/admin/verify")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ok"] is (not body["problems"])
    return list(body["problems"])


def one_of(rows: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """An event of that kind in the middle of the history (neither first nor last)."""
    return next(r for r in rows[1:-1] if r["kind"] == kind)


# ---------------------------------------------------------------------------- a clean history


def test_every_event_is_chained_to_the_one_before_it(admin: As, settings: Settings) -> None:
    some_history(admin)
    rows = events(settings)
    assert len(rows) >= 12
    prev = chain.GENESIS
    for row in rows:
        assert row["prev_hash"] == prev
        assert row["hash"] == chain.seal(prev, row)
        prev = row["hash"]
    assert problems(admin) == []


def test_the_head_is_the_last_event_for_managers_only(
        admin: As, settings: Settings, app_client: TestClient[Any]) -> None:
    assert admin.get("/api/v1/events/head").json() == {
        "event_id": 0, "hash": chain.GENESIS, "count": 0, "at": ""}
    some_history(admin)
    last = events(settings)[-1]
    head = As(app_client, "manager").get("/api/v1/events/head")
    assert head.status_code == 200, head.text
    assert head.json() == {"event_id": last["id"], "hash": last["hash"],
                           "count": len(events(settings)), "at": chain.utc_text(last["at"])}
    assert As(app_client, "operator").get("/api/v1/events/head").status_code == 403


# ---------------------------------------------------------------------------- tampering


@pytest.mark.parametrize(("kind", "column", "value"), [
    ("stock.consumed", "note", "nothing to see here"),
    ("unit.moved", "details", '{"status": "retired"}'),
    ("stock.received", "quantity", 400),
    ("unit.checked_out", "to_person_id", 999),
])
def test_an_event_edited_in_the_database_is_named(
        admin: As, settings: Settings, kind: str, column: str, value: Any) -> None:
    some_history(admin)
    target = one_of(events(settings), kind)
    sql(settings, f"UPDATE event SET {column} = ? WHERE id = ?", value, target["id"])
    found = problems(admin)
    assert found, "verify passed on an edited event"
    assert found[0].startswith(f"event {target['id']} ({kind}) was edited"), found


def test_an_event_deleted_from_the_middle_names_the_event_after_the_gap(
        admin: As, settings: Settings) -> None:
    some_history(admin)
    rows = events(settings)
    gone = one_of(rows, "unit.moved")
    after = rows[rows.index(gone) + 1]
    sql(settings, "DELETE FROM event WHERE id = ?", gone["id"])
    found = problems(admin)
    assert found[0].startswith(f"event {after['id']} ({after['kind']}) does not follow "
                               f"event {rows[rows.index(gone) - 1]['id']}"), found


def test_a_forged_event_inserted_between_two_is_named(admin: As, settings: Settings) -> None:
    """The forger makes room by renumbering the later events (ids are dense) and seals the
    forged event properly: it still is not part of the chain."""
    some_history(admin)
    rows = events(settings)
    before = one_of(rows, "unit.checked_out")
    later = [r for r in rows if r["id"] > before["id"]]
    for row in sorted(later, key=lambda r: -r["id"]):
        sql(settings, "UPDATE event SET id = ? WHERE id = ?", row["id"] + 1, row["id"])
    forged = {**before, "id": before["id"] + 1, "kind": "unit.retired", "note": "written off",
              "details": '{"status": "retired"}'}
    forged["prev_hash"] = before["hash"]
    forged["hash"] = chain.seal(before["hash"], forged)
    sql(settings, f"INSERT INTO event ({COLUMNS}) VALUES ({', '.join('?' * 17)})",
        *(forged[c] for c in (*chain.FIELDS, "prev_hash", "hash")))
    found = problems(admin)
    assert found[0].startswith(
        f"event {forged['id']} (unit.retired) was inserted out of place"), found


def test_two_events_with_their_contents_swapped_are_named(
        admin: As, settings: Settings) -> None:
    some_history(admin)
    rows = events(settings)
    a = one_of(rows, "unit.moved")
    b = rows[rows.index(a) + 1]
    assignments = ", ".join(f"{c} = ?" for c in (*chain.FIELDS[1:], "prev_hash", "hash"))
    for target, source in ((a, b), (b, a)):
        sql(settings, f"UPDATE event SET {assignments} WHERE id = ?",
            *(source[c] for c in (*chain.FIELDS[1:], "prev_hash", "hash")), target["id"])
    found = problems(admin)
    assert found[:2] == [
        f"event {a['id']} ({b['kind']}) was renumbered: it was written as event {b['id']}",
        f"event {b['id']} ({a['kind']}) was renumbered: it was written as event {a['id']}"]


def test_an_event_written_around_the_ledger_is_named(admin: As, settings: Settings) -> None:
    some_history(admin)
    last = events(settings)[-1]
    sql(settings, "INSERT INTO event (id, at, actor, kind, note, details) "
        "VALUES (?, ?, 'intruder', 'unit.retired', '', '{}')", last["id"] + 1, last["at"])
    found = problems(admin)
    assert found[0] == f"event {last['id'] + 1} (unit.retired) has no hash: it was written " \
                       "outside the ledger", found


# ---------------------------------------------------------------------------- an auditor's view

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"
_EXPORT = ("SELECT id, at, actor_id, actor, kind, item_id, unit_id, lot_id, quantity, "
           "from_location_id, to_location_id, from_person_id, to_person_id, note, details, "
           "prev_hash, hash FROM event")


def docs_script() -> str:
    text = DOCS.read_text()
    start = text.index("```python", text.index("check-chain.py")) + len("```python")
    return text[start:text.index("```", start)]


def exported(settings: Settings) -> str:
    """The events as the database's own command-line tool exports them (docs/ledger.md)."""
    if settings.engine == "sqlite":
        args = ["sqlite3", "-json", str(settings.sqlite_path), f"{_EXPORT} ORDER BY id"]
    else:
        args = ["psql", settings.database_url, "-Atc",
                f"SELECT json_agg(e ORDER BY e.id) FROM ({_EXPORT}) e"]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def test_the_script_in_the_docs_checks_the_chain_without_tagtrack(
        admin: As, settings: Settings, tmp_path: Path) -> None:
    some_history(admin)
    stage = make(admin, "/api/v1/locations", {"name": "Café, Bühne 2"})
    rope = make(admin, "/api/v1/items", {"sku": "SEIL", "name": "Seil „grün“ 🧵"})
    make(admin, "/api/v1/stock/receive", {"item": rope["id"], "location": stage["tag"],
                                          "quantity": 7, "note": "naïve\ttab \u001f"})
    make(admin, "/api/v1/stock/consume", {"item": rope["id"], "location": stage["tag"],
                                          "quantity": 1})
    script = tmp_path / "check-chain.py"
    script.write_text(docs_script())
    last = events(settings)[-1]

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-I", str(script)], input=exported(settings),
                              capture_output=True, text=True, timeout=60, check=False)

    done = run()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"chain intact: {len(events(settings))} events, " \
                                  f"head {last['hash']}"
    target = one_of(events(settings), "stock.received")
    sql(settings, "UPDATE event SET quantity = 4000 WHERE id = ?", target["id"])
    done = run()
    assert done.returncode == 1
    assert done.stderr.strip() == f"the chain breaks at event {target['id']} (stock.received)"


# ---------------------------------------------------------------------------- the chain head


def test_an_exported_head_catches_a_history_rewritten_with_every_hash_recomputed(
        admin: As, settings: Settings, tmp_path: Path) -> None:
    some_history(admin)
    env = env_for(settings.database_url, settings.data_dir)
    head_file = tmp_path / "head.json"
    done = cli(env, "verify", "--chain-head", str(head_file))
    assert done.returncode == 0, done.stdout + done.stderr
    kept = json.loads(head_file.read_text())
    last = events(settings)[-1]
    assert (kept["event_id"], kept["hash"], kept["count"]) == \
        (last["id"], last["hash"], len(events(settings)))
    printed = cli(env, "verify", "--chain-head")
    assert printed.returncode == 0 and "intact" in printed.stderr, printed.stderr
    assert json.loads(printed.stdout)["hash"] == kept["hash"]

    make(admin, "/api/v1/locations", {"name": "Later"})  # the history goes on
    done = cli(env, "verify", "--since-head", str(head_file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"still holds the head of event {kept['event_id']}" in done.stdout

    rows = events(settings)
    rows[2]["note"] = "this never happened"
    sql(settings, "UPDATE event SET note = ? WHERE id = ?", rows[2]["note"], rows[2]["id"])
    reseal(settings, rows)
    assert problems(admin) == []  # consistent on its own: only the kept head tells
    done = cli(env, "verify", "--since-head", str(head_file))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith(
        f"event {kept['event_id']} ({last['kind']}) is not the head that was exported"), \
        done.stdout


def test_a_head_file_that_is_not_a_head_is_refused(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "head.json"
    bad.write_text('{"event_id": 3}')
    done = cli(env_for(settings.database_url, settings.data_dir), "verify", "--since-head",
               str(bad))
    assert done.returncode == 2
    assert "cannot read the chain head" in done.stderr


# ---------------------------------------------------------------------------- upgrades


_BEFORE_THE_CHAIN = textwrap.dedent("""
    import asyncio, os, sys
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from server.db import piccolo_conf
    from server.db.engine import make_engine, stop
    from server.settings import reload_settings

    async def main() -> None:
        os.environ["PICCOLO_CONF"] = "server.db.piccolo_conf"
        piccolo_conf.DB = make_engine(reload_settings().database_url)
        done = await run_forwards(app_name="tagtrack", migration_id=sys.argv[1])
        assert done.success, done.message
        for i in range(1, 6):
            await piccolo_conf.DB.run_ddl(
                "INSERT INTO event (at, actor, kind, item_id, quantity, note, details) "
                f"VALUES ('2025-01-0{i} 10:00:00.12345{i}+00:00', 'old', 'stock.received', "
                f"1, {i}, 'before the chain', '{{\\"n\\": {i}}}')")
        await stop(piccolo_conf.DB)

    asyncio.run(main())
""")


def test_the_migration_chains_the_events_already_there(tmp_path: Path) -> None:
    with database(ENGINE, tmp_path) as url:
        env = env_for(url, tmp_path / "data")
        done = subprocess.run(
            [sys.executable, "-c", _BEFORE_THE_CHAIN, "2026-11-26T17:10:30:000000"],
            env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        done = cli(env, "migrate")
        assert done.returncode == 0, done.stdout + done.stderr
        verified = cli(env, "verify", "--chain-head")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert json.loads(verified.stdout)["count"] == 5
        assert "the chain of 5 events is intact" in verified.stderr


# ---------------------------------------------------------------------------- concurrency


@pytest.mark.slow
def test_writers_in_two_server_processes_keep_one_unbroken_chain(tmp_path: Path) -> None:
    with running(ENGINE, tmp_path, n=2) as servers:
        headers = {"Authorization": f"Bearer {servers.token}"}
        clients = [httpx.Client(base_url=u, headers=headers, timeout=60) for u in servers.urls]
        try:
            def post(i: int, path: str, body: dict[str, Any]) -> httpx.Response:
                return clients[i % 2].post(path, json=body)

            shelves = [post(0, "/api/v1/locations", {"name": f"Shelf {i}"}).json()
                       for i in range(2)]
            items = [post(0, "/api/v1/items", {"sku": f"CORD-{i}", "name": "Cord"}).json()
                     for i in range(4)]
            calls = [(i, "/api/v1/stock/receive",
                      {"item": items[i % 4]["id"], "location": shelves[i % 2]["tag"],
                       "quantity": 1 + i % 3}) for i in range(48)]
            calls += [(i, "/api/v1/locations", {"name": f"Bin {i}"}) for i in range(16)]
            before = clients[0].get("/api/v1/events/head").json()["count"]
            with ThreadPoolExecutor(max_workers=12) as pool:
                answers = list(pool.map(lambda c: post(*c), calls))
            assert [a.status_code for a in answers] == [201] * len(calls), \
                [a.text for a in answers if a.status_code != 201][:3]
            head = clients[1].get("/api/v1/events/head").json()
        finally:
            for c in clients:
                c.close()
        done = cli(servers.env, "verify", "--chain-head")
        assert done.returncode == 0, done.stdout + done.stderr + servers.logs()[-3000:]
        assert json.loads(done.stdout)["count"] == head["count"] == before + len(calls)


# ---------------------------------------------------------------- PostgreSQL: the chain lock


@contextlib.contextmanager
def bound(engine: Any) -> Iterator[None]:
    from server.db.tables import ALL_TABLES

    before = ALL_TABLES[0]._meta._db
    db.bind(engine)
    try:
        yield
    finally:
        db.bind(before)  # type: ignore[arg-type]


MOVED = EventDraft(kind=EventKind.UNIT_MOVED, item_id=1, unit_id=1, from_location_id=1,
                   to_location_id=2)


@pytest.mark.postgres_only
@pytest.mark.parametrize("append", ["record", "record_many"])
def test_an_event_commits_without_waiting_for_the_flush_and_is_on_disk_when_the_caller_goes_on(
        admin: As, settings: Settings, append: str) -> None:
    """The commit does not wait for the WAL flush (so the chain lock is released at
    once); the flush is waited for after it, before write_transaction returns. A test
    callback registered before the event runs first, right after the commit: the WAL
    written up to then must be on disk when the transaction's caller goes on (without the
    ledger's flush it is not, but for the odd walwriter cycle: 20 rounds)."""
    engine = db.make_engine(settings.database_url)

    async def run() -> list[tuple[str, bool]]:
        import asyncpg

        await db.start(engine)
        watcher = await asyncpg.connect(settings.database_url)
        try:
            rounds = []
            for _ in range(20):
                seen: dict[str, Any] = {}

                async def committed(seen: dict[str, Any] = seen) -> None:
                    seen["lsn"] = await watcher.fetchval("SELECT pg_current_wal_insert_lsn()")

                async with write_transaction():
                    after_commit(committed)
                    if append == "record":
                        await ledger.record(SYSTEM, MOVED)
                    else:
                        await ledger.record_many(SYSTEM, [MOVED, MOVED])
                    mode = (await fetch("SHOW synchronous_commit"))[0]["synchronous_commit"]
                flushed = await watcher.fetchval("SELECT pg_current_wal_flush_lsn()")
                rounds.append((mode, flushed >= seen["lsn"]))
            return rounds
        finally:
            await watcher.close()
            await db.stop(engine)

    with bound(engine):
        rounds = run_sync(run())
    assert rounds == [("off", True)] * 20


@pytest.mark.postgres_only
def test_an_event_written_in_a_transaction_of_piccolo_s_own_commits_with_its_flush(
        admin: As, settings: Settings) -> None:
    """No write_transaction to wait for the flush after the commit: the commit flushes."""
    engine = db.make_engine(settings.database_url)

    async def run() -> str:
        await db.start(engine)
        try:
            async with engine.transaction():
                await ledger.record(SYSTEM, MOVED)
                return str((await fetch("SHOW synchronous_commit"))[0]["synchronous_commit"])
        finally:
            await db.stop(engine)

    with bound(engine):
        assert run_sync(run()) == "on"


_WAITING = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")
_CHAIN_HELD = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
               "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
               f"AND classid = {ledger.CHAIN_LOCK >> 32} "
               f"AND objid = {ledger.CHAIN_LOCK & 0xFFFFFFFF} AND objsubid = 1")


def another_writer_holds(settings: Settings, row_lock: str,
                         call: Callable[[], httpx.Response]) -> tuple[httpx.Response, int]:
    """Another writer (a scan, say) holds a row (`row_lock`) that `call` (a change of
    several events, through the API) needs. Once `call` waits for that row: is the chain
    lock held (by `call`: nobody else writes)? Then the other writer appends its event, as
    it would, taking the chain lock, and commits. `call`'s answer and that count."""

    async def run() -> tuple[httpx.Response, int]:
        import asyncpg

        other = await asyncpg.connect(settings.database_url)
        try:
            # were `call` to hold the chain while it waits for the row: a deadlock, which
            # PostgreSQL breaks after deadlock_timeout (1 s), or at worst this timeout
            await other.execute("SET lock_timeout = '20s'")
            async with other.transaction():
                await other.execute(row_lock)
                answer = asyncio.ensure_future(asyncio.to_thread(call))
                async with asyncio.timeout(20):  # a bound, not a timing
                    while not await other.fetchval(_WAITING):
                        assert not answer.done(), answer.result().text
                        await asyncio.sleep(0.01)
                held = int(await other.fetchval(_CHAIN_HELD))
                await other.execute(f"SELECT pg_advisory_xact_lock({ledger.CHAIN_LOCK})")
            return await answer, held
        finally:
            await other.close()

    return run_sync(run())


def _id(settings: Settings, query: str, *args: Any) -> int:
    return int(sql(settings, query, *args)[0]["id"])


@pytest.mark.postgres_only
def test_a_consume_over_several_lots_takes_its_row_locks_before_the_chain_lock(
        admin: As, settings: Settings) -> None:
    shelf = make(admin, "/api/v1/locations", {"name": "Shelf"})
    gloves = make(admin, "/api/v1/items", {"sku": "GLOVES", "name": "Gloves", "tracking": "lot"})
    for code, expires, quantity in (("SOON", "2030-01-01", 3), ("LATER", "2031-01-01", 5)):
        make(admin, "/api/v1/stock/receive", {"item": gloves["id"], "location": shelf["tag"],
                                              "quantity": quantity, "lot": code,
                                              "expires_on": expires})
    later = _id(settings, "SELECT id FROM lot WHERE code = 'LATER'")
    answer, held = another_writer_holds(
        settings, f"SELECT 1 FROM stock WHERE key = '{gloves['id']}:{shelf['id']}:{later}' "
                  "FOR UPDATE",
        lambda: admin.post("/api/v1/stock/consume", json={
            "item": gloves["id"], "location": shelf["tag"], "quantity": 5}))
    assert (answer.status_code, held) == (201, 0), answer.text
    consumed = [e for e in events(settings) if e["kind"] == "stock.consumed"]
    assert [(e["lot_id"], e["quantity"]) for e in consumed] == \
        [(_id(settings, "SELECT id FROM lot WHERE code = 'SOON'"), 3), (later, 2)]
    assert problems(admin) == []


@pytest.mark.postgres_only
def test_an_audit_confirmation_takes_its_row_locks_before_the_chain_lock(
        admin: As, settings: Settings) -> None:
    shelf = make(admin, "/api/v1/locations", {"name": "Shelf"})
    other = make(admin, "/api/v1/locations", {"name": "Other"})
    drill = make(admin, "/api/v1/items", {"sku": "DRILL", "name": "Drill", "tracking": "serial"})
    strays = make(admin, "/api/v1/units",
                  {"item": drill["id"], "location": other["tag"], "count": 2})["units"]
    audit = make(admin, "/api/v1/audits", {"location": shelf["tag"]})["audit"]["id"]
    for unit in strays:  # found on the shelf: confirming moves them there, one by one
        make(admin, f"/api/v1/audits/{audit}/scans", {"code": unit["tag"]})
    make(admin, f"/api/v1/audits/{audit}/finish", {})
    second = max(_id(settings, "SELECT id FROM unit WHERE tag = ?", u["tag"]) for u in strays)
    answer, held = another_writer_holds(
        settings, f"SELECT 1 FROM unit WHERE id = {second} FOR UPDATE",
        lambda: admin.post(f"/api/v1/audits/{audit}/confirm", json={}))
    assert (answer.status_code, held) == (200, 0), answer.text
    assert len(answer.json()["audit"]["outcome"]["moved"]) == 2
    assert problems(admin) == []


@pytest.mark.postgres_only
def test_a_conversion_to_units_takes_the_tag_counter_before_the_chain_lock(
        admin: As, settings: Settings) -> None:
    shelf = make(admin, "/api/v1/locations", {"name": "Shelf"})
    cords = make(admin, "/api/v1/items", {"sku": "CORD", "name": "Cord"})
    make(admin, "/api/v1/stock/receive", {"item": cords["id"], "location": shelf["tag"],
                                          "quantity": 3})
    make(admin, "/api/v1/units", {"item": make(admin, "/api/v1/items", {
        "sku": "DRILL", "name": "Drill", "tracking": "serial"})["id"],
        "location": shelf["tag"], "count": 1})  # the unit tag counter's row exists
    answer, held = another_writer_holds(
        settings, "SELECT 1 FROM counter WHERE name = 'U' FOR UPDATE",
        lambda: admin.post(f"/api/v1/items/{cords['id']}/convert", json={"tracking": "serial"}))
    assert (answer.status_code, held) == (201, 0), answer.text
    assert answer.json()["units_created"] == 3
    assert problems(admin) == []


@pytest.mark.postgres_only
def test_an_all_or_nothing_bulk_check_out_locks_every_unit_before_the_chain_lock(
        admin: As, settings: Settings) -> None:
    shelf = make(admin, "/api/v1/locations", {"name": "Shelf"})
    dana = make(admin, "/api/v1/people", {"name": "Dana"})
    drill = make(admin, "/api/v1/items", {"sku": "DRILL", "name": "Drill", "tracking": "serial"})
    drills = make(admin, "/api/v1/units",
                  {"item": drill["id"], "location": shelf["tag"], "count": 2})["units"]
    second = _id(settings, "SELECT id FROM unit WHERE tag = ?", drills[1]["tag"])
    answer, held = another_writer_holds(
        settings, f"SELECT 1 FROM unit WHERE id = {second} FOR UPDATE",
        lambda: admin.post("/api/v1/loans/bulk-check-out", json={
            "person": dana["tag"], "codes": [u["tag"] for u in drills],
            "all_or_nothing": True}))
    assert (answer.status_code, held) == (200, 0), answer.text
    results = answer.json()["results"]
    assert all(r["ok"] for r in results)
    ids = [e["id"] for e in events(settings) if e["kind"] == "unit.checked_out"]
    assert [r["event_id"] for r in results] == ids
    assert problems(admin) == []

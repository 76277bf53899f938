"""Idempotency keys are scoped per user (issue 9, item 12): a key is made on a device and
means "this scan of mine"; another user's scan with the same key is another scan, applied
on its own, never answered with the first user's answer. Replays of one user's key still
never apply twice (tests/api/test_scans.py; across processes: test_scans_race.py), and the
migration that scoped the keys keeps the scan log (test at the end, both engines)."""

from __future__ import annotations

import importlib
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.factories import event_count, item, location, ok, on_hand, receive
from tests.integration.servers import database
from tests.sync import run_sync

MIGRATION = "2026-11-29T12:20:00:000000"


@pytest.fixture
def ties(manager: Any) -> dict[str, Any]:
    shelf = location(manager, "Shelf A")
    made = item(manager, name="Zip ties", sku="ZIP-100")
    receive(manager, made["id"], shelf["tag"], 10)
    return {"id": made["id"], "shelf": shelf["tag"]}


def consume(ties: dict[str, Any], key: str) -> dict[str, Any]:
    return {"code": "ZIP-100", "action": "consume", "location": ties["shelf"], "quantity": 2,
            "idempotency_key": key}


def test_the_same_key_from_another_user_is_another_scan(
    operator: Any, manager: Any, ties: Any
) -> None:
    first = operator.post("/api/v1/scans", json=consume(ties, "k-shared"))
    second = manager.post("/api/v1/scans", json=consume(ties, "k-shared"))
    assert first.status_code == second.status_code == 200, second.text
    assert "idempotent-replay" not in second.headers
    assert second.json()["event_id"] != first.json()["event_id"]
    assert on_hand(manager, ties["id"]) == 6, "both consumed"
    log = ok(manager.get("/api/v1/scans"))["scans"]
    assert sorted(s["user"] for s in log) == ["manager", "operator"]


def test_each_user_still_gets_their_own_first_answer_on_replay(
    operator: Any, manager: Any, ties: Any
) -> None:
    first = operator.post("/api/v1/scans", json=consume(ties, "k-1"))
    mine = manager.post("/api/v1/scans", json={**consume(ties, "k-1"), "quantity": 3})
    events = event_count(manager)
    again = operator.post("/api/v1/scans", json=consume(ties, "k-1"))
    mine_again = manager.post("/api/v1/scans", json={**consume(ties, "k-1"), "quantity": 3})
    assert again.headers["idempotent-replay"] == mine_again.headers["idempotent-replay"] == "true"
    assert (again.json(), mine_again.json()) == (first.json(), mine.json())
    assert event_count(manager) == events
    assert on_hand(manager, ties["id"]) == 5


def test_a_batch_scopes_keys_per_user_too(operator: Any, manager: Any, ties: Any) -> None:
    ok(operator.post("/api/v1/scans/batch", json={"scans": [consume(ties, "b-1")]}))
    body = ok(manager.post("/api/v1/scans/batch", json={"scans": [consume(ties, "b-1")]}))
    assert [(r["status"], r["replay"]) for r in body["results"]] == [(200, False)]
    assert on_hand(manager, ties["id"]) == 6


# The migration, on a database of its own (the engine TAGTRACK_TEST_DB picks)


async def _migrate(url: str, up_to: str) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    # Piccolo's own table of applied migrations keeps the engine it first met
    from piccolo.apps.migrations.tables import Migration

    from server.db import piccolo_conf
    from server.db.engine import make_engine, stop

    engine = make_engine(url)
    before, piccolo_conf.DB = piccolo_conf.DB, engine
    applied_before, Migration._meta.db = Migration._meta._db, engine
    try:
        result = await run_forwards(app_name="tagtrack", migration_id=up_to)
        assert result.success, result.message
    finally:
        await stop(engine)
        piccolo_conf.DB = before
        Migration._meta.db = applied_before  # type: ignore[assignment]


def _previous_migration() -> str:
    """The ID of the migration just before this one."""
    from server.db import migrations

    folder = Path(migrations.__file__).parent
    ids = sorted(
        importlib.import_module(f"server.db.migrations.{path.stem}").ID
        for path in folder.glob("tagtrack_*.py")
    )
    return ids[ids.index(MIGRATION) - 1]


INSERT = ("INSERT INTO scan_log (device_id, user_id, username, code, action, ok, status, "
          "received_at, idempotency_key, answer) VALUES ('phone', {user}, 'someone', 'ZIP-100', "
          "'lookup', TRUE, 200, CURRENT_TIMESTAMP, 'k-old', '{{}}')")


async def _execute(url: str, sql: str) -> None:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            conn.execute(sql)
            conn.commit()
        finally:
            conn.close()
        return
    import asyncpg

    pg = await asyncpg.connect(url)
    try:
        await pg.execute(sql)
    finally:
        await pg.close()


def test_the_migration_keeps_the_scan_log_and_scopes_its_keys(
    tmp_path: Path, settings: Any
) -> None:
    engine = os.environ.get("TAGTRACK_TEST_DB", "sqlite")
    saved = os.environ.get("DATABASE_URL")
    try:
        with database(engine, tmp_path) as url:
            run_sync(_migrate(url, _previous_migration()))
            run_sync(_execute(url, INSERT.format(user=1)))
            with pytest.raises(Exception, match=r"(?i)unique"):  # keys were global
                run_sync(_execute(url, INSERT.format(user=2)))
            run_sync(_migrate(url, MIGRATION))
            run_sync(_execute(url, INSERT.format(user=2)))  # another user: another scan
            with pytest.raises(Exception, match=r"(?i)unique"):  # the same user: refused
                run_sync(_execute(url, INSERT.format(user=1)))
            with pytest.raises(Exception, match=r"(?i)unique"):  # no user counts as one
                run_sync(_execute(url, INSERT.format(user="NULL")))
                run_sync(_execute(url, INSERT.format(user="NULL")))
    finally:
        if saved is not None:
            os.environ["DATABASE_URL"] = saved

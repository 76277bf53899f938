"""Backup and restore on the session's engine: every row comes back, verify passes, ids
continue, a database holding rows is refused unless forced, a damaged or foreign file is
refused and changes nothing, and no table of the database is left out."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from server.db import snapshot
from server.db.tables import ALL_TABLES
from server.domain.backup_format import BackupError, table_file
from server.services.backup import backup, migrate_database, restore
from tests.conftest import ENGINE, page_login
from tests.integration.backup_helpers import every_row, throwaway, varied_catalog, verify_elsewhere
from tests.integration.servers import cli, env_for
from tests.sync import run_sync


def test_backup_then_restore_gives_back_every_row_and_refuses_to_mix(manager, settings,
                                                                    tmp_path):
    varied_catalog(manager)
    assert page_login(manager.client, "operator").status_code == 303  # a web session
    file = tmp_path / "tagtrack.zip"
    manifest = run_sync(backup(settings.database_url, file))
    source = every_row(settings.database_url, tmp_path)
    events = source["event"]
    assert manifest.chain_head["event_id"] == events[-1]["id"]
    assert manifest.chain_head["hash"] == events[-1]["hash"]
    assert manifest.chain_head["count"] == len(events)
    assert {t.name: t.rows for t in manifest.tables} == {k: len(v) for k, v in source.items()}
    assert all(source[t] for t in ("app_user", "api_token", "web_session", "scan_log",
                                   "counter", "lot", "unit", "location"))
    with pytest.raises(BackupError, match=r"not empty.*--force"):
        run_sync(restore(settings.database_url, file))
    assert every_row(settings.database_url, tmp_path) == source
    with throwaway(ENGINE, tmp_path) as url:
        run_sync(restore(url, file))
        assert every_row(url, tmp_path) == source
        assert verify_elsewhere(url) == []
        if ENGINE == "postgres":
            _ids_continue(url, source)
        run_sync(restore(url, file, force=True))  # wiped, then loaded again
        assert every_row(url, tmp_path) == source


def _ids_continue(url, rows):
    """Every id sequence hands out an id past the largest one restored."""
    async def check():
        checked = 0
        async with snapshot.writing(url) as db:
            for shape in await db.shapes():
                seq = await db._sequence(shape)
                if seq is None or not rows[shape.name]:
                    continue
                nxt = await db.conn.fetchval("SELECT nextval($1)", seq)
                assert nxt > max(r["id"] for r in rows[shape.name]), shape.name
                checked += 1
        return checked
    assert run_sync(check()) >= 10


def _rewrite(src: Path, dst: Path, change_manifest=None, drop_line_of=None) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "manifest.json" and change_manifest:
                manifest = json.loads(data)
                change_manifest(manifest)
                data = json.dumps(manifest).encode()
            if drop_line_of and info.filename == table_file(drop_line_of):
                data = b"".join(data.splitlines(keepends=True)[1:])
            zout.writestr(info.filename, data)


def test_a_damaged_or_foreign_file_is_refused_and_changes_nothing(manager, settings,
                                                                 tmp_path):
    varied_catalog(manager)
    good = tmp_path / "good.zip"
    run_sync(backup(settings.database_url, good))
    (tmp_path / "notes.txt").write_text("hello")
    zipfile.ZipFile(tmp_path / "other.zip", "w").writestr("a.txt", "x")
    newer = tmp_path / "newer.zip"
    _rewrite(good, newer, change_manifest=lambda m: m["migrations"].append("2099-01-01"))
    short = tmp_path / "short.zip"
    _rewrite(good, short, drop_line_of="event")
    cases = [(tmp_path / "missing.zip", "no backup file"),
             (tmp_path / "notes.txt", "not a zip"),
             (tmp_path / "other.zip", "no manifest"),
             (newer, r"newer Tagtrack.*2099-01-01"),
             (short, r"event.*damaged")]
    with throwaway(ENGINE, tmp_path) as url:
        run_sync(migrate_database(url))
        for file, reason in cases:
            with pytest.raises(BackupError, match=reason):
                run_sync(restore(url, file))
            assert not any(every_row(url, tmp_path).values()), file  # still empty
        run_sync(restore(url, good))
        assert verify_elsewhere(url) == []


def test_backup_knows_every_table_the_database_has(settings, tmp_path):
    """A table added by a migration is backed up without being listed anywhere; one the
    backup could not carry would stop it (see the SQLite test below), never be skipped."""
    async def catalog():
        async with snapshot.reading(settings.database_url, tmp_path) as db:
            shapes = await db.shapes()
            if ENGINE == "sqlite":
                rows = await db.fetch("SELECT name FROM sqlite_master WHERE type = 'table' "
                                      "AND name NOT LIKE 'sqlite_%'")
            else:
                rows = await db.fetch("SELECT tablename FROM pg_tables "
                                      "WHERE schemaname = current_schema()")
            return shapes, {r[0] for r in rows}
    shapes, tables = run_sync(catalog())
    names = [s.name for s in shapes]
    assert set(names) == tables - {"migration"}
    assert {t._meta.tablename for t in ALL_TABLES} <= set(names)
    known = snapshot.piccolo_kinds()
    for shape in shapes:
        declared = known.get(shape.name, {})
        for column, kind in zip(shape.columns, shape.kinds, strict=True):
            assert kind == declared.get(column, kind), (shape.name, column)
        assert all(names.index(p) < names.index(shape.name) for p in shape.parents)


@pytest.mark.sqlite_only
def test_a_table_the_backup_cannot_carry_stops_it(settings, tmp_path):
    path = tmp_path / "odd.db"
    path.write_bytes(b"")
    with sqlite3.connect(settings.sqlite_path) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE mystery (id INTEGER PRIMARY KEY, picture BLOB)")
    with pytest.raises(BackupError, match="mystery, column picture"):
        run_sync(backup(f"sqlite:///{path}", tmp_path / "odd.zip"))
    assert not (tmp_path / "odd.zip").exists()
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob(".tagtrack-*"))


def test_the_commands_back_up_restore_and_refuse_in_words(manager, settings, tmp_path):
    varied_catalog(manager)
    env = env_for(settings.database_url, tmp_path)
    file = tmp_path / "cli.zip"
    done = cli(env, "backup", str(file))
    assert done.returncode == 0, done.stderr
    assert f"written to {file}" in done.stdout
    refused = cli(env, "restore", str(file))
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    with throwaway(ENGINE, tmp_path) as url:
        done = cli(env, "restore", str(file), "--database", url)
        assert done.returncode == 0, done.stderr
        assert "verify: the chain is intact" in done.stdout


def test_an_older_backup_gets_the_migrations_since_over_its_rows(tmp_path):
    """A backup from before the hash chain (migration 2026-11-29T12:00) restored by this
    version: its events go into the schema they were taken from, then that migration chains
    them, as it did on every database upgraded in place; verify passes."""
    before_chain = "2026-11-26T17:10:30:000000"
    with throwaway(ENGINE, tmp_path, "old") as old:
        run_sync(migrate_database(old, before_chain))

        async def history() -> None:
            async with snapshot.writing(old) as db:
                await db.insert("event", ("id", "at", "actor", "kind", "item_id", "quantity",
                                          "note", "details"),
                                [(i, dt.datetime(2025, 1, i, 10, tzinfo=dt.UTC), "old",
                                  "stock.received", 1, i, "before the chain", f'{{"n": {i}}}')
                                 for i in range(1, 6)])
        run_sync(history())
        file = tmp_path / "old.zip"
        manifest = run_sync(backup(old, file))
    assert max(manifest.migrations) == before_chain and manifest.chain_head == {}
    with throwaway(ENGINE, tmp_path, "new") as new:
        run_sync(restore(new, file))
        events = every_row(new, tmp_path)["event"]
        assert [e["note"] for e in events] == ["before the chain"] * 5
        assert all(len(e["hash"]) == 64 for e in events)
        assert verify_elsewhere(new) == []
        with pytest.raises(BackupError, match="migrated past the backup's version"):
            run_sync(restore(new, file, force=True))

"""The hash chain of the history (server/db/ledger.py, docs/ledger.md): two columns on
event, and the chain computed for the events already there, in id order. Raw SQL that
runs as it is on SQLite and PostgreSQL; the hashes are computed here, in Python, with the
same function the ledger uses, a few thousand events per UPDATE.

Stop every server process of an older version before this runs: an event such a process
wrote afterwards would carry no hash, and `tagtrack verify` would name it."""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

from server.domain import chain

ID = "2026-11-29T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Hash-chain the events"

COLUMNS = [
    "ALTER TABLE event ADD COLUMN prev_hash VARCHAR(64) NOT NULL DEFAULT ''",
    "ALTER TABLE event ADD COLUMN hash VARCHAR(64) NOT NULL DEFAULT ''",
]
BATCH = 2000


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def columns_and_chain() -> None:
        engine = engine_finder()
        assert engine is not None
        for sql in COLUMNS:
            await engine.run_ddl(sql)
        prev, last = chain.GENESIS, 0
        while True:
            rows: list[Any] = await engine.run_ddl(
                f"SELECT {', '.join(chain.FIELDS)} FROM event WHERE id > {int(last)} "
                f"ORDER BY id LIMIT {BATCH}")
            if not rows:
                return
            values = []
            for row in rows:
                sealed = chain.seal(prev, dict(row))
                # ids are integers and hashes hex digits: safe to write inline
                values.append(f"({int(row['id'])}, '{prev}', '{sealed}')")
                prev, last = sealed, row["id"]
            await engine.run_ddl(
                "UPDATE event SET prev_hash = v.column2, hash = v.column3 "
                f"FROM (VALUES {', '.join(values)}) AS v WHERE event.id = v.column1")

    manager.add_raw(columns_and_chain)
    return manager

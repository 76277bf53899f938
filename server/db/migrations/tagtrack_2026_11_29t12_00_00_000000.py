"""The hash chain of the history (server/db/ledger.py, docs/ledger.md): two columns on
event, and the chain computed for the events already there, in id order. Raw SQL that
runs as it is on SQLite and PostgreSQL; the hashes are computed here, in Python, with the
same function the ledger uses, a few thousand events per UPDATE.

On PostgreSQL only, a function appends one event in one round trip (see ledger.py): it
takes the chain's lock, reads the last hash in a fresh snapshot (a VOLATILE function's
statements each take one), draws the id and hashes the content the ledger encoded around
the id.

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
CHAIN_LOCK = int.from_bytes(b"tt-chain", "big")  # server/db/ledger.py CHAIN_LOCK
APPEND_FUNCTION = f"""
CREATE OR REPLACE FUNCTION tagtrack_append_event(
    p_at TIMESTAMPTZ, p_actor_id INTEGER, p_actor VARCHAR, p_kind VARCHAR, p_item_id INTEGER,
    p_unit_id INTEGER, p_lot_id INTEGER, p_quantity INTEGER, p_from_location_id INTEGER,
    p_to_location_id INTEGER, p_from_person_id INTEGER, p_to_person_id INTEGER,
    p_note TEXT, p_details JSON, p_before_id TEXT, p_after_id TEXT) RETURNS BIGINT
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    prev VARCHAR;
    new_id BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    SELECT hash INTO prev FROM event ORDER BY id DESC LIMIT 1;
    prev := COALESCE(prev, '{chain.GENESIS}');
    new_id := nextval('event_id_seq');
    INSERT INTO event (id, at, actor_id, actor, kind, item_id, unit_id, lot_id, quantity,
                       from_location_id, to_location_id, from_person_id, to_person_id, note,
                       details, prev_hash, hash)
    VALUES (new_id, p_at, p_actor_id, p_actor, p_kind, p_item_id, p_unit_id, p_lot_id,
            p_quantity, p_from_location_id, p_to_location_id, p_from_person_id,
            p_to_person_id, p_note, p_details, prev,
            encode(sha256(convert_to(prev || p_before_id || new_id::TEXT || p_after_id,
                                     'UTF8')), 'hex'));
    RETURN new_id;
END
$$"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def columns_and_chain() -> None:
        engine = engine_finder()
        assert engine is not None
        for sql in COLUMNS:
            await engine.run_ddl(sql)
        if engine.engine_type != "sqlite":
            await engine.run_ddl(APPEND_FUNCTION)
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

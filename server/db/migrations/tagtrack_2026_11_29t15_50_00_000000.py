"""PostgreSQL only: a scan's event and its scan-log row in one statement (server/db/ledger.py,
`record_scan`), so that the chain's lock is held for that one round trip and the COMMIT,
not for the statements a scan runs between its event and its log row.

tagtrack_append_scan appends the event as tagtrack_append_event does (lock, last hash,
id, insert, hash), then inserts the scan-log row whose answer, encoded by the caller
around the event's id like the event's own content, gets the id put in."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T15:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Append a scan's event and its log row in one statement (PostgreSQL)"

APPEND_SCAN = """
CREATE OR REPLACE FUNCTION tagtrack_append_scan(
    p_at TIMESTAMPTZ, p_actor_id INTEGER, p_actor VARCHAR, p_kind VARCHAR, p_item_id INTEGER,
    p_unit_id INTEGER, p_lot_id INTEGER, p_quantity INTEGER, p_from_location_id INTEGER,
    p_to_location_id INTEGER, p_from_person_id INTEGER, p_to_person_id INTEGER,
    p_note TEXT, p_details JSON, p_before_id TEXT, p_after_id TEXT,
    l_device_id VARCHAR, l_user_id INTEGER, l_username VARCHAR, l_code TEXT, l_action VARCHAR,
    l_ok BOOLEAN, l_status INTEGER, l_error_code VARCHAR, l_resolved_kind VARCHAR,
    l_resolved_id INTEGER, l_scanned_at TIMESTAMPTZ, l_idempotency_key VARCHAR,
    l_answer_before TEXT, l_answer_after TEXT, l_received_at TIMESTAMPTZ) RETURNS BIGINT
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    new_id BIGINT;
BEGIN
    new_id := tagtrack_append_event(p_at, p_actor_id, p_actor, p_kind, p_item_id, p_unit_id,
        p_lot_id, p_quantity, p_from_location_id, p_to_location_id, p_from_person_id,
        p_to_person_id, p_note, p_details, p_before_id, p_after_id);
    INSERT INTO scan_log (device_id, user_id, username, code, action, ok, status, error_code,
                          resolved_kind, resolved_id, event_id, scanned_at, idempotency_key,
                          answer, received_at)
    VALUES (l_device_id, l_user_id, l_username, l_code, l_action, l_ok, l_status,
            l_error_code, l_resolved_kind, l_resolved_id, new_id, l_scanned_at,
            l_idempotency_key, (l_answer_before || new_id::TEXT || l_answer_after)::JSON,
            l_received_at);
    RETURN new_id;
END
$$"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def function() -> None:
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type != "sqlite":
            await engine.run_ddl(APPEND_SCAN)

    manager.add_raw(function)
    return manager

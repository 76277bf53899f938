"""Utilization summaries (server/services/utilization.py, docs in server/domain/utilization.py):
two tables kept by triggers on `event` and `scan_log`, so that they change in the same
transaction as each event, whoever writes it (scans, pages, audits, conversions, imports),
with no extra round trip on the scan path.

- unit_custody: one row per check-out of a unit (id = the check-out event's id), with
  the times it went out and came back (`in_s` NULL while out), in whole UTC epoch seconds.
  A custody ends at the unit's next check-in, status change (only "lost" can follow a
  check-out) or collapse into a count.
- unit_activity: one row per unit: when it last moved (check-out, check-in, move, restore;
  its creation until then) and when it was last seen (any of those, an audit's scan, or a
  scan of it that changed nothing and so wrote no event).

`tagtrack verify` rebuilds both from the events (and the scan log) and names any row that
differs. Existing events are summarised here with set-based SQL. Raw SQL; the trigger
bodies differ per engine (SQLite trigger programs, PostgreSQL PL/pgSQL functions)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T15:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Utilization summaries: unit custody intervals and unit activity"

MOVES = "('unit.created', 'unit.moved', 'unit.checked_out', 'unit.checked_in', 'unit.restored')"
SEEN = "('unit.created', 'unit.moved', 'unit.checked_out', 'unit.checked_in', " \
    "'unit.restored', 'unit.audited')"
ENDS = "('unit.checked_in', 'unit.status_changed', 'unit.collapsed')"
WATCHED = "('unit.created', 'unit.moved', 'unit.checked_out', 'unit.checked_in', " \
    "'unit.restored', 'unit.audited', 'unit.status_changed', 'unit.collapsed')"


def tables(id_type: str) -> list[str]:
    return [
        f"""CREATE TABLE unit_custody (
            id {id_type} PRIMARY KEY,
            unit_id INTEGER NOT NULL,
            item_id INTEGER NOT NULL,
            person_id INTEGER NULL,
            out_s BIGINT NOT NULL,
            in_s BIGINT NULL)""",
        "CREATE INDEX unit_custody_unit ON unit_custody (unit_id, out_s)",
        # an item's rows of a period (in_s NULL or after the start), covering
        "CREATE INDEX unit_custody_item ON unit_custody "
        "(item_id, in_s, out_s, unit_id, person_id)",
        # the period's intervals (in_s NULL or after the start), covering the aggregation
        "CREATE INDEX unit_custody_in ON unit_custody (in_s, out_s, item_id, unit_id, person_id)",
        """CREATE TABLE unit_activity (
            unit_id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL,
            created_s BIGINT NOT NULL,
            moved_s BIGINT NOT NULL,
            seen_s BIGINT NOT NULL)""",
        "CREATE INDEX unit_activity_moved ON unit_activity (moved_s)",
        "CREATE INDEX unit_activity_item ON unit_activity (item_id, created_s)",
        "CREATE INDEX unit_activity_created ON unit_activity (created_s)",
    ]


def backfill(epoch: str) -> list[str]:
    """Summaries of the events already there (in id order, as the triggers would have)."""
    at = epoch.format("e.at")
    return [
        # each check-out ends at the unit's first end event after it (a window over the
        # unit's check-outs and ends, not a correlated MIN: PostgreSQL walked the primary
        # key from each check-out for it)
        f"""INSERT INTO unit_custody (id, unit_id, item_id, person_id, out_s, in_s)
        SELECT o.id, o.unit_id, COALESCE(o.item_id, 0), o.to_person_id, {epoch.format('o.at')},
               {epoch.format('x.at')}
        FROM (SELECT e.id, e.unit_id, e.item_id, e.to_person_id, e.at, e.kind,
                     MIN(CASE WHEN e.kind IN {ENDS} THEN e.id END) OVER (
                         PARTITION BY e.unit_id ORDER BY e.id
                         ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS end_id
              FROM event e WHERE e.unit_id IS NOT NULL
              AND e.kind IN ('unit.checked_out', 'unit.checked_in', 'unit.status_changed',
                             'unit.collapsed')) o
        LEFT JOIN event x ON x.id = o.end_id
        WHERE o.kind = 'unit.checked_out'""",
        f"""INSERT INTO unit_activity (unit_id, item_id, created_s, moved_s, seen_s)
        SELECT e.unit_id,
               MIN(CASE WHEN e.kind = 'unit.created' THEN COALESCE(e.item_id, 0) END),
               MIN(CASE WHEN e.kind = 'unit.created' THEN {at} END),
               MAX(CASE WHEN e.kind IN {MOVES} THEN {at} END), MAX({at})
        FROM event e WHERE e.unit_id IS NOT NULL AND e.kind IN {SEEN}
        GROUP BY e.unit_id HAVING MAX(CASE WHEN e.kind = 'unit.created' THEN 1 END) = 1""",
        f"""UPDATE unit_activity SET seen_s = (
            SELECT MAX({epoch.format('s.received_at')}) FROM scan_log s
            WHERE s.resolved_kind = 'unit' AND s.resolved_id = unit_activity.unit_id
            AND s.event_id IS NULL)
        WHERE EXISTS (SELECT 1 FROM scan_log s WHERE s.resolved_kind = 'unit'
            AND s.resolved_id = unit_activity.unit_id AND s.event_id IS NULL
            AND {epoch.format('s.received_at')} > unit_activity.seen_s)""",
    ]


# SQLite's unixepoch() rounds to the millisecond first (…:51.9996 gives :52): whole
# seconds of the text before its fraction, with its offset (stored as ±HH:MM at the end)
SQLITE_EPOCH = "unixepoch(substr({0}, 1, 19) || substr({0}, -6))"
_SQLITE_TRIGGERS = [
    """CREATE TRIGGER usage_checked_out AFTER INSERT ON event
    WHEN NEW.kind = 'unit.checked_out' AND NEW.unit_id IS NOT NULL
    BEGIN
        INSERT INTO unit_custody (id, unit_id, item_id, person_id, out_s)
        VALUES (NEW.id, NEW.unit_id, COALESCE(NEW.item_id, 0), NEW.to_person_id,
                AT_S);
        UPDATE unit_activity SET moved_s = MAX(moved_s, AT_S),
            seen_s = MAX(seen_s, AT_S) WHERE unit_id = NEW.unit_id;
    END""",
    f"""CREATE TRIGGER usage_custody_ends AFTER INSERT ON event
    WHEN NEW.kind IN {ENDS} AND NEW.unit_id IS NOT NULL
    BEGIN
        UPDATE unit_custody SET in_s = AT_S
        WHERE unit_id = NEW.unit_id AND in_s IS NULL;
    END""",
    """CREATE TRIGGER usage_created AFTER INSERT ON event
    WHEN NEW.kind = 'unit.created' AND NEW.unit_id IS NOT NULL
    BEGIN
        INSERT INTO unit_activity (unit_id, item_id, created_s, moved_s, seen_s)
        VALUES (NEW.unit_id, COALESCE(NEW.item_id, 0), AT_S, AT_S,
                AT_S)
        ON CONFLICT (unit_id) DO UPDATE SET created_s = excluded.created_s,
            moved_s = excluded.moved_s,
            seen_s = excluded.seen_s;
    END""",
    """CREATE TRIGGER usage_moved AFTER INSERT ON event
    WHEN NEW.kind IN ('unit.moved', 'unit.checked_in', 'unit.restored')
        AND NEW.unit_id IS NOT NULL
    BEGIN
        UPDATE unit_activity SET moved_s = MAX(moved_s, AT_S),
            seen_s = MAX(seen_s, AT_S) WHERE unit_id = NEW.unit_id;
    END""",
    """CREATE TRIGGER usage_audited AFTER INSERT ON event
    WHEN NEW.kind = 'unit.audited' AND NEW.unit_id IS NOT NULL
    BEGIN
        UPDATE unit_activity SET seen_s = MAX(seen_s, AT_S)
        WHERE unit_id = NEW.unit_id;
    END""",
    """CREATE TRIGGER usage_scanned AFTER INSERT ON scan_log
    WHEN NEW.resolved_kind = 'unit' AND NEW.event_id IS NULL AND NEW.resolved_id IS NOT NULL
    BEGIN
        UPDATE unit_activity SET seen_s = MAX(seen_s, SCANNED_S)
        WHERE unit_id = NEW.resolved_id;
    END""",
]

# the trigger programs name the event's time AT_S and the scan's SCANNED_S
SQLITE_TRIGGERS = [t.replace("AT_S", SQLITE_EPOCH.format("NEW.at"))
                   .replace("SCANNED_S", SQLITE_EPOCH.format("NEW.received_at"))
                   for t in _SQLITE_TRIGGERS]

PG_EPOCH = "FLOOR(EXTRACT(EPOCH FROM {0}))::BIGINT"
PG_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION tagtrack_usage_event() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE t BIGINT := FLOOR(EXTRACT(EPOCH FROM NEW.at))::BIGINT;
    BEGIN
        IF NEW.kind = 'unit.checked_out' THEN
            INSERT INTO unit_custody (id, unit_id, item_id, person_id, out_s)
            VALUES (NEW.id, NEW.unit_id, COALESCE(NEW.item_id, 0), NEW.to_person_id, t);
        ELSIF NEW.kind IN {ENDS} THEN
            UPDATE unit_custody SET in_s = t WHERE unit_id = NEW.unit_id AND in_s IS NULL;
        END IF;
        IF NEW.kind = 'unit.created' THEN
            INSERT INTO unit_activity (unit_id, item_id, created_s, moved_s, seen_s)
            VALUES (NEW.unit_id, COALESCE(NEW.item_id, 0), t, t, t)
            ON CONFLICT (unit_id) DO UPDATE SET created_s = excluded.created_s,
                moved_s = excluded.moved_s,
                seen_s = excluded.seen_s;
        ELSIF NEW.kind IN ('unit.moved', 'unit.checked_out', 'unit.checked_in',
                           'unit.restored') THEN
            UPDATE unit_activity SET moved_s = GREATEST(moved_s, t),
                seen_s = GREATEST(seen_s, t) WHERE unit_id = NEW.unit_id;
        ELSIF NEW.kind = 'unit.audited' THEN
            UPDATE unit_activity SET seen_s = GREATEST(seen_s, t) WHERE unit_id = NEW.unit_id;
        END IF;
        RETURN NULL;
    END
    $$""",
    f"""CREATE TRIGGER usage_event AFTER INSERT ON event FOR EACH ROW
    WHEN (NEW.unit_id IS NOT NULL AND NEW.kind IN {WATCHED})
    EXECUTE FUNCTION tagtrack_usage_event()""",
    """CREATE OR REPLACE FUNCTION tagtrack_usage_scan() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE unit_activity
        SET seen_s = GREATEST(seen_s, FLOOR(EXTRACT(EPOCH FROM NEW.received_at))::BIGINT)
        WHERE unit_id = NEW.resolved_id;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER usage_scanned AFTER INSERT ON scan_log FOR EACH ROW
    WHEN (NEW.resolved_kind = 'unit' AND NEW.event_id IS NULL
          AND NEW.resolved_id IS NOT NULL)
    EXECUTE FUNCTION tagtrack_usage_scan()""",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def summaries() -> None:
        engine = engine_finder()
        assert engine is not None
        sqlite = engine.engine_type == "sqlite"
        for sql in tables("INTEGER" if sqlite else "BIGINT"):
            await engine.run_ddl(sql)
        for sql in backfill(SQLITE_EPOCH if sqlite else PG_EPOCH):
            await engine.run_ddl(sql)
        for sql in SQLITE_TRIGGERS if sqlite else PG_TRIGGERS:
            await engine.run_ddl(sql)

    manager.add_raw(summaries)
    return manager

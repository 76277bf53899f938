"""Maintenance (issue 13): service_rule (a schedule on an item, for all its units, or on one
unit: every N days and/or N uses, from the last completion or fixed to the calendar) and
service_record (one service of one unit: planned -> in_progress -> done | failed |
cancelled). A record's `status_before` is the unit's status when the service started, to
return it there when it ends; `corrects` points to the finished record a new one corrects
(a plain id, so that a backup's table order has no cycle). Raw SQL, one statement per engine
only where they differ (the id column)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Maintenance: service rules and service records"

COLUMNS = {"sqlite": {"id": "id INTEGER PRIMARY KEY"},
           "postgres": {"id": "id SERIAL PRIMARY KEY"}}
STATEMENTS = [
    "CREATE TABLE service_rule ({id}, item INTEGER NULL REFERENCES item (id), "
    "unit INTEGER NULL REFERENCES unit (id), kind VARCHAR(20) NOT NULL, "
    "name VARCHAR(100) NOT NULL DEFAULT '', every_days INTEGER NULL, every_uses INTEGER NULL, "
    "anchor VARCHAR(20) NOT NULL DEFAULT 'completion', starts_on DATE NOT NULL, "
    "lead_days INTEGER NOT NULL DEFAULT 0, lead_uses INTEGER NOT NULL DEFAULT 0, "
    "blocks_checkout BOOLEAN NOT NULL DEFAULT FALSE, active BOOLEAN NOT NULL DEFAULT TRUE, "
    "version INTEGER NOT NULL DEFAULT 1, "
    "created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP, "
    "CHECK ((item IS NULL) <> (unit IS NULL)))",
    "CREATE INDEX service_rule_item ON service_rule (item)",
    "CREATE INDEX service_rule_unit ON service_rule (unit)",
    "CREATE TABLE service_record ({id}, unit INTEGER NOT NULL REFERENCES unit (id), "
    "rule INTEGER NULL REFERENCES service_rule (id), kind VARCHAR(20) NOT NULL, "
    "state VARCHAR(20) NOT NULL DEFAULT 'planned', planned_on DATE NULL, "
    "started_at TIMESTAMPTZ NULL, finished_at TIMESTAMPTZ NULL, "
    "performed_by VARCHAR(200) NOT NULL DEFAULT '', vendor VARCHAR(200) NOT NULL DEFAULT '', "
    "cost NUMERIC(12, 2) NULL, under_warranty BOOLEAN NOT NULL DEFAULT FALSE, "
    "notes TEXT NOT NULL DEFAULT '', corrects INTEGER NULL, status_before VARCHAR(20) NULL, "
    "version INTEGER NOT NULL DEFAULT 1, created_by VARCHAR(100) NOT NULL DEFAULT '', "
    "created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "CREATE INDEX service_record_unit ON service_record (unit, id)",
    "CREATE INDEX service_record_rule ON service_record (rule, state)",
    "CREATE INDEX service_record_state ON service_record (state)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        names = COLUMNS["sqlite" if engine.engine_type == "sqlite" else "postgres"]
        for sql in STATEMENTS:
            await engine.run_ddl(sql.format(**names))

    manager.add_raw(create)
    return manager

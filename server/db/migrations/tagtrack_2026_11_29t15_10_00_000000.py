"""Spreadsheet imports: import_run (one dry run or commit of a file, its progress and its
report) and import_mapping (column mappings saved by name, per kind). Raw SQL, one
statement per engine only where they differ (the id column and the JSON type)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T15:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Spreadsheet imports: runs and saved mappings"

COLUMNS = {"sqlite": {"id": "id INTEGER PRIMARY KEY", "json": "JSON"},
           "postgres": {"id": "id SERIAL PRIMARY KEY", "json": "JSON"}}
STATEMENTS = [
    "CREATE TABLE import_run ({id}, kind VARCHAR(20) NOT NULL, "
    "file_name VARCHAR(255) NOT NULL DEFAULT '', stored_file VARCHAR(500) NOT NULL DEFAULT '', "
    "status VARCHAR(20) NOT NULL DEFAULT 'queued', dry_run BOOLEAN NOT NULL DEFAULT TRUE, "
    "options {json} NOT NULL DEFAULT '{{}}', mapping {json} NOT NULL DEFAULT '{{}}', "
    "counts {json} NOT NULL DEFAULT '{{}}', errors {json} NOT NULL DEFAULT '[]', "
    "error_count INTEGER NOT NULL DEFAULT 0, changes {json} NOT NULL DEFAULT '[]', "
    "rows_total INTEGER NOT NULL DEFAULT 0, rows_done INTEGER NOT NULL DEFAULT 0, "
    "message TEXT NOT NULL DEFAULT '', user_id INTEGER, "
    "username VARCHAR(100) NOT NULL DEFAULT '', "
    "created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP, finished_at TIMESTAMPTZ)",
    "CREATE INDEX import_run_created ON import_run (created_at)",
    "CREATE TABLE import_mapping ({id}, kind VARCHAR(20) NOT NULL, "
    "name VARCHAR(100) NOT NULL, columns {json} NOT NULL DEFAULT '{{}}', "
    "created_by VARCHAR(100) NOT NULL DEFAULT '', "
    "updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "CREATE UNIQUE INDEX import_mapping_kind_name ON import_mapping (kind, name)",
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

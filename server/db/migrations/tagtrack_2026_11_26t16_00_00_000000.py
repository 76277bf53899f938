"""Unit indexes found by bench/bench_catalog.py (1,000,000 units). Raw SQL that runs as it
is on SQLite and PostgreSQL.

- unit_serial: `unit_item_serial` (item, serial) cannot serve a lookup by serial without
  the item, so the catalog text search (`u.serial = ?`) and units_repo.by_serial scanned
  every unit (about 0.15 s per lookup on SQLite).
- unit_location_collapsed_item: the catalog's location filter (`u.collapsed = ? AND
  u.location IN (...)`, selecting u.item) is answered from this index alone; with
  unit_location_item (location, item) each entry needed a table lookup for `collapsed`
  (a 21-location site: about 430 ms -> 70 ms on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index units by serial and by (location, collapsed, item)"

INDEXES = [
    "CREATE INDEX unit_serial ON unit (serial)",
    "CREATE INDEX unit_location_collapsed_item ON unit (location, collapsed, item)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for sql in INDEXES:
            await engine.run_ddl(sql)

    manager.add_raw(indexes)
    return manager

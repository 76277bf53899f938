"""The database's state for /healthz, by a cheap check: could this process write now?

SQLite: BEGIN IMMEDIATE and ROLLBACK (another process holding the write lock -> busy),
plus whether the file is writable (read-only) and its disk has room (disk full): a
connection can begin a write transaction on a read-only file, and an empty transaction
writes nothing, so those two are asked of the file system. PostgreSQL: one round trip
asking whether transactions are read-only (default_transaction_read_only, a standby);
a server out of reach fails it."""

from __future__ import annotations

import os
from pathlib import Path

from server.db.engine import PooledSQLiteEngine, current_engine, fetch
from server.db.faults import DISK_FULL, READ_ONLY, UNAVAILABLE, disk_is_full, fault, recognize
from server.domain.errors import DatabaseFault


async def database_fault() -> DatabaseFault | None:
    """None when the database can take writes now, else the fault that stops it."""
    engine = current_engine()
    try:
        if isinstance(engine, PooledSQLiteEngine):
            path = Path(engine.path)
            if not path.exists():
                return fault(UNAVAILABLE, f"the database file {path.name} is missing")
            await engine.probe()
            if not os.access(path, os.W_OK):
                engine.renew()  # connections opened now would stay read-only
                return fault(READ_ONLY)
            if disk_is_full(path):
                return fault(DISK_FULL)
        else:
            rows = await fetch("SELECT current_setting('transaction_read_only') AS ro")
            if rows[0]["ro"] == "on":
                return fault(READ_ONLY)
    except Exception as exc:
        found = recognize(exc)
        if found is None:
            raise
        return found
    return None

"""Database faults that pass: a lock held too long, a read-only file or database, a full
disk, a server out of reach. Each is told apart from a bug here, in the database layer
that knows its drivers, and becomes a DatabaseFault (answered 503 with Retry-After, see
server/http/errors.py): the request changed nothing and the same request may succeed
later. Anything not recognised stays a server error.

Recovery: a transaction that fails gives its connection back or closes it (engine.py,
postgres.py), and after a fault that can stick to a connection (a SQLite connection opened
while the file was read-only stays read-only; a PostgreSQL session started under
default_transaction_read_only keeps it) the engine stops reusing its connections and opens
fresh ones. Nothing waits for a restart."""

from __future__ import annotations

import contextlib
import errno
import logging
import shutil
import socket
import sqlite3
from pathlib import Path

from server.domain.errors import DatabaseFault

log = logging.getLogger("tagtrack")

BUSY = "database_busy"
READ_ONLY = "database_read_only"
DISK_FULL = "disk_full"
UNAVAILABLE = "database_unavailable"

# code: (title, what happened, seconds to wait before trying again)
KINDS: dict[str, tuple[str, str, int]] = {
    BUSY: (
        "Database busy",
        "the database is busy: another writer held its lock for too long",
        2,
    ),
    READ_ONLY: (
        "Database read-only",
        "the database is read-only right now and cannot store changes",
        30,
    ),
    DISK_FULL: (
        "Disk full",
        "the database's disk is full and cannot store changes",
        60,
    ),
    UNAVAILABLE: (
        "Database unavailable",
        "the database cannot be reached right now",
        5,
    ),
}
# A disk with less free space than this is called full (SQLite needs a few pages of WAL).
DISK_LOW_BYTES = 1 << 20

_SQLITE = {
    sqlite3.SQLITE_BUSY: BUSY,
    sqlite3.SQLITE_LOCKED: BUSY,
    sqlite3.SQLITE_PROTOCOL: BUSY,
    sqlite3.SQLITE_READONLY: READ_ONLY,
    sqlite3.SQLITE_FULL: DISK_FULL,
    sqlite3.SQLITE_IOERR: UNAVAILABLE,  # DISK_FULL when the disk is (nearly) full
    sqlite3.SQLITE_CANTOPEN: UNAVAILABLE,
    sqlite3.SQLITE_NOMEM: UNAVAILABLE,
}
# SQLite's own messages, for an error made without its code (by a wrapper, or a test)
_SQLITE_TEXT = {
    "database is locked": sqlite3.SQLITE_BUSY,
    "attempt to write a readonly database": sqlite3.SQLITE_READONLY,
    "database or disk is full": sqlite3.SQLITE_FULL,
    "disk I/O error": sqlite3.SQLITE_IOERR,
}
_PG_STATES = {
    "25006": READ_ONLY,  # read_only_sql_transaction
    "53100": DISK_FULL,  # disk_full
    "55P03": BUSY,  # lock_not_available
    "40001": BUSY,  # serialization_failure
    "40P01": BUSY,  # deadlock_detected
    "57014": BUSY,  # query_canceled (statement_timeout)
    "53200": UNAVAILABLE,  # out_of_memory
    "53300": UNAVAILABLE,  # too_many_connections
    "57P01": UNAVAILABLE,  # admin_shutdown
    "57P02": UNAVAILABLE,  # crash_shutdown
    "57P03": UNAVAILABLE,  # cannot_connect_now
    "58030": UNAVAILABLE,  # io_error
}
_UNREACHABLE = {
    errno.ENETUNREACH,
    errno.EHOSTUNREACH,
    errno.ENETDOWN,
    errno.EHOSTDOWN,
    errno.ETIMEDOUT,
}


def fault(code: str, detail: str | None = None) -> DatabaseFault:
    title, what, retry_after = KINDS[code]
    message = f"{detail or what}; nothing was changed: try again in a moment"
    return DatabaseFault(message, code=code, title=title, retry_after=retry_after)


def recognize(exc: BaseException) -> DatabaseFault | None:
    """The DatabaseFault that `exc` (a driver's error) stands for, or None for anything
    else. Tells the engine, so that connections the fault may stick to are renewed."""
    for error in (exc, exc.__cause__):
        if error is None:
            continue
        found = _sqlite(error) if isinstance(error, sqlite3.Error) else _postgres(error)
        if found is not None:
            code, detail = found
            log.warning("database fault %s: %s", code, error)
            _renew_connections(code)
            return fault(code, detail)
    return None


def _sqlite(error: sqlite3.Error) -> tuple[str, str | None] | None:
    if not isinstance(error, sqlite3.OperationalError):
        return None
    number = getattr(error, "sqlite_errorcode", None)  # absent when raised by Python code
    primary = number & 0xFF if number is not None else _SQLITE_TEXT.get(str(error), -1)
    code = _SQLITE.get(primary)
    if code is None:
        return None
    if primary == sqlite3.SQLITE_IOERR:
        if disk_is_full():
            return DISK_FULL, None
        return code, "the database could not read or write its file (a disk I/O error)"
    return code, None


def _postgres(error: BaseException) -> tuple[str, str | None] | None:
    from server.db.engine import is_postgres

    if not is_postgres():
        return None
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str):
        if state in _PG_STATES:
            return _PG_STATES[state], None
        if state.startswith("08"):  # connection exceptions
            return UNAVAILABLE, None
        if state == "55000" and "accepting connections" in str(error):
            return UNAVAILABLE, None  # ALTER DATABASE ... ALLOW_CONNECTIONS false
        return None
    name = type(error).__name__
    if name == "InterfaceError" and "closed" in str(error):
        return UNAVAILABLE, None  # asyncpg: the connection went away under a query
    if name == "InternalClientError" and "in progress" in str(error):
        # asyncpg on a session the server has just ended, before it saw the socket close
        return UNAVAILABLE, None
    if isinstance(error, (ConnectionError, socket.gaierror, TimeoutError)):
        return UNAVAILABLE, None  # refused, reset, unknown host, connect timeout
    if isinstance(error, OSError) and error.errno in _UNREACHABLE:
        return UNAVAILABLE, None
    return None


def _renew_connections(code: str) -> None:
    if code == BUSY:
        return  # a lock held elsewhere: the connections themselves are sound
    from server.db.engine import current_engine

    renew = getattr(current_engine(), "renew", None)
    if renew is not None:
        # no running event loop (a CLI): nothing pooled to renew
        with contextlib.suppress(RuntimeError):
            renew()


def disk_is_full(path: Path | None = None) -> bool:
    """Whether the SQLite database's disk has (nearly) no room left."""
    if path is None:
        from server.db.engine import current_engine

        db_path = getattr(current_engine(), "path", None)
        if not db_path:
            return False
        path = Path(db_path)
    try:
        return free_bytes(path.parent) < DISK_LOW_BYTES
    except OSError:
        return False


def free_bytes(directory: Path) -> int:
    """Free space for the database's files (tests replace it to fake a full disk)."""
    return shutil.disk_usage(directory).free

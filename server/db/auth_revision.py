"""The auth revision: one row of the counter table, bumped in the transaction of every
change that can end or alter a login, and read by every server process before it trusts
its cache of logins (services/auth.py). It is read on every authenticated request, so the
read must cost next to nothing:

- SQLite: the engine's inline reader runs the indexed single-row SELECT on the event
  loop's thread, a few microseconds.
- PostgreSQL: a round trip is unavoidable, but not a pooled connection's acquire and reset
  (asyncpg resets a connection when it is handed back: a second round trip). Each process
  keeps one connection of its own for this read, and concurrent requests share reads: a
  request uses the first read that *began after it arrived* (so it sees every change
  committed before it came), and one read serves every request that queued while the
  previous one ran. A failed connection is dropped and the read goes through the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from server.db.engine import current_engine, fetch, is_postgres

log = logging.getLogger("tagtrack.auth")

NAME = "auth_revision"
_READ = "SELECT value FROM counter WHERE name = {}"


async def bump() -> None:
    """In the caller's write transaction."""
    await fetch("INSERT INTO counter (name, value) VALUES ({}, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = counter.value + 1", NAME)


async def read() -> int:
    if not is_postgres():
        return _value(await fetch(_READ, NAME))
    return await _shared().read()


def _value(rows: list[Any]) -> int:
    return int(rows[0]["value"]) if rows else 0


class _SharedReader:
    """Reads on a connection of its own, one at a time, shared by the requests that
    queued for it (see the module docstring). Belongs to one event loop."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.started = 0  # reads begun so far
        self.done = 0  # the generation of the last read that ended
        self.value = 0
        self.conn: Any = None

    async def read(self) -> int:
        need = self.started + 1  # a read that begins after now
        async with self.lock:
            if self.done >= need:
                return self.value
            self.started += 1
            generation = self.started
            self.value = await self._query()
            self.done = generation
            return self.value

    async def _query(self) -> int:
        try:
            if self.conn is None or self.conn.is_closed():
                import asyncpg

                self.conn = await asyncpg.connect(**current_engine().config)  # type: ignore[attr-defined]
            return _value(await self.conn.fetch("SELECT value FROM counter WHERE name = $1",
                                                NAME))
        except Exception:
            log.warning("auth revision: own connection failed; reading through the pool",
                        exc_info=True)
            conn, self.conn = self.conn, None
            if conn is not None:
                conn.terminate()
            return _value(await fetch(_READ, NAME))


_readers: dict[int, tuple[asyncio.AbstractEventLoop, _SharedReader]] = {}


def _shared() -> _SharedReader:
    loop = asyncio.get_running_loop()
    entry = _readers.get(id(loop))
    if entry is None or entry[0] is not loop:
        for key, (old_loop, reader) in list(_readers.items()):
            if old_loop.is_closed():  # a closed loop's connection is gone with it
                del _readers[key]
                if reader.conn is not None:
                    with contextlib.suppress(Exception):
                        reader.conn.terminate()
        entry = (loop, _SharedReader())
        _readers[id(loop)] = entry
    return entry[1]

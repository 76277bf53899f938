"""PostgreSQL engine: Piccolo's, with transactions that never lose a pooled connection.

Piccolo's PostgresTransaction hands its connection back to asyncpg's pool only when
BEGIN, COMMIT or ROLLBACK succeed. When the server goes away mid-transaction (restart,
failover, pg_terminate_backend) the ROLLBACK fails, the connection is never released, and
after `max_size` such failures every request waits on the pool for good. Here every path
hands the connection back; one whose state is unknown is closed first, and asyncpg's pool
opens a fresh one in its place on the next acquire."""

from __future__ import annotations

import contextlib
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

POOL_MIN = 1
POOL_MAX = 10
CONNECT_TIMEOUT_S = 5.0  # an unreachable server answers 503 after this, not after 60 s


class PooledPostgresEngine(PostgresEngine):
    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _SafeTransaction(engine=self, allow_nested=allow_nested)

    async def start(self) -> None:
        config = {
            **self.config,
            "min_size": POOL_MIN,
            "max_size": POOL_MAX,
            "timeout": CONNECT_TIMEOUT_S,
            "init": self._on_connect,
        }
        pool = asyncpg.create_pool(**config)
        self.pool = pool  # before its first connections, which _on_connect may expire
        try:
            await pool
        except BaseException:
            self.pool = None
            raise

    async def _on_connect(self, connection: asyncpg.Connection) -> None:
        """A session that starts read-only (default_transaction_read_only, a standby)
        stays so after the database is writable again: such a connection is closed when
        it is handed back instead of being reused, so the first write after the database
        recovers meets a fresh session. One round trip per new connection."""
        if await connection.fetchval("SHOW transaction_read_only") == "on":
            self.renew()

    def renew(self) -> None:
        """Replace every connection of the pool as it is next handed back or taken (after
        a fault that may stick to a connection: one opened while the database was
        read-only stays read-only)."""
        if self.pool is not None:
            # Pool.expire_connections only does this, but is a coroutine; this is called
            # from synchronous error handlers.
            self.pool._generation += 1

    def pool_state(self) -> dict[str, int]:
        if self.pool is None:
            return {"open": 0, "idle": 0, "lent": 0}
        size, idle = self.pool.get_size(), self.pool.get_idle_size()
        lent = sum(1 for h in self.pool._holders if h._in_use is not None)
        return {"open": size, "idle": idle, "lent": lent}


class _SafeTransaction(PostgresTransaction):
    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            self.transaction = self.connection.transaction()
            await self.begin()
        except BaseException:
            await self._give_back(broken=True)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            await self._give_back(broken=True)
            if exception is None:
                raise
            return False  # the ROLLBACK failed too: the first error is the one to report
        finally:
            self.engine.current_transaction.reset(self.context)
        await self._give_back(broken=False)
        return exception is None

    async def _give_back(self, *, broken: bool) -> None:
        if broken:
            # its state is unknown (maybe still inside the transaction): close it, the
            # pool replaces a closed connection on its next acquire
            self.connection.terminate()
        if self.engine.pool is None:
            with contextlib.suppress(Exception):
                await self.connection.close()
            return
        with contextlib.suppress(Exception):
            await self.engine.pool.release(self.connection)

"""`tagtrack` with the hash chain taken out of the ledger: for measuring what the chain
costs (bench/bench_chain_cost.py), never for use. Events are appended as they were before
the chain existed: one plain INSERT, no advisory lock, no read of the last hash, a commit
that waits for its own WAL flush (PostgreSQL's default), and empty prev_hash/hash columns
(so `verify` fails on such a database, as it should).

Usage: python bench/nochain_serve.py serve --host 127.0.0.1 --port N"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.db import ledger
from server.db.engine import fetch
from server.domain.actors import Actor
from server.domain.events import EventDraft

_COLUMNS = ledger._COLUMNS[1:]  # no id: the table's own sequence / rowid gives it
_INSERT = (f"INSERT INTO event ({', '.join(_COLUMNS)}) VALUES "
           f"({', '.join('{}' for _ in _COLUMNS)}) RETURNING id")


async def record(actor: Actor, draft: EventDraft) -> int:
    return (await record_many(actor, [draft]))[0]


async def record_many(actor: Actor, drafts: Sequence[EventDraft]) -> list[int]:
    at = dt.datetime.now(dt.UTC)
    ids = []
    async with ledger._in_transaction():
        for draft in drafts:
            row = ledger._fields(0, at, actor, draft)
            values = [*list(row.values())[1:], "", ""]
            rows = await fetch(_INSERT, *values)
            ids.append(int(rows[0]["id"]))
    return ids


async def durable() -> None:
    return None


ledger.record = record  # type: ignore[assignment]
ledger.record_many = record_many  # type: ignore[assignment]
ledger.durable = durable  # type: ignore[assignment]

if __name__ == "__main__":
    from server.cli import main

    sys.exit(main())

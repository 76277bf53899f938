"""The whole history as JSON Lines: one event a line, in chain order, with its chain fields.

Each line is the event's canonical JSON as the chain hashes it (server/domain/chain.py,
docs/ledger.md "What is hashed": `at` in UTC with microseconds, `details` as a JSON object)
plus `prev_hash` and `hash`, so that a line checks itself: SHA-256 of `prev_hash` and the
canonical JSON of the line without those two keys is `hash`, and `prev_hash` is the line
before's `hash`.

The export stops at the last event that existed when it began, so that a history still
growing gives a prefix of the chain that ends at a known head, not a file whose end
depends on how fast it was read. Events are read in chunks by id (constant memory over
millions of events), and each chunk is encoded in a thread, so that the event loop keeps
serving scans."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from server.db import exports_repo
from server.domain import chain

CHUNK = 2000  # events a read


def event_line(row: Mapping[str, Any]) -> bytes:
    body = chain.content(row)
    return b"%s,\"prev_hash\":\"%s\",\"hash\":\"%s\"}\n" % (
        body[:-1], str(row["prev_hash"] or "").encode("ascii"),
        str(row["hash"] or "").encode("ascii"))


def event_lines(rows: Sequence[Mapping[str, Any]]) -> bytes:
    return b"".join(event_line(r) for r in rows)


async def jsonl(upto: int | None = None) -> AsyncIterator[bytes]:
    """The history up to event `upto` (default: the last one now), a chunk at a time."""
    last = await exports_repo.last_event_id() if upto is None else upto
    async for rows in exports_repo.events(last, CHUNK):
        yield await asyncio.to_thread(event_lines, rows)

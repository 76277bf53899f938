"""The one place that writes events. Call it inside the transaction of the change.

Each event is chained to the one before it (server/domain/chain.py, docs/ledger.md): it
stores the hash of its predecessor and its own hash over that and its content. The chain
is one line in id order, so appending is a critical section: read the last event's id and
hash, then insert the next one, with no other append in between, and the read must see
every append that committed before it.

- SQLite runs one writer at a time: every change runs in a BEGIN IMMEDIATE transaction
  (server/db/engine.py write_transaction), which holds the database's write lock from
  before the read until the commit, across processes. The next id is the last one plus
  one. (A write in a DEFERRED transaction whose snapshot is stale fails with
  SQLITE_BUSY_SNAPSHOT rather than fork the chain.)
- PostgreSQL with several processes: the append takes a transaction-level advisory lock
  (CHAIN_LOCK) right before it reads the last event, so appends of different transactions
  run one after another, and the lock is held until commit or rollback, so the next
  appender's read (a new statement, hence a new READ COMMITTED snapshot) sees this event.
  Ids come from the table's sequence under that lock, so id order is chain order (a
  rolled-back append leaves a gap in the ids, not in the chain). `record` does all of it
  in one round trip, the function tagtrack_append_event (migration 2026-11-29T12:00:00):
  lock, read the last hash (each statement of a VOLATILE function takes a fresh
  snapshot), draw the id, insert, hashing the content that Python encoded around the id
  (chain.content_around_id), so the hash is chain.seal's (verify recomputes it in Python).
  `record_many` does the same in three statements for any number of events. Only this step is
  serialised: the rest of a change (reads, row locks, updates) runs concurrently, and
  services write their event last, so the lock is held for the event's INSERT, whatever
  little follows it and the COMMIT; a scan holds its event back (`held`) and appends it
  together with its scan-log row in one statement (`append_with`), then commits.
  That COMMIT does not wait for the WAL flush: the statement that takes the lock also
  sets synchronous_commit off for this transaction, and an after_commit callback
  (`durable`) waits for the flush right after, outside the lock, before
  write_transaction returns and so before anyone is answered. Recovery replays the WAL in
  order, so a crash in between loses only changes nobody was told about, and the chain
  stays a prefix (docs/ledger.md, "Durability").
  Lock order: row locks first, the chain last. A transaction that takes a row lock after
  its first event can deadlock with one that holds that row and waits for the chain
  (PostgreSQL aborts one after deadlock_timeout; server/db/faults.py answers 503), so
  services with several events gather them and append them together at the end
  (record_many), after their last row lock.
Write transactions on PostgreSQL must be READ COMMITTED (write_transaction is): under
REPEATABLE READ the read of the last event would use the transaction's first snapshot."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from server.db.engine import (
    after_commit,
    current_engine,
    fetch,
    finish_with,
    in_write_transaction,
    is_postgres,
    write_transaction,
)
from server.domain import chain
from server.domain.actors import Actor
from server.domain.events import EventDraft
from server.domain.ledger import LedgerEvent

# PostgreSQL advisory lock key of the chain: a bigint beyond 32 bits (the app's other
# advisory locks use hashtext(), which stays within 32 bits, so they never meet this one).
CHAIN_LOCK = int.from_bytes(b"tt-chain", "big")
_COLUMNS = ("id", "at", "actor_id", "actor", "kind", "item_id", "unit_id", "lot_id",
            "quantity", "from_location_id", "to_location_id", "from_person_id",
            "to_person_id", "note", "details", "prev_hash", "hash")
_ROW = f"({', '.join('{}' for _ in _COLUMNS)})"
_INSERT = f"INSERT INTO event ({', '.join(_COLUMNS)}) VALUES "
_CHUNK = 500  # rows per INSERT in record_many (17 values each)
_LAST_SQLITE = "SELECT id, hash FROM event ORDER BY id DESC LIMIT 1"
_LOCK_PG = f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})"
_APPEND_PG = f"SELECT tagtrack_append_event({', '.join('{}' for _ in range(16))}) AS id"
# commit without waiting for the WAL flush, so that the chain lock goes at once (see above)
_NO_FLUSH = ", set_config('synchronous_commit', 'off', true)"
# After the commit: make the WAL durable past that commit. A transactional WAL record (a
# logical message, which nothing has to read) gives this statement's own transaction an
# xid and a record, so its commit waits for the flush of its commit record, which lies
# after ours, and for synchronous standbys, if any (PostgreSQL 15 has no function that
# waits for a flush; a bare txid_current() does not: a transaction that wrote no WAL
# commits without a flush). No "already flushed?" shortcut: it would skip the standbys.
_DURABLE_PG = "SELECT pg_logical_emit_message(true, 'tagtrack', 'durable')"
_NEXT_PG = ("SELECT nextval('event_id_seq') AS id, "
            "(SELECT hash FROM event ORDER BY id DESC LIMIT 1) AS prev "
            "FROM generate_series(1, {})")


# When the events being written happened: now, except while the demo writes a past
# history (server/services/demo.py) inside `backdated`, in the order it happened.
_clock: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar(
    "ledger_clock", default=None)


def _now() -> dt.datetime:
    return _clock.get() or dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def backdated(at: dt.datetime) -> Iterator[None]:
    """Events recorded inside are dated `at` (a UTC moment no earlier than the last one)."""
    token = _clock.set(at)
    try:
        yield
    finally:
        _clock.reset(token)


async def record(actor: Actor, draft: EventDraft) -> int:
    if (held := _held.get()) is not None:
        return held.hold(actor, [draft])[0]
    if not is_postgres():
        return (await record_many(actor, [draft]))[0]
    # one round trip instead of three (lock, read, insert): the scan path's one event
    row = _fields(0, _now(), actor, draft)
    before, after = chain.content_around_id(row)
    async with _in_transaction():
        rows = await fetch(_APPEND_PG + _deferred_flush(), *list(row.values())[1:],
                           before.decode(), after.decode())
    return int(rows[0]["id"])


async def record_many(actor: Actor, drafts: Sequence[EventDraft]) -> list[int]:
    """Append the events, in order, to the chain; their ids."""
    if not drafts:
        return []
    if (held := _held.get()) is not None:
        return held.hold(actor, drafts)
    async with _in_transaction():
        ids, prev = await _next(len(drafts))
        at = _now()
        rows: list[tuple[Any, ...]] = []
        for event_id, draft in zip(ids, drafts, strict=True):
            row = _fields(event_id, at, actor, draft)
            prev_hash, prev = prev, chain.seal(prev, row)
            rows.append((*row.values(), prev_hash, prev))
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start:start + _CHUNK]
            await fetch(_INSERT + ", ".join(_ROW for _ in chunk),
                        *(value for row in chunk for value in row))
    return ids


# Holding events back (the scan path): the chain's lock is taken by the first append and
# held until COMMIT, so whatever a transaction runs after its event runs under the lock.
# A scan appends its change's event first and then reads the record for its answer and
# writes its log row: three statements under the lock instead of none. Inside `held()`,
# record/record_many keep the events and answer placeholder ids (negative, unique in the
# transaction); the caller appends them at the end (`Held.append`, or `append_with`, which
# also writes a row of its own in the same statement) and swaps the real ids in.


class Held:
    """The events recorded inside `held()`, not appended yet."""

    def __init__(self) -> None:
        self.events: list[tuple[Actor, EventDraft]] = []

    def hold(self, actor: Actor, drafts: Sequence[EventDraft]) -> list[int]:
        start = len(self.events)
        self.events += [(actor, d) for d in drafts]
        return [-(start + n + 1) for n in range(len(drafts))]

    @property
    def single(self) -> tuple[Actor, EventDraft, int] | None:
        """The one event held, with its placeholder id, if exactly one is."""
        if len(self.events) != 1:
            return None
        return (*self.events[0], -1)

    async def append(self) -> dict[int, int]:
        """Append every held event, in order; placeholder id -> id."""
        ids: dict[int, int] = {}
        n = 0
        while n < len(self.events):  # one record_many per run of events of one actor
            actor = self.events[n][0]
            end = n
            while end < len(self.events) and self.events[end][0] is actor:
                end += 1
            got = await record_many(actor, [d for _, d in self.events[n:end]])
            ids.update({-(n + k + 1): event_id for k, event_id in enumerate(got)})
            n = end
        self.events = []
        return ids


_held: contextvars.ContextVar[Held | None] = contextvars.ContextVar("tagtrack_held_events",
                                                                    default=None)


@contextlib.contextmanager
def held() -> Iterator[Held]:
    """Hold the events recorded inside back; the caller must append them (in the same
    transaction) or let the transaction roll back."""
    box = Held()
    token = _held.set(box)
    try:
        yield box
    finally:
        _held.reset(token)


def appends_with_a_row() -> bool:
    """Whether `append_with` can append an event and write a row in one statement (on
    PostgreSQL, where it saves a round trip under the chain's lock; on SQLite the whole
    write transaction is serialised anyway and there is no such function)."""
    return is_postgres()


async def append_with(actor: Actor, draft: EventDraft, function: str,
                      args: Sequence[Any]) -> int:
    """PostgreSQL: append the event through `function`, a database function that takes
    tagtrack_append_event's 16 parameters, then `args`, appends the event as that one
    does, writes a row of its own, and returns the event's id."""
    row = _fields(0, _now(), actor, draft)
    before, after = chain.content_around_id(row)
    params = [*list(row.values())[1:], before.decode(), after.decode(), *args]
    sql = f"SELECT {function}({', '.join('{}' for _ in params)}) AS id"
    async with _in_transaction():
        rows = await fetch(sql + _deferred_flush(), *params)
    return int(rows[0]["id"])


@contextlib.asynccontextmanager
async def _in_transaction() -> AsyncIterator[None]:
    # the read of the last event and the insert must be one transaction; every service
    # already runs one, this is a guard for a caller that forgot
    if current_engine().current_transaction.get() is not None:
        yield
        return
    async with write_transaction():
        yield


def _deferred_flush() -> str:
    """PostgreSQL: what to add to the statement that takes the chain lock so that this
    transaction commits without waiting for the WAL flush, the flush being waited for
    after the commit (durable, below). Only inside write_transaction, which runs it before
    the caller answers; in any other transaction the commit flushes, as by default."""
    if not in_write_transaction():
        return ""
    after_commit(_flushed, first=True)
    return _NO_FLUSH


async def _flushed() -> None:
    # on the connection that committed, in the round trip of the pool's reset of it
    await finish_with(_DURABLE_PG)


async def durable() -> None:
    """Wait until every change committed so far is on disk (PostgreSQL; SQLite commits
    durably already). Write transactions that append events do it after their commit, on
    their own; a change read back from the database that may have committed a moment ago
    needs it before it is answered with (a replayed scan)."""
    if is_postgres():
        await fetch(_DURABLE_PG)


async def _next(n: int) -> tuple[list[int], str]:
    """Ids for the next n events and the hash the first of them follows."""
    if is_postgres():
        await fetch(_LOCK_PG + _deferred_flush())
        rows = await fetch(_NEXT_PG, n)
        return sorted(int(r["id"]) for r in rows), rows[0]["prev"] or chain.GENESIS
    rows = await fetch(_LAST_SQLITE)
    last = int(rows[0]["id"]) if rows else 0
    prev = str(rows[0]["hash"]) if rows else chain.GENESIS
    return list(range(last + 1, last + n + 1)), prev


def _fields(event_id: int, at: dt.datetime, actor: Actor, d: EventDraft) -> dict[str, Any]:
    """The event's columns, in chain.FIELDS order (the INSERT relies on it)."""
    return {"id": event_id, "at": at, "actor_id": actor.user_id, "actor": actor.name,
            "kind": d.kind.value, "item_id": d.item_id, "unit_id": d.unit_id,
            "lot_id": d.lot_id, "quantity": d.quantity,
            "from_location_id": d.from_location_id, "to_location_id": d.to_location_id,
            "from_person_id": d.from_person_id, "to_person_id": d.to_person_id,
            "note": d.note, "details": json.dumps(d.details, default=str, sort_keys=True)}


# Reading the chain

_SELECT = (f"SELECT {', '.join(_COLUMNS)} FROM event WHERE id > {{}} ORDER BY id "
           f"LIMIT {{}}")


async def walk(batch: int = 5000) -> AsyncIterator[dict[str, Any]]:
    """Every event, in id order (the chain's order), all columns; `details` as stored."""
    last = 0
    while True:
        rows = await fetch(_SELECT, last, batch)
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        last = int(rows[-1]["id"])


async def head() -> chain.Head:
    """The last event of the chain as it is stored (not checked: `verify` does that)."""
    rows = await fetch("SELECT id, hash, at FROM event ORDER BY id DESC LIMIT 1")
    if not rows:
        return chain.EMPTY_HEAD
    count = await fetch("SELECT COUNT(*) AS n FROM event WHERE id <= {}", rows[0]["id"])
    return chain.Head(int(rows[0]["id"]), str(rows[0]["hash"]), int(count[0]["n"]),
                      chain.utc_text(rows[0]["at"]))


def ledger_event(row: dict[str, Any]) -> LedgerEvent:
    """A walked row as the replay reads it."""
    return LedgerEvent(
        id=int(row["id"]), kind=row["kind"], item_id=row["item_id"], unit_id=row["unit_id"],
        lot_id=row["lot_id"], quantity=row["quantity"],
        from_location_id=row["from_location_id"], to_location_id=row["to_location_id"],
        from_person_id=row["from_person_id"], to_person_id=row["to_person_id"],
        details=_load(row["details"]))


def _load(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        loaded: dict[str, Any] = json.loads(value or "{}")
        return loaded
    return dict(value or {})

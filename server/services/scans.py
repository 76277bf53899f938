"""One scan: resolve the code, apply the action, store the scan and its answer.

Idempotency: the scan-log row carries the device's idempotency key (unique per user:
another user's scan with the same key is another scan) and is written in the same
transaction as the change, so a change and its key commit together.
A replay finds the row and gets the first answer back, unchanged. Two copies of one scan
racing each other: on SQLite the IMMEDIATE transactions run one after the other; on
PostgreSQL the second insert of the key waits for the first transaction and then fails.
Either way the loser rolls back whatever it did and answers with the stored answer.

Refusals and misses are stored too (outside any change), so a replayed refused scan gets
the same refusal; an answer that says "not now" (5xx: a printer or service out of reach)
is not stored, so a replay tries again. The answer itself is built by a `render` function
the caller passes in (the HTTP layer knows what records look like on the API); this module
only stores it.

A batch is a device's offline queue, in the order it was scanned: each scan in its own
transaction, answered in order. A definite refusal (4xx) is that scan's final answer and
the batch goes on; a failure that may pass (a database fault, a server error: 5xx) stops
it, and the scans after it are not attempted, so that the device sends them again after
it and a later scan is never applied before an earlier one."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from server.db import faults, items_repo, ledger, places_repo, scans_repo, units_repo
from server.db.engine import write_transaction
from server.domain import scans as rules
from server.domain import timezones
from server.domain.actors import Actor
from server.domain.errors import DomainError, InvalidInput, TooLarge, Unavailable
from server.services import local_time, scan_actions
from server.services.resolve import ITEM, LOCATION, LOT, PERSON, UNIT, Resolution, resolve
from server.services.scan_actions import Outcome, ScanCommand

__all__ = ["BatchEntry", "Outcome", "Rendered", "ScanAnswer", "ScanCommand", "batch", "scan"]

log = logging.getLogger("tagtrack")
MAX_BATCH = 500  # scans in one batch; more are refused whole (413), never cut short


@dataclass(frozen=True)
class Rendered:
    status: int
    ok: bool
    error_code: str | None
    body: bytes  # the answer's JSON


@dataclass(frozen=True)
class ScanAnswer:
    status: int
    body: bytes
    replay: bool = False


Render = Callable[[ScanCommand, Outcome], Rendered]


async def scan(actor: Actor, cmd: ScanCommand, render: Render) -> ScanAnswer:
    rules.check_scan(cmd.action, cmd.code, cmd.device_id, cmd.idempotency_key)
    if cmd.idempotency_key:
        stored = await scans_repo.by_key(actor.user_id, cmd.idempotency_key)
        if stored is not None:
            # the first answer may have committed a moment ago without its WAL flushed yet
            # (PostgreSQL appends events with an asynchronous commit): never repeat an
            # answer that a crash could still take back
            await ledger.durable()
            return _replay(stored, cmd)
    res = await resolve(cmd.code)
    try:
        if cmd.action == "lookup":
            outcome = await _lookup(res, actor)
        else:
            scan_actions.refuse_unresolved(res, cmd.action)
            async with write_transaction():
                with ledger.held() as held:  # the event goes last: see _append_and_store
                    outcome = await scan_actions.HANDLERS[cmd.action](actor, cmd, res)
                    outcome = await _with_record(outcome)
                rendered = await _append_and_store(actor, cmd, outcome, held, render)
            return ScanAnswer(rendered.status, rendered.body)
    except DomainError as error:
        outcome = await _with_record(Outcome(res, error=error, kind=res.kind, record_id=res.id))
    except Exception as error:
        if not scans_repo.is_duplicate_key(error):
            raise
        return await _replay_after_race(actor, cmd)
    rendered = render(cmd, outcome)
    if rendered.status >= 500:
        return ScanAnswer(rendered.status, rendered.body)  # not final: a retry tries again
    try:
        await _store(actor, cmd, outcome, rendered)
    except Exception as error:
        if not scans_repo.is_duplicate_key(error):
            raise
        return await _replay_after_race(actor, cmd)
    return ScanAnswer(rendered.status, rendered.body)


@dataclass(frozen=True)
class BatchEntry:
    """One scan's fate in a batch: its answer (applied or refused, as a single scan is
    answered), or the error that kept it from being a scan (bad input: final; a database
    fault or a crash: not final), or not attempted after such a failure."""

    answer: ScanAnswer | None = None
    error: DomainError | None = None
    crashed: bool = False  # a server error, logged
    not_attempted: bool = False

    @property
    def final(self) -> bool:
        """A definite answer the device may drop the scan on; otherwise it sends it again."""
        if self.not_attempted or self.crashed:
            return False
        if self.answer is not None:
            return self.answer.status < 500
        return not isinstance(self.error, Unavailable)


def check_batch(count: int) -> None:
    if count > MAX_BATCH:
        raise TooLarge(
            f"a batch holds at most {MAX_BATCH} scans; this one has {count}: send them in "
            f"batches of {MAX_BATCH} or fewer, in order",
            field="scans",
            code="too_many_scans",
            details={"limit": MAX_BATCH, "count": count},
        )


async def batch(actor: Actor, cmds: list[ScanCommand], render: Render) -> list[BatchEntry]:
    """The scans in order, each in its own transaction, until one fails in a way that may
    pass (see the module docstring); those after it are not attempted."""
    check_batch(len(cmds))
    entries: list[BatchEntry] = []
    for cmd in cmds:
        try:
            entry = BatchEntry(answer=await scan(actor, cmd, render))
        except DomainError as error:
            entry = BatchEntry(error=error)
        except Exception as exc:
            fault = faults.recognize(exc)
            if fault is None:
                log.exception("scan %r failed in a batch", cmd.idempotency_key)
            entry = BatchEntry(error=fault, crashed=fault is None)
        entries.append(entry)
        if not entry.final:
            break
    entries += [BatchEntry(not_attempted=True)] * (len(cmds) - len(entries))
    return entries


def _replay(stored: dict[str, Any], cmd: ScanCommand) -> ScanAnswer:
    if (stored["code"], stored["action"]) != (cmd.code, cmd.action):
        raise InvalidInput(
            f"idempotency_key {cmd.idempotency_key} was already used for another scan "
            f"({stored['action']} of {stored['code']!r}): make a new key for each scan",
            field="idempotency_key",
            code="idempotency_key_reused",
        )
    answer = stored["answer"]
    body = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
    return ScanAnswer(int(stored["status"]), body, replay=True)


async def _replay_after_race(actor: Actor, cmd: ScanCommand) -> ScanAnswer:
    assert cmd.idempotency_key is not None
    stored = await scans_repo.by_key(actor.user_id, cmd.idempotency_key)
    assert stored is not None, "a duplicate key was reported, so the row exists"
    await ledger.durable()
    return _replay(stored, cmd)


# The answer's event id while the answer is encoded around it: a number no event reaches,
# whose digits are looked for in the encoded answer (they must occur exactly once).
_ID_MARK = 9_007_199_254_740_991  # 2**53 - 1


async def _append_and_store(actor: Actor, cmd: ScanCommand, outcome: Outcome,
                            held: ledger.Held, render: Render) -> Rendered:
    """The change's events, appended last, then the scan's log row: on PostgreSQL, for a
    change of one event (nearly every scan), both in one statement, so that the chain's
    lock (taken by the append, held until COMMIT) covers that statement and the COMMIT
    only; the answer, which names the event's id, is encoded first around a mark."""
    single = held.single
    if single is not None and outcome.event_id == single[2] and ledger.appends_with_a_row():
        marked = render(cmd, replace(outcome, event_id=_ID_MARK))
        before, mark, after = marked.body.decode().partition(str(_ID_MARK))
        if mark and str(_ID_MARK) not in after:  # else a note holds the digits: below
            event_id = await scans_repo.insert_with_event(
                single[0], single[1], _log_entry(actor, cmd, outcome, marked), before, after)
            return replace(marked, body=f"{before}{event_id}{after}".encode())
    ids = await held.append()
    if outcome.event_id is not None:
        outcome = replace(outcome, event_id=ids.get(outcome.event_id, outcome.event_id))
    rendered = render(cmd, outcome)
    await _store(actor, cmd, outcome, rendered)
    return rendered


async def _store(actor: Actor, cmd: ScanCommand, outcome: Outcome, rendered: Rendered) -> None:
    await scans_repo.insert(_log_entry(actor, cmd, outcome, rendered))


def _log_entry(actor: Actor, cmd: ScanCommand, outcome: Outcome,
               rendered: Rendered) -> scans_repo.LogEntry:
    res = outcome.resolution
    return (
        scans_repo.LogEntry(
            device_id=cmd.device_id,
            user_id=actor.user_id,
            username=actor.name,
            code=cmd.code,
            action=cmd.action,
            ok=rendered.ok,
            status=rendered.status,
            error_code=rendered.error_code,
            resolved_kind=res.kind,
            resolved_id=outcome.record_id if outcome.record_id is not None else res.id,
            event_id=outcome.event_id,
            scanned_at=cmd.scanned_at,
            idempotency_key=cmd.idempotency_key or None,
            answer=rendered.body.decode(),
        )
    )


async def _lookup(res: Resolution, actor: Actor) -> Outcome:
    scan_actions.refuse_unresolved(res, "lookup")
    outcome = await _with_record(Outcome(res, kind=res.kind, record_id=res.id))
    row = outcome.row or {}
    if res.kind == UNIT:
        actions = rules.actions_for(UNIT, status=row["status"], collapsed=row["collapsed"])
        message = _unit_sentence(row, local_time.zone_of(actor))
        if res.message:
            message = f"{message}. {res.message}"
    elif res.kind == ITEM:
        item = row["item"]
        actions = rules.actions_for(ITEM, tracking=item["tracking"])
        message = f"{item['name']} ({item['sku']}): {item['count']} on hand"
        if res.lot_code:
            message += f"; lot {res.lot_code}" + (f", expires {timezones.format_date(res.expiry)}"
                                             if res.expiry else "")
    elif res.kind == LOT:
        actions = rules.actions_for(LOT)
        message = f"{row['item_name']} lot {row['code']}: {row['quantity']} on hand"
    elif res.kind == LOCATION:
        actions, message = (), f"Location {row['location']['name']}"
    else:
        actions, message = (), f"{row['name']} ({row['tag']})"
    return replace(outcome, message=message, actions=actions)


def _unit_sentence(row: dict[str, Any], zone: ZoneInfo) -> str:
    serial = f" (S/N {row['serial']})" if row["serial"] else ""
    name = f"{row['item_name']} {row['tag']}{serial}"
    if row["status"] == "checked_out":
        due = f", due {timezones.format_due(row['due_at'], zone)}" if row["due_at"] else ""
        return f"{name}: checked out to {row['custodian_name']}{due}"
    return f"{name}: {row['status'].replace('_', ' ')} at {row['location_name']}"


async def _with_record(outcome: Outcome) -> Outcome:
    """The record to show in the answer, read once (after the change, in its transaction)."""
    if outcome.row is not None or outcome.record_id is None:
        return outcome
    return replace(
        outcome, row=await load_record(outcome.kind, outcome.record_id, outcome.resolution)
    )


async def load_record(kind: str | None, record_id: int, res: Resolution) -> dict[str, Any] | None:
    if kind == UNIT:
        if res.row is not None and res.id == record_id and "item_name" in res.row:
            return res.row
        return await units_repo.detail(record_id)
    if kind == ITEM:
        barcodes = await items_repo.barcodes_of([record_id])
        return {
            "item": await items_repo.row_with_counts(record_id),
            "barcodes": barcodes.get(record_id, []),
        }
    if kind == LOT:
        return await scans_repo.lot_row(record_id)
    if kind == LOCATION:
        return {
            "location": res.row or await places_repo.location(location_id=record_id),
            "chain": await scans_repo.location_chain(record_id),
        }
    if kind == PERSON:
        return res.row or await places_repo.person(person_id=record_id)
    return None

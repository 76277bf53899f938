"""`tagtrack verify`: check the hash chain of the events, rebuild the state from the events
alone and compare it with the tables.

The chain check walks every event in id order (server/domain/chain.py) and names the first
event that was edited, deleted or inserted out of place; given a chain head exported
earlier, it also checks that the head is still in the chain, unchanged, which catches a
history rewritten with every later hash recomputed. Both checks read one snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from server.db import history_repo, ledger, loans_repo, lots_repo, stock_repo
from server.db.engine import current_engine, is_postgres
from server.db.tables import Event
from server.domain import chain
from server.domain.ledger import LoanState, LotState, State, UnitState, compare, replay
from server.services.utilization import SummaryCheck

MAX_BREAKS = 20  # chain breaks listed; the first is the one to look at


@dataclass(frozen=True)
class Report:
    problems: list[str]  # chain breaks first, then differences between tables and events
    head: chain.Head  # the chain's last event, as walked


async def verify(since: chain.Head | None = None) -> list[str]:
    """Every problem as a sentence, the chain's first; [] when all is well."""
    return (await check(since)).problems


async def check(since: chain.Head | None = None) -> Report:
    walk = chain.Walk()
    if since is not None:
        walk.expect_head(since)
    usage = SummaryCheck()  # the utilization summaries (migration 2026-11-29T15:20)
    async with current_engine().transaction():
        if is_postgres():  # one snapshot for the events and the tables
            await Event.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        events = [ledger.ledger_event(row) async for row in _fed(walk, usage)]
        rebuilt = replay(events)
        units = await history_repo.unit_states()
        stock = await stock_repo.all_rows()
        loans = await loans_repo.all_loans()
        lots = await lots_repo.all_lots()
        usage_problems = await usage.problems()
    actual = State(
        units={uid: UnitState(item_id=r["item"], location_id=r["location"],
                              custodian_id=r["custodian"], status=r["status"],
                              condition=r["condition"], collapsed=bool(r["collapsed"]))
               for uid, r in units.items()},
        stock=stock,
        loans={lid: LoanState(*row) for lid, row in loans.items()},
        holdings=_holdings(loans),
        lots={lid: LotState(*row) for lid, row in lots.items()},
    )
    breaks = [b.message for b in walk.finish()]
    if len(breaks) > MAX_BREAKS:
        breaks[MAX_BREAKS:] = [f"... and {len(breaks) - MAX_BREAKS} more breaks of the chain"]
    return Report(breaks + compare(rebuilt, actual) + usage_problems, walk.head())


async def _fed(walk: chain.Walk, usage: SummaryCheck) -> AsyncIterator[dict[str, Any]]:
    async for row in ledger.walk():
        walk.feed(row)
        usage.feed(row)
        yield row


def _holdings(loans: dict[int, tuple[int, int, int | None, int, int, str]]
              ) -> dict[tuple[int, int, int | None], int]:
    """What each person holds, as the loan rows say (summed over their open loans)."""
    held: dict[tuple[int, int, int | None], int] = {}
    for person, item, lot, out, returned, _status in loans.values():
        if out - returned:
            held[(person, item, lot)] = held.get((person, item, lot), 0) + out - returned
    return held

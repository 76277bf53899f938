"""`tagtrack verify`: rebuild the state from the events alone and compare."""

from __future__ import annotations

from server.db import history_repo, ledger, loans_repo, lots_repo, stock_repo
from server.db.engine import current_engine, is_postgres
from server.db.tables import Event
from server.domain.ledger import LoanState, LotState, State, UnitState, compare, replay


async def verify() -> list[str]:
    """Every difference between the tables and the events, as sentences; [] when they agree."""
    async with current_engine().transaction():
        if is_postgres():  # one snapshot for the events and the tables
            await Event.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rebuilt = replay(await ledger.all_events())
        units = await history_repo.unit_states()
        stock = await stock_repo.all_rows()
        loans = await loans_repo.all_loans()
        lots = await lots_repo.all_lots()
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
    return compare(rebuilt, actual)


def _holdings(loans: dict[int, tuple[int, int, int | None, int, int, str]]
              ) -> dict[tuple[int, int, int | None], int]:
    """What each person holds, as the loan rows say (summed over their open loans)."""
    held: dict[tuple[int, int, int | None], int] = {}
    for person, item, lot, out, returned, _status in loans.values():
        if out - returned:
            held[(person, item, lot)] = held.get((person, item, lot), 0) + out - returned
    return held

"""Use cases for lots: the lists by expiry and a correction of a lot's expiry date.

Expiry is a date, and "expired" depends on what day it is: every rule takes today's date
(server/domain/lots.py), and this module is the one place that reads the clock for them,
as the UTC date (`today`). Tests pass their own day instead."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db import ledger, lots_repo
from server.db.engine import write_transaction
from server.db.lots_repo import LOT_SORTS, LotFilter
from server.domain import lots as rules
from server.domain.actors import Actor
from server.domain.errors import InvalidInput
from server.services import local_time


def today() -> dt.date:
    """The site's date (TAGTRACK_TIME_ZONE): a lot is expired from the day after its
    expiry date where it is kept, not where UTC is."""
    return local_time.site_today(dt.datetime.now(dt.UTC))


def lot_filter(*, item_id: int | None = None, code: str | None = None,
               expiring_within: int | None = None, expired: bool | None = None,
               in_stock: bool | None = None, on: dt.date | None = None) -> LotFilter:
    """The filter of the lists, as people ask for it: "expiring within 30 days" (not yet
    expired), "expired" (True: before today; False: not), "in stock"."""
    day = on or today()
    start = end = None
    if expiring_within is not None:
        if expired:
            raise InvalidInput("a lot is either expired or expiring: ask for one of them",
                               field="expired")
        start, end = rules.window(day, expiring_within)
    return LotFilter(item_id=item_id, code=code, expires_from=start, expires_to=end,
                     expired_before=day if expired else None,
                     good_on=day if expired is False else None, in_stock=in_stock)


async def list_lots(f: LotFilter, *, sort: str = "expires_on", descending: bool = False,
                    limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    if sort not in LOT_SORTS:
        raise InvalidInput(f"sort must be one of: {', '.join(LOT_SORTS)} "
                           "(prefix - for descending)", field="sort")
    return await lots_repo.list_lots(f, sort=sort, descending=descending, limit=limit,
                                     offset=offset)


async def change_expiry(actor: Actor, lot_id: int, expires_on: dt.date | None,
                        reason: str) -> int:
    """Set (or clear) a lot's expiry date; one lot.expiry_changed event, with the reason,
    in the same transaction. Returns the event's id."""
    async with write_transaction():
        lot = await lots_repo.for_change(lot_id)
        event = rules.change_expiry(lot, expires_on, reason)
        await lots_repo.set_expiry(lot.id, expires_on)
        return await ledger.record(actor, event)

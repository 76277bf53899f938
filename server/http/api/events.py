"""/api/v1/events and the history of one unit, item, lot, location or person (newest
first)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from msgspec import Struct

from server.db import history_repo, lots_repo, units_repo
from server.db.ledger import head as stored_head
from server.http import present
from server.http import schemas as s
from server.http.auth import MANAGE, VIEW
from server.http.paging import Limit
from server.services import lookup

Before = Annotated[
    int | None,
    Parameter(description="cursor: events older than this id (next_before of the previous page)"),
]


async def _page(limit: int, before: int | None, **where: int | str | None) -> s.EventPage:
    rows = await history_repo.events(before_id=before, limit=limit, **where)  # type: ignore[arg-type]
    events = [present.event(r) for r in rows]
    return s.EventPage(events=events, next_before=events[-1].id if len(events) == limit else None)


class ChainHead(Struct):
    """The head of the history's hash chain (docs/ledger.md)."""

    event_id: int  # 0 while the history is empty
    hash: str
    count: int  # events up to and including it
    at: str  # the event's time in UTC, as hashed


class EventController(Controller):
    path = "/api/v1"
    tags = ["history"]

    @get("/events", opt=VIEW, summary="All events, newest first; filter by kind (item.*)")
    async def list_events(
        self, limit: Limit = 50, before: Before = None, kind: str | None = None
    ) -> s.EventPage:
        return await _page(limit, before, kind=kind)

    @get(
        "/events/head",
        opt=MANAGE,
        summary="The head of the history's hash chain, for an auditor to keep (as stored, "
        "not checked: `tagtrack verify --since-head FILE` checks a kept head)",
    )
    async def chain_head(self) -> ChainHead:
        head = await stored_head()
        return ChainHead(event_id=head.event_id, hash=head.hash, count=head.count, at=head.at)

    @get("/units/{tag:str}/history", opt=VIEW, summary="History of a unit")
    async def unit_history(self, tag: str, limit: Limit = 50, before: Before = None) -> s.EventPage:
        unit = await units_repo.get(tag=lookup.unit_tag(tag))
        return await _page(limit, before, unit_id=unit.id)

    @get("/items/{item_id:int}/history", opt=VIEW, summary="History of an item and its units")
    async def item_history(
        self, item_id: int, limit: Limit = 50, before: Before = None
    ) -> s.EventPage:
        return await _page(limit, before, item_id=await lookup.item_id(item_id))

    @get("/locations/{ref:str}/history", opt=VIEW, summary="What moved in and out of here")
    async def location_history(
        self, ref: str, limit: Limit = 50, before: Before = None
    ) -> s.EventPage:
        return await _page(limit, before, location_id=await lookup.location_id(ref))

    @get("/lots/{lot_id:int}/history", opt=VIEW, summary="History of a lot")
    async def lot_history(
        self, lot_id: int, limit: Limit = 50, before: Before = None
    ) -> s.EventPage:
        await lots_repo.lot(lot_id)
        return await _page(limit, before, lot_id=lot_id)

    @get("/people/{ref:str}/history", opt=VIEW, summary="What a person took and returned")
    async def person_history(
        self, ref: str, limit: Limit = 50, before: Before = None
    ) -> s.EventPage:
        return await _page(limit, before, person_id=await lookup.person_id(ref))

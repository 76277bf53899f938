"""/api/v1/stock: counts per location (and lot) of quantity and lot items."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from server.db import places_repo, stock_repo
from server.http import present
from server.http import schemas as s
from server.http.auth import OPERATE, VIEW
from server.http.paging import Limit, Offset, Req, actor_of
from server.services import lookup
from server.services import stock as stock_service


class StockController(Controller):
    path = "/api/v1/stock"
    tags = ["stock"]

    @get("/", opt=VIEW, summary="Stock rows: item x location (x lot)")
    async def list_stock(
        self,
        limit: Limit = 50,
        offset: Offset = 0,
        item: str | None = None,
        location: str | None = None,
        lot: int | None = None,
        include_zero: bool = False,
    ) -> s.StockPage:
        item_id = (
            None if item is None else await lookup.item_id(int(item) if item.isdecimal() else item)
        )
        loc_ids = (
            None
            if location is None
            else await places_repo.subtree_ids(await lookup.location_id(location))
        )
        rows, total = await stock_repo.list_stock(
            item_id=item_id,
            location_ids=loc_ids,
            lot_id=lot,
            include_zero=include_zero,
            limit=limit,
            offset=offset,
        )
        return s.StockPage(
            stock=[present.stock(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @post("/receive", opt=OPERATE, summary="Receive a count into a location")
    async def receive(self, data: JSONBody[s.StockOp], request: Req) -> s.EventId:
        event = await stock_service.receive(
            actor_of(request),
            await lookup.item_id(data.item),
            await lookup.location_id(data.location),
            data.quantity,
            lot=data.lot,
            expires_on=data.expires_on,
            note=data.note,
        )
        return s.EventId(event_id=event)

    @post("/consume", opt=OPERATE, summary="Consume (remove) a count from a location")
    async def consume(self, data: JSONBody[s.StockOp], request: Req) -> s.EventId:
        event = await stock_service.consume(
            actor_of(request),
            await lookup.item_id(data.item),
            await lookup.location_id(data.location),
            data.quantity,
            lot=data.lot,
            note=data.note,
        )
        return s.EventId(event_id=event)

    @post("/adjust", opt=OPERATE, summary="Set the count after a physical count, with a reason")
    async def adjust(self, data: JSONBody[s.StockAdjust], request: Req) -> s.EventId:
        event = await stock_service.adjust(
            actor_of(request),
            await lookup.item_id(data.item),
            await lookup.location_id(data.location),
            data.counted,
            data.reason,
            lot=data.lot,
        )
        return s.EventId(event_id=event)

    @post("/move", opt=OPERATE, summary="Move a count between locations")
    async def move(self, data: JSONBody[s.StockMove], request: Req) -> s.EventId:
        event = await stock_service.move(
            actor_of(request),
            await lookup.item_id(data.item),
            await lookup.location_id(data.from_location, "from_location"),
            await lookup.location_id(data.to_location, "to_location"),
            data.quantity,
            lot=data.lot,
            note=data.note,
        )
        return s.EventId(event_id=event)

"""/api/v1/items and /api/v1/lots"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.params import JSONBody, Parameter

from server.db import items_repo, lots_repo, places_repo
from server.db.items_repo import ITEM_SORTS, ItemFilter
from server.db.lots_repo import LOT_SORTS
from server.domain.errors import InvalidInput
from server.http import present
from server.http import schemas as s
from server.http.auth import MANAGE, VIEW
from server.http.paging import Limit, Offset, Req, Sort, actor_of, parse_sort
from server.services import advisor, catalog, conversion, lookup, lots


async def item_out(item_id: int) -> s.ItemOut:
    row = await items_repo.row_with_counts(item_id)
    codes = await items_repo.barcodes_of([item_id])
    return present.item(row, codes.get(item_id, []))


class ItemController(Controller):
    path = "/api/v1/items"
    tags = ["items"]

    @get("/", opt=VIEW, summary="List items with their derived counts")
    async def list_items(
        self,
        limit: Limit = 50,
        offset: Offset = 0,
        tracking: str | None = None,
        category: str | None = None,
        q: Annotated[
            str | None,
            Parameter(description="text search over SKU, name, unit tag, serial, barcode"),
        ] = None,
        location: Annotated[
            str | None,
            Parameter(description="location id or tag: items held in it or anywhere below it"),
        ] = None,
        archived: bool | None = False,
        low_stock: bool = False,
        advice: Annotated[
            str | None,
            Parameter(description="change: only items the tracking advisor suggests "
                      "tracking another way (GET /api/v1/reports/advisor says why)"),
        ] = None,
        sort: Sort = "sku",
    ) -> s.ItemPage:
        if tracking is not None and tracking not in ("quantity", "lot", "serial"):
            raise InvalidInput("tracking must be quantity, lot or serial", field="tracking")
        field, desc = parse_sort(sort, ITEM_SORTS)
        loc_ids = None
        if location is not None:
            loc_ids = await places_repo.subtree_ids(await lookup.location_id(location))
        rows, total = await items_repo.list_items(
            ItemFilter(
                tracking=tracking,
                category=category,
                q=q,
                location_ids=loc_ids,
                archived=archived,
                low_stock=low_stock,
                item_ids=await advised_ids(advice),
            ),
            sort=field,
            descending=desc,
            limit=limit,
            offset=offset,
        )
        codes = await items_repo.barcodes_of([r["id"] for r in rows])
        return s.ItemPage(
            items=[present.item(r, codes.get(r["id"], [])) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )

    @post("/", opt=MANAGE, summary="Create an item")
    async def create_item(self, data: JSONBody[s.ItemCreate], request: Req) -> s.ItemOut:
        fields = {k: getattr(data, k) for k in data.__struct_fields__}
        fields["custom_fields"] = [_def(d) for d in data.custom_fields]
        item_id = await catalog.create_item(actor_of(request), **fields)
        return await item_out(item_id)

    @get("/{item_id:int}", opt=VIEW, summary="One item with its counts")
    async def get_item(self, item_id: int) -> s.ItemOut:
        return await item_out(item_id)

    @patch("/{item_id:int}", opt=MANAGE, summary="Edit an item (send only what changes)")
    async def update_item(
        self, item_id: int, data: JSONBody[s.ItemUpdate], request: Req
    ) -> s.ItemOut:
        changes = s.given(data)
        version = changes.pop("version", None)
        if "custom_fields" in changes:
            changes["custom_fields"] = [_def(d) for d in changes["custom_fields"]]
        await catalog.update_item(actor_of(request), item_id, changes, expected_version=version)
        return await item_out(item_id)

    @post(
        "/{item_id:int}/convert",
        opt=MANAGE,
        summary="Switch tracking mode (quantity, lot, serial) without losing anything",
    )
    async def convert(
        self, item_id: int, data: JSONBody[s.ConvertIn], request: Req
    ) -> s.ConvertOut:
        result = await conversion.convert(
            actor_of(request),
            item_id,
            data.tracking,
            lot=data.lot,
            on_checked_out=data.on_checked_out,
        )
        return s.ConvertOut(item=await item_out(item_id), **result)


async def advised_ids(advice: str | None) -> list[int] | None:
    """The catalog's "advisor suggests a change" filter: None when not asked for."""
    if not advice:
        return None
    if advice != "change":
        raise InvalidInput("advice must be change (or left out)", field="advice")
    return await advisor.suggested_ids()


class LotController(Controller):
    path = "/api/v1/lots"
    tags = ["lots"]

    @get("/", opt=VIEW, summary="List lots with their quantity on hand, by expiry")
    async def list_lots(
        self,
        limit: Limit = 50,
        offset: Offset = 0,
        item: Annotated[str | None, Parameter(description="item id or SKU")] = None,
        code: str | None = None,
        expiring_within: Annotated[
            int | None,
            Parameter(description="days: lots not yet expired that expire within them "
                      "(today included)"),
        ] = None,
        expired: Annotated[
            bool | None,
            Parameter(description="true: lots whose expiry date has passed; false: the others "
                      "(no expiry included)"),
        ] = None,
        in_stock: Annotated[
            bool | None, Parameter(description="true: lots with stock on hand; false: none")
        ] = None,
        sort: Annotated[
            str, Parameter(description="expires_on, code, item or quantity; prefix - for "
                           "descending (lots without an expiry come last either way)")
        ] = "expires_on",
    ) -> s.LotPage:
        field, desc = parse_sort(sort, LOT_SORTS)
        item_id = (
            None if item is None else await lookup.item_id(int(item) if item.isdecimal() else item)
        )
        day = lots.today()
        rows, total = await lots.list_lots(
            lots.lot_filter(item_id=item_id, code=code, expiring_within=expiring_within,
                            expired=expired, in_stock=in_stock, on=day),
            sort=field, descending=desc, limit=limit, offset=offset,
        )
        return s.LotPage(
            lots=[present.lot(r, day) for r in rows], total=total, limit=limit, offset=offset
        )

    @get("/{lot_id:int}", opt=VIEW, summary="One lot: item, expiry, quantity per location")
    async def get_lot(self, lot_id: int) -> s.LotDetailOut:
        return await lot_out(lot_id)

    @patch(
        "/{lot_id:int}",
        opt=MANAGE,
        summary="Correct a lot's expiry date, with the reason (an event in the history)",
    )
    async def update_lot(
        self, lot_id: int, data: JSONBody[s.LotUpdate], request: Req
    ) -> s.LotDetailOut:
        changes = s.given(data)
        if "expires_on" not in changes:
            raise InvalidInput("send expires_on: the new expiry date (null: none)",
                               field="expires_on")
        await lots.change_expiry(actor_of(request), lot_id, changes["expires_on"], data.reason)
        return await lot_out(lot_id)


async def lot_out(lot_id: int) -> s.LotDetailOut:
    row = await lots_repo.lot(lot_id)
    return s.LotDetailOut(
        lot=present.lot(row),
        stock=[s.LotStockOut(location=s.Ref(id=r["location_id"], tag=r["location_tag"],
                                            name=r["location_name"]),
                             quantity=int(r["quantity"]))
               for r in await lots_repo.stock_of(lot_id)],
    )


def _def(d: s.CustomFieldDef) -> dict[str, Any]:
    return {
        "key": d.key,
        "type": d.type,
        "label": d.label,
        "required": d.required,
        "choices": d.choices,
    }

"""Exports: every import kind as CSV or XLSX with the list endpoints' filters, and the
whole history as JSON Lines.

A kind's export takes the filters of its list (GET /api/v1/items, /units, /stock,
/locations, /people), so what a list shows is what its export holds, every page of it; a
filter of another kind's list is refused rather than ignored."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import Parameter
from litestar.response import Stream

from server.db import places_repo
from server.db.exports_repo import LocationFilter, PersonFilter, StockFilter
from server.db.items_repo import ItemFilter
from server.db.units_repo import UnitFilter
from server.domain.errors import InvalidInput
from server.http.api.catalog import advised_ids
from server.http.auth import MANAGE, VIEW
from server.http.downloads import JSONL_MEDIA, download, file_download
from server.http.openapi import files
from server.services import exports, ledger_export, lookup
from server.services.spreadsheets import CSV_MEDIA, XLSX_MEDIA

FILTERS = {
    "items": ("tracking", "category", "q", "location", "archived", "low_stock", "advice"),
    "units": ("item", "status", "condition", "location", "custodian", "q",
              "include_collapsed"),
    "stock": ("item", "location", "lot", "include_zero"),
    "locations": ("parent", "roots", "q", "archived"),
    "people": ("q", "active"),
}
Format = Annotated[str, Parameter(description="csv (UTF-8 with BOM) or xlsx")]


async def _item(ref: str) -> int:
    return await lookup.item_id(int(ref) if ref.isdecimal() else ref)


async def _subtree(ref: str) -> list[int]:
    return await places_repo.subtree_ids(await lookup.location_id(ref))


async def export_filter(kind: str, given: dict[str, Any]) -> exports.Filter:
    """The kind's filter from query parameters (those left as None are not given)."""
    exports.check_kind(kind)
    p = {k: v for k, v in given.items() if v is not None}
    wrong = sorted(set(p) - set(FILTERS[kind]))
    if wrong:
        raise InvalidInput(f"{wrong[0]} does not filter {kind}: the {kind} list takes "
                           f"{', '.join(FILTERS[kind])}", field=wrong[0])
    if kind == "items":
        tracking = p.get("tracking")
        if tracking is not None and tracking not in ("quantity", "lot", "serial"):
            raise InvalidInput("tracking must be quantity, lot or serial", field="tracking")
        return ItemFilter(
            tracking=tracking, category=p.get("category"), q=p.get("q"),
            location_ids=await _subtree(p["location"]) if "location" in p else None,
            archived=p.get("archived", False), low_stock=bool(p.get("low_stock")),
            item_ids=await advised_ids(p.get("advice")))
    if kind == "units":
        return UnitFilter(
            item_id=await _item(p["item"]) if "item" in p else None,
            status=p.get("status"), condition=p.get("condition"),
            location_ids=await _subtree(p["location"]) if "location" in p else None,
            custodian_id=(await lookup.person_id(p["custodian"], "custodian")
                          if "custodian" in p else None),
            q=p.get("q"), include_collapsed=bool(p.get("include_collapsed")))
    if kind == "stock":
        return StockFilter(
            item_id=await _item(p["item"]) if "item" in p else None,
            location_ids=await _subtree(p["location"]) if "location" in p else None,
            lot_id=p.get("lot"), include_zero=bool(p.get("include_zero")))
    if kind == "locations":
        return LocationFilter(
            parent_id=(await lookup.location_id(p["parent"], "parent")
                       if "parent" in p else None),
            root_only=bool(p.get("roots")), q=p.get("q"), archived=p.get("archived", False))
    return PersonFilter(q=p.get("q"), active=p.get("active"))


async def export_response(kind: str, fmt: str, given: dict[str, Any]) -> Stream:
    """The download; every refusal (kind, format, filter, an XLSX too big) comes first."""
    exports.check_format(fmt)
    export = await exports.prepare(kind, await export_filter(kind, given))
    name = exports.file_name(kind, fmt, dt.datetime.now(dt.UTC).date())
    if fmt == "csv":
        return download(exports.csv_of(export), name, "csv")
    return file_download(await exports.xlsx_of(export), name, "xlsx")


class ExportController(Controller):
    path = "/api/v1"
    tags = ["export"]

    @get("/exports/{kind:str}", opt=VIEW | files(CSV_MEDIA, XLSX_MEDIA),
         summary="Export items, units, stock, locations or people as CSV or XLSX, with the "
         "columns an import reads back; takes the filters of the kind's list")
    async def export_kind(
        self, kind: str, format: Format = "csv",
        tracking: str | None = None, category: str | None = None, q: str | None = None,
        location: str | None = None, archived: bool | None = None,
        low_stock: bool | None = None, item: str | None = None, status: str | None = None,
        condition: str | None = None, custodian: str | None = None,
        include_collapsed: bool | None = None, lot: int | None = None,
        include_zero: bool | None = None, parent: str | None = None,
        roots: bool | None = None, active: bool | None = None,
        advice: str | None = None,
    ) -> Stream:
        given = {"tracking": tracking, "category": category, "q": q, "location": location,
                 "archived": archived, "low_stock": low_stock, "item": item,
                 "status": status, "condition": condition, "custodian": custodian,
                 "include_collapsed": include_collapsed, "lot": lot,
                 "include_zero": include_zero, "parent": parent, "roots": roots,
                 "active": active, "advice": advice}
        return await export_response(kind, format, given)

    @get("/events/export.jsonl", opt=MANAGE | files(JSONL_MEDIA),
         summary="The whole history as JSON Lines, one event a line in chain order, with "
         "prev_hash and hash (docs/ledger.md); up to the last event when the export began")
    async def events_jsonl(self) -> Stream:
        name = f"tagtrack-events-{dt.datetime.now(dt.UTC).date().isoformat()}.jsonl"
        return download(ledger_export.jsonl(), name, "jsonl")

"""Labels for units, locations, people and blank tags: gather the record's data, hand it
to the pure `labels` library, and send ZPL to network printers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import labels as lib
from labels.printer import send_zpl
from server.db import counters, ledger, places_repo, units_repo
from server.db.engine import write_transaction
from server.domain.actors import Actor
from server.domain.errors import InvalidInput, NotFound, Unavailable
from server.domain.events import EventDraft
from server.domain.locations import path_of
from server.domain.tags import Tag, TagKind
from server.domain.vocab import EventKind
from server.settings import get_settings

DEFAULT_TEMPLATE = {"unit": "asset", "location": "location", "person": "badge",
                    "blank": "blank"}
FORMATS = {"png": "image/png", "pdf": "application/pdf", "zpl": "application/zpl",
           "svg": "image/svg+xml"}
MAX_BATCH = 5000


def _fail(exc: lib.LabelError) -> InvalidInput:
    return InvalidInput(exc.message if exc.field in exc.message else str(exc), field=exc.field,
                        code="label_refused")


@lru_cache(maxsize=4)
def _stocks(path: str) -> dict[str, lib.LabelStock]:
    stocks = dict(lib.builtin_stocks())
    if path:
        stocks.update(lib.load_stocks(path))
    return stocks


def stocks() -> dict[str, lib.LabelStock]:
    try:
        return _stocks(get_settings().label_stocks_file)
    except lib.LabelError as exc:
        raise _fail(exc) from exc


def stock(key: str) -> lib.LabelStock:
    found = stocks().get(key)
    if found is None:
        raise InvalidInput(f"unknown label stock {key!r}; see /api/v1/labels/stocks",
                           field="stock")
    return found


def template(key: str | None, kind: str) -> lib.LabelTemplate:
    key = key or DEFAULT_TEMPLATE[kind]
    found = lib.builtin_templates().get(key)
    if found is None:
        raise InvalidInput(f"unknown label template {key!r}", field="template")
    return found


def url_for(tag: Tag) -> str:
    return f"{get_settings().public_url}/{tag.kind.url_segment}/{tag}"


@dataclass(frozen=True)
class Batch:
    data: list[lib.LabelData]
    kind: str


async def data_for_tag(text: str) -> lib.LabelData:
    tag = Tag.parse(text)
    org = get_settings().label_org
    if tag.kind is TagKind.UNIT:
        unit = await units_repo.get(tag=str(tag))
        row = await units_repo.detail(unit.id)
        fields = {"name": row["item_name"], "sku": row["item_sku"], "serial": row["serial"] or "",
                  "location": row["location_name"], "owner": row["custodian_name"] or "",
                  "org": org}
        return lib.LabelData("unit", str(tag), url_for(tag), fields)
    if tag.kind is TagKind.LOCATION:
        loc = await places_repo.location(tag=str(tag))
        parents, names, _ = await places_repo.tree_maps()
        fields = {"name": loc["name"], "path": " > ".join(path_of(loc["id"], parents, names)),
                  "org": org}
        return lib.LabelData("location", str(tag), url_for(tag), fields)
    person = await places_repo.person(tag=str(tag))
    return lib.LabelData("person", str(tag), url_for(tag), {"name": person["name"], "org": org})


async def render_one(tag: str, stock_key: str, template_key: str | None, fmt: str
                     ) -> tuple[bytes, str]:
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of: {', '.join(FORMATS)}", field="format")
    data = await data_for_tag(tag)
    return render([data], stock(stock_key), template(template_key, data.kind), fmt), FORMATS[fmt]


def render(data: list[lib.LabelData], stk: lib.LabelStock, tpl: lib.LabelTemplate, fmt: str,
           *, start_at: int = 1, cut_borders: bool = False) -> bytes:
    try:
        if fmt == "pdf":
            return lib.render_pdf(data, stk, tpl, start_at=start_at, cut_borders=cut_borders)
        if fmt == "zpl":
            return lib.render_zpl(data, stk, tpl).encode()
        if len(data) != 1:
            raise InvalidInput(f"{fmt} holds one label; ask for pdf or zpl", field="format")
        if fmt == "png":
            return lib.render_png(data[0], stk, tpl)
        return lib.render_svg(data[0], stk, tpl).encode()
    except lib.LabelError as exc:
        raise _fail(exc) from exc


async def gather(actor: Actor, *, tags: list[str] | None = None, item: int | None = None,
                 location: int | None = None, people: bool = False,
                 blank: int | None = None) -> Batch:
    """The labels of one selection: a list of tags, all units of an item, all locations
    under a location, all people, or N new blank unit tags for claiming later."""
    chosen = [x for x in (tags, item, location, blank) if x] + ([True] if people else [])
    if len(chosen) != 1:
        raise InvalidInput("choose exactly one of tags, item, location, people or blank",
                           field="tags")
    if tags:
        found = [await data_for_tag(t) for t in tags[:MAX_BATCH]]
        return Batch(found, found[0].kind)
    if item is not None:
        rows, _ = await units_repo.list_units(units_repo.UnitFilter(item_id=item), sort="tag",
                                              descending=False, limit=MAX_BATCH, offset=0)
        return Batch([await data_for_tag(r["tag"]) for r in rows], "unit")
    if location is not None:
        ids = await places_repo.subtree_ids(location)
        _, _, tag_of = await places_repo.tree_maps()
        return Batch([await data_for_tag(tag_of[i]) for i in sorted(ids)], "location")
    if people:
        rows, _ = await places_repo.list_people(q=None, active=True, limit=MAX_BATCH, offset=0)
        return Batch([await data_for_tag(r["tag"]) for r in rows], "person")
    return await reserve_blank(actor, int(blank or 0))


async def reserve_blank(actor: Actor, count: int) -> Batch:
    if not 1 <= count <= MAX_BATCH:
        raise InvalidInput(f"blank must be between 1 and {MAX_BATCH}", field="blank")
    org = get_settings().label_org
    async with write_transaction():
        new = await counters.next_tags(TagKind.UNIT, count)
        await ledger.record(actor, EventDraft(kind=EventKind.TAGS_RESERVED, details={
            "first": str(new[0]), "last": str(new[-1]), "count": count}))
    return Batch([lib.LabelData("blank", str(t), url_for(t), {"org": org}) for t in new],
                 "blank")


async def print_zpl(printer: str, zpl: bytes) -> None:
    printers = get_settings().printers
    if printer not in printers:
        known = ", ".join(printers) or "none (set TAGTRACK_PRINTERS)"
        raise NotFound(f"unknown printer {printer!r}; printers: {known}", field="printer")
    host, port = printers[printer]
    try:
        await asyncio.to_thread(send_zpl, host, zpl, port)
    except lib.PrinterError as exc:
        raise Unavailable(exc.message, field="printer", code="printer_unreachable") from exc


def stock_summary(s: lib.LabelStock) -> dict[str, Any]:
    return {"id": s.key, "name": s.name, "media": s.media, "width_mm": s.width_mm,
            "height_mm": s.height_mm, "dpi": s.dpi, "columns": s.columns, "rows": s.rows,
            "per_page": s.per_page, "printer": s.printer}

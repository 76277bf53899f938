"""Labels for units, locations, people and blank tags: gather the record's data, hand it
to the pure `labels` library, and send ZPL to network printers.

A batch is gathered on the event loop (a few queries for the whole selection, not per
label) and rendered in a worker process (server/services/offload.py): a 5,000-label PDF
takes seconds of CPU, which on the loop would stall every scan. A selection larger than
MAX_BATCH is refused with its size, never cut short. One label (a preview) is rendered in
place: it takes milliseconds, and must not wait behind batches.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import labels as lib
from labels.printer import send_zpl
from server.db import counters, labels_repo, ledger, places_repo, units_repo
from server.db.engine import write_transaction
from server.domain.actors import Actor
from server.domain.errors import InvalidInput, NotFound, Unavailable
from server.domain.events import EventDraft
from server.domain.locations import path_of
from server.domain.tags import InvalidTag, Tag, TagKind
from server.domain.vocab import EventKind
from server.services import offload
from server.settings import get_settings

FORMATS = {"png": "image/png", "pdf": "application/pdf", "zpl": "application/zpl",
           "svg": "image/svg+xml"}
MAX_BATCH = 5000
BUSY = "the label printer queue is full; try again in a few seconds"
T = TypeVar("T")


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
    if not key:
        raise InvalidInput("choose a label stock", field="stock")
    found = stocks().get(key)
    if found is None:
        raise InvalidInput(f"unknown label stock {key!r}; see /api/v1/labels/stocks",
                           field="stock")
    return found


Templates = tuple[lib.LabelTemplate, ...]


def template(key: str | None, kind: str) -> Templates:
    """The chosen template; with none chosen, the built-in ones for the kind, the usual one
    first (labels/templates.py): the first that fits the stock is used (a unit label on 12 mm
    tape gets the QR and lines without the Code 128)."""
    if not key:
        return lib.builtin_for(kind)
    found = lib.builtin_templates().get(key)
    if found is None:
        raise InvalidInput(f"there is no label template {key}", field="template")
    return (found,)


def url_for(tag: Tag) -> str:
    return f"{get_settings().public_url}/{tag.kind.url_segment}/{tag}"


Tree = tuple[dict[int, int | None], dict[int, str], dict[int, str]]  # places_repo.tree_maps
Row = lib.LabelRow  # (kind, tag, url, fields): what crosses to the worker process


@dataclass(frozen=True)
class Batch:
    rows: list[Row]
    kind: str
    name: str = ""  # what it holds, for a file name: "DRL-1 U-0000100 to U-0000149"

    def file_name(self, fmt: str) -> str:
        """labels-DRL-1-U-0000100-to-U-0000149.pdf: letters, digits, . _ - only."""
        stem = _UNSAFE.sub("-", f"labels {self.name or self.kind}").strip("-")
        return f"{stem[:120]}.{fmt}"


_UNSAFE = re.compile(r"[^A-Za-z0-9._]+")


def too_many(count: int, field: str) -> InvalidInput:
    return InvalidInput(
        f"a label batch holds at most {MAX_BATCH:,} labels; this one has {count:,}",
        field=field, code="too_many_labels", details={"limit": MAX_BATCH, "count": count})


class _Rows:
    """Builds label rows from database rows, whose tags are valid by construction (no
    parsing). The public URL and the organisation are read once per batch."""

    def __init__(self) -> None:
        settings = get_settings()
        self.public, self.org = settings.public_url, settings.label_org

    def unit(self, row: dict[str, Any]) -> Row:
        """From a labels_repo (or units_repo.UNIT_SELECT) row."""
        tag = row["tag"]
        return ("unit", tag, f"{self.public}/{TagKind.UNIT.url_segment}/{tag}",
                {"name": row["item_name"], "sku": row["item_sku"], "serial": row["serial"] or "",
                 "location": row["location_name"], "owner": row["custodian_name"] or "",
                 "org": self.org})

    def location(self, loc_id: int, tree: Tree) -> Row:
        parents, names, tags = tree
        tag = tags[loc_id]
        return ("location", tag, f"{self.public}/{TagKind.LOCATION.url_segment}/{tag}",
                {"name": names[loc_id], "path": " > ".join(path_of(loc_id, parents, names)),
                 "org": self.org})

    def person(self, row: dict[str, Any]) -> Row:
        tag = row["tag"]
        return ("person", tag, f"{self.public}/{TagKind.PERSON.url_segment}/{tag}",
                {"name": row["name"], "org": self.org})


async def _each(items: Iterable[T], build: Callable[[T], Row]) -> list[Row]:
    """build(x) for each x, letting other requests run every few hundred (a 5,000-row
    batch would otherwise hold the event loop for tens of milliseconds)."""
    out: list[Row] = []
    for i, x in enumerate(items, 1):
        out.append(build(x))
        if i % 500 == 0:
            await asyncio.sleep(0)
    return out


async def _row_for_tag(text: str, make: _Rows, tree: Tree | None = None) -> Row:
    tag = Tag.parse(text)
    if tag.kind is TagKind.UNIT:
        unit = await units_repo.get(tag=str(tag))
        return make.unit(await units_repo.detail(unit.id))
    if tag.kind is TagKind.LOCATION:
        loc = await places_repo.location(tag=str(tag))
        return make.location(loc["id"], tree or await places_repo.tree_maps())
    return make.person(await places_repo.person(tag=str(tag)))


async def rows_for_tags(tags: list[str]) -> list[Row]:
    if len(tags) > MAX_BATCH:
        raise too_many(len(tags), "tags")
    make, tree = _Rows(), None
    if any(Tag.parse(t).kind is TagKind.LOCATION for t in tags):
        tree = await places_repo.tree_maps()  # once for the batch, not once per label
    return [await _row_for_tag(t, make, tree) for t in tags]


async def render_one(tag: str, stock_key: str, template_key: str | None, fmt: str
                     ) -> tuple[bytes, str]:
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of: {', '.join(FORMATS)}", field="format")
    kind, tag, url, fields = await _row_for_tag(tag, _Rows())
    stk, tpl = stock(stock_key), template(template_key, kind)
    try:
        return lib.render_rows(fmt, [(kind, tag, url, fields)], stk, tpl), FORMATS[fmt]
    except lib.LabelError as exc:
        raise _fail(exc) from exc


async def render(batch: Batch, stk: lib.LabelStock, tpl: Templates, fmt: str,
                 *, start_at: int = 1, cut_borders: bool = False) -> bytes:
    """A batch as one PDF or ZPL file, rendered in a worker process (503 when too many
    batches wait already)."""
    if fmt not in ("pdf", "zpl"):
        raise InvalidInput("a batch is a pdf or zpl file", field="format")
    if not batch.rows:
        raise InvalidInput("the selection holds no labels", field="tags")
    try:
        return await offload.run_cpu(lib.render_rows, fmt, batch.rows, stk, tpl, start_at,
                                     cut_borders, busy=BUSY)
    except lib.LabelError as exc:
        raise _fail(exc) from exc


async def gather(actor: Actor, *, tags: list[str] | None = None, item: int | None = None,
                 location: int | None = None, people: bool = False,
                 blank: int | None = None, tag_range: tuple[str, str] | None = None) -> Batch:
    """The labels of one selection: a list of tags, all units of an item (or those of its
    units whose tags lie in `tag_range`, such as the ones added together), all locations
    under a location, all people, or N new blank unit tags for claiming later. A selection
    of more than MAX_BATCH labels is refused with its size."""
    chosen = [x for x in (tags, item, location, blank) if x] + ([True] if people else [])
    if len(chosen) != 1:
        raise InvalidInput("choose exactly one of tags, item, location, people or blank",
                           field="tags")
    make = _Rows()
    if tags:
        found = await rows_for_tags(tags)
        more = f" and {len(found) - 1} more" if len(found) > 1 else ""
        return Batch(found, found[0][0], f"{found[0][1]}{more}")
    if item is not None:
        return await _units_of(item, make, tag_range)
    if location is not None:
        ids = await places_repo.subtree_ids(location)
        if len(ids) > MAX_BATCH:
            raise too_many(len(ids), "location")
        tree = await places_repo.tree_maps()
        return Batch(await _each(sorted(ids), lambda i: make.location(i, tree)), "location",
                     f"{tree[2][location]} {tree[1][location]}")
    if people:
        rows, total = await places_repo.list_people(q=None, active=True, limit=MAX_BATCH,
                                                    offset=0)
        if total > MAX_BATCH:
            raise too_many(total, "people")
        return Batch(await _each(rows, make.person), "person", "badges")
    return await reserve_blank(actor, int(blank or 0))


async def _units_of(item: int, make: _Rows, tag_range: tuple[str, str] | None) -> Batch:
    only = None
    if tag_range is not None:
        first, last = (_unit_tag(t, f) for t, f in zip(tag_range, ("first", "last"),
                                                         strict=True))
        if last.number < first.number:
            raise InvalidInput(f"the last tag, {last}, comes before the first, {first}",
                               field="last")
        if last.number - first.number >= MAX_BATCH:
            raise too_many(last.number - first.number + 1, "last")
        only = [str(Tag(TagKind.UNIT, n)) for n in range(first.number, last.number + 1)]
    rows, total = await labels_repo.units_of_item(item, only, MAX_BATCH)
    if total > MAX_BATCH:
        raise too_many(total, "item")
    if only is not None and not rows:
        raise InvalidInput(f"no unit of this item has a tag from {only[0]} to {only[-1]}",
                           field="first")
    name = rows[0]["item_sku"] if rows else ""
    if only is not None:
        name += f" {rows[0]['tag']}" + (f" to {rows[-1]['tag']}" if len(rows) > 1 else "")
    return Batch(await _each(rows, make.unit), "unit", name)


def _unit_tag(text: str, field: str) -> Tag:
    try:
        tag = Tag.parse(text)
    except InvalidTag as exc:
        raise InvalidInput(exc.message, field=field, code="invalid_tag") from None
    if tag.kind is not TagKind.UNIT:
        raise InvalidInput(f"{tag} is a {tag.kind.noun} tag, not a unit tag", field=field)
    return tag


async def reserve_blank(actor: Actor, count: int) -> Batch:
    if count > MAX_BATCH:
        raise too_many(count, "blank")
    if count < 1:
        raise InvalidInput("blank must be at least 1", field="blank")
    org = get_settings().label_org
    async with write_transaction():
        new = await counters.next_tags(TagKind.UNIT, count)
        await ledger.record(actor, EventDraft(kind=EventKind.TAGS_RESERVED, details={
            "first": str(new[0]), "last": str(new[-1]), "count": count}))
    return Batch([("blank", str(t), url_for(t), {"org": org}) for t in new], "blank",
                 f"blank {new[0]} to {new[-1]}")


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

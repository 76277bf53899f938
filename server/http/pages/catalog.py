"""Catalog pages: the item list (search, filters, counts, pages) and one item (its units or
its stock per location and lot, the edit form, counted stock operations, and the tracking
conversion with a confirmation)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.response import Redirect, Template

from server.db import items_repo, places_repo, stock_repo, units_repo
from server.db.items_repo import ItemFilter
from server.domain.errors import DomainError, InvalidInput
from server.domain.fields import check_length
from server.domain.items import FieldType
from server.domain.tags import Tag, TagKind
from server.domain.vocab import Condition
from server.http import present
from server.http.api.catalog import advised_ids
from server.http.auth import MANAGE, OPERATE, VIEW
from server.http.pages.advisor import item_panel
from server.http.pages.bulk import bulk_choices
from server.http.pages.common import (
    PAGE_SIZE,
    Failed,
    PageBase,
    Req,
    actor_of,
    custom_from_form,
    done,
    failed,
    location_choices,
    page,
    pager,
    parse_int,
    people_choices,
    read_form,
)
from server.http.pages.lots import item_lots, parse_date
from server.http.pages.timeline import timeline
from server.services import catalog, conversion, lookup, units
from server.services import stock as stock_service

TRACKING = ("quantity", "lot", "serial")
EDIT_FIELDS = (
    "sku",
    "name",
    "category",
    "description",
    "unit_of_measure",
    "reorder_point",
    "loan_days",
    "unit_cost",
    "barcodes",
)


CONVERTED = (("units_checked_in", "checked in"), ("units_collapsed", "merged into counts"),
             ("units_restored", "restored with their tags"), ("units_created", "created"))
CUSTOM_ROWS_BLANK = 2  # empty rows under an item's custom fields, for new ones
MAX_CUSTOM_ROWS = 100
_NOT_KEY = re.compile(r"[^a-z0-9_]+")
_ROW = re.compile(r"custom_fields\[(\d+)\]")


def _edit_changes(form: dict[str, str]) -> dict[str, Any]:
    changes: dict[str, Any] = {k: form[k] for k in EDIT_FIELDS if k in form}
    if "reorder_point" in changes:
        changes["reorder_point"] = parse_int(
            changes["reorder_point"], "reorder_point", optional=True
        )
    if "loan_days" in changes:
        changes["loan_days"] = parse_int(changes["loan_days"], "loan_days", optional=True)
    if "barcodes" in changes:
        changes["barcodes"] = changes["barcodes"].replace(",", " ").split()
    if "flags" in form:  # the edit form's checkboxes: an unticked box is not sent at all
        changes["allow_negative"] = form.get("allow_negative") == "on"
        changes["archived"] = form.get("archived") == "on"
        changes["regulated"] = form.get("regulated") == "on"
    return changes


def custom_field_rows(form: dict[str, str]) -> tuple[list[dict[str, Any]], list[int]] | None:
    """The custom unit fields as the edit form's rows send them (custom_fields[i].key,
    .label, .type, .required, .choices), and for each kept row its row number on the form.
    A row with neither key nor label is left out; a key left empty is made from the label
    ("Last descaled" -> last_descaled). None when the form has no such rows."""
    if "custom_fields.rows" not in form:
        return None
    defs: list[dict[str, Any]] = []
    rows: list[int] = []
    count = parse_int(form["custom_fields.rows"], "custom_fields.rows", optional=True) or 0
    for i in range(min(max(count, 0), MAX_CUSTOM_ROWS)):
        cell = {k: form.get(f"custom_fields[{i}].{k}", "").strip()
                for k in ("key", "label", "type", "choices")}
        if not cell["key"] and not cell["label"]:
            continue
        key = cell["key"] or _NOT_KEY.sub("_", cell["label"].lower()).strip("_")
        defs.append({"key": key, "label": cell["label"] or key, "type": cell["type"],
                     "required": form.get(f"custom_fields[{i}].required") == "on",
                     "choices": [c.strip() for c in cell["choices"].split(",") if c.strip()]})
        rows.append(i)
    return defs, rows


def _on_form_row(fail: Failed, rows: list[int]) -> Failed:
    """custom_fields[2].key counts kept rows only: name the row as the form shows it."""
    found = _ROW.match(fail.field or "")
    if found and int(found.group(1)) < len(rows):
        fail.field = _ROW.sub(f"custom_fields[{rows[int(found.group(1))]}]", fail.field or "", 1)
    return fail


async def item_page(
    request: Req, item_id: int, page_no: int = 1, fail: Failed | None = None,
    added: dict[str, str] | None = None,
) -> Template:
    """The item page; with `fail`, re-rendered with a refused form's error and input; with
    `added` (the first and last tag of units just added), a link to print their labels."""
    row = await items_repo.row_with_counts(item_id)
    codes = await items_repo.barcodes_of([item_id])
    item = present.item(row, codes.get(item_id, []))
    units: list[Any] = []
    stock: list[Any] = []
    total = 0
    if item.tracking == "serial":
        rows, total = await units_repo.list_units(
            units_repo.UnitFilter(item_id=item_id),
            sort="tag",
            descending=False,
            limit=PAGE_SIZE,
            offset=(page_no - 1) * PAGE_SIZE,
        )
        units = [present.unit(r) for r in rows]
    else:
        rows, total = await stock_repo.list_stock(
            item_id=item_id,
            location_ids=None,
            lot_id=None,
            include_zero=False,
            limit=500,
            offset=0,
        )
        stock = [present.stock(r) for r in rows]
    lots, lot_total = await item_lots(item_id) if item.tracking == "lot" else ([], 0)
    return page(
        request,
        "item.html",
        status=422 if fail else 200,
        item=item,
        units=units,
        stock=stock,
        pager=pager(total, page_no),
        locations=await location_choices(),
        failed=fail,
        history=await timeline(limit=25, request=request, item_id=item_id),
        convert_targets=convert_targets(item.tracking, item.count),
        checked_out=await _checked_out(item_id) if item.tracking == "serial" else 0,
        sources=_sources(stock),
        lots=sorted({(s.lot, s.lot) for s in stock if s.lot}),
        item_lots=lots,
        item_lot_total=lot_total,
        lot_ids={lot["code"]: lot["id"] for lot in lots},
        people=await people_choices() if stock else [],
        conditions=[(c.value, c.value.replace("_", " ")) for c in Condition],
        field_types=[(t.value, t.value) for t in FieldType],
        custom_rows=len(item.custom_fields) + CUSTOM_ROWS_BLANK,
        custom_names=[f"custom.{f.key}" for f in item.custom_fields],
        **await bulk_choices(request, units=bool(units)),
        added=added,
        advice=await item_panel(item_id),
    )


def _added(first: str, last: str) -> dict[str, str] | None:
    """?first=U-…&last=U-… after an add, if both are unit tags (else nothing is shown)."""
    try:
        tags = [Tag.parse(t) for t in (first, last)]
    except DomainError:
        return None
    if any(t.kind is not TagKind.UNIT for t in tags):
        return None
    return {"first": str(tags[0]), "last": str(tags[1])}


def convert_targets(now: str, count: int) -> list[tuple[str, str, str]]:
    """The tracking modes an item can change to, each with what the change does to it."""
    pieces = plural(count, "counted piece")
    said = {
        ("quantity", "serial"): f"Each of the {pieces} becomes a unit with a new tag, serial "
                                "pending; units merged into the count before come back first.",
        ("lot", "serial"): f"Each of the {pieces} becomes a unit with a new tag, serial "
                           "pending, in its lot.",
        ("serial", "quantity"): "Units on hand become counts per location; every unit keeps "
                                "its record, tag and history.",
        ("serial", "lot"): "Units on hand become counts per location in a lot; every unit "
                           "keeps its record, tag and history.",
        ("quantity", "lot"): "The counts go into one lot.",
        ("lot", "quantity"): "The lots are merged into one count per location.",
    }
    names = {"quantity": "Quantity (a count)", "lot": "Lot (counts per lot and expiry)",
             "serial": "Serial (individual units with tags)"}
    return [(m, names[m], said[(now, m)]) for m in TRACKING if m != now]


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _checked_out_words(tags: list[str]) -> str:
    """The refusal in the form's words: the API's names its parameter instead."""
    one = len(tags) == 1
    shown = ", ".join(tags[:3]) + (", …" if len(tags) > 3 else "")
    where = "it in on its page" if one else "them in on their pages"
    return (f"{plural(len(tags), 'unit')} {'is' if one else 'are'} checked out ({shown}): "
            f"tick “First check in”, or check {where} first")


async def _checked_out(item_id: int) -> int:
    _, total = await units_repo.list_units(
        units_repo.UnitFilter(item_id=item_id, status="checked_out"),
        sort="tag", descending=False, limit=1, offset=0)
    return total


def _sources(stock: list[Any]) -> list[tuple[str, str]]:
    """The locations that hold some of the item, with how much, for a "from" <select>."""
    held: dict[str, list[Any]] = {}
    for s in stock:
        held.setdefault(s.location.tag, [s.location.name, 0])[1] += s.quantity
    return [(tag, f"{name} ({qty})") for tag, (name, qty) in held.items()]


class CatalogPages(PageBase):
    @get("/items", opt=VIEW)
    async def catalog(
        self,
        request: Req,
        q: str = "",
        tracking: str = "",
        category: str = "",
        location: str = "",
        advice: str = "",
        page_no: int = 1,
    ) -> Template:
        page_no = max(1, page_no)
        check_length("q", q)
        check_length("category", category)
        if tracking and tracking not in TRACKING:
            raise InvalidInput("tracking must be quantity, lot or serial", field="tracking")
        loc_ids = None
        if location:
            loc_ids = await places_repo.subtree_ids(await lookup.location_id(location))
        rows, total = await items_repo.list_items(
            ItemFilter(
                tracking=tracking or None,
                category=category or None,
                q=q or None,
                location_ids=loc_ids,
                item_ids=await advised_ids(advice),
            ),
            sort="sku",
            descending=False,
            limit=PAGE_SIZE,
            offset=(page_no - 1) * PAGE_SIZE,
        )
        return page(
            request,
            "items.html",
            items=[present.item(r, []) for r in rows],
            pager=pager(total, page_no),
            locations=await location_choices(),
            query={"q": q, "tracking": tracking, "category": category, "location": location,
                   "advice": advice},
        )

    @post("/items", opt=MANAGE)
    async def create(self, request: Req) -> Redirect | Template:
        form = await read_form(request)
        try:
            item_id = await catalog.create_item(
                actor_of(request),
                sku=form.get("sku", ""),
                name=form.get("name", ""),
                tracking=form.get("tracking", "quantity"),
                category=form.get("category", ""),
                unit_of_measure=form.get("unit_of_measure") or "each",
            )
        except DomainError as exc:
            rows, total = await items_repo.list_items(
                ItemFilter(), sort="sku", descending=False, limit=PAGE_SIZE, offset=0
            )
            return page(
                request,
                "items.html",
                status=422,
                items=[present.item(r, []) for r in rows],
                pager=pager(total, 1),
                locations=await location_choices(),
                query={},
                failed=failed("create", exc, form),
            )
        return done(f"/items/{item_id}", f"Created item {form.get('sku', '').upper()}.")

    @get("/items/{item_id:int}", opt=VIEW)
    async def item(self, request: Req, item_id: int, page_no: int = 1, first: str = "",
                   last: str = "") -> Template:
        added = _added(first, last) if first and last else None
        return await item_page(request, item_id, max(1, page_no), added=added)

    @post("/items/{item_id:int}/edit", opt=MANAGE)
    async def edit(self, request: Req, item_id: int) -> Redirect | Template:
        form = await read_form(request)
        custom = None
        try:
            custom = custom_field_rows(form)
            changes = _edit_changes(form)
            if custom is not None:
                changes["custom_fields"] = custom[0]
            await catalog.update_item(actor_of(request), item_id, changes)
        except DomainError as exc:
            fail = _on_form_row(failed("edit", exc, form), custom[1] if custom else [])
            return await item_page(request, item_id, fail=fail)
        return done(f"/items/{item_id}", "Saved the item.")

    @post("/items/{item_id:int}/units", opt=MANAGE)
    async def add_units(self, request: Req, item_id: int) -> Redirect | Template:
        """New units of a serial item: a count with serials pending, a list of serials,
        or a pattern such as SN-{0001..0050}."""
        form = await read_form(request)
        try:
            item = await items_repo.get(item_id)
            serials = form.get("serials", "").replace(",", " ").split()
            ids = await units.create_units(
                actor_of(request),
                item_id,
                await lookup.location_id(form.get("location", "")),
                count=parse_int(form.get("count", ""), "count", optional=True),
                serials=serials or None,
                serial_pattern=form.get("serial_pattern", "").strip() or None,
                condition=form.get("condition") or "working",
                fields={
                    "purchase_date": form.get("purchase_date"),
                    "purchase_cost": form.get("purchase_cost"),
                    "warranty_end": form.get("warranty_end"),
                    "custom": custom_from_form(form, list(item.custom_fields)),
                },
                note=form.get("note", ""),
            )
        except DomainError as exc:
            fail = failed("units", exc, form)
            if (fail.field or "").startswith("serial"):  # serial, serials[3]: the box typed in
                fail.field = "serial_pattern" if form.get("serial_pattern") else "serials"
            return await item_page(request, item_id, fail=fail)
        first, last = await units_repo.detail(ids[0]), await units_repo.detail(ids[-1])
        span = first["tag"] if len(ids) == 1 else f"{first['tag']} to {last['tag']}"
        labels = urlencode({"first": first["tag"], "last": last["tag"]})
        return done(f"/items/{item_id}?{labels}",
                    f"Added {plural(len(ids), 'unit')}: {span}.")

    @post("/items/{item_id:int}/convert", opt=MANAGE)
    async def convert(self, request: Req, item_id: int) -> Redirect | Template:
        form = await read_form(request)
        target = form.get("tracking", "")
        try:
            if target not in TRACKING:
                raise InvalidInput("choose how the item will be tracked", field="tracking")
            if form.get("confirm") != "yes":
                raise InvalidInput(
                    "tick the box to confirm the change of tracking", field="confirm"
                )
            result = await conversion.convert(
                actor_of(request),
                item_id,
                target,
                lot=form.get("lot") or None,
                on_checked_out="check_in" if form.get("on_checked_out") in ("on", "check_in")
                else "refuse",
            )
        except DomainError as exc:
            fail = failed("convert", exc, form)
            if exc.code == "units_checked_out":  # the API's words name its parameter
                fail.message = _checked_out_words(exc.details.get("checked_out") or [])
            return await item_page(request, item_id, fail=fail)
        parts = [f"{plural(n, 'unit')} {words}" for key, words in CONVERTED
                 if (n := result.get(key, 0))]
        return done(
            f"/items/{item_id}",
            f"Tracking changed to {target}" + (f" ({', '.join(parts)})." if parts else "."),
        )

    @post("/items/{item_id:int}/stock", opt=OPERATE)
    async def stock_op(self, request: Req, item_id: int) -> Redirect | Template:
        """Receive, consume or adjust a counted item at a location."""
        form = await read_form(request)
        actor = actor_of(request)
        op = form.get("op", "")
        try:
            location = await lookup.location_id(form.get("location", ""))
            qty = parse_int(form.get("quantity", ""), "quantity")
            assert qty is not None
            lot = form.get("lot") or None
            if op == "receive":
                await stock_service.receive(
                    actor, item_id, location, qty, lot=lot, note=form.get("note", ""),
                    expires_on=parse_date(form.get("expires_on", ""), "expires_on"),
                )
            elif op == "consume":
                await stock_service.consume(
                    actor, item_id, location, qty, lot=lot, note=form.get("note", "")
                )
            elif op == "adjust":
                await stock_service.adjust(
                    actor, item_id, location, qty, form.get("note", ""), lot=lot
                )
            else:
                raise InvalidInput("op must be receive, consume or adjust", field="op")
        except DomainError as exc:
            return await item_page(request, item_id, fail=failed("stock", exc, form))
        return done(f"/items/{item_id}", f"Stock {op}d: {qty}.")

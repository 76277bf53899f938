"""The labels page: choose what to label, the stock and the template; preview one label;
download a batch as PDF or ZPL; send it to a network printer. The work is done by
server/services/labels.py, as for /api/v1/labels."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from litestar import Response, get, post
from litestar.response import Template

from labels import builtin_templates
from server.db import items_repo
from server.db.items_repo import ItemFilter
from server.domain.errors import Busy, DomainError, InvalidInput
from server.domain.fields import check_length
from server.http.auth import MANAGE, VIEW
from server.http.pages.common import (
    Failed,
    PageBase,
    Req,
    actor_of,
    done,
    failed,
    location_choices,
    page,
    parse_int,
    read_form,
)
from server.services import labels, lookup
from server.settings import get_settings

SOURCES = ("tags", "item", "location", "people", "blank")


async def _selection(form: dict[str, str]) -> dict[str, Any]:
    source = form.get("source", "tags")
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of: {', '.join(SOURCES)}", field="source")
    if source == "tags":
        tags = form.get("tags", "").replace(",", " ").split()
        if not tags:
            raise InvalidInput("type at least one tag", field="tags")
        return {"tags": tags}
    if source == "item":
        if not form.get("item"):
            raise InvalidInput("choose an item", field="item")
        first, last = form.get("first", ""), form.get("last", "")
        span = (first or last, last or first) if first or last else None
        return {"item": await lookup.item_id(form.get("item", "")), "tag_range": span}
    if source == "location":
        return {"location": await lookup.location_id(form.get("location", ""))}
    if source == "people":
        return {"people": True}
    return {"blank": parse_int(form.get("blank", ""), "blank")}


async def _serial_items() -> list[tuple[str, str]]:
    """The items whose units carry labels, for the batch form's list."""
    rows, _ = await items_repo.list_items(ItemFilter(tracking="serial"), sort="sku",
                                          descending=False, limit=5000, offset=0)
    return [(r["sku"], f"{r['sku']} · {r['name']}") for r in rows]


class LabelPages(PageBase):
    @get("/labels", opt=VIEW)
    async def labels_page(
        self,
        request: Req,
        tag: str = "",
        stock: str = "zebra-2x1",
        template: str = "",
        location: str = "",
        item: str = "",
        first: str = "",
        last: str = "",
    ) -> Template:
        """The labels page; ?item=SKU&first=TAG&last=TAG chooses units added together (the
        item page links here after an add)."""
        for key, value in (("tag", tag), ("first", first), ("last", last)):
            check_length(key, value)
        return await self._page(
            request,
            {
                "tag": tag,
                "stock": stock,
                "template": template,
                "location": location,
                "item": item,
                "first": first,
                "last": last,
                "source": "location" if location else "item" if item else "tags",
                "tags": tag,
            },
        )

    async def _page(
        self, request: Req, values: dict[str, str], fail: Failed | None = None
    ) -> Template:
        templates = sorted(builtin_templates().values(), key=lambda t: t.name)
        stocks = sorted(labels.stocks().values(), key=lambda s: s.name)
        printers = sorted(get_settings().printers)
        return page(
            request,
            "labels.html",
            status=422 if fail else 200,
            stocks=stocks,
            templates=templates,
            printers=printers,
            stock_options=[(s.key, s.name) for s in stocks],
            template_options=[(t.key, t.name) for t in templates],
            printer_options=[(p, p) for p in printers],
            locations=await location_choices(),
            items=await _serial_items(),
            values=values,
            failed=fail,
            preview_qs=urlencode({k: values[k] for k in ("stock", "template") if values.get(k)}),
        )

    async def _refused(self, request: Req, form: dict[str, str], exc: DomainError) -> Template:
        """The form again with the reason at its field; a full label queue answers 503 with
        Retry-After, as the API does."""
        fail = failed("download", exc, form)
        if fail.field == "people":  # the people choice is a radio button of `source`
            fail = dataclasses.replace(fail, field="source")
        elif fail.field == "tag" and form.get("source", "tags") == "tags":  # one typed tag
            fail = dataclasses.replace(fail, field="tags")
        answer = await self._page(request, form, fail)
        if isinstance(exc, Busy):
            answer.status_code = 503
            answer.headers["Retry-After"] = str(exc.retry_after)
        return answer

    @post("/labels/download", opt=MANAGE)
    async def download(self, request: Req) -> Response[bytes] | Template:
        form = await read_form(request)
        try:
            fmt = form.get("format", "pdf")
            if fmt not in ("pdf", "zpl"):
                raise InvalidInput("a batch is a pdf or zpl file", field="format")
            stock = labels.stock(form.get("stock", ""))
            chosen = await labels.gather(actor_of(request), **await _selection(form))
            if not chosen.rows:
                raise InvalidInput("the selection holds no labels", field="source")
            body = await labels.render(
                chosen,
                stock,
                labels.template(form.get("template") or None, chosen.kind),
                fmt,
                start_at=parse_int(form.get("start_at") or "1", "start_at") or 1,
            )
        except DomainError as exc:
            if exc.code == "csrf":
                raise
            return await self._refused(request, form, exc)
        return Response(
            body,
            status_code=200,  # a file to save, not a record created
            media_type=labels.FORMATS[fmt],
            headers={"Content-Disposition": f'attachment; filename="{chosen.file_name(fmt)}"'},
        )

    @post("/labels/print", opt=MANAGE)
    async def print_labels(self, request: Req) -> Any:
        form = await read_form(request)
        try:
            sel = await _selection(form)
            chosen = await labels.gather(actor_of(request), **sel)
            if not chosen.rows:
                raise InvalidInput("the selection holds no labels", field="source")
            zpl = await labels.render(
                chosen,
                labels.stock(form.get("stock", "")),
                labels.template(form.get("template") or None, chosen.kind),
                "zpl",
            )
            await labels.print_zpl(form.get("printer", ""), zpl)
        except DomainError as exc:
            return await self._refused(request, form, exc)
        sent = len(chosen.rows)
        return done("/labels", f"Sent {sent} label{'' if sent == 1 else 's'} to "
                               f"{form.get('printer')}.")

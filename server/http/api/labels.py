"""/api/v1/labels: label stocks, one label for a tag, batches as one PDF or ZPL file, and
sending ZPL to a network label printer."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.params import JSONBody, Parameter
from msgspec import Struct

from labels import builtin_templates
from server.domain.errors import InvalidInput
from server.http import openapi
from server.http.auth import MANAGE, VIEW
from server.http.paging import Req, actor_of
from server.services import labels, lookup


class StockOut(Struct):
    id: str
    name: str
    media: str
    width_mm: float
    height_mm: float
    dpi: int
    columns: int
    rows: int
    per_page: int
    printer: str


class TemplateOut(Struct):
    id: str
    name: str
    qr: bool
    code128: bool
    kinds: list[str]


class BatchIn(Struct, forbid_unknown_fields=True):
    stock: str
    format: str = "pdf"
    template: str | None = None
    tags: list[str] | None = None
    item: int | str | None = None
    location: int | str | None = None
    people: bool = False
    blank: int | None = None
    start_at: int = 1
    cut_borders: bool = False


class PrintIn(Struct, forbid_unknown_fields=True):
    printer: str
    stock: str
    tags: list[str]
    template: str | None = None


class Printed(Struct):
    printer: str
    labels: int


Fmt = Annotated[str, Parameter(description="png, pdf, zpl or svg")]


class LabelController(Controller):
    path = "/api/v1/labels"
    tags = ["labels"]

    @get("/stocks", opt=VIEW, summary="Label stocks: sheets and rolls with their sizes")
    async def list_stocks(self) -> list[StockOut]:
        return [StockOut(**labels.stock_summary(s)) for s in labels.stocks().values()]

    @get("/templates", opt=VIEW, summary="Label templates")
    async def list_templates(self) -> list[TemplateOut]:
        return [TemplateOut(id=t.key, name=t.name, qr=t.qr, code128=t.code128,
                            kinds=list(t.kinds)) for t in builtin_templates().values()]

    @get("/{tag:str}", opt=VIEW | openapi.files(*labels.FORMATS.values()),
         summary="One label for a unit, location or person")
    async def one(self, tag: str, stock: str = "zebra-2x1", template: str | None = None,
                  format: Fmt = "png") -> Response[bytes]:
        body, media = await labels.render_one(tag, stock, template, format)
        return Response(body, media_type=media, headers=_disposition(tag, format))

    @post("/", opt=MANAGE | openapi.files(labels.FORMATS["pdf"], labels.FORMATS["zpl"]),
          status_code=200,
          summary="A batch of labels as one PDF or ZPL file: tags, all units of an item, "
          "all locations under a location, all people, or N new blank tags",
          description="A batch holds at most 5,000 labels: a larger selection is refused "
          "(422, code `too_many_labels`, with `details.limit` and `details.count`), never cut "
          "short. Batches render in a bounded worker pool; when it is full the answer is 503 "
          "(code `busy`) with Retry-After.")
    async def batch(self, data: JSONBody[BatchIn], request: Req) -> Response[bytes]:
        if data.format not in ("pdf", "zpl"):
            raise InvalidInput("a batch is a pdf or zpl file", field="format")
        stock = labels.stock(data.stock)
        item = None if data.item is None else await lookup.item_id(data.item)
        location = None if data.location is None else await lookup.location_id(data.location)
        chosen = await labels.gather(actor_of(request), tags=data.tags, item=item,
                                     location=location, people=data.people, blank=data.blank)
        body = await labels.render(chosen, stock, labels.template(data.template, chosen.kind),
                                   data.format, start_at=data.start_at,
                                   cut_borders=data.cut_borders)
        return Response(body, media_type=labels.FORMATS[data.format],
                        headers=_disposition(f"labels-{chosen.kind}", data.format))

    @post("/print", opt=MANAGE, status_code=200,
          summary="Send labels as ZPL to a network printer (TAGTRACK_PRINTERS)")
    async def print_labels(self, data: JSONBody[PrintIn]) -> Printed:
        if not data.tags:
            raise InvalidInput("give at least one tag to print", field="tags")
        rows = await labels.rows_for_tags(data.tags)
        tpl = labels.template(data.template, rows[0][0])
        zpl = await labels.render(labels.Batch(rows, rows[0][0]), labels.stock(data.stock), tpl,
                                  "zpl")
        await labels.print_zpl(data.printer, zpl)
        return Printed(printer=data.printer, labels=len(rows))


def _disposition(name: str, fmt: str) -> dict[str, Any]:
    return {"Content-Disposition": f'inline; filename="{name}.{fmt}"'}

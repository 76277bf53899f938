"""/api/v1/reports/advisor, /api/v1/items/{id}/advice and /api/v1/items/{id}/conversion-plan:
the tracking advisor (server/services/advisor.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Response, get, post
from litestar.params import JSONBody, Parameter
from litestar.response import Stream
from msgspec import Struct

from server.domain.advisor import Advice
from server.domain.errors import InvalidInput
from server.domain.reports import ReportFilter, parse_filter
from server.http.auth import MANAGE, VIEW
from server.http.downloads import download, file_download
from server.http.openapi import problems
from server.http.paging import Limit, Offset, Req, actor_of
from server.http.schemas import In
from server.services import advisor, advisor_plan
from server.services.spreadsheets import build_xlsx, write_csv


class AnswerOut(Struct):
    question: str
    label: str
    yes: bool
    evidence: str


class AdviceOut(Struct):
    item: dict[str, Any]
    tracking: str
    recommendation: str
    why: str
    suggestion: str | None  # the mode the advisor suggests changing to
    direction: str | None  # over | under
    suggestion_why: str
    notes: list[str]
    answers: list[AnswerOut]
    on_hand: int
    unit_cost: str | None
    shrink: dict[str, Any]
    plan_url: str | None


class AdvisorPage(Struct):
    rows: list[AdviceOut]
    total: int
    limit: int
    offset: int
    start: str
    end: str
    high_value: str


class PlanLineOut(Struct):
    location: dict[str, Any]
    lot: str | None
    quantity: int
    new_units: int
    restored: int


class PlanOut(Struct):
    item: dict[str, Any]
    tracking: str
    target: str
    lines: list[PlanLineOut]
    units_created: int
    units_restored: int
    units_collapsed: int
    units_not_counted: int
    tags_to_print: int
    serials_pending: int
    checked_out: list[dict[str, Any]]
    history: str
    sentences: list[str]
    refused: str | None
    refused_code: str | None


class ApplyIn(In):
    tracking: str
    confirm: bool = False
    on_checked_out: str = "refuse"


class ApplyOut(Struct):
    item_id: int
    tracking: str
    units_created: int
    units_restored: int
    units_collapsed: int
    units_checked_in: int
    new_tags: dict[str, str] | None
    labels_url: str | None


def advice_out(a: Advice) -> AdviceOut:
    f = a.facts
    value = f.shrink_value
    return AdviceOut(
        item={"id": f.item_id, "sku": f.sku, "name": f.name, "category": f.category},
        tracking=f.tracking.value, recommendation=a.recommendation.value, why=a.why,
        suggestion=a.change.value if a.change else None, direction=a.direction,
        suggestion_why=a.change_why, notes=list(a.notes),
        answers=[AnswerOut(x.question.value, x.label, x.yes, x.evidence) for x in a.answers],
        on_hand=f.on_hand, unit_cost=None if f.unit_cost is None else str(f.unit_cost),
        shrink={"times": f.shrink_times, "quantity": f.shrink_quantity,
                "value": None if value is None else str(value)},
        plan_url=f"/api/v1/items/{f.item_id}/conversion-plan" if a.change else None,
    )


HEADERS = ["SKU", "Name", "Category", "Tracking", "Suggestion", "Direction", "Why",
           "Yes answers", "High value", "Identified by a serial", "Loaned or rented",
           "Condition-dependent", "Under warranty or maintenance", "Regulated", "On hand",
           "Unit cost", "Shrinkage (pieces)", "Shrinkage (value)"]


def export_row(a: Advice) -> list[Any]:
    f = a.facts
    return [f.sku, f.name, f.category, f.tracking.value, a.change.value if a.change else "",
            a.direction or "", a.change_why, ", ".join(x.label for x in a.answers if x.yes),
            *[("yes: " if x.yes else "no: ") + x.evidence for x in a.answers],
            f.on_hand, f.unit_cost, f.shrink_quantity, f.shrink_value]


def read_filter(*, start: str | None, end: str | None, days: int | None,
                category: str | None = None, location: str | None = None,
                item: str | None = None) -> ReportFilter:
    """The reports' filters (server/domain/reports.py); `days` counts back from `end`."""
    today = dt.datetime.now(dt.UTC).date()
    params = {k: v for k, v in (("start", start), ("end", end), ("category", category),
                                ("location", location), ("item", item)) if v}
    if days is not None and not start:
        last = parse_filter(params, today).end
        params["start"] = (last - dt.timedelta(days=days - 1)).isoformat()
    return parse_filter(params, today)


async def export(rows: list[Advice], fmt: str, f: ReportFilter) -> Stream:
    name = f"tracking-advisor-{f.start.isoformat()}-{f.end.isoformat()}"
    if fmt == "csv":
        return download(write_csv(HEADERS, (export_row(a) for a in rows)), f"{name}.csv", "csv")

    async def chunks() -> AsyncIterator[list[list[Any]]]:
        yield [export_row(a) for a in rows]

    path = await build_xlsx(HEADERS, chunks(), "Tracking advisor")
    return file_download(path, f"{name}.xlsx", "xlsx")


class AdvisorController(Controller):
    path = "/api/v1"
    tags = ["reports"]

    @get("/reports/advisor", opt=VIEW,
         summary="Tracking advisor: items to count instead of serialize, or the reverse "
         "(format=csv|xlsx: every filtered row)")
    async def report(
        self,
        request: Req,
        limit: Limit = 50,
        offset: Offset = 0,
        start: Annotated[str | None, Parameter(
            description="first day of the period (default: 90 days before end)")] = None,
        end: Annotated[str | None, Parameter(description="last day (default: today)")] = None,
        days: Annotated[int | None, Parameter(
            ge=1, le=advisor.MAX_DAYS, description="the last N days (instead of start)")] = None,
        category: str | None = None,
        location: Annotated[str | None, Parameter(
            description="location tag: items held in it or anywhere below it")] = None,
        item: Annotated[str | None, Parameter(description="item SKU")] = None,
        direction: Annotated[str | None, Parameter(
            description="over: serialized items to count; under: counted items to "
            "serialize (or lot); empty: both")] = None,
        format: Annotated[str, Parameter(
            description="json (one page), csv or xlsx (every filtered row)")] = "json",
    ) -> Response[Any]:
        if format not in ("json", "csv", "xlsx"):
            raise InvalidInput("format must be json, csv or xlsx", field="format")
        f = read_filter(start=start, end=end, days=days, category=category,
                        location=location, item=item)
        rows = await advisor.suggestions(advisor.Query(f, direction or None))
        if format != "json":
            return await export(rows, format, f)
        page = AdvisorPage(rows=[advice_out(a) for a in rows[offset:offset + limit]],
                           total=len(rows), limit=limit, offset=offset,
                           start=f.start.isoformat(), end=f.end.isoformat(),
                           high_value=str(advisor.high_value()))
        return Response(page)

    @get("/items/{item_id:int}/advice", opt=VIEW, responses=problems(409),
         summary="The tracking checklist of one item: six questions, evidence, recommendation")
    async def advice(self, item_id: int, start: str | None = None, end: str | None = None,
                     days: Annotated[int | None, Parameter(ge=1, le=advisor.MAX_DAYS)] = None,
                     ) -> AdviceOut:
        f = read_filter(start=start, end=end, days=days)
        return advice_out(await advisor.item_advice(item_id, f))

    @get("/items/{item_id:int}/conversion-plan", opt=VIEW, responses=problems(409),
         summary="What changing the item's tracking would do now (the advisor's suggestion "
         "unless tracking is given); a refusal is part of the answer")
    async def plan(self, item_id: int, tracking: str | None = None) -> PlanOut:
        return plan_out(await advisor_plan.plan(item_id, tracking))

    @post("/items/{item_id:int}/conversion-plan", opt=MANAGE, status_code=200,
          summary="Apply a conversion plan (confirm: true): the existing conversion runs")
    async def apply(self, item_id: int, data: JSONBody[ApplyIn], request: Req) -> ApplyOut:
        result = await advisor_plan.apply(actor_of(request), item_id, data.tracking,
                                     confirm=data.confirm, on_checked_out=data.on_checked_out)
        return apply_out(item_id, data.tracking, result)


def apply_out(item_id: int, target: str, result: dict[str, Any]) -> ApplyOut:
    tags = result.get("new_tags")
    return ApplyOut(item_id=item_id, tracking=target, units_created=result["units_created"],
                    units_restored=result["units_restored"],
                    units_collapsed=result["units_collapsed"],
                    units_checked_in=result["units_checked_in"], new_tags=tags,
                    labels_url=None if not tags else labels_url(result["sku"], tags))


def labels_url(sku: str, tags: dict[str, str]) -> str:
    """The labels page with the new units' tags (the existing labels pages print them)."""
    return "/labels?" + urlencode({"item": sku, "first": tags["first"], "last": tags["last"]})


def plan_out(p: advisor_plan.Plan) -> PlanOut:
    return PlanOut(
        item={"id": p.item_id, "sku": p.sku, "name": p.name}, tracking=p.tracking,
        target=p.target,
        lines=[PlanLineOut(x.location, x.lot, x.quantity, x.new_units, x.restored)
               for x in p.lines],
        units_created=p.units_created, units_restored=p.units_restored,
        units_collapsed=p.units_collapsed, units_not_counted=p.units_not_counted,
        tags_to_print=p.tags_to_print, serials_pending=p.serials_pending,
        checked_out=p.checked_out, history=p.history, sentences=p.sentences,
        refused=p.refused, refused_code=p.refused_code)

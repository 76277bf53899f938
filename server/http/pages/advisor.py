"""The tracking advisor's pages: the report of items to count or to serialize (in the
Reports section, with the shared filters and exports), the conversion plan of one
suggestion with its one confirmation, and the checklist panel of the item page
(`item_panel`, which the catalog's item page puts in its context)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect, Template

from server.domain.advisor import Advice
from server.domain.errors import Conflict, DomainError, InvalidInput
from server.http.api.advisor import export
from server.http.auth import MANAGE, VIEW
from server.http.pages import reports_common as common
from server.http.pages.common import PageBase, Req, actor_of, done, failed, page, read_form
from server.services import advisor, advisor_plan

ROWS_SHOWN = 200
DIRECTIONS = (("", "Both"), ("over", "Over-tracked: serialized, should be counted"),
              ("under", "Under-tracked: counted, should be serialized"))
MODE_WORDS = {"quantity": "a count", "lot": "counts per lot", "serial": "individual units"}


async def item_panel(item_id: int) -> Advice | None:
    """The item page's checklist: None for an archived item (the advisor skips those)."""
    try:
        return await advisor.item_advice(item_id)
    except Conflict:
        return None


class AdvisorPages(PageBase):
    @get("/reports/advisor", opt=VIEW)
    async def report(self, request: Req, direction: str = "") -> Template | Response[Any]:
        f = common.read_filter(request)
        fmt = request.query_params.get("format") or "html"
        if fmt not in ("html", "csv", "xlsx"):
            raise InvalidInput("format must be csv or xlsx", field="format")
        rows = await advisor.suggestions(advisor.Query(f, direction or None))
        if fmt != "html":
            return await export(rows, fmt, f)
        context = await common.filter_context(
            request, f, extra={"direction": direction} if direction else None)
        return page(request, "advisor.html", rows=rows[:ROWS_SHOWN], total=len(rows),
                    shown=min(len(rows), ROWS_SHOWN), direction=direction,
                    directions=DIRECTIONS, days=(f.end - f.start).days + 1,
                    high_value=advisor.high_value(), modes=MODE_WORDS, **context)

    @get("/items/{item_id:int}/conversion-plan", opt=VIEW)
    async def plan(self, request: Req, item_id: int, tracking: str = "") -> Template:
        return await plan_page(request, item_id, tracking or None)

    @post("/items/{item_id:int}/conversion-plan", opt=MANAGE)
    async def apply(self, request: Req, item_id: int) -> Redirect | Template:
        form = await read_form(request)
        target = form.get("tracking", "")
        try:
            result = await advisor_plan.apply(actor_of(request), item_id, target,
                                         confirm=form.get("confirm") == "yes")
        except DomainError as exc:
            return await plan_page(request, item_id, target or None,
                                   fail=failed("apply", exc, form))
        tags = result.get("new_tags")
        if tags:
            return done(f"/items/{item_id}?first={tags['first']}&last={tags['last']}",
                        f"Tracking changed to {target}: {result['units_created']:,} new "
                        "units; print their labels below.")
        return done(f"/items/{item_id}", f"Tracking changed to {target} "
                    f"({result['units_collapsed']:,} units merged into counts).")


async def plan_page(request: Req, item_id: int, target: str | None,
                    fail: Any = None) -> Template:
    plan = await advisor_plan.plan(item_id, target)
    advice = await item_panel(item_id)
    return page(request, "advisor_plan.html", status=422 if fail else 200, plan=plan,
                advice=advice, modes=MODE_WORDS, failed=fail)

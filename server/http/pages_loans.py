"""Loans (every open loan, units out and lent quantities, the overdue ones first) and the
list of audits."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from server.domain.audits import Options
from server.domain.errors import DomainError
from server.http.api_audits import audit_out
from server.http.auth import OPERATE, VIEW
from server.http.pages_common import (
    PAGE_SIZE,
    Failed,
    PageBase,
    Req,
    actor_of,
    done,
    failed,
    location_choices,
    page,
    pager,
    read_form,
)
from server.services import audits, loans, lookup


class LoanPages(PageBase):
    @get("/loans", opt=VIEW)
    async def loans(self, request: Req, overdue: bool = False, page_no: int = 1) -> Template:
        page_no = max(1, page_no)
        rows, total = await loans.open_loans(
            overdue=overdue, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        _, overdue_total = await loans.open_loans(overdue=True, limit=1)
        return page(
            request,
            "loans.html",
            loans=rows,
            pager=pager(total, page_no),
            overdue=overdue,
            overdue_total=overdue_total,
        )


class AuditPages(PageBase):
    """Audits are counted from the scanning page; here they are started, listed, and
    finished and confirmed with their results."""

    @get("/audits", opt=VIEW)
    async def audits(self, request: Req, status: str = "", page_no: int = 1,
                     fail: Failed | None = None) -> Template:
        page_no = max(1, page_no)
        rows, total = await audits.list_audits(
            status=status or None, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        return page(
            request,
            "audits.html",
            status=422 if fail else 200,
            audits=rows,
            pager=pager(total, page_no),
            query={"status": status} if status else {},
            locations=await location_choices(),
            failed=fail,
        )

    @post("/audits", opt=OPERATE)
    async def start(self, request: Req) -> Redirect | Template:
        form = await read_form(request)
        try:
            audit_id = await audits.start(
                actor_of(request),
                await lookup.location_id(form.get("location", "")),
                include_sublocations=form.get("include_sublocations") == "on",
            )
        except DomainError as exc:
            if exc.code in ("forbidden", "csrf"):
                raise
            return await self.audits.fn(self, request, fail=failed("start", exc, form))
        return done(f"/scan?mode=audit&audit={audit_id}",
                    f"Audit {audit_id} started: scan everything at the location.")

    @get("/audits/{audit_id:int}", opt=VIEW)
    async def audit(self, request: Req, audit_id: int) -> Template:
        return page(request, "audit.html", report=await _report(audit_id))

    @post("/audits/{audit_id:int}/finish", opt=OPERATE)
    async def finish(self, request: Req, audit_id: int) -> Redirect | Template:
        form = await read_form(request)
        try:
            await audits.finish(actor_of(request), audit_id)
        except DomainError as exc:
            if exc.code in ("forbidden", "csrf"):
                raise
            return page(
                request,
                "audit.html",
                status=409,
                report=await _report(audit_id),
                failed=failed("finish", exc, form),
            )
        return done(f"/audits/{audit_id}", "Audit finished: check the differences, then confirm.")

    @post("/audits/{audit_id:int}/confirm", opt=OPERATE)
    async def confirm(self, request: Req, audit_id: int) -> Redirect | Template:
        form = await read_form(request)
        options = Options(
            move_unexpected=form.get("move_unexpected") == "on",
            adjust_counts=form.get("adjust_counts") == "on",
            mark_missing_lost=form.get("mark_missing_lost") == "on",
        )
        try:
            await audits.confirm(actor_of(request), audit_id, options)
        except DomainError as exc:
            if exc.code in ("forbidden", "csrf"):
                raise
            return page(
                request,
                "audit.html",
                status=409,
                report=await _report(audit_id),
                failed=failed("confirm", exc, form),
            )
        return done(f"/audits/{audit_id}", "Audit confirmed: the moves and counts are recorded.")


async def _report(audit_id: int) -> Any:
    """The report in the API's shape, so the page and the API show the same lines."""
    return await audit_out(await audits.report(audit_id))

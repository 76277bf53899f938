"""Loans (every open loan, units out and lent quantities, the overdue ones first) and the
list of audits."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from server.http.auth import VIEW
from server.http.pages_common import PAGE_SIZE, PageBase, Req, page, pager
from server.services import audits, loans


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
    """Audits are run from the scanning page; this lists them with their results."""

    @get("/audits", opt=VIEW)
    async def audits(self, request: Req, status: str = "", page_no: int = 1) -> Template:
        page_no = max(1, page_no)
        rows, total = await audits.list_audits(
            status=status or None, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        return page(
            request,
            "audits.html",
            audits=rows,
            pager=pager(total, page_no),
            query={"status": status} if status else {},
        )

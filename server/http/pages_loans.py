"""Loans: every open loan (units out and lent quantities), the overdue ones first."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from server.http.auth import VIEW
from server.http.pages_common import PAGE_SIZE, PageBase, Req, page, pager
from server.services import loans


class LoanPages(PageBase):
    @get("/loans", opt=VIEW)
    async def loans(self, request: Req, overdue: bool = False, page_no: int = 1) -> Template:
        page_no = max(1, page_no)
        rows, total = await loans.open_loans(overdue=overdue, limit=PAGE_SIZE,
                                             offset=(page_no - 1) * PAGE_SIZE)
        _, overdue_total = await loans.open_loans(overdue=True, limit=1)
        return page(request, "loans.html", loans=rows, pager=pager(total, page_no),
                    overdue=overdue, overdue_total=overdue_total)

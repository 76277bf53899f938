"""The Maintenance page: units due soon, due or overdue on a schedule rule (the most
pressing first) and the services in progress. Read-only in this first part: records and
rules are made through /api/v1/maintenance (issue 13)."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from server.http.auth import VIEW
from server.http.pages.common import PageBase, Req, actor_of, page
from server.services import maintenance as service
from server.services import maintenance_rules


class MaintenancePages(PageBase):
    @get("/maintenance", opt=VIEW)
    async def maintenance(self, request: Req) -> Template:
        due, truncated = await maintenance_rules.due_list(actor_of(request))
        return page(request, "maintenance.html", due=due, truncated=truncated,
                    overdue=sum(1 for r in due if r["state"] in ("overdue", "due")),
                    in_progress=await service.in_progress())

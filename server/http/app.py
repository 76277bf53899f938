"""The Litestar application: routes, auth, error mapping, templates, static files."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from server.db import engine as db_engine
from server.db.migrate import migrate
from server.http.api import (
    admin as api_admin,
)
from server.http.api import (
    advisor as api_advisor,
)
from server.http.api import (
    audits as api_audits,
)
from server.http.api import (
    catalog as api_catalog,
)
from server.http.api import (
    events as api_events,
)
from server.http.api import (
    exports as api_exports,
)
from server.http.api import (
    imports as api_imports,
)
from server.http.api import (
    kiosk as api_kiosk,
)
from server.http.api import (
    labels as api_labels,
)
from server.http.api import (
    loans as api_loans,
)
from server.http.api import (
    maintenance as api_maintenance,
)
from server.http.api import (
    places as api_places,
)
from server.http.api import (
    reports as api_reports,
)
from server.http.api import (
    reports_utilization as api_utilization,
)
from server.http.api import (
    scans as api_scans,
)
from server.http.api import (
    stock as api_stock,
)
from server.http.api import (
    units as api_units,
)
from server.http.api import (
    users as api_users,
)
from server.http.auth import AuthMiddleware, role_guard
from server.http.errors import HANDLERS
from server.http.headers import security_headers
from server.http.inputs import RefuseNul
from server.http.openapi import DocumentedResponses
from server.http.pages import (
    account as pages_account,
)
from server.http.pages import (
    admin as pages_admin,
)
from server.http.pages import (
    advisor as pages_advisor,
)
from server.http.pages import (
    bulk as pages_bulk,
)
from server.http.pages import (
    catalog as pages_catalog,
)
from server.http.pages import (
    counts as pages_counts,
)
from server.http.pages import (
    dashboard as pages_dashboard,
)
from server.http.pages import (
    exports as pages_exports,
)
from server.http.pages import (
    imports as pages_imports,
)
from server.http.pages import (
    labels as pages_labels,
)
from server.http.pages import (
    loans as pages_loans,
)
from server.http.pages import (
    lots as pages_lots,
)
from server.http.pages import (
    maintenance as pages_maintenance,
)
from server.http.pages import (
    places as pages_places,
)
from server.http.pages import (
    reports as pages_reports,
)
from server.http.pages import (
    reports_utilization as pages_utilization,
)
from server.http.pages import (
    search as pages_search,
)
from server.http.pages import (
    timeline as pages_timeline,
)
from server.http.pages import (
    units as pages_units,
)
from server.http.pages.common import app_http_error, app_server_error
from server.http.pages.login import HealthController, PageController
from server.http.pages.scan import ScanPageController
from server.http.static import library_for, static_router, template_globals
from server.services import offload
from server.settings import Settings, get_settings

HERE = Path(__file__).parent
# web/ sits at the top of the repository; an installed copy (the Docker image) names it.
WEB = Path(os.environ.get("TAGTRACK_WEB_DIR") or HERE.parent.parent / "web")

CONTROLLERS: list[Any] = [
    api_catalog.ItemController,
    api_catalog.LotController,
    api_units.UnitController,
    api_scans.ScanController,
    api_stock.StockController,
    api_loans.LoanController,
    api_utilization.UtilizationController,
    pages_utilization.UtilizationPages,
    api_audits.AuditController,
    api_places.LocationController,
    api_places.PersonController,
    api_events.EventController,
    api_exports.ExportController,
    api_users.UserController,
    api_users.TokenController,
    api_kiosk.KioskController,
    api_labels.LabelController,
    api_admin.AdminController,
    api_imports.ImportController,
    api_imports.ImportMappingController,
    api_advisor.AdvisorController,
    api_maintenance.MaintenanceController,
    PageController,
    HealthController,
    ScanPageController,
    pages_dashboard.DashboardPages,
    pages_catalog.CatalogPages,
    pages_counts.CountPages,
    pages_units.UnitPages,
    pages_places.PlacePages,
    pages_loans.LoanPages,
    pages_loans.AuditPages,
    pages_maintenance.MaintenancePages,
    pages_labels.LabelPages,
    pages_admin.AdminPages,
    pages_account.AccountPages,
    pages_lots.LotPages,
    pages_timeline.HistoryPages,
    pages_search.SearchPages,
    pages_exports.ExportPages,
    pages_bulk.BulkPages,
    pages_imports.ImportPages,
    pages_advisor.AdvisorPages,
    api_reports.ReportController,
    pages_reports.ReportPages,
]


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> Litestar:
    settings = settings or get_settings()
    engine = db_engine.make_engine(settings.database_url)
    db_engine.bind(engine)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if run_migrations:
            await migrate(settings)
        await db_engine.start(engine)
        try:
            yield
        finally:
            await offload.shutdown()  # label workers, if any were started
            await db_engine.stop(engine)

    assets = library_for(WEB / "static")  # versioned URLs, compression: see static.py
    return Litestar(
        route_handlers=[*CONTROLLERS, static_router(assets)],
        lifespan=[lifespan],
        before_send=[security_headers(settings.public_url)],
        middleware=[DefineMiddleware(RefuseNul), DefineMiddleware(AuthMiddleware)],
        guards=[role_guard],
        exception_handlers={**HANDLERS, HTTPException: app_http_error,
                            Exception: app_server_error},
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine,
                                       engine_callback=template_globals(assets)),
        plugins=[DocumentedResponses()],
        openapi_config=OpenAPIConfig(
            title="Tagtrack API",
            version="1.0.0",
            description="Inventory and asset tracking. Send "
            "`Authorization: Bearer <token>` (see `tagtrack token`). Refusals are RFC 9457 "
            "`application/problem+json` (the `Problem` schema): `code` for machines, `field` "
            "naming the field to blame; a scan answers its refusals in its own shape "
            "(`ScanOut` with `ok` false). Label files are `image/png`, `application/pdf`, "
            "`image/svg+xml` or `application/zpl` (ZPL has no registered media type; this is "
            "the one print servers commonly use).",
        ),
        debug=False,
    )

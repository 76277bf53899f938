"""The scanning page (a PWA) and its service worker. The worker must be served from the
root so that its scope covers /scan; its text names a version made from the files it
caches, so a changed asset installs a new worker and a fresh cache."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.response import Template

from server.db import users_repo
from server.domain import timezones
from server.domain.actors import Actor
from server.http import present
from server.http.auth import VIEW_AT_KIOSK, public
from server.settings import get_settings


def _web_dir() -> Path:
    from server.http.app import WEB  # the one place that knows where web/ is

    return WEB


@lru_cache(maxsize=1)
def _worker_text() -> str:
    web = _web_dir()
    digest = hashlib.sha256()
    for folder in ("static/scan", "static/vendor", "static/icons"):
        for path in sorted((web / folder).glob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    digest.update((web / "static/manifest.webmanifest").read_bytes())
    source = (web / "sw.js").read_text(encoding="utf-8")
    return source.replace("__VERSION__", digest.hexdigest()[:12])


async def scan_zone(request: Request[Any, Any, Any]) -> dict[str, str]:
    """What the page's time.js needs: the user's own zone ("" to follow the browser), and
    the labels (PST, CET) of the zone this request is shown in, which browsers lack."""
    user = request.scope.get("user")
    own = ""
    if isinstance(user, Actor) and user.user_id is not None:
        own = (await users_repo.by_id(user.user_id)).get("time_zone") or ""
    zone = present.viewer_zone(user, request.cookies.get(present.TZ_COOKIE))
    labels = timezones.abbreviations(zone, dt.datetime.now(dt.UTC))
    return {"time_zone": own, "zone_labels": json.dumps({"zone": zone.key, "labels": labels})}


class ScanPageController(Controller):
    include_in_schema = False

    @get("/scan", opt=VIEW_AT_KIOSK)
    async def scan_page(self, request: Request[Any, Any, Any]) -> Template:
        user = request.scope.get("user")
        return Template(
            "scan.html",
            context={"user": user, "public_url": get_settings().public_url,
                     "loan_days": get_settings().loan_days, **await scan_zone(request)},
            headers={"Cache-Control": "no-cache"},
        )

    @get("/sw.js", opt=public())
    async def service_worker(self) -> Response[str]:
        return Response(
            _worker_text(),
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
        )

"""The Import page: upload a spreadsheet, check its columns against a preview of its first
rows (a dropdown per column to correct the match), the dry run's report while it runs and
when done, and the commit. Managers and admins only."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from server.db import imports_repo
from server.domain.errors import InvalidInput, TooLarge
from server.domain.imports import FIELDS, KINDS, Options
from server.http.auth import MANAGE
from server.http.pages.common import PageBase, Req, actor_of, page
from server.http.upload import SUFFIXES, too_large, upload_dir
from server.services import imports
from server.settings import get_settings

KIND_WORDS = {"units": "Units (with their items)", "items": "Items", "stock": "Stock counts",
              "locations": "Locations", "people": "People"}
RUNNING = ("queued", "reading", "checking", "applying")
SHOWN = 200  # errors and differences listed on the page (all are in the CSV / the API)


def _flag(form: Any, name: str) -> bool:
    return str(form.get(name, "")).lower() in ("1", "on", "true", "yes")


class ImportPages(PageBase):
    @get("/imports", opt=MANAGE)
    async def imports_page(self, request: Req) -> Template:
        return page(request, "imports.html", kinds=KIND_WORDS,
                    runs=await imports_repo.recent_runs(15),
                    mappings=await imports_repo.mappings(),
                    limit_mb=get_settings().import_max_bytes / 1_000_000)

    @post("/imports", opt={**MANAGE, "upload": True}, request_max_body_size=None)
    async def upload(self, request: Req) -> Redirect:
        form = await request.form()  # parsed (to a spooled file) by the CSRF check already
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            raise InvalidInput("choose a CSV or XLSX file to import", field="file")
        kind = str(form.get("kind", ""))
        if kind not in KINDS:
            raise InvalidInput(f"kind must be one of: {', '.join(KINDS)}", field="kind")
        name = file.filename.replace("\\", "/").rsplit("/", 1)[-1][:255]
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ".csv"
        limit = get_settings().import_max_bytes
        path = upload_dir() / f"{uuid.uuid4().hex}{suffix if suffix in SUFFIXES else '.csv'}"
        await file.seek(0)
        with path.open("wb") as out:
            await _copy(file, out, limit, path)
        mapping = None
        saved = str(form.get("mapping", "")).strip()
        if saved:
            mapping = dict((await imports_repo.mapping(kind, saved))["columns"])
        options = Options(day_first=_flag(form, "day_first"),
                          decimal_comma=_flag(form, "decimal_comma"),
                          create_locations=_flag(form, "create_locations"),
                          sheet=str(form.get("sheet", "")).strip() or None)
        job = imports.Job(kind=kind, path=path, file_name=name, mapping=mapping,
                          options=options)
        run_id = await imports.begin(actor_of(request), job, status="mapping")
        return Redirect(f"/imports/{run_id}/columns", status_code=303)

    @get("/imports/{run_id:int}/columns", opt=MANAGE)
    async def columns(self, request: Req, run_id: int) -> Template:
        run = await imports_repo.get_run(run_id)
        seen = await imports.preview(actor_of(request), run_id)
        custom = sorted({k for k in seen.columns.values() if k.startswith("custom:")}
                        | set((await imports._custom_names()).values()))
        choices = [(f.key, f.label) for f in FIELDS[run["kind"]]] + [
            (k, f"{k.removeprefix('custom:')} (unit field)") for k in custom]
        return page(request, "import_columns.html", run=run, preview=seen, choices=choices,
                    kind_words=KIND_WORDS)

    @post("/imports/{run_id:int}/columns", opt=MANAGE)
    async def choose_columns(self, request: Req, run_id: int) -> Redirect:
        form = await request.form()
        seen = await imports.preview(actor_of(request), run_id)
        mapping = {f"#{i + 1}": str(form.get(f"col_{i}", "")).strip() or "-"
                   for i in range(len(seen.headers))}
        await imports.check_with(actor_of(request), run_id, mapping,
                                 str(form.get("save_as", "")).strip())
        return Redirect(f"/imports/{run_id}", status_code=303)

    @get("/imports/{run_id:int}", opt=MANAGE)
    async def report(self, request: Req, run_id: int) -> Template:
        report = await imports.status_of(run_id)
        return page(request, "import_report.html", run=report,
                    running=report["status"] in RUNNING, shown=SHOWN,
                    mapping_needed=report["status"] == "mapping", kind_words=KIND_WORDS)

    @post("/imports/{run_id:int}/commit", opt=MANAGE)
    async def commit(self, request: Req, run_id: int) -> Redirect:
        actor = actor_of(request)
        new_id, job = await imports.recommit(actor, run_id)
        imports.start(actor, new_id, job)
        return Redirect(f"/imports/{new_id}", status_code=303)


async def _copy(file: UploadFile, out: Any, limit: int, path: Any) -> None:
    size = 0
    try:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            out.write(chunk)
    except TooLarge:
        out.close()
        path.unlink(missing_ok=True)
        raise


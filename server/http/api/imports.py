"""/api/v1/imports: spreadsheet imports (a dry run unless dry_run=false), their status and
report, the rejected rows as CSV, and saved column mappings. Managers and admins only."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Response, delete, get, post, put
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from server.db import imports_repo
from server.domain.errors import InvalidInput
from server.domain.imports import KINDS, Options
from server.http.auth import MANAGE
from server.http.paging import Req, actor_of
from server.http.upload import discard, receive
from server.services import imports

_TRUE = ("1", "true", "yes", "on")


def _flag(fields: dict[str, str], name: str, default: bool) -> bool:
    text = fields.get(name, "").strip().lower()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"{name} must be true or false", field=name)


async def mapping_of(kind: str, text: str) -> dict[str, str] | None:
    """A mapping given as JSON ({"Column header": "field key", ...}) or as a saved
    mapping's name; empty: guess from the headers."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError:
            raise InvalidInput("mapping is not readable JSON", field="mapping") from None
        if not isinstance(loaded, dict) or not all(
                isinstance(k, str) and isinstance(v, str | None) for k, v in loaded.items()):
            raise InvalidInput('mapping must be an object like {"S/N": "serial"}',
                               field="mapping")
        return {k: v or "-" for k, v in loaded.items()}
    saved = await imports_repo.mapping(kind, text)
    return dict(saved["columns"])


def job_from(fields: dict[str, str], path: Any, file_name: str,
             mapping: dict[str, str] | None) -> imports.Job:
    kind = fields.get("kind", "").strip()
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of: {', '.join(KINDS)}", field="kind")
    options = Options(day_first=_flag(fields, "day_first", False),
                      decimal_comma=_flag(fields, "decimal_comma", False),
                      create_locations=_flag(fields, "create_locations", True),
                      sheet=fields.get("sheet", "").strip() or None)
    return imports.Job(kind=kind, path=path, file_name=file_name, mapping=mapping,
                       options=options, dry_run=_flag(fields, "dry_run", True))


class ImportController(Controller):
    path = "/api/v1/imports"
    tags = ["imports"]

    @post("/", opt={**MANAGE, "upload": True}, request_max_body_size=None,
          status_code=HTTP_202_ACCEPTED,
          summary="Import a CSV or XLSX file (multipart: file, kind, mapping, dry_run; a dry "
          "run unless dry_run=false). With wait=true the answer is the finished report; "
          "otherwise 202 at once, and GET the import for its progress")
    async def create(self, request: Req) -> Response[dict[str, Any]]:
        up = await receive(request)
        try:
            if up.path is None:
                raise InvalidInput("send the spreadsheet in a field named file", field="file")
            kind = up.fields.get("kind", "").strip()
            if kind not in KINDS:
                raise InvalidInput(f"kind must be one of: {', '.join(KINDS)}", field="kind")
            mapping = await mapping_of(kind, up.fields.get("mapping", ""))
            job = job_from(up.fields, up.path, up.file_name, mapping)
            wait = _flag(up.fields, "wait", False)
            actor = actor_of(request)
            run_id = await imports.begin(actor, job)
        except BaseException:
            discard(up)
            raise
        if wait:
            report = await imports.execute(actor, run_id, job)
            imports.forget(run_id)
            return Response(report, status_code=HTTP_200_OK)
        imports.start(actor, run_id, job)
        return Response(await imports.status_of(run_id), status_code=HTTP_202_ACCEPTED)

    @get("/", opt=MANAGE, summary="The latest imports")
    async def recent(self) -> list[dict[str, Any]]:
        return await imports_repo.recent_runs()

    @get("/{run_id:int}", opt=MANAGE, summary="An import's status, progress, counts, "
         "differences and errors")
    async def status(self, run_id: int) -> dict[str, Any]:
        return await imports.status_of(run_id)

    @post("/{run_id:int}/commit", opt=MANAGE, status_code=HTTP_202_ACCEPTED,
          summary="Apply a checked file (a new import of the same upload, dry_run false)")
    async def commit(self, run_id: int, request: Req, wait: bool = False
                     ) -> Response[dict[str, Any]]:
        new_id, job = await imports.recommit(actor_of(request), run_id)
        if wait:
            report = await imports.execute(actor_of(request), new_id, job)
            imports.forget(new_id)
            return Response(report, status_code=HTTP_200_OK)
        imports.start(actor_of(request), new_id, job)
        return Response(await imports.status_of(new_id), status_code=HTTP_202_ACCEPTED)

    @get("/{run_id:int}/errors.csv", opt=MANAGE, media_type="text/csv; charset=utf-8",
         summary="The rejected rows of an import, with a Reason column")
    async def errors_csv(self, run_id: int, request: Req) -> Response[str]:
        text, name = await imports.rejected_csv(actor_of(request), run_id)
        return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


class ImportMappingController(Controller):
    path = "/api/v1/import-mappings"
    tags = ["imports"]

    @get("/", opt=MANAGE, summary="Saved column mappings (of one kind)")
    async def list_mappings(self, kind: str | None = None) -> list[dict[str, Any]]:
        return await imports_repo.mappings(kind)

    @get("/{kind:str}/{name:str}", opt=MANAGE, summary="One saved mapping")
    async def get_mapping(self, kind: str, name: str) -> dict[str, Any]:
        return await imports_repo.mapping(kind, name)

    @put("/{kind:str}/{name:str}", opt=MANAGE, summary="Save a mapping: an object of column "
         "header -> field key")
    async def put_mapping(self, kind: str, name: str, data: JSONBody[dict[str, Any]],
                          request: Req) -> dict[str, Any]:
        await imports.save_mapping(actor_of(request), kind, name, data)
        return await imports_repo.mapping(kind, name)

    @delete("/{kind:str}/{name:str}", opt=MANAGE, summary="Delete a saved mapping")
    async def delete_mapping(self, kind: str, name: str, request: Req) -> None:
        await imports.delete_mapping(actor_of(request), kind, name)

"""/api/v1/scans: one scan, a batch (an offline queue being flushed), the scan log.

Every scan answers with the same JSON shape (ScanOut), refusals and unknown codes
included: `ok` false, an `error`, and the HTTP status of the refusal (404 unknown code,
409 refused by the current state, 422 something missing or malformed; 503 "not now",
never stored). A replay of an idempotency key answers with the stored first answer and
`Idempotent-Replay: true`. A batch stops at the first scan that may work later (BATCH_RULES,
also in the API description)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import JSONBody, Parameter
from msgspec import Struct

from server.db import scans_repo
from server.domain.errors import DomainError, Unavailable
from server.http import openapi, present
from server.http.auth import MANAGE, OPERATE_AT_KIOSK, VIEW_AT_KIOSK
from server.http.errors import STATUS, TITLES
from server.http.inputs import api_moment
from server.http.paging import Limit, Offset, Req, actor_of
from server.http.schemas import DueAt, In
from server.services import scans
from server.services.resolve import ITEM, LOCATION, LOT, PERSON, UNIT
from server.services.scans import Outcome, Rendered, ScanCommand

REPLAY_HEADER = "Idempotent-Replay"
NOT_ATTEMPTED_RETRY_S = 2
BATCH_RULES = f"""A device's offline queue, in the order it was scanned: at most
{scans.MAX_BATCH} scans (more are refused whole with 413 `too_many_scans`, nothing applied;
never cut short). Each scan runs in its own transaction and gets its own result, in order:
`status` and `answer` as a single scan would answer (a scan refusal), or a problem for a
scan that was not even accepted.

A definite refusal (a 4xx: unknown code, refused by the current state, invalid input) is
that scan's final answer, and the batch goes on. A failure that may pass (any 5xx: the
database busy, read-only or full, a server error) stops the batch: the scans after it are
**not attempted** and answer 503 `not_attempted`, `stopped_at` gives the index of the scan
that stopped it, and the response carries `Retry-After`. Send the failed scan and all after
it again, in the same order, with the same idempotency keys: nothing after a failure is
ever applied before it. A scan that already worked answers its first answer again
(`replay` true)."""


class ScanIn(In):
    code: str
    action: str = "lookup"
    location: str | None = None  # a location tag: where to (move, check-in, receive, claim)
    from_location: str | None = None  # where from, for a count (move, check-out, consume)
    person: str | None = None  # a person tag (check-out; check-in of a count)
    due_at: DueAt | None = None  # see schemas.DueAt
    condition: str | None = None
    quantity: int | None = None
    device_id: str = ""
    scanned_at: dt.datetime | None = None
    idempotency_key: str | None = None  # made on the device; unique per user
    audit: int | None = None
    item: int | str | None = None  # claim: the item of the new unit (id or SKU)
    lot: str | None = None  # when the code carries no lot (GS1 AI 10 fills it in)
    expires_on: dt.date | None = None  # receive: when the code carries no expiry (AI 17)
    serial: str | None = None  # claim: the new unit's serial
    note: str = ""
    # check-out: a due date in the past is refused (422, field due_at) unless this is true;
    # without a due date, the item's loan period applies, else the site's
    allow_past_due: bool = False
    # check-out of a unit that needs repair or is damaged (refused, 409 unit_not_working):
    # a manager may lend it anyway with a reason, which the check-out event keeps
    override_condition: bool = False
    override_reason: str | None = None


class BatchIn(In):
    scans: list[ScanIn]


class CandidateOut(Struct):
    kind: str
    id: int
    tag: str | None
    label: str


class ResolvedOut(Struct):
    kind: str
    tag: str | None
    id: int | None
    # the record as the API shows it, by `kind` (UnitOut, ItemOut, LotOut, ...)
    record: Annotated[Any, openapi.one_of("UnitOut", "ItemOut", "LotOut", "LocationOut",
                                          "PersonOut", nullable=True)] = None
    lot: str | None = None
    expiry: dt.date | None = None
    serial: str | None = None
    candidates: list[CandidateOut] = msgspec.field(default_factory=list)


class ScanError(Struct):
    code: str
    detail: str
    field: str | None = None
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class ScanOut(Struct):
    ok: bool
    action: str
    message: str
    resolved: ResolvedOut
    event_id: int | None = None
    actions: list[str] = msgspec.field(default_factory=list)
    error: ScanError | None = None
    audit: dict[str, Any] | None = None


class BatchResult(Struct):
    status: int
    replay: bool
    idempotency_key: str | None
    # the scan's answer, or a problem for a scan that was not even accepted
    answer: Annotated[Any, openapi.one_of("ScanOut", "Problem")]


class BatchOut(Struct):
    results: list[BatchResult]
    # the first scan that may work later (a 5xx answer): those after it were not attempted
    stopped_at: int | None = None


class ScanLogOut(Struct):
    id: int
    device_id: str
    user: str
    code: str
    action: str
    ok: bool
    status: int
    error_code: str | None
    resolved_kind: str | None
    resolved_id: int | None
    event_id: int | None
    scanned_at: dt.datetime | None
    received_at: dt.datetime | None
    idempotency_key: str | None
    answer: Annotated[Any, openapi.one_of("ScanOut")]  # the answer as it was sent


class ScanLogPage(Struct):
    scans: list[ScanLogOut]
    total: int
    limit: int
    offset: int


_ENCODER = msgspec.json.Encoder()


def command(data: ScanIn) -> ScanCommand:
    values = {f: getattr(data, f) for f in ScanIn.__struct_fields__}
    values["due_at"] = api_moment(data.due_at, "due_at")
    return ScanCommand(**values)


def status_of(error: DomainError) -> int:
    if isinstance(error, Unavailable):
        return 503
    return next((s for cls, s in STATUS if isinstance(error, cls)), 400)


def _record(kind: str | None, row: dict[str, Any] | None) -> Any:
    if row is None:
        return None
    if kind == UNIT:
        return present.unit(row)
    if kind == ITEM:
        return present.item(row["item"], row["barcodes"])
    if kind == LOT:
        return present.lot(row)
    if kind == LOCATION:
        chain = row["chain"]
        return present.location(
            row["location"],
            {r["id"]: r["parent"] for r in chain},
            {r["id"]: r["name"] for r in chain},
            {r["id"]: r["tag"] for r in chain},
        )
    if kind == PERSON:
        return present.person(row)
    return None


def render(cmd: ScanCommand, outcome: Outcome) -> Rendered:
    res, error = outcome.resolution, outcome.error
    kind = outcome.kind or res.kind
    row = outcome.row
    tag = row["tag"] if kind == UNIT and row is not None else res.tag
    resolved = ResolvedOut(
        kind=kind,
        tag=tag,
        id=outcome.record_id,
        record=_record(kind, row),
        lot=res.lot_code,
        expiry=res.expiry,
        serial=res.serial,
        candidates=[CandidateOut(c.kind, c.id, c.tag, c.label) for c in res.candidates],
    )
    if error is None:
        body = ScanOut(
            ok=True,
            action=cmd.action,
            message=outcome.message,
            resolved=resolved,
            event_id=outcome.event_id,
            actions=list(outcome.actions),
            audit=outcome.audit,
        )
        return Rendered(200, True, None, _ENCODER.encode(body))
    message = error.message[:1].upper() + error.message[1:]
    body = ScanOut(
        ok=False,
        action=cmd.action,
        message=message,
        resolved=resolved,
        error=ScanError(error.code, error.message, error.field, error.details),
    )
    return Rendered(status_of(error), False, error.code, _ENCODER.encode(body))


def _respond(answer: scans.ScanAnswer) -> Response[bytes]:
    return Response(
        answer.body,
        status_code=answer.status,
        media_type="application/json",
        headers={REPLAY_HEADER: "true"} if answer.replay else None,
    )


SCAN_ANSWERS = openapi.answers(
    ScanOut, 200, 403, 404, 409, 422, 503,
    description="The scan answer. A refusal has the same shape with `ok` false, an `error` "
    "and the refusal's status (404 unknown code, 409 refused by the current state, 422 "
    "something missing, 403 role too low, 503 try again later). A replayed idempotency key "
    "answers the first answer again, with `Idempotent-Replay: true`; keys are scoped per "
    "user (the same key from another user is another scan), and one user's key reused for "
    "another code or action is refused (422 `idempotency_key_reused`). A 503 (try again "
    "later) is never stored as the answer: the retry is applied.",
)


class ScanController(Controller):
    path = "/api/v1/scans"
    tags = ["scans"]

    @post(
        "/",
        opt=OPERATE_AT_KIOSK,
        status_code=200,
        summary="One scan: resolve the code and apply the action (see ScanIn)",
        responses=SCAN_ANSWERS,
    )
    async def scan(self, data: JSONBody[ScanIn], request: Req) -> Response[bytes]:
        return _respond(await scans.scan(actor_of(request), command(data), render))

    @post(
        "/batch",
        opt=OPERATE_AT_KIOSK,
        status_code=200,
        summary="An ordered list of scans (an offline queue): each answered in order, "
        "each in its own transaction",
        description=BATCH_RULES,
    )
    async def batch(self, data: JSONBody[BatchIn], request: Req) -> Response[BatchOut]:
        cmds = [command(item) for item in data.scans]
        entries = await scans.batch(actor_of(request), cmds, render)
        results = [_result(e, item) for e, item in zip(entries, data.scans, strict=True)]
        stopped = next((n for n, e in enumerate(entries) if not e.final), None)
        if stopped is None:
            return Response(BatchOut(results=results))
        wait = getattr(entries[stopped].error, "retry_after", None) or NOT_ATTEMPTED_RETRY_S
        return Response(BatchOut(results=results, stopped_at=stopped),
                        headers={"Retry-After": str(wait)})

    @get(
        "/lookup",
        opt=VIEW_AT_KIOSK,
        summary="Look a code up (a scan with action lookup, logged): for every role",
        responses=SCAN_ANSWERS,
    )
    async def lookup_code(
        self, request: Req, code: str, device_id: str = "", idempotency_key: str | None = None
    ) -> Response[bytes]:
        cmd = ScanCommand(code=code, device_id=device_id, idempotency_key=idempotency_key)
        return _respond(await scans.scan(actor_of(request), cmd, render))

    @get("/", opt=MANAGE, summary="The scan log, newest first")
    async def scan_log(
        self,
        limit: Limit = 50,
        offset: Offset = 0,
        device_id: str | None = None,
        user: str | None = None,
        ok: Annotated[bool | None, Parameter(description="true: only scans that worked")] = None,
    ) -> ScanLogPage:
        rows, total = await scans_repo.list_scans(
            device_id=device_id, username=user, ok=ok, limit=limit, offset=offset
        )
        return ScanLogPage(
            scans=[_log_row(r) for r in rows], total=total, limit=limit, offset=offset
        )


def _problem(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """A batch entry that is not a scan answer, as RFC 9457 members (as errors.problem)."""
    body = {"type": f"https://tagtrack.dev/problems/{code}",
            "title": extra.pop("title", None) or TITLES.get(status, "Error"),
            "status": status, "detail": detail, "code": code}
    return body | {k: v for k, v in extra.items() if v is not None}


def _result(entry: scans.BatchEntry, data: ScanIn) -> BatchResult:
    key = data.idempotency_key
    if entry.answer is not None:
        answer = entry.answer
        return BatchResult(answer.status, answer.replay, key, msgspec.Raw(answer.body))
    if entry.error is not None:
        error, status = entry.error, status_of(entry.error)
        problem = _problem(status, error.code, error.message, field=error.field,
                           title=getattr(error, "title", None),
                           retry_after=getattr(error, "retry_after", None))
        return BatchResult(status, False, key, problem)
    if entry.crashed:
        problem = _problem(500, "server_error", "something went wrong on the server; it has "
                           "been logged: send this scan again")
        return BatchResult(500, False, key, problem)
    problem = _problem(503, "not_attempted", "not attempted: a scan before it in this batch "
                       "could not be applied yet; send this scan again after that one, in order",
                       title="Not attempted", retry_after=NOT_ATTEMPTED_RETRY_S)
    return BatchResult(503, False, key, problem)


def _log_row(r: dict[str, Any]) -> ScanLogOut:
    return ScanLogOut(
        id=r["id"],
        device_id=r["device_id"],
        user=r["username"],
        code=r["code"],
        action=r["action"],
        ok=bool(r["ok"]),
        status=r["status"],
        error_code=r["error_code"],
        resolved_kind=r["resolved_kind"],
        resolved_id=r["resolved_id"],
        event_id=r["event_id"],
        scanned_at=r["scanned_at"],
        received_at=r["received_at"],
        idempotency_key=r["idempotency_key"],
        answer=r["answer"],
    )

"""/api/v1/audits: stocktakes by scanning. Start one on a location, scan, watch the
progress, finish (the report), confirm (the moves and adjustments as events), export CSV.

Confirming needs the operator role, like the scans themselves: it writes only changes an
operator may already make one by one (move, check-in, mark found or lost, adjust a count),
each as an event naming the user and the audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import JSONBody
from msgspec import Struct

from server.db import places_repo
from server.domain.audits import Options
from server.http.auth import OPERATE, VIEW
from server.http.paging import Limit, Offset, Req, actor_of
from server.http.schemas import In, ItemRef, Ref
from server.services import audits, lookup


class AuditStart(In):
    location: int | str
    include_sublocations: bool = False


class AuditScanIn(In):
    code: str
    quantity: int | None = None  # a counted quantity of an item; 1 when left out
    location: int | str | None = None  # where this scan was made (else the last location scanned)


class AuditScanOut(Struct):
    audit_id: int
    result: str  # found, again, unexpected, counted, unknown, location
    message: str
    expected: int
    found: int
    unexpected: int
    unknown: int
    counted: int


class ConfirmIn(In):
    move_unexpected: bool = True
    adjust_counts: bool = True
    mark_missing_lost: bool = False


class UnitBrief(Struct):
    id: int
    tag: str
    serial: str | None


class AuditLineOut(Struct):
    line: int
    kind: str  # unit, count, unknown
    unit: UnitBrief | None
    item: ItemRef | None
    lot: str | None
    system_location: Ref | None  # where the system had it (a count: where it was counted)
    scanned_location: Ref | None
    status: str
    custodian: Ref | None
    expected_quantity: int | None
    counted_quantity: int | None
    difference: int | None
    code: str
    scans: int


class AuditSummary(Struct):
    id: int
    location: Ref
    include_sublocations: bool
    status: str
    current_location: Ref | None
    started_by: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    confirmed_by: str
    outcome: dict[str, Any]


class AuditOut(Struct):
    audit: AuditSummary
    totals: dict[str, int]
    found: list[AuditLineOut]
    missing: list[AuditLineOut]
    unexpected: list[AuditLineOut]
    misplaced: list[AuditLineOut]
    unknown: list[AuditLineOut]
    count_differences: list[AuditLineOut]
    counted: list[AuditLineOut]
    not_counted: list[AuditLineOut]


class AuditPage(Struct):
    audits: list[AuditSummary]
    total: int
    limit: int
    offset: int


def _ref(id_: int | None, tag: str | None, name: str | None) -> Ref | None:
    return None if id_ is None else Ref(id_, tag, name)


def line_out(ln: dict[str, Any]) -> AuditLineOut:
    n = ln["names"]
    return AuditLineOut(
        line=ln["id"],
        kind=ln["kind"],
        unit=None
        if ln["unit_id"] is None
        else UnitBrief(ln["unit_id"], n["unit_tag"], n["unit_serial"]),
        item=None
        if ln["item_id"] is None
        else ItemRef(ln["item_id"], n["item_sku"], n["item_name"]),
        lot=n["lot_code"],
        system_location=_ref(ln["location_id"], n["location_tag"], n["location_name"]),
        scanned_location=_ref(
            ln["scanned_location_id"], n["scanned_location_tag"], n["scanned_location_name"]
        ),
        status=ln["status"],
        custodian=_ref(ln["custodian_id"], n["custodian_tag"], n["custodian_name"]),
        expected_quantity=ln["expected_quantity"],
        counted_quantity=ln["counted_quantity"],
        difference=ln["difference"],
        code=ln["code"],
        scans=ln["scans"],
    )


async def summary(row: dict[str, Any]) -> AuditSummary:
    loc = await places_repo.location(location_id=row["location"])
    cur = None
    if row["current_location"] is not None:
        c = await places_repo.location(location_id=row["current_location"])
        cur = Ref(c["id"], c["tag"], c["name"])
    return AuditSummary(
        id=row["id"],
        location=Ref(loc["id"], loc["tag"], loc["name"]),
        include_sublocations=bool(row["include_sublocations"]),
        status=row["status"],
        current_location=cur,
        started_by=row["started_by"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        confirmed_at=row["confirmed_at"],
        confirmed_by=row["confirmed_by"],
        outcome=row["outcome"],
    )


async def audit_out(report: dict[str, Any]) -> AuditOut:
    lists = {
        k: [line_out(ln) for ln in report[k]]
        for k in (
            "found",
            "missing",
            "unexpected",
            "misplaced",
            "unknown",
            "count_differences",
            "counted",
            "not_counted",
        )
    }
    return AuditOut(audit=await summary(report["audit"]), totals=report["totals"], **lists)


class AuditController(Controller):
    path = "/api/v1/audits"
    tags = ["audits"]

    @get("/", opt=VIEW, summary="List audits, newest first")
    async def list_audits(
        self,
        limit: Limit = 50,
        offset: Offset = 0,
        status: str | None = None,
        location: str | None = None,
    ) -> AuditPage:
        loc_ids = (
            None
            if location is None
            else await places_repo.subtree_ids(await lookup.location_id(location))
        )
        rows, total = await audits.list_audits(
            status=status, location_ids=loc_ids, limit=limit, offset=offset
        )
        return AuditPage(
            audits=[await summary(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @post(
        "/",
        opt=OPERATE,
        summary="Start an audit of a location: the expected set is what the system "
        "believes is there",
    )
    async def start(self, data: JSONBody[AuditStart], request: Req) -> AuditOut:
        audit_id = await audits.start(
            actor_of(request), await lookup.location_id(data.location), data.include_sublocations
        )
        return await audit_out(await audits.report(audit_id))

    @get(
        "/{audit_id:int}",
        opt=VIEW,
        summary="Live progress: found, missing, unexpected, unknown, count differences",
    )
    async def get_audit(self, audit_id: int) -> AuditOut:
        return await audit_out(await audits.report(audit_id))

    @post(
        "/{audit_id:int}/scans",
        opt=OPERATE,
        status_code=200,
        summary="Record one scan: a unit, an item or lot with a counted quantity, or a "
        "location (where the next scans are counted)",
    )
    async def scan(self, audit_id: int, data: JSONBody[AuditScanIn], request: Req) -> AuditScanOut:
        loc = None if data.location is None else await lookup.location_id(data.location)
        answer = await audits.scan_code(
            actor_of(request), audit_id, data.code, data.quantity, location_id=loc
        )
        return AuditScanOut(**answer)

    @post(
        "/{audit_id:int}/finish",
        opt=OPERATE,
        status_code=200,
        summary="Stop taking scans; answers the report",
    )
    async def finish(self, audit_id: int, request: Req) -> AuditOut:
        return await audit_out(await audits.finish(actor_of(request), audit_id))

    @post(
        "/{audit_id:int}/confirm",
        opt=OPERATE,
        status_code=200,
        summary="Write what the audit found as events (one transaction) and stamp "
        "last_audited_at on every unit seen",
        description="Moves unexpected and misplaced units to where they were scanned "
        "(checking in a unit the system had checked out, marking found a lost one), "
        "adjusts counts that differ (by the difference found, so stock that moved since "
        "is kept) and, only if `mark_missing_lost` is true, marks missing units lost.",
    )
    async def confirm(self, audit_id: int, data: JSONBody[ConfirmIn], request: Req) -> AuditOut:
        options = Options(
            move_unexpected=data.move_unexpected,
            adjust_counts=data.adjust_counts,
            mark_missing_lost=data.mark_missing_lost,
        )
        return await audit_out(await audits.confirm(actor_of(request), audit_id, options))

    @get("/{audit_id:int}/export.csv", opt=VIEW, media_type="text/csv",
         summary="The audit's lines as CSV")
    async def export(self, audit_id: int) -> Response[str]:
        body = await audits.export_csv(audit_id)
        return Response(
            body,
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
            headers={"Content-Disposition": f'attachment; filename="audit-{audit_id}.csv"'},
        )

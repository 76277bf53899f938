"""Loans (every open loan, units out and lent quantities, the overdue ones first; the
closed ones as history; filters, search and a CSV export), the person page's one-tap
return of a unit, and the list of audits."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.response import Redirect, Stream, Template

from server.db import loans_repo
from server.domain.audits import Options
from server.domain.errors import DomainError
from server.http.api.audits import audit_out
from server.http.api.loans import LoanFilter, loan_out, loan_rows
from server.http.auth import OPERATE, VIEW
from server.http.pages.common import (
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
from server.http.pages.places import person_page
from server.services import audits, loans, lookup


class LoanPages(PageBase):
    @get("/loans", opt=VIEW)
    async def loans(self, request: Req, person: str = "", item: str = "", q: str = "",
                    overdue: bool = False, no_due: bool = False, closed: bool = False,
                    page_no: int = 1) -> Template:
        """Open loans (or the closed ones, the history), filtered; the same filters as
        GET /api/v1/loans, and /loans.csv exports what the page shows."""
        page_no = max(1, page_no)
        chosen = LoanFilter(person or None, item or None, overdue and not closed,
                            no_due and not closed, q.strip() or None, closed)
        error, status = None, 200
        try:
            rows, total = await loan_rows(chosen, PAGE_SIZE, (page_no - 1) * PAGE_SIZE)
        except DomainError as exc:
            error, status, rows, total = exc.message, 422, [], 0
        _, overdue_total = await loans.open_loans(overdue=True, limit=1)
        items, people = await loans_repo.filter_choices(closed=closed)
        item_choices = [(str(i["id"]), f"{i['name']} ({i['sku']})") for i in items]
        person_choices = [(p["tag"], p["name"]) for p in people]
        # a filter the lists do not offer (from a link, or nobody left in the list) stays
        # visible as chosen
        if item and item not in {v for v, _ in item_choices}:
            item_choices.insert(0, (item, item))
        if person and person not in {v for v, _ in person_choices}:
            person_choices.insert(0, (person, person))
        query = {k: v for k, v in (("person", person), ("item", item), ("q", q.strip()),
                                   ("overdue", "true" if chosen.overdue else ""),
                                   ("no_due", "true" if chosen.no_due else ""),
                                   ("closed", "true" if closed else "")) if v}
        return page(
            request,
            "loans.html",
            status=status,
            loans=rows,
            pager=pager(total, page_no),
            filters=chosen,
            query=query,
            error=error,
            overdue=chosen.overdue,
            overdue_total=overdue_total,
            item_choices=item_choices,
            person_choices=person_choices,
            csv_href="/loans.csv" + (f"?{urlencode(query)}" if query else ""),
        )

    @get("/loans.csv", opt=VIEW)
    async def export(self, person: str = "", item: str = "", q: str = "",
                     overdue: bool = False, no_due: bool = False,
                     closed: bool = False) -> Stream:
        """The loans the page shows (every page of them) as CSV: a header row, times in
        ISO 8601 UTC, streamed a few hundred rows at a time."""
        chosen = LoanFilter(person or None, item or None, overdue, no_due,
                            q.strip() or None, closed)
        first, _ = await loan_rows(chosen, CSV_CHUNK, 0)  # a bad filter refuses before a byte
        name = f"loans-{'closed' if closed else 'open'}-{dt.date.today().isoformat()}.csv"
        return Stream(_csv_lines(chosen, first), media_type="text/csv",  # Litestar adds charset
                      headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @post("/people/{ref:str}/check-in", opt=OPERATE)
    async def check_in(self, request: Req, ref: str) -> Redirect | Template:
        """The person page's one-tap Return of a unit: checked in to its home location."""
        form = await read_form(request)
        row = await lookup.person(ref)
        tag = form.get("unit", "")
        try:
            unit_tag = lookup.unit_tag(tag)
            await loans.take_back_unit(actor_of(request), unit_tag, int(row["id"]),
                                       note=form.get("note", ""))
        except DomainError as exc:
            if exc.code in ("forbidden", "csrf"):
                raise
            return await person_page(request, ref, fail=failed(f"checkin-{tag}", exc, form))
        return done(f"/people/{row['tag']}", f"{unit_tag} is back from {row['name']}.")


CSV_CHUNK = 500
CSV_HEADER = ("kind", "unit", "serial", "item_sku", "item", "lot", "quantity", "person_tag",
              "person", "location_tag", "location", "since", "due", "overdue", "returned")


def _iso(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.astimezone(dt.UTC).isoformat().replace(
        "+00:00", "Z")


def _cell(value: object) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP: CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def _csv_lines(chosen: LoanFilter, first: list[dict[str, Any]]) -> AsyncIterator[str]:
    out = io.StringIO()
    write = csv.writer(out).writerow
    write(CSV_HEADER)
    rows, offset = first, 0
    now = dt.datetime.now(dt.UTC)
    while rows:
        for r in rows:
            ln = loan_out(r, now)
            write([ln.kind, ln.unit.tag if ln.unit else "", _cell(ln.unit.serial if ln.unit
                                                                    else ""),
                   _cell(ln.item.sku), _cell(ln.item.name), _cell(ln.lot), ln.quantity,
                   ln.person.tag, _cell(ln.person.name), ln.location.tag,
                   _cell(ln.location.name), _iso(ln.lent_at), _iso(ln.due_at),
                   "yes" if ln.overdue else "no", _iso(ln.returned_at)])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        if len(rows) < CSV_CHUNK:
            break
        offset += CSV_CHUNK
        rows, _ = await loan_rows(chosen, CSV_CHUNK, offset)
    if out.getvalue():
        yield out.getvalue()


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

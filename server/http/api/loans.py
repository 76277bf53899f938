"""/api/v1/loans: who holds what (units out and quantity loans), overdue loans, lending and
taking back quantities, and bulk check-out of units to one person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.params import JSONBody
from msgspec import Struct

from server.db import loans_repo, places_repo
from server.domain.errors import InvalidInput
from server.http import schemas as s
from server.http.auth import OPERATE, VIEW
from server.http.inputs import api_moment
from server.http.paging import Limit, Offset, Req, actor_of
from server.http.schemas import In, ItemRef, Ref
from server.services import loans, lookup


class UnitBrief(Struct):
    id: int
    tag: str
    serial: str | None


class LoanOut(Struct):
    kind: str  # "unit" (a unit checked out) or "quantity" (a quantity loan)
    id: int  # the unit id, or the loan id
    unit: UnitBrief | None
    item: ItemRef
    lot: str | None
    quantity: int  # 1 for a unit; what is still out for a quantity loan
    person: Ref
    due_at: dt.datetime | None
    overdue: bool
    location: Ref  # the unit's home location, or where the quantity was lent from
    lent_at: dt.datetime | None  # since when (a unit: its check-out)
    returned_at: dt.datetime | None = None  # a closed loan (?closed=true): when it ended


class LoanPage(Struct):
    loans: list[LoanOut]
    total: int
    limit: int
    offset: int


class PersonLoans(Struct):
    person: Ref
    units: list[LoanOut]
    quantities: list[LoanOut]
    overdue: int


class LendIn(In):
    item: int | str
    location: int | str
    person: int | str
    quantity: int
    lot: str | None = None
    due_at: s.DueAt | None = None  # none: the item's loan period, else the site's
    note: str = ""
    allow_past_due: bool = False  # a due date in the past is refused (422) unless true


class ReturnIn(In):
    item: int | str
    person: int | str
    quantity: int
    location: int | str
    lot: str | None = None
    note: str = ""


class LoanEvent(Struct):
    event_id: int
    held: int  # what the person still holds of this item (and lot) afterwards


class BulkCheckOutIn(In):
    person: int | str
    codes: list[str]
    due_at: s.DueAt | None = None  # none: each unit's item's loan period, else the site's
    all_or_nothing: bool = False
    note: str = ""
    allow_past_due: bool = False  # a due date in the past is refused (422) unless true


class BulkError(Struct):
    code: str
    detail: str


class BulkResult(Struct):
    code: str
    ok: bool
    message: str
    event_id: int | None = None
    tag: str | None = None
    error: BulkError | None = None


class BulkCheckOutOut(Struct):
    ok: bool
    checked_out: int
    refused: int
    rolled_back: bool
    results: list[BulkResult]


def _stamp(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))  # SQLite hands a UNION's value back as text
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def loan_out(row: dict[str, Any], now: dt.datetime) -> LoanOut:
    due = _stamp(row["due_at"])
    return LoanOut(
        kind=row["kind"],
        id=row["id"],
        unit=None
        if row["unit_tag"] is None
        else UnitBrief(row["id"], row["unit_tag"], row["serial"]),
        item=ItemRef(row["item_id"], row["item_sku"], row["item_name"]),
        lot=row["lot_code"],
        quantity=int(row["quantity"]),
        person=Ref(row["person_id"], row["person_tag"], row["person_name"]),
        due_at=due,
        overdue=due is not None and due < now and row.get("returned_at") is None,
        location=Ref(row["location_id"], row["location_tag"], row["location_name"]),
        lent_at=_stamp(row["lent_at"]),
        returned_at=_stamp(row.get("returned_at")),
    )


@dataclass(frozen=True)
class LoanFilter:
    """What a loans list shows, as the API and the loans page take it."""

    person: str | None = None  # an id or a person tag
    item: str | None = None  # an id or a SKU
    overdue: bool = False
    no_due: bool = False
    q: str | None = None
    closed: bool = False


async def loan_rows(f: LoanFilter, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    person_id = await lookup.person_id(f.person) if f.person else None
    item = f.item
    item_id = await lookup.item_id(int(item) if item.isdecimal() else item) if item else None
    if not f.closed:
        return await loans.open_loans(person_id=person_id, item_id=item_id, overdue=f.overdue,
                                      no_due=f.no_due, q=f.q, limit=limit, offset=offset)
    if f.overdue or f.no_due:
        raise InvalidInput("closed loans take no due-date filter (overdue, no_due)",
                           field="closed")
    return await loans.closed_loans(person_id=person_id, item_id=item_id, q=f.q, limit=limit,
                                    offset=offset)


async def _held(item_id: int, person_id: int, lot_id: int | None) -> int:
    return sum(ln.outstanding for ln in await loans_repo.open_for(person_id, item_id, lot_id))


class LoanController(Controller):
    path = "/api/v1"
    tags = ["loans"]

    @get(
        "/loans",
        opt=VIEW,
        summary="Open loans (units checked out, quantities lent), or with closed=true the "
        "loans that ended",
        description="Filters: `person` (id or tag), `item` (id or SKU), `overdue`, `no_due` "
        "(no due date), `q` (a part of the unit's tag or serial, the item's SKU or name, the "
        "person's name or the lot code). Open loans come earliest due first; closed ones "
        "(`closed=true`, with `returned_at`) latest first, and take no due-date filter.",
    )
    async def list_loans(
        self,
        limit: Limit = 50,
        offset: Offset = 0,
        person: str | None = None,
        item: str | None = None,
        overdue: bool = False,
        no_due: bool = False,
        q: str | None = None,
        closed: bool = False,
    ) -> LoanPage:
        rows, total = await loan_rows(
            LoanFilter(person, item, overdue, no_due, q, closed), limit, offset
        )
        now = dt.datetime.now(dt.UTC)
        return LoanPage(
            loans=[loan_out(r, now) for r in rows], total=total, limit=limit, offset=offset
        )

    @get("/loans/overdue", opt=VIEW, summary="Open loans past their due date, oldest first")
    async def overdue(self, limit: Limit = 50, offset: Offset = 0) -> LoanPage:
        rows, total = await loans.open_loans(overdue=True, limit=limit, offset=offset)
        now = dt.datetime.now(dt.UTC)
        return LoanPage(
            loans=[loan_out(r, now) for r in rows], total=total, limit=limit, offset=offset
        )

    @get(
        "/people/{ref:str}/loans",
        opt=VIEW,
        summary="What a person holds now: units checked out and open quantity loans",
    )
    async def person_loans(self, ref: str) -> PersonLoans:
        person_id = await lookup.person_id(ref)
        rows, _ = await loans.open_loans(person_id=person_id, limit=10_000)
        now = dt.datetime.now(dt.UTC)
        out = [loan_out(r, now) for r in rows]
        p = await places_repo.person(person_id=person_id)
        return PersonLoans(
            person=Ref(p["id"], p["tag"], p["name"]),
            units=[ln for ln in out if ln.kind == "unit"],
            quantities=[ln for ln in out if ln.kind == "quantity"],
            overdue=sum(1 for ln in out if ln.overdue),
        )

    @post(
        "/loans/lend",
        opt=OPERATE,
        summary="Lend a quantity of a counted item from a location to a person",
    )
    async def lend(self, data: JSONBody[LendIn], request: Req) -> LoanEvent:
        item_id = await lookup.item_id(data.item)
        lot_id = await loans.lot_id_for(item_id, data.lot)
        person_id = await lookup.person_id(data.person)
        event = await loans.lend(
            actor_of(request),
            item_id,
            await lookup.location_id(data.location),
            person_id,
            data.quantity,
            lot_id=lot_id,
            due_at=api_moment(data.due_at, "due_at"),
            note=data.note,
            allow_past_due=data.allow_past_due,
        )
        return LoanEvent(event_id=event, held=await _held(item_id, person_id, lot_id))

    @post(
        "/loans/return",
        opt=OPERATE,
        summary="Take back all or part of a quantity a person holds, into a location",
    )
    async def give_back(self, data: JSONBody[ReturnIn], request: Req) -> LoanEvent:
        item_id = await lookup.item_id(data.item)
        lot_id = await loans.lot_id_for(item_id, data.lot)
        person_id = await lookup.person_id(data.person)
        event = await loans.give_back(
            actor_of(request),
            item_id,
            person_id,
            data.quantity,
            await lookup.location_id(data.location),
            lot_id=lot_id,
            note=data.note,
        )
        return LoanEvent(event_id=event, held=await _held(item_id, person_id, lot_id))

    @post(
        "/loans/bulk-check-out",
        opt=OPERATE,
        status_code=200,
        summary="Check out a list of unit tags to one person, with a result per code",
        description="Each code is checked out on its own and answered in `results`; "
        "refused ones say why. With `all_or_nothing: true` the whole list is one "
        "transaction: every code is still tried, and if any is refused nothing is "
        "checked out; the answer is then 409 (code `bulk_refused`) and "
        "`details.results` says why each code failed.",
    )
    async def bulk_check_out(self, data: JSONBody[BulkCheckOutIn], request: Req) -> BulkCheckOutOut:
        answer = await loans.bulk_check_out(
            actor_of(request),
            await lookup.person_id(data.person),
            data.codes,
            due_at=api_moment(data.due_at, "due_at"),
            all_or_nothing=data.all_or_nothing,
            note=data.note,
            allow_past_due=data.allow_past_due,
        )
        return msgspec.convert(answer, BulkCheckOutOut)

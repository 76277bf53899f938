"""Use cases for custody: lend and take back quantities, bulk check-out of units, and the
loans lists (units out and quantity loans, overdue ones)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db import items_repo, ledger, loans_repo, places_repo, stock_repo, units_repo
from server.db.engine import write_transaction
from server.domain import loans as rules
from server.domain.actors import Actor
from server.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from server.domain.loans import Loan
from server.domain.stock import StockKey
from server.domain.tags import InvalidTag, Tag, TagKind
from server.services import units as unit_service
from server.services.due_dates import due_for
from server.services.local_time import zone_of


async def _active_person(person_id: int) -> dict[str, Any]:
    person = await places_repo.person(person_id=person_id)
    if not person["active"]:
        raise Conflict(f"{person['name']} is not active", field="person", code="person_inactive")
    return person


async def _live_location(location_id: int, field: str) -> dict[str, Any]:
    loc = await places_repo.location(location_id=location_id)
    if loc["archived"]:
        raise Conflict(f"location {loc['name']} is archived", field=field, code="location_archived")
    return loc


async def lend(
    actor: Actor,
    item_id: int,
    from_location_id: int,
    person_id: int,
    quantity: int,
    *,
    lot_id: int | None = None,
    due_at: dt.datetime | None = None,
    note: str = "",
    allow_past_due: bool = False,
) -> int:
    """Move `quantity` of a quantity or lot item from a location's stock into a loan held by
    the person. No due date given: the item's loan period, else the site's. Returns the
    event id."""
    async with write_transaction():
        item = await items_repo.get(item_id, share=True)
        due = due_for(due_at, item.loan_days, allow_past=allow_past_due, zone=zone_of(actor))
        await _active_person(person_id)
        where = await places_repo.location(location_id=from_location_id)
        key = StockKey(item.id, from_location_id, lot_id)
        have = await stock_repo.on_hand(key, lock=True)
        draft = rules.lend(
            item, key, have, person_id, quantity, str(where["name"]), due_at=due, note=note
        )
        loan_id = await loans_repo.insert(
            Loan(
                id=0,
                person_id=person_id,
                item_id=item.id,
                lot_id=lot_id,
                from_location_id=from_location_id,
                quantity_out=quantity,
                due_at=due,
            )
        )
        await stock_repo.apply_delta(key, -quantity)
        return await ledger.record(actor, rules.for_loan(draft, loan_id))


async def give_back(
    actor: Actor,
    item_id: int,
    person_id: int,
    quantity: int,
    to_location_id: int,
    *,
    lot_id: int | None = None,
    note: str = "",
) -> int:
    """Take back `quantity` (all or part of what the person holds) into a location.
    Returns the event id."""
    async with write_transaction():
        item = await items_repo.get(item_id, share=True)
        person = await places_repo.person(person_id=person_id)
        await _live_location(to_location_id, "location")
        target = StockKey(item.id, to_location_id, lot_id)
        # the item's stock lock first, as every stock writer takes it, then the loan rows
        await stock_repo.on_hand(target, lock=True)
        open_loans = await loans_repo.open_for(person_id, item.id, lot_id, lock=True)
        changed, event = rules.give_back(
            item,
            open_loans,
            person_id,
            str(person["name"]),
            quantity,
            to_location_id,
            lot_id=lot_id,
            note=note,
        )
        await loans_repo.save_returns(changed)
        await stock_repo.apply_delta(target, quantity)
        return await ledger.record(actor, event)


async def lot_id_for(item_id: int, code: str | None) -> int | None:
    """The lot a client names by its code (None when no lot is given)."""
    if not code:
        return None
    lot = await stock_repo.get_lot(item_id, code.strip())
    if lot is None:
        raise NotFound(f"this item has no lot {code}", field="lot")
    return int(lot["id"])


async def open_loans(
    *,
    person_id: int | None = None,
    item_id: int | None = None,
    overdue: bool = False,
    no_due: bool = False,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Open loans, the earliest due first; `q`: a part of the unit's tag or serial, the
    item's SKU or name, the person's name or the lot code."""
    if overdue and no_due:
        raise InvalidInput("a loan with no due date is never overdue: choose one filter",
                           field="no_due")
    now = dt.datetime.now(dt.UTC)
    return await loans_repo.open_loans(
        person_id=person_id,
        item_id=item_id,
        overdue_at=now if overdue else None,
        no_due=no_due,
        q=_search_text(q),
        limit=limit,
        offset=offset,
    )


async def closed_loans(
    *,
    person_id: int | None = None,
    item_id: int | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """The history: loans that ended (units checked in or lost while out, quantities all
    given back), the latest first."""
    return await loans_repo.closed_loans(
        person_id=person_id, item_id=item_id, q=_search_text(q), limit=limit, offset=offset
    )


async def take_back_unit(actor: Actor, tag: str, person_id: int, *, note: str = "") -> int:
    """Check a unit in from the person a page showed holding it (to its home location).
    Refused when someone else holds it now (a page left open while it changed hands): the
    tap names one loan, never whoever holds the unit. Returns the event id."""
    async with write_transaction():  # the check-in below joins it, the unit stays locked
        unit = await units_repo.get(tag=tag, lock=True)
        if unit.custodian_id != person_id:
            person = await places_repo.person(person_id=person_id)
            raise Conflict(f"{tag} is no longer checked out to {person['name']}",
                           field="unit", code="not_held")
        return await unit_service.check_in(actor, tag, note=note)


MAX_SEARCH = 200


def _search_text(q: str | None) -> str | None:
    text = (q or "").strip()
    if len(text) > MAX_SEARCH:
        raise InvalidInput(f"q must be at most {MAX_SEARCH} characters", field="q")
    return text or None


def _unit_tag(code: str) -> str:
    try:
        tag = Tag.parse(code) if Tag.looks_like_tag(code) else None
    except InvalidTag as exc:
        raise InvalidInput(exc.message, field="codes", code="invalid_tag") from None
    if tag is None or tag.kind is not TagKind.UNIT:
        raise InvalidInput(f"{code!r} is not a unit tag", field="codes")
    return str(tag)


async def bulk_check_out(
    actor: Actor,
    person_id: int,
    codes: list[str],
    *,
    due_at: dt.datetime | None = None,
    all_or_nothing: bool = False,
    note: str = "",
    allow_past_due: bool = False,
) -> dict[str, Any]:
    """Check out each unit tag to one person. Each code gets a result. With
    `all_or_nothing`, the whole list is one transaction: every code is still tried (so the
    answer says why each one failed), then any refusal rolls everything back and raises
    Conflict `bulk_refused` whose details hold the per-code results."""
    if not codes:
        raise InvalidInput("give at least one unit tag", field="codes")
    if len(codes) > 500:
        raise InvalidInput("at most 500 codes in one request", field="codes")
    due = rules.normalize_due(due_at)
    if due is not None:  # refused once for the whole list, not once per code
        due_for(due, None, allow_past=allow_past_due, zone=zone_of(actor))
    await _active_person(person_id)
    results: list[dict[str, Any]] = []

    async def one(code: str, seen: set[str]) -> None:
        try:
            tag = _unit_tag(code.strip())
            if tag in seen:
                raise Conflict(f"unit {tag} is listed twice", field="codes", code="duplicate")
            seen.add(tag)
            event = await unit_service.check_out(actor, tag, person_id, due_at=due, note=note,
                                                 allow_past_due=allow_past_due)
            results.append(
                {
                    "code": code,
                    "ok": True,
                    "tag": tag,
                    "event_id": event,
                    "message": f"{tag} checked out",
                }
            )
        except DomainError as exc:
            results.append(
                {
                    "code": code,
                    "ok": False,
                    "event_id": None,
                    "error": {"code": exc.code, "detail": exc.message},
                    "message": exc.message,
                }
            )

    seen: set[str] = set()
    if not all_or_nothing:
        for code in codes:  # each check-out is its own transaction
            await one(code, seen)
        return _bulk_answer(results, rolled_back=False)
    try:
        async with write_transaction():  # unit_service joins this one transaction
            # every unit is locked before the chain is: the events go at the end (ledger.py)
            with ledger.held() as held:
                for code in codes:
                    await one(code, seen)
            if any(not r["ok"] for r in results):
                raise _RollBack
            ids = await held.append()
            for r in results:
                r["event_id"] = ids[r["event_id"]]
    except _RollBack:
        for r in results:
            if r["ok"]:
                r.update(
                    ok=False,
                    event_id=None,
                    message=f"{r['tag']} not checked out: "
                    "another code in the list was refused (all or nothing)",
                    error={"code": "rolled_back", "detail": "rolled back"},
                )
        answer = _bulk_answer(results, rolled_back=True)
        bad = sum(1 for r in results if r["error"]["code"] != "rolled_back")
        raise Conflict(
            f"nothing was checked out: {bad} of {len(codes)} codes were refused (all or nothing)",
            field="codes",
            code="bulk_refused",
            details=answer,
        ) from None
    return _bulk_answer(results, rolled_back=False)


class _RollBack(Exception):
    """Raised inside the all-or-nothing transaction to undo it."""


def _bulk_answer(results: list[dict[str, Any]], *, rolled_back: bool) -> dict[str, Any]:
    done = sum(1 for r in results if r["ok"])
    return {
        "ok": done == len(results),
        "checked_out": done,
        "refused": len(results) - done,
        "rolled_back": rolled_back,
        "results": results,
    }

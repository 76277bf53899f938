"""Quantity loans: some of a counted item's stock held by a person, returned later (in
parts, if need be). Units are lent by the custody state machine in units.py instead.

A lend takes `quantity` out of a location's stock into a loan; a return puts it back into a
location (any location) and pays off the person's open loans of that item (and lot),
earliest due first. Each event names the loans it touched in `details`, so the ledger can
rebuild every loan row, not only each person's total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from server.domain import timezones
from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.items import Item
from server.domain.stock import COUNTED, StockKey, check_quantity
from server.domain.stock import _check_lot as check_lot
from server.domain.vocab import EventKind

OPEN, CLOSED = "open", "closed"


@dataclass(frozen=True, slots=True)
class Loan:
    id: int
    person_id: int
    item_id: int
    lot_id: int | None
    from_location_id: int
    quantity_out: int
    quantity_returned: int = 0
    due_at: dt.datetime | None = None

    @property
    def outstanding(self) -> int:
        return self.quantity_out - self.quantity_returned

    @property
    def status(self) -> str:
        return OPEN if self.outstanding > 0 else CLOSED

    def overdue(self, now: dt.datetime) -> bool:
        return self.status == OPEN and self.due_at is not None and self.due_at < now


def lend(
    item: Item,
    key: StockKey,
    on_hand: int,
    person_id: int,
    quantity: int,
    where: str,
    *,
    due_at: dt.datetime | None = None,
    note: str = "",
) -> EventDraft:
    """The event of lending `quantity` from the stock at `key` to a person. A lend never
    drives a count below zero, even for items that allow negative stock: nobody can hand
    over what is not on the shelf."""
    item.ensure_tracking(*COUNTED, doing="lend a count (check out its units instead)")
    check_lot(item, key.lot_id)
    check_quantity(quantity)
    if on_hand - quantity < 0:
        raise Conflict(
            f"not enough stock of {item.sku} at {where}: {on_hand} left, {quantity} asked",
            field="quantity",
            code="insufficient_stock",
            details={"on_hand": on_hand, "asked": quantity},
        )
    details = {"due_at": due_at.isoformat()} if due_at is not None else {}
    return EventDraft(
        kind=EventKind.STOCK_LENT,
        item_id=item.id,
        lot_id=key.lot_id,
        quantity=quantity,
        from_location_id=key.location_id,
        to_person_id=person_id,
        note=note,
        details=details,
    )


def for_loan(draft: EventDraft, loan_id: int) -> EventDraft:
    """The lend event, naming the loan row it opened."""
    return replace(draft, details={**draft.details, "loan": loan_id})


def repayment_order(loan: Loan) -> tuple[bool, dt.datetime, int]:
    """Earliest due first (so a return clears what is overdue), undated last, then oldest."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (loan.due_at is None, loan.due_at or far, loan.id)


def give_back(
    item: Item,
    loans: list[Loan],
    person_id: int,
    person_name: str,
    quantity: int,
    to_location_id: int,
    *,
    lot_id: int | None = None,
    note: str = "",
) -> tuple[list[Loan], EventDraft]:
    """Return `quantity` held by the person. `loans` are the person's open loans of this
    item and lot; the answer is the loans that changed and the event."""
    item.ensure_tracking(*COUNTED, doing="return a count (check in its units instead)")
    check_lot(item, lot_id)
    check_quantity(quantity)
    mine = sorted(
        (
            ln
            for ln in loans
            if ln.person_id == person_id
            and ln.item_id == item.id
            and ln.lot_id == lot_id
            and ln.outstanding > 0
        ),
        key=repayment_order,
    )
    held = sum(ln.outstanding for ln in mine)
    if quantity > held:
        raise Conflict(
            f"{person_name} holds {held} of {item.sku}, cannot return {quantity}",
            field="quantity",
            code="more_than_held",
            details={"held": held, "asked": quantity},
        )
    left, changed, paid = quantity, [], []
    for loan in mine:
        if left == 0:
            break
        take = min(left, loan.outstanding)
        changed.append(replace(loan, quantity_returned=loan.quantity_returned + take))
        paid.append([loan.id, take])
        left -= take
    event = EventDraft(
        kind=EventKind.STOCK_RETURNED,
        item_id=item.id,
        lot_id=lot_id,
        quantity=quantity,
        to_location_id=to_location_id,
        from_person_id=person_id,
        note=note,
        details={"loans": paid},
    )
    return changed, event


def normalize_due(due_at: dt.datetime | None) -> dt.datetime | None:
    """A due date without a time zone is read as UTC (as the database stores it)."""
    if due_at is None or due_at.tzinfo is not None:
        return due_at
    return due_at.replace(tzinfo=dt.UTC)


# Loan periods, in days: an item's own (Item.loan_days) or the site's (TAGTRACK_LOAN_DAYS).
# 0 means "lent without a due date" (a laptop handed to its user for good).
MAX_LOAN_DAYS = 3650


def check_loan_days(value: object, field: str = "loan_days") -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LOAN_DAYS:
        raise InvalidInput(f"{field} must be a whole number of days from 0 to {MAX_LOAN_DAYS} "
                           "(0: no due date)", field=field)
    return value


def due_date(
    given: dt.datetime | None,
    now: dt.datetime,
    *,
    item_days: int | None = None,
    site_days: int | None = None,
    allow_past: bool = False,
    zone: ZoneInfo = timezones.UTC,
) -> dt.datetime | None:
    """The due date of a check-out or a lend made at `now`. One given is kept, but one in
    the past is refused unless `allow_past` (recording a loan after the fact is real, a
    typo in the year is more common). None given: the item's loan period, else the
    site's, in days from today where the borrowing happens (`zone`), due at the end of
    that day as a due date typed as a date is (a 7-day loan taken on Monday morning is
    due back by Monday night, not Monday 09:12); a period of 0 (or none set anywhere)
    means no due date."""
    due = normalize_due(given)
    if due is not None:
        if due < now and not allow_past:
            raise InvalidInput(
                f"the due date {timezones.format_due(due, zone)} is in the past; confirm it "
                "(allow_past_due: true) to record a loan after the fact",
                field="due_at",
                code="due_in_past",
                details={"due_at": due.isoformat(), "now": now.isoformat()},
            )
        return due
    days = item_days if item_days is not None else site_days
    if not days:
        return None
    return timezones.end_of_day(now.astimezone(zone).date() + dt.timedelta(days=days), zone)

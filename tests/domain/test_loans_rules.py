"""Quantity loans (server/domain/loans.py): lending takes stock out for a person, returns
pay off their loans earliest due first, and the ledger rebuilds every loan from events."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import loans as rules
from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.items import Item
from server.domain.ledger import LedgerEvent, LoanState, State, compare, replay
from server.domain.loans import Loan
from server.domain.stock import StockKey
from server.domain.vocab import EventKind, Tracking

SHELF, DESK, DANA, ALEX = 10, 20, 7, 8
CORDS = Item(id=1, sku="CORD", name="Extension cord", tracking=Tracking.QUANTITY)
SERUM = Item(id=2, sku="SERUM", name="Serum", tracking=Tracking.LOT)
DRILL = Item(id=3, sku="DRILL", name="Drill", tracking=Tracking.SERIAL)
DAY = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def as_ledger(drafts: list[EventDraft]) -> list[LedgerEvent]:
    # details go through JSON as they do in the database
    return [
        LedgerEvent(
            id=i,
            kind=d.kind.value,
            item_id=d.item_id,
            unit_id=d.unit_id,
            lot_id=d.lot_id,
            quantity=d.quantity,
            from_location_id=d.from_location_id,
            to_location_id=d.to_location_id,
            from_person_id=d.from_person_id,
            to_person_id=d.to_person_id,
            details=json.loads(json.dumps(d.details, default=str)),
        )
        for i, d in enumerate(drafts, start=1)
    ]


def loan(
    id_: int, out: int, returned: int = 0, due: dt.datetime | None = None, person: int = DANA
) -> Loan:
    return Loan(
        id=id_,
        person_id=person,
        item_id=CORDS.id,
        lot_id=None,
        from_location_id=SHELF,
        quantity_out=out,
        quantity_returned=returned,
        due_at=due,
    )


def test_lending_takes_the_quantity_from_the_location_to_the_person():
    event = rules.lend(CORDS, StockKey(1, SHELF), 40, DANA, 5, "Shelf", due_at=DAY)
    assert (event.kind, event.quantity, event.from_location_id, event.to_person_id) == (
        EventKind.STOCK_LENT,
        5,
        SHELF,
        DANA,
    )
    assert event.to_location_id is None and event.details["due_at"] == DAY.isoformat()
    assert rules.for_loan(event, 3).details["loan"] == 3


def test_lending_more_than_is_on_the_shelf_is_refused_naming_what_is_left():
    with pytest.raises(Conflict) as refused:
        rules.lend(CORDS, StockKey(1, SHELF), 3, DANA, 5, "Shelf")
    assert refused.value.code == "insufficient_stock" and "3 left" in refused.value.message


def test_lending_never_goes_negative_even_where_the_item_allows_it():
    loose = Item(id=1, sku="CORD", name="Cord", tracking=Tracking.QUANTITY, allow_negative=True)
    with pytest.raises(Conflict):
        rules.lend(loose, StockKey(1, SHELF), 0, DANA, 1, "Shelf")


def test_units_are_checked_out_not_lent_and_lot_items_need_their_lot():
    with pytest.raises(Conflict):
        rules.lend(DRILL, StockKey(3, SHELF), 5, DANA, 1, "Shelf")
    with pytest.raises(InvalidInput):
        rules.lend(SERUM, StockKey(2, SHELF), 5, DANA, 1, "Shelf")
    with pytest.raises(InvalidInput):
        rules.lend(CORDS, StockKey(1, SHELF), 5, DANA, 0, "Shelf")


def test_a_return_pays_off_the_earliest_due_loan_first():
    later, sooner = loan(1, 5, due=DAY + dt.timedelta(days=3)), loan(2, 4, due=DAY)
    undated = loan(3, 2)
    changed, event = rules.give_back(CORDS, [later, undated, sooner], DANA, "Dana", 6, DESK)
    assert [(ln.id, ln.quantity_returned, ln.status) for ln in changed] == [
        (2, 4, "closed"),
        (1, 2, "open"),
    ]
    assert event.details["loans"] == [[2, 4], [1, 2]]
    assert (event.from_person_id, event.to_location_id, event.quantity) == (DANA, DESK, 6)


def test_returning_more_than_held_is_refused_naming_how_many_they_hold():
    with pytest.raises(Conflict) as refused:
        rules.give_back(CORDS, [loan(1, 5, returned=2)], DANA, "Dana", 4, SHELF)
    assert refused.value.code == "more_than_held"
    assert refused.value.details == {"held": 3, "asked": 4}
    assert "Dana holds 3" in refused.value.message


def test_someone_elses_loans_do_not_count_towards_a_return():
    with pytest.raises(Conflict):
        rules.give_back(CORDS, [loan(1, 5, person=ALEX)], DANA, "Dana", 1, SHELF)


def test_a_due_date_without_a_time_zone_is_read_as_utc():
    assert rules.normalize_due(dt.datetime(2026, 12, 1, 9)) == dt.datetime(
        2026, 12, 1, 9, tzinfo=dt.UTC
    )


def test_overdue_means_open_and_past_due():
    assert loan(1, 5, due=DAY).overdue(DAY + dt.timedelta(seconds=1))
    assert not loan(1, 5, returned=5, due=DAY).overdue(DAY + dt.timedelta(days=1))
    assert not loan(1, 5).overdue(DAY)


def test_replay_rebuilds_stock_loans_and_holdings():
    received = EventDraft(
        kind=EventKind.STOCK_RECEIVED, item_id=1, quantity=40, to_location_id=SHELF
    )
    lent = rules.for_loan(rules.lend(CORDS, StockKey(1, SHELF), 40, DANA, 5, "Shelf"), 1)
    _, back = rules.give_back(CORDS, [loan(1, 5)], DANA, "Dana", 2, DESK)
    state = replay(as_ledger([received, lent, back]))
    assert state.stock == {(1, SHELF, None): 35, (1, DESK, None): 2}
    assert state.holdings == {(DANA, 1, None): 3}
    assert state.loans == {1: LoanState(DANA, 1, None, 5, 2, "open")}


def test_compare_reports_a_loan_the_tables_disagree_with():
    lent = rules.for_loan(rules.lend(CORDS, StockKey(1, SHELF), 40, DANA, 5, "Shelf"), 1)
    rebuilt = replay(
        as_ledger(
            [
                EventDraft(
                    kind=EventKind.STOCK_RECEIVED, item_id=1, quantity=40, to_location_id=SHELF
                ),
                lent,
            ]
        )
    )
    tampered = State(
        units={},
        stock=dict(rebuilt.stock),
        loans={1: LoanState(DANA, 1, None, 5, 1, "open")},
        holdings={(DANA, 1, None): 4},
    )
    problems = compare(rebuilt, tampered)
    assert any("loan 1: quantity_returned is 1" in p for p in problems)
    assert any("person 7 holds 4" in p for p in problems)
    assert (
        compare(
            rebuilt,
            State(
                units={},
                stock=dict(rebuilt.stock),
                loans=dict(rebuilt.loans),
                holdings=dict(rebuilt.holdings),
            ),
        )
        == []
    )


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 6)), max_size=30))
def test_any_sequence_of_lends_and_returns_replays_to_the_loans_it_made(steps):
    on_hand, loans, drafts = (
        30,
        {},
        [EventDraft(kind=EventKind.STOCK_RECEIVED, item_id=1, quantity=30, to_location_id=SHELF)],
    )
    for lending, quantity in steps:
        try:
            if lending:
                draft = rules.lend(CORDS, StockKey(1, SHELF), on_hand, DANA, quantity, "Shelf")
                lid = len(loans) + 1
                loans[lid] = loan(lid, quantity)
                drafts.append(rules.for_loan(draft, lid))
                on_hand -= quantity
            else:
                changed, draft = rules.give_back(
                    CORDS, list(loans.values()), DANA, "Dana", quantity, SHELF
                )
                loans.update({ln.id: ln for ln in changed})
                drafts.append(draft)
                on_hand += quantity
        except Conflict:
            continue
    state = replay(as_ledger(drafts))
    held = sum(ln.outstanding for ln in loans.values())
    assert state.stock.get((1, SHELF, None), 0) == on_hand
    assert state.holdings.get((DANA, 1, None), 0) == held
    assert on_hand + held == 30
    assert state.loans == {
        ln.id: LoanState(DANA, 1, None, ln.quantity_out, ln.quantity_returned, ln.status)
        for ln in loans.values()
    }

"""Rebuilding the state from events (server/domain/ledger.py): a replay of the events the
rules draft reproduces the state they produced, and a tampered state is reported."""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from server.domain import stock as stock_rules
from server.domain import units as unit_rules
from server.domain.errors import DomainError
from server.domain.events import EventDraft
from server.domain.items import Item
from server.domain.ledger import LedgerEvent, State, UnitState, compare, replay
from server.domain.stock import StockKey
from server.domain.units import TRANSITIONS, Unit
from server.domain.vocab import Condition, EventKind, Tracking

A, B, C = 10, 20, 30
PEOPLE = (7, 8)
ITEM = Item(id=1, sku="ROPE", name="Rope", tracking=Tracking.QUANTITY)


def as_ledger(drafts: list[EventDraft]) -> list[LedgerEvent]:
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
            details=d.details,
        )
        for i, d in enumerate(drafts, start=1)
    ]


def created(unit: Unit) -> EventDraft:
    return EventDraft(
        kind=EventKind.UNIT_CREATED,
        item_id=unit.item_id,
        unit_id=unit.id,
        to_location_id=unit.location_id,
        details={"status": unit.status.value, "condition": unit.condition.value},
    )


def state_of(unit: Unit) -> UnitState:
    return UnitState(
        item_id=unit.item_id,
        location_id=unit.location_id,
        custodian_id=unit.custodian_id,
        status=unit.status.value,
        condition=unit.condition.value,
        collapsed=unit.collapsed,
    )


def test_stock_events_replay_into_counts_per_location_and_lot() -> None:
    drafts = [
        EventDraft(kind=EventKind.STOCK_RECEIVED, item_id=1, quantity=10, to_location_id=A),
        EventDraft(
            kind=EventKind.STOCK_MOVED, item_id=1, quantity=4, from_location_id=A, to_location_id=B
        ),
        EventDraft(kind=EventKind.STOCK_CONSUMED, item_id=1, quantity=6, from_location_id=A),
        EventDraft(
            kind=EventKind.STOCK_RECEIVED, item_id=1, lot_id=3, quantity=2, to_location_id=A
        ),
    ]
    # A is back to zero: a zero row and no row are the same thing
    assert replay(as_ledger(drafts)).stock == {(1, B, None): 4, (1, A, 3): 2}


def test_an_agreeing_state_has_no_problems() -> None:
    unit = Unit(id=1, item_id=2, tag="U-0000017", location_id=A)
    rebuilt = replay(as_ledger([created(unit)]))
    assert compare(rebuilt, State(units={1: state_of(unit)})) == []


def test_a_tampered_count_is_reported_with_both_numbers() -> None:
    rebuilt = replay(as_ledger([stock_rules.receive(ITEM, StockKey(1, A), 5)]))
    problems = compare(rebuilt, State(stock={(1, A, None): 7}))
    assert problems == [
        "stock of item 1 at location 10 lot None: 7 in the tables, the events say 5"
    ]
    assert compare(rebuilt, State()) == [
        "stock of item 1 at location 10 lot None: 0 in the tables, the events say 5"
    ]


def test_a_tampered_unit_is_reported_field_by_field() -> None:
    unit = Unit(id=1, item_id=2, tag="U-0000017", location_id=A)
    rebuilt = replay(as_ledger([created(unit)]))
    tampered = replace(state_of(unit), status="retired", location_id=B)
    assert compare(rebuilt, State(units={1: tampered})) == [
        "unit 1: location_id is 20, the events say 10",
        "unit 1: status is 'retired', the events say 'available'",
    ]


def test_units_without_events_and_events_without_units_are_both_reported() -> None:
    unit = Unit(id=1, item_id=2, tag="U-0000017", location_id=A)
    rebuilt = replay(as_ledger([created(unit)]))
    assert compare(rebuilt, State()) == ["unit 1: created by an event but missing from the tables"]
    extra = {1: state_of(unit), 2: state_of(replace(unit, id=2))}
    assert compare(rebuilt, State(units=extra)) == ["unit 2: in the tables but no event created it"]


def test_an_event_for_a_unit_never_created_surfaces_as_a_difference() -> None:
    unit = Unit(id=4, item_id=2, tag="U-0000041", location_id=A)
    _, moved = unit_rules.move(unit, B)
    problems = compare(
        replay(as_ledger([moved])), State(units={4: state_of(replace(unit, location_id=B))})
    )
    assert any("status" in p for p in problems)


# Property: random custody histories replay to the state the rules produced

steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2),
        st.sampled_from([*TRANSITIONS, "move", "condition"]),
        st.sampled_from([A, B, C]),
        st.sampled_from(PEOPLE),
        st.sampled_from(list(Condition)),
    ),
    max_size=40,
)


@given(steps)
def test_a_replay_of_the_drafted_events_reproduces_every_unit(history: list) -> None:
    units = {i: Unit(id=i, item_id=2, tag=f"U-{i:07d}", location_id=A) for i in range(3)}
    drafts = [created(u) for u in units.values()]
    for n, action, where, person, condition in history:
        unit = units[n]
        try:
            if action == "move":
                new, event = unit_rules.move(unit, where)
            elif action == "condition":
                new, event = unit_rules.set_condition(unit, condition)
            else:
                new, event = unit_rules.apply(
                    unit, action, person_id=person, location_id=where, condition=condition
                )
        except DomainError:
            continue
        units[n] = new
        drafts.append(event)
    expected = State(units={i: state_of(u) for i, u in units.items()})
    assert compare(replay(as_ledger(drafts)), expected) == []


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["receive", "consume", "move", "adjust"]),
            st.sampled_from([A, B]),
            st.integers(1, 9),
        ),
        max_size=40,
    )
)
def test_a_replay_of_stock_events_reproduces_the_counts(history: list) -> None:
    counts = dict.fromkeys((A, B), 0)
    drafts: list[EventDraft] = []
    other = dict(itertools.pairwise([A, B, A]))
    for op, where, n in history:
        key = StockKey(ITEM.id, where)
        try:
            if op == "receive":
                event = stock_rules.receive(ITEM, key, n)
            elif op == "consume":
                event = stock_rules.consume(ITEM, key, counts[where], n, "here")
            elif op == "move":
                event = stock_rules.move(ITEM, key, other[where], counts[where], n, "here")
            else:
                event = stock_rules.adjust(ITEM, key, counts[where], n, "recount")
        except DomainError:
            continue
        assert event.quantity is not None
        if event.from_location_id is not None:
            counts[event.from_location_id] -= event.quantity
        if event.to_location_id is not None:
            counts[event.to_location_id] += event.quantity
        drafts.append(event)
    actual = State(stock={(ITEM.id, loc, None): q for loc, q in counts.items() if q})
    assert compare(replay(as_ledger(drafts)), actual) == []

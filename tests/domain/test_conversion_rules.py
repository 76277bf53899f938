"""Switching tracking mode (server/domain/conversion.py) loses nothing: counts are
preserved, checked-out units are refused or checked in, collapsed units keep their record."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import conversion
from server.domain.errors import Conflict, InvalidInput
from server.domain.items import Item
from server.domain.stock import StockKey
from server.domain.units import Unit
from server.domain.vocab import ON_HAND, EventKind, Status, Tracking

ITEM_ID, A, B, LOT, DEFAULT_LOT = 1, 10, 20, 5, 9


def item(tracking: Tracking) -> Item:
    return Item(id=ITEM_ID, sku="DRILL", name="Drill", tracking=tracking)


def unit(n: int, location: int = A, status: Status = Status.AVAILABLE, **kw: object) -> Unit:
    base = Unit(
        id=n,
        item_id=ITEM_ID,
        tag=f"U-{n:07d}",
        location_id=location,
        status=status,
        custodian_id=3 if status is Status.CHECKED_OUT else None,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def after(stock: dict[StockKey, int], plan: conversion.ConversionPlan) -> dict[StockKey, int]:
    out = Counter(stock)
    out.update(plan.stock_deltas)
    return {k: v for k, v in out.items() if v}


def test_a_counted_item_becomes_one_unit_per_piece_where_the_pieces_are() -> None:
    stock = {StockKey(ITEM_ID, A): 3, StockKey(ITEM_ID, B): 2}
    plan = conversion.plan(item(Tracking.QUANTITY), Tracking.SERIAL, stock, [], lot_id=None)
    assert Counter(k.location_id for k in plan.new_units) == {A: 3, B: 2}
    assert after(stock, plan) == {}
    assert plan.events[0].kind is EventKind.ITEM_TRACKING_CHANGED
    assert plan.events[0].details == {"from": "quantity", "to": "serial"}


def test_lots_survive_into_the_units_made_from_them() -> None:
    stock = {StockKey(ITEM_ID, A, LOT): 2}
    plan = conversion.plan(item(Tracking.LOT), Tracking.SERIAL, stock, [], lot_id=None)
    assert plan.new_units == [StockKey(ITEM_ID, A, LOT)] * 2


def test_a_plain_count_goes_into_one_lot_and_back() -> None:
    stock = {StockKey(ITEM_ID, A): 4, StockKey(ITEM_ID, B): 1}
    to_lot = conversion.plan(item(Tracking.QUANTITY), Tracking.LOT, stock, [], lot_id=LOT)
    lotted = after(stock, to_lot)
    assert lotted == {StockKey(ITEM_ID, A, LOT): 4, StockKey(ITEM_ID, B, LOT): 1}
    lotted[StockKey(ITEM_ID, A, 6)] = 2
    back = conversion.plan(item(Tracking.LOT), Tracking.QUANTITY, lotted, [], lot_id=None)
    assert after(lotted, back) == {StockKey(ITEM_ID, A): 6, StockKey(ITEM_ID, B): 1}


def test_units_collapse_into_counts_per_location_and_keep_their_records() -> None:
    units = [
        unit(1),
        unit(2, B, Status.RESERVED),
        unit(3, B, Status.IN_REPAIR),
        unit(4, A, Status.RETIRED),
        unit(5, A, Status.LOST),
    ]
    plan = conversion.plan(item(Tracking.SERIAL), Tracking.QUANTITY, {}, units, lot_id=None)
    assert plan.stock_deltas == {StockKey(ITEM_ID, A): 1, StockKey(ITEM_ID, B): 2}
    assert [u.id for u in plan.collapse] == [1, 2, 3, 4, 5]  # all kept, marked collapsed
    collapsed = [e for e in plan.events if e.kind is EventKind.UNIT_COLLAPSED]
    assert {e.unit_id: e.details["counted"] for e in collapsed} == {
        1: True,
        2: True,
        3: True,
        4: False,
        5: False,
    }


def test_units_already_collapsed_are_left_alone() -> None:
    units = [unit(1), unit(2, collapsed=True)]
    plan = conversion.plan(item(Tracking.SERIAL), Tracking.QUANTITY, {}, units, lot_id=None)
    assert [u.id for u in plan.collapse] == [1]


def test_collapsing_into_lots_keeps_a_units_lot_or_uses_the_default() -> None:
    units = [unit(1, lot_id=LOT), unit(2)]
    plan = conversion.plan(item(Tracking.SERIAL), Tracking.LOT, {}, units, lot_id=DEFAULT_LOT)
    assert plan.stock_deltas == {StockKey(ITEM_ID, A, LOT): 1, StockKey(ITEM_ID, A, DEFAULT_LOT): 1}


def test_checked_out_units_refuse_the_change_and_are_named() -> None:
    units = [unit(1), unit(2, status=Status.CHECKED_OUT)]
    with pytest.raises(Conflict) as caught:
        conversion.plan(item(Tracking.SERIAL), Tracking.QUANTITY, {}, units, lot_id=None)
    err = caught.value
    assert (err.code, err.field) == ("units_checked_out", "on_checked_out")
    assert err.details == {"checked_out": ["U-0000002"]}
    assert "U-0000002" in err.message


def test_checked_out_units_can_be_checked_in_first_and_then_count() -> None:
    units = [unit(1), unit(2, B, Status.CHECKED_OUT)]
    plan = conversion.plan(
        item(Tracking.SERIAL), Tracking.QUANTITY, {}, units, lot_id=None, on_checked_out="check_in"
    )
    assert [u.id for u in plan.check_in] == [2]
    assert plan.stock_deltas == {StockKey(ITEM_ID, A): 1, StockKey(ITEM_ID, B): 1}


def test_an_unknown_checked_out_choice_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        conversion.plan(
            item(Tracking.SERIAL), Tracking.QUANTITY, {}, [], lot_id=None, on_checked_out="ignore"
        )
    assert caught.value.field == "on_checked_out"


def test_converting_to_the_same_mode_changes_nothing() -> None:
    with pytest.raises(Conflict) as caught:
        conversion.plan(item(Tracking.LOT), Tracking.LOT, {}, [], lot_id=LOT)
    assert caught.value.code == "no_change"


def test_negative_stock_must_be_counted_before_a_conversion() -> None:
    stock = {StockKey(ITEM_ID, A): -2}
    with pytest.raises(Conflict) as caught:
        conversion.plan(item(Tracking.QUANTITY), Tracking.SERIAL, stock, [], lot_id=None)
    assert caught.value.code == "negative_stock"


def test_the_events_describe_the_stock_deltas_exactly() -> None:
    stock = {StockKey(ITEM_ID, A): 3, StockKey(ITEM_ID, B): 0}
    plan = conversion.plan(item(Tracking.QUANTITY), Tracking.LOT, stock, [], lot_id=LOT)
    from_events: Counter[StockKey] = Counter()
    for e in plan.events:
        if e.kind is EventKind.STOCK_CONVERTED:
            assert e.quantity is not None
            if e.from_location_id is not None:
                from_events[StockKey(ITEM_ID, e.from_location_id, e.lot_id)] -= e.quantity
            if e.to_location_id is not None:
                from_events[StockKey(ITEM_ID, e.to_location_id, e.lot_id)] += e.quantity
    assert from_events == plan.stock_deltas


# Properties: whatever the starting point, the count is preserved

counted_stock = st.dictionaries(
    st.builds(StockKey, st.just(ITEM_ID), st.sampled_from([A, B, 30])),
    st.integers(min_value=0, max_value=20),
    max_size=3,
)
unit_lists = st.lists(
    st.tuples(st.sampled_from([A, B]), st.sampled_from(list(Status)), st.booleans()),
    max_size=25,
).map(
    lambda rows: [
        unit(i, loc, status, collapsed=gone) for i, (loc, status, gone) in enumerate(rows, start=1)
    ]
)


@given(counted_stock, st.sampled_from([Tracking.LOT, Tracking.SERIAL]))
def test_converting_a_count_preserves_it(stock: dict[StockKey, int], target: Tracking) -> None:
    plan = conversion.plan(item(Tracking.QUANTITY), target, stock, [], lot_id=LOT)
    total = sum(stock.values())
    if target is Tracking.SERIAL:
        assert len(plan.new_units) == total and after(stock, plan) == {}
    else:
        assert sum(after(stock, plan).values()) == total
        assert all(k.lot_id == LOT for k in after(stock, plan))


@given(unit_lists, st.sampled_from([Tracking.QUANTITY, Tracking.LOT]))
def test_collapsing_preserves_the_count_of_units_on_hand(
    units: list[Unit], target: Tracking
) -> None:
    plan = conversion.plan(
        item(Tracking.SERIAL), target, {}, units, lot_id=DEFAULT_LOT, on_checked_out="check_in"
    )
    live = [u for u in units if not u.collapsed]
    on_hand = Counter(u.location_id for u in live if u.status in ON_HAND)
    assert Counter({k.location_id: v for k, v in plan.stock_deltas.items()}) == on_hand
    assert len(plan.collapse) == len(live)
    assert {u.id for u in plan.check_in} == {u.id for u in live if u.status is Status.CHECKED_OUT}


def test_units_collapsed_earlier_come_back_with_their_tags_before_new_ones_are_made() -> None:
    """The labels on the machines still carry the old tags: a round trip serial -> count ->
    serial gives the same units back, where they were first, then where pieces remain."""
    collapsed = [unit(1, A, collapsed=True), unit(2, A, collapsed=True),
                 unit(3, B, collapsed=True), unit(4, A, Status.RETIRED, collapsed=True),
                 unit(5, A, Status.IN_REPAIR, collapsed=True)]
    stock = {StockKey(ITEM_ID, A): 2, StockKey(ITEM_ID, B): 3}
    plan = conversion.plan(item(Tracking.QUANTITY), Tracking.SERIAL, stock, collapsed,
                           lot_id=None)
    back = {u.id: k.location_id for u, k in plan.restore}
    assert back == {1: A, 2: A, 3: B, 5: B}  # 5 (in repair, counted) fills a piece at B
    assert plan.new_units == [StockKey(ITEM_ID, B)]  # one piece more than units waiting
    assert after(stock, plan) == {}
    restored = [e for e in plan.events if e.kind is EventKind.UNIT_RESTORED]
    assert [(e.unit_id, e.from_location_id, e.to_location_id) for e in restored] == [
        (1, None, A), (2, None, A), (3, None, B), (5, A, B)]
    assert restored[-1].details == {"status": "in_repair"}


@given(st.dictionaries(st.sampled_from([A, B, 30]), st.integers(1, 4), max_size=3),
       st.lists(st.tuples(st.sampled_from([A, B, 30]), st.sampled_from(list(Status))),
                max_size=8))
def test_a_switch_to_units_makes_exactly_one_unit_per_piece(
        counts: dict[int, int], waiting: list[tuple[int, Status]]) -> None:
    stock = {StockKey(ITEM_ID, loc): n for loc, n in counts.items()}
    units = [unit(i + 1, loc, status, collapsed=True) for i, (loc, status) in enumerate(waiting)]
    plan = conversion.plan(item(Tracking.QUANTITY), Tracking.SERIAL, stock, units, lot_id=None)
    per_place = Counter(k.location_id for k in plan.new_units)
    per_place.update(k.location_id for _, k in plan.restore)
    assert per_place == Counter(counts)
    assert len({u.id for u, _ in plan.restore}) == len(plan.restore)
    assert all(u.status in conversion.COUNTED_WHEN_COLLAPSED for u, _ in plan.restore)
    counted_waiting = sum(1 for _, s in waiting if s in conversion.COUNTED_WHEN_COLLAPSED)
    assert len(plan.restore) == min(counted_waiting, sum(counts.values()))

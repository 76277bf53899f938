"""Counted stock (server/domain/stock.py): never below zero unless the item allows it, an
adjustment needs a reason, a move never goes negative."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import stock as rules
from server.domain.errors import Conflict, DomainError, InvalidInput
from server.domain.items import Item
from server.domain.stock import StockKey
from server.domain.vocab import EventKind, Tracking

SHELF, BIN = 10, 20
CABLES = Item(id=1, sku="CABLE-1", name="Cables", tracking=Tracking.QUANTITY)
LOTTED = Item(id=2, sku="SALINE", name="Saline", tracking=Tracking.LOT)
LAPTOP = Item(id=3, sku="LAPTOP", name="Laptop", tracking=Tracking.SERIAL)
AT_SHELF = StockKey(CABLES.id, SHELF)


def test_receiving_adds_the_count_at_the_location() -> None:
    event = rules.receive(CABLES, AT_SHELF, 12, "from supplier")
    assert (event.kind, event.quantity, event.to_location_id, event.from_location_id) == (
        EventKind.STOCK_RECEIVED,
        12,
        SHELF,
        None,
    )
    assert event.quantity_delta == 12


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3"])
def test_a_quantity_must_be_a_whole_number_above_zero(bad: object) -> None:
    for call in (
        lambda: rules.receive(CABLES, AT_SHELF, bad),  # type: ignore[arg-type]
        lambda: rules.consume(CABLES, AT_SHELF, 5, bad, "Shelf"),  # type: ignore[arg-type]
        lambda: rules.move(CABLES, AT_SHELF, BIN, 5, bad, "Shelf"),
    ):  # type: ignore[arg-type]
        with pytest.raises(InvalidInput) as caught:
            call()
        assert caught.value.field == "quantity"


def test_an_archived_item_receives_nothing() -> None:
    with pytest.raises(Conflict) as caught:
        rules.receive(replace(CABLES, archived=True), AT_SHELF, 1)
    assert caught.value.code == "item_archived"


def test_a_serialized_item_has_no_count_to_receive_consume_adjust_or_move() -> None:
    key = StockKey(LAPTOP.id, SHELF)
    for call in (
        lambda: rules.receive(LAPTOP, key, 1),
        lambda: rules.consume(LAPTOP, key, 1, 1, "Shelf"),
        lambda: rules.adjust(LAPTOP, key, 1, 2, "count"),
        lambda: rules.move(LAPTOP, key, BIN, 1, 1, "Shelf"),
    ):
        with pytest.raises(Conflict) as caught:
            call()
        assert caught.value.code == "wrong_tracking"


def test_a_lot_item_needs_a_lot_and_a_plain_item_refuses_one() -> None:
    with pytest.raises(InvalidInput) as missing:
        rules.receive(LOTTED, StockKey(LOTTED.id, SHELF), 1)
    assert missing.value.field == "lot"
    with pytest.raises(InvalidInput) as extra:
        rules.receive(CABLES, StockKey(CABLES.id, SHELF, lot_id=5), 1)
    assert extra.value.field == "lot"
    event = rules.receive(LOTTED, StockKey(LOTTED.id, SHELF, lot_id=5), 3)
    assert event.lot_id == 5


def test_consuming_more_than_is_there_is_refused_with_the_numbers() -> None:
    with pytest.raises(Conflict) as caught:
        rules.consume(CABLES, AT_SHELF, 3, 4, "Shelf A")
    err = caught.value
    assert (err.code, err.field, err.details) == (
        "insufficient_stock",
        "quantity",
        {"on_hand": 3, "asked": 4},
    )
    assert "Shelf A" in err.message and "3 left, 4 asked" in err.message


def test_consuming_everything_leaves_zero() -> None:
    event = rules.consume(CABLES, AT_SHELF, 4, 4, "Shelf")
    assert (event.kind, event.from_location_id, event.quantity_delta) == (
        EventKind.STOCK_CONSUMED,
        SHELF,
        -4,
    )


def test_an_item_that_allows_negative_stock_may_be_consumed_below_zero() -> None:
    event = rules.consume(replace(CABLES, allow_negative=True), AT_SHELF, 1, 5, "Shelf")
    assert event.quantity == 5


def test_an_adjustment_needs_a_reason() -> None:
    for reason in ("", "   "):
        with pytest.raises(InvalidInput) as caught:
            rules.adjust(CABLES, AT_SHELF, 3, 5, reason)
        assert caught.value.field == "reason"


def test_an_adjustment_records_the_difference_and_the_count() -> None:
    up = rules.adjust(CABLES, AT_SHELF, 3, 5, "  stocktake  ")
    assert (up.quantity, up.to_location_id, up.from_location_id, up.note) == (
        2,
        SHELF,
        None,
        "stocktake",
    )
    assert up.details == {"counted": 5, "was": 3}
    down = rules.adjust(CABLES, AT_SHELF, 3, 0, "broken")
    assert (down.quantity, down.from_location_id, down.to_location_id) == (3, SHELF, None)


def test_an_adjustment_to_the_same_count_changes_nothing() -> None:
    with pytest.raises(Conflict) as caught:
        rules.adjust(CABLES, AT_SHELF, 3, 3, "recount")
    assert caught.value.code == "no_change"


def test_a_negative_count_is_refused_unless_the_item_allows_it() -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.adjust(CABLES, AT_SHELF, 3, -1, "count")
    assert caught.value.field == "counted"
    assert rules.adjust(replace(CABLES, allow_negative=True), AT_SHELF, 3, -1, "x").quantity == 4


@pytest.mark.parametrize("bad", [1.5, True, "4"])
def test_a_counted_value_must_be_a_whole_number(bad: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.adjust(CABLES, AT_SHELF, 3, bad, "count")  # type: ignore[arg-type]
    assert caught.value.field == "counted"


def test_a_move_transfers_the_count_between_locations() -> None:
    event = rules.move(CABLES, AT_SHELF, BIN, 5, 2, "Shelf")
    assert (event.kind, event.from_location_id, event.to_location_id, event.quantity) == (
        EventKind.STOCK_MOVED,
        SHELF,
        BIN,
        2,
    )
    assert event.quantity_delta == 0


def test_a_move_to_the_same_place_names_the_target_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.move(CABLES, AT_SHELF, SHELF, 5, 1, "Shelf")
    assert caught.value.field == "to_location"


@pytest.mark.parametrize("allow_negative", [False, True])
def test_a_move_never_goes_negative_even_when_consume_may(allow_negative: bool) -> None:
    item = replace(CABLES, allow_negative=allow_negative)
    with pytest.raises(Conflict) as caught:
        rules.move(item, AT_SHELF, BIN, 1, 2, "Shelf")
    assert caught.value.code == "insufficient_stock"


# Random sequences through the rules: a count never goes below zero


ops = st.lists(
    st.tuples(
        st.sampled_from(["receive", "consume", "adjust", "move"]),
        st.sampled_from([SHELF, BIN]),
        st.integers(min_value=-3, max_value=30),
    ),
    max_size=60,
)


def _step(item: Item, counts: dict[int, int], op: str, where: int, n: int) -> None:
    """Apply one operation through the rules; a refusal leaves `counts` as it was."""
    key = StockKey(item.id, where)
    other = BIN if where == SHELF else SHELF
    if op == "receive":
        event = rules.receive(item, key, n)
    elif op == "consume":
        event = rules.consume(item, key, counts[where], n, "here")
    elif op == "adjust":
        event = rules.adjust(item, key, counts[where], n, "stocktake")
    else:
        event = rules.move(item, key, other, counts[where], n, "here")
    assert event.quantity is not None and event.quantity > 0
    if event.from_location_id is not None:
        counts[event.from_location_id] -= event.quantity
    if event.to_location_id is not None:
        counts[event.to_location_id] += event.quantity


@given(ops)
def test_random_stock_operations_never_drive_a_count_below_zero(sequence: list) -> None:
    counts = {SHELF: 0, BIN: 0}
    for op, where, n in sequence:
        before = dict(counts)
        try:
            _step(CABLES, counts, op, where, n)
        except DomainError:
            assert counts == before
        assert min(counts.values()) >= 0
        if op == "adjust" and counts != before:
            assert counts[where] == n


@given(ops)
def test_with_negative_allowed_only_consume_and_adjust_go_below_zero(sequence: list) -> None:
    item = replace(CABLES, allow_negative=True)
    counts = {SHELF: 0, BIN: 0}
    for op, where, n in sequence:
        before = dict(counts)
        try:
            _step(item, counts, op, where, n)
        except DomainError:
            continue
        if op in ("receive", "move"):
            for loc, value in counts.items():
                assert value >= min(before[loc], 0)


def _lot(n: int, on_hand: int, expires: str | None) -> rules.LotOnHand:
    import datetime as dt

    return rules.LotOnHand(n, f"L{n}", dt.date.fromisoformat(expires) if expires else None,
                           on_hand)


def test_first_expiry_first_out_takes_the_soonest_lot_and_spills_into_the_next() -> None:
    lots = [_lot(1, 5, None), _lot(2, 2, "2027-06-01"), _lot(3, 4, "2027-01-01"),
            _lot(4, 0, "2026-01-01"), _lot(5, 1, "2027-06-01")]
    taken = rules.first_expiry_first(LOTTED, lots, 8, "Shelf")
    assert [(lot.lot_id, n) for lot, n in taken] == [(3, 4), (2, 2), (5, 1), (1, 1)]
    with pytest.raises(Conflict) as refused:
        rules.first_expiry_first(LOTTED, lots, 13, "Shelf")
    assert refused.value.details == {"on_hand": 12, "asked": 13}
    with pytest.raises(DomainError):
        rules.first_expiry_first(CABLES, lots, 1, "Shelf")


@given(st.lists(st.tuples(st.integers(0, 5), st.one_of(st.none(), st.dates())), max_size=6),
       st.integers(1, 40))
def test_first_expiry_first_takes_exactly_what_was_asked_and_never_more_than_a_lot_holds(
        spec: list[tuple[int, object]], quantity: int) -> None:
    lots = [rules.LotOnHand(i + 1, f"L{i}", when, n)  # type: ignore[arg-type]
            for i, (n, when) in enumerate(spec)]
    total = sum(n for n, _ in spec)
    if total < quantity:
        with pytest.raises(Conflict):
            rules.first_expiry_first(LOTTED, lots, quantity, "Shelf")
        return
    taken = rules.first_expiry_first(LOTTED, lots, quantity, "Shelf")
    assert sum(n for _, n in taken) == quantity
    assert all(0 < n <= lot.on_hand for lot, n in taken)
    assert all(n == lot.on_hand for lot, n in taken[:-1])  # only the last lot is left part-full
    untouched = [lot for lot in lots if lot.on_hand and lot not in [t for t, _ in taken]]
    last = taken[-1][0]
    for lot in untouched:  # nothing left behind expires before what was taken
        if last.expires_on is not None and lot.expires_on is not None:
            assert lot.expires_on >= last.expires_on
        if last.expires_on is None:
            assert lot.expires_on is None

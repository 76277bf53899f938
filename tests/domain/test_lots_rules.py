"""Lot expiry (server/domain/lots.py) on a fixed day: a lot is good on its expiry date and
expired from the next day; "expiring within N days" counts today and excludes what has
expired; a change of expiry needs a reason and a different date, and drafts one event."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import lots as rules
from server.domain.errors import Conflict, InvalidInput
from server.domain.lots import Expiry, Lot
from server.domain.vocab import EventKind

TODAY = dt.date(2026, 11, 29)
DAY = dt.timedelta(days=1)
SALINE = Lot(id=7, item_id=3, code="L2511K", expires_on=dt.date(2026, 12, 15))


def test_a_lot_is_still_good_on_its_expiry_date_and_expired_the_day_after() -> None:
    assert not rules.is_expired(TODAY, TODAY)
    assert rules.is_expired(TODAY - DAY, TODAY)
    assert rules.expiry(TODAY, TODAY) is Expiry.SOON
    assert rules.expiry(TODAY - DAY, TODAY) is Expiry.EXPIRED


def test_a_lot_without_an_expiry_date_never_expires() -> None:
    assert not rules.is_expired(None, TODAY)
    assert rules.days_left(None, TODAY) is None
    assert not rules.expiring_within(None, TODAY, 90)
    assert rules.expiry(None, dt.date(9999, 12, 31)) is Expiry.NONE


def test_days_left_count_to_the_expiry_date_and_go_negative_after() -> None:
    assert rules.days_left(TODAY + 30 * DAY, TODAY) == 30
    assert rules.days_left(TODAY, TODAY) == 0
    assert rules.days_left(TODAY - 3 * DAY, TODAY) == -3


@pytest.mark.parametrize("days", rules.EXPIRY_WINDOWS)
def test_expiring_within_a_window_includes_today_and_its_last_day_only(days: int) -> None:
    assert rules.expiring_within(TODAY, TODAY, days)
    assert rules.expiring_within(TODAY + days * DAY, TODAY, days)
    assert not rules.expiring_within(TODAY + (days + 1) * DAY, TODAY, days)
    assert not rules.expiring_within(TODAY - DAY, TODAY, days)  # expired is not "expiring"
    assert rules.window(TODAY, days) == (TODAY, TODAY + days * DAY)


def test_the_pages_warn_within_thirty_days() -> None:
    assert rules.expiry(TODAY + 30 * DAY, TODAY) is Expiry.SOON
    assert rules.expiry(TODAY + 31 * DAY, TODAY) is Expiry.GOOD


@pytest.mark.parametrize("days", [0, -1, rules.MAX_WINDOW_DAYS + 1, True])
def test_a_window_outside_one_day_to_ten_years_is_refused(days: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.window(TODAY, days)
    assert refused.value.field == "expiring_within"


@given(st.dates(), st.dates(), st.integers(min_value=1, max_value=rules.MAX_WINDOW_DAYS))
def test_a_lot_is_never_both_expired_and_expiring(expires: dt.date, today: dt.date,
                                                  days: int) -> None:
    assert not (rules.is_expired(expires, today) and rules.expiring_within(expires, today, days))


def test_a_change_of_expiry_drafts_one_event_with_both_dates_and_the_reason() -> None:
    event = rules.change_expiry(SALINE, dt.date(2027, 6, 30), "  supplier corrected the CoA ")
    assert event.kind is EventKind.LOT_EXPIRY_CHANGED
    assert (event.item_id, event.lot_id, event.quantity) == (3, 7, None)
    assert event.note == "supplier corrected the CoA"
    assert event.details == {"from": "2026-12-15", "to": "2027-06-30", "code": "L2511K"}


def test_an_expiry_can_be_cleared_and_set_again() -> None:
    cleared = rules.change_expiry(SALINE, None, "does not expire")
    assert cleared.details["to"] is None
    undated = Lot(id=8, item_id=3, code="L1", expires_on=None)
    assert rules.change_expiry(undated, TODAY, "dated after all").details["from"] is None


@pytest.mark.parametrize("reason", ["", "   ", "x" * (rules.MAX_REASON + 1)])
def test_a_change_of_expiry_without_a_usable_reason_is_refused_at_the_reason(reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.change_expiry(SALINE, TODAY, reason)
    assert refused.value.field == "reason"


def test_setting_the_same_expiry_again_is_refused_as_no_change() -> None:
    with pytest.raises(Conflict) as refused:
        rules.change_expiry(SALINE, SALINE.expires_on, "typo")
    assert (refused.value.code, refused.value.field) == ("no_change", "expires_on")
    with pytest.raises(Conflict):
        rules.change_expiry(Lot(id=8, item_id=3, code="L1"), None, "typo")


def test_the_ledger_rebuilds_a_lots_expiry_and_names_one_changed_without_an_event() -> None:
    from server.domain.events import EventDraft
    from server.domain.ledger import LotState, State, compare, replay
    from tests.domain.test_ledger import as_ledger

    created = EventDraft(kind=EventKind.LOT_CREATED, item_id=3, lot_id=7,
                         details={"code": "L2511K", "expires_on": "2026-12-15"})
    changed = rules.change_expiry(SALINE, dt.date(2027, 6, 30), "supplier corrected the CoA")
    rebuilt = replay(as_ledger([created, changed]))
    assert rebuilt.lots == {7: LotState(3, "L2511K", "2027-06-30")}
    assert compare(rebuilt, State(lots={7: LotState(3, "L2511K", "2027-06-30")})) == []
    edited = State(lots={7: LotState(3, "L2511K", "2028-01-01")})  # an UPDATE, no event
    assert compare(rebuilt, edited) == [
        "lot 7: expires_on is '2028-01-01', the events say '2027-06-30'"]
    assert compare(rebuilt, State()) == ["lot 7: created by an event but missing from the tables"]

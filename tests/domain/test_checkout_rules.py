"""What a check-out asks before it lends: a unit in working order (or a manager's reason to
lend it anyway), and a due date that is not in the past (or one confirmed), else the
item's or the site's loan period. The clock is an argument: no test reads the time."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain import loans
from server.domain import units as rules
from server.domain.actors import KIOSK_ACTIONS, Actor
from server.domain.errors import Conflict, Forbidden, InvalidInput
from server.domain.timezones import zone
from server.domain.units import Unit
from server.domain.vocab import Condition, EventKind, Role, Status

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
DANA = 7


def unit(condition: Condition = Condition.WORKING) -> Unit:
    return Unit(id=1, item_id=2, tag="U-0000017", location_id=100, condition=condition)


# ---- condition ----

def test_a_unit_in_working_order_is_lent_with_nothing_added_to_its_event():
    new, event = rules.apply(unit(), "check_out", person_id=DANA)
    assert new.status is Status.CHECKED_OUT and new.custodian_id == DANA
    assert "condition_override" not in event.details


@pytest.mark.parametrize("condition, words", [(Condition.NEEDS_REPAIR, "needs repair"),
                                              (Condition.DAMAGED, "is damaged")])
def test_a_unit_that_needs_repair_or_is_damaged_is_refused_with_the_note_people_wrote(
        condition, words):
    with pytest.raises(Conflict) as refused:
        rules.apply(unit(condition), "check_out", person_id=DANA, condition_note="chuck slips")
    assert refused.value.message == f"unit U-0000017 {words}: chuck slips"
    assert refused.value.code == "unit_not_working"
    assert refused.value.details["condition"] == condition.value
    assert refused.value.details["override"] == "override_condition"


def test_without_a_note_the_refusal_names_the_condition_alone():
    with pytest.raises(Conflict, match=r"^unit U-0000017 needs repair$"):
        rules.apply(unit(Condition.NEEDS_REPAIR), "check_out", person_id=DANA)


def test_an_override_with_a_reason_lends_it_and_the_event_keeps_the_reason():
    new, event = rules.apply(unit(Condition.DAMAGED), "check_out", person_id=DANA,
                             override_reason="  only the case is cracked ")
    assert new.status is Status.CHECKED_OUT and new.condition is Condition.DAMAGED
    assert event.kind is EventKind.UNIT_CHECKED_OUT
    assert event.details["condition_override"] == "only the case is cracked"
    assert event.details["lent_condition"] == "damaged"


def test_an_override_without_a_reason_is_refused_naming_the_reason_field():
    with pytest.raises(InvalidInput) as refused:
        rules.apply(unit(Condition.NEEDS_REPAIR), "check_out", person_id=DANA,
                    override_reason="   ")
    assert refused.value.field == "override_reason"


def test_the_condition_only_matters_for_lending():
    out = Unit(id=1, item_id=2, tag="U-0000017", location_id=100, status=Status.CHECKED_OUT,
               custodian_id=DANA, condition=Condition.DAMAGED)
    back, _ = rules.apply(out, "check_in")
    assert back.status is Status.AVAILABLE
    repair, _ = rules.apply(back, "send_to_repair")
    assert repair.status is Status.IN_REPAIR


# ---- due dates ----

def test_a_due_date_in_the_future_is_kept():
    due = NOW + dt.timedelta(days=2)
    assert loans.due_date(due, NOW, item_days=3, site_days=7) == due


def test_a_due_date_in_the_past_is_refused_naming_due_at_unless_allowed():
    past = NOW - dt.timedelta(minutes=1)
    with pytest.raises(InvalidInput) as refused:
        loans.due_date(past, NOW)
    assert (refused.value.field, refused.value.code) == ("due_at", "due_in_past")
    assert loans.due_date(past, NOW, allow_past=True) == past


def test_a_due_date_without_a_zone_is_read_as_utc_before_it_is_compared():
    assert loans.due_date(dt.datetime(2026, 11, 29, 13), NOW) == NOW + dt.timedelta(hours=1)
    with pytest.raises(InvalidInput):
        loans.due_date(dt.datetime(2026, 11, 29, 11), NOW)


def test_no_due_date_given_takes_the_items_loan_period_first_then_the_sites():
    assert loans.due_date(None, NOW, item_days=3, site_days=7) == end_of(dt.date(2026, 12, 2))
    assert loans.due_date(None, NOW, item_days=None, site_days=7) == end_of(dt.date(2026, 12, 6))


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)


def test_a_loan_period_ends_at_the_end_of_the_day_where_the_borrowing_happens():
    # 29 Nov 12:00 UTC is 04:00 in Los Angeles: 7 days on is the end of 6 Dec there
    la = zone("America/Los_Angeles")
    assert loans.due_date(None, NOW, site_days=7, zone=la) == \
        dt.datetime(2026, 12, 7, 7, 59, 59, tzinfo=dt.UTC)
    # 29 Nov 12:00 UTC is already 30 Nov in Auckland (UTC+13)
    auckland = zone("Pacific/Auckland")
    assert loans.due_date(None, NOW, site_days=1, zone=auckland) == \
        dt.datetime(2026, 12, 1, 10, 59, 59, tzinfo=dt.UTC)


def test_a_loan_period_of_zero_or_none_at_all_means_no_due_date():
    assert loans.due_date(None, NOW, item_days=0, site_days=7) is None
    assert loans.due_date(None, NOW, item_days=None, site_days=0) is None
    assert loans.due_date(None, NOW) is None


@pytest.mark.parametrize("bad", [-1, 3651, 1.5, "7", True])
def test_a_loan_period_is_a_whole_number_of_days_within_ten_years(bad):
    with pytest.raises(InvalidInput) as refused:
        loans.check_loan_days(bad)
    assert refused.value.field == "loan_days"


def test_a_loan_period_may_be_empty():
    assert loans.check_loan_days(None) is None and loans.check_loan_days("") is None
    assert loans.check_loan_days(14) == 14


# ---- the kiosk role ----

def test_a_kiosk_account_passes_only_the_routes_marked_for_the_kiosk():
    kiosk = Actor(5, "door", Role.KIOSK)
    kiosk.require(Role.OPERATOR, kiosk=True)
    for needed in Role:
        with pytest.raises(Forbidden, match="kiosk"):
            kiosk.require(needed)


def test_a_kiosk_account_scans_only_to_look_up_check_out_and_check_in():
    kiosk = Actor(5, "door", Role.KIOSK)
    for action in KIOSK_ACTIONS:
        kiosk.require_scan(action)
    for action in ("move", "receive", "consume", "claim", "audit"):
        with pytest.raises(Forbidden, match="the kiosk role cannot"):
            kiosk.require_scan(action)
    Actor(1, "op", Role.OPERATOR).require_scan("receive")


def test_the_kiosk_role_ranks_below_a_viewer():
    assert not Role.KIOSK.allows(Role.VIEWER)
    assert Role.VIEWER.allows(Role.KIOSK)

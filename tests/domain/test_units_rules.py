"""The custody state machine (server/domain/units.py): every allowed and every refused
transition, written out here independently of the TRANSITIONS table it checks."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace

import pytest

from server.domain import units as rules
from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.units import TRANSITIONS, Unit
from server.domain.vocab import Condition, EventKind, Status

S = Status
ALL = frozenset(Status)
PERSON, OTHER_PERSON, HOME, ELSEWHERE = 7, 8, 100, 200

# action -> (statuses it may start from, status it ends in, event kind)
EXPECTED = {
    "check_out": ({S.AVAILABLE, S.RESERVED}, S.CHECKED_OUT, EventKind.UNIT_CHECKED_OUT),
    "check_in": ({S.CHECKED_OUT}, S.AVAILABLE, EventKind.UNIT_CHECKED_IN),
    "reserve": ({S.AVAILABLE}, S.RESERVED, EventKind.UNIT_STATUS_CHANGED),
    "unreserve": ({S.RESERVED}, S.AVAILABLE, EventKind.UNIT_STATUS_CHANGED),
    "send_to_repair": ({S.AVAILABLE, S.RESERVED}, S.IN_REPAIR, EventKind.UNIT_STATUS_CHANGED),
    "return_from_repair": ({S.IN_REPAIR}, S.AVAILABLE, EventKind.UNIT_STATUS_CHANGED),
    "retire": (
        {S.AVAILABLE, S.RESERVED, S.IN_REPAIR, S.LOST},
        S.RETIRED,
        EventKind.UNIT_STATUS_CHANGED,
    ),
    "mark_lost": (
        {S.AVAILABLE, S.RESERVED, S.IN_REPAIR, S.CHECKED_OUT},
        S.LOST,
        EventKind.UNIT_STATUS_CHANGED,
    ),
    "mark_found": ({S.LOST}, S.AVAILABLE, EventKind.UNIT_STATUS_CHANGED),
}

REASONS = {
    S.CHECKED_OUT: "it is checked out",
    S.RETIRED: "it is retired",
    S.LOST: "it is marked lost",
    S.IN_REPAIR: "it is in repair",
    S.RESERVED: "it is reserved",
    S.AVAILABLE: "it is available (not out)",
}

ALLOWED = [(a, s) for a, (sources, _, _) in EXPECTED.items() for s in sorted(sources)]
REFUSED = [(a, s) for a, (sources, _, _) in EXPECTED.items() for s in sorted(ALL - sources)]


def unit_in(status: Status, **kw: object) -> Unit:
    custodian = PERSON if status is S.CHECKED_OUT else None
    base = Unit(
        id=1, item_id=2, tag="U-0000017", location_id=HOME, status=status, custodian_id=custodian
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def run(unit: Unit, action: str) -> tuple[Unit, EventDraft]:
    kw = {"person_id": OTHER_PERSON} if action == "check_out" else {}
    return rules.apply(unit, action, **kw)


def test_the_transition_table_is_exactly_the_expected_one() -> None:
    assert {a: (set(t.sources), t.target, t.event) for a, t in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("action", "status"), ALLOWED)
def test_an_allowed_transition_moves_the_unit_and_drafts_one_event(
    action: str, status: Status
) -> None:
    unit = unit_in(status)
    new, event = run(unit, action)
    _, target, kind = EXPECTED[action]
    assert new.status is target
    assert new.version == unit.version + 1
    assert event.kind is kind
    assert event.unit_id == unit.id and event.item_id == unit.item_id
    assert event.details["action"] == action
    assert event.details["status"] == target.value
    assert event.details["from_status"] == status.value
    assert (new.custodian_id is not None) == (target is S.CHECKED_OUT)


@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_a_refused_transition_is_a_conflict_naming_the_reason(action: str, status: Status) -> None:
    unit = unit_in(status)
    with pytest.raises(Conflict) as caught:
        run(unit, action)
    err = caught.value
    assert err.code == f"unit_{status.value}"
    assert err.message == (f"cannot {action.replace('_', ' ')} unit {unit.tag}: {REASONS[status]}")
    assert err.details["status"] == status.value


def test_every_pair_of_action_and_status_is_covered() -> None:
    assert len(ALLOWED) + len(REFUSED) == len(EXPECTED) * len(ALL)


def test_check_out_hands_the_unit_to_the_person_with_its_due_date() -> None:
    due = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)
    new, event = rules.apply(unit_in(S.AVAILABLE), "check_out", person_id=PERSON, due_at=due)
    assert (new.custodian_id, new.due_at) == (PERSON, due)
    assert (event.to_person_id, event.from_person_id) == (PERSON, None)
    assert event.details["due_at"] == due.isoformat()


def test_check_out_without_a_person_names_the_person_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.apply(unit_in(S.AVAILABLE), "check_out")
    assert caught.value.field == "person"


def test_check_in_takes_the_unit_back_where_it_is_put_and_in_the_condition_seen() -> None:
    out = unit_in(S.CHECKED_OUT, due_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    new, event = rules.apply(out, "check_in", location_id=ELSEWHERE, condition=Condition.DAMAGED)
    assert (new.status, new.custodian_id, new.due_at) == (S.AVAILABLE, None, None)
    assert (new.location_id, new.condition) == (ELSEWHERE, Condition.DAMAGED)
    assert (event.from_person_id, event.from_location_id, event.to_location_id) == (
        PERSON,
        HOME,
        ELSEWHERE,
    )
    assert (event.details["condition"], event.details["from_condition"]) == ("damaged", "working")


def test_check_in_without_a_location_keeps_the_unit_where_it_was() -> None:
    new, event = rules.apply(unit_in(S.CHECKED_OUT), "check_in")
    assert new.location_id == HOME and event.to_location_id == HOME
    assert "condition" not in event.details


def test_marking_a_checked_out_unit_lost_ends_the_loan() -> None:
    new, event = rules.apply(unit_in(S.CHECKED_OUT), "mark_lost")
    assert (new.status, new.custodian_id) == (S.LOST, None)
    assert event.from_person_id == PERSON


def test_an_unknown_action_names_the_action_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.apply(unit_in(S.AVAILABLE), "teleport")
    assert caught.value.field == "action"


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_a_collapsed_unit_refuses_every_action(action: str) -> None:
    with pytest.raises(Conflict) as caught:
        run(unit_in(S.AVAILABLE, collapsed=True), action)
    assert caught.value.code == "unit_collapsed"


# set_status: a plain status edit goes through the same table


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ALL, ALL)))
def test_a_status_edit_follows_the_table(current: Status, target: Status) -> None:
    unit = unit_in(current)
    if target is current:
        with pytest.raises(Conflict) as conflict:
            rules.set_status(unit, target)
        assert conflict.value.code == "no_change"
        return
    if target is S.CHECKED_OUT or (current is S.CHECKED_OUT and target is S.AVAILABLE):
        with pytest.raises(InvalidInput) as invalid:
            rules.set_status(unit, target)
        assert invalid.value.field == "status"
        return
    allowed = any(current in sources and to is target for sources, to, _ in EXPECTED.values())
    if not allowed:
        with pytest.raises(Conflict) as refused:
            rules.set_status(unit, target)
        assert refused.value.code == "invalid_transition"
        assert refused.value.field == "status"
        return
    new, event = rules.set_status(unit, target)
    assert new.status is target and event.details["status"] == target.value


# moves and condition


@pytest.mark.parametrize("status", [S.AVAILABLE, S.RESERVED, S.IN_REPAIR, S.CHECKED_OUT])
def test_a_unit_on_hand_moves_and_the_event_says_from_where_to_where(status: Status) -> None:
    new, event = rules.move(unit_in(status), ELSEWHERE)
    assert new.location_id == ELSEWHERE and new.status is status
    assert (event.kind, event.from_location_id, event.to_location_id) == (
        EventKind.UNIT_MOVED,
        HOME,
        ELSEWHERE,
    )


@pytest.mark.parametrize("status", [S.RETIRED, S.LOST])
def test_a_retired_or_lost_unit_cannot_move(status: Status) -> None:
    with pytest.raises(Conflict) as caught:
        rules.move(unit_in(status), ELSEWHERE)
    assert caught.value.code == f"unit_{status.value}"
    assert REASONS[status] in caught.value.message


def test_moving_a_unit_where_it_already_is_changes_nothing() -> None:
    with pytest.raises(Conflict) as caught:
        rules.move(unit_in(S.AVAILABLE), HOME)
    assert (caught.value.code, caught.value.field) == ("no_change", "location")


def test_a_condition_change_records_the_old_and_new_condition() -> None:
    new, event = rules.set_condition(unit_in(S.AVAILABLE), Condition.NEEDS_REPAIR)
    assert new.condition is Condition.NEEDS_REPAIR
    assert event.details == {"condition": "needs_repair", "from_condition": "working"}
    with pytest.raises(Conflict):
        rules.set_condition(new, Condition.NEEDS_REPAIR)

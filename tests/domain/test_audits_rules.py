"""Audits (server/domain/audits.py): scans mark units found or unexpected, counts add up,
the report sorts every line, and a confirmation plans only what was asked."""

from __future__ import annotations

import pytest

from server.domain import audits as rules
from server.domain.audits import COUNT, UNIT, Line, Options
from server.domain.errors import Conflict, InvalidInput

ROOM, SHELF, ELSEWHERE = 1, 2, 9


def unit_line(
    id_: int,
    unit_id: int,
    *,
    found: bool = False,
    expected: bool = True,
    scanned: int | None = None,
) -> Line:
    return Line(
        id=id_,
        kind=UNIT,
        unit_id=unit_id,
        item_id=5,
        location_id=SHELF,
        expected=expected,
        found=found,
        scanned_location_id=scanned,
        scans=int(found),
    )


def test_scanning_an_expected_unit_marks_it_found_and_again_says_so():
    line, outcome = rules.scan_unit(
        unit_line(1, 11),
        unit_id=11,
        item_id=5,
        system_location_id=SHELF,
        custodian_id=None,
        status="available",
        at_location_id=None,
    )
    assert (outcome, line.found, line.scans) == ("found", True, 1)
    again, outcome = rules.scan_unit(
        line,
        unit_id=11,
        item_id=5,
        system_location_id=SHELF,
        custodian_id=None,
        status="available",
        at_location_id=None,
    )
    assert (outcome, again.scans) == ("again", 2)


def test_a_unit_nobody_expected_is_unexpected_with_where_the_system_had_it():
    line, outcome = rules.scan_unit(
        None,
        unit_id=12,
        item_id=5,
        system_location_id=ELSEWHERE,
        custodian_id=7,
        status="checked_out",
        at_location_id=SHELF,
    )
    assert outcome == "unexpected"
    assert (
        line.expected,
        line.found,
        line.location_id,
        line.custodian_id,
        line.scanned_location_id,
    ) == (False, True, ELSEWHERE, 7, SHELF)


def test_counts_add_up_and_compare_with_the_system_count_when_first_counted():
    line = Line(id=1, kind=COUNT, item_id=5, location_id=SHELF, expected_quantity=10)
    line = rules.count(line, item_id=5, lot_id=None, location_id=SHELF, on_hand=12, quantity=7)
    line = rules.count(line, item_id=5, lot_id=None, location_id=SHELF, on_hand=99, quantity=4)
    assert (line.expected_quantity, line.counted_quantity, line.difference) == (12, 11, -1)


def test_a_count_of_zero_is_a_count_and_a_negative_one_is_refused():
    line = rules.count(None, item_id=5, lot_id=None, location_id=SHELF, on_hand=3, quantity=0)
    assert (line.counted_quantity, line.difference, line.expected) == (0, -3, False)
    with pytest.raises(InvalidInput):
        rules.count(None, item_id=5, lot_id=None, location_id=SHELF, on_hand=3, quantity=-1)


def test_a_finished_audit_takes_no_more_scans():
    rules.ensure_open(rules.OPEN)
    with pytest.raises(Conflict):
        rules.ensure_open(rules.FINISHED)


def test_the_report_sorts_every_line():
    lines = [
        unit_line(1, 11, found=True),
        unit_line(2, 12),
        unit_line(3, 13, found=True, expected=False, scanned=SHELF),
        unit_line(4, 14, found=True, scanned=ROOM),
        Line(
            id=5,
            kind=COUNT,
            item_id=6,
            location_id=SHELF,
            expected_quantity=10,
            counted_quantity=8,
            found=True,
        ),
        Line(
            id=6,
            kind=COUNT,
            item_id=7,
            location_id=SHELF,
            expected_quantity=4,
            counted_quantity=4,
            found=True,
        ),
        Line(id=7, kind=COUNT, item_id=8, location_id=SHELF, expected_quantity=2),
        Line(id=8, kind="unknown", code="ZZZ", scans=1, expected=False),
    ]
    r = rules.report(lines)
    ids = {
        name: [ln.id for ln in getattr(r, name)]
        for name in (
            "found",
            "missing",
            "unexpected",
            "misplaced",
            "unknown",
            "counted",
            "differences",
            "not_counted",
        )
    }
    assert ids == {
        "found": [1, 4],
        "missing": [2],
        "unexpected": [3],
        "misplaced": [4],
        "unknown": [8],
        "counted": [5, 6],
        "differences": [5],
        "not_counted": [7],
    }
    assert r.totals()["expected"] == 3


def test_a_confirmation_plans_only_what_was_asked():
    lines = [
        unit_line(1, 11, found=True),
        unit_line(2, 12),
        unit_line(3, 13, found=True, expected=False),
        Line(
            id=4,
            kind=COUNT,
            item_id=6,
            location_id=SHELF,
            expected_quantity=10,
            counted_quantity=8,
            found=True,
        ),
    ]
    everything = rules.plan(lines, Options(mark_missing_lost=True))
    assert [ln.id for ln in everything.moves] == [3]
    assert [ln.id for ln in everything.adjustments] == [4]
    assert [ln.id for ln in everything.lost] == [2]
    assert everything.seen == [11, 13]
    nothing = rules.plan(lines, Options(move_unexpected=False, adjust_counts=False))
    assert (nothing.moves, nothing.adjustments, nothing.lost) == ([], [], [])
    assert nothing.seen == [11, 13]  # seen units are stamped whatever else is chosen


def test_missing_units_are_not_marked_lost_unless_asked():
    assert Options().mark_missing_lost is False


def test_the_difference_found_is_applied_to_todays_count():
    line = Line(
        id=1, kind=COUNT, item_id=6, location_id=SHELF, expected_quantity=10, counted_quantity=8
    )
    assert rules.target_count(line, 15) == 13  # 5 received since the count

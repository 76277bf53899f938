"""Maintenance schedules (server/domain/maintenance.py) with today passed in: every N days
and/or every N uses, whichever comes first; counted from the last completion or fixed to
the calendar; completions early and late; rules added after years of history; and the
service record's state table."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import maintenance as m
from server.domain.errors import Conflict, InvalidInput
from server.domain.maintenance import Anchor, DueState, ScheduleRule, ServiceState

DAY = dt.timedelta(days=1)
START = dt.date(2020, 1, 1)
LIMIT = settings(max_examples=40, deadline=None)

days_n = st.integers(1, 400)
uses_n = st.integers(1, 200)
offsets = st.integers(-800, 3000)
SEVERITY = [DueState.OK, DueState.DUE_SOON, DueState.DUE, DueState.OVERDUE]


@st.composite
def rules(draw: st.DrawFn, anchor: Anchor | None = None, days: bool | None = None,
          uses: bool | None = None) -> ScheduleRule:
    anchor = anchor or (Anchor.COMPLETION if days is False else draw(st.sampled_from(Anchor)))
    with_days = True if anchor is Anchor.CALENDAR else (
        days if days is not None else draw(st.booleans()))
    with_uses = uses if uses is not None else (draw(st.booleans()) if with_days else True)
    every_days = draw(days_n) if with_days else None
    every_uses = draw(uses_n) if with_uses else None
    return ScheduleRule(
        starts_on=START, every_days=every_days, every_uses=every_uses, anchor=anchor,
        lead_days=draw(st.integers(0, every_days - 1)) if every_days else 0,
        lead_uses=draw(st.integers(0, every_uses - 1)) if every_uses else 0)


def test_a_monthly_inspection_is_due_soon_then_due_then_overdue_since_its_date() -> None:
    rule = ScheduleRule(starts_on=START, every_days=30, lead_days=7)
    done = dt.date(2026, 4, 3)
    assert m.due(rule, last_done=done, uses_since=0, today=done).state is DueState.OK
    assert m.due(rule, last_done=done, uses_since=0,
                 today=dt.date(2026, 4, 26)).state is DueState.DUE_SOON
    assert m.due(rule, last_done=done, uses_since=0,
                 today=dt.date(2026, 5, 3)).state is DueState.DUE
    late = m.due(rule, last_done=done, uses_since=0, today=dt.date(2026, 5, 4))
    assert late.state is DueState.OVERDUE and late.overdue_since == dt.date(2026, 5, 3)


@LIMIT
@given(rules(anchor=Anchor.COMPLETION, days=True, uses=False), offsets, offsets)
def test_by_days_from_completion_the_next_due_is_the_completion_plus_n(
        rule: ScheduleRule, done_at: int, today_at: int) -> None:
    done = START + done_at * DAY
    today = done + abs(today_at) * DAY
    got = m.due(rule, last_done=done, uses_since=0, today=today)
    assert rule.every_days is not None
    base = max(done, START)  # a completion before the rule started does not count
    assert got.due_on == base + rule.every_days * DAY
    assert (got.state is DueState.OVERDUE) == (today > got.due_on)
    assert got.uses_left is None


@LIMIT
@given(rules(days=False, uses=True), st.integers(0, 400))
def test_by_uses_only_the_count_decides_and_no_date_is_given(rule: ScheduleRule,
                                                              uses: int) -> None:
    got = m.due(rule, last_done=None, uses_since=uses, today=START + 10_000 * DAY)
    assert rule.every_uses is not None
    assert got.due_on is None and got.uses_left == rule.every_uses - uses
    want = (DueState.OVERDUE if uses > rule.every_uses else DueState.DUE
            if uses == rule.every_uses else DueState.DUE_SOON
            if rule.every_uses - uses <= rule.lead_uses else DueState.OK)
    assert got.state is want


@LIMIT
@given(rules(days=True, uses=True), offsets, st.integers(0, 3000), st.integers(0, 400))
def test_whichever_comes_first_decides(rule: ScheduleRule, done_at: int, after: int,
                                       uses: int) -> None:
    done = START + done_at * DAY
    today = done + after * DAY
    both = m.due(rule, last_done=done, uses_since=uses, today=today)
    days_only = m.due(ScheduleRule(starts_on=rule.starts_on, every_days=rule.every_days,
                                   anchor=rule.anchor, lead_days=rule.lead_days),
                      last_done=done, uses_since=uses, today=today)
    uses_only = m.due(ScheduleRule(starts_on=rule.starts_on, every_uses=rule.every_uses,
                                   lead_uses=rule.lead_uses),
                      last_done=done, uses_since=uses, today=today)
    assert SEVERITY.index(both.state) == max(SEVERITY.index(days_only.state),
                                             SEVERITY.index(uses_only.state))
    assert both.due_on == days_only.due_on and both.uses_left == uses_only.uses_left
    assert both.overdue_since == days_only.overdue_since


@LIMIT
@given(rules(anchor=Anchor.COMPLETION, days=True), st.integers(0, 3000), st.integers(-300, 300))
def test_from_completion_an_early_or_late_service_moves_the_next_due_date(
        rule: ScheduleRule, due_at: int, early_late: int) -> None:
    assert rule.every_days is not None
    done = START + due_at * DAY + early_late * DAY
    assert m.next_due_on(rule, done) == max(done, START) + rule.every_days * DAY


@LIMIT
@given(rules(anchor=Anchor.CALENDAR), st.integers(0, 5000))
def test_fixed_to_the_calendar_due_dates_stay_on_the_grid_and_none_is_skipped(
        rule: ScheduleRule, done_at: int) -> None:
    assert rule.every_days is not None
    n, lead = rule.every_days, rule.lead_days
    done = START + done_at * DAY
    nxt = m.next_due_on(rule, done)
    assert nxt is not None
    offset = (nxt - START).days
    assert offset % n == 0 and offset >= n  # on the calendar grid, never the start itself
    assert nxt > done + lead * DAY  # covers the due date it was done for (early or late)
    assert nxt - n * DAY <= done + lead * DAY or offset == n  # and skips no due date


def test_fixed_to_the_calendar_a_late_service_does_not_shift_the_dates() -> None:
    rule = ScheduleRule(starts_on=START, every_days=30, anchor=Anchor.CALENDAR, lead_days=5)
    on_time = m.next_due_on(rule, START + 30 * DAY)
    late = m.next_due_on(rule, START + 42 * DAY)
    early_in_window = m.next_due_on(rule, START + 26 * DAY)
    too_early = m.next_due_on(rule, START + 20 * DAY)
    assert on_time == late == early_in_window == START + 60 * DAY
    assert too_early == START + 30 * DAY  # done before the window: the date still stands


@LIMIT
@given(rules(), st.integers(1, 40), st.integers(0, 400))
def test_a_rule_added_after_years_of_history_is_not_overdue_the_day_it_starts(
        rule: ScheduleRule, years: int, later: int) -> None:
    old_done = START - years * 365 * DAY
    # uses are counted from counting_from(): none yet on the day the rule starts
    assert m.counting_from(rule, old_done) == START
    assert m.counting_from(rule, None) == START
    got = m.due(rule, last_done=old_done, uses_since=0, today=START)
    assert got.state is DueState.OK
    # and from then on it behaves as if it had been completed the day it started
    today = START + later * DAY
    assert m.due(rule, last_done=old_done, uses_since=3, today=today) == \
        m.due(rule, last_done=START, uses_since=3, today=today)


@pytest.mark.parametrize("kw,field", [
    ({}, "every_days"),
    ({"every_days": 0}, "every_days"),
    ({"every_uses": -1}, "every_uses"),
    ({"every_days": 10, "lead_days": 10}, "lead_days"),
    ({"every_uses": 5, "lead_days": 1}, "lead_days"),
    ({"every_uses": 5, "anchor": Anchor.CALENDAR}, "anchor"),
    ({"every_days": True}, "every_days"),
])
def test_a_bad_rule_is_refused_naming_the_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        ScheduleRule(starts_on=START, **kw)  # type: ignore[arg-type]
    assert err.value.field == field


@LIMIT
@given(st.lists(st.sampled_from(ServiceState), max_size=8))
def test_a_record_reaches_done_or_failed_only_through_in_progress_and_never_leaves_them(
        steps: list[ServiceState]) -> None:
    state, seen = ServiceState.PLANNED, [ServiceState.PLANNED]
    for target in steps:
        try:
            m.check_transition(state, target, record_id=1)
        except Conflict as err:
            assert err.code == "invalid_transition"
            assert state.finished or target not in m.RECORD_TRANSITIONS[state]
            continue
        assert not state.finished
        state = target
        seen.append(state)
    if state in (ServiceState.DONE, ServiceState.FAILED):
        assert seen[-2] is ServiceState.IN_PROGRESS
    assert all(s not in m.FINISHED for s in seen[:-1])


def test_a_done_record_is_not_edited() -> None:
    with pytest.raises(Conflict, match="finished and is not edited"):
        m.check_transition(ServiceState.DONE, ServiceState.IN_PROGRESS, record_id=4)


def test_an_overdue_rule_that_blocks_refuses_a_check_out_and_others_only_warn() -> None:
    rule = ScheduleRule(starts_on=START, every_days=30, every_uses=10, lead_days=5)
    done = dt.date(2026, 4, 3)
    late = m.due(rule, last_done=done, uses_since=0, today=dt.date(2026, 5, 9))
    kind = m.ServiceKind.CALIBRATION
    assert m.check_out_refusal(kind, "", True, late) == (
        True, "calibration overdue since 3 May 2026")
    assert m.check_out_refusal(kind, "Yearly cal", False, late) == (
        False, "Yearly cal overdue since 3 May 2026")
    by_uses = m.due(rule, last_done=done, uses_since=12, today=done)
    assert m.check_out_refusal(kind, "", True, by_uses) == (True, "calibration overdue by 2 uses")
    soon = m.due(rule, last_done=done, uses_since=0, today=dt.date(2026, 4, 30))
    assert m.check_out_refusal(kind, "", True, soon) == (False, "calibration due soon")
    fine = m.due(rule, last_done=done, uses_since=0, today=done)
    assert m.check_out_refusal(kind, "", True, fine) is None

"""Maintenance of units: service records and the schedule rules that say when one is due.

A service record moves through one table of states (RECORD_TRANSITIONS):
planned -> in_progress -> done | failed | cancelled (a planned record can also be
cancelled). A finished record (done, failed, cancelled) is never edited again; a
correction is a new record that points to it.

A schedule rule asks for service every N days and/or every N check-outs (uses), whichever
comes first. Its days are counted either from the last completion (`completion`: a late
service moves every later due date) or fixed to the calendar (`calendar`: due on
starts_on + k*N whatever happens; a completion within the lead window before a due date
counts for that date, a late one only for the date it was late for). A rule added after
years of history counts from the day it starts, not from the unit's first day: it is
not overdue the moment it is written. Pure: the caller passes today and the counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from server.domain.errors import Conflict, InvalidInput
from server.domain.timezones import format_date

MAX_EVERY_DAYS = 36_600  # a century: anything longer is a typo
MAX_EVERY_USES = 1_000_000


class ServiceKind(StrEnum):
    INSPECTION = "inspection"
    CALIBRATION = "calibration"
    REPAIR = "repair"
    CLEANING = "cleaning"
    OTHER = "other"


class ServiceState(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset({ServiceState.DONE, ServiceState.FAILED, ServiceState.CANCELLED})

R = ServiceState
RECORD_TRANSITIONS: dict[ServiceState, frozenset[ServiceState]] = {
    R.PLANNED: frozenset({R.IN_PROGRESS, R.CANCELLED}),
    R.IN_PROGRESS: frozenset({R.DONE, R.FAILED, R.CANCELLED}),
    R.DONE: frozenset(),
    R.FAILED: frozenset(),
    R.CANCELLED: frozenset(),
}


def check_transition(current: ServiceState, target: ServiceState, *, record_id: int = 0
                     ) -> None:
    """Raise Conflict unless a record in `current` may move to `target`."""
    if target not in RECORD_TRANSITIONS[current]:
        why = ("it is finished and is not edited; record a correction instead"
               if current.finished else f"it is {current.value.replace('_', ' ')}")
        raise Conflict(f"cannot mark service record {record_id} {target.value}: {why}",
                       field="state", code="invalid_transition",
                       details={"state": current.value, "target": target.value})


def parse_kind(value: object) -> ServiceKind:
    try:
        return ServiceKind(str(value))
    except ValueError:
        raise InvalidInput(f"kind must be one of: {', '.join(ServiceKind)}",
                           field="kind") from None


class Anchor(StrEnum):
    COMPLETION = "completion"
    CALENDAR = "calendar"


class DueState(StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    DUE = "due"  # today is the due date, or the last allowed use has been made
    OVERDUE = "overdue"


_SEVERITY = {DueState.OK: 0, DueState.DUE_SOON: 1, DueState.DUE: 2, DueState.OVERDUE: 3}


@dataclass(frozen=True, slots=True)
class ScheduleRule:
    starts_on: dt.date
    every_days: int | None = None
    every_uses: int | None = None
    anchor: Anchor = Anchor.COMPLETION
    lead_days: int = 0
    lead_uses: int = 0

    def __post_init__(self) -> None:
        check_rule(self)


def check_rule(rule: ScheduleRule) -> None:
    if rule.every_days is None and rule.every_uses is None:
        raise InvalidInput("a rule needs every_days, every_uses or both", field="every_days")
    _bounded("every_days", rule.every_days, 1, MAX_EVERY_DAYS)
    _bounded("every_uses", rule.every_uses, 1, MAX_EVERY_USES)
    if rule.anchor is Anchor.CALENDAR and rule.every_days is None:
        raise InvalidInput("a rule fixed to the calendar needs every_days", field="anchor")
    if rule.every_days is not None:
        _bounded("lead_days", rule.lead_days, 0, rule.every_days - 1)
    elif rule.lead_days:
        raise InvalidInput("lead_days needs every_days", field="lead_days")
    if rule.every_uses is not None:
        _bounded("lead_uses", rule.lead_uses, 0, rule.every_uses - 1)
    elif rule.lead_uses:
        raise InvalidInput("lead_uses needs every_uses", field="lead_uses")


def _bounded(name: str, value: int | None, low: int, high: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number", field=name)
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be from {low} to {high}", field=name)


@dataclass(frozen=True, slots=True)
class Due:
    state: DueState
    due_on: dt.date | None  # by days; None for a rule by uses only
    uses_left: int | None  # by uses; negative: that many uses over; None for days only
    overdue_since: dt.date | None = None  # by days only: the due date that passed


def counting_from(rule: ScheduleRule, last_done: dt.date | None) -> dt.date:
    """The day from which the rule counts days (completion anchor) and uses: the last
    completion, or the rule's start if it was never completed since it started."""
    if last_done is None or last_done < rule.starts_on:
        return rule.starts_on
    return last_done


def next_due_on(rule: ScheduleRule, last_done: dt.date | None) -> dt.date | None:
    n = rule.every_days
    if n is None:
        return None
    if rule.anchor is Anchor.COMPLETION:
        return counting_from(rule, last_done) + dt.timedelta(days=n)
    # calendar: due on starts_on + k*n, k >= 1; a completion covers the first due date
    # that is on or before the day it was done plus the lead (early within the window)
    if last_done is None or last_done < rule.starts_on:
        return rule.starts_on + dt.timedelta(days=n)
    covered = (last_done - rule.starts_on).days + rule.lead_days
    k = covered // n + 1
    return rule.starts_on + dt.timedelta(days=k * n)


def due(rule: ScheduleRule, *, last_done: dt.date | None, uses_since: int, today: dt.date
        ) -> Due:
    """Where a unit stands on `rule` today. `uses_since`: check-outs counted from
    counting_from(rule, last_done) on. Whichever of days and uses comes first decides."""
    if uses_since < 0:
        raise InvalidInput("uses_since cannot be negative", field="uses_since")
    due_on = next_due_on(rule, last_done)
    state = DueState.OK
    since: dt.date | None = None
    if due_on is not None:
        if today > due_on:
            state, since = DueState.OVERDUE, due_on
        elif today == due_on:
            state = DueState.DUE
        elif (due_on - today).days <= rule.lead_days:
            state = DueState.DUE_SOON
    uses_left: int | None = None
    if rule.every_uses is not None:
        uses_left = rule.every_uses - uses_since
        by_uses = (DueState.OVERDUE if uses_left < 0 else DueState.DUE if uses_left == 0
                   else DueState.DUE_SOON if uses_left <= rule.lead_uses else DueState.OK)
        if _SEVERITY[by_uses] > _SEVERITY[state]:
            state = by_uses  # overdue_since stays a date only the days can say
    return Due(state=state, due_on=due_on, uses_left=uses_left, overdue_since=since)


def check_out_refusal(kind: ServiceKind, name: str, blocks: bool, standing: Due
                      ) -> tuple[bool, str] | None:
    """What a check-out meets on one rule: None when the rule is not due; else (refused,
    words), refused when the rule blocks check-out and is overdue (by days or uses), a
    warning otherwise ("calibration overdue since 3 May 2026"). For the scan and check-out
    paths (not wired yet: see docs/maintenance.md)."""
    if standing.state is DueState.OK:
        return None
    what = name.strip() or kind.value
    if standing.state is DueState.OVERDUE:
        when = (f" since {format_date(standing.overdue_since)}"
                if standing.overdue_since else f" by {-(standing.uses_left or 0)} uses")
        return blocks, f"{what} overdue{when}"
    words = "due now" if standing.state is DueState.DUE else "due soon"
    return False, f"{what} {words}"

"""Utilization: how much each unit and each serialized item was used over a period, and
what that says about buying (the article's third payoff of per-unit data: "which units
are always out and which never move, which tells you what to buy more of and what to stop
buying").

The inputs are custody intervals (a unit out from its check-out until its check-in, its
loss or its collapse into a count; open while still out) and each unit's creation, last
movement and last sighting, in whole UTC epoch seconds, as the summaries
`unit_custody`/`unit_activity` hold them (migration 2026-11-29T15:20, kept by triggers on
the event ledger; `verify` rebuilds them from the events). The period is [start, end):
the last `days` days up to now. Everything here is pure; the clock comes in as `end`.

Definitions (each figure is checked against a minute-by-minute replay of random
histories in tests/integration/test_utilization_property.py):
- a unit's time out: the seconds of [start, end) inside its custody intervals; its share
  is that over the part of the period it existed (from its creation, if later than start);
- check-outs: custody intervals that began in the period; borrowers: distinct people
  holding it at some moment of the period;
- an item's peak: the most of its units out at the same moment of the period; its peak
  days: the local calendar days (the site's zone) on which that many were out at some
  moment; its owned units: units on hand now (not retired, lost or collapsed);
- an item's share: its owned units' time out over their time in the period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAY_S = 86400
DEFAULT_DAYS = 90
MAX_DAYS = 3660

# The thresholds behind the lists and verdicts (README, "Utilization"):
ALWAYS_OUT_SHARE = 0.8  # "always out": out at least 80% of the period it existed in,
ALWAYS_OUT_MIN_DAYS = 7  # having existed 7 days of it at least (or the whole period)
IDLE_SHARE = 0.0  # "idle": never out in the period ...
BUSY_ITEM_SHARE = 0.5  # ... while its item's owned units were out half their time or more
BUY_MORE_DAYS = 3  # "buy more": every owned unit out at once on at least 3 days
STOP_BUYING_MIN_OWNED = 4  # "stop buying": at least 4 owned ...
STOP_BUYING_PEAK_SHARE = 0.5  # ... and never more than half of them out at once
# "never moves": no check-out, check-in or move during the whole period (a unit added
# during the period has not had the time to, and is not listed)


@dataclass(frozen=True, slots=True)
class Period:
    start_s: int
    end_s: int

    @classmethod
    def last_days(cls, days: int, now: dt.datetime) -> Period:
        end = int(now.timestamp()) + 1  # the current second is in
        return cls(end - days * DAY_S, end)

    @classmethod
    def of_days(cls, first: dt.date, last: dt.date, now: dt.datetime, zone: ZoneInfo
                ) -> Period:
        """Whole local days [first, last], cut at `now` (a period ending today ends now)."""
        start = dt.datetime.combine(first, dt.time(0), zone)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone)
        end_s = min(int(end.timestamp()), int(now.timestamp()) + 1)  # the current second is in
        return cls(int(start.timestamp()), max(end_s, int(start.timestamp())))

    @property
    def days(self) -> int:
        return max(1, round((self.end_s - self.start_s) / DAY_S))


@dataclass(frozen=True, slots=True)
class Custody:
    unit_id: int
    person_id: int | None
    out_s: int
    in_s: int | None  # None: still out


@dataclass(frozen=True, slots=True)
class UnitUse:
    unit_id: int
    out_seconds: int
    share: float
    checkouts: int
    borrowers: int


@dataclass(frozen=True, slots=True)
class Peak:
    units: int  # most units out at the same moment
    days: int  # local days on which that many were out at some moment


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str  # buy_more, stop_buying, keep, none
    sentence: str


def always_out_min_life(p: Period) -> int:
    """Seconds of the period a unit must have existed in to be called always out."""
    return min(ALWAYS_OUT_MIN_DAYS * DAY_S, p.end_s - p.start_s)


def overlap(c: Custody, p: Period) -> int:
    end = p.end_s if c.in_s is None else min(c.in_s, p.end_s)
    return max(0, end - max(c.out_s, p.start_s))


def in_period(c: Custody, p: Period) -> bool:
    return c.out_s < p.end_s and (c.in_s is None or c.in_s > p.start_s)


def lifetime(created_s: int, p: Period) -> int:
    """Seconds of the period the unit existed in."""
    return max(0, p.end_s - max(p.start_s, created_s))


def share(out_seconds: int, existed: int) -> float:
    return min(1.0, out_seconds / existed) if existed > 0 else 0.0


def unit_use(unit_id: int, created_s: int, custody: Iterable[Custody], p: Period) -> UnitUse:
    mine = [c for c in custody if in_period(c, p)]
    out = sum(overlap(c, p) for c in mine)
    return UnitUse(
        unit_id=unit_id,
        out_seconds=out,
        share=share(out, lifetime(created_s, p)),
        checkouts=sum(1 for c in mine if c.out_s >= p.start_s),
        borrowers=len({c.person_id for c in mine if c.person_id is not None}),
    )


def peak(custody: Iterable[Custody], p: Period, zone: ZoneInfo) -> Peak:
    """Sweep the custody edges in time order; where the count reaches a new maximum,
    restart the list of stretches at that count, and count the local days they touch."""
    edges: list[tuple[int, int]] = []
    for c in custody:
        if not in_period(c, p):
            continue
        edges.append((max(c.out_s, p.start_s), 1))
        if c.in_s is not None and c.in_s < p.end_s:
            edges.append((c.in_s, -1))
    if not edges:
        return Peak(0, 0)
    edges.sort()  # at the same second, a return (-1) comes before a departure (+1)
    best, now, stretches = 0, 0, []
    i = 0
    while i < len(edges):
        t = edges[i][0]
        while i < len(edges) and edges[i][0] == t:
            now += edges[i][1]
            i += 1
        until = edges[i][0] if i < len(edges) else p.end_s
        if until <= t:
            continue
        if now > best:
            best, stretches = now, [(t, until)]
        elif now == best and best > 0:
            stretches.append((t, until))
    return Peak(best, len(_local_days(stretches, zone)) if best else 0)


def peak_of_stretches(stretches: Sequence[tuple[int, int, int]], zone: ZoneInfo) -> Peak:
    """The peak from the stretches [start, end) at the peak count (see peak_stretches in
    server/db/utilization_repo.py, which finds them in SQL the way `peak` does here)."""
    if not stretches:
        return Peak(0, 0)
    return Peak(stretches[0][2], len(_local_days([(a, b) for a, b, _ in stretches], zone)))


def daily_peaks(custody: Iterable[Custody], p: Period, zone: ZoneInfo
                ) -> list[tuple[dt.date, int]]:
    """The most units out at once on each local day of the period (for a chart)."""
    edges: list[tuple[int, int]] = []
    for c in custody:
        if in_period(c, p):
            edges.append((max(c.out_s, p.start_s), 1))
            if c.in_s is not None and c.in_s < p.end_s:
                edges.append((c.in_s, -1))
    edges.sort()
    days: dict[dt.date, int] = {}
    day = dt.datetime.fromtimestamp(p.start_s, zone).date()
    last = dt.datetime.fromtimestamp(max(p.start_s, p.end_s - 1), zone).date()
    while day <= last:
        days[day] = 0
        day += dt.timedelta(days=1)
    now, i = 0, 0
    t = p.start_s
    while t < p.end_s:
        while i < len(edges) and edges[i][0] <= t:
            now += edges[i][1]
            i += 1
        until = edges[i][0] if i < len(edges) else p.end_s
        for d in _local_days([(t, max(until, t + 1))], zone):
            if d in days:
                days[d] = max(days[d], now)
        t = max(until, t + 1)
    return sorted(days.items())


def _local_days(stretches: Sequence[tuple[int, int]], zone: ZoneInfo) -> set[dt.date]:
    days: set[dt.date] = set()
    for start, end in stretches:  # [start, end): the last second is end - 1
        day = dt.datetime.fromtimestamp(start, zone).date()
        last = dt.datetime.fromtimestamp(end - 1, zone).date()
        while day <= last:
            days.add(day)
            day += dt.timedelta(days=1)
    return days


def item_share(uses: Iterable[UnitUse], lifetimes: Iterable[int]) -> float:
    return share(sum(u.out_seconds for u in uses), sum(lifetimes))


def verdict(owned: int, top: Peak) -> Verdict:
    """The sentence a manager reads about buying, from the units owned and the peak (the
    item's name stands next to it wherever it is shown)."""
    if owned <= 0:
        return Verdict("none", "no units owned now")
    if top.units >= owned and top.days >= BUY_MORE_DAYS:
        on = _count(top.days, "day")
        if owned == 1:
            return Verdict("buy_more", f"buy more: the only one was out on {on}")
        every = "both" if owned == 2 else f"all {owned}"
        return Verdict("buy_more", f"buy more: {every} were out at once on {on}")
    if owned >= STOP_BUYING_MIN_OWNED and top.units <= owned * STOP_BUYING_PEAK_SHARE:
        if top.units == 0:
            return Verdict("stop_buying", f"stop buying: none of the {owned} went out")
        return Verdict("stop_buying", f"stop buying: never more than {top.units} of {owned} "
                                      "out at once")
    if top.units == 0:
        return Verdict("keep", f"none of the {owned} went out")
    return Verdict("keep", f"enough: at most {top.units} of {owned} out at once")


def always_out_sentence(tag: str, use: UnitUse, days: int) -> str:
    return (f"{tag} was out {round(use.share * 100)}% of the last {_count(days, 'day')} "
            f"({_count(use.checkouts, 'check-out')}, {_count(use.borrowers, 'borrower')})")


def never_moves_sentence(tag: str, idle_days: int) -> str:
    return f"{tag} has not been checked out or moved for {_count(idle_days, 'day')}"


def idle_sentence(tag: str, item_name: str, item_share_out: float, days: int) -> str:
    return (f"{tag} was never out in the last {_count(days, 'day')} while the other "
            f"{item_name} units were out {round(item_share_out * 100)}% of the time")


def days_since(moment_s: int | None, now_s: int) -> int | None:
    return None if moment_s is None else max(0, (now_s - moment_s) // DAY_S)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# The summaries, rebuilt from the events (verify): what the triggers of migration
# 2026-11-29T15:20 must have written.

MOVE_KINDS = frozenset({"unit.created", "unit.moved", "unit.checked_out", "unit.checked_in",
                        "unit.restored"})
CUSTODY_ENDS = frozenset({"unit.checked_in", "unit.status_changed", "unit.collapsed"})


@dataclass
class Summaries:
    """custody: check-out event id -> (unit, item, person, out_s, in_s);
    activity: unit -> (item, created_s, moved_s, seen_s)."""

    custody: dict[int, tuple[int, int, int | None, int, int | None]]
    activity: dict[int, tuple[int, int, int, int]]
    _open: dict[int, list[int]]

    @classmethod
    def empty(cls) -> Summaries:
        return cls({}, {}, {})

    def feed(self, event_id: int, kind: str, unit_id: int | None, item_id: int | None,
             person_id: int | None, at_s: int) -> None:
        if unit_id is None:
            return
        if kind == "unit.checked_out":
            self.custody[event_id] = (unit_id, item_id or 0, person_id, at_s, None)
            self._open.setdefault(unit_id, []).append(event_id)
        elif kind in CUSTODY_ENDS:
            for open_id in self._open.pop(unit_id, []):
                u, i, p, out_s, _ = self.custody[open_id]
                self.custody[open_id] = (u, i, p, out_s, at_s)
        if kind == "unit.created":
            self.activity[unit_id] = (item_id or 0, at_s, at_s, at_s)
        elif unit_id in self.activity and (kind in MOVE_KINDS or kind == "unit.audited"):
            item, created, moved, seen = self.activity[unit_id]
            if kind in MOVE_KINDS:
                moved = max(moved, at_s)
            self.activity[unit_id] = (item, created, moved, max(seen, at_s))

    def seen_by_scans(self, last_scan: dict[int, int]) -> None:
        """Scans that wrote no event (a look-up) still saw the unit."""
        for unit_id, at_s in last_scan.items():
            if unit_id in self.activity:
                item, created, moved, seen = self.activity[unit_id]
                self.activity[unit_id] = (item, created, moved, max(seen, at_s))


def summary_differences(expected: Summaries,
                        custody: dict[int, tuple[int, int, int | None, int, int | None]],
                        activity: dict[int, tuple[int, int, int, int]]) -> list[str]:
    out: list[str] = []
    for key in sorted(set(expected.custody) | set(custody)):
        want, got = expected.custody.get(key), custody.get(key)
        if want != got:
            out.append(f"utilization summary unit_custody {key}: the events give {want}, "
                       f"the table holds {got}")
    for key in sorted(set(expected.activity) | set(activity)):
        want_a, got_a = expected.activity.get(key), activity.get(key)
        if want_a != got_a:
            out.append(f"utilization summary unit_activity of unit {key}: the events give "
                       f"{want_a}, the table holds {got_a}")
    return out

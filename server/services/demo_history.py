"""Four months of the demo's past, so that every report has something to say: weekly
loans of drills, projectors and ladders (most back on time, some late), batteries used
and found short at each monthly count (a shrinking counted item), coffee bought and used,
laptops kept as a count (a costly counted item: lent as quantities, one lost), cable ties
each with its own tag (a cheap serialized item nobody scans alone), units in repair and
loans overdue now.

Everything goes through the services, so every change writes its event and `tagtrack
verify` holds; each step runs inside `ledger.backdated`, in the order it happened, so the
events carry the past dates. A seeded random generator keeps it the same on every load."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Awaitable, Callable

from server.db import ledger, units_repo
from server.domain.actors import Actor
from server.services import loans, stock, units

Step = Callable[[], Awaitable[object]]
DAYS = 120
SEED = 12


@dataclasses.dataclass
class Cast:
    """What the demo made before its history: ids of places, people and items, unit tags."""

    people: list[int]
    lendable: list[str]  # unit tags lent week after week, all back before today
    ladders: list[str]
    projectors: list[str]
    batteries: int
    beans: int
    laptops: int
    shelf: int  # where batteries and laptops live
    beans_shelf: int


async def tags(unit_ids: list[int]) -> list[str]:
    return [(await units_repo.get(unit_id=u)).tag for u in unit_ids]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def plan(a: Actor, c: Cast, now: dt.datetime) -> list[tuple[dt.datetime, Step]]:
    """Every past step with its moment; the caller runs them in time order."""
    rng = random.Random(SEED)
    first = (now - dt.timedelta(days=DAYS)).date()
    last = (now - dt.timedelta(days=2)).date()  # the past ends two days ago
    steps: list[tuple[dt.datetime, Step]] = []

    def add(moment: dt.datetime, step: Step) -> None:
        steps.append((moment, step))

    # units lent again and again: out a few days, back on time or a little late
    for tag in c.lendable + c.projectors[1:] + c.ladders[3:]:  # ladder 3 out again today
        day = first + dt.timedelta(days=rng.randint(1, 6))
        while True:
            keep = rng.choice((2, 3, 4, 5, 7))
            late = rng.random() < 0.2
            back = day + dt.timedelta(days=keep + (rng.randint(1, 4) if late else 0))
            if back >= last:
                break
            who = rng.choice(c.people)
            out_at, due = _at(day, 9, rng.randint(0, 50)), _at(day + dt.timedelta(days=keep), 17)
            add(out_at, _check_out(a, tag, who, due))
            add(_at(back, 16, rng.randint(0, 50)), _check_in(a, tag))
            day = back + dt.timedelta(days=rng.randint(1, 8))
    # batteries: used every week, restocked once, found short at each monthly count
    on_hand = 60
    day = first + dt.timedelta(days=2)
    while day < last:
        used = min(on_hand, rng.randint(3, 6))
        on_hand -= used
        add(_at(day, 11), _consume(a, c.batteries, c.shelf, used, "workshop use"))
        if day.day <= 7 and on_hand > 3:  # the first week of a month: the count
            on_hand -= rng.randint(1, 3)
            add(_at(day, 15), _adjust(a, c.batteries, c.shelf, on_hand,
                                      "monthly count: packs missing"))
        if day == first + dt.timedelta(days=2 + 7 * 8):
            on_hand += 30
            add(_at(day, 8), _receive(a, c.batteries, c.shelf, 30, "restock"))
        day += dt.timedelta(days=7)
    # coffee: a delivery every other week, bags used every week
    day, beans = first + dt.timedelta(days=1), 0
    week = 0
    while day < last:
        if week % 2 == 0:
            beans += 12
            add(_at(day, 7), _receive(a, c.beans, c.beans_shelf, 12, "roaster delivery"))
        used = min(beans, rng.randint(4, 7))
        beans -= used
        add(_at(day + dt.timedelta(days=3), 10), _consume(a, c.beans, c.beans_shelf, used,
                                                           "café service"))
        day += dt.timedelta(days=7)
        week += 1
    # laptops kept as a count: lent as quantities; one went missing at a count
    add(_at(first + dt.timedelta(days=80), 14),
        _adjust(a, c.laptops, c.shelf, 11, "count: one laptop not found"))
    # what is still wrong today: an overdue ladder, one in repair, one needing repair,
    # a projector overdue by more than a week
    add(now - dt.timedelta(days=12, hours=3),
        _check_out(a, c.ladders[0], c.people[1], now - dt.timedelta(days=5, hours=2)))
    add(now - dt.timedelta(days=8), _status(a, c.ladders[1], "in_repair", "rung cracked"))
    add(now - dt.timedelta(days=3), _condition(a, c.ladders[2], "needs_repair",
                                               "foot pad missing"))
    add(now - dt.timedelta(days=1, hours=5), _status(a, c.projectors[2], "lost",
                                                     "not back from the offsite"))
    add(now - dt.timedelta(hours=6), _check_out(a, c.ladders[3], c.people[1], _due_today(now)))
    add(now - dt.timedelta(days=20),
        _check_out(a, c.projectors[0], c.people[2], now - dt.timedelta(days=9, hours=1)))
    return steps


async def run(a: Actor, c: Cast, now: dt.datetime) -> None:
    for moment, step in sorted(plan(a, c, now), key=lambda s: s[0]):
        with ledger.backdated(moment):
            await step()


def _due_today(now: dt.datetime) -> dt.datetime:
    """Later today (UTC), however late it is now."""
    end = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    return min(now + dt.timedelta(hours=3), end - dt.timedelta(minutes=1))


def _check_out(a: Actor, tag: str, person: int, due: dt.datetime) -> Step:
    return lambda: units.check_out(a, tag, person, due_at=due, allow_past_due=True)


def _check_in(a: Actor, tag: str) -> Step:
    return lambda: units.check_in(a, tag)


def _status(a: Actor, tag: str, status: str, note: str) -> Step:
    return lambda: units.set_status(a, tag, status, note=note)


def _condition(a: Actor, tag: str, condition: str, note: str) -> Step:
    return lambda: units.set_condition(a, tag, condition, note=note)


def _consume(a: Actor, item: int, place: int, n: int, note: str) -> Step:
    return lambda: stock.consume(a, item, place, n, note=note)


def _receive(a: Actor, item: int, place: int, n: int, note: str) -> Step:
    return lambda: stock.receive(a, item, place, n, note=note)


def _adjust(a: Actor, item: int, place: int, counted: int, reason: str) -> Step:
    return lambda: stock.adjust(a, item, place, counted, reason)


async def lend_laptops(a: Actor, c: Cast, now: dt.datetime) -> None:
    """Today's quantity loans of the laptops (a loan's start is written when it is made)."""
    await loans.lend(a, c.laptops, c.shelf, c.people[3], 2,
                     due_at=now + dt.timedelta(days=5), note="onboarding")
    await loans.lend(a, c.laptops, c.shelf, c.people[4], 1,
                     due_at=now - dt.timedelta(days=2), allow_past_due=True,
                     note="conference, back late")

"""Bulk actions on units picked from a list (an item's units, a location's units): check
them out to one person, move them to one location, or retire them with a reason.

Each unit is its own transaction, as the bulk check-out API does by default (it is the
same code for check-outs): the units that can go, go, each with its one event, and each
refusal names its unit and the reason ("U-0000041 is checked out to Dana"). People pick
units off a screen and expect the rest done when one of them has changed meanwhile; an
all-or-nothing run would make them untick and retry. What was refused stays as it was.

What applies to the whole list is checked once, before any unit: the count (1 to
MAX_UNITS), the person (active), the location (live), the due date, the reason."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from server.db import places_repo
from server.domain.actors import Actor
from server.domain.errors import Conflict, DomainError, InvalidInput
from server.domain.units import MAX_REASON
from server.services import loans, lookup
from server.services import units as unit_service

MAX_UNITS = 500
DONE = {"check_out": "checked out", "move": "moved", "retire": "retired"}


@dataclass(frozen=True)
class Row:
    tag: str
    ok: bool
    message: str
    event_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    action: str  # check_out | move | retire
    rows: list[Row] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def refused(self) -> list[Row]:
        return [r for r in self.rows if not r.ok]

    def summary(self, shown: int = 3) -> str:
        """"8 moved, 2 refused: U-0000041 is checked out to Dana; U-0000042 is retired"."""
        text = f"{self.done} {DONE[self.action]}"
        if not self.refused:
            return text
        reasons = "; ".join(r.message for r in self.refused[:shown])
        more = f"; and {len(self.refused) - shown} more" if len(self.refused) > shown else ""
        return f"{text}, {len(self.refused)} refused: {reasons}{more}"


def chosen(values: list[str]) -> list[str]:
    """The units selected, each once, in the order of the list."""
    tags = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not tags:
        raise InvalidInput("select at least one unit", field="unit")
    if len(tags) > MAX_UNITS:
        raise InvalidInput(f"at most {MAX_UNITS} units in one go ({len(tags)} were selected)",
                           field="unit")
    return tags


async def check_out(actor: Actor, values: list[str], person_id: int, *,
                    due_at: dt.datetime | None = None, note: str = "") -> Outcome:
    """No due date given: each unit's item's loan period, else the site's."""
    answer = await loans.bulk_check_out(actor, person_id, chosen(values), due_at=due_at,
                                        note=note)
    person = await places_repo.person(person_id=person_id)
    return Outcome("check_out", [
        Row(r["tag"], True, f"{r['tag']} checked out to {person['name']}", r["event_id"])
        if r["ok"] else Row(r["code"], False, _sentence(r["message"]))
        for r in answer["results"]])


async def move(actor: Actor, values: list[str], location_id: int, *, note: str = ""
               ) -> Outcome:
    tags = chosen(values)
    where = await places_repo.location(location_id=location_id)
    if where["archived"]:
        raise Conflict(f"location {where['name']} is archived", field="location",
                       code="location_archived")

    async def one(tag: str) -> Row:
        event = await unit_service.move_unit(actor, tag, location_id, note)
        return Row(tag, True, f"{tag} moved to {where['name']}", event)

    return Outcome("move", [await _each(tag, one) for tag in tags])


async def retire(actor: Actor, values: list[str], reason: str) -> Outcome:
    tags = chosen(values)
    why = reason.strip()
    if not why:
        raise InvalidInput("say why these units are retired", field="reason")
    if len(why) > MAX_REASON:
        raise InvalidInput(f"the reason must be at most {MAX_REASON} characters",
                           field="reason")

    async def one(tag: str) -> Row:
        event = await unit_service.act(actor, tag, "retire", why)
        return Row(tag, True, f"{tag} retired", event)

    return Outcome("retire", [await _each(tag, one) for tag in tags])


async def _each(text: str, work: Callable[[str], Awaitable[Row]]) -> Row:
    """One unit, in a transaction of its own (the unit service's); a refusal is its row."""
    try:
        tag = lookup.unit_tag(text)
        return await work(tag)
    except DomainError as exc:
        if exc.code == "forbidden":
            raise
        return Row(text, False, await _reason(text, exc))


async def _reason(tag: str, exc: DomainError) -> str:
    """A refusal in a crib's words: who holds a unit that is out."""
    holder = (exc.details or {}).get("custodian_id")
    if exc.code == "unit_checked_out" and holder is not None:
        person = await places_repo.person(person_id=int(holder))
        return f"{tag} is checked out to {person['name']}"
    return _sentence(exc.message)


_CANNOT = re.compile(r"cannot [a-z ]+ unit (\S+): it (.+)")


def _sentence(message: str) -> str:
    """The domain's "cannot move unit U-1: it is retired" as a list says it: "U-1 is
    retired"; "unit U-1 is already there": "U-1 is already there"."""
    if m := _CANNOT.fullmatch(message):
        return f"{m[1]} {m[2]}"
    return message.removeprefix("unit ")

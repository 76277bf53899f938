"""The tracking advisor's use cases: the checklist of one item, the over- and under-tracking
reports, the count of suggestions for the dashboard and the catalog's filter. Acting on a
suggestion is in advisor_plan.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from server.db import advisor_repo, items_repo, places_repo
from server.db.advisor_repo import Scope
from server.domain import advisor
from server.domain.advisor import Advice, Rules
from server.domain.errors import Conflict, InvalidInput
from server.domain.reports import ReportFilter
from server.services import advisor_cache, local_time, lookup
from server.settings import get_settings

MAX_DAYS = 3650
DIRECTIONS = ("over", "under")


@dataclass(frozen=True)
class Query:
    """The report's filters, as every report takes them (server/domain/reports.py: the
    period, a location by tag with everything under it, a category, an item by SKU), and
    the direction: over (serialized, should be counted), under (the reverse), or both."""

    filter: ReportFilter | None = None  # None: the last 90 days, everything
    direction: str | None = None


def period(f: ReportFilter | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, int]:
    """[since, until) in UTC and the period's length in days (whole days, both ends in)."""
    if f is None:
        end = now.date()
        start = end - dt.timedelta(days=advisor.DEFAULT_DAYS - 1)
    else:
        start, end = f.start, f.end
    since = dt.datetime.combine(start, dt.time(), dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
    return since, until, (end - start).days + 1


def last_days(days: int, now: dt.datetime | None = None) -> ReportFilter:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be 1 to {MAX_DAYS}", field="days")
    end = (now or dt.datetime.now(dt.UTC)).date()
    return ReportFilter(start=end - dt.timedelta(days=days - 1), end=end)


def high_value() -> Decimal:
    return get_settings().high_value


def rules(days: int, now: dt.datetime) -> Rules:
    return Rules(high_value=high_value(), days=days, today=local_time.site_today(now))


async def changes(f: ReportFilter | None, now: dt.datetime | None = None) -> list[Advice]:
    """The advice of every item whose tracking the advisor would change over the period
    (archived items left out), by SKU, exact as of now (server/services/advisor_cache.py
    keeps it and brings it up to date)."""
    now = now or dt.datetime.now(dt.UTC)
    since, until, days = period(f, now)
    return await advisor_cache.changes(since, until, rules(days, now))


async def _in_scope(f: ReportFilter | None, found: list[Advice]) -> list[Advice]:
    if f is None:
        return found
    if f.item:
        item_id = await lookup.item_id(int(f.item) if f.item.isdecimal() else f.item)
        found = [a for a in found if a.facts.item_id == item_id]
    if f.category:
        found = [a for a in found if a.facts.category == f.category]
    if f.location:
        held = await advisor_repo.held_in(
            await places_repo.subtree_ids(await lookup.location_id(f.location)))
        found = [a for a in found if a.facts.item_id in held]
    return found


async def suggestions(q: Query, now: dt.datetime | None = None) -> list[Advice]:
    """The items whose tracking the advisor would change, by SKU: over-tracked (serialized,
    should be counted), under-tracked (counted, should be serialized or lotted), or both."""
    if q.direction is not None and q.direction not in DIRECTIONS:
        raise InvalidInput("direction must be over or under", field="direction")
    found = [a for a in await changes(q.filter, now)
             if q.direction is None or a.direction == q.direction]
    return await _in_scope(q.filter, found)


async def count_suggestions(now: dt.datetime | None = None) -> dict[str, int]:
    """For the dashboard: how many items the advisor suggests changing, over and under."""
    found = await suggestions(Query(), now)
    over = sum(1 for a in found if a.direction == "over")
    return {"over": over, "under": len(found) - over, "total": len(found)}


async def item_advice(item_id: int, f: ReportFilter | None = None,
                      now: dt.datetime | None = None) -> Advice:
    """One item's checklist, read for that item alone."""
    now = now or dt.datetime.now(dt.UTC)
    since, until, days = period(f, now)
    r = rules(days, now)
    assert r.today is not None
    found = await advisor_repo.facts(Scope(item_ids=[item_id]), since=since, until=until,
                                     today=r.today)
    if not found:  # archived items are not advised on
        await items_repo.get(item_id)  # a missing item is a 404
        raise Conflict("an archived item gets no tracking advice", code="item_archived")
    return advisor.advise(found[0], r)


async def suggested_ids(now: dt.datetime | None = None) -> list[int]:
    """For the catalog's "advisor suggests a change" filter (the last 90 days)."""
    return [a.facts.item_id for a in await changes(None, now)]

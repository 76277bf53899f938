"""History events as sentences for the pages' timelines, with links to what they name.

A page shows the latest events of a record and steps back to the very first with
"Older" / "Newer" links: keyset pages on the event id (?before=ID, ?after=ID), so a page
deep in a long history costs the same as the first. The dashboard's recent activity
folds a bulk change (22 `unit.collapsed` of one conversion) into one line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from litestar import get
from litestar.response import Template

from server.db import history_repo, places_repo
from server.domain.errors import InvalidInput, NotFound
from server.domain.import_plan import source as import_source
from server.domain.timezones import format_date
from server.http import present
from server.http.auth import VIEW
from server.http.pages.common import PageBase, Req, label, page
from server.http.schemas import EventOut

MAX_ID = 2**63 - 1


class Names:
    """Tag -> display name for locations and people, loaded once per page."""

    def __init__(self, location_names: dict[str, str]) -> None:
        self.locations = location_names
        self.people: dict[str, str] = {}

    @classmethod
    async def load(cls) -> Names:
        _, names, tags = await places_repo.tree_maps()
        return cls({tags[i]: names[i] for i in tags})

    async def person(self, tag: str) -> str:
        if tag not in self.people:
            try:
                self.people[tag] = str((await places_repo.person(tag=tag))["name"])
            except NotFound:
                self.people[tag] = tag
        return self.people[tag]


def _place(names: Names, tag: str | None) -> dict[str, str] | None:
    if tag is None:
        return None
    return {"text": names.locations.get(tag, tag), "href": f"/locations/{tag}"}


async def _who(names: Names, tag: str | None) -> dict[str, str] | None:
    if tag is None:
        return None
    return {"text": await names.person(tag), "href": f"/people/{tag}"}


def _verb(e: EventOut) -> str:
    action = e.details.get("action")
    if e.kind == "unit.status_changed" and action:
        return label(action).capitalize()
    if e.kind == "unit.condition_changed":
        return f"Condition set to {label(e.details.get('condition'))}"
    if e.kind == "stock.adjusted":
        return f"Adjusted to {e.details.get('counted')} (was {e.details.get('was')})"
    if e.kind.startswith("stock.") and e.quantity is not None:
        return f"{label(e.kind.split('.', 1)[1]).capitalize()} {abs(e.quantity)}"
    if e.kind == "item.tracking_changed":
        return f"Tracking changed from {e.details.get('from')} to {e.details.get('to')}"
    if e.kind == "lot.expiry_changed":
        return (f"Expiry changed from {_day(e.details.get('from')) or 'none'} "
                f"to {_day(e.details.get('to')) or 'none'}")
    if e.kind == "lot.created" and e.details.get("expires_on"):
        return f"Lot created, expires {_day(e.details['expires_on'])}"
    noun, _, verb = e.kind.partition(".")
    return f"{label(noun).capitalize()} {label(verb)}"


def _day(iso: Any) -> str:
    """A date kept in an event as 2027-01-31, written as pages write dates."""
    try:
        return format_date(dt.date.fromisoformat(str(iso))) if iso else ""
    except ValueError:
        return str(iso)


async def describe(row: dict[str, Any], names: Names) -> dict[str, Any]:
    e = present.event(row)
    return {
        "id": e.id,
        "at": e.at,  # shown with when(): the viewer's zone
        "iso": e.at.isoformat(),
        "actor": e.actor,
        "kind": e.kind,
        "verb": _verb(e),
        "item": e.item,
        "item_id": row.get("item_id"),
        "unit": e.unit,
        "lot": e.lot,
        "lot_id": row.get("lot_id"),
        "note": e.note,
        "from_location": _place(names, e.from_location),
        "to_location": _place(names, e.to_location),
        "from_person": await _who(names, e.from_person),
        "to_person": await _who(names, e.to_person),
        "changes": e.details.get("changes") or {},
        "source": import_source(e.details),  # "imported from stock-2026.xlsx, row 418"
        "group": None,
    }


@dataclass
class HistoryPage:
    """One page of a record's history, newest first, with the cursors of the pages next
    to it (None: there is none). Iterates as the list of its events."""

    events: list[dict[str, Any]]
    older: int | None = None
    newer: int | None = None
    query: dict[str, str] = field(default_factory=dict)  # the page's other parameters

    def __iter__(self) -> Any:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def _href(self, cursor: str, value: int) -> str:
        return "?" + urlencode({**self.query, cursor: value}) + "#history-h"

    @property
    def older_href(self) -> str | None:
        return None if self.older is None else self._href("before", self.older)

    @property
    def newer_href(self) -> str | None:
        return None if self.newer is None else self._href("after", self.newer)


def _cursor(request: Req | None, name: str) -> int | None:
    text = "" if request is None else request.query_params.get(name, "")
    if not text:
        return None
    if not text.isdecimal() or not 0 <= int(text) <= MAX_ID:
        raise InvalidInput(f"{name} must be an event number", field=name)
    return int(text)


async def timeline(limit: int = 50, request: Req | None = None,
                   **where: int | str | None) -> HistoryPage:
    """The latest `limit` events of what `where` names; given the request, the page its
    ?before= or ?after= cursor asks for, with links to the next ones."""
    before, after = _cursor(request, "before"), _cursor(request, "after")
    rows: list[dict[str, Any]] = []
    if after is not None:
        rows = await history_repo.events(after_id=after, limit=limit + 1, **where)  # type: ignore[arg-type]
        more_newer = len(rows) > limit
        rows = rows[1:] if more_newer else rows
    if not rows:  # no cursor, or nothing newer than it: step back from `before` (or the top)
        after = None
        rows = await history_repo.events(before_id=before, limit=limit + 1, **where)  # type: ignore[arg-type]
        more_newer = before is not None
    more_older = len(rows) > limit if after is None else bool(rows)
    rows = rows[:limit]
    names = await Names.load()
    query = {} if request is None else {k: v for k, v in request.query_params.items()
                                        if k not in ("before", "after")}
    return HistoryPage(
        events=[await describe(r, names) for r in rows],
        older=int(rows[-1]["id"]) if rows and more_older else None,
        # past the first event: "Newer" leads back to the ones from `before` on
        newer=int(rows[0]["id"]) if rows and more_newer else (
            max(before - 1, 0) if before is not None and not rows else None),
        query=query,
    )


# ---- the dashboard: a bulk change as one line ----

RECENT_SCAN = 400  # events read to fill the dashboard's lines
TAIL_CHUNK, TAIL_CAP = 2000, 20_000  # reading on for a bulk change cut off by the scan
GAP = dt.timedelta(seconds=1)
_PLURAL = {"person": "people", "tags": "tag batches", "stock": "stock entries"}


def same_change(newer: dict[str, Any], older: dict[str, Any]) -> bool:
    """Two events next to each other in the history belong to one bulk change: one kind,
    one actor, less than a second apart (a change that straddles a clock second stays
    one change; a pause of a second or more starts a new one)."""
    return (newer["kind"] == older["kind"] and newer["actor"] == older["actor"]
            and abs(newer["at"] - older["at"]) < GAP)


def runs(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The events (newest first) cut into runs of one bulk change each."""
    out: list[list[dict[str, Any]]] = []
    for row in rows:
        if out and same_change(out[-1][-1], row):
            out[-1].append(row)
        else:
            out.append([row])
    return out


async def _rest_of_run(last: dict[str, Any]) -> tuple[int, bool]:
    """How many more events of `last`'s bulk change come before it (read in chunks, up to
    TAIL_CAP), and whether the cap cut the count short."""
    more, edge = 0, last
    while more < TAIL_CAP:
        chunk = await history_repo.brief_before(int(edge["id"]), TAIL_CHUNK)
        for row in chunk:
            if not same_change(edge, row):
                return more, False
            more, edge = more + 1, row
        if len(chunk) < TAIL_CHUNK:
            return more, False
    return more, True


def _same(rows: list[dict[str, Any]], key: str) -> Any:
    values = {r.get(key) for r in rows}
    return values.pop() if len(values) == 1 else None


def run_verb(rows: list[dict[str, Any]], count: int, capped: bool = False) -> str:
    """"22 units collapsed", "Consumed 12 from 3 lots"."""
    noun, _, verb = str(rows[0]["kind"]).partition(".")
    if noun == "stock":
        total = sum(abs(int(r.get("quantity") or 0)) for r in rows)
        lots = {r.get("lot_id") for r in rows}
        spread = f"from {len(lots)} lots" if len(lots) > 1 else f"in {count} entries"
        return f"{label(verb).capitalize()} {total:,} {spread}"
    action = _same(rows, "details_action")
    what = label(action) if rows[0]["kind"] == "unit.status_changed" and action else label(verb)
    return f"{count:,}{'+' * capped} {_PLURAL.get(noun, label(noun) + 's')} {what}"


async def describe_run(rows: list[dict[str, Any]], names: Names, count: int,
                       capped: bool = False) -> dict[str, Any]:
    """One line for a run of events: the newest one's sentence parts that every event of
    the run shares, and a link to the events themselves (on the item's page when they all
    belong to one item)."""
    line = await describe(rows[0], names)
    if count < 2:
        return line
    for key, column in (("from_location", "from_location_id"), ("to_location", "to_location_id"),
                        ("from_person", "from_person_id"), ("to_person", "to_person_id"),
                        ("lot", "lot_id")):
        if _same(rows, column) is None:
            line[key] = None
    if _same(rows, "note") is None:
        line["note"] = ""
    item_id = _same(rows, "item_id")
    line.update(unit=None, changes={}, item=line["item"] if item_id else None,
                verb=run_verb(rows, count, capped))
    start = int(rows[0]["id"]) + 1
    line["group"] = {"count": count,
                     "href": f"/items/{item_id}?before={start}#history-h" if item_id
                     else f"/history?before={start}#history-h"}
    return line


async def recent_activity(lines: int = 12) -> list[dict[str, Any]]:
    """The dashboard's latest `lines` lines, a bulk change folded into one."""
    rows = await history_repo.events(limit=RECENT_SCAN)
    for r in rows:  # unit.status_changed runs are told apart by their action
        r["details_action"] = present.event(r).details.get("action")
    grouped = runs(rows)[:lines]
    counts = [len(run) for run in grouped]
    capped = False
    if grouped and len(rows) == RECENT_SCAN and grouped[-1][-1] is rows[-1]:
        # the oldest run shown may go on past what was read: read on to its start
        more, capped = await _rest_of_run(grouped[-1][-1])
        counts[-1] += more
    names = await Names.load()
    return [await describe_run(run, names, n, capped and i == len(grouped) - 1)
            for i, (run, n) in enumerate(zip(grouped, counts, strict=True))]


class HistoryPages(PageBase):
    @get("/history", opt=VIEW)
    async def history(self, request: Req) -> Template:
        """Every event, newest first, back to the very first one."""
        return page(request, "history.html", history=await timeline(limit=50, request=request))

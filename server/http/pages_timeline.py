"""History events as sentences for the pages' timelines, with links to what they name."""

from __future__ import annotations

from typing import Any

from server.db import history_repo, places_repo
from server.domain.errors import NotFound
from server.http import present
from server.http.pages_common import label, when
from server.http.schemas import EventOut


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
    noun, _, verb = e.kind.partition(".")
    return f"{label(noun).capitalize()} {label(verb)}"


async def describe(row: dict[str, Any], names: Names) -> dict[str, Any]:
    e = present.event(row)
    return {
        "id": e.id,
        "at": when(e.at),
        "iso": e.at.isoformat(),
        "actor": e.actor,
        "kind": e.kind,
        "verb": _verb(e),
        "item": e.item,
        "item_id": row.get("item_id"),
        "unit": e.unit,
        "lot": e.lot,
        "note": e.note,
        "from_location": _place(names, e.from_location),
        "to_location": _place(names, e.to_location),
        "from_person": await _who(names, e.from_person),
        "to_person": await _who(names, e.to_person),
        "changes": e.details.get("changes") or {},
    }


async def timeline(limit: int = 50, **where: int | str | None) -> list[dict[str, Any]]:
    rows = await history_repo.events(limit=limit, **where)  # type: ignore[arg-type]
    names = await Names.load()
    return [await describe(r, names) for r in rows]

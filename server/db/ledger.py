"""The one place that writes events. Call it inside the transaction of the change."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from server.db.engine import fetch
from server.db.tables import Event
from server.domain.actors import Actor
from server.domain.events import EventDraft
from server.domain.ledger import LedgerEvent

_COLUMNS = ("at", "actor_id", "actor", "kind", "item_id", "unit_id", "lot_id", "quantity",
            "from_location_id", "to_location_id", "from_person_id", "to_person_id", "note",
            "details")
# Raw SQL for the one event of a change (the scan path); the query builder cost twice the
# INSERT itself.
_INSERT = (f"INSERT INTO event ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join('{}' for _ in _COLUMNS)}) RETURNING id")


async def record(actor: Actor, draft: EventDraft) -> int:
    rows = await fetch(_INSERT, dt.datetime.now(dt.UTC), actor.user_id, actor.name,
                           draft.kind.value, draft.item_id, draft.unit_id, draft.lot_id,
                           draft.quantity, draft.from_location_id, draft.to_location_id,
                           draft.from_person_id, draft.to_person_id, draft.note,
                           _details(draft))
    return int(rows[0]["id"])


async def record_many(actor: Actor, drafts: Sequence[EventDraft]) -> list[int]:
    if not drafts:
        return []
    ids: list[int] = []
    for start in range(0, len(drafts), 500):
        chunk = [_row(actor, d) for d in drafts[start:start + 500]]
        rows = await Event.insert(*chunk).returning(Event.id)
        ids.extend(int(r["id"]) for r in rows)
    return ids


def _row(actor: Actor, d: EventDraft) -> Event:
    return Event(
        actor_id=actor.user_id, actor=actor.name, kind=d.kind.value, item_id=d.item_id,
        unit_id=d.unit_id, lot_id=d.lot_id, quantity=d.quantity,
        from_location_id=d.from_location_id, to_location_id=d.to_location_id,
        from_person_id=d.from_person_id, to_person_id=d.to_person_id, note=d.note,
        details=_details(d),
    )


def _details(d: EventDraft) -> str:
    return json.dumps(d.details, default=str, sort_keys=True)


async def all_events(batch: int = 5000) -> list[LedgerEvent]:
    out: list[LedgerEvent] = []
    last = 0
    cols = [Event.id, Event.kind, Event.item_id, Event.unit_id, Event.lot_id, Event.quantity,
            Event.from_location_id, Event.to_location_id, Event.from_person_id,
            Event.to_person_id, Event.details]
    while True:
        rows = await (Event.select(*cols).where(Event.id > last).order_by(Event.id)
                      .limit(batch))
        if not rows:
            return out
        for r in rows:
            r["details"] = _load(r["details"])
            out.append(LedgerEvent(**r))
        last = rows[-1]["id"]


def _load(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        loaded: dict[str, Any] = json.loads(value or "{}")
        return loaded
    return dict(value or {})

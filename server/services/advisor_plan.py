"""Acting on a tracking advisor's suggestion: the plan first, then one confirmation.

This is the existing conversion (server/services/conversion.py), never a second copy of its
rules: `plan` asks the conversion for its preview (the same checks and the same plan it
would carry out now, refusals included) and describes it in words; `apply` calls
`conversion.convert` itself, and answers the first and last tag of the units it made, for
their labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.db import advisor_repo, items_repo, units_repo
from server.domain import advisor
from server.domain.actors import Actor
from server.domain.errors import Conflict, InvalidInput
from server.domain.vocab import Status, Tracking
from server.services import conversion
from server.services.advisor import item_advice


@dataclass
class PlanLine:
    location: dict[str, Any]
    lot: str | None
    quantity: int  # pieces that become units, or units that become this count
    new_units: int = 0
    restored: int = 0


@dataclass
class Plan:
    item_id: int
    sku: str
    name: str
    tracking: str
    target: str
    lines: list[PlanLine] = field(default_factory=list)
    units_created: int = 0
    units_restored: int = 0
    units_collapsed: int = 0
    units_not_counted: int = 0  # lost or retired: kept as records, not counted
    tags_to_print: int = 0
    serials_pending: int = 0
    checked_out: list[dict[str, Any]] = field(default_factory=list)
    history: str = ""
    refused: str | None = None  # the conversion's own refusal, if it refuses now
    refused_code: str | None = None
    sentences: list[str] = field(default_factory=list)


async def plan(item_id: int, target: str | None = None) -> Plan:
    """The conversion a suggestion leads to, as it would run now. `target` defaults to the
    advisor's suggestion. A refusal of the conversion is part of the answer, not an error."""
    if target is None:
        advice = await item_advice(item_id)
        if advice.change is None:
            raise Conflict(f"the advisor suggests no change for {advice.facts.sku}: "
                           f"{advice.why}", code="no_suggestion", field="tracking")
        target = advice.change.value
    events = await advisor_repo.event_count(item_id)
    try:
        item, p = await conversion.preview(item_id, target)
    except Conflict as exc:
        it = await items_repo.get(item_id)
        out = Plan(it.id, it.sku, it.name, it.tracking.value, target, refused=exc.message,
                   refused_code=exc.code)
        out.checked_out = await _custody(exc.details.get("checked_out") or [], item_id)
        out.history = _history(events, target)
        return out
    out = Plan(item.id, item.sku, item.name, item.tracking.value, target)
    if target == Tracking.SERIAL.value:
        counts: dict[tuple[int, int | None], PlanLine] = {}
        for key in p.new_units:
            line = counts.setdefault((key.location_id, key.lot_id),
                                     PlanLine({"id": key.location_id}, None, 0))
            line.new_units += 1
            line.quantity += 1
        for _unit, key in p.restore:
            line = counts.setdefault((key.location_id, key.lot_id),
                                     PlanLine({"id": key.location_id}, None, 0))
            line.restored += 1
            line.quantity += 1
        out.lines = [counts[k] for k in sorted(counts, key=lambda k: (k[0], k[1] or 0))]
        out.units_created, out.units_restored = len(p.new_units), len(p.restore)
        out.tags_to_print = out.serials_pending = len(p.new_units)
    else:
        out.lines = [PlanLine({"id": k.location_id}, _lot_key(k.lot_id), q)
                     for k, q in sorted(p.stock_deltas.items(),
                                        key=lambda kv: (kv[0].location_id, kv[0].lot_id or 0))
                     if q > 0]
        out.units_collapsed = len(p.collapse)
        out.units_not_counted = sum(1 for u in p.collapse if u.status in (Status.LOST,
                                                                           Status.RETIRED))
    await _name_lines(out)
    out.history = _history(events, target)
    out.sentences = _sentences(out)
    return out


def _lot_key(lot_id: int | None) -> str | None:
    return None if lot_id is None else str(lot_id)


async def _name_lines(out: Plan) -> None:
    places = await advisor_repo.names("location", {int(line.location["id"]) for line in out.lines})
    lot_ids = {int(line.lot) for line in out.lines if line.lot and line.lot != "0"}
    lots = await advisor_repo.names("lot", lot_ids)
    for line in out.lines:
        row = places.get(int(line.location["id"]), {})
        line.location = {"id": line.location["id"], "tag": row.get("tag"), "name": row.get("name")}
        if line.lot is not None:
            line.lot = "UNLOTTED (new)" if line.lot == "0" else str(
                lots.get(int(line.lot), {}).get("name") or line.lot)


async def _custody(tags: list[str], item_id: int) -> list[dict[str, Any]]:
    if not tags:
        return []
    held = [u for u in await units_repo.for_item(item_id) if u.tag in set(tags)]
    people = await advisor_repo.names("person", {u.custodian_id for u in held if u.custodian_id})
    return [{"tag": u.tag, "custodian": (people.get(u.custodian_id) or {}).get("name")
             if u.custodian_id else None,
             "due_at": u.due_at.isoformat() if u.due_at else None} for u in held]


def _history(events: int, target: str) -> str:
    kept = f"Nothing is lost: the item's {advisor.plural(events, 'event')} stay in its history"
    if target == Tracking.SERIAL.value:
        return (f"{kept}; each new unit's history starts with the piece it was made from, at "
                "the same location.")
    return (f"{kept}; every unit keeps its record, tag and history (it is marked as merged "
            "into the count, not deleted).")


def _sentences(p: Plan) -> list[str]:
    if p.target == Tracking.SERIAL.value:
        out = [f"{advisor.plural(p.units_created + p.units_restored, 'unit')} at "
               f"{advisor.plural(len(p.lines), 'location')}."]
        if p.units_restored:
            out.append(f"{advisor.plural(p.units_restored, 'unit')} merged into the count "
                       "earlier come back with their tags and serials.")
        if p.units_created:
            out.append(f"{advisor.plural(p.tags_to_print, 'new tag')} to print; "
                       f"{advisor.plural(p.serials_pending, 'serial')} pending until someone "
                       "scans or types them.")
        return out
    counted = sum(line.quantity for line in p.lines)
    out = [f"{advisor.plural(p.units_collapsed, 'unit')} merge into counts: "
           f"{counted:,} on hand at {advisor.plural(len(p.lines), 'location')}."]
    if p.units_not_counted:
        out.append(f"{advisor.plural(p.units_not_counted, 'unit')} lost or retired "
                   "keep their records but are not counted.")
    out.append("No unit is checked out: nobody holds one, so no loan is affected.")
    return out


async def apply(actor: Actor, item_id: int, target: str, *, confirm: bool,
                on_checked_out: str = "refuse") -> dict[str, Any]:
    """Carry out the conversion (one confirmation). Answers the conversion's counts and,
    when units were made, the first and last of their tags (for their labels)."""
    if not confirm:
        raise InvalidInput("confirm the change of tracking", field="confirm")
    before = await advisor_repo.last_unit_id(item_id)
    result: dict[str, Any] = dict(await conversion.convert(
        actor, item_id, target, on_checked_out=on_checked_out))
    made = await advisor_repo.tags_after(item_id, before) if result["units_created"] else None
    result["new_tags"] = None if made is None else {"first": made[0], "last": made[1]}
    result["sku"] = (await items_repo.get(item_id)).sku
    return result

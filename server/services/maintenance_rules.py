"""Maintenance schedule rules (managers set them) and where units stand on them.

A rule's next due is not stored: it follows from the rule, the unit's last `done` record
for it and the check-outs since (server/domain/maintenance.py `due`), so completing a
record resets it by itself and nothing can drift."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db import items_repo, ledger, maintenance_repo, units_repo
from server.db.engine import write_transaction
from server.domain import maintenance as m
from server.domain.actors import Actor
from server.domain.errors import InvalidInput
from server.domain.events import EventDraft
from server.domain.vocab import EventKind, Role, Tracking
from server.services.maintenance import MAX_TEXT, _date, today_for

NUMBERS = ("every_days", "every_uses", "lead_days", "lead_uses")
EDITABLE = (*NUMBERS, "anchor", "starts_on", "name", "blocks_checkout", "active")


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in EDITABLE:
            raise InvalidInput(f"{key} cannot be set on a service rule", field=key)
        if key in NUMBERS:
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidInput(f"{key} must be a whole number", field=key)
            out[key] = value if key.startswith("every") else (value or 0)
        elif key == "anchor":
            try:
                out[key] = m.Anchor(str(value)).value
            except ValueError:
                raise InvalidInput("anchor must be one of: completion, calendar",
                                   field="anchor") from None
        elif key == "starts_on":
            out[key] = _date(value, key)
        elif key == "name":
            if not isinstance(value, str) or len(value) > MAX_TEXT["name"]:
                raise InvalidInput(f"name must be text of at most {MAX_TEXT['name']} "
                                   "characters", field="name")
            out[key] = value.strip()
        else:
            if not isinstance(value, bool):
                raise InvalidInput(f"{key} must be true or false", field=key)
            out[key] = value
    return out


def _check(row: dict[str, Any]) -> None:
    m.ScheduleRule(starts_on=row["starts_on"], every_days=row.get("every_days"),
                   every_uses=row.get("every_uses"),
                   anchor=m.Anchor(row.get("anchor") or "completion"),
                   lead_days=row.get("lead_days") or 0, lead_uses=row.get("lead_uses") or 0)


async def add_rule(actor: Actor, kind: str, *, item_id: int | None = None,
                   unit_tag: str | None = None, settings: dict[str, Any]) -> int:
    """A rule on an item (for all its units) or on one unit: exactly one of them."""
    actor.require(Role.MANAGER)
    if (item_id is None) == (unit_tag is None):
        raise InvalidInput("a rule belongs to an item or to a unit: give one of them",
                           field="item")
    values = {"kind": m.parse_kind(kind).value, **_clean(settings)}
    values.setdefault("starts_on", None)
    values["starts_on"] = values["starts_on"] or today_for(actor)
    _check(values)
    async with write_transaction():
        unit_id = None
        if unit_tag is not None:
            unit = await units_repo.get(tag=unit_tag)
            unit_id, item_id = unit.id, unit.item_id
            values["unit"] = unit_id
        else:
            assert item_id is not None
            item = await items_repo.get(item_id, share=True)
            item.ensure_tracking(Tracking.SERIAL, doing="schedule maintenance of its units")
            values["item"] = item_id
        rule_id = await maintenance_repo.insert_rule(values)
        await ledger.record(actor, _rule_event(rule_id, item_id, unit_id, values))
        return rule_id


def _rule_event(rule_id: int, item_id: int | None, unit_id: int | None,
                values: dict[str, Any], before: dict[str, Any] | None = None) -> EventDraft:
    """details.changes as unit.updated has them, {field: [before, after]}, which the
    history timeline shows."""
    def show(v: Any) -> Any:
        return v.isoformat() if isinstance(v, dt.date) else v
    shown = {k: [show((before or {}).get(k)), show(v)] for k, v in values.items()
             if k not in ("item", "unit") and (v is not None or before is not None)}
    return EventDraft(kind=EventKind.SERVICE_RULE_SET, item_id=item_id, unit_id=unit_id,
                      details={"rule": rule_id, "changes": shown})


async def update_rule(actor: Actor, rule_id: int, changes: dict[str, Any]) -> int | None:
    actor.require(Role.MANAGER)
    clean = _clean(changes)
    async with write_transaction():
        row = await maintenance_repo.rule(rule_id, lock=True)
        diff = {k: v for k, v in clean.items() if row[k] != v}
        if not diff:
            return None
        _check({**row, **diff})
        await maintenance_repo.save_rule(row, diff)
        return await ledger.record(actor, _rule_event(rule_id, row["item"], row["unit"],
                                                      diff, row))


async def rule(rule_id: int) -> dict[str, Any]:
    return await maintenance_repo.rule(rule_id)


async def _standing(rule_row: dict[str, Any], unit_id: int, today: dt.date
                    ) -> dict[str, Any]:
    schedule = maintenance_repo.schedule_of(rule_row)
    done_at = await maintenance_repo.last_done(rule_row, unit_id)
    done = done_at.date() if done_at else None
    since = max(done_at, dt.datetime.combine(schedule.starts_on, dt.time(), dt.UTC)) \
        if done_at else dt.datetime.combine(schedule.starts_on, dt.time(), dt.UTC)
    uses = await maintenance_repo.checkouts_since(unit_id, since) \
        if schedule.every_uses is not None else 0
    got = m.due(schedule, last_done=done, uses_since=uses, today=today)
    return {"rule": rule_row["id"], "kind": rule_row["kind"], "name": rule_row["name"],
            "state": got.state.value, "due_on": got.due_on, "uses_left": got.uses_left,
            "overdue_since": got.overdue_since, "last_done": done_at,
            "blocks_checkout": rule_row["blocks_checkout"]}


async def unit_schedule(actor: Actor | None, tag: str) -> list[dict[str, Any]]:
    """Each active rule of the unit (its own and its item's) and where the unit stands."""
    unit = await units_repo.get(tag=tag)
    today = today_for(actor)
    rows = await maintenance_repo.rules_for(item_id=unit.item_id, unit_id=unit.id)
    return [await _standing(r, unit.id, today) for r in rows]


async def rules_of(*, item_id: int | None = None, unit_tag: str | None = None
                   ) -> list[dict[str, Any]]:
    if unit_tag is not None:
        unit = await units_repo.get(tag=unit_tag)
        return await maintenance_repo.rules_for(item_id=unit.item_id, unit_id=unit.id)
    return await maintenance_repo.rules_for(item_id=item_id)


async def due_list(actor: Actor | None, *, include_ok: bool = False
                   ) -> tuple[list[dict[str, Any]], bool]:
    """Units that are due soon, due or overdue on a rule, the most pressing first, and
    whether the (rule, unit) pairs looked at were cut at SCHEDULED_LIMIT (said, never
    silent: each pair costs two queries today; set-based SQL is the next step)."""
    today = today_for(actor)
    out = []
    pairs = await maintenance_repo.scheduled_units()
    cut = len(pairs) > maintenance_repo.SCHEDULED_LIMIT
    for row in pairs[:maintenance_repo.SCHEDULED_LIMIT]:
        standing = await _standing(row, row["unit_id"], today)
        if include_ok or standing["state"] != m.DueState.OK.value:
            out.append({**standing, "unit": row["unit_tag"], "unit_status": row["unit_status"]})
    order = [s.value for s in (m.DueState.OVERDUE, m.DueState.DUE, m.DueState.DUE_SOON,
                               m.DueState.OK)]
    out.sort(key=lambda r: (order.index(r["state"]), r["due_on"] or dt.date.max, r["unit"]))
    return out, cut

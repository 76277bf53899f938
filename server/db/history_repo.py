"""Reading the history: events for one unit, item, location or person, newest first."""

from __future__ import annotations

from typing import Any

from server.db.tables import Event, Unit


async def events(*, unit_id: int | None = None, item_id: int | None = None,
                 location_id: int | None = None, person_id: int | None = None,
                 kind: str | None = None, before_id: int | None = None,
                 limit: int = 50, lot_id: int | None = None,
                 after_id: int | None = None) -> list[dict[str, Any]]:
    """Newest first; with `after_id`, the `limit` events just after it (still newest
    first), so that a page can step back towards the newest."""
    where: list[str] = []
    args: list[Any] = []
    if lot_id is not None:
        where.append("e.lot_id = {}")
        args.append(lot_id)
    if after_id is not None:
        where.append("e.id > {}")
        args.append(after_id)
    if unit_id is not None:
        where.append("e.unit_id = {}")
        args.append(unit_id)
    if item_id is not None:
        where.append("e.item_id = {}")
        args.append(item_id)
    if location_id is not None:
        where.append("(e.from_location_id = {} OR e.to_location_id = {})")
        args += [location_id, location_id]
    if person_id is not None:
        where.append("(e.from_person_id = {} OR e.to_person_id = {})")
        args += [person_id, person_id]
    if kind is not None:
        where.append("e.kind LIKE {}")
        args.append(kind.replace("*", "%"))
    if before_id is not None:
        where.append("e.id < {}")
        args.append(before_id)
    cond = " AND ".join(where) or "1 = 1"
    rows: list[dict[str, Any]] = await Event.raw(
        "SELECT e.*, u.tag AS unit_tag, i.sku AS item_sku, fl.tag AS from_location_tag, "
        "tl.tag AS to_location_tag, fp.tag AS from_person_tag, tp.tag AS to_person_tag, "
        "lo.code AS lot_code "
        "FROM event e LEFT JOIN unit u ON u.id = e.unit_id LEFT JOIN item i ON i.id = e.item_id "
        "LEFT JOIN location fl ON fl.id = e.from_location_id "
        "LEFT JOIN location tl ON tl.id = e.to_location_id "
        "LEFT JOIN person fp ON fp.id = e.from_person_id "
        "LEFT JOIN person tp ON tp.id = e.to_person_id LEFT JOIN lot lo ON lo.id = e.lot_id "
        f"WHERE {cond} ORDER BY e.id {'ASC' if after_id is not None else 'DESC'} LIMIT {{}}",
        *args, limit)
    return rows[::-1] if after_id is not None else rows


async def brief_before(before_id: int, limit: int) -> list[dict[str, Any]]:
    """The `limit` events just before `before_id`, newest first, with only what tells one
    bulk change from the next (id, kind, actor, at): cheap to read by the thousand."""
    rows: list[dict[str, Any]] = await Event.raw(
        "SELECT id, kind, actor, at FROM event WHERE id < {} ORDER BY id DESC LIMIT {}",
        before_id, limit)
    return rows


async def unit_states() -> dict[int, dict[str, Any]]:
    rows = await Unit.select(Unit.id, Unit.item, Unit.location, Unit.custodian, Unit.status,
                             Unit.condition, Unit.collapsed)
    return {r["id"]: r for r in rows}

"""Locations (a tree) and people."""

from __future__ import annotations

from typing import Any

from server.db.engine import fetch
from server.db.tables import Audit, AuditLine, Loan, Location, Person, Stock, Unit
from server.domain.errors import NotFound


async def location(*, tag: str | None = None, location_id: int | None = None
                   ) -> dict[str, Any]:
    # Raw SQL: on the scan path, Piccolo's query builder cost several times the query.
    col, value = ("tag", tag) if tag is not None else ("id", location_id)
    rows = await fetch(f"SELECT * FROM location WHERE {col} = {{}}", value)
    if not rows:
        raise NotFound(f"no location {tag or location_id}", field="location")
    row: dict[str, Any] = rows[0]
    return row


async def parents_and_names() -> tuple[dict[int, int | None], dict[int, str]]:
    rows = await Location.select(Location.id, Location.parent, Location.name)
    return {r["id"]: r["parent"] for r in rows}, {r["id"]: r["name"] for r in rows}


async def tree_maps() -> tuple[dict[int, int | None], dict[int, str], dict[int, str]]:
    rows = await Location.select(Location.id, Location.parent, Location.name, Location.tag)
    return ({r["id"]: r["parent"] for r in rows}, {r["id"]: r["name"] for r in rows},
            {r["id"]: r["tag"] for r in rows})


async def subtree_ids(root_id: int) -> list[int]:
    rows = await fetch(
        "WITH RECURSIVE sub(id) AS (SELECT id FROM location WHERE id = {} UNION ALL "
        "SELECT l.id FROM location l JOIN sub ON l.parent = sub.id) SELECT id FROM sub",
        root_id)
    return [r["id"] for r in rows]


async def insert_location(tag: str, name: str, parent_id: int | None) -> int:
    rows = await Location.insert(Location(tag=tag, name=name, parent=parent_id)
                                 ).returning(Location.id)
    return int(rows[0]["id"])


async def update_location(location_id: int, values: dict[Any, Any]) -> None:
    await Location.update(values).where(Location.id == location_id)


async def delete_location(location_id: int) -> None:
    await Location.delete().where(Location.id == location_id)


async def holds_anything(location_id: int) -> str | None:
    """Why this location cannot be deleted, or None."""
    if await Location.exists().where(Location.parent == location_id):
        return "it has sub-locations"
    if await Stock.exists().where((Stock.location == location_id) & (Stock.quantity != 0)):
        return "it holds stock"
    if await Unit.exists().where(Unit.location == location_id):
        return "units are (or were) recorded there"
    if await Loan.exists().where(Loan.from_location == location_id):
        return "loans were lent from it"
    if await Audit.exists().where(
        (Audit.location == location_id) | (Audit.current_location == location_id)
    ) or await AuditLine.exists().where(
        (AuditLine.location == location_id) | (AuditLine.scanned_location == location_id)
    ):
        return "an audit covers it"
    return None


def location_where(*, parent_id: int | None, root_only: bool, q: str | None,
                   archived: bool | None) -> tuple[list[str], list[Any]]:
    """The locations list's filter as SQL conditions (the export shares it)."""
    where: list[str] = []
    args: list[Any] = []
    if root_only:
        where.append("parent IS NULL")
    elif parent_id is not None:
        where.append("parent = {}")
        args.append(parent_id)
    if archived is not None:
        where.append("archived = {}")
        args.append(archived)
    if q:
        where.append("(LOWER(name) LIKE {} OR LOWER(tag) = {})")
        args += [f"%{q.lower()}%", q.strip().lower()]
    return where, args


async def list_locations(*, parent_id: int | None, root_only: bool, q: str | None,
                         archived: bool | None, limit: int, offset: int
                         ) -> tuple[list[dict[str, Any]], int]:
    where, args = location_where(parent_id=parent_id, root_only=root_only, q=q,
                                 archived=archived)
    cond = " AND ".join(where) or "1 = 1"
    total = await fetch(f"SELECT COUNT(*) AS n FROM location WHERE {cond}", *args)
    rows = await fetch(f"SELECT * FROM location WHERE {cond} ORDER BY name, id "
                              "LIMIT {} OFFSET {}", *args, limit, offset)
    return rows, int(total[0]["n"])


async def person(*, tag: str | None = None, person_id: int | None = None,
                 badge: str | None = None) -> dict[str, Any]:
    value: str | int | None
    if tag is not None:
        col, value = "tag", tag
    elif badge is not None:
        col, value = "badge_code", badge
    else:
        col, value = "id", person_id
    rows = await fetch(f"SELECT * FROM person WHERE {col} = {{}}", value)
    if not rows:
        raise NotFound(f"no person {tag or badge or person_id}", field="person")
    row: dict[str, Any] = rows[0]
    return row


async def badge_taken(badge: str, except_id: int | None = None) -> bool:
    q = Person.exists().where(Person.badge_code == badge)
    if except_id is not None:
        q = Person.exists().where((Person.badge_code == badge) & (Person.id != except_id))
    return bool(await q)


async def insert_person(values: dict[str, Any]) -> int:
    rows = await Person.insert(Person(**values)).returning(Person.id)
    return int(rows[0]["id"])


async def update_person(person_id: int, values: dict[Any, Any]) -> None:
    await Person.update(values).where(Person.id == person_id)


def person_where(*, q: str | None, active: bool | None) -> tuple[list[str], list[Any]]:
    """The people list's filter as SQL conditions (the export shares it)."""
    where: list[str] = []
    args: list[Any] = []
    if active is not None:
        where.append("active = {}")
        args.append(active)
    if q:
        where.append("(LOWER(name) LIKE {} OR LOWER(email) LIKE {} OR LOWER(tag) = {} "
                     "OR badge_code = {})")
        args += [f"%{q.lower()}%", f"%{q.lower()}%", q.strip().lower(), q.strip()]
    return where, args


async def list_people(*, q: str | None, active: bool | None, limit: int, offset: int
                      ) -> tuple[list[dict[str, Any]], int]:
    where, args = person_where(q=q, active=active)
    cond = " AND ".join(where) or "1 = 1"
    total = await fetch(f"SELECT COUNT(*) AS n FROM person WHERE {cond}", *args)
    rows = await fetch(f"SELECT * FROM person WHERE {cond} ORDER BY name, id "
                            "LIMIT {} OFFSET {}", *args, limit, offset)
    return rows, int(total[0]["n"])

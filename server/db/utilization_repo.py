"""Reads of the utilization summaries (unit_custody, unit_activity: migration
2026-11-29T15:20). Aggregations over a period run in SQL, so that only a page of rows
crosses into Python; the figures of a page's items are then computed in the domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.db.engine import fetch, is_postgres
from server.domain.utilization import Custody, Period
from server.domain.vocab import ON_HAND

_ON_HAND = ", ".join(f"'{s.value}'" for s in sorted(ON_HAND))
OWNED = f"u.status IN ({_ON_HAND}) AND u.collapsed = {{}}"


@dataclass(frozen=True)
class Scope:
    """Which units a report looks at: items of a category, one item, units now at a
    location of a subtree."""

    category: str | None = None
    item_id: int | None = None
    location_ids: list[int] | None = None


def _least() -> str:
    return "LEAST" if is_postgres() else "MIN"


def _greatest() -> str:
    return "GREATEST" if is_postgres() else "MAX"


def _overlap(p: Period) -> str:
    """Seconds of a custody row c inside the period (constants inlined: integers)."""
    return (f"({_least()}(COALESCE(c.in_s, {p.end_s}), {p.end_s}) "
            f"- {_greatest()}(c.out_s, {p.start_s}))")


def _in_period(p: Period) -> str:
    return f"c.out_s < {p.end_s} AND (c.in_s IS NULL OR c.in_s > {p.start_s})"


def _scope(s: Scope, unit: str = "u", item: str = "i") -> tuple[str, list[Any], bool, bool]:
    """(conditions, args, needs the unit table, needs the item table)"""
    where: list[str] = []
    args: list[Any] = []
    if s.item_id is not None:
        where.append(f"{unit}.item = {{}}" if unit == "u" else f"{unit}.item_id = {{}}")
        args.append(s.item_id)
    if s.category is not None:
        where.append(f"{item}.category = {{}}")
        args.append(s.category)
    if s.location_ids is not None:
        where.append(f"u.location IN ({', '.join('{}' for _ in s.location_ids) or 'NULL'})")
        args += s.location_ids
    return (" AND ".join(where) or "1 = 1"), args, s.location_ids is not None, \
        s.category is not None


async def items_in_scope(s: Scope) -> list[dict[str, Any]]:
    """The serialized items the report covers (id, sku, name, category)."""
    where = ["i.tracking = 'serial'", "i.archived = {}"]
    args: list[Any] = [False]
    if s.item_id is not None:
        where.append("i.id = {}")
        args.append(s.item_id)
    if s.category is not None:
        where.append("i.category = {}")
        args.append(s.category)
    if s.location_ids is not None:
        marks = ", ".join("{}" for _ in s.location_ids) or "NULL"
        where.append(f"EXISTS (SELECT 1 FROM unit u WHERE u.item = i.id AND u.location IN "
                     f"({marks}))")
        args += s.location_ids
    return await fetch(f"SELECT i.id, i.sku, i.name, i.category FROM item i "
                       f"WHERE {' AND '.join(where)}", *args)


def _custody_from(s: Scope) -> tuple[str, str, list[Any]]:
    cond, args, need_unit, need_item = _scope(s, unit="c")
    joins = (" JOIN unit u ON u.id = c.unit_id" if need_unit else "") + \
        (" JOIN item i ON i.id = c.item_id" if need_item else "")
    return f"unit_custody c{joins}", cond, args


async def out_by_item(p: Period, s: Scope) -> dict[int, int]:
    """Seconds out in the period per item (every unit's, retired ones too): the rank."""
    source, cond, args = _custody_from(s)
    rows = await fetch(f"SELECT c.item_id, SUM({_overlap(p)}) AS out_s FROM {source} "
                       f"WHERE {_in_period(p)} AND {cond} GROUP BY c.item_id", *args)
    return {int(r["item_id"]): int(r["out_s"]) for r in rows}


async def custody_of_items(item_ids: list[int], p: Period, s: Scope) -> list[dict[str, Any]]:
    """The custody rows of these items that touch the period, with the unit's state."""
    if not item_ids:
        return []
    cond, args, _, _ = _scope(Scope(location_ids=s.location_ids))
    marks = ", ".join("{}" for _ in item_ids)
    return await fetch(
        f"SELECT c.unit_id, c.item_id, c.person_id, c.out_s, c.in_s, "
        f"CASE WHEN {OWNED} THEN 1 ELSE 0 END AS owned "
        f"FROM unit_custody c JOIN unit u ON u.id = c.unit_id "
        f"WHERE c.item_id IN ({marks}) AND {_in_period(p)} AND {cond}",
        False, *item_ids, *args)


async def owned_of_items(item_ids: list[int], p: Period, s: Scope) -> dict[int, tuple[int, int]]:
    """Per item: (units owned now, their seconds in the period)."""
    if not item_ids:
        return {}
    cond, args, _, _ = _scope(Scope(location_ids=s.location_ids))
    marks = ", ".join("{}" for _ in item_ids)
    rows = await fetch(
        f"SELECT u.item, COUNT(*) AS owned, "
        f"SUM({p.end_s} - {_greatest()}(a.created_s, {p.start_s})) AS lifetime "
        f"FROM unit u JOIN unit_activity a ON a.unit_id = u.id "
        f"WHERE u.item IN ({marks}) AND {OWNED} AND a.created_s < {p.end_s} AND {cond} "
        f"GROUP BY u.item", *item_ids, False, *args)
    return {int(r["item"]): (int(r["owned"]), int(r["lifetime"] or 0)) for r in rows}


async def idle_units(item_id: int, p: Period, s: Scope, limit: int) -> list[dict[str, Any]]:
    """Owned units of the item, there the whole period, never out in it."""
    cond, args, _, _ = _scope(Scope(location_ids=s.location_ids))
    return await fetch(
        f"SELECT u.id, u.tag, a.moved_s, a.seen_s FROM unit u "
        f"JOIN unit_activity a ON a.unit_id = u.id "
        f"WHERE u.item = {{}} AND {OWNED} AND a.created_s <= {p.start_s} AND {cond} "
        f"AND NOT EXISTS (SELECT 1 FROM unit_custody c WHERE c.unit_id = u.id "
        f"AND {_in_period(p)}) ORDER BY u.tag LIMIT {{}}",
        item_id, False, *args, limit)


UNIT_COLUMNS = ("u.id, u.tag, u.item, u.status, u.serial, i.name AS item_name, i.sku, "
                "l.name AS location_name, l.tag AS location_tag, a.created_s, a.moved_s, "
                "a.seen_s")
UNIT_FROM = ("unit u JOIN item i ON i.id = u.item JOIN location l ON l.id = u.location "
             "JOIN unit_activity a ON a.unit_id = u.id")


async def units_by_out(p: Period, s: Scope, limit: int, offset: int
                       ) -> tuple[list[dict[str, Any]], int]:
    """Units out at some moment of the period, most time out first: a page and the total."""
    source, cond, args = _custody_from(s)
    rows = await fetch(
        f"SELECT c.unit_id, SUM({_overlap(p)}) AS out_s, "
        f"SUM(CASE WHEN c.out_s >= {p.start_s} THEN 1 ELSE 0 END) AS checkouts, "
        f"COUNT(DISTINCT c.person_id) AS borrowers, COUNT(*) OVER () AS total "
        f"FROM {source} WHERE {_in_period(p)} AND {cond} GROUP BY c.unit_id "
        f"ORDER BY out_s DESC, c.unit_id LIMIT {{}} OFFSET {{}}", *args, limit, offset)
    if not rows:
        total = await fetch(f"SELECT COUNT(DISTINCT c.unit_id) AS n FROM {source} "
                            f"WHERE {_in_period(p)} AND {cond}", *args) if offset else []
        return [], int(total[0]["n"]) if total else 0
    return rows, int(rows[0]["total"])


async def always_out(p: Period, s: Scope, share: float, limit: int
                     ) -> tuple[list[dict[str, Any]], int]:
    """Units out at least `share` of the part of the period they existed in."""
    source, cond, args = _custody_from(s)
    need = (f"{share} * ({p.end_s} - {_greatest()}(MIN(a.created_s), {p.start_s}))")
    rows = await fetch(
        f"SELECT c.unit_id, SUM({_overlap(p)}) AS out_s, "
        f"SUM(CASE WHEN c.out_s >= {p.start_s} THEN 1 ELSE 0 END) AS checkouts, "
        f"COUNT(DISTINCT c.person_id) AS borrowers, COUNT(*) OVER () AS total "
        f"FROM {source} JOIN unit_activity a ON a.unit_id = c.unit_id "
        f"WHERE {_in_period(p)} AND c.out_s < {p.end_s} - {share} * {p.end_s - p.start_s} "
        f"AND {cond} GROUP BY c.unit_id HAVING SUM({_overlap(p)}) >= {need} "
        f"ORDER BY out_s DESC, c.unit_id LIMIT {{}}", *args, limit)
    return rows, int(rows[0]["total"]) if rows else 0


async def never_moved(p: Period, s: Scope, limit: int) -> list[dict[str, Any]]:
    """Owned units with no check-out, check-in or move in the whole period, the longest
    still first; `limit` + 1 rows tell whether there are more."""
    cond, args, _, _ = _scope(s)
    return await fetch(
        f"SELECT {UNIT_COLUMNS} FROM {UNIT_FROM} "
        f"WHERE a.moved_s < {p.start_s} AND {OWNED} AND {cond} "
        f"ORDER BY a.moved_s, u.id LIMIT {{}}", False, *args, limit + 1)


async def units(ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    rows = await fetch(f"SELECT {UNIT_COLUMNS} FROM {UNIT_FROM} WHERE u.id IN ({marks})", *ids)
    return {int(r["id"]): r for r in rows}


async def units_of_item(item_id: int, s: Scope) -> list[dict[str, Any]]:
    cond, args, _, _ = _scope(Scope(location_ids=s.location_ids))
    return await fetch(f"SELECT {UNIT_COLUMNS} FROM {UNIT_FROM} "
                       f"WHERE u.item = {{}} AND u.collapsed = {{}} AND {cond} ORDER BY u.tag",
                       item_id, False, *args)


def custody(rows: list[dict[str, Any]]) -> list[Custody]:
    return [Custody(int(r["unit_id"]), r["person_id"], int(r["out_s"]),
                    None if r["in_s"] is None else int(r["in_s"])) for r in rows]


# verify: the summaries as stored

async def all_custody() -> dict[int, tuple[int, int, int | None, int, int | None]]:
    rows = await fetch("SELECT id, unit_id, item_id, person_id, out_s, in_s FROM unit_custody")
    return {int(r["id"]): (int(r["unit_id"]), int(r["item_id"]), r["person_id"],
                           int(r["out_s"]), None if r["in_s"] is None else int(r["in_s"]))
            for r in rows}


async def all_activity() -> dict[int, tuple[int, int, int, int]]:
    rows = await fetch("SELECT unit_id, item_id, created_s, moved_s, seen_s FROM unit_activity")
    return {int(r["unit_id"]): (int(r["item_id"]), int(r["created_s"]), int(r["moved_s"]),
                                int(r["seen_s"])) for r in rows}


async def scans_without_event() -> dict[int, int]:
    """Per unit: the last scan of it that wrote no event, in epoch seconds."""
    epoch = ("FLOOR(EXTRACT(EPOCH FROM received_at))::BIGINT" if is_postgres()
             else "unixepoch(received_at)")
    rows = await fetch(f"SELECT resolved_id, MAX({epoch}) AS s FROM scan_log "
                       f"WHERE resolved_kind = 'unit' AND event_id IS NULL "
                       f"AND resolved_id IS NOT NULL GROUP BY resolved_id")
    return {int(r["resolved_id"]): int(r["s"]) for r in rows}

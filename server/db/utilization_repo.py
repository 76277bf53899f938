"""Reads of the utilization summaries (unit_custody, unit_activity: migration
2026-11-29T15:20). Aggregations over a period run in SQL, so that only a page of rows
crosses into Python; the figures of a page's items are then computed in the domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.db.engine import fetch, is_postgres
from server.domain.utilization import Custody, Period, always_out_min_life
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


def _period_rows(p: Period, where: str = "1 = 1") -> str:
    """The custody rows touching the period as `c`: two index ranges (ended after the
    start; still open) rather than one OR, which neither engine walks as a range
    (PostgreSQL read every custody row of an item's history, SQLite's planner walked the
    item index for a GROUP BY). `where` (on bare columns) is repeated in both branches:
    pass its arguments twice."""
    cols = "id, unit_id, item_id, person_id, out_s, in_s"
    branch = f"SELECT {cols} FROM unit_custody WHERE out_s < {p.end_s} AND {where} AND "
    return f"({branch}in_s > {p.start_s} UNION ALL {branch}in_s IS NULL) c"


def _custody_from(p: Period, s: Scope) -> tuple[str, str, list[Any]]:
    cond, args, need_unit, need_item = _scope(s, unit="c")
    joins = (" JOIN unit u ON u.id = c.unit_id" if need_unit else "") + \
        (" JOIN item i ON i.id = c.item_id" if need_item else "")
    return f"{_period_rows(p)}{joins}", cond, args


def _items_where(s: Scope) -> tuple[str, list[Any]]:
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
    return " AND ".join(where), args


async def ranked_items(p: Period, s: Scope, limit: int, offset: int
                       ) -> tuple[list[dict[str, Any]], int]:
    """Items of the scope, most seconds out in the period first (every unit's, retired
    ones too), then by name: a page (id, sku, name, category, out_s) and the total."""
    source, cond, args = _custody_from(p, s)
    where, item_args = _items_where(s)
    rows = await fetch(
        f"SELECT i.id, i.sku, i.name, i.category, COALESCE(o.out_s, 0) AS out_s, "
        f"COUNT(*) OVER () AS total FROM item i LEFT JOIN ("
        f"SELECT c.item_id, SUM({_overlap(p)}) AS out_s FROM {source} "
        f"WHERE {cond} GROUP BY c.item_id) o ON o.item_id = i.id "
        f"WHERE {where} ORDER BY COALESCE(o.out_s, 0) DESC, LOWER(i.name), i.id "
        f"LIMIT {{}} OFFSET {{}}", *args, *item_args, limit, offset)
    if rows or not offset:
        return rows, int(rows[0]["total"]) if rows else 0
    total = await fetch(f"SELECT COUNT(*) AS n FROM item i WHERE {where}", *item_args)
    return [], int(total[0]["n"])


async def custody_of_items(item_ids: list[int], p: Period, s: Scope) -> list[dict[str, Any]]:
    """The custody rows of these items that touch the period (for one item's units)."""
    if not item_ids:
        return []
    cond, args, need_unit, _ = _scope(Scope(location_ids=s.location_ids))
    join = " JOIN unit u ON u.id = c.unit_id" if need_unit else ""
    marks = ", ".join("{}" for _ in item_ids)
    return await fetch(
        f"SELECT c.unit_id, c.item_id, c.person_id, c.out_s, c.in_s "
        f"FROM {_period_rows(p, f'item_id IN ({marks})')}{join} WHERE {cond}",
        *item_ids, *item_ids, *args)


async def item_figures(item_ids: list[int], p: Period, s: Scope) -> dict[int, dict[str, int]]:
    """Per item: check-outs begun in the period, distinct borrowers, and the seconds out
    of the units it owns now."""
    if not item_ids:
        return {}
    cond, args, _, _ = _scope(Scope(location_ids=s.location_ids))
    marks = ", ".join("{}" for _ in item_ids)
    rows = await fetch(
        f"SELECT c.item_id, SUM(CASE WHEN c.out_s >= {p.start_s} THEN 1 ELSE 0 END) "
        f"AS checkouts, COUNT(DISTINCT c.person_id) AS borrowers, "
        f"SUM(CASE WHEN {OWNED} THEN {_overlap(p)} ELSE 0 END) AS owned_out "
        f"FROM {_period_rows(p, f'item_id IN ({marks})')} JOIN unit u ON u.id = c.unit_id "
        f"WHERE {cond} GROUP BY c.item_id",
        False, *item_ids, *item_ids, *args)
    return {int(r["item_id"]): {"checkouts": int(r["checkouts"]),
                                "borrowers": int(r["borrowers"]),
                                "owned_out": int(r["owned_out"])} for r in rows}


async def peak_stretches(item_ids: list[int], p: Period, s: Scope
                         ) -> dict[int, list[tuple[int, int, int]]]:
    """Per item: the stretches [t, next) of the period during which the most of its units
    were out at once, with that number: the custody edges in time order (a return before
    a departure at the same second), their running sum, and the maxima, in SQL (so that a
    page of busy items does not bring every custody row into Python)."""
    if not item_ids:
        return {}
    cond, args, need_unit, _ = _scope(Scope(location_ids=s.location_ids))
    join = " JOIN unit u ON u.id = c.unit_id" if need_unit else ""
    marks = ", ".join("{}" for _ in item_ids)
    rows_c = f"{_period_rows(p, f'item_id IN ({marks})')}{join}"
    rows = await fetch(
        f"WITH edges AS ("
        f"SELECT c.item_id, {_greatest()}(c.out_s, {p.start_s}) AS t, 1 AS d "
        f"FROM {rows_c} WHERE {cond} "
        f"UNION ALL SELECT c.item_id, c.in_s AS t, -1 AS d FROM {rows_c} "
        f"WHERE {cond} AND c.in_s < {p.end_s}), "
        f"run AS (SELECT item_id, t, SUM(d) OVER w AS n, "
        f"LEAD(t, 1, {p.end_s}) OVER w AS next_t FROM edges "
        f"WINDOW w AS (PARTITION BY item_id ORDER BY t, d ROWS UNBOUNDED PRECEDING)), "
        f"ranked AS (SELECT item_id, t, next_t, n, MAX(CASE WHEN next_t > t THEN n END) "
        f"OVER (PARTITION BY item_id) AS most FROM run) "
        f"SELECT item_id, t, next_t, n FROM ranked WHERE n = most AND next_t > t AND n > 0 "
        f"ORDER BY item_id, t",
        *item_ids, *item_ids, *args, *item_ids, *item_ids, *args)
    out: dict[int, list[tuple[int, int, int]]] = {}
    for r in rows:
        out.setdefault(int(r["item_id"]), []).append((int(r["t"]), int(r["next_t"]), int(r["n"])))
    return out


async def owned_of_items(item_ids: list[int], p: Period, s: Scope) -> dict[int, tuple[int, int]]:
    """Per item: (units owned now, their seconds in the period). Counted on the unit
    index; only units added during the period are read from unit_activity."""
    if not item_ids:
        return {}
    cond, args, _, _ = _scope(Scope(location_ids=s.location_ids))
    marks = ", ".join("{}" for _ in item_ids)
    counts = await fetch(
        f"SELECT u.item, COUNT(*) AS owned FROM unit u "
        f"WHERE u.item IN ({marks}) AND {OWNED} AND {cond} GROUP BY u.item",
        *item_ids, False, *args)
    late = await fetch(
        f"SELECT u.item, COUNT(*) AS n, SUM({_least()}(a.created_s, {p.end_s}) - {p.start_s}) "
        f"AS missed FROM unit_activity a JOIN unit u ON u.id = a.unit_id "
        f"WHERE a.item_id IN ({marks}) AND a.created_s > {p.start_s} AND {OWNED} AND {cond} "
        f"GROUP BY u.item", *item_ids, False, *args)
    span = p.end_s - p.start_s
    missed = {int(r["item"]): int(r["missed"] or 0) for r in late}
    return {int(r["item"]): (int(r["owned"]),
                             int(r["owned"]) * span - missed.get(int(r["item"]), 0))
            for r in counts}


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
    """Units out at some moment of the period, most time out first: a page (unit_id,
    out_s, checkouts, borrowers) and the total. The ranking groups every custody row of
    the period; the counts are then read for the page's units only."""
    source, cond, args = _custody_from(p, s)
    ranked = await fetch(
        f"SELECT c.unit_id, SUM({_overlap(p)}) AS out_s, COUNT(*) OVER () AS total "
        f"FROM {source} WHERE {cond} GROUP BY c.unit_id "
        f"ORDER BY out_s DESC, c.unit_id LIMIT {{}} OFFSET {{}}", *args, limit, offset)
    if not ranked:
        total = await fetch(f"SELECT COUNT(DISTINCT c.unit_id) AS n FROM {source} "
                            f"WHERE {cond}", *args) if offset else []
        return [], int(total[0]["n"]) if total else 0
    counts = await _counts([int(r["unit_id"]) for r in ranked], p)
    return [{**r, **counts[int(r["unit_id"])]} for r in ranked], int(ranked[0]["total"])


async def _counts(unit_ids: list[int], p: Period) -> dict[int, dict[str, int]]:
    """Check-outs begun in the period and distinct borrowers in it, per unit."""
    out: dict[int, dict[str, int]] = {u: {"checkouts": 0, "borrowers": 0} for u in unit_ids}
    for start in range(0, len(unit_ids), 500):
        chunk = unit_ids[start:start + 500]
        marks = ", ".join("{}" for _ in chunk)
        rows = await fetch(
            f"SELECT c.unit_id, SUM(CASE WHEN c.out_s >= {p.start_s} THEN 1 ELSE 0 END) "
            f"AS checkouts, COUNT(DISTINCT c.person_id) AS borrowers FROM "
            f"{_period_rows(p, f'unit_id IN ({marks})')} GROUP BY c.unit_id",
            *chunk, *chunk)
        for r in rows:
            out[int(r["unit_id"])] = {"checkouts": int(r["checkouts"]),
                                      "borrowers": int(r["borrowers"])}
    return out


async def always_out(p: Period, s: Scope, share: float, limit: int
                     ) -> tuple[list[dict[str, Any]], int]:
    """Units out at least `share` of the part of the period they existed in (and that
    part at least always_out_min_life). The period's custody is summed per unit once;
    only units out `share` of the whole period, or added during it (an index range), are
    then looked up for their creation: joining every unit's row cost PostgreSQL a scan
    of unit_activity."""
    source, cond, args = _custody_from(p, s)
    life = f"({p.end_s} - {_greatest()}(a.created_s, {p.start_s}))"
    rows = await fetch(
        f"WITH g AS MATERIALIZED (SELECT c.unit_id, SUM({_overlap(p)}) AS out_s "
        f"FROM {source} WHERE {cond} GROUP BY c.unit_id), "
        f"k AS (SELECT unit_id, out_s FROM g WHERE out_s >= {share * (p.end_s - p.start_s)} "
        f"UNION SELECT g.unit_id, g.out_s FROM g JOIN unit_activity n "
        f"ON n.unit_id = g.unit_id WHERE n.created_s > {p.start_s}) "
        f"SELECT k.unit_id, k.out_s, COUNT(*) OVER () AS total FROM k "
        f"JOIN unit_activity a ON a.unit_id = k.unit_id "
        f"WHERE k.out_s >= {share} * {life} AND {life} >= {always_out_min_life(p)} "
        f"ORDER BY k.out_s DESC, k.unit_id LIMIT {{}}", *args, limit)
    if not rows:
        return [], 0
    counts = await _counts([int(r["unit_id"]) for r in rows], p)
    return [{**r, **counts[int(r["unit_id"])]} for r in rows], int(rows[0]["total"])


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
             else "unixepoch(substr(received_at, 1, 19) || substr(received_at, -6))")
    rows = await fetch(f"SELECT resolved_id, MAX({epoch}) AS s FROM scan_log "
                       f"WHERE resolved_kind = 'unit' AND event_id IS NULL "
                       f"AND resolved_id IS NOT NULL GROUP BY resolved_id")
    return {int(r["resolved_id"]): int(r["s"]) for r in rows}

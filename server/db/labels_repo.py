"""What label batches read: only the columns a label prints, for a whole batch in one query.

units_repo.UNIT_SELECT reads every column and converts every date: for 5,000 units that is
about a quarter of a second of Python in the database driver's thread, and while that
thread holds the GIL every database call and socket write of the event loop waits its turn
(measured by bench/bench_contention.py: scans stalled at the start of each batch)."""

from __future__ import annotations

from typing import Any

from server.db.engine import fetch

_UNITS = """
SELECT u.tag, u.serial, i.sku AS item_sku, i.name AS item_name, l.name AS location_name,
       p.name AS custodian_name
FROM unit u JOIN item i ON i.id = u.item JOIN location l ON l.id = u.location
LEFT JOIN person p ON p.id = u.custodian
WHERE {where} ORDER BY u.tag ASC, u.id ASC LIMIT {{}}
"""


async def units_of_item(item_id: int, tags: list[str] | None, limit: int
                        ) -> tuple[list[dict[str, Any]], int]:
    """Up to `limit` label rows of the item's units (of those with these tags, if given),
    and how many there are in all; collapsed units have no label."""
    where = ["u.item = {}", "u.collapsed = {}"]
    args: list[Any] = [item_id, False]
    if tags is not None:
        where.append(f"u.tag IN ({', '.join('{}' for _ in tags) or 'NULL'})")
        args += tags
    cond = " AND ".join(where)
    rows = await fetch(_UNITS.format(where=cond), *args, limit + 1)
    if len(rows) <= limit:
        return rows, len(rows)
    total = await fetch(f"SELECT COUNT(*) AS n FROM unit u WHERE {cond}", *args)
    return rows[:limit], int(total[0]["n"])

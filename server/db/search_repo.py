"""Name search for the header's search box: items (name or SKU), people (name or email) and
locations (name) by a part of it, case-insensitive. Exact codes (tags, serials, SKUs,
barcodes, lot codes) are looked up by the resolver chain (services/resolve.py), not here.

Each query is bounded (LIMIT). A part of a name is a LIKE '%text%', which no index helps;
the catalog, the people and the locations are small next to units and events (units, the
big table, are found by their exact tag or serial, both indexed), and the LIMIT stops a
scan early when there are many hits."""

from __future__ import annotations

from typing import Any

from server.db.engine import fetch

ESCAPE = "!"


def contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, lower-cased, its own % and _ taken literally."""
    safe = text.lower().replace(ESCAPE, ESCAPE * 2).replace("%", "!%").replace("_", "!_")
    return f"%{safe}%"


_ITEMS = (
    "SELECT id, sku, name, tracking, archived FROM item "
    "WHERE LOWER(name) LIKE {} ESCAPE '!' OR sku_key LIKE {} ESCAPE '!' "
    "ORDER BY archived, CASE WHEN LOWER(name) LIKE {} ESCAPE '!' THEN 0 ELSE 1 END, name, id "
    "LIMIT {}"
)
_PEOPLE = (
    "SELECT id, tag, name, email, active FROM person "
    "WHERE LOWER(name) LIKE {} ESCAPE '!' OR LOWER(email) LIKE {} ESCAPE '!' "
    "ORDER BY CASE WHEN active THEN 0 ELSE 1 END, name, id LIMIT {}"
)
_LOCATIONS = (
    "SELECT id, tag, name, archived FROM location WHERE LOWER(name) LIKE {} ESCAPE '!' "
    "ORDER BY archived, name, id LIMIT {}"
)


async def items(text: str, limit: int) -> list[dict[str, Any]]:
    pattern = contains(text)
    starts = pattern[1:]  # the name starting with the text comes first
    return await fetch(_ITEMS, pattern, pattern, starts, limit)


async def people(text: str, limit: int) -> list[dict[str, Any]]:
    pattern = contains(text)
    return await fetch(_PEOPLE, pattern, pattern, limit)


async def locations(text: str, limit: int) -> list[dict[str, Any]]:
    return await fetch(_LOCATIONS, contains(text), limit)

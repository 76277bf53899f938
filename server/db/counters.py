"""Tag numbers come from one counter row per kind, bumped inside the caller's transaction
(so a rolled-back creation gives its numbers back)."""

from __future__ import annotations

from server.db.tables import Counter
from server.domain.tags import Tag, TagKind


async def next_tags(kind: TagKind, count: int = 1) -> list[Tag]:
    rows = await Counter.raw(
        "INSERT INTO counter (name, value) VALUES ({}, {}) "
        "ON CONFLICT (name) DO UPDATE SET value = counter.value + excluded.value "
        "RETURNING value",
        kind.value, count,
    )
    last = int(rows[0]["value"])
    return [Tag(kind, n) for n in range(last - count + 1, last + 1)]


async def next_tag(kind: TagKind) -> Tag:
    return (await next_tags(kind, 1))[0]

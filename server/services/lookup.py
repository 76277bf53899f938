"""Turn what a client sends (an id, a tag, a SKU) into a record id, with clear errors."""

from __future__ import annotations

from typing import Any

from server.db import items_repo, places_repo
from server.domain.errors import InvalidInput, NotFound
from server.domain.tags import InvalidTag, Tag, TagKind


def _tag(ref: str, kind: TagKind, field: str) -> str:
    if not ref.strip():
        raise InvalidInput(f"{field} is empty: choose a {kind.noun} or type its tag",
                           field=field)
    try:
        tag = Tag.parse(ref) if Tag.looks_like_tag(ref) else None
    except InvalidTag as exc:
        raise InvalidInput(f"{field}: {exc.message}", field=field, code="invalid_tag") from None
    if tag is None:
        raise InvalidInput(f"{field} must be an id or a {kind.noun} tag, not {ref!r}",
                           field=field)
    if tag.kind is not kind:
        raise InvalidInput(f"{field}: {tag} is a {tag.kind.noun} tag, not a {kind.noun} tag",
                           field=field)
    return str(tag)


MAX_ID = 2**63 - 1  # ids are 64-bit on SQLite and PostgreSQL


def _as_int(ref: int | str) -> int | None:
    """An id, or None for a tag. An id no row can have (beyond 64 bits) is 0, which
    finds nothing: the caller's usual "no such record" answer, not a database error."""
    n = ref if isinstance(ref, int) else int(ref) if ref.isascii() and ref.isdigit() else None
    return n if n is None or 0 <= n <= MAX_ID else 0


async def location_id(ref: int | str, field: str = "location") -> int:
    return int((await location(ref, field))["id"])


async def location(ref: int | str, field: str = "location") -> dict[str, Any]:
    """The location row itself, for a caller that needs more than its id."""
    try:
        if (n := _as_int(ref)) is not None:
            return await places_repo.location(location_id=n)
        return await places_repo.location(tag=_tag(str(ref), TagKind.LOCATION, field))
    except NotFound:
        raise NotFound(f"{field}: no location {ref}", field=field) from None


async def person_id(ref: int | str, field: str = "person") -> int:
    return int((await person(ref, field))["id"])


async def person(ref: int | str, field: str = "person") -> dict[str, Any]:
    """The person row itself, for a caller that needs more than its id."""
    try:
        if (n := _as_int(ref)) is not None:
            return await places_repo.person(person_id=n)
        return await places_repo.person(tag=_tag(str(ref), TagKind.PERSON, field))
    except NotFound:
        raise NotFound(f"{field}: no person {ref}", field=field) from None


async def item_id(ref: int | str, field: str = "item") -> int:
    try:
        if isinstance(ref, int):
            return (await items_repo.get(_as_int(ref))).id
        return (await items_repo.get(sku=ref)).id
    except NotFound:
        raise NotFound(f"{field}: no item {ref}", field=field) from None


def unit_tag(ref: str) -> str:
    return _tag(ref, TagKind.UNIT, "tag")

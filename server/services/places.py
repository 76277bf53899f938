"""Use cases for locations (a tree) and people."""

from __future__ import annotations

import re
from typing import Any

from server.db import counters, ledger, places_repo
from server.db.engine import write_transaction
from server.domain import locations as tree
from server.domain.actors import Actor
from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.fields import check_length
from server.domain.items import check_name
from server.domain.tags import TagKind
from server.domain.vocab import EventKind

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def create_location(actor: Actor, name: str, parent_id: int | None = None) -> int:
    name = check_name(name)
    async with write_transaction():
        if parent_id is not None:
            parent = await places_repo.location(location_id=parent_id)
            if parent["archived"]:
                raise Conflict(f"location {parent['name']} is archived", field="parent",
                               code="location_archived")
            parents, _ = await places_repo.parents_and_names()
            tree.check_new_parent(-1, parent_id, parents)
        tag = await counters.next_tag(TagKind.LOCATION)
        loc_id = await places_repo.insert_location(str(tag), name, parent_id)
        await ledger.record(actor, EventDraft(
            kind=EventKind.LOCATION_CREATED, to_location_id=loc_id,
            details={"tag": str(tag), "name": name, "parent_id": parent_id}))
        return loc_id


_UNSET: Any = object()


async def update_location(actor: Actor, location_id: int, *, name: str | None = None,
                          parent_id: int | None = _UNSET, archived: bool | None = None) -> None:
    async with write_transaction():
        loc = await places_repo.location(location_id=location_id)
        changes: dict[str, Any] = {}
        if name is not None and check_name(name) != loc["name"]:
            changes["name"] = check_name(name)
        if parent_id is not _UNSET and parent_id != loc["parent"]:
            if parent_id is not None:
                await places_repo.location(location_id=parent_id)
            parents, _ = await places_repo.parents_and_names()
            tree.check_new_parent(location_id, parent_id, parents)
            changes["parent"] = parent_id
        if archived is not None and archived != loc["archived"]:
            changes["archived"] = archived
        if not changes:
            return
        await places_repo.update_location(location_id, changes)
        await ledger.record(actor, EventDraft(
            kind=EventKind.LOCATION_UPDATED, to_location_id=location_id,
            details={"changes": {k: [loc[k], v] for k, v in changes.items()}}))


async def delete_location(actor: Actor, location_id: int) -> None:
    async with write_transaction():
        loc = await places_repo.location(location_id=location_id)
        why = await places_repo.holds_anything(location_id)
        if why:
            raise Conflict(f"cannot delete location {loc['name']}: {why}; archive it instead",
                           code="location_in_use")
        await places_repo.delete_location(location_id)
        await ledger.record(actor, EventDraft(
            kind=EventKind.LOCATION_DELETED, from_location_id=location_id,
            details={"tag": loc["tag"], "name": loc["name"]}))


def _person_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "name":
            out[key] = check_name(value)
        elif key == "email":
            email = check_length("email", (value or "").strip())
            if email and not _EMAIL.match(email):
                raise InvalidInput("email does not look like an address", field="email")
            out[key] = email
        elif key == "badge_code":
            out[key] = check_length("badge_code", (value or "").strip()) or None
        elif key == "active":
            out[key] = bool(value)
        else:
            raise InvalidInput(f"{key} cannot be set on a person", field=key)
    return out


async def create_person(actor: Actor, name: str, **fields: Any) -> int:
    values = _person_fields({"name": name, **fields})
    async with write_transaction():
        badge = values.get("badge_code")
        if badge and await places_repo.badge_taken(badge):
            raise Conflict(f"badge {badge} is already someone else's", field="badge_code",
                           code="badge_taken")
        tag = await counters.next_tag(TagKind.PERSON)
        person_id = await places_repo.insert_person({**values, "tag": str(tag)})
        await ledger.record(actor, EventDraft(
            kind=EventKind.PERSON_CREATED, to_person_id=person_id,
            details={"tag": str(tag), "name": values["name"]}))
        return person_id


async def update_person(actor: Actor, person_id: int, changes: dict[str, Any]) -> None:
    values = _person_fields(changes)
    async with write_transaction():
        person = await places_repo.person(person_id=person_id)
        diff = {k: [person[k], v] for k, v in values.items() if person[k] != v}
        if not diff:
            return
        badge = values.get("badge_code")
        if badge and await places_repo.badge_taken(badge, except_id=person_id):
            raise Conflict(f"badge {badge} is already someone else's", field="badge_code",
                           code="badge_taken")
        await places_repo.update_person(person_id, {k: v[1] for k, v in diff.items()})
        await ledger.record(actor, EventDraft(kind=EventKind.PERSON_UPDATED,
                                              to_person_id=person_id,
                                              details={"changes": diff}))

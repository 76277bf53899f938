"""/api/v1/locations and /api/v1/people"""

from __future__ import annotations

from typing import Any

from litestar import Controller, delete, get, patch, post
from litestar.params import JSONBody

from server.db import places_repo
from server.http import present
from server.http import schemas as s
from server.http.auth import MANAGE, VIEW
from server.http.paging import Limit, Offset, Req, actor_of
from server.services import lookup, places


async def location_out(location_id: int) -> s.LocationOut:
    row = await places_repo.location(location_id=location_id)
    return present.location(row, *await places_repo.tree_maps())


class LocationController(Controller):
    path = "/api/v1/locations"
    tags = ["locations"]

    @get("/", opt=VIEW, summary="List locations (roots, children of a parent, or search)")
    async def list_locations(
        self,
        limit: Limit = 100,
        offset: Offset = 0,
        parent: str | None = None,
        roots: bool = False,
        q: str | None = None,
        archived: bool | None = False,
    ) -> s.LocationPage:
        parent_id = None if parent is None else await lookup.location_id(parent, "parent")
        rows, total = await places_repo.list_locations(
            parent_id=parent_id, root_only=roots, q=q, archived=archived, limit=limit, offset=offset
        )
        maps = await places_repo.tree_maps()
        return s.LocationPage(
            locations=[present.location(r, *maps) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )

    @post("/", opt=MANAGE, summary="Create a location (optionally under a parent)")
    async def create_location(
        self, data: JSONBody[s.LocationCreate], request: Req
    ) -> s.LocationOut:
        parent = None if data.parent is None else await lookup.location_id(data.parent, "parent")
        return await location_out(
            await places.create_location(actor_of(request), data.name, parent)
        )

    @get("/{ref:str}", opt=VIEW, summary="One location by id or tag")
    async def get_location(self, ref: str) -> s.LocationOut:
        return await location_out(await lookup.location_id(ref))

    @patch("/{ref:str}", opt=MANAGE, summary="Rename, move (with its subtree) or archive")
    async def update_location(
        self, ref: str, data: JSONBody[s.LocationUpdate], request: Req
    ) -> s.LocationOut:
        location_id = await lookup.location_id(ref)
        changes = s.given(data)
        kwargs: dict[str, Any] = {}
        if "name" in changes:
            kwargs["name"] = changes["name"]
        if "archived" in changes:
            kwargs["archived"] = changes["archived"]
        if "parent" in changes:
            kwargs["parent_id"] = (
                None
                if changes["parent"] is None
                else await lookup.location_id(changes["parent"], "parent")
            )
        await places.update_location(actor_of(request), location_id, **kwargs)
        return await location_out(location_id)

    @delete("/{ref:str}", opt=MANAGE, summary="Delete an empty location that was never used")
    async def delete_location(self, ref: str, request: Req) -> None:
        await places.delete_location(actor_of(request), await lookup.location_id(ref))


class PersonController(Controller):
    path = "/api/v1/people"
    tags = ["people"]

    @get("/", opt=VIEW, summary="List people")
    async def list_people(
        self,
        limit: Limit = 100,
        offset: Offset = 0,
        q: str | None = None,
        active: bool | None = None,
    ) -> s.PersonPage:
        rows, total = await places_repo.list_people(q=q, active=active, limit=limit, offset=offset)
        return s.PersonPage(
            people=[present.person(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @post("/", opt=MANAGE, summary="Create a person (someone who can hold things)")
    async def create_person(self, data: JSONBody[s.PersonCreate], request: Req) -> s.PersonOut:
        person_id = await places.create_person(
            actor_of(request),
            data.name,
            email=data.email,
            badge_code=data.badge_code,
            active=data.active,
        )
        return present.person(await places_repo.person(person_id=person_id))

    @get("/{ref:str}", opt=VIEW, summary="One person by id or tag")
    async def get_person(self, ref: str) -> s.PersonOut:
        return present.person(await places_repo.person(person_id=await lookup.person_id(ref)))

    @patch("/{ref:str}", opt=MANAGE, summary="Edit a person")
    async def update_person(
        self, ref: str, data: JSONBody[s.PersonUpdate], request: Req
    ) -> s.PersonOut:
        person_id = await lookup.person_id(ref)
        await places.update_person(actor_of(request), person_id, s.given(data))
        return present.person(await places_repo.person(person_id=person_id))

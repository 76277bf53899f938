"""/api/v1/units"""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import JSONBody

from server.db import places_repo, units_repo
from server.db.units_repo import UNIT_SORTS, UnitFilter
from server.domain.errors import InvalidInput
from server.http import present
from server.http import schemas as s
from server.http.auth import MANAGE, OPERATE, VIEW
from server.http.inputs import api_moment
from server.http.paging import Limit, Offset, Req, Sort, actor_of, parse_sort
from server.services import lookup, units

ACTIONS = (
    "retire",
    "mark_lost",
    "mark_found",
    "reserve",
    "unreserve",
    "send_to_repair",
    "return_from_repair",
)


async def unit_out(tag: str) -> s.UnitOut:
    unit = await units_repo.get(tag=lookup.unit_tag(tag))
    return present.unit(await units_repo.detail(unit.id))


class UnitController(Controller):
    path = "/api/v1/units"
    tags = ["units"]

    @get("/", opt=VIEW, summary="List units")
    async def list_units(
        self,
        limit: Limit = 50,
        offset: Offset = 0,
        item: str | None = None,
        status: str | None = None,
        condition: str | None = None,
        location: str | None = None,
        custodian: str | None = None,
        q: str | None = None,
        include_collapsed: bool = False,
        sort: Sort = "tag",
    ) -> s.UnitPage:
        field, desc = parse_sort(sort, UNIT_SORTS)
        item_id = (
            None if item is None else await lookup.item_id(int(item) if item.isdecimal() else item)
        )
        loc_ids = (
            None
            if location is None
            else await places_repo.subtree_ids(await lookup.location_id(location))
        )
        person = None if custodian is None else await lookup.person_id(custodian, "custodian")
        rows, total = await units_repo.list_units(
            UnitFilter(
                item_id=item_id,
                status=status,
                condition=condition,
                location_ids=loc_ids,
                custodian_id=person,
                q=q,
                include_collapsed=include_collapsed,
            ),
            sort=field,
            descending=desc,
            limit=limit,
            offset=offset,
        )
        return s.UnitPage(
            units=[present.unit(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @post(
        "/",
        opt=MANAGE,
        summary="Create one or many units (count, serials or a pattern "
        "such as SN-{0001..0050}; serials may be left pending)",
    )
    async def create_units(self, data: JSONBody[s.UnitsCreate], request: Req) -> s.UnitsCreated:
        item_id = await lookup.item_id(data.item)
        location_id = await lookup.location_id(data.location)
        fields = {
            k: getattr(data, k)
            for k in ("purchase_date", "purchase_cost", "warranty_end", "custom")
        }
        ids = await units.create_units(
            actor_of(request),
            item_id,
            location_id,
            count=data.count,
            serials=data.serials,
            serial_pattern=data.serial_pattern,
            condition=data.condition,
            fields=fields,
            note=data.note,
        )
        rows = [await units_repo.detail(i) for i in ids[:500]]
        return s.UnitsCreated(units=[present.unit(r) for r in rows])

    @get("/{tag:str}", opt=VIEW, summary="One unit by its tag")
    async def get_unit(self, tag: str) -> s.UnitOut:
        return await unit_out(tag)

    @patch("/{tag:str}", opt=MANAGE, summary="Edit serial, purchase, warranty, custom fields")
    async def update_unit(self, tag: str, data: JSONBody[s.UnitUpdate], request: Req) -> s.UnitOut:
        await units.update_unit(actor_of(request), lookup.unit_tag(tag), s.given(data))
        return await unit_out(tag)

    @post("/{tag:str}/move", opt=OPERATE, summary="Move a unit to a location")
    async def move(self, tag: str, data: JSONBody[s.MoveIn], request: Req) -> s.UnitOut:
        loc = await lookup.location_id(data.location)
        await units.move_unit(actor_of(request), lookup.unit_tag(tag), loc, data.note)
        return await unit_out(tag)

    @post("/{tag:str}/check-out", opt=OPERATE, summary="Hand a unit to a person")
    async def check_out(self, tag: str, data: JSONBody[s.CheckOutIn], request: Req) -> s.UnitOut:
        person = await lookup.person_id(data.person)
        await units.check_out(
            actor_of(request), lookup.unit_tag(tag), person,
            due_at=api_moment(data.due_at, "due_at"), note=data.note,
            allow_past_due=data.allow_past_due,
            override_reason=(data.override_reason or "") if data.override_condition else None,
        )
        return await unit_out(tag)

    @post("/{tag:str}/check-in", opt=OPERATE, summary="Take a unit back")
    async def check_in(self, tag: str, data: JSONBody[s.CheckInIn], request: Req) -> s.UnitOut:
        loc = None if data.location is None else await lookup.location_id(data.location)
        await units.check_in(
            actor_of(request),
            lookup.unit_tag(tag),
            location_id=loc,
            condition=data.condition,
            note=data.note,
        )
        return await unit_out(tag)

    @post("/{tag:str}/status", opt=OPERATE, summary="Change status (not check-out/in)")
    async def set_status(self, tag: str, data: JSONBody[s.StatusIn], request: Req) -> s.UnitOut:
        await units.set_status(actor_of(request), lookup.unit_tag(tag), data.status, data.note)
        return await unit_out(tag)

    @post("/{tag:str}/condition", opt=OPERATE, summary="Change condition")
    async def set_condition(
        self, tag: str, data: JSONBody[s.ConditionIn], request: Req
    ) -> s.UnitOut:
        await units.set_condition(
            actor_of(request), lookup.unit_tag(tag), data.condition, data.note
        )
        return await unit_out(tag)

    @post(
        "/{tag:str}/actions/{action:str}",
        opt=OPERATE,
        summary="retire, mark_lost, mark_found, reserve, unreserve, send_to_repair, "
        "return_from_repair",
    )
    async def act(self, tag: str, action: str, data: JSONBody[s.NoteIn], request: Req) -> s.UnitOut:
        if action not in ACTIONS:
            raise InvalidInput(f"action must be one of: {', '.join(ACTIONS)}", field="action")
        await units.act(actor_of(request), lookup.unit_tag(tag), action, data.note)
        return await unit_out(tag)

"""/api/v1/maintenance: service records (plan, start, finish, cancel, as the record's
state table allows), schedule rules on an item or a unit, a unit's service log and
schedule, and the due list. Operators record and finish service; managers edit rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, get, patch, post
from litestar.params import JSONBody
from msgspec import UNSET, Struct, UnsetType

from server.db import units_repo
from server.domain.errors import InvalidInput
from server.http.auth import MANAGE, OPERATE, VIEW
from server.http.paging import Req, actor_of
from server.http.schemas import In, given
from server.services import lookup
from server.services import maintenance as service
from server.services import maintenance_rules as rules


class RecordIn(In):
    unit: str  # the unit's tag
    kind: str  # inspection, calibration, repair, cleaning, other
    planned_on: dt.date | None = None
    rule: int | None = None  # the schedule rule this service is for
    corrects: int | None = None  # the finished record this one corrects
    performed_by: str = ""  # a person's name
    vendor: str = ""  # an outside vendor
    notes: str = ""


class FinishIn(In):
    outcome: str = "done"  # done or failed
    cost: str | float | UnsetType | None = UNSET  # a decimal amount, e.g. "120.50"
    performed_by: str | UnsetType = UNSET
    vendor: str | UnsetType = UNSET
    notes: str | UnsetType = UNSET
    under_warranty: bool | UnsetType = UNSET


class CancelIn(In):
    notes: str | UnsetType = UNSET


class RecordOut(Struct):
    id: int
    unit: str
    kind: str
    state: str
    planned_on: dt.date | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    performed_by: str
    vendor: str
    cost: str | None
    under_warranty: bool
    notes: str
    rule: int | None
    corrects: int | None
    status_before: str | None
    created_by: str
    created_at: dt.datetime | None


class RecordList(Struct):
    records: list[RecordOut]


class RuleIn(In):
    kind: str
    item: int | str | None = None  # an item id or SKU: the rule covers all its units
    unit: str | None = None  # or one unit's tag
    name: str = ""
    every_days: int | None = None
    every_uses: int | None = None  # check-outs
    anchor: str = "completion"  # or calendar
    starts_on: dt.date | None = None  # default: today
    lead_days: int = 0  # "due soon" this many days before
    lead_uses: int = 0  # "due soon" when this many uses are left
    blocks_checkout: bool = False


class RuleUpdate(In):
    name: str | UnsetType = UNSET
    every_days: int | UnsetType | None = UNSET  # null: no longer by days
    every_uses: int | UnsetType | None = UNSET  # null: no longer by uses
    anchor: str | UnsetType = UNSET
    starts_on: dt.date | UnsetType = UNSET
    lead_days: int | UnsetType = UNSET
    lead_uses: int | UnsetType = UNSET
    blocks_checkout: bool | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class RuleOut(Struct):
    id: int
    kind: str
    name: str
    item: int | None
    unit: int | None
    every_days: int | None
    every_uses: int | None
    anchor: str
    starts_on: dt.date
    lead_days: int
    lead_uses: int
    blocks_checkout: bool
    active: bool


class RuleList(Struct):
    rules: list[RuleOut]


class Standing(Struct):
    rule: int
    kind: str
    name: str
    state: str  # ok, due_soon, due, overdue
    due_on: dt.date | None
    uses_left: int | None
    overdue_since: dt.date | None
    last_done: dt.datetime | None
    blocks_checkout: bool
    unit: str | None = None
    unit_status: str | None = None


class StandingList(Struct):
    schedule: list[Standing]
    truncated: bool = False  # the due list looked at its first 2,000 (rule, unit) pairs only


def _stamp(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


async def record_out(row: dict[str, Any], tag: str | None = None) -> RecordOut:
    if tag is None:
        tag = (await units_repo.get(unit_id=row["unit"])).tag
    return RecordOut(
        id=row["id"], unit=tag, kind=row["kind"], state=row["state"],
        planned_on=_day(row["planned_on"]), started_at=_stamp(row["started_at"]),
        finished_at=_stamp(row["finished_at"]), performed_by=row["performed_by"],
        vendor=row["vendor"], cost=None if row["cost"] is None else str(row["cost"]),
        under_warranty=row["under_warranty"], notes=row["notes"], rule=row["rule"],
        corrects=row["corrects"], status_before=row["status_before"],
        created_by=row["created_by"], created_at=_stamp(row["created_at"]))


def rule_out(row: dict[str, Any]) -> RuleOut:
    return RuleOut(
        id=row["id"], kind=row["kind"], name=row["name"], item=row["item"], unit=row["unit"],
        every_days=row["every_days"], every_uses=row["every_uses"], anchor=row["anchor"],
        starts_on=row["starts_on"], lead_days=row["lead_days"], lead_uses=row["lead_uses"],
        blocks_checkout=row["blocks_checkout"], active=row["active"])


def standing_out(row: dict[str, Any]) -> Standing:
    return Standing(rule=row["rule"], kind=row["kind"], name=row["name"], state=row["state"],
                    due_on=row["due_on"], uses_left=row["uses_left"],
                    overdue_since=row["overdue_since"], last_done=_stamp(row["last_done"]),
                    blocks_checkout=row["blocks_checkout"], unit=row.get("unit"),
                    unit_status=row.get("unit_status"))


class MaintenanceController(Controller):
    path = "/api/v1/maintenance"
    tags = ["maintenance"]

    @post("/records", opt=OPERATE, summary="Plan a service record for a unit", status_code=201)
    async def plan(self, data: JSONBody[RecordIn], request: Req) -> RecordOut:
        record_id = await service.plan_record(
            actor_of(request), lookup.unit_tag(data.unit), data.kind,
            planned_on=data.planned_on, rule_id=data.rule, corrects=data.corrects,
            fields={"performed_by": data.performed_by, "vendor": data.vendor,
                    "notes": data.notes})
        return await record_out(await service.record(record_id))

    @get("/records/{record_id:int}", opt=VIEW, summary="One service record")
    async def get_record(self, record_id: int) -> RecordOut:
        return await record_out(await service.record(record_id))

    @post("/records/{record_id:int}/start", opt=OPERATE, status_code=200,
          summary="Start a service: the unit goes in_repair until it is finished")
    async def start(self, record_id: int, request: Req) -> RecordOut:
        await service.start_record(actor_of(request), record_id)
        return await record_out(await service.record(record_id))

    @post("/records/{record_id:int}/finish", opt=OPERATE, status_code=200,
          summary="Finish a service (done or failed): the unit returns to the status it had")
    async def finish(self, record_id: int, data: JSONBody[FinishIn], request: Req
                     ) -> RecordOut:
        if data.outcome not in ("done", "failed"):
            raise InvalidInput("outcome must be done or failed (cancel has its own route)",
                               field="outcome")
        fields = given(data)
        outcome = fields.pop("outcome", "done")
        await service.finish_record(actor_of(request), record_id, outcome, fields)
        return await record_out(await service.record(record_id))

    @post("/records/{record_id:int}/cancel", opt=OPERATE, status_code=200,
          summary="Cancel a planned or started service (a started one returns the unit)")
    async def cancel(self, record_id: int, data: JSONBody[CancelIn], request: Req
                     ) -> RecordOut:
        await service.finish_record(actor_of(request), record_id, "cancelled", given(data))
        return await record_out(await service.record(record_id))

    @get("/units/{tag:str}/records", opt=VIEW, summary="A unit's service log, newest first")
    async def unit_log(self, tag: str) -> RecordList:
        clean = lookup.unit_tag(tag)
        return RecordList([await record_out(r, clean)
                           for r in await service.unit_records(clean)])

    @get("/units/{tag:str}/schedule", opt=VIEW,
         summary="A unit's schedule rules (its own and its item's) and when each is due")
    async def unit_schedule(self, tag: str, request: Req) -> StandingList:
        rows = await rules.unit_schedule(actor_of(request), lookup.unit_tag(tag))
        return StandingList([standing_out(r) for r in rows])

    @get("/in-progress", opt=VIEW, summary="Services in progress")
    async def in_progress(self) -> RecordList:
        return RecordList([await record_out(r, r["unit_tag"])
                           for r in await service.in_progress()])

    @get("/due", opt=VIEW, summary="Units due soon, due or overdue on a rule, most pressing "
         "first", description="`all=true` lists every (rule, unit) pair, those not due too.")
    async def due(self, request: Req, all: bool = False) -> StandingList:
        rows, cut = await rules.due_list(actor_of(request), include_ok=all)
        return StandingList([standing_out(r) for r in rows], truncated=cut)

    @post("/rules", opt=MANAGE, status_code=201,
          summary="Add a schedule rule on an item (all its units) or on one unit")
    async def add_rule(self, data: JSONBody[RuleIn], request: Req) -> RuleOut:
        settings = given(data)
        kind = settings.pop("kind")
        item, unit = settings.pop("item", None), settings.pop("unit", None)
        item_id = None if item is None else await lookup.item_id(
            int(item) if isinstance(item, int) or str(item).isdecimal() else item)
        rule_id = await rules.add_rule(
            actor_of(request), kind, item_id=item_id,
            unit_tag=None if unit is None else lookup.unit_tag(unit), settings=settings)
        return rule_out(await rules.rule(rule_id))

    @get("/rules", opt=VIEW, summary="The rules of an item or of a unit (with its item's)")
    async def list_rules(self, item: str | None = None, unit: str | None = None) -> RuleList:
        if (item is None) == (unit is None):
            raise InvalidInput("give item or unit", field="item")
        if unit is not None:
            rows = await rules.rules_of(unit_tag=lookup.unit_tag(unit))
        else:
            assert item is not None
            rows = await rules.rules_of(item_id=await lookup.item_id(
                int(item) if item.isdecimal() else item))
        return RuleList([rule_out(r) for r in rows])

    @get("/rules/{rule_id:int}", opt=VIEW, summary="One schedule rule")
    async def get_rule(self, rule_id: int) -> RuleOut:
        return rule_out(await rules.rule(rule_id))

    @patch("/rules/{rule_id:int}", opt=MANAGE,
           summary="Change a schedule rule (active=false stops it)")
    async def update_rule(self, rule_id: int, data: JSONBody[RuleUpdate], request: Req
                          ) -> RuleOut:
        await rules.update_rule(actor_of(request), rule_id, given(data))
        return rule_out(await rules.rule(rule_id))

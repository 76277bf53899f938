"""The unit page: every field, custom fields, custodian and due date, condition, the history
timeline; the operator's actions (move, check out, check in, status, condition) and the
manager's edit form. Each action posts here and redirects back (POST-redirect-GET)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from server.db import items_repo, units_repo
from server.domain.errors import DomainError
from server.domain.units import TRANSITIONS
from server.http import present
from server.http.auth import MANAGE, OPERATE, VIEW
from server.http.pages import service_forms
from server.http.pages.common import (
    Failed,
    PageBase,
    Req,
    actor_of,
    confirmed,
    custom_from_form,
    done,
    failed,
    location_choices,
    page,
    parse_due,
    people_choices,
    read_form,
)
from server.http.pages.timeline import timeline
from server.services import lookup, maintenance_rules, units
from server.services import maintenance as service

EDIT_FIELDS = ("serial", "purchase_date", "purchase_cost", "warranty_end")
CUSTODY = ("check_out", "check_in")


def _edit_changes(form: dict[str, str], defs: list[Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {k: form.get(k, "") or None for k in EDIT_FIELDS}
    if defs:
        changes["custom"] = custom_from_form(form, defs)
    return changes


class UnitPages(PageBase):
    @get("/units/{tag:str}", opt=VIEW)
    async def unit(self, request: Req, tag: str) -> Template:
        return await self._unit_page(request, tag)

    async def _unit_page(self, request: Req, tag: str, fail: Failed | None = None) -> Template:
        found = await units_repo.get(tag=lookup.unit_tag(tag))
        unit = present.unit(await units_repo.detail(found.id))
        item = present.item(await items_repo.row_with_counts(unit.item.id), [])
        live = not found.collapsed  # merged into a count: every action would be refused
        actions = [
            t.action
            for t in TRANSITIONS.values()
            if live and found.status in t.sources and t.action not in CUSTODY
        ]
        service_log = await service.unit_records(found.tag)
        if any(r["state"] == "in_progress" for r in service_log):  # it goes back by the service
            actions = [a for a in actions if a != "return_from_repair"]
        return page(
            request,
            "unit.html",
            status=422 if fail else 200,
            unit=unit,
            item=item,
            actions=actions,
            can_check_out=live and "check_out" in _allowed(found.status),
            can_check_in=live and "check_in" in _allowed(found.status),
            locations=await location_choices(),
            people=await people_choices(),
            history=await timeline(limit=100, request=request, unit_id=found.id),
            service_log=service_log,
            service_due=await maintenance_rules.unit_schedule(actor_of(request), found.tag),
            failed=fail,
            custom_names=[f"custom.{f.key}" for f in item.custom_fields],
        )

    async def _act(
        self,
        request: Req,
        tag: str,
        form_name: str,
        work: Callable[[dict[str, str]], Awaitable[str]],
    ) -> Redirect | Template:
        form = await read_form(request)
        tag = lookup.unit_tag(tag)
        try:
            message = await work(form)
        except DomainError as exc:
            if exc.code in ("forbidden", "csrf"):
                raise
            return await self._unit_page(request, tag, fail=failed(form_name, exc, form))
        return done(f"/units/{tag}", message)

    @post("/units/{tag:str}/move", opt=OPERATE)
    async def move(self, request: Req, tag: str) -> Redirect | Template:
        async def work(form: dict[str, str]) -> str:
            loc = await lookup.location_id(form.get("location", ""))
            await units.move_unit(actor_of(request), tag, loc, form.get("note", ""))
            return "Moved."

        return await self._act(request, tag, "move", work)

    @post("/units/{tag:str}/check-out", opt=OPERATE)
    async def check_out(self, request: Req, tag: str) -> Redirect | Template:
        async def work(form: dict[str, str]) -> str:
            person = await lookup.person_id(form.get("person", ""))
            await units.check_out(
                actor_of(request),
                tag,
                person,
                due_at=parse_due(request, form),
                note=form.get("note", ""),
                allow_past_due=confirmed(form, "allow_past_due"),
                override_reason=form.get("override_reason", "")
                if confirmed(form, "override_condition") else None,
            )
            return "Checked out."

        return await self._act(request, tag, "check_out", work)

    @post("/units/{tag:str}/check-in", opt=OPERATE)
    async def check_in(self, request: Req, tag: str) -> Redirect | Template:
        async def work(form: dict[str, str]) -> str:
            loc = form.get("location", "")
            await units.check_in(
                actor_of(request),
                tag,
                location_id=await lookup.location_id(loc) if loc else None,
                condition=form.get("condition") or None,
                note=form.get("note", ""),
            )
            return "Checked in."

        return await self._act(request, tag, "check_in", work)

    @post("/units/{tag:str}/status", opt=OPERATE)
    async def status(self, request: Req, tag: str) -> Redirect | Template:
        async def work(form: dict[str, str]) -> str:
            action = form.get("action", "")
            await units.act(actor_of(request), tag, action, form.get("note", ""))
            return f"Done: {action.replace('_', ' ')}."

        return await self._act(request, tag, "status", work)

    @post("/units/{tag:str}/condition", opt=OPERATE)
    async def condition(self, request: Req, tag: str) -> Redirect | Template:
        async def work(form: dict[str, str]) -> str:
            await units.set_condition(
                actor_of(request), tag, form.get("condition", ""), form.get("note", "")
            )
            return "Condition saved."

        return await self._act(request, tag, "condition", work)

    @post("/units/{tag:str}/service", opt=OPERATE)
    async def service_form(self, request: Req, tag: str) -> Redirect | Template:
        async def work(form: dict[str, str]) -> str:
            return await service_forms.apply(actor_of(request), tag, form)

        return await self._act(request, tag, "service", work)

    @post("/units/{tag:str}/edit", opt=MANAGE)
    async def edit(self, request: Req, tag: str) -> Redirect | Template:
        async def work(form: dict[str, str]) -> str:
            found = await units_repo.get(tag=lookup.unit_tag(tag))
            item = present.item(await items_repo.row_with_counts(found.item_id), [])
            await units.update_unit(
                actor_of(request), found.tag, _edit_changes(form, item.custom_fields)
            )
            return "Saved the unit."

        return await self._act(request, tag, "edit", work)


def _allowed(status: Any) -> set[str]:
    return {t.action for t in TRANSITIONS.values() if status in t.sources}

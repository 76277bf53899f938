"""Bulk actions from the units lists of the item and location pages: the selected units
(`unit`, one value per box, a plain form post) checked out, moved, retired or labelled in
one step. The answer lists each unit's result (services/bulk.py: one transaction per unit);
labels come back as one PDF. The page's form works without JavaScript; bulk.js only adds
"select all on this page" and the count."""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.response import Template

from server.domain.errors import Busy, DomainError, InvalidInput
from server.domain.vocab import Role
from server.http import errors
from server.http.auth import OPERATE
from server.http.pages.common import (
    PageBase,
    Req,
    actor_of,
    location_choices,
    page,
    parse_due,
    people_choices,
    read_form,
)
from server.services import bulk, labels, lookup

ACTIONS = {"check_out": "Check out", "move": "Move", "labels": "Print labels",
           "retire": "Retire"}
DEFAULT_STOCK = "zebra-2x1"


async def bulk_choices(request: Req, *, units: bool = True) -> dict[str, Any]:
    """What the bulk form of a units list offers, for the item and location pages' context
    (nothing for a viewer, who gets no form, or when the list is empty)."""
    actor = request.scope.get("user")
    if not units or actor is None or not actor.role.allows(Role.OPERATOR):
        return {"bulk_people": [], "bulk_locations": [], "bulk_stocks": []}
    return {
        "bulk_people": await people_choices(),
        "bulk_locations": await location_choices(),
        "bulk_stocks": [(s.key, s.name) for s in labels.stocks().values()],
    }


def _back(target: str) -> str:
    """Where "back to the list" goes: a path of this site only."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class BulkPages(PageBase):
    @post("/units/bulk", opt=OPERATE, status_code=200)
    async def apply(self, request: Req) -> Response[bytes] | Template:
        form = await read_form(request)
        ticked = [str(v) for v in (await request.form()).getall("unit", [])
                  if isinstance(v, str)]
        action = form.get("action", "")
        back = _back(form.get("back", ""))
        actor = actor_of(request)
        try:
            if action == "labels":
                return await _labels(request, ticked, form)
            if action == "check_out":
                person = form.get("person", "")
                if not person:
                    raise InvalidInput("choose who takes them", field="person")
                outcome = await bulk.check_out(actor, ticked, await lookup.person_id(person),
                                               due_at=parse_due(request, form),
                                               note=form.get("note", ""))
            elif action == "move":
                where = form.get("location", "")
                if not where:
                    raise InvalidInput("choose where they go", field="location")
                outcome = await bulk.move(actor, ticked, await lookup.location_id(where),
                                          note=form.get("note", ""))
            elif action == "retire":
                outcome = await bulk.retire(actor, ticked, form.get("reason", ""))
            else:
                raise InvalidInput("choose what to do with the selected units", field="action")
        except DomainError as exc:
            if exc.code in ("forbidden", "csrf"):
                raise
            status = next((s for cls, s in errors.STATUS if isinstance(exc, cls)), 422)
            refused = page(request, "bulk_result.html", status=status, outcome=None,
                           error=exc.message, back=back, action=ACTIONS.get(action, "Bulk"))
            if isinstance(exc, Busy):  # the label queue is full: as the labels page says
                refused.headers["Retry-After"] = str(exc.retry_after)
            return refused
        return page(request, "bulk_result.html", status=200 if outcome.done else 409,
                    outcome=outcome, error=None, back=back, action=ACTIONS[action])


async def _labels(request: Req, ticked: list[str], form: dict[str, str]) -> Response[bytes]:
    """One PDF of the selected units' labels, on the chosen stock, as the labels page makes
    it (a batch of labels is a manager's, as there)."""
    actor = actor_of(request)
    actor.require(Role.MANAGER)
    tags = bulk.chosen(ticked)
    stock = labels.stock(form.get("stock") or DEFAULT_STOCK)
    chosen = await labels.gather(actor, tags=tags)
    body = await labels.render(chosen, stock, labels.template(None, chosen.kind), "pdf")
    name = f"labels-{len(tags)}-units.pdf"
    return Response(body, media_type=labels.FORMATS["pdf"],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

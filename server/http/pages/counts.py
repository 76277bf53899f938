"""Counted stock actions posted from the management pages: move and lend from the item page,
take back a lent quantity from the person page. Each posts, then redirects back with a
message, or shows the page again with the refusal next to the field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import post
from litestar.response import Redirect, Template

from server.db import places_repo
from server.domain.errors import DomainError
from server.http.auth import OPERATE
from server.http.pages.catalog import item_page
from server.http.pages.common import (
    Failed,
    PageBase,
    Req,
    actor_of,
    confirmed,
    done,
    failed,
    parse_due,
    parse_int,
    read_form,
)
from server.http.pages.places import person_page
from server.services import loans, lookup
from server.services import stock as stock_service

Work = Callable[[dict[str, str]], Awaitable[str]]
Refused = Callable[[Failed], Awaitable[Template]]


async def _act(
    request: Req, back: str, form_name: Callable[[dict[str, str]], str], work: Work, again: Refused
) -> Redirect | Template:
    form = await read_form(request)
    try:
        message = await work(form)
    except DomainError as exc:
        if exc.code in ("forbidden", "csrf"):
            raise
        return await again(failed(form_name(form), exc, form))
    return done(back, message)


def _whole(form: dict[str, str], name: str) -> int:
    value = parse_int(form.get(name, ""), name)
    assert value is not None  # not optional: a blank field raises
    return value


class CountPages(PageBase):
    @post("/items/{item_id:int}/move", opt=OPERATE)
    async def move(self, request: Req, item_id: int) -> Redirect | Template:
        async def work(form: dict[str, str]) -> str:
            source = await lookup.location_id(form.get("from_location", ""), "from_location")
            target = await lookup.location_id(form.get("to_location", ""), "to_location")
            qty = _whole(form, "quantity")
            await stock_service.move(
                actor_of(request),
                item_id,
                source,
                target,
                qty,
                lot=form.get("lot") or None,
                note=form.get("note", ""),
            )
            return f"Moved {qty}."

        async def again(fail: Failed) -> Template:
            return await item_page(request, item_id, fail=fail)

        return await _act(request, f"/items/{item_id}", lambda _: "move", work, again)

    @post("/items/{item_id:int}/lend", opt=OPERATE)
    async def lend(self, request: Req, item_id: int) -> Redirect | Template:
        async def work(form: dict[str, str]) -> str:
            source = await lookup.location_id(form.get("from_location", ""), "from_location")
            person = await lookup.person(form.get("person", ""))
            qty = _whole(form, "quantity")
            await loans.lend(
                actor_of(request),
                item_id,
                source,
                int(person["id"]),
                qty,
                lot_id=await loans.lot_id_for(item_id, form.get("lot")),
                due_at=parse_due(request, form),
                note=form.get("note", ""),
                allow_past_due=confirmed(form, "allow_past_due"),
            )
            return f"Lent {qty} to {person['name']}."

        async def again(fail: Failed) -> Template:
            return await item_page(request, item_id, fail=fail)

        return await _act(request, f"/items/{item_id}", lambda _: "lend", work, again)

    @post("/people/{ref:str}/return", opt=OPERATE)
    async def give_back(self, request: Req, ref: str) -> Redirect | Template:
        """Take back a quantity the person holds; the form names one of their loans, the
        service repays the earliest due loans of that item and lot first."""
        person_id = await lookup.person_id(ref)
        row = await places_repo.person(person_id=person_id)

        async def work(form: dict[str, str]) -> str:
            item_id = await lookup.item_id(_whole(form, "item"))
            qty = _whole(form, "quantity")
            await loans.give_back(
                actor_of(request),
                item_id,
                person_id,
                qty,
                await lookup.location_id(form.get("location", "")),
                lot_id=await loans.lot_id_for(item_id, form.get("lot")),
                note=form.get("note", ""),
            )
            return f"Took back {qty} from {row['name']}."

        async def again(fail: Failed) -> Template:
            return await person_page(request, ref, fail=fail)

        return await _act(
            request,
            f"/people/{row['tag']}",
            lambda form: f"return-{form.get('loan', '')}",
            work,
            again,
        )

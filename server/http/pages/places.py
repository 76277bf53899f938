"""Location pages (the tree, one location's contents, its labels) and person pages (what
they hold, what is overdue, their history)."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from server.db import places_repo, stock_repo, units_repo
from server.domain.errors import DomainError
from server.domain.fields import check_length
from server.domain.locations import path_of
from server.http import present
from server.http.auth import MANAGE, VIEW
from server.http.pages.bulk import bulk_choices
from server.http.pages.common import (
    PAGE_SIZE,
    Failed,
    PageBase,
    Req,
    actor_of,
    done,
    failed,
    location_choices,
    page,
    pager,
    read_form,
)
from server.http.pages.timeline import timeline
from server.services import labels, loans, lookup, places


async def _tree() -> list[dict[str, Any]]:
    """Every location in depth-first order with its depth, for an indented list."""
    rows, _ = await places_repo.list_locations(
        parent_id=None, root_only=False, q=None, archived=None, limit=10000, offset=0
    )
    children: dict[int | None, list[dict[str, Any]]] = {}
    for r in rows:
        children.setdefault(r["parent"], []).append(r)
    out: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for r in children.get(parent, []):
            out.append(
                {
                    "tag": r["tag"],
                    "name": r["name"],
                    "depth": depth,
                    "archived": bool(r["archived"]),
                }
            )
            walk(r["id"], depth + 1)

    walk(None, 0)
    return out


async def location_page(
    request: Req, ref: str, page_no: int = 1, fail: Failed | None = None
) -> Template:
    """One location's page; with `fail`, shown again with a refused form's error and input."""
    loc_id = await lookup.location_id(ref)
    row = await places_repo.location(location_id=loc_id)
    parents, names, tags = await places_repo.tree_maps()
    ids = await places_repo.subtree_ids(loc_id)
    unit_rows, unit_total = await units_repo.list_units(
        units_repo.UnitFilter(location_ids=ids),
        sort="tag",
        descending=False,
        limit=PAGE_SIZE,
        offset=(page_no - 1) * PAGE_SIZE,
    )
    stock_rows, _ = await stock_repo.list_stock(
        item_id=None, location_ids=ids, lot_id=None, include_zero=False, limit=500, offset=0
    )
    crumbs: list[dict[str, str]] = []
    at = row["parent"]
    while at is not None:
        crumbs.insert(0, {"tag": tags[at], "name": names[at]})
        at = parents[at]
    children = [{"tag": tags[i], "name": names[i]} for i, p in parents.items() if p == loc_id]
    return page(
        request,
        "location.html",
        status=422 if fail else 200,
        failed=fail,
        parents=[c for c in await location_choices() if c[0] != row["tag"]],
        location=present.location(row, parents, names, tags),
        crumbs=crumbs,
        children=sorted(children, key=lambda c: c["name"].lower()),
        units=[present.unit(r) for r in unit_rows],
        pager=pager(unit_total, page_no),
        stock=[present.stock(r) for r in stock_rows],
        loc_path=" > ".join(path_of(loc_id, parents, names)),
        stocks=list(labels.stocks().values()),
        history=await timeline(limit=25, request=request, location_id=loc_id),
        **await bulk_choices(request, units=bool(unit_rows)),
    )


async def person_page(request: Req, ref: str, fail: Failed | None = None) -> Template:
    """One person's page; with `fail`, shown again with a refused form's error and input."""
    person_id = await lookup.person_id(ref)
    row = await places_repo.person(person_id=person_id)
    held, held_total = await loans.open_loans(person_id=person_id, limit=200)
    _, overdue_total = await loans.open_loans(person_id=person_id, overdue=True, limit=1)
    return page(
        request,
        "person.html",
        status=422 if fail else 200,
        failed=fail,
        locations=await location_choices(),
        person=present.person(row),
        held=held,
        held_total=held_total,
        overdue_total=overdue_total,
        history=await timeline(limit=50, request=request, person_id=person_id),
    )


class PlacePages(PageBase):
    @get("/locations", opt=VIEW)
    async def locations(self, request: Req) -> Template:
        return await self._locations_page(request)

    async def _locations_page(self, request: Req, fail: Failed | None = None) -> Template:
        tree = await _tree()
        return page(
            request,
            "locations.html",
            status=422 if fail else 200,
            tree=tree,
            parents=await location_choices(),
            failed=fail,
        )

    @post("/locations", opt=MANAGE)
    async def create_location(self, request: Req) -> Redirect | Template:
        form = await read_form(request)
        try:
            parent = form.get("parent", "")
            parent_id = await lookup.location_id(parent, "parent") if parent else None
            loc_id = await places.create_location(
                actor_of(request), form.get("name", ""), parent_id
            )
        except DomainError as exc:
            return await self._locations_page(request, failed("create", exc, form))
        row = await places_repo.location(location_id=loc_id)
        return done(f"/locations/{row['tag']}", f"Created location {row['name']}.")

    @get("/locations/{ref:str}", opt=VIEW)
    async def location(self, request: Req, ref: str, page_no: int = 1) -> Template:
        return await location_page(request, ref, max(1, page_no))

    @post("/locations/{ref:str}/edit", opt=MANAGE)
    async def edit_location(self, request: Req, ref: str) -> Redirect | Template:
        form = await read_form(request)
        loc_id = await lookup.location_id(ref)
        try:
            parent = form.get("parent", "")
            await places.update_location(
                actor_of(request),
                loc_id,
                name=form.get("name", ""),
                parent_id=await lookup.location_id(parent, "parent") if parent else None,
            )
        except DomainError as exc:
            return await location_page(request, ref, fail=failed("edit", exc, form))
        return done(f"/locations/{ref}", "Saved the location.")

    @post("/locations/{ref:str}/archive", opt=MANAGE)
    async def archive_location(self, request: Req, ref: str) -> Redirect | Template:
        form = await read_form(request)
        loc_id = await lookup.location_id(ref)
        archive = form.get("archived") == "yes"
        try:
            await places.update_location(actor_of(request), loc_id, archived=archive)
        except DomainError as exc:
            return await location_page(request, ref, fail=failed("archive", exc, form))
        return done(f"/locations/{ref}", "Archived." if archive else "Back in use.")

    @get("/people", opt=VIEW)
    async def people(self, request: Req, q: str = "", page_no: int = 1) -> Template:
        return await self._people_page(request, check_length("q", q), max(1, page_no))

    async def _people_page(
        self, request: Req, q: str = "", page_no: int = 1, fail: Failed | None = None
    ) -> Template:
        rows, total = await places_repo.list_people(
            q=q or None, active=None, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        return page(
            request,
            "people.html",
            status=422 if fail else 200,
            people=[present.person(r) for r in rows],
            pager=pager(total, page_no),
            query={"q": q},
            failed=fail,
        )

    @post("/people", opt=MANAGE)
    async def create_person(self, request: Req) -> Redirect | Template:
        form = await read_form(request)
        try:
            person_id = await places.create_person(
                actor_of(request),
                form.get("name", ""),
                email=form.get("email", ""),
                badge_code=form.get("badge_code") or None,
            )
        except DomainError as exc:
            return await self._people_page(request, fail=failed("create", exc, form))
        row = await places_repo.person(person_id=person_id)
        return done(f"/people/{row['tag']}", f"Added {row['name']}.")

    @get("/people/{ref:str}", opt=VIEW)
    async def person(self, request: Req, ref: str) -> Template:
        return await person_page(request, ref)

    @post("/people/{ref:str}/edit", opt=MANAGE)
    async def edit_person(self, request: Req, ref: str) -> Redirect | Template:
        form = await read_form(request)
        person_id = await lookup.person_id(ref)
        changes = {k: form.get(k, "") for k in ("name", "email", "badge_code")}
        try:
            await places.update_person(
                actor_of(request), person_id, {**changes, "active": form.get("active") == "yes"}
            )
        except DomainError as exc:
            return await person_page(request, ref, fail=failed("edit", exc, form))
        return done(f"/people/{ref}", "Saved the person.")

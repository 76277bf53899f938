"""Lot pages: the list across items (sorted by expiry, "expiring within 30/60/90 days",
"expired with stock"), one lot (item, code, expiry, quantity per location, history), and a
manager's correction of a lot's expiry date with its reason."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.response import Redirect, Template

from server.db import items_repo, lots_repo
from server.domain.errors import DomainError, InvalidInput
from server.domain.lots import EXPIRY_WINDOWS, SOON_DAYS
from server.domain.timezones import format_date
from server.http import present
from server.http.auth import MANAGE, VIEW
from server.http.pages.common import (
    PAGE_SIZE,
    Failed,
    PageBase,
    Req,
    actor_of,
    done,
    failed,
    page,
    pager,
    read_form,
)
from server.http.pages.timeline import timeline
from server.services import lookup, lots

EXPIRY_CHOICES = [("", "Any expiry")] + [
    (str(d), f"Expiring within {d} days") for d in EXPIRY_WINDOWS
] + [("expired", "Expired with stock")]
STOCK_CHOICES = [("in", "With stock"), ("any", "With or without stock")]
SORTS = ("expires_on", "-expires_on", "code", "-code", "item", "-item", "quantity", "-quantity")


def parse_date(text: str, field: str) -> dt.date | None:
    """A date as <input type="date"> sends it; empty is None."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{field.replace('_', ' ')} must be a date like 2027-01-31",
                           field=field) from None


def lot_view(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """A lot as the pages show it: the API's fields plus the words for its expiry."""
    out = present.lot(row, today)
    left = out.days_left
    if out.expires_on is None:
        state, words = "none", "no expiry"
    elif out.expired:
        state = "expired"
        words = f"expired {-left} day{'s' * (left != -1)} ago" if left is not None else "expired"
    elif left == 0:
        state, words = "soon", "expires today"
    else:
        state = "soon" if left is not None and left <= SOON_DAYS else "good"
        words = f"in {left} day{'s' * (left != 1)}"
    return {"id": out.id, "code": out.code, "expires_on": out.expires_on, "item": out.item,
            "quantity": out.quantity, "unit_of_measure": row.get("unit_of_measure") or "",
            "state": state, "words": words}


async def item_lots(item_id: int, limit: int = 20) -> tuple[list[dict[str, Any]], int]:
    """The lots of one item holding stock, first expiry first (for the item page)."""
    day = lots.today()
    rows, total = await lots.list_lots(lots.lot_filter(item_id=item_id, in_stock=True, on=day),
                                       limit=limit)
    return [lot_view(r, day) for r in rows], total


async def lot_page(request: Req, lot_id: int, fail: Failed | None = None) -> Template:
    day = lots.today()
    row = await lots_repo.lot(lot_id)
    return page(
        request,
        "lot.html",
        status=422 if fail else 200,
        failed=fail,
        lot=lot_view(row, day),
        stock=await lots_repo.stock_of(lot_id),
        history=await timeline(limit=25, request=request, lot_id=lot_id),
    )


class LotPages(PageBase):
    @get("/lots", opt=VIEW)
    async def lot_list(self, request: Req, item: str = "", expiry: str = "", stock: str = "in",
                       sort: str = "expires_on", page_no: int = 1) -> Template:
        page_no = max(1, min(page_no, 1_000_000))
        if expiry and expiry not in {v for v, _ in EXPIRY_CHOICES}:
            raise InvalidInput("expiry must be 30, 60, 90 or expired", field="expiry")
        if stock not in ("in", "any"):
            raise InvalidInput("stock must be in or any", field="stock")
        if sort not in SORTS:
            raise InvalidInput(f"sort must be one of: {', '.join(SORTS)}", field="sort")
        item_row = None
        if item:
            item_id = await lookup.item_id(int(item) if item.isdecimal() else item)
            item_row = await items_repo.get(item_id)
        day = lots.today()
        rows, total = await lots.list_lots(
            lots.lot_filter(
                item_id=item_row.id if item_row else None,
                expiring_within=int(expiry) if expiry.isdecimal() else None,
                expired=True if expiry == "expired" else None,
                in_stock=True if stock == "in" or expiry == "expired" else None,
                on=day,
            ),
            sort=sort.lstrip("-"), descending=sort.startswith("-"),
            limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE,
        )
        query = {"item": item, "expiry": expiry, "stock": stock, "sort": sort}
        return page(
            request,
            "lots.html",
            lots=[lot_view(r, day) for r in rows],
            item=item_row,
            pager=pager(total, page_no),
            query=query,
            sort_links=_sort_links(query),
            expiry_choices=EXPIRY_CHOICES,
            stock_choices=STOCK_CHOICES,
        )

    @get("/lots/{lot_id:int}", opt=VIEW)
    async def lot(self, request: Req, lot_id: int) -> Template:
        return await lot_page(request, lot_id)

    @post("/lots/{lot_id:int}/expiry", opt=MANAGE)
    async def change_expiry(self, request: Req, lot_id: int) -> Redirect | Template:
        form = await read_form(request)
        try:
            row = await lots_repo.lot(lot_id)
            expires_on = parse_date(form.get("expires_on", ""), "expires_on")
            await lots.change_expiry(actor_of(request), lot_id, expires_on,
                                     form.get("reason", ""))
        except DomainError as exc:
            if exc.code in ("forbidden", "csrf", "not_found"):
                raise
            return await lot_page(request, lot_id, fail=failed("expiry", exc, form))
        return done(f"/lots/{lot_id}", f"Lot {row['code']} now expires on "
                    f"{format_date(expires_on)}."
                    if expires_on else f"Lot {row['code']} now has no expiry.")


def _sort_links(query: dict[str, str]) -> dict[str, dict[str, str]]:
    """For each sortable column: the address that sorts by it (the other way round when it
    is the current sort) and the arrow that shows the current order."""
    current = query["sort"]
    links = {}
    for column in ("expires_on", "code", "item", "quantity"):
        descending = current == column  # clicking the current column turns it round
        arrow = "↑" if current == column else "↓" if current == f"-{column}" else ""
        target = f"-{column}" if descending else column
        links[column] = {"href": "?" + urlencode({**query, "sort": target}), "arrow": arrow,
                         "aria": "ascending" if arrow == "↑" else "descending" if arrow
                         else "none"}
    return links

"""Rows -> response bodies, and times as a person reads them on a page."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context

from server.db.rows import load_json, money
from server.domain import timezones
from server.domain.actors import Actor
from server.domain.events import quantity_delta
from server.domain.locations import path_of
from server.domain.lots import days_left, is_expired
from server.http import schemas as s
from server.services import local_time, lots


def item(row: dict[str, Any], barcodes: list[str]) -> s.ItemOut:
    cost = money(row["unit_cost"])
    return s.ItemOut(
        id=row["id"],
        sku=row["sku"],
        name=row["name"],
        tracking=row["tracking"],
        description=row["description"] or "",
        category=row["category"] or "",
        unit_of_measure=row["unit_of_measure"],
        barcodes=sorted(barcodes),
        reorder_point=row["reorder_point"],
        unit_cost=None if cost is None else str(cost),
        allow_negative=bool(row["allow_negative"]),
        archived=bool(row["archived"]),
        custom_fields=[s.CustomFieldDef(**d) for d in load_json(row["custom_fields"], [])],
        count=int(row["count"]),
        available_count=int(row["available"]),
        version=row["version"],
        created_at=row.get("created_at"),
        updated_at=row.get("updated_at"),
        loan_days=row.get("loan_days"),
        regulated=bool(row.get("regulated")),
    )


def unit(row: dict[str, Any]) -> s.UnitOut:
    cost = money(row["purchase_cost"])
    return s.UnitOut(
        id=row["id"],
        tag=row["tag"],
        item=s.ItemRef(id=row["item"], sku=row["item_sku"], name=row["item_name"]),
        serial=row["serial"],
        status=row["status"],
        condition=row["condition"],
        location=s.Ref(id=row["location"], tag=row["location_tag"], name=row["location_name"]),
        custodian=None
        if row["custodian"] is None
        else s.Ref(id=row["custodian"], tag=row["custodian_tag"], name=row["custodian_name"]),
        due_at=row["due_at"],
        lot=row["lot_code"],
        purchase_date=row["purchase_date"],
        purchase_cost=None if cost is None else str(cost),
        warranty_end=row["warranty_end"],
        custom=load_json(row["custom"], {}),
        collapsed=bool(row["collapsed"]),
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_audited_at=row["last_audited_at"],
    )


def stock(row: dict[str, Any]) -> s.StockOut:
    return s.StockOut(
        item=s.ItemRef(id=row["item_id"], sku=row["item_sku"], name=row["item_name"]),
        location=s.Ref(id=row["location_id"], tag=row["location_tag"], name=row["location_name"]),
        lot=row["lot_code"],
        lot_expires_on=row["lot_expires_on"],
        quantity=row["quantity"],
        unit_of_measure=row["unit_of_measure"],
    )


def lot(row: dict[str, Any], today: dt.date | None = None) -> s.LotOut:
    day = today or lots.today()
    expires = row["expires_on"]
    if isinstance(expires, str):  # SQLite keeps dates as text
        expires = dt.date.fromisoformat(expires[:10])
    return s.LotOut(
        id=row["id"],
        code=row["code"],
        expires_on=expires,
        item=s.ItemRef(id=row["item_id"], sku=row["item_sku"], name=row["item_name"]),
        quantity=int(row["quantity"]),
        expired=is_expired(expires, day),
        days_left=days_left(expires, day),
    )


def event(row: dict[str, Any]) -> s.EventOut:
    return s.EventOut(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        kind=row["kind"],
        item=row["item_sku"],
        unit=row["unit_tag"],
        lot=row["lot_code"],
        quantity=row["quantity"],
        quantity_delta=quantity_delta(
            row["quantity"], row["from_location_id"], row["to_location_id"]
        )
        if row["unit_id"] is None
        else None,
        from_location=row["from_location_tag"],
        to_location=row["to_location_tag"],
        from_person=row["from_person_tag"],
        to_person=row["to_person_tag"],
        note=row["note"] or "",
        details=load_json(row["details"], {}),
    )


def location(
    row: dict[str, Any], parents: dict[int, int | None], names: dict[int, str], tags: dict[int, str]
) -> s.LocationOut:
    parent = row["parent"]
    return s.LocationOut(
        id=row["id"],
        tag=row["tag"],
        name=row["name"],
        parent=None
        if parent is None
        else s.Ref(id=parent, tag=tags.get(parent), name=names.get(parent)),
        path=path_of(row["id"], parents, names),
        archived=bool(row["archived"]),
    )


def person(row: dict[str, Any]) -> s.PersonOut:
    return s.PersonOut(
        id=row["id"],
        tag=row["tag"],
        name=row["name"],
        email=row["email"] or "",
        badge_code=row["badge_code"],
        active=bool(row["active"]),
    )


# ---- times on pages: the viewer's zone, one format (domain/timezones.py) ----

TZ_COOKIE = "tz"  # the browser's zone, set by web/static/scan/time.js on every page


def with_browser_zone(actor: Actor, cookie: str | None) -> Actor:
    """A browser's request: a user with no zone of their own reads times in the one their
    browser said (a cookie, so checked like any input; a bad one is ignored)."""
    if actor.time_zone or not cookie or timezones.zone_or_none(cookie) is None:
        return actor
    return dataclasses.replace(actor, time_zone=cookie)


def viewer_zone(user: Any, cookie: str | None = None) -> ZoneInfo:
    """The zone a page is shown in: the actor's (with_browser_zone has merged the
    cookie), else the cookie (a page seen before logging in), else the site's."""
    name = user.time_zone if isinstance(user, Actor) else None
    return (timezones.zone_or_none(name) or timezones.zone_or_none(cookie)
            or local_time.site_zone())


def _zone(context: Context) -> ZoneInfo:
    zone = context.get("zone")
    return zone if isinstance(zone, ZoneInfo) else local_time.site_zone()


def _moment(value: Any) -> dt.datetime | dt.date | None:
    if isinstance(value, str) and value:  # SQLite hands some values back as text
        try:
            return dt.datetime.fromisoformat(value) if len(value) > 10 \
                else dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, dt.date) else None


@pass_context
def when(context: Context, value: Any, date_only: bool = False) -> str:
    """"5 Dec 2026" for a date, "5 Dec 2026, 17:00 PST" for a moment in the page's zone
    ("" for none): the one way pages write a time (the page context's `when`)."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None or value == "" else str(value)
    if not isinstance(moment, dt.datetime):
        return timezones.format_date(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    zone = _zone(context)
    if date_only:
        return timezones.format_date(timezones.local_date(moment, zone))
    return timezones.format_time(moment, zone)


@pass_context
def when_due(context: Context, value: Any) -> str:
    """A due date: the day when it is the end of a local day (as forms make them), else
    the moment."""
    moment = _moment(value)
    if not isinstance(moment, dt.datetime):
        return when(context, value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return timezones.format_due(moment, _zone(context))


def iso_date(value: Any) -> str:
    """A date for an <input type="date">."""
    moment = _moment(value)
    if isinstance(moment, dt.datetime):
        return moment.date().isoformat()
    return moment.isoformat() if moment is not None else ""

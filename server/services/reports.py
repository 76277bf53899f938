"""The stock, value, loan and shrinkage reports: each one a `Report`, its columns and
every row that the filters let through (a page shows some, an export writes them all, so
a spreadsheet holds exactly the rows the filters chose).

Stock value as of a past date: counted items sum their stock movements up to the end of
that day in one statement; units replay their own events up to then through the ledger's
replay (server/domain/ledger.py, the rules `tagtrack verify` trusts), which reads every
unit event up to that day. That is bounded: more than AS_OF_MOST_UNITS units in the
filters' scope is refused (422, as_of) with a request to narrow it, rather than reading
millions of events into memory (bench/README.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from server.db import items_repo, places_repo, reports_repo
from server.db.reports_repo import Scope
from server.db.rows import load_json
from server.domain import reports as rules
from server.domain.errors import InvalidInput
from server.domain.ledger import LedgerEvent, replay
from server.domain.reports import Column, ReportFilter
from server.domain.vocab import ON_HAND
from server.services.offload import run_cpu

NAMES = {
    "low-stock": "Low stock and reorder",
    "stock-value": "Stock value",
    "loans-by-person": "Loans by person",
    "overdue": "Overdue loans",
    "no-due-date": "Loans without a due date",
    "repairs": "In repair or needing repair",
    "shrinkage": "Shrinkage",
}


@dataclasses.dataclass
class Report:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] = dataclasses.field(default_factory=dict)
    # set when `rows` is one page (chosen in the database) of `total` rows
    total: int | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


async def scope_of(f: ReportFilter) -> Scope:
    location_ids = None
    if f.location:
        place = await places_repo.location(tag=f.location)
        location_ids = await places_repo.subtree_ids(place["id"])
    item_id = None
    if f.item:
        item = await items_repo.get(sku=f.item)
        item_id = item.id
    return Scope(location_ids=location_ids, category=f.category, item_id=item_id)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


async def low_stock(f: ReportFilter, *, by_location: bool = False) -> Report:
    scope = await scope_of(f)
    items = {r["id"]: r for r in await reports_repo.items(scope, reorder_only=True)}
    counts = await reports_repo.on_hand(scope, by_location=by_location, reorder_only=True)
    if not by_location:  # an item with nothing anywhere has no row to sum: it is at zero
        have = {r["item_id"] for r in counts}
        counts += [{"item_id": i, "on_hand": 0} for i in items if i not in have]
    places = await reports_repo.locations({r["location_id"] for r in counts if by_location})
    rows = []
    for r in counts:
        item = items.get(r["item_id"])
        on_hand = int(r["on_hand"] or 0)
        if item is None or on_hand > item["reorder_point"]:
            continue
        order = rules.suggested_order(on_hand, item["reorder_point"])
        cost = item["unit_cost"]
        place = places.get(r.get("location_id") or 0, {})
        rows.append({
            "sku": item["sku"], "item": item["name"], "category": item["category"],
            "location": place.get("name", "") if by_location else "All locations",
            "location_tag": place.get("tag", ""),
            "on_hand": on_hand, "reorder_point": item["reorder_point"],
            "suggested": order, "unit_of_measure": item["unit_of_measure"],
            "unit_cost": _money(cost) if cost is not None else None,
            "order_cost": _money(Decimal(str(cost)) * order) if cost is not None else None,
        })
    rows.sort(key=lambda x: (x["on_hand"] - x["reorder_point"], x["sku"], x["location"]))
    columns = [Column("sku", "SKU"), Column("item", "Item"), Column("category", "Category"),
               Column("location", "Location"), Column("on_hand", "On hand", "int"),
               Column("reorder_point", "Reorder point", "int"),
               Column("suggested", "Suggested order", "int"),
               Column("unit_of_measure", "Unit"), Column("unit_cost", "Unit cost", "money"),
               Column("order_cost", "Order cost", "money")]
    total = sum((r["order_cost"] or Decimal(0) for r in rows), Decimal(0))
    return Report("low-stock", NAMES["low-stock"], columns, rows, {"order_cost": total})


async def stock_value(f: ReportFilter, *, as_of: dt.date | None = None,
                      by: str = "item") -> Report:
    """Value per item, category or location; `as_of`: at the end of that day (UTC)."""
    if by not in ("item", "category", "location"):
        raise InvalidInput("by must be item, category or location", field="by")
    scope = await scope_of(f)
    if as_of is None:
        lines = await reports_repo.value_today(scope, by_location=by == "location")
    else:
        moment = _day_start(as_of + dt.timedelta(days=1))
        lines = await reports_repo.counts_as_of(scope, moment)
        lines += await _units_as_of(scope, moment)
    items = {r["id"]: r for r in await reports_repo.items(Scope(category=scope.category,
                                                                 item_id=scope.item_id))}
    places = await reports_repo.locations({r["location_id"] for r in lines})
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        item = items.get(line["item_id"])
        if item is None:
            continue
        place = places.get(line["location_id"], {"tag": "", "name": "On loan"})
        key = {"item": (item["sku"], item["name"]), "category": (item["category"], ""),
               "location": (place["tag"], place["name"])}[by]
        g = groups.setdefault(key, {"quantity": 0, "value": Decimal(0)})
        g["quantity"] += int(line["quantity"] or 0)
        g["value"] += _money(line["value"])
    rows = []
    for (first, second), g in groups.items():
        row: dict[str, Any] = {"item": {"sku": first, "name": second},
                               "category": {"category": first or "(none)"},
                               "location": {"location_tag": first, "location": second}}[by]
        rows.append({**row, "quantity": g["quantity"], "value": g["value"]})
    rows.sort(key=lambda r: (-r["value"], str(next(iter(r.values())))))
    lead = {"item": [Column("sku", "SKU"), Column("name", "Item")],
            "category": [Column("category", "Category")],
            "location": [Column("location_tag", "Location tag"),
                         Column("location", "Location")]}[by]
    columns = [*lead, Column("quantity", "Quantity", "int"), Column("value", "Value", "money")]
    total = sum((r["value"] for r in rows), Decimal(0))
    return Report("stock-value", NAMES["stock-value"], columns, rows,
                  {"value": total, "as_of": (as_of or dt.date.today()).isoformat(), "by": by})


AS_OF_MOST_UNITS = 20_000


async def _units_as_of(scope: Scope, moment: dt.datetime) -> list[dict[str, Any]]:
    if await reports_repo.unit_count(scope) > AS_OF_MOST_UNITS:
        raise InvalidInput(
            f"the value on a past date replays the history of every unit; more than "
            f"{AS_OF_MOST_UNITS:,} units are too many for one answer: choose a category or "
            "an item", field="as_of", code="as_of_too_broad")
    raw = await reports_repo.unit_events_until(scope, moment)
    wanted = scope.location_ids
    if len(raw) > 5000:
        units = await run_cpu(units_held, raw, wanted, busy="stock value as of a date")
    else:
        units = units_held(raw, wanted)
    costs = await reports_repo.unit_costs([uid for uid, _, _ in units])
    out: dict[tuple[int, int | None], dict[str, Any]] = {}
    for uid, item_id, location_id in units:
        line = out.setdefault((item_id, location_id), {"item_id": item_id,
                                                       "location_id": location_id,
                                                       "quantity": 0, "value": Decimal(0)})
        line["quantity"] += 1
        line["value"] += _money(costs.get(uid, 0))
    return list(out.values())


def units_held(raw: list[dict[str, Any]], wanted: list[int] | None
               ) -> list[tuple[int, int, int | None]]:
    """(unit, item, location) of the units that were ours after these events (replayed by
    the ledger's rules), at the wanted locations."""
    events = [LedgerEvent(r["id"], r["kind"], r["item_id"], r["unit_id"], None, None, None,
                          r["to_location_id"], r["from_person_id"], r["to_person_id"],
                          load_json(r["details"], {})) for r in raw]
    state = replay(events)
    return [(uid, u.item_id, u.location_id) for uid, u in state.units.items()
            if u.status in ON_HAND and not u.collapsed
            and (wanted is None or u.location_id in wanted)]


async def loans_by_person(f: ReportFilter, now: dt.datetime) -> Report:
    """Loans that were out at some time in the period, per person: units tallied in the
    database, quantity loans (few) through the domain's rule, added up."""
    scope = await scope_of(f)
    start, end = _day_start(f.start), _day_start(f.end + dt.timedelta(days=1))
    tallies: dict[int, rules.PersonLoans] = defaultdict(rules.PersonLoans)
    for r in await reports_repo.unit_loan_tallies(scope, int(start.timestamp()),
                                                  int(end.timestamp()), int(now.timestamp())):
        tallies[r["person_id"]] += rules.PersonLoans(
            int(r["check_outs"]), int(r["returns"] or 0), float(r["held_s"] or 0) / 86400,
            int(r["dated_returns"] or 0), int(r["on_time"] or 0), int(r["overdue_now"] or 0),
            int(r["out_now"] or 0))
    spans: dict[int, list[rules.LoanSpan]] = defaultdict(list)
    for r in await reports_repo.quantity_loans(scope, end):
        returned = _moment(r["returned_at"])
        if returned is not None and returned < start:
            continue
        spans[r["person_id"]].append(rules.LoanSpan(_moment(r["lent_at"]) or now, returned,
                                                    _moment(r["due_at"]), r["quantity"]))
    for person_id, person_spans in spans.items():
        tallies[person_id] += rules.person_loans(person_spans, now)
    people = await reports_repo.people(set(tallies))
    rows = []
    for person_id, figures in tallies.items():
        person = people.get(person_id, {"tag": "", "name": "?"})
        share = figures.on_time_share
        rows.append({"person_tag": person["tag"], "person": person["name"],
                     "check_outs": figures.check_outs, "returns": figures.returns,
                     "days_held": round(figures.days_held, 1),
                     "on_time_share": round(share, 3) if share is not None else None,
                     "out_now": figures.out_now, "overdue_now": figures.overdue_now})
    rows.sort(key=lambda r: (-r["overdue_now"], -r["check_outs"], r["person"]))
    columns = [Column("person_tag", "Tag"), Column("person", "Person"),
               Column("check_outs", "Check-outs", "int"), Column("returns", "Returns", "int"),
               Column("days_held", "Days held", "number"),
               Column("on_time_share", "On time", "share"), Column("out_now", "Out now", "int"),
               Column("overdue_now", "Overdue now", "int")]
    return Report("loans-by-person", NAMES["loans-by-person"], columns, rows)


def _moment(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


_LOAN_COLUMNS = [Column("person", "Person"), Column("what", "What"), Column("sku", "SKU"),
                 Column("quantity", "Quantity", "int"), Column("location", "From"),
                 Column("lent_at", "Out since", "datetime")]


def _loan_row(r: dict[str, Any]) -> dict[str, Any]:
    what = r.get("unit_tag") or r.get("lot_code") or ""
    return {"person": r["person_name"], "person_tag": r.get("person_tag", ""),
            "what": f"{r['item_name']} {what}".strip(), "sku": r["item_sku"],
            "quantity": int(r.get("quantity") or 1), "location": r.get("location_name", ""),
            "lent_at": _moment(r.get("lent_at")), "due_at": _moment(r.get("due_at"))}


async def overdue(f: ReportFilter, now: dt.datetime, *, limit: int | None = None,
                  offset: int = 0) -> Report:
    """The longest overdue first; `limit`: one page of them (the total is counted)."""
    scope = await scope_of(f)
    found, total = await reports_repo.open_loans(scope, overdue_at=now, no_due=False,
                                                 limit=limit, offset=offset)
    rows = []
    for r in found:
        row = _loan_row(r)
        row["days_overdue"] = rules.days_overdue(row["due_at"], now)
        rows.append(row)
    columns = [*_LOAN_COLUMNS, Column("due_at", "Due", "datetime"),
               Column("days_overdue", "Days overdue", "int")]
    return Report("overdue", NAMES["overdue"], columns, rows, total=total)


async def no_due_date(f: ReportFilter, *, limit: int | None = None, offset: int = 0) -> Report:
    scope = await scope_of(f)
    found, total = await reports_repo.open_loans(scope, overdue_at=None, no_due=True,
                                                 limit=limit, offset=offset)
    return Report("no-due-date", NAMES["no-due-date"], list(_LOAN_COLUMNS),
                  [_loan_row(r) for r in found], total=total)


async def repairs(f: ReportFilter, *, limit: int | None = None, offset: int = 0) -> Report:
    scope = await scope_of(f)
    found, total = await reports_repo.units_needing_care(scope, limit, offset)
    rows = [{"tag": r["tag"], "serial": r["serial"] or "", "sku": r["sku"], "item": r["name"],
             "status": r["status"].replace("_", " "),
             "condition": r["condition"].replace("_", " "),
             "location": r["location_name"] or "", "custodian": r["custodian"] or "",
             "since": _moment(r["since"])}
            for r in found]
    columns = [Column("tag", "Tag"), Column("serial", "Serial"), Column("sku", "SKU"),
               Column("item", "Item"), Column("status", "Status"),
               Column("condition", "Condition"), Column("location", "Location"),
               Column("custodian", "Held by"), Column("since", "Last change", "datetime")]
    return Report("repairs", NAMES["repairs"], columns, rows, total=total)


async def shrinkage(f: ReportFilter) -> Report:
    """Per item and location over the period; `totals["months"]` the figures by month."""
    scope = await scope_of(f)
    start, end = _day_start(f.start), _day_start(f.end + dt.timedelta(days=1))
    lines = await reports_repo.shrinkage(scope, start, end)
    items = {r["id"]: r for r in await reports_repo.items(Scope(category=scope.category,
                                                                 item_id=scope.item_id))}
    places = await reports_repo.locations({r["location_id"] for r in lines
                                           if r["location_id"] is not None})
    groups: dict[tuple[int, int | None], dict[str, Any]] = {}
    months = {m: {"adjusted down": Decimal(0), "unit lost": Decimal(0)}
              for m in rules.months_between(f.start, f.end)}
    for line in lines:
        item = items.get(line["item_id"])
        if item is None:
            continue
        value = _money(line["value"])
        g = groups.setdefault((line["item_id"], line["location_id"]),
                              {"quantity": 0, "value": Decimal(0), "events": 0})
        g["quantity"] += int(line["quantity"])
        g["value"] += value
        g["events"] += 1
        at = _moment(line["at"])
        if at is not None and rules.month_key(at) in months:
            months[rules.month_key(at)][line["cause"]] += value
    rows = []
    for (item_id, location_id), g in groups.items():
        item, place = items[item_id], places.get(location_id or 0, {"name": ""})
        rows.append({"sku": item["sku"], "item": item["name"], "category": item["category"],
                     "location": place["name"], "quantity": g["quantity"],
                     "unit_of_measure": item["unit_of_measure"], "value": g["value"],
                     "events": g["events"]})
    rows.sort(key=lambda r: (-r["value"], -r["quantity"], r["sku"]))
    columns = [Column("sku", "SKU"), Column("item", "Item"), Column("category", "Category"),
               Column("location", "Location"), Column("quantity", "Quantity lost", "int"),
               Column("unit_of_measure", "Unit"), Column("value", "Value", "money"),
               Column("events", "Times", "int")]
    total = sum((r["value"] for r in rows), Decimal(0))
    return Report("shrinkage", NAMES["shrinkage"], columns, rows,
                  {"value": total, "months": months})


@dataclasses.dataclass
class Morning:
    """The dashboard's figures: each one a cheap count or a short list."""

    overdue: list[dict[str, Any]]
    overdue_total: int
    due_today: list[dict[str, Any]]
    due_today_total: int
    needing_care: int
    care: list[dict[str, Any]]


async def open_now(*, limit: int) -> tuple[list[dict[str, Any]], int]:
    """What is out now, the earliest due first, in the shape of the loans list's rows."""
    return await reports_repo.open_loans(Scope(), overdue_at=None, no_due=False, limit=limit)


async def morning(now: dt.datetime, end_of_today: dt.datetime, *, lines: int = 6) -> Morning:
    everything = Scope()
    overdue_rows, overdue_total = await reports_repo.open_loans(
        everything, overdue_at=now, no_due=False, limit=lines)
    due_total = await reports_repo.open_loans_due(end_of_today) - overdue_total
    due_rows, _ = await reports_repo.open_loans(everything, overdue_at=end_of_today,
                                                no_due=False, limit=lines,
                                                offset=overdue_total)
    late = []
    for r in overdue_rows:
        row = _loan_row(r)
        row["days_overdue"] = rules.days_overdue(row["due_at"], now)
        late.append(row)
    care, care_total = await reports_repo.units_needing_care(everything, limit=lines)
    return Morning(late, overdue_total, [_loan_row(r) for r in due_rows], max(0, due_total),
                   care_total, care)

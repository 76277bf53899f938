"""Stock value as of a past day, checked against a brute-force replay: random histories of
stock and unit operations, each dated on one of ten past days (ledger.backdated), then the
report's value per item as of each day is compared with a replay of the events up to the
end of that day (server/domain/ledger.replay, counts and holdings and units) valued by
hand; and the value from today's tables with the replay of everything."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, example, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from server.db import ledger
from server.db.engine import fetch
from server.db.rows import load_json
from server.domain.actors import Actor
from server.domain.errors import DomainError
from server.domain.ledger import LedgerEvent, replay
from server.domain.reports import ReportFilter
from server.domain.vocab import ON_HAND, Role
from server.services import catalog, loans, places, reports, stock, units
from tests.conftest import reset_database

A = Actor(user_id=None, name="test", role=Role.ADMIN)
DAYS = 10
OPS = st.lists(st.tuples(
    st.integers(0, DAYS - 1),
    st.sampled_from(["receive", "receive", "consume", "adjust", "move", "lend", "lend",
                     "give_back", "give_back", "units", "check_out", "check_in", "mark_lost",
                     "mark_found", "retire"]),
    st.integers(0, 1), st.integers(0, 1), st.integers(1, 6)), max_size=25)


async def _setup() -> dict[str, Any]:
    locs = [await places.create_location(A, f"Place {i}") for i in range(2)]
    person = await places.create_person(A, "Borrower")
    ties = await catalog.create_item(A, sku="R-TIES", name="Ties", tracking="quantity",
                                     unit_cost="0.25")
    cords = await catalog.create_item(A, sku="R-CORDS", name="Cords", tracking="quantity",
                                      unit_cost="4.00")
    drills = await catalog.create_item(A, sku="R-DRILL", name="Drill", tracking="serial",
                                       unit_cost="100.00")
    return {"locs": locs, "person": person, "counted": [ties, cords], "drills": drills,
            "tags": []}


async def _apply(w: dict[str, Any], op: str, a: int, b: int, n: int) -> None:
    item, loc, other = w["counted"][a], w["locs"][b], w["locs"][1 - b]
    tags = w["tags"]
    tag = tags[n % len(tags)] if tags else None
    if op == "receive":
        await stock.receive(A, item, loc, n)
    elif op == "consume":
        await stock.consume(A, item, loc, n)
    elif op == "adjust":
        await stock.adjust(A, item, loc, n, "count")
    elif op == "move":
        await stock.move(A, item, loc, other, n)
    elif op == "lend":
        await loans.lend(A, item, loc, w["person"], n)
    elif op == "give_back":
        await loans.give_back(A, item, w["person"], 1, other)
    elif op == "units":
        made = await units.create_units(A, w["drills"], loc, count=1 + a,
                                        fields={"purchase_cost": "150.00"} if b else {})
        for unit_id in made:
            rows = await fetch("SELECT tag FROM unit WHERE id = {}", unit_id)
            tags.append(rows[0]["tag"])
    elif tag is None:
        return
    elif op == "check_out":
        await units.check_out(A, tag, w["person"], due_at=dt.datetime.now(dt.UTC)
                              + dt.timedelta(days=30))
    elif op == "check_in":
        await units.check_in(A, tag, location_id=other)
    else:
        await units.act(A, tag, op)


async def _replayed(until: dt.datetime | None) -> dict[str, tuple[int, Decimal]]:
    rows = await fetch("SELECT * FROM event ORDER BY id")
    events = [LedgerEvent(r["id"], r["kind"], r["item_id"], r["unit_id"], r["lot_id"],
                          r["quantity"], r["from_location_id"], r["to_location_id"],
                          r["from_person_id"], r["to_person_id"], load_json(r["details"], {}))
              for r in rows if until is None or _utc(r["at"]) < until]
    state = replay(events)
    items = {r["id"]: r for r in await fetch("SELECT id, sku, unit_cost FROM item")}
    costs = {r["id"]: r["purchase_cost"] for r in await fetch(
        "SELECT id, purchase_cost FROM unit")}
    out: dict[str, tuple[int, Decimal]] = {}

    def add(item_id: int, n: int, each: Any) -> None:
        sku = items[item_id]["sku"]
        q, v = out.get(sku, (0, Decimal(0)))
        out[sku] = (q + n, v + n * Decimal(str(each or 0)))

    for (item_id, _, _), n in state.stock.items():
        add(item_id, n, items[item_id]["unit_cost"])
    for (_, item_id, _), n in state.holdings.items():
        add(item_id, n, items[item_id]["unit_cost"])
    for unit_id, u in state.units.items():
        if u.status in ON_HAND and not u.collapsed:
            add(u.item_id, 1, costs[unit_id] if costs[unit_id] is not None
                else items[u.item_id]["unit_cost"])
    return {k: (q, v.quantize(Decimal("0.01"))) for k, (q, v) in out.items() if q}


def _utc(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def _reported(f: ReportFilter, as_of: dt.date | None) -> dict[str, tuple[int, Decimal]]:
    report = await reports.stock_value(f, as_of=as_of, by="item")
    return {r["sku"]: (r["quantity"], r["value"]) for r in report.rows if r["quantity"]}


@examples(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=OPS)
@example(ops=[(0, "receive", 0, 0, 5), (1, "lend", 0, 0, 3), (3, "give_back", 0, 0, 1),
              (4, "units", 1, 1, 1), (5, "check_out", 0, 0, 1), (6, "mark_lost", 0, 0, 1),
              (8, "adjust", 0, 1, 2)])
def test_value_as_of_each_day_matches_a_replay_of_the_ledger(client, settings, seed_sql, ops):
    reset_database(settings, seed_sql)
    today = dt.datetime.now(dt.UTC).date()
    first = today - dt.timedelta(days=DAYS + 1)
    f = ReportFilter(start=first, end=today)

    async def scenario() -> list[tuple[Any, Any]]:
        with ledger.backdated(dt.datetime.combine(first, dt.time(8), dt.UTC)):
            w = await _setup()
        for i, (day, op, a, b, n) in enumerate(sorted(ops, key=lambda o: o[0])):
            moment = dt.datetime.combine(first + dt.timedelta(days=day), dt.time(9), dt.UTC)
            # a refusal (too few on hand, a unit already out) changes nothing
            with ledger.backdated(moment + dt.timedelta(minutes=i)), \
                    contextlib.suppress(DomainError):
                await _apply(w, op, a, b, n)
        pairs = []
        for day in range(DAYS):
            as_of = first + dt.timedelta(days=day)
            end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
            pairs.append((await _reported(f, as_of), await _replayed(end)))
        pairs.append((await _reported(f, None), await _replayed(None)))
        return pairs

    with client.portal() as portal:
        for reported, expected in portal.call(scenario):
            assert reported == expected

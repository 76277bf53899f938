"""A state-machine property test (DESIGN.md invariants 1-3, 6): random sequences of stock
and custody operations through the real API, checked after every step against a small
model: counts never negative, an item's count is the sum of its stock rows or the number
of its units on hand, the API agrees with the model, a refusal writes no event and a
change writes at least one, and verify passes."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

import asyncpg
import hypothesis
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.conftest import As, reset_database, token_for
from tests.sync import run_sync

ON_HAND = {"available", "checked_out", "in_repair", "reserved"}
COUNTED_WHEN_COLLAPSED = {"available", "reserved", "in_repair"}
LOT = "L1"
# action -> (statuses it starts from, status it ends in): written out independently of
# server/domain/units.py
ACTIONS = {
    "retire": ({"available", "reserved", "in_repair", "lost"}, "retired"),
    "mark_lost": ({"available", "reserved", "in_repair", "checked_out"}, "lost"),
    "mark_found": ({"lost"}, "available"),
    "reserve": ({"available"}, "reserved"),
    "send_to_repair": ({"available", "reserved"}, "in_repair"),
    "return_from_repair": ({"in_repair"}, "available"),
}
PICK = st.integers(min_value=0, max_value=10_000)  # an index into whatever exists


@dataclass
class ModelItem:
    id: int
    tracking: str
    allow_negative: bool = False


@dataclass
class ModelUnit:
    item: str
    location: int
    status: str = "available"
    custodian: int | None = None
    collapsed: bool = False


async def _max_event_id(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT COALESCE(MAX(id), 0) FROM event"))
    finally:
        await conn.close()


class TagtrackMachine(RuleBasedStateMachine):
    client: ClassVar[Any]
    settings: ClassVar[Any]
    seed: ClassVar[Any]

    def __init__(self) -> None:
        super().__init__()
        reset_database(self.settings, self.seed)
        self.api = As(self.client, "manager")
        self.locations = [self._make("/api/v1/locations", {"name": f"Shelf {i}"}) for i in range(3)]
        self.people = [
            self._make("/api/v1/people", {"name": f"Person {i}"})["id"] for i in range(2)
        ]
        self.items: dict[str, ModelItem] = {}
        for name, tracking, negative in (
            ("ties", "quantity", False),
            ("tape", "quantity", True),
            ("drill", "serial", False),
            ("flex", "quantity", False),
        ):
            row = self._make(
                "/api/v1/items",
                {
                    "sku": name.upper(),
                    "name": name,
                    "tracking": tracking,
                    "allow_negative": negative,
                },
            )
            self.items[name] = ModelItem(row["id"], tracking, negative)
        self.stock: Counter[tuple[str, int]] = Counter()
        self.units: dict[str, ModelUnit] = {}
        self.last_event = self._last_event()

    # --- helpers

    def _make(self, path: str, body: dict[str, Any]) -> Any:
        answer = self.api.post(path, json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def _last_event(self) -> int:
        # Read from the table rather than /api/v1/events: that query's 8-table join costs
        # tens of milliseconds of planning on PostgreSQL, every step.
        if self.settings.engine == "sqlite":
            with sqlite3.connect(self.settings.sqlite_path, timeout=30) as conn:
                return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM event").fetchone()[0])
        # run_sync: Playwright's sync API may keep an event loop running in this thread
        return int(run_sync(_max_event_id(self.settings.database_url)))

    def _loc(self, pick: int) -> dict[str, Any]:
        return self.locations[pick % len(self.locations)]

    def _unit(self, pick: int) -> str:
        return sorted(self.units)[pick % len(self.units)]

    def _lot(self, name: str) -> dict[str, str]:
        return {"lot": LOT} if self.items[name].tracking == "lot" else {}

    def _expect(self, answer: Any, refusal: str | None) -> bool:
        """`refusal` is the problem code the model expects, or None for a success."""
        now = self._last_event()
        if refusal is None:
            assert answer.status_code == 201, answer.text
            assert now > self.last_event, "a change wrote no event"
        else:
            assert answer.status_code in (404, 409, 422), answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["code"] == refusal, answer.text
            assert now == self.last_event, "a refusal wrote an event"
        self.last_event = now
        return refusal is None

    def _counted(self, name: str) -> bool:
        return self.items[name].tracking != "serial"

    # --- counted stock

    @rule(name=st.sampled_from(["ties", "tape", "flex"]), where=PICK, qty=st.integers(1, 5))
    def receive(self, name: str, where: int, qty: int) -> None:
        loc = self._loc(where)
        answer = self.api.post(
            "/api/v1/stock/receive",
            json={
                "item": self.items[name].id,
                "location": loc["tag"],
                "quantity": qty,
                **self._lot(name),
            },
        )
        if self._expect(answer, None if self._counted(name) else "wrong_tracking"):
            self.stock[(name, loc["id"])] += qty

    @rule(name=st.sampled_from(["ties", "tape", "flex"]), where=PICK, qty=st.integers(1, 6))
    def consume(self, name: str, where: int, qty: int) -> None:
        loc = self._loc(where)
        item = self.items[name]
        have = self.stock[(name, loc["id"])]
        refusal = (
            "wrong_tracking"
            if not self._counted(name)
            else "insufficient_stock"
            if have < qty and not item.allow_negative
            else None
        )
        if refusal is None and item.tracking == "lot" and have == 0 and not self._lot_known(name):
            refusal = "not_found"
        answer = self.api.post(
            "/api/v1/stock/consume",
            json={"item": item.id, "location": loc["tag"], "quantity": qty, **self._lot(name)},
        )
        if self._expect(answer, refusal):
            self.stock[(name, loc["id"])] -= qty

    def _lot_known(self, name: str) -> bool:
        lots = self.api.get("/api/v1/lots", params={"item": str(self.items[name].id)})
        return any(lot["code"] == LOT for lot in lots.json()["lots"])

    @rule(name=st.sampled_from(["ties", "tape", "flex"]), where=PICK, counted=st.integers(0, 12))
    def adjust(self, name: str, where: int, counted: int) -> None:
        loc = self._loc(where)
        have = self.stock[(name, loc["id"])]
        refusal = (
            "wrong_tracking"
            if not self._counted(name)
            else "no_change"
            if counted == have
            else None
        )
        answer = self.api.post(
            "/api/v1/stock/adjust",
            json={
                "item": self.items[name].id,
                "location": loc["tag"],
                "counted": counted,
                "reason": "stocktake",
                **self._lot(name),
            },
        )
        if self._expect(answer, refusal):
            self.stock[(name, loc["id"])] = counted

    @rule(
        name=st.sampled_from(["ties", "tape", "flex"]),
        source=PICK,
        step=st.integers(1, 2),
        qty=st.integers(1, 6),
    )
    def move_stock(self, name: str, source: int, step: int, qty: int) -> None:
        a, b = self._loc(source), self._loc(source + step)
        have = self.stock[(name, a["id"])]
        refusal = (
            "wrong_tracking"
            if not self._counted(name)
            else "insufficient_stock"
            if have < qty
            else None
        )
        answer = self.api.post(
            "/api/v1/stock/move",
            json={
                "item": self.items[name].id,
                "from_location": a["tag"],
                "to_location": b["tag"],
                "quantity": qty,
                **self._lot(name),
            },
        )
        if self._expect(answer, refusal):
            self.stock[(name, a["id"])] -= qty
            self.stock[(name, b["id"])] += qty

    # --- units

    @rule(name=st.sampled_from(["drill", "flex"]), where=PICK, count=st.integers(1, 3))
    def create_units(self, name: str, where: int, count: int) -> None:
        loc = self._loc(where)
        answer = self.api.post(
            "/api/v1/units",
            json={"item": self.items[name].id, "location": loc["tag"], "count": count},
        )
        if self._expect(
            answer, None if self.items[name].tracking == "serial" else "wrong_tracking"
        ):
            for unit in answer.json()["units"]:
                self.units[unit["tag"]] = ModelUnit(name, loc["id"])

    @precondition(lambda self: self.units)
    @rule(pick=PICK, where=PICK)
    def move_unit(self, pick: int, where: int) -> None:
        tag, loc = self._unit(pick), self._loc(where)
        unit = self.units[tag]
        refusal = (
            "unit_collapsed"
            if unit.collapsed
            else f"unit_{unit.status}"
            if unit.status in ("retired", "lost")
            else "no_change"
            if unit.location == loc["id"]
            else None
        )
        answer = self.api.post(f"/api/v1/units/{tag}/move", json={"location": loc["tag"]})
        if self._expect(answer, refusal):
            unit.location = loc["id"]

    @precondition(lambda self: self.units)
    @rule(pick=PICK, who=PICK)
    def check_out(self, pick: int, who: int) -> None:
        tag, person = self._unit(pick), self.people[who % len(self.people)]
        unit = self.units[tag]
        refusal = (
            "unit_collapsed"
            if unit.collapsed
            else None
            if unit.status in ("available", "reserved")
            else f"unit_{unit.status}"
        )
        answer = self.api.post(f"/api/v1/units/{tag}/check-out", json={"person": person})
        if self._expect(answer, refusal):
            unit.status, unit.custodian = "checked_out", person

    @precondition(lambda self: self.units)
    @rule(pick=PICK, where=st.none() | PICK)
    def check_in(self, pick: int, where: int | None) -> None:
        tag = self._unit(pick)
        unit = self.units[tag]
        refusal = (
            "unit_collapsed"
            if unit.collapsed
            else None
            if unit.status == "checked_out"
            else f"unit_{unit.status}"
        )
        body = {} if where is None else {"location": self._loc(where)["tag"]}
        answer = self.api.post(f"/api/v1/units/{tag}/check-in", json=body)
        if self._expect(answer, refusal):
            unit.status, unit.custodian = "available", None
            if where is not None:
                unit.location = self._loc(where)["id"]

    @precondition(lambda self: self.units)
    @rule(pick=PICK, action=st.sampled_from(sorted(ACTIONS)))
    def act(self, pick: int, action: str) -> None:
        tag = self._unit(pick)
        unit = self.units[tag]
        sources, target = ACTIONS[action]
        refusal = (
            "unit_collapsed"
            if unit.collapsed
            else None
            if unit.status in sources
            else f"unit_{unit.status}"
        )
        answer = self.api.post(f"/api/v1/units/{tag}/actions/{action}", json={})
        if self._expect(answer, refusal):
            unit.status = target
            unit.custodian = None

    # --- tracking mode

    @rule(
        step=st.sampled_from([1, 2, 0]),  # another mode (0: the same one, refused)
        on_checked_out=st.sampled_from(["refuse", "check_in"]),
    )
    def convert(self, step: int, on_checked_out: str) -> None:
        flex = self.items["flex"]
        modes = ["quantity", "lot", "serial"]
        mode = modes[(modes.index(flex.tracking) + step) % 3]
        live = [u for u in self.units.values() if u.item == "flex" and not u.collapsed]
        refusal = None
        if mode == flex.tracking:
            refusal = "no_change"
        elif (
            flex.tracking == "serial"
            and on_checked_out == "refuse"
            and any(u.status == "checked_out" for u in live)
        ):
            refusal = "units_checked_out"
        answer = self.api.post(
            f"/api/v1/items/{flex.id}/convert",
            json={"tracking": mode, "lot": LOT, "on_checked_out": on_checked_out},
        )
        if not self._expect(answer, refusal):
            return
        before, flex.tracking = flex.tracking, mode
        body = answer.json()
        if mode == "serial":
            self._units_from_counts(body)
        elif before == "serial":
            assert body["units_collapsed"] == len(live)
            for unit in live:
                if unit.status == "checked_out":
                    unit.status, unit.custodian = "available", None
                unit.collapsed = True
                if unit.status in COUNTED_WHEN_COLLAPSED:
                    self.stock[("flex", unit.location)] += 1

    def _units_from_counts(self, body: dict[str, Any]) -> None:
        """Every counted piece is a unit again: collapsed units come back first (as many as
        were counted when they collapsed, at most one per piece), the rest are new."""
        made = {k: v for k, v in self.stock.items() if k[0] == "flex" and v}
        waiting = [t for t, u in self.units.items() if u.item == "flex" and u.collapsed
                   and u.status in COUNTED_WHEN_COLLAPSED]
        restored_n = min(len(waiting), sum(made.values()))
        assert body["units_restored"] == restored_n
        assert body["units_created"] == sum(made.values()) - restored_n
        listed = self.api.get(
            "/api/v1/units", params={"item": str(self.items["flex"].id), "limit": 500}
        ).json()["units"]
        new = [u for u in listed if u["tag"] not in self.units]
        back = [u for u in listed if u["tag"] in waiting]
        assert len(back) == restored_n
        assert Counter(u["location"]["id"] for u in new + back) == Counter(
            {loc: n for (_, loc), n in made.items()}
        )
        for u in back:
            self.units[u["tag"]].collapsed = False
            self.units[u["tag"]].location = u["location"]["id"]
        for u in new:
            self.units[u["tag"]] = ModelUnit("flex", u["location"]["id"])
        for key in made:
            del self.stock[key]

    # --- invariants, checked after every step

    def _expected_count(self, name: str) -> int:
        if self.items[name].tracking == "serial":
            return sum(
                1
                for u in self.units.values()
                if u.item == name and not u.collapsed and u.status in ON_HAND
            )
        return sum(v for (n, _), v in self.stock.items() if n == name)

    @invariant()
    def the_api_agrees_with_the_model(self) -> None:
        listed = self.api.get("/api/v1/items", params={"limit": 500}).json()["items"]
        by_id = {row["id"]: row for row in listed}
        stock_rows = self.api.get("/api/v1/stock", params={"limit": 500}).json()["stock"]
        stock: Counter[tuple[int, int]] = Counter()
        for row in stock_rows:
            stock[(row["item"]["id"], row["location"]["id"])] += row["quantity"]
        units = self.api.get(
            "/api/v1/units", params={"limit": 500, "include_collapsed": "true"}
        ).json()["units"]
        for name, item in self.items.items():
            row = by_id[item.id]
            assert row["tracking"] == item.tracking
            assert row["count"] == self._expected_count(name), name
            mine = {(loc, q) for (i, loc), q in stock.items() if i == item.id and q}
            assert mine == {(loc, q) for (n, loc), q in self.stock.items() if n == name and q}
            if item.tracking == "serial":  # invariant 3: derived from the units
                assert row["count"] == sum(
                    1
                    for u in units
                    if u["item"]["id"] == item.id and not u["collapsed"] and u["status"] in ON_HAND
                )
            else:
                assert row["count"] == sum(q for (i, _), q in stock.items() if i == item.id)
            if not item.allow_negative:
                assert all(q >= 0 for (i, _), q in stock.items() if i == item.id)
        seen = {
            u["tag"]: ModelUnit(
                item=next(n for n, it in self.items.items() if it.id == u["item"]["id"]),
                location=u["location"]["id"],
                status=u["status"],
                custodian=u["custodian"]["id"] if u["custodian"] else None,
                collapsed=u["collapsed"],
            )
            for u in units
        }
        assert seen == self.units

    @invariant()
    def verify_passes(self) -> None:
        answer = self.client.get(
            "/api/v1/admin/verify", headers={"Authorization": f"Bearer {token_for('admin')}"}
        )
        assert answer.json() == {"ok": True, "problems": []}


def test_random_operations_keep_every_invariant(
    app_client: Any, settings: Any, seed_sql: Any
) -> None:
    TagtrackMachine.client = app_client
    TagtrackMachine.settings = settings
    TagtrackMachine.seed = seed_sql
    app_client.headers.pop("Authorization", None)
    hypothesis.stateful.run_state_machine_as_test(
        TagtrackMachine,
        settings=hypothesis.settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        ),
    )


@pytest.fixture(autouse=True)
def _clean_afterwards(settings: Any, seed_sql: Any) -> Any:
    yield
    reset_database(settings, seed_sql)

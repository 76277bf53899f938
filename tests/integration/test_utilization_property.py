"""Every utilization figure against a brute-force replay (server/domain/utilization.py).

Hypothesis draws a history of one item's units: check-outs, check-ins, moves, look-up
scans, units added, lost, found and retired, at whole minutes from a day before the
period until days after its start (so across both of its ends). The history is applied
through the API (so the services, the ledger and the summary triggers all run) with the
ledger's clock (and the scan log's) set to each step's minute. Then every figure the
report gives, per unit and per item, and the always-out and never-moves lists, is
compared with a replay that walks the period minute by minute. `verify` passes at the
end of every example (the summaries match the events)."""

from __future__ import annotations

import datetime as dt
import types
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from server.db import ledger, scans_repo
from server.domain import utilization as rules
from tests import factories as f
from tests.conftest import As, reset_database, token_for

START = dt.date(2026, 6, 10)  # the period: 10 and 11 June 2026 (UTC, the site's zone)
END = dt.date(2026, 6, 11)
S = int(dt.datetime(2026, 6, 10, tzinfo=dt.UTC).timestamp())
E = int(dt.datetime(2026, 6, 12, tzinfo=dt.UTC).timestamp())
FIRST = S - 86400  # the history begins a day before the period
OPS = ("out", "out", "out", "in", "in", "move", "scan", "add", "lost", "found", "retire")
URL = "/api/v1/reports/utilization"


class Clock:
    at = dt.datetime(2026, 6, 9, tzinfo=dt.UTC)


class FakeDatetime(dt.datetime):
    @classmethod
    def now(cls, tz: Any = None) -> FakeDatetime:  # type: ignore[override]
        return Clock.at  # type: ignore[return-value]


FAKE_DT = types.SimpleNamespace(datetime=FakeDatetime, UTC=dt.UTC, date=dt.date,
                                timedelta=dt.timedelta)


@dataclass
class Unit:
    tag: str
    created: int
    status: str = "available"
    person: int | None = None
    spans: list[list[Any]] = field(default_factory=list)  # [out, in or None, person]
    moved: int = 0
    seen: int = 0
    location: int = 0


def out_at(u: Unit, t: int) -> bool:
    return any(a <= t and (b is None or t < b) for a, b, _ in u.spans)


def touches(span: list[Any]) -> bool:
    return bool(span[0] < E and (span[1] is None or span[1] > S))


def minutes() -> range:
    return range(S, E, 60)


def replay_unit(u: Unit) -> dict[str, Any]:
    out = sum(60 for t in minutes() if out_at(u, t))
    life = max(0, E - max(S, u.created))
    return {"out_seconds": out, "share": min(1.0, out / life) if life else 0.0,
            "checkouts": sum(1 for s in u.spans if S <= s[0] < E),
            "borrowers": len({s[2] for s in u.spans if touches(s)}), "life": life}


def replay_item(units: list[Unit]) -> dict[str, Any]:
    counts = {t: sum(1 for u in units if out_at(u, t)) for t in minutes()}
    peak = max(counts.values())
    days = {dt.datetime.fromtimestamp(t, dt.UTC).date() for t, n in counts.items()
            if n == peak} if peak else set()
    owned = [u for u in units if u.status not in ("lost", "retired")]
    per = {u.tag: replay_unit(u) for u in units}
    life = sum(per[u.tag]["life"] for u in owned)
    return {"owned": len(owned), "peak": peak, "peak_days": len(days),
            "checkouts": sum(per[u.tag]["checkouts"] for u in units),
            "borrowers": len({s[2] for u in units for s in u.spans if touches(s)}),
            "share": min(1.0, sum(per[u.tag]["out_seconds"] for u in owned) / life)
            if life else 0.0,
            "out_seconds": sum(per[u.tag]["out_seconds"] for u in units)}


Step = tuple[int, str, int, int]
steps = st.lists(st.tuples(st.integers(0, 720), st.sampled_from(OPS), st.integers(0, 5),
                           st.integers(0, 2)), min_size=1, max_size=22)


def apply_history(api: As, history: list[Step]) -> tuple[dict[str, Any], list[Unit]]:
    places = [f.location(api, "Crib"), f.location(api, "Van")]
    people = [f.person(api, n) for n in ("Ann", "Bob", "Cy")]
    item = f.item(api, "serial", name="Drill")
    t = FIRST
    Clock.at = dt.datetime.fromtimestamp(t, dt.UTC)
    units = [Unit(u["tag"], t, moved=t, seen=t)
             for u in f.units(api, item["id"], places[0]["tag"], count=2)]
    for step, op, which, who in history:
        t += step * 60
        # just before the next second: SQLite's unixepoch() would round it up
        Clock.at = dt.datetime.fromtimestamp(t, dt.UTC) + dt.timedelta(microseconds=999_600)
        if op == "add":
            (made,) = f.units(api, item["id"], places[0]["tag"])
            units.append(Unit(made["tag"], t, moved=t, seen=t))
            continue
        u = units[which % len(units)]
        base = f"/api/v1/units/{u.tag}"
        if op == "out" and u.status == "available":
            f.ok(api.post(f"{base}/check-out", json={"person": people[who]["tag"]}))
            u.status, u.person = "checked_out", who
            u.spans.append([t, None, who])
            u.moved = u.seen = t
        elif op == "in" and u.status == "checked_out":
            f.ok(api.post(f"{base}/check-in", json={}))
            u.status = "available"
            u.spans[-1][1] = t
            u.moved = u.seen = t
        elif op == "move" and u.status in ("available", "checked_out"):
            u.location = 1 - u.location
            f.ok(api.post(f"{base}/move", json={"location": places[u.location]["tag"]}))
            u.moved = u.seen = t
        elif op == "scan":
            f.ok(api.post("/api/v1/scans", json={"code": u.tag, "action": "lookup",
                                                 "idempotency_key": f"k{t}-{u.tag}"}))
            u.seen = max(u.seen, t)
        elif op == "lost" and u.status in ("available", "checked_out"):
            f.ok(api.post(f"{base}/status", json={"status": "lost"}))
            if u.status == "checked_out":
                u.spans[-1][1] = t
            u.status = "lost"
        elif op == "found" and u.status == "lost":
            f.ok(api.post(f"{base}/status", json={"status": "available"}))
            u.status = "available"
        elif op == "retire" and u.status == "available":
            f.ok(api.post(f"{base}/status", json={"status": "retired"}))
            u.status = "retired"
    return item, units


def report(api: As, **params: Any) -> dict[str, Any]:
    return f.ok(api.get(URL, params={"start": START.isoformat(), "end": END.isoformat(),
                                     **params}))  # type: ignore[no-any-return]


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=steps)
# a return and a departure at the same second: one out at a time, not two
@example(history=[(1500, "out", 0, 0), (60, "in", 0, 0), (0, "out", 1, 1)])
# lost while out ends the custody; found, lent again, across the period's end
@example(history=[(1300, "out", 0, 0), (300, "lost", 0, 0), (60, "found", 0, 0),
                  (2000, "out", 0, 1), (1200, "scan", 1, 0), (900, "in", 0, 0)])
def test_utilization_figures_match_a_minute_by_minute_replay(
        history: list[Step], client: Any, settings_: Any, seed_sql: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    reset_database(settings_, seed_sql)
    monkeypatch.setattr(ledger, "dt", FAKE_DT)
    monkeypatch.setattr(scans_repo, "dt", FAKE_DT)
    api = As(client, "manager")
    item, units = apply_history(api, history)

    want_item = replay_item(units)
    (got_item,) = report(api)["items"]
    for key in ("owned", "peak", "peak_days", "checkouts", "borrowers", "out_seconds"):
        assert got_item[key] == want_item[key], (key, got_item, want_item)
    assert got_item["share"] == pytest.approx(want_item["share"], abs=6e-5)

    per_unit = {u.tag: replay_unit(u) for u in units}
    got_units = {u["tag"]: u for u in report(api, view="units", item=item["sku"])["units"]}
    assert set(got_units) == {u.tag for u in units}
    for u in units:
        got, want = got_units[u.tag], per_unit[u.tag]
        for key in ("out_seconds", "checkouts", "borrowers"):
            assert got[key] == want[key], (u.tag, key, got, want)
        assert got["share"] == pytest.approx(want["share"], abs=6e-5)
        assert got["last_moved_at"] == FakeDatetime.fromtimestamp(u.moved, dt.UTC).isoformat()
        assert got["last_seen_at"] == FakeDatetime.fromtimestamp(u.seen, dt.UTC).isoformat()
        assert got["days_since_moved"] == max(0, (E - u.moved) // 86400)

    used = {u.tag for u in units if any(touches(s) for s in u.spans)}
    ranked = report(api, view="units", limit=500)
    assert {r["tag"] for r in ranked["units"]} == used and ranked["total"] == len(used)
    for r in ranked["units"]:
        assert r["out_seconds"] == per_unit[r["tag"]]["out_seconds"]
        assert (r["checkouts"], r["borrowers"]) == (per_unit[r["tag"]]["checkouts"],
                                                    per_unit[r["tag"]]["borrowers"])
    outs = [r["out_seconds"] for r in ranked["units"]]
    assert outs == sorted(outs, reverse=True)

    always = {r["tag"] for r in report(api, view="always_out", limit=500)["units"]}
    min_life = min(rules.ALWAYS_OUT_MIN_DAYS * 86400, E - S)
    assert always == {t for t, w in per_unit.items() if w["life"] >= min_life
                      and w["out_seconds"] >= rules.ALWAYS_OUT_SHARE * w["life"]}
    never = {r["tag"] for r in report(api, view="never_moves", limit=500)["units"]}
    assert never == {u.tag for u in units if u.moved < S
                     and u.status not in ("lost", "retired")}

    answer = client.get("/api/v1/admin/verify",
                        headers={"Authorization": f"Bearer {token_for('admin')}"})
    assert answer.json() == {"ok": True, "problems": []}, answer.text


@pytest.fixture
def settings_(settings: Any) -> Any:
    return settings

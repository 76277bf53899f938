"""A batch sent while the database fails for real (issue 9, item 4, as reported: a
three-scan batch during a long lock answered [500, 200, 200], and the resend applied the
first scan after the other two). Now the first failure stops the batch, nothing after it
is applied, and the resend applies all three in the order scanned."""

from __future__ import annotations

from typing import Any

import pytest

from server.settings import Settings
from tests.factories import event_count, item, location, ok, units
from tests.integration.test_db_faults import (  # noqa: F401  (short_busy: a fixture)
    _kick,
    held_lock,
    pg_admin,
    short_busy,
)


@pytest.fixture
def crib(manager: Any) -> dict[str, Any]:
    shelf, b3 = location(manager, "Shelf A"), location(manager, "Shelf B3")
    drills = item(manager, tracking="serial", name="Cordless drill")
    made = units(manager, drills["id"], shelf["tag"], serials=["0001", "0002", "0003"])
    return {"shelf": shelf, "b3": b3, "tags": [u["tag"] for u in made]}


def batch(crib: dict[str, Any]) -> dict[str, Any]:
    return {"scans": [{"code": tag, "action": "move", "location": crib["b3"]["tag"],
                       "idempotency_key": f"q{n}"} for n, tag in enumerate(crib["tags"])]}


def assert_stopped_at_first(answer: Any, code: str) -> None:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["status"] for r in body["results"]] == [503, 503, 503], body
    assert [r["answer"]["code"] for r in body["results"]] == [code, "not_attempted",
                                                               "not_attempted"]
    assert body["stopped_at"] == 0 and int(answer.headers["retry-after"]) > 0


def assert_applied_in_order(operator: Any, crib: dict[str, Any], events: int) -> None:
    again = ok(operator.post("/api/v1/scans/batch", json=batch(crib)))
    assert [(r["status"], r["replay"]) for r in again["results"]] == [(200, False)] * 3
    ids = [r["answer"]["event_id"] for r in again["results"]]
    assert ids == sorted(ids), "applied in the order scanned"
    assert event_count(operator) == events + 3


@pytest.mark.sqlite_only
def test_a_batch_during_a_long_lock_applies_nothing_out_of_order(
    operator: Any, crib: Any, settings: Settings, short_busy: Any  # noqa: F811
) -> None:
    events = event_count(operator)
    with held_lock(settings.sqlite_path):
        assert_stopped_at_first(operator.post("/api/v1/scans/batch", json=batch(crib)),
                                "database_busy")
    assert event_count(operator) == events
    assert_applied_in_order(operator, crib, events)


@pytest.mark.postgres_only
def test_a_batch_while_postgres_is_read_only_applies_nothing_out_of_order(
    operator: Any, crib: Any, settings: Settings
) -> None:
    name = settings.database_url.rsplit("/", 1)[1]
    events = event_count(operator)
    try:
        pg_admin(f"ALTER DATABASE {name} SET default_transaction_read_only = on", _kick(name))
        for _ in range(3):  # the first may meet a session just cut (503 unavailable)
            answer = operator.post("/api/v1/scans/batch", json=batch(crib))
            first = answer.json()["results"][0] if answer.status_code == 200 else answer.json()
            code = first["answer"]["code"] if "answer" in first else first["code"]
            if code == "database_read_only":
                break
            assert code == "database_unavailable", answer.text
        assert_stopped_at_first(answer, "database_read_only")
        assert event_count(operator) == events
    finally:
        pg_admin(f"ALTER DATABASE {name} RESET default_transaction_read_only")
    assert_applied_in_order(operator, crib, events)

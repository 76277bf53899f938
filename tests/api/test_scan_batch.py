"""/scans/batch is an ordered queue (issue 9, items 4 and 5): a failure that may pass
stops it and the scans after it are not attempted, so a resend keeps their order; a
definite refusal does not stop it; more scans than it takes are refused whole, never cut
short. Real database faults under a batch are in tests/integration/test_db_faults_batch.py."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from server.domain.errors import Unavailable
from server.services import scan_actions
from server.services.scans import MAX_BATCH
from tests.factories import event_count, item, location, ok, units


@pytest.fixture
def crib(manager: Any) -> dict[str, Any]:
    shelf, b3 = location(manager, "Shelf A"), location(manager, "Shelf B3")
    drills = item(manager, tracking="serial", name="Cordless drill")
    made = units(manager, drills["id"], shelf["tag"], serials=["0001", "0002", "0003"])
    return {"shelf": shelf, "b3": b3, "tags": [u["tag"] for u in made]}


def moves(crib: dict[str, Any], prefix: str = "m") -> list[dict[str, Any]]:
    return [{"code": tag, "action": "move", "location": crib["b3"]["tag"],
             "idempotency_key": f"{prefix}{n}"} for n, tag in enumerate(crib["tags"], start=1)]


def driver_error(engine: str) -> Exception:
    """A lock held too long, as the engine's driver reports it."""
    if engine == "sqlite":
        return sqlite3.OperationalError("database is locked")
    import asyncpg

    return asyncpg.exceptions.LockNotAvailableError("could not obtain lock on row")


@pytest.fixture
def fail_on(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the move with one idempotency key fail with `error`, inside its transaction."""
    real = scan_actions.HANDLERS["move"]
    failing: dict[str, Exception] = {}

    async def move(actor: Any, cmd: Any, res: Any) -> Any:
        if cmd.idempotency_key in failing:
            raise failing[cmd.idempotency_key]
        return await real(actor, cmd, res)

    monkeypatch.setitem(scan_actions.HANDLERS, "move", move)
    return failing


def test_a_database_fault_stops_the_batch_and_a_resend_keeps_the_order(
    operator: Any, crib: Any, settings: Any, fail_on: Any
) -> None:
    batch = moves(crib)
    fail_on["m2"] = driver_error(settings.engine)
    events = event_count(operator)
    answer = operator.post("/api/v1/scans/batch", json={"scans": batch})
    assert answer.status_code == 200, answer.text
    assert int(answer.headers["retry-after"]) > 0
    body = answer.json()
    assert [r["status"] for r in body["results"]] == [200, 503, 503]
    assert body["stopped_at"] == 1
    assert [r["answer"]["code"] for r in body["results"][1:]] == ["database_busy", "not_attempted"]
    assert body["results"][2]["answer"]["title"] == "Not attempted"
    assert [r["idempotency_key"] for r in body["results"]] == ["m1", "m2", "m3"]
    assert event_count(operator) == events + 1  # the third was not applied before the second

    fail_on.clear()
    again = ok(operator.post("/api/v1/scans/batch", json={"scans": batch}))
    assert [r["status"] for r in again["results"]] == [200, 200, 200]
    assert [r["replay"] for r in again["results"]] == [True, False, False]
    assert again["stopped_at"] is None
    ids = [r["answer"]["event_id"] for r in again["results"]]
    assert ids == sorted(ids), "applied in the order scanned"


def test_a_server_error_stops_the_batch_too(operator: Any, crib: Any, fail_on: Any) -> None:
    fail_on["m1"] = RuntimeError("a bug")
    body = ok(operator.post("/api/v1/scans/batch", json={"scans": moves(crib)}))
    assert [r["status"] for r in body["results"]] == [500, 503, 503]
    assert body["results"][0]["answer"]["code"] == "server_error"
    assert body["stopped_at"] == 0


def test_a_not_now_refusal_stops_the_batch_and_is_not_stored_as_the_answer(
    operator: Any, crib: Any, fail_on: Any
) -> None:
    """A 503 refusal (a service out of reach) says "try again": stored as the scan's
    answer it would come back on every replay, and the queue would never move again."""
    fail_on["m1"] = Unavailable("the label printer cannot be reached", code="printer_unreachable")
    body = ok(operator.post("/api/v1/scans/batch", json={"scans": moves(crib)}))
    assert [r["status"] for r in body["results"]] == [503, 503, 503]
    assert body["results"][0]["answer"]["error"]["code"] == "printer_unreachable"
    fail_on.clear()
    again = ok(operator.post("/api/v1/scans/batch", json={"scans": moves(crib)}))
    assert [(r["status"], r["replay"]) for r in again["results"]] == [(200, False)] * 3


def test_definite_refusals_do_not_stop_the_batch(operator: Any, crib: Any) -> None:
    batch = moves(crib)
    batch[0] = {**batch[0], "action": "check_in"}  # not checked out: 409, final
    batch[1] = {**batch[1], "action": "fly"}  # no such action: 422, final
    body = ok(operator.post("/api/v1/scans/batch", json={"scans": batch}))
    assert [r["status"] for r in body["results"]] == [409, 422, 200]
    assert body["stopped_at"] is None and "retry-after" not in body


def test_a_batch_over_the_limit_is_refused_whole_naming_the_limit(operator: Any,
                                                                  manager: Any) -> None:
    scans = [{"code": "ZIP-100", "action": "lookup"}] * 10_000
    answer = operator.post("/api/v1/scans/batch", json={"scans": scans})
    assert answer.status_code == 413, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "too_many_scans" and problem["field"] == "scans"
    assert problem["detail"].startswith(
        f"a batch holds at most {MAX_BATCH} scans; this one has 10000")
    assert problem["details"] == {"limit": MAX_BATCH, "count": 10_000}
    assert ok(manager.get("/api/v1/scans"))["total"] == 0, "nothing was done"


def test_a_batch_at_the_limit_is_taken_whole(operator: Any, crib: Any) -> None:
    scans = [{"code": crib["b3"]["tag"], "action": "lookup"}] * MAX_BATCH
    body = ok(operator.post("/api/v1/scans/batch", json={"scans": scans}))
    assert len(body["results"]) == MAX_BATCH
    assert {r["status"] for r in body["results"]} == {200}


def test_a_page_size_above_the_maximum_is_refused_naming_it(viewer: Any) -> None:
    for path in ("/api/v1/items", "/api/v1/units", "/api/v1/locations", "/api/v1/loans",
                 "/api/v1/events"):
        answer = viewer.get(path, params={"limit": 501})
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["field"] == "limit" and "500" in answer.json()["detail"], path

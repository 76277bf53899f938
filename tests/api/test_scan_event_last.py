"""A scan's event is appended last (server/services/scans.py `_append_and_store`): the
answer names the real event, the scan log row is the answer, nothing a placeholder."""

import sys
import uuid

import pytest

from tests.factories import item, location, ok, person, receive, units


def _scan(api, code, action, **fields):
    key = uuid.uuid4().hex
    answer = api.post("/api/v1/scans", json={"code": code, "action": action,
                                             "idempotency_key": key, **fields})
    assert answer.status_code == 200, answer.text
    return key, answer


def _last_event(api):
    return ok(api.get("/api/v1/events", params={"limit": 1}))["events"][0]


def _logged(api, key):
    rows = ok(api.get("/api/v1/scans/", params={"limit": 5}))["scans"]
    return next(r for r in rows if r.get("idempotency_key") == key)


def _setup(manager):
    shelf, b3 = location(manager, "Shelf A"), location(manager, "Shelf B3")
    drills = item(manager, tracking="serial", name="Cordless drill")
    [drill] = units(manager, drills["id"], shelf["tag"], serials=["0001"])
    return shelf, b3, drill


def test_the_answer_and_the_log_name_the_event_that_was_appended(manager, operator):
    _shelf, b3, drill = _setup(manager)
    key, answer = _scan(operator, drill["tag"], "move", location=b3["tag"])
    event = _last_event(manager)
    assert event["unit"] == drill["tag"] and event["kind"] == "unit.moved"
    assert answer.json()["event_id"] == event["id"] > 0
    logged = _logged(manager, key)
    assert logged["event_id"] == event["id"]
    # the replay repeats the first answer byte for byte
    again = operator.post("/api/v1/scans", json={"code": drill["tag"], "action": "move",
                                                 "location": b3["tag"], "idempotency_key": key})
    assert again.content == answer.content


def test_a_note_holding_the_marks_digits_is_kept_and_the_id_is_right(manager, operator):
    _shelf, b3, drill = _setup(manager)
    note = "ticket 9007199254740991"
    key, answer = _scan(operator, drill["tag"], "move", location=b3["tag"], note=note)
    event = _last_event(manager)
    assert answer.json()["event_id"] == event["id"] > 0
    assert event["note"] == note
    assert _logged(manager, key)["event_id"] == event["id"]


def test_a_scan_of_several_events_answers_with_a_real_one(manager, operator):
    shelf = location(manager, "Shelf A")
    dana = person(manager, "Dana Whitfield")
    gloves = item(manager, tracking="lot", name="Gloves", sku="GLV-1")
    receive(manager, gloves["id"], shelf["tag"], 3, lot="L1", expires_on="2030-01-01")
    receive(manager, gloves["id"], shelf["tag"], 3, lot="L2", expires_on="2031-01-01")
    key, answer = _scan(operator, "GLV-1", "consume", location=shelf["tag"], quantity=5)
    events = ok(manager.get("/api/v1/events", params={"limit": 2}))["events"]
    assert {e["lot"] for e in events} == {"L1", "L2"}
    assert answer.json()["event_id"] in {e["id"] for e in events}
    assert _logged(manager, key)["event_id"] == answer.json()["event_id"]
    assert dana  # a person exists: nothing else of hers is touched


@pytest.mark.postgres_only
def test_on_postgresql_the_event_and_the_log_row_go_in_one_statement(manager, operator,
                                                                      monkeypatch):
    """Nothing runs between the event's append (which takes the chain's lock) and COMMIT:
    the log row is written by the same statement (tagtrack_append_scan)."""
    from server.db import engine, scans_repo

    _shelf, b3, drill = _setup(manager)
    after_append: list[str] = []
    real_fetch = engine.fetch

    async def watched(sql, *args):
        if after_append or "tagtrack_append" in sql:
            after_append.append(sql)
        return await real_fetch(sql, *args)

    async def no_separate_insert(entry):
        raise AssertionError("the log row was written by a statement of its own")

    for name, module in list(sys.modules.items()):  # every repository's statements
        if name.startswith("server.") and getattr(module, "fetch", None) is real_fetch:
            monkeypatch.setattr(module, "fetch", watched)
    monkeypatch.setattr(scans_repo, "insert", no_separate_insert)
    key, answer = _scan(operator, drill["tag"], "move", location=b3["tag"])
    appends = [s for s in after_append if "tagtrack_append" in s]
    assert len(appends) == 1 and "tagtrack_append_scan" in appends[0]
    assert after_append.index(appends[0]) == len(after_append) - 1 or all(
        "pg_logical_emit_message" in s for s in after_append[after_append.index(appends[0]) + 1:])
    assert _logged(manager, key)["event_id"] == answer.json()["event_id"]

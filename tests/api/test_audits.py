"""Audits: start on a location, scan (found, unexpected, unknown, counted), follow the
progress, finish, confirm (events, last_audited_at), list and export as CSV."""

from __future__ import annotations

import csv
import io

from tests.factories import event_count, item, location, ok, on_hand, person, problem, receive
from tests.factories import units as make_units


def start(api, loc, **extra):
    return ok(api.post("/api/v1/audits", json={"location": loc, **extra}), 201)


def scan(api, audit_id, code, **extra):
    return ok(api.post(f"/api/v1/audits/{audit_id}/scans", json={"code": code, **extra}))


def stocked_room(manager, operator):
    room = location(manager, "Room")
    shelf, other = location(manager, "Shelf", room["id"]), location(manager, "Other")
    drills, cords = item(manager, tracking="serial"), item(manager, sku="CORD-1")
    here = make_units(manager, drills["id"], shelf["tag"], count=3)
    away = make_units(manager, drills["id"], other["tag"], count=1)[0]
    receive(operator, cords["id"], shelf["tag"], 10)
    return room, shelf, other, drills, cords, here, away


def test_an_audit_reports_found_missing_unexpected_unknown_and_counts(manager, operator):
    room, shelf, other, _, _, here, away = stocked_room(manager, operator)
    audit = start(operator, room["tag"], include_sublocations=True)
    audit_id = audit["audit"]["id"]
    assert audit["totals"]["expected"] == 3 and len(audit["not_counted"]) == 1
    assert scan(operator, audit_id, shelf["tag"])["result"] == "location"
    first = scan(operator, audit_id, here[0]["tag"])
    assert (first["result"], first["found"], first["expected"]) == ("found", 1, 3)
    assert scan(operator, audit_id, here[0]["tag"])["result"] == "again"
    scan(operator, audit_id, here[1]["tag"])
    stray = scan(operator, audit_id, away["tag"])
    assert stray["result"] == "unexpected" and "Other" in stray["message"]
    assert scan(operator, audit_id, "NO-SUCH-THING")["result"] == "unknown"
    counted = scan(operator, audit_id, "CORD-1", quantity=6)
    counted = scan(operator, audit_id, "cord-1", quantity=2)
    assert counted["result"] == "counted" and "8" in counted["message"]
    live = ok(operator.get(f"/api/v1/audits/{audit_id}"))
    assert live["totals"] == {
        "expected": 3,
        "found": 2,
        "missing": 1,
        "unexpected": 1,
        "misplaced": 0,
        "unknown": 1,
        "counted": 1,
        "count_differences": 1,
        "not_counted": 0,
    }
    assert [ln["unit"]["tag"] for ln in live["missing"]] == [here[2]["tag"]]
    assert live["unexpected"][0]["system_location"]["tag"] == other["tag"]
    assert live["unknown"][0]["code"] == "NO-SUCH-THING"
    diff = live["count_differences"][0]
    assert (diff["expected_quantity"], diff["counted_quantity"], diff["difference"]) == (10, 8, -2)


def test_confirm_moves_adjusts_and_stamps_last_audited_at_in_events(manager, operator):
    _, shelf, _, drills, cords, here, away = stocked_room(manager, operator)
    audit_id = start(operator, shelf["tag"])["audit"]["id"]
    for unit in (here[0], away):
        scan(operator, audit_id, unit["tag"])
    scan(operator, audit_id, "CORD-1", quantity=7)
    finished = ok(operator.post(f"/api/v1/audits/{audit_id}/finish"))
    assert finished["audit"]["status"] == "finished"
    refused = operator.post(f"/api/v1/audits/{audit_id}/scans", json={"code": here[1]["tag"]})
    assert problem(refused, 409)["code"] == "audit_finished"
    before = event_count(operator)
    done = ok(operator.post(f"/api/v1/audits/{audit_id}/confirm", json={}))
    assert done["audit"]["status"] == "confirmed"
    outcome = done["audit"]["outcome"]
    assert [m["unit"] for m in outcome["moved"]] == [away["tag"]]
    assert outcome["adjusted"][0]["now"] == 7 and outcome["marked_lost"] == []
    # one move, one adjustment, one unit.audited per unit seen (2)
    assert event_count(operator) == before + 4
    assert ok(operator.get(f"/api/v1/units/{away['tag']}"))["location"]["tag"] == shelf["tag"]
    assert on_hand(operator, cords["id"], shelf["tag"]) == 7
    history = ok(operator.get(f"/api/v1/units/{away['tag']}/history"))["events"]
    assert [e["kind"] for e in history][:2] == ["unit.audited", "unit.moved"]
    assert history[1]["details"]["audit"] == audit_id
    stamped = ok(
        operator.get(
            "/api/v1/units", params={"item": str(drills["id"]), "include_collapsed": "true"}
        )
    )["units"]
    seen = {u["tag"]: u.get("last_audited_at") for u in stamped}
    assert seen[here[0]["tag"]] and seen[away["tag"]] and not seen[here[1]["tag"]]
    again = operator.post(f"/api/v1/audits/{audit_id}/confirm", json={})
    assert problem(again, 409)["code"] == "audit_confirmed"


def test_confirm_can_mark_missing_units_lost_and_check_in_a_unit_found_on_the_shelf(
    manager, operator
):
    shelf, drills, dana = location(manager), item(manager, tracking="serial"), person(manager)
    kept, gone, lent = make_units(manager, drills["id"], shelf["tag"], count=3)
    ok(operator.post(f"/api/v1/units/{lent['tag']}/check-out", json={"person": dana["tag"]}))
    audit_id = start(operator, shelf["tag"])["audit"]["id"]
    scan(operator, audit_id, kept["tag"])
    back = scan(operator, audit_id, lent["tag"])
    assert back["result"] == "unexpected" and "checked out to" in back["message"]
    ok(operator.post(f"/api/v1/audits/{audit_id}/confirm", json={"mark_missing_lost": True}))
    assert ok(operator.get(f"/api/v1/units/{gone['tag']}"))["status"] == "lost"
    returned = ok(operator.get(f"/api/v1/units/{lent['tag']}"))
    assert returned["status"] == "available" and returned["custodian"] is None


def test_a_rejected_confirmation_changes_nothing(manager, operator):
    shelf, other = location(manager), location(manager)
    drills = item(manager, tracking="serial")
    unit = make_units(manager, drills["id"], other["tag"])[0]
    audit_id = start(operator, shelf["tag"])["audit"]["id"]
    scan(operator, audit_id, unit["tag"])
    ok(manager.patch(f"/api/v1/locations/{shelf['tag']}", json={"archived": True}))
    before = event_count(operator)
    answer = operator.post(f"/api/v1/audits/{audit_id}/confirm", json={})
    assert answer.status_code == 409, answer.text
    assert event_count(operator) == before
    assert ok(operator.get(f"/api/v1/audits/{audit_id}"))["audit"]["status"] == "open"


def test_audits_are_listed_and_exported_as_csv(manager, operator, viewer):
    _, shelf, _, _, _, here, _ = stocked_room(manager, operator)
    audit_id = start(operator, shelf["tag"])["audit"]["id"]
    scan(operator, audit_id, here[0]["tag"])
    scan(operator, audit_id, "CORD-1", quantity=12)
    scan(operator, audit_id, "MYSTERY")
    listed = ok(viewer.get("/api/v1/audits"))
    assert listed["total"] == 1 and listed["audits"][0]["location"]["tag"] == shelf["tag"]
    answer = viewer.get(f"/api/v1/audits/{audit_id}/export.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    by_result = sorted((r["result"], r["unit_tag"] or r["item_sku"] or r["code"]) for r in rows)
    assert by_result == sorted(
        [
            ("found", here[0]["tag"]),
            ("missing", here[1]["tag"]),
            ("missing", here[2]["tag"]),
            ("counted", "CORD-1"),
            ("unknown", "MYSTERY"),
        ]
    )
    count_row = next(r for r in rows if r["result"] == "counted")
    assert (
        count_row["expected_quantity"],
        count_row["counted_quantity"],
        count_row["difference"],
    ) == ("10", "12", "2")


def test_audit_scans_outside_the_audited_location_or_by_viewers_are_refused(
    manager, operator, viewer
):
    shelf, other = location(manager), location(manager)
    audit_id = start(operator, shelf["tag"])["audit"]["id"]
    outside = operator.post(f"/api/v1/audits/{audit_id}/scans", json={"code": other["tag"]})
    assert problem(outside, 409, "location")["code"] == "outside_audit"
    problem(viewer.post(f"/api/v1/audits/{audit_id}/scans", json={"code": shelf["tag"]}), 403)
    problem(operator.get("/api/v1/audits/999"), 404)

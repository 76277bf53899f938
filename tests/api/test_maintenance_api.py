"""Maintenance through /api/v1/maintenance: a service record planned, started (the unit goes
in_repair, it cannot be checked out) and finished (the unit back to the status it had), a
done record never edited, schedule rules by days and uses on an item or a unit, the due
list, roles; `verify` rebuilds the unit statuses with the service events in the history
(the client fixture checks it after every test)."""

import datetime as dt

import pytest

from server.services import maintenance as service
from tests.factories import item, location, ok, person, problem, units

M = "/api/v1/maintenance"


@pytest.fixture
def lab(manager):
    bench = location(manager, "Calibration bench")
    meters = item(manager, tracking="serial", name="Torque wrench")
    one, two = units(manager, meters["id"], bench["tag"], serials=["TW-1", "TW-2"])
    return {"item": meters, "one": one["tag"], "two": two["tag"],
            "dana": person(manager, "Dana Whitfield")}


def plan(api, tag, kind="calibration", status=201, **fields):
    answer = api.post(f"{M}/records", json={"unit": tag, "kind": kind, **fields})
    assert answer.status_code == status, answer.text
    return answer.json()


def unit_status(api, tag):
    return ok(api.get(f"/api/v1/units/{tag}"))["status"]


def test_maintenance_start_puts_the_unit_in_repair_and_finish_returns_it(operator, lab):
    record = plan(operator, lab["one"], planned_on="2026-12-01", vendor="Acme Cal")
    assert record["state"] == "planned" and record["planned_on"] == "2026-12-01"
    started = ok(operator.post(f"{M}/records/{record['id']}/start"))
    assert started["state"] == "in_progress" and started["status_before"] == "available"
    assert unit_status(operator, lab["one"]) == "in_repair"
    refused = problem(operator.post(f"/api/v1/units/{lab['one']}/check-out",
                                    json={"person": lab["dana"]["tag"]}), 409)
    assert "in repair" in refused["detail"]
    done = ok(operator.post(f"{M}/records/{record['id']}/finish",
                            json={"outcome": "done", "cost": "120.5", "under_warranty": True,
                                  "notes": "within tolerance"}))
    assert done["state"] == "done" and done["cost"] == "120.50" and done["under_warranty"]
    assert done["finished_at"] is not None
    assert unit_status(operator, lab["one"]) == "available"
    kinds = [e["kind"] for e in ok(operator.get(f"/api/v1/units/{lab['one']}/history"))
             ["events"]]
    assert {"service.planned", "service.started", "service.finished"} <= set(kinds)


def test_maintenance_a_reserved_unit_goes_back_to_reserved(operator, manager, lab):
    ok(manager.post(f"/api/v1/units/{lab['two']}/status", json={"status": "reserved"}))
    record = plan(operator, lab["two"], "repair")
    ok(operator.post(f"{M}/records/{record['id']}/start"))
    ok(operator.post(f"{M}/records/{record['id']}/finish", json={"outcome": "failed"}))
    assert unit_status(operator, lab["two"]) == "reserved"


def test_maintenance_a_done_record_is_not_edited_and_a_correction_points_to_it(operator, lab):
    record = plan(operator, lab["one"])
    ok(operator.post(f"{M}/records/{record['id']}/start"))
    ok(operator.post(f"{M}/records/{record['id']}/finish", json={}))
    for route, body in (("start", None), ("finish", {"outcome": "failed"}),
                        ("cancel", {})):
        answer = problem(operator.post(f"{M}/records/{record['id']}/{route}", json=body), 409)
        assert answer["code"] == "invalid_transition"
        assert "not edited" in answer["detail"]
    fix = plan(operator, lab["one"], corrects=record["id"], notes="wrong torque table")
    assert fix["corrects"] == record["id"]
    open_one = plan(operator, lab["two"])
    bad = problem(operator.post(f"{M}/records", json={
        "unit": lab["two"], "kind": "repair", "corrects": open_one["id"]}), 422)
    assert bad["field"] == "corrects"


def test_maintenance_a_checked_out_unit_is_not_started_and_cancel_returns_the_unit(
        operator, lab):
    ok(operator.post(f"/api/v1/units/{lab['one']}/check-out",
                     json={"person": lab["dana"]["tag"]}))
    record = plan(operator, lab["one"], "inspection")
    refused = problem(operator.post(f"{M}/records/{record['id']}/start"), 409)
    assert "check it in first" in refused["detail"]
    ok(operator.post(f"/api/v1/units/{lab['one']}/check-in", json={}))
    ok(operator.post(f"{M}/records/{record['id']}/start"))
    cancelled = ok(operator.post(f"{M}/records/{record['id']}/cancel", json={"notes": "x"}))
    assert cancelled["state"] == "cancelled"
    assert unit_status(operator, lab["one"]) == "available"
    log = ok(operator.get(f"{M}/units/{lab['one']}/records"))["records"]
    assert [r["id"] for r in log] == [record["id"]]


def test_maintenance_bad_input_names_the_field(operator, lab):
    assert problem(operator.post(f"{M}/records", json={"unit": lab["one"], "kind": "polish"}),
                   422)["field"] == "kind"
    record = plan(operator, lab["one"])
    ok(operator.post(f"{M}/records/{record['id']}/start"))
    assert problem(operator.post(f"{M}/records/{record['id']}/finish",
                                 json={"cost": "-3"}), 422)["field"] == "cost"
    assert problem(operator.post(f"{M}/records/{record['id']}/finish",
                                 json={"outcome": "planned"}), 422)["field"] == "outcome"
    assert problem(operator.get(f"{M}/records/999999"), 404)


def test_maintenance_rules_are_for_managers_and_refuse_bad_schedules(operator, manager,
                                                                    viewer, lab):
    body = {"kind": "inspection", "item": lab["item"]["id"], "every_days": 30}
    assert operator.post(f"{M}/rules", json=body).status_code == 403
    assert viewer.post(f"{M}/records", json={"unit": lab["one"],
                                             "kind": "repair"}).status_code == 403
    assert problem(manager.post(f"{M}/rules", json={**body, "every_days": None}),
                   422)["field"] == "every_days"
    assert problem(manager.post(f"{M}/rules", json={**body, "lead_days": 30}),
                   422)["field"] == "lead_days"
    assert problem(manager.post(f"{M}/rules", json={**body, "unit": lab["one"]}),
                   422)["field"] == "item"
    rule = ok(manager.post(f"{M}/rules", json=body), 201)
    assert operator.patch(f"{M}/rules/{rule['id']}", json={"every_days": 7}).status_code == 403
    changed = ok(manager.patch(f"{M}/rules/{rule['id']}", json={"every_days": 7}))
    assert changed["every_days"] == 7
    assert problem(manager.patch(f"{M}/rules/{rule['id']}", json={"every_days": None}),
                   422)["field"] == "every_days"


def test_maintenance_a_rule_by_uses_falls_due_with_check_outs_and_a_done_record_resets_it(
        operator, manager, lab):
    rule = ok(manager.post(f"{M}/rules", json={
        "kind": "calibration", "unit": lab["one"], "every_uses": 2, "every_days": 365,
        "lead_uses": 1}), 201)

    def standing():
        rows = ok(operator.get(f"{M}/units/{lab['one']}/schedule"))["schedule"]
        (row,) = [r for r in rows if r["rule"] == rule["id"]]
        return row

    assert standing()["state"] == "ok" and standing()["uses_left"] == 2
    for expected in ("due_soon", "due", "overdue"):
        ok(operator.post(f"/api/v1/units/{lab['one']}/check-out",
                         json={"person": lab["dana"]["tag"]}))
        ok(operator.post(f"/api/v1/units/{lab['one']}/check-in", json={}))
        assert standing()["state"] == expected
    due = ok(operator.get(f"{M}/due"))["schedule"]
    assert [(r["unit"], r["state"]) for r in due] == [(lab["one"], "overdue")]
    record = plan(operator, lab["one"], rule=rule["id"])
    ok(operator.post(f"{M}/records/{record['id']}/start"))
    ok(operator.post(f"{M}/records/{record['id']}/finish", json={"outcome": "done"}))
    after = standing()
    assert after["state"] == "ok" and after["uses_left"] == 2
    assert after["due_on"] == (dt.date.fromisoformat(after["last_done"][:10])
                               + dt.timedelta(days=365)).isoformat()
    assert ok(operator.get(f"{M}/due"))["schedule"] == []


def test_maintenance_an_item_rule_covers_its_units_and_the_clock_makes_it_overdue(
        operator, manager, lab, monkeypatch):
    rule = ok(manager.post(f"{M}/rules", json={
        "kind": "inspection", "item": lab["item"]["sku"], "every_days": 30, "lead_days": 5,
        "starts_on": "2026-11-01"}), 201)
    listed = ok(operator.get(f"{M}/rules", params={"unit": lab["two"]}))["rules"]
    assert [r["id"] for r in listed] == [rule["id"]]
    monkeypatch.setattr(service, "clock",
                        lambda: dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC))
    due = ok(operator.get(f"{M}/due"))["schedule"]
    assert {(r["unit"], r["state"], r["overdue_since"]) for r in due} == {
        (lab["one"], "overdue", "2026-12-01"), (lab["two"], "overdue", "2026-12-01")}
    ok(manager.patch(f"{M}/rules/{rule['id']}", json={"active": False}))
    assert ok(operator.get(f"{M}/due"))["schedule"] == []


def test_maintenance_verify_rebuilds_in_repair_from_the_service_events_and_one_at_a_time(
        operator, admin, lab):
    first, second = plan(operator, lab["one"], "repair"), plan(operator, lab["one"], "cleaning")
    ok(operator.post(f"{M}/records/{first['id']}/start"))
    assert ok(admin.get("/api/v1/admin/verify")) == {"ok": True, "problems": []}
    busy = problem(operator.post(f"{M}/records/{second['id']}/start"), 409)
    assert "in repair" in busy["detail"] and busy["field"] == "unit"
    ok(operator.post(f"{M}/records/{first['id']}/finish", json={"outcome": "done"}))
    ok(operator.post(f"{M}/records/{second['id']}/start"))
    events = ok(operator.get(f"/api/v1/units/{lab['one']}/history"))["events"]
    started = [e for e in events if e["kind"] == "service.started"]
    assert len(started) == 2
    assert ok(admin.get("/api/v1/admin/verify")) == {"ok": True, "problems": []}


def test_maintenance_the_due_list_says_when_it_looked_at_part_of_the_schedules_only(
        operator, manager, lab, monkeypatch):
    from server.db import maintenance_repo

    ok(manager.post(f"{M}/rules", json={"kind": "cleaning", "item": lab["item"]["id"],
                                        "every_uses": 5}), 201)
    full = ok(operator.get(f"{M}/due", params={"all": "true"}))
    assert len(full["schedule"]) == 2 and full["truncated"] is False
    monkeypatch.setattr(maintenance_repo, "SCHEDULED_LIMIT", 1)
    cut = ok(operator.get(f"{M}/due", params={"all": "true"}))
    assert len(cut["schedule"]) == 1 and cut["truncated"] is True


def test_maintenance_the_schedule_follows_units_merged_into_a_count_and_restored(
        operator, manager, lab):
    ok(manager.post(f"{M}/rules", json={"kind": "inspection", "item": lab["item"]["id"],
                                        "every_uses": 1}), 201)
    ok(operator.post(f"/api/v1/units/{lab['one']}/check-out",
                     json={"person": lab["dana"]["tag"]}))
    ok(operator.post(f"/api/v1/units/{lab['one']}/check-in", json={}))
    due = ok(operator.get(f"{M}/due"))["schedule"]
    assert [(r["unit"], r["state"]) for r in due] == [(lab["one"], "due")]
    ok(manager.post(f"/api/v1/items/{lab['item']['id']}/convert",
                    json={"tracking": "quantity"}), 201)
    assert ok(operator.get(f"{M}/due", params={"all": "true"}))["schedule"] == []
    merged = problem(operator.post(f"{M}/records", json={"unit": lab["one"],
                                                         "kind": "inspection"}), 409)
    assert merged["code"] == "unit_not_live"
    ok(manager.post(f"/api/v1/items/{lab['item']['id']}/convert",
                    json={"tracking": "serial"}), 201)
    back = ok(operator.get(f"{M}/due"))["schedule"]
    assert [(r["unit"], r["state"]) for r in back] == [(lab["one"], "due")]


def test_maintenance_a_unit_in_service_returns_by_finishing_the_service_not_by_a_status(
        operator, manager, lab):
    record = plan(operator, lab["one"], "repair")
    ok(operator.post(f"{M}/records/{record['id']}/start"))
    for answer in (operator.post(f"/api/v1/units/{lab['one']}/status",
                                 json={"status": "available"}),
                   operator.post(f"/api/v1/units/{lab['one']}/actions/return_from_repair",
                                 json={})):
        refused = problem(answer, 409)
        assert refused["code"] == "unit_in_service"
        assert f"service {record['id']}" in refused["detail"]
    assert unit_status(operator, lab["one"]) == "in_repair"
    ok(operator.post(f"{M}/records/{record['id']}/cancel", json={}))
    assert unit_status(operator, lab["one"]) == "available"
    # without a service, the plain status changes work as before
    ok(operator.post(f"/api/v1/units/{lab['two']}/actions/send_to_repair", json={}), 201)
    ok(operator.post(f"/api/v1/units/{lab['two']}/actions/return_from_repair", json={}), 201)

"""A unit that needs repair or is damaged is not lent: the check-out is refused with the
words people wrote when they marked it, on every way in (a scan, the unit's check-out, a
bulk check-out), unless a manager overrides with a reason the event keeps. A unit that
comes back broken is offered "send to repair"."""

import pytest

from tests.factories import item, location, ok, person, problem, units


def scan(api, code, action, status=200, **fields):
    answer = api.post("/api/v1/scans", json={"code": code, "action": action, **fields})
    assert answer.status_code == status, answer.text
    return answer.json()


@pytest.fixture
def crib(manager):
    rack = location(manager, "Drill rack")
    dana = person(manager, "Dana Whitfield")
    drills = item(manager, tracking="serial", name="Cordless drill")
    good, slipping = units(manager, drills["id"], rack["tag"], serials=["0001", "0002"])
    ok(manager.post(f"/api/v1/units/{slipping['tag']}/condition",
                    json={"condition": "needs_repair", "note": "chuck slips"}))
    return {"rack": rack, "dana": dana, "good": good["tag"], "slipping": slipping["tag"]}


def history(api, tag):
    return ok(api.get(f"/api/v1/units/{tag}/history"))["events"]


def test_a_scan_check_out_of_a_unit_that_needs_repair_is_refused_with_the_reason(
        operator, crib):
    tag = crib["slipping"]
    refused = scan(operator, tag, "check_out", 409, person=crib["dana"]["tag"])
    assert refused["ok"] is False
    assert refused["message"] == f"Cordless drill {tag} needs repair: chuck slips"
    assert refused["error"]["code"] == "unit_not_working"
    assert refused["error"]["details"]["condition"] == "needs_repair"
    assert ok(operator.get(f"/api/v1/units/{tag}"))["status"] == "available"


def test_the_units_own_check_out_and_a_bulk_check_out_refuse_it_too(operator, crib):
    tag = crib["slipping"]
    body = problem(operator.post(f"/api/v1/units/{tag}/check-out",
                                 json={"person": crib["dana"]["tag"]}), 409)
    assert body["code"] == "unit_not_working"
    assert body["detail"].endswith("needs repair: chuck slips")
    bulk = ok(operator.post("/api/v1/loans/bulk-check-out",
                            json={"person": crib["dana"]["tag"], "codes": [crib["good"], tag]}))
    assert [r["ok"] for r in bulk["results"]] == [True, False]
    assert bulk["results"][1]["error"]["code"] == "unit_not_working"


def test_a_damaged_unit_is_refused_as_damaged(manager, operator, crib):
    tag = crib["good"]
    ok(manager.post(f"/api/v1/units/{tag}/condition",
                    json={"condition": "damaged", "note": "case cracked"}))
    refused = scan(operator, tag, "check_out", 409, person=crib["dana"]["tag"])
    assert refused["message"] == f"Cordless drill {tag} is damaged: case cracked"


def test_a_manager_lends_it_anyway_with_a_reason_that_the_check_out_event_keeps(manager, crib):
    tag = crib["slipping"]
    out = scan(manager, tag, "check_out", person=crib["dana"]["tag"],
               override_condition=True, override_reason="drilling soft wood only")
    assert out["ok"] is True
    assert out["resolved"]["record"]["status"] == "checked_out"
    assert out["resolved"]["record"]["condition"] == "needs_repair"
    event = history(manager, tag)[0]
    assert event["kind"] == "unit.checked_out"
    assert event["details"]["condition_override"] == "drilling soft wood only"
    assert event["details"]["lent_condition"] == "needs_repair"


def test_the_override_needs_a_reason(manager, crib):
    refused = scan(manager, crib["slipping"], "check_out", 422, person=crib["dana"]["tag"],
                   override_condition=True)
    assert refused["error"]["field"] == "override_reason"
    body = problem(manager.post(f"/api/v1/units/{crib['slipping']}/check-out",
                                json={"person": crib["dana"]["tag"], "override_condition": True,
                                      "override_reason": "  "}), 422, "override_reason")
    assert "say why" in body["detail"]


def test_an_operator_cannot_override_the_condition(operator, crib):
    refused = scan(operator, crib["slipping"], "check_out", 403, person=crib["dana"]["tag"],
                   override_condition=True, override_reason="I need it")
    assert refused["error"]["code"] == "forbidden" and "manager" in refused["message"]
    problem(operator.post(f"/api/v1/units/{crib['slipping']}/check-out",
                          json={"person": crib["dana"]["tag"], "override_condition": True,
                                "override_reason": "I need it"}), 403)
    assert ok(operator.get(f"/api/v1/units/{crib['slipping']}"))["status"] == "available"


def test_a_unit_in_working_order_is_lent_without_any_override(operator, crib):
    out = scan(operator, crib["good"], "check_out", person=crib["dana"]["tag"])
    assert out["ok"] is True
    assert "condition_override" not in history(operator, crib["good"])[0]["details"]


def test_a_damaged_return_offers_send_to_repair_and_one_call_does_it(operator, crib):
    tag = crib["good"]
    scan(operator, tag, "check_out", person=crib["dana"]["tag"])
    back = scan(operator, tag, "check_in", condition="damaged", note="dropped from a ladder")
    assert back["message"].endswith("marked damaged")
    assert back["actions"] == ["send_to_repair"]
    fixed = ok(operator.post(f"/api/v1/units/{tag}/actions/send_to_repair",
                             json={"note": "dropped from a ladder"}))
    assert fixed["status"] == "in_repair"
    event = history(operator, tag)[0]
    assert (event["kind"], event["details"]["status"]) == ("unit.status_changed", "in_repair")


def test_a_return_in_working_order_offers_nothing_more(operator, crib):
    tag = crib["good"]
    scan(operator, tag, "check_out", person=crib["dana"]["tag"])
    assert scan(operator, tag, "check_in")["actions"] == []


def test_the_refusal_reads_the_note_of_a_broken_return(operator, crib):
    tag = crib["good"]
    scan(operator, tag, "check_out", person=crib["dana"]["tag"])
    scan(operator, tag, "check_in", condition="needs_repair", note="battery will not charge")
    refused = scan(operator, tag, "check_out", 409, person=crib["dana"]["tag"])
    assert refused["message"] == f"Cordless drill {tag} needs repair: battery will not charge"

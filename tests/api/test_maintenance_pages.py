"""The unit page shows its maintenance (where it stands on each rule, its service log) and
the Maintenance page lists what is due and what is in progress, for a logged-in viewer."""

import re

from tests.conftest import page_login
from tests.factories import item, location, ok, units

M = "/api/v1/maintenance"


def test_maintenance_the_unit_page_and_the_maintenance_page_show_service(client, manager,
                                                                        operator):
    bench = location(manager, "Bench")
    scopes = item(manager, tracking="serial", name="Oscilloscope")
    (scope,) = units(manager, scopes["id"], bench["tag"], serials=["OSC-1"])
    tag = scope["tag"]
    ok(manager.post(f"{M}/rules", json={"kind": "calibration", "unit": tag, "every_uses": 1,
                                        "name": "Yearly calibration", "every_days": 365}), 201)
    person = ok(manager.post("/api/v1/people", json={"name": "Ann Lee"}), 201)
    ok(operator.post(f"/api/v1/units/{tag}/check-out", json={"person": person["tag"]}))
    ok(operator.post(f"/api/v1/units/{tag}/check-in", json={}))
    record = ok(operator.post(f"{M}/records", json={"unit": tag, "kind": "repair",
                                                    "vendor": "Scope Fixers"}), 201)
    ok(operator.post(f"{M}/records/{record['id']}/start"))

    assert page_login(client, "viewer").status_code == 303
    unit_page = client.get(f"/units/{tag}").text
    section = unit_page[unit_page.index('id="service"'):]
    assert "Yearly calibration" in section and "due now" in section
    assert "0 check-outs left" in section
    assert "Scope Fixers" in section and "in progress" in section.lower()

    listing = client.get("/maintenance")
    assert listing.status_code == 200
    due = listing.text[listing.text.index('id="due-list"'):]
    assert re.search(rf"{tag}.*Yearly calibration.*due now", due, re.S)
    progress = listing.text[listing.text.index('id="in-progress"'):]
    assert tag in progress and "repair" in progress.lower()
    assert 'href="/maintenance"' in listing.text


def csrf_of(html):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_maintenance_an_operator_records_starts_and_finishes_a_service_on_the_unit_page(
        client, manager):
    bench = location(manager, "Bench")
    drills = item(manager, tracking="serial", name="Drill")
    (drill,) = units(manager, drills["id"], bench["tag"], serials=["D-1"])
    tag = drill["tag"]
    assert page_login(client, "operator").status_code == 303
    token = csrf_of(client.get(f"/units/{tag}").text)

    def post(**form):
        return client.post(f"/units/{tag}/service", data={"csrf": token, **form},
                           follow_redirects=False)

    bad = post(step="plan", kind="polish")
    assert bad.status_code == 422 and "kind must be one of" in bad.text
    assert post(step="plan", kind="repair", vendor="Fix Co", start_now="on"
                ).status_code == 303
    assert ok(manager.get(f"/api/v1/units/{tag}"))["status"] == "in_repair"
    (record,) = ok(manager.get(f"{M}/units/{tag}/records"))["records"]
    page = client.get(f"/units/{tag}").text
    assert f'name="record" value="{record["id"]}"' in page and 'value="done"' in page
    assert 'value="return_from_repair"' not in page  # it goes back by finishing the service
    assert post(step="done", record=str(record["id"]), cost="80",
                under_warranty="on").status_code == 303
    finished = ok(manager.get(f"{M}/records/{record['id']}"))
    assert finished["state"] == "done" and finished["cost"] == "80.00"
    assert finished["under_warranty"] is True
    assert ok(manager.get(f"/api/v1/units/{tag}"))["status"] == "available"
    again = post(step="cancelled", record=str(record["id"]))
    assert again.status_code == 422 and "not edited" in again.text

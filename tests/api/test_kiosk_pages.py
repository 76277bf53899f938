"""The management pages' check-out and lend forms: a due date in the past is refused with a
box to tick that confirms it, and a unit that needs repair is refused with its reason, with a
"lend it anyway" field for managers only."""

import re

import pytest

from tests import factories as f
from tests.conftest import page_login

HTML = {"Accept": "text/html"}
PAST = "2026-01-05"


def login(client, role):
    client.cookies.clear()
    assert page_login(client, role).status_code == 303


def send(client, page, action, **fields):
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(page).text).group(1)
    return client.post(action, data={"csrf": token, **fields}, headers=HTML,
                       follow_redirects=False)


def error_at(answer, form, field):
    found = re.search(rf'<p class="error" id="{form}-{field}-error">([^<]*)</p>', answer.text)
    assert found, answer.text[:2000]
    return found.group(1)


@pytest.fixture
def crib(admin):
    rack = f.location(admin, "Drill rack")
    dana = f.person(admin, "Dana Whitfield")
    drills = f.item(admin, tracking="serial", name="Cordless drill")
    good, slipping = f.units(admin, drills["id"], rack["tag"], count=2)
    f.ok(admin.post(f"/api/v1/units/{slipping['tag']}/condition",
                    json={"condition": "needs_repair", "note": "chuck slips"}))
    cords = f.item(admin, name="Extension cord")
    f.receive(admin, cords["id"], rack["tag"], 5)
    return {"rack": rack, "dana": dana, "good": good["tag"], "slipping": slipping["tag"],
            "cords": cords}


def test_a_past_due_date_on_the_unit_page_asks_for_a_tick_then_checks_out(client, admin,
                                                                           crib):
    login(client, "operator")
    page = f"/units/{crib['good']}"
    answer = send(client, page, f"{page}/check-out", person=crib["dana"]["tag"], due_at=PAST)
    assert answer.status_code == 422
    words = error_at(answer, "check-out", "due-at")
    assert "is in the past: tick the box below" in words and "allow_past_due" not in words
    assert 'name="allow_past_due"' in answer.text
    assert f.ok(admin.get(f"/api/v1/units/{crib['good']}"))["status"] == "available"

    answer = send(client, page, f"{page}/check-out", person=crib["dana"]["tag"], due_at=PAST,
                  allow_past_due="on")
    assert answer.status_code == 303, answer.text[:800]
    unit = f.ok(admin.get(f"/api/v1/units/{crib['good']}"))
    assert unit["status"] == "checked_out" and unit["due_at"].startswith("2026-01-05")


def test_the_confirmation_box_is_not_offered_before_it_is_needed(client, crib):
    login(client, "operator")
    assert 'name="allow_past_due"' not in client.get(f"/units/{crib['good']}").text


def test_a_past_due_lend_on_the_item_page_asks_for_the_same_tick(client, admin, crib):
    login(client, "operator")
    page = f"/items/{crib['cords']['id']}"
    fields = {"from_location": crib["rack"]["tag"], "person": crib["dana"]["tag"],
              "quantity": "2", "due_at": PAST}
    answer = send(client, page, f"{page}/lend", **fields)
    assert answer.status_code == 422
    assert "tick the box below" in error_at(answer, "lend", "due-at")
    assert 'name="allow_past_due"' in answer.text
    answer = send(client, page, f"{page}/lend", **fields, allow_past_due="on")
    assert answer.status_code == 303, answer.text[:800]
    assert f.ok(admin.get("/api/v1/loans/overdue"))["total"] == 1


def test_a_unit_that_needs_repair_is_refused_on_its_page_and_only_a_manager_may_override(
        client, admin, crib):
    page = f"/units/{crib['slipping']}"
    login(client, "operator")
    answer = send(client, page, f"{page}/check-out", person=crib["dana"]["tag"])
    assert answer.status_code == 422  # a refused form is the page again
    assert "needs repair: chuck slips" in answer.text
    assert 'name="override_reason"' not in answer.text

    login(client, "manager")
    answer = send(client, page, f"{page}/check-out", person=crib["dana"]["tag"])
    assert answer.status_code == 422 and 'name="override_reason"' in answer.text
    answer = send(client, page, f"{page}/check-out", person=crib["dana"]["tag"],
                  override_condition="on", override_reason="")
    assert answer.status_code == 422
    assert "say why" in error_at(answer, "check-out", "override-reason")
    answer = send(client, page, f"{page}/check-out", person=crib["dana"]["tag"],
                  override_condition="on", override_reason="soft wood only")
    assert answer.status_code == 303, answer.text[:800]
    history = f.ok(admin.get(f"/api/v1/units/{crib['slipping']}/history"))["events"]
    assert history[0]["details"]["condition_override"] == "soft wood only"

"""The management pages' stock, loan and edit forms, in process: a success redirects with a
message, a refusal shows next to its field with the input kept, a viewer sees no form and a
forged post gets a 403."""

import re

import pytest

from tests import factories as f
from tests.conftest import As, page_login

HTML = {"Accept": "text/html"}


def login(client, role):
    client.cookies.clear()
    answer = page_login(client, role)
    assert answer.status_code == 303, answer.text


def send(client, page, action, **fields):
    """Open `page` as the logged-in browser would, then post its form to `action`."""
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(page).text).group(1)
    return client.post(action, data={"csrf": token, **fields}, headers=HTML,
                       follow_redirects=False)


def succeeded(client, answer, where, message):
    """Redirected to `where` (its query may say more, as ?first=&last= after an add)."""
    assert answer.status_code == 303, (answer.status_code, answer.text[:800])
    assert answer.headers["location"].partition("?")[0] == where
    assert message in client.get(answer.headers["location"]).text


def refused(answer, form, field, words):
    """The page again (422), with the reason right under the field the service named."""
    field = field.replace("_", "-")
    assert answer.status_code == 422, (answer.status_code, answer.text[:800])
    error = re.search(rf'<p class="error" id="{form}-{field}-error">([^<]*)</p>', answer.text)
    assert error, answer.text
    assert words in error.group(1)
    assert f'id="{form}-{field}"' in answer.text
    return answer.text


@pytest.fixture
def shelves(admin):
    return f.location(admin, "Shelf A"), f.location(admin, "Shelf B")


@pytest.fixture
def screws(admin, shelves):
    item = f.item(admin, name="Screws")
    f.receive(admin, item["id"], shelves[0]["tag"], 3)
    return item


def test_an_operator_moves_stock_from_the_item_page(client, admin, shelves, screws):
    login(client, "operator")
    page = f"/items/{screws['id']}"
    answer = send(client, page, f"{page}/move", from_location=shelves[0]["tag"],
                  to_location=shelves[1]["tag"], quantity="2", note="restock")
    succeeded(client, answer, page, "Moved 2.")
    assert f.on_hand(admin, screws["id"], shelves[0]["tag"]) == 1
    assert f.on_hand(admin, screws["id"], shelves[1]["tag"]) == 2


def test_moving_more_than_is_there_shows_the_reason_at_the_quantity_and_keeps_the_input(
        client, admin, shelves, screws):
    login(client, "operator")
    page = f"/items/{screws['id']}"
    answer = send(client, page, f"{page}/move", from_location=shelves[0]["tag"],
                  to_location=shelves[1]["tag"], quantity="9", note="keep me")
    html = refused(answer, "move", "quantity", "3 left")
    assert 'id="move-quantity" name="quantity" type="number" value="9"' in html
    assert 'value="keep me"' in html
    assert f'<option value="{shelves[1]["tag"]}" selected>' in html
    assert f.on_hand(admin, screws["id"]) == 3


def test_moving_to_the_same_place_is_refused_at_the_target(client, shelves, screws):
    login(client, "operator")
    page = f"/items/{screws['id']}"
    answer = send(client, page, f"{page}/move", from_location=shelves[0]["tag"],
                  to_location=shelves[0]["tag"], quantity="1")
    refused(answer, "move", "to_location", "same as the source")


def test_a_lot_item_is_moved_and_lent_by_lot(client, admin, shelves):
    item = f.item(admin, tracking="lot")
    f.receive(admin, item["id"], shelves[0]["tag"], 5, lot="L1")
    person = f.person(admin)
    login(client, "operator")
    page = f"/items/{item['id']}"
    html = client.get(page).text
    assert 'id="move-lot"' in html and 'id="lend-lot"' in html
    answer = send(client, page, f"{page}/move", from_location=shelves[0]["tag"],
                  to_location=shelves[1]["tag"], quantity="2")
    refused(answer, "move", "lot", "give a lot")
    answer = send(client, page, f"{page}/move", from_location=shelves[0]["tag"],
                  to_location=shelves[1]["tag"], quantity="2", lot="L1")
    succeeded(client, answer, page, "Moved 2.")
    answer = send(client, page, f"{page}/lend", from_location=shelves[0]["tag"],
                  person=person["tag"], quantity="1", lot="L1")
    succeeded(client, answer, page, "Lent 1")
    assert "lot L1" in client.get(f"/people/{person['tag']}").text


def test_lending_then_taking_back_part_from_the_person_page(client, admin, shelves, screws):
    person = f.person(admin, name="Ada")
    login(client, "operator")
    page = f"/items/{screws['id']}"
    answer = send(client, page, f"{page}/lend", from_location=shelves[0]["tag"],
                  person=person["tag"], quantity="3", due_at="2030-01-31T17:00")
    succeeded(client, answer, page, "Lent 3 to Ada.")
    assert f.on_hand(admin, screws["id"]) == 0

    mine = f"/people/{person['tag']}"
    html = client.get(mine).text
    assert "Screws" in html and f'action="{mine}/return"' in html
    loan = re.search(r'name="loan" value="(\d+)"', html).group(1)
    answer = send(client, mine, f"{mine}/return", loan=loan, item=str(screws["id"]),
                  quantity="2", location=shelves[1]["tag"])
    succeeded(client, answer, mine, "Took back 2 from Ada.")
    assert f.on_hand(admin, screws["id"], shelves[1]["tag"]) == 2
    held = admin.get(f"/api/v1/people/{person['tag']}/loans").json()["quantities"]
    assert [ln["quantity"] for ln in held] == [1]


def test_returning_more_than_held_shows_at_that_loans_quantity(client, admin, shelves, screws):
    person = f.person(admin, name="Bo")
    admin.post("/api/v1/loans/lend", json={"item": screws["id"], "location": shelves[0]["tag"],
                                           "person": person["tag"], "quantity": 2})
    login(client, "operator")
    mine = f"/people/{person['tag']}"
    loan = re.search(r'name="loan" value="(\d+)"', client.get(mine).text).group(1)
    answer = send(client, mine, f"{mine}/return", loan=loan, item=str(screws["id"]),
                  quantity="5", location=shelves[1]["tag"])
    html = refused(answer, f"return-{loan}", "quantity", "holds 2")
    assert f'id="return-{loan}-quantity" name="quantity" type="number" value="5"' in html


def test_lend_refusals_show_at_their_fields(client, admin, shelves, screws):
    person = f.person(admin)
    login(client, "operator")
    page = f"/items/{screws['id']}"
    answer = send(client, page, f"{page}/lend", from_location=shelves[0]["tag"],
                  person=person["tag"], quantity="4")
    refused(answer, "lend", "quantity", "not enough stock")
    answer = send(client, page, f"{page}/lend", from_location=shelves[0]["tag"],
                  person=person["tag"], quantity="1", due_at="next week")
    assert 'value="next week"' in refused(answer, "lend", "due_at", "date and time")
    answer = send(client, page, f"{page}/lend", from_location=shelves[0]["tag"],
                  person="", quantity="1")
    refused(answer, "lend", "person", "person")


def test_a_manager_renames_moves_and_archives_a_location(client, admin, shelves):
    room = f.location(admin, "Store room")
    login(client, "manager")
    page = f"/locations/{shelves[0]['tag']}"
    answer = send(client, page, f"{page}/edit", name="Shelf A1", parent=room["tag"])
    succeeded(client, answer, page, "Saved the location.")
    row = admin.get(f"/api/v1/locations/{shelves[0]['tag']}").json()
    assert row["name"] == "Shelf A1" and row["parent"]["tag"] == room["tag"]

    answer = send(client, page, f"{page}/archive", archived="yes")
    succeeded(client, answer, page, "Archived.")
    assert admin.get(f"/api/v1/locations/{shelves[0]['tag']}").json()["archived"] is True
    answer = send(client, page, f"{page}/archive", archived="no")
    succeeded(client, answer, page, "Back in use.")
    assert admin.get(f"/api/v1/locations/{shelves[0]['tag']}").json()["archived"] is False


def test_a_location_cannot_go_under_its_own_child_nor_lose_its_name(client, admin):
    top = f.location(admin, "Hall")
    child = f.location(admin, "Rack", parent=top["tag"])
    login(client, "manager")
    page = f"/locations/{top['tag']}"
    answer = send(client, page, f"{page}/edit", name="Hall 2", parent=child["tag"])
    html = refused(answer, "edit", "parent", "under itself")
    assert 'value="Hall 2"' in html
    answer = send(client, page, f"{page}/edit", name="", parent="")
    refused(answer, "edit", "name", "name")
    assert admin.get(f"/api/v1/locations/{top['tag']}").json()["name"] == "Hall"


def test_a_manager_edits_a_person(client, admin):
    person = f.person(admin, name="Cy")
    login(client, "manager")
    page = f"/people/{person['tag']}"
    answer = send(client, page, f"{page}/edit", name="Cyril", email="cy@example.org",
                  badge_code="B-77")
    succeeded(client, answer, page, "Saved the person.")
    row = admin.get(f"/api/v1/people/{person['tag']}").json()
    assert (row["name"], row["email"], row["badge_code"], row["active"]) == (
        "Cyril", "cy@example.org", "B-77", False)
    answer = send(client, page, f"{page}/edit", name="Cyril", email="", badge_code="",
                  active="yes")
    succeeded(client, answer, page, "Saved the person.")
    row = admin.get(f"/api/v1/people/{person['tag']}").json()
    assert row["active"] is True and row["badge_code"] is None


def test_a_person_edit_refusal_keeps_what_was_typed(client, admin):
    f.person(admin, badge_code="TAKEN")
    person = f.person(admin, name="Di")
    login(client, "manager")
    page = f"/people/{person['tag']}"
    answer = send(client, page, f"{page}/edit", name="Diana", email="not-an-address",
                  active="yes")
    html = refused(answer, "edit", "email", "does not look like an address")
    assert 'value="not-an-address"' in html and 'value="Diana"' in html
    answer = send(client, page, f"{page}/edit", name="Di", badge_code="TAKEN", active="yes")
    refused(answer, "edit", "badge_code", "already someone else")


def test_a_viewer_sees_none_of_the_forms_and_a_forged_post_gets_a_403(
        client, admin, shelves, screws):
    person = f.person(admin)
    item, loc, who = (f"/items/{screws['id']}", f"/locations/{shelves[0]['tag']}",
                      f"/people/{person['tag']}")
    login(client, "viewer")
    for page, actions in [(item, ["/move", "/lend"]), (loc, ["/edit", "/archive"]),
                          (who, ["/edit", "/return"])]:
        html = client.get(page).text
        for action in actions:
            assert f'action="{page}{action}"' not in html, (page, action)
            answer = send(client, "/tokens", page + action, quantity="1", name="X")
            assert answer.status_code == 403, (page, action, answer.status_code)
            assert "<html" in answer.text
    assert f.on_hand(admin, screws["id"]) == 3
    assert admin.get(loc.replace("/locations", "/api/v1/locations")).json()["name"] == "Shelf A"


def test_an_operator_has_the_stock_forms_but_not_the_managers(client, admin, shelves, screws):
    person = f.person(admin)
    login(client, "operator")
    assert 'action="/items/{}/lend"'.format(screws["id"]) in client.get(
        f"/items/{screws['id']}").text
    for page in (f"/locations/{shelves[0]['tag']}", f"/people/{person['tag']}"):
        assert f'action="{page}/edit"' not in client.get(page).text
        assert send(client, "/tokens", f"{page}/edit", name="X").status_code == 403


def test_a_post_without_the_csrf_token_is_refused(client, shelves, screws):
    login(client, "operator")
    answer = client.post(f"/items/{screws['id']}/move", headers=HTML,
                         data={"from_location": shelves[0]["tag"],
                               "to_location": shelves[1]["tag"], "quantity": "1"})
    assert answer.status_code == 403


def test_an_api_token_posts_the_form_without_csrf(client, shelves, screws):
    answer = As(client, "operator").post(
        f"/items/{screws['id']}/move", follow_redirects=False,
        data={"from_location": shelves[0]["tag"], "to_location": shelves[1]["tag"],
              "quantity": "1"})
    assert answer.status_code == 303


def test_a_manager_adds_units_from_the_item_page(client, admin, shelves):
    machine = f.item(admin, tracking="serial", name="Espresso machine", custom_fields=[
        {"key": "voltage", "label": "Voltage", "type": "choice", "required": True,
         "choices": ["120", "230"]},
        {"key": "plumbed", "label": "Plumbed in", "type": "boolean"}])
    login(client, "manager")
    page = f"/items/{machine['id']}"
    answer = send(client, page, f"{page}/units", location=shelves[0]["tag"],
                  serial_pattern="LM-{01..03}", purchase_date="2026-03-01",
                  purchase_cost="5900", **{"custom.voltage": "230", "custom.plumbed": "on"})
    succeeded(client, answer, page, "Added 3 units:")
    made = admin.get("/api/v1/units", params={"item": machine["id"]}).json()["units"]
    assert sorted(u["serial"] for u in made) == ["LM-01", "LM-02", "LM-03"]
    assert {u["location"]["tag"] for u in made} == {shelves[0]["tag"]}
    assert all(u["custom"] == {"voltage": "230", "plumbed": True} for u in made)
    assert all(u["purchase_date"] == "2026-03-01" for u in made)

    answer = send(client, page, f"{page}/units", location=shelves[1]["tag"], count="2",
                  **{"custom.voltage": "120"})
    succeeded(client, answer, page, "Added 2 units:")
    pending = admin.get("/api/v1/units", params={"item": machine["id"],
                                                 "location": shelves[1]["tag"]}).json()
    assert [u["serial"] for u in pending["units"]] == [None, None]


def test_add_units_refusals_show_at_their_fields_and_change_nothing(client, admin, shelves):
    machine = f.item(admin, tracking="serial", custom_fields=[
        {"key": "voltage", "label": "Voltage", "type": "choice", "required": True,
         "choices": ["120", "230"]}])
    f.units(admin, machine["id"], shelves[0]["tag"], serials=["A1"], custom={"voltage": "120"})
    before = f.event_count(admin)
    login(client, "manager")
    page = f"/items/{machine['id']}"
    answer = send(client, page, f"{page}/units", location=shelves[0]["tag"], count="1")
    refused(answer, "units", "custom-voltage", "required")
    answer = send(client, page, f"{page}/units", location=shelves[0]["tag"],
                  serials="A2\nA1", **{"custom.voltage": "230"})
    html = refused(answer, "units", "serials", "A1")
    assert "A2\nA1</textarea>" in html
    answer = send(client, page, f"{page}/units", location=shelves[0]["tag"],
                  serial_pattern="SN-{5..1}", **{"custom.voltage": "230"})
    assert answer.status_code == 422
    assert f.event_count(admin) == before
    login(client, "viewer")
    assert f'action="{page}/units"' not in client.get(page).text


def test_a_manager_defines_unit_fields_and_archives_an_item_from_its_page(client, admin, shelves):
    drill = f.item(admin, tracking="serial", name="Drill")
    login(client, "manager")
    page = f"/items/{drill['id']}"
    rows = {"custom_fields.rows": "2", "flags": "1", "name": "Drill", "sku": drill["sku"],
            "custom_fields[0].label": "Last service", "custom_fields[0].type": "date",
            "custom_fields[1].label": "Battery", "custom_fields[1].key": "battery",
            "custom_fields[1].type": "choice", "custom_fields[1].choices": "2Ah, 5Ah",
            "custom_fields[1].required": "on"}
    succeeded(client, send(client, page, f"{page}/edit", **rows), page, "Saved the item.")
    got = admin.get(f"/api/v1/items/{drill['id']}").json()
    assert got["custom_fields"] == [
        {"key": "last_service", "label": "Last service", "type": "date", "required": False,
         "choices": []},
        {"key": "battery", "label": "Battery", "type": "choice", "required": True,
         "choices": ["2Ah", "5Ah"]}]
    assert got["archived"] is False

    # a bad row is named where it is on the form (row 3), and nothing changes
    bad = {**rows, "custom_fields.rows": "4", "custom_fields[3].label": "Size",
           "custom_fields[3].type": "choice"}
    html = refused(send(client, page, f"{page}/edit", **bad), "edit",
                   "custom-fields-3-choices", "at least one choice")
    assert 'value="Size"' in html
    assert admin.get(f"/api/v1/items/{drill['id']}").json()["custom_fields"] == got[
        "custom_fields"]

    # an emptied row removes its field; the archive box archives
    emptied = {**rows, "custom_fields[0].label": "", "archived": "on"}
    succeeded(client, send(client, page, f"{page}/edit", **emptied), page, "Saved the item.")
    got = admin.get(f"/api/v1/items/{drill['id']}").json()
    assert [d["key"] for d in got["custom_fields"]] == ["battery"]
    assert got["archived"] is True
    assert f'action="{page}/units"' not in client.get(page).text


def test_a_form_with_a_nul_character_is_refused_with_a_page(client, admin):
    login(client, "manager")
    answer = send(client, "/locations", "/locations", name="Bin\x001")
    assert answer.status_code == 422
    assert "must not contain a NUL character" in answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert admin.get("/api/v1/locations").json()["total"] == 0

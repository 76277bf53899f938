"""The management pages, in process: every page answers a logged-in viewer, sends an
anonymous visitor to the login, and refuses a viewer's forged action with a readable 403."""

import re

import pytest

from server.services.demo import load_demo
from tests.conftest import As, page_login

PAGES = ["/", "/items", "/items/{item}", "/units/{unit}", "/locations", "/locations/{location}",
         "/people", "/people/{person}", "/loans", "/loans?overdue=true", "/audits", "/labels",
         "/labels?tag={unit}", "/tokens", "/maintenance"]


def demo(client):
    """The demo catalog, loaded through the app's own database binding."""
    with client.portal() as portal:
        portal.call(load_demo)
    api = As(client, "admin")
    item = api.get("/api/v1/items", params={"q": "DDF485"}).json()["items"][0]["id"]
    unit = api.get("/api/v1/units", params={"status": "checked_out"}).json()["units"][0]
    return {"item": item, "unit": unit["tag"], "location": unit["location"]["tag"],
            "person": unit["custodian"]["tag"]}


def login(client, role):
    answer = page_login(client, role)
    assert answer.status_code == 303, answer.text


def csrf_of(html):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


@pytest.fixture
def refs(client):
    return demo(client)


def test_every_page_answers_a_logged_in_viewer(client, refs):
    login(client, "viewer")
    for path in PAGES:
        answer = client.get(path.format(**refs))
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
        assert answer.headers["content-type"].startswith("text/html")
        assert "<form" not in answer.text or 'action="/units/' not in answer.text, path


def test_every_page_sends_an_anonymous_visitor_to_the_login(client, refs):
    for path in [*PAGES, "/users"]:
        answer = client.get(path.format(**refs), headers={"Accept": "text/html"},
                            follow_redirects=False)
        assert answer.status_code in (302, 303, 307), (path, answer.status_code)
        assert answer.headers["location"].startswith("/login"), path


def test_the_users_page_is_for_admins_only(client, refs):
    login(client, "manager")
    answer = client.get("/users", headers={"Accept": "text/html"})
    assert answer.status_code == 403
    assert "Not allowed" in answer.text and "<html" in answer.text
    client.cookies.clear()
    login(client, "admin")
    assert client.get("/users").status_code == 200


def test_a_viewer_sees_no_action_forms_and_a_forged_action_gets_a_403_page(client, refs):
    login(client, "viewer")
    page = client.get(f"/units/{refs['unit']}")
    assert 'action="/units/' not in page.text
    token = csrf_of(client.get("/tokens").text)  # a viewer's forms (its tokens) carry one
    answer = client.post(f"/units/{refs['unit']}/check-in",
                         data={"csrf": token}, headers={"Accept": "text/html"})
    assert answer.status_code == 403
    assert "<html" in answer.text and "operator" in answer.text
    unit = As(client, "admin").get(f"/api/v1/units/{refs['unit']}").json()
    assert unit["status"] == "checked_out"


def test_an_operator_checks_a_unit_in_from_its_page_and_is_sent_back_to_it(client, refs):
    login(client, "operator")
    page = client.get(f"/units/{refs['unit']}")
    answer = client.post(f"/units/{refs['unit']}/check-in",
                         data={"csrf": csrf_of(page.text), "condition": "damaged"},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/units/{refs['unit']}"
    shown = client.get(answer.headers["location"]).text
    assert "Checked in." in shown and "damaged" in shown


def test_a_form_without_its_csrf_token_is_refused(client, refs):
    login(client, "operator")
    answer = client.post(f"/units/{refs['unit']}/check-in", data={},
                         headers={"Accept": "text/html"})
    assert answer.status_code == 403
    unit = As(client, "admin").get(f"/api/v1/units/{refs['unit']}").json()
    assert unit["status"] == "checked_out"


def test_a_refused_form_shows_the_reason_next_to_its_field_and_keeps_the_input(client, refs):
    login(client, "manager")
    page = client.get(f"/items/{refs['item']}")
    answer = client.post(f"/items/{refs['item']}/edit",
                         data={"csrf": csrf_of(page.text), "sku": "TL-DRL-DDF485",
                               "name": "Drill", "reorder_point": "lots"})
    assert answer.status_code == 422
    assert 'id="edit-reorder-point" name="reorder_point" type="text" value="lots"' in answer.text
    assert 'id="edit-reorder-point-error"' in answer.text
    assert "reorder point must be a whole number" in answer.text  # in words, not its key


def test_a_mistyped_address_is_a_page_for_a_browser_and_problem_json_for_the_api(client):
    anonymous = client.get("/catalog", headers={"Accept": "text/html"})
    assert anonymous.status_code == 404
    assert "There is no page at /catalog" in anonymous.text
    login(client, "viewer")
    answer = client.get("/catalog", headers={"Accept": "text/html"})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "There is no page at /catalog" in answer.text
    assert "Back to the dashboard" in answer.text
    api = client.get("/api/v1/nothing-here", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "not_found"
    wrong_method = client.delete("/items", headers={"Accept": "text/html"})
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("text/html")


def test_an_id_no_database_can_hold_is_an_error_page_for_a_browser(client):
    login(client, "viewer")
    answer = client.get("/items/99999999999999999999", headers={"Accept": "text/html"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "A number in the request is too large." in answer.text

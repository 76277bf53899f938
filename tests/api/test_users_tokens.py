"""Users, roles, API tokens and the password login."""

import pytest

from tests.conftest import page_login
from tests.factories import event_count, item, location, ok, problem, receive


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def new_user(admin, username, role, password="long enough pass"):
    return ok(admin.post("/api/v1/users", json={
        "username": username, "role": role, "password": password}), 201)


def test_an_admin_creates_users_with_roles(admin):
    made = new_user(admin, "dana", "operator")
    assert (made["username"], made["role"], made["active"]) == ("dana", "operator", True)
    assert "dana" in [u["username"] for u in ok(admin.get("/api/v1/users"))]


def test_a_user_with_an_unknown_role_is_refused(admin):
    before = event_count(admin)
    problem(admin.post("/api/v1/users", json={
        "username": "eve", "role": "owner", "password": "long enough pass"}), 422, "role")
    problem(admin.post("/api/v1/users", json={
        "username": "eve", "role": "viewer", "password": "short"}), 422, "password")
    problem(admin.post("/api/v1/users", json={
        "username": "manager", "role": "viewer", "password": "long enough pass"}), 409, "username")
    assert event_count(admin) == before


def test_a_new_token_is_shown_once_and_works(admin, client):
    user = new_user(admin, "integrator", "operator")
    made = ok(admin.post("/api/v1/tokens", json={"name": "erp", "user": user["id"]}), 201)
    token = made["token"]
    assert token.startswith("tt_") and made["prefix"] == token[:10]
    listed = ok(admin.get("/api/v1/tokens"))
    assert all(t["token"] is None for t in listed)
    assert made["id"] in [t["id"] for t in listed]
    me = ok(client.get("/api/v1/users/me", headers=bearer(token)))
    assert me["username"] == "integrator"


def test_anyone_may_create_and_list_their_own_tokens(viewer):
    made = ok(viewer.post("/api/v1/tokens", json={"name": "mine"}), 201)
    mine = ok(viewer.get("/api/v1/tokens"))
    assert made["id"] in [t["id"] for t in mine]
    assert {t["user"] for t in mine} == {made["user"]}


def test_a_token_for_someone_else_needs_an_admin(viewer, manager):
    me = ok(manager.get("/api/v1/users/me"))
    problem(viewer.post("/api/v1/tokens", json={"user": me["id"]}), 403)


def test_a_revoked_token_gets_401(viewer, client):
    made = ok(viewer.post("/api/v1/tokens", json={"name": "temp"}), 201)
    assert client.get("/api/v1/items", headers=bearer(made["token"])).status_code == 200
    answer = client.delete(f"/api/v1/tokens/{made['id']}", headers=bearer(made["token"]))
    assert answer.status_code == 204, answer.text
    problem(client.get("/api/v1/items", headers=bearer(made["token"])), 401)
    assert [t["revoked"] for t in ok(viewer.get("/api/v1/tokens")) if t["id"] == made["id"]] == [
        True]


def test_a_user_cannot_revoke_someone_elses_token(viewer, operator):
    made = ok(operator.post("/api/v1/tokens", json={}), 201)
    problem(viewer.delete(f"/api/v1/tokens/{made['id']}"), 404)


def test_a_viewer_cannot_create_items(viewer):
    problem(viewer.post("/api/v1/items", json={"sku": "V-1", "name": "x"}), 403)
    assert ok(viewer.get("/api/v1/items"))["total"] == 0


def test_an_operator_receives_but_cannot_create_items(manager, operator):
    problem(operator.post("/api/v1/items", json={"sku": "O-1", "name": "x"}), 403)
    shelf = location(manager)
    beans = item(manager)
    receive(operator, beans["id"], shelf["tag"], 2)


def test_a_deactivated_users_token_stops_working(admin, client):
    user = new_user(admin, "temp", "viewer")
    token = ok(admin.post("/api/v1/tokens", json={"user": user["id"]}), 201)["token"]
    assert client.get("/api/v1/items", headers=bearer(token)).status_code == 200
    ok(admin.patch(f"/api/v1/users/{user['id']}", json={"active": False}))
    problem(client.get("/api/v1/items", headers=bearer(token)), 401)


def test_a_role_change_takes_effect_at_once(admin, client):
    user = new_user(admin, "rising", "viewer")
    token = ok(admin.post("/api/v1/tokens", json={"user": user["id"]}), 201)["token"]
    body = {"sku": "R-1", "name": "x"}
    problem(client.post("/api/v1/items", json=body, headers=bearer(token)), 403)
    ok(admin.patch(f"/api/v1/users/{user['id']}", json={"role": "manager"}))
    ok(client.post("/api/v1/items", json=body, headers=bearer(token)), 201)


def login(client, username, password, next_="/"):
    return page_login(client, username, password, next_)


def test_a_password_login_sets_a_session_cookie_that_works_on_the_api(client):
    answer = login(client, "operator", "correct horse", "/api/v1/items")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/api/v1/items"
    assert "tagtrack_session" in answer.cookies
    assert ok(client.get("/api/v1/items"))["total"] == 0
    assert ok(client.get("/api/v1/users/me"))["username"] == "operator"


def test_a_wrong_password_shows_the_form_again_and_changes_nothing(client, admin):
    before = event_count(admin)
    answer = login(client, "operator", "wrong horse")
    assert answer.status_code == 401
    assert "text/html" in answer.headers["content-type"], answer.text
    assert 'name="password"' in answer.text and "wrong username or password" in answer.text
    assert "tagtrack_session" not in answer.cookies
    problem(client.get("/api/v1/items"), 401)
    assert event_count(admin) == before


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "http://evil.example"])
def test_a_login_never_sends_the_browser_to_another_host(client, target):
    answer = login(client, "viewer", "correct horse", target)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_a_deactivated_user_cannot_log_in(client, admin):
    user = new_user(admin, "leaver", "viewer")
    ok(admin.patch(f"/api/v1/users/{user['id']}", json={"active": False}))
    assert login(client, "leaver", "long enough pass").status_code == 401

"""My account: a password someone else set (the CLI, an admin) is changed at the first
login before anything else; a user chooses their own password (the current one required,
the same rules as every password, their other sessions logged out), manages their own API
tokens and never sees another's."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from server.http.auth import SESSION_COOKIE
from tests.conftest import As, page_login, reset_database
from tests.factories import ok, problem

TAGTRACK = str(Path(sys.executable).parent / "tagtrack")
TEMPORARY = "given by the admin"
MINE = "my own secret phrase"
PAGE = {"Accept": "text/html"}


def csrf_of(html):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def api_csrf(client):
    return {"X-CSRF-Token": ok(client.get("/api/v1/users/me/csrf"))["csrf"]}


def new_user(admin, name, role="operator", password=TEMPORARY, **extra):
    return ok(admin.post("/api/v1/users", json={"username": name, "role": role,
                                                "password": password, **extra}), 201)


def log_in(client, name, password=TEMPORARY):
    """A fresh session for `name` on the client (any other session cookie dropped)."""
    client.cookies.clear()
    answer = page_login(client, name, password)
    assert answer.status_code == 303, answer.text
    return client.cookies[SESSION_COOKIE]


def use_session(client, secret):
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, secret)


def change(client, current, new, confirm=None, next_="/"):
    """The page's form, as a browser posts it."""
    form = client.get(f"/account/password?next={next_}", headers=PAGE)
    return client.post("/account/password", headers=PAGE, follow_redirects=False, data={
        "csrf": csrf_of(form.text), "current_password": current, "new_password": new,
        "confirm_password": new if confirm is None else confirm, "next": next_})


def test_a_user_the_cli_made_must_choose_a_password_before_anything_else(client, settings):
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    made = subprocess.run([TAGTRACK, "createuser", "sam", "--role", "operator", "--password",
                           TEMPORARY], env=env, capture_output=True, text=True, timeout=90,
                          check=False)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "choose their own password at their first login" in made.stdout

    assert page_login(client, "sam", TEMPORARY, next_="/items").headers["location"] == "/items"
    sent = client.get("/items?q=drill", headers=PAGE, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/account/password?next=/items%3Fq%3Ddrill"
    assert client.get("/", headers=PAGE, follow_redirects=False).headers["location"] == (
        "/account/password?next=/")
    assert client.get("/account", headers=PAGE, follow_redirects=False).status_code == 303
    refused = problem(client.get("/api/v1/items"), 403)
    assert refused["code"] == "password_change_required"
    assert problem(client.post("/api/v1/locations", json={"name": "Dock"},
                               headers=api_csrf(client)), 403)["code"] == (
        "password_change_required")
    me = ok(client.get("/api/v1/users/me"))
    assert (me["username"], me["must_change_password"]) == ("sam", True)
    form = client.get("/account/password?next=/items", headers=PAGE)
    assert form.status_code == 200 and "set by someone else" in form.text
    assert form.headers["cache-control"] == "no-store"

    done = change(client, TEMPORARY, MINE, next_="/items")
    assert (done.status_code, done.headers["location"]) == (303, "/items")
    assert client.get("/items", headers=PAGE).status_code == 200
    assert ok(client.get("/api/v1/items")) is not None
    assert ok(client.get("/api/v1/users/me"))["must_change_password"] is False
    client.cookies.clear()
    assert page_login(client, "sam", MINE).status_code == 303
    assert client.get("/", headers=PAGE, follow_redirects=False).status_code == 200


def test_createuser_can_leave_a_scripts_password_as_it_is(client, settings):
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    made = subprocess.run([TAGTRACK, "createuser", "sync", "--role", "viewer", "--password",
                           TEMPORARY, "--no-password-change"], env=env, capture_output=True,
                          text=True, timeout=90, check=False)
    assert made.returncode == 0, made.stdout + made.stderr
    log_in(client, "sync")
    assert client.get("/", headers=PAGE, follow_redirects=False).status_code == 200


def test_the_first_admin_of_an_empty_database_must_change_the_printed_password(
        client, settings, seed_sql):
    from server.cli import ensure_first_admin
    from server.db import users_repo

    for table in ("api_token", "web_session", "event", "app_user"):
        with client.portal() as portal:
            portal.call(_run, f"DELETE FROM {table}")
    with client.portal() as portal:
        printed = portal.call(ensure_first_admin)
        first = portal.call(users_repo.by_name, "admin")
    assert printed and first["must_change_password"] is True
    reset_database(settings, seed_sql)  # the seeded admin again, for the end-of-test verify


async def _run(sql):
    from server.db.engine import fetch

    await fetch(sql)


def test_an_admin_set_password_is_temporary_unless_the_admin_says_otherwise(admin, client):
    dana = new_user(admin, "dana")
    assert dana["must_change_password"] is True
    kept = new_user(admin, "erp", must_change_password=False)
    assert kept["must_change_password"] is False
    reset = ok(admin.patch(f"/api/v1/users/{kept['id']}", json={"password": "another one set"}))
    assert reset["must_change_password"] is True
    cleared = ok(admin.patch(f"/api/v1/users/{kept['id']}",
                             json={"must_change_password": False}))
    assert cleared["must_change_password"] is False
    # the admin's users page resets a password as temporary too
    log_in(client, "admin", "correct horse")
    page = client.get("/users", headers=PAGE)
    saved = client.post(f"/users/{kept['id']}", headers=PAGE, follow_redirects=False,
                        data={"csrf": csrf_of(page.text), "password": "reset on the page"})
    assert saved.status_code == 303
    assert ok(admin.get("/api/v1/users/me", headers=dict(
        As(client, "admin").headers))) is not None
    erp = next(u for u in ok(admin.get("/api/v1/users")) if u["username"] == "erp")
    assert erp["must_change_password"] is True


def test_an_api_token_works_while_its_user_must_change_the_password(admin, client):
    dana = new_user(admin, "dana")
    token = ok(admin.post("/api/v1/tokens", json={"user": dana["id"], "name": "erp"}), 201)
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/v1/items", headers=bearer).status_code == 200
    assert ok(client.get("/api/v1/users/me", headers=bearer))["must_change_password"] is True


def test_a_new_password_follows_the_rules_and_each_refusal_names_its_field(client, admin):
    new_user(admin, "warehouse-lead", password="correct horse", must_change_password=False)
    log_in(client, "warehouse-lead", "correct horse")
    headers = api_csrf(client)

    def refused(current, new, field):
        body = problem(client.post("/api/v1/users/me/password", headers=headers, json={
            "current_password": current, "new_password": new}), 422, field)
        return body["detail"]

    assert "at least 12 characters" in refused("correct horse", "too short", "new_password")
    assert "username" in refused("correct horse", "Warehouse-Lead", "new_password")
    assert "differ" in refused("correct horse", "correct horse", "new_password")
    assert "wrong" in refused("not my password", MINE, "current_password")
    assert "current password" in refused("", MINE, "current_password")
    problem(client.post("/api/v1/users/me/password", headers=headers,
                        json={"new_password": MINE}), 422, "current_password")
    # the page names the field too, and keeps no password in the form
    page = change(client, "correct horse", MINE, confirm="my own secret phrasE")
    assert page.status_code == 422 and "the two new passwords differ" in page.text
    assert 'id="password-confirm-password"' in page.text and "aria-invalid" in page.text
    assert MINE not in page.text
    page = change(client, "correct horse", "short one")
    assert page.status_code == 422 and "at least 12 characters" in page.text
    # nothing changed: the old password still logs in
    assert log_in(client, "warehouse-lead", "correct horse")


def test_an_admin_cannot_set_a_password_against_the_rules(admin):
    problem(admin.post("/api/v1/users", json={"username": "long-name-here", "role": "viewer",
                                              "password": "Long-Name-Here"}), 422, "password")
    problem(admin.post("/api/v1/users", json={"username": "kim", "role": "viewer",
                                              "password": "eleven char"}), 422, "password")
    problem(admin.patch("/api/v1/users/4", json={"password": "viewer"}), 422, "password")


def test_wrong_current_passwords_are_throttled_like_failed_logins(client):
    log_in(client, "viewer", "correct horse")
    headers = api_csrf(client)
    answers = [client.post("/api/v1/users/me/password", headers=headers, json={
        "current_password": f"guess number {n}", "new_password": MINE}).status_code
        for n in range(6)]
    assert answers == [422] * 5 + [429]


def test_choosing_a_password_logs_out_the_users_other_sessions_but_not_this_one(client):
    phone = log_in(client, "operator", "correct horse")
    desk = log_in(client, "operator", "correct horse")
    use_session(client, phone)
    assert client.get("/api/v1/users/me").status_code == 200  # both cached now
    use_session(client, desk)
    assert client.get("/api/v1/users/me").status_code == 200
    done = change(client, "correct horse", MINE, next_="/account")
    assert (done.status_code, done.headers["location"]) == (303, "/account")
    assert client.get("/api/v1/users/me").status_code == 200  # the desk stays
    assert client.get("/account", headers=PAGE).status_code == 200
    use_session(client, phone)
    assert client.get("/api/v1/users/me").status_code == 401  # the phone is out at once
    assert client.get("/items", headers=PAGE, follow_redirects=False).headers[
        "location"].startswith("/login")
    # the user's API token is not a session: it stays
    assert As(client, "operator").get("/api/v1/users/me").status_code == 200


def test_a_password_changed_with_an_api_token_logs_out_every_session(client, operator):
    session = log_in(client, "operator", "correct horse")
    client.cookies.clear()
    assert operator.post("/api/v1/users/me/password", json={
        "current_password": "correct horse", "new_password": MINE}).status_code == 204
    use_session(client, session)
    assert client.get("/api/v1/users/me").status_code == 401


def test_the_password_change_needs_the_sessions_csrf_token(client):
    log_in(client, "operator", "correct horse")
    body = {"current_password": "correct horse", "new_password": MINE}
    assert problem(client.post("/api/v1/users/me/password", json=body), 403)["code"] == "csrf"
    page = client.post("/account/password", headers=PAGE, follow_redirects=False,
                       data={**body, "confirm_password": MINE, "next": "/"})
    assert page.status_code == 403
    refused = client.post("/tokens", headers=PAGE, data={"name": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    problem(client.post("/api/v1/users/me/tokens", json={"name": "x"}), 403)
    problem(client.delete("/api/v1/users/me/tokens/3"), 403)
    assert [t["name"] for t in ok(client.get("/api/v1/users/me/tokens"))] == ["test"]
    assert log_in(client, "operator", "correct horse")  # the password did not change


def test_own_tokens_are_made_listed_and_revoked_and_anothers_are_not_found(client, admin,
                                                                          viewer):
    made = viewer.post("/api/v1/users/me/tokens", json={"name": "my laptop"})
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    token = made.json()
    assert token["token"].startswith("tt_") and token["user"] == 4
    mine = ok(viewer.get("/api/v1/users/me/tokens"))
    assert [t["name"] for t in mine] == ["test", "my laptop"]
    assert all(t["token"] is None for t in mine)
    # an admin's own list is theirs only, and another's token is not found for them either
    assert {t["user"] for t in ok(admin.get("/api/v1/users/me/tokens"))} == {1}
    problem(admin.delete(f"/api/v1/users/me/tokens/{token['id']}"), 404, "token")
    problem(viewer.delete("/api/v1/users/me/tokens/1"), 404, "token")  # the admin's
    problem(viewer.delete("/api/v1/users/me/tokens/999"), 404, "token")
    assert viewer.delete(f"/api/v1/users/me/tokens/{token['id']}").status_code == 204
    gone = {"Authorization": f"Bearer {token['token']}"}
    assert admin.get("/api/v1/users/me", headers=gone).status_code == 401
    assert [t["revoked"] for t in ok(viewer.get("/api/v1/users/me/tokens"))] == [False, True]


def test_a_kiosk_account_sees_its_account_but_makes_no_tokens(client):
    kiosk = As(client, "kiosk")
    assert ok(kiosk.get("/api/v1/users/me/tokens"))[0]["name"] == "test"
    assert "kiosk" in problem(kiosk.post("/api/v1/users/me/tokens", json={"name": "x"}),
                              403)["detail"]
    log_in(client, "kiosk", "correct horse")
    page = client.get("/account", headers=PAGE)
    assert page.status_code == 200 and "Create token" not in page.text
    assert "Revoke" not in page.text
    assert change(client, "correct horse", MINE, next_="/scan?mode=kiosk").headers[
        "location"] == "/scan?mode=kiosk"


def test_a_viewer_uses_the_account_page_for_tokens_password_and_time_zone(client):
    log_in(client, "viewer", "correct horse")
    page = client.get("/account", headers=PAGE)
    assert page.status_code == 200 and "My account" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert 'href="/account" class="me"' in page.text  # the header's link
    made = client.post("/tokens", headers=PAGE, data={"csrf": csrf_of(page.text),
                                                      "name": "phone"})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    shown = re.search(r'id="the-token" class="mono" readonly value="(tt_[^"]+)"', made.text)
    assert shown and "phone" in made.text
    again = client.get("/account", headers=PAGE)
    assert shown.group(1) not in again.text  # shown once
    zone = client.post("/account/time-zone", headers=PAGE, follow_redirects=False,
                       data={"csrf": csrf_of(page.text), "time_zone": "America/Chicago"})
    assert zone.status_code == 303
    assert ok(client.get("/api/v1/users/me"))["time_zone"] == "America/Chicago"
    bad = client.post("/account/time-zone", headers=PAGE,
                      data={"csrf": csrf_of(page.text), "time_zone": "Mars/Olympus"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    token_id = next(t["id"] for t in ok(client.get("/api/v1/users/me/tokens"))
                    if t["name"] == "phone")
    revoked = client.post("/tokens/revoke", headers=PAGE, follow_redirects=False,
                          data={"csrf": csrf_of(page.text), "token": str(token_id)})
    assert (revoked.status_code, revoked.headers["location"]) == (303, "/account")
    done = change(client, "correct horse", MINE, next_="/account")
    assert done.status_code == 303
    assert "Your new password is saved" in client.get("/account", headers=PAGE).text


@pytest.mark.parametrize("path", ["/account", "/tokens"])
def test_the_account_page_answers_at_its_old_address_too(client, path):
    log_in(client, "manager", "correct horse")
    assert "Your API tokens" in client.get(path, headers=PAGE).text


def test_a_user_who_must_choose_a_password_may_still_log_out(admin, client):
    new_user(admin, "dana")
    log_in(client, "dana")
    form = client.get("/account/password", headers=PAGE)
    out = client.post("/logout", headers=PAGE, follow_redirects=False,
                      data={"csrf": csrf_of(form.text)})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert client.get("/api/v1/users/me").status_code == 401

"""Cross-site request forgery. A request authenticated by the session cookie must carry
the session's CSRF token (form field or X-CSRF-Token header) and must not come from
another site, whatever other headers it carries; API tokens need no CSRF token; the API
takes only JSON bodies; the login form and the logout need a token too."""

import re
from dataclasses import replace

import pytest

from tests.conftest import page_login
from tests.factories import ok, problem

HTML = {"Accept": "text/html"}
NEW_ADMIN = {"username": "evil2", "role": "admin", "password": "long enough password"}


def login(client, role="admin"):
    client.cookies.clear()
    assert page_login(client, role).status_code == 303


def page_csrf(client):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/tokens").text).group(1)


def api_csrf(client):
    return ok(client.get("/api/v1/users/me/csrf"))["csrf"]


def users(admin):
    return {u["username"] for u in ok(admin.get("/api/v1/users"))}


def test_a_page_form_without_its_token_is_refused_even_with_a_basic_auth_header(client,
                                                                                 admin):
    """The reported attack: a proxy's HTTP Basic header made the check look like an API
    call, and a forged form created an admin."""
    login(client)
    answer = client.post("/users", data=NEW_ADMIN, headers={
        **HTML, "Authorization": "Basic Zm9vOmJhcg==", "Origin": "https://evil.example"})
    assert answer.status_code == 403
    answer = client.post("/users", data=NEW_ADMIN,
                         headers={**HTML, "Authorization": "Basic Zm9vOmJhcg=="})
    assert answer.status_code == 403 and "out of date or came from another site" in answer.text
    assert "evil2" not in users(admin)


def test_a_page_form_with_its_token_from_another_origin_is_refused(client, admin):
    login(client)
    token = page_csrf(client)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "http://127.0.0.1:8081"},
                    {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"},
                    {"Sec-Fetch-Site": "cross-site"}):
        answer = client.post("/users", data={**NEW_ADMIN, "csrf": token},
                             headers={**HTML, **headers}, follow_redirects=False)
        assert answer.status_code == 403, (headers, answer.status_code)
        assert "came from another site" in answer.text
    assert "evil2" not in users(admin)
    same_site = {"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"}
    answer = client.post("/users", data={**NEW_ADMIN, "csrf": token},
                         headers={**HTML, **same_site}, follow_redirects=False)
    assert answer.status_code == 303
    assert "evil2" in users(admin)


def test_a_cookie_api_write_with_a_text_plain_body_and_no_token_is_refused(client, admin):
    """The reported attack: a page on another port auto-posted a text/plain form."""
    login(client)
    body = '{"username": "evil2", "role": "admin", "password": "long enough password"}'
    answer = client.post("/api/v1/users", content=body, headers={"Content-Type": "text/plain"})
    assert problem(answer, 403)["code"] == "csrf"
    assert "evil2" not in users(admin)


def test_a_cookie_api_write_needs_the_sessions_token_in_its_header(client, admin):
    login(client)
    refused = problem(client.post("/api/v1/users", json=NEW_ADMIN), 403)
    assert refused["code"] == "csrf" and "X-CSRF-Token" in refused["detail"]
    problem(client.post("/api/v1/users", json=NEW_ADMIN, headers={"X-CSRF-Token": "0" * 64}),
            403)
    token = api_csrf(client)
    assert token == page_csrf(client)  # one token per session, for forms and scripts
    for method, path in (("PATCH", "/api/v1/users/4"), ("DELETE", "/api/v1/tokens/1")):
        answer = client.request(method, path, json={"role": "viewer"} if method == "PATCH"
                                else None)
        assert problem(answer, 403)["code"] == "csrf", (method, path)
    ok(client.post("/api/v1/users", json=NEW_ADMIN, headers={"X-CSRF-Token": token}), 201)
    assert "evil2" in users(admin)


def test_a_cookie_api_write_from_another_origin_is_refused_even_with_the_token(client, admin):
    login(client)
    token = api_csrf(client)
    for headers in ({"Origin": "http://127.0.0.1:8081"}, {"Sec-Fetch-Site": "same-site"}):
        answer = client.post("/api/v1/users", json=NEW_ADMIN,
                             headers={"X-CSRF-Token": token, **headers})
        assert problem(answer, 403)["code"] == "csrf", headers
    assert "evil2" not in users(admin)


def test_api_tokens_need_no_csrf_token_and_cookie_reads_need_none_either(client, admin):
    ok(admin.post("/api/v1/users", json=NEW_ADMIN), 201)
    assert ok(admin.get("/api/v1/users/me/csrf")) == {"csrf": ""}
    login(client, "viewer")
    ok(client.get("/api/v1/items"))


def test_the_api_takes_only_json_bodies(client, admin):
    body = '{"sku": "T-1", "name": "Tape"}'
    for media in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": media} if media else {}
        answer = admin.post("/api/v1/items", content=body, headers=headers)
        refused = problem(answer, 415)
        assert refused["code"] == "unsupported_media_type", media
        assert "Content-Type: application/json" in refused["detail"]
    ok(admin.post("/api/v1/items", content=body,
                  headers={"Content-Type": "application/json; charset=utf-8"}), 201)


def test_the_login_form_carries_a_token_of_its_own_cookie(client):
    form = client.get("/login")
    assert "tagtrack_login_csrf" in form.cookies
    fields = {"username": "viewer", "password": "correct horse", "next": "/"}
    for csrf in ("", "forged"):
        answer = client.post("/login", data={**fields, "csrf": csrf}, follow_redirects=False)
        assert answer.status_code == 403, csrf
        assert "login form is out of date" in answer.text
        assert "tagtrack_session" not in answer.cookies
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    answer = client.post("/login", data={**fields, "csrf": token},
                         headers={"Origin": "http://127.0.0.1:8081"}, follow_redirects=False)
    assert answer.status_code == 403 and "tagtrack_session" not in answer.cookies
    answer = client.post("/login", data={**fields, "csrf": token}, follow_redirects=False)
    assert answer.status_code == 303 and "tagtrack_session" in answer.cookies


def test_logging_out_needs_the_token(client):
    login(client, "viewer")
    answer = client.post("/logout", headers=HTML, follow_redirects=False)
    assert answer.status_code == 403
    ok(client.get("/api/v1/users/me"))  # still logged in
    answer = client.post("/logout", data={"csrf": page_csrf(client)}, follow_redirects=False)
    assert answer.status_code == 303
    problem(client.get("/api/v1/users/me"), 401)


@pytest.fixture
def https(settings, monkeypatch):
    """PUBLIC_URL on https: cookies must be Secure."""
    from server.http.pages import common as pages_common
    from server.http.pages import login as pages

    secure = replace(settings, public_url="https://tagtrack.test", secure_cookies=True)
    for module in (pages, pages_common):
        monkeypatch.setattr(module, "get_settings", lambda: secure)


def test_every_cookie_is_secure_under_https(client, https):
    form = client.get("/login")
    assert "secure" in form.headers["set-cookie"].lower()
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    client.cookies.clear()
    client.cookies.set("tagtrack_login_csrf", token, path="/login")
    answer = client.post("/login", data={"username": "viewer", "password": "correct horse",
                                         "next": "/", "csrf": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert "secure" in answer.headers["set-cookie"].lower()
    client.cookies.set("tagtrack_session", answer.cookies["tagtrack_session"])
    saved = client.post("/tokens/revoke", data={"csrf": page_csrf(client), "token": "99"},
                        follow_redirects=False)
    assert saved.status_code == 422  # no token 99: the page again, no flash
    answer = client.post("/tokens", data={"csrf": page_csrf(client), "name": "x"})
    made = next(t["id"] for t in ok(client.get("/api/v1/tokens")) if t["name"] == "x")
    flash = client.post("/tokens/revoke", data={"csrf": page_csrf(client), "token": str(made)},
                        follow_redirects=False)
    assert flash.status_code == 303, flash.text[:300]
    cookie = flash.headers["set-cookie"]
    assert cookie.startswith("tagtrack_flash=") and "secure" in cookie.lower()

"""Every registered route, walked: who may call it. A route that loses its guard, or a new
route that declares no role, makes these tests fail."""

import re

import pytest

from server.domain.tags import Tag, TagKind
from server.domain.vocab import Role
from tests.conftest import As

# /sw.js: the scanning page's service worker, a static script served from the root scope
PUBLIC = {("GET", "/healthz"), ("GET", "/livez"), ("GET", "/login"), ("POST", "/login"),
          ("GET", "/sw.js"),
          ("GET", "/static/{file_path:path}"), ("HEAD", "/static/{file_path:path}")}
WRITES = {"POST", "PATCH", "PUT", "DELETE"}
OWN_TOKENS = {("POST", "/api/v1/tokens"), ("DELETE", "/api/v1/tokens/{token_id:int}"),
              ("POST", "/api/v1/users/me/tokens"),
              ("DELETE", "/api/v1/users/me/tokens/{token_id:int}")}
OWN_PASSWORD = ("POST", "/api/v1/users/me/password")  # any role, the kiosk's too

# The routes that matter most, stated here rather than read from the code under test.
MINIMUM = {
    ("GET", "/api/v1/items"): "viewer",
    ("POST", "/api/v1/items"): "manager",
    ("PATCH", "/api/v1/items/{item_id:int}"): "manager",
    ("POST", "/api/v1/items/{item_id:int}/convert"): "manager",
    ("POST", "/api/v1/units"): "manager",
    ("PATCH", "/api/v1/units/{tag:str}"): "manager",
    ("POST", "/api/v1/locations"): "manager",
    ("PATCH", "/api/v1/locations/{ref:str}"): "manager",
    ("DELETE", "/api/v1/locations/{ref:str}"): "manager",
    ("POST", "/api/v1/people"): "manager",
    ("PATCH", "/api/v1/people/{ref:str}"): "manager",
    ("POST", "/api/v1/stock/receive"): "operator",
    ("POST", "/api/v1/stock/consume"): "operator",
    ("POST", "/api/v1/stock/adjust"): "operator",
    ("POST", "/api/v1/stock/move"): "operator",
    ("POST", "/api/v1/units/{tag:str}/move"): "operator",
    ("POST", "/api/v1/units/{tag:str}/check-out"): "operator",
    ("POST", "/api/v1/units/{tag:str}/check-in"): "operator",
    ("POST", "/api/v1/units/{tag:str}/status"): "operator",
    ("POST", "/api/v1/units/{tag:str}/actions/{action:str}"): "operator",
    ("GET", "/api/v1/users"): "admin",
    ("POST", "/api/v1/users"): "admin",
    ("PATCH", "/api/v1/users/{user_id:int}"): "admin",
    ("GET", "/api/v1/admin/verify"): "admin",
    ("POST", "/api/v1/tokens"): "viewer",
    ("POST", "/api/v1/users/me/password"): "viewer",
    ("POST", "/api/v1/users/me/tokens"): "viewer",
    ("GET", "/account"): "viewer",
}

# Everything a kiosk account (the door screen) may call; it is refused every other route.
KIOSK = {("GET", "/scan"), ("POST", "/api/v1/scans"), ("POST", "/api/v1/scans/batch"),
         ("GET", "/api/v1/scans/lookup"), ("GET", "/api/v1/users/me"),
         ("GET", "/api/v1/users/me/csrf"), ("GET", "/api/v1/kiosk/people"),
         ("POST", "/api/v1/kiosk/unlock"), ("POST", "/logout"),
         # its own account: password, time zone, a look at its tokens (made by an admin)
         ("GET", "/account"), ("GET", "/tokens"), ("GET", "/account/password"),
         ("POST", "/account/password"), ("POST", "/account/time-zone"),
         ("POST", "/api/v1/users/me/password"), ("GET", "/api/v1/users/me/tokens")}

_PARAM = re.compile(r"\{(\w+):(\w+)\}")


def _value(path, name, kind):
    if kind == "int":
        return "1"
    if kind == "path":
        return "app.css"
    if name == "action":
        return "retire"
    if name == "ref":
        noun = TagKind.PERSON if path.startswith("/api/v1/people") else TagKind.LOCATION
        return str(Tag(noun, 1))
    if name == "tag":
        return str(Tag(TagKind.UNIT, 1))
    return "openapi.json"


def concrete(path):
    return _PARAM.sub(lambda m: _value(path, m.group(1), m.group(2)), path)


def routes(client):
    """(method, path template, handler) for every handler the app registered."""
    found = []
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method != "OPTIONS":
                    found.append((method, route.path, handler))
    assert len(found) > 40
    return found


def needed(path, handler):
    role = handler.opt.get("role")
    if role is None and path.startswith("/schema"):
        return Role.VIEWER
    return None if role is None else Role(role)


def call(client, method, path, headers=None):
    kw = {"headers": headers or {}, "follow_redirects": False}
    if method in ("POST", "PATCH", "PUT"):
        kw["json"] = {}
    return client.request(method, concrete(path), **kw)


def test_the_public_routes_are_exactly_health_login_and_static_files(client):
    public = {(m, p) for m, p, h in routes(client) if h.opt.get("public")}
    assert public == PUBLIC


def test_every_other_route_declares_the_role_it_needs(client):
    undeclared = [(m, p) for m, p, h in routes(client)
                  if not h.opt.get("public") and needed(p, h) is None]
    assert undeclared == []


def test_the_important_routes_keep_their_roles(client):
    declared = {(m, p): needed(p, h) for m, p, h in routes(client)}
    for key, role in MINIMUM.items():
        assert key in declared, key
        assert declared[key] == Role(role), key


def test_without_credentials_every_route_but_the_public_ones_is_refused(client):
    for method, path, handler in routes(client):
        if handler.opt.get("public"):
            continue
        api = path.startswith(("/api/", "/schema"))
        answer = call(client, method, path, None if api else {"Accept": "text/html"})
        if api:
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.headers["content-type"].startswith("application/problem+json")
        else:
            assert answer.status_code in (302, 303, 307), (method, path, answer.status_code)
            assert answer.headers["location"].startswith("/login"), (method, path)


def test_the_public_routes_answer_without_credentials(client):
    for method, path in PUBLIC:
        if method == "POST":
            continue  # the login itself is tested in test_users_tokens.py
        answer = call(client, method, path)
        assert answer.status_code == 200, (method, path, answer.status_code)


@pytest.mark.parametrize("role", ["viewer", "operator", "manager", "admin"])
def test_each_role_gets_403_below_a_routes_role_and_passes_the_guard_at_or_above(client,
                                                                                  role):
    caller = As(client, role)
    rank = Role(role).rank
    for method, path, handler in routes(client):
        want = needed(path, handler)
        if want is None or (method, path) in OWN_TOKENS or path == "/logout":
            continue
        answer = call(client, method, path, caller.headers)
        if rank < want.rank:
            assert answer.status_code == 403, (role, method, path, answer.status_code)
            assert answer.json()["code"] == "forbidden"
        else:
            assert answer.status_code not in (401, 403), (role, method, path, answer.text)
        assert answer.status_code < 500, (role, method, path, answer.text)


def test_the_kiosk_routes_are_exactly_the_door_screens(client):
    marked = {(m, p) for m, p, h in routes(client) if h.opt.get("kiosk")}
    assert marked == KIOSK


def test_a_kiosk_account_gets_403_naming_its_role_everywhere_but_the_door_screen(client):
    kiosk = As(client, "kiosk")
    for method, path, handler in routes(client):
        if handler.opt.get("public") or (method, path) == ("POST", "/logout"):
            continue
        answer = call(client, method, path, kiosk.headers)
        if (method, path) in KIOSK:
            assert answer.status_code not in (401, 403), (method, path, answer.text)
        else:
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert answer.json()["code"] == "forbidden"
            assert "kiosk" in answer.json()["detail"], (method, path)
        assert answer.status_code < 500, (method, path, answer.text)


def test_a_viewer_gets_403_on_every_api_write_except_its_own_tokens(client):
    viewer = As(client, "viewer")
    writes = [(m, p) for m, p, _ in routes(client) if m in WRITES and p.startswith("/api/v1")]
    assert len(writes) > 20
    for method, path in writes:
        answer = call(client, method, path, viewer.headers)
        if (method, path) in OWN_TOKENS or (method, path) == OWN_PASSWORD:
            assert answer.status_code not in (401, 403), (method, path, answer.text)
        else:
            assert answer.status_code == 403, (method, path, answer.status_code)


def test_an_operator_gets_403_on_the_manager_routes(client):
    operator = As(client, "operator")
    for (method, path), role in MINIMUM.items():
        if role in ("manager", "admin"):
            answer = call(client, method, path, operator.headers)
            assert answer.status_code == 403, (method, path, answer.status_code)


def test_a_manager_gets_403_on_the_admin_routes(client):
    manager = As(client, "manager")
    for (method, path), role in MINIMUM.items():
        if role == "admin":
            answer = call(client, method, path, manager.headers)
            assert answer.status_code == 403, (method, path, answer.status_code)

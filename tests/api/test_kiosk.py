"""The kiosk at the door, on the server: a kiosk account (a role of its own) that can only
look up, check out and check in, the names a borrower picks from, and leaving kiosk mode
with the site's PIN or a manager's login (throttled like logins)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.settings import reload_settings
from tests.conftest import As, page_login
from tests.factories import item, location, ok, person, problem, receive, units

TAGTRACK = str(Path(sys.executable).parent / "tagtrack")


@pytest.fixture
def kiosk(client):
    return As(client, "kiosk")


@pytest.fixture
def door(manager):
    rack, shelf = location(manager, "Drill rack"), location(manager, "Shelf A")
    dana = person(manager, "Dana Whitfield", badge_code="BADGE-1001")
    sam = person(manager, "Sam Okafor", badge_code="BADGE-1002")
    person(manager, "Priya Raman", active=False)
    drills = item(manager, tracking="serial", name="Cordless drill")
    drill, other = units(manager, drills["id"], rack["tag"], serials=["0001", "0002"])
    ties = item(manager, name="Zip ties", sku="ZIP-100")
    receive(manager, ties["id"], shelf["tag"], 10)
    return {"rack": rack, "shelf": shelf, "dana": dana, "sam": sam, "drill": drill["tag"],
            "other": other["tag"], "ties": ties}


@pytest.fixture
def kiosk_pin():
    """Set TAGTRACK_KIOSK_PIN (or unset it, None) as a restart would."""
    with pytest.MonkeyPatch.context() as patch:

        def use(value):
            if value is None:
                patch.delenv("TAGTRACK_KIOSK_PIN", raising=False)
            else:
                patch.setenv("TAGTRACK_KIOSK_PIN", value)
            reload_settings()

        yield use
    reload_settings()


def scan(api, code, action, status=200, **fields):
    answer = api.post("/api/v1/scans", json={"code": code, "action": action, **fields})
    assert answer.status_code == status, answer.text
    return answer.json()


def test_a_kiosk_account_checks_out_to_the_badge_holder_and_takes_returns(kiosk, door):
    found = ok(kiosk.get("/api/v1/scans/lookup", params={"code": "BADGE-1002"}))
    assert (found["resolved"]["kind"], found["resolved"]["tag"]) == ("person", door["sam"]["tag"])
    out = scan(kiosk, door["drill"], "check_out", person=door["sam"]["tag"])
    assert out["resolved"]["record"]["custodian"]["tag"] == door["sam"]["tag"]
    assert ", due " in out["message"]  # the kiosk's loans get a due date
    back = scan(kiosk, door["drill"], "check_in")
    assert back["resolved"]["record"]["status"] == "available"


@pytest.mark.parametrize("action, fields", [
    ("move", {"location": "rack"}),
    ("receive", {"location": "shelf", "quantity": 1}),
    ("consume", {"location": "shelf", "quantity": 1}),
    ("audit", {"audit": 1}),
])
def test_a_kiosk_account_cannot_scan_to_move_receive_consume_or_audit(kiosk, door, action,
                                                                      fields):
    code = "ZIP-100" if action in ("receive", "consume") else door["drill"]
    body = {k: door[v]["tag"] if isinstance(v, str) else v for k, v in fields.items()}
    refused = scan(kiosk, code, action, 403, **body)
    assert refused["error"]["code"] == "forbidden"
    assert refused["message"].startswith(f"The kiosk role cannot {action}")
    assert refused["error"]["details"]["role"] == "kiosk"


def test_a_kiosk_account_cannot_override_a_units_condition(kiosk, manager, door):
    ok(manager.post(f"/api/v1/units/{door['other']}/condition",
                    json={"condition": "damaged", "note": "case cracked"}))
    refused = scan(kiosk, door["other"], "check_out", 409, person=door["dana"]["tag"])
    assert refused["message"].endswith("is damaged: case cracked")
    refused = scan(kiosk, door["other"], "check_out", 403, person=door["dana"]["tag"],
                   override_condition=True, override_reason="please")
    assert "kiosk" in refused["message"]


def test_a_kiosk_account_is_refused_the_management_pages_and_the_stock_api(kiosk, door):
    for path in ("/", "/items", "/loans", f"/units/{door['drill']}", "/labels"):
        answer = kiosk.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert answer.status_code == 403, path
    body = problem(kiosk.post("/api/v1/stock/receive",
                              json={"item": door["ties"]["id"], "location": door["shelf"]["tag"],
                                    "quantity": 1}), 403)
    assert "kiosk" in body["detail"]
    problem(kiosk.get("/api/v1/people"), 403)


def test_the_kiosk_lists_active_people_by_name_with_their_tag_and_nothing_else(kiosk, door):
    everyone = ok(kiosk.get("/api/v1/kiosk/people"))["people"]
    assert everyone == [{"tag": door["dana"]["tag"], "name": "Dana Whitfield"},
                        {"tag": door["sam"]["tag"], "name": "Sam Okafor"}]
    assert ok(kiosk.get("/api/v1/kiosk/people", params={"q": "oka"}))["people"] == [
        {"tag": door["sam"]["tag"], "name": "Sam Okafor"}]
    # an email address or a badge code typed in finds nobody: names only
    assert ok(kiosk.get("/api/v1/kiosk/people", params={"q": "BADGE-1001"}))["people"] == []


def test_the_pin_leaves_kiosk_mode_and_a_wrong_one_is_refused(operator, kiosk_pin):
    kiosk_pin("4821")
    body = problem(operator.post("/api/v1/kiosk/unlock", json={"pin": "1111"}), 403, "pin")
    assert (body["code"], body["detail"]) == ("unlock_refused", "wrong PIN")
    answer = ok(operator.post("/api/v1/kiosk/unlock", json={"pin": "4821"}))
    assert answer == {"ok": True, "by": "PIN", "logged_out": False}


def test_without_a_pin_set_only_a_managers_login_leaves_kiosk_mode(operator, kiosk_pin):
    kiosk_pin(None)
    body = problem(operator.post("/api/v1/kiosk/unlock", json={"pin": "0000"}), 409, "pin")
    assert body["code"] == "no_kiosk_pin" and "manager" in body["detail"]
    answer = ok(operator.post("/api/v1/kiosk/unlock",
                              json={"username": "manager", "password": "correct horse"}))
    assert answer["by"] == "manager"


def test_an_operators_login_or_a_wrong_password_does_not_leave_kiosk_mode(operator, kiosk_pin):
    kiosk_pin(None)
    body = problem(operator.post("/api/v1/kiosk/unlock",
                                 json={"username": "operator", "password": "correct horse"}),
                   403, "username")
    assert "needs a manager" in body["detail"]
    body = problem(operator.post("/api/v1/kiosk/unlock",
                                 json={"username": "manager", "password": "wrong"}), 403)
    assert body["code"] == "unlock_refused"
    problem(operator.post("/api/v1/kiosk/unlock", json={}), 422, "pin")


def test_guessing_the_pin_is_throttled_like_logins(operator, kiosk_pin):
    kiosk_pin("4821")
    for guess in range(5):
        problem(operator.post("/api/v1/kiosk/unlock", json={"pin": f"000{guess}"}), 403)
    throttled = operator.post("/api/v1/kiosk/unlock", json={"pin": "4821"})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0


def test_createuser_makes_a_kiosk_account_that_logs_in_to_the_door_screen_and_out_by_pin(
        client, settings, kiosk_pin, door):
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    done = subprocess.run([TAGTRACK, "createuser", "door", "--role", "kiosk", "--password",
                           "door screen 1", "--no-password-change"], env=env,
                          capture_output=True, text=True,
                          timeout=90, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    answer = page_login(client, "door", "door screen 1", next_="/items")
    assert (answer.status_code, answer.headers["location"]) == (303, "/scan?mode=kiosk")
    assert client.get("/scan").status_code == 200
    assert client.get("/items", headers={"Accept": "text/html"}).status_code == 403
    token = ok(client.get("/api/v1/users/me/csrf"))["csrf"]
    headers = {"X-CSRF-Token": token, "Origin": "http://127.0.0.1"}
    out = client.post("/api/v1/scans", headers=headers,
                      json={"code": door["drill"], "action": "check_out",
                            "person": door["dana"]["tag"]})
    assert out.status_code == 200, out.text

    kiosk_pin("4821")
    left = ok(client.post("/api/v1/kiosk/unlock", headers=headers, json={"pin": "4821"}))
    assert left == {"ok": True, "by": "PIN", "logged_out": True}
    assert client.get("/api/v1/users/me").status_code == 401  # the door screen's session ended

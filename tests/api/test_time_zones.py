"""Local time: a user's zone (their setting, else their browser's cookie, else the site's
TAGTRACK_TIME_ZONE) decides what a typed due date means and how every page writes it; the
API reads a date without an offset in the site's zone. The server's clock is set by the test."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from server.services import due_dates
from server.settings import reload_settings
from tests.conftest import page_login
from tests.factories import item, location, ok, person, problem, units

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
HTML = {"Accept": "text/html"}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(due_dates, "clock", lambda: NOW)


@pytest.fixture
def site_zone():
    """Set TAGTRACK_TIME_ZONE as a restart would."""
    with pytest.MonkeyPatch.context() as patch:

        def use(name):
            patch.setenv("TAGTRACK_TIME_ZONE", name)
            reload_settings()

        yield use
    reload_settings()


@pytest.fixture
def crib(manager):
    rack = location(manager, "Drill rack")
    dana = person(manager, "Dana Whitfield")
    drills = item(manager, tracking="serial", name="Cordless drill")
    [drill] = units(manager, drills["id"], rack["tag"])
    return {"rack": rack, "dana": dana, "drills": drills, "drill": drill["tag"]}


def user_id(api):
    return ok(api.get("/api/v1/users/me"))["id"]


def set_zone(admin, api, zone):
    return admin.patch(f"/api/v1/users/{user_id(api)}", json={"time_zone": zone})


def check_out_on_the_page(client, tag, person_tag, **fields):
    page = client.get(f"/units/{tag}").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post(f"/units/{tag}/check-out", follow_redirects=False, headers=HTML,
                       data={"csrf": token, "person": person_tag, **fields})


def due_of(api, tag):
    return ok(api.get(f"/api/v1/units/{tag}"))["due_at"]


def pages_showing(client, crib):
    return {path: client.get(path).text for path in (
        f"/units/{crib['drill']}", f"/items/{crib['drills']['id']}", "/loans",
        f"/people/{crib['dana']['tag']}")}


def test_a_los_angeles_user_types_a_due_date_and_every_page_shows_that_day(
        client, admin, operator, crib):
    assert ok(set_zone(admin, operator, "America/Los_Angeles"))["time_zone"] == \
        "America/Los_Angeles"
    page_login(client, "operator")
    answer = check_out_on_the_page(client, crib["drill"], crib["dana"]["tag"],
                                   due_at="2026-12-05")
    assert answer.status_code == 303, answer.text
    # the end of 5 Dec where the user is, kept in UTC
    assert due_of(operator, crib["drill"]) == "2026-12-06T07:59:59Z"
    for path, text in pages_showing(client, crib).items():
        assert "5 Dec 2026" in text, path
        assert "6 Dec" not in text and "2026-12-0" not in text.split("<main", 1)[1], path
        assert "Times in America/Los_Angeles" in text, path


def test_a_due_time_given_on_the_form_is_that_time_in_the_users_zone(
        client, admin, operator, crib):
    ok(set_zone(admin, operator, "America/Los_Angeles"))
    page_login(client, "operator")
    check_out_on_the_page(client, crib["drill"], crib["dana"]["tag"],
                          due_at="2026-12-05", due_time="17:00")
    assert due_of(operator, crib["drill"]) == "2026-12-06T01:00:00Z"
    assert "5 Dec 2026, 17:00 PST" in client.get(f"/units/{crib['drill']}").text


def test_without_a_setting_the_browsers_zone_from_its_cookie_is_used(client, operator, crib):
    page_login(client, "operator")
    client.cookies.set("tz", "America/Los_Angeles")
    check_out_on_the_page(client, crib["drill"], crib["dana"]["tag"], due_at="2026-12-05")
    assert due_of(operator, crib["drill"]) == "2026-12-06T07:59:59Z"
    assert "5 Dec 2026" in client.get("/loans").text


def test_a_users_own_zone_wins_over_the_browsers(client, admin, operator, crib):
    ok(set_zone(admin, operator, "Europe/Berlin"))
    page_login(client, "operator")
    client.cookies.set("tz", "America/Los_Angeles")
    check_out_on_the_page(client, crib["drill"], crib["dana"]["tag"], due_at="2026-12-05")
    assert due_of(operator, crib["drill"]) == "2026-12-05T22:59:59Z"  # CET, UTC+1
    assert "Times in Europe/Berlin" in client.get("/loans").text


@pytest.mark.parametrize("cookie", ["Mars/Olympus", "../../etc/passwd", "x" * 300, ""])
def test_a_bad_zone_cookie_is_ignored_and_the_sites_zone_used(client, operator, crib, cookie):
    page_login(client, "operator")
    client.cookies.set("tz", cookie)
    answer = check_out_on_the_page(client, crib["drill"], crib["dana"]["tag"],
                                   due_at="2026-12-05")
    assert answer.status_code == 303
    assert due_of(operator, crib["drill"]) == "2026-12-05T23:59:59Z"  # the site's: UTC
    assert "Times in UTC" in client.get("/loans").text


def test_the_site_zone_applies_to_users_without_one(client, operator, crib, site_zone):
    site_zone("America/Los_Angeles")
    page_login(client, "operator")
    check_out_on_the_page(client, crib["drill"], crib["dana"]["tag"], due_at="2026-12-05")
    assert due_of(operator, crib["drill"]) == "2026-12-06T07:59:59Z"


def test_the_day_the_clocks_go_forward_in_berlin(client, admin, operator, crib, monkeypatch):
    """Last Sunday of March 2026 (29th): 02:00 CET becomes 03:00 CEST."""
    monkeypatch.setattr(due_dates, "clock", lambda: dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    ok(set_zone(admin, operator, "Europe/Berlin"))
    page_login(client, "operator")
    refused = check_out_on_the_page(client, crib["drill"], crib["dana"]["tag"],
                                    due_at="2026-03-29", due_time="02:30")
    assert refused.status_code == 422
    assert "does not exist in Europe/Berlin" in refused.text
    assert 'id="check-out-due-at"' in refused.text  # the form comes back, the date kept
    check_out_on_the_page(client, crib["drill"], crib["dana"]["tag"], due_at="2026-03-29")
    assert due_of(operator, crib["drill"]) == "2026-03-29T21:59:59Z"  # CEST, UTC+2
    text = client.get(f"/units/{crib['drill']}").text
    assert "29 Mar 2026" in text and "29 Mar 2026, 23:59 CEST" in text


def test_an_invalid_zone_is_refused_naming_the_field(client, admin, operator):
    for bad in ("Mars/Olympus", "America/Los Angeles", "../../etc/passwd", "x" * 100):
        body = problem(set_zone(admin, operator, bad), 422, "time_zone")
        assert "time zone" in body["detail"]
    assert ok(operator.get("/api/v1/users/me"))["time_zone"] is None


def test_a_users_zone_is_cleared_with_null(admin, operator):
    ok(set_zone(admin, operator, "Asia/Tokyo"))
    assert ok(set_zone(admin, operator, None))["time_zone"] is None


def test_an_admin_sets_a_zone_on_the_users_page_and_a_bad_one_is_named(client, admin, operator):
    page_login(client, "admin")
    uid = user_id(operator)

    def save(zone):
        page = client.get("/users").text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        return client.post(f"/users/{uid}", follow_redirects=False, headers=HTML, data={
            "csrf": token, "role": "operator", "active": "yes", "time_zone": zone})

    assert save("America/Los_Angeles").status_code == 303
    assert ok(operator.get("/api/v1/users/me"))["time_zone"] == "America/Los_Angeles"
    assert 'value="America/Los_Angeles"' in client.get("/users").text
    refused = save("Pacific/Atlantis")
    assert refused.status_code == 422
    assert re.search(r'id="user-\d+-time-zone"[^>]*aria-invalid="true"', refused.text)
    assert ok(operator.get("/api/v1/users/me"))["time_zone"] == "America/Los_Angeles"
    assert save("").status_code == 303  # empty: follow the browser, else the site
    assert ok(operator.get("/api/v1/users/me"))["time_zone"] is None


@pytest.mark.parametrize(("given", "stored"), [
    ("2026-12-05", "2026-12-06T07:59:59Z"),  # a plain date: the end of that day, site zone
    ("2026-12-05T17:00", "2026-12-06T01:00:00Z"),  # no offset: the site's zone
    ("2026-12-05T17:00:00+01:00", "2026-12-05T16:00:00Z"),  # an offset: that moment
    ("2026-12-05T17:00:00Z", "2026-12-05T17:00:00Z"),
])
def test_the_api_reads_a_due_date_without_offset_in_the_sites_zone(
        operator, crib, site_zone, given, stored):
    site_zone("America/Los_Angeles")
    unit = ok(operator.post(f"/api/v1/units/{crib['drill']}/check-out",
                            json={"person": crib["dana"]["tag"], "due_at": given}))
    assert unit["due_at"] == stored


def test_the_api_answers_an_unreadable_due_date_naming_the_field(operator, crib):
    for path, body in [
        (f"/api/v1/units/{crib['drill']}/check-out", {"person": crib["dana"]["tag"]}),
        ("/api/v1/loans/bulk-check-out", {"person": crib["dana"]["tag"],
                                          "codes": [crib["drill"]]}),
    ]:
        problem(operator.post(path, json={**body, "due_at": "next Friday"}), 422, "due_at")
    answer = operator.post("/api/v1/scans", json={
        "code": crib["drill"], "action": "check_out", "person": crib["dana"]["tag"],
        "due_at": "2026-13-40"})
    assert answer.status_code == 422 and "due_at" in answer.text


def test_a_scan_says_the_due_date_in_the_users_zone(client, admin, operator, crib):
    ok(set_zone(admin, operator, "America/Los_Angeles"))
    answer = ok(operator.post("/api/v1/scans", json={
        "code": crib["drill"], "action": "check_out", "person": crib["dana"]["tag"],
        "due_at": "2026-12-06T07:59:59Z"}))
    assert answer["message"].endswith("checked out to Dana Whitfield, due 5 Dec 2026")
    looked = ok(operator.get("/api/v1/scans/lookup", params={"code": crib["drill"]}))
    assert looked["message"].endswith("due 5 Dec 2026")


def test_a_past_due_date_is_refused_in_the_readers_words(client, admin, operator, crib):
    ok(set_zone(admin, operator, "America/Los_Angeles"))
    body = problem(operator.post(f"/api/v1/units/{crib['drill']}/check-out", json={
        "person": crib["dana"]["tag"], "due_at": "2026-11-28T12:00:00Z"}), 422, "due_at")
    assert "28 Nov 2026, 04:00 PST is in the past" in body["detail"]


def test_the_site_zone_setting_must_name_a_zone(monkeypatch):
    monkeypatch.setenv("TAGTRACK_TIME_ZONE", "Pacific Time")
    try:
        with pytest.raises(ValueError, match="TAGTRACK_TIME_ZONE"):
            reload_settings()
    finally:
        monkeypatch.delenv("TAGTRACK_TIME_ZONE")
        reload_settings()


def test_the_scanning_page_is_told_the_users_own_zone_and_its_labels(client, admin, operator):
    page_login(client, "operator", next_="/scan")
    client.cookies.set("tz", "Europe/Berlin")
    text = client.get("/scan").text
    assert 'data-time-zone=""' in text  # no zone of their own: time.js uses the browser's
    assert "&#34;CET&#34;" in text and "Europe/Berlin" in text
    ok(set_zone(admin, operator, "America/Los_Angeles"))
    text = client.get("/scan").text
    assert 'data-time-zone="America/Los_Angeles"' in text
    assert "&#34;-480&#34;: &#34;PST&#34;" in text

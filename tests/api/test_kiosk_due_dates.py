"""Due dates at check-out: none given, the item's loan period (loan_days) or else the site's
(TAGTRACK_LOAN_DAYS) sets one, so that the kiosk's loans are due; one in the past is
refused naming due_at unless the caller says it means it (allow_past_due). The server's
clock is set by the test."""

import datetime as dt
import re

import pytest

from server.services import due_dates
from server.settings import reload_settings
from tests.conftest import page_login
from tests.factories import item, location, ok, person, problem, receive, units

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
PAST = "2026-11-28T17:00:00Z"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(due_dates, "clock", lambda: NOW)


@pytest.fixture
def site_days():
    """Set TAGTRACK_LOAN_DAYS as a restart would."""
    with pytest.MonkeyPatch.context() as patch:

        def use(value):
            patch.setenv("TAGTRACK_LOAN_DAYS", str(value))
            reload_settings()

        yield use
    reload_settings()


@pytest.fixture
def crib(manager):
    rack = location(manager, "Drill rack")
    dana = person(manager, "Dana Whitfield")
    drills = item(manager, tracking="serial", name="Cordless drill")
    laptops = item(manager, tracking="serial", name="Laptop", loan_days=0)
    cords = item(manager, name="Extension cord", loan_days=2)
    receive(manager, cords["id"], rack["tag"], 10)
    [drill, spare] = units(manager, drills["id"], rack["tag"], count=2)
    [laptop] = units(manager, laptops["id"], rack["tag"])
    return {"rack": rack, "dana": dana, "drills": drills, "drill": drill["tag"],
            "spare": spare["tag"], "laptop": laptop["tag"], "cords": cords}


def end_of(days):
    """A loan period's due date: the end of the day `days` after NOW (the site: UTC)."""
    day = NOW.date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)


def due(answer):
    return dt.datetime.fromisoformat(answer["resolved"]["record"]["due_at"])


def scan(api, code, status=200, **fields):
    answer = api.post("/api/v1/scans", json={"code": code, "action": "check_out", **fields})
    assert answer.status_code == status, answer.text
    return answer.json()


def test_without_a_due_date_a_check_out_is_due_after_the_sites_loan_period(operator, crib):
    out = scan(operator, crib["drill"], person=crib["dana"]["tag"])
    assert due(out) == end_of(7)  # TAGTRACK_LOAN_DAYS unset: 7 days, to the day's end
    assert out["message"].endswith("checked out to Dana Whitfield, due 6 Dec 2026")


def test_the_site_setting_changes_the_period(operator, crib, site_days):
    site_days(14)
    assert due(scan(operator, crib["drill"], person=crib["dana"]["tag"])) == \
        end_of(14)
    site_days(0)
    out = scan(operator, crib["spare"], person=crib["dana"]["tag"])
    assert out["resolved"]["record"]["due_at"] is None and "due" not in out["message"]


def test_an_items_own_loan_period_comes_before_the_sites(manager, operator, crib):
    ok(manager.patch(f"/api/v1/items/{crib['drills']['id']}", json={"loan_days": 3}))
    assert due(scan(operator, crib["drill"], person=crib["dana"]["tag"])) == \
        end_of(3)
    out = scan(operator, crib["laptop"], person=crib["dana"]["tag"])  # loan_days 0: never due
    assert out["resolved"]["record"]["due_at"] is None
    unit = ok(operator.post(f"/api/v1/units/{crib['spare']}/check-out",
                            json={"person": crib["dana"]["tag"]}))
    assert dt.datetime.fromisoformat(unit["due_at"]) == end_of(3)


def test_a_lent_count_gets_its_items_loan_period(operator, crib):
    out = scan(operator, crib["cords"]["sku"], person=crib["dana"]["tag"],
               location=crib["rack"]["tag"], quantity=2)
    assert out["message"].endswith("due 1 Dec 2026")
    loans = ok(operator.get("/api/v1/loans", params={"person": crib["dana"]["tag"]}))["loans"]
    assert dt.datetime.fromisoformat(loans[0]["due_at"]) == end_of(2)


def test_a_due_date_given_is_kept(operator, crib):
    out = scan(operator, crib["drill"], person=crib["dana"]["tag"], due_at="2026-12-24T17:00:00Z")
    assert due(out) == dt.datetime(2026, 12, 24, 17, tzinfo=dt.UTC)


def test_a_due_date_in_the_past_is_refused_naming_due_at_on_every_way_in(operator, crib):
    refused = scan(operator, crib["drill"], 422, person=crib["dana"]["tag"], due_at=PAST)
    assert (refused["error"]["field"], refused["error"]["code"]) == ("due_at", "due_in_past")
    assert "allow_past_due" in refused["message"]
    dana = crib["dana"]["tag"]
    for path, body in [
        (f"/api/v1/units/{crib['drill']}/check-out", {"person": dana}),
        ("/api/v1/loans/lend", {"item": crib["cords"]["id"], "location": crib["rack"]["tag"],
                                "person": dana, "quantity": 1}),
        ("/api/v1/loans/bulk-check-out", {"person": dana, "codes": [crib["drill"]]}),
    ]:
        body = problem(operator.post(path, json={**body, "due_at": PAST}), 422, "due_at")
        assert body["code"] == "due_in_past", path
    assert ok(operator.get(f"/api/v1/units/{crib['drill']}"))["status"] == "available"
    assert ok(operator.get("/api/v1/loans"))["total"] == 0


def test_a_due_date_in_the_past_is_recorded_when_the_caller_allows_it(operator, crib):
    out = scan(operator, crib["drill"], person=crib["dana"]["tag"], due_at=PAST,
               allow_past_due=True)
    assert due(out) == dt.datetime(2026, 11, 28, 17, tzinfo=dt.UTC)
    unit = ok(operator.post(f"/api/v1/units/{crib['spare']}/check-out",
                            json={"person": crib["dana"]["tag"], "due_at": PAST,
                                  "allow_past_due": True}))
    assert unit["due_at"].startswith("2026-11-28T17:00")
    ok(operator.post("/api/v1/loans/lend",
                     json={"item": crib["cords"]["id"], "location": crib["rack"]["tag"],
                           "person": crib["dana"]["tag"], "quantity": 1, "due_at": PAST,
                           "allow_past_due": True}))
    assert ok(operator.get("/api/v1/loans/overdue"))["total"] == 3


def test_an_items_loan_period_is_set_shown_and_checked_on_the_api(manager):
    made = item(manager, tracking="serial", loan_days=21)
    assert made["loan_days"] == 21
    changed = ok(manager.patch(f"/api/v1/items/{made['id']}", json={"loan_days": None}))
    assert changed["loan_days"] is None
    body = problem(manager.patch(f"/api/v1/items/{made['id']}", json={"loan_days": -1}), 422,
                   "loan_days")
    assert "0: no due date" in body["detail"]
    history = ok(manager.get("/api/v1/events", params={"item": made["id"]}))["events"]
    assert history[0]["details"]["changes"]["loan_days"] == [21, None]


def test_the_item_page_edits_the_loan_period(client, manager):
    made = item(manager, tracking="serial")
    page_login(client, "manager")
    page = client.get(f"/items/{made['id']}").text
    assert "Loan period" in page and "the site&#39;s default" in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = client.post(f"/items/{made['id']}/edit", follow_redirects=False,
                         data={"csrf": token, "sku": made["sku"], "name": made["name"],
                               "loan_days": "10"})
    assert answer.status_code in (302, 303), answer.text
    assert ok(manager.get(f"/api/v1/items/{made['id']}"))["loan_days"] == 10
    assert "10 days" in client.get(f"/items/{made['id']}").text

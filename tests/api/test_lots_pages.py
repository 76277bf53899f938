"""Lot pages in process: the item page receives a lot with its expiry and lists the item's
lots; /lots filters and sorts by expiry; a lot page shows where the lot is and its history;
a manager corrects the expiry with a reason (errors at their fields), nobody else can."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from server.domain.timezones import format_date
from server.services.lots import today
from tests import factories as f

HTML = {"Accept": "text/html"}


def login(client, role):
    """Through the login form, as a browser (with its CSRF token, when the form has one)."""
    client.cookies.clear()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    form = {"username": role, "password": "correct horse", "next": "/"}
    if token:
        form["csrf"] = token.group(1)
    answer = client.post("/login", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def send(client, page, action, **fields):
    """Post `action` as the browser would after opening `page` (a page without a form of
    its own: with the session's token from the tokens page)."""
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(page).text) or re.search(
        r'name="csrf" value="([^"]+)"', client.get("/tokens").text)
    token = found.group(1)
    return client.post(action, data={"csrf": token, **fields}, headers=HTML,
                       follow_redirects=False)


def refused(answer, form, field, words):
    assert answer.status_code == 422, (answer.status_code, answer.text[:800])
    error = re.search(rf'<p class="error" id="{form}-{field.replace("_", "-")}-error">([^<]*)</p>',
                      answer.text)
    assert error, answer.text
    assert words in error.group(1)
    return answer.text


def days(n):
    return (today() + dt.timedelta(days=n)).isoformat()


def shown(n):
    """The same day as pages write dates (server/domain/timezones.py): 25 Sep 2027."""
    return format_date(today() + dt.timedelta(days=n))


@pytest.fixture
def gloves(admin):
    shelf = f.location(admin, "Shelf B3")
    gloves = f.item(admin, tracking="lot", name="Nitrile gloves", sku="PPE-NITRILE-M")
    f.receive(admin, gloves["id"], shelf["tag"], 4, lot="OLD", expires_on=days(-3))
    f.receive(admin, gloves["id"], shelf["tag"], 9, lot="SOON", expires_on=days(20))
    f.receive(admin, gloves["id"], shelf["tag"], 30, lot="FAR", expires_on=days(300))
    return {"item": gloves, "shelf": shelf}


def lot_id(api, code):
    return f.ok(api.get("/api/v1/lots", params={"code": code}))["lots"][0]["id"]


def test_receiving_a_new_lot_on_the_item_page_takes_its_expiry(client, admin, gloves):
    login(client, "operator")
    page = f"/items/{gloves['item']['id']}"
    assert 'name="expires_on"' in client.get(page).text
    answer = send(client, page, f"{page}/stock", op="receive", location=gloves["shelf"]["tag"],
                  quantity="12", lot="L2611X", expires_on=days(60), note="")
    assert answer.status_code == 303, answer.text[:800]
    [lot] = f.ok(admin.get("/api/v1/lots", params={"code": "L2611X"}))["lots"]
    assert (lot["expires_on"], lot["quantity"]) == (days(60), 12)


def test_a_receive_with_a_bad_date_or_another_expiry_is_refused_at_the_expiry(client, gloves):
    login(client, "operator")
    page = f"/items/{gloves['item']['id']}"
    form = {"op": "receive", "location": gloves["shelf"]["tag"], "quantity": "1"}
    text = refused(send(client, page, f"{page}/stock", **form, lot="NEW", expires_on="2026-02-30"),
                   "stock", "expires_on", "expires on must be a date")
    assert 'value="NEW"' in text  # what was typed stays
    refused(send(client, page, f"{page}/stock", **form, lot="SOON", expires_on=days(21)),
            "stock", "expires_on", f"expires on {days(20)}")


def test_the_item_page_lists_its_lots_first_expiry_first_with_links(client, gloves):
    login(client, "viewer")
    text = client.get(f"/items/{gloves['item']['id']}").text
    table = text[text.index('id="lots-h"'):]
    assert table.index(">OLD<") < table.index(">SOON<") < table.index(">FAR<")
    assert "expired 3 days ago" in table and "in 20 days" in table
    assert f'href="/lots/{lot_id_in(text, "SOON")}"' in table


def lot_id_in(text, code):
    return re.search(rf'href="/lots/(\d+)" class="tag">{code}<', text).group(1)


@pytest.mark.parametrize(("query", "shown"), [
    ("", ["OLD", "SOON", "FAR"]), ("?expiry=30", ["SOON"]), ("?expiry=90", ["SOON"]),
    ("?expiry=expired", ["OLD"]), ("?sort=-expires_on", ["FAR", "SOON", "OLD"]),
    ("?sort=quantity", ["OLD", "SOON", "FAR"])])
def test_the_lot_list_filters_and_sorts_by_expiry(client, gloves, query, shown):
    login(client, "viewer")
    answer = client.get(f"/lots{query}")
    assert answer.status_code == 200
    assert re.findall(r'class="tag">([A-Z]+)</a></td>', answer.text) == shown


def test_the_expired_filter_leaves_out_a_lot_with_nothing_left(client, admin, gloves):
    f.ok(admin.post("/api/v1/stock/consume", json={"item": gloves["item"]["id"], "lot": "OLD",
                                                    "location": gloves["shelf"]["tag"],
                                                    "quantity": 4}), 201)
    login(client, "viewer")
    assert "nothing expired is in stock" in client.get("/lots?expiry=expired").text
    assert ">OLD<" in client.get("/lots?stock=any").text


def test_a_bad_filter_gets_a_page_not_a_server_error(client, gloves):
    login(client, "viewer")
    for query in ("?expiry=7", "?stock=maybe", "?sort=colour", "?item=NOPE",
                  "?item=²"):
        answer = client.get(f"/lots{query}", headers=HTML)
        assert 400 <= answer.status_code < 500, (query, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), (query, answer.text)


def test_a_lot_page_shows_where_it_is_and_its_history(client, admin, gloves):
    bin_ = f.location(admin, "Bin 7")
    f.ok(admin.post("/api/v1/stock/move", json={"item": gloves["item"]["id"], "lot": "FAR",
                                                 "from_location": gloves["shelf"]["tag"],
                                                 "to_location": bin_["tag"], "quantity": 5}), 201)
    login(client, "viewer")
    text = client.get(f"/lots/{lot_id(admin, 'FAR')}").text
    assert "Nitrile gloves" in text and shown(300) in text
    where = text[text.index('id="where-h"'):text.index('id="expiry-h"')]
    assert re.search(r"Shelf B3</a></td><td class=\"num\">25 ", where)
    assert re.search(r"Bin 7</a></td><td class=\"num\">5 ", where)
    history = text[text.index('id="history-h"'):]
    assert history.index("Moved 5") < history.index("Received 30") < history.index("Lot created")
    assert 'action="/lots/' not in text  # a viewer sees no form
    assert client.get("/lots/999999", headers=HTML).status_code == 404


def test_a_manager_changes_the_expiry_with_a_reason_and_the_history_says_so(
        client, admin, gloves):
    soon = lot_id(admin, "SOON")
    login(client, "manager")
    page = f"/lots/{soon}"
    answer = send(client, page, f"{page}/expiry", expires_on=days(90), reason="new CoA")
    assert answer.status_code == 303 and answer.headers["location"] == page
    text = client.get(page).text
    assert f"Lot SOON now expires on {shown(90)}." in text
    assert f"Expiry changed from {shown(20)} to {shown(90)}" in text and "new CoA" in text
    assert f.ok(admin.get("/api/v1/admin/verify"))["ok"] is True


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"expires_on": "2027-13-01", "reason": "typo"}, "expires_on", "must be a date"),
    ({"expires_on": "2027-01-01", "reason": ""}, "reason", "needs a reason"),
    ({"expires_on": "same", "reason": "again"}, "expires_on", "already has expiry"),
])
def test_an_expiry_refusal_shows_at_its_field_and_changes_nothing(client, admin, gloves, fields,
                                                                  field, words):
    soon = lot_id(admin, "SOON")
    if fields["expires_on"] == "same":
        fields = {**fields, "expires_on": days(20)}
    login(client, "manager")
    page = f"/lots/{soon}"
    text = refused(send(client, page, f"{page}/expiry", **fields), "expiry", field, words)
    assert "<details open>" in text
    assert f.ok(admin.get(f"/api/v1/lots/{soon}"))["lot"]["expires_on"] == days(20)


def test_an_operator_cannot_post_an_expiry_change(client, admin, gloves):
    soon = lot_id(admin, "SOON")
    login(client, "operator")
    page = f"/lots/{soon}"
    assert 'action="/lots/' not in client.get(page).text
    answer = send(client, page, f"{page}/expiry", expires_on=days(90), reason="sneaky")
    assert answer.status_code == 403
    assert f.ok(admin.get(f"/api/v1/lots/{soon}"))["lot"]["expires_on"] == days(20)


def test_bad_input_to_the_expiry_form_never_makes_a_server_error(client, admin, gloves):
    import random

    soon = lot_id(admin, "SOON")
    login(client, "admin")
    rnd = random.Random(20261129)
    values = ["", "x" * 3000, "a\x00b", "2026-13-45", "2026-02-30", "99999-01-01", "-1",
              "2027-01-31", "0001-01-01", "9999-12-31", "yes"]
    for _ in range(25):
        fields = {k: rnd.choice(values) for k in ("expires_on", "reason") if rnd.random() < 0.8}
        for target in (f"/lots/{soon}/expiry", "/lots/99999999999999999999/expiry",
                       "/lots/x/expiry"):
            answer = send(client, f"/lots/{soon}", target, **fields)
            assert answer.status_code < 500, (target, fields, answer.text[:300])
            if answer.status_code >= 400:
                assert answer.headers["content-type"].startswith("text/html"), (target, fields)

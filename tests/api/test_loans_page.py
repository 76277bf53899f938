"""The loans page and its API: since and due (overdue marked), filters by person, item,
overdue and no due date, a search, the closed loans (history), a CSV export of what the
page shows; a person's page returns a unit in one tap."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from server.http.pages import loans as pages_loans
from tests import factories as f

HTML = {"Accept": "text/html"}


def login(client, role):
    client.cookies.clear()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    form = {"username": role, "password": "correct horse", "next": "/"}
    if token:
        form["csrf"] = token.group(1)
    answer = client.post("/login", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def csrf_of(html):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def day(n):
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=n)).isoformat()


def rows_of(html):
    """The loans table's rows, as text, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)


@pytest.fixture
def out(admin):
    """Dana holds two drills (one overdue), Sam a third drill and 5 cords (no due date)."""
    shelf = f.location(admin, "Crib")
    dana = f.person(admin, "Dana Whitfield")
    sam = f.person(admin, "Sam Ortiz")
    drill = f.item(admin, "serial", name="Cordless drill", sku="DRL-1")
    cords = f.item(admin, name="Extension cord", sku="CORD-10", loan_days=0)
    f.receive(admin, cords["id"], shelf["tag"], 20)
    u = [x["tag"] for x in f.units(admin, drill["id"], shelf["tag"],
                                    serials=["SN-A1", "SN-A2", "SN-A3"])]
    f.ok(admin.post(f"/api/v1/units/{u[0]}/check-out",
                    json={"person": dana["tag"], "due_at": day(3)}))
    f.ok(admin.post(f"/api/v1/units/{u[1]}/check-out",
                    json={"person": dana["tag"], "due_at": day(-2), "allow_past_due": True}))
    f.ok(admin.post(f"/api/v1/units/{u[2]}/check-out",
                    json={"person": sam["tag"], "due_at": day(1)}))
    f.ok(admin.post("/api/v1/loans/lend", json={"item": cords["id"], "location": shelf["tag"],
                                                 "person": sam["tag"], "quantity": 5}))
    return {"shelf": shelf, "dana": dana, "sam": sam, "drill": drill, "cords": cords,
            "units": u}


def test_open_loans_show_since_and_due_with_the_overdue_one_marked_first(client, out):
    login(client, "viewer")
    html = client.get("/loans", headers=HTML).text
    assert "<th scope=\"col\">Since</th><th scope=\"col\">Due</th>" in html
    rows = rows_of(html)
    assert len(rows) == 4
    assert out["units"][1] in rows[0] and "overdue" in rows[0]  # the earliest due first
    assert 'class="row-overdue"' in html.split(out["units"][1])[0].rsplit("<tr", 1)[1]
    assert "Extension cord" in rows[-1] and "no due date" in rows[-1]
    today = dt.datetime.now(dt.UTC)
    assert all(str(today.year) in r for r in rows)  # since: the day each went out


@pytest.mark.parametrize("query, expected", [
    ({"person": "dana"}, {0, 1}),
    ({"item": "drill"}, {0, 1, 2}),
    ({"overdue": "true"}, {1}),
    ({"no_due": "true"}, {"cords"}),
    ({"q": "ortiz"}, {2, "cords"}),
    ({"q": "sn-a3"}, {2}),
    ({"q": "CORD"}, {"cords", 0, 1, 2}),  # "Cordless drill" has it too
    ({"q": "50%"}, set()),
])
def test_the_filters_narrow_the_page_and_the_api_alike(client, admin, out, query, expected):
    values = {"dana": out["dana"]["tag"], "drill": str(out["drill"]["id"])}
    query = {k: values.get(v, v) for k, v in query.items()}
    login(client, "viewer")
    html = client.get("/loans", params=query, headers=HTML).text
    table = "".join(rows_of(html))
    shown = {i for i, tag in enumerate(out["units"]) if tag in table}
    if "Extension cord" in table:
        shown.add("cords")
    assert shown == expected, query
    api = f.ok(admin.get("/api/v1/loans", params=query))
    got = {out["units"].index(x["unit"]["tag"]) if x["unit"] else "cords" for x in api["loans"]}
    assert got == expected and api["total"] == len(expected)


def test_overdue_and_no_due_date_together_are_refused_in_words(client, admin, out):
    login(client, "viewer")
    answer = client.get("/loans", params={"overdue": "true", "no_due": "true"}, headers=HTML)
    assert answer.status_code == 422
    assert "A loan with no due date is never overdue" in answer.text
    f.problem(admin.get("/api/v1/loans", params={"overdue": "true", "no_due": "true"}), 422,
              "no_due")
    f.problem(admin.get("/api/v1/loans", params={"closed": "true", "overdue": "true"}), 422,
              "closed")


def test_closed_loans_are_the_history_latest_first(client, admin, out):
    u = out["units"]
    f.ok(admin.post(f"/api/v1/units/{u[2]}/check-in", json={}))
    f.ok(admin.post("/api/v1/loans/return", json={
        "item": out["cords"]["id"], "person": out["sam"]["tag"], "quantity": 5,
        "location": out["shelf"]["tag"]}))
    f.ok(admin.post(f"/api/v1/units/{u[1]}/check-in", json={}))  # late: it was overdue
    login(client, "viewer")
    html = client.get("/loans", params={"closed": "true"}, headers=HTML).text
    assert '<a href="/loans?closed=true" aria-current="page">Closed</a>' in html
    rows = rows_of(html)
    assert len(rows) == 3
    assert u[1] in rows[0] and "Dana Whitfield" in rows[0] and ">late<" in rows[0]
    assert "Extension cord" in rows[1] and "no due date" in rows[1]
    assert u[2] in rows[2] and "Sam Ortiz" in rows[2] and ">late<" not in rows[2]
    assert "Returned" in html and "overdue" not in html.split("<tbody>", 1)[1]
    only_sam = client.get("/loans", params={"closed": "true", "person": out["sam"]["tag"]},
                          headers=HTML).text
    assert len(rows_of(only_sam)) == 2
    api = f.ok(admin.get("/api/v1/loans", params={"closed": "true"}))
    assert api["total"] == 3
    first = api["loans"][0]
    assert first["unit"]["tag"] == u[1] and first["overdue"] is False
    assert first["due_at"] < first["lent_at"] < first["returned_at"]  # lent already late
    # the open list no longer has them
    assert {x["unit"]["tag"] for x in f.ok(admin.get("/api/v1/loans"))["loans"]} == {u[0]}


def test_the_csv_export_holds_the_filtered_list_with_iso_utc_times(client, out, monkeypatch):
    monkeypatch.setattr(pages_loans, "CSV_CHUNK", 2)  # several chunks: the stream pages on
    login(client, "viewer")
    html = client.get("/loans", params={"item": str(out["drill"]["id"])}, headers=HTML).text
    href = re.search(r'<a href="([^"]+)" download>Export CSV</a>', html).group(1)
    assert href == f"/loans.csv?item={out['drill']['id']}"
    answer = client.get(href)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="loans-open-' in answer.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0] == list(pages_loans.CSV_HEADER)
    assert [r[1] for r in table[1:]] == [out["units"][1], out["units"][2], out["units"][0]]
    row = dict(zip(table[0], table[1], strict=True))
    assert row["person"] == "Dana Whitfield" and row["overdue"] == "yes"
    for key in ("since", "due"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", row[key]), row
    everything = list(csv.reader(io.StringIO(client.get("/loans.csv").text)))
    assert len(everything) == 5 and everything[-1][4] == "Extension cord"


def test_the_csv_export_does_not_let_a_spreadsheet_run_a_name(client, admin):
    shelf = f.location(admin)
    evil = f.person(admin, "=HYPERLINK(\"http://x\")")
    item = f.item(admin, "serial", name="@SUM(A1)")
    [unit] = f.units(admin, item["id"], shelf["tag"])
    f.ok(admin.post(f"/api/v1/units/{unit['tag']}/check-out", json={"person": evil["tag"]}))
    login(client, "viewer")
    table = list(csv.reader(io.StringIO(client.get("/loans.csv").text)))
    row = dict(zip(table[0], table[1], strict=True))
    assert row["person"] == "'=HYPERLINK(\"http://x\")" and row["item"] == "'@SUM(A1)"


def test_a_bad_filter_is_refused_before_any_csv(client, out):
    login(client, "viewer")
    answer = client.get("/loans.csv", params={"person": "nobody"}, headers=HTML)
    assert answer.status_code in (404, 422)
    assert not answer.headers["content-type"].startswith("text/csv")


def test_a_person_page_returns_a_unit_in_one_tap(client, admin, out):
    dana, u = out["dana"], out["units"]
    login(client, "operator")
    page = f"/people/{dana['tag']}"
    html = client.get(page, headers=HTML).text
    forms = re.findall(rf'<form method="post" action="{page}/check-in"[^>]*>(.*?)</form>',
                       html, re.S)
    assert len(forms) == 2  # one for each of Dana's units, the overdue one first
    assert f'name="unit" value="{u[1]}"' in forms[0] and f'value="{u[0]}"' in forms[1]
    answer = client.post(f"{page}/check-in", data={"csrf": csrf_of(html), "unit": u[0]},
                         headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == page
    assert f"{u[0]} is back from Dana Whitfield." in client.get(page, headers=HTML).text
    unit = f.ok(admin.get(f"/api/v1/units/{u[0]}"))
    assert unit["status"] == "available" and unit["custodian"] is None


def test_a_stale_return_tap_never_takes_a_unit_from_someone_else(client, admin, out):
    dana, sam, u = out["dana"], out["sam"], out["units"]
    login(client, "operator")
    page = f"/people/{dana['tag']}"
    token = csrf_of(client.get(page, headers=HTML).text)
    f.ok(admin.post(f"/api/v1/units/{u[0]}/check-in", json={}))  # meanwhile, at the desk
    f.ok(admin.post(f"/api/v1/units/{u[0]}/check-out", json={"person": sam["tag"]}))
    answer = client.post(f"{page}/check-in", data={"csrf": token, "unit": u[0]}, headers=HTML,
                         follow_redirects=False)
    assert answer.status_code == 422  # the person page again, with the reason at the row
    assert f"{u[0]} is no longer checked out to Dana Whitfield" in answer.text
    assert f.ok(admin.get(f"/api/v1/units/{u[0]}"))["custodian"]["tag"] == sam["tag"]


def test_returning_needs_an_operator_and_the_csrf_token(client, admin, out):
    dana, u = out["dana"], out["units"]
    page = f"/people/{dana['tag']}"
    login(client, "viewer")
    html = client.get(page, headers=HTML).text
    assert "/check-in" not in html
    answer = client.post(f"{page}/check-in", data={"csrf": csrf_of(html), "unit": u[0]},
                         headers=HTML, follow_redirects=False)
    assert answer.status_code == 403
    login(client, "operator")
    answer = client.post(f"{page}/check-in", data={"unit": u[0]}, headers=HTML,
                         follow_redirects=False)
    assert answer.status_code == 403
    assert f.ok(admin.get(f"/api/v1/units/{u[0]}"))["status"] == "checked_out"

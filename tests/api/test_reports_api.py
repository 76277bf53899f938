"""The stock, value, loan and shrinkage reports through the API: figures, filters, and
exports that hold exactly the JSON's rows."""

import csv
import datetime as dt
import io

import openpyxl

from tests.factories import item, location, ok, person, problem, receive, units


def _report(api, name, **params):
    return ok(api.get(f"/api/v1/reports/{name}", params=params))


def _csv_rows(api, name, **params):
    answer = api.get(f"/api/v1/reports/{name}", params={**params, "format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def _xlsx_rows(api, name, **params):
    answer = api.get(f"/api/v1/reports/{name}", params={**params, "format": "xlsx"})
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def _same_rows(api, name, **params):
    body = _report(api, name, limit=500, **params)
    keys = [c["key"] for c in body["columns"]]
    headers = [c["header"] for c in body["columns"]]
    text = _csv_rows(api, name, **params)
    sheet = _xlsx_rows(api, name, **params)
    assert text[0] == headers and list(sheet[0]) == headers
    assert len(text) - 1 == len(sheet) - 1 == body["total"] == len(body["rows"])
    for row, line, cells in zip(body["rows"], text[1:], sheet[1:], strict=True):
        for key, written, cell in zip(keys, line, cells, strict=True):
            value = row[key]
            if value is None:
                assert written == "" and cell in (None, "")
            elif isinstance(value, int | float):
                assert float(written) == value and float(cell) == value
            else:  # CSV writes a UTC moment with Z, JSON with +00:00
                assert written.replace("Z", "+00:00") == str(value)
    return body


def test_low_stock_lists_items_at_or_below_their_reorder_point_with_an_order(manager):
    shelf = location(manager, "Low shelf")
    beans = item(manager, sku="RPT-BEANS", category="Coffee", reorder_point=10,
                 unit_cost="18.50")
    cups = item(manager, sku="RPT-CUPS", category="Coffee", reorder_point=5)
    item(manager, sku="RPT-NONE", reorder_point=None)
    receive(manager, beans["id"], shelf["tag"], 4)
    receive(manager, cups["id"], shelf["tag"], 50)
    body = _same_rows(manager, "low-stock")
    assert [r["sku"] for r in body["rows"]] == ["RPT-BEANS"]
    row = body["rows"][0]
    assert (row["on_hand"], row["reorder_point"], row["suggested"]) == (4, 10, 16)
    assert row["order_cost"] == "296.00"
    per_place = _report(manager, "low-stock", by="location")["rows"]
    assert [(r["sku"], r["location"]) for r in per_place] == [("RPT-BEANS", "Low shelf")]


def test_low_stock_counts_units_and_an_item_with_nothing_is_at_zero(manager):
    shelf = location(manager)
    drills = item(manager, "serial", sku="RPT-DRILL", reorder_point=2)
    item(manager, "serial", sku="RPT-EMPTY", reorder_point=0)
    units(manager, drills["id"], shelf["tag"], count=2)
    rows = _report(manager, "low-stock")["rows"]
    assert {r["sku"]: r["on_hand"] for r in rows} == {"RPT-DRILL": 2, "RPT-EMPTY": 0}


def test_stock_value_by_item_category_and_location_with_filters(manager):
    site = location(manager, "Site V")
    room = location(manager, "Room V", parent=site["tag"])
    other = location(manager, "Elsewhere V")
    beans = item(manager, sku="VAL-BEANS", category="Coffee", unit_cost="10.00")
    laptops = item(manager, "serial", sku="VAL-LAP", category="IT", unit_cost="900.00")
    receive(manager, beans["id"], room["tag"], 3)
    receive(manager, beans["id"], other["tag"], 2)
    made = units(manager, laptops["id"], room["tag"], count=3, purchase_cost="1000.00")
    ok(manager.post(f"/api/v1/units/{made[2]['tag']}/status", json={"status": "lost"}))
    body = _same_rows(manager, "stock-value")
    assert {r["sku"]: (r["quantity"], r["value"]) for r in body["rows"]} == {
        "VAL-BEANS": (5, "50.00"), "VAL-LAP": (2, "2000.00")}
    assert body["totals"]["value"] == "2050.00"
    cats = _report(manager, "stock-value", by="category")["rows"]
    assert [(r["category"], r["value"]) for r in cats] == [("IT", "2000.00"),
                                                          ("Coffee", "50.00")]
    inside = _report(manager, "stock-value", by="location", location=site["tag"])["rows"]
    assert [(r["location"], r["quantity"]) for r in inside] == [("Room V", 5)]
    only = _report(manager, "stock-value", item="VAL-BEANS", category="Coffee")["rows"]
    assert [r["value"] for r in only] == ["50.00"]


def test_stock_value_as_of_yesterday_is_before_today_s_receipts(manager):
    shelf = location(manager)
    item(manager, sku="VAL-NEW", unit_cost="2.00")
    receive(manager, "VAL-NEW", shelf["tag"], 7)
    today = dt.datetime.now(dt.UTC).date()
    now = _report(manager, "stock-value", as_of=today.isoformat())["rows"]
    assert [(r["sku"], r["quantity"]) for r in now] == [("VAL-NEW", 7)]
    before = _report(manager, "stock-value", as_of=(today - dt.timedelta(days=1)).isoformat())
    assert before["rows"] == []
    problem(manager.get("/api/v1/reports/stock-value",
                        params={"as_of": (today + dt.timedelta(days=2)).isoformat()}), 422, "as_of")


def test_overdue_loans_without_due_dates_and_loans_by_person(manager):
    shelf = location(manager)
    drills = item(manager, "serial", sku="LN-DRILL")
    made = units(manager, drills["id"], shelf["tag"], count=3)
    ana, ben = person(manager, "Ana Overdue"), person(manager, "Ben Nodate")
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3, hours=2)).isoformat()
    ok(manager.post(f"/api/v1/units/{made[0]['tag']}/check-out",
                    json={"person": ana["id"], "due_at": past, "allow_past_due": True}))
    ok(manager.post(f"/api/v1/units/{made[1]['tag']}/check-out", json={"person": ana["id"]}))
    ok(manager.post(f"/api/v1/units/{made[1]['tag']}/check-in", json={}))
    late = _same_rows(manager, "overdue")["rows"]
    assert [(r["person"], r["days_overdue"]) for r in late] == [("Ana Overdue", 3)]
    people = {r["person"]: r for r in _same_rows(manager, "loans-by-person")["rows"]}
    assert people["Ana Overdue"]["check_outs"] == 2
    assert people["Ana Overdue"]["returns"] == 1 and people["Ana Overdue"]["overdue_now"] == 1
    cords = item(manager, sku="LN-CORDS", loan_days=0)  # lent with no due date
    receive(manager, cords["id"], shelf["tag"], 5)
    ok(manager.post("/api/v1/loans/lend", json={"item": cords["id"], "location": shelf["tag"],
                                               "person": ben["id"], "quantity": 2}))
    rows = _same_rows(manager, "no-due-date")["rows"]
    assert [(r["person"], r["quantity"]) for r in rows] == [("Ben Nodate", 2)]


def test_repairs_lists_units_in_repair_or_needing_repair(manager):
    shelf = location(manager)
    kit = item(manager, "serial", sku="RP-KIT", category="Tools")
    made = units(manager, kit["id"], shelf["tag"], count=3)
    ok(manager.post(f"/api/v1/units/{made[0]['tag']}/status", json={"status": "in_repair"}))
    ok(manager.post(f"/api/v1/units/{made[1]['tag']}/condition",
                    json={"condition": "needs_repair"}))
    rows = _same_rows(manager, "repairs", category="Tools")["rows"]
    assert sorted(r["tag"] for r in rows) == sorted([made[0]["tag"], made[1]["tag"]])


def test_shrinkage_counts_adjustments_down_and_lost_units_in_value(manager):
    shelf = location(manager, "Shrink shelf")
    ties = item(manager, sku="SH-TIES", unit_cost="0.50")
    receive(manager, ties["id"], shelf["tag"], 100)
    ok(manager.post("/api/v1/stock/adjust", json={"item": ties["id"], "location": shelf["tag"],
                                                 "counted": 90, "reason": "count"}))
    ok(manager.post("/api/v1/stock/adjust", json={"item": ties["id"], "location": shelf["tag"],
                                                 "counted": 95, "reason": "found some"}))
    laptops = item(manager, "serial", sku="SH-LAP", unit_cost="800.00")
    lost = units(manager, laptops["id"], shelf["tag"], count=1)[0]
    ok(manager.post(f"/api/v1/units/{lost['tag']}/status", json={"status": "lost"}))
    body = _same_rows(manager, "shrinkage")
    rows = {r["sku"]: r for r in body["rows"]}
    assert (rows["SH-TIES"]["quantity"], rows["SH-TIES"]["value"]) == (10, "5.00")
    assert (rows["SH-LAP"]["quantity"], rows["SH-LAP"]["value"]) == (1, "800.00")
    assert rows["SH-LAP"]["location"] == "Shrink shelf"
    old = _report(manager, "shrinkage", start="2020-01-01", end="2020-02-01")
    assert old["rows"] == []


def test_bad_filters_name_their_field(viewer):
    problem(viewer.get("/api/v1/reports/low-stock", params={"start": "yesterday"}), 422, "start")
    problem(viewer.get("/api/v1/reports/shrinkage",
                       params={"start": "2026-02-01", "end": "2026-01-01"}), 422, "start")
    problem(viewer.get("/api/v1/reports/low-stock", params={"format": "pdf"}), 422, "format")
    problem(viewer.get("/api/v1/reports/low-stock", params={"location": "L-NOPE"}), 404)
    problem(viewer.get("/api/v1/reports/stock-value", params={"by": "colour"}), 422, "by")
    assert viewer.get("/api/v1/reports/nothing").status_code == 404


def test_report_pages_show_rows_a_chart_and_export_links(manager):
    shelf = location(manager)
    item(manager, sku="PG-BEANS", category="Coffee", unit_cost="4.00", reorder_point=50)
    receive(manager, "PG-BEANS", shelf["tag"], 5)
    index = manager.get("/reports", headers={"accept": "text/html"})
    assert index.status_code == 200
    for href in ("/reports/low-stock", "/reports/stock-value", "/reports/utilization",
                 "/reports/advisor", "/reports/shrinkage"):
        assert f'href="{href}"' in index.text
    for name in ("low-stock", "stock-value", "loans-by-person", "overdue", "no-due-date",
                 "repairs", "shrinkage"):
        answer = manager.get(f"/reports/{name}", headers={"accept": "text/html"})
        assert answer.status_code == 200, (name, answer.text[:300])
        assert "format=csv" in answer.text and "format=xlsx" in answer.text
    value = manager.get("/reports/stock-value", params={"by": "category"},
                        headers={"accept": "text/html"})
    assert 'role="img"' in value.text and "Coffee" in value.text
    sheet = manager.get("/reports/low-stock", params={"format": "csv"})
    assert "PG-BEANS" in sheet.content.decode("utf-8-sig")


def test_value_on_a_past_date_over_too_many_units_is_refused_until_narrowed(manager,
                                                                           monkeypatch):
    from server.services import reports as service

    monkeypatch.setattr(service, "AS_OF_MOST_UNITS", 2)
    shelf = location(manager)
    many = item(manager, "serial", sku="AO-MANY")
    units(manager, many["id"], shelf["tag"], count=2)
    one = item(manager, "serial", sku="AO-ONE", unit_cost="5.00")
    units(manager, one["id"], shelf["tag"], count=1)
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    refused = problem(manager.get("/api/v1/reports/stock-value", params={"as_of": yesterday}),
                      422, "as_of")
    assert "choose a category or an item" in refused["detail"]
    narrowed = _report(manager, "stock-value", as_of=yesterday, item="AO-ONE")
    assert narrowed["rows"] == []  # made today: none of it yesterday


def test_a_paged_report_counts_every_row(manager):
    shelf = location(manager)
    kit = item(manager, "serial", sku="PG-KIT")
    made = units(manager, kit["id"], shelf["tag"], count=3)
    for unit in made:
        ok(manager.post(f"/api/v1/units/{unit['tag']}/status", json={"status": "in_repair"}))
    page = _report(manager, "repairs", limit=1, offset=1)
    assert page["total"] == 3 and [r["tag"] for r in page["rows"]] == [made[1]["tag"]]

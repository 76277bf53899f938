"""The tracking advisor over the API: each of the six questions answered from real data,
both reports with their filters and exports, and a suggestion's plan applied through the
existing conversion (the fixture's `verify` runs after every test)."""

import csv
import io

import openpyxl

from tests.factories import item, location, ok, on_hand, person, problem, receive, units


def advice(api, item_id, **params):
    return ok(api.get(f"/api/v1/items/{item_id}/advice", params=params))


def answers(api, item_id):
    return {a["question"]: a for a in advice(api, item_id)["answers"]}


def report(api, **params):
    return ok(api.get("/api/v1/reports/advisor", params=params))


def skus(page):
    return [r["item"]["sku"] for r in page["rows"]]


def lend(api, item_id, where, who, quantity):
    return ok(api.post("/api/v1/loans/lend", json={"item": item_id, "location": where,
                                                   "person": who, "quantity": quantity}), 201)


def test_a_costly_counted_item_is_high_value_and_should_be_serialized(manager, operator):
    shelf = location(manager)
    laptops = item(manager, unit_cost="1850")
    receive(operator, laptops["id"], shelf["tag"], 12)
    got = advice(manager, laptops["id"])
    high = {a["question"]: a for a in got["answers"]}["high_value"]
    assert high["yes"] and "1,850.00" in high["evidence"]
    assert got["recommendation"] == "serial" and got["suggestion"] == "serial"
    assert got["direction"] == "under"
    assert laptops["sku"] in skus(report(manager, direction="under"))


def test_nothing_to_say_about_cheap_idle_counted_stock(manager, operator):
    shelf = location(manager)
    ties = item(manager, unit_cost="0.05")
    receive(operator, ties["id"], shelf["tag"], 400)
    got = advice(manager, ties["id"])
    assert not any(a["yes"] for a in got["answers"])
    assert got["recommendation"] == "quantity" and got["suggestion"] is None
    assert report(manager)["total"] == 0


def test_units_with_serials_are_identified(manager):
    shelf = location(manager)
    scopes = item(manager, tracking="serial")
    units(manager, scopes["id"], shelf["tag"], serials=["SN1", "SN2"])
    units(manager, scopes["id"], shelf["tag"], count=1)
    got = answers(manager, scopes["id"])["identified"]
    assert got["yes"] and got["evidence"] == "2 of 3 units have serials"


def test_quantities_lent_make_a_counted_item_loaned(manager, operator):
    shelf = location(manager)
    ana, bo = person(manager), person(manager)
    cords = item(manager, unit_cost="12")
    receive(operator, cords["id"], shelf["tag"], 40)
    lend(operator, cords["id"], shelf["tag"], ana["tag"], 5)
    lend(operator, cords["id"], shelf["tag"], bo["tag"], 3)
    got = advice(manager, cords["id"])
    loaned = {a["question"]: a for a in got["answers"]}["loaned"]
    assert loaned["yes"]
    assert loaned["evidence"] == "lent twice in 90 days to 2 people (8 pieces as quantities)"
    assert got["suggestion"] == "serial" and "lent as quantities twice" in got["suggestion_why"]
    # quantities out with people: the conversion refuses, and so does the plan
    plan = ok(manager.get(f"/api/v1/items/{cords['id']}/conversion-plan"))
    assert plan["refused_code"] == "quantity_on_loan" and "lent to people" in plan["refused"]


def test_unit_check_outs_count_as_loans(manager, operator):
    shelf = location(manager)
    ana = person(manager)
    drills = item(manager, tracking="serial")
    tag = units(manager, drills["id"], shelf["tag"])[0]["tag"]
    for _ in range(3):
        ok(operator.post(f"/api/v1/units/{tag}/check-out", json={"person": ana["tag"]}), 201)
        ok(operator.post(f"/api/v1/units/{tag}/check-in", json={}), 201)
    loaned = answers(manager, drills["id"])["loaned"]
    assert loaned["yes"] and loaned["evidence"] == "lent 3 times in 90 days to 1 person"


def test_condition_changes_and_repairs_make_it_condition_dependent(manager, operator):
    shelf = location(manager)
    saws = item(manager, tracking="serial")
    tag = units(manager, saws["id"], shelf["tag"])[0]["tag"]
    ok(operator.post(f"/api/v1/units/{tag}/condition", json={"condition": "needs_repair"}), 201)
    ok(operator.post(f"/api/v1/units/{tag}/status", json={"status": "in_repair"}), 201)
    got = answers(manager, saws["id"])["condition"]
    assert got["yes"]
    assert got["evidence"] == ("1 condition change and 1 repair in 90 days; "
                               "1 unit in repair or needing it now")


def test_a_unit_under_warranty(manager):
    shelf = location(manager)
    printers = item(manager, tracking="serial")
    units(manager, printers["id"], shelf["tag"], warranty_end="2099-03-01")
    units(manager, printers["id"], shelf["tag"], warranty_end="2001-03-01")
    got = answers(manager, printers["id"])["warranty"]
    assert got["yes"] and got["evidence"] == "1 unit under warranty (the last until 2099-03-01)"


def test_regulated_alone_leans_to_lots(manager, operator):
    shelf = location(manager)
    gloves = item(manager, regulated=True, unit_cost="2")
    receive(operator, gloves["id"], shelf["tag"], 100)
    got = advice(manager, gloves["id"])
    assert [a["question"] for a in got["answers"] if a["yes"]] == ["regulated"]
    assert got["recommendation"] == "lot" and got["suggestion"] == "lot"
    serum = item(manager, tracking="lot")
    receive(operator, serum["id"], shelf["tag"], 5, lot="L1", expires_on="2030-01-01")
    regulated = answers(manager, serum["id"])["regulated"]
    assert regulated["evidence"] == "tracked by lot; 1 lot with an expiry date"
    assert advice(manager, serum["id"])["suggestion"] is None  # a lot item stays a lot


def test_the_regulated_flag_is_kept_and_can_be_changed(manager):
    thing = item(manager, regulated=True)
    assert thing["regulated"] is True
    changed = ok(manager.patch(f"/api/v1/items/{thing['id']}", json={"regulated": False}))
    assert changed["regulated"] is False
    assert not answers(manager, thing["id"])["regulated"]["yes"]


def test_a_counted_item_that_keeps_shrinking_should_be_serialized(manager, operator):
    shelf = location(manager)
    phones = item(manager, unit_cost="300")
    receive(operator, phones["id"], shelf["tag"], 20)
    for counted in (18, 16):
        ok(operator.post("/api/v1/stock/adjust", json={
            "item": phones["id"], "location": shelf["tag"], "counted": counted,
            "reason": "count"}), 201)
    got = advice(manager, phones["id"])
    assert got["shrink"] == {"times": 2, "quantity": 4, "value": "1200.00"}
    assert got["suggestion"] == "serial"
    assert "4 pieces worth 1,200.00 lost in 2 counts over 90 days" in got["suggestion_why"]


def test_cheap_serialized_units_nobody_handles_one_by_one_should_be_counted(manager, operator):
    a, b = location(manager, "A"), location(manager, "B")
    ties = item(manager, tracking="serial", unit_cost="0.05", category="Consumables")
    units(manager, ties["id"], a["tag"], count=3)
    units(manager, ties["id"], b["tag"], count=2)
    page = report(manager, direction="over")
    assert skus(page) == [ties["sku"]]
    row = page["rows"][0]
    assert row["suggestion"] == "quantity" and row["direction"] == "over"
    assert row["suggestion_why"].startswith("All 5 units move together")
    # one unit moved on its own: someone handles them one by one
    tag = ok(manager.get("/api/v1/units", params={"item": str(ties["id"])}))["units"][0]["tag"]
    ok(operator.post(f"/api/v1/units/{tag}/move", json={"location": b["tag"]}), 201)
    assert report(manager, direction="over")["total"] == 0
    assert advice(manager, ties["id"])["recommendation"] == "quantity"


def test_report_filters_by_category_location_item_and_direction(manager, operator):
    a, b = location(manager, "A"), location(manager, "B")
    inner = location(manager, "A1", parent=a["tag"])
    ties = item(manager, tracking="serial", unit_cost="0.05", category="Consumables")
    units(manager, ties["id"], inner["tag"], count=2)
    laptops = item(manager, unit_cost="2000", category="IT")
    receive(operator, laptops["id"], b["tag"], 3)
    assert set(skus(report(manager))) == {ties["sku"], laptops["sku"]}
    assert skus(report(manager, category="IT")) == [laptops["sku"]]
    assert skus(report(manager, location=a["tag"])) == [ties["sku"]]  # the subtree of A
    assert skus(report(manager, item=laptops["sku"])) == [laptops["sku"]]
    assert skus(report(manager, direction="under")) == [laptops["sku"]]
    assert report(manager, limit=1)["total"] == 2 and len(report(manager, limit=1)["rows"]) == 1
    problem(manager.get("/api/v1/reports/advisor", params={"direction": "sideways"}), 422,
            "direction")
    problem(manager.get("/api/v1/reports/advisor", params={"format": "pdf"}), 422,
            "format")


def test_exports_hold_exactly_the_filtered_rows(manager, operator):
    shelf = location(manager)
    ties = item(manager, tracking="serial", unit_cost="0.05", category="Consumables")
    units(manager, ties["id"], shelf["tag"], count=2)
    laptops = item(manager, unit_cost="2000", category="IT")
    receive(operator, laptops["id"], shelf["tag"], 3)
    got = manager.get("/api/v1/reports/advisor",
                      params={"category": "IT", "format": "csv"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["SKU", "Name", "Category", "Tracking", "Suggestion"]
    assert [r[0] for r in rows[1:]] == [laptops["sku"]] and rows[1][4] == "serial"
    got = manager.get("/api/v1/reports/advisor",
                      params={"direction": "over", "format": "xlsx"})
    assert got.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(got.content), read_only=True).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert [v[0] for v in values[1:]] == [ties["sku"]]


def test_plan_then_apply_collapses_units_into_counts(manager, operator):
    a, b = location(manager, "A"), location(manager, "B")
    ties = item(manager, tracking="serial", unit_cost="0.05")
    units(manager, ties["id"], a["tag"], count=3)
    units(manager, ties["id"], b["tag"], count=2)
    plan = ok(manager.get(f"/api/v1/items/{ties['id']}/conversion-plan"))
    assert plan["target"] == "quantity" and plan["refused"] is None
    assert {(x["location"]["tag"], x["quantity"]) for x in plan["lines"]} == {
        (a["tag"], 3), (b["tag"], 2)}
    assert plan["units_collapsed"] == 5 and "Nothing is lost" in plan["history"]
    problem(operator.post(f"/api/v1/items/{ties['id']}/conversion-plan",
                          json={"tracking": "quantity", "confirm": True}), 403)
    problem(manager.post(f"/api/v1/items/{ties['id']}/conversion-plan",
                         json={"tracking": "quantity"}), 422, "confirm")
    done = ok(manager.post(f"/api/v1/items/{ties['id']}/conversion-plan",
                           json={"tracking": "quantity", "confirm": True}))
    assert done["units_collapsed"] == 5 and done["new_tags"] is None
    assert on_hand(manager, ties["id"], a["tag"]) == 3
    assert on_hand(manager, ties["id"], b["tag"]) == 2
    assert advice(manager, ties["id"])["suggestion"] is None


def test_plan_then_apply_makes_units_with_tags_to_print(manager, operator):
    a, b = location(manager, "A"), location(manager, "B")
    laptops = item(manager, unit_cost="2000")
    receive(operator, laptops["id"], a["tag"], 2)
    receive(operator, laptops["id"], b["tag"], 1)
    plan = ok(manager.get(f"/api/v1/items/{laptops['id']}/conversion-plan"))
    assert plan["target"] == "serial"
    assert plan["tags_to_print"] == plan["serials_pending"] == plan["units_created"] == 3
    assert {(x["location"]["tag"], x["new_units"]) for x in plan["lines"]} == {
        (a["tag"], 2), (b["tag"], 1)}
    done = ok(manager.post(f"/api/v1/items/{laptops['id']}/conversion-plan",
                           json={"tracking": "serial", "confirm": True}))
    assert done["units_created"] == 3
    made = ok(manager.get("/api/v1/units", params={"item": str(laptops["id"])}))["units"]
    assert sorted(u["tag"] for u in made)[0] == done["new_tags"]["first"]
    assert sorted(u["tag"] for u in made)[-1] == done["new_tags"]["last"]
    assert done["labels_url"].startswith(f"/labels?item={laptops['sku']}&first=")
    assert manager.get(done["labels_url"]).status_code == 200
    assert ok(manager.get(f"/api/v1/items/{laptops['id']}"))["count"] == 3


def test_the_plan_shows_the_conversions_refusal_for_checked_out_units(manager, operator):
    shelf = location(manager)
    ana = person(manager, "Ana")
    ties = item(manager, tracking="serial", unit_cost="0.05")
    tag = units(manager, ties["id"], shelf["tag"], count=2)[0]["tag"]
    ok(operator.post(f"/api/v1/units/{tag}/check-out", json={"person": ana["tag"]}), 201)
    plan = ok(manager.get(f"/api/v1/items/{ties['id']}/conversion-plan",
                          params={"tracking": "quantity"}))
    assert plan["refused_code"] == "units_checked_out"
    assert plan["checked_out"][0]["tag"] == tag and plan["checked_out"][0]["custodian"] == "Ana"
    problem(manager.post(f"/api/v1/items/{ties['id']}/conversion-plan",
                         json={"tracking": "quantity", "confirm": True}), 409)


def test_no_plan_without_a_suggestion(manager, operator):
    shelf = location(manager)
    ties = item(manager, unit_cost="0.05")
    receive(operator, ties["id"], shelf["tag"], 10)
    problem(manager.get(f"/api/v1/items/{ties['id']}/conversion-plan"), 409)


def test_the_report_follows_every_change_at_once(manager, operator):
    """The report's figures are kept between requests and brought up to date from the
    events written since (services/advisor_cache.py): a change shows at once."""
    shelf = location(manager)
    laptops = item(manager, unit_cost="20")
    receive(operator, laptops["id"], shelf["tag"], 3)
    assert report(manager)["total"] == 0
    ok(manager.patch(f"/api/v1/items/{laptops['id']}", json={"unit_cost": "2000"}))
    assert skus(report(manager)) == [laptops["sku"]]
    ok(manager.patch(f"/api/v1/items/{laptops['id']}", json={"archived": True}))
    assert report(manager)["total"] == 0
    problem(manager.get(f"/api/v1/items/{laptops['id']}/advice"), 409)
    problem(manager.get("/api/v1/items/999999/advice"), 404)


def test_a_counted_item_scanned_with_serials_in_its_barcode_is_identified(manager, operator):
    cables = item(manager, barcodes=["4006381333931"], unit_cost="9")
    for serial in ("A1", "A2"):
        answer = ok(operator.post("/api/v1/scans",
                                  json={"code": f"(01)04006381333931(21){serial}"}))
        assert answer["resolved"]["kind"] == "item", answer
    got = answers(manager, cables["id"])["identified"]
    assert got["yes"]
    assert got["evidence"] == "its barcode was scanned with a serial number twice"
    assert advice(manager, cables["id"])["suggestion"] == "serial"

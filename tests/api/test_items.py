"""Items: create, edit, uniqueness, barcodes, custom field definitions, listing."""

from tests.factories import (
    event_count,
    item,
    location,
    ok,
    person,
    problem,
    receive,
    units,
)

EAN13 = "4006381333931"
UPC_A = "036000291452"
GTIN14 = "10012345678902"


def test_an_item_is_created_with_every_field_and_read_back(manager):
    created = item(
        manager, sku="DRL-18V", name="Cordless drill", tracking="serial",
        description="18 V, two batteries", category="Tools", unit_of_measure="each",
        barcodes=[EAN13, UPC_A], reorder_point=2, unit_cost="129.90",
        custom_fields=[
            {"key": "voltage", "type": "number", "label": "Voltage", "required": True},
            {"key": "colour", "type": "choice", "choices": ["red", "blue"]},
            {"key": "note", "type": "text"},
            {"key": "calibrated_on", "type": "date"},
            {"key": "insured", "type": "boolean"},
        ])
    read = ok(manager.get(f"/api/v1/items/{created['id']}"))
    assert read == created
    assert read["sku"] == "DRL-18V" and read["tracking"] == "serial"
    assert read["category"] == "Tools" and read["unit_cost"] == "129.90"
    assert read["reorder_point"] == 2 and read["archived"] is False
    assert len(read["barcodes"]) == 2
    assert [d["key"] for d in read["custom_fields"]] == [
        "voltage", "colour", "note", "calibrated_on", "insured"]
    assert read["custom_fields"][0]["required"] is True
    assert read["count"] == 0 and read["available_count"] == 0


def test_a_sku_is_unique_whatever_its_case(manager):
    item(manager, sku="CBL-USB-C")
    before = event_count(manager)
    answer = manager.post("/api/v1/items", json={"sku": "cbl-usb-c", "name": "Other"})
    problem(answer, 409, "sku")
    assert event_count(manager) == before


def test_renaming_a_sku_onto_another_items_sku_is_refused(manager):
    item(manager, sku="A-1")
    other = item(manager, sku="B-1")
    answer = manager.patch(f"/api/v1/items/{other['id']}", json={"sku": "a-1"})
    problem(answer, 409, "sku")
    assert ok(manager.get(f"/api/v1/items/{other['id']}"))["sku"] == "B-1"


def test_an_item_carries_ean_upc_and_gtin14_barcodes(manager):
    made = item(manager, barcodes=[EAN13, UPC_A, GTIN14])
    assert len(made["barcodes"]) == 3
    assert all(len(code) == 14 for code in made["barcodes"])


def test_a_barcode_with_a_bad_check_digit_is_refused_naming_barcodes(manager):
    before = event_count(manager)
    answer = manager.post("/api/v1/items", json={"sku": "X-1", "name": "X",
                                                 "barcodes": ["4006381333932"]})
    problem(answer, 422, "barcodes")
    assert event_count(manager) == before
    assert ok(manager.get("/api/v1/items"))["total"] == 0


def test_a_barcode_of_another_item_is_refused(manager):
    item(manager, barcodes=[EAN13])
    answer = manager.post("/api/v1/items", json={"sku": "X-2", "name": "X",
                                                 "barcodes": ["0" + EAN13]})
    problem(answer, 409, "barcodes")


def test_an_item_is_edited_field_by_field_and_its_version_grows(manager):
    made = item(manager)
    edited = ok(manager.patch(f"/api/v1/items/{made['id']}", json={
        "name": "Zip ties 200 mm", "description": "black", "category": "Consumables",
        "unit_of_measure": "bag", "reorder_point": 10, "unit_cost": 3.5,
        "barcodes": [UPC_A], "archived": True, "version": made["version"]}))
    assert edited["name"] == "Zip ties 200 mm" and edited["unit_of_measure"] == "bag"
    assert edited["unit_cost"] == "3.50" and edited["archived"] is True
    assert edited["barcodes"] == ["00" + UPC_A]
    assert edited["version"] > made["version"]


def test_an_edit_with_a_stale_version_is_refused_and_changes_nothing(manager):
    made = item(manager, name="Before")
    ok(manager.patch(f"/api/v1/items/{made['id']}", json={"name": "First edit"}))
    before = event_count(manager)
    answer = manager.patch(f"/api/v1/items/{made['id']}",
                           json={"name": "Second edit", "version": made["version"]})
    problem(answer, 409)
    assert ok(manager.get(f"/api/v1/items/{made['id']}"))["name"] == "First edit"
    assert event_count(manager) == before


def test_tracking_cannot_be_changed_by_an_edit(manager):
    made = item(manager)
    problem(manager.patch(f"/api/v1/items/{made['id']}", json={"tracking": "serial"}), 422,
            "tracking")


def test_custom_field_definitions_are_checked(manager):
    bad_type = manager.post("/api/v1/items", json={
        "sku": "CF-1", "name": "x", "custom_fields": [{"key": "a", "type": "colour"}]})
    assert problem(bad_type, 422)["field"].endswith(".type")
    no_choices = manager.post("/api/v1/items", json={
        "sku": "CF-2", "name": "x", "custom_fields": [{"key": "a", "type": "choice"}]})
    assert problem(no_choices, 422)["field"].endswith(".choices")
    twice = manager.post("/api/v1/items", json={
        "sku": "CF-3", "name": "x",
        "custom_fields": [{"key": "a", "type": "text"}, {"key": "a", "type": "number"}]})
    assert problem(twice, 422)["field"].endswith(".key")


def test_items_are_listed_by_tracking_category_and_archived(manager):
    item(manager, sku="Q-1", category="Cables")
    item(manager, sku="S-1", tracking="serial", category="Tools")
    item(manager, sku="L-1", tracking="lot", category="Cables")
    item(manager, sku="OLD-1", archived=True)

    def skus(**params):
        return [i["sku"] for i in ok(manager.get("/api/v1/items", params=params))["items"]]

    assert skus() == ["L-1", "Q-1", "S-1"]
    assert skus(tracking="serial") == ["S-1"]
    assert skus(category="Cables") == ["L-1", "Q-1"]
    assert skus(archived=True) == ["OLD-1"]
    problem(manager.get("/api/v1/items", params={"tracking": "boxes"}), 422, "tracking")


def test_the_item_search_finds_sku_name_unit_tag_and_serial(manager):
    shelf = location(manager)
    item(manager, sku="CAB-HDMI", name="HDMI cable")
    laptop = item(manager, sku="LAP-X1", name="Laptop", tracking="serial")
    unit = units(manager, laptop["id"], shelf["tag"], serials=["PF-99887"])[0]

    def found(q):
        return [i["sku"] for i in ok(manager.get("/api/v1/items", params={"q": q}))["items"]]

    assert found("cab-h") == ["CAB-HDMI"]
    assert found("hdmi cable") == ["CAB-HDMI"]
    assert found(unit["tag"]) == ["LAP-X1"]
    assert found("PF-99887") == ["LAP-X1"]


def test_the_location_filter_covers_the_whole_subtree(manager, operator):
    site = location(manager, "Site")
    room = location(manager, "Room", parent=site["tag"])
    shelf = location(manager, "Shelf", parent=room["tag"])
    other = location(manager, "Elsewhere")
    cords = item(manager, sku="CORD")
    drill = item(manager, sku="DRILL", tracking="serial")
    item(manager, sku="NOWHERE")
    receive(operator, cords["id"], shelf["tag"], 5)
    units(manager, drill["id"], other["tag"])

    def skus(ref):
        return [i["sku"] for i in
                ok(manager.get("/api/v1/items", params={"location": ref}))["items"]]

    assert skus(site["tag"]) == ["CORD"]
    assert skus(str(room["id"])) == ["CORD"]
    assert skus(other["tag"]) == ["DRILL"]


def test_low_stock_lists_items_at_or_below_their_reorder_point(manager, operator):
    shelf = location(manager)
    low = item(manager, sku="LOW", reorder_point=10)
    high = item(manager, sku="HIGH", reorder_point=10)
    item(manager, sku="NO-POINT")
    receive(operator, low["id"], shelf["tag"], 3)
    receive(operator, high["id"], shelf["tag"], 30)
    listed = ok(manager.get("/api/v1/items", params={"low_stock": True}))
    assert [i["sku"] for i in listed["items"]] == ["LOW"]
    assert listed["total"] == 1


def test_items_sort_by_sku_and_by_name_descending(manager):
    for sku, name in (("B", "Alpha"), ("A", "Charlie"), ("C", "Bravo")):
        item(manager, sku=sku, name=name)

    def order(sort):
        return [i["sku"] for i in ok(manager.get("/api/v1/items", params={"sort": sort}))["items"]]

    assert order("sku") == ["A", "B", "C"]
    assert order("-sku") == ["C", "B", "A"]
    assert order("-name") == ["A", "C", "B"]
    assert order("name") == ["B", "C", "A"]


def test_an_unknown_sort_is_refused_naming_sort(manager):
    problem(manager.get("/api/v1/items", params={"sort": "price"}), 422, "sort")


def test_items_paginate_with_limit_offset_and_total(manager):
    for n in range(5):
        item(manager, sku=f"P-{n}")
    first = ok(manager.get("/api/v1/items", params={"limit": 2}))
    second = ok(manager.get("/api/v1/items", params={"limit": 2, "offset": 2}))
    last = ok(manager.get("/api/v1/items", params={"limit": 2, "offset": 4}))
    assert first["total"] == second["total"] == last["total"] == 5
    assert [i["sku"] for i in first["items"] + second["items"] + last["items"]] == [
        f"P-{n}" for n in range(5)]
    problem(manager.get("/api/v1/items", params={"limit": 0}), 422, "limit")


def test_an_unknown_item_is_404(manager):
    problem(manager.get("/api/v1/items/999999"), 404)


def test_a_person_is_not_an_item_location(manager):
    someone = person(manager)
    made = item(manager)
    answer = manager.post("/api/v1/stock/receive", json={
        "item": made["id"], "location": someone["tag"], "quantity": 1})
    problem(answer, 422, "location")

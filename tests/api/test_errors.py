"""Bad input: a 422 problem+json naming the field, and nothing changes."""

import pytest

from server.domain.tags import Tag, TagKind
from tests.factories import (
    event_count,
    item,
    location,
    mistype,
    ok,
    on_hand,
    problem,
    receive,
    units,
)


def post_raw(api, path, body):
    return api.post(path, content=body, headers={"Content-Type": "application/json"})


def test_malformed_json_is_a_422_problem_and_changes_nothing(manager):
    before = event_count(manager)
    answer = post_raw(manager, "/api/v1/items", b'{"sku": "A-1", "name": ')
    assert problem(answer, 422)["code"] == "malformed_json"
    assert event_count(manager) == before
    assert ok(manager.get("/api/v1/items"))["total"] == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"sku": 12, "name": "x"}, "sku"),
    ({"sku": "A", "name": "x", "reorder_point": "ten"}, "reorder_point"),
    ({"sku": "A", "name": "x", "barcodes": "4006381333931"}, "barcodes"),
    ({"sku": "A", "name": "x", "archived": "yes"}, "archived"),
    ({"name": "x"}, "sku"),
    ({"sku": "A", "name": "x", "colour": "red"}, "colour"),
    ({"sku": "A", "name": "x", "custom_fields": [{"key": "k", "type": "text", "x": 1}]},
     "custom_fields[0].x"),
    ({"sku": "A", "name": "x", "custom_fields": [{"key": "k", "type": 3}]},
     "custom_fields[0].type"),
])
def test_wrong_types_missing_and_unknown_fields_are_named(manager, body, field):
    before = event_count(manager)
    problem(manager.post("/api/v1/items", json=body), 422, field)
    assert event_count(manager) == before


def test_a_patch_with_an_unknown_field_is_refused_not_ignored(manager):
    made = item(manager, name="Before")
    problem(manager.patch(f"/api/v1/items/{made['id']}", json={"nam": "After"}), 422, "nam")
    assert ok(manager.get(f"/api/v1/items/{made['id']}"))["name"] == "Before"


def test_stock_bodies_name_the_wrong_field_and_change_nothing(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    receive(operator, beans["id"], shelf["tag"], 5)
    before = event_count(operator)
    base = {"item": beans["id"], "location": shelf["tag"]}
    problem(operator.post("/api/v1/stock/consume", json={**base, "quantity": "two"}), 422,
            "quantity")
    problem(operator.post("/api/v1/stock/consume", json={**base, "quantity": 2, "qty": 2}),
            422, "qty")
    problem(operator.post("/api/v1/stock/consume", json={**base, "quantity": 2.5}), 422,
            "quantity")
    problem(operator.post("/api/v1/stock/consume", json=base), 422, "quantity")
    assert on_hand(operator, beans["id"]) == 5
    assert event_count(operator) == before


def test_an_unknown_unit_tag_is_404(manager):
    answer = problem(manager.get(f"/api/v1/units/{Tag(TagKind.UNIT, 999)}"), 404)
    assert answer["code"] == "not_found"


def test_a_mistyped_unit_tag_is_422_naming_the_tag(manager, operator):
    shelf = location(manager)
    tag = units(manager, item(manager, tracking="serial")["id"], shelf["tag"])[0]["tag"]
    before = event_count(operator)
    answer = problem(operator.get(f"/api/v1/units/{mistype(tag)}"), 422, "tag")
    assert answer["code"] == "invalid_tag" and "check digit" in answer["detail"]
    problem(operator.post(f"/api/v1/units/{mistype(tag)}/actions/retire", json={}), 422, "tag")
    assert event_count(operator) == before


def test_a_mistyped_location_tag_is_422_naming_the_field(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    answer = operator.post("/api/v1/stock/receive", json={
        "item": beans["id"], "location": mistype(shelf["tag"]), "quantity": 1})
    assert problem(answer, 422, "location")["code"] == "invalid_tag"
    assert on_hand(operator, beans["id"]) == 0


def test_an_unknown_location_is_404_naming_the_field(manager, operator):
    beans = item(manager)
    answer = operator.post("/api/v1/stock/receive", json={
        "item": beans["id"], "location": 9999, "quantity": 1})
    problem(answer, 404, "location")


def test_a_bad_query_parameter_is_named(viewer):
    problem(viewer.get("/api/v1/items", params={"limit": "many"}), 422, "limit")
    problem(viewer.get("/api/v1/items", params={"limit": 501}), 422, "limit")


def test_an_unknown_route_is_a_404_problem(viewer):
    problem(viewer.get("/api/v1/nothing-here"), 404)


def test_text_with_a_nul_character_is_refused_everywhere_and_changes_nothing(manager, operator):
    """PostgreSQL cannot store NUL in text: refused at the edge on both engines, by name."""
    shelf = location(manager, "Shelf")
    before = event_count(manager)
    problem(manager.post("/api/v1/locations", json={"name": "Bin\x00 1"}), 422, "name")
    body = {"sku": "NUL-1", "name": "x", "tracking": "serial",
            "custom_fields": [{"key": "k", "label": "K\x00", "type": "text"}]}
    problem(manager.post("/api/v1/items", json=body), 422, "custom_fields[0].label")
    answer = operator.post("/api/v1/scans", json={"code": "U-0000019\x00", "action": "move",
                                                   "location": shelf["tag"]})
    problem(answer, 422, "code")
    problem(operator.get("/api/v1/scans/lookup", params={"code": "\x00"}), 422, "query")
    problem(operator.get("/api/v1/units", params={"q": "a\x00"}), 422, "query")
    assert event_count(manager) == before
    assert ok(manager.get("/api/v1/scans"))["total"] == 0


def test_numbers_beyond_what_a_database_stores_are_refused_not_a_server_error(manager, operator):
    shelf = location(manager, "Shelf")
    screws = item(manager, name="Screws")
    before = event_count(manager)
    huge = 10**30
    answer = operator.post("/api/v1/stock/receive", json={"item": screws["id"],
                                                         "location": shelf["tag"],
                                                         "quantity": huge})
    assert "at most 1,000,000,000" in problem(answer, 422, "quantity")["detail"]
    answer = operator.post("/api/v1/stock/receive", json={"item": huge, "location": shelf["tag"],
                                                         "quantity": 1})
    problem(answer, 404, "item")
    answer = operator.post("/api/v1/stock/receive", json={"item": screws["id"],
                                                         "location": huge, "quantity": 1})
    problem(answer, 404, "location")
    problem(operator.get("/api/v1/stock", params={"offset": str(huge)}), 422, "offset")
    answer = operator.get(f"/api/v1/items/{huge}")
    assert answer.status_code in (404, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert event_count(manager) == before

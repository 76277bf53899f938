"""Units of serialized items: bulk creation, fields, custody and status, derived counts."""

import pytest

from tests.factories import event_count, item, location, ok, person, problem, units


def laptop_item(api, **fields):
    return item(api, tracking="serial", **fields)


def test_units_are_created_in_bulk_by_count_with_pending_serials(manager):
    shelf = location(manager)
    laptops = laptop_item(manager)
    made = units(manager, laptops["id"], shelf["tag"], count=3)
    assert len(made) == 3
    assert all(u["serial"] is None and u["status"] == "available" for u in made)
    assert all(u["location"]["tag"] == shelf["tag"] for u in made)
    assert ok(manager.get(f"/api/v1/items/{laptops['id']}"))["count"] == 3


def test_units_are_created_from_a_list_of_serials(manager):
    shelf = location(manager)
    laptops = laptop_item(manager)
    made = units(manager, laptops["id"], shelf["tag"], serials=["A1", "B2"])
    assert [u["serial"] for u in made] == ["A1", "B2"]


def test_a_serial_pattern_makes_fifty_units_with_unique_valid_tags(manager):
    shelf = location(manager)
    drills = laptop_item(manager)
    made = units(manager, drills["id"], shelf["tag"], serial_pattern="SN-{0001..0050}")
    assert len(made) == 50
    assert [u["serial"] for u in made] == [f"SN-{n:04d}" for n in range(1, 51)]
    tags = [u["tag"] for u in made]
    assert len(set(tags)) == 50
    for tag in tags[:: 10]:
        assert ok(manager.get(f"/api/v1/units/{tag}"))["tag"] == tag
        assert ok(manager.get(f"/api/v1/units/{tag.lower().replace('-', '')}"))["tag"] == tag


def test_a_serial_already_used_within_the_item_is_refused(manager):
    shelf = location(manager)
    laptops = laptop_item(manager)
    units(manager, laptops["id"], shelf["tag"], serials=["PF-1"])
    before = event_count(manager)
    answer = manager.post("/api/v1/units", json={
        "item": laptops["id"], "location": shelf["tag"], "serials": ["PF-2", "PF-1"]})
    problem(answer, 409)
    assert ok(manager.get(f"/api/v1/items/{laptops['id']}"))["count"] == 1
    assert event_count(manager) == before


def test_the_same_serial_may_be_used_by_two_items(manager):
    shelf = location(manager)
    units(manager, laptop_item(manager)["id"], shelf["tag"], serials=["X-1"])
    units(manager, laptop_item(manager)["id"], shelf["tag"], serials=["X-1"])


def test_a_serial_given_twice_in_one_request_is_refused(manager):
    shelf = location(manager)
    laptops = laptop_item(manager)
    answer = manager.post("/api/v1/units", json={
        "item": laptops["id"], "location": shelf["tag"], "serials": ["S", "S"]})
    problem(answer, 422, "serials")


def test_units_cannot_be_added_to_a_quantity_item(manager):
    shelf = location(manager)
    cords = item(manager)
    answer = manager.post("/api/v1/units", json={"item": cords["id"], "location": shelf["tag"],
                                                 "count": 1})
    problem(answer, 409)


CUSTOM = [
    {"key": "ram", "type": "number", "required": True},
    {"key": "os", "type": "choice", "choices": ["linux", "windows"]},
    {"key": "bought", "type": "date"},
    {"key": "leased", "type": "boolean"},
    {"key": "owner", "type": "text"},
]


def test_custom_field_values_are_stored_with_the_unit(manager):
    shelf = location(manager)
    laptops = laptop_item(manager, custom_fields=CUSTOM)
    made = units(manager, laptops["id"], shelf["tag"], custom={
        "ram": 16, "os": "linux", "bought": "2026-01-31", "leased": True, "owner": "IT"})[0]
    assert made["custom"]["ram"] == 16 and made["custom"]["os"] == "linux"
    assert made["custom"]["leased"] is True


@pytest.mark.parametrize(("custom", "field"), [
    ({}, "custom.ram"),
    ({"ram": "lots"}, "custom.ram"),
    ({"ram": 8, "os": "beos"}, "custom.os"),
    ({"ram": 8, "bought": "yesterday"}, "custom.bought"),
    ({"ram": 8, "leased": "maybe"}, "custom.leased"),
    ({"ram": 8, "colour": "red"}, "custom.colour"),
])
def test_bad_custom_field_values_are_refused_naming_the_field(manager, custom, field):
    shelf = location(manager)
    laptops = laptop_item(manager, custom_fields=CUSTOM)
    answer = manager.post("/api/v1/units", json={
        "item": laptops["id"], "location": shelf["tag"], "count": 1, "custom": custom})
    problem(answer, 422, field)
    assert ok(manager.get(f"/api/v1/items/{laptops['id']}"))["count"] == 0


def test_a_units_fields_are_edited(manager):
    shelf = location(manager)
    laptops = laptop_item(manager, custom_fields=CUSTOM)
    unit = units(manager, laptops["id"], shelf["tag"], custom={"ram": 8})[0]
    edited = ok(manager.patch(f"/api/v1/units/{unit['tag']}", json={
        "serial": "PF-123", "purchase_date": "2026-02-01", "purchase_cost": "999.5",
        "warranty_end": "2029-02-01", "custom": {"os": "windows"}}))
    assert edited["serial"] == "PF-123" and edited["purchase_date"] == "2026-02-01"
    assert edited["purchase_cost"] == "999.50" and edited["warranty_end"] == "2029-02-01"
    assert edited["custom"] == {"ram": 8, "os": "windows"}
    assert edited["version"] > unit["version"]


def test_editing_a_serial_onto_a_sibling_units_serial_is_refused(manager):
    shelf = location(manager)
    laptops = laptop_item(manager)
    _first, second = units(manager, laptops["id"], shelf["tag"], serials=["A", "B"])
    problem(manager.patch(f"/api/v1/units/{second['tag']}", json={"serial": "A"}), 409)
    assert ok(manager.get(f"/api/v1/units/{second['tag']}"))["serial"] == "B"


def test_a_unit_moves_to_another_location(manager, operator):
    a, b = location(manager), location(manager)
    unit = units(manager, laptop_item(manager)["id"], a["tag"])[0]
    moved = ok(operator.post(f"/api/v1/units/{unit['tag']}/move", json={"location": b["tag"]}),
               201)
    assert moved["location"]["tag"] == b["tag"]
    problem(operator.post(f"/api/v1/units/{unit['tag']}/move", json={"location": b["tag"]}),
            409)


def test_a_unit_is_checked_out_to_a_person_with_a_due_date(manager, operator):
    shelf = location(manager)
    ana = person(manager, "Ana")
    unit = units(manager, laptop_item(manager)["id"], shelf["tag"])[0]
    out = ok(operator.post(f"/api/v1/units/{unit['tag']}/check-out", json={
        "person": ana["tag"], "due_at": "2026-12-24T17:00:00Z"}), 201)
    assert out["status"] == "checked_out"
    assert out["custodian"]["tag"] == ana["tag"]
    assert out["due_at"].startswith("2026-12-24T17:00")


def test_checking_out_a_checked_out_unit_says_to_whom(manager, operator):
    shelf = location(manager)
    ana, bo = person(manager, "Ana Lima"), person(manager, "Bo")
    unit = units(manager, laptop_item(manager)["id"], shelf["tag"])[0]
    ok(operator.post(f"/api/v1/units/{unit['tag']}/check-out", json={"person": ana["id"]}), 201)
    before = event_count(operator)
    answer = problem(operator.post(f"/api/v1/units/{unit['tag']}/check-out",
                                   json={"person": bo["id"]}), 409)
    assert "Ana Lima" in answer["detail"]
    assert ok(operator.get(f"/api/v1/units/{unit['tag']}"))["custodian"]["tag"] == ana["tag"]
    assert event_count(operator) == before


@pytest.mark.parametrize(("action", "words"), [
    ("retire", "retired"), ("mark_lost", "lost"), ("send_to_repair", "repair")])
def test_a_unit_that_is_not_here_cannot_be_checked_out(manager, operator, action, words):
    shelf = location(manager)
    ana = person(manager)
    unit = units(manager, laptop_item(manager)["id"], shelf["tag"])[0]
    ok(operator.post(f"/api/v1/units/{unit['tag']}/actions/{action}", json={}), 201)
    answer = problem(operator.post(f"/api/v1/units/{unit['tag']}/check-out",
                                   json={"person": ana["id"]}), 409)
    assert words in answer["detail"]


def test_checking_in_a_unit_that_is_not_out_is_refused(manager, operator):
    shelf = location(manager)
    unit = units(manager, laptop_item(manager)["id"], shelf["tag"])[0]
    answer = problem(operator.post(f"/api/v1/units/{unit['tag']}/check-in", json={}), 409)
    assert "not out" in answer["detail"]


def test_a_unit_checked_in_damaged_changes_condition_and_place(manager, operator):
    desk, crib = location(manager, "Desk"), location(manager, "Crib")
    ana = person(manager)
    unit = units(manager, laptop_item(manager)["id"], desk["tag"])[0]
    ok(operator.post(f"/api/v1/units/{unit['tag']}/check-out", json={"person": ana["tag"]}), 201)
    back = ok(operator.post(f"/api/v1/units/{unit['tag']}/check-in", json={
        "condition": "damaged", "location": crib["tag"]}), 201)
    assert back["status"] == "available" and back["condition"] == "damaged"
    assert back["custodian"] is None and back["due_at"] is None
    assert back["location"]["tag"] == crib["tag"]


def test_an_inactive_person_cannot_get_a_check_out(manager, operator):
    shelf = location(manager)
    gone = person(manager, active=False)
    unit = units(manager, laptop_item(manager)["id"], shelf["tag"])[0]
    problem(operator.post(f"/api/v1/units/{unit['tag']}/check-out",
                          json={"person": gone["tag"]}), 409, "person")
    assert ok(operator.get(f"/api/v1/units/{unit['tag']}"))["status"] == "available"


def test_status_changes_through_the_status_endpoint_and_actions(manager, operator):
    shelf = location(manager)
    tag = units(manager, laptop_item(manager)["id"], shelf["tag"])[0]["tag"]

    def status_after(path, body=None):
        return ok(operator.post(f"/api/v1/units/{tag}/{path}", json=body or {}), 201)["status"]

    assert status_after("status", {"status": "reserved"}) == "reserved"
    assert status_after("actions/unreserve") == "available"
    assert status_after("actions/send_to_repair") == "in_repair"
    assert status_after("actions/return_from_repair") == "available"
    assert status_after("actions/mark_lost") == "lost"
    assert status_after("actions/mark_found") == "available"
    assert status_after("status", {"status": "retired"}) == "retired"
    problem(operator.post(f"/api/v1/units/{tag}/actions/mark_found", json={}), 409)


def test_checked_out_cannot_be_set_through_the_status_endpoint(manager, operator):
    shelf = location(manager)
    tag = units(manager, laptop_item(manager)["id"], shelf["tag"])[0]["tag"]
    problem(operator.post(f"/api/v1/units/{tag}/status", json={"status": "checked_out"}), 422,
            "status")
    problem(operator.post(f"/api/v1/units/{tag}/status", json={"status": "gone"}), 422,
            "status")
    problem(operator.post(f"/api/v1/units/{tag}/actions/explode", json={}), 422, "action")


def test_the_condition_is_changed_on_its_own(manager, operator):
    shelf = location(manager)
    tag = units(manager, laptop_item(manager)["id"], shelf["tag"])[0]["tag"]
    changed = ok(operator.post(f"/api/v1/units/{tag}/condition",
                               json={"condition": "needs_repair"}), 201)
    assert changed["condition"] == "needs_repair"
    problem(operator.post(f"/api/v1/units/{tag}/condition", json={"condition": "meh"}), 422,
            "condition")


def test_the_item_count_is_derived_from_its_units(manager, operator):
    shelf = location(manager)
    ana = person(manager)
    laptops = laptop_item(manager)
    tags = [u["tag"] for u in units(manager, laptops["id"], shelf["tag"], count=5)]
    ok(operator.post(f"/api/v1/units/{tags[0]}/actions/retire", json={}), 201)
    ok(operator.post(f"/api/v1/units/{tags[1]}/actions/mark_lost", json={}), 201)
    ok(operator.post(f"/api/v1/units/{tags[2]}/check-out", json={"person": ana["tag"]}), 201)
    ok(operator.post(f"/api/v1/units/{tags[3]}/actions/send_to_repair", json={}), 201)
    counted = ok(operator.get(f"/api/v1/items/{laptops['id']}"))
    assert counted["count"] == 3
    assert counted["available_count"] == 1
    listed = ok(operator.get("/api/v1/items"))["items"][0]
    assert (listed["count"], listed["available_count"]) == (3, 1)


def test_units_are_listed_by_item_status_and_custodian(manager, operator):
    shelf = location(manager)
    ana = person(manager)
    laptops = laptop_item(manager)
    tags = [u["tag"] for u in units(manager, laptops["id"], shelf["tag"], count=3)]
    ok(operator.post(f"/api/v1/units/{tags[1]}/check-out", json={"person": ana["tag"]}), 201)

    def listed(**params):
        return [u["tag"] for u in ok(operator.get("/api/v1/units", params=params))["units"]]

    assert listed(item=str(laptops["id"])) == sorted(tags)
    assert listed(status="checked_out") == [tags[1]]
    assert listed(custodian=ana["tag"]) == [tags[1]]
    assert listed(sort="-tag") == sorted(tags, reverse=True)
    problem(operator.get("/api/v1/units", params={"sort": "colour"}), 422, "sort")

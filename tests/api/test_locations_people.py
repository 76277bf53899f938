"""Locations (a tree) and people."""

from tests.factories import event_count, item, location, ok, person, problem, receive, units


def test_a_location_tree_answers_with_each_path(manager):
    site = location(manager, "HQ")
    room = location(manager, "Lab", parent=site["tag"])
    shelf = location(manager, "Shelf 3", parent=room["id"])
    assert shelf["path"] == ["HQ", "Lab", "Shelf 3"]
    assert shelf["parent"]["tag"] == room["tag"]
    assert shelf["tag"].startswith("L-")
    children = ok(manager.get("/api/v1/locations", params={"parent": site["tag"]}))
    assert [loc["name"] for loc in children["locations"]] == ["Lab"]
    roots = ok(manager.get("/api/v1/locations", params={"roots": True}))
    assert [loc["name"] for loc in roots["locations"]] == ["HQ"]


def test_renaming_a_location_shows_in_its_childrens_paths(manager):
    site = location(manager, "HQ")
    shelf = location(manager, "Shelf", parent=site["tag"])
    ok(manager.patch(f"/api/v1/locations/{site['tag']}", json={"name": "Head office"}))
    assert ok(manager.get(f"/api/v1/locations/{shelf['tag']}"))["path"] == [
        "Head office", "Shelf"]


def test_a_location_moves_with_its_subtree(manager):
    a, b = location(manager, "A"), location(manager, "B")
    room = location(manager, "Room", parent=a["tag"])
    shelf = location(manager, "Shelf", parent=room["tag"])
    moved = ok(manager.patch(f"/api/v1/locations/{room['tag']}", json={"parent": b["tag"]}))
    assert moved["path"] == ["B", "Room"]
    assert ok(manager.get(f"/api/v1/locations/{shelf['id']}"))["path"] == ["B", "Room", "Shelf"]
    to_root = ok(manager.patch(f"/api/v1/locations/{room['tag']}", json={"parent": None}))
    assert to_root["path"] == ["Room"] and to_root["parent"] is None


def test_a_location_cannot_move_under_its_own_subtree(manager):
    site = location(manager, "Site")
    room = location(manager, "Room", parent=site["tag"])
    shelf = location(manager, "Shelf", parent=room["tag"])
    before = event_count(manager)
    problem(manager.patch(f"/api/v1/locations/{site['tag']}", json={"parent": shelf["tag"]}),
            409, "parent")
    problem(manager.patch(f"/api/v1/locations/{site['tag']}", json={"parent": site["tag"]}),
            409, "parent")
    assert ok(manager.get(f"/api/v1/locations/{site['tag']}"))["parent"] is None
    assert event_count(manager) == before


def test_an_archived_location_refuses_receipts_and_units(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    drills = item(manager, tracking="serial")
    archived = ok(manager.patch(f"/api/v1/locations/{shelf['tag']}", json={"archived": True}))
    assert archived["archived"] is True
    answer = operator.post("/api/v1/stock/receive", json={
        "item": beans["id"], "location": shelf["tag"], "quantity": 1})
    problem(answer, 409, "location")
    problem(manager.post("/api/v1/units", json={"item": drills["id"], "location": shelf["tag"],
                                                "count": 1}), 409, "location")
    listed = ok(manager.get("/api/v1/locations"))["locations"]
    assert shelf["tag"] not in [loc["tag"] for loc in listed]


def test_a_location_that_holds_stock_cannot_be_deleted(manager, operator):
    shelf = location(manager)
    receive(operator, item(manager)["id"], shelf["tag"], 1)
    problem(manager.delete(f"/api/v1/locations/{shelf['tag']}"), 409)
    assert ok(manager.get(f"/api/v1/locations/{shelf['tag']}"))["tag"] == shelf["tag"]


def test_a_location_that_holds_units_cannot_be_deleted(manager):
    shelf = location(manager)
    units(manager, item(manager, tracking="serial")["id"], shelf["tag"])
    problem(manager.delete(f"/api/v1/locations/{shelf['tag']}"), 409)


def test_a_location_with_sub_locations_cannot_be_deleted(manager):
    site = location(manager)
    location(manager, parent=site["tag"])
    problem(manager.delete(f"/api/v1/locations/{site['tag']}"), 409)


def test_a_location_that_was_never_used_is_deleted(manager):
    shelf = location(manager)
    answer = manager.delete(f"/api/v1/locations/{shelf['tag']}")
    assert answer.status_code == 204, answer.text
    problem(manager.get(f"/api/v1/locations/{shelf['tag']}"), 404)


def test_a_person_has_a_tag_an_email_and_a_badge(manager):
    ana = person(manager, "Ana", email="ana@example.com", badge_code="B-100")
    assert ana["tag"].startswith("P-") and ana["active"] is True
    assert ok(manager.get(f"/api/v1/people/{ana['tag']}")) == ana
    assert ok(manager.get(f"/api/v1/people/{ana['id']}")) == ana


def test_a_badge_code_belongs_to_one_person(manager):
    person(manager, badge_code="B-7")
    problem(manager.post("/api/v1/people", json={"name": "Bo", "badge_code": "B-7"}), 409,
            "badge_code")
    other = person(manager)
    problem(manager.patch(f"/api/v1/people/{other['tag']}", json={"badge_code": "B-7"}), 409,
            "badge_code")


def test_an_email_that_is_not_an_address_is_refused(manager):
    before = event_count(manager)
    problem(manager.post("/api/v1/people", json={"name": "Cy", "email": "not-an-email"}), 422,
            "email")
    assert event_count(manager) == before
    cy = person(manager)
    problem(manager.patch(f"/api/v1/people/{cy['id']}", json={"email": "a@b"}), 422, "email")


def test_a_person_is_deactivated_and_listed_by_active_flag(manager):
    ana, bo = person(manager, "Ana"), person(manager, "Bo")
    assert ok(manager.patch(f"/api/v1/people/{bo['tag']}", json={"active": False}))[
        "active"] is False
    active = ok(manager.get("/api/v1/people", params={"active": True}))["people"]
    assert [p["name"] for p in active] == ["Ana"]
    inactive = ok(manager.get("/api/v1/people", params={"active": False}))["people"]
    assert [p["tag"] for p in inactive] == [bo["tag"]]
    assert ana["tag"] != bo["tag"]


def test_a_deactivated_person_cannot_get_a_check_out(manager, operator):
    shelf = location(manager)
    bo = person(manager)
    ok(manager.patch(f"/api/v1/people/{bo['tag']}", json={"active": False}))
    tag = units(manager, item(manager, tracking="serial")["id"], shelf["tag"])[0]["tag"]
    answer = problem(operator.post(f"/api/v1/units/{tag}/check-out", json={"person": bo["tag"]}),
                     409, "person")
    assert answer["code"] == "person_inactive"


def test_a_location_tag_is_not_a_person(manager):
    shelf = location(manager)
    problem(manager.get(f"/api/v1/people/{shelf['tag']}"), 422)

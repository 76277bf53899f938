"""POST /api/v1/items/{id}/convert: a change of tracking mode that loses nothing."""

from tests.factories import (
    event_count,
    item,
    location,
    ok,
    on_hand,
    person,
    problem,
    receive,
    units,
)


def convert(api, item_id, tracking, status=201, **fields):
    return ok(api.post(f"/api/v1/items/{item_id}/convert",
                       json={"tracking": tracking, **fields}), status)


def count_of(api, item_id):
    return ok(api.get(f"/api/v1/items/{item_id}"))["count"]


def test_a_counted_item_becomes_units_where_the_counts_were(manager, operator):
    a, b = location(manager, "A"), location(manager, "B")
    drills = item(manager)
    receive(operator, drills["id"], a["tag"], 3)
    receive(operator, drills["id"], b["tag"], 2)
    done = convert(manager, drills["id"], "serial")
    assert done["units_created"] == 5 and done["item"]["tracking"] == "serial"
    assert done["item"]["count"] == 5
    made = ok(manager.get("/api/v1/units", params={"item": str(drills["id"])}))["units"]
    assert sorted(u["location"]["tag"] for u in made) == sorted([a["tag"]] * 3 + [b["tag"]] * 2)
    assert all(u["serial"] is None and u["status"] == "available" for u in made)
    assert len({u["tag"] for u in made}) == 5
    assert on_hand(manager, drills["id"]) == 0


def test_units_collapse_into_counts_per_location(manager):
    a, b = location(manager, "A"), location(manager, "B")
    drills = item(manager, tracking="serial")
    units(manager, drills["id"], a["tag"], count=2)
    units(manager, drills["id"], b["tag"], count=1)
    done = convert(manager, drills["id"], "quantity")
    assert done["units_collapsed"] == 3 and done["item"]["count"] == 3
    assert on_hand(manager, drills["id"], a["tag"]) == 2
    assert on_hand(manager, drills["id"], b["tag"]) == 1
    assert ok(manager.get("/api/v1/units", params={"item": str(drills["id"])}))["total"] == 0


def test_retired_and_lost_units_are_not_counted_when_they_collapse(manager, operator):
    shelf = location(manager)
    drills = item(manager, tracking="serial")
    tags = [u["tag"] for u in units(manager, drills["id"], shelf["tag"], count=3)]
    ok(operator.post(f"/api/v1/units/{tags[0]}/actions/retire", json={}), 201)
    before = count_of(manager, drills["id"])
    convert(manager, drills["id"], "quantity")
    assert count_of(manager, drills["id"]) == before == 2


def test_collapsing_is_refused_while_a_unit_is_checked_out(manager, operator):
    shelf = location(manager)
    ana = person(manager)
    drills = item(manager, tracking="serial")
    tags = [u["tag"] for u in units(manager, drills["id"], shelf["tag"], count=2)]
    ok(operator.post(f"/api/v1/units/{tags[0]}/check-out", json={"person": ana["tag"]}), 201)
    before = event_count(manager)
    answer = problem(manager.post(f"/api/v1/items/{drills['id']}/convert",
                                  json={"tracking": "quantity"}), 409)
    assert answer["code"] == "units_checked_out"
    assert ok(manager.get(f"/api/v1/items/{drills['id']}"))["tracking"] == "serial"
    assert event_count(manager) == before


def test_collapsing_can_check_the_units_in_first(manager, operator):
    shelf = location(manager)
    ana = person(manager)
    drills = item(manager, tracking="serial")
    tags = [u["tag"] for u in units(manager, drills["id"], shelf["tag"], count=2)]
    ok(operator.post(f"/api/v1/units/{tags[0]}/check-out", json={"person": ana["tag"]}), 201)
    done = convert(manager, drills["id"], "quantity", on_checked_out="check_in")
    assert done["units_checked_in"] == 1 and done["item"]["count"] == 2
    assert on_hand(manager, drills["id"], shelf["tag"]) == 2


def test_every_units_history_stays_readable_after_collapse(manager, operator):
    a, b = location(manager), location(manager)
    drills = item(manager, tracking="serial")
    tag = units(manager, drills["id"], a["tag"], serials=["SN-9"])[0]["tag"]
    ok(operator.post(f"/api/v1/units/{tag}/move", json={"location": b["tag"]}), 201)
    convert(manager, drills["id"], "quantity")
    history = ok(manager.get(f"/api/v1/units/{tag}/history"))["events"]
    assert [e["kind"] for e in history][-2:] == ["unit.moved", "unit.created"]
    assert history[0]["kind"] == "unit.collapsed"
    kept = ok(manager.get("/api/v1/units", params={"include_collapsed": True}))["units"]
    assert [(u["tag"], u["serial"], u["collapsed"]) for u in kept] == [(tag, "SN-9", True)]
    problem(operator.post(f"/api/v1/units/{tag}/move", json={"location": a["tag"]}), 409)


def test_a_quantity_item_becomes_a_lot_item_in_the_default_lot(manager, operator):
    shelf = location(manager)
    gloves = item(manager)
    receive(operator, gloves["id"], shelf["tag"], 7)
    convert(manager, gloves["id"], "lot")
    rows = ok(manager.get("/api/v1/stock", params={"item": str(gloves["id"])}))["stock"]
    assert [(r["lot"], r["quantity"]) for r in rows] == [("UNLOTTED", 7)]


def test_a_quantity_item_becomes_a_lot_item_in_a_given_lot(manager, operator):
    shelf = location(manager)
    gloves = item(manager)
    receive(operator, gloves["id"], shelf["tag"], 7)
    convert(manager, gloves["id"], "lot", lot="B-2026")
    rows = ok(manager.get("/api/v1/stock", params={"item": str(gloves["id"])}))["stock"]
    assert [(r["lot"], r["quantity"]) for r in rows] == [("B-2026", 7)]


def test_a_lot_item_becomes_a_quantity_item_and_its_lots_are_summed(manager, operator):
    shelf = location(manager)
    gloves = item(manager, tracking="lot")
    receive(operator, gloves["id"], shelf["tag"], 3, lot="A")
    receive(operator, gloves["id"], shelf["tag"], 4, lot="B")
    convert(manager, gloves["id"], "quantity")
    rows = ok(manager.get("/api/v1/stock", params={"item": str(gloves["id"])}))["stock"]
    assert [(r["lot"], r["quantity"]) for r in rows] == [(None, 7)]


def test_counts_are_equal_before_and_after_each_conversion(manager, operator):
    a, b = location(manager), location(manager)
    thing = item(manager)
    receive(operator, thing["id"], a["tag"], 4)
    receive(operator, thing["id"], b["tag"], 2)
    for mode in ("lot", "serial", "quantity", "serial", "lot", "quantity"):
        before = count_of(manager, thing["id"])
        convert(manager, thing["id"], mode)
        assert count_of(manager, thing["id"]) == before == 6, mode
    assert on_hand(manager, thing["id"], a["tag"]) == 4


def test_converting_to_the_same_mode_is_refused(manager):
    thing = item(manager)
    problem(manager.post(f"/api/v1/items/{thing['id']}/convert", json={"tracking": "quantity"}),
            409, "tracking")
    problem(manager.post(f"/api/v1/items/{thing['id']}/convert", json={"tracking": "boxes"}),
            422, "tracking")


def test_a_counted_item_with_quantities_on_loan_cannot_change_tracking(manager, operator):
    from tests.factories import event_count, item, location, ok, person, problem, receive

    shelf = location(manager)
    cords = item(manager, name="Extension cord")
    receive(operator, cords["id"], shelf["tag"], 40)
    dana = person(manager, "Dana")
    ok(operator.post("/api/v1/loans/lend", json={"item": cords["id"], "location": shelf["tag"],
                                                 "person": dana["tag"], "quantity": 5}), 201)
    before = event_count(manager)
    body = problem(manager.post(f"/api/v1/items/{cords['id']}/convert",
                                json={"tracking": "serial"}), 409)
    assert body["code"] == "quantity_on_loan" and "5" in body["detail"]
    assert event_count(manager) == before


def test_a_location_a_loan_came_from_cannot_be_deleted(manager, operator):
    from tests.factories import item, location, ok, person, problem, receive

    shelf = location(manager)
    cords = item(manager)
    receive(operator, cords["id"], shelf["tag"], 2)
    dana = person(manager)
    ok(operator.post("/api/v1/loans/lend", json={"item": cords["id"], "location": shelf["tag"],
                                                 "person": dana["tag"], "quantity": 2}), 201)
    body = problem(manager.delete(f"/api/v1/locations/{shelf['tag']}"), 409)
    assert "stock" in body["detail"] or "loan" in body["detail"]


def test_a_round_trip_back_to_units_gives_the_same_units_and_their_labels_work(manager,
                                                                               operator):
    counter, stockroom = location(manager, "Counter"), location(manager, "Stockroom")
    machines = item(manager, tracking="serial", name="Espresso machine")
    made = units(manager, machines["id"], counter["tag"], serials=["LM-1", "LM-2"],
                 purchase_date="2026-02-01")
    tags = sorted(u["tag"] for u in made)
    convert(manager, machines["id"], "quantity")
    ok(operator.post("/api/v1/stock/move", json={
        "item": machines["id"], "from_location": counter["tag"],
        "to_location": stockroom["tag"], "quantity": 1}), 201)
    receive(operator, machines["id"], stockroom["tag"], 1)  # a third machine, bought meanwhile

    done = convert(manager, machines["id"], "serial")
    assert (done["units_restored"], done["units_created"]) == (2, 1)
    listed = ok(manager.get("/api/v1/units", params={"item": str(machines["id"])}))["units"]
    back = sorted((u for u in listed if u["tag"] in tags), key=lambda u: u["tag"])
    assert [u["serial"] for u in back] == ["LM-1", "LM-2"]
    assert all(u["purchase_date"] == "2026-02-01" for u in back)
    assert sorted(u["location"]["tag"] for u in listed) == sorted(
        [counter["tag"], stockroom["tag"], stockroom["tag"]])
    [new] = [u for u in listed if u["tag"] not in tags]
    assert new["serial"] is None
    # the old label scans as the unit again, and its history tells the whole story
    answer = ok(operator.post("/api/v1/scans", json={"code": tags[0], "action": "lookup"}))
    assert answer["resolved"]["tag"] == tags[0] and "merged" not in answer["message"]
    kinds = [e["kind"] for e in ok(manager.get(f"/api/v1/units/{tags[0]}/history"))["events"]]
    assert kinds[:2] == ["unit.restored", "unit.collapsed"]

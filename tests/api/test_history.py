"""History: one event per change, newest first, cursor pagination, event fields."""

from tests.factories import event_count, item, location, ok, person, problem, receive, units


def test_a_receive_writes_exactly_one_event(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    before = event_count(operator)
    receive(operator, beans["id"], shelf["tag"], 3)
    assert event_count(operator) == before + 1


def test_each_stock_and_unit_change_writes_exactly_one_event(manager, operator):
    a, b = location(manager), location(manager)
    ana = person(manager)
    beans = item(manager)
    receive(operator, beans["id"], a["tag"], 10)
    tag = units(manager, item(manager, tracking="serial")["id"], a["tag"])[0]["tag"]
    changes = [
        ("/api/v1/stock/consume", {"item": beans["id"], "location": a["tag"], "quantity": 1}),
        ("/api/v1/stock/move", {"item": beans["id"], "from_location": a["tag"],
                                "to_location": b["tag"], "quantity": 2}),
        ("/api/v1/stock/adjust", {"item": beans["id"], "location": a["tag"], "counted": 5,
                                  "reason": "stocktake"}),
        (f"/api/v1/units/{tag}/move", {"location": b["tag"]}),
        (f"/api/v1/units/{tag}/check-out", {"person": ana["tag"]}),
        (f"/api/v1/units/{tag}/check-in", {}),
        (f"/api/v1/units/{tag}/actions/retire", {}),
    ]
    for path, body in changes:
        before = event_count(operator)
        ok(operator.post(path, json=body), 201)
        assert event_count(operator) == before + 1, path
    before = event_count(manager)
    ok(manager.patch(f"/api/v1/items/{beans['id']}", json={"name": "Espresso beans"}))
    assert event_count(manager) == before + 1


def test_a_refused_change_writes_no_event(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    receive(operator, beans["id"], shelf["tag"], 1)
    before = event_count(operator)
    problem(operator.post("/api/v1/stock/consume",
                          json={"item": beans["id"], "location": shelf["tag"], "quantity": 2}),
            409)
    assert event_count(operator) == before


def test_an_edit_that_changes_nothing_writes_no_event(manager):
    beans = item(manager, name="Beans")
    before = event_count(manager)
    ok(manager.patch(f"/api/v1/items/{beans['id']}", json={"name": "Beans"}))
    assert event_count(manager) == before


def test_a_units_history_is_newest_first_with_every_field(manager, operator):
    desk, crib = location(manager, "Desk"), location(manager, "Crib")
    ana = person(manager, "Ana")
    laptops = item(manager, tracking="serial", sku="LAP")
    tag = units(manager, laptops["id"], desk["tag"])[0]["tag"]
    ok(operator.post(f"/api/v1/units/{tag}/check-out",
                     json={"person": ana["tag"], "note": "for the trip"}), 201)
    ok(operator.post(f"/api/v1/units/{tag}/check-in",
                     json={"location": crib["tag"], "condition": "damaged"}), 201)
    events = ok(operator.get(f"/api/v1/units/{tag}/history"))["events"]
    assert [e["kind"] for e in events] == ["unit.checked_in", "unit.checked_out", "unit.created"]
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)
    back, out, created = events
    assert out["actor"] == "operator" and out["item"] == "LAP" and out["unit"] == tag
    assert out["to_person"] == ana["tag"] and out["from_person"] is None
    assert out["note"] == "for the trip" and out["details"]["status"] == "checked_out"
    assert back["from_person"] == ana["tag"] and back["to_location"] == crib["tag"]
    assert back["from_location"] == desk["tag"]
    assert back["details"]["condition"] == "damaged"
    assert created["actor"] == "manager" and created["to_location"] == desk["tag"]
    assert created["quantity_delta"] is None


def test_stock_events_carry_lot_quantity_and_delta(manager, operator):
    a, b = location(manager), location(manager)
    vaccine = item(manager, tracking="lot", sku="VAC")
    receive(operator, vaccine["id"], a["tag"], 8, lot="L1", expires_on="2027-06-30")
    ok(operator.post("/api/v1/stock/move", json={
        "item": vaccine["id"], "from_location": a["tag"], "to_location": b["tag"],
        "quantity": 3, "lot": "L1"}), 201)
    ok(operator.post("/api/v1/stock/consume", json={
        "item": vaccine["id"], "location": b["tag"], "quantity": 1, "lot": "L1"}), 201)
    events = ok(operator.get(f"/api/v1/items/{vaccine['id']}/history"))["events"]
    consumed, moved, received = events[:3]
    assert (received["quantity"], received["quantity_delta"], received["lot"]) == (8, 8, "L1")
    assert received["to_location"] == a["tag"] and received["from_location"] is None
    assert (moved["from_location"], moved["to_location"]) == (a["tag"], b["tag"])
    assert moved["quantity"] == 3 and moved["quantity_delta"] == 0
    assert consumed["quantity_delta"] == -1 and consumed["from_location"] == b["tag"]
    assert events[-1]["kind"] == "item.created"


def test_a_location_history_shows_what_came_and_went(manager, operator):
    a, b = location(manager), location(manager)
    beans = item(manager)
    receive(operator, beans["id"], a["tag"], 5)
    ok(operator.post("/api/v1/stock/move", json={
        "item": beans["id"], "from_location": a["tag"], "to_location": b["tag"],
        "quantity": 2}), 201)
    at_b = ok(operator.get(f"/api/v1/locations/{b['tag']}/history"))["events"]
    assert at_b[0]["to_location"] == b["tag"] and at_b[0]["quantity"] == 2
    at_a = ok(operator.get(f"/api/v1/locations/{a['id']}/history"))["events"]
    assert len(at_a) > len([e for e in at_b if e["from_location"] == a["tag"]])


def test_a_persons_history_shows_what_they_took_and_returned(manager, operator):
    shelf = location(manager)
    ana = person(manager)
    tag = units(manager, item(manager, tracking="serial")["id"], shelf["tag"])[0]["tag"]
    ok(operator.post(f"/api/v1/units/{tag}/check-out", json={"person": ana["tag"]}), 201)
    ok(operator.post(f"/api/v1/units/{tag}/check-in", json={}), 201)
    kinds = [e["kind"] for e in ok(operator.get(f"/api/v1/people/{ana['tag']}/history"))[
        "events"]]
    assert kinds[:2] == ["unit.checked_in", "unit.checked_out"]


def test_history_pages_with_before_and_next_before(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    for n in range(5):
        receive(operator, beans["id"], shelf["tag"], n + 1)
    path = f"/api/v1/items/{beans['id']}/history"
    everything = ok(operator.get(path))["events"]
    assert len(everything) == 6
    seen, before = [], None
    while True:
        params = {"limit": 2} if before is None else {"limit": 2, "before": before}
        page = ok(operator.get(path, params=params))
        seen += page["events"]
        before = page["next_before"]
        if before is None:
            break
        assert before == page["events"][-1]["id"]
    assert seen == everything


def test_the_event_list_filters_by_kind(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    receive(operator, beans["id"], shelf["tag"], 1)
    events = ok(operator.get("/api/v1/events", params={"kind": "item.created"}))["events"]
    assert [e["item"] for e in events] == [beans["sku"]]

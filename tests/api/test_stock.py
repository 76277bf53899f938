"""Counted stock: receive, consume, adjust and move, for quantity and lot items."""

from tests.factories import event_count, item, location, ok, on_hand, problem, receive


def test_receive_consume_adjust_and_move_keep_the_counts(manager, operator):
    a, b = location(manager, "A"), location(manager, "B")
    cords = item(manager)
    receive(operator, cords["id"], a["tag"], 40)
    ok(operator.post("/api/v1/stock/consume",
                     json={"item": cords["id"], "location": a["tag"], "quantity": 5}), 201)
    ok(operator.post("/api/v1/stock/move", json={
        "item": cords["id"], "from_location": a["tag"], "to_location": b["tag"],
        "quantity": 10}), 201)
    ok(operator.post("/api/v1/stock/adjust", json={
        "item": cords["id"], "location": b["tag"], "counted": 9, "reason": "counted"}), 201)
    assert on_hand(operator, cords["id"], a["tag"]) == 25
    assert on_hand(operator, cords["id"], b["tag"]) == 9
    assert ok(operator.get(f"/api/v1/items/{cords['id']}"))["count"] == 34


def test_an_item_can_be_named_by_its_sku(manager, operator):
    shelf = location(manager)
    item(manager, sku="ZIP-200")
    receive(operator, "ZIP-200", shelf["id"], 3)
    assert ok(operator.get("/api/v1/stock", params={"item": "ZIP-200"}))["stock"][0][
        "quantity"] == 3


def test_consuming_more_than_on_hand_is_refused_and_changes_nothing(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    receive(operator, beans["id"], shelf["tag"], 4)
    before = event_count(operator)
    answer = operator.post("/api/v1/stock/consume",
                           json={"item": beans["id"], "location": shelf["tag"], "quantity": 5})
    assert problem(answer, 409)["code"] == "insufficient_stock"
    assert on_hand(operator, beans["id"], shelf["tag"]) == 4
    assert event_count(operator) == before


def test_moving_more_than_on_hand_is_refused_and_changes_nothing(manager, operator):
    a, b = location(manager), location(manager)
    beans = item(manager)
    receive(operator, beans["id"], a["tag"], 2)
    answer = operator.post("/api/v1/stock/move", json={
        "item": beans["id"], "from_location": a["tag"], "to_location": b["tag"], "quantity": 3})
    assert problem(answer, 409)["code"] == "insufficient_stock"
    assert on_hand(operator, beans["id"], a["tag"]) == 2
    assert on_hand(operator, beans["id"], b["tag"]) == 0


def test_an_item_that_allows_negative_stock_may_go_below_zero(manager, operator):
    shelf = location(manager)
    fuel = item(manager, allow_negative=True)
    receive(operator, fuel["id"], shelf["tag"], 1)
    ok(operator.post("/api/v1/stock/consume",
                     json={"item": fuel["id"], "location": shelf["tag"], "quantity": 3}), 201)
    assert on_hand(operator, fuel["id"], shelf["tag"]) == -2


def test_quantities_must_be_above_zero(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    for quantity in (0, -3):
        answer = operator.post("/api/v1/stock/receive", json={
            "item": beans["id"], "location": shelf["tag"], "quantity": quantity})
        problem(answer, 422, "quantity")


def test_an_adjustment_needs_a_reason(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    receive(operator, beans["id"], shelf["tag"], 4)
    answer = operator.post("/api/v1/stock/adjust", json={
        "item": beans["id"], "location": shelf["tag"], "counted": 2, "reason": "  "})
    problem(answer, 422, "reason")
    missing = operator.post("/api/v1/stock/adjust", json={
        "item": beans["id"], "location": shelf["tag"], "counted": 2})
    problem(missing, 422, "reason")
    assert on_hand(operator, beans["id"], shelf["tag"]) == 4


def test_moving_to_the_same_location_is_refused(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    receive(operator, beans["id"], shelf["tag"], 4)
    answer = operator.post("/api/v1/stock/move", json={
        "item": beans["id"], "from_location": shelf["tag"], "to_location": shelf["id"],
        "quantity": 1})
    problem(answer, 422, "to_location")


def test_a_lot_item_is_received_with_a_lot_code_and_expiry(manager, operator):
    fridge = location(manager, "Fridge")
    vaccine = item(manager, tracking="lot", sku="VAC")
    receive(operator, vaccine["id"], fridge["tag"], 10, lot="L2026-01", expires_on="2027-01-31")
    receive(operator, vaccine["id"], fridge["tag"], 5, lot="L2026-02")
    ok(operator.post("/api/v1/stock/consume", json={
        "item": vaccine["id"], "location": fridge["tag"], "quantity": 4, "lot": "L2026-01"}), 201)
    rows = ok(operator.get("/api/v1/stock", params={"item": "VAC"}))["stock"]
    by_lot = {r["lot"]: (r["quantity"], r["lot_expires_on"]) for r in rows}
    assert by_lot == {"L2026-01": (6, "2027-01-31"), "L2026-02": (5, None)}
    lots = ok(operator.get("/api/v1/lots", params={"item": str(vaccine["id"])}))
    assert lots["total"] == 2
    assert {lot["code"]: lot["quantity"] for lot in lots["lots"]} == {
        "L2026-01": 6, "L2026-02": 5}
    found = ok(operator.get("/api/v1/lots", params={"code": "L2026-02"}))["lots"]
    assert [lot["item"]["sku"] for lot in found] == ["VAC"]


def test_a_lot_item_needs_a_lot(manager, operator):
    fridge = location(manager)
    vaccine = item(manager, tracking="lot")
    before = event_count(operator)
    answer = operator.post("/api/v1/stock/receive", json={
        "item": vaccine["id"], "location": fridge["tag"], "quantity": 1})
    problem(answer, 422, "lot")
    assert event_count(operator) == before


def test_a_quantity_item_refuses_a_lot(manager, operator):
    shelf = location(manager)
    beans = item(manager)
    answer = operator.post("/api/v1/stock/receive", json={
        "item": beans["id"], "location": shelf["tag"], "quantity": 1, "lot": "B1"})
    problem(answer, 422, "lot")
    assert on_hand(operator, beans["id"]) == 0


def test_consuming_from_an_unknown_lot_is_refused(manager, operator):
    fridge = location(manager)
    vaccine = item(manager, tracking="lot")
    receive(operator, vaccine["id"], fridge["tag"], 3, lot="A")
    answer = operator.post("/api/v1/stock/consume", json={
        "item": vaccine["id"], "location": fridge["tag"], "quantity": 1, "lot": "B"})
    problem(answer, 404, "lot")


def test_a_serial_item_cannot_be_received_as_a_count(manager, operator):
    shelf = location(manager)
    drill = item(manager, tracking="serial")
    answer = operator.post("/api/v1/stock/receive", json={
        "item": drill["id"], "location": shelf["tag"], "quantity": 1})
    problem(answer, 409)
    assert ok(operator.get(f"/api/v1/items/{drill['id']}"))["count"] == 0


def test_the_stock_listing_filters_by_location_subtree_and_hides_zero_rows(manager, operator):
    site = location(manager, "Site")
    shelf = location(manager, "Shelf", parent=site["tag"])
    other = location(manager, "Other")
    beans = item(manager)
    receive(operator, beans["id"], shelf["tag"], 2)
    receive(operator, beans["id"], other["tag"], 1)
    ok(operator.post("/api/v1/stock/consume",
                     json={"item": beans["id"], "location": other["tag"], "quantity": 1}), 201)
    in_site = ok(operator.get("/api/v1/stock", params={"location": site["tag"]}))
    assert [(r["location"]["tag"], r["quantity"]) for r in in_site["stock"]] == [
        (shelf["tag"], 2)]
    everywhere = ok(operator.get("/api/v1/stock", params={"item": str(beans["id"])}))
    assert everywhere["total"] == 1
    with_zero = ok(operator.get("/api/v1/stock", params={"include_zero": True}))
    assert with_zero["total"] == 2


def test_the_unit_of_measure_comes_with_each_stock_row(manager, operator):
    shelf = location(manager)
    coffee = item(manager, unit_of_measure="kg")
    receive(operator, coffee["id"], shelf["tag"], 3)
    row = ok(operator.get("/api/v1/stock"))["stock"][0]
    assert row["unit_of_measure"] == "kg"
    assert row["item"]["id"] == coffee["id"] and row["location"]["tag"] == shelf["tag"]


def test_consuming_a_lot_item_without_a_lot_takes_the_first_to_expire(manager, operator):
    fridge, shelf = location(manager, "Fridge"), location(manager, "Shelf")
    gloves = item(manager, tracking="lot", sku="GLOVES-M")
    receive(operator, gloves["id"], fridge["tag"], 30, lot="L-LATE", expires_on="2027-12-31")
    receive(operator, gloves["id"], fridge["tag"], 2, lot="L-SOON", expires_on="2027-01-10")
    receive(operator, gloves["id"], fridge["tag"], 5, lot="L-NONE")
    receive(operator, gloves["id"], shelf["tag"], 9, lot="L-SHELF", expires_on="2026-01-01")
    ok(operator.post("/api/v1/stock/consume", json={
        "item": gloves["id"], "location": fridge["tag"], "quantity": 3}), 201)
    rows = ok(operator.get("/api/v1/stock", params={"item": "GLOVES-M"}))["stock"]
    left = {(r["location"]["tag"], r["lot"]): r["quantity"] for r in rows}
    assert left == {(fridge["tag"], "L-LATE"): 29, (fridge["tag"], "L-NONE"): 5,
                    (shelf["tag"], "L-SHELF"): 9}

    # more than the fridge holds is refused whole, naming what is left, and changes nothing
    before = event_count(operator)
    answer = operator.post("/api/v1/stock/consume", json={
        "item": gloves["id"], "location": fridge["tag"], "quantity": 35})
    assert "34 left" in problem(answer, 409, "quantity")["detail"]
    assert event_count(operator) == before

    # a scan of the box's plain barcode consumes the same way and says which lots
    ok(manager.patch(f"/api/v1/items/{gloves['id']}", json={"barcodes": ["4006381333931"]}))
    answer = ok(operator.post("/api/v1/scans", json={
        "code": "4006381333931", "action": "consume", "location": fridge["tag"],
        "quantity": 31}))
    assert "29 from lot L-LATE, 2 from lot L-NONE" in answer["message"]
    assert answer["message"].endswith(": 3 left")

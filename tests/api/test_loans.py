"""Loans and custody: lending quantities, partial returns, a person's loans, the overdue
list, bulk check-out (per code, and all or nothing)."""

from __future__ import annotations

import datetime as dt

from tests.factories import event_count, item, location, ok, on_hand, person, problem, receive
from tests.factories import units as make_units

PAST = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()
FUTURE = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).isoformat()


def lend(api, body, status=201):
    return ok(api.post("/api/v1/loans/lend", json=body), status)


def test_lend_then_return_in_parts_moves_the_stock_and_the_holding(manager, operator):
    shelf, desk = location(manager, "Shelf"), location(manager, "Desk")
    cords, dana = item(manager), person(manager, "Dana")
    receive(operator, cords["id"], shelf["tag"], 40)
    answer = lend(
        operator,
        {
            "item": cords["id"],
            "location": shelf["tag"],
            "person": dana["tag"],
            "quantity": 5,
            "due_at": FUTURE,
        },
    )
    assert answer["held"] == 5 and answer["event_id"]
    assert on_hand(operator, cords["id"], shelf["tag"]) == 35
    back = ok(
        operator.post(
            "/api/v1/loans/return",
            json={
                "item": cords["id"],
                "person": dana["tag"],
                "quantity": 2,
                "location": desk["tag"],
            },
        ),
        201,
    )
    assert back["held"] == 3
    assert on_hand(operator, cords["id"], desk["tag"]) == 2
    mine = ok(operator.get(f"/api/v1/people/{dana['tag']}/loans"))
    assert [(ln["kind"], ln["quantity"], ln["location"]["tag"]) for ln in mine["quantities"]] == [
        ("quantity", 3, shelf["tag"])
    ]
    history = ok(operator.get(f"/api/v1/people/{dana['tag']}/history"))["events"]
    assert [e["kind"] for e in history][:2] == ["stock.returned", "stock.lent"]


def test_returning_more_than_held_is_refused_naming_how_many_they_hold(manager, operator):
    shelf, cords, dana = location(manager), item(manager), person(manager, "Dana")
    receive(operator, cords["id"], shelf["tag"], 10)
    lend(
        operator,
        {"item": cords["id"], "location": shelf["tag"], "person": dana["tag"], "quantity": 4},
    )
    before = event_count(operator)
    answer = operator.post(
        "/api/v1/loans/return",
        json={"item": cords["id"], "person": dana["tag"], "quantity": 5, "location": shelf["tag"]},
    )
    body = problem(answer, 409, "quantity")
    assert body["code"] == "more_than_held" and "holds 4" in body["detail"]
    assert event_count(operator) == before
    assert on_hand(operator, cords["id"], shelf["tag"]) == 6


def test_lending_more_than_on_hand_or_to_an_inactive_person_is_refused(manager, operator):
    shelf, cords = location(manager), item(manager)
    dana, gone = person(manager, "Dana"), person(manager, "Gone")
    ok(manager.patch(f"/api/v1/people/{gone['tag']}", json={"active": False}))
    receive(operator, cords["id"], shelf["tag"], 3)
    before = event_count(operator)
    too_many = operator.post(
        "/api/v1/loans/lend",
        json={"item": cords["id"], "location": shelf["tag"], "person": dana["tag"], "quantity": 5},
    )
    assert problem(too_many, 409, "quantity")["code"] == "insufficient_stock"
    assert "3 left" in too_many.json()["detail"]
    inactive = operator.post(
        "/api/v1/loans/lend",
        json={"item": cords["id"], "location": shelf["tag"], "person": gone["tag"], "quantity": 1},
    )
    assert problem(inactive, 409, "person")["code"] == "person_inactive"
    assert event_count(operator) == before
    assert ok(operator.get("/api/v1/loans"))["total"] == 0


def test_lot_items_are_lent_and_returned_by_lot(manager, operator):
    shelf, serum, dana = location(manager), item(manager, tracking="lot"), person(manager)
    receive(operator, serum["id"], shelf["tag"], 10, lot="L1")
    lend(
        operator,
        {
            "item": serum["id"],
            "location": shelf["tag"],
            "person": dana["tag"],
            "quantity": 3,
            "lot": "L1",
        },
    )
    loans = ok(operator.get("/api/v1/loans", params={"person": dana["tag"]}))["loans"]
    assert [(ln["lot"], ln["quantity"]) for ln in loans] == [("L1", 3)]
    ok(
        operator.post(
            "/api/v1/loans/return",
            json={
                "item": serum["id"],
                "person": dana["tag"],
                "quantity": 3,
                "location": shelf["tag"],
                "lot": "L1",
            },
        ),
        201,
    )
    assert ok(operator.get("/api/v1/loans"))["total"] == 0
    assert on_hand(operator, serum["id"], shelf["tag"]) == 10


def test_loans_list_units_and_quantities_and_the_overdue_ones(manager, operator):
    shelf, cords, drills = location(manager), item(manager), item(manager, tracking="serial")
    dana, alex = person(manager, "Dana"), person(manager, "Alex")
    receive(operator, cords["id"], shelf["tag"], 10)
    late, on_time = make_units(manager, drills["id"], shelf["tag"], count=2)
    ok(
        operator.post(
            f"/api/v1/units/{late['tag']}/check-out",
            json={"person": dana["tag"], "due_at": PAST, "allow_past_due": True},
        )
    )
    ok(
        operator.post(
            f"/api/v1/units/{on_time['tag']}/check-out",
            json={"person": alex["tag"], "due_at": FUTURE},
        )
    )
    lend(
        operator,
        {
            "item": cords["id"],
            "location": shelf["tag"],
            "person": dana["tag"],
            "quantity": 2,
            "due_at": PAST,
            "allow_past_due": True,  # a loan recorded after the fact
        },
    )
    every = ok(operator.get("/api/v1/loans"))
    assert every["total"] == 3
    overdue = ok(operator.get("/api/v1/loans/overdue"))["loans"]
    assert sorted((ln["kind"], ln["person"]["tag"]) for ln in overdue) == [
        ("quantity", dana["tag"]),
        ("unit", dana["tag"]),
    ]
    assert all(ln["overdue"] for ln in overdue)
    assert ok(operator.get("/api/v1/loans", params={"overdue": "true"}))["total"] == 2
    dana_loans = ok(operator.get(f"/api/v1/people/{dana['tag']}/loans"))
    assert [u["unit"]["tag"] for u in dana_loans["units"]] == [late["tag"]]
    assert dana_loans["overdue"] == 2 and dana_loans["units"][0]["due_at"] is not None
    by_item = ok(operator.get("/api/v1/loans", params={"item": str(drills["id"])}))
    assert by_item["total"] == 2


def test_bulk_check_out_answers_each_code(manager, operator):
    shelf, drills = location(manager), item(manager, tracking="serial")
    dana, alex = person(manager, "Dana"), person(manager, "Alex")
    a, b, c = make_units(manager, drills["id"], shelf["tag"], count=3)
    ok(operator.post(f"/api/v1/units/{c['tag']}/check-out", json={"person": alex["tag"]}))
    answer = ok(
        operator.post(
            "/api/v1/loans/bulk-check-out",
            json={
                "person": dana["tag"],
                "due_at": FUTURE,
                "codes": [a["tag"], b["tag"].lower(), c["tag"], "not-a-tag", a["tag"]],
            },
        )
    )
    assert [r["ok"] for r in answer["results"]] == [True, True, False, False, False]
    assert (answer["checked_out"], answer["refused"], answer["rolled_back"]) == (2, 3, False)
    reasons = [r["error"]["code"] for r in answer["results"] if not r["ok"]]
    assert reasons == ["unit_checked_out", "invalid", "duplicate"]
    assert "Alex" in answer["results"][2]["message"]
    assert ok(operator.get(f"/api/v1/units/{b['tag']}"))["custodian"]["tag"] == dana["tag"]


def test_bulk_check_out_all_or_nothing_rolls_back_every_code(manager, operator):
    shelf, drills, dana = location(manager), item(manager, tracking="serial"), person(manager)
    a, b, c = make_units(manager, drills["id"], shelf["tag"], count=3)
    ok(operator.post(f"/api/v1/units/{c['tag']}/status", json={"status": "in_repair"}))
    before = event_count(operator)
    answer = operator.post(
        "/api/v1/loans/bulk-check-out",
        json={
            "person": dana["tag"],
            "codes": [a["tag"], b["tag"], c["tag"]],
            "all_or_nothing": True,
        },
    )
    body = problem(answer, 409, "codes")
    assert body["code"] == "bulk_refused"
    results = body["details"]["results"]
    assert [r["ok"] for r in results] == [False, False, False]
    assert [r["error"]["code"] for r in results] == ["rolled_back", "rolled_back", "unit_in_repair"]
    assert body["details"]["rolled_back"] is True
    assert event_count(operator) == before
    assert ok(operator.get(f"/api/v1/units/{a['tag']}"))["status"] == "available"
    fine = ok(
        operator.post(
            "/api/v1/loans/bulk-check-out",
            json={"person": dana["tag"], "codes": [a["tag"], b["tag"]], "all_or_nothing": True},
        )
    )
    assert fine["ok"] and fine["checked_out"] == 2
    assert event_count(operator) == before + 2


def test_viewers_read_loans_but_cannot_lend(manager, operator, viewer):
    shelf, cords, dana = location(manager), item(manager), person(manager)
    receive(operator, cords["id"], shelf["tag"], 3)
    refused = viewer.post(
        "/api/v1/loans/lend",
        json={"item": cords["id"], "location": shelf["tag"], "person": dana["tag"], "quantity": 1},
    )
    problem(refused, 403)
    assert ok(viewer.get("/api/v1/loans"))["total"] == 0

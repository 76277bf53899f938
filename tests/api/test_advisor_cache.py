"""The advisor's kept suggestions (services/advisor_cache.py) are exact: after every change
of a random sequence, the report brought up to date from the new events equals the report
read from scratch."""

import random

from server.services import advisor_cache
from tests.factories import item, location, ok, person, receive, units


def both_ways(api):
    kept = ok(api.get("/api/v1/reports/advisor", params={"limit": 500}))
    advisor_cache.clear()
    fresh = ok(api.get("/api/v1/reports/advisor", params={"limit": 500}))
    return kept, fresh


def test_kept_suggestions_equal_a_fresh_read_after_every_change(manager, operator):
    rng = random.Random(12)
    shelves = [location(manager), location(manager)]
    ana = person(manager)
    counted = [item(manager, unit_cost=str(cost)) for cost in ("3", "300", "900")]
    for thing in counted:
        receive(operator, thing["id"], shelves[0]["tag"], 20)
    serial = item(manager, tracking="serial", unit_cost="2")
    tags = [u["tag"] for u in units(manager, serial["id"], shelves[0]["tag"], count=4)]
    out: set[str] = set()

    def step() -> None:
        choice = rng.randrange(6)
        thing = rng.choice(counted)
        if choice == 0:
            ok(operator.post("/api/v1/stock/adjust", json={
                "item": thing["id"], "location": shelves[0]["tag"],
                "counted": rng.randrange(5, 20), "reason": "count"}), 201)
        elif choice == 1:
            ok(manager.patch(f"/api/v1/items/{thing['id']}",
                             json={"unit_cost": str(rng.choice([1, 50, 800]))}))
        elif choice == 2:
            tag = rng.choice(tags)
            if tag in out:
                ok(operator.post(f"/api/v1/units/{tag}/check-in", json={}), 201)
                out.discard(tag)
            else:
                ok(operator.post(f"/api/v1/units/{tag}/check-out",
                                 json={"person": ana["tag"]}), 201)
                out.add(tag)
        elif choice == 3:
            tag = rng.choice([t for t in tags if t not in out] or tags)
            if tag not in out:  # to where it is already: refused, nothing changes
                moved = operator.post(f"/api/v1/units/{tag}/move",
                                      json={"location": rng.choice(shelves)["tag"]})
                assert moved.status_code in (201, 409), moved.text
        elif choice == 4:
            ok(manager.patch(f"/api/v1/items/{thing['id']}",
                             json={"regulated": rng.random() < 0.5}))
        else:
            receive(operator, thing["id"], shelves[1]["tag"], rng.randrange(1, 5))

    kept, fresh = both_ways(manager)
    assert kept == fresh
    for _ in range(30):
        step()
        kept, fresh = both_ways(manager)
        assert kept == fresh
    for tag in sorted(out):  # back in, for the fixture's verify
        ok(operator.post(f"/api/v1/units/{tag}/check-in", json={}), 201)

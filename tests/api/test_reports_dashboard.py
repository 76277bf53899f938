"""The dashboard as a manager's morning page: overdue with days, due today, what to
reorder with an order, units needing repair, links into the reports (advisor, utilization)."""

import datetime as dt
import re

from tests.factories import item, location, ok, person, receive, units

HTML = {"accept": "text/html"}


def _tile(page: str, words: str) -> int:
    found = re.search(r"<strong>(\d+)</strong> " + words, page)
    assert found, words
    return int(found.group(1))


def test_an_empty_site_shows_zeros_and_no_alarm(manager):
    page = manager.get("/", headers=HTML).text
    assert _tile(page, "overdue") == 0 and _tile(page, "due back today") == 0
    assert "Nothing is overdue." in page and 'href="/reports/low-stock"' in page


def test_the_morning_page_counts_what_a_manager_acts_on(manager):
    shelf = location(manager, "Crib")
    drills = item(manager, "serial", sku="DB-DRILL", name="Drill")
    made = units(manager, drills["id"], shelf["tag"], count=4)
    ana = person(manager, "Ana Late")
    now = dt.datetime.now(dt.UTC)
    ok(manager.post(f"/api/v1/units/{made[0]['tag']}/check-out", json={
        "person": ana["id"], "due_at": (now - dt.timedelta(days=5, hours=1)).isoformat(),
        "allow_past_due": True}))
    ok(manager.post(f"/api/v1/units/{made[1]['tag']}/check-out", json={
        "person": ana["id"], "due_at": (now + dt.timedelta(minutes=2)).isoformat()}))
    ok(manager.post(f"/api/v1/units/{made[2]['tag']}/condition",
                    json={"condition": "needs_repair"}))
    item(manager, sku="DB-BEANS", name="Beans", reorder_point=10)
    receive(manager, "DB-BEANS", shelf["tag"], 3)
    page = manager.get("/", headers=HTML).text
    assert _tile(page, "overdue, the oldest 5 days") == 1
    assert _tile(page, "to reorder") == 1
    assert _tile(page, "unit needs repair") == 1
    overdue = page[page.index('id="overdue-h"'):page.index('id="due-h"')]
    assert "Ana Late" in overdue and ">5</td>" in overdue
    care = page[page.index('id="care-h"'):page.index('id="out-h"')]
    assert made[2]["tag"] in care
    low = page[page.index('id="low-h"'):page.index('id="care-h"')]
    assert re.search(r"DB-BEANS.*?<td class=\"num\">17</td>", low, re.S)  # up to 2 x 10
    assert 'href="/reports/advisor"' in page and 'href="/reports/utilization"' in page
    # a due time two minutes from now is today in any zone but one that turns midnight now
    assert _tile(page, "due back today") in (0, 1)

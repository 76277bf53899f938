"""History on the pages reads back to the very first event: item, unit, location and person
pages show the latest events with "Older" / "Newer" links (keyset pages on the event id),
and the dashboard folds a bulk change into one line that links to its events."""

from __future__ import annotations

import re

import pytest

from server.http.pages import timeline as pages_timeline
from tests import factories as f

HTML = {"Accept": "text/html"}


def login(client, role="viewer"):
    client.cookies.clear()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    form = {"username": role, "password": "correct horse", "next": "/"}
    if token:
        form["csrf"] = token.group(1)
    answer = client.post("/login", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def history_part(text):
    return text[text.index('id="history-h"'):]


def link(text, rel):
    found = re.search(rf'<a href="(\?[^"#]*)#history-h" rel="{rel}">', history_part(text))
    return found.group(1).replace("&amp;", "&") if found else None


def verbs(text):
    return [re.sub(r"\s+", " ", v).strip()
            for v in re.findall(r"<strong>(?:<a [^>]*>)?([^<]+)", history_part(text))]


def walk(client, page):
    """Every page of a record's history, following "Older" from the top: the lines seen,
    in order, and the pages' addresses."""
    seen, pages, address = [], [], page
    while True:
        answer = client.get(address)
        assert answer.status_code == 200, answer.text[:500]
        seen += verbs(answer.text)
        pages.append(address)
        older = link(answer.text, "next")
        if older is None:
            return seen, pages, answer.text
        address = page.split("?")[0] + older
        assert len(pages) < 50


def test_an_item_page_reads_back_past_a_conversion_to_received_and_created(
        client, manager, operator):
    shelf = f.location(manager)
    cords = f.item(manager, name="Extension cord")
    f.receive(operator, cords["id"], shelf["tag"], 30)
    f.ok(manager.post(f"/api/v1/items/{cords['id']}/convert", json={"tracking": "serial"}), 201)
    total = len(f.ok(manager.get(f"/api/v1/items/{cords['id']}/history",
                                 params={"limit": 500}))["events"])
    assert total > 25 + 5  # more than one page

    login(client)
    first = client.get(f"/items/{cords['id']}").text
    assert "Received 30" not in first  # below the first page, as before
    assert link(first, "prev") is None  # the newest page has no "Newer"
    seen, pages, last = walk(client, f"/items/{cords['id']}")
    assert len(seen) == total and len(pages) == 2
    assert seen[-2:] == ["Received 30", "Item created"]
    assert "The first event" in history_part(last)

    # and back up: "Newer" from the last page leads to the page before it
    newer = link(last, "prev")
    back = client.get(f"/items/{cords['id']}{newer}").text
    assert verbs(back) == seen[:25]


@pytest.mark.parametrize("where", ["location", "person", "unit"])
def test_location_person_and_unit_pages_page_back_to_their_first_event(
        client, manager, operator, where):
    a, b = f.location(manager, "Shelf A"), f.location(manager, "Shelf B")
    dana = f.person(manager, "Dana")
    drills = f.item(manager, tracking="serial")
    [unit] = f.units(manager, drills["id"], a["tag"])
    tag = unit["tag"]
    rounds = {"location": 15, "person": 28, "unit": 52}[where]  # past 25, 50 and 100 lines
    for _ in range(rounds):
        if where == "person":
            f.ok(operator.post(f"/api/v1/units/{tag}/check-out", json={"person": dana["tag"]}),
                 201)
            f.ok(operator.post(f"/api/v1/units/{tag}/check-in", json={}), 201)
        else:
            for there in (b, a):
                f.ok(operator.post(f"/api/v1/units/{tag}/move", json={"location": there["tag"]}),
                     201)
    page = {"location": f"/locations/{a['tag']}", "person": f"/people/{dana['tag']}",
            "unit": f"/units/{tag}"}[where]
    api = {"location": f"/api/v1/locations/{a['tag']}/history",
           "person": f"/api/v1/people/{dana['tag']}/history",
           "unit": f"/api/v1/units/{tag}/history"}[where]
    events = []
    before = None
    while True:
        params = {"limit": 500} if before is None else {"limit": 500, "before": before}
        got = f.ok(manager.get(api, params=params))
        events += got["events"]
        before = got["next_before"]
        if before is None:
            break

    login(client)
    seen, pages, _ = walk(client, page)
    assert len(seen) == len(events) and len(pages) >= 2
    assert events[-1]["kind"] == f"{where}.created"
    assert seen[-1] == f"{where.capitalize()} created"


def test_a_cursor_past_the_first_event_says_nothing_older_and_links_back(client, manager):
    shelf = f.location(manager)
    login(client)
    answer = client.get(f"/locations/{shelf['tag']}?before=1")
    assert "Nothing older." in answer.text
    assert link(answer.text, "prev") == "?after=0"
    for bad in ("x", "-1", "99999999999999999999", "²"):
        assert client.get(f"/locations/{shelf['tag']}?before={bad}", headers=HTML
                          ).status_code in (400, 422)


def test_the_dashboard_shows_a_bulk_collapse_as_one_line_linking_to_the_item(
        client, manager, operator):
    shelf = f.location(manager, "Crib")
    drills = f.item(manager, tracking="serial", name="Cordless drill")
    f.units(manager, drills["id"], shelf["tag"], count=22)
    f.ok(manager.post(f"/api/v1/items/{drills['id']}/convert", json={"tracking": "quantity"}), 201)
    login(client)
    recent = client.get("/").text
    recent = recent[recent.index('id="recent-h"'):]
    line = re.search(r'<a href="(/items/(\d+)\?before=(\d+)#history-h)">22 units collapsed</a>',
                     recent)
    assert line, recent
    assert int(line.group(2)) == drills["id"]
    assert "22 units created" in recent  # the units' creation: one line too
    assert recent.count("Unit collapsed") == 0
    # the link opens the item's history at the collapse
    text = client.get(line.group(1).split("#")[0]).text
    assert verbs(text)[:22] == ["Unit collapsed"] * 22


def test_a_bulk_change_longer_than_the_dashboard_reads_is_counted_whole(
        client, manager, monkeypatch):
    shelf = f.location(manager, "Crib")
    drills = f.item(manager, tracking="serial", name="Cordless drill")
    f.units(manager, drills["id"], shelf["tag"], count=30)
    monkeypatch.setattr(pages_timeline, "RECENT_SCAN", 7)
    monkeypatch.setattr(pages_timeline, "TAIL_CHUNK", 4)
    login(client)
    assert ">30 units created</a>" in client.get("/").text
    monkeypatch.setattr(pages_timeline, "TAIL_CAP", 10)
    capped = re.search(r">(\d+)\+ units created</a>", client.get("/").text)
    assert capped and 7 + 10 <= int(capped.group(1)) < 30  # read on until the cap, then "+"


def _row(i, kind="unit.collapsed", actor="dana", at=0.0, **extra):
    import datetime as dt

    base = dt.datetime(2026, 11, 29, 12, 0, 0, tzinfo=dt.UTC)
    return {"id": i, "kind": kind, "actor": actor, "at": base + dt.timedelta(seconds=at),
            **extra}


def test_runs_split_on_kind_actor_and_a_pause_of_a_second_but_not_on_a_clock_tick():
    rows = [_row(9, at=2.9), _row(8, at=2.2), _row(7, at=1.95),  # over a second boundary
            _row(6, at=0.5),  # 1.45 s earlier: another change
            _row(5, at=0.5, actor="sam"), _row(4, kind="unit.moved", actor="sam", at=0.5),
            _row(3, kind="unit.moved", actor="sam", at=0.4)]
    assert [[r["id"] for r in run] for run in pages_timeline.runs(rows)] == [
        [9, 8, 7], [6], [5], [4, 3]]


def test_a_run_of_stock_events_sums_its_quantity():
    rows = [_row(3, kind="stock.consumed", quantity=4, lot_id=1),
            _row(2, kind="stock.consumed", quantity=6, lot_id=2)]
    assert pages_timeline.run_verb(rows, 2) == "Consumed 10 from 2 lots"
    people = [_row(2, kind="person.created"), _row(1, kind="person.created")]
    assert pages_timeline.run_verb(people, 2) == "2 people created"

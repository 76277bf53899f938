"""Bulk actions from the units lists of the item and location pages: the selected units
checked out, moved, retired or labelled in one post. Each unit goes on its own (one event
each); the answer names each refusal; the whole list is refused before any unit when what
applies to all of it is wrong (no unit, too many, no person, no reason)."""

from __future__ import annotations

import re

import pytest

from server.services import bulk
from tests import factories as f

HTML = {"Accept": "text/html"}


def login(client, role):
    client.cookies.clear()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    form = {"username": role, "password": "correct horse", "next": "/"}
    if token:
        form["csrf"] = token.group(1)
    answer = client.post("/login", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def post(client, page, **fields):
    """Open `page` as the browser would, then post its bulk form with `fields`."""
    html = client.get(page, headers=HTML).text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)
    return client.post("/units/bulk", data={"csrf": token, "back": page, **fields},
                       headers=HTML, follow_redirects=False)


def results(html):
    """(tag, done?, message) for each row of the results table."""
    body = html.split('<table class="results">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr( class=\"refused\")?>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", body, re.S)
    return [(re.sub(r"<[^>]+>", "", t).strip(), not bad,
             re.sub(r"<[^>]+>", "", m).replace("done", "", 1).replace("refused", "", 1).strip())
            for bad, t, m in rows]


@pytest.fixture
def crib(admin):
    """Six drills on shelf A; the first out with Dana, the last retired."""
    a, b = f.location(admin, "Shelf A"), f.location(admin, "Shelf B")
    dana, sam = f.person(admin, "Dana Whitfield"), f.person(admin, "Sam Ortiz")
    drill = f.item(admin, "serial", name="Cordless drill")
    tags = [u["tag"] for u in f.units(admin, drill["id"], a["tag"], count=6)]
    f.ok(admin.post(f"/api/v1/units/{tags[0]}/check-out", json={"person": dana["tag"]}))
    f.ok(admin.post(f"/api/v1/units/{tags[5]}/actions/retire", json={"note": "cracked"}))
    return {"a": a, "b": b, "dana": dana, "sam": sam, "drill": drill, "tags": tags,
            "page": f"/items/{drill['id']}"}


def test_the_units_lists_offer_boxes_and_the_action_bar_to_an_operator(client, crib):
    login(client, "operator")
    for page in (crib["page"], f"/locations/{crib['a']['tag']}"):
        html = client.get(page, headers=HTML).text
        boxes = re.findall(r'<input type="checkbox" name="unit" value="([^"]+)" form="bulk-form"',
                           html)
        assert boxes == crib["tags"], page
        assert '<form method="post" action="/units/bulk" id="bulk-form"' in html
        assert ('<div class="bulk-tools check" data-bulk-tools hidden><input type="checkbox" '
                'id="bulk-all" data-select-all>') in html  # bulk.js shows it
        assert f'<input type="hidden" name="back" value="{page}">' in html
        actions = re.findall(r'<option value="(\w+)"', html.split('id="bulk-action"', 1)[1]
                             .split("</select>", 1)[0])
        assert actions == ["check_out", "move", "retire"]  # labels: a manager's
        assert "bulk.js" in html


def test_a_viewer_gets_no_boxes_and_cannot_post(client, crib):
    login(client, "viewer")
    html = client.get(crib["page"], headers=HTML).text
    assert 'name="unit"' not in html and "bulk-form" not in html
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)
    answer = client.post("/units/bulk", data={"csrf": token, "action": "move",
                                              "unit": crib["tags"][1:3],
                                              "location": crib["b"]["tag"]},
                         headers=HTML, follow_redirects=False)
    assert answer.status_code == 403


def test_a_post_without_the_csrf_token_is_refused(client, admin, crib):
    login(client, "operator")
    answer = client.post("/units/bulk", data={"action": "move", "unit": crib["tags"][1:3],
                                              "location": crib["b"]["tag"]},
                         headers=HTML, follow_redirects=False)
    assert answer.status_code == 403
    assert f.ok(admin.get(f"/api/v1/units/{crib['tags'][1]}"))["location"]["tag"] == \
        crib["a"]["tag"]


def test_a_move_moves_the_free_units_and_names_each_refusal(client, admin, crib):
    tags, b = crib["tags"], crib["b"]
    before = f.event_count(admin)
    login(client, "operator")
    answer = post(client, crib["page"], action="move", unit=tags, location=b["tag"])
    assert answer.status_code == 200, answer.text[:800]
    assert f"5 moved, 1 refused: {tags[5]} is retired." in answer.text
    rows = results(answer.text)
    assert [(t, ok) for t, ok, _ in rows] == [(t, t != tags[5]) for t in tags]
    assert rows[1][2] == f"{tags[1]} moved to Shelf B"
    assert f.event_count(admin) == before + 5  # one event per unit moved, none refused
    where = {u["tag"]: u["location"]["tag"]
             for u in f.ok(admin.get("/api/v1/units", params={"item": crib["drill"]["id"]}))
             ["units"]}
    assert where == {t: (crib["a"]["tag"] if t == tags[5] else b["tag"]) for t in tags}
    assert f'<a href="{crib["page"]}">Back to the list</a>' in answer.text


def test_a_check_out_lends_the_free_units_with_the_due_date(client, admin, crib):
    tags, sam = crib["tags"], crib["sam"]
    login(client, "operator")
    answer = post(client, crib["page"], action="check_out", unit=tags[:3], person=sam["tag"],
                  due_at="2099-03-01")
    assert answer.status_code == 200, answer.text[:800]
    assert (f"2 checked out, 1 refused: {tags[0]} is already checked out to Dana Whitfield."
            in answer.text)
    for tag in tags[1:3]:
        unit = f.ok(admin.get(f"/api/v1/units/{tag}"))
        assert unit["custodian"]["tag"] == sam["tag"]
        assert unit["due_at"].startswith("2099-03-01")  # the end of that day (UTC site)
    assert f.ok(admin.get(f"/api/v1/units/{tags[0]}"))["custodian"]["tag"] == \
        crib["dana"]["tag"]


def test_a_retire_needs_a_reason_and_keeps_it_in_each_event(client, admin, crib):
    tags = crib["tags"]
    login(client, "operator")
    answer = post(client, crib["page"], action="retire", unit=tags[:3], reason="  ")
    assert answer.status_code == 422
    assert "Say why these units are retired. Nothing was changed." in answer.text
    answer = post(client, crib["page"], action="retire", unit=tags[:3], reason="flood damage")
    assert answer.status_code == 200
    assert f"2 retired, 1 refused: {tags[0]} is checked out to Dana Whitfield." in answer.text
    history = f.ok(admin.get("/api/v1/events", params={"unit": tags[1]}))["events"]
    assert history[0]["note"] == "flood damage"
    assert f.ok(admin.get(f"/api/v1/units/{tags[1]}"))["status"] == "retired"


def test_when_every_unit_is_refused_the_answer_says_so(client, crib):
    tags = crib["tags"]
    login(client, "operator")
    answer = post(client, f"/locations/{crib['a']['tag']}", action="move", unit=tags[5:],
                  location=crib["b"]["tag"])
    assert answer.status_code == 409
    assert f"0 moved, 1 refused: {tags[5]} is retired." in answer.text


def test_what_applies_to_the_whole_list_is_refused_before_any_unit(client, admin, crib):
    tags, before = crib["tags"], f.event_count(admin)
    login(client, "operator")
    cases = [
        ({"action": "move", "location": crib["b"]["tag"]}, "Select at least one unit"),
        ({"action": "move", "unit": tags[1:3]}, "Choose where they go"),
        ({"action": "check_out", "unit": tags[1:3]}, "Choose who takes them"),
        ({"action": "check_out", "unit": tags[1:3], "person": crib["sam"]["tag"],
          "due_at": "2001-01-01"}, "past"),
        ({"action": "polish", "unit": tags[1:3]}, "Choose what to do with the selected units"),
    ]
    for fields, words in cases:
        answer = post(client, crib["page"], **fields)
        assert answer.status_code in (409, 422), (fields, answer.status_code)
        assert "Nothing was changed." in answer.text, fields
        assert words in answer.text, (fields, answer.text[:1500])
    assert f.event_count(admin) == before


def test_at_most_500_units_go_in_one_post(client, crib):
    assert bulk.MAX_UNITS == 500
    many = [f"U-{n:07d}" for n in range(501)]
    login(client, "operator")
    answer = post(client, crib["page"], action="move", unit=many, location=crib["b"]["tag"])
    assert answer.status_code == 422
    assert "At most 500 units in one go (501 were selected). Nothing was changed." \
        in answer.text


def test_a_manager_prints_the_selected_units_labels_as_one_pdf(client, crib):
    tags = crib["tags"]
    login(client, "operator")
    answer = post(client, crib["page"], action="labels", unit=tags[1:3])
    assert answer.status_code == 403
    login(client, "manager")
    html = client.get(crib["page"], headers=HTML).text
    assert '<option value="labels">Print labels (PDF)</option>' in html
    answer = post(client, crib["page"], action="labels", unit=tags[1:3], stock="zebra-2x1")
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"] == "application/pdf"
    assert 'filename="labels-2-units.pdf"' in answer.headers["content-disposition"]
    assert answer.content.startswith(b"%PDF")


def test_back_goes_to_a_page_of_this_site_only(client, crib):
    login(client, "operator")
    html = client.get(crib["page"], headers=HTML).text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)
    answer = client.post("/units/bulk", data={"csrf": token, "back": "//evil.example/x",
                                              "action": "move", "unit": crib["tags"][5:],
                                              "location": crib["b"]["tag"]},
                         headers=HTML, follow_redirects=False)
    assert "evil.example" not in answer.text
    assert '<a href="/">Back to the list</a>' in answer.text

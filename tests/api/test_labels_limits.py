"""A label batch holds at most MAX_BATCH labels: a larger selection (tags, an item's units,
a location's subtree, people, blank tags) is refused naming the limit and the count, on the
API and on the labels page, and never cut short. Tests shrink the limit so that a few
records exceed it."""

import re

import pytest

from server.services import labels as label_service
from tests.factories import event_count, item, location, person, problem, units

HTML = {"Accept": "text/html"}


def too_many(answer, field, limit, count):
    body = problem(answer, 422, field)
    assert body["code"] == "too_many_labels"
    assert f"at most {limit:,} labels" in body["detail"]
    assert f"this one has {count:,}" in body["detail"]
    assert body["details"] == {"limit": limit, "count": count}
    return body


@pytest.fixture
def limit_3(monkeypatch):
    monkeypatch.setattr(label_service, "MAX_BATCH", 3)
    return 3


def test_a_label_request_for_100000_tags_is_refused_with_the_limit_and_the_count(manager):
    tags = [f"U-{i:06d}" for i in range(100_000)]
    too_many(manager.post("/api/v1/labels", json={"stock": "avery-5160", "tags": tags}),
             "tags", 5000, 100_000)


def test_more_blank_tags_than_a_batch_holds_are_refused_and_none_are_reserved(manager):
    before = event_count(manager)
    too_many(manager.post("/api/v1/labels", json={"stock": "zebra-2x1", "blank": 5001}),
             "blank", 5000, 5001)
    assert event_count(manager) == before


def test_an_item_gets_every_label_up_to_the_limit_and_a_refusal_past_it(manager, limit_3):
    shelf = location(manager)
    drill = item(manager, tracking="serial")
    tags = {u["tag"] for u in units(manager, drill["id"], shelf["tag"], count=3)}
    body = {"stock": "zebra-2x1", "format": "zpl", "item": drill["id"]}
    answer = manager.post("/api/v1/labels", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.text.count("^XA") == 3 and all(t in answer.text for t in tags)
    units(manager, drill["id"], shelf["tag"])
    too_many(manager.post("/api/v1/labels", json=body), "item", 3, 4)


def test_a_location_subtree_larger_than_a_batch_is_refused(manager, limit_3):
    site = location(manager, "Site")
    room = location(manager, "Room", parent=site["tag"])
    for name in ("Shelf 1", "Shelf 2"):
        location(manager, name, parent=room["tag"])
    too_many(manager.post("/api/v1/labels", json={"stock": "zebra-2x1", "format": "zpl",
                                                  "location": site["tag"]}), "location", 3, 4)


def test_more_people_than_a_batch_holds_are_refused(manager, limit_3):
    for _ in range(4):
        person(manager)
    too_many(manager.post("/api/v1/labels", json={"stock": "zebra-2x1", "format": "zpl",
                                                  "people": True}), "people", 3, 4)


def test_printing_more_tags_than_a_batch_holds_is_refused(manager, limit_3):
    shelves = [location(manager)["tag"] for _ in range(4)]
    too_many(manager.post("/api/v1/labels/print", json={"printer": "dock", "stock": "zebra-2x1",
                                                        "tags": shelves}), "tags", 3, 4)


def page_login(client, role):
    """Log in through the login form as a browser would (its CSRF field, if it has one)."""
    client.cookies.clear()
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    fields = {"username": role, "password": "correct horse", "next": "/"}
    if token:
        fields["csrf"] = token.group(1)
    answer = client.post("/login", data=fields, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def post_labels_form(client, **fields):
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/labels").text).group(1)
    return client.post("/labels/download", data={"csrf": token, "stock": "zebra-2x1",
                                                 "format": "zpl", **fields},
                       headers=HTML, follow_redirects=False)


def error_at(answer, field):
    assert answer.status_code == 422, (answer.status_code, answer.text[:500])
    found = re.search(rf'<p class="error" id="download-{field}-error">([^<]*)</p>', answer.text)
    assert found, answer.text
    return found.group(1)


def test_the_labels_page_refuses_an_item_over_the_limit_at_its_field(client, manager, limit_3):
    shelf = location(manager)
    drill = item(manager, tracking="serial")
    units(manager, drill["id"], shelf["tag"], count=4)
    page_login(client, "manager")
    message = error_at(post_labels_form(client, source="item", item=drill["sku"]), "item")
    assert "at most 3 labels" in message and "this one has 4" in message


def test_the_labels_page_refuses_too_many_tags_and_too_many_people(client, manager, limit_3):
    for _ in range(4):
        person(manager)
    page_login(client, "manager")
    tags = " ".join(f"U-{i:06d}" for i in range(5))
    assert "this one has 5" in error_at(post_labels_form(client, source="tags", tags=tags),
                                        "tags")
    assert "this one has 4" in error_at(post_labels_form(client, source="people"), "source")

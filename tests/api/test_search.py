"""The search box in every page's header (/search): a code (tag, label URL, serial, SKU,
badge, barcode, lot code) or a single name hit opens its page; several hits are listed by
kind; none says so and keeps the text. Viewers may search; nobody logged out may."""

from __future__ import annotations

import re
from html import unescape

import pytest

from server.domain.tags import Tag, TagKind
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


def search(client, q):
    return client.get("/search", params={"q": q}, headers=HTML, follow_redirects=False)


def opens(client, q, where):
    answer = search(client, q)
    assert answer.status_code == 303, (q, answer.status_code, answer.text[:600])
    assert answer.headers["location"] == where, q
    assert client.get(where, headers=HTML).status_code == 200


@pytest.fixture
def site(admin):
    shelf = f.location(admin, "Drill cabinet")
    paint = f.location(admin, "Paint store")
    dana = f.person(admin, "Dana Whitfield", badge_code="BADGE-1002", email="dana@example.org")
    drill = f.item(admin, "serial", sku="DRL-485", name="Cordless drill DDF485")
    hammer = f.item(admin, "serial", sku="HMR-1", name="Hammer drill HR2470")
    glue = f.item(admin, "lot", sku="GLUE-5", name="Wood glue")
    f.receive(admin, glue["id"], shelf["tag"], 4, lot="L2026-11")
    [unit] = f.units(admin, drill["id"], shelf["tag"], serials=["SN-0042"])
    f.units(admin, hammer["id"], shelf["tag"], serials=["HX-1"])
    return {"shelf": shelf, "paint": paint, "dana": dana, "drill": drill, "glue": glue,
            "unit": unit}


def test_a_code_opens_its_record_for_a_viewer(client, site):
    login(client, "viewer")
    unit, drill, dana, shelf = site["unit"], site["drill"], site["dana"], site["shelf"]
    opens(client, unit["tag"], f"/units/{unit['tag']}")
    opens(client, unit["tag"].lower(), f"/units/{unit['tag']}")
    opens(client, f"http://tagtrack.test/u/{unit['tag']}", f"/units/{unit['tag']}")
    opens(client, "SN-0042", f"/units/{unit['tag']}")
    opens(client, "sn-0042", f"/units/{unit['tag']}")  # typed in lower case on a phone
    opens(client, "drl-485", f"/items/{drill['id']}")
    opens(client, "BADGE-1002", f"/people/{dana['tag']}")
    opens(client, shelf["tag"], f"/locations/{shelf['tag']}")
    lot = re.search(r'href="(/lots/\d+)"', client.get(f"/items/{site['glue']['id']}").text)
    opens(client, "L2026-11", lot.group(1))
    opens(client, "l2026-11", lot.group(1))


def test_a_single_name_hit_opens_it(client, site):
    login(client, "viewer")
    opens(client, "  PAINT ", f"/locations/{site['paint']['tag']}")
    opens(client, "whitf", f"/people/{site['dana']['tag']}")
    opens(client, "dana@exa", f"/people/{site['dana']['tag']}")
    opens(client, "wood GLUE", f"/items/{site['glue']['id']}")


def test_several_hits_are_listed_by_kind_with_links(client, site):
    login(client, "viewer")
    answer = search(client, "drill")
    assert answer.status_code == 200, answer.text[:500]
    html = unescape(answer.text)
    assert "3 found for “drill”" in html
    items = html.index('<h3 id="k-item">Items</h3>')
    places = html.index('<h3 id="k-location">Locations</h3>')
    assert items < places
    assert f'href="/items/{site["drill"]["id"]}">Cordless drill DDF485</a>' in html
    assert 'Hammer drill HR2470</a>' in html
    assert f'href="/locations/{site["shelf"]["tag"]}">Drill cabinet</a>' in html
    assert "k-person" not in html


def test_nothing_found_says_so_and_keeps_the_text(client, site):
    login(client, "viewer")
    answer = search(client, "zebra <b>")
    assert answer.status_code == 200
    assert "Nothing found for “zebra &lt;b&gt;”" in answer.text
    assert 'id="s-q" name="q" type="search" value="zebra &lt;b&gt;"' in answer.text


def test_a_mistyped_tag_says_why(client, site):
    login(client, "viewer")
    tag = site["unit"]["tag"]
    answer = search(client, f.mistype(tag))
    assert answer.status_code == 200
    assert "Not a valid tag" in answer.text
    unknown = search(client, str(Tag(TagKind.UNIT, 99999)))  # well formed, yet nobody's
    assert unknown.status_code == 200
    assert "Nothing found" in unknown.text and "No unit has the tag" in unknown.text


def test_wildcards_are_taken_literally(client, site):
    login(client, "viewer")
    for q in ("%", "_", "!"):
        answer = search(client, q)
        assert answer.status_code == 200, q
        assert "Nothing found" in answer.text, q


def test_many_hits_are_bounded_and_point_to_the_full_list(client, admin):
    for n in range(12):
        f.item(admin, name=f"Cable tie pack {n:02d}")
    login(client, "viewer")
    answer = search(client, "cable tie")
    assert answer.status_code == 200
    assert answer.text.count('href="/items/') == 10
    assert "10+ found" in answer.text
    assert 'href="/items?q=cable+tie"' in answer.text


def test_a_code_shared_by_two_items_lists_both(client, admin):
    shelf = f.location(admin)
    for name in ("Saw A", "Saw B"):
        item = f.item(admin, "serial", name=name)
        f.units(admin, item["id"], shelf["tag"], serials=["0001"])
    login(client, "viewer")
    answer = search(client, "0001")
    assert answer.status_code == 200
    assert "2 found" in answer.text and "(by code)" in answer.text
    assert answer.text.count('href="/units/U-') == 2


def test_a_very_long_text_is_refused_in_words(client):
    login(client, "viewer")
    answer = search(client, "x" * 201)
    assert answer.status_code == 422
    assert "Type at most 200 characters." in answer.text


def test_every_page_has_the_search_box_and_nobody_logged_out_can_search(client, site):
    answer = search(client, "drill")
    assert answer.status_code in (302, 303) and answer.headers["location"].startswith("/login")
    login(client, "viewer")
    for path in ("/", "/items", "/loans", f"/units/{site['unit']['tag']}"):
        html = client.get(path, headers=HTML).text
        assert '<form class="top-search" role="search" method="get" action="/search"' in html
        assert 'name="q" type="search" maxlength="200"' in html

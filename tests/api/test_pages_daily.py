"""The pages a person uses every day, in process: a unit merged into a count offers no
action; the tracking change asks once, shows the options of the chosen target and refuses
in its own words; after adding units, their labels are one click away."""

import html
import random
import re
from html.parser import HTMLParser

import pytest

from tests import factories as f
from tests.conftest import page_login

HTML = {"Accept": "text/html"}


def login(client, role):
    client.cookies.clear()
    answer = page_login(client, role)
    assert answer.status_code == 303, answer.text


def send(client, page, action, **fields):
    """Open `page` as the logged-in browser would, then post its form to `action`."""
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(page).text).group(1)
    return client.post(action, data={"csrf": token, **fields}, headers=HTML,
                       follow_redirects=False)


def error_at(html, form, field):
    found = re.search(rf'<p class="error" id="{form}-{field.replace("_", "-")}-error">([^<]*)</p>',
                      html)
    assert found, html
    return found.group(1)


def forms_posting_to(html, prefix):
    return re.findall(rf'<form method="post" action="({re.escape(prefix)}[^"]*)"', html)


@pytest.fixture
def shelf(admin):
    return f.location(admin, "Drill rack")


@pytest.fixture
def drills(admin, shelf):
    drill = f.item(admin, tracking="serial", name="Drill", sku="DRL-1")
    return drill, [u["tag"] for u in f.units(admin, drill["id"], shelf["tag"], count=3)]


# -- units merged into counts -------------------------------------------------------------

def test_a_unit_merged_into_a_count_offers_no_action(client, admin, drills):
    drill, tags = drills
    f.ok(admin.post(f"/api/v1/items/{drill['id']}/convert", json={"tracking": "quantity"}), 201)
    login(client, "manager")
    html = client.get(f"/units/{tags[0]}").text
    assert "collapsed into counts" in html and 'id="collapsed-note"' in html
    # the manager's edit of serial and purchase data still works on a merged unit; no other
    assert forms_posting_to(html, f"/units/{tags[0]}") == [f"/units/{tags[0]}/edit"]
    login(client, "operator")
    assert forms_posting_to(client.get(f"/units/{tags[0]}").text, "/units/") == []


def test_a_live_unit_keeps_its_actions(client, drills):
    tag = drills[1][0]
    login(client, "operator")
    actions = forms_posting_to(client.get(f"/units/{tag}").text, f"/units/{tag}")
    assert {f"/units/{tag}/{a}" for a in ("check-out", "move", "status", "condition")} <= set(
        actions)


# -- the tracking change ------------------------------------------------------------------

def convert_form(html):
    start = html.index('<form method="post" action="/items/', html.index("Change tracking mode"))
    return html[start:html.index("</form>", start)]


def test_the_tracking_change_asks_once_and_offers_only_the_other_modes(client, drills):
    login(client, "manager")
    form = convert_form(client.get(f"/items/{drills[0]['id']}").text)
    assert "data-confirm" not in form  # the tick box is the one confirmation
    assert re.findall(r'name="tracking" value="(\w+)"', form) == ["quantity", "lot"]
    assert 'class="when-lot"' in form  # shown by app.css only while "lot" is chosen
    assert 'name="on_checked_out"' not in form  # nothing is checked out: no such choice


def test_the_checked_out_choice_appears_only_when_units_are_out(client, admin, drills):
    drill, tags = drills
    person = f.person(admin, name="Dana")
    for tag in tags[:2]:
        f.ok(admin.post(f"/api/v1/units/{tag}/check-out", json={"person": person["tag"]}))
    login(client, "manager")
    form = convert_form(client.get(f"/items/{drill['id']}").text)
    assert "First check in the 2 units now checked out" in form


def test_a_counted_item_is_offered_no_checked_out_choice_and_no_lot_for_serial(client, admin):
    cords = f.item(admin, tracking="lot", name="Cords")
    login(client, "manager")
    form = convert_form(client.get(f"/items/{cords['id']}").text)
    assert re.findall(r'name="tracking" value="(\w+)"', form) == ["quantity", "serial"]
    assert 'name="on_checked_out"' not in form and 'name="lot"' not in form


def test_checked_out_units_are_refused_in_the_forms_words(client, admin, drills):
    drill, tags = drills
    person = f.person(admin, name="Dana")
    f.ok(admin.post(f"/api/v1/units/{tags[0]}/check-out", json={"person": person["tag"]}))
    login(client, "manager")
    page = f"/items/{drill['id']}"
    answer = send(client, page, f"{page}/convert", tracking="quantity", confirm="yes")
    assert answer.status_code == 422
    said = error_at(answer.text, "convert", "on_checked_out")
    assert said == (f"1 unit is checked out ({tags[0]}): tick “First check in”, or check it in "
                    "on its page first")
    assert "on_checked_out" not in said and "unit(s)" not in said
    assert 'id="convert-to-quantity" name="tracking" value="quantity" checked' in answer.text
    answer = send(client, page, f"{page}/convert", tracking="quantity", confirm="yes",
                  on_checked_out="on")
    assert answer.status_code == 303, answer.text
    shown = client.get(page).text
    assert ("Tracking changed to quantity (1 unit checked in, 3 units merged into counts)."
            in shown)


def test_the_api_refusal_names_no_parameter_in_its_sentence_and_counts_right(admin, drills):
    drill, tags = drills
    person = f.person(admin, name="Dana")
    for tag in tags[:2]:
        f.ok(admin.post(f"/api/v1/units/{tag}/check-out", json={"person": person["tag"]}))
    body = f.problem(admin.post(f"/api/v1/items/{drill['id']}/convert",
                                json={"tracking": "lot"}), 409, "on_checked_out")
    assert body["detail"].startswith("2 units of DRL-1 are checked out")
    assert "on_checked_out" not in body["detail"]


def test_no_target_and_no_tick_are_refused_at_their_fields(client, drills):
    login(client, "manager")
    page = f"/items/{drills[0]['id']}"
    answer = send(client, page, f"{page}/convert", confirm="yes")
    assert error_at(answer.text, "convert", "tracking") == "choose how the item will be tracked"
    answer = send(client, page, f"{page}/convert", tracking="lot", lot="L-9")
    assert "tick the box" in error_at(answer.text, "convert", "confirm")
    assert 'name="lot" type="text" value="L-9"' in answer.text  # what was typed stays


# -- labels after adding units --------------------------------------------------------------

def pdf_pages(body):
    import pypdfium2

    doc = pypdfium2.PdfDocument(body)
    try:
        return len(doc)
    finally:
        doc.close()


def test_after_adding_units_the_item_page_offers_their_labels(client, drills, shelf):
    drill, older = drills
    login(client, "manager")
    page = f"/items/{drill['id']}"
    answer = send(client, page, f"{page}/units", location=shelf["tag"], count="2")
    assert answer.status_code == 303
    where = answer.headers["location"]
    first, last = re.search(r"\?first=(U-\d+)&last=(U-\d+)$", where).groups()
    html = client.get(where).text
    assert "Added 2 units:" in html
    link = re.search(r'id="added-labels">[^<]*<a href="([^"]+)"', html).group(1)
    assert link == f"/labels?item=DRL-1&amp;first={first}&amp;last={last}"
    # and, always, a link for all the item's units
    assert 'href="/labels?item=DRL-1" id="item-labels"' in client.get(page).text

    labels = client.get(link.replace("&amp;", "&")).text
    assert 'id="src-item" name="source" value="item" checked' in labels
    assert '<option value="DRL-1" selected>DRL-1 · Drill</option>' in labels
    assert f'name="first" type="text" value="{first}"' in labels
    assert f'name="last" type="text" value="{last}"' in labels
    answer = send(client, link.replace("&amp;", "&"), "/labels/download", source="item",
                  item="DRL-1", first=first, last=last, stock="zebra-2x1", format="pdf")
    assert answer.status_code == 200, answer.text[:800]
    assert (answer.headers["content-disposition"]
            == f'attachment; filename="labels-DRL-1-{first}-to-{last}.pdf"')
    assert pdf_pages(answer.content) == 2  # the new units only, one label per page on a roll
    answer = send(client, "/labels", "/labels/download", source="item", item="DRL-1",
                  stock="zebra-2x1", format="pdf")
    assert answer.headers["content-disposition"] == 'attachment; filename="labels-DRL-1.pdf"'
    assert pdf_pages(answer.content) == 2 + len(older)


def test_the_batch_form_lists_serial_items_and_marks_each_sources_fields(client, admin, drills):
    f.item(admin, tracking="quantity", name="Zip ties", sku="ZIP-1")
    login(client, "manager")
    html = client.get("/labels").text
    assert '<option value="DRL-1">DRL-1 · Drill</option>' in html
    assert "ZIP-1" not in html  # a counted item has no units to label
    for source, field in (("tags", "tags"), ("item", "item"), ("location", "location"),
                          ("blank", "blank")):
        block = html[html.index(f'class="when-src src-{source}'):]
        assert f'name="{field}"' in block[:block.index("</div>\n")], source


def test_a_tag_range_backwards_or_empty_is_refused_at_its_field(client, drills):
    tags = drills[1]
    login(client, "manager")
    answer = send(client, "/labels", "/labels/download", source="item", item="DRL-1",
                  first=tags[-1], last=tags[0], stock="zebra-2x1", format="pdf")
    assert answer.status_code == 422
    assert error_at(answer.text, "download", "last") == (
        f"the last tag, {tags[0]}, comes before the first, {tags[-1]}")
    answer = send(client, "/labels", "/labels/download", source="item", item="", first="",
                  stock="zebra-2x1", format="pdf")
    assert error_at(answer.text, "download", "item") == "choose an item"


def test_batch_files_are_named_after_what_they_hold(client, admin, shelf):
    login(client, "manager")
    answer = send(client, "/labels", "/labels/download", source="location",
                  location=shelf["tag"], stock="zebra-2x1", format="zpl")
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="labels-{shelf["tag"]}-Drill-rack.zpl"')
    answer = send(client, "/labels", "/labels/download", source="blank", blank="3",
                  stock="zebra-2x1", format="pdf")
    name = re.search(r'filename="([^"]+)"', answer.headers["content-disposition"]).group(1)
    assert re.fullmatch(r"labels-blank-U-\d+-to-U-\d+\.pdf", name), name


# -- refusals in people's words, inputs as long as the server takes ------------------------

def raw_keys():
    """Field keys that read as code (serial_pattern, custom_fields[0].key, custom.voltage):
    no refusal may show one, since fields.py says each in words."""
    from server.domain.fields import FIELDS
    from tests.api.test_bad_input_walk import FORM_FIELDS

    keys = {k for k in [*FORM_FIELDS, *FIELDS] if re.search(r"[_.\[]", k)}
    return sorted(keys | {"custom_fields[1].label", "custom.battery_pack"}, key=len,
                  reverse=True)


def shown_refusals(html_text):
    """The refusals a page shows: at a field, above a form, or as the error page."""
    found = re.findall(r'<p class="error[^"]*"[^>]*>(.*?)</p>', html_text, re.S)
    page = re.search(r'<section class="card narrow-wide">\s*<h1>[^<]*</h1>\s*<p>(.*?)</p>',
                     html_text, re.S)
    return [html.unescape(t) for t in found + ([page.group(1)] if page else [])]


def code_in(message, keys):
    return [k for k in keys if k in message] + (["''"] if "''" in message else [])


def test_no_refusal_on_a_page_shows_a_field_key_or_an_empty_quote(client, admin):
    """The management forms fed wrong and empty values (as tests/api/test_bad_input_walk
    does, fewer trials): every refusal says each field in words."""
    from server.services.demo import load_demo
    from tests.api.test_bad_input_walk import FORM_FIELDS, FORM_ROUTES, FORM_VALUES

    with client.portal() as portal:
        portal.call(load_demo)
    keys = raw_keys()
    login(client, "admin")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/items").text).group(1)
    refs = {"item": "1", "loc": "L-0000013", "person": "P-0000014", "unit": "U-0000019",
            "n": "1"}
    rnd = random.Random(20261129)
    seen, bad = 0, []
    values = [*FORM_VALUES, "", "", ""]  # empty fields are the most common slip
    for route in FORM_ROUTES:
        for trial in range(9):
            form = {k: rnd.choice(values) for k in FORM_FIELDS if rnd.random() < 0.4}
            if trial == 0:  # everything left empty
                form = dict.fromkeys(FORM_FIELDS, "")
            answer = client.post(route.format(**refs), data={**form, "csrf": token},
                                 headers=HTML, follow_redirects=False)
            for message in shown_refusals(answer.text):
                seen += 1
                if hits := code_in(message, keys):
                    bad.append((route, hits, message))
    assert seen > 100
    assert bad == [], "\n".join(map(str, bad))


def test_no_problem_detail_shows_a_field_key_or_an_empty_quote(client, admin):
    """The API walked with wrong and empty values: each problem's detail is in words, its
    `field` member keeps the key."""
    from server.services.demo import load_demo
    from tests.api.test_bad_input_walk import BAD, PATH_VALUES, operations

    with client.portal() as portal:
        portal.call(load_demo)
    keys = raw_keys()
    spec = admin.get("/schema/openapi.json").json()
    rnd = random.Random(20261129)
    seen, bad = 0, []
    for method, path, fields, _params in operations(spec):
        if method not in ("post", "put", "patch"):
            continue
        for _ in range(4):
            url = re.sub(r"\{[^}]+\}", lambda _: rnd.choice(PATH_VALUES), path)
            body = {k: rnd.choice([*BAD, "", ""]) for k in fields if rnd.random() < 0.7}
            answer = getattr(admin, method)(url, json=body)
            if answer.headers.get("content-type", "").startswith("application/problem+json"):
                seen += 1
                detail = answer.json().get("detail", "")
                if hits := code_in(detail, keys):
                    bad.append((method, path, hits, detail))
    assert seen > 100
    assert bad == [], "\n".join(map(str, bad))


class TextInputs(HTMLParser):
    """Every input a person types text into: its name, tag and maxlength."""

    TYPED = {"text", "search", "email", "password", "tel", "url"}

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        typed = (tag == "input" and a.get("type", "text") in self.TYPED) or tag == "textarea"
        if typed and a.get("name"):
            self.found.append((a["name"], tag, a.get("maxlength")))


@pytest.fixture
def catalog(admin, shelf, drills):
    drill, tags = drills
    f.ok(admin.patch(f"/api/v1/items/{drill['id']}", json={"custom_fields": [
        {"key": "battery_pack", "label": "Battery pack", "type": "text"}]}))
    cords = f.item(admin, name="Cords")
    f.receive(admin, cords["id"], shelf["tag"], 5)
    gloves = f.item(admin, tracking="lot", name="Gloves")
    f.receive(admin, gloves["id"], shelf["tag"], 5, lot="L1")
    person = f.person(admin, name="Dana")
    return [f"/items/{drill['id']}", f"/items/{cords['id']}", f"/items/{gloves['id']}",
            f"/units/{tags[0]}", f"/locations/{shelf['tag']}", f"/people/{person['tag']}",
            "/items", "/locations", "/people", "/labels", "/lots", "/loans", "/audits"]


def test_every_text_input_takes_as_many_characters_as_the_server(client, catalog):
    from server.domain import fields

    login(client, "admin")
    checked = set()
    for page in catalog:
        parser = TextInputs()
        parser.feed(client.get(page).text)
        for name, tag, maxlength in parser.found:
            known = fields.field(name)
            assert known is not None, (page, name)  # fields.py defines every text field
            if known.max_items:  # a list in one box: limited by its count
                assert tag == "textarea" and maxlength is None, (page, name)
            else:
                assert maxlength == str(known.max_chars), (page, name, maxlength)
            checked.add(name)
    assert {"sku", "name", "serial", "serial_pattern", "note", "lot", "category",
            "custom.battery_pack", "custom_fields[0].label", "email", "first"} <= checked


@pytest.mark.parametrize("key", ["note", "category", "serial_pattern", "custom_fields[0].label"])
def test_a_form_refuses_one_character_more_than_its_inputs_maxlength(client, catalog, key):
    from server.domain import fields

    login(client, "manager")
    most = fields.max_chars(key)
    page = catalog[0]
    answer = send(client, page, f"{page}/edit", **{key: "x" * (most + 1)})
    assert answer.status_code == 422
    said = shown_refusals(answer.text)
    assert said == [f"{fields.words(key)}: at most {most:,} characters (this has {most + 1:,})"]
    assert not code_in(said[0], raw_keys())


def test_the_domains_own_limits_are_the_ones_the_inputs_carry(admin):
    """The catalog's checks take their numbers from fields.py: a SKU and a name as long as
    the inputs allow are taken, one more character is refused naming the field."""
    from server.domain import fields

    for key, other in (("sku", {"name": "N"}), ("name", {"sku": "LONG-NAME"})):
        most = fields.max_chars(key)
        body = {**other, key: "A" * most, "tracking": "quantity"}
        f.ok(admin.post("/api/v1/items", json=body), 201)
        body = {**other, key: "B" * (most + 1), "tracking": "quantity"}
        if key == "name":
            body["sku"] = "LONG-NAME-2"
        f.problem(admin.post("/api/v1/items", json=body), 422, key)

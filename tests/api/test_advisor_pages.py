"""The tracking advisor's pages in process: the item page's checklist, the report with its
filters and downloads, the catalog's "advisor suggests a change" filter, and a plan
applied with its one confirmation (the fixture's verify runs after each test)."""

import re

from tests import factories as f
from tests.conftest import page_login

HTML = {"Accept": "text/html"}


def login(client, role):
    client.cookies.clear()
    assert page_login(client, role).status_code == 303


def send(client, page, action, **fields):
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(page).text).group(1)
    return client.post(action, data={"csrf": token, **fields}, headers=HTML,
                       follow_redirects=False)


def test_the_item_page_shows_its_checklist(client, admin):
    shelf = f.location(admin)
    laptops = f.item(admin, name="Laptop", unit_cost="2000")
    f.receive(admin, laptops["id"], shelf["tag"], 4)
    login(client, "viewer")
    text = client.get(f"/items/{laptops['id']}").text
    assert "Tracking checklist" in text
    assert text.count('<li class="is-') == 6
    assert "unit cost 2,000.00 (threshold 500.00)" in text
    assert f'href="/items/{laptops["id"]}/conversion-plan"' in text


def test_the_report_lists_suggestions_and_downloads_the_same_rows(client, admin):
    shelf = f.location(admin)
    ties = f.item(admin, tracking="serial", name="Cable ties", unit_cost="0.05",
                  category="Consumables")
    f.units(admin, ties["id"], shelf["tag"], count=4)
    laptops = f.item(admin, name="Laptop", unit_cost="2000", category="IT")
    f.receive(admin, laptops["id"], shelf["tag"], 4)
    login(client, "viewer")
    text = client.get("/reports/advisor").text
    assert "2 suggestions over 90 days" in text
    assert "All 4 units move together" in text and "Cable ties" in text
    text = client.get("/reports/advisor", params={"direction": "under"}).text
    assert "1 suggestion over 90 days" in text and "Cable ties" not in text
    assert 'name="direction" value="under"' in text  # the filter form keeps it
    got = client.get("/reports/advisor", params={"category": "Consumables", "format": "csv"})
    lines = got.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith(ties["sku"])
    assert client.get("/reports/advisor", params={"format": "pdf"},
                      headers=HTML).status_code == 422


def test_the_catalog_filters_items_the_advisor_would_change(client, admin):
    shelf = f.location(admin)
    laptops = f.item(admin, name="Laptop", unit_cost="2000")
    f.receive(admin, laptops["id"], shelf["tag"], 4)
    ties = f.item(admin, name="Cable ties", unit_cost="0.05")
    f.receive(admin, ties["id"], shelf["tag"], 400)
    page = f.ok(admin.get("/api/v1/items", params={"advice": "change"}))
    assert [i["sku"] for i in page["items"]] == [laptops["sku"]]
    login(client, "viewer")
    text = client.get("/items", params={"advice": "change"}).text
    assert "Laptop" in text and "Cable ties" not in text


def test_a_manager_applies_a_plan_and_is_sent_to_print_the_new_tags(client, admin):
    a, b = f.location(admin, "A"), f.location(admin, "B")
    laptops = f.item(admin, name="Laptop", unit_cost="2000")
    f.receive(admin, laptops["id"], a["tag"], 2)
    f.receive(admin, laptops["id"], b["tag"], 1)
    login(client, "manager")
    page = f"/items/{laptops['id']}/conversion-plan"
    text = client.get(page).text
    assert "3 new tags to print; 3 serials pending" in text
    answer = send(client, page, page, tracking="serial")
    assert answer.status_code == 422 and "confirm" in answer.text
    answer = send(client, page, page, tracking="serial", confirm="yes")
    assert answer.status_code == 303
    where = answer.headers["location"]
    assert where.startswith(f"/items/{laptops['id']}?first=U-")
    text = client.get(where).text
    assert "print their labels" in text
    assert f.ok(admin.get(f"/api/v1/items/{laptops['id']}"))["count"] == 3


def test_a_viewer_sees_the_plan_but_no_form(client, admin):
    shelf = f.location(admin)
    laptops = f.item(admin, name="Laptop", unit_cost="2000")
    f.receive(admin, laptops["id"], shelf["tag"], 1)
    login(client, "viewer")
    text = client.get(f"/items/{laptops['id']}/conversion-plan").text
    assert "What would change" in text and "Change tracking</button>" not in text
    assert "A manager can apply this change." in text


def test_the_catalogs_export_link_keeps_the_advisor_filter(client, admin):
    shelf = f.location(admin)
    laptops = f.item(admin, name="Laptop", unit_cost="2000")
    f.receive(admin, laptops["id"], shelf["tag"], 4)
    ties = f.item(admin, name="Cable ties", unit_cost="0.05")
    f.receive(admin, ties["id"], shelf["tag"], 400)
    login(client, "viewer")
    text = client.get("/items", params={"advice": "change"}).text
    link = re.search(r'href="(/exports/items\?[^"]*)"', text).group(1).replace("&amp;", "&")
    assert "advice=change" in link
    lines = client.get(link).content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and laptops["sku"] in lines[1]
    got = admin.get("/api/v1/exports/items", params={"advice": "change"})
    assert got.status_code == 200
    assert len(got.content.decode("utf-8-sig").strip().splitlines()) == 2

"""The list pages' "Export CSV / XLSX" links carry the list's filters, and a refused export
is a page for a browser."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest
from litestar.testing import TestClient

from server.services import spreadsheets
from tests import export_catalog
from tests.conftest import page_login


def links(page: str) -> dict[str, str]:
    """"CSV" and "XLSX" -> the export link of a page (the first of each)."""
    found: dict[str, str] = {}
    for href, label in re.findall(r'<a href="(/exports/[^"]+)" download>(CSV|XLSX)</a>', page):
        found.setdefault(label, html.unescape(href))
    return found


def csv_rows(client: TestClient[Any], href: str) -> list[list[str]]:
    r = client.get(href)
    assert r.status_code == 200, r.text
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_export_links_on_the_list_pages(client: TestClient[Any], manager: Any) -> None:
    built = export_catalog.build(manager)
    assert page_login(client, "viewer").status_code in (302, 303)
    catalog = client.get("/items", params={"tracking": "serial", "q": "l"})
    href = links(catalog.text)
    assert href["CSV"] == "/exports/items?q=l&tracking=serial"
    assert href["XLSX"] == "/exports/items?q=l&tracking=serial&format=xlsx"
    assert [r[0] for r in csv_rows(client, href["CSV"])[1:]] == ["DRILL-18V", "LAPTOP-14"]
    xlsx = client.get(href["XLSX"])
    assert xlsx.content.startswith(b"PK") and xlsx.headers["content-type"].startswith(
        spreadsheets.XLSX_MEDIA)
    drill = built["items"][2]["id"]
    item_page = links(client.get(f"/items/{drill}").text)
    assert item_page["CSV"] == f"/exports/units?item={drill}"
    assert len(csv_rows(client, item_page["CSV"])) == 1 + 3
    saline = built["items"][1]["id"]
    assert links(client.get(f"/items/{saline}").text)["CSV"] == f"/exports/stock?item={saline}"
    cage = built["locations"][3]["tag"]
    location_links = re.findall(r'href="(/exports/[^"]+)" download>CSV',
                                client.get(f"/locations/{cage}").text)
    assert location_links == [f"/exports/stock?location={cage}"]
    room = built["locations"][1]["tag"]
    assert links(client.get(f"/locations/{room}").text)["CSV"] == f"/exports/units?location={room}"
    assert links(client.get("/locations").text)["CSV"] == "/exports/locations"
    people = links(client.get("/people", params={"q": "ana"}).text)
    assert csv_rows(client, people["CSV"])[1:] == [["Ana Ruiz", "ana@example.com", "B-0001"]]


def test_export_refused_on_a_page_is_a_page(client: TestClient[Any], manager: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    export_catalog.build(manager)
    page_login(client, "viewer")
    monkeypatch.setattr(spreadsheets, "XLSX_MAX_ROWS", 3)
    r = client.get("/exports/units?format=xlsx", headers={"Accept": "text/html"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "export as CSV" in r.text

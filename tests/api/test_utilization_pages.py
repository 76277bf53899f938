"""/reports/utilization as a page: sections, charts, views, exports, refusals."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.api.test_utilization_api import lend_history
from tests.conftest import As, page_login

URL = "/reports/utilization"


def test_utilization_page_shows_lists_chart_and_item_rows(client: Any, admin: As) -> None:
    h = lend_history(admin)
    assert page_login(client, "viewer").status_code == 303
    html = client.get(URL).text
    for words in ("Always out", "Never moves", "Idle units of busy items",
                  "Share of time out per item", "2 items", h["drill"]["name"]):
        assert words in html, words
    assert "<svg" in html and "<title" in html  # the chart, titled for screen readers
    assert 'href="/reports/utilization?' in html  # the export links keep the filters
    assert "/reports" in html


def test_utilization_page_of_one_item_charts_units_out_against_owned(client: Any,
                                                                      admin: As) -> None:
    h = lend_history(admin)
    assert page_login(client, "viewer").status_code == 303
    html = client.get(URL, params={"view": "units", "item": h["drill"]["sku"]}).text
    assert "units out against units owned" in html
    assert "Owned now" in html and "Share of time out per unit" in html
    for unit in h["drills"]:
        assert unit["tag"] in html
    assert "3 units" in html


def test_utilization_page_exports_the_filtered_rows(client: Any, admin: As) -> None:
    h = lend_history(admin)
    assert page_login(client, "viewer").status_code == 303
    answer = client.get(URL, params={"view": "units", "item": h["drill"]["sku"],
                                     "format": "csv"})
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 4 and rows[0][0] == "Tag"


def test_utilization_page_refuses_a_bad_date_readably(client: Any, admin: As) -> None:
    lend_history(admin)
    assert page_login(client, "viewer").status_code == 303
    answer = client.get(URL, params={"start": "soon"}, headers={"Accept": "text/html"})
    assert answer.status_code == 422
    assert "start" in answer.text and "Traceback" not in answer.text


def test_utilization_page_needs_a_login(client: Any) -> None:
    answer = client.get(URL, headers={"Accept": "text/html"}, follow_redirects=False)
    assert answer.status_code in (302, 303, 401)

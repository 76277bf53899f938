"""The unit page's Maintenance card and the Maintenance page in headless Chromium on a phone
(390 x 844) and a laptop (1280 x 800): an operator records a repair started at once (the
unit goes in repair), finishes it done (the unit is back), and the Maintenance page lists a
unit that is due; nothing sticks out of the screen.

Screenshots go to TAGTRACK_SHOTS_DIR, else to a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages_fixtures import login_as, pages_browser, pages_server

__all__ = ["login_as", "pages_browser", "pages_server"]  # fixtures, imported to be found

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


def shots(tmp_path: Path) -> Path:
    chosen = os.environ.get("TAGTRACK_SHOTS_DIR")
    return Path(chosen) if chosen else tmp_path


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_maintenance_a_repair_from_the_unit_page_and_the_due_list(login_as, pages_server,
                                                                  size: str,
                                                                  tmp_path: Path) -> None:
    viewport = SIZES[size]
    available = pages_server.api("GET", "/api/v1/units", params={"status": "available"}
                                 )["units"]
    unit: dict[str, Any] = available[0 if size == "phone" else 1]
    tag = unit["tag"]
    pages_server.api("POST", "/api/v1/maintenance/rules", json={
        "kind": "inspection", "unit": tag, "every_days": 30, "name": "Monthly inspection",
        "starts_on": "2026-01-01"})
    watched = login_as("operator", viewport)
    watched.clear()  # what the login's landing page met is that page's own test's business
    page = watched.page
    page.goto(f"/units/{tag}#service")
    card = page.locator("#service")
    assert "Monthly inspection" in card.inner_text() and "overdue" in card.inner_text()
    card.locator("summary").click()
    page.select_option("#service-kind", "repair")
    page.fill("#service-vendor", "Fix Co")
    page.check("#service-start-now")
    page.locator("#service-plan button").click()
    page.wait_for_url(f"**/units/{tag}")
    assert page.locator("header.head").inner_text().lower().count("in repair") == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.locator("#service").scroll_into_view_if_needed()
    page.screenshot(path=str(shots(tmp_path) / f"maintenance-unit-{size}.png"), full_page=True)
    page.locator("#service button[value=done]").click()
    page.wait_for_url(f"**/units/{tag}")
    assert "in repair" not in page.locator("header.head").inner_text().lower()
    page.goto("/maintenance")
    assert tag in page.locator("#due-list").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=str(shots(tmp_path) / f"maintenance-page-{size}.png"), full_page=True)
    assert watched.problems == []

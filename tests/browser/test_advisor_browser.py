"""The tracking advisor in headless Chromium on the demo catalog, on a phone (390 x 844) and
a laptop (1280 x 800): the item page's checklist (six rows, yes or no with the evidence,
the recommendation, the suggestion with its plan link) fits the screen; the report lists the
demo's over-tracked cable ties and under-tracked laptops; a viewer opens a plan and sees
what would change, and no form.

Screenshots go to docs/img/advisor when TAGTRACK_SCREENSHOTS=1, else TAGTRACK_SHOTS_DIR,
else a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import shots
from tests.browser.pages_fixtures import PagesServer, login_as, pages_browser, pages_server

__all__ = ["login_as", "pages_browser", "pages_server"]  # fixtures, imported to be found

SIZES = shots.SIZES
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img" / "advisor"


def shots_dir(tmp_path: Path) -> Path:
    return shots.shots_dir(tmp_path, DOCS_IMG)


def item_id(server: PagesServer, sku: str) -> int:
    return int(server.api("GET", "/api/v1/items", params={"q": sku})["items"][0]["id"])


fits = shots.fits


@pytest.mark.parametrize("size", SIZES)
def test_the_item_checklist_and_the_advisor_report(login_as, pages_server, size, tmp_path):
    viewport = SIZES[size]
    watched = login_as("viewer", viewport)
    watched.clear()  # what the dashboard did after the login is another test's business
    page = watched.page
    shots = shots_dir(tmp_path)
    laptops = item_id(pages_server, "IT-LAP-14")
    page.goto(f"/items/{laptops}#advice")
    panel = page.locator("#advice")
    panel.scroll_into_view_if_needed()
    assert panel.locator("ul.checklist > li").count() == 6
    assert panel.locator("li.is-yes").count() >= 2
    assert "unit cost 1,450.00" in panel.inner_text()
    assert panel.locator("#advice-suggestion a").get_attribute("href") == (
        f"/items/{laptops}/conversion-plan")
    fits(page, viewport["width"])
    panel.screenshot(path=str(shots / f"advisor-checklist-{size}.png"))

    page.goto("/reports/advisor")
    rows = page.locator("ul.suggestions > li")
    assert rows.count() >= 2
    text = page.locator("ul.suggestions").inner_text()
    assert "CT-TIE-200" in text and "IT-LAP-14" in text
    assert "All 40 units move together" in text
    fits(page, viewport["width"])
    page.screenshot(path=str(shots / f"advisor-report-{size}.png"), full_page=True)

    page.goto(f"/items/{laptops}/conversion-plan")
    assert "What would change" in page.inner_text("main")
    assert page.locator("form[action$='/conversion-plan']").count() == 0  # a viewer
    fits(page, viewport["width"])
    page.screenshot(path=str(shots / f"advisor-plan-refused-{size}.png"), full_page=True)
    assert watched.problems == []


@pytest.mark.parametrize("size", SIZES)
def test_a_manager_sees_the_plan_for_the_cable_ties(login_as, pages_server, size, tmp_path):
    viewport = SIZES[size]
    watched = login_as("manager", viewport)
    watched.clear()
    page = watched.page
    ties = item_id(pages_server, "CT-TIE-200")
    page.goto(f"/items/{ties}/conversion-plan")
    main = page.inner_text("main")
    assert "40 units merge into counts" in main and "No unit is checked out" in main
    assert page.locator("#apply-confirm").count() == 1  # not ticked: nothing applied here
    fits(page, viewport["width"])
    page.screenshot(path=str(shots_dir(tmp_path) / f"advisor-plan-{size}.png"),
                    full_page=True)
    assert watched.problems == []

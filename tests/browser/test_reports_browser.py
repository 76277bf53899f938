"""The reports and the dashboard in headless Chromium on the demo (four months of
history), on a phone (390 x 844) and a laptop (1280 x 800): each chart is drawn, labelled
for a screen reader, with its figures one click away; the filters and exports are there;
nothing is wider than the screen; no console error, nothing refused by the CSP.

Screenshots go to docs/img/reports when TAGTRACK_SCREENSHOTS=1, else TAGTRACK_SHOTS_DIR,
else a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import shots
from tests.browser.pages_fixtures import login_as, pages_browser, pages_server

__all__ = ["login_as", "pages_browser", "pages_server"]  # fixtures, imported to be found

SIZES = shots.SIZES
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img" / "reports"
CHARTS = [("/reports/stock-value?by=category", "#value-chart", "Value by category"),
          ("/reports/shrinkage?start={start}", "#shrink-chart", "Shrinkage by month"),
          ("/reports/loans-by-person?start={start}", "#loans-chart", "Check-outs per person")]


def shots_dir(tmp_path: Path) -> Path:
    return shots.shots_dir(tmp_path, DOCS_IMG)


fits = shots.fits


@pytest.mark.parametrize("size", SIZES)
def test_the_dashboard_and_the_report_charts(login_as, size, tmp_path):
    import datetime as dt

    viewport = SIZES[size]
    watched = login_as("manager", viewport)
    page = watched.page
    shots = shots_dir(tmp_path)
    page.goto("/")
    stats = page.locator("ul.stats").inner_text()
    assert "overdue, the oldest 9 days" in stats and "to reorder" in stats
    assert page.locator("section[aria-labelledby=care-h] li").count() >= 2
    fits(page, viewport["width"])
    page.screenshot(path=str(shots / f"dashboard-{size}.png"), full_page=True)

    start = (dt.date.today() - dt.timedelta(days=119)).isoformat()
    for url, figure, title in CHARTS:
        page.goto(url.format(start=start))
        svg = page.locator(f"{figure} svg")
        assert svg.is_visible() and svg.get_attribute("role") == "img"
        assert page.locator(f"{figure} svg > title").text_content() == title
        box = svg.bounding_box()
        assert box and box["width"] <= viewport["width"]
        assert page.locator(f"{figure} svg rect, {figure} svg path").count() >= 2
        page.locator(f"{figure} summary").click()
        assert page.locator(f"{figure} table tbody tr").count() >= 2
        assert page.get_by_role("link", name="CSV").is_visible()
        fits(page, viewport["width"])
        name = figure.strip("#").replace("-chart", "")
        page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
    page.goto("/reports/low-stock")
    assert "EL-BAT-AA4" in page.inner_text("main")
    fits(page, viewport["width"])
    assert watched.problems == []

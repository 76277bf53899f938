"""The utilization report in headless Chromium on the demo (four months of loans), on a
phone (390 x 844) and a laptop (1280 x 800): the lists and the items' verdicts, the chart
of time out per item, and for the drills the units out against the units owned and the
time out per unit; nothing wider than the screen.

Screenshots go to docs/img/utilization when TAGTRACK_SCREENSHOTS=1, else
TAGTRACK_SHOTS_DIR, else a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import shots
from tests.browser.pages_fixtures import login_as, pages_browser, pages_server

__all__ = ["login_as", "pages_browser", "pages_server"]  # fixtures, imported to be found

SIZES = shots.SIZES
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img" / "utilization"
DRILLS = "TL-DRL-DDF485"


def shots_dir(tmp_path: Path) -> Path:
    return shots.shots_dir(tmp_path, DOCS_IMG)


fits = shots.fits


@pytest.mark.parametrize("size", SIZES)
def test_the_utilization_report_and_its_charts(login_as, size, tmp_path):
    viewport = SIZES[size]
    watched = login_as("viewer", viewport)
    page = watched.page
    shots = shots_dir(tmp_path)

    page.goto("/reports")
    page.get_by_role("link", name="Utilization").click()
    page.wait_for_url("**/reports/utilization")
    for heading in ("Always out", "Never moves", "Idle units of busy items"):
        assert page.get_by_role("heading", name=heading).is_visible(), heading
    chart = page.locator("#item-share-chart svg")
    assert chart.is_visible()
    assert "Share of time out per item" in page.inner_html("#item-share-chart")  # its title
    rows = page.locator("main table.rows tbody tr")
    assert rows.count() >= 3
    assert "Cordless drill" in page.inner_text("main")
    fits(page, viewport["width"])
    page.screenshot(path=str(shots / f"utilization-{size}.png"), full_page=True)

    page.goto(f"/reports/utilization?view=units&item={DRILLS}")
    out = page.locator("#units-out-chart svg")
    assert out.is_visible()
    assert page.locator("#units-out-chart .chart-reference").count() == 1  # owned now
    assert page.locator("#unit-share-chart svg rect").count() >= 2
    assert page.locator("main table.rows tbody tr").count() >= 2
    fits(page, viewport["width"])
    page.locator("#units-out-chart").screenshot(path=str(shots / f"units-out-{size}.png"))
    page.screenshot(path=str(shots / f"utilization-drills-{size}.png"), full_page=True)
    assert watched.problems == []

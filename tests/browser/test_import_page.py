"""The Import page in a real browser against a real server with the demo catalog: a
manager uploads the sample spreadsheet (docs/samples/stock-2026.xlsx), checks the columns
against the preview of its first rows, reads the dry run's report, commits; a unit's
history then names the file and row. Screenshots at phone and desktop width (in docs/img
when TAGTRACK_SCREENSHOTS=1, else a temporary folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, _cli, fresh_site, running_server

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "samples" / "stock-2026.xlsx"
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with fresh_site(tmp_path_factory, "imports") as s:
        _cli(s.env, "createuser", "manager", "--role", "manager", "--password", PASSWORD,
             "--no-password-change")
        _cli(s.env, "demo")
        with running_server(s.env, s.data, s.port):
            yield s


def login(browser: Any, site: Any, viewport: dict[str, int]) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport=viewport, base_url=site.base)
    context.set_default_timeout(45_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.status} {r.url}"))
    page.goto("/login?next=/imports")
    page.fill("#username", "manager")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/imports")
    return page, problems


def fits(page: Any, width: int) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= width, (page.url, wide)


def test_a_manager_imports_the_sample_and_commits_it(browser: Any, site: Any,
                                                     tmp_path: Path) -> None:
    out = ROOT / "docs" / "img" if os.environ.get("TAGTRACK_SCREENSHOTS") == "1" else tmp_path
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page, problems = login(browser, site, viewport)
        fits(page, viewport["width"])
        page.screenshot(path=str(out / f"import-upload-{name}.png"), full_page=True)
        page.set_input_files("#imp-file", str(SAMPLE))
        page.click("#import-form button.primary")
        page.wait_for_url("**/columns")
        assert page.locator("table.preview tbody tr").count() == 5
        assert page.locator("#col-5 option:checked").inner_text().startswith("Serial")
        page.screenshot(path=str(out / f"import-columns-{name}.png"), full_page=True)
        page.click("form button.primary")
        page.wait_for_selector("text=Ready to commit", timeout=60_000)
        main = page.inner_text("main")
        # the phone's pass finds what the desktop's committed: nothing left to change
        assert ("Changes to existing records" in main) == (name == "desktop")
        fits(page, viewport["width"])
        page.screenshot(path=str(out / f"import-report-{name}.png"), full_page=True)
        page.click("text=Commit: apply the whole file")
        page.wait_for_selector("h2:has-text('Applied')", timeout=60_000)
        page.screenshot(path=str(out / f"import-applied-{name}.png"), full_page=True)
        counts = page.inner_text("table.counts")
        # the second pass (phone) finds everything in place already
        assert ("11" in counts) if name == "desktop" else ("12" in counts)
        page.context.close()
        assert problems == []
    token = _cli(site.env, "token", "manager", "--label", "check").strip().splitlines()[-1]
    units = httpx.get(f"{site.base}/api/v1/units", params={"q": "PF-4KX21B"},
                      headers={"Authorization": f"Bearer {token}"}).json()["units"]
    page, _ = login(browser, site, DESKTOP)
    page.goto(f"/units/{units[0]['tag']}")
    assert "imported from stock-2026.xlsx, row 9" in page.inner_text("main")
    page.context.close()

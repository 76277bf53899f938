"""The header's search box, a bulk move and the loans page, in headless Chromium on a phone
(390 x 844) and a laptop (1280 x 800): the top bar with its search box never sticks out of
the screen; a serial typed there opens its unit, a word lists what it names; on an item
page "select all" ticks the units, the action bar shows the move's fields only, and one
submit moves them all, with the result of each; the loans page shows each loan's since and
due in sight, and a person's page takes a unit back with one tap.

Screenshots go to TAGTRACK_SHOTS_DIR (docs/img/search when TAGTRACK_SCREENSHOTS=1), else to
a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser import shots
from tests.browser.pages_fixtures import PagesServer, login_as, pages_browser, pages_server

__all__ = ["login_as", "pages_browser", "pages_server"]  # fixtures, imported to be found

SIZES = shots.SIZES
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img" / "search"

OUTSIDE = """w => [...document.querySelectorAll('header.bar *')]
  .filter(el => el.getClientRects().length && el.getBoundingClientRect().right > w + 0.5)
  .map(el => el.tagName + '.' + el.className)"""


def shots_dir(tmp_path: Path) -> Path:
    return shots.shots_dir(tmp_path, DOCS_IMG)


def fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(OUTSIDE, width) == []


@pytest.mark.parametrize("size", SIZES)
def test_the_header_search_opens_a_serial_and_lists_a_word(login_as, pages_server, size,
                                                          tmp_path):
    viewport = SIZES[size]
    watched = login_as("viewer", viewport)
    page = watched.page
    box = page.locator("header.bar #top-q")
    assert box.is_visible()
    fits(page, viewport["width"])
    if size == "phone":  # a row of its own, the whole width, above the menu
        bar = page.locator("header.bar").bounding_box()
        field = page.locator("header.bar form.top-search").bounding_box()
        menu = page.locator("header.bar nav").bounding_box()
        assert field["width"] > bar["width"] * 0.8 and field["y"] < menu["y"]
    shots = shots_dir(tmp_path)
    page.screenshot(path=str(shots / f"header-{size}.png"))

    drill = pages_server.api("GET", "/api/v1/units", params={"item": "TL-DRL-DDF485"}
                             )["units"][1]
    box.fill(drill["serial"].lower())
    box.press("Enter")
    page.wait_for_url(f"**/units/{drill['tag']}")
    assert drill["tag"] in page.locator("h1, .head").first.inner_text() or \
        drill["tag"] in page.content()

    page.locator("header.bar #top-q").fill("espresso")
    page.locator("header.bar #top-q").press("Enter")
    page.wait_for_url("**/search?q=espresso")
    assert page.get_by_role("heading", name="Items").is_visible()
    links = page.locator("ul.hits a")
    assert links.count() == 2
    assert page.locator("#s-q").input_value() == "espresso"
    fits(page, viewport["width"])
    page.screenshot(path=str(shots / f"search-results-{size}.png"), full_page=True)
    page.get_by_role("link", name="Espresso machine La Marzocco Linea Mini").click()
    page.wait_for_url("**/items/*")

    page.locator("header.bar #top-q").fill("no such thing 42")
    page.locator("header.bar #top-q").press("Enter")
    page.wait_for_load_state()
    assert "Nothing found for “no such thing 42”" in page.locator("h2").first.inner_text()
    assert watched.problems == []


def _machines(server: PagesServer) -> list[dict[str, Any]]:
    units = server.api("GET", "/api/v1/units", params={"item": "EQ-ESP-LM-LINEA"})["units"]
    return sorted(units, key=lambda u: u["tag"])


@pytest.mark.parametrize("size", SIZES)
def test_select_all_and_one_submit_move_the_units_of_an_item(login_as, pages_server, size,
                                                             tmp_path):
    viewport = SIZES[size]
    before = _machines(pages_server)
    bar = next(loc for loc in pages_server.api("GET", "/api/v1/locations",
                                               params={"q": "Bar"})["locations"]
               if loc["name"] == "Bar")
    item_id = before[0]["item"]["id"]
    watched = login_as("operator", viewport)
    page = watched.page
    try:
        page.goto(f"/items/{item_id}")
        select_all = page.locator("input[data-select-all]")
        assert select_all.is_visible()  # bulk.js shows it
        select_all.check()
        boxes = page.locator('input[name="unit"][form="bulk-form"]')
        assert boxes.count() == len(before) == 2
        assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
        assert page.locator("[data-bulk-count]").inner_text() == "(2 selected)"
        boxes.nth(0).uncheck()
        page.wait_for_function("() => document.querySelector('input[data-select-all]')"
                               ".indeterminate === true")
        boxes.nth(0).check()

        assert page.locator("#bulk-person").is_visible()  # check-out is the first choice
        page.select_option("#bulk-action", "move")
        assert page.locator("#bulk-location").is_visible()
        assert not page.locator("#bulk-person").is_visible()
        assert not page.locator("#bulk-reason").is_visible()
        page.select_option("#bulk-location", bar["tag"])
        fits(page, viewport["width"])
        shots = shots_dir(tmp_path)
        page.locator("#bulk-form").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"bulk-bar-{size}.png"), full_page=True)

        page.get_by_role("button", name="Apply to the selected units").click()
        page.wait_for_url("**/units/bulk")
        assert page.locator("h1").inner_text() == "Move: 2 units"
        assert page.locator("p.flash").inner_text() == "2 moved."
        rows = page.locator("table.results tbody tr")
        assert rows.count() == 2
        assert "moved to Bar" in rows.nth(0).inner_text()
        fits(page, viewport["width"])
        page.screenshot(path=str(shots / f"bulk-result-{size}.png"), full_page=True)
        assert {u["location"]["tag"] for u in _machines(pages_server)} == {bar["tag"]}
        page.get_by_role("link", name="Back to the list").first.click()
        page.wait_for_url(f"**/items/{item_id}")
        assert watched.problems == []
    finally:  # put them back where the demo keeps them, for the tests after this one
        for unit in before:
            pages_server.api("POST", f"/api/v1/units/{unit['tag']}/move",
                             json={"location": unit["location"]["tag"]})


CELLS = """() => [...document.querySelectorAll('table.loans tbody td[data-label]')].map(td => {
  const r = td.getBoundingClientRect();
  return {label: td.dataset.label, left: r.left, right: r.right, shown: r.width > 0};
})"""


@pytest.mark.parametrize("size", SIZES)
def test_loans_show_since_and_due_and_a_person_page_returns_a_unit(login_as, pages_server,
                                                                   size, tmp_path):
    viewport = SIZES[size]
    drills = pages_server.api("GET", "/api/v1/units", params={"item": "TL-DRL-DDF485"})["units"]
    out = next(u for u in drills if u["status"] == "checked_out")
    holder = out["custodian"]
    watched = login_as("operator", viewport)
    page = watched.page
    shots = shots_dir(tmp_path)
    page.goto("/loans")
    fits(page, viewport["width"])
    cells = page.evaluate(CELLS)
    for label in ("Since", "Due", "Held by"):
        seen = [c for c in cells if c["label"] == label]
        assert seen and all(c["shown"] and c["left"] >= 0 and c["right"] <= viewport["width"]
                            for c in seen), (label, seen)
    page.screenshot(path=str(shots / f"loans-{size}.png"), full_page=True)
    try:
        page.goto(f"/people/{holder['tag']}")
        row = page.locator("table.loans tbody tr", has_text=out["tag"])
        row.get_by_role("button", name="Return").click()
        page.wait_for_url(f"**/people/{holder['tag']}")
        flash = page.locator("p.flash").inner_text()
        assert f"{out['tag']} is back from {holder['name']}." in flash
        assert page.locator("table.loans tbody tr", has_text=out["tag"]).count() == 0
        fits(page, viewport["width"])
        page.screenshot(path=str(shots / f"person-returned-{size}.png"), full_page=True)
        page.goto("/loans?closed=true")
        assert page.locator("table.loans tbody tr", has_text=out["tag"]).count() >= 1
        page.screenshot(path=str(shots / f"loans-closed-{size}.png"), full_page=True)
        assert watched.problems == []
    finally:  # lent again, as the demo has it, for the tests after this one
        if pages_server.api("GET", f"/api/v1/units/{out['tag']}")["status"] == "available":
            pages_server.api("POST", f"/api/v1/units/{out['tag']}/check-out",
                             json={"person": holder["tag"], "due_at": out["due_at"],
                                   "allow_past_due": True})

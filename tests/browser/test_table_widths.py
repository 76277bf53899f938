"""Lists keep their key columns in sight: on a phone (390 x 844) and on a laptop (1280 x 800)
the catalog shows every item's SKU, name, count and available count, and the item and
location pages show each unit's tag, status, location, custodian and due date. Nothing is
cut off by its table's box or by the screen, and the page never scrolls sideways. On a
phone the catalog's results come before its extra filters.

Screenshots of each page at both sizes go to TAGTRACK_SHOTS_DIR (docs/img/tables when
TAGTRACK_SCREENSHOTS=1), else to a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import shots
from tests.browser.conftest import PASSWORD, USER
from tests.browser.pages_fixtures import Watched, pages_browser

__all__ = ["pages_browser"]  # a fixture, imported to be found

SIZES = shots.SIZES
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img" / "tables"

# Where each cell sits in the page, and whether it is cut off: by the screen, or by a
# box between it and the page that hides what overflows (the table's scroll box).
BOXES = """cells => cells.map(cell => {
  const r = cell.getBoundingClientRect();
  let clipped = false;
  for (let box = cell.parentElement; box && box !== document.body; box = box.parentElement) {
    const style = getComputedStyle(box);
    if (style.overflowX === "visible") continue;
    const b = box.getBoundingClientRect();
    if (r.left < b.left - 1 || r.right > b.right + 1) clipped = true;
  }
  return {text: cell.innerText.trim(), left: r.left, right: r.right, width: r.width,
          height: r.height, clipped, shown: r.width > 0 && r.height > 0 &&
          getComputedStyle(cell).visibility !== "hidden"};
})"""


def shots_dir(tmp_path: Path) -> Path:
    return shots.shots_dir(tmp_path, DOCS_IMG)


@pytest.fixture
def login_as(pages_browser: Any, server: Any) -> Iterator[Callable[..., Watched]]:
    """Pages of the session's server (SQLite or PostgreSQL, as the suite runs), logged in
    as its operator, at a given size; console errors, page errors and 5xx recorded."""
    contexts: list[Any] = []

    def open_at(viewport: dict[str, int]) -> Watched:
        context = pages_browser.new_context(viewport=viewport, base_url=server.base)
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page)
        page.on("console", lambda m: m.type == "error" and watched.problems.append(m.text))
        page.on("pageerror", lambda e: watched.problems.append(str(e)))
        page.on("response", lambda r: r.status >= 500 and watched.problems.append(r.url))
        page.goto("/login?next=/items")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/items")
        return watched

    yield open_at
    for context in contexts:
        context.close()


@pytest.fixture
def lent(server):
    """A drill that is out with a person and a due date (the demo lends one; another test
    may have taken it back)."""
    drills = server.api("GET", "/api/v1/units", params={"item": "TL-DRL-DDF485"})["units"]
    out = [u for u in drills if u["status"] == "checked_out" and u["due_at"]]
    if not out:
        unit = next(u for u in drills if u["status"] == "available")
        server.api("POST", f"/api/v1/units/{unit['tag']}/check-out",
                   json={"person": server.person("Dana Whitfield"), "due_at": "2031-01-31"})
        out = [server.unit(unit["tag"])]
    return out[0]


def fits(page: Any, viewport: dict[str, int], selector: str, expect: dict[str, str]) -> None:
    """Every cell of the row `selector` named in `expect` (class -> text it holds) is shown,
    whole, inside the screen and inside its table's box."""
    row = page.locator(selector).first
    cells = [row.locator(f"td.{name}") for name in expect]
    boxes = page.evaluate(BOXES, [c.element_handle() for c in cells])
    for (name, text), box in zip(expect.items(), boxes, strict=True):
        where = (page.url, viewport["width"], name, box)
        assert box["shown"], where
        assert text in box["text"], where
        assert box["left"] >= 0 and box["right"] <= viewport["width"], where
        assert not box["clipped"], where
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= viewport["width"], (page.url, wide)


@pytest.mark.parametrize("size", SIZES)
def test_key_columns_stay_in_sight(login_as, lent, size, tmp_path):
    viewport = SIZES[size]
    watched = login_as(viewport)
    page = watched.page
    out = shots_dir(tmp_path)
    unit_cells = {"c-tag": lent["tag"], "c-status": "checked out",
                  "c-loc": lent["location"]["name"], "c-who": lent["custodian"]["name"],
                  "c-due": ""}
    lent_row = f"tr:has(a[href='/units/{lent['tag']}'])"

    page.goto("/items")
    fits(page, viewport, "tr:has(a.tag:text-is('TL-DRL-DDF485'))",
         {"c-tag": "TL-DRL-DDF485", "c-item": "Cordless drill", "c-count": "each",
          "c-avail": ""})
    page.screenshot(path=str(out / f"catalog-{size}.png"), full_page=True)

    page.goto(f"/items/{lent['item']['id']}")
    fits(page, viewport, lent_row, unit_cells)
    due = page.locator(f"{lent_row} td.c-due").inner_text().strip()
    assert due and due[0].isdigit(), due  # a date, such as "2 Dec 2026"
    page.screenshot(path=str(out / f"item-{size}.png"), full_page=True)

    page.goto(f"/locations/{lent['location']['tag']}")
    fits(page, viewport, lent_row, {**unit_cells, "c-item": "Cordless drill"})
    page.screenshot(path=str(out / f"location-{size}.png"), full_page=True)
    assert watched.problems == []


def test_on_a_phone_the_catalog_shows_results_before_its_extra_filters(login_as):
    viewport = SIZES["phone"]
    page = login_as(viewport).page
    page.goto("/items")
    first_row = page.locator("table.rows tbody tr").first.bounding_box()
    assert first_row is not None and first_row["y"] < viewport["height"] * 0.75, first_row
    assert page.locator("#f-q").is_visible()
    assert not page.locator("#f-tracking").is_visible()
    page.get_by_text("More filters").click()
    assert page.locator("#f-tracking").is_visible() and page.locator("#f-location").is_visible()
    page.select_option("#f-tracking", "serial")
    page.locator("form.filters button").click()
    page.wait_for_url("**/items?*tracking=serial*")
    # a filter in use keeps the extra filters open, so that the person sees what narrows
    assert page.locator("#f-tracking").is_visible()
    counts = page.locator("table.rows tbody td.c-count")
    assert counts.count() >= 1 and counts.first.is_visible()


def test_on_a_laptop_every_catalog_filter_is_shown_at_once(login_as):
    page = login_as(SIZES["laptop"]).page
    page.goto("/items")
    for field in ("#f-q", "#f-tracking", "#f-category", "#f-location"):
        assert page.locator(field).is_visible(), field
    assert not page.get_by_text("More filters").is_visible()

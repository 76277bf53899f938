"""The management pages in headless Chromium against a real server: every page renders for
every role without console errors or 5xx, a viewer cannot reach an operator's action, a
refused form shows its error next to the field, and a check-out made on a unit's page shows
on the person's page and the dashboard."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages_fixtures import ROLES, PagesServer, login_as, pages_browser, pages_server

__all__ = ["login_as", "pages_browser", "pages_server"]  # fixtures, imported to be found

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def refs(server: PagesServer) -> dict[str, Any]:
    drills = server.api("GET", "/api/v1/units", params={"item": "TL-DRL-DDF485"})["units"]
    drills.sort(key=lambda u: u["id"])
    out = next(u for u in drills if u["status"] == "checked_out")
    return {"item": out["item"]["id"], "unit": out["tag"], "location": out["location"]["tag"],
            "person": out["custodian"]["tag"], "drills": [u["tag"] for u in drills]}


def pages_for(r: dict[str, Any], role: str) -> list[str]:
    paths = ["/", "/items", f"/items/{r['item']}", f"/units/{r['unit']}", "/locations",
             f"/locations/{r['location']}", "/people", f"/people/{r['person']}", "/loans",
             "/loans?overdue=true", "/audits", f"/labels?tag={r['unit']}", "/tokens"]
    return [*paths, "/users"] if role == "admin" else paths


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_the_role_without_errors(login_as, pages_server, role):
    r = refs(pages_server)
    watched = login_as(role)
    page = watched.page
    for path in pages_for(r, role):
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, (path, answer and answer.status)
        assert page.locator("h1").first.is_visible(), path
        page.wait_for_load_state("load")  # the label previews are images: let them load
        assert page.evaluate(UNLABELLED) == [], path
    assert watched.problems == []


def test_every_page_fits_a_phone_without_sideways_scrolling(login_as, pages_server):
    r = refs(pages_server)
    page = login_as("manager", {"width": 375, "height": 740}).page
    for path in pages_for(r, "manager"):
        page.goto(path)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 376, (path, wide)


def test_a_viewer_sees_no_operator_action_and_a_forged_post_gets_403(login_as, pages_server):
    r = refs(pages_server)
    watched = login_as("viewer")
    page = watched.page
    page.goto(f"/units/{r['unit']}")
    assert page.locator("form[action*='/units/']").count() == 0
    assert page.get_by_text("actions need the operator role").is_visible()
    page.goto(f"/items/{r['item']}")
    assert page.locator("form[method=post][action^='/items']").count() == 0
    page.goto("/tokens")
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(f"/units/{r['unit']}/check-in",
                               form={"csrf": token or ""},
                               headers={"Accept": "text/html"})
    assert answer.status == 403
    assert "Not allowed" in answer.text() and "operator" in answer.text()
    assert pages_server.api("GET", f"/api/v1/units/{r['unit']}")["status"] == "checked_out"


def test_a_refused_form_shows_the_reason_next_to_the_field_and_keeps_the_input(
        login_as, pages_server):
    r = refs(pages_server)
    page = login_as("manager").page
    page.goto(f"/items/{r['item']}")
    page.get_by_text("Edit item").click()
    page.fill("#edit-reorder-point", "lots")
    page.locator("form[action$='/edit'] button").click()
    page.wait_for_load_state()
    field = page.locator("#edit-reorder-point")
    assert field.input_value() == "lots"
    assert field.get_attribute("aria-invalid") == "true"
    error = page.locator("#edit-reorder-point-error")
    assert "whole number" in error.inner_text()
    # the message sits in the same field block as its input
    assert page.locator(".field.bad #edit-reorder-point-error").count() == 1


def test_check_out_on_the_unit_page_shows_on_the_person_page_and_the_dashboard(
        login_as, pages_server):
    r = refs(pages_server)
    tag = r["drills"][4]
    watched = login_as("operator")
    page = watched.page
    page.goto(f"/units/{tag}")
    page.select_option("#check-out-person", label="Priya Raman")
    page.fill("#check-out-due-at", "2030-01-31T17:00")
    page.fill("#check-out-note", "ladder job")
    page.get_by_role("button", name="Check out").click()
    page.wait_for_url(re.compile(f"/units/{tag}$"))
    assert page.locator(".flash").inner_text() == "Checked out."
    assert page.locator(".custody").get_by_text("Priya Raman").is_visible()
    assert page.locator(".timeline li").first.get_by_text("Checked out").is_visible()
    page.locator(".custody a").click()
    page.wait_for_url(re.compile("/people/P-"))
    assert page.locator("section", has_text="holds").get_by_text(tag).is_visible()
    page.goto("/")
    assert page.locator("#out-h + *").get_by_text(tag).is_visible() or \
        page.locator("section[aria-labelledby=out-h]").get_by_text(tag).is_visible()
    assert pages_server.api("GET", f"/api/v1/units/{tag}")["custodian"]["name"] == "Priya Raman"
    assert watched.problems == []


def test_screenshots_of_the_unit_page_and_the_dashboard(login_as, pages_server, tmp_path):
    """Written to docs/img when TAGTRACK_SCREENSHOTS=1, else to a temporary folder."""
    out = DOCS_IMG if os.environ.get("TAGTRACK_SCREENSHOTS") == "1" else tmp_path
    r = refs(pages_server)
    late = next(t for t in reversed(r["drills"])
                if pages_server.api("GET", f"/api/v1/units/{t}")["status"] == "available")
    sam = pages_server.api("GET", "/api/v1/people", params={"q": "Sam"})["people"][0]["tag"]
    pages_server.api("POST", f"/api/v1/units/{late}/check-out",
                     json={"person": sam, "due_at": "2026-01-05T17:00:00Z",
                           "allow_past_due": True, "note": "training day"})
    beans = pages_server.api("GET", "/api/v1/stock", params={"item": "COF-ESP-1KG"})["stock"]
    shelf = max(beans, key=lambda s: s["quantity"])
    pages_server.api("POST", "/api/v1/stock/consume",
                     json={"item": "COF-ESP-1KG", "location": shelf["location"]["tag"],
                           "quantity": shelf["quantity"] - 4, "note": "café opening week"})
    page = login_as("operator", {"width": 1280, "height": 900}).page
    page.goto(f"/units/{r['unit']}")
    page.wait_for_load_state("load")
    page.screenshot(path=str(out / "unit-page.png"), full_page=True)
    page.goto("/")
    page.wait_for_load_state("load")
    page.screenshot(path=str(out / "dashboard.png"), full_page=True)
    assert (out / "unit-page.png").stat().st_size > 10_000

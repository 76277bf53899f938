"""My account in headless Chromium: reached from the header on a phone (390x844) without
the top bar overflowing, and the forced choice of a password right after the first login
of a user whose password an admin set."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.pages_fixtures import PagesServer, login_as, pages_browser, pages_server

__all__ = ["login_as", "pages_browser", "pages_server"]  # fixtures, imported to be found

PHONE = {"width": 390, "height": 844}
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
SHOTS = Path(os.environ.get("TAGTRACK_SCREENSHOTS", "/tmp/tagtrack-shots"))


def fits(page, width):
    """Nothing wider than the screen: the page does not scroll sideways and no item of the
    top bar sticks out of it."""
    wide = page.evaluate("document.documentElement.scrollWidth")
    outside = page.evaluate("""w => [...document.querySelectorAll('header.bar *')]
        .filter(el => el.getClientRects().length && el.getBoundingClientRect().right > w + 0.5)
        .map(el => el.tagName + '.' + el.className + ':' + (el.textContent || '').trim())""",
                            width)
    return wide <= width and outside == [], (wide, outside)


def test_a_viewer_reaches_my_account_from_the_header_on_a_phone(login_as):
    watched = login_as("viewer", PHONE)
    page = watched.page
    ok, why = fits(page, PHONE["width"])
    assert ok, why
    me = page.locator("header.bar a.me")
    assert me.is_visible() and me.get_attribute("href") == "/account"
    me.click()
    page.wait_for_url("**/account")
    assert page.locator("h1").inner_text() == "My account"
    for heading in ("Your API tokens", "Password", "Time zone"):
        assert page.get_by_role("heading", name=heading).is_visible(), heading
    ok, why = fits(page, PHONE["width"])
    assert ok, why
    assert page.locator("header.bar a.me").get_attribute("aria-current") == "page"

    page.fill("#create-name", "phone")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_load_state()
    token = page.locator("#the-token").input_value()
    assert token.startswith("tt_")
    ok, why = fits(page, PHONE["width"])
    assert ok, why
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "account-phone.png"), full_page=True)
    if os.environ.get("TAGTRACK_UPDATE_DOCS_IMG"):
        page.screenshot(path=str(DOCS_IMG / "account-phone.png"), full_page=True)
    assert watched.problems == []


def test_my_account_on_a_desktop_shows_the_name_and_role_in_the_header(login_as):
    page = login_as("operator").page
    me = page.locator("header.bar a.me")
    assert me.inner_text().split() == ["operator", "operator"]
    me.click()
    page.wait_for_url("**/account")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "account-desktop.png"), full_page=True)
    if os.environ.get("TAGTRACK_UPDATE_DOCS_IMG"):
        page.screenshot(path=str(DOCS_IMG / "account-desktop.png"), full_page=True)


def test_the_admins_longer_top_bar_fits_a_phone_too(login_as):
    page = login_as("admin", PHONE).page
    page.goto("/account")
    ok, why = fits(page, PHONE["width"])
    assert ok, why
    assert page.locator("header.bar a.me").is_visible()


def test_an_admin_made_user_chooses_a_password_right_after_the_first_login(
        login_as, pages_browser, pages_server: PagesServer):
    pages_server.api("POST", "/api/v1/users", json={
        "username": "newhire", "role": "operator", "password": "given by the admin"})
    context = pages_browser.new_context(viewport=PHONE, base_url=pages_server.base)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto("/login?next=/items")
        page.fill("#username", "newhire")
        page.fill("#password", "given by the admin")
        page.click("button[type=submit]")
        page.wait_for_url("**/account/password?next=/items")
        assert page.get_by_text("Your password was set by someone else").is_visible()
        ok, why = fits(page, PHONE["width"])
        assert ok, why
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "choose-password-phone.png"), full_page=True)
        page.goto("/loans")  # any other page sends the user back to the form
        page.wait_for_url("**/account/password?next=/loans")
        page.fill("#password-current-password", "given by the admin")
        page.fill("#password-new-password", "newhire")
        page.fill("#password-confirm-password", "newhire")
        page.get_by_role("button", name="Save new password").click()
        # the browser's own check (minlength) or the server's: still on the form
        assert "/account/password" in page.url
        page.fill("#password-current-password", "given by the admin")
        page.fill("#password-new-password", "my very own phrase")
        page.fill("#password-confirm-password", "my very own phrase")
        page.get_by_role("button", name="Save new password").click()
        page.wait_for_url(pages_server.base + "/loans")
        assert page.locator(".flash").inner_text().startswith("Your new password is saved")
        page.screenshot(path=str(SHOTS / "password-changed-phone.png"), full_page=True)
        assert errors == []
    finally:
        context.close()

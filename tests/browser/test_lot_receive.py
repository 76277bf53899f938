"""Lots in a real browser against a real server: receiving the demo's lot-tracked gloves by
their SKU on the scanning page asks for the lot code and expiry and receives into that
lot; a lot that exists with another expiry is refused in the same small form; the lot
list and a lot page fit a phone and a desktop (screenshots to look at). GS1 codes carry
their lot and expiry and need no form (tests/api/test_scans.py)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from tests.browser.conftest import PASSWORD, PHONE, USER, Server, open_scan, scanner, wait_row

GLOVES = "PPE-NITRILE-M"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def lots_of(server: Server, code: str | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"item": GLOVES, "limit": 100}
    if code:
        params["code"] = code
    return list(server.api("GET", "/api/v1/lots", params=params)["lots"])


def in_a_year() -> str:
    return (dt.date.today() + dt.timedelta(days=365)).isoformat()


def test_receiving_a_lot_item_by_sku_asks_for_the_lot_and_expiry(phone: Any,
                                                                  server: Server) -> None:
    shelf = server.location("Shelf B3")
    open_scan(phone, f"?mode=receive&location={shelf}")
    phone.fill("#ctx-qty", "6")
    phone.evaluate("document.activeElement.blur()")  # the scanner types into no field

    scanner(phone, GLOVES)
    phone.wait_for_selector("#lot-box:not([hidden])")
    assert "Which lot?" in (phone.text_content("#banner-title") or "")
    assert phone.evaluate("document.activeElement.id") == "lot-code"
    # the item's lots are offered
    offered = phone.eval_on_selector_all("#lot-codes option", "os => os.map(o => o.value)")
    assert "L2407A" in offered
    phone.fill("#lot-code", "L2611Z")
    phone.fill("#lot-expiry", in_a_year())
    phone.click("#lot-send")

    row = wait_row(phone, "ok", "Received 6")
    assert "lot L2611Z" in (row.text_content() or "")
    assert phone.is_hidden("#lot-box")
    [lot] = lots_of(server, "L2611Z")
    assert (lot["quantity"], lot["expires_on"]) == (6, in_a_year())


def test_a_lot_with_another_expiry_is_refused_in_the_form_and_can_be_corrected(
        phone: Any, server: Server) -> None:
    shelf = server.location("Shelf B3")
    [known] = lots_of(server, "L2407A")
    open_scan(phone, f"?mode=receive&location={shelf}")
    phone.evaluate("document.activeElement.blur()")
    scanner(phone, GLOVES)
    phone.wait_for_selector("#lot-box:not([hidden])")
    phone.fill("#lot-code", "L2407A")
    phone.fill("#lot-expiry", "2030-01-01")
    phone.click("#lot-send")

    phone.wait_for_selector('#banner[data-state="refused"]')
    assert "expires on" in (phone.text_content("#banner-title") or "")
    phone.wait_for_selector("#lot-box:not([hidden])")
    assert phone.input_value("#lot-code") == "L2407A"  # what was typed stays
    assert phone.evaluate("document.activeElement.id") == "lot-expiry"
    phone.fill("#lot-expiry", known["expires_on"])
    phone.click("#lot-send")
    wait_row(phone, "ok", "lot L2407A")
    [after] = lots_of(server, "L2407A")
    assert after["quantity"] == known["quantity"] + 1


def test_the_lot_pages_fit_a_phone_and_a_desktop(browser: Any, server: Server,
                                                 tmp_path: Path) -> None:
    """Screenshots in docs/img when TAGTRACK_SCREENSHOTS=1, else in a temporary folder."""
    out = DOCS_IMG if os.environ.get("TAGTRACK_SCREENSHOTS") == "1" else tmp_path
    lot_id = lots_of(server, "L2311C")[0]["id"]
    for name, viewport in (("phone", PHONE), ("desktop", {"width": 1280, "height": 900})):
        context = browser.new_context(viewport=viewport, base_url=server.base)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
        page.goto("/login?next=/lots")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/lots")
        for path, shot in (("/lots", "lots"), (f"/lots/{lot_id}", "lot")):
            page.goto(path)
            assert page.locator("h1").first.is_visible()
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= viewport["width"], (path, name, wide)
            page.screenshot(path=str(out / f"{shot}-{name}.png"), full_page=True)
        page.goto("/lots?expiry=60")
        assert page.locator("table.lots a.tag", has_text="L2311C").count() == 1
        context.close()
        assert errors == []
        assert (out / f"lot-{name}.png").stat().st_size > 5_000


def test_the_lot_form_keeps_what_was_typed_when_the_item_is_scanned_again_and_goes_with_the_mode(
        phone: Any, server: Server) -> None:
    shelf = server.location("Shelf B3")
    open_scan(phone, f"?mode=receive&location={shelf}")
    phone.evaluate("document.activeElement.blur()")
    scanner(phone, GLOVES)
    phone.wait_for_selector("#lot-box:not([hidden])")
    phone.fill("#lot-code", "HALF-TYPED")
    phone.evaluate("document.activeElement.blur()")
    phone.evaluate("window.tagtrackScan.state.last = {code: '', at: 0}")  # a fresh read
    phone.evaluate("document.querySelector('#banner-title').textContent = ''")
    scanner(phone, GLOVES)
    phone.wait_for_function("() => document.querySelector('#banner-title').textContent"
                            ".startsWith('Which lot?')")
    assert phone.input_value("#lot-code") == "HALF-TYPED"
    phone.click('#modes button[data-mode="consume"]')
    assert phone.is_hidden("#lot-box")

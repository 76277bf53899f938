"""A phone that opens the server at a plain http:// network address (here tagtrack.test,
mapped to 127.0.0.1 inside Chromium; 127.0.0.1 itself would count as secure): the browser
gives no camera and no service worker there. The page says why in words where the camera
would be, raises no JavaScript error, and typed and scanner codes still act."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import (
    CHROMIUM,
    PASSWORD,
    PHONE,
    USER,
    Server,
    open_scan,
    scanner,
    wait_row,
    wait_until,
)

MESSAGE = "The camera needs HTTPS. Ask your admin, or use a Bluetooth scanner or type the code."
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture
def lan_phone(playwright_session: Any, server: Server) -> Iterator[Any]:
    """A phone-sized page at http://tagtrack.test:PORT, logged in; page errors fail."""
    port = urlsplit(server.base).port
    browser = playwright_session.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--no-proxy-server",
              "--host-resolver-rules=MAP tagtrack.test 127.0.0.1",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-quic", "--no-first-run"],
        timeout=30_000)
    try:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, base_url=f"http://tagtrack.test:{port}")
        context.set_default_timeout(45_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/login?next=/scan")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/scan")
        yield page
        assert not errors, errors
    finally:
        browser.close()


def test_an_http_network_address_says_the_camera_needs_https_and_typing_still_works(
    lan_phone: Any, server: Server, tmp_path: Path
) -> None:
    page = lan_phone
    unit, other = server.drills()[0], server.drills()[2]
    shelf = server.location("Shelf A1")
    open_scan(page, f"?mode=move&location={shelf}")
    assert page.evaluate("window.isSecureContext") is False
    note = page.locator("#camera-blocked")
    assert note.is_visible()
    assert note.inner_text() == MESSAGE
    assert page.locator("#camera").is_hidden()  # no button that cannot work
    assert page.evaluate("'serviceWorker' in navigator") is False

    out = SHOTS if os.environ.get("TAGTRACK_SCREENSHOTS") == "1" else tmp_path
    page.screenshot(path=str(out / "scan-phone-http.png"))

    page.fill("#code", unit)  # typed
    page.press("#code", "Enter")
    wait_row(page, "ok", unit)
    scanner(page, other)  # a keyboard-mode (Bluetooth) scanner
    wait_row(page, "ok", other)
    for tag in (unit, other):
        wait_until(page, lambda tag=tag: server.unit(tag)["location"]["tag"] == shelf,
                   f"{tag} to reach Shelf A1 from an http:// page")
    # http:// has no crypto.randomUUID of its own: the page makes its scans' keys itself
    keys = page.evaluate("[crypto.randomUUID(), crypto.randomUUID()]")
    assert keys[0] != keys[1]
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                            r"[0-9a-f]{12}", k) for k in keys)
    page.screenshot(path=str(out / "scan-phone-http-after.png"))


def test_asking_for_the_camera_on_an_http_address_says_why_in_the_banner(
    lan_phone: Any,
) -> None:
    open_scan(lan_phone, "?mode=lookup&camera=on")
    banner = lan_phone.locator("#banner")
    banner.get_by_text("The camera needs HTTPS").wait_for()
    assert banner.get_attribute("data-state") == "refused"
    assert lan_phone.locator("#camera-blocked").is_visible()

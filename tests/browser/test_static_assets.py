"""A cold /scan on a slow phone link (150 ms per request, 1.6 Mbit/s down, 750 kbit/s up,
Chromium's network emulation): the page's files are asked for at once from its HTML (no
import waterfall), come compressed and versioned, and a second visit asks for none of
them. The figures are printed, never asserted (bench/bench_cold_scan.py compares trees)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import PASSWORD, PHONE, USER, Server

WEB = Path(__file__).resolve().parents[2] / "web" / "static"
SLOW_LINK = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
             "uploadThroughput": 750_000 / 8}
IMMUTABLE = "public, max-age=31536000, immutable"
# when the page said data-ready (an init script: it runs outside the page's CSP)
READY_PROBE = """
new MutationObserver((_, observer) => {
  if (document.body && document.body.dataset.ready === "true") {
    window.__readyAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-ready"]});
"""


class Network:
    """The page's requests as DevTools sees them, by request id."""

    def __init__(self, cdp: Any) -> None:
        self.sent: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.sizes: dict[str, int] = {}
        self.cached: set[str] = set()
        cdp.on("Network.requestWillBeSent", lambda e: self.sent.__setitem__(e["requestId"], e))
        cdp.on("Network.responseReceived",
               lambda e: self.answers.__setitem__(e["requestId"], e["response"]))
        cdp.on("Network.loadingFinished",
               lambda e: self.sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))

    def static(self) -> dict[str, str]:
        """request id -> path, for /static/ requests"""
        return {rid: re.sub(r"^https?://[^/]+", "", e["request"]["url"])
                for rid, e in self.sent.items() if "/static/" in e["request"]["url"]}

    def header(self, rid: str, name: str) -> str:
        headers = self.answers[rid]["headers"]
        return next((v for k, v in headers.items() if k.lower() == name), "")

    def from_cache(self, rid: str) -> bool:
        answer = self.answers.get(rid, {})
        return rid in self.cached or bool(answer.get("fromDiskCache")
                                          or answer.get("fromMemoryCache"))


@pytest.fixture
def cold_phone(browser: Any, server: Server) -> Iterator[tuple[Any, Any]]:
    """A logged-in phone with an empty cache and no service worker (only the page's own
    loading is seen), on the slow link; page errors fail the test."""
    login = browser.new_context(base_url=server.base)
    page = login.new_page()
    page.goto("/login")
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    cookies = login.cookies()
    login.close()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  base_url=server.base, service_workers="block")
    context.set_default_timeout(45_000)
    context.add_cookies(cookies)
    context.add_init_script(READY_PROBE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
    try:
        yield page, cdp
    finally:
        context.close()
    assert not errors, errors


def test_a_cold_scan_page_asks_for_its_files_at_once_and_a_second_visit_for_none(
        cold_phone: tuple[Any, Any]) -> None:
    page, cdp = cold_phone
    net = Network(cdp)
    page.goto("/scan")
    page.wait_for_selector("body[data-ready=true]")
    ready_ms = page.evaluate("() => window.__readyAt")
    page.wait_for_load_state("networkidle")
    html = page.content()
    named = set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html))
    static = net.static()
    total_kb = sum(net.sizes.values()) / 1024
    print(f"\ncold /scan on the slow link: {len(net.sent)} requests, {total_kb:.1f} KB, "
          f"{len(static)} static, ready after {ready_ms:.0f} ms")

    # every file the page asks for is named in its HTML, by a versioned URL, and is
    # asked for by the HTML itself: no module is found only after another one is read
    assert set(static.values()) <= named
    assert len(net.sent) <= len(named) + 4  # the page, its two pick lists, nothing more
    for rid, path in static.items():
        assert path.startswith("/static/v/"), path
        assert net.header(rid, "cache-control") == IMMUTABLE, path
        # (which request fires first for a module, the modulepreload or the import that
        # needs it, is a race inside Chromium; that the HTML names every module is what
        # cuts the waterfall, and the subset check above holds it)
    assert not any("/vendor/" in p for p in static.values())  # the decoder waits for the camera

    # text goes compressed; the page's own JS and CSS stay within the 60 KB budget
    text = {rid: p for rid, p in static.items() if p.endswith((".js", ".css"))}
    for rid, path in text.items():
        assert net.header(rid, "content-encoding") in ("br", "gzip"), path
    assert sum(net.sizes[rid] for rid in text) < 60 * 1024

    # a second visit: the versioned files come from the browser's cache, unasked
    again = Network(cdp)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_load_state("networkidle")
    assert again.static()
    for rid, path in again.static().items():
        assert again.from_cache(rid) and again.answers[rid]["status"] == 200, path


def test_the_decoder_comes_compressed(cold_phone: tuple[Any, Any]) -> None:
    page, cdp = cold_phone
    page.goto("/scan")
    page.wait_for_selector("body[data-ready=true]")
    net = Network(cdp)
    size = page.evaluate("""async () => {
        const answer = await fetch("/static/vendor/zxing_reader.wasm");
        return (await answer.arrayBuffer()).byteLength;
    }""")
    assert size == (WEB / "vendor/zxing_reader.wasm").stat().st_size
    [rid] = [rid for rid, p in net.static().items() if p.endswith(".wasm")]
    assert net.header(rid, "content-encoding") in ("br", "gzip")
    assert net.header(rid, "content-type") == "application/wasm"
    assert net.sizes[rid] < size * 0.45

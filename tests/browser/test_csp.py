"""The pages under the strict Content-Security-Policy, in Chromium: the scanning page reads
a label from the camera through the zxing WebAssembly decoder, and the management pages
render, with no violation reported (neither a `securitypolicyviolation` event nor a
console message)."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Server
from tests.browser.pages_fixtures import login_as, pages_browser, pages_server
from tests.browser.test_pages import pages_for, refs

__all__ = ["login_as", "pages_browser", "pages_server"]  # fixtures, imported to be found

# Runs before any script of each page: every violation is kept where the test can read it.
RECORD = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`
));
"""


def watch(page: Any) -> list[str]:
    """Console messages about the policy, from now on."""
    said: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and said.append(m.text))
    page.add_init_script(RECORD)
    return said


def violations(page: Any, said: list[str]) -> list[str]:
    return [*said, *page.evaluate("window.cspViolations || []")]


def test_the_scanning_page_decodes_a_camera_label_with_wasm_under_the_policy(
    phone: Any, server: Server, camera_units: tuple[str, str]
) -> None:
    said = watch(phone)
    answer = phone.goto("/scan?mode=lookup&camera=off")
    policy = answer.headers["content-security-policy"]
    assert "'wasm-unsafe-eval'" in policy and "'unsafe-inline'" not in policy
    phone.wait_for_selector("body[data-ready=true]")
    phone.click("#camera")
    phone.wait_for_function("() => document.body.dataset.decoder", timeout=30_000)
    # Chromium on Linux has no BarcodeDetector: this is the WebAssembly decoder at work
    assert phone.evaluate("document.body.dataset.decoder") == "wasm"
    phone.wait_for_function("() => window.tagtrackScan.timings.length >= 1", timeout=30_000)
    read = {t["code"] for t in phone.evaluate("window.tagtrackScan.timings")}
    assert any(tag in code for code in read for tag in camera_units), read
    assert violations(phone, said) == []


def test_the_management_pages_render_without_a_policy_violation(login_as, pages_server):
    r = refs(pages_server)
    watched = login_as("admin")
    page = watched.page
    said = watch(page)
    for path in [*pages_for(r, "admin"), "/no/such/page"]:
        page.goto(path)
        page.wait_for_load_state("load")
        assert violations(page, said) == [], path
    page.goto("/locations")
    nested = page.locator('ul.tree li[data-depth="2"]').first
    indent = nested.evaluate("li => parseFloat(getComputedStyle(li).paddingLeft)")
    assert indent > 20  # the tree's depth still indents without a style attribute
    watched.page.context.clear_cookies()
    page.goto("/login")
    assert violations(page, said) == []

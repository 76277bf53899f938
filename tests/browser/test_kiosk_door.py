"""The kiosk at the door, and condition at check-out, in headless Chromium against a real
server of their own (its kiosk PIN set; a kiosk account, a manager and an operator; the
demo catalog), at phone size: a badge always starts its holder's turn, a borrower whose
badge will not scan finds their name and confirms it, leaving kiosk mode takes the PIN or
a manager's login, a slow keyboard scanner is read and a cut read says so, a unit that
needs repair is refused in the warning colour (a manager may lend it anyway), a past due
date is confirmed first, and a unit back broken goes to repair in one tap.

Screenshots go to a temporary folder, or to docs/img with TAGTRACK_SCREENSHOTS=1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import (
    PHONE,
    _cli,
    fresh_site,
    running_server,
    scanner,
    wait_row,
)
from tests.browser.pages_fixtures import pages_browser

__all__ = ["pages_browser"]  # a fixture, imported to be found

PASSWORD = "correct horse"
PIN = "4821"
DRILLS = "TL-DRL-DDF485"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


class Door:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def api(self, method: str, path: str, **kw: Any) -> Any:
        answer = httpx.request(method, self.base + path, timeout=10,
                               headers={"Authorization": f"Bearer {self.token}"}, **kw)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def unit(self, tag: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/api/v1/units/{tag}"))

    def person(self, name: str) -> str:
        found = self.api("GET", "/api/v1/people", params={"q": name})["people"]
        return str(next(p["tag"] for p in found if p["name"] == name))

    def drills(self, status: str = "available", condition: str = "working") -> list[str]:
        units = self.api("GET", "/api/v1/units", params={"item": DRILLS, "limit": 50})["units"]
        return [u["tag"] for u in sorted(units, key=lambda u: u["id"])
                if u["status"] == status and u["condition"] == condition]

    def fresh_drill(self) -> str:
        """A new available drill in working order, so that tests do not share one."""
        rack = self.api("GET", "/api/v1/locations", params={"q": "Drill rack"})["locations"][0]
        item = self.api("GET", "/api/v1/items", params={"q": DRILLS})["items"][0]
        made = self.api("POST", "/api/v1/units",
                        json={"item": item["id"], "location": rack["tag"], "count": 1})
        return str(made["units"][0]["tag"])


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    with fresh_site(tmp_path_factory, "door", TAGTRACK_KIOSK_PIN=PIN) as site:
        for name, role in (("manager", "manager"), ("operator", "operator"), ("door", "kiosk")):
            _cli(site.env, "createuser", name, "--role", role, "--password", PASSWORD,
                 "--no-password-change")
        _cli(site.env, "demo")
        token = _cli(site.env, "token", "manager", "--label", "door-tests").strip().splitlines()[-1]
        with running_server(site.env, site.data, site.port):
            yield Door(site.base, token)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    out = DOCS_IMG if os.environ.get("TAGTRACK_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def open_as(pages_browser: Any, door: Door) -> Iterator[Any]:
    """A phone-sized page logged in as `user`; page errors fail the test."""
    contexts: list[tuple[Any, list[str]]] = []

    def login(user: str, then: str = "") -> Any:
        context = pages_browser.new_context(viewport=PHONE, device_scale_factor=2,
                                            is_mobile=True, has_touch=True, base_url=door.base)
        context.set_default_timeout(30_000)
        errors: list[str] = []
        contexts.append((context, errors))
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/login?next=/scan")
        page.fill("#username", user)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/scan" in url)
        if then:
            page.goto(f"/scan{then}")
        page.wait_for_selector("body[data-ready=true]")
        return page

    yield login
    for context, errors in contexts:
        context.close()
        assert not errors, errors


def turn(page: Any) -> str:
    return str(page.eval_on_selector("#kiosk-turn", "el => el.dataset.tag"))


def wait_turn(page: Any, tag: str) -> None:
    page.wait_for_function("tag => document.querySelector('#kiosk-turn').dataset.tag === tag",
                           arg=tag)


def slow_scanner(page: Any, code: str, gap_ms: int, stall_at: int = -1, stall_ms: int = 0
                 ) -> None:
    """A keyboard scanner that types a key every `gap_ms` (and stalls once, if asked),
    timed inside the page as a real one would be."""
    page.evaluate(
        """async ([code, gap, stallAt, stall]) => {
            const keys = [...code, "Enter"];
            for (let i = 0; i < keys.length; i++) {
                if (i > 0) await new Promise(r => setTimeout(r, i === stallAt ? stall : gap));
                document.dispatchEvent(new KeyboardEvent("keydown", {key: keys[i], bubbles: true}));
            }
        }""",
        [code, gap_ms, stall_at, stall_ms],
    )


# ---- the kiosk ----

def test_the_next_badge_starts_its_holders_turn_even_without_done(open_as, door, shots):
    dana, sam = door.person("Dana Whitfield"), door.person("Sam Okafor")
    first, second = door.fresh_drill(), door.fresh_drill()
    page = open_as("door")  # the kiosk account lands on the door screen
    assert page.url.endswith("/scan?mode=kiosk")
    assert page.locator("#modes button[data-mode=move]").count() == 0

    scanner(page, "BADGE-1001")
    wait_turn(page, dana)
    assert page.text_content("#kiosk-turn") == "Dana Whitfield"
    scanner(page, first)
    wait_row(page, "ok", first)
    page.wait_for_selector("#kiosk-due:not([hidden])")
    assert (page.text_content("#kiosk-due") or "").startswith("Due back ")

    scanner(page, "BADGE-1002")  # Dana walked off without Done: Sam's badge takes over
    wait_turn(page, sam)
    assert page.text_content("#banner-title") == "Sam Okafor's turn"
    assert "Dana Whitfield's turn has ended" in (page.text_content("#banner-text") or "")
    assert page.is_hidden("#kiosk-due")
    page.screenshot(path=str(shots / "kiosk-turn-phone.png"))
    scanner(page, second)
    wait_row(page, "ok", f"{second} checked out to Sam Okafor")

    assert door.unit(first)["custodian"]["tag"] == dana
    held = door.unit(second)
    assert held["custodian"]["tag"] == sam and held["due_at"] is not None
    page.screenshot(path=str(shots / "kiosk-due-phone.png"))


def test_a_borrower_whose_badge_will_not_scan_finds_their_name_and_confirms(open_as, door,
                                                                            shots):
    sam = door.person("Sam Okafor")
    page = open_as("door")
    page.click("#kiosk-name")
    page.fill("#kiosk-name-q", "sam")
    page.locator("#kiosk-name-list button", has_text="Sam Okafor").click()
    page.wait_for_selector("#kiosk-confirm:not([hidden])")
    assert page.text_content("#kiosk-confirm-text") == "Are you Sam Okafor?"
    page.screenshot(path=str(shots / "kiosk-name-confirm-phone.png"))
    page.click("#kiosk-confirm-no")  # not me: nothing changes
    assert page.is_hidden("#kiosk-confirm") and turn(page) == ""

    page.locator("#kiosk-name-list button", has_text="Sam Okafor").click()
    page.click("#kiosk-confirm-yes")
    wait_turn(page, sam)
    assert page.is_hidden("#kiosk-names")
    drill = door.fresh_drill()
    scanner(page, drill)
    wait_row(page, "ok", drill)
    assert door.unit(drill)["custodian"]["tag"] == sam


def test_leaving_kiosk_mode_takes_the_pin_or_a_managers_login(open_as, door, shots):
    page = open_as("operator", "?mode=kiosk")
    page.reload()  # a reload does not leave kiosk mode
    page.wait_for_selector("body[data-ready=true]")
    page.goto("/scan?mode=lookup")  # nor does asking for another mode
    page.wait_for_selector("body.kiosk[data-ready=true]")

    page.click("#kiosk-exit")
    page.fill("#kiosk-pin", "0000")
    page.click("#kiosk-unlock-send")
    page.wait_for_function("() => document.querySelector('#kiosk-unlock-error').textContent "
                           "=== 'Wrong PIN'")
    page.screenshot(path=str(shots / "kiosk-unlock-phone.png"))
    page.fill("#kiosk-user", "operator")
    page.fill("#kiosk-password", PASSWORD)
    page.click("#kiosk-unlock-send")
    page.wait_for_function("() => document.querySelector('#kiosk-unlock-error').textContent"
                           ".includes('needs a manager')")
    assert page.evaluate("() => document.body.classList.contains('kiosk')")

    page.fill("#kiosk-user", "manager")
    page.fill("#kiosk-password", PASSWORD)
    page.click("#kiosk-unlock-send")
    page.wait_for_function("() => !document.body.classList.contains('kiosk')")
    assert page.text_content("#banner-title") == "Kiosk mode ended"

    page.click("#modes button[data-mode=kiosk]")  # back in, and out with the PIN
    page.click("#kiosk-exit")
    page.fill("#kiosk-pin", PIN)
    page.click("#kiosk-unlock-send")
    page.wait_for_function("() => !document.body.classList.contains('kiosk')")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert not page.evaluate("() => document.body.classList.contains('kiosk')")


def test_a_kiosk_account_that_leaves_is_logged_out(open_as, door):
    page = open_as("door")
    page.click("#kiosk-exit")
    page.fill("#kiosk-pin", PIN)
    page.click("#kiosk-unlock-send")
    page.wait_for_url(lambda url: "/login" in url)
    jar = {c["name"]: c["value"] for c in page.context.cookies()}
    assert httpx.get(door.base + "/scan", cookies=jar,
                     follow_redirects=False).status_code in (302, 303, 401)


# ---- keyboard scanners ----

def test_a_scanner_slower_than_60_ms_a_key_is_read(open_as, door):
    drill = door.drills()[0]
    page = open_as("operator", "?mode=lookup")
    slow_scanner(page, drill, gap_ms=100)
    wait_row(page, "ok", drill)


def test_a_read_cut_short_says_partial_read_and_sends_nothing(open_as, door):
    drill = door.drills()[0]
    page = open_as("operator", "?mode=lookup")
    slow_scanner(page, drill, gap_ms=20, stall_at=5, stall_ms=400)
    page.wait_for_function("() => document.querySelector('#banner-title').textContent "
                           "=== 'Partial read, scan again'")
    assert page.get_attribute("#banner", "data-state") == "refused"
    assert "wedge_ms=300" in (page.text_content("#banner-text") or "")
    assert page.locator("#recent li").count() == 0  # nothing looked up, nothing sent

    scanner(page, drill)  # the next clean read goes through
    wait_row(page, "ok", drill)


def test_wedge_ms_lets_a_very_slow_scanner_through_and_the_device_keeps_it(open_as, door):
    drill = door.drills()[0]
    page = open_as("operator", "?mode=lookup&wedge_ms=400")
    slow_scanner(page, drill, gap_ms=250)
    wait_row(page, "ok", drill)
    page.goto("/scan?mode=lookup")  # no parameter now: the device kept 400 ms
    page.wait_for_selector("body[data-ready=true]")
    slow_scanner(page, drill, gap_ms=250)
    page.wait_for_function("() => document.querySelectorAll('#recent li').length === 1")


# ---- condition, due dates, repair ----

def test_a_unit_that_needs_repair_is_refused_in_the_warning_colour_and_a_manager_lends_it(
        open_as, door, shots):
    [slipping] = door.drills(condition="needs_repair")  # the demo's: "chuck slips"
    priya = door.person("Priya Raman")
    kiosk = open_as("door")
    scanner(kiosk, "BADGE-1001")
    wait_turn(kiosk, door.person("Dana Whitfield"))
    scanner(kiosk, slipping)
    wait_row(kiosk, "warning", "needs repair: chuck slips")
    assert kiosk.get_attribute("#banner", "data-state") == "warning"
    assert kiosk.is_hidden("#override-box")  # nobody overrides at the door
    kiosk.screenshot(path=str(shots / "kiosk-needs-repair-phone.png"))

    page = open_as("manager", f"?mode=check_out&person={priya}")
    scanner(page, slipping)
    wait_row(page, "warning", "needs repair: chuck slips")
    colour = page.eval_on_selector("#banner", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(184, 74, 0)"
    page.wait_for_selector("#override-box:not([hidden])")
    page.click("#override-send")  # no reason yet
    assert page.text_content("#override-error") == "Say why it is lent as it is."
    page.fill("#override-reason", "for the soft-wood job only")
    page.screenshot(path=str(shots / "scan-override-phone.png"))
    page.click("#override-send")
    wait_row(page, "ok", f"{slipping} checked out to Priya Raman")
    lent = door.unit(slipping)
    assert (lent["status"], lent["custodian"]["tag"]) == ("checked_out", priya)
    history = door.api("GET", f"/api/v1/units/{slipping}/history")["events"]
    assert history[0]["details"]["condition_override"] == "for the soft-wood job only"


def test_a_due_date_in_the_past_is_confirmed_before_the_check_out(open_as, door):
    dana, drill = door.person("Dana Whitfield"), door.fresh_drill()
    page = open_as("operator", f"?mode=check_out&person={dana}")
    page.fill("#ctx-due", "2026-01-05")
    page.dispatch_event("#ctx-due", "change")
    page.wait_for_selector("#due-past:not([hidden])")
    page.evaluate("() => document.activeElement.blur()")
    scanner(page, drill)
    wait_row(page, "refused", "The due date is in the past")
    assert door.unit(drill)["status"] == "available"

    page.check("#ctx-due-past")
    page.evaluate("() => document.activeElement.blur()")
    scanner(page, drill)
    wait_row(page, "ok", f"{drill} checked out to Dana Whitfield")
    assert door.unit(drill)["due_at"].startswith("2026-01-05")


def test_a_unit_back_damaged_goes_to_repair_in_one_tap(open_as, door, shots):
    drill = door.fresh_drill()
    door.api("POST", f"/api/v1/units/{drill}/check-out",
             json={"person": door.person("Sam Okafor")})
    page = open_as("operator", "?mode=check_in")
    page.select_option("#ctx-condition", "damaged")
    page.evaluate("() => document.activeElement.blur()")
    scanner(page, drill)
    wait_row(page, "ok", "marked damaged")
    page.wait_for_selector("#repair:not([hidden])")
    page.screenshot(path=str(shots / "scan-damaged-return-phone.png"))
    page.click("#repair")
    wait_row(page, "ok", f"{drill} sent to repair")
    assert door.unit(drill)["status"] == "in_repair"
    assert page.is_hidden("#repair")

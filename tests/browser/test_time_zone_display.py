"""Local time in a real browser whose zone is not the server's (UTC): a user with no zone
of their own gets their browser's (time.js tells the server in a cookie), so a due date
typed as a date on a page or on /scan is the end of that day where they are, and the
pages and the scanning page write that same day. The days used are in the future of
whenever the test runs (the server's clock is its own).

Screenshots go to a temporary folder, or to docs/img with TAGTRACK_SCREENSHOTS=1."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.browser.conftest import (
    ENGINE,
    HOST,
    PG_BASE,
    PHONE,
    _cli,
    _free_port,
    _pg,
    running_server,
    scanner,
    wait_row,
)
from tests.browser.pages_fixtures import pages_browser
from tests.sync import run_sync

__all__ = ["pages_browser"]  # a fixture, imported to be found

PASSWORD = "correct horse"
DRILLS = "TL-DRL-DDF485"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
LA = "America/Los_Angeles"


def written(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def end_of_day_utc(day: dt.date, zone: str) -> str:
    local = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Site:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def api(self, method: str, path: str, **kw: Any) -> Any:
        answer = httpx.request(method, self.base + path, timeout=10,
                               headers={"Authorization": f"Bearer {self.token}"}, **kw)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def due_at(self, tag: str) -> str:
        return str(self.api("GET", f"/api/v1/units/{tag}")["due_at"])

    def person(self, name: str) -> str:
        found = self.api("GET", "/api/v1/people", params={"q": name})["people"]
        return str(next(p["tag"] for p in found if p["name"] == name))

    def fresh_drill(self) -> str:
        rack = self.api("GET", "/api/v1/locations", params={"q": "Drill rack"})["locations"][0]
        item = self.api("GET", "/api/v1/items", params={"q": DRILLS})["items"][0]
        made = self.api("POST", "/api/v1/units",
                        json={"item": item["id"], "location": rack["tag"], "count": 1})
        return str(made["units"][0]["tag"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server of its own in UTC (TAGTRACK_TIME_ZONE unset) with the demo catalog."""
    data = tmp_path_factory.mktemp("tz-server")
    port = _free_port()
    base = f"http://{HOST}:{port}"
    pg_name = None
    if ENGINE == "postgres":
        pg_name = f"tagtrack_tz_{uuid.uuid4().hex[:10]}"
        run_sync(_pg(f"CREATE DATABASE {pg_name}"))
        database_url = f"{PG_BASE}/{pg_name}"
    else:
        database_url = f"sqlite:///{data / 'tagtrack.db'}"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PUBLIC_URL", "TAGTRACK_TIME_ZONE")}
    env.update(DATABASE_URL=database_url, TAGTRACK_DATA_DIR=str(data), PUBLIC_URL=base,
               PYTHONUNBUFFERED="1")
    _cli(env, "migrate")
    for name in ("manager", "operator"):
        _cli(env, "createuser", name, "--role", name, "--password", PASSWORD,
             "--no-password-change")
    _cli(env, "demo")
    token = _cli(env, "token", "manager", "--label", "tz-tests").strip().splitlines()[-1]
    try:
        with running_server(env, data, port):
            yield Site(base, token)
    finally:
        if pg_name:
            run_sync(_pg(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    out = DOCS_IMG if os.environ.get("TAGTRACK_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def phone_in(pages_browser: Any, site: Site) -> Iterator[Any]:
    """A phone in time zone `zone`, logged in as the operator (no zone of their own),
    on /scan; page errors fail the test."""
    contexts: list[tuple[Any, list[str]]] = []

    def open_in(zone: str) -> Any:
        context = pages_browser.new_context(viewport=PHONE, device_scale_factor=2,
                                            is_mobile=True, has_touch=True,
                                            base_url=site.base, timezone_id=zone)
        context.set_default_timeout(30_000)
        errors: list[str] = []
        contexts.append((context, errors))
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/login?next=/scan")
        page.fill("#username", "operator")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/scan" in url)
        page.wait_for_selector("body[data-ready=true]")
        return page

    yield open_in
    for context, errors in contexts:
        context.close()
        assert not errors, errors


def local_today(zone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(zone)).date()


def test_a_due_date_typed_in_los_angeles_is_that_day_on_every_page_and_on_scan(
        phone_in, site, shots):
    page = phone_in(LA)
    assert page.context.cookies()[0:] and any(
        c["name"] == "tz" and c["value"] == LA for c in page.context.cookies())
    drill, dana = site.fresh_drill(), site.person("Dana Whitfield")
    day = local_today(LA) + dt.timedelta(days=20)

    page.goto(f"/units/{drill}")
    page.select_option("#check-out-person", dana)
    page.fill("#check-out-due-at", day.isoformat())
    page.locator("form[action$='/check-out']").screenshot(
        path=str(shots / "unit-check-out-form-phone.png"))
    page.click("form[action$='/check-out'] button")
    page.wait_for_selector(".flash")
    assert site.due_at(drill) == end_of_day_utc(day, LA)
    for path in (f"/units/{drill}", "/loans"):
        page.goto(path)
        main = page.inner_text("main")
        assert written(day) in main, path
        assert written(day + dt.timedelta(days=1)) not in main, path
        assert "Times in America/Los_Angeles" in page.inner_text("footer")
    page.screenshot(path=str(shots / "loans-local-time-phone.png"), full_page=True)

    page.goto("/scan")
    page.wait_for_selector("body[data-ready=true]")
    scanner(page, drill)
    row = wait_row(page, "ok", drill)
    title = page.inner_text("#banner-title")
    assert title.endswith(f"due {written(day)}"), title
    shown = page.inner_text("#banner") + row.inner_text()
    assert written(day + dt.timedelta(days=1)) not in shown and "/" not in title
    page.screenshot(path=str(shots / "scan-local-time-phone.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/units/{drill}")
    page.screenshot(path=str(shots / "unit-local-time-desktop.png"), full_page=True)


def test_the_scanning_page_writes_times_as_the_pages_do_in_the_browsers_zone(phone_in, site):
    page = phone_in(LA)
    href = page.evaluate("() => [...document.querySelectorAll('link[rel=modulepreload]')]"
                         ".map((l) => l.href).find((h) => h.endsWith('/time.js'))"
                         " || new URL('/static/scan/time.js', location.href).href")
    formats = page.evaluate("""async (href) => {
        const t = await import(href);
        return [t.zone(), t.formatDue("2026-12-06T07:59:59Z"),
                t.formatTime("2026-12-06T01:00:00Z"), t.formatTime("2026-07-01T00:00:00Z"),
                t.endOfDay("2026-12-05"), t.formatDate("2026-12-06T07:59:59Z")];
    }""", href)
    assert formats == [LA, "5 Dec 2026", "5 Dec 2026, 17:00 PST", "30 Jun 2026, 17:00 PDT",
                       "2026-12-06T07:59:59.000Z", "5 Dec 2026"]


def test_a_due_date_on_the_day_berlin_moves_its_clocks_is_the_end_of_that_day(phone_in, site):
    berlin = "Europe/Berlin"
    year = local_today(berlin).year + 1
    march_31 = dt.date(year, 3, 31)
    change = march_31 - dt.timedelta(days=(march_31.weekday() + 1) % 7)  # last Sunday
    page = phone_in(berlin)
    drill, sam = site.fresh_drill(), site.person("Sam Okafor")
    page.goto("/scan?mode=check_out")
    page.wait_for_selector("body[data-ready=true]")
    scanner(page, sam)
    page.wait_for_function(f"() => document.querySelector('#ctx-person').dataset.tag === '{sam}'")
    page.fill("#ctx-due", change.isoformat())
    page.dispatch_event("#ctx-due", "change")
    scanner(page, drill)
    wait_row(page, "ok", drill)
    assert site.due_at(drill) == f"{change.isoformat()}T21:59:59Z"  # CEST: UTC+2
    assert page.inner_text("#banner-title").endswith(f"due {written(change)}")

"""The scanning page when the server fails: a scan the server could not take (5xx) stays on
the phone, in order, and is sent again until the server has it; nothing is dropped.

The database fails for real, on its own server (these tests break it): on SQLite the
server process may not grow any file (RLIMIT_FSIZE, what a full disk does to it: every
write fails with a disk I/O error while reads still work); on PostgreSQL the database is
made read-only and the server's sessions are ended, so that its new ones are read-only."""

from __future__ import annotations

import resource
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import (
    PASSWORD,
    PHONE,
    USER,
    Server,
    _cli,
    _pg,
    fresh_site,
    running_server,
    scanner,
    wait_until,
)
from tests.browser.pages_fixtures import pages_browser
from tests.sync import run_sync

__all__ = ["pages_browser"]  # a fixture, imported to be found

pytestmark = pytest.mark.slow


@dataclass
class FaultyServer(Server):
    """A server of these tests alone, and a switch that makes its database fail."""

    pid: int = 0
    pg_name: str | None = None

    def break_database(self) -> None:
        if self.pg_name is None:
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
        else:
            self._pg_read_only(True)

    def fix_database(self) -> None:
        if self.pg_name is None:
            unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE, unlimited)
        else:
            self._pg_read_only(False)

    def _pg_read_only(self, read_only: bool) -> None:
        setting = "SET default_transaction_read_only = on" if read_only else \
            "RESET default_transaction_read_only"
        run_sync(_pg(f"ALTER DATABASE {self.pg_name} {setting}"))
        run_sync(_pg("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     f"WHERE datname = '{self.pg_name}' AND pid <> pg_backend_pid()"))

    def available_drills(self) -> list[str]:
        return [t for t in self.units("TL-DRL-DDF485") if self.unit(t)["status"] == "available"]

    def moves(self, tag: str, after: int) -> list[str]:
        """Where the unit's moves after event `after` took it, oldest first."""
        events = self.api("GET", f"/api/v1/units/{tag}/history")["events"]
        return [e["to_location"] for e in reversed(events)
                if e["id"] > after and e["kind"] == "unit.moved"]


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultyServer]:
    with fresh_site(tmp_path_factory, "faults") as site:
        _cli(site.env, "createuser", USER, "--role", "operator", "--password", PASSWORD,
             "--no-password-change")
        _cli(site.env, "demo")
        token = _cli(site.env, "token", USER, "--label", "fault-tests").strip().splitlines()[-1]
        with running_server(site.env, site.data, site.port) as process:
            server = FaultyServer(site.base, token, pid=process.pid, pg_name=site.pg_name)
            try:
                yield server
            finally:
                server.fix_database()


@pytest.fixture
def phone(pages_browser: Any, faulty: FaultyServer, tmp_path: Path) -> Iterator[Any]:
    """The scanning page on a phone, logged in as an operator, on the faulty server; it
    records every answer of the scan API."""
    context = pages_browser.new_context(viewport=PHONE, device_scale_factor=2,
                                        is_mobile=True, has_touch=True, base_url=faulty.base)
    context.set_default_timeout(45_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.answers = []  # (path, status) of every answer of /api/v1/scans...
    page.on("response", lambda r: "/api/v1/scans" in r.url and page.answers.append(
        (r.url.split(faulty.base, 1)[-1], r.status)))
    page.goto("/login?next=/scan")
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/scan")
    try:
        yield page
    finally:
        faulty.fix_database()
        context.close()
    assert not errors, errors


def open_move(page: Any) -> None:
    page.goto("/scan?mode=move")
    page.wait_for_selector("body[data-ready=true]")


def move(page: Any, location: str, unit: str) -> None:
    scanner(page, location)
    page.wait_for_function(
        f"() => document.querySelector('#ctx-location').dataset.tag === '{location}'")
    scanner(page, unit)


def batches(page: Any) -> list[int]:
    return [status for path, status in page.answers if path.startswith("/api/v1/scans/batch")]


def kept_message(page: Any) -> str:
    return f"{page.text_content('#banner-title')}: {page.text_content('#banner-text')}"


def test_queued_scans_outlive_a_failing_database_and_are_applied_once_in_order(
    phone: Any, faulty: FaultyServer, tmp_path: Path
) -> None:
    unit = faulty.available_drills()[0]
    shelf, bin_ = faulty.location("Shelf A1"), faulty.location("Bin B3-1")
    before = faulty.api("GET", f"/api/v1/units/{unit}/history")["events"][0]["id"]
    open_move(phone)

    phone.context.set_offline(True)
    phone.wait_for_selector('#net[data-state="offline"]')
    move(phone, shelf, unit)
    move(phone, bin_, unit)
    phone.wait_for_selector('#queue[data-count="2"]')

    faulty.break_database()
    phone.context.set_offline(False)
    # the server answers the queue with server errors (per scan, or the whole batch)
    phone.wait_for_selector('#banner[data-state="trouble"]')
    assert batches(phone), "the queue was sent"
    # back online once more: tried again at once, not after the pause, and still kept
    phone.context.set_offline(True)
    phone.context.set_offline(False)
    wait_until(phone, lambda: len(batches(phone)) >= 2, "a second try of the queue")
    phone.wait_for_selector('#banner[data-state="trouble"]')
    message = kept_message(phone)
    assert "Server trouble" in message and "2 scans kept on this phone" in message, message
    assert "retrying in" in message and "Nothing is lost" not in message, message
    assert phone.get_attribute("#queue", "data-count") == "2"
    assert phone.locator('#recent li[data-state="queued"]').count() == 2
    assert phone.locator('#recent li[data-state="refused"]').count() == 0
    phone.screenshot(path=str(tmp_path / "scan-server-trouble.png"))

    faulty.fix_database()
    phone.wait_for_selector('#queue[data-count="0"]', state="attached", timeout=90_000)
    phone.wait_for_function(
        "() => document.querySelectorAll('#recent li[data-state=ok]').length === 2")
    assert faulty.moves(unit, before) == [shelf, bin_]  # each once, in the order made
    assert faulty.unit(unit)["location"]["tag"] == bin_


def test_a_scan_the_failing_server_could_not_take_is_kept_and_sent_again(
    phone: Any, faulty: FaultyServer
) -> None:
    unit = faulty.available_drills()[1]
    stockroom = faulty.location("Stockroom")
    before = faulty.api("GET", f"/api/v1/units/{unit}/history")["events"][0]["id"]
    open_move(phone)

    faulty.break_database()
    move(phone, stockroom, unit)
    phone.wait_for_selector('#queue[data-count="1"]')
    phone.wait_for_selector('#banner[data-state="trouble"]')
    message = kept_message(phone)
    assert message.startswith(f"Server trouble: {unit} kept"), message
    assert "1 scan kept on this phone, retrying in" in message, message
    assert any(s >= 500 for path, s in phone.answers if path == "/api/v1/scans")
    assert phone.locator('#recent li[data-state="refused"]').count() == 0

    faulty.fix_database()
    # the connection coming back sends it at once (the first test waits out the pause)
    phone.context.set_offline(True)
    phone.context.set_offline(False)
    phone.wait_for_selector('#queue[data-count="0"]', state="attached", timeout=90_000)
    wait_until(phone, lambda: faulty.moves(unit, before) == [stockroom],
               "the kept scan to be applied once")
    assert phone.locator('#recent li[data-state="ok"]').count() == 1

"""Browser tests: a real Tagtrack server (uvicorn in a subprocess on 127.0.0.1, migrated and
filled with the demo catalog through the CLI) driven by Debian's headless Chromium through
playwright. The fake camera plays a y4m clip of labels rendered by `labels/`.

The server uses a fresh SQLite file, or a fresh PostgreSQL database when the suite runs
with TAGTRACK_TEST_DB=postgres. Every wait is bounded, and each test has a hard deadline."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import pytest

from tests.browser.clip import write_label_clip
from tests.sync import run_sync

CHROMIUM = os.environ.get("TAGTRACK_CHROMIUM", "/usr/bin/chromium")
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
USER, PASSWORD = "operator", "correct horse"
ENGINE = os.environ.get("TAGTRACK_TEST_DB", "sqlite")
PG_BASE = os.environ.get("TAGTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
TEST_DEADLINE_S = 120
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@dataclass
class Server:
    base: str
    token: str
    verify: Any = True  # for https: an ssl.SSLContext that trusts the test's certificate

    def api(self, method: str, path: str, **kw: Any) -> Any:
        answer = httpx.request(method, self.base + path, timeout=10, verify=self.verify,
                               headers={"Authorization": f"Bearer {self.token}"}, **kw)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def unit(self, tag: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/api/v1/units/{tag}"))

    def location(self, name: str) -> str:
        found = self.api("GET", "/api/v1/locations", params={"q": name})["locations"]
        return str(next(loc["tag"] for loc in found if loc["name"] == name))

    def person(self, name: str) -> str:
        found = self.api("GET", "/api/v1/people", params={"q": name})["people"]
        return str(next(p["tag"] for p in found if p["name"] == name))

    def units(self, sku: str) -> list[str]:
        """The units of an item, by tag, in the order they were made."""
        units = self.api("GET", "/api/v1/units", params={"item": sku, "limit": 50})["units"]
        return [u["tag"] for u in sorted(units, key=lambda u: u["id"])]

    def drills(self) -> list[str]:
        """The demo's six cordless drills."""
        return self.units("TL-DRL-DDF485")

    def stock(self, sku: str) -> dict[str, int]:
        """How many of a counted item each location holds, by location tag."""
        rows = self.api("GET", "/api/v1/stock", params={"item": sku, "limit": 100})["stock"]
        return {r["location"]["tag"]: int(r["quantity"]) for r in rows}


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "tagtrack"), *args], env=env, capture_output=True,
                          text=True, timeout=90, check=False)
    assert done.returncode == 0, f"tagtrack {args[0]}: {done.stdout}{done.stderr}"
    return done.stdout


@contextlib.contextmanager
def running_server(env: dict[str, str], data: Path, port: int,
                   tls: tuple[Path, Path, ssl.SSLContext] | None = None
                   ) -> Iterator[subprocess.Popen[bytes]]:
    """uvicorn on 127.0.0.1:port with `env`, up (healthz answers) before the body runs,
    stopped afterwards; its log is data/server.log. Yields the server's process. With
    tls=(certfile, keyfile, a context trusting them) it is `tagtrack serve --certfile
    --keyfile`, speaking HTTPS itself."""
    base = f"{'https' if tls else 'http'}://{HOST}:{port}"
    log = (data / "server.log").open("w")
    command = [sys.executable, "-m", "uvicorn", "server.http.asgi:app", "--host", HOST,
               "--port", str(port), "--log-level", "warning"]
    if tls:
        command = [str(BIN / "tagtrack"), "serve", "--host", HOST, "--port", str(port),
                   "--certfile", str(tls[0]), "--keyfile", str(tls[1])]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                verify = tls[2] if tls else True
                if httpx.get(f"{base}/healthz", timeout=1, verify=verify).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (data / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start in 30 s"
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


@dataclass
class Site:
    """A fresh database (SQLite file or PostgreSQL database) and the environment, data
    folder and port that a `tagtrack serve` of a browser test runs with."""

    env: dict[str, str]
    data: Path
    port: int
    base: str
    pg_name: str | None


@contextlib.contextmanager
def fresh_site(tmp_path_factory: pytest.TempPathFactory, name: str,
               **extra_env: str) -> Iterator[Site]:
    """A migrated, empty database for one test server, dropped afterwards (PostgreSQL)."""
    data = tmp_path_factory.mktemp(f"{name}-server")
    port = _free_port()
    base = f"http://{HOST}:{port}"
    pg_name = None
    if ENGINE == "postgres":
        pg_name = f"tagtrack_{name}_{uuid.uuid4().hex[:10]}"
        run_sync(_pg(f"CREATE DATABASE {pg_name}"))
        database_url = f"{PG_BASE}/{pg_name}"
    else:
        database_url = f"sqlite:///{data / 'tagtrack.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_URL")}
    env.update(DATABASE_URL=database_url, TAGTRACK_DATA_DIR=str(data), PUBLIC_URL=base,
               PYTHONUNBUFFERED="1", **extra_env)
    try:
        _cli(env, "migrate")
        yield Site(env, data, port, base, pg_name)
    finally:
        if pg_name:
            run_sync(_pg(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with fresh_site(tmp_path_factory, "browser") as site:
        _cli(site.env, "createuser", USER, "--role", "operator", "--password", PASSWORD,
             "--no-password-change")
        _cli(site.env, "demo")
        token = _cli(site.env, "token", USER, "--label", "browser-tests").strip().splitlines()[-1]
        with running_server(site.env, site.data, site.port):
            yield Server(site.base, token)


@pytest.fixture(scope="session")
def camera_units(server: Server) -> tuple[str, str]:
    """Two drills the camera scans: one from its QR label, one from its Code 128 label."""
    drills = server.drills()
    return drills[1], drills[3]


@pytest.fixture(scope="session")
def clip(server: Server, camera_units: tuple[str, str],
         tmp_path_factory: pytest.TempPathFactory) -> Path:
    qr_unit, code128_unit = camera_units
    path = tmp_path_factory.mktemp("camera") / "labels.y4m"
    write_label_clip(path, server.base, qr_unit, code128_unit)
    return path


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Any]:
    """The one playwright driver of the session: two sync_playwright() at once clash, so
    every browser fixture of tests/browser launches through this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_session: Any, clip: Path) -> Iterator[Any]:
    chromium = playwright_session.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={clip}",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-quic", "--no-first-run",
        ],
        timeout=30_000,
    )
    try:
        yield chromium
    finally:
        chromium.close()


class Deadline(Exception):
    pass


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """A hard bound on each browser test, on top of playwright's own timeouts."""

    def expired(signum: int, frame: FrameType | None) -> None:
        raise Deadline(f"the test ran over {TEST_DEADLINE_S} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_DEADLINE_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def phone(browser: Any, server: Server) -> Iterator[Any]:
    """A phone-sized page, logged in as an operator; page errors fail the test."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, base_url=server.base)
    context.set_default_timeout(45_000)  # generous: CI machines have 2 busy cores
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/login?next=/scan")
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/scan")
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def open_scan(page: Any, query: str = "") -> None:
    page.goto(f"/scan{query}")
    page.wait_for_selector("body[data-ready=true]")


def wait_for_service_worker(page: Any, timeout_s: float = 120) -> None:
    """Wait until the service worker controls the page (the shell and decoder cached). On a
    busy machine the first install can fail or take long; a reload registers it again, as
    a phone's next visit would."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            page.wait_for_function("() => navigator.serviceWorker.controller !== null",
                                   timeout=30_000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise
        page.reload()
        page.wait_for_selector("body[data-ready=true]")


def scanner(page: Any, code: str) -> None:
    """A keyboard-mode scanner: the code typed fast, then Enter, no field focused. The keys
    are sent in one burst inside the page, as a real scanner sends them, so a busy test
    machine cannot spread them out past the page's scanner timing."""
    page.evaluate(
        """code => {
            for (const key of [...code, "Enter"]) {
                document.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true}));
            }
        }""",
        code,
    )


def wait_row(page: Any, state: str, text: str) -> Any:
    row = page.locator(f'#recent li[data-state="{state}"]', has_text=text).first
    row.wait_for()
    return row


def wait_until(page: Any, check: Any, what: str, seconds: float = 15) -> None:
    for _ in range(int(seconds * 5)):
        if check():
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"timed out waiting for {what}")

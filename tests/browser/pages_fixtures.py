"""Fixtures of the management-page browser tests: their own Tagtrack server (a fresh SQLite
file with the demo catalog and one user per role, made with the CLI), headless Chromium,
and pages logged in as a role that record console errors and 5xx answers.

A server of their own keeps the pages' check-outs away from the scanning tests' drills."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.browser.conftest import BIN, CHROMIUM, HOST, _free_port, running_server

PASSWORD = "correct horse"
ROLES = ("admin", "manager", "operator", "viewer")
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class PagesServer:
    base: str
    token: str

    def api(self, method: str, path: str, **kw: Any) -> Any:
        answer = httpx.request(method, self.base + path, timeout=10,
                               headers={"Authorization": f"Bearer {self.token}"}, **kw)
        assert answer.status_code < 300, answer.text
        return answer.json()


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "tagtrack"), *args], env=env, capture_output=True,
                          text=True, timeout=90, check=False)
    assert done.returncode == 0, f"tagtrack {args[0]}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def pages_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesServer]:
    data = tmp_path_factory.mktemp("pages-server")
    port = _free_port()
    base = f"http://{HOST}:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_URL")}
    env.update(DATABASE_URL=f"sqlite:///{data / 'tagtrack.db'}", TAGTRACK_DATA_DIR=str(data),
               PUBLIC_URL=base, PYTHONUNBUFFERED="1")
    _cli(env, "migrate")
    for role in ROLES:
        _cli(env, "createuser", role, "--role", role, "--password", PASSWORD,
             "--no-password-change")
    _cli(env, "demo")
    token = _cli(env, "token", "admin", "--label", "page-tests").strip().splitlines()[-1]
    with running_server(env, data, port):
        yield PagesServer(base, token)


@pytest.fixture(scope="session")
def pages_browser(playwright_session: Any) -> Iterator[Any]:
    if True:  # one playwright driver per session: conftest.playwright_session
        chromium = playwright_session.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic",
                  "--no-first-run"],
            timeout=30_000,
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watched:
    """A logged-in page and what went wrong on it: console errors, page errors, 5xx."""

    page: Any
    problems: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.problems.clear()


@pytest.fixture
def login_as(pages_browser: Any, pages_server: PagesServer
             ) -> Iterator[Callable[..., Watched]]:
    contexts: list[Any] = []

    def open_as(role: str, viewport: dict[str, int] | None = None) -> Watched:
        context = pages_browser.new_context(viewport=viewport or DESKTOP,
                                            base_url=pages_server.base)
        context.set_default_timeout(30_000)  # generous: CI machines have 2 busy cores
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page)
        page.on("console", lambda m: m.type == "error" and watched.problems.append(
            f"console: {m.text} ({page.url})"))
        page.on("pageerror", lambda e: watched.problems.append(f"page error: {e}"))
        page.on("response", lambda r: r.status >= 500 and watched.problems.append(
            f"{r.status} {r.url}"))
        page.goto("/login?next=/")
        page.fill("#username", role)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(pages_server.base + "/")
        return watched

    yield open_as
    for context in contexts:
        context.close()

"""Revocation is immediate across server processes: two real processes on one database
(the engine TAGTRACK_TEST_DB picks); a token revoked, a session logged out, a user
deactivated or demoted through one process is refused by the other at its very next
request, although that process had the login cached. Failed logins are counted in the
database, so the login throttle holds across processes too."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.servers import Servers, cli, running

pytestmark = pytest.mark.slow

ENGINE = os.environ.get("TAGTRACK_TEST_DB", "sqlite")
BOSS_PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with running(ENGINE, tmp_path_factory.mktemp("revocation"), n=2) as started:
        done = cli(started.env, "createuser", "boss", "--role", "admin", "--password",
                   BOSS_PASSWORD, "--no-password-change")
        assert done.returncode == 0, done.stderr
        yield started
        assert started.verify().returncode == 0, started.logs()


@pytest.fixture
def boss(servers: Servers) -> Iterator[list[httpx.Client]]:
    """The admin's API token on each process."""
    done = cli(servers.env, "token", "boss")
    assert done.returncode == 0, done.stderr
    headers = {"Authorization": f"Bearer {done.stdout.strip().splitlines()[-1]}"}
    clients = [httpx.Client(base_url=url, headers=headers, timeout=30) for url in servers.urls]
    yield clients
    for c in clients:
        c.close()


def with_token(servers: Servers, token: str) -> list[httpx.Client]:
    return [httpx.Client(base_url=u, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            for u in servers.urls]


def new_user(boss: list[httpx.Client], name: str, role: str) -> tuple[int, str]:
    user = boss[0].post("/api/v1/users", json={"username": name, "role": role,
                                              "password": BOSS_PASSWORD})
    assert user.status_code == 201, user.text
    token = boss[0].post("/api/v1/tokens", json={"user": user.json()["id"]})
    assert token.status_code == 201, token.text
    return user.json()["id"], token.json()["token"]


def test_a_token_revoked_on_one_process_is_refused_by_the_other_at_once(servers, boss):
    _, token = new_user(boss, "leaving-token", "viewer")
    a, b = with_token(servers, token)
    for c in (a, b):  # both processes have it cached now
        assert c.get("/api/v1/users/me").status_code == 200
    token_id = next(t["id"] for t in a.get("/api/v1/tokens").json() if not t["revoked"])
    assert a.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert b.get("/api/v1/users/me").status_code == 401
    assert a.get("/api/v1/users/me").status_code == 401


def test_a_user_deactivated_or_demoted_on_one_process_loses_access_on_the_other(servers,
                                                                               boss):
    user_id, token = new_user(boss, "leaving-user", "manager")
    _, b = with_token(servers, token)
    assert b.post("/api/v1/locations", json={"name": "Dock"}).status_code == 201
    assert boss[0].patch(f"/api/v1/users/{user_id}", json={"role": "viewer"}).status_code == 200
    assert b.post("/api/v1/locations", json={"name": "Dock 2"}).status_code == 403
    assert boss[0].patch(f"/api/v1/users/{user_id}", json={"active": False}).status_code == 200
    assert b.get("/api/v1/users/me").status_code == 401


def page_login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token, form
    return client.post("/login", data={"username": username, "password": password,
                                       "next": "/", "csrf": token.group(1)})


def test_a_session_logged_out_on_one_process_is_refused_by_the_other_at_once(servers):
    a = httpx.Client(base_url=servers.urls[0], timeout=30)
    assert page_login(a, "boss", BOSS_PASSWORD).status_code == 303
    b = httpx.Client(base_url=servers.urls[1], timeout=30,
                     cookies={"tagtrack_session": a.cookies["tagtrack_session"]})
    assert b.get("/api/v1/users/me").status_code == 200
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', a.get("/tokens").text).group(1)
    assert a.post("/logout", data={"csrf": csrf}).status_code == 303
    assert b.get("/api/v1/users/me").status_code == 401


def test_failed_logins_on_two_processes_add_up(servers, boss):
    new_user(boss, "guessed", "viewer")
    clients = [httpx.Client(base_url=u, timeout=30) for u in servers.urls]
    for n in range(5):  # the account's limit, spread over both processes
        assert page_login(clients[n % 2], "guessed", "wrong").status_code == 401
    refused = page_login(clients[0], "guessed", BOSS_PASSWORD)
    assert refused.status_code == 429
    assert "too many failed logins for this account" in refused.text
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert "login failed: user 'guessed'" in servers.logs()

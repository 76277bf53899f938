"""The per-process cache of logins never outlives a change made elsewhere: another server
process that revokes a token, ends a session or changes a user bumps the auth revision in
the same transaction, and this process's next request sees it. An API token's
last_used_at is written off the request, at most once a minute."""

import datetime as dt

import pytest

from server.db import auth_revision
from server.db.engine import fetch, write_transaction
from server.services import auth
from tests.conftest import page_login, token_for
from tests.factories import ok, problem


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def elsewhere(client, *statements):
    """What another server process does: its change and the revision bump, in one
    transaction, written to the shared database (this process's cache is not told)."""

    async def work():
        async with write_transaction():
            for sql, *args in statements:
                await fetch(sql, *args)
            await auth_revision.bump()

    with client.portal() as portal:
        portal.call(work)


NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_a_token_revoked_by_another_process_is_refused_at_the_next_request(client):
    ok(client.get("/api/v1/items", headers=bearer(token_for("operator"))))  # now cached
    elsewhere(client, ('UPDATE api_token SET revoked_at = {} WHERE "user" = {}', NOW, 3))
    problem(client.get("/api/v1/items", headers=bearer(token_for("operator"))), 401)


def test_a_user_deactivated_or_demoted_by_another_process_loses_access_at_once(client):
    ok(client.post("/api/v1/locations", json={"name": "Bay"},
                   headers=bearer(token_for("manager"))), 201)
    elsewhere(client, ("UPDATE app_user SET role = {} WHERE id = {}", "viewer", 2))
    problem(client.post("/api/v1/locations", json={"name": "Bay 2"},
                        headers=bearer(token_for("manager"))), 403)
    elsewhere(client, ("UPDATE app_user SET active = {} WHERE id = {}", False, 2))
    problem(client.get("/api/v1/items", headers=bearer(token_for("manager"))), 401)
    elsewhere(client, ("UPDATE app_user SET active = {}, role = {} WHERE id = {}", True,
                       "manager", 2))  # as it was, for the fixture's verify


def test_a_session_ended_by_another_process_is_refused_at_the_next_request(client):
    assert page_login(client, "viewer").status_code == 303
    ok(client.get("/api/v1/users/me"))
    elsewhere(client, ('DELETE FROM web_session WHERE "user" = {}', 4))
    problem(client.get("/api/v1/users/me"), 401)


class Clock:
    def __init__(self):
        self.now = dt.datetime(2031, 1, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(auth, "clock", c)
    return c


def last_used(client, token_id=3):
    async def read():
        await auth.settle()  # the write runs after the answer: wait for it
        rows = await fetch("SELECT last_used_at FROM api_token WHERE id = {}", token_id)
        return rows[0]["last_used_at"]

    with client.portal() as portal:
        return portal.call(read)


def test_a_tokens_last_use_is_written_after_the_answer_at_most_once_a_minute(client, clock):
    operator = bearer(token_for("operator"))
    assert last_used(client) is None
    ok(client.get("/api/v1/items", headers=operator))
    first = clock.now
    assert last_used(client) == first
    clock.now += dt.timedelta(seconds=59)
    ok(client.get("/api/v1/items", headers=operator))
    assert last_used(client) == first
    clock.now += dt.timedelta(seconds=2)
    ok(client.get("/api/v1/items", headers=operator))
    assert last_used(client) == clock.now

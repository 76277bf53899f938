"""Logins are throttled per account and per address, in the database (so across server
processes), with a clear message, Retry-After and a log line; unknown usernames cost and
answer exactly what real ones do; passwords are argon2id with OWASP parameters, hashed off
the event loop with a bound. The clock is injected: no test sleeps."""

import base64
import datetime as dt
import hashlib
import logging
import threading

import pytest
from argon2 import PasswordHasher

from server.domain.throttle import ACCOUNT_LIMIT, ADDRESS_LIMIT
from server.services import auth, passwords
from tests.conftest import page_login
from tests.factories import ok, problem
from tests.sync import run_sync


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2030, 1, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(auth, "clock", c)
    return c


class Spy(PasswordHasher):
    """The cheap test hasher, counting the hashes it checks and where."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.threads: list[str] = []

    def verify(self, hash, password):
        self.threads.append(threading.current_thread().name)
        return super().verify(hash, password)


@pytest.fixture
def spy():
    hasher = Spy()
    old = passwords.use_hasher(hasher)
    yield hasher
    passwords.use_hasher(old)


def fail(client, username="operator", password="wrong horse"):
    answer = page_login(client, username, password)
    assert answer.status_code == 401, answer.text[:300]
    return answer


def throttled(answer, words):
    assert answer.status_code == 429, answer.text[:300]
    assert words in answer.text, answer.text[:2000]
    assert int(answer.headers["retry-after"]) > 0
    assert "tagtrack_session" not in answer.cookies
    return int(answer.headers["retry-after"])


def test_five_wrong_passwords_then_the_account_waits_even_with_the_right_one(client, clock):
    for _ in range(ACCOUNT_LIMIT):
        fail(client)
    wait = throttled(page_login(client, "operator", "correct horse"),
                     "too many failed logins for this account; try again in 1 minute")
    assert wait == 60
    clock.advance(seconds=30)
    assert throttled(page_login(client, "operator", "correct horse"), "1 minute") == 30
    clock.advance(seconds=31)
    assert page_login(client, "operator", "correct horse").status_code == 303


def test_each_failure_past_the_limit_doubles_the_wait_and_a_good_login_resets_it(
        client, clock):
    for _ in range(ACCOUNT_LIMIT):
        fail(client)
    waits = []
    for _ in range(3):
        clock.advance(seconds=throttled(page_login(client, "operator", "x"), "this account"))
        fail(client)  # the wait is over: the next wrong password counts again
        waits.append(throttled(page_login(client, "operator", "x"), "this account"))
    assert waits == [120, 240, 480]
    clock.advance(seconds=480)
    assert page_login(client, "operator", "correct horse").status_code == 303
    client.cookies.clear()
    for _ in range(ACCOUNT_LIMIT - 1):  # counting starts again after a good login
        fail(client)
    assert page_login(client, "operator", "correct horse").status_code == 303


def test_other_accounts_are_not_held_up_by_one_that_waits(client, clock):
    for _ in range(ACCOUNT_LIMIT):
        fail(client, "operator")
    throttled(page_login(client, "operator", "correct horse"), "this account")
    assert page_login(client, "viewer", "correct horse").status_code == 303


def test_an_unknown_username_costs_and_answers_exactly_what_a_real_one_does(
        client, clock, spy):
    fail(client, "operator")
    fail(client, "nobody-here")
    assert len(spy.threads) == 2  # one hash checked for each: a dummy one for nobody
    real, unknown = fail(client, "operator"), fail(client, "nobody-here")
    assert real.text.replace("operator", "nobody-here") == unknown.text.replace(
        'value="operator"', 'value="nobody-here"')
    for _ in range(ACCOUNT_LIMIT - 2):
        fail(client, "operator")
        fail(client, "nobody-here")
    throttled(page_login(client, "nobody-here", "x"),
              "too many failed logins for this account; try again in 1 minute")


def test_one_address_failing_on_many_accounts_waits_after_twenty(client, clock):
    for n in range(ADDRESS_LIMIT):
        fail(client, f"guess-{n}")
    throttled(page_login(client, "viewer", "correct horse"),
              "too many failed logins from your address; try again in 1 minute")
    clock.advance(minutes=1)
    assert page_login(client, "viewer", "correct horse").status_code == 303


def test_unknown_api_tokens_are_throttled_per_address_while_good_tokens_keep_working(
        client, clock, admin):
    for n in range(ADDRESS_LIMIT):
        problem(client.get("/api/v1/items", headers={"Authorization": f"Bearer tt_bad{n}"}),
                401)
    refused = client.get("/api/v1/items", headers={"Authorization": "Bearer tt_bad"})
    body = problem(refused, 429)
    assert body["code"] == "too_many_attempts" and refused.headers["retry-after"] == "60"
    assert "unknown API tokens from your address" in body["detail"]
    ok(admin.get("/api/v1/items"))  # a real token from the same address still works
    clock.advance(minutes=1)
    problem(client.get("/api/v1/items", headers={"Authorization": "Bearer tt_bad"}), 401)


def test_failed_and_throttled_attempts_are_logged_without_the_password(client, clock, caplog):
    caplog.set_level(logging.WARNING, logger="tagtrack.auth")
    for _ in range(ACCOUNT_LIMIT):
        fail(client, "operator", "hunter2-secret")
    throttled(page_login(client, "operator", "hunter2-secret"), "this account")
    lines = [r.getMessage() for r in caplog.records if r.name == "tagtrack.auth"]
    assert sum("login failed: user 'operator'" in line for line in lines) == ACCOUNT_LIMIT
    assert any(line.startswith("throttled: failed logins for this account (user 'operator'")
               for line in lines), lines
    assert not any("hunter2" in line for line in lines)


def test_failures_are_kept_in_the_database_where_every_process_counts_them(client, clock):
    """Failures that another server process wrote (rows in the table, not in this
    process's memory) count here too."""
    from server.db import users_repo
    from server.db.engine import write_transaction

    async def elsewhere():
        async with write_transaction():
            for _ in range(ACCOUNT_LIMIT):
                await users_repo.add_failure("operator", "10.9.9.9", clock())

    with client.portal() as portal:
        portal.call(elsewhere)
    throttled(page_login(client, "operator", "correct horse"), "this account")


def test_an_old_scrypt_hash_still_logs_in_and_is_replaced_by_argon2id(client, clock, admin):
    user = ok(admin.post("/api/v1/users", json={"username": "old-timer", "role": "viewer",
                                                 "password": "long enough pass"}), 201)
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"an old password", salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    set_hash(client, user["id"], legacy)
    assert page_login(client, "old-timer", "an old password").status_code == 303
    stored = get_hash(client, user["id"])
    assert stored.startswith("$argon2id$") and not passwords.needs_rehash(stored)
    client.cookies.clear()
    assert page_login(client, "old-timer", "an old password").status_code == 303


def set_hash(client, user_id, value):
    from server.db.tables import User

    async def write():
        await User.update({User.password_hash: value}).where(User.id == user_id)

    with client.portal() as portal:
        portal.call(write)


def get_hash(client, user_id):
    from server.db.tables import User

    async def read():
        row = await User.select(User.password_hash).where(User.id == user_id).first()
        return row["password_hash"]

    with client.portal() as portal:
        return portal.call(read)


def test_production_hashing_is_argon2id_with_the_owasp_parameters():
    p = passwords.PRODUCTION
    assert (p.memory_cost, p.time_cost, p.parallelism) == (19 * 1024, 2, 1)
    made = p.hash("correct horse")
    assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert p.verify(made, "correct horse")


def test_hashing_runs_off_the_event_loop_and_a_full_queue_answers_503_at_once(
        client, clock, spy, monkeypatch):
    fail(client)
    assert spy.threads and all(t.startswith("password") for t in spy.threads)
    full = passwords.HASH_THREADS + passwords.HASH_QUEUE
    monkeypatch.setattr(passwords, "_admitted", [full])
    answer = page_login(client, "operator", "correct horse")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
    assert "busy with many logins at once" in answer.text
    assert len(spy.threads) == 1  # nothing more was hashed


def test_a_password_check_of_a_malformed_hash_is_a_plain_no():
    assert run_sync(passwords.check("x", "not a hash")) is False
    assert run_sync(passwords.check("x", "scrypt$bad")) is False


@pytest.fixture
def pauses():
    """The pause before a refused login answers, recorded instead of slept."""
    seen: list[float] = []

    async def record(seconds: float) -> None:
        seen.append(seconds)

    old, auth.pause = auth.pause, record
    yield seen
    auth.pause = old


def test_a_throttled_login_answers_after_a_pause_and_a_plain_failure_does_not(
        client, clock, pauses):
    """A flood that ignores Retry-After gets one try per pause per connection: the pause
    costs the server a sleeping coroutine, not the CPU scans need."""
    for _ in range(ACCOUNT_LIMIT):
        fail(client)
    assert pauses == []  # a wrong password is answered at once
    throttled(page_login(client, "operator", "correct horse"), "try again in")
    assert pauses == [auth.REFUSAL_PAUSE_S]
    assert auth.REFUSAL_PAUSE_S >= 0.5
    clock.advance(seconds=61)
    assert page_login(client, "operator", "correct horse").status_code == 303
    assert pauses == [auth.REFUSAL_PAUSE_S]  # a good login is not held up


def test_refusals_paused_at_once_are_bounded(pauses):
    """Beyond MAX_PAUSED refusals waiting at once, the rest answer without a pause, so a
    flood of connections cannot hold unbounded memory."""
    auth._paused[0] = auth.MAX_PAUSED
    try:
        run_sync(auth._slow_refusal())
    finally:
        auth._paused[0] = 0
    assert pauses == []
    run_sync(auth._slow_refusal())
    assert pauses == [auth.REFUSAL_PAUSE_S]

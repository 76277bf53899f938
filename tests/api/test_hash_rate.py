"""Password hashing is bounded in rate, not only in concurrency: a token bucket per process
(passwords.RateBucket, TAGTRACK_HASH_RATE a second) refuses a login at once with 503 and
Retry-After, without hashing or reading the database, and known and unknown usernames are
refused alike. The hashing threads run at a lower CPU priority. The bucket's clock is
injected: no test sleeps."""

import base64
import datetime as dt
import hashlib
import os
import sys
import threading

import pytest
from argon2 import PasswordHasher

from server.domain.throttle import ACCOUNT_LIMIT
from server.services import auth, passwords
from tests.api.test_login_throttle import get_hash, set_hash
from tests.conftest import page_login
from tests.factories import ok
from tests.sync import run_sync


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Spy(PasswordHasher):
    """The cheap test hasher, counting its hashes and the nice of the thread doing each."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.nice: list[int] = []

    def _note(self) -> None:
        self.nice.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
                         if sys.platform.startswith("linux") else 0)

    def verify(self, hash, password):
        self._note()
        return super().verify(hash, password)

    def hash(self, password, *, salt=None):
        self._note()
        return super().hash(password, salt=salt)


@pytest.fixture
def spy():
    hasher = Spy()
    old = passwords.use_hasher(hasher)
    passwords.check_now("x", None)  # its dummy hash made now, not counted below
    hasher.nice.clear()
    yield hasher
    passwords.use_hasher(old)


@pytest.fixture
def seconds():
    return Seconds()


@pytest.fixture
def bucket(seconds):
    """2 hashes at once, then 1 a second."""
    b = passwords.RateBucket(rate=1.0, burst=2, clock=seconds)
    old = passwords.use_bucket(b)
    yield b
    passwords.use_bucket(old)


@pytest.fixture
def clock(monkeypatch):
    now = [dt.datetime(2030, 1, 1, 9, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(auth, "clock", lambda: now[0])
    return now


def test_the_bucket_allows_a_burst_then_its_rate_with_a_fake_clock(seconds):
    b = passwords.RateBucket(rate=8.0, burst=8, clock=seconds)
    assert [b.take() for _ in range(8)] == [0.0] * 8
    assert b.wait() == pytest.approx(1 / 8) and b.take() == pytest.approx(1 / 8)
    seconds.now += 1 / 16
    assert b.take() == pytest.approx(1 / 16)  # half a token: not yet
    seconds.now += 1 / 16
    assert b.wait() == 0.0 and b.take() == 0.0 and b.take() > 0
    seconds.now += 3600  # a quiet hour refills the burst, no more
    assert [b.take() for _ in range(9)].count(0.0) == 8


def test_beyond_the_rate_a_login_answers_503_at_once_without_hashing_alike_for_all_names(
        client, clock, spy, bucket, seconds):
    for name in ("operator", "nobody-here"):
        assert page_login(client, name, "wrong horse").status_code == 401
    assert len(spy.nice) == 2  # the burst: two hashes, a dummy one for nobody-here
    real = page_login(client, "operator", "correct horse")
    unknown = page_login(client, "nobody-here", "correct horse")
    for answer in (real, unknown):
        assert answer.status_code == 503, answer.text[:300]
        assert answer.headers["retry-after"] == "1"
        assert "busy with many logins at once; try again in 1 second" in answer.text
        assert "tagtrack_session" not in answer.cookies
    assert real.text.replace('value="operator"', 'value="nobody-here"') == unknown.text
    assert len(spy.nice) == 2  # nothing more was hashed
    seconds.now += 1.0  # one more token
    assert page_login(client, "operator", "correct horse").status_code == 303
    assert len(spy.nice) == 3


def test_a_throttled_login_hashes_nothing_and_takes_no_token(client, clock, spy, bucket,
                                                             seconds):
    for _ in range(ACCOUNT_LIMIT):
        seconds.now += 1.0
        assert page_login(client, "operator", "wrong horse").status_code == 401
    hashed = len(spy.nice)
    seconds.now += 10.0  # a full bucket
    for _ in range(5):
        assert page_login(client, "operator", "correct horse").status_code == 429
    assert len(spy.nice) == hashed
    assert bucket.take() == 0.0 and bucket.take() == 0.0  # both tokens still there


def test_hashing_threads_run_at_a_lower_priority_than_the_server(client, clock, spy):
    assert page_login(client, "operator", "wrong horse").status_code == 401
    assert spy.nice, "no hash ran"
    if sys.platform.startswith("linux"):
        assert set(spy.nice) == {passwords.HASH_NICE}
        here = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert here < passwords.HASH_NICE  # the event loop's thread is left as it was


def test_a_good_login_stands_when_its_rehash_finds_the_bucket_empty(
        client, clock, admin, bucket, seconds):
    user = ok(admin.post("/api/v1/users", json={"username": "old-timer", "role": "viewer",
                                                 "password": "long enough pass"}), 201)
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"an old password", salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    set_hash(client, user["id"], legacy)
    seconds.now += 10.0
    bucket.take()  # one token left: for the check, none for the rehash
    assert page_login(client, "old-timer", "an old password").status_code == 303
    assert get_hash(client, user["id"]) == legacy  # kept for a later login
    client.cookies.clear()
    seconds.now += 10.0
    assert page_login(client, "old-timer", "an old password").status_code == 303
    assert get_hash(client, user["id"]).startswith("$argon2id$")


def test_the_rate_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TAGTRACK_HASH_RATE", "2.5")
    assert passwords._env_rate() == 2.5
    monkeypatch.delenv("TAGTRACK_HASH_RATE")
    assert passwords._env_rate() == 8.0
    for bad in ("-1", "fast", "inf", "nan"):
        monkeypatch.setenv("TAGTRACK_HASH_RATE", bad)
        with pytest.raises(SystemExit, match="TAGTRACK_HASH_RATE"):
            passwords._env_rate()


def test_a_direct_check_beyond_the_rate_is_busy(bucket):
    assert run_sync(passwords.check("x", None)) is False
    assert run_sync(passwords.check("x", None)) is False
    with pytest.raises(passwords.Busy):
        run_sync(passwords.check("x", None))

"""Password hashing: argon2id with the OWASP Password Storage Cheat Sheet's parameters
(m = 19 MiB, t = 2, p = 1), about 25 ms of one core per hash.

Hashes made before argon2id (`scrypt$salt$digest`, n = 2**14, r = 8, p = 1) still verify;
`needs_rehash` says when a login should store a new hash of the password it just checked.

Hashing is slow on purpose, so it never runs on the event loop: HASH_THREADS threads do it
(argon2-cffi and hashlib.scrypt release the GIL), all cores but one and at most two, so one
on a 2-core machine, each at a lower CPU priority (nice HASH_NICE: Linux applies it per
thread), so that the kernel serves the event loop and its scans first. Two bounds per
server process, beyond which a login is refused at once with Busy (503, Retry-After)
without hashing, instead of joining a queue that only grows:
- the rate: at most HASH_RATE hashes a second (`TAGTRACK_HASH_RATE`, default 8; 0: no
  bound), HASH_BURST at once after a quiet spell (a token bucket, `RateBucket`): a flood
  of logins costs at most that share of a core, however many addresses it comes from;
- the queue: at most HASH_QUEUE more hashes may wait for the threads. A slot is given back
  when its hash has really ended, not when the request waiting for it goes away.
`refuse_if_busy` lets a login check both before it reads anything (auth.py), so a refused
login costs no database read either; known and unknown usernames are refused alike.

A username that does not exist costs a hash too (`check` against a dummy hash), so the
answer's timing does not tell which usernames are real."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures as cf
import contextlib
import hashlib
import hmac
import math
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.domain.errors import Busy

T = TypeVar("T")

# All cores but one (at most two): a flood of logins leaves a core to the event loop.
HASH_THREADS = max(1, min(2, (os.cpu_count() or 2) - 1))
HASH_QUEUE = 32
BUSY_RETRY_S = 2
HASH_NICE = 10
HASH_BURST = 8


def _env_rate() -> float:
    raw = os.environ.get("TAGTRACK_HASH_RATE", "").strip()
    try:
        rate = float(raw) if raw else 8.0
    except ValueError:
        raise SystemExit(f"TAGTRACK_HASH_RATE must be a number of hashes a second, "
                         f"not {raw!r}") from None
    if not rate >= 0 or math.isinf(rate):
        raise SystemExit(f"TAGTRACK_HASH_RATE must be 0 (no bound) or more, not {raw!r}")
    return rate


HASH_RATE = _env_rate()

# OWASP: argon2id, 19 MiB of memory, 2 iterations, 1 degree of parallelism.
PRODUCTION = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1,
                            hash_len=32, salt_len=16)
_LEGACY_SCRYPT = {"n": 2**14, "r": 8, "p": 1}

_hasher = PRODUCTION
_dummy: dict[int, str] = {}  # id(hasher) -> a hash of a random password


def _lower_priority() -> None:
    """In each hashing thread as it starts: nice it (per thread on Linux; elsewhere, where
    this would nice the whole process or is missing, it is left as it is)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICE)


class RateBucket:
    """A token bucket: `rate` hashes a second on average, `burst` at once at most. The
    clock (seconds, monotonic) is injectable for tests."""

    def __init__(self, rate: float, burst: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.at = float(burst), clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = now

    def wait(self) -> float:
        """0 when a hash may start now, else the seconds until one may (takes nothing)."""
        with self._lock:
            self._refill()
            return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> float:
        """Like wait(), and when it is 0, one hash's token is taken."""
        with self._lock:
            self._refill()
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate


_executor = cf.ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="password",
                                  initializer=_lower_priority)
_admitted = [0]
_lock = threading.Lock()
_bucket: list[RateBucket | None] = [RateBucket(HASH_RATE, HASH_BURST) if HASH_RATE else None]


def use_bucket(bucket: RateBucket | None) -> RateBucket | None:
    """Put another rate bound in place (None: no bound; the test suite's cheap hashes
    need none, and its tests of the bound bring one with a clock of their own). Returns
    the one replaced."""
    old, _bucket[0] = _bucket[0], bucket
    return old


def _busy(seconds: float) -> Busy:
    wait = max(1, math.ceil(seconds))
    return Busy(f"the server is busy with many logins at once; try again in {wait} "
                f"second{'s' if wait != 1 else ''}", retry_after=wait)


def refuse_if_busy() -> None:
    """Busy (503) at once when a hash could not start now (the rate or the queue is
    full); takes nothing: the hash itself takes its token."""
    bucket = _bucket[0]
    if bucket is not None and (wait := bucket.wait()):
        raise _busy(wait)
    if _admitted[0] >= HASH_THREADS + HASH_QUEUE:
        raise _busy(BUSY_RETRY_S)


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Put another hasher in place (the test suite uses cheap parameters to stay fast;
    a test checks that PRODUCTION keeps the OWASP ones). Returns the one replaced."""
    global _hasher
    old, _hasher = _hasher, hasher
    return old


def hash_now(password: str) -> str:
    return _hasher.hash(password)


def check_now(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`; with no stored hash (no such user), the same
    work against a dummy hash, and False."""
    if stored is None:
        key = id(_hasher)
        if key not in _dummy:
            _dummy[key] = _hasher.hash(secrets.token_urlsafe(16))
        check_now(password, _dummy[key])
        return False
    if stored.startswith("scrypt$"):
        return _check_scrypt(password, stored)
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_scrypt(password: str, stored: str) -> bool:
    try:
        _, salt_b64, digest_b64 = stored.split("$")
        salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except ValueError:
        return False
    got = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_LEGACY_SCRYPT)
    return hmac.compare_digest(got, digest)


def needs_rehash(stored: str) -> bool:
    if stored.startswith("scrypt$"):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


async def _off_loop(fn: Callable[..., T], *args: object) -> T:
    with _lock:
        if _admitted[0] >= HASH_THREADS + HASH_QUEUE:
            raise _busy(BUSY_RETRY_S)
        bucket = _bucket[0]
        if bucket is not None and (wait := bucket.take()):
            raise _busy(wait)
        _admitted[0] += 1
    try:
        job = _executor.submit(fn, *args)
    except BaseException:
        _release(None)
        raise
    job.add_done_callback(_release)
    return await asyncio.wrap_future(job)


def _release(_: object) -> None:
    with _lock:
        _admitted[0] -= 1


async def hash_password(password: str) -> str:
    return await _off_loop(hash_now, password)


async def check(password: str, stored: str | None) -> bool:
    return await _off_loop(check_now, password, stored)


def waiting() -> int:
    """Hashes running or waiting in this process (tests and benchmarks read it)."""
    return _admitted[0]

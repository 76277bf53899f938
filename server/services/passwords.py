"""Password hashing: argon2id with the OWASP Password Storage Cheat Sheet's parameters
(m = 19 MiB, t = 2, p = 1), about 25 ms of one core per hash.

Hashes made before argon2id (`scrypt$salt$digest`, n = 2**14, r = 8, p = 1) still verify;
`needs_rehash` says when a login should store a new hash of the password it just checked.

Hashing is slow on purpose, so it never runs on the event loop: HASH_THREADS threads do it
(argon2-cffi and hashlib.scrypt release the GIL), all cores but one and at most two, so one
on a 2-core machine; at most HASH_QUEUE more hashes may wait for them (per server process).
Beyond that a login is refused at once with Busy (503, Retry-After) instead of joining a
queue that only grows: a flood of logins keeps those threads busy and no more, and scans
keep the event loop and a core. A slot is given back when its hash has really ended, not
when the request waiting for it goes away.

A username that does not exist costs a hash too (`check` against a dummy hash), so the
answer's timing does not tell which usernames are real."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures as cf
import hashlib
import hmac
import os
import secrets
import threading
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

# OWASP: argon2id, 19 MiB of memory, 2 iterations, 1 degree of parallelism.
PRODUCTION = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1,
                            hash_len=32, salt_len=16)
_LEGACY_SCRYPT = {"n": 2**14, "r": 8, "p": 1}

_hasher = PRODUCTION
_dummy: dict[int, str] = {}  # id(hasher) -> a hash of a random password
_executor = cf.ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="password")
_admitted = [0]
_lock = threading.Lock()


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
            raise Busy("the server is busy with many logins at once; try again in a few "
                       "seconds", retry_after=BUSY_RETRY_S)
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

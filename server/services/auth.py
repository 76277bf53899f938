"""Users, roles, passwords, API tokens and web sessions.

Passwords are hashed with argon2id off the event loop (services/passwords.py); older scrypt
hashes still work and are replaced at the next good login. API tokens and session ids are
random secrets shown once and stored only as SHA-256 hashes, so a database leak reveals no
login.

Logins are throttled (domain/throttle.py): failures are written to the database, so the
limits hold across server processes; a username that does not exist is checked, counted
and throttled exactly like one that does, so neither the answer nor its timing tells which
usernames are real. An unknown API token counts as a failure of the client's address.

Revocation is immediate across processes. Every API request names its token (or session),
and the answer of that lookup is kept in memory (per process, at most LOGIN_CACHE_MAX
entries, keyed by the secret's hash, for LOGIN_CACHE_S seconds at most and never past a
session's end). Every change that can end or alter a login (revoking a token, logging out,
changing a user's role, password or active flag) bumps the auth revision, a row of the
counter table, in the same transaction as the change. Each authenticated request first
reads the revision (one indexed single-row SELECT, shared by concurrent requests: see
db/auth_revision.py); when it differs from the one this process's cache was filled under,
the cache is emptied. A lookup stores its answer only
if the revision it read before looking up is still current, so an answer read before a
change cannot outlive it.

An API token's last_used_at is written at most once every TOUCH_EVERY per token and
process, by a task of its own after the answer: the request never waits for it."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from server.db import auth_revision, ledger, users_repo
from server.db.engine import write_transaction
from server.domain import throttle
from server.domain.actors import Actor
from server.domain.errors import (
    Busy,
    Conflict,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from server.domain.events import EventDraft
from server.domain.password_rules import check_new_password, must_change_after
from server.domain.timezones import check_zone_name
from server.domain.users import keep_an_admin
from server.domain.vocab import EventKind, Role
from server.services import passwords

log = logging.getLogger("tagtrack.auth")

TOKEN_PREFIX = "tt_"
LOGIN_CACHE_S = 60.0
LOGIN_CACHE_MAX = 10_000
TOUCH_EVERY = dt.timedelta(minutes=1)
ACCOUNT_KEY_MAX = 200  # longer usernames cannot exist; they are counted by this prefix
FORGET_EVERY = dt.timedelta(minutes=1)  # old failures are dropped at most this often


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


clock: Callable[[], dt.datetime] = _utc_now  # tests put a clock of their own here


@dataclasses.dataclass(frozen=True, slots=True)
class Login:
    actor: Actor
    good_until: float  # time.monotonic()
    token_id: int | None = None
    # a session whose user must choose a new password first (see http/auth.py)
    must_change_password: bool = False


_logins: dict[str, Login] = {}  # "t"/"s" + secret hash -> the login
_revision: list[int | None] = [None]  # the auth revision the cache was filled under
_touched: dict[int, dt.datetime] = {}  # token id -> when this process last wrote its use
_tasks: set[asyncio.Task[None]] = set()
_forgot: list[dt.datetime | None] = [None]  # when this process last dropped old failures

# A refused login (throttled, or the server too busy to hash) answers after a pause that
# costs nothing but a sleeping coroutine: a client that ignores Retry-After and asks again
# at once gets one try per pause per connection, so a flood of refusals cannot spend the
# CPU that scans need (bench/bench_contention.py). Bounded: beyond MAX_PAUSED refusals
# waiting at once the rest answer at once, so memory stays bounded.
REFUSAL_PAUSE_S = 1.0
MAX_PAUSED = 256
_paused = [0]
pause: Callable[[float], Awaitable[None]] = asyncio.sleep  # tests put a no-op here


async def _slow_refusal() -> None:
    if _paused[0] >= MAX_PAUSED:
        return
    _paused[0] += 1
    try:
        await pause(REFUSAL_PAUSE_S)
    finally:
        _paused[0] -= 1


def forget_logins() -> None:
    """Forget every cached token and session lookup of this process (the revision check
    does it for every process; this is for this one, at once)."""
    _revision[0] = None
    _logins.clear()


async def _current_revision() -> int:
    revision = await auth_revision.read()
    if revision != _revision[0]:
        _logins.clear()
        _revision[0] = revision
    return revision


def _cached(key: str) -> Login | None:
    hit = _logins.get(key)
    if hit is None:
        return None
    if hit.good_until < time.monotonic():
        _logins.pop(key, None)
        return None
    return hit


def _remember(key: str, login: Login, revision: int) -> None:
    if revision != _revision[0]:
        return  # the revision moved while we looked: the answer may be stale
    if len(_logins) >= LOGIN_CACHE_MAX:
        _logins.clear()
    _logins[key] = login


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(f"role must be one of: {', '.join(Role)}", field="role") from None


async def create_user(actor: Actor, username: str, role: str, password: str, *,
                      must_change_password: bool = True) -> int:
    """A new user, made by someone else (an admin, the CLI): by default they must choose
    their own password at their first login (domain/password_rules.py)."""
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise InvalidInput("username must be 1-100 characters without spaces", field="username")
    _role(role)
    hashed = await passwords.hash_password(check_new_password(password, username=username))
    values = {"username": username, "role": _role(role).value, "password_hash": hashed,
              "must_change_password": must_change_password}
    async with write_transaction():
        if await users_repo.by_name(username) is not None:
            raise Conflict(f"user {username} already exists", field="username",
                           code="username_taken")
        user_id = await users_repo.insert_user(values)
        await ledger.record(actor, EventDraft(kind=EventKind.USER_CREATED,
                                              details={"user_id": user_id,
                                                       "username": username, "role": role}))
        return user_id


async def update_user(actor: Actor, user_id: int, *, role: str | None = None,
                      active: bool | None = None, password: str | None = None,
                      time_zone: str | None = None,
                      must_change_password: bool | None = None) -> None:
    """None leaves a field as it is; `time_zone` "" clears the user's zone (their
    browser's is used, else the site's). A password set here by someone else must be
    changed at the user's next login unless `must_change_password` is False; the user's
    own change goes through services/accounts.py (it needs the current password)."""
    changes: dict[str, Any] = {}
    if must_change_password is not None:
        changes["must_change_password"] = must_change_password
    if time_zone is not None:
        changes["time_zone"] = check_zone_name(time_zone)
    if role is not None:
        changes["role"] = _role(role).value
    if active is not None:
        changes["active"] = active
    if password is not None:
        username = (await users_repo.by_id(user_id))["username"]
        check_new_password(password, username=username)
        changes.setdefault("must_change_password",
                           must_change_after(actor.user_id, user_id))
        changes["password_hash"] = await passwords.hash_password(password)
    if not changes:
        await users_repo.by_id(user_id)  # still a 404 for a user that does not exist
        return
    async with write_transaction():
        user, other_admins = await users_repo.lock_user_and_admins(user_id)
        keep_an_admin(user["username"], role=user["role"], active=bool(user["active"]),
                      new_role=changes.get("role"), new_active=changes.get("active"),
                      other_active_admins=other_admins)
        await users_repo.update_user(user_id, changes)
        if changes.get("active") is False or "password_hash" in changes:
            await users_repo.end_sessions(user_id)
        await auth_revision.bump()
        shown = {k: v for k, v in changes.items() if k != "password_hash"}
        if "password_hash" in changes:
            shown["password"] = "changed"
        await ledger.record(actor, EventDraft(kind=EventKind.USER_UPDATED, details={
            "user_id": user_id, "username": user["username"], "changes": shown}))
    forget_logins()


# Logging in, and the throttle

def _account_key(username: str) -> str:
    return username.strip()[:ACCOUNT_KEY_MAX]


async def _check_throttle(account: str | None, address: str, now: dt.datetime) -> None:
    """Refuse at once (429) while the account or the address must wait."""
    mine, theirs = await users_repo.recent_failures(account, address, now - throttle.WINDOW)
    waits = [(throttle.wait(mine, throttle.ACCOUNT_LIMIT, now), "for this account", mine),
             (throttle.wait(theirs, throttle.ADDRESS_LIMIT, now), "from your address", theirs)]
    delay, whose, failures = max(waits, key=lambda w: w[0])
    if not delay:
        return
    what = "failed logins" if account is not None else "failed logins and unknown API tokens"
    log.warning("throttled: %s %s (user %r, address %s: %d failures in %d min); retry in %d s",
                what, whose, account, address, failures.count,
                throttle.WINDOW.total_seconds() // 60, throttle.retry_after_seconds(delay))
    await _slow_refusal()
    raise TooManyAttempts(f"too many {what} {whose}; try again in "
                          f"{throttle.in_minutes(delay)}",
                          retry_after=throttle.retry_after_seconds(delay))


async def _record_failure(account: str | None, address: str, now: dt.datetime) -> None:
    """One INSERT; the rows that have left the window are dropped at most once every
    FORGET_EVERY per process (a flood writes no more than it must)."""
    forget = _forgot[0] is None or not now - FORGET_EVERY < _forgot[0] <= now
    async with write_transaction():
        await users_repo.add_failure(account, address, now)
        if forget:
            await users_repo.forget_failures(now - throttle.WINDOW)
    if forget:
        _forgot[0] = now


async def _good_login(username: str, password: str, address: str,
                      now: dt.datetime) -> tuple[dict[str, Any], str, str]:
    """The user row, throttle key and stored hash of a good username and password; refused
    (and counted) as login() says."""
    account = _account_key(username)
    try:
        passwords.refuse_if_busy()  # too many hashes now: 503 before reading anything
    except Busy:
        await _slow_refusal()
        raise
    await _check_throttle(account, address, now)
    name = username.strip()
    user = await users_repo.by_name(name) if 0 < len(name) <= 100 else None
    stored = user["password_hash"] if user is not None else None
    good = await passwords.check(password[:1000], stored)  # the same work for every name
    if user is None or not user["active"] or not good or len(password) > 1000:
        await _record_failure(account, address, now)
        log.warning("login failed: user %r from address %s", account, address)
        raise Unauthenticated("wrong username or password", field="password")
    assert stored is not None
    return user, account, stored


async def confirm_login(username: str, password: str, address: str = "") -> Actor:
    """Who a username and password belong to, without opening a session (a manager
    unlocking a kiosk screen): throttled and counted exactly like a login."""
    user, account, _ = await _good_login(username, password, address, clock())
    async with write_transaction():
        await users_repo.clear_account_failures(account)
    return Actor(user["id"], user["username"], Role(user["role"]), user["time_zone"])


async def check_password_of(username: str, password: str,
                            address: str = "") -> dict[str, Any]:
    """The user's row (with the hash `password` matched) when the password is theirs:
    throttled and counted exactly like a login (a user proving who they are before changing
    their password, services/accounts.py)."""
    user, account, _ = await _good_login(username, password, address, clock())
    async with write_transaction():
        await users_repo.clear_account_failures(account)
    return user


async def confirm_secret(kind: str, given: str, expected: str, address: str = "") -> None:
    """A shared secret such as the kiosk PIN, throttled like a login of the account
    `kind` (a short PIN must not be guessed by trying them all): Unauthenticated when
    wrong, TooManyAttempts while throttled."""
    now = clock()
    await _check_throttle(kind, address, now)
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        await _record_failure(kind, address, now)
        log.warning("wrong %s from address %s", kind, address)
        raise Unauthenticated(f"wrong {kind}", field="pin")
    async with write_transaction():
        await users_repo.clear_account_failures(kind)


async def login(username: str, password: str, days: int,
                address: str = "") -> tuple[str, Actor]:
    """A new session for a good username and password. Refused with TooManyAttempts (429)
    while the account or the address is throttled, with Unauthenticated otherwise."""
    now = clock()
    user, account, stored = await _good_login(username, password, address, now)
    better = None
    if passwords.needs_rehash(stored):
        try:
            better = await passwords.hash_password(password)
        except Busy:  # too many hashes now: the login stands, a later one rehashes
            better = None
    secret = secrets.token_urlsafe(32)
    async with write_transaction():
        if better is not None:
            await users_repo.set_password_hash(user["id"], stored, better)
        await users_repo.clear_account_failures(account)
        await users_repo.insert_session(user["id"], secret_hash(secret),
                                        now + dt.timedelta(days=days))
    return secret, Actor(user["id"], user["username"], Role(user["role"]), user["time_zone"])


async def logout(session_secret: str) -> None:
    async with write_transaction():
        await users_repo.delete_session(secret_hash(session_secret))
        await auth_revision.bump()
    forget_logins()


async def refuse_token(address: str) -> None:
    """An unknown or revoked API token: a failure of the client's address. Raises
    TooManyAttempts while the address must wait (nothing is recorded then), else
    Unauthenticated."""
    now = clock()
    await _check_throttle(None, address, now)
    await _record_failure(None, address, now)
    log.warning("unknown or revoked API token from address %s", address)
    raise Unauthenticated("the API token is unknown or revoked")


# Who is calling

async def session_login(secret: str) -> Login | None:
    """The login of a session cookie: who, and whether they must choose a new password
    before anything else."""
    key = "s" + secret_hash(secret)
    revision = await _current_revision()
    if (hit := _cached(key)) is not None:
        return hit
    now = clock()
    row = await users_repo.session_user(key[1:], now)
    if row is None:
        return None
    actor = Actor(row["id"], row["username"], Role(row["role"]), row["time_zone"])
    left = (row["expires_at"] - now).total_seconds()
    login = Login(actor, time.monotonic() + min(LOGIN_CACHE_S, left),
                  must_change_password=bool(row["must_change_password"]))
    _remember(key, login, revision)
    return login


async def actor_for_token(token: str) -> Actor | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    key = "t" + secret_hash(token)
    revision = await _current_revision()
    hit = _cached(key)
    if hit is None:
        row = await users_repo.token_user(key[1:])
        if row is None:
            return None
        hit = Login(Actor(row["id"], row["username"], Role(row["role"]), row["time_zone"]),
                    time.monotonic() + LOGIN_CACHE_S, int(row["token_id"]))
        _remember(key, hit, revision)
    assert hit.token_id is not None
    _note_use(hit.token_id)
    return hit.actor


def _note_use(token_id: int) -> None:
    now = clock()
    last = _touched.get(token_id)
    if last is not None and now - last < TOUCH_EVERY:
        return
    if len(_touched) >= LOGIN_CACHE_MAX:
        _touched.clear()
    _touched[token_id] = now
    task = asyncio.get_running_loop().create_task(_write_use(token_id, now))
    _tasks.add(task)  # keep a reference until it is done
    task.add_done_callback(_tasks.discard)


async def _write_use(token_id: int, now: dt.datetime) -> None:
    try:
        async with write_transaction():
            await users_repo.touch_token(token_id, now, now - TOUCH_EVERY)
    except Exception:  # a busy database: the next use after TOUCH_EVERY tries again
        _touched.pop(token_id, None)
        log.warning("could not note the use of API token %d", token_id, exc_info=True)


async def settle() -> None:
    """Wait for the last_used_at writes under way (tests; a clean shutdown)."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)


# API tokens

async def create_token(actor: Actor, user_id: int, name: str = "") -> tuple[int, str]:
    """Returns (token id, the token). The token is shown this once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with write_transaction():
        user = await users_repo.by_id(user_id)
        if not user["active"]:
            raise Conflict(f"user {user['username']} is not active", code="user_inactive")
        token_id = await users_repo.insert_token(user_id, name.strip()[:100], token[:10],
                                                 secret_hash(token))
        await ledger.record(actor, EventDraft(kind=EventKind.TOKEN_CREATED, details={
            "token_id": token_id, "user_id": user_id, "name": name}))
    return token_id, token


async def revoke_token(actor: Actor, token_id: int) -> None:
    async with write_transaction():
        token = await users_repo.token_by_id(token_id)
        if actor.role is not Role.ADMIN and token["user"] != actor.user_id:
            raise NotFound(f"no token {token_id}", field="token")
        if token["revoked_at"] is not None:
            raise Conflict(f"token {token_id} is already revoked", code="no_change")
        await users_repo.revoke_token(token_id, clock())
        await auth_revision.bump()
        await ledger.record(actor, EventDraft(kind=EventKind.TOKEN_REVOKED, details={
            "token_id": token_id, "user_id": token["user"]}))
    forget_logins()

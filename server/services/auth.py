"""Users, roles, passwords, API tokens and web sessions.

Passwords are hashed with scrypt (standard library). API tokens and session ids are random
secrets shown once and stored only as SHA-256 hashes, so a database leak reveals no login.

Every API request names its token (or session), so the answer of that lookup is kept in
memory for LOGIN_CACHE_S seconds (per process, at most LOGIN_CACHE_MAX entries, keyed by
the secret's hash; only logins that exist are kept). A change that can end or alter a login
(revoking a token, logging out, changing a user's role, password or active flag) clears
the cache of the process that made it, before and after its commit; other server
processes (`--workers` > 1, or a second server on the same database) notice within
LOGIN_CACHE_S seconds."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import time
from typing import Any

from server.db import ledger, users_repo
from server.db.engine import write_transaction
from server.domain.actors import Actor
from server.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from server.domain.events import EventDraft
from server.domain.vocab import EventKind, Role

TOKEN_PREFIX = "tt_"
LOGIN_CACHE_S = 5.0
LOGIN_CACHE_MAX = 10_000
_logins: dict[str, tuple[float, Actor]] = {}  # "t"/"s" + secret hash -> (good until, actor)
_forgotten = [0]  # how many times the cache was cleared


def forget_logins() -> None:
    """Forget every cached token and session lookup of this process. A lookup that was
    already under way when this ran does not store its (maybe older) answer."""
    _forgotten[0] += 1
    _logins.clear()


def _cached(key: str) -> Actor | None:
    hit = _logins.get(key)
    if hit is None:
        return None
    if hit[0] < time.monotonic():
        _logins.pop(key, None)
        return None
    return hit[1]


def _remember(key: str, actor: Actor, generation: int) -> None:
    if generation != _forgotten[0]:
        return
    if len(_logins) >= LOGIN_CACHE_MAX:
        _logins.clear()
    _logins[key] = (time.monotonic() + LOGIN_CACHE_S, actor)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_password(password: str, stored: str) -> bool:
    try:
        _, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), dklen=32,
                            **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(f"role must be one of: {', '.join(Role)}", field="role") from None


def _check_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("password must be at least 8 characters", field="password")
    return password


async def create_user(actor: Actor, username: str, role: str, password: str) -> int:
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise InvalidInput("username must be 1-100 characters without spaces", field="username")
    values = {"username": username, "role": _role(role).value,
              "password_hash": hash_password(_check_password(password))}
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
                      active: bool | None = None, password: str | None = None) -> None:
    changes: dict[str, Any] = {}
    if role is not None:
        changes["role"] = _role(role).value
    if active is not None:
        changes["active"] = active
    async with write_transaction():
        user = await users_repo.by_id(user_id)
        if password is not None:
            changes["password_hash"] = hash_password(_check_password(password))
        if not changes:
            return
        await users_repo.update_user(user_id, changes)
        forget_logins()
        if changes.get("active") is False or "password_hash" in changes:
            await users_repo.end_sessions(user_id)
        shown = {k: v for k, v in changes.items() if k != "password_hash"}
        if "password_hash" in changes:
            shown["password"] = "changed"
        await ledger.record(actor, EventDraft(kind=EventKind.USER_UPDATED, details={
            "user_id": user_id, "username": user["username"], "changes": shown}))
    forget_logins()  # again after the commit: a lookup may have read the old row meanwhile


async def login(username: str, password: str, days: int) -> tuple[str, Actor]:
    user = await users_repo.by_name(username.strip())
    if user is None or not user["active"] or not check_password(password, user["password_hash"]):
        raise Unauthenticated("wrong username or password", field="password")
    secret = secrets.token_urlsafe(32)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    await users_repo.insert_session(user["id"], secret_hash(secret), expires)
    return secret, Actor(user["id"], user["username"], Role(user["role"]))


async def logout(session_secret: str) -> None:
    await users_repo.delete_session(secret_hash(session_secret))
    forget_logins()


async def actor_for_session(secret: str) -> Actor | None:
    key = secret_hash(secret)
    if (actor := _cached("s" + key)) is not None:
        return actor
    generation = _forgotten[0]
    row = await users_repo.session_user(key, dt.datetime.now(dt.UTC))
    if row is None:
        return None
    actor = Actor(row["id"], row["username"], Role(row["role"]))
    _remember("s" + key, actor, generation)
    return actor


async def actor_for_token(token: str) -> Actor | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    key = secret_hash(token)
    if (actor := _cached("t" + key)) is not None:
        return actor
    generation = _forgotten[0]
    row = await users_repo.token_user(key)
    if row is None:
        return None
    actor = Actor(row["id"], row["username"], Role(row["role"]))
    _remember("t" + key, actor, generation)
    return actor


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
        await users_repo.revoke_token(token_id, dt.datetime.now(dt.UTC))
        await ledger.record(actor, EventDraft(kind=EventKind.TOKEN_REVOKED, details={
            "token_id": token_id, "user_id": token["user"]}))
    forget_logins()  # after the commit too: a request may have cached it meanwhile

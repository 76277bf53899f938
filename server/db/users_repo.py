"""Users, API tokens, web sessions and failed logins."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db.engine import fetch
from server.db.rows import for_update
from server.db.tables import ApiToken, Session, User
from server.domain.errors import NotFound
from server.domain.throttle import Failures


async def by_name(username: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await User.select().where(User.username == username).first()
    return row


async def by_id(user_id: int) -> dict[str, Any]:
    row = await User.select().where(User.id == user_id).first()
    if row is None:
        raise NotFound(f"no user {user_id}", field="user")
    return row


async def lock_user_and_admins(user_id: int) -> tuple[dict[str, Any], int]:
    """The user's row and how many active admins there are besides them, every one of
    these rows locked until the end of the transaction on PostgreSQL (SQLite's IMMEDIATE
    transaction already holds the one write lock). The rows are locked in id order, so two
    admins removing each other at once wait for each other instead of deadlocking, and the
    second reads what the first committed (READ COMMITTED re-checks a locked row)."""
    rows = await fetch("SELECT * FROM app_user WHERE id = {} OR (role = {} AND active = {}) "
                       "ORDER BY id" + for_update(), user_id, "admin", True)
    user = next((r for r in rows if r["id"] == user_id), None)
    if user is None:
        raise NotFound(f"no user {user_id}", field="user")
    others = sum(1 for r in rows if r["id"] != user_id)
    return user, others


async def insert_user(values: dict[str, Any]) -> int:
    rows = await User.insert(User(**values)).returning(User.id)
    return int(rows[0]["id"])


async def update_user(user_id: int, values: dict[Any, Any]) -> None:
    await User.update(values).where(User.id == user_id)


async def list_users() -> list[dict[str, Any]]:
    return await User.select(User.id, User.username, User.role, User.active,
                             User.created_at, User.time_zone,
                             User.must_change_password).order_by(User.username)


async def insert_session(user_id: int, token_hash: str, expires: dt.datetime) -> None:
    await Session.insert(Session(user=user_id, token_hash=token_hash, expires_at=expires))


async def delete_session(token_hash: str) -> None:
    await Session.delete().where(Session.token_hash == token_hash)


async def end_sessions(user_id: int) -> None:
    await Session.delete().where(Session.user == user_id)


async def end_other_sessions(user_id: int, keep_hash: str | None) -> None:
    """Every session of the user but the one whose hash is `keep_hash` (None: all)."""
    await Session.delete().where((Session.user == user_id)
                                 & (Session.token_hash != (keep_hash or "")))


async def session_user(token_hash: str, now: dt.datetime) -> dict[str, Any] | None:
    rows = await fetch(
        "SELECT u.id, u.username, u.role, u.time_zone, u.must_change_password, s.expires_at "
        "FROM web_session s "
        "JOIN app_user u ON u.id = s.user "
        "WHERE s.token_hash = {} AND s.expires_at > {} AND u.active = {}",
        token_hash, now, True)
    return rows[0] if rows else None


async def token_user(token_hash: str) -> dict[str, Any] | None:
    rows = await fetch(
        "SELECT u.id, u.username, u.role, u.time_zone, t.id AS token_id FROM api_token t "
        "JOIN app_user u ON u.id = t.user "
        "WHERE t.token_hash = {} AND t.revoked_at IS NULL AND u.active = {}",
        token_hash, True)
    return rows[0] if rows else None


async def touch_token(token_id: int, now: dt.datetime, written_before: dt.datetime) -> None:
    """Note that a token was used, unless that was noted after `written_before`."""
    await fetch("UPDATE api_token SET last_used_at = {} WHERE id = {} "
                "AND (last_used_at IS NULL OR last_used_at < {})", now, token_id, written_before)


async def set_own_password_hash(user_id: int, old: str, new: str) -> bool:
    """A password the user chose, in place of the one they proved they know (`old`, its
    hash): False when it changed meanwhile."""
    rows = await fetch("UPDATE app_user SET password_hash = {}, must_change_password = {} "
                       "WHERE id = {} AND password_hash = {} RETURNING id",
                       new, False, user_id, old)
    return bool(rows)


async def set_password_hash(user_id: int, old: str, new: str) -> None:
    """A stronger hash of the same password, unless the password changed meanwhile."""
    await fetch("UPDATE app_user SET password_hash = {} WHERE id = {} AND password_hash = {}",
                new, user_id, old)


# Failed logins and bad API tokens, one row per failure and key (kind "account": the
# username typed; kind "address": the client's address), kept for the throttle's window.

async def recent_failures(account: str | None, address: str,
                          since: dt.datetime) -> tuple[Failures, Failures]:
    rows = await fetch(
        "SELECT kind, COUNT(*) AS n, MAX(at) AS last_at FROM auth_failure "
        "WHERE at > {} AND ((kind = 'account' AND key = {}) OR (kind = 'address' AND key = {})) "
        "GROUP BY kind", since, account or "", address)
    found = {r["kind"]: Failures(int(r["n"]), _when(r["last_at"])) for r in rows}
    none = Failures(0, None)
    return (found.get("account", none) if account is not None else none,
            found.get("address", none))


def _when(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))  # SQLite: MAX() of a text column
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


async def add_failure(account: str | None, address: str, now: dt.datetime) -> None:
    """Record one failure (for the account too, when a username was typed): one
    statement."""
    if account is not None:
        await fetch("INSERT INTO auth_failure (kind, key, at) VALUES ('account', {}, {}), "
                    "('address', {}, {})", account, now, address, now)
    else:
        await fetch("INSERT INTO auth_failure (kind, key, at) VALUES ('address', {}, {})",
                    address, now)


async def forget_failures(before: dt.datetime) -> None:
    """Drop the failures that have left every window (an indexed range delete)."""
    await fetch("DELETE FROM auth_failure WHERE at < {}", before)


async def clear_account_failures(account: str) -> None:
    """After a good login: the account's own count starts again (the address's does not,
    or an attacker with one real account could wipe it between guesses)."""
    await fetch("DELETE FROM auth_failure WHERE kind = 'account' AND key = {}", account)


async def insert_token(user_id: int, name: str, prefix: str, token_hash: str) -> int:
    rows = await ApiToken.insert(ApiToken(user=user_id, name=name, prefix=prefix,
                                          token_hash=token_hash)).returning(ApiToken.id)
    return int(rows[0]["id"])


async def token_by_id(token_id: int) -> dict[str, Any]:
    row = await ApiToken.select().where(ApiToken.id == token_id).first()
    if row is None:
        raise NotFound(f"no token {token_id}", field="token")
    return row


async def revoke_token(token_id: int, when: dt.datetime) -> None:
    await ApiToken.update({ApiToken.revoked_at: when}).where(ApiToken.id == token_id)


async def list_tokens(user_id: int | None) -> list[dict[str, Any]]:
    q = ApiToken.select(ApiToken.id, ApiToken.user, ApiToken.name, ApiToken.prefix,
                        ApiToken.created_at, ApiToken.revoked_at).order_by(ApiToken.id)
    if user_id is not None:
        q = q.where(ApiToken.user == user_id)
    return await q

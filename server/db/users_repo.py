"""Users, API tokens and web sessions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db.tables import ApiToken, Session, User
from server.domain.errors import NotFound


async def by_name(username: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await User.select().where(User.username == username).first()
    return row


async def by_id(user_id: int) -> dict[str, Any]:
    row = await User.select().where(User.id == user_id).first()
    if row is None:
        raise NotFound(f"no user {user_id}", field="user")
    return row


async def count_admins() -> int:
    return int(await User.count().where((User.role == "admin") & (User.active == True)))  # noqa: E712


async def insert_user(values: dict[str, Any]) -> int:
    rows = await User.insert(User(**values)).returning(User.id)
    return int(rows[0]["id"])


async def update_user(user_id: int, values: dict[Any, Any]) -> None:
    await User.update(values).where(User.id == user_id)


async def list_users() -> list[dict[str, Any]]:
    return await User.select(User.id, User.username, User.role, User.active,
                             User.created_at).order_by(User.username)


async def insert_session(user_id: int, token_hash: str, expires: dt.datetime) -> None:
    await Session.insert(Session(user=user_id, token_hash=token_hash, expires_at=expires))


async def delete_session(token_hash: str) -> None:
    await Session.delete().where(Session.token_hash == token_hash)


async def end_sessions(user_id: int) -> None:
    await Session.delete().where(Session.user == user_id)


async def session_user(token_hash: str, now: dt.datetime) -> dict[str, Any] | None:
    rows = await User.raw(
        "SELECT u.id, u.username, u.role FROM web_session s JOIN app_user u ON u.id = s.user "
        "WHERE s.token_hash = {} AND s.expires_at > {} AND u.active = {}",
        token_hash, now, True)
    return rows[0] if rows else None


async def token_user(token_hash: str) -> dict[str, Any] | None:
    rows = await User.raw(
        "SELECT u.id, u.username, u.role FROM api_token t JOIN app_user u ON u.id = t.user "
        "WHERE t.token_hash = {} AND t.revoked_at IS NULL AND u.active = {}",
        token_hash, True)
    return rows[0] if rows else None


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

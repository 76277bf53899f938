"""A user's own account ("my account"): choosing their own password, their own API tokens,
their time zone. Every role may use it, the kiosk's and the viewer's included.

Choosing a password is the one way to clear must_change_password (a password someone else
set: the CLI, an admin; see domain/password_rules.py). The current password proves it is
the user and not someone holding their session cookie: it is checked off the event loop
and throttled and counted exactly like a login of that account, so a stolen cookie is not
a way to guess it. The new password follows the same rules as every other, and must differ
from the current one. Then every other session of the user ends at once, in every server
process (the auth revision moves in the same transaction); the session that made the
change stays. The user's API tokens stay too: each was made on purpose for a program, and
is revoked on its own.

A kiosk account may not make API tokens for itself: the door screen is open to anyone
walking by, and a token would carry the kiosk's access away from the door. An admin makes
one when a door device needs it (`tagtrack token NAME`)."""

from __future__ import annotations

from typing import Any

from server.db import auth_revision, ledger, users_repo
from server.db.engine import write_transaction
from server.domain.actors import Actor
from server.domain.errors import (
    ConcurrentChange,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from server.domain.events import EventDraft
from server.domain.password_rules import check_new_password
from server.domain.vocab import EventKind, Role
from server.services import auth, passwords


def _own_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden(f"{actor.name} is not a user and has no account")
    return actor.user_id


async def change_own_password(actor: Actor, current: str, new: str, *,
                              session_secret: str | None = None, address: str = "") -> None:
    """`session_secret`: the session making the change, which stays logged in (None: a
    request made with an API token; every session ends)."""
    user_id = _own_id(actor)
    if not current:
        raise InvalidInput("give your current password", field="current_password")
    check_new_password(new, username=actor.name, field="new_password")
    try:
        user = await auth.check_password_of(actor.name, current, address)
    except Unauthenticated:
        raise InvalidInput("the current password is wrong", field="current_password") from None
    if user["id"] != user_id:  # the username of a session never changes; be sure anyway
        raise Forbidden("this session belongs to another user")
    check_new_password(new, username=user["username"], field="new_password", current=current)
    hashed = await passwords.hash_password(new)
    keep = auth.secret_hash(session_secret) if session_secret else None
    async with write_transaction():
        if not await users_repo.set_own_password_hash(user_id, user["password_hash"], hashed):
            raise ConcurrentChange("your password was changed meanwhile: give the one you "
                                   "use now", field="current_password")
        await users_repo.end_other_sessions(user_id, keep)
        await auth_revision.bump()
        await ledger.record(actor, EventDraft(kind=EventKind.USER_UPDATED, details={
            "user_id": user_id, "username": user["username"],
            "changes": {"password": "changed by the user", "must_change_password": False}}))
    auth.forget_logins()


async def my_tokens(actor: Actor) -> list[dict[str, Any]]:
    return await users_repo.list_tokens(_own_id(actor))


async def create_my_token(actor: Actor, name: str) -> tuple[int, str]:
    """(token id, the token), shown this once."""
    if actor.role is Role.KIOSK:
        raise Forbidden(f"{actor.name} is a kiosk account: an admin makes its API tokens "
                        "(tagtrack token NAME)")
    return await auth.create_token(actor, _own_id(actor), name)


async def revoke_my_token(actor: Actor, token_id: int) -> None:
    """Only the user's own tokens, admins' included: another's is not found here."""
    token = await users_repo.token_by_id(token_id)
    if token["user"] != _own_id(actor):
        raise NotFound(f"no token {token_id}", field="token")
    await auth.revoke_token(actor, token_id)


async def set_my_time_zone(actor: Actor, zone: str) -> None:
    """An IANA name; "" for the browser's zone, else the site's."""
    await auth.update_user(actor, _own_id(actor), time_zone=zone)

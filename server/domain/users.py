"""Rules about users that need no database: an installation always keeps an active admin."""

from __future__ import annotations

from server.domain.errors import Conflict
from server.domain.vocab import Role


def is_active_admin(role: str, active: bool) -> bool:
    return role == Role.ADMIN.value and bool(active)


def keep_an_admin(username: str, *, role: str, active: bool, new_role: str | None,
                  new_active: bool | None, other_active_admins: int) -> None:
    """Refuse a change that would leave nobody able to manage users: demoting or
    deactivating the last active admin. `other_active_admins` counts the active admins
    other than this user, read under a lock in the same transaction as the change."""
    if not is_active_admin(role, active):
        return
    after_role = role if new_role is None else new_role
    after_active = active if new_active is None else new_active
    if is_active_admin(after_role, after_active) or other_active_admins > 0:
        return
    change = "deactivated" if not after_active else f"made {after_role}"
    raise Conflict(
        f"{username} is the last active admin and cannot be {change}: "
        "make another user an admin first",
        field="active" if not after_active else "role",
        code="last_admin",
    )

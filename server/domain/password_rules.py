"""What a new password must be, defined once for every way a password is set (the CLI, an
admin creating or resetting a user, a user choosing their own).

At least MIN_LENGTH characters (OWASP ASVS 2.1.1: 12), at most MAX_LENGTH (hashing a
megabyte is a denial of service); not the username; and, when a user chooses a new one,
not the password it replaces. Passwords already stored are never judged again: the rules
apply when a password is set.

Who must change a password: one that somebody else set (the CLI, an admin) is a temporary
password, to be replaced at the user's first login; one a user chose themselves is theirs."""

from __future__ import annotations

from server.domain.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1000


def check_new_password(password: str, *, username: str, field: str = "password",
                       current: str | None = None) -> str:
    """The password, if it may be set; else InvalidInput naming `field`."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"{_name(field)} must be at least {MIN_LENGTH} characters",
                           field=field)
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"{_name(field)} must be at most {MAX_LENGTH} characters",
                           field=field)
    if username and password.strip().casefold() == username.strip().casefold():
        raise InvalidInput(f"{_name(field)} must not be the username", field=field)
    if current is not None and password == current:
        raise InvalidInput(f"{_name(field)} must differ from the current password",
                           field=field)
    return password


def must_change_after(setter_id: int | None, user_id: int) -> bool:
    """Whether a password just set must be changed at the user's next login: yes unless
    the user set it themselves (the CLI and the demo set it as nobody: None)."""
    return setter_id != user_id


def _name(field: str) -> str:
    return {"new_password": "the new password"}.get(field, field.replace("_", " "))

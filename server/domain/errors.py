"""Domain errors: every refusal carries a machine code, a human message and, where one
field is to blame, the field's name. One mapper in server/http turns them into
problem+json; the domain never knows about HTTP."""

from __future__ import annotations

from typing import Any

from server.domain.fields import in_words


class DomainError(Exception):
    """Base of every refusal the domain makes. `code` is stable for machines."""

    code = "error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        message = in_words(message)  # people's words for field keys (fields.py)
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        self.details = details or {}


class InvalidInput(DomainError):
    """The request itself is wrong: a field is missing, malformed or out of range."""

    code = "invalid"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The request is well formed but the current state refuses it."""

    code = "conflict"


class ConcurrentChange(Conflict):
    """Someone else changed the record between our read and our write."""

    code = "concurrent_change"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class Unavailable(DomainError):
    """Something we depend on (a label printer) cannot be reached right now."""

    code = "unavailable"


class Busy(Unavailable):
    """Too much long work is waiting already: try again after `retry_after` seconds."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field, details={"retry_after": retry_after})
        self.retry_after = retry_after


class TooManyAttempts(DomainError):
    """Too many failed logins (or bad API tokens) lately: try again after `retry_after`
    seconds. Answered 429 with Retry-After."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field, details={"retry_after": retry_after})
        self.retry_after = retry_after


class DatabaseFault(Unavailable):
    """The database cannot do this right now: busy (a lock held too long), read-only, its
    disk full, or out of reach. Nothing was changed and the same request may succeed
    later: answered 503 with Retry-After. `title` names the state for people."""

    code = "database_unavailable"

    def __init__(self, message: str, *, code: str, title: str, retry_after: int) -> None:
        super().__init__(message, code=code, details={"retry_after": retry_after})
        self.title = title
        self.retry_after = retry_after


class TooLarge(InvalidInput):
    """More entries than an operation takes at once (a batch of scans): refused whole,
    never cut short. Answered 413; `details` holds the limit and the count."""

    code = "too_large"


class PasswordChangeRequired(Forbidden):
    """The user's password was set by someone else (the CLI, an admin): nothing but
    choosing their own is allowed until they do. Pages are sent to that form; the API
    answers 403 with this code."""

    code = "password_change_required"

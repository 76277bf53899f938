"""How long a caller that keeps failing to log in must wait before trying again.

Failures are counted per account (the username typed, whether or not it exists, so a
refusal never tells which usernames are real) and per client address, over a sliding
WINDOW. Up to `limit` failures cost nothing; from the limit on, the caller waits
FIRST_WAIT after its last failure, doubling with every further failure, never more than
WINDOW. A refused attempt is not a failure (its password is never checked), so waiting
out the delay is always enough: nobody can lock an account for good by hammering it.

Pure rules: the service gives the counts and the clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

WINDOW = dt.timedelta(minutes=15)
FIRST_WAIT = dt.timedelta(minutes=1)
ACCOUNT_LIMIT = 5  # failures for one username in WINDOW before it must wait
ADDRESS_LIMIT = 20  # failures (logins and bad API tokens) from one address in WINDOW


@dataclasses.dataclass(frozen=True, slots=True)
class Failures:
    """What the database holds about one key within the window."""

    count: int
    last_at: dt.datetime | None


def wait(failures: Failures, limit: int, now: dt.datetime) -> dt.timedelta:
    """How long from `now` until the next attempt may be tried (zero: now)."""
    if failures.count < limit or failures.last_at is None:
        return dt.timedelta(0)
    doublings = min(failures.count - limit, 16)  # 2**16 minutes is past any window
    delay = min(FIRST_WAIT * 2**doublings, WINDOW)
    return max(dt.timedelta(0), failures.last_at + delay - now)


def retry_after_seconds(delay: dt.timedelta) -> int:
    """For the Retry-After header: whole seconds, rounded up, at least one."""
    return max(1, math.ceil(delay.total_seconds()))


def in_minutes(delay: dt.timedelta) -> str:
    minutes = max(1, math.ceil(delay.total_seconds() / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"

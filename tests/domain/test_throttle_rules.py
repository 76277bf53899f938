import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from server.domain.throttle import (
    ACCOUNT_LIMIT,
    FIRST_WAIT,
    WINDOW,
    Failures,
    in_minutes,
    retry_after_seconds,
    wait,
)

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def failures(count: int, seconds_ago: float = 0) -> Failures:
    return Failures(count, NOW - dt.timedelta(seconds=seconds_ago))


def test_failures_below_the_limit_cost_nothing() -> None:
    assert wait(failures(ACCOUNT_LIMIT - 1), ACCOUNT_LIMIT, NOW) == dt.timedelta(0)
    assert wait(Failures(0, None), ACCOUNT_LIMIT, NOW) == dt.timedelta(0)


def test_at_the_limit_the_caller_waits_a_minute_after_the_last_failure() -> None:
    assert wait(failures(ACCOUNT_LIMIT), ACCOUNT_LIMIT, NOW) == FIRST_WAIT
    assert wait(failures(ACCOUNT_LIMIT, 20), ACCOUNT_LIMIT, NOW) == dt.timedelta(seconds=40)
    assert wait(failures(ACCOUNT_LIMIT, 60), ACCOUNT_LIMIT, NOW) == dt.timedelta(0)


def test_each_further_failure_doubles_the_wait_up_to_the_window() -> None:
    waits = [wait(failures(ACCOUNT_LIMIT + extra), ACCOUNT_LIMIT, NOW) for extra in range(6)]
    assert [w.total_seconds() / 60 for w in waits] == [1, 2, 4, 8, 15, 15]


@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=0, max_value=10_000))
def test_the_wait_never_exceeds_the_window_nor_goes_below_zero(count: int, ago: float) -> None:
    assert dt.timedelta(0) <= wait(failures(count, ago), ACCOUNT_LIMIT, NOW) <= WINDOW


def test_the_caller_is_told_whole_seconds_and_minutes_rounded_up() -> None:
    assert retry_after_seconds(dt.timedelta(seconds=0.2)) == 1
    assert retry_after_seconds(dt.timedelta(seconds=61.5)) == 62
    assert in_minutes(dt.timedelta(seconds=30)) == "1 minute"
    assert in_minutes(dt.timedelta(seconds=61)) == "2 minutes"

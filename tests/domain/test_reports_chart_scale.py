"""Axis ticks for the report charts: round numbers that cover the data."""

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.chart_scale import date_ticks, nice_step, nice_ticks


def test_ticks_are_round_numbers_from_zero():
    assert nice_ticks(0, 43) == [0, 10, 20, 30, 40, 50]
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1]


def test_counts_of_things_get_whole_steps():
    assert nice_ticks(0, 3, 5, whole=True) == [0, 1, 2, 3]
    assert nice_ticks(0, 10, 4, whole=True) == [0, 3, 6, 9, 12]


def test_an_empty_or_all_zero_range_still_has_an_axis():
    assert nice_ticks(0, 0, 4, whole=True) == [0, 1]


def test_step_is_one_two_two_and_a_half_or_five_times_a_power_of_ten():
    assert nice_step(1234, 5) == 250
    assert nice_step(0, 5) == 1


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1e9), st.integers(2, 8))
def test_ticks_cover_the_data_evenly_and_stay_few(high, most):
    ticks = nice_ticks(0, high, most)
    assert ticks[0] <= 0 and ticks[-1] >= high
    assert len(ticks) - 1 <= most
    steps = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 or max(steps) - min(steps) <= 1e-6 * max(1, high)


def test_dates_on_a_long_range_are_month_starts():
    ticks = date_ticks(dt.date(2026, 8, 15), dt.date(2026, 11, 29), 4)
    assert ticks == [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)]


@settings(max_examples=60, deadline=None)
@given(st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)), st.integers(0, 800), st.integers(2, 6))
def test_date_ticks_stay_in_range_sorted_and_few(start, days, most):
    end = start + dt.timedelta(days=days)
    ticks = date_ticks(start, end, most)
    assert ticks and ticks == sorted(set(ticks))
    assert all(start <= t <= end for t in ticks)
    assert len(ticks) <= most

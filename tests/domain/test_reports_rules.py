"""The report rules: filters, the reorder suggestion, days overdue, a person's loan tallies."""

import datetime as dt

import pytest

from server.domain.errors import InvalidInput
from server.domain.reports import (
    LoanSpan,
    PersonLoans,
    days_overdue,
    months_between,
    parse_filter,
    person_loans,
    suggested_order,
)

TODAY = dt.date(2026, 11, 29)
NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def test_the_period_defaults_to_the_last_ninety_days():
    f = parse_filter({}, TODAY)
    assert (f.start, f.end) == (dt.date(2026, 9, 1), TODAY)
    assert parse_filter({"location": "l-12"}, TODAY).location == "L-12"


@pytest.mark.parametrize("params,field", [({"start": "tomorrow"}, "start"),
                                          ({"start": "2026-12-01", "end": "2026-11-01"}, "start"),
                                          ({"start": "2000-01-01"}, "start"),
                                          ({"category": "x" * 201}, "category")])
def test_bad_filters_name_their_field(params, field):
    with pytest.raises(InvalidInput) as refused:
        parse_filter(params, TODAY)
    assert refused.value.field == field


def test_the_order_brings_stock_up_to_twice_the_reorder_point():
    assert suggested_order(4, 10) == 16
    assert suggested_order(0, 0) == 1
    assert suggested_order(25, 10) == 1  # never nothing: the report lists it for a reason


def test_days_overdue_are_whole_days_past_due():
    assert days_overdue(NOW - dt.timedelta(hours=1), NOW) == 0
    assert days_overdue(NOW - dt.timedelta(days=3, hours=2), NOW) == 3


def test_a_person_s_loans_add_up():
    day = dt.timedelta(days=1)
    spans = [LoanSpan(NOW - 10 * day, NOW - 8 * day, NOW - 9 * day),   # late
             LoanSpan(NOW - 7 * day, NOW - 6 * day, NOW - 5 * day),    # on time
             LoanSpan(NOW - 4 * day, None, NOW - 1 * day),             # overdue now
             LoanSpan(NOW - 2 * day, NOW - 1 * day, None)]             # no due date
    figures = person_loans(spans, NOW)
    assert (figures.check_outs, figures.returns, figures.out_now, figures.overdue_now) == \
        (4, 3, 1, 1)
    assert figures.on_time_share == 0.5 and figures.days_held == pytest.approx(8.0)
    both = figures + PersonLoans(check_outs=2, returns=2, dated_returns=2, on_time=2)
    assert both.check_outs == 6 and both.on_time_share == 0.75
    assert PersonLoans().on_time_share is None


def test_months_between_two_days():
    assert months_between(dt.date(2026, 11, 15), dt.date(2027, 1, 2)) == \
        ["2026-11", "2026-12", "2027-01"]

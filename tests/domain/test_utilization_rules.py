"""Utilization rules without a database: periods, shares, peaks, verdicts, the summaries'
replay (server/domain/utilization.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from server.domain import utilization as u
from server.domain.utilization import Custody, Peak, Period

UTC = ZoneInfo("UTC")
DAY = 86400
P = Period(10 * DAY, 20 * DAY)


def test_a_period_of_whole_local_days_ends_now_when_it_ends_today() -> None:
    zone = ZoneInfo("America/New_York")
    now = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
    p = Period.of_days(dt.date(2026, 11, 1), dt.date(2026, 11, 29), now, zone)
    assert p.start_s == int(dt.datetime(2026, 11, 1, tzinfo=zone).timestamp())
    assert p.end_s == int(now.timestamp()) + 1
    past = Period.of_days(dt.date(2026, 11, 1), dt.date(2026, 11, 2), now, zone)
    assert past.end_s == int(dt.datetime(2026, 11, 3, tzinfo=zone).timestamp())


def test_time_out_is_clipped_to_the_period_and_shared_over_the_units_life_in_it() -> None:
    spans = [Custody(1, 7, 8 * DAY, 12 * DAY), Custody(1, 8, 19 * DAY, None)]
    use = u.unit_use(1, 0, spans, P)
    assert use.out_seconds == 3 * DAY
    assert use.share == 0.3
    assert (use.checkouts, use.borrowers) == (1, 2)
    late = u.unit_use(1, 15 * DAY, [Custody(1, 7, 15 * DAY, 19 * DAY)], P)
    assert late.share == 0.8


def test_the_peak_counts_a_return_and_a_departure_at_one_second_as_one_out() -> None:
    spans = [Custody(1, 1, 11 * DAY, 12 * DAY), Custody(2, 2, 12 * DAY, 13 * DAY)]
    assert u.peak(spans, P, UTC) == Peak(1, 2)  # days 11 and 12


def test_the_peak_days_are_the_local_days_that_reached_it() -> None:
    spans = [Custody(1, 1, 11 * DAY, 13 * DAY), Custody(2, 2, 12 * DAY + 3600, 12 * DAY + 7200)]
    assert u.peak(spans, P, UTC) == Peak(2, 1)
    # an hour after midnight UTC is still the day before in New York
    assert u.peak(spans, P, ZoneInfo("America/New_York")) == Peak(2, 1)
    stretches = [(12 * DAY + 3600, 12 * DAY + 7200, 2)]
    assert u.peak_of_stretches(stretches, UTC) == Peak(2, 1)


def test_daily_peaks_give_every_day_of_the_period() -> None:
    days = u.daily_peaks([Custody(1, 1, 11 * DAY, 12 * DAY + 1)], P, UTC)
    assert len(days) == 10
    assert [n for _, n in days[:4]] == [0, 1, 1, 0]


def test_verdicts_read_as_sentences() -> None:
    assert u.verdict(6, Peak(6, 14)).sentence == "buy more: all 6 were out at once on 14 days"
    assert u.verdict(1, Peak(1, 3)).sentence == "buy more: the only one was out on 3 days"
    assert u.verdict(9, Peak(2, 5)).sentence == \
        "stop buying: never more than 2 of 9 out at once"
    assert u.verdict(40, Peak(0, 0)).sentence == "stop buying: none of the 40 went out"
    assert u.verdict(6, Peak(6, 2)).kind == "keep"  # all out, but on too few days
    assert u.verdict(3, Peak(2, 9)).sentence == "enough: at most 2 of 3 out at once"
    assert u.verdict(0, Peak(0, 0)).kind == "none"


def test_the_summaries_replay_closes_a_custody_at_check_in_loss_or_collapse() -> None:
    s = u.Summaries.empty()
    s.feed(1, "unit.created", 5, 2, None, 100)
    s.feed(2, "unit.checked_out", 5, 2, 9, 200)
    s.feed(3, "unit.status_changed", 5, 2, None, 300)  # lost while out
    s.feed(4, "unit.audited", 5, 2, None, 400)
    s.seen_by_scans({5: 450, 6: 999})
    assert s.custody == {2: (5, 2, 9, 200, 300)}
    assert s.activity == {5: (2, 100, 200, 450)}
    assert u.summary_differences(s, {2: (5, 2, 9, 200, 301)}, s.activity)

"""Local time rules: what a typed date means where the reader is, and the one way times
are written."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import timezones as tz
from server.domain.errors import InvalidInput

LA, BERLIN, KOLKATA = tz.zone("America/Los_Angeles"), tz.zone("Europe/Berlin"), \
    tz.zone("Asia/Kolkata")
UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_a_date_in_los_angeles_is_due_at_the_end_of_that_day_there():
    assert tz.end_of_day(dt.date(2026, 12, 5), LA) == at(2026, 12, 6, 7, 59, 59)


def test_the_end_of_day_follows_berlins_clocks_across_the_spring_change():
    # last Sunday of March 2026 (29th): CET (UTC+1) until 02:00, CEST (UTC+2) after
    assert tz.end_of_day(dt.date(2026, 3, 28), BERLIN) == at(2026, 3, 28, 22, 59, 59)
    assert tz.end_of_day(dt.date(2026, 3, 29), BERLIN) == at(2026, 3, 29, 21, 59, 59)


def test_a_time_skipped_when_the_clocks_go_forward_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as refused:
        tz.parse_date_and_time("2026-03-29", "02:30", BERLIN, "due_at")
    assert refused.value.field == "due_at"
    assert "does not exist in Europe/Berlin" in refused.value.message
    assert tz.parse_date_and_time("2026-03-29", "03:00", BERLIN) == at(2026, 3, 29, 1)


def test_a_time_repeated_when_the_clocks_go_back_means_its_first_occurrence():
    # 25 Oct 2026: 02:00-03:00 happens twice in Berlin, first in CEST (UTC+2)
    assert tz.parse_date_and_time("2026-10-25", "02:30", BERLIN) == at(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(("text", "moment"), [
    ("2026-12-05", at(2026, 12, 6, 7, 59, 59)),
    ("2026-12-05T17:00", at(2026, 12, 6, 1)),
    ("2026-12-05T17:00:00-05:00", at(2026, 12, 5, 22)),
    ("2026-12-05T17:00:00Z", at(2026, 12, 5, 17)),
])
def test_iso_8601_is_read_with_its_offset_or_else_in_the_zone_given(text, moment):
    assert tz.parse_moment(text, LA) == moment


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-13-01", "2026-12-05 5pm", "12/5/2026"])
def test_unreadable_dates_are_refused_naming_the_field(text):
    with pytest.raises(InvalidInput) as refused:
        tz.parse_moment(text, LA, "due_at")
    assert refused.value.field == "due_at"


def test_a_form_with_neither_date_nor_time_has_no_due_date_and_a_time_alone_is_refused():
    assert tz.parse_date_and_time("", "", LA) is None
    with pytest.raises(InvalidInput, match="give the date too"):
        tz.parse_date_and_time("", "17:00", LA)


@pytest.mark.parametrize("name", ["Mars/Olympus", "america/los_angeles", "../etc/passwd",
                                  "/etc/localtime", "Europe/Berlin ", "x" * 65, ""])
def test_a_zone_must_be_a_known_iana_name(name):
    assert not tz.is_zone(name)
    with pytest.raises(InvalidInput) as refused:
        tz.zone(name, "time_zone")
    assert refused.value.field == "time_zone"
    assert tz.zone_or_none(name) is None


def test_one_format_for_dates_and_moments_with_the_zones_own_abbreviation():
    assert tz.format_date(dt.date(2026, 12, 5)) == "5 Dec 2026"
    assert tz.format_time(at(2026, 12, 6, 1), LA) == "5 Dec 2026, 17:00 PST"
    assert tz.format_time(at(2026, 7, 1, 0), LA) == "30 Jun 2026, 17:00 PDT"
    assert tz.format_time(at(2026, 3, 29, 12), BERLIN) == "29 Mar 2026, 14:00 CEST"
    assert tz.format_time(at(2026, 3, 29, 0, 30), BERLIN) == "29 Mar 2026, 01:30 CET"
    assert tz.format_time(at(2026, 12, 5, 17), tz.UTC) == "5 Dec 2026, 17:00 UTC"


def test_a_due_date_at_the_end_of_a_local_day_is_written_as_that_day():
    assert tz.format_due(at(2026, 12, 6, 7, 59, 59), LA) == "5 Dec 2026"
    assert tz.format_due(at(2026, 12, 6, 7, 59, 59), tz.UTC) == "6 Dec 2026, 07:59 UTC"
    assert tz.format_due(at(2026, 12, 6, 1), LA) == "5 Dec 2026, 17:00 PST"


def test_the_scanning_page_gets_the_zones_labels_by_offset():
    assert tz.abbreviations(LA, at(2026, 11, 29)) == {-480: "PST", -420: "PDT"}
    assert tz.abbreviations(KOLKATA, at(2026, 11, 29)) == {330: "IST"}


@given(day=st.dates(min_value=dt.date(1971, 1, 1), max_value=dt.date(2100, 12, 31)),
       name=st.sampled_from(["America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata",
                             "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago",
                             "UTC"]))
def test_end_of_day_is_always_23_59_59_of_that_day_where_the_reader_is(day, name):
    zone = tz.zone(name)
    moment = tz.end_of_day(day, zone)
    local = moment.astimezone(zone)
    assert (local.date(), local.time()) == (day, dt.time(23, 59, 59))
    assert moment.tzinfo is not None and moment.utcoffset() == dt.timedelta(0)
    assert tz.format_due(moment, zone) == tz.format_date(day)
    assert tz.parse_moment(day.isoformat(), zone) == moment

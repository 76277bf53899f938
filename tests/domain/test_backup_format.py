"""The portable backup format: every kind's value survives JSON unchanged, what SQLite
hands back (text, floats, 0/1) reads as the same value PostgreSQL gives, tables come
after the tables they reference, and a foreign or damaged manifest is refused in words."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.backup_format import (
    BackupError,
    Manifest,
    TableShape,
    decoder,
    dependency_order,
    encoder,
    normalize,
)

UTC_TIMES = st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(9998, 1, 1),
                         timezones=st.just(dt.UTC))
VALUES = {
    "int": st.integers(-(2**63), 2**63 - 1),
    "bool": st.booleans(),
    "text": st.text(),
    "json": st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                         lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
                         max_leaves=8).map(lambda v: json.dumps(v, ensure_ascii=False)),
    "numeric:2": st.decimals(min_value=Decimal("-9999999999.99"),
                             max_value=Decimal("9999999999.99"), places=2),
    "date": st.dates(),
    "timestamptz": UTC_TIMES,
}


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_every_kind_of_value_survives_the_file_unchanged(data):
    for kind, values in VALUES.items():
        value = data.draw(st.none() | values, label=kind)
        written = json.loads(json.dumps(encoder(kind)(value)))
        assert decoder(kind)(written) == value, kind


@settings(max_examples=40, deadline=None)
@given(UTC_TIMES, st.decimals(min_value=Decimal("-9999999999.99"),
                              max_value=Decimal("9999999999.99"), places=2))
def test_what_sqlite_stores_reads_as_what_postgresql_gives(when, cost):
    # Piccolo's adapters store an aware datetime as str() in UTC and a Decimal as a float
    assert normalize("timestamptz", str(when)) == when
    assert normalize("numeric:2", float(cost)) == cost
    assert str(normalize("numeric:2", float(cost))) == str(cost)  # "12.10", not "12.1"


def test_sqlite_texts_without_an_offset_are_utc_and_flags_are_booleans():
    assert normalize("timestamptz", "2026-11-29 15:06:42") == \
        dt.datetime(2026, 11, 29, 15, 6, 42, tzinfo=dt.UTC)
    assert normalize("timestamptz", "2026-11-29T16:06:42+01:00") == \
        dt.datetime(2026, 11, 29, 15, 6, 42, tzinfo=dt.UTC)
    assert [normalize("bool", v) for v in (1, 0, "1", "true", "f")] == \
        [True, False, True, True, False]
    assert normalize("int", 3.0) == 3 and normalize("date", "2027-03-31") == \
        dt.date(2027, 3, 31)


def _shape(name, *parents):
    return TableShape(name, ("id",), ("int",), frozenset(parents))


def test_tables_come_after_the_tables_they_reference():
    ordered = [s.name for s in dependency_order([
        _shape("unit", "item", "location"), _shape("location"), _shape("item"),
        _shape("stock", "unit", "item")])]
    assert ordered == ["item", "location", "unit", "stock"]


def test_tables_that_reference_each_other_in_a_cycle_are_refused_by_name():
    with pytest.raises(BackupError, match=r"cycle.*a.*b"):
        dependency_order([_shape("a", "b"), _shape("b", "a")])


def test_a_foreign_or_damaged_manifest_is_refused_in_words():
    with pytest.raises(BackupError, match="not a Tagtrack backup"):
        Manifest.parse({"format": "something-else"})
    with pytest.raises(BackupError, match="version 9"):
        Manifest.parse({"format": "tagtrack-backup", "version": 9})
    with pytest.raises(BackupError, match="damaged"):
        Manifest.parse({"format": "tagtrack-backup", "version": 1, "tables": [{}]})
    with pytest.raises(BackupError, match="unknown column kind"):
        Manifest.parse({"format": "tagtrack-backup", "version": 1, "created_at": "x",
                        "source_engine": "sqlite", "migrations": [],
                        "tables": [{"name": "t", "columns": ["a"], "kinds": ["blob"],
                                    "rows": 0}]})

"""Typing one imported row: numbers and dates as declared, refusals in people's words that
name the row and the column, and nothing guessed where a value reads two ways."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.imports import (
    FIELDS,
    FlaggedCells,
    Options,
    ParsedRow,
    Problem,
    _Bad,
    custom_value,
    format_custom_fields,
    format_decimal,
    format_path,
    parse_barcodes,
    parse_custom_fields,
    parse_date,
    parse_decimal,
    parse_path,
    parse_row,
)
from server.domain.items import CustomField, FieldType
from server.domain.tags import Tag, TagKind
from server.domain.vocab import Condition, Status, Tracking

amounts = st.decimals(min_value=Decimal("-999999999.99"), max_value=Decimal("999999999.99"),
                      places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=100, deadline=None)
@given(value=amounts, comma=st.booleans())
def test_number_round_trip(value: Decimal, comma: bool) -> None:
    assert parse_decimal(format_decimal(value, comma), comma) == value


def _grouped(value: Decimal, comma: bool) -> str:
    text = f"{value:,.2f}"  # 1,234,567.89
    return text.replace(",", "_").replace(".", ",").replace("_", ".") if comma else text


@settings(max_examples=100, deadline=None)
@given(value=amounts, comma=st.booleans())
def test_grouped_numbers_read_as_declared_or_are_refused(value: Decimal, comma: bool) -> None:
    """A number written with thousands groups and two decimals is never misread: it has
    both marks, so it reads one way only."""
    assert parse_decimal(_grouped(value, comma), comma) == value


@settings(max_examples=100, deadline=None)
@given(whole=st.integers(1, 999), part=st.integers(0, 999), comma=st.booleans())
def test_one_group_separator_alone_is_ambiguous(whole: int, part: int, comma: bool) -> None:
    grp = "." if comma else ","
    text = f"{whole}{grp}{part:03d}"
    with pytest.raises(_Bad, match="ambiguous"):
        parse_decimal(text, comma)


@pytest.mark.parametrize(("text", "comma", "value"), [
    ("12", False, Decimal(12)), ("12.5", False, Decimal("12.5")), ("12,5", True, Decimal("12.5")),
    ("1,234,567", False, Decimal(1234567)), ("1.234.567", True, Decimal(1234567)),
    ("1 234,50", True, Decimal("1234.50")), ("$1,234.50", False, Decimal("1234.50")),
    ("12,50 €", True, Decimal("12.50")), (" -3 ", False, Decimal(-3)),
    ("1e3", False, Decimal(1000)), ("CHF 1'000", False, None), ("EUR 12,50", True, Decimal("12.5")),
    ("12.50 USD", False, Decimal("12.5")),
])
def test_numbers(text: str, comma: bool, value: Decimal | None) -> None:
    if value is None:
        with pytest.raises(_Bad, match="is not a number"):
            parse_decimal(text, comma)
    else:
        assert parse_decimal(text, comma) == value


@pytest.mark.parametrize(("text", "comma", "words"), [
    ("12,5", False, "decimals are declared with a point (write 12.5)"),
    ("12.5", True, "decimals are declared with a comma (write 12,5)"),
    ("1,23,4", False, "is not a number"), ("abc", False, "is not a number"),
    ("12F", False, "is not a number"), ("C12", False, "is not a number"),
    ("1e999", False, "is not a number"),
    ("1,234", False, "ambiguous: write 1234"),
])
def test_numbers_refused(text: str, comma: bool, words: str) -> None:
    with pytest.raises(_Bad, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_decimal(text, comma)


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))


@settings(max_examples=100, deadline=None)
@given(day=dates, day_first=st.booleans(), sep=st.sampled_from("/.-"))
def test_date_round_trip(day: dt.date, day_first: bool, sep: str) -> None:
    assert parse_date(day.isoformat(), day_first) == day
    a, b = (day.day, day.month) if day_first else (day.month, day.day)
    assert parse_date(f"{a}{sep}{b}{sep}{day.year}", day_first) == day
    assert parse_date(f"{a:02d}{sep}{b:02d}{sep}{day.year}", day_first) == day


def test_dates_refused_in_words() -> None:
    with pytest.raises(_Bad) as e:
        parse_date("31/02/2026", day_first=True)
    assert str(e.value) == "31/02/2026 is not a date (day/month order)"
    with pytest.raises(_Bad) as e:
        parse_date("13/01/2026", day_first=False)
    assert str(e.value) == ("13/01/2026 is not a date (month/day order; in day/month order it "
                            "would be 13 January 2026)")
    with pytest.raises(_Bad, match="four digits"):
        parse_date("01/02/26")
    with pytest.raises(_Bad, match="like 2026-01-31"):
        parse_date("next week")
    with pytest.raises(_Bad, match="year-month-day"):
        parse_date("2026-02-30")
    assert parse_date("2026-01-31 00:00:00") == dt.date(2026, 1, 31)  # from a spreadsheet


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.text(st.characters(min_codepoint=32, blacklist_characters=">",
                                            blacklist_categories=("Cs", "Zs", "Cc")),
                              min_size=1, max_size=15), min_size=1, max_size=12))
def test_path_round_trip(names: list[str]) -> None:
    assert parse_path(format_path(names)) == tuple(names)


def test_paths_refused() -> None:
    with pytest.raises(_Bad, match="empty place"):
        parse_path("Main > > Shelf")
    with pytest.raises(_Bad, match="at most 12 deep"):
        parse_path(" > ".join("abcdefghijklm"))


def test_barcodes() -> None:
    assert parse_barcodes("4006381333931, 96385074;0012345678905") == (
        "04006381333931", "00000096385074", "00012345678905")
    assert parse_barcodes("4006381333931 4006381333931") == ("04006381333931",)
    with pytest.raises(_Bad, match="check digit"):
        parse_barcodes("4006381333932")


DEFS = (CustomField("voltage", "Voltage", FieldType.NUMBER, required=True),
        CustomField("colour", "Colour", FieldType.CHOICE, choices=("red", "dark blue")),
        CustomField("calibrated", "Calibrated on", FieldType.DATE),
        CustomField("ok", "OK", FieldType.BOOLEAN), CustomField("note", "Note", FieldType.TEXT))


def test_custom_field_definitions_round_trip() -> None:
    text = format_custom_fields(DEFS)
    assert text == ("Voltage [voltage]: number*; Colour [colour]: choice(red|dark blue); "
                    "Calibrated on [calibrated]: date; OK [ok]: boolean; Note [note]: text")
    assert parse_custom_fields(text) == DEFS
    odd = (CustomField("a", "A; or [b]", FieldType.CHOICE, choices=("x|y", "z")),)
    assert parse_custom_fields(format_custom_fields(odd)) == odd  # as JSON
    assert parse_custom_fields("serial_2: text") == (
        CustomField("serial_2", "serial_2", FieldType.TEXT),)
    with pytest.raises(_Bad, match="not a field"):
        parse_custom_fields("Voltage")
    with pytest.raises(_Bad, match="must be one of"):
        parse_custom_fields("Voltage [voltage]: colour")


def test_custom_values_by_definition() -> None:
    o = Options(day_first=True, decimal_comma=True)
    assert custom_value(DEFS[0], "12,5", o) == 12.5
    assert custom_value(DEFS[0], "230", o) == 230
    assert custom_value(DEFS[1], "Dark  Blue", o) == "dark blue"
    assert custom_value(DEFS[2], "31/01/2026", o) == "2026-01-31"
    assert custom_value(DEFS[3], "Yes", o) is True
    with pytest.raises(ValueError, match="not one of: red, dark blue"):
        custom_value(DEFS[1], "green", o)


UNIT_HEADERS = ["Asset tag", "SKU", "S/N", "Where", "Owner", "Status", "Condition",
                "Purchase date", "Cost", "Warranty", "Tracking", "Voltage"]
UNIT_MAP = {0: "tag", 1: "sku", 2: "serial", 3: "location", 4: "custodian", 5: "status",
            6: "condition", 7: "purchase_date", 8: "purchase_cost", 9: "warranty_end",
            10: "tracking", 11: "custom:voltage"}
TAG = str(Tag(TagKind.UNIT, 4175))


def _unit(**cells: str) -> list[str]:
    row = {"tag": TAG, "sku": "DRL-18V", "serial": "SN 1", "location": "Main > Shelf B3",
           "custodian": "", "status": "Available", "condition": "needs repair",
           "purchase_date": "31/01/2026", "purchase_cost": "1.234,50", "warranty_end": "",
           "tracking": "Serialized", "custom:voltage": "18"}
    row.update(cells)
    return [row[UNIT_MAP[i]] for i in range(len(UNIT_MAP))]


EU = Options(day_first=True, decimal_comma=True)


def test_a_unit_row_typed() -> None:
    parsed = parse_row("units", 418, _unit(), UNIT_MAP, EU, headers=UNIT_HEADERS)
    assert parsed == ParsedRow(418, {
        "tag": TAG, "sku": "DRL-18V", "serial": "SN 1", "location": ("Main", "Shelf B3"),
        "custodian": None, "status": Status.AVAILABLE, "condition": Condition.NEEDS_REPAIR,
        "purchase_date": dt.date(2026, 1, 31), "purchase_cost": Decimal("1234.50"),
        "warranty_end": None, "tracking": Tracking.SERIAL, "custom:voltage": "18"})
    typed = parse_row("units", 418, _unit(), UNIT_MAP, EU, headers=UNIT_HEADERS,
                      custom_fields={"voltage": DEFS[0]})
    assert isinstance(typed, ParsedRow) and typed.values["custom:voltage"] == 18


def test_refusals_name_row_column_and_reason() -> None:
    problems = parse_row("units", 418, _unit(purchase_date="31/02/2026", tag="U-0004176",
                                             status="borrowed", purchase_cost="-5"),
                         UNIT_MAP, EU, headers=UNIT_HEADERS)
    assert isinstance(problems, list)
    said = [str(p) for p in problems]
    assert "row 418, column Purchase date: 31/02/2026 is not a date (day/month order)" in said
    assert "row 418, column Asset tag: U-0004176: check digit does not match: mistyped?" in said
    assert any(s.startswith("row 418, column Status: borrowed is not one of: available, "
                            "checked out") for s in said)
    assert "row 418, column Cost: -5 is below zero" in said
    assert len(problems) == 4


def test_column_named_by_label_without_headers() -> None:
    problems = parse_row("units", 9, _unit(purchase_date="soon"), UNIT_MAP, EU)
    assert isinstance(problems, list)
    assert problems[0].column == "Purchase date"


def test_custodian_and_status_agree() -> None:
    out = parse_row("units", 5, _unit(status="checked out"), UNIT_MAP, EU, headers=UNIT_HEADERS)
    assert out == [Problem(5, "Owner", "is empty but the status is checked out: say who has it")]
    out = parse_row("units", 5, _unit(custodian="ann@example.org", status="lost"), UNIT_MAP, EU,
                    headers=UNIT_HEADERS)
    assert isinstance(out, list) and "only while checked out" in out[0].reason
    ok = parse_row("units", 5, _unit(custodian="ann@example.org", status="Checked_Out"), UNIT_MAP,
                   EU, headers=UNIT_HEADERS)
    assert isinstance(ok, ParsedRow) and ok.values["custodian"] == "ann@example.org"


def test_required_and_unmapped() -> None:
    mapping = {0: "sku", 1: "location", 2: "quantity"}
    out = parse_row("stock", 3, ["A-1", " ", "5"], mapping, Options(),
                    headers=["SKU", "Bin", "Qty"])
    assert out == [Problem(3, "Bin", "is empty")]
    ok = parse_row("stock", 3, ["A-1", "Main", "1,000,000"], mapping, Options())
    assert ok == ParsedRow(3, {"sku": "A-1", "location": ("Main",), "quantity": 1_000_000})
    short = parse_row("stock", 4, ["A-1", "Main"], {0: "sku", 1: "location"}, Options())
    assert isinstance(short, ParsedRow) and "quantity" not in short.values  # "leave as it is"
    with pytest.raises(ValueError):
        parse_row("stock", 4, ["x"], {0: "colour"}, Options())


def test_quantities_and_counts() -> None:
    mapping = {0: "sku", 1: "location", 2: "quantity"}
    for text, why in (("2.5", "not a whole number"), ("-1", "not a whole number"),
                      ("2000000000", "more than 1,000,000,000")):
        out = parse_row("stock", 2, ["A", "B", text], mapping, Options())
        assert isinstance(out, list) and why in out[0].reason


def test_the_readers_trouble_is_reported_for_mapped_columns_only() -> None:
    cells = FlaggedCells(["A-1", "=B2*2", "Main"], cells_trouble={1: "holds a formula"})
    out = parse_row("stock", 7, cells, {0: "sku", 2: "location"}, Options())
    assert isinstance(out, ParsedRow)
    out = parse_row("stock", 7, cells, {0: "sku", 1: "quantity", 2: "location"}, Options(),
                    headers=["SKU", "Qty", "Bin"])
    assert out == [Problem(7, "Qty", "holds a formula")]
    ragged = FlaggedCells(["A", "B"], row_trouble=["has 2 cells but the header has 3 columns"])
    out = parse_row("stock", 8, ragged, {0: "sku"}, Options())
    assert out == [Problem(8, "", "has 2 cells but the header has 3 columns")]
    assert str(out[0]) == "row 8: has 2 cells but the header has 3 columns"


@pytest.mark.parametrize(("kind", "mapping", "cells", "values"), [
    ("items", {0: "sku", 1: "tracking", 2: "barcodes", 3: "reorder_point", 4: "unit_cost",
               5: "allow_negative", 6: "custom_fields"},
     ["A-1", "Lot", "4006381333931", "5", "12.5", "yes", "V [v]: number"],
     {"sku": "A-1", "tracking": Tracking.LOT, "barcodes": ("04006381333931",),
      "reorder_point": 5, "unit_cost": Decimal("12.50"), "allow_negative": True,
      "custom_fields": (CustomField("v", "V", FieldType.NUMBER),)}),
    ("people", {0: "name", 1: "email", 2: "badge_code"}, ["Ann Lee", " ann@example.org ", "B-17"],
     {"name": "Ann Lee", "email": "ann@example.org", "badge_code": "B-17"}),
    ("locations", {0: "location"}, ["Main warehouse > Stockroom > Shelf B3"],
     {"location": ("Main warehouse", "Stockroom", "Shelf B3")}),
    ("stock", {0: "sku", 1: "location", 2: "lot", 3: "expires_on", 4: "quantity"},
     ["A-1", "Main", "L42", "2027-05-01", "40"],
     {"sku": "A-1", "location": ("Main",), "lot": "L42", "expires_on": dt.date(2027, 5, 1),
      "quantity": 40}),
])
def test_other_kinds(kind: str, mapping: dict[int, str], cells: list[str],
                     values: dict[str, object]) -> None:
    assert parse_row(kind, 2, cells, mapping, Options()) == ParsedRow(2, values)


@pytest.mark.parametrize(("kind", "key", "text", "why"), [
    ("items", "sku", "-A", "is not a SKU"), ("items", "tracking", "maybe", "is not one of"),
    ("items", "name", "x" * 201, "at most 200 characters"),
    ("items", "allow_negative", "perhaps", "not yes or no"),
    ("people", "email", "ann at example", "does not look like an email"),
    ("units", "tag", str(Tag(TagKind.LOCATION, 19)), "is a location tag"),
    ("units", "serial", "a\tb", "control"),
    ("items", "unit_cost", "1.234", "more than two decimals"),
])
def test_bad_cells(kind: str, key: str, text: str, why: str) -> None:
    out = parse_row(kind, 2, [text], {0: key}, Options())
    assert isinstance(out, list) and why in out[0].reason, out


@settings(max_examples=100, deadline=None)
@given(kind=st.sampled_from(list(FIELDS)), data=st.data(), day_first=st.booleans(),
       comma=st.booleans())
def test_any_cell_text_gives_values_or_reasons_never_a_crash(kind: str, data: st.DataObject,
                                                            day_first: bool,
                                                            comma: bool) -> None:
    fields = FIELDS[kind]
    cells = [data.draw(st.one_of(st.text(max_size=30), st.sampled_from(
        ["", " ", "1,5", "1.234,5", "31/02/2026", "2026-01-31", "U-0000019", "yes", "a > b",
         "4006381333931", "V [v]: number", "[{}]", "[1]", "nan", "1e999", "-0"])))
        for _ in fields]
    mapping = dict(enumerate(f.key for f in fields))
    out = parse_row(kind, 2, cells, mapping, Options(day_first=day_first, decimal_comma=comma))
    if isinstance(out, ParsedRow):
        assert set(out.values) == {f.key for f in fields}
    else:
        assert out and all(p.row == 2 and p.reason for p in out)

"""Spreadsheet import, the pure half: which columns each kind of row has, how a file's
headers are matched to them, and how one row's cells become typed values or reasons.

- Kinds and columns. `FIELDS[kind]` lists a kind's columns in export order. A column's
  `label` is the header an export writes and the first an import recognises; `synonyms`
  are what people also write ("S/N", "Qty", "Assigned to"). A units file carries its
  item's columns too (a row per unit, the item's columns repeated), so one file can bring
  items and their units. A unit's custom field value is the column `custom:<key>`, headed
  by the field's label.
- Values. `parse_row` gives typed values: str, int, Decimal, datetime.date, bool, a
  Tracking/Status/Condition, a tuple of str for a location path ("Main warehouse >
  Stockroom > Shelf B3" -> ("Main warehouse", "Stockroom", "Shelf B3")) and for barcodes
  (canonical 14-digit GTINs), a tuple of CustomField for an item's field definitions, and
  None for an empty cell. A column the mapping leaves out is absent from `values`: on an
  update it means "leave as it is".
- Numbers. The decimal mark is declared (Options.decimal_comma); the other mark may group
  thousands, in groups of three ("1,234.50" with a decimal point). A number that reads
  two ways is refused rather than guessed: "1,234" with a decimal point declared could be
  one thousand two hundred and thirty-four or, from a file written with decimal commas,
  one point two three four; the reason says which to write. Spaces may group thousands
  too; a currency sign around the number is dropped.
- Dates. ISO (2026-01-31, also 2026/01/31, and a date with a time of day from a
  spreadsheet) always; otherwise day/month/year or month/day/year as declared
  (Options.day_first), with "/", "." or "-" between and a four-digit year. A two-digit
  year is refused (which century?). An impossible date says so with the declared order,
  and when the other order would give a date, says that too.
- Reasons are in people's words and name the column by its header in the file:
  `str(Problem)` reads "row 418, column Purchase date: 31/02/2026 is not a date
  (day/month order)". Rows are numbered as the spreadsheet shows them (header: row 1).
- Trouble the file reader finds in a row (a ragged row, a cell too long, a formula) comes
  with the row's cells as `FlaggedCells`; parse_row reports it like any other problem, a
  cell's trouble only when its column is mapped (a formula in a column nobody imports is
  no one's business).

Only the checks one row can make on its own live here; duplicates across rows and what the
database holds are the apply side's (server/services/imports.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from server.domain.barcodes import gtin_problem
from server.domain.errors import DomainError
from server.domain.fields import MAX_BARCODES, max_chars
from server.domain.items import SKU_CHARS, CustomField, FieldType, check_custom_fields
from server.domain.locations import MAX_DEPTH
from server.domain.stock import MAX_QUANTITY
from server.domain.tags import Tag, TagKind
from server.domain.vocab import Condition, Status, Tracking

KINDS = ("items", "units", "stock", "locations", "people")

CUSTOM = "custom:"  # a unit's custom field value: custom:<field key>
PATH_SEPARATOR = ">"
MAX_CELL = 32_767  # the most characters a spreadsheet cell holds (Excel's limit)


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    synonyms: tuple[str, ...]
    # text | sku | name | serial | lot_code | email | person (a custodian: email, badge
    # code or name, resolved by the apply side) | int | count | decimal (money: two
    # decimals at most) | date | bool | tracking | status | condition | tag (a unit's,
    # canonical) | path (a location) | list (barcodes) | fields (custom field definitions)
    # | custom (a custom field's value)
    type: str
    required: bool = False


@dataclass(frozen=True)
class Options:
    day_first: bool = False
    decimal_comma: bool = False
    create_locations: bool = True
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row:,}" if self.row else "file"
        return f"{where}, column {self.column}: {self.reason}" if self.column else \
            f"{where}: {self.reason}"


@dataclass(frozen=True)
class ParsedRow:
    number: int
    values: dict[str, Any]


class FlaggedCells(list[str]):
    """A row's cells with the trouble the file reader found in them: `cells_trouble` maps
    a column index to a reason (a formula, a cell over MAX_CELL characters), `row_trouble`
    holds reasons for the whole row (ragged). Behaves as the plain list of cells
    otherwise."""

    def __init__(self, cells: Sequence[str], *, cells_trouble: Mapping[int, str] | None = None,
                 row_trouble: Sequence[str] = ()) -> None:
        super().__init__(cells)
        self.cells_trouble = dict(cells_trouble or {})
        self.row_trouble = tuple(row_trouble)


# --- the columns -------------------------------------------------------------------------

def _f(key: str, label: str, type_: str, *synonyms: str, required: bool = False) -> Field:
    return Field(key, label, tuple(synonyms), type_, required)


_SKU = _f("sku", "SKU", "sku", "item sku", "item code", "item number", "item no", "item id",
          "part number", "part no", "part", "product code", "product number", "article number",
          "article", "stock code", "catalog number", "catalogue number", required=True)
_ITEM_NAME = _f("name", "Name", "name", "item name", "item", "product", "product name",
                "title", "article name", "part name")
_ITEM_TAIL = (
    _f("category", "Category", "text", "group", "type", "item category", "class", "family"),
    _f("unit_of_measure", "Unit of measure", "text", "uom", "unit", "units", "measure",
       "unit of issue", "sold by"),
    _f("tracking", "Tracking", "tracking", "tracking mode", "tracked by", "track by",
       "tracking type", "mode"),
    _f("description", "Description", "text", "details", "notes", "item description"),
    _f("barcodes", "Barcodes", "list", "barcode", "ean", "upc", "gtin", "ean13", "ean 13",
       "upc a", "gtin 14"),
    _f("reorder_point", "Reorder point", "int", "reorder level", "reorder at", "min",
       "minimum", "min qty", "min stock", "minimum stock", "safety stock"),
    _f("unit_cost", "Unit cost", "decimal", "cost", "price", "unit price", "cost each",
       "price each", "item cost"),
    _f("loan_days", "Loan days", "int", "loan period", "loan period days", "lend days"),
    _f("allow_negative", "Allow negative", "bool", "negative stock", "allow negative stock"),
    _f("custom_fields", "Unit fields", "fields", "custom fields", "custom field definitions",
       "fields"),
)
_LOCATION = _f("location", "Location", "path", "location path", "path", "bin", "where",
               "place", "storage location", "stored at", "site", "shelf", "room")
_UNIT_TAIL = (
    _f("tag", "Tag", "tag", "asset tag", "tag number", "tag no", "asset number", "asset no",
       "asset id", "asset", "label", "unit tag"),
    _f("serial", "Serial", "serial", "serial number", "serial no", "sn", "s n", "serial num",
       "serialnumber", "serial code", "manufacturer serial"),
    _LOCATION,
    _f("custodian", "Custodian", "person", "owner", "assigned to", "assignee", "holder",
       "checked out to", "lent to", "loaned to", "borrower", "user", "employee",
       "custodian email", "custodian badge"),
    _f("status", "Status", "status", "state", "unit status"),
    _f("condition", "Condition", "condition", "unit condition", "state of repair"),
    _f("purchase_date", "Purchase date", "date", "purchased", "purchased on", "bought",
       "bought on", "date purchased", "date of purchase", "acquired", "acquisition date",
       "purchase dt", "in service date"),
    _f("purchase_cost", "Purchase cost", "decimal", "cost", "price", "purchase price",
       "value", "amount", "paid"),
    _f("warranty_end", "Warranty end", "date", "warranty", "warranty until",
       "warranty expires", "warranty expiry", "warranty end date", "warranty expiration",
       "under warranty until"),
)


def _without(f: Field, *dropped: str) -> Field:
    return Field(f.key, f.label, tuple(s for s in f.synonyms if s not in dropped), f.type,
                 f.required)


def _relabel(f: Field, label: str, *extra: str, required: bool | None = None) -> Field:
    return Field(f.key, label, (f.label.lower(), *f.synonyms, *extra), f.type,
                 f.required if required is None else required)


FIELDS: dict[str, tuple[Field, ...]] = {
    "items": (_SKU, _ITEM_NAME, *_ITEM_TAIL),
    # A units file: the item's columns (repeated on each unit's row), then the unit's. In a
    # units file "Cost" and "Price" are the unit's purchase cost; "Name" is the item's.
    "units": (
        _relabel(_SKU, "SKU", "item sku"),
        _relabel(_ITEM_NAME, "Item name"),
        *(_without(f, "cost", "price", "notes", "details", "type", "mode", "unit", "units")
          for f in _ITEM_TAIL),
        *_UNIT_TAIL,
    ),
    "stock": (
        _relabel(_SKU, "SKU"),
        _relabel(_LOCATION, "Location", required=True),
        _f("lot", "Lot", "lot_code", "lot code", "lot number", "lot no", "batch",
           "batch number", "batch no", "batch code"),
        _f("expires_on", "Expiry", "date", "expiry date", "expires", "expires on",
           "expiration", "expiration date", "exp", "exp date", "best before", "use by",
           "bbd"),
        _f("quantity", "Quantity", "count", "qty", "count", "on hand", "quantity on hand",
           "qoh", "stock", "amount", "units", "pieces", "pcs", required=True),
    ),
    "locations": (
        _relabel(_LOCATION, "Location", "location name", "name", required=True),
    ),
    "people": (
        _f("name", "Name", "name", "full name", "person", "person name", "employee",
           "employee name", "display name", required=True),
        _f("email", "Email", "email", "e mail", "email address", "mail", "e mail address"),
        _f("badge_code", "Badge code", "text", "badge", "badge number", "badge no",
           "badge id", "card", "card number", "employee number", "employee id", "staff id"),
    ),
}


def field_of(kind: str, key: str) -> Field | None:
    for f in FIELDS[kind]:
        if f.key == key:
            return f
    return None


def required_missing(kind: str, mapping: Mapping[int, str]) -> list[Field]:
    """The required columns of `kind` that `mapping` does not give."""
    given = set(mapping.values())
    return [f for f in FIELDS[kind] if f.required and f.key not in given]


# --- matching headers to columns ---------------------------------------------------------

def normalize_header(text: str) -> str:
    """Case, accents, spaces and punctuation ignored: "Serial No." and "serial-no" match."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", folded.lower())


def _index(kind: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    labels: dict[str, str] = {}
    keys: dict[str, str] = {}
    synonyms: dict[str, str] = {}
    for f in FIELDS[kind]:
        labels.setdefault(normalize_header(f.label), f.key)
        keys.setdefault(normalize_header(f.key), f.key)
        for s in f.synonyms:
            synonyms.setdefault(normalize_header(s), f.key)
    return labels, keys, synonyms


_INDEX = {kind: _index(kind) for kind in KINDS}


def guess_mapping(kind: str, headers: Sequence[str],
                  custom_fields: Mapping[str, str] | None = None) -> dict[int, str]:
    """Column index -> field key for the headers that name a column of `kind`. Labels
    first, then a unit's custom fields (label or key, given lower-cased -> "custom:<key>"),
    then column keys, then synonyms; each field takes the first column that names it, so
    "Serial" wins over "S/N" wherever they stand. Unmatched columns are left out."""
    if kind not in FIELDS:
        raise ValueError(f"unknown kind {kind!r}")
    labels, keys, synonyms = _INDEX[kind]
    custom: dict[str, str] = {}
    for name, target in (custom_fields or {}).items():
        custom.setdefault(normalize_header(name), target)
        custom.setdefault(normalize_header(target), target)  # "custom:voltage"
    names = [normalize_header(h) for h in headers]
    out: dict[int, str] = {}
    taken: set[str] = set()
    for table in (labels, custom, keys, synonyms):
        for i, name in enumerate(names):
            if i in out or not name:
                continue
            found = table.get(name)
            if found is not None and found not in taken:
                out[i] = found
                taken.add(found)
    return dict(sorted(out.items()))


# --- typing one cell ---------------------------------------------------------------------

class _Bad(Exception):
    """Why a cell's text is not a value of its column (people's words)."""


_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")
_CURRENCY = "$€£¥₹¢₩₽₺ "
_CODE = re.compile(r"(?:(?:USD|EUR|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|PLN|CZK)\s*)?(.*?)"
                   r"(?:\s*(?:USD|EUR|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|PLN|CZK))?")


def _number_patterns(decimal_comma: bool) -> tuple[re.Pattern[str], str, str]:
    dec, grp = (",", ".") if decimal_comma else (".", ",")
    pattern = re.compile(r"[+-]?(?:\d+|\d{1,3}(?:" + re.escape(grp) + r"\d{3})+)(?:"
                         + re.escape(dec) + r"\d+)?")
    return pattern, dec, grp


_NUMBERS = {False: _number_patterns(False), True: _number_patterns(True)}
_PLAIN = re.compile(r"-?[0-9]{1,15}")  # the same in every convention


def parse_decimal(text: str, decimal_comma: bool = False) -> Decimal:
    """A number as people write it, with the declared decimal mark. Raises _Bad."""
    if _PLAIN.fullmatch(text):
        return Decimal(text)
    raw = text.strip()
    if raw[:1].isalpha() or raw[-1:].isalpha():  # a currency's code: CHF 12.50
        raw_code = _CODE.fullmatch(raw)
        s = raw_code.group(1) if raw_code else raw
    else:
        s = raw
    s = s.translate(_SPACES) if any(c in s for c in " \u00a0\u202f\u2009") else s
    s = s.strip(_CURRENCY) if s and (s[0] in _CURRENCY or s[-1] in _CURRENCY) else s
    pattern, dec, grp = _NUMBERS[decimal_comma]
    mark = "comma" if decimal_comma else "point"
    if not pattern.fullmatch(s):
        if "e" in s.lower():
            try:
                value = Decimal(s)
            except InvalidOperation:
                value = None
            if value is not None and value.is_finite() and (
                    not value or -15 < value.adjusted() < 15):
                return value
        if grp in s and dec not in s and s.count(grp) == 1 and re.fullmatch(
                r"[+-]?\d+" + re.escape(grp) + r"\d+", s):
            raise _Bad(f"{raw} is not a number: decimals are declared with a {mark} "
                       f"(write {s.replace(grp, dec)})")
        raise _Bad(f"{raw} is not a number")
    if grp in s and dec not in s and s.count(grp) == 1:
        # "1,234" reads as 1234 with a decimal point and as 1.234 with a decimal comma
        plain = s.replace(grp, "")
        raise _Bad(f"{raw} is ambiguous: write {plain} (or {s.replace(grp, dec)} if "
                   f"{grp} is the decimal mark and the setting says {mark})")
    return Decimal(s.replace(grp, "").replace(dec, "."))


def format_decimal(value: Decimal, decimal_comma: bool = False) -> str:
    """The text `parse_decimal` reads back as `value` (no grouping, no exponent)."""
    text = format(value, "f")
    return text.replace(".", ",") if decimal_comma else text


_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DMY = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def parse_date(text: str, day_first: bool = False) -> dt.date:
    """A date in ISO form or in the declared day/month order. Raises _Bad."""
    s = text.strip()
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        try:
            return dt.date(int(s[:4]), int(s[5:7]), int(s[8:]))
        except ValueError:
            pass
    order = "day/month" if day_first else "month/day"
    if m := _ISO.fullmatch(s):
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise _Bad(f"{s} is not a date (year-month-day)") from None
    if m := _DMY.fullmatch(s):
        a, b, year = int(m.group(1)), int(m.group(3)), m.group(4)
        if len(year) != 4:
            raise _Bad(f"{s} is not a date: write the year with four digits")
        day, month = (a, b) if day_first else (b, a)
        try:
            return dt.date(int(year), month, day)
        except ValueError:
            pass
        try:
            other = dt.date(int(year), day, month)
        except ValueError:
            raise _Bad(f"{s} is not a date ({order} order)") from None
        other_order = "month/day" if day_first else "day/month"
        raise _Bad(f"{s} is not a date ({order} order; in {other_order} order it would be "
                   f"{other.day} {_MONTHS[other.month - 1]} {other.year})")
    raise _Bad(f"{s} is not a date: write it like 2026-01-31 or "
               f"{'31/01/2026' if day_first else '01/31/2026'}")


_TRUE = frozenset({"yes", "y", "true", "t", "1", "x", "on", "ja", "oui", "si"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "off", "nein", "non"})


def _words(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


_TRACKING = {
    **{w: Tracking.QUANTITY for w in ("quantity", "qty", "count", "counted", "bulk",
                                      "consumable", "plain count")},
    **{w: Tracking.LOT for w in ("lot", "lots", "batch", "batches", "by lot")},
    **{w: Tracking.SERIAL for w in ("serial", "serialized", "serialised", "serials",
                                    "unit", "units", "individual", "asset", "by unit")},
}
_STATUS = {
    **{_words(s.value): s for s in Status},
    "out": Status.CHECKED_OUT, "on loan": Status.CHECKED_OUT, "lent": Status.CHECKED_OUT,
    "loaned": Status.CHECKED_OUT, "in use": Status.CHECKED_OUT,
    "repair": Status.IN_REPAIR, "in service": Status.AVAILABLE, "missing": Status.LOST,
    "disposed": Status.RETIRED,
}
_CONDITION = {
    **{_words(c.value): c for c in Condition},
    "ok": Condition.WORKING, "good": Condition.WORKING, "needs service": Condition.NEEDS_REPAIR,
    "broken": Condition.DAMAGED,
}


def _enum(table: Mapping[str, Any], said: Sequence[str]) -> Callable[[str, Options], Any]:
    def parse(text: str, options: Options) -> Any:
        found = table.get(text)
        if found is None:
            found = table.get(_words(text))
        if found is None:
            raise _Bad(f"{text.strip()} is not one of: {', '.join(said)}")
        return found
    return parse


def _limit(key: str, text: str) -> str:
    most = max_chars(key)
    if most is not None and len(text) > most:
        raise _Bad(f"at most {most:,} characters (this has {len(text):,})")
    return text


_CONTROL = re.compile(r"[\x00-\x1f]")


def _printable(text: str) -> str:
    if _CONTROL.search(text):
        raise _Bad("holds a control character (a tab or line break?)")
    return text


_SKU_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._/-]{{0,{SKU_CHARS - 1}}}")


def _sku(text: str, options: Options) -> str:
    s = text.strip()
    if not _SKU_RE.fullmatch(s):
        raise _Bad(f"{s} is not a SKU: 1-{SKU_CHARS} letters, digits or . _ / - starting "
                   "with a letter or digit")
    return s


def _text_of(key: str, printable: bool = False) -> Callable[[str, Options], str]:
    most = max_chars(key) or MAX_CELL
    control = _CONTROL.search

    def parse(text: str, options: Options) -> str:
        text = text.strip()
        if len(text) > most:
            raise _Bad(f"at most {most:,} characters (this has {len(text):,})")
        if printable and control(text):
            raise _Bad("holds a control character (a tab or line break?)")
        return text
    return parse


_name = _text_of("name", printable=True)
_serial = _text_of("serial", printable=True)
_lot = _text_of("lot", printable=True)


def _int(text: str, options: Options) -> int:
    value = parse_decimal(text, options.decimal_comma)
    if value != value.to_integral_value() or value < 0:
        raise _Bad(f"{text.strip()} is not a whole number, zero or more")
    if value > MAX_QUANTITY:
        raise _Bad(f"{text.strip()} is more than {MAX_QUANTITY:,}")
    return int(value)


def _count(text: str, options: Options) -> int:
    return _int(text, options)


_CENT = Decimal("0.01")
_MAX_MONEY = Decimal("9999999999.99")  # Numeric(12, 2)


_PLAIN_MONEY = {False: re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?"),
                True: re.compile(r"[0-9]{1,10}(?:,[0-9]{1,2})?")}


def _money(text: str, options: Options) -> Decimal:
    if _PLAIN_MONEY[options.decimal_comma].fullmatch(text):  # the common case
        return Decimal(text.replace(",", ".")).quantize(_CENT)
    value = parse_decimal(text, options.decimal_comma)
    if value < 0:
        raise _Bad(f"{text.strip()} is below zero")
    if value > _MAX_MONEY:
        raise _Bad(f"{text.strip()} is more than {_MAX_MONEY:,}")
    if value != value.quantize(_CENT):
        raise _Bad(f"{text.strip()} has more than two decimals")
    return value.quantize(_CENT)


def _date(text: str, options: Options) -> dt.date:
    return parse_date(text, options.day_first)


def _bool(text: str, options: Options) -> bool:
    w = _words(text)
    if w in _TRUE:
        return True
    if w in _FALSE:
        return False
    raise _Bad(f"{text.strip()} is not yes or no")


_UNIT_TAG = re.compile(r"U-([0-9]{6,})([0-9])")
_DAMM = ((0, 3, 1, 7, 5, 9, 8, 6, 4, 2), (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
         (4, 2, 0, 6, 8, 7, 1, 3, 5, 9), (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
         (6, 1, 2, 3, 0, 4, 5, 9, 7, 8), (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
         (5, 8, 6, 9, 7, 2, 0, 1, 3, 4), (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
         (9, 4, 3, 8, 6, 1, 7, 2, 0, 5), (2, 5, 8, 1, 4, 3, 6, 7, 9, 0))
_U_INTERIM = 0
for _d in "85":  # str(ord("U")): the tag's kind is folded into its check digit (tags.py)
    _U_INTERIM = _DAMM[_U_INTERIM][int(_d)]


def _tag(text: str, options: Options) -> str:
    m = _UNIT_TAG.fullmatch(text)
    if m is not None:  # the common case, checked here without building a Tag
        digits, check = m.groups()
        if (len(digits) == 6 or digits[0] != "0") and digits != "000000":
            interim = _U_INTERIM
            for d in digits:
                interim = _DAMM[interim][ord(d) - 48]
            if interim == ord(check) - 48:
                return text
    try:
        tag = Tag.parse(text)
    except DomainError as e:
        shown = text.strip()
        raise _Bad(e.message if shown in e.message else f"{shown}: {e.message}") from None
    if tag.kind is not TagKind.UNIT:
        raise _Bad(f"{tag} is a {tag.kind.noun} tag, not a unit's")
    return str(tag)


def parse_path(text: str) -> tuple[str, ...]:
    """"Main warehouse > Stockroom > Shelf B3" -> its names from the top. Raises _Bad."""
    parts = tuple(p.strip() for p in text.split(PATH_SEPARATOR))
    if any(not p for p in parts):
        raise _Bad(f"{text.strip()} has an empty place between '>' marks")
    if len(parts) > MAX_DEPTH:
        raise _Bad(f"locations nest at most {MAX_DEPTH} deep (this is {len(parts)})")
    most = max_chars("name") or 200
    for p in parts:
        if len(p) > most:
            raise _Bad(f"a location name has at most {most} characters ({p[:30]}... has "
                       f"{len(p):,})")
        _printable(p)
    return parts


def format_path(names: Sequence[str]) -> str:
    return f" {PATH_SEPARATOR} ".join(names)


def _path(text: str, options: Options) -> tuple[str, ...]:
    return parse_path(text)


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _email(text: str, options: Options) -> str:
    s = _limit("email", text.strip())
    if not _EMAIL.fullmatch(s):
        raise _Bad(f"{s} does not look like an email address")
    return s


def _person(text: str, options: Options) -> str:
    s = text.strip()
    most = max_chars("email") or 254
    if len(s) > most:
        raise _Bad(f"at most {most} characters (this has {len(s):,})")
    return _printable(s)


_LIST_SPLIT = re.compile(r"[\s,;|]+")


def parse_barcodes(text: str) -> tuple[str, ...]:
    """Barcodes separated by spaces, commas, semicolons or line breaks -> canonical GTINs
    (14 digits), each once, in the order given. Raises _Bad."""
    out: list[str] = []
    for code in _LIST_SPLIT.split(text.strip()):
        if not code:
            continue
        digits = code.replace("-", "")
        problem = gtin_problem(digits)
        if problem is not None:
            raise _Bad(f"{code} is not a barcode: {problem}")
        gtin = digits.zfill(14)
        if gtin not in out:
            out.append(gtin)
    if len(out) > MAX_BARCODES:
        raise _Bad(f"an item has at most {MAX_BARCODES} barcodes (this lists {len(out)})")
    return tuple(out)


def _barcodes(text: str, options: Options) -> tuple[str, ...]:
    return parse_barcodes(text)


# Custom field definitions in one cell: JSON as CustomField.to_dict writes it, or the
# short form `format_custom_fields` writes: `Label [key]: type*` separated by ";", with
# choices in brackets: `Colour [colour]: choice(red|green|blue)`; `*` marks it required.
_DEF = re.compile(r"\s*(?:(?P<label>[^\[\];:]+?)\s*\[(?P<key>[^\]]*)\]|(?P<bare>[A-Za-z]\w*))"
                  r"\s*:\s*(?P<type>[a-z]+)\s*(?:\((?P<choices>[^)]*)\))?\s*(?P<req>\*)?\s*")


def parse_custom_fields(text: str) -> tuple[CustomField, ...]:
    s = text.strip()
    if s.startswith("["):
        try:
            raw = json.loads(s)
        except ValueError:
            raise _Bad("is not readable JSON (a list of fields)") from None
        if not isinstance(raw, list) or not all(isinstance(d, dict) for d in raw):
            raise _Bad("must be a list of fields")
        defs: list[dict[str, Any]] = raw
    else:
        defs = []
        for part in s.split(";"):
            if not part.strip():
                continue
            m = _DEF.fullmatch(part)
            if m is None:
                raise _Bad(f"{part.strip()} is not a field: write it like "
                           "Voltage [voltage]: number, or Colour [colour]: choice(red|blue)")
            key = (m.group("key") or m.group("bare") or "").strip()
            defs.append({"key": key, "label": (m.group("label") or key).strip(),
                         "type": m.group("type"), "required": bool(m.group("req")),
                         "choices": [c.strip() for c in (m.group("choices") or "").split("|")
                                     if c.strip()]})
    try:
        return check_custom_fields(defs)
    except DomainError as e:
        raise _Bad(e.message) from None


def format_custom_fields(defs: Sequence[CustomField]) -> str:
    """The short form of field definitions; parse_custom_fields reads it back, except for
    labels or choices holding [ ] ; : ( ) | (written as JSON then)."""
    plain = all(not re.search(r"[\[\];:()|]", d.label + "".join(d.choices)) and
                all(c == c.strip() for c in d.choices) and d.label == d.label.strip()
                and d.label for d in defs)
    if not plain:
        return json.dumps([d.to_dict() for d in defs], ensure_ascii=False)
    return "; ".join(
        f"{d.label} [{d.key}]: {d.type.value}"
        + (f"({'|'.join(d.choices)})" if d.choices else "") + ("*" if d.required else "")
        for d in defs)


def _fields(text: str, options: Options) -> tuple[CustomField, ...]:
    return parse_custom_fields(text)


_custom_text = _text_of("custom")


def custom_value(definition: CustomField, text: str, options: Options) -> Any:
    """A unit's custom field value typed by its definition, as check_custom_values keeps
    it (number: int or float, date: ISO text, boolean: bool, choice: one of the choices).
    Raises ValueError with the reason."""
    try:
        return _custom(definition, text, options)
    except _Bad as e:
        raise ValueError(str(e)) from None


def _custom(d: CustomField, text: str, options: Options) -> Any:
    s = text.strip()
    if d.type is FieldType.TEXT:
        return _limit("custom", s)
    if d.type is FieldType.NUMBER:
        number = parse_decimal(s, options.decimal_comma)
        return int(number) if number == number.to_integral_value() else float(number)
    if d.type is FieldType.DATE:
        return parse_date(s, options.day_first).isoformat()
    if d.type is FieldType.BOOLEAN:
        return _bool(s, options)
    if s in d.choices:
        return s
    for choice in d.choices:  # case and spacing as people type them
        if _words(choice) == _words(s):
            return choice
    raise _Bad(f"{s} is not one of: {', '.join(d.choices)}")


_PARSERS: dict[str, Callable[[str, Options], Any]] = {
    "text": _text_of("category"),
    "sku": _sku,
    "name": _name,
    "int": _int,
    "count": _count,
    "decimal": _money,
    "date": _date,
    "bool": _bool,
    "tracking": _enum(_TRACKING, [t.value for t in Tracking]),
    "status": _enum(_STATUS, [_words(s.value) for s in Status]),
    "condition": _enum(_CONDITION, [_words(c.value) for c in Condition]),
    "tag": _tag,
    "serial": _serial,
    "lot_code": _lot,
    "path": _path,
    "email": _email,
    "person": _person,
    "list": _barcodes,
    "fields": _fields,
    "custom": _custom_text,
}


def _memo(parse: Callable[[str, Options], Any]) -> Callable[[str, Options], Any]:
    """`parse` remembering its answers: dates, paths and amounts repeat down a column."""
    cache: dict[tuple[str, bool, bool], Any] = {}

    def parse_memo(text: str, options: Options) -> Any:
        key = (text, options.day_first, options.decimal_comma)
        found = cache.get(key, cache)
        if found is not cache:
            return found
        value = parse(text, options)
        if len(cache) >= 50_000:
            cache.clear()
        cache[key] = value
        return value
    return parse_memo


_MEMO = frozenset({"date", "decimal", "path", "int", "count", "list", "fields"})


def _parser(f: Field) -> Callable[[str, Options], Any]:
    if f.type == "text":
        return _text_of(f.key)
    parse = _PARSERS[f.type]
    return _memo(parse) if f.type in _MEMO else parse


_BY_KEY: dict[str, dict[str, tuple[Field, Callable[[str, Options], Any]]]] = {
    kind: {f.key: (f, _parser(f)) for f in fields} for kind, fields in FIELDS.items()
}
_CUSTOM_FIELD = Field("custom", "", (), "custom")


# --- one row -----------------------------------------------------------------------------

def parse_row(kind: str, number: int, cells: Sequence[str], mapping: Mapping[int, str],
              options: Options, *, headers: Sequence[str] | None = None,
              custom_fields: Mapping[str, CustomField] | None = None
              ) -> ParsedRow | list[Problem]:
    """Type and check one row on its own. `mapping`: column index -> field key (or
    custom:<key>). `headers` (the file's) name columns in the reasons; without them a
    column is named by its field's label. `custom_fields` (key -> definition), when the
    caller knows the item's, types custom values; otherwise they stay text.
    Cell text is taken as it is: CSV cells are restored (server.domain.cells) by the
    reader."""
    plan = _plan(kind, mapping, headers, custom_fields)
    values: dict[str, Any] = {}
    problems: list[Problem] | None = None
    flagged = cells if isinstance(cells, FlaggedCells) else None
    if flagged is not None:
        problems = [Problem(number, "", why) for why in flagged.row_trouble]
    width = len(cells)
    for i, key, column, parse, required in plan:
        if flagged is not None and i in flagged.cells_trouble:
            problems.append(Problem(number, column, flagged.cells_trouble[i]))  # type: ignore[union-attr]
            continue
        text = cells[i] if i < width else ""
        if not text or text.isspace():
            if required:
                problems = problems or []
                problems.append(Problem(number, column, "is empty"))
            values[key] = None
            continue
        try:
            values[key] = parse(text, options)
        except _Bad as e:
            problems = problems or []
            problems.append(Problem(number, column, str(e)))
    if problems:
        return problems
    if kind == "units":
        problems = _row_checks(kind, number, values, mapping, headers)
        if problems:
            return problems
    return ParsedRow(number, values)


_Step = tuple[int, str, str, Callable[[str, Options], Any], bool]
_PLANS: dict[Any, list[_Step]] = {}


def _plan(kind: str, mapping: Mapping[int, str], headers: Sequence[str] | None,
          custom_fields: Mapping[str, CustomField] | None) -> list[_Step]:
    """What parse_row does for each mapped column, worked out once per mapping."""
    cache_key = (kind, tuple(mapping.items()), None if headers is None else tuple(headers),
                 None if not custom_fields else tuple(custom_fields.items()))
    plan = _PLANS.get(cache_key)
    if plan is not None:
        return plan
    fields = _BY_KEY[kind]
    plan = []
    for i, key in mapping.items():
        found = fields.get(key)
        if found is not None:
            f, parse = found
        elif key.startswith(CUSTOM):
            f, parse = Field(key, key.removeprefix(CUSTOM), (), "custom"), _custom_text
            definition = (custom_fields or {}).get(key.removeprefix(CUSTOM))
            if definition is not None:
                f = Field(key, definition.label, (), "custom", definition.required)
                parse = _custom_parser(definition)
        else:
            raise ValueError(f"{key!r} is not a column of {kind}")
        column = f.label
        if headers is not None and i < len(headers) and headers[i].strip():
            column = headers[i].strip()
        plan.append((i, key, column, parse, f.required))
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[cache_key] = plan
    return plan


def _custom_parser(d: CustomField) -> Callable[[str, Options], Any]:
    def parse(text: str, options: Options) -> Any:
        return _custom(d, text, options)
    return parse


def _row_checks(kind: str, number: int, values: dict[str, Any], mapping: Mapping[int, str],
                headers: Sequence[str] | None) -> list[Problem]:
    if kind != "units":
        return []
    out = []
    status = values.get("status")
    if "custodian" in values and "status" in values:
        custodian = values["custodian"]
        if status is Status.CHECKED_OUT and custodian is None:
            out.append(Problem(number, _header_of("custodian", kind, mapping, headers),
                               "is empty but the status is checked out: say who has it"))
        elif custodian is not None and status not in (None, Status.CHECKED_OUT):
            out.append(Problem(number, _header_of("custodian", kind, mapping, headers),
                               f"names {custodian} but the status is {_words(status.value)}: "
                               "a unit has a custodian only while checked out"))
    return out


def _header_of(key: str, kind: str, mapping: Mapping[int, str],
               headers: Sequence[str] | None) -> str:
    for i, k in mapping.items():
        if k == key:
            if headers is not None and i < len(headers) and headers[i].strip():
                return headers[i].strip()
            break
    f = field_of(kind, key)
    return f.label if f else key

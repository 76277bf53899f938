"""The fields people fill in, defined once: the words a refusal uses for each, and the most
characters its text may hold.

- Words. Code names a field by its key (`serial_pattern`, `custom_fields[2].key`); people
  read "serial pattern", "key of unit field 3". Every DomainError's message passes through
  `in_words` (server/domain/errors.py), so a refusal reads the same on a page, in a problem
  detail and on the phone, while `field` keeps the key for machines and for the form that
  marks the field.
- Lengths. The checks of the domain and of the pages' forms (server/http/pages/common.py
  read_form) refuse text longer than `max_chars(key)`, and the pages' inputs carry the
  same number as their maxlength: a browser stops typing exactly where the server would
  refuse. Lists typed into one box (serials, tags) are limited by how many they hold, not
  by characters, and carry no maxlength.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Field:
    words: str  # as in a sentence: "serial pattern"
    max_chars: int | None = None
    max_items: int | None = None  # a list typed into one box: this many at most


MAX_BULK = 10_000  # units made at once (serials, counts, patterns)
MAX_LABELS = 5_000  # labels in one batch
MAX_BARCODES = 20  # barcodes of one item
COST_CHARS = 15  # 999,999,999,999.99 and a sign to spare

FIELDS: dict[str, Field] = {
    # items
    "sku": Field("SKU", 64),
    "name": Field("name", 200),
    "category": Field("category", 100),
    "description": Field("description", 2000),
    "unit_of_measure": Field("unit of measure", 30),
    "barcodes": Field("barcodes", MAX_BARCODES * 15),  # 14 digits and a space each
    "reorder_point": Field("reorder point", 10),
    "loan_days": Field("loan period", 4),
    "unit_cost": Field("unit cost", COST_CHARS),
    "custom_fields": Field("unit fields"),
    "custom_fields.rows": Field("number of unit fields", 3),
    "custom_fields.key": Field("key", 40),
    "custom_fields.label": Field("label", 100),
    "custom_fields.choices": Field("choices", 1000),
    "custom_fields.type": Field("type"),
    "custom_fields.required": Field("required"),
    "custom": Field("value", 500),  # a unit's custom field (custom.KEY)
    # units
    "serial": Field("serial", 100),
    "serials": Field("serials", max_items=MAX_BULK),
    "serial_pattern": Field("serial pattern", 120),
    "count": Field("count", 5),
    "purchase_cost": Field("purchase cost", COST_CHARS),
    "purchase_date": Field("purchase date"),
    "warranty_end": Field("warranty end"),
    "override_reason": Field("reason to lend it anyway", 500),
    "on_checked_out": Field("checked-out units"),
    # stock, lots, loans
    "lot": Field("lot code", 100),
    "expires_on": Field("expiry date"),
    "due_at": Field("due date"),
    "due_time": Field("due time"),
    "from_location": Field("from location"),
    "to_location": Field("to location"),
    "note": Field("note", 1000),
    "reason": Field("reason", 500),
    # people
    "email": Field("email", 254),
    "badge_code": Field("badge code", 100),
    # labels
    "tag": Field("tag", 20),
    "tags": Field("tags", max_items=MAX_LABELS),
    "first": Field("first tag", 20),
    "last": Field("last tag", 20),
    "start_at": Field("start position", 4),
    # accounts, search
    "username": Field("username", 100),
    "password": Field("password", 1000),
    "current_password": Field("current password", 1000),
    "new_password": Field("new password", 1000),
    "confirm_password": Field("repeated password", 1000),
    "time_zone": Field("time zone", 64),
    "q": Field("search", 200),
    # service records (server/services/maintenance.py)
    "vendor": Field("vendor", 200),
    "performed_by": Field("done by", 200),
    "notes": Field("notes", 4000),
    "cost": Field("cost", COST_CHARS),
    "planned_on": Field("planned date"),
}

_ROW = re.compile(r"custom_fields\[(\d+)\]\.(\w+)")
_CUSTOM = re.compile(r"\bcustom\.([a-z][a-z0-9_]*)")
# keys that read as code: words joined by _ (serial_pattern), so never plain English
_KEYS = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in FIELDS if "_" in k),
                                             key=len, reverse=True)) + r")\b")


def field(key: str) -> Field | None:
    """The definition for a form's field name: custom_fields[3].label and custom.voltage
    share their kind's."""
    if (found := FIELDS.get(key)) is not None:
        return found
    if row := _ROW.fullmatch(key):
        return FIELDS.get(f"custom_fields.{row.group(2)}")
    if key.startswith("custom."):
        return FIELDS["custom"]
    return None


def max_chars(key: str) -> int | None:
    found = field(key)
    return found.max_chars if found else None


def words(key: str) -> str:
    """How a refusal names the field: "serial pattern", "key of unit field 3"."""
    if row := _ROW.fullmatch(key):
        kind = FIELDS.get(f"custom_fields.{row.group(2)}")
        return f"{kind.words if kind else row.group(2)} of unit field {int(row.group(1)) + 1}"
    if key.startswith("custom."):
        return key.removeprefix("custom.").replace("_", " ")
    found = FIELDS.get(key)
    return found.words if found else key.replace("_", " ")


def in_words(message: str) -> str:
    """A message with each field key in it said in words. Keys of plain words (name,
    count, note) stay as they are."""
    message = _ROW.sub(lambda m: words(m.group(0)), message)
    message = _CUSTOM.sub(lambda m: words(m.group(0)), message)
    return _KEYS.sub(lambda m: FIELDS[m.group(1)].words, message)


def too_long(key: str, value: str) -> str | None:
    """Why `value` is too long for the field `key`, or None."""
    most = max_chars(key)
    if most is None or len(value) <= most:
        return None
    return f"{words(key)}: at most {most:,} characters (this has {len(value):,})"


def check_length(key: str, value: str) -> str:
    """`value`, or InvalidInput naming the field when it is longer than the field takes."""
    if (why := too_long(key, value)) is not None:
        from server.domain.errors import InvalidInput  # errors uses in_words: no cycle

        raise InvalidInput(why, field=key, code="too_long",
                           details={"limit": max_chars(key), "length": len(value)})
    return value

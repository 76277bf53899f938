"""Catalog items: what an item is, its custom field definitions and the checks on them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from server.domain.errors import Conflict, InvalidInput
from server.domain.fields import check_length, max_chars
from server.domain.vocab import Tracking

SKU_CHARS = max_chars("sku") or 64
_SKU = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._/-]{{0,{SKU_CHARS - 1}}}$")
_FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class CustomField:
    key: str
    label: str
    type: FieldType
    required: bool = False
    choices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "type": self.type.value,
            "required": self.required,
            "choices": list(self.choices),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomField:
        return cls(
            key=data["key"],
            label=data.get("label") or data["key"],
            type=FieldType(data["type"]),
            required=bool(data.get("required")),
            choices=tuple(data.get("choices") or ()),
        )


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    sku: str
    name: str
    tracking: Tracking
    description: str = ""
    category: str = ""
    unit_of_measure: str = "each"
    reorder_point: int | None = None
    unit_cost: Decimal | None = None
    allow_negative: bool = False
    archived: bool = False
    loan_days: int | None = None  # a check-out's default loan period (0: no due date)
    regulated: bool = False  # a rule, a recall or an auditor may ask for its history
    barcodes: tuple[str, ...] = ()
    custom_fields: tuple[CustomField, ...] = field(default_factory=tuple)
    version: int = 1

    def ensure_active(self, doing: str) -> None:
        if self.archived:
            raise Conflict(f"item {self.sku} is archived: cannot {doing}", code="item_archived")

    def ensure_tracking(self, *allowed: Tracking, doing: str) -> None:
        if self.tracking not in allowed:
            raise Conflict(
                f"item {self.sku} is tracked by {self.tracking}: cannot {doing}",
                code="wrong_tracking",
                details={"tracking": self.tracking.value},
            )


def check_sku(sku: str) -> str:
    sku = sku.strip()
    if not _SKU.match(sku):
        raise InvalidInput(
            f"SKU must be 1-{SKU_CHARS} letters, digits or . _ / - and start with a letter "
            "or digit",
            field="sku",
        )
    return sku


def check_name(name: str, field_name: str = "name") -> str:
    name = name.strip()
    if not name:
        raise InvalidInput(f"{field_name} must not be empty", field=field_name)
    most = max_chars("name") or 200
    if len(name) > most:
        raise InvalidInput(f"{field_name} is longer than {most} characters", field=field_name)
    return name


def check_custom_fields(defs: list[dict[str, Any]]) -> tuple[CustomField, ...]:
    seen: set[str] = set()
    out = []
    for i, d in enumerate(defs):
        where = f"custom_fields[{i}]"
        key = check_length(f"{where}.key", str(d.get("key", "")))
        label = check_length(f"{where}.label", str(d.get("label") or key))
        if not _FIELD_KEY.match(key):
            raise InvalidInput(
                f"{where}.key must be lower-case letters, digits or _ and start with a letter",
                field=f"{where}.key",
            )
        if key in seen:
            raise InvalidInput(f"{where}.key {key!r} is defined twice", field=f"{where}.key")
        seen.add(key)
        try:
            ftype = FieldType(str(d.get("type")))
        except ValueError:
            raise InvalidInput(
                f"{where}.type must be one of {', '.join(FieldType)}", field=f"{where}.type"
            ) from None
        choices = tuple(str(c) for c in d.get("choices") or ())
        check_length(f"{where}.choices", ", ".join(choices))  # as the form shows them
        if ftype is FieldType.CHOICE and not choices:
            raise InvalidInput(
                f"{where}.choices must list at least one choice", field=f"{where}.choices"
            )
        out.append(
            CustomField(
                key=key,
                label=label,
                type=ftype,
                required=bool(d.get("required")),
                choices=choices,
            )
        )
    return tuple(out)


def check_custom_values(defs: tuple[CustomField, ...], values: dict[str, Any]) -> dict[str, Any]:
    """Validate a unit's custom field values against its item's definitions and return
    them in canonical JSON-ready form (dates as ISO strings)."""
    by_key = {d.key: d for d in defs}
    unknown = sorted(set(values) - set(by_key))
    if unknown:
        raise InvalidInput(
            f"custom.{unknown[0]} is not a field of this item", field=f"custom.{unknown[0]}"
        )
    out: dict[str, Any] = {}
    for d in defs:
        value = values.get(d.key)
        if value is None or value == "":
            if d.required:
                raise InvalidInput(f"{d.label or d.key} is required", field=f"custom.{d.key}")
            continue
        out[d.key] = _coerce(d, value)
    return out


def _coerce(d: CustomField, value: Any) -> Any:
    where, said = f"custom.{d.key}", d.label or d.key  # the key for machines, the label for people
    if d.type is FieldType.TEXT:
        return check_length(where, str(value))
    if d.type is FieldType.NUMBER:
        if isinstance(value, bool):
            raise InvalidInput(f"{said} must be a number", field=where)
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise InvalidInput(f"{said} must be a number, not {value}", field=where) from None
        if not number.is_finite():
            raise InvalidInput(f"{said} must be a finite number", field=where)
        return int(number) if number == number.to_integral_value() else float(number)
    if d.type is FieldType.DATE:
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise InvalidInput(f"{said} must be a date like 2026-01-31", field=where) from None
    if d.type is FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        raise InvalidInput(f"{said} must be true or false", field=where)
    if str(value) not in d.choices:
        raise InvalidInput(f"{said} must be one of: {', '.join(d.choices)}", field=where)
    return str(value)

"""Planning an import: what a spreadsheet's typed rows would change, decided against a
snapshot of the records they name, before anything is written.

The plan is the whole answer of a dry run (counts of create / update / unchanged / error
per record kind, the field-level differences of every update, every problem with its row,
column and reason) and the exact list of writes of a commit. Planning is pure and takes the
whole file at once, so every cross-row rule is decided here:

- natural keys: an item by SKU (ignoring case); a unit by tag, else by item + serial; a
  location by its path (names ignoring case, "Main warehouse > Stockroom > Shelf B3"); a
  person by email (ignoring case), else badge code, else a name only one person has; a lot
  by item + code; a stock row by item + location + lot;
- a key twice in one file is an error on its later row, naming the first;
- an item's columns repeated on many unit rows must agree with the first of them;
- a row whose tracking mode differs from its item's is an error pointing to the conversion;
- an empty cell leaves a stored value as it is (a spreadsheet's gaps never erase);
- records the file itself creates get negative ids here (`Ref`), which the commit swaps
  for real ones.

A row with any problem changes nothing and is counted as an error of its record kind; the
commit applies a plan only when it has no problem at all (all or nothing)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum
from typing import Any

from server.domain.errors import DomainError
from server.domain.imports import Problem
from server.domain.items import CustomField, Item
from server.domain.units import Unit

Ref = int  # a record's id; negative: created by this import
PATH_SEP = ">"
RECORD_KINDS = ("location", "person", "item", "lot", "unit", "stock")
MAX_CHANGES = 1000  # field-level differences kept in a report (all are applied)


@dataclass(frozen=True, slots=True)
class Person:
    id: Ref
    tag: str
    name: str
    email: str = ""
    badge_code: str | None = None


@dataclass
class Snapshot:
    """The stored records an import can touch, loaded once (server/db/imports_repo.py)."""

    items: dict[str, Item] = field(default_factory=dict)  # by lower-cased SKU
    gtins: dict[str, int] = field(default_factory=dict)  # barcode -> item id
    units: dict[str, Unit] = field(default_factory=dict)  # by tag
    serials: dict[tuple[int, str], str] = field(default_factory=dict)  # (item, serial) -> tag
    locations: dict[tuple[int | None, str], int] = field(default_factory=dict)  # (parent, name)
    location_names: dict[int, str] = field(default_factory=dict)
    location_parents: dict[int, int | None] = field(default_factory=dict)
    archived_locations: set[int] = field(default_factory=set)
    people: dict[int, Person] = field(default_factory=dict)
    lots: dict[tuple[int, str], tuple[int, dt.date | None]] = field(default_factory=dict)
    stock: dict[tuple[int, int, int | None], int] = field(default_factory=dict)
    unit_tag_counter: int = 0  # the last unit tag number issued


@dataclass(frozen=True, slots=True)
class NewLocation:
    id: Ref
    name: str
    parent: Ref | None
    row: int


@dataclass(frozen=True, slots=True)
class NewLot:
    id: Ref
    item: Ref
    code: str
    expires_on: dt.date | None
    row: int


@dataclass(frozen=True, slots=True)
class Change:
    """An update of a stored record: the record before and after, what differs."""

    before: Any
    after: Any
    diff: dict[str, list[Any]]
    row: int


@dataclass(frozen=True, slots=True)
class StockSet:
    item: Ref
    location: Ref
    lot: Ref | None
    was: int
    counted: int
    row: int


@dataclass
class Plan:
    kind: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)  # the report's differences
    new_locations: list[NewLocation] = field(default_factory=list)
    new_people: list[tuple[Person, int]] = field(default_factory=list)
    person_updates: list[Change] = field(default_factory=list)
    new_items: list[tuple[Item, int]] = field(default_factory=list)
    item_updates: list[Change] = field(default_factory=list)
    new_lots: list[NewLot] = field(default_factory=list)
    new_units: list[tuple[Unit, int]] = field(default_factory=list)  # tag "" = to be issued
    unit_updates: list[Change] = field(default_factory=list)
    stock_sets: list[StockSet] = field(default_factory=list)
    rows: int = 0

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        per = self.counts.setdefault(kind, {"create": 0, "update": 0, "unchanged": 0,
                                            "error": 0})
        per[outcome] += n

    @property
    def writes(self) -> int:
        return (len(self.new_locations) + len(self.new_people) + len(self.person_updates)
                + len(self.new_items) + len(self.item_updates) + len(self.new_lots)
                + len(self.new_units) + len(self.unit_updates) + len(self.stock_sets))

    def report_change(self, kind: str, key: str, row: int, diff: Mapping[str, list[Any]]
                      ) -> None:
        if len(self.changes) < MAX_CHANGES:
            self.changes.append({"row": row, "kind": kind, "key": key,
                                 "changes": shown_diff(diff)})


class RowError(Exception):
    """One problem of one row: the planner stops that row and goes on with the next."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def refuse(column: str, error: DomainError | str) -> RowError:
    return RowError(column, error if isinstance(error, str) else error.message)


def shown_diff(diff: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    """A difference as reports and events carry it: ids named without their _id, and custom
    field values one field at a time (custom.voltage: 120V -> 230V)."""
    out: dict[str, list[Any]] = {}
    for k, (a, b) in diff.items():
        if k == "custom" and isinstance(a, dict) and isinstance(b, dict):
            for field_key in sorted(set(a) | set(b)):
                if a.get(field_key) != b.get(field_key):
                    out[f"custom.{field_key}"] = [a.get(field_key), b.get(field_key)]
        else:
            out[k.removesuffix("_id")] = [show(a), show(b)]
    return out


def show(value: Any) -> Any:
    """A value as a report and an event's details carry it (JSON)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return [v.to_dict() if isinstance(v, CustomField) else v for v in value]
    if isinstance(value, Enum):
        return value.value
    return value



def split_path(value: Any) -> list[str]:
    """A location cell as the reader types it (a tuple of names) or as text."""
    if isinstance(value, tuple | list):
        return [str(part).strip() for part in value if str(part).strip()]
    return [part.strip() for part in str(value or "").split(PATH_SEP) if part.strip()]


def path_text(location_id: int, snapshot: Snapshot) -> str:
    names: list[str] = []
    node: int | None = location_id
    while node is not None and len(names) < 64:
        names.append(snapshot.location_names.get(node, "?"))
        node = snapshot.location_parents.get(node)
    return f" {PATH_SEP} ".join(reversed(names))


def source(details: Mapping[str, Any]) -> str | None:
    """The sentence a history shows for an event an import wrote: "imported from
    stock-2026.xlsx, row 418"; None for any other event."""
    imported = details.get("import")
    if not isinstance(imported, Mapping):
        return None
    name, row = imported.get("file") or "a spreadsheet", imported.get("row")
    return f"imported from {name}, row {row}" if row else f"imported from {name}"


def import_details(run_id: int, file_name: str, row: int) -> dict[str, Any]:
    """What every event of an import carries in its details under "import"."""
    return {"import": {"id": run_id, "file": file_name, "row": row}}


class Ids:
    """Negative ids for records this import creates: -1, -2, ..."""

    def __init__(self) -> None:
        self._next = itertools.count(1)

    def __call__(self) -> Ref:
        return -next(self._next)


def first_rows(rows: Iterable[tuple[int, Any]]) -> dict[Any, int]:
    seen: dict[Any, int] = {}
    for number, key in rows:
        seen.setdefault(key, number)
    return seen


def replaced(record: Any, changes: Mapping[str, Any]) -> tuple[Any, dict[str, list[Any]]]:
    """The record with `changes` applied, and the fields that really differ."""
    diff = {k: [getattr(record, k), v] for k, v in changes.items() if getattr(record, k) != v}
    return (replace(record, **{k: v[1] for k, v in diff.items()}) if diff else record), diff

"""The portable backup format: what a value of each column kind looks like in a backup,
the manifest, and the order tables are written in. Pure: no I/O, no database.

A backup is a zip file (docs in README, "Backup, restore and moving to PostgreSQL"):

    manifest.json            this module's Manifest, as JSON
    tables/<table>.jsonl     one JSON array per row, the columns in the manifest's order

Tables are listed in the manifest in dependency order (a table after every table it
references), so a restore can insert them in that order. Values are engine-neutral, so a
backup of SQLite restores into PostgreSQL and the other way round:

    int, bool, float     JSON number / true / false
    text                 JSON string
    json                 the JSON text as stored, as a JSON string (kept byte for byte)
    numeric:S            a decimal string with exactly S digits after the point ("12.10")
    date                 "YYYY-MM-DD"
    timestamptz          "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" (UTC, always microseconds)
    timestamp            the same without the offset
    null                 JSON null, whatever the kind

`to_value` and `from_value` convert between those and the Python values the database
drivers take (int, bool, str, Decimal, date, aware datetime); `normalize` turns what a
driver hands back (SQLite stores most of these as text or floats) into the same values."""

from __future__ import annotations

import datetime as dt
import graphlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from server.domain.errors import DomainError

FORMAT = "tagtrack-backup"
VERSION = 1
MANIFEST = "manifest.json"
KINDS = ("int", "bool", "float", "text", "json", "numeric", "date", "timestamptz",
         "timestamp")


class BackupError(DomainError):
    """A backup that cannot be made or restored, with the reason."""

    code = "backup"


def table_file(table: str) -> str:
    return f"tables/{table}.jsonl"


def _base(kind: str) -> str:
    return kind.split(":", 1)[0]


def check_kind(kind: str) -> str:
    if _base(kind) not in KINDS:
        raise BackupError(f"unknown column kind {kind!r}", field="kind")
    return kind


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:  # SQLite keeps UTC without an offset (CURRENT_TIMESTAMP)
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def normalize(kind: str, value: Any) -> Any:
    """What a driver returned (sqlite3 without type detection gives text, int or float for
    most kinds) as the value the kind stands for; None stays None."""
    if value is None:
        return None
    base = _base(kind)
    if isinstance(value, bytes) and base != "float":
        value = value.decode("utf-8")
    if base == "int":
        return value if type(value) is int else int(Decimal(str(value)))
    if base == "bool":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "t", "true")
        return bool(value)
    if base == "float":
        return float(value)
    if base in ("text", "json"):
        return str(value)
    if base == "numeric":
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        scale = kind.partition(":")[2]
        return number.quantize(Decimal(1).scaleb(-int(scale))) if scale else number
    if base == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if base == "timestamptz":
        return _utc(when)
    return when.replace(tzinfo=None) if when.tzinfo is None else \
        when.astimezone(dt.UTC).replace(tzinfo=None)


def to_value(kind: str, value: Any) -> Any:
    """A normalized value as it is written in the backup (JSON)."""
    if value is None:
        return None
    base = _base(kind)
    if base == "numeric":
        return str(value)
    if base == "date":
        return value.isoformat()
    if base in ("timestamptz", "timestamp"):
        return value.isoformat(timespec="microseconds")
    return value


def from_value(kind: str, value: Any) -> Any:
    """A value read from a backup as the Python value a driver takes."""
    if value is None:
        return None
    base = _base(kind)
    if base in ("numeric", "date", "timestamptz", "timestamp", "int", "bool"):
        return normalize(kind, value)
    if base == "float":
        return float(value)
    return str(value)


@dataclass(frozen=True)
class TableShape:
    """A table as the backup handles it: its columns and their kinds, the tables it
    references, and the columns that reference the table itself (restored in a second
    pass, since a row may name a parent that comes after it)."""

    name: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    parents: frozenset[str] = frozenset()
    self_refs: tuple[str, ...] = ()
    order: tuple[str, ...] = ()  # the primary key: rows are read in its order
    key: str | None = None  # the primary key when it is one integer column (an id)

    def kind_of(self) -> dict[str, str]:
        return dict(zip(self.columns, self.kinds, strict=True))


def dependency_order(shapes: Iterable[TableShape]) -> list[TableShape]:
    """Every table after the tables it references (ties by name, for a stable file)."""
    by_name = {s.name: s for s in shapes}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in sorted(by_name):
        sorter.add(name, *sorted(p for p in by_name[name].parents if p in by_name))
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise BackupError("tables reference each other in a cycle, which a restore cannot "
                          f"order: {' -> '.join(exc.args[1])}", field="tables") from exc
    ordered: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(ready)
        sorter.done(*ready)
    return [by_name[n] for n in ordered]


@dataclass(frozen=True)
class TableEntry:
    name: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: int
    sequence: int  # the highest id ever issued (its sequence's position), 0 if none

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "file": table_file(self.name), "columns": list(self.columns),
                "kinds": list(self.kinds), "rows": self.rows, "sequence": self.sequence}


@dataclass(frozen=True)
class Manifest:
    created_at: str  # UTC, ISO 8601
    source_engine: str
    migrations: tuple[str, ...]
    tables: tuple[TableEntry, ...]
    chain_head: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "created_at": self.created_at,
                "source_engine": self.source_engine, "migrations": list(self.migrations),
                "chain_head": dict(self.chain_head),
                "tables": [t.as_json() for t in self.tables]}

    @classmethod
    def parse(cls, data: Any) -> Manifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError("this file is not a Tagtrack backup (its manifest.json does not "
                              f"say format {FORMAT!r})", field="file")
        if data.get("version") != VERSION:
            raise BackupError(f"backup format version {data.get('version')!r} is not one "
                              f"this Tagtrack reads (it reads version {VERSION})",
                              field="file")
        try:
            tables = tuple(
                TableEntry(str(t["name"]), tuple(t["columns"]),
                           tuple(check_kind(k) for k in t["kinds"]), int(t["rows"]),
                           int(t.get("sequence", 0)))
                for t in data["tables"])
            return cls(str(data["created_at"]), str(data["source_engine"]),
                       tuple(data["migrations"]), tables, dict(data.get("chain_head") or {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(f"the backup's manifest is damaged: {exc}", field="file") \
                from exc


Convert = Callable[[Any], Any]
PLAIN = ("int", "text")  # kinds whose driver values are written as they are


def is_plain(kind: str) -> bool:
    return _base(kind) in PLAIN


def _timestamptz_text(kind: str) -> Convert:
    """SQLite's text as Piccolo stores it ("2026-11-29 15:06:42.123456+00:00", the
    microseconds left out when zero) turned into the backup's form by slicing; anything
    else is parsed."""
    def convert(value: Any) -> Any:
        if type(value) is str and value.endswith("+00:00") and value[10:11] == " ":
            if len(value) == 32:
                return f"{value[:10]}T{value[11:]}"
            if len(value) == 25:
                return f"{value[:10]}T{value[11:19]}.000000+00:00"
        return to_value(kind, normalize(kind, value))
    return convert


def encoder(kind: str) -> Convert:
    """What a driver returned -> the value written in the backup. Plain kinds (ints,
    strings) pass through untouched when they have the right type: most columns, the hot
    path of a large backup."""
    base = _base(kind)
    if base in ("int", "text", "json"):
        plain = int if base == "int" else str

        def fast(value: Any) -> Any:
            return value if value is None or type(value) is plain else normalize(kind, value)
        return fast
    if base == "timestamptz":
        return _timestamptz_text(kind)
    if base == "bool":
        return lambda value: value if value is None or type(value) is bool else \
            bool(value) if type(value) is int else normalize(kind, value)
    if base == "date":
        return lambda value: value if type(value) is str and len(value) == 10 and \
            value[4] == "-" else to_value(kind, normalize(kind, value))
    return lambda value: to_value(kind, normalize(kind, value))


def decoder(kind: str) -> Convert:
    """A value read from a backup -> what the driver takes. Plain kinds (ints, strings)
    are used as they are: `encoder` wrote them with their type."""
    base = _base(kind)
    if base in ("int", "text", "json"):
        plain = int if base == "int" else str

        def fast(value: Any) -> Any:
            return value if value is None or type(value) is plain else from_value(kind, value)
        return fast
    if base == "timestamptz":
        def when(value: Any) -> Any:
            if value is None:
                return None
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo is dt.UTC else _utc(parsed)
        return when
    if base == "bool":
        return lambda value: value if value is None or type(value) is bool else \
            from_value(kind, value)
    return lambda value: from_value(kind, value)

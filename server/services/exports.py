"""Export of every import kind (items, units, stock, locations, people) as CSV or XLSX.

The columns are the import's own (server/domain/imports.py FIELDS, in that order, headed
by their labels), so that an export imports again as it is: into an empty database it
gives the same catalog, into the same one it changes nothing. A units file carries its
items' columns too, and one column per custom field (headed by the field's label; by its
key where two fields or a standard column would share the label). Values are written the
way the import reads them: a location as its path ("Main warehouse > Stockroom"), a
custodian as their email (else badge code, else name: a person's tag is not kept by a
people import), barcodes as canonical GTINs separated by spaces, an item's custom field
definitions in the import's short form, statuses and conditions in words.

Memory stays constant: rows are read in chunks by id (server/db/exports_repo.py) and each
chunk is turned into cells and encoded in a thread (server/services/spreadsheets.py); only
the location tree (names and parents) and the custom field definitions are held whole.
Everything that can refuse (an unknown kind, a filter naming nothing) does so in
`prepare`, before the first byte is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from server.db import exports_repo, places_repo
from server.db.exports_repo import LocationFilter, PersonFilter, StockFilter
from server.db.items_repo import ItemFilter
from server.db.rows import load_json, money
from server.db.units_repo import UnitFilter
from server.domain.errors import InvalidInput
from server.domain.imports import (
    CUSTOM,
    FIELDS,
    KINDS,
    format_custom_fields,
    format_path,
    normalize_header,
)
from server.domain.items import CustomField, FieldType
from server.domain.locations import path_of
from server.services import spreadsheets
from server.services.spreadsheets import Cell, Row

FORMATS = ("csv", "xlsx")
Filter = ItemFilter | UnitFilter | StockFilter | LocationFilter | PersonFilter
DEFAULT_FILTERS: dict[str, Filter] = {
    "items": ItemFilter(), "units": UnitFilter(), "stock": StockFilter(),
    "locations": LocationFilter(), "people": PersonFilter(),
}
SHEETS = {"items": "Items", "units": "Units", "stock": "Stock", "locations": "Locations",
          "people": "People"}


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of: {', '.join(KINDS)} (not {kind})",
                           field="kind")
    return kind


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be csv or xlsx (not {fmt})", field="format")
    return fmt


def file_name(kind: str, fmt: str, today: dt.date) -> str:
    return f"tagtrack-{kind}-{today.isoformat()}.{fmt}"


# ---- values as the import reads them ------------------------------------------------------

def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _words(value: str | None) -> str | None:
    return None if value is None else value.replace("_", " ")


def _custom_cell(d: CustomField, value: Any) -> Cell:
    if value is None or value == "":
        return None
    if d.type is FieldType.DATE:
        return _date(value)
    if d.type is FieldType.BOOLEAN:
        return bool(value)
    if d.type is FieldType.NUMBER:
        if isinstance(value, float):
            # the import reads plain decimals, not 1e-05: write the float's shortest digits
            return Decimal(repr(value)) if value == value and abs(value) != float("inf") \
                else str(value)
        return value if isinstance(value, int | Decimal) else str(value)
    return str(value)


@dataclass(frozen=True)
class Places:
    """The location tree, to write a location as its path."""

    parents: Mapping[int, int | None]
    names: Mapping[int, str]
    known: dict[int, str] = field(default_factory=dict)  # paths written so far

    def path(self, location_id: int | None) -> str | None:
        if location_id is None:
            return None
        found = self.known.get(location_id)
        if found is None:
            found = self.known[location_id] = format_path(
                path_of(location_id, self.parents, self.names))
        return found


def _item_values(r: Mapping[str, Any]) -> dict[str, Cell]:
    defs = [CustomField.from_dict(d) for d in load_json(r["custom_fields"], [])]
    return {
        "sku": r["sku"], "name": r["name"], "category": r["category"] or None,
        "unit_of_measure": r["unit_of_measure"], "tracking": r["tracking"],
        "description": r["description"] or None,
        "barcodes": " ".join(r.get("barcodes") or ()) or None,
        "reorder_point": r["reorder_point"], "unit_cost": money(r["unit_cost"]),
        "loan_days": r.get("loan_days"), "allow_negative": bool(r["allow_negative"]),
        "custom_fields": format_custom_fields(defs) if defs else None,
    }


def _custodian(r: Mapping[str, Any]) -> str | None:
    if r.get("custodian_tag") is None:
        return None
    return str(r["custodian_email"] or r["custodian_badge"] or r["custodian_name"])


@dataclass(frozen=True)
class Layout:
    """A kind's columns: the import's fields, then custom field columns (units)."""

    kind: str
    keys: tuple[str, ...]
    headers: tuple[str, ...]
    custom: Mapping[str, CustomField]  # "custom:<key>" -> its definition
    places: Places

    def cells(self, rows: Sequence[Mapping[str, Any]]) -> list[Row]:
        keys = self.keys
        if self.kind == "units":
            seen: dict[int, dict[str, Cell]] = {}  # the chunk's items, each made once
            values = [self._units(r, seen) for r in rows]
        else:
            make = getattr(self, f"_{self.kind}")
            values = [make(r) for r in rows]
        return [[v.get(k) for k in keys] for v in values]

    def _items(self, r: Mapping[str, Any]) -> dict[str, Cell]:
        return _item_values(r)

    def _units(self, r: Mapping[str, Any], seen: dict[int, dict[str, Cell]]
               ) -> dict[str, Cell]:
        item = r["item_row"]
        of_item = seen.get(item["id"])
        if of_item is None:
            of_item = seen[item["id"]] = _item_values(item)
        v = dict(of_item)
        v.update({
            "tag": r["tag"], "serial": r["serial"], "location": self.places.path(r["location"]),
            "custodian": _custodian(r), "status": _words(r["status"]),
            "condition": _words(r["condition"]), "purchase_date": _date(r["purchase_date"]),
            "purchase_cost": money(r["purchase_cost"]),
            "warranty_end": _date(r["warranty_end"]),
        })
        if self.custom:
            custom = {} if r["custom"] in ("{}", None) else load_json(r["custom"], {})
            for column, d in self.custom.items():
                v[column] = _custom_cell(d, custom.get(d.key))
        return v

    def _stock(self, r: Mapping[str, Any]) -> dict[str, Cell]:
        return {"sku": r["item_sku"], "location": self.places.path(r["location"]),
                "lot": r["lot_code"], "expires_on": _date(r["lot_expires_on"]),
                "quantity": r["quantity"]}

    def _locations(self, r: Mapping[str, Any]) -> dict[str, Cell]:
        return {"location": self.places.path(r["id"])}

    def _people(self, r: Mapping[str, Any]) -> dict[str, Cell]:
        return {"name": r["name"], "email": r["email"] or None,
                "badge_code": r["badge_code"]}


def custom_columns(defs: Sequence[Sequence[Mapping[str, Any]]],
                   taken: Sequence[str]) -> dict[str, tuple[str, CustomField]]:
    """custom:<key> -> (header, definition) for every field key, sorted by header. The
    header is the field's label; where an import would read that label as another column
    (a standard column's label, or another field's), the key; failing that, custom:<key>,
    which an import always reads as this field."""
    used = {normalize_header(h) for h in taken}
    out: dict[str, tuple[str, CustomField]] = {}
    for item_defs in defs:
        for raw in item_defs:
            d = CustomField.from_dict(dict(raw))
            column = CUSTOM + d.key
            if column in out:
                continue
            header = next((h for h in (d.label, d.key) if normalize_header(h) not in used),
                          column)
            used.add(normalize_header(header))
            out[column] = (header, d)
    return dict(sorted(out.items(), key=lambda kv: kv[1][0].casefold()))


@dataclass
class Export:
    """What `prepare` found: the layout, and the rows still to read."""

    layout: Layout
    chunks: AsyncIterator[list[dict[str, Any]]]

    @property
    def headers(self) -> list[str]:
        return list(self.layout.headers)


async def prepare(kind: str, flt: Filter | None = None) -> Export:
    check_kind(kind)
    flt = flt if flt is not None else DEFAULT_FILTERS[kind]
    parents, names = await places_repo.parents_and_names()
    fields = FIELDS[kind]
    keys = [f.key for f in fields]
    headers = [f.label for f in fields]
    custom: dict[str, CustomField] = {}
    if kind == "units":
        assert isinstance(flt, UnitFilter)
        item_ids = None if flt.item_id is None else [flt.item_id]
        for column, (header, d) in custom_columns(
                await exports_repo.custom_field_defs(item_ids), headers).items():
            keys.append(column)
            headers.append(header)
            custom[column] = d
    layout = Layout(kind, tuple(keys), tuple(headers), custom, Places(parents, names))
    read: Callable[..., AsyncIterator[list[dict[str, Any]]]] = getattr(exports_repo, kind)
    return Export(layout, read(flt))


async def csv_chunks(kind: str, flt: Filter | None = None) -> AsyncIterator[bytes]:
    """The export as CSV bytes, a chunk at a time (for the CLI: prepares lazily)."""
    export = await prepare(kind, flt)
    async for block in csv_of(export):
        yield block


def csv_of(export: Export) -> AsyncIterator[bytes]:
    return spreadsheets.stream_csv(export.headers, export.chunks, export.layout.cells)


async def xlsx_of(export: Export) -> Path:
    """The finished XLSX temp file (the caller streams and deletes it)."""
    return await spreadsheets.build_xlsx(export.headers, export.chunks,
                                         SHEETS[export.layout.kind], export.layout.cells)


async def xlsx_file(kind: str, flt: Filter | None = None) -> Path:
    return await xlsx_of(await prepare(kind, flt))

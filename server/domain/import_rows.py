"""The planner: typed rows of one kind in, a Plan out (server/domain/import_plan.py says
the rules). One Planner per import; `plan(kind, rows)` walks the rows once, in order, so
that the first row of a key is the one that counts and later ones are checked against it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from server.domain.barcodes import normalize_gtin
from server.domain.errors import DomainError
from server.domain.fields import check_length, max_chars
from server.domain.import_plan import (
    Change,
    Ids,
    NewLocation,
    NewLot,
    Person,
    Plan,
    Ref,
    RowError,
    Snapshot,
    StockSet,
    refuse,
    replaced,
    show,
    split_path,
)
from server.domain.imports import Options, Problem, custom_value
from server.domain.items import (
    CustomField,
    Item,
    check_custom_fields,
    check_custom_values,
    check_name,
    check_sku,
)
from server.domain.locations import MAX_DEPTH
from server.domain.serials import check_serial
from server.domain.stock import MAX_QUANTITY
from server.domain.tags import Tag, TagKind
from server.domain.units import Unit
from server.domain.vocab import Condition, Status, Tracking

ITEM_FIELDS = ("name", "description", "category", "unit_of_measure", "reorder_point",
               "unit_cost", "barcodes", "custom_fields", "loan_days", "allow_negative")
ITEM_RAW = (*ITEM_FIELDS, "tracking")
UNIT_FIELDS = ("serial", "location_id", "custodian_id", "status", "condition", "purchase_date",
               "purchase_cost", "warranty_end", "custom")
CONVERT = ("change the item's tracking first with Convert on the item's page "
           "(POST /api/v1/items/{id}/convert), which moves its counts and units")
SERIAL_CHARS = max_chars("serial") or 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Planner:
    def __init__(self, snapshot: Snapshot, headers: Mapping[str, str],
                 options: Options | None = None) -> None:
        options = options or Options()
        self.s = snapshot
        self.headers = headers  # field key -> the column's header, for problems
        self.options = options
        self.create_locations = options.create_locations
        self.ids = Ids()
        self.plan = Plan(kind="")
        # what this file has named so far, with the row that named it first
        self.items: dict[str, tuple[Item, int, dict[str, Any]]] = {}  # sku key -> item
        self.item_raw: dict[str, tuple[Any, ...]] = {}  # sku key -> its first row's cells
        self.path_cache: dict[tuple[str, ...], Ref] = {}  # a location's path -> its id
        self.custom_keys = [k for k in headers if k.startswith("custom:")]
        self.skus_seen: set[Any] = set()
        self.defs: dict[tuple[Any, ...], dict[str, Any]] = {}  # an item's fields by key
        self.new_paths: dict[tuple[Ref | None, str], Ref] = {}
        self.lots: dict[tuple[Ref, str], Ref] = {}
        self.keys: dict[tuple[str, Any], int] = {}  # a record's key -> first row
        self.tags_issued: set[str] = set()
        self.people_index = _PeopleIndex(snapshot.people.values())
        self.person_updates: dict[int, Person] = {}

    # -- entry ---------------------------------------------------------------------

    def run(self, kind: str, rows: Iterable[tuple[int, Mapping[str, Any]]],
            problems: Iterable[Problem] = ()) -> Plan:
        """`problems`: rows the reading side refused already (skipped, one error each)."""
        self.begin(kind, problems)
        n = 0
        for number, values in rows:
            n += 1
            if number not in self.bad_rows:
                self.step(number, values)
        return self.finish(n)

    def begin(self, kind: str, problems: Iterable[Problem] = ()) -> None:
        self.plan.kind = kind
        self.main = {"items": "item", "units": "unit", "stock": "stock",
                     "locations": "location", "people": "person"}[kind]
        self._step = getattr(self, f"_{kind}")
        self.bad_rows: set[int] = set()
        for p in problems:
            self.plan.problems.append(p)
            self.bad_rows.add(p.row)

    def step(self, number: int, values: Mapping[str, Any]) -> None:
        """Plan one row (a row with a problem plans nothing)."""
        mark = self._mark()
        try:
            self._step(number, values)
        except RowError as e:
            self._rollback(mark)
            self.plan.problems.append(Problem(number, e.column, e.reason))
            self.bad_rows.add(number)

    def finish(self, rows: int) -> Plan:
        self.plan.rows = rows
        self.plan.count(self.main, "error", len(self.bad_rows))
        self.plan.problems.sort(key=lambda p: p.row)
        return self.plan

    def _mark(self) -> tuple[int, ...]:
        p = self.plan
        return (len(p.new_locations), len(p.new_people), len(p.person_updates),
                len(p.new_items), len(p.item_updates), len(p.new_lots), len(p.new_units),
                len(p.unit_updates), len(p.stock_sets))

    def _rollback(self, mark: tuple[int, ...]) -> None:
        """Forget what a refused row had planned (records it would have created first)."""
        p = self.plan
        names = ("new_locations", "new_people", "person_updates", "new_items", "item_updates",
                 "new_lots", "new_units", "unit_updates", "stock_sets")
        for name, n in zip(names, mark, strict=True):
            lst = getattr(p, name)
            for gone in lst[n:]:
                self._forget(name, gone)
            del lst[n:]

    def _forget(self, name: str, gone: Any) -> None:
        if name == "new_locations":
            self.new_paths = {k: v for k, v in self.new_paths.items() if v != gone.id}
            self.path_cache = {k: v for k, v in self.path_cache.items() if v != gone.id}
            self.plan.count("location", "create", -1)
        elif name == "new_items":
            item = gone[0]
            self.items.pop(item.sku.lower(), None)
            self.item_raw.pop(item.sku.lower(), None)
            self.plan.count("item", "create", -1)
        elif name == "item_updates":
            self.items.pop(gone.after.sku.lower(), None)
            self.item_raw.pop(gone.after.sku.lower(), None)
            self.plan.count("item", "update", -1)
        elif name == "new_lots":
            self.lots = {k: v for k, v in self.lots.items() if v != gone.id}
            self.plan.count("lot", "create", -1)
        elif name == "new_people":
            self.people_index.drop(gone[0])
            self.plan.count("person", "create", -1)

    def _col(self, key: str) -> str:
        return self.headers.get(key, key)

    def _claim(self, kind: str, key: Any, number: int, what: str, column: str) -> None:
        first = self.keys.setdefault((kind, key), number)
        if first != number:
            raise RowError(self._col(column), f"{what} is also on row {first}: each "
                           f"{kind} may appear once in a file")

    # -- items ---------------------------------------------------------------------

    def _items(self, number: int, values: Mapping[str, Any]) -> None:
        sku = self._sku(values)
        self._claim("item", sku.lower(), number, f"SKU {sku}", "sku")
        self._item(number, values, sku, default_tracking=Tracking.QUANTITY)

    def _sku(self, values: Mapping[str, Any]) -> str:
        text = values.get("sku")
        if not text:
            raise RowError(self._col("sku"), "a SKU is needed to find or create the item")
        if text in self.skus_seen:  # checked on an earlier row
            return str(text).strip()
        try:
            checked = check_sku(str(text))
            self.skus_seen.add(text)
            return checked
        except DomainError as e:
            raise refuse(self._col("sku"), e) from None

    def _item_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The item's columns this row fills (an empty cell leaves the value as it is)."""
        out: dict[str, Any] = {}
        key = ""
        try:
            for key in ITEM_FIELDS:
                value = values.get(key)
                if value is None or value == "" or value == []:
                    continue
                out[key] = _item_value(key, value)
        except DomainError as e:
            raise refuse(self._col(key), e) from None
        except RowError as e:
            raise RowError(self._col(key), e.reason) from None
        return out

    def _item(self, number: int, values: Mapping[str, Any], sku: str, *,
              default_tracking: Tracking) -> Item:
        key = sku.lower()
        raw = tuple(values.get(k) for k in ITEM_RAW)
        known = self.items.get(key)
        if known is not None and self.item_raw.get(key) == raw:
            return known[0]  # the same cells as the item's first row: nothing to check
        wanted = self._item_values(values)
        tracking = _tracking(values.get("tracking"), self._col("tracking"))
        if known is not None:  # named earlier in this file: this row must agree
            item, first, first_values = known
            for name, value in wanted.items():
                if name in first_values and first_values[name] != value:
                    raise RowError(self._col(name), f"SKU {sku}: {_words(name)} differs from "
                                   f"row {first} ({show(first_values[name])!s})")
            if tracking is not None and tracking is not item.tracking:
                raise RowError(self._col("tracking"), f"SKU {sku}: tracking {tracking} differs "
                               f"from row {first} ({item.tracking})")
            return item
        stored = self.s.items.get(key)
        if stored is None:
            if "name" not in wanted:
                raise RowError(self._col("name"), f"SKU {sku} is new: its name is needed")
            item = Item(id=self.ids(), sku=sku, tracking=tracking or default_tracking,
                        **wanted)
            self._check_barcodes(item, number)
            self.plan.new_items.append((item, number))
            self.plan.count("item", "create")
        else:
            if tracking is not None and tracking is not stored.tracking:
                raise RowError(self._col("tracking"), f"item {sku} is tracked by "
                               f"{stored.tracking}, this row says {tracking}: {CONVERT}")
            if stored.archived:
                raise RowError(self._col("sku"), f"item {sku} is archived: restore it first")
            item, diff = replaced(stored, wanted)
            if diff:
                self._check_barcodes(item, number)
                self.plan.item_updates.append(Change(stored, item, diff, number))
                self.plan.report_change("item", sku, number, diff)
                self.plan.count("item", "update")
            else:
                self.plan.count("item", "unchanged")
        self.items[key] = (item, number, wanted)
        self.item_raw[key] = raw
        return item

    def _check_barcodes(self, item: Item, number: int) -> None:
        for gtin in item.barcodes:
            owner = self.s.gtins.get(gtin)
            if owner is not None and owner != item.id:
                raise RowError(self._col("barcodes"), f"barcode {gtin} already belongs to "
                               "another item")
            self._claim("barcode", gtin, number, f"barcode {gtin}", "barcodes")

    # -- locations -----------------------------------------------------------------

    def _locations(self, number: int, values: Mapping[str, Any]) -> None:
        path = split_path(values.get("location"))
        if not path:
            raise RowError(self._col("location"), "a location path is needed, like "
                           "Main warehouse > Stockroom > Shelf B3")
        self._claim("location", tuple(p.casefold() for p in path), number,
                    f"location {' > '.join(path)}", "location")
        before = len(self.plan.new_locations)
        self._location(number, values, create=True)
        if len(self.plan.new_locations) == before:
            self.plan.count("location", "unchanged")

    def _location(self, number: int, values: Mapping[str, Any], *, create: bool) -> Ref:
        cell = values.get("location")
        cached = self.path_cache.get(cell) if isinstance(cell, tuple) else None
        if cached is not None:
            return cached
        column = self._col("location")
        path = split_path(cell)
        if not path:
            raise RowError(column, "a location is needed")
        if len(path) > MAX_DEPTH:
            raise RowError(column, f"locations nest at most {MAX_DEPTH} deep")
        parent: Ref | None = None
        for depth, name in enumerate(path):
            try:
                name = check_name(name, "location")
            except DomainError as e:
                raise refuse(column, e) from None
            found = self.s.locations.get((parent, name.casefold()))
            if found is None:
                found = self.new_paths.get((parent, name.casefold()))
            if found is None:
                if not create:
                    raise RowError(column, f"no location {' > '.join(path[:depth + 1])}: "
                                   "create it first, or allow new locations")
                found = self.ids()
                self.new_paths[(parent, name.casefold())] = found
                self.plan.new_locations.append(NewLocation(found, name, parent, number))
                self.plan.count("location", "create")
            parent = found
        assert parent is not None
        if parent in self.s.archived_locations:
            raise RowError(column, f"location {' > '.join(path)} is archived")
        if isinstance(cell, tuple):
            self.path_cache[cell] = parent
        return parent

    # -- people --------------------------------------------------------------------

    def _people(self, number: int, values: Mapping[str, Any]) -> None:
        name = values.get("name")
        email = str(values.get("email") or "").strip()
        badge = str(values.get("badge_code") or "").strip() or None
        try:
            check_length("email", email)
            if email and not _EMAIL.match(email):
                raise RowError(self._col("email"), "email does not look like an address")
            if badge:
                check_length("badge_code", badge)
            clean_name = check_name(str(name), "name") if name else None
        except DomainError as e:
            raise refuse(self._col("name"), e) from None
        key = ("email", email.casefold()) if email else ("badge", badge) if badge else \
            ("name", (clean_name or "").casefold())
        if key[1]:
            self._claim("person", key, number, f"{key[0]} {key[1]}", 
                        {"email": "email", "badge": "badge_code", "name": "name"}[key[0]])
        found = self.people_index.find(email, badge, clean_name)
        if found is None:
            if not clean_name:
                raise RowError(self._col("name"), "a new person needs a name")
            if badge and self.people_index.by_badge.get(badge):
                raise RowError(self._col("badge_code"), f"badge {badge} is already "
                               "someone else's")
            person = Person(self.ids(), "", clean_name, email, badge)
            self.people_index.add(person)
            self.plan.new_people.append((person, number))
            self.plan.count("person", "create")
            return
        self._claim("person", ("id", found.id), number, f"{found.name} ({found.tag})", "name")
        wanted: dict[str, Any] = {}
        if clean_name:
            wanted["name"] = clean_name
        if email and email.casefold() != found.email.casefold():
            wanted["email"] = email
        if badge:
            owner = self.people_index.by_badge.get(badge)
            if owner is not None and owner.id != found.id:
                raise RowError(self._col("badge_code"), f"badge {badge} is already "
                               "someone else's")
            wanted["badge_code"] = badge
        after, diff = replaced(found, wanted)
        if diff:
            self.plan.person_updates.append(Change(found, after, diff, number))
            self.plan.report_change("person", found.tag, number, diff)
            self.plan.count("person", "update")
        else:
            self.plan.count("person", "unchanged")

    def _person(self, values: Mapping[str, Any]) -> Ref | None:
        text = str(values.get("custodian") or "").strip()
        if not text:
            return None
        found = self.people_index.lookup(text)
        if found is None:
            raise RowError(self._col("custodian"), f"no person {text} (give their tag, "
                           "email, badge code or name; import people first)")
        return found.id

    # -- units ---------------------------------------------------------------------

    def _units(self, number: int, values: Mapping[str, Any]) -> None:
        sku = self._sku(values)
        item = self._item(number, values, sku, default_tracking=Tracking.SERIAL)
        if item.tracking is not Tracking.SERIAL:
            raise RowError(self._col("sku"), f"item {sku} is tracked by {item.tracking}, not "
                           f"by units: import its stock instead, or {CONVERT}")
        serial = self._serial(values)
        stored = self._find_unit(number, values, item, serial)
        changes = self._unit_values(number, values, item, stored, serial)
        if stored is None:
            tag = changes.pop("tag", "")
            if "location_id" not in changes:
                raise RowError(self._col("location"), "a new unit needs a location")
            custom = check_custom(item, changes.pop("custom", {}), self._custom_column)
            unit = Unit(id=self.ids(), item_id=item.id, tag=tag, custom=custom, **changes)
            self.plan.new_units.append((unit, number))
            self.plan.count("unit", "create")
            return
        if "custom" in changes:
            changes["custom"] = check_custom(item, {**stored.custom, **changes["custom"]},
                                             self._custom_column)
        changes.pop("tag", None)
        after, diff = replaced(stored, changes)
        if diff:
            self.plan.unit_updates.append(Change(stored, after, diff, number))
            self.plan.report_change("unit", stored.tag, number, diff)
            self.plan.count("unit", "update")
        else:
            self.plan.count("unit", "unchanged")

    def _custom_values(self, item: Item, values: Mapping[str, Any]) -> dict[str, Any]:
        """The row's custom field cells typed by the item's own definitions."""
        if not self.custom_keys:
            return {}
        defs = self.defs.get(item.custom_fields)
        if defs is None:
            defs = self.defs[item.custom_fields] = {d.key: d for d in item.custom_fields}
        out: dict[str, Any] = {}
        for name in self.custom_keys:
            value = values.get(name)
            if value is None or value == "":
                continue
            key = name.removeprefix("custom:")
            d = defs.get(key)
            if d is None:
                raise RowError(self._col(name), f"{key} is not a unit field of {item.sku}")
            if isinstance(value, str):
                try:
                    value = custom_value(d, value, self.options)
                except ValueError as e:
                    raise RowError(self._col(name), str(e)) from None
            out[key] = value
        return out

    def _custom_column(self, key: str) -> str:
        return self._col(f"custom:{key}")

    def _serial(self, values: Mapping[str, Any]) -> str | None:
        text = values.get("serial")
        if isinstance(text, str) and text.isprintable() and len(text) <= SERIAL_CHARS:
            return text.strip() or None  # what check_serial would answer, in C
        try:
            return check_serial(None if text is None else str(text))
        except DomainError as e:
            raise refuse(self._col("serial"), e) from None

    def _find_unit(self, number: int, values: Mapping[str, Any], item: Item,
                   serial: str | None) -> Unit | None:
        text = str(values.get("tag") or "").strip()
        if serial:
            self._claim("unit", ("serial", item.sku.lower(), serial), number,
                        f"serial {serial} of {item.sku}", "serial")
        by_serial = self.s.serials.get((item.id, serial)) if serial else None
        if text:
            try:
                tag = Tag.parse(text)
            except DomainError as e:
                raise refuse(self._col("tag"), e) from None
            if tag.kind is not TagKind.UNIT:
                raise RowError(self._col("tag"), f"{tag} is a {tag.kind.noun} tag, not a "
                               "unit's")
            self._claim("unit", ("tag", str(tag)), number, f"tag {tag}", "tag")
            stored = self.s.units.get(str(tag))
            if stored is None:
                if by_serial is not None:
                    raise RowError(self._col("serial"), f"serial {serial} of {item.sku} is "
                                   f"already unit {by_serial}, not {tag}")
                return None
            if stored.item_id != item.id:
                raise RowError(self._col("tag"), f"unit {tag} is a unit of another item, "
                               f"not of {item.sku}")
            if serial and by_serial is not None and by_serial != stored.tag:
                raise RowError(self._col("serial"), f"serial {serial} of {item.sku} is "
                               f"already unit {by_serial}")
            if stored.collapsed:
                raise RowError(self._col("tag"), f"unit {tag} was merged into a count when "
                               "its item stopped tracking units")
            return stored
        if by_serial is not None:
            return self.s.units[by_serial]
        return None

    def _unit_values(self, number: int, values: Mapping[str, Any], item: Item,
                     stored: Unit | None, serial: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        text = str(values.get("tag") or "").strip()
        if text:
            out["tag"] = str(Tag.parse(text))
        if serial:
            out["serial"] = serial
        if values.get("location"):
            out["location_id"] = self._location(number, values, create=self.create_locations)
        for key, enum in (("condition", Condition), ("status", Status)):
            value = values.get(key)
            if isinstance(value, enum):
                out[key] = value
            elif value:
                try:
                    out[key] = enum(str(values[key]).strip().lower().replace(" ", "_"))
                except ValueError:
                    raise RowError(self._col(key), f"{key} must be one of: "
                                   f"{', '.join(v.value for v in enum)}") from None
        custodian = self._person(values)
        status = out.get("status")
        if custodian is not None:
            if status not in (None, Status.CHECKED_OUT):
                raise RowError(self._col("status"), f"a unit with a custodian is checked "
                               f"out, not {status}")
            out["custodian_id"], out["status"] = custodian, Status.CHECKED_OUT
        elif status is Status.CHECKED_OUT and (stored is None or stored.custodian_id is None):
            raise RowError(self._col("custodian"), "a checked-out unit needs a custodian")
        elif status is not None and stored is not None and stored.custodian_id is not None:
            out["custodian_id"] = None  # back from its custodian
        for key in ("purchase_date", "warranty_end"):
            if values.get(key) is not None:
                if not isinstance(values[key], dt.date):
                    raise RowError(self._col(key), f"{_words(key)} must be a date")
                out[key] = values[key]
        if values.get("purchase_cost") is not None:
            out["purchase_cost"] = _cost(values["purchase_cost"], self._col("purchase_cost"))
        custom = self._custom_values(item, values)
        if custom:
            out["custom"] = custom
        return out

    # -- stock ---------------------------------------------------------------------

    def _stock(self, number: int, values: Mapping[str, Any]) -> None:
        sku = self._sku(values)
        item = self.s.items.get(sku.lower())
        if item is None:
            raise RowError(self._col("sku"), f"no item with SKU {sku}: import items first")
        if item.tracking is Tracking.SERIAL:
            raise RowError(self._col("sku"), f"item {sku} is tracked by units: import its "
                           f"units instead, or {CONVERT}")
        location = self._location(number, values, create=self.create_locations)
        lot = self._lot(number, values, item)
        quantity = values.get("quantity")
        if isinstance(quantity, Decimal) and quantity == quantity.to_integral_value():
            quantity = int(quantity)
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise RowError(self._col("quantity"), "quantity must be a whole number")
        if quantity < 0 and not item.allow_negative:
            raise RowError(self._col("quantity"), "quantity must not be below zero")
        if abs(quantity) > MAX_QUANTITY:
            raise RowError(self._col("quantity"), f"quantity must be at most {MAX_QUANTITY:,}")
        self._claim("stock", (item.id, location, lot), number,
                    f"{sku} at this location{' in this lot' if lot else ''}", "location")
        was = self.s.stock.get((item.id, location, lot), 0)
        if was == quantity:
            self.plan.count("stock", "unchanged")
            return
        self.plan.stock_sets.append(StockSet(item.id, location, lot, was, quantity, number))
        self.plan.report_change("stock", sku, number, {"quantity": [was, quantity]})
        self.plan.count("stock", "update" if was else "create")

    def _lot(self, number: int, values: Mapping[str, Any], item: Item) -> Ref | None:
        code = str(values.get("lot") or "").strip()
        expires = values.get("expires_on")
        if item.tracking is not Tracking.LOT:
            if code:
                raise RowError(self._col("lot"), f"item {item.sku} is not tracked by lot")
            return None
        if not code:
            raise RowError(self._col("lot"), f"item {item.sku} is tracked by lot: give a "
                           "lot code")
        try:
            check_length("lot", code)
        except DomainError as e:
            raise refuse(self._col("lot"), e) from None
        if expires is not None and not isinstance(expires, dt.date):
            raise RowError(self._col("expires_on"), "expiry date must be a date")
        stored = self.s.lots.get((item.id, code))
        if stored is not None:
            if expires is not None and stored[1] not in (None, expires):
                raise RowError(self._col("expires_on"), f"lot {code} of {item.sku} expires on "
                               f"{stored[1]}, not {expires}")
            return stored[0]
        if (item.id, code) in self.lots:
            return self.lots[(item.id, code)]
        ref = self.ids()
        self.lots[(item.id, code)] = ref
        self.plan.new_lots.append(NewLot(ref, item.id, code, expires, number))
        self.plan.count("lot", "create")
        return ref


class _PeopleIndex:
    def __init__(self, people: Iterable[Person]) -> None:
        self.by_email: dict[str, Person] = {}
        self.by_badge: dict[str, Person] = {}
        self.by_tag: dict[str, Person] = {}
        self.by_name: dict[str, list[Person]] = {}
        for p in people:
            self.add(p)

    def add(self, p: Person) -> None:
        if p.email:
            self.by_email.setdefault(p.email.casefold(), p)
        if p.badge_code:
            self.by_badge[p.badge_code] = p
        if p.tag:
            self.by_tag[p.tag] = p
        self.by_name.setdefault(p.name.casefold(), []).append(p)

    def drop(self, p: Person) -> None:
        for index in (self.by_email, self.by_badge, self.by_tag):
            for k in [k for k, v in index.items() if v is p]:
                del index[k]
        same = self.by_name.get(p.name.casefold(), [])
        if p in same:
            same.remove(p)

    def find(self, email: str, badge: str | None, name: str | None) -> Person | None:
        if email:
            return self.by_email.get(email.casefold())
        if badge:
            return self.by_badge.get(badge)
        same = self.by_name.get((name or "").casefold(), [])
        return same[0] if len(same) == 1 else None

    def lookup(self, text: str) -> Person | None:
        """A custodian cell: a person's tag, email, badge code or (unique) name."""
        if Tag.looks_like_tag(text):
            try:
                found = self.by_tag.get(str(Tag.parse(text)))
            except DomainError:
                found = None
            if found is not None:
                return found
        return (self.by_email.get(text.casefold()) or self.by_badge.get(text)
                or self.find("", None, text))


def check_custom(item: Item, values: dict[str, Any], column: Any) -> dict[str, Any]:
    try:
        return check_custom_values(item.custom_fields, values)
    except DomainError as e:
        key = (e.field or "").removeprefix("custom.")
        raise refuse(column(key) if key else "", e) from None


def _tracking(value: Any, column: str) -> Tracking | None:
    if value is None or value == "":
        return None
    if isinstance(value, Tracking):
        return value
    try:
        return Tracking(str(value).strip().lower())
    except ValueError:
        raise RowError(column, "tracking must be quantity, lot or serial") from None


def _item_value(key: str, value: Any) -> Any:
    if key == "name":
        return check_name(str(value))
    if key in ("description", "category", "unit_of_measure"):
        return check_length(key, str(value).strip())
    if key in ("reorder_point", "loan_days"):
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RowError(key, f"{_words(key)} must be a whole number, zero or more")
        return value
    if key == "unit_cost":
        return Decimal(_cost(value, key))
    if key == "barcodes":
        codes = value if isinstance(value, list | tuple) else re.split(r"[\s,;]+", str(value))
        return tuple(sorted({normalize_gtin(str(c)) for c in codes if str(c).strip()}))
    if key == "custom_fields":
        if isinstance(value, tuple) and all(isinstance(v, CustomField) for v in value):
            return value
        return check_custom_fields(_field_defs(value))
    if key == "allow_negative":
        return bool(value)
    raise RowError(key, f"{key} cannot be imported")


def _field_defs(value: Any) -> list[dict[str, Any]]:
    """Custom field definitions in a cell: JSON, or `Label (type)` separated by `;`, where
    a choice field lists its choices after a colon and `*` marks a required field:
    `Voltage (choice: 120V|230V)*; Last descaled (date)`."""
    if isinstance(value, list):
        return [dict(v) if isinstance(v, Mapping) else {"key": str(v), "type": "text"}
                for v in value]
    text = str(value).strip()
    if text.startswith("["):
        import json

        try:
            loaded = json.loads(text)
        except ValueError:
            raise RowError("custom_fields", "unit fields: not valid JSON") from None
        return list(loaded)
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        m = re.fullmatch(r"(.+?)\s*(?:\((\w+)(?::\s*([^)]*))?\))?\s*(\*)?", part)
        if m is None:
            raise RowError("custom_fields", f"unit fields: cannot read {part!r}")
        label = m.group(1).strip()
        key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "field"
        if not key[0].isalpha():
            key = f"f_{key}"
        choices = [c.strip() for c in (m.group(3) or "").split("|") if c.strip()]
        out.append({"key": key, "label": label, "type": (m.group(2) or "text").lower(),
                    "choices": choices, "required": bool(m.group(4))})
    return out


def _cost(value: Any, column: str) -> str:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except ArithmeticError:
        raise RowError(column, f"{column} must be a number") from None
    if not amount.is_finite() or amount < 0:
        raise RowError(column, f"{column} must be zero or more")
    if amount >= Decimal("1e12"):
        raise RowError(column, f"{column} is too large")
    return str(amount.quantize(Decimal("0.01")))


def _words(key: str) -> str:
    from server.domain.fields import words

    return words(key)


def with_tag(unit: Unit, tag: str) -> Unit:
    return replace(unit, tag=tag)

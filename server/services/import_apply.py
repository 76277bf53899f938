"""A plan's writes, set-based, inside the caller's write transaction (one for the whole
file: all or nothing). Records the file creates have negative ids in the plan; they get
real ones here, drawn in bulk, parents before children (locations, people, items, lots,
units), and every row and event is written with its real ids. The events are appended last,
in one record_many, after every row write (server/db/ledger.py: row locks first, the chain
last), each carrying the import's id, file name and row number."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from server.db import counters, imports_repo, ledger
from server.db.rows import dump_json
from server.db.stock_repo import row_key
from server.domain.actors import Actor
from server.domain.events import EventDraft
from server.domain.import_plan import Change, Plan, import_details, show, shown_diff
from server.domain.items import Item
from server.domain.stock import StockKey
from server.domain.tags import Tag, TagKind
from server.domain.units import Unit
from server.domain.vocab import EventKind, Status

ITEM_COLUMNS = ("name", "description", "category", "unit_of_measure", "reorder_point",
                "loan_days", "unit_cost", "allow_negative", "custom_fields", "updated_at")
ITEM_TYPES = ("varchar", "text", "varchar", "varchar", "int", "int", "numeric", "boolean",
              "json", "timestamptz")
UNIT_COLUMNS = ("serial", "status", "condition", "location", "custodian", "due_at",
                "purchase_date", "purchase_cost", "warranty_end", "custom", "updated_at")
UNIT_TYPES = ("varchar", "varchar", "varchar", "int", "int", "timestamptz", "date", "numeric",
              "date", "json", "timestamptz")
PERSON_COLUMNS = ("name", "email", "badge_code")


class Writer:
    def __init__(self, actor: Actor, run_id: int, file_name: str, plan: Plan) -> None:
        self.actor, self.run_id, self.file_name, self.plan = actor, run_id, file_name, plan
        self.ids: dict[int, int] = {}
        self.events: list[EventDraft] = []
        self.now = dt.datetime.now(dt.UTC)
        self.stamp = imports_repo.db_time(self.now)  # as the driver would write it, once

    def real(self, ref: int | None) -> int | None:
        if ref is None or ref > 0:
            return ref
        return self.ids[ref]

    def need(self, ref: int) -> int:
        return ref if ref > 0 else self.ids[ref]

    def event(self, row: int, kind: EventKind, **fields: Any) -> None:
        details = {**fields.pop("details", {}), **import_details(self.run_id, self.file_name,
                                                                 row)}
        self.events.append(EventDraft(kind=kind, details=details, **fields))

    async def write(self) -> int:
        await self._locations()
        await self._people()
        await self._items()
        await self._lots()
        await self._units()
        await self._stock()
        await ledger.record_many(self.actor, self.events)
        return len(self.events)

    async def _draw(self, table: str, refs: list[int]) -> None:
        for ref, real in zip(refs, await imports_repo.next_ids(table, len(refs)), strict=True):
            self.ids[ref] = real

    async def _locations(self) -> None:
        new = self.plan.new_locations
        if not new:
            return
        await self._draw("location", [n.id for n in new])
        tags = await counters.next_tags(TagKind.LOCATION, len(new))
        rows = []
        for n, tag in zip(new, tags, strict=True):
            loc_id, parent = self.real(n.id), self.real(n.parent)
            rows.append((loc_id, str(tag), n.name, parent, False, self.now))
            self.event(n.row, EventKind.LOCATION_CREATED, to_location_id=loc_id,
                       details={"tag": str(tag), "name": n.name, "parent_id": parent})
        await imports_repo.insert("location", ("id", "tag", "name", "parent", "archived",
                                               "created_at"), rows)

    async def _people(self) -> None:
        new = self.plan.new_people
        if new:
            await self._draw("person", [p.id for p, _ in new])
            tags = await counters.next_tags(TagKind.PERSON, len(new))
            rows = []
            for (p, row), tag in zip(new, tags, strict=True):
                person_id = self.real(p.id)
                rows.append((person_id, str(tag), p.name, p.email, p.badge_code, True,
                             self.now))
                self.event(row, EventKind.PERSON_CREATED, to_person_id=person_id,
                           details={"tag": str(tag), "name": p.name})
            await imports_repo.insert("person", ("id", "tag", "name", "email", "badge_code",
                                                 "active", "created_at"), rows)
        updates = self.plan.person_updates
        await imports_repo.update(
            "person", PERSON_COLUMNS,
            [(c.after.id, 0, c.after.name, c.after.email, c.after.badge_code) for c in updates],
            ("varchar", "varchar", "varchar"), versioned=False)
        for c in updates:
            self.event(c.row, EventKind.PERSON_UPDATED, to_person_id=c.after.id,
                       details={"changes": _shown(c)})

    async def _items(self) -> None:
        new = self.plan.new_items
        if new:
            await self._draw("item", [item.id for item, _ in new])
            rows, codes = [], []
            for item, row in new:
                item_id = self.real(item.id)
                assert item_id is not None
                rows.append((item_id, item.sku, item.sku.lower(), item.tracking.value,
                             *_item_values(item, self.now), False, 1, self.now))
                codes += [(item_id, gtin) for gtin in item.barcodes]
                self.event(row, EventKind.ITEM_CREATED, item_id=item_id,
                           details={"sku": item.sku, "name": item.name,
                                    "tracking": item.tracking.value})
            await imports_repo.insert(
                "item", ("id", "sku", "sku_key", "tracking", *ITEM_COLUMNS, "archived",
                         "version", "created_at"), rows)
            await imports_repo.insert("item_barcode", ("item", "gtin"), codes)
        updates = self.plan.item_updates
        await imports_repo.update(
            "item", ITEM_COLUMNS,
            [(c.after.id, c.before.version, *_item_values(c.after, self.now)) for c in updates],
            ITEM_TYPES)
        recoded = [c.after for c in updates if "barcodes" in c.diff]
        await imports_repo.delete_barcodes([i.id for i in recoded])
        await imports_repo.insert("item_barcode", ("item", "gtin"),
                                  [(i.id, g) for i in recoded for g in i.barcodes])
        for c in updates:
            self.event(c.row, EventKind.ITEM_UPDATED, item_id=c.after.id,
                       details={"changes": _shown(c)})

    async def _lots(self) -> None:
        new = self.plan.new_lots
        if not new:
            return
        await self._draw("lot", [n.id for n in new])
        rows = []
        for n in new:
            lot_id, item_id = self.real(n.id), self.real(n.item)
            rows.append((lot_id, item_id, n.code, n.expires_on, self.now))
            self.event(n.row, EventKind.LOT_CREATED, item_id=item_id, lot_id=lot_id,
                       details={"code": n.code, "expires_on": show(n.expires_on)})
        await imports_repo.insert("lot", ("id", "item", "code", "expires_on", "created_at"),
                                  rows)

    async def _units(self) -> None:
        new = self.plan.new_units
        if new:
            await self._draw("unit", [u.id for u, _ in new])
            blank = [u for u, _ in new if not u.tag]
            issued = iter(await counters.next_tags(TagKind.UNIT, len(blank)) if blank else [])
            claimed = [Tag.parse(u.tag).number for u, _ in new if u.tag]
            if claimed:  # pre-printed tags: never issued again
                await imports_repo.raise_counter(TagKind.UNIT.value, max(claimed))
            rows = []
            real, now = self.real, self.stamp
            for unit, row in new:
                unit_id, item_id = self.need(unit.id), self.need(unit.item_id)
                location_id, custodian_id = self.need(unit.location_id), real(unit.custodian_id)
                tag = unit.tag or str(next(issued))
                status = unit.status.value
                rows.append((unit_id, tag, item_id, unit.serial, status,
                             unit.condition.value, location_id, custodian_id, unit.due_at,
                             unit.purchase_date, _money(unit.purchase_cost),
                             unit.warranty_end, _json(unit.custom), now, False, 1, now))
                self.event(row, EventKind.UNIT_CREATED, item_id=item_id, unit_id=unit_id,
                           to_location_id=location_id,
                           details={"tag": tag, "serial": unit.serial,
                                    "status": Status.AVAILABLE.value if custodian_id
                                    else status, "condition": unit.condition.value})
                if custodian_id is not None:
                    self.event(row, EventKind.UNIT_CHECKED_OUT, item_id=item_id,
                               unit_id=unit_id, to_person_id=custodian_id,
                               details={"action": "check_out", "status": status,
                                        "from_status": Status.AVAILABLE.value})
            await imports_repo.insert(
                "unit", ("id", "tag", "item", *UNIT_COLUMNS, "collapsed", "version",
                         "created_at"), rows)
        updates = self.plan.unit_updates
        fixed = [(c, replace(c.after, location_id=self.need(c.after.location_id),
                             custodian_id=self.real(c.after.custodian_id))) for c in updates]
        await imports_repo.update(
            "unit", UNIT_COLUMNS,
            [(u.id, c.before.version, *_unit_values(u, self.now)) for c, u in fixed],
            UNIT_TYPES)
        for c, u in fixed:
            self._unit_updated(c, u)

    def _unit_updated(self, c: Change, u: Unit) -> None:
        before: Unit = c.before
        details: dict[str, Any] = {"changes": _shown(c)}
        if "status" in c.diff:
            details["status"] = u.status.value
        if "condition" in c.diff:
            details["condition"] = u.condition.value
        moved = u.location_id if u.location_id != before.location_id else None
        to_person = u.custodian_id if u.custodian_id != before.custodian_id else None
        from_person = before.custodian_id if (u.custodian_id != before.custodian_id
                                              and u.custodian_id is None) else None
        self.event(c.row, EventKind.UNIT_UPDATED, item_id=u.item_id, unit_id=u.id,
                   from_location_id=before.location_id if moved else None,
                   to_location_id=moved, from_person_id=from_person, to_person_id=to_person,
                   details=details)

    async def _stock(self) -> None:
        sets = self.plan.stock_sets
        rows = []
        for s in sets:
            key = StockKey(self.real(s.item) or 0, self.real(s.location) or 0,
                           self.real(s.lot))
            diff = s.counted - s.was
            rows.append((row_key(key), key.item_id, key.location_id, key.lot_id, diff))
            self.event(s.row, EventKind.STOCK_ADJUSTED, item_id=key.item_id, lot_id=key.lot_id,
                       quantity=abs(diff),
                       from_location_id=key.location_id if diff < 0 else None,
                       to_location_id=key.location_id if diff > 0 else None,
                       note="imported count",
                       details={"counted": s.counted, "was": s.was})
        await imports_repo.add_stock(rows)


def _item_values(item: Item, now: dt.datetime) -> tuple[Any, ...]:
    return (item.name, item.description, item.category, item.unit_of_measure,
            item.reorder_point, item.loan_days, item.unit_cost, item.allow_negative,
            dump_json([f.to_dict() for f in item.custom_fields]), now)


def _unit_values(u: Unit, now: Any) -> tuple[Any, ...]:
    return (u.serial, u.status.value, u.condition.value, u.location_id, u.custodian_id,
            u.due_at, u.purchase_date, _money(u.purchase_cost), u.warranty_end,
            _json(u.custom), now)


def _money(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _json(value: dict[str, Any]) -> str:
    return dump_json(value) if value else "{}"


def _shown(c: Change) -> dict[str, list[Any]]:
    return shown_diff(c.diff)

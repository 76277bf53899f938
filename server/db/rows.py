"""Rows <-> domain objects, and small helpers shared by the repositories."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from server.db.engine import is_postgres
from server.domain.items import CustomField, Item
from server.domain.units import Unit
from server.domain.vocab import Condition, Status, Tracking


def load_json(value: Any, empty: Any) -> Any:
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        return json.loads(value)
    return value


def dump_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def for_update() -> str:
    """Row lock for read-then-write on PostgreSQL; SQLite already holds the write lock
    (IMMEDIATE transaction)."""
    return " FOR UPDATE" if is_postgres() else ""


def for_share() -> str:
    """Keep a row (an item) from changing under us while we write rows that depend on it."""
    return " FOR SHARE" if is_postgres() else ""


def money(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def item_from_row(row: dict[str, Any], barcodes: list[str]) -> Item:
    return Item(
        id=row["id"], sku=row["sku"], name=row["name"], tracking=Tracking(row["tracking"]),
        description=row["description"] or "", category=row["category"] or "",
        unit_of_measure=row["unit_of_measure"], reorder_point=row["reorder_point"],
        unit_cost=money(row["unit_cost"]), allow_negative=bool(row["allow_negative"]),
        archived=bool(row["archived"]), loan_days=row.get("loan_days"),
        regulated=bool(row.get("regulated")),
        barcodes=tuple(sorted(barcodes)),
        custom_fields=tuple(CustomField.from_dict(d)
                            for d in load_json(row["custom_fields"], [])),
        version=row["version"],
    )


def unit_from_row(row: dict[str, Any]) -> Unit:
    cost = row["purchase_cost"]
    return Unit(
        id=row["id"], item_id=row["item"], tag=row["tag"], location_id=row["location"],
        status=Status(row["status"]), condition=Condition(row["condition"]),
        serial=row["serial"], custodian_id=row["custodian"], due_at=row["due_at"],
        lot_id=row["lot"], purchase_date=row["purchase_date"],
        purchase_cost=None if cost is None else str(money(cost)),
        warranty_end=row["warranty_end"], custom=load_json(row["custom"], {}),
        collapsed=bool(row["collapsed"]), version=row["version"],
    )

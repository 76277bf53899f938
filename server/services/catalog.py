"""Use cases for catalog items: create and edit."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from server.db import items_repo, ledger
from server.db.engine import write_transaction
from server.domain.actors import Actor
from server.domain.barcodes import normalize_gtin
from server.domain.errors import Conflict, InvalidInput
from server.domain.events import EventDraft
from server.domain.fields import MAX_BARCODES, check_length
from server.domain.items import Item, check_custom_fields, check_name, check_sku
from server.domain.loans import check_loan_days
from server.domain.vocab import EventKind, Tracking

EDITABLE = ("sku", "name", "description", "category", "unit_of_measure", "barcodes",
            "reorder_point", "unit_cost", "allow_negative", "archived", "custom_fields",
            "loan_days", "regulated")


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "sku":
            out[key] = check_sku(value)
        elif key == "name":
            out[key] = check_name(value)
        elif key in ("description", "category", "unit_of_measure"):
            out[key] = check_length(key, (value or "").strip())
        elif key == "barcodes":
            codes = tuple(sorted({normalize_gtin(c) for c in value or []}))
            if len(codes) > MAX_BARCODES:
                raise InvalidInput(f"an item has at most {MAX_BARCODES} barcodes",
                                   field="barcodes")
            out[key] = codes
        elif key == "reorder_point":
            if value is not None and (not isinstance(value, int) or value < 0):
                raise InvalidInput("reorder_point must be a whole number, zero or more",
                                   field="reorder_point")
            out[key] = value
        elif key == "unit_cost":
            out[key] = _money(value)
        elif key == "loan_days":
            out[key] = check_loan_days(value)
        elif key in ("allow_negative", "archived", "regulated"):
            out[key] = bool(value)
        elif key == "custom_fields":
            out[key] = check_custom_fields(list(value or []))
        else:
            raise InvalidInput(f"{key} cannot be changed here", field=key)
    return out


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(check_length("unit_cost", str(value)))
    except InvalidOperation:
        raise InvalidInput("unit_cost must be a number", field="unit_cost") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput("unit_cost must be zero or more", field="unit_cost")
    return amount.quantize(Decimal("0.01"))


async def _check_unique(item: Item, except_id: int | None) -> None:
    if await items_repo.sku_taken(item.sku, except_id):
        raise Conflict(f"SKU {item.sku} is already used by another item", field="sku",
                       code="sku_taken")
    for gtin in item.barcodes:
        owner = await items_repo.barcode_owner(gtin)
        if owner is not None and owner != except_id:
            raise Conflict(f"barcode {gtin} already belongs to another item", field="barcodes",
                           code="barcode_taken")


async def create_item(actor: Actor, *, sku: str, name: str, tracking: str,
                      **fields: Any) -> int:
    try:
        mode = Tracking(tracking)
    except ValueError:
        raise InvalidInput("tracking must be quantity, lot or serial", field="tracking") from None
    clean = _clean({"sku": sku, "name": name, **fields})
    item = Item(id=0, tracking=mode, **clean)
    async with write_transaction():
        await _check_unique(item, None)
        item_id = await items_repo.insert(item)
        await ledger.record(actor, EventDraft(
            kind=EventKind.ITEM_CREATED, item_id=item_id,
            details={"sku": item.sku, "name": item.name, "tracking": mode.value}))
    return item_id


async def update_item(actor: Actor, item_id: int, changes: dict[str, Any],
                      expected_version: int | None = None) -> None:
    if "tracking" in changes:
        raise InvalidInput("change tracking with the convert action, which moves the counts",
                           field="tracking")
    clean = _clean(changes)
    async with write_transaction():
        item = await items_repo.get(item_id, lock=True)
        if expected_version is not None and expected_version != item.version:
            raise Conflict(f"item {item.sku} changed since you loaded it (version "
                           f"{item.version}, you had {expected_version})", code="stale")
        new = replace(item, **clean)
        diff = {k: [_show(getattr(item, k)), _show(getattr(new, k))] for k in clean
                if getattr(item, k) != getattr(new, k)}
        if not diff:
            return
        await _check_unique(new, item.id)
        await items_repo.update(new)
        await ledger.record(actor, EventDraft(kind=EventKind.ITEM_UPDATED, item_id=item.id,
                                              details={"changes": diff}))


def _show(value: Any) -> Any:
    if isinstance(value, tuple):
        return [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value

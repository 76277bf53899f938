"""Lots: the lists (per item or across items, by expiry), one lot with its stock per
location, and the expiry column's one writer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from server.db.rows import for_update
from server.db.tables import Lot
from server.domain.errors import NotFound
from server.domain.lots import Lot as LotRecord

# sort name -> SQL; an expiry sort keeps the lots without an expiry last either way
LOT_SORTS = {"expires_on": "lo.expires_on", "code": "lo.code", "item": "i.sku",
             "quantity": "quantity"}

_ON_HAND = ("LEFT JOIN (SELECT lot, SUM(quantity) AS quantity FROM stock WHERE lot IS NOT NULL "
            "GROUP BY lot) s ON s.lot = lo.id")
_SELECT = ("SELECT lo.id, lo.code, lo.expires_on, lo.item AS item_id, i.sku AS item_sku, "
           "i.name AS item_name, i.unit_of_measure, COALESCE(s.quantity, 0) AS quantity "
           f"FROM lot lo JOIN item i ON i.id = lo.item {_ON_HAND}")


@dataclass(frozen=True, slots=True)
class LotFilter:
    """Which lots: of one item, with one code, expiring between two dates (both included),
    expired before a date (or good on it: no expiry, or not before it), with stock on hand
    (True) or none (False)."""

    item_id: int | None = None
    code: str | None = None
    expires_from: dt.date | None = None
    expires_to: dt.date | None = None
    expired_before: dt.date | None = None
    good_on: dt.date | None = None
    in_stock: bool | None = None


def _where(f: LotFilter) -> tuple[str, list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    for sql, value in (("lo.item = {}", f.item_id), ("lo.code = {}", f.code),
                       ("lo.expires_on >= {}", f.expires_from),
                       ("lo.expires_on <= {}", f.expires_to),
                       ("lo.expires_on < {}", f.expired_before),
                       ("(lo.expires_on IS NULL OR lo.expires_on >= {})", f.good_on)):
        if value is not None:
            where.append(sql)
            args.append(value)
    if f.in_stock is not None:
        where.append("COALESCE(s.quantity, 0) > 0" if f.in_stock
                     else "COALESCE(s.quantity, 0) <= 0")
    return " AND ".join(where) or "1 = 1", args


async def list_lots(f: LotFilter, *, sort: str = "expires_on", descending: bool = False,
                    limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    cond, args = _where(f)
    way = "DESC" if descending else "ASC"
    column = LOT_SORTS[sort]
    # NULL sorts differently on the two engines: say where lots without an expiry go
    order = (f"lo.expires_on IS NULL, lo.expires_on {way}" if sort == "expires_on"
             else f"{column} {way}, lo.expires_on IS NULL, lo.expires_on")
    total = await Lot.raw(f"SELECT COUNT(*) AS n FROM lot lo {_ON_HAND} WHERE {cond}", *args)
    rows = await Lot.raw(f"{_SELECT} WHERE {cond} ORDER BY {order}, lo.code, lo.id "
                         "LIMIT {} OFFSET {}", *args, limit, offset)
    return [_clean(r) for r in rows], int(total[0]["n"])


async def lot(lot_id: int) -> dict[str, Any]:
    rows = await Lot.raw(f"{_SELECT} WHERE lo.id = {{}}", lot_id)
    if not rows:
        raise NotFound(f"no lot {lot_id}", field="lot")
    return _clean(rows[0])


async def for_change(lot_id: int) -> LotRecord:
    """The lot, locked until the transaction ends (the write lock on SQLite)."""
    rows = await Lot.raw("SELECT id, item, code, expires_on FROM lot WHERE id = {}"
                         + for_update(), lot_id)
    if not rows:
        raise NotFound(f"no lot {lot_id}", field="lot")
    r = rows[0]
    return LotRecord(id=int(r["id"]), item_id=int(r["item"]), code=str(r["code"]),
                     expires_on=_date(r["expires_on"]))


async def set_expiry(lot_id: int, expires_on: dt.date | None) -> None:
    await Lot.update({Lot.expires_on: expires_on}).where(Lot.id == lot_id)


async def stock_of(lot_id: int) -> list[dict[str, Any]]:
    """Where the lot is: its stock per location (what is on hand, not what is lent)."""
    rows: list[dict[str, Any]] = await Lot.raw(
        "SELECT s.location AS location_id, l.tag AS location_tag, l.name AS location_name, "
        "s.quantity FROM stock s JOIN location l ON l.id = s.location "
        "WHERE s.lot = {} AND s.quantity <> 0 ORDER BY l.name, l.id", lot_id)
    return rows


async def all_lots() -> dict[int, tuple[int, str, str | None]]:
    """Every lot as (item, code, expiry as an ISO date), for `verify`."""
    rows = await Lot.raw("SELECT id, item, code, expires_on FROM lot")
    out: dict[int, tuple[int, str, str | None]] = {}
    for r in rows:
        when = _date(r["expires_on"])
        out[int(r["id"])] = (int(r["item"]), str(r["code"]),
                             None if when is None else when.isoformat())
    return out


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    row["expires_on"] = _date(row["expires_on"])
    row["quantity"] = int(row["quantity"] or 0)
    return row


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    return dt.date.fromisoformat(str(value)[:10])

"""Code resolution: what record a scanned string names.

The domain's parse_scan says what the string is (a tag, a GS1 string, a barcode, plain
text); this module looks it up, in the order of the resolver chain:

1. a tag -> the unit, location or person with that tag (a collapsed unit still resolves);
2. GS1 01+21 -> the unit with that serial of the item; 01 (+10, 17) -> the item, with the
   lot and expiry the string carries; a bare EAN/UPC/GTIN -> the item;
3. plain text -> a unit serial (two items -> ambiguous), a person's badge code, an item SKU
   (any case), a lot code (several items -> ambiguous);
4. otherwise unknown, saying why in a sentence for a phone (a mistyped tag, a link from
   another site, a barcode with a wrong check digit, or simply nothing by that code).

Never raises for a code that names nothing: a miss is an answer, and the scan log keeps it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from server.db import scans_repo
from server.domain.barcodes import gtin_variants
from server.domain.codes import ScanCode, parse_scan
from server.domain.tags import Tag, TagKind
from server.settings import get_settings

UNIT, LOCATION, PERSON, ITEM, LOT = "unit", "location", "person", "item", "lot"
UNKNOWN, AMBIGUOUS = "unknown", "ambiguous"


@dataclass(frozen=True)
class Candidate:
    kind: str
    id: int
    tag: str | None
    label: str  # "Cordless drill DDF485 (S/N 0001)"


@dataclass(frozen=True)
class Resolution:
    kind: str  # unit | location | person | item | lot | unknown | ambiguous
    id: int | None  # record id (unit/location/person/item/lot)
    tag: str | None  # tag for unit/location/person; SKU for item; lot code for lot
    item_id: int | None  # for unit, item, lot
    lot_id: int | None  # lot given by a GS1 AI 10 or a lot code (None if not known yet)
    expiry: dt.date | None  # GS1 AI 17
    serial: str | None  # GS1 AI 21
    candidates: tuple[Candidate, ...] = ()
    message: str = ""  # for unknown/ambiguous (and a collapsed unit): why, for a phone
    lot_code: str | None = None  # GS1 AI 10 even when no such lot exists yet (receive)
    # The row the lookup read (a unit as UNIT_SELECT gives it, a location, a person), so
    # that a lookup scan answers without reading it again.
    row: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def found(self) -> bool:
        return self.kind not in (UNKNOWN, AMBIGUOUS)


def _unknown(
    message: str,
    *,
    tag: str | None = None,
    serial: str | None = None,
    lot_code: str | None = None,
    expiry: dt.date | None = None,
) -> Resolution:
    """Nothing by that code. `tag` is set for a valid tag that no record has (a blank
    unit label not claimed yet)."""
    return Resolution(
        UNKNOWN, None, tag, None, None, expiry, serial, message=message, lot_code=lot_code
    )


def trusted_bases() -> list[str]:
    settings = get_settings()  # cached: read from the environment once
    return [settings.public_url, *settings.old_public_urls]


async def resolve(code: str) -> Resolution:
    scan = parse_scan(code, trusted_bases=trusted_bases())
    if not scan.text:
        return _unknown("Nothing was scanned")
    if scan.tag is not None:
        return await _by_tag(scan.tag)
    if scan.url_untrusted:
        return _unknown("This is a link from another site, not a Tagtrack label")
    if scan.gtin is not None:
        found = await _by_gtin(scan)
        if found.found or not scan.candidates_text or scan.gs1:
            return found
        # A bare number that is no item's barcode may still be a serial or a SKU.
        return await _by_text(scan.candidates_text, scan) or found
    if scan.candidates_text:
        by_text = await _by_text(scan.candidates_text, scan)
        if by_text is not None:
            return by_text
    return _unknown(_miss(scan), serial=scan.serial, lot_code=scan.lot, expiry=scan.expiry)


def _miss(scan: ScanCode) -> str:
    if scan.tag_error:
        return f"Not a valid tag: {scan.tag_error}"
    if scan.gtin_error:
        return f"Not a valid barcode: {scan.gtin_error}"
    if scan.gs1 and scan.gtin is None:
        return "This GS1 code names no product (no GTIN, AI 01)"
    return f"Nothing is known by the code {scan.text}"


async def _by_tag(tag: Tag) -> Resolution:
    text = str(tag)
    if tag.kind is TagKind.UNIT:
        row = await scans_repo.unit_by_tag(text)
        if row is None:
            return _unknown(f"No unit has the tag {text}: a blank label not claimed yet?", tag=text)
        message = ""
        if row["collapsed"]:
            message = (
                f"Unit {text} was merged into a count of {row['item_name']} "
                "when the item stopped tracking units"
            )
        return Resolution(
            UNIT,
            row["id"],
            text,
            row["item"],
            row["lot"],
            None,
            row["serial"],
            message=message,
            lot_code=row["lot_code"],
            row=row,
        )
    if tag.kind is TagKind.LOCATION:
        row = await scans_repo.location_by_tag(text)
        kind = LOCATION
    else:
        row = await scans_repo.person_by_tag(text)
        kind = PERSON
    if row is None:
        return _unknown(f"No {tag.kind.noun} has the tag {text}", tag=text)
    return Resolution(kind, row["id"], text, None, None, None, None, row=row)


async def _by_gtin(scan: ScanCode) -> Resolution:
    assert scan.gtin is not None
    items = await scans_repo.items_by_gtins(gtin_variants(scan.gtin))
    if not items:
        return _unknown(
            f"No item has the barcode {scan.gtin.lstrip('0') or scan.gtin}",
            serial=scan.serial,
            lot_code=scan.lot,
            expiry=scan.expiry,
        )
    if len(items) > 1:  # barcodes are unique, but an EAN-13 and its GTIN-14 may both be stored
        return Resolution(
            AMBIGUOUS,
            None,
            None,
            None,
            None,
            scan.expiry,
            scan.serial,
            tuple(Candidate(ITEM, r["id"], r["sku"], r["name"]) for r in items),
            "This barcode belongs to several items",
            lot_code=scan.lot,
        )
    item = items[0]
    if scan.serial is not None:
        row = await scans_repo.unit_by_item_serial([item["id"]], scan.serial)
        if row is not None:
            return Resolution(
                UNIT,
                row["id"],
                row["tag"],
                item["id"],
                row["lot"],
                scan.expiry,
                scan.serial,
                lot_code=row["lot_code"],
                row=row,
            )
    lot_id = None
    if scan.lot is not None:
        lot = await scans_repo.lot_of(item["id"], scan.lot)
        lot_id = None if lot is None else int(lot["id"])
    message = ""
    if scan.serial is not None:
        message = f"{item['name']} has no unit with serial {scan.serial} yet"
    return Resolution(
        ITEM,
        item["id"],
        item["sku"],
        item["id"],
        lot_id,
        scan.expiry,
        scan.serial,
        message=message,
        lot_code=scan.lot,
        row=item,
    )


async def _by_text(text: str, scan: ScanCode) -> Resolution | None:
    rows = await scans_repo.by_text(text)
    if not rows:
        return None
    for kind in (UNIT, PERSON, ITEM, LOT):
        found = [r for r in rows if r["kind"] == kind]
        if len(found) > 1:
            return Resolution(
                AMBIGUOUS,
                None,
                None,
                None,
                None,
                None,
                None,
                tuple(Candidate(kind, r["id"], r["tag"], _label(r)) for r in found),
                f"{text} is the {_NAMES[kind]} of {len(found)} items: choose one",
            )
        if found:
            return _one(found[0], text)
    return None


_NAMES = {UNIT: "serial", LOT: "lot code", PERSON: "badge", ITEM: "SKU"}


def _label(row: dict[str, Any]) -> str:
    if row["kind"] == UNIT:
        return f"{row['name']} (S/N {row['code']})"
    if row["kind"] == LOT:
        return f"{row['name']} lot {row['code']}"
    return str(row["name"])


def _one(row: dict[str, Any], text: str) -> Resolution:
    kind = row["kind"]
    if kind == UNIT:
        message = "This unit was merged into a count" if row["collapsed"] else ""
        return Resolution(
            UNIT, row["id"], row["tag"], row["item_id"], None, None, row["code"], message=message
        )
    if kind == PERSON:
        return Resolution(PERSON, row["id"], row["tag"], None, None, None, None)
    if kind == ITEM:
        return Resolution(ITEM, row["id"], row["tag"], row["id"], None, None, None)
    return Resolution(
        LOT, row["id"], row["tag"], row["item_id"], row["id"], None, None, lot_code=row["tag"]
    )

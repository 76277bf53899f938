"""Audits (stocktakes by scanning): what a scan does to an audit, the report, and what a
confirmation will change.

An audit starts with the expected set: the units and counts the system believes are at a
location (and its subtree, if asked). Each expected thing is a line. A scan marks a unit's
line found, or adds a line for a unit nobody expected there (with where the system had it),
adds a counted quantity to an item's line at the location being counted, or records a code
that named nothing. Lines are plain values; the service stores them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from server.domain.errors import Conflict, InvalidInput
from server.domain.stock import MAX_QUANTITY

OPEN, FINISHED, CONFIRMED = "open", "finished", "confirmed"
UNIT, COUNT, UNKNOWN = "unit", "count", "unknown"


@dataclass(frozen=True, slots=True)
class Line:
    id: int
    kind: str
    unit_id: int | None = None
    item_id: int | None = None
    lot_id: int | None = None
    location_id: int | None = None  # where the system has it (for a count: where counted)
    custodian_id: int | None = None  # who the system says holds it (an unexpected unit)
    status: str = ""  # the unit's status when it was listed or scanned
    scanned_location_id: int | None = None  # set when the scan named where it was
    expected: bool = True
    found: bool = False
    expected_quantity: int | None = None
    counted_quantity: int | None = None
    code: str = ""
    scans: int = 0

    @property
    def difference(self) -> int | None:
        if self.kind != COUNT or self.counted_quantity is None:
            return None
        return self.counted_quantity - (self.expected_quantity or 0)


def ensure_open(status: str) -> None:
    if status != OPEN:
        raise Conflict(f"this audit is {status}: scans are no longer taken", code=f"audit_{status}")


def scan_unit(
    line: Line | None,
    *,
    unit_id: int,
    item_id: int,
    system_location_id: int,
    custodian_id: int | None,
    status: str,
    at_location_id: int | None,
) -> tuple[Line, str]:
    """Mark a unit seen. Answers the new line and what happened: found, again (scanned
    before) or unexpected (not in the expected set)."""
    if line is not None:
        outcome = "again" if line.found else ("found" if line.expected else "unexpected")
        return replace(
            line, found=True, scans=line.scans + 1, scanned_location_id=at_location_id
        ), outcome
    new = Line(
        id=0,
        kind=UNIT,
        unit_id=unit_id,
        item_id=item_id,
        location_id=system_location_id,
        custodian_id=custodian_id,
        status=status,
        scanned_location_id=at_location_id,
        expected=False,
        found=True,
        scans=1,
    )
    return new, "unexpected"


def count(
    line: Line | None,
    *,
    item_id: int,
    lot_id: int | None,
    location_id: int,
    on_hand: int,
    quantity: int,
) -> Line:
    """Add a counted quantity of an item (a lot) at the location being counted. Counts add
    up: several piles of one item on a shelf are scanned one after the other. Zero is a
    count too (the shelf was checked and holds none)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise InvalidInput("quantity must be a whole number, zero or more", field="quantity")
    if quantity > MAX_QUANTITY:
        raise InvalidInput(f"quantity must be at most {MAX_QUANTITY:,}", field="quantity")
    if line is None:
        line = Line(
            id=0,
            kind=COUNT,
            item_id=item_id,
            lot_id=lot_id,
            location_id=location_id,
            scanned_location_id=location_id,
            expected=False,
        )
    if line.counted_quantity is None:
        # compare with the system's count when the shelf is counted, not when the audit began
        line = replace(line, expected_quantity=on_hand)
    return replace(
        line,
        found=True,
        scans=line.scans + 1,
        counted_quantity=(line.counted_quantity or 0) + quantity,
    )


def unknown(line: Line | None, code: str) -> Line:
    if line is None:
        line = Line(id=0, kind=UNKNOWN, code=code, expected=False)
    return replace(line, scans=line.scans + 1)


@dataclass(frozen=True, slots=True)
class Report:
    found: list[Line]
    missing: list[Line]
    unexpected: list[Line]
    misplaced: list[Line]  # expected, found, but scanned at another location of the audit
    unknown: list[Line]
    counted: list[Line]
    differences: list[Line]
    not_counted: list[Line]

    def totals(self) -> dict[str, int]:
        units_expected = len(self.found) + len(self.missing)
        return {
            "expected": units_expected,
            "found": len(self.found),
            "missing": len(self.missing),
            "unexpected": len(self.unexpected),
            "misplaced": len(self.misplaced),
            "unknown": len(self.unknown),
            "counted": len(self.counted),
            "count_differences": len(self.differences),
            "not_counted": len(self.not_counted),
        }


def report(lines: list[Line]) -> Report:
    units = [ln for ln in lines if ln.kind == UNIT]
    counts = [ln for ln in lines if ln.kind == COUNT]
    counted = [ln for ln in counts if ln.counted_quantity is not None]
    return Report(
        found=[ln for ln in units if ln.expected and ln.found],
        missing=[ln for ln in units if ln.expected and not ln.found],
        unexpected=[ln for ln in units if not ln.expected],
        misplaced=[
            ln
            for ln in units
            if ln.expected and ln.found and ln.scanned_location_id not in (None, ln.location_id)
        ],
        unknown=[ln for ln in lines if ln.kind == UNKNOWN],
        counted=counted,
        differences=[ln for ln in counted if ln.difference],
        not_counted=[ln for ln in counts if ln.counted_quantity is None],
    )


@dataclass(frozen=True, slots=True)
class Options:
    """What a confirmation changes. Marking missing units lost is off unless asked: a unit
    not scanned is more often behind a box than gone, and `lost` takes it out of the count."""

    move_unexpected: bool = True
    adjust_counts: bool = True
    mark_missing_lost: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    moves: list[Line]  # unexpected and misplaced units, to where they were scanned
    adjustments: list[Line]  # count lines whose count differs
    lost: list[Line]  # expected units not found
    seen: list[int]  # unit ids to stamp last_audited_at on


def plan(lines: list[Line], options: Options) -> Plan:
    r = report(lines)
    return Plan(
        moves=r.unexpected + r.misplaced if options.move_unexpected else [],
        adjustments=r.differences if options.adjust_counts else [],
        lost=r.missing if options.mark_missing_lost else [],
        seen=sorted(
            {ln.unit_id for ln in lines if ln.kind == UNIT and ln.found and ln.unit_id is not None}
        ),
    )


def target_count(line: Line, on_hand_now: int) -> int:
    """The count to set at confirmation. Stock may have moved since the shelf was counted
    (a receipt while the audit ran), so the difference found is applied to today's count
    rather than overwriting it with the counted number."""
    assert line.difference is not None
    return on_hand_now + line.difference


def as_dict(line: Line) -> dict[str, Any]:
    return {name: getattr(line, name) for name in Line.__slots__}

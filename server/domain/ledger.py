"""Rebuild the current state from the events alone (DESIGN.md invariant 2).

`replay` folds events in order into a State; `compare` lists every difference between a
rebuilt State and the one the tables hold. `tagtrack verify` runs both."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from server.domain.vocab import EventKind


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    id: int
    kind: str
    item_id: int | None
    unit_id: int | None
    lot_id: int | None
    quantity: int | None
    from_location_id: int | None
    to_location_id: int | None
    from_person_id: int | None
    to_person_id: int | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class UnitState:
    item_id: int
    location_id: int | None
    custodian_id: int | None
    status: str
    condition: str
    collapsed: bool


@dataclass(frozen=True, slots=True)
class LoanState:
    """A quantity loan: who holds how much of what (units keep custody on the unit)."""

    person_id: int
    item_id: int
    lot_id: int | None
    quantity_out: int
    quantity_returned: int
    status: str


@dataclass(frozen=True, slots=True)
class LotState:
    item_id: int
    code: str
    expires_on: str | None  # ISO date, as the events carry it


Holding = tuple[int, int, int | None]  # (person, item, lot)


@dataclass
class State:
    units: dict[int, UnitState] = field(default_factory=dict)
    stock: dict[tuple[int, int, int | None], int] = field(default_factory=dict)
    loans: dict[int, LoanState] = field(default_factory=dict)
    # what each person holds of each counted item (and lot), from the events' person sides
    holdings: dict[Holding, int] = field(default_factory=dict)
    lots: dict[int, LotState] = field(default_factory=dict)


def replay(events: Iterable[LedgerEvent]) -> State:
    units: dict[int, dict[str, Any]] = {}
    stock: defaultdict[tuple[int, int, int | None], int] = defaultdict(int)
    holdings: defaultdict[Holding, int] = defaultdict(int)
    loans: dict[int, dict[str, Any]] = {}
    lots: dict[int, LotState] = {}
    for e in events:
        if e.kind in _LOT_KINDS:
            _apply_lot(lots, e)
        elif e.unit_id is not None:
            _apply_unit(units, e)
        elif e.quantity is not None and e.item_id is not None:
            # a lend leaves a location for a person; a return comes from a person
            if e.from_location_id is not None:
                stock[(e.item_id, e.from_location_id, e.lot_id)] -= e.quantity
            if e.to_location_id is not None:
                stock[(e.item_id, e.to_location_id, e.lot_id)] += e.quantity
            if e.from_person_id is not None:
                holdings[(e.from_person_id, e.item_id, e.lot_id)] -= e.quantity
            if e.to_person_id is not None:
                holdings[(e.to_person_id, e.item_id, e.lot_id)] += e.quantity
            _apply_loan(loans, e)
    return State(
        units={uid: UnitState(**u) for uid, u in units.items()},
        stock={k: v for k, v in stock.items() if v != 0},
        loans={lid: LoanState(**ln, status="open" if ln["quantity_out"] > ln["quantity_returned"]
                              else "closed") for lid, ln in loans.items()},
        holdings={k: v for k, v in holdings.items() if v != 0},
        lots=lots,
    )


_LOT_KINDS = (EventKind.LOT_CREATED, EventKind.LOT_EXPIRY_CHANGED)


def _apply_lot(lots: dict[int, LotState], e: LedgerEvent) -> None:
    if e.lot_id is None or e.item_id is None:
        return
    if e.kind == EventKind.LOT_CREATED:
        lots[e.lot_id] = LotState(e.item_id, str(e.details.get("code", "")),
                                  e.details.get("expires_on"))
    elif e.lot_id in lots:  # an expiry changed: the date it was changed to
        lot = lots[e.lot_id]
        lots[e.lot_id] = LotState(lot.item_id, lot.code, e.details.get("to"))
    else:  # a change of a lot never created: surfaces as a difference
        lots[e.lot_id] = LotState(e.item_id, "?", e.details.get("to"))


def _apply_loan(loans: dict[int, dict[str, Any]], e: LedgerEvent) -> None:
    assert e.quantity is not None and e.item_id is not None
    if e.kind == EventKind.STOCK_LENT and "loan" in e.details and e.to_person_id is not None:
        loans[int(e.details["loan"])] = {
            "person_id": e.to_person_id, "item_id": e.item_id, "lot_id": e.lot_id,
            "quantity_out": e.quantity, "quantity_returned": 0}
    elif e.kind == EventKind.STOCK_RETURNED:
        for loan_id, quantity in e.details.get("loans", []):
            loan = loans.setdefault(int(loan_id), {  # a return of a loan never lent
                "person_id": e.from_person_id, "item_id": e.item_id, "lot_id": e.lot_id,
                "quantity_out": 0, "quantity_returned": 0})
            loan["quantity_returned"] += int(quantity)


def _apply_unit(units: dict[int, dict[str, Any]], e: LedgerEvent) -> None:
    assert e.unit_id is not None
    if e.kind == EventKind.UNIT_CREATED:
        units[e.unit_id] = {
            "item_id": e.item_id, "location_id": e.to_location_id, "custodian_id": None,
            "status": e.details.get("status", "available"),
            "condition": e.details.get("condition", "working"), "collapsed": False,
        }
        return
    u = units.get(e.unit_id)
    if u is None:  # an event for a unit never created: surfaces as a difference
        units[e.unit_id] = u = {"item_id": e.item_id, "location_id": None,
                                "custodian_id": None, "status": "?", "condition": "?",
                                "collapsed": False}
    if e.to_location_id is not None:
        u["location_id"] = e.to_location_id
    if e.to_person_id is not None:
        u["custodian_id"] = e.to_person_id
    elif e.from_person_id is not None:
        u["custodian_id"] = None
    if "status" in e.details:
        u["status"] = e.details["status"]
    if "condition" in e.details:
        u["condition"] = e.details["condition"]
    if e.kind == EventKind.UNIT_COLLAPSED:
        u["collapsed"] = True
    elif e.kind == EventKind.UNIT_RESTORED:
        u["collapsed"] = False


def compare(rebuilt: State, actual: State) -> list[str]:
    problems: list[str] = []
    for uid in sorted(set(rebuilt.units) | set(actual.units)):
        want, have = rebuilt.units.get(uid), actual.units.get(uid)
        if want is None:
            problems.append(f"unit {uid}: in the tables but no event created it")
        elif have is None:
            problems.append(f"unit {uid}: created by an event but missing from the tables")
        elif want != have:
            for name in UnitState.__slots__:
                a, b = getattr(want, name), getattr(have, name)
                if a != b:
                    problems.append(f"unit {uid}: {name} is {b!r}, the events say {a!r}")
    keys = set(rebuilt.stock) | set(actual.stock)
    for key in sorted(keys, key=lambda k: (k[0], k[1], k[2] or 0)):
        want_q, have_q = rebuilt.stock.get(key, 0), actual.stock.get(key, 0)
        if want_q != have_q:
            item, loc, lot = key
            problems.append(f"stock of item {item} at location {loc} lot {lot}: "
                            f"{have_q} in the tables, the events say {want_q}")
    problems += _compare_loans(rebuilt, actual)
    problems += _compare_lots(rebuilt, actual)
    return problems


def _compare_lots(rebuilt: State, actual: State) -> list[str]:
    problems: list[str] = []
    for lid in sorted(set(rebuilt.lots) | set(actual.lots)):
        want, have = rebuilt.lots.get(lid), actual.lots.get(lid)
        if want is None:
            problems.append(f"lot {lid}: in the tables but no event created it")
        elif have is None:
            problems.append(f"lot {lid}: created by an event but missing from the tables")
        elif want != have:
            for name in LotState.__slots__:
                a, b = getattr(want, name), getattr(have, name)
                if a != b:
                    problems.append(f"lot {lid}: {name} is {b!r}, the events say {a!r}")
    return problems


def _compare_loans(rebuilt: State, actual: State) -> list[str]:
    problems: list[str] = []
    for lid in sorted(set(rebuilt.loans) | set(actual.loans)):
        want, have = rebuilt.loans.get(lid), actual.loans.get(lid)
        if want is None:
            problems.append(f"loan {lid}: in the tables but no event lent it")
        elif have is None:
            problems.append(f"loan {lid}: lent by an event but missing from the tables")
        elif want != have:
            for name in LoanState.__slots__:
                a, b = getattr(want, name), getattr(have, name)
                if a != b:
                    problems.append(f"loan {lid}: {name} is {b!r}, the events say {a!r}")
    keys = set(rebuilt.holdings) | set(actual.holdings)
    for key in sorted(keys, key=lambda k: (k[0], k[1], k[2] or 0)):
        want_q, have_q = rebuilt.holdings.get(key, 0), actual.holdings.get(key, 0)
        if want_q != have_q:
            person, item, lot = key
            problems.append(f"person {person} holds {have_q} of item {item} lot {lot} in "
                            f"the tables, the events say {want_q}")
    return problems

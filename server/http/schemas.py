"""Request and response bodies (msgspec). Field names are the words of DESIGN.md."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

# A due date as the API takes it (read by inputs.api_moment): ISO 8601 with an offset is
# that moment; without one it is read in the site's zone (TAGTRACK_TIME_ZONE), and a plain
# date is the end of that day there (23:59:59). Answers give due dates in UTC.
DueAt = Annotated[str, Meta(
    max_length=40,
    description="ISO 8601: 2026-12-05T17:00:00-08:00 or ...Z is that moment; "
    "2026-12-05T17:00 (no offset) is in the site's time zone (TAGTRACK_TIME_ZONE); "
    "a plain date 2026-12-05 is the end of that day (23:59:59) in the site's time zone",
    examples=["2026-12-05", "2026-12-05T17:00:00-08:00"])]


class In(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Request bodies reject fields they do not know, so a typo is an error, not a no-op,
    and text with a NUL character (which PostgreSQL cannot store) anywhere in them."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            check_text(getattr(self, name), name)


def check_text(value: Any, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"field `{where}` must not contain a NUL character (\\u0000)")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_text(v, f"{where}[{i}]")
    elif isinstance(value, Struct):
        for name in value.__struct_fields__:
            check_text(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, dict):
        for k, v in value.items():
            check_text(k, where)
            check_text(v, f"{where}.{k}")


class Ref(Struct):
    id: int
    tag: str | None = None
    name: str | None = None


class ItemRef(Struct):
    id: int
    sku: str
    name: str


class CustomFieldDef(Struct, forbid_unknown_fields=True):
    key: str
    type: str
    label: str = ""
    required: bool = False
    choices: list[str] = msgspec.field(default_factory=list)


class ItemCreate(In):
    sku: str
    name: str
    tracking: str = "quantity"
    description: str = ""
    category: str = ""
    unit_of_measure: str = "each"
    barcodes: list[str] = msgspec.field(default_factory=list)
    reorder_point: int | None = None
    unit_cost: str | float | None = None
    allow_negative: bool = False
    archived: bool = False
    custom_fields: list[CustomFieldDef] = msgspec.field(default_factory=list)
    loan_days: int | None = None  # a check-out's default period; None: the site's; 0: no due
    regulated: bool = False  # a rule, a recall or an auditor may ask for its history


class ItemUpdate(In):
    sku: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    category: str | UnsetType = UNSET
    unit_of_measure: str | UnsetType = UNSET
    barcodes: list[str] | UnsetType = UNSET
    reorder_point: int | UnsetType | None = UNSET
    unit_cost: str | float | UnsetType | None = UNSET
    allow_negative: bool | UnsetType = UNSET
    archived: bool | UnsetType = UNSET
    custom_fields: list[CustomFieldDef] | UnsetType = UNSET
    loan_days: int | UnsetType | None = UNSET
    regulated: bool | UnsetType = UNSET
    version: int | UnsetType = UNSET


class ItemOut(Struct):
    id: int
    sku: str
    name: str
    tracking: str
    description: str
    category: str
    unit_of_measure: str
    barcodes: list[str]
    reorder_point: int | None
    unit_cost: str | None
    allow_negative: bool
    archived: bool
    custom_fields: list[CustomFieldDef]
    count: int
    available_count: int
    version: int
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    loan_days: int | None = None  # None: the site's loan period applies; 0: no due date
    regulated: bool = False


class ItemPage(Struct):
    items: list[ItemOut]
    total: int
    limit: int
    offset: int


class ConvertIn(In):
    tracking: str
    lot: str | None = None
    on_checked_out: str = "refuse"


class ConvertOut(Struct):
    item: ItemOut
    units_created: int
    units_restored: int  # units collapsed by an earlier switch, back with their tags
    units_collapsed: int
    units_checked_in: int


class UnitsCreate(In):
    item: int | str
    location: int | str
    count: int | None = None
    serials: list[str] | None = None
    serial_pattern: str | None = None
    condition: str = "working"
    purchase_date: dt.date | None = None
    purchase_cost: str | float | None = None
    warranty_end: dt.date | None = None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)
    note: str = ""


class UnitUpdate(In):
    serial: str | UnsetType | None = UNSET
    purchase_date: dt.date | UnsetType | None = UNSET
    purchase_cost: str | float | UnsetType | None = UNSET
    warranty_end: dt.date | UnsetType | None = UNSET
    custom: dict[str, Any] | UnsetType = UNSET


class UnitOut(Struct):
    id: int
    tag: str
    item: ItemRef
    serial: str | None
    status: str
    condition: str
    location: Ref
    custodian: Ref | None
    due_at: dt.datetime | None
    lot: str | None
    purchase_date: dt.date | None
    purchase_cost: str | None
    warranty_end: dt.date | None
    custom: dict[str, Any]
    collapsed: bool
    version: int
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    last_audited_at: dt.datetime | None


class UnitPage(Struct):
    units: list[UnitOut]
    total: int
    limit: int
    offset: int


class UnitsCreated(Struct):
    units: list[UnitOut]


class MoveIn(In):
    location: int | str
    note: str = ""


class CheckOutIn(In):
    person: int | str
    due_at: DueAt | None = None  # none: the item's loan period, else the site's
    note: str = ""
    allow_past_due: bool = False  # a due date in the past is refused (422) unless true
    override_condition: bool = False  # lend a unit that needs repair or is damaged (manager)
    override_reason: str | None = None  # required with override_condition; kept in the event


class CheckInIn(In):
    location: int | str | None = None
    condition: str | None = None
    note: str = ""


class StatusIn(In):
    status: str
    note: str = ""


class ConditionIn(In):
    condition: str
    note: str = ""


class NoteIn(In):
    note: str = ""


class StockOp(In):
    item: int | str
    location: int | str
    quantity: int
    lot: str | None = None
    expires_on: dt.date | None = None
    note: str = ""


class StockAdjust(In):
    item: int | str
    location: int | str
    counted: int
    reason: str
    lot: str | None = None


class StockMove(In):
    item: int | str
    from_location: int | str
    to_location: int | str
    quantity: int
    lot: str | None = None
    note: str = ""


class StockOut(Struct):
    item: ItemRef
    location: Ref
    lot: str | None
    lot_expires_on: dt.date | None
    quantity: int
    unit_of_measure: str


class StockPage(Struct):
    stock: list[StockOut]
    total: int
    limit: int
    offset: int


class LotOut(Struct):
    id: int
    code: str
    expires_on: dt.date | None
    item: ItemRef
    quantity: int
    expired: bool = False  # on the server's date (UTC) when answered
    days_left: int | None = None  # to the expiry date; negative once expired


class LotPage(Struct):
    lots: list[LotOut]
    total: int
    limit: int
    offset: int


class LotStockOut(Struct):
    location: Ref
    quantity: int


class LotDetailOut(Struct):
    lot: LotOut
    stock: list[LotStockOut]  # where the lot is, per location


class LotUpdate(In):
    """A correction of a lot (send only what changes), always with its reason."""

    reason: str
    expires_on: dt.date | UnsetType | None = UNSET  # null: the lot does not expire


class EventOut(Struct):
    id: int
    at: dt.datetime
    actor: str
    kind: str
    item: str | None
    unit: str | None
    lot: str | None
    quantity: int | None
    quantity_delta: int | None
    from_location: str | None
    to_location: str | None
    from_person: str | None
    to_person: str | None
    note: str
    details: dict[str, Any]


class EventPage(Struct):
    events: list[EventOut]
    next_before: int | None


class LocationCreate(In):
    name: str
    parent: int | str | None = None


class LocationUpdate(In):
    name: str | UnsetType = UNSET
    parent: int | str | UnsetType | None = UNSET
    archived: bool | UnsetType = UNSET


class LocationOut(Struct):
    id: int
    tag: str
    name: str
    parent: Ref | None
    path: list[str]
    archived: bool


class LocationPage(Struct):
    locations: list[LocationOut]
    total: int
    limit: int
    offset: int


class PersonCreate(In):
    name: str
    email: str = ""
    badge_code: str | None = None
    active: bool = True


class PersonUpdate(In):
    name: str | UnsetType = UNSET
    email: str | UnsetType = UNSET
    badge_code: str | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET


class PersonOut(Struct):
    id: int
    tag: str
    name: str
    email: str
    badge_code: str | None
    active: bool


class PersonPage(Struct):
    people: list[PersonOut]
    total: int
    limit: int
    offset: int


class UserCreate(In):
    username: str
    role: str
    password: str
    # a password set by an admin is temporary: the user chooses their own at first login
    must_change_password: bool = True


class UserUpdate(In):
    role: str | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    password: str | UnsetType = UNSET
    # an IANA name (America/Los_Angeles); null: the browser's zone, else the site's
    time_zone: str | UnsetType | None = UNSET
    # true: the user must choose a new password at their next login (a new password set
    # here makes it true unless false is sent with it)
    must_change_password: bool | UnsetType = UNSET


class UserOut(Struct):
    id: int
    username: str
    role: str
    active: bool
    time_zone: str | None = None  # the zone pages show times in; null: browser's, else site's
    must_change_password: bool = False  # their session can do nothing else until they do


class PasswordChange(In):
    current_password: str
    new_password: str


class TokenCreate(In):
    name: str = ""
    user: int | None = None


class MyTokenCreate(In):
    name: str = ""


class TokenOut(Struct):
    id: int
    user: int
    name: str
    prefix: str
    created_at: dt.datetime | None
    revoked: bool
    token: str | None = None  # only in the answer that creates it


class EventId(Struct):
    event_id: int | None


class Health(Struct):
    status: str
    database: str


def given(struct: Struct) -> dict[str, Any]:
    """The fields a PATCH body actually set."""
    return {k: v for k in struct.__struct_fields__ if (v := getattr(struct, k)) is not UNSET}

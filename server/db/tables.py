"""Piccolo tables. State tables hold the current state; `event` holds the history.

Events reference records by plain integer ids (no foreign keys): the ledger is append-only
and stands on its own, so nothing can ever block or cascade into it."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Counter(Table, tablename="counter"):
    """Sequences for tags: one row per tag kind (U, L, P)."""

    name = Varchar(length=20, unique=True)
    value = BigInt(default=0)


class Item(Table, tablename="item"):
    sku = Varchar(length=64)
    sku_key = Varchar(length=64, unique=True)  # lower-cased: SKUs are unique ignoring case
    name = Varchar(length=200, index=True)
    description = Text(default="")
    category = Varchar(length=100, default="", index=True)
    unit_of_measure = Varchar(length=30, default="each")
    tracking = Varchar(length=10, index=True)
    reorder_point = Integer(null=True, default=None)
    loan_days = Integer(null=True, default=None)  # a check-out's default period
    unit_cost = Numeric(digits=(12, 2), null=True, default=None)
    allow_negative = Boolean(default=False)
    archived = Boolean(default=False, index=True)
    regulated = Boolean(default=False)  # a rule or an auditor may ask (migration 2026-11-29T15:30)
    custom_fields = JSON(default="[]")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ItemBarcode(Table, tablename="item_barcode"):
    item = ForeignKey(Item, null=False)
    gtin = Varchar(length=14, unique=True)


class Location(Table, tablename="location"):
    tag = Varchar(length=20, unique=True)
    name = Varchar(length=200)
    parent = ForeignKey("self", null=True, default=None)  # type: ignore[var-annotated]
    archived = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Person(Table, tablename="person"):
    tag = Varchar(length=20, unique=True)
    name = Varchar(length=200, index=True)
    email = Varchar(length=254, default="")
    badge_code = Varchar(length=100, null=True, default=None, unique=True)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Lot(Table, tablename="lot"):
    item = ForeignKey(Item, null=False)
    code = Varchar(length=100)
    expires_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Unit(Table, tablename="unit"):
    tag = Varchar(length=20, unique=True)
    item = ForeignKey(Item, null=False)
    serial = Varchar(length=100, null=True, default=None)
    status = Varchar(length=20, default="available")
    condition = Varchar(length=20, default="working")
    location = ForeignKey(Location, null=False)
    custodian = ForeignKey(Person, null=True, default=None)
    due_at = Timestamptz(null=True, default=None)
    lot = ForeignKey(Lot, null=True, default=None)
    purchase_date = Date(null=True, default=None)
    purchase_cost = Numeric(digits=(12, 2), null=True, default=None)
    warranty_end = Date(null=True, default=None)
    custom = JSON(default="{}")
    collapsed = Boolean(default=False)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    last_audited_at = Timestamptz(null=True, default=None)


class Stock(Table, tablename="stock"):
    """Count of an item at a location (per lot for lot items). `key` makes the triple
    unique on both engines, NULL lot included."""

    key = Varchar(length=64, unique=True)
    item = ForeignKey(Item, null=False)
    location = ForeignKey(Location, null=False)
    lot = ForeignKey(Lot, null=True, default=None)
    quantity = Integer(default=0)


class Event(Table, tablename="event"):
    id = BigSerial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow())
    actor_id = Integer(null=True, default=None)
    actor = Varchar(length=100, default="")
    kind = Varchar(length=40, index=True)
    item_id = Integer(null=True, default=None, index=True)
    unit_id = Integer(null=True, default=None, index=True)
    lot_id = Integer(null=True, default=None, index=True)
    quantity = Integer(null=True, default=None)
    from_location_id = Integer(null=True, default=None, index=True)
    to_location_id = Integer(null=True, default=None, index=True)
    from_person_id = Integer(null=True, default=None, index=True)
    to_person_id = Integer(null=True, default=None, index=True)
    note = Text(default="")
    details = JSON(default="{}")
    # the hash chain (server/db/ledger.py, docs/ledger.md): the hash of the event before
    # this one, and this one's over that and its content
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")


class User(Table, tablename="app_user"):
    username = Varchar(length=100, unique=True)
    role = Varchar(length=20)
    password_hash = Varchar(length=255, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # the zone this user reads times in (IANA name); NULL: their browser's, else the site's
    time_zone = Varchar(length=64, null=True, default=None)
    # a password someone else set (the CLI, an admin): the user must choose their own
    # before anything else (migration 2026-11-29T13:10)
    must_change_password = Boolean(default=False)


class ApiToken(Table, tablename="api_token"):
    user = ForeignKey(User, null=False)
    name = Varchar(length=100, default="")
    prefix = Varchar(length=16)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Session(Table, tablename="web_session"):
    user = ForeignKey(User, null=False)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


ALL_TABLES: list[type[Table]] = [
    Counter, Item, ItemBarcode, Location, Person, Lot, Unit, Stock, Event, User, ApiToken,
    Session,
]


# Loans and audits are history a person reads later: deleting what they name must fail
# rather than silently take them along (the default would be ON DELETE CASCADE).
KEEP = OnDelete.restrict


class Loan(Table, tablename="loan"):
    """A quantity of a counted item held by a person. Units need no loan row: a unit's
    custodian and due date live on the unit itself."""

    person = ForeignKey(Person, null=False, on_delete=KEEP)
    item = ForeignKey(Item, null=False, on_delete=KEEP)
    lot = ForeignKey(Lot, null=True, default=None, on_delete=KEEP)
    from_location = ForeignKey(Location, null=False, on_delete=KEEP)
    quantity_out = Integer()
    quantity_returned = Integer(default=0)
    due_at = Timestamptz(null=True, default=None)
    status = Varchar(length=10, default="open")
    lent_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True, default=None)


class Audit(Table, tablename="audit"):
    """A stocktake of a location (and its subtree, if asked) by scanning."""

    location = ForeignKey(Location, null=False, on_delete=KEEP)
    include_sublocations = Boolean(default=False)
    status = Varchar(length=12, default="open")
    current_location = ForeignKey(Location, null=True, default=None, on_delete=KEEP)
    started_by = Varchar(length=100, default="")
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    confirmed_by = Varchar(length=100, default="")
    outcome = JSON(default="{}")


class AuditLine(Table, tablename="audit_line"):
    """One expected or scanned thing of an audit: a unit, a count of an item at a location
    (per lot), or a code that resolved to nothing."""

    audit = ForeignKey(Audit, null=False, on_delete=KEEP)
    kind = Varchar(length=10)
    unit = ForeignKey(Unit, null=True, default=None, on_delete=KEEP)
    item = ForeignKey(Item, null=True, default=None, on_delete=KEEP)
    lot = ForeignKey(Lot, null=True, default=None, on_delete=KEEP)
    location = ForeignKey(Location, null=True, default=None, on_delete=KEEP)
    custodian = ForeignKey(Person, null=True, default=None, on_delete=KEEP)
    status = Varchar(length=20, default="")
    scanned_location = ForeignKey(Location, null=True, default=None, on_delete=KEEP)
    expected = Boolean(default=True)
    found = Boolean(default=False)
    expected_quantity = Integer(null=True, default=None)
    counted_quantity = Integer(null=True, default=None)
    code = Varchar(length=200, default="")
    scans = Integer(default=0)
    last_scanned_at = Timestamptz(null=True, default=None)


ALL_TABLES.extend([Loan, Audit, AuditLine])


class ScanLog(Table, tablename="scan_log"):
    """Every scan a device sent, misses and refusals included, with the answer it got.
    `idempotency_key` is unique per user (index scan_log_user_key, migration
    2026-11-29T12:20): the row is written in the transaction of the change it caused, so
    a replay finds it (and its answer) exactly when the change committed."""

    id = BigSerial(primary_key=True)
    device_id = Varchar(length=100, default="", index=True)
    user_id = Integer(null=True, default=None, index=True)
    username = Varchar(length=100, default="")
    code = Text(default="")
    action = Varchar(length=20, default="")
    ok = Boolean(default=False)
    status = Integer(default=200)
    error_code = Varchar(length=60, null=True, default=None)
    resolved_kind = Varchar(length=20, null=True, default=None)
    resolved_id = Integer(null=True, default=None)
    event_id = BigInt(null=True, default=None)
    scanned_at = Timestamptz(null=True, default=None)
    received_at = Timestamptz(default=TimestamptzNow())
    idempotency_key = Varchar(length=200, null=True, default=None)
    answer = JSON(default="{}")


ALL_TABLES.append(ScanLog)


class AuthFailure(Table, tablename="auth_failure"):
    """One failed login or bad API token, per key: kind "account" (the username typed) or
    "address" (the client's address); kept for the login throttle's window."""

    id = BigSerial(primary_key=True)
    kind = Varchar(length=10)
    key = Varchar(length=200)
    at = Timestamptz()


ALL_TABLES.append(AuthFailure)


class ImportRun(Table, tablename="import_run"):
    """One spreadsheet checked (dry run) or applied (commit) as one change: what was asked
    (kind, file, options, mapping), how far it got (rows_done of rows_total), and what it
    found (counts per kind and outcome, the errors, the field changes of updates).
    `stored_file` is the upload kept in the data directory, so that a dry run's file can
    be committed and its rejected rows downloaded later (migration 2026-11-29T15:10)."""

    kind = Varchar(length=20)
    file_name = Varchar(length=255, default="")
    stored_file = Varchar(length=500, default="")
    status = Varchar(length=20, default="queued")
    dry_run = Boolean(default=True)
    options = JSON(default="{}")
    mapping = JSON(default="{}")
    counts = JSON(default="{}")
    errors = JSON(default="[]")
    error_count = Integer(default=0)
    changes = JSON(default="[]")
    rows_total = Integer(default=0)
    rows_done = Integer(default=0)
    message = Text(default="")
    user_id = Integer(null=True, default=None)
    username = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class ImportMapping(Table, tablename="import_mapping"):
    """A mapping saved by name for one kind: column header -> field key."""

    kind = Varchar(length=20)
    name = Varchar(length=100)
    columns = JSON(default="{}")
    created_by = Varchar(length=100, default="")
    updated_at = Timestamptz(default=TimestamptzNow())


ALL_TABLES.extend([ImportRun, ImportMapping])


class UnitCustody(Table, tablename="unit_custody"):
    """Utilization summary (migration 2026-11-29T15:20, kept by triggers on `event`): one
    check-out of a unit (id = its event's id) and when it ended, in UTC epoch seconds."""

    id = BigInt(primary_key=True)
    unit_id = Integer()
    item_id = Integer()
    person_id = Integer(null=True, default=None)
    out_s = BigInt()
    in_s = BigInt(null=True, default=None)


class UnitActivity(Table, tablename="unit_activity"):
    """Utilization summary (migration 2026-11-29T15:20, kept by triggers on `event` and
    `scan_log`): when a unit last moved and was last seen, in UTC epoch seconds."""

    unit_id = Integer(primary_key=True)
    item_id = Integer()
    created_s = BigInt()
    moved_s = BigInt()
    seen_s = BigInt()


ALL_TABLES.extend([UnitCustody, UnitActivity])


class ServiceRule(Table, tablename="service_rule"):
    """Maintenance schedule (migration 2026-11-29T16:00): on an item (all its units) or on
    one unit, every N days and/or N uses; see server/domain/maintenance.py."""

    item = ForeignKey(Item, null=True, default=None)
    unit = ForeignKey(Unit, null=True, default=None)
    kind = Varchar(length=20)
    name = Varchar(length=100, default="")
    every_days = Integer(null=True, default=None)
    every_uses = Integer(null=True, default=None)
    anchor = Varchar(length=20, default="completion")
    starts_on = Date()
    lead_days = Integer(default=0)
    lead_uses = Integer(default=0)
    blocks_checkout = Boolean(default=False)
    active = Boolean(default=True)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


class ServiceRecord(Table, tablename="service_record"):
    """One service of one unit (migration 2026-11-29T16:00): planned -> in_progress ->
    done | failed | cancelled. `corrects` is a plain id (no foreign key: no cycle)."""

    unit = ForeignKey(Unit, null=False)
    rule = ForeignKey(ServiceRule, null=True, default=None)
    kind = Varchar(length=20)
    state = Varchar(length=20, default="planned")
    planned_on = Date(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    performed_by = Varchar(length=200, default="")
    vendor = Varchar(length=200, default="")
    cost = Numeric(digits=(12, 2), null=True, default=None)
    under_warranty = Boolean(default=False)
    notes = Text(default="")
    corrects = Integer(null=True, default=None)
    status_before = Varchar(length=20, null=True, default=None)
    version = Integer(default=1)
    created_by = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())


ALL_TABLES.extend([ServiceRule, ServiceRecord])

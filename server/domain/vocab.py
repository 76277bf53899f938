"""The closed sets of words Tagtrack uses, defined once (DESIGN.md, "Words")."""

from __future__ import annotations

from enum import StrEnum


class Tracking(StrEnum):
    """How an item is tracked: a plain count, counts per lot, or individual units."""

    QUANTITY = "quantity"
    LOT = "lot"
    SERIAL = "serial"

    @property
    def counted(self) -> bool:
        return self is not Tracking.SERIAL


class Status(StrEnum):
    AVAILABLE = "available"
    CHECKED_OUT = "checked_out"
    IN_REPAIR = "in_repair"
    RESERVED = "reserved"
    RETIRED = "retired"
    LOST = "lost"


# Units in these statuses are physically ours and on hand: they count towards the item's
# count. Retired and lost units are kept for history but are not counted.
ON_HAND = frozenset({Status.AVAILABLE, Status.CHECKED_OUT, Status.IN_REPAIR, Status.RESERVED})


class Condition(StrEnum):
    WORKING = "working"
    NEEDS_REPAIR = "needs_repair"
    DAMAGED = "damaged"


class Role(StrEnum):
    """Roles are ranked: each one can do everything the ones below it can. KIOSK stands
    apart, below them all: the account of a self-service screen at the door, which may only
    look up, check out and check in there (routes marked for the kiosk, see actors.py)."""

    KIOSK = "kiosk"
    VIEWER = "viewer"
    OPERATOR = "operator"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_ROLE_RANK = {Role.KIOSK: -1, Role.VIEWER: 0, Role.OPERATOR: 1, Role.MANAGER: 2, Role.ADMIN: 3}


class EventKind(StrEnum):
    ITEM_CREATED = "item.created"
    ITEM_UPDATED = "item.updated"
    ITEM_TRACKING_CHANGED = "item.tracking_changed"
    STOCK_RECEIVED = "stock.received"
    STOCK_CONSUMED = "stock.consumed"
    STOCK_ADJUSTED = "stock.adjusted"
    STOCK_MOVED = "stock.moved"
    STOCK_CONVERTED = "stock.converted"
    STOCK_LENT = "stock.lent"
    STOCK_RETURNED = "stock.returned"
    LOT_CREATED = "lot.created"
    LOT_UPDATED = "lot.updated"
    LOT_EXPIRY_CHANGED = "lot.expiry_changed"
    UNIT_CREATED = "unit.created"
    UNIT_UPDATED = "unit.updated"
    UNIT_MOVED = "unit.moved"
    UNIT_CHECKED_OUT = "unit.checked_out"
    UNIT_CHECKED_IN = "unit.checked_in"
    UNIT_STATUS_CHANGED = "unit.status_changed"
    UNIT_CONDITION_CHANGED = "unit.condition_changed"
    UNIT_COLLAPSED = "unit.collapsed"
    UNIT_RESTORED = "unit.restored"  # a collapsed unit back, when its item tracks units again
    UNIT_AUDITED = "unit.audited"
    LOCATION_CREATED = "location.created"
    LOCATION_UPDATED = "location.updated"
    LOCATION_DELETED = "location.deleted"
    PERSON_CREATED = "person.created"
    PERSON_UPDATED = "person.updated"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    TAGS_RESERVED = "tags.reserved"
    SERVICE_PLANNED = "service.planned"  # maintenance (server/domain/maintenance.py)
    SERVICE_STARTED = "service.started"  # the unit goes in_repair (details: status)
    SERVICE_FINISHED = "service.finished"  # done/failed/cancelled; the unit back
    SERVICE_RULE_SET = "service.rule_set"  # a schedule rule added or changed

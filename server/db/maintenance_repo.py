"""Service rules and service records (rows as dicts; the schedule as the domain's
ScheduleRule), and the counts a schedule needs: the last completion and the check-outs
since."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db.engine import fetch
from server.db.rows import for_update, money
from server.domain.errors import ConcurrentChange, NotFound
from server.domain.maintenance import Anchor, ScheduleRule

RECORD_COLUMNS = ("unit", "rule", "kind", "state", "planned_on", "started_at", "finished_at",
                  "performed_by", "vendor", "cost", "under_warranty", "notes", "corrects",
                  "status_before", "created_by")
RULE_COLUMNS = ("item", "unit", "kind", "name", "every_days", "every_uses", "anchor",
                "starts_on", "lead_days", "lead_uses", "blocks_checkout", "active")
# units a schedule still applies to: on hand, not merged into a count
_LIVE_UNIT = "u.collapsed = FALSE AND u.status NOT IN ('retired', 'lost')"


def schedule_of(row: dict[str, Any]) -> ScheduleRule:
    return ScheduleRule(starts_on=_date(row["starts_on"]), every_days=row["every_days"],
                        every_uses=row["every_uses"], anchor=Anchor(row["anchor"]),
                        lead_days=row["lead_days"], lead_uses=row["lead_uses"])


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _record(row: dict[str, Any]) -> dict[str, Any]:
    row["cost"] = money(row["cost"])
    row["under_warranty"] = bool(row["under_warranty"])
    return row


def _rule(row: dict[str, Any]) -> dict[str, Any]:
    row["blocks_checkout"] = bool(row["blocks_checkout"])
    row["active"] = bool(row["active"])
    row["starts_on"] = _date(row["starts_on"])
    return row


async def _insert(table: str, values: dict[str, Any]) -> int:
    names = ", ".join(f'"{k}"' for k in values)
    marks = ", ".join("{}" for _ in values)
    rows = await fetch(f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id",
                       *values.values())
    return int(rows[0]["id"])


async def _save(table: str, what: str, row_id: int, version: int,
                values: dict[str, Any]) -> None:
    sets = ", ".join(f'"{k}" = {{}}' for k in values)
    rows = await fetch(f"UPDATE {table} SET {sets}, version = version + 1 "
                       "WHERE id = {} AND version = {} RETURNING id",
                       *values.values(), row_id, version)
    if not rows:
        raise ConcurrentChange(f"{what} {row_id} was changed by someone else at the same "
                               "moment: look again and retry")


async def insert_record(values: dict[str, Any]) -> int:
    return await _insert("service_record", {k: values.get(k) for k in RECORD_COLUMNS
                                            if k in values})


async def record(record_id: int, *, lock: bool = False) -> dict[str, Any]:
    rows = await fetch("SELECT * FROM service_record WHERE id = {}"
                       + (for_update() if lock else ""), record_id)
    if not rows:
        raise NotFound(f"no service record {record_id}", field="record")
    return _record(rows[0])


async def save_record(row: dict[str, Any], values: dict[str, Any]) -> None:
    await _save("service_record", "service record", row["id"], row["version"], values)


async def records_of_unit(unit_id: int, limit: int = 200) -> list[dict[str, Any]]:
    rows = await fetch("SELECT * FROM service_record WHERE unit = {} ORDER BY id DESC "
                       "LIMIT {}", unit_id, limit)
    return [_record(r) for r in rows]


async def records_in_state(state: str, limit: int = 500) -> list[dict[str, Any]]:
    rows = await fetch("SELECT r.*, u.tag AS unit_tag FROM service_record r "
                       "JOIN unit u ON u.id = r.unit WHERE r.state = {} ORDER BY r.id "
                       "LIMIT {}", state, limit)
    return [_record(r) for r in rows]


async def insert_rule(values: dict[str, Any]) -> int:
    return await _insert("service_rule", {k: values.get(k) for k in RULE_COLUMNS
                                          if k in values})


async def rule(rule_id: int, *, lock: bool = False) -> dict[str, Any]:
    rows = await fetch("SELECT * FROM service_rule WHERE id = {}"
                       + (for_update() if lock else ""), rule_id)
    if not rows:
        raise NotFound(f"no service rule {rule_id}", field="rule")
    return _rule(rows[0])


async def save_rule(row: dict[str, Any], values: dict[str, Any]) -> None:
    await _save("service_rule", "service rule", row["id"], row["version"], values)


async def rules_for(*, item_id: int | None = None, unit_id: int | None = None
                    ) -> list[dict[str, Any]]:
    """The active rules that apply to a unit (its own and its item's), or an item's own."""
    rows = await fetch("SELECT * FROM service_rule WHERE active = TRUE AND "
                       "(item = {} OR unit = {}) ORDER BY id", item_id, unit_id)
    return [_rule(r) for r in rows]


async def last_done(rule_row: dict[str, Any], unit_id: int) -> dt.datetime | None:
    """When the unit's last done record for this rule finished (a record without a rule
    counts for the rules of its kind)."""
    rows = await fetch("SELECT MAX(finished_at) AS at FROM service_record WHERE unit = {} "
                       "AND state = 'done' AND (rule = {} OR (rule IS NULL AND kind = {}))",
                       unit_id, rule_row["id"], rule_row["kind"])
    return _moment(rows[0]["at"]) if rows else None


def _moment(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    at = dt.datetime.fromisoformat(str(value))
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


async def checkouts_since(unit_id: int, since: dt.datetime) -> int:
    rows = await fetch("SELECT COUNT(*) AS n FROM event WHERE unit_id = {} "
                       "AND kind = 'unit.checked_out' AND at > {}", unit_id, since)
    return int(rows[0]["n"])


SCHEDULED_LIMIT = 2000


async def scheduled_units() -> list[dict[str, Any]]:
    """Every (active rule, live unit) pair: a unit's own rules and its item's, with the
    unit's tag and status; at most SCHEDULED_LIMIT + 1 rows (the caller says when there are
    more)."""
    rows = await fetch(
        "SELECT s.*, u.id AS unit_id, u.tag AS unit_tag, u.status AS unit_status "
        "FROM service_rule s JOIN unit u ON (u.id = s.unit OR u.item = s.item) "
        f"WHERE s.active = TRUE AND {_LIVE_UNIT} ORDER BY s.id, u.id LIMIT {{}}",
        SCHEDULED_LIMIT + 1)
    return [_rule(r) for r in rows]


async def open_service(unit_id: int) -> dict[str, Any] | None:
    """The unit's service in progress, if any (one at a time: starting needs the unit out
    of repair)."""
    rows = await fetch("SELECT id, kind FROM service_record WHERE unit = {} "
                       "AND state = 'in_progress' ORDER BY id LIMIT 1", unit_id)
    return rows[0] if rows else None

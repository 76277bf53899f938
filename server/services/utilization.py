"""The utilization report (issue 12): per item and per unit over the last N days, and the
lists a manager acts on (always out, never moves, idle units of busy items) with a
sentence each, and a verdict per item about buying.

Speed: the figures come from two summaries the database keeps up to date in the same
transaction as each event (triggers, migration 2026-11-29T15:20; `verify` rebuilds them
from the ledger). Ranking a period runs as one aggregation over the custody rows that
touch it (an index range); the per-item figures that need a sweep (the peak) are computed
for one page of items only (bench/bench_reports.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from server.db import places_repo, utilization_repo
from server.db.utilization_repo import Scope
from server.domain import utilization as rules
from server.domain.reports import ReportFilter
from server.domain.utilization import Custody, Period
from server.services import lookup

LIST_SIZE = 20  # rows of the always-out and never-moves lists on the page
IDLE_SHOWN = 5  # idle units named per busy item


@dataclass(frozen=True)
class Resolved:
    period: Period
    scope: Scope
    filter: ReportFilter
    limit: int = 50
    offset: int = 0

    @property
    def days(self) -> int:
        return self.period.days


async def resolve(f: ReportFilter, now: dt.datetime, zone: ZoneInfo, *, limit: int = 50,
                  offset: int = 0) -> Resolved:
    """The shared report filter (server/domain/reports.py): the period runs from the start
    day's midnight in the site's zone to the end day's midnight after, or now if sooner."""
    location_ids = None
    if f.location:
        location_ids = await places_repo.subtree_ids(await lookup.location_id(f.location))
    item_id = await lookup.item_id(f.item) if f.item else None
    scope = Scope(category=f.category or None, item_id=item_id, location_ids=location_ids)
    return Resolved(rules.Period.of_days(f.start, f.end, now, zone), scope, f, limit, offset)


def _when(seconds: int | None) -> dt.datetime | None:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)


def _period(r: Resolved) -> dict[str, Any]:
    return {"days": r.days, "start": _when(r.period.start_s), "end": _when(r.period.end_s),
            "filters": r.filter.query()}


# Items

async def items(r: Resolved, zone: ZoneInfo, *, everything: bool = False) -> dict[str, Any]:
    """A page of items, most time out first (then by name); `everything`: all of them."""
    limit, offset = (10**9, 0) if everything else (r.limit, r.offset)
    page, total = await utilization_repo.ranked_items(r.period, r.scope, limit, offset)
    rows = await item_rows(page, r, zone)
    return {"view": "items", "period": _period(r), "total": total, "limit": r.limit,
            "offset": offset, "items": rows}


async def item_rows(page: list[dict[str, Any]], r: Resolved, zone: ZoneInfo
                    ) -> list[dict[str, Any]]:
    p, s = r.period, r.scope
    ids = [int(i["id"]) for i in page]
    figures = await utilization_repo.item_figures(ids, p, s)
    peaks = await utilization_repo.peak_stretches(ids, p, s)
    owned = await utilization_repo.owned_of_items(ids, p, s)
    rows = []
    for item in page:
        item_id = int(item["id"])
        fig = figures.get(item_id, {"checkouts": 0, "borrowers": 0, "owned_out": 0})
        n_owned, lifetime = owned.get(item_id, (0, 0))
        share = rules.share(fig["owned_out"], lifetime)
        top = rules.peak_of_stretches(peaks.get(item_id, []), zone)
        verdict = rules.verdict(n_owned, top)
        idle: list[dict[str, Any]] = []
        if share >= rules.BUSY_ITEM_SHARE and n_owned > 1:
            found = await utilization_repo.idle_units(item_id, p, s, IDLE_SHOWN)
            idle = [{"tag": u["tag"],
                     "sentence": rules.idle_sentence(u["tag"], item["name"], share,
                                                     r.days)} for u in found]
        rows.append({
            "item_id": item_id, "sku": item["sku"], "name": item["name"],
            "category": item["category"], "owned": n_owned,
            "out_days": round(int(item["out_s"]) / rules.DAY_S, 1),
            "out_seconds": int(item["out_s"]),
            "share": round(share, 4),
            "checkouts": fig["checkouts"], "borrowers": fig["borrowers"],
            "peak": top.units, "peak_days": top.days,
            "verdict": verdict.kind, "verdict_sentence": verdict.sentence,
            "idle_units": idle,
        })
    return rows


# Units

def unit_row(u: dict[str, Any], use: rules.UnitUse, p: Period, days: int) -> dict[str, Any]:
    return {
        "unit_id": int(u["id"]), "tag": u["tag"], "serial": u["serial"],
        "item_id": int(u["item"]), "item_name": u["item_name"], "sku": u["sku"],
        "status": u["status"], "location": u["location_name"],
        "location_tag": u["location_tag"],
        "out_days": round(use.out_seconds / rules.DAY_S, 1), "out_seconds": use.out_seconds,
        "share": round(use.share, 4),
        "checkouts": use.checkouts, "borrowers": use.borrowers,
        "days_since_moved": rules.days_since(u["moved_s"], p.end_s),
        "last_moved_at": _when(u["moved_s"]), "last_seen_at": _when(u["seen_s"]),
        "added_at": _when(u["created_s"]),
    }


async def units(r: Resolved, *, everything: bool = False) -> dict[str, Any]:
    """One item: all its units, most time out first. Otherwise: the units out at some
    moment of the period, most time out first (units never out are the never-moves
    list's)."""
    p, s = r.period, r.scope
    limit, offset = (10**9, 0) if everything else (r.limit, r.offset)
    if s.item_id is not None:
        found = await utilization_repo.units_of_item(s.item_id, s)
        held: dict[int, list[Custody]] = defaultdict(list)
        rows_c = await utilization_repo.custody_of_items([s.item_id], p, s)
        for c in utilization_repo.custody(rows_c):
            held[c.unit_id].append(c)
        uses = {int(u["id"]): rules.unit_use(int(u["id"]), int(u["created_s"]),
                                             held.get(int(u["id"]), []), p) for u in found}
        found.sort(key=lambda u: (-uses[int(u["id"])].out_seconds, u["tag"]))
        rows = [unit_row(u, uses[int(u["id"])], p, r.days) for u in found[offset:offset + limit]]
        total = len(found)
    else:
        ranked, total = await utilization_repo.units_by_out(p, s, limit, offset)
        detail = await utilization_repo.units([int(x["unit_id"]) for x in ranked])
        rows = [unit_row(detail[uid], _use(x, detail[uid], p), p, r.days)
                for x in ranked if (uid := int(x["unit_id"])) in detail]
    return {"view": "units", "period": _period(r), "total": total, "limit": r.limit,
            "offset": offset, "units": rows}


def _use(x: dict[str, Any], u: dict[str, Any], p: Period) -> rules.UnitUse:
    out = int(x["out_s"])
    return rules.UnitUse(int(x["unit_id"]), out,
                         rules.share(out, rules.lifetime(int(u["created_s"]), p)),
                         int(x["checkouts"]), int(x["borrowers"]))


# Lists

async def always_out(r: Resolved, limit: int = LIST_SIZE) -> dict[str, Any]:
    p = r.period
    ranked, total = await utilization_repo.always_out(p, r.scope, rules.ALWAYS_OUT_SHARE, limit)
    detail = await utilization_repo.units([int(x["unit_id"]) for x in ranked])
    rows = []
    for x in ranked:
        u = detail.get(int(x["unit_id"]))
        if u is None:
            continue
        use = _use(x, u, p)
        rows.append({**unit_row(u, use, p, r.days),
                     "sentence": rules.always_out_sentence(u["tag"], use, r.days)})
    return {"view": "always_out", "period": _period(r), "total": total, "units": rows,
            "threshold_share": rules.ALWAYS_OUT_SHARE}


async def never_moves(r: Resolved, limit: int = LIST_SIZE) -> dict[str, Any]:
    p = r.period
    found = await utilization_repo.never_moved(p, r.scope, limit)
    more = len(found) > limit
    rows = []
    for u in found[:limit]:
        idle_days = rules.days_since(u["moved_s"], p.end_s) or 0
        use = rules.UnitUse(int(u["id"]), 0, 0.0, 0, 0)
        rows.append({**unit_row(u, use, p, r.days),
                     "sentence": rules.never_moves_sentence(u["tag"], idle_days)})
    return {"view": "never_moves", "period": _period(r), "units": rows, "more": more,
            "shown": len(rows)}


# verify: the summaries against the ledger

def epoch_s(at: Any) -> int:
    """An event's time as the triggers store it: whole seconds since the epoch (floor)."""
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return int(at.timestamp() // 1)


class SummaryCheck:
    """Fed every event in id order by `verify`, then compares the summary tables with
    what the events give (read in verify's snapshot)."""

    def __init__(self) -> None:
        self.expected = rules.Summaries.empty()

    def feed(self, row: dict[str, Any]) -> None:
        self.expected.feed(int(row["id"]), str(row["kind"]), row["unit_id"], row["item_id"],
                           row["to_person_id"], epoch_s(row["at"]))

    async def problems(self) -> list[str]:
        self.expected.seen_by_scans(await utilization_repo.scans_without_event())
        return rules.summary_differences(self.expected, await utilization_repo.all_custody(),
                                         await utilization_repo.all_activity())


async def daily_units_out(r: Resolved, zone: ZoneInfo) -> list[tuple[dt.date, int]]:
    """For one item (the filter's): the most of its units out at once on each day."""
    if r.scope.item_id is None:
        return []
    rows = await utilization_repo.custody_of_items([r.scope.item_id], r.period, r.scope)
    return rules.daily_peaks(utilization_repo.custody(rows), r.period, zone)

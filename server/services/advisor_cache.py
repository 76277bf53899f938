"""The items the tracking advisor would change, per period, kept in memory and brought up to
date from the ledger.

Answering the six questions for all 10,000 items of a large catalog reads every unit and
every event of the period (about 2.4 s over 1,000,000 units and 2,400,000 events on
SQLite): far too slow for a report's first page, and the dashboard asks on every load.

The figures only change when something happens, and everything that happens writes an
event (DESIGN.md, invariant 1) naming its item; a scan that changed nothing still logs a
row. So the advice of a period is computed once, stamped with the newest event and
scan-log ids, and on each later request only the items named by newer events or item
scans are read again (one grouped statement per source, for those items only) and their
advice replaced. The answer is exact, not a cache that may be stale: a figure can only
change through an event after the stamp. A new day moves the period (and "under warranty
today"), which is another key and a full read; so does a settings change of the
high-value threshold. Per process, a few periods at most; one refresh at a time. Only the
suggestions are kept (an item's full advice is about 1.6 KB; 10,000 of them 16 MB).

Events are appended under the ledger's chain lock in id order, so no event with a lower id
than the stamp can appear after it (server/db/ledger.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field

from server.db import advisor_repo
from server.db.advisor_repo import Scope
from server.domain import advisor
from server.domain.advisor import Advice, Rules

KEEP = 3  # periods kept per process
TOUCHED_MOST = 500  # items named since the stamp, beyond which everything is read again


@dataclass
class Entry:
    stamp: tuple[int, str, int]  # newest event id and hash, newest scan-log id
    changes: dict[int, Advice]  # by item id: the items whose tracking the advisor would change
    ordered: list[Advice] = field(default_factory=list)

    def order(self) -> None:
        self.ordered = sorted(self.changes.values(), key=lambda a: a.facts.sku.lower())


Key = tuple[dt.datetime, dt.datetime, Rules]
_entries: OrderedDict[Key, Entry] = OrderedDict()
_lock: dict[int, asyncio.Lock] = {}


def _lock_for_loop() -> asyncio.Lock:
    loop = id(asyncio.get_running_loop())  # tests run several loops in turn
    return _lock.setdefault(loop, asyncio.Lock())


async def _read(scope: Scope, since: dt.datetime, until: dt.datetime,
                rules: Rules) -> dict[int, Advice]:
    assert rules.today is not None
    facts = await advisor_repo.facts(scope, since=since, until=until, today=rules.today)
    found = (advisor.advise(f, rules) for f in facts)
    return {a.facts.item_id: a for a in found if a.change is not None}


async def changes(since: dt.datetime, until: dt.datetime, rules: Rules) -> list[Advice]:
    """The advice of every item (not archived) whose tracking the advisor would change, by
    SKU, as of now."""
    key = (since, until, rules)
    async with _lock_for_loop():
        stamp = await advisor_repo.marks()  # before reading: later events are read again
        entry = _entries.get(key)
        if entry is not None and entry.stamp != stamp:
            touched = None
            if stamp[0] >= entry.stamp[0] and stamp[2] >= entry.stamp[2] and \
                    await advisor_repo.still_there(entry.stamp[0], entry.stamp[1]):
                touched = await advisor_repo.touched_since(entry.stamp[0], entry.stamp[2],
                                                           most=TOUCHED_MOST)
            if touched is None:
                entry = None
            else:
                fresh = await _read(Scope(item_ids=sorted(touched)), since, until, rules)
                for item_id in touched:
                    entry.changes.pop(item_id, None)
                entry.changes.update(fresh)
                entry.stamp = stamp
                entry.order()
        if entry is None:
            entry = Entry(stamp, await _read(Scope(), since, until, rules))
            entry.order()
            _entries[key] = entry
        _entries.move_to_end(key)
        while len(_entries) > KEEP:
            _entries.popitem(last=False)
        return entry.ordered


def clear() -> None:
    _entries.clear()

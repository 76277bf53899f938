"""The hash chain of the history (DESIGN.md invariant 7): pure functions, no I/O.

Every event stores `prev_hash` (the hash of the event before it in the chain; GENESIS for
the first) and `hash`:

    hash = SHA-256( prev_hash as 64 ASCII hex digits || canonical JSON of the event )

The canonical JSON (docs/ledger.md spells it out with a script an auditor can run) is one
object with the FIELDS below as keys, sorted, no whitespace, UTF-8; `at` in UTC as
`YYYY-MM-DDTHH:MM:SS.ffffffZ` (always microseconds); ids and quantities as JSON integers;
a missing value as null; `details` as a JSON value (parsed from what is stored, so how a
database formats its JSON text does not matter). The id is part of what is hashed, so an
event cannot be renumbered or moved to another place in the chain without notice.

`Walk` checks a chain fed in id order (the chain's order: ids are allocated under the
chain lock) and names what is wrong at each break: an event whose content no longer
matches its hash (edited), an event whose link points at a predecessor that is not there
(one was deleted), an event that is not part of the chain at all (inserted out of place).
Editing the history and recomputing every later hash keeps the chain consistent; an
exported `Head` kept outside the database catches that (`Walk.check_head`)."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
FIELDS = ("id", "at", "actor_id", "actor", "kind", "item_id", "unit_id", "lot_id", "quantity",
          "from_location_id", "to_location_id", "from_person_id", "to_person_id", "note",
          "details")
_INTEGERS = ("id", "actor_id", "item_id", "unit_id", "lot_id", "quantity", "from_location_id",
             "to_location_id", "from_person_id", "to_person_id")
# How far back a broken link is looked up to tell "inserted out of place" from "deleted".
WINDOW = 256
# An event whose content does not match its hash is tried with ids this far from its own,
# to tell one that was renumbered (moved) from one that was edited; for the first
# MOVE_CHECKS such events only.
MOVE_SEARCH = 8
MOVE_CHECKS = 100


def utc_text(at: dt.datetime | str) -> str:
    """A timestamp as the chain hashes it: UTC, microseconds, a `Z`."""
    when = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
    if when.tzinfo is not None:  # else stored in UTC without an offset
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat(timespec="microseconds") + "Z"  # %Y-%m-%dT%H:%M:%S.%fZ


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _details(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        return json.loads(value or "{}")
    return {} if value is None else value


def _fields(event: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name in FIELDS:
        value = event[name]
        if name in _INTEGERS:
            body[name] = None if value is None else int(value)
        elif name == "at":
            body[name] = utc_text(value)
        elif name == "details":
            body[name] = _details(value)
        else:
            body[name] = "" if value is None else str(value)
    return body


def content(event: Mapping[str, Any]) -> bytes:
    """The canonical JSON of an event's fields (a stored row or one about to be)."""
    return canonical_json(_fields(event))


def content_around_id(event: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """The canonical JSON of an event whose id is not known yet, as the text before and
    after the id's digits: content(e) == before + str(e["id"]).encode() + after. (On
    PostgreSQL the id is drawn and the hash taken in the database, in one statement.)"""
    body = content({**event, "id": 0})
    # the last one is the event's own: only `details` (before it) can hold such a text,
    # and the strings after it cannot (their quotes are escaped)
    at = body.rindex(b',"id":0,"item_id":')
    return body[:at + 6], body[at + 7:]


def link(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def seal(prev_hash: str, event: Mapping[str, Any]) -> str:
    """The hash of an event that follows `prev_hash`."""
    return link(prev_hash, content(event))


@dataclass(frozen=True, slots=True)
class Head:
    """The last event of the chain: what an auditor keeps to check later that nothing up
    to it has changed. `count` is how many events the chain holds up to it."""

    event_id: int
    hash: str
    count: int
    at: str  # the event's time, as hashed

    def as_json(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "hash": self.hash, "count": self.count,
                "at": self.at}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Head:
        try:
            head = cls(int(data["event_id"]), str(data["hash"]), int(data["count"]),
                       str(data.get("at", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a chain head: {exc}") from None
        if len(head.hash) != 64 or any(c not in "0123456789abcdef" for c in head.hash):
            raise ValueError("not a chain head: hash is not 64 lower-case hex digits")
        return head


EMPTY_HEAD = Head(0, GENESIS, 0, "")  # the head of a history with no events yet


@dataclass(frozen=True, slots=True)
class Break:
    event_id: int
    kind: str
    what: str  # edited | moved | deleted | out_of_place | unsealed | head
    message: str


@dataclass
class Walk:
    """Feed the stored events in id order; `breaks` lists what is wrong, first first."""

    breaks: list[Break] = field(default_factory=list)
    count: int = 0
    last_hash: str = GENESIS
    last_id: int | None = None
    last_at: str = ""
    # recent events as (id, kind, stored hash), to place a link that skips some of them
    _recent: collections.deque[tuple[int, str, str]] = field(
        default_factory=lambda: collections.deque(maxlen=WINDOW))
    _reported: set[int] = field(default_factory=set)
    _move_checks: int = 0
    _head: Head | None = None
    _head_seen: bool = False

    def feed(self, event: Mapping[str, Any]) -> None:
        event_id, kind = int(event["id"]), str(event["kind"])
        prev, stored = str(event.get("prev_hash") or ""), str(event.get("hash") or "")
        self.count += 1
        where = f"event {event_id} ({kind})"
        linked = True  # whether its prev_hash can be trusted to place it
        if not stored:
            linked = False
            self._break(event_id, kind, "unsealed",
                        f"{where} has no hash: it was written outside the ledger")
        elif link(prev, content(event)) != stored:
            written_as = self._written_as(event, prev, stored)
            if written_as is None:
                linked = False
                self._break(event_id, kind, "edited",
                            f"{where} was edited: its content no longer matches its hash")
            else:
                self._break(event_id, kind, "moved",
                            f"{where} was renumbered: it was written as event {written_as}")
        if linked and prev != self.last_hash:
            self._misplaced(event_id, kind, prev)
        self._recent.append((event_id, kind, stored))
        self.last_hash, self.last_id = stored, event_id
        self.last_at = utc_text(event["at"])
        if self._head is not None and event_id == self._head.event_id:
            self._check_head(event_id, kind)

    def _written_as(self, event: Mapping[str, Any], prev: str, stored: str) -> int | None:
        """The id an event was sealed with, if it was moved a little from there."""
        if self._move_checks >= MOVE_CHECKS:
            return None
        self._move_checks += 1
        own = int(event["id"])
        for delta in range(1, MOVE_SEARCH + 1):
            for other in (own - delta, own + delta):
                if link(prev, content({**event, "id": other})) == stored:
                    return other
        return None

    def _misplaced(self, event_id: int, kind: str, prev: str) -> None:
        where = f"event {event_id} ({kind})"
        before = "the start of the history" if self.last_id is None \
            else f"event {self.last_id}"
        skipped = None
        for i, (_rid, _rkind, rhash) in enumerate(reversed(self._recent)):
            if rhash == prev:
                skipped = list(self._recent)[len(self._recent) - i:]
                break
        if prev == GENESIS and len(self._recent) == self.count - 1:
            skipped = list(self._recent)  # it starts the chain: all before it are not in it
        if skipped:  # its link skips events stored between: they are not in the chain
            sid, skind, _ = skipped[0]
            others = f" (and {len(skipped) - 1} after it)" if len(skipped) > 1 else ""
            self._break(sid, skind, "out_of_place",
                        f"event {sid} ({skind}){others} was inserted out of place: it is "
                        f"not part of the chain, {where} links past it")
            return
        self._break(event_id, kind, "deleted",
                    f"{where} does not follow {before}: it links to an event that is no "
                    f"longer in the history (an event between them was deleted, or "
                    f"{before} was rewritten)")

    def _break(self, event_id: int, kind: str, what: str, message: str) -> None:
        if event_id not in self._reported:
            self._reported.add(event_id)
            self.breaks.append(Break(event_id, kind, what, message))

    def expect_head(self, head: Head) -> None:
        """Check, while walking, that `head` is still in the chain as it was exported."""
        self._head = head if head.count else None  # the empty history's head: nothing to check

    def _check_head(self, event_id: int, kind: str) -> None:
        assert self._head is not None
        self._head_seen = True
        head = self._head
        if self.last_hash != head.hash:
            self.breaks.append(Break(event_id, kind, "head", (
                f"event {event_id} ({kind}) is not the head that was exported: its hash is "
                f"{self.last_hash}, the head says {head.hash}: the history up to it was "
                f"rewritten")))
        elif self.count != head.count:
            self.breaks.append(Break(event_id, kind, "head", (
                f"the history holds {self.count} events up to event {event_id}, the "
                f"exported head says {head.count}")))

    def finish(self) -> list[Break]:
        """Call after the last event: reports a head that was never reached."""
        if self._head is not None and not self._head_seen:
            head = self._head
            self.breaks.append(Break(head.event_id, "?", "head", (
                f"event {head.event_id}, the exported head, is no longer in the history "
                f"(the chain now ends at event {self.last_id})")))
        self.breaks.sort(key=lambda b: b.event_id)  # the first in chain order first
        return self.breaks

    def head(self) -> Head:
        if self.last_id is None:
            return EMPTY_HEAD
        return Head(self.last_id, self.last_hash, self.count, self.last_at)

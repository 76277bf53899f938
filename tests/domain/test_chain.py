"""The hash chain of the history (server/domain/chain.py): the canonical encoding is fixed,
and a walk names the first event that was edited, deleted, moved or inserted out of place."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import chain

T0 = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)


def event(event_id: int, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": event_id, "at": T0 + dt.timedelta(seconds=event_id), "actor_id": 3,
        "actor": "ops", "kind": "unit.moved", "item_id": 1, "unit_id": 10 + event_id,
        "lot_id": None, "quantity": None, "from_location_id": 5, "to_location_id": 6,
        "from_person_id": None, "to_person_id": None, "note": "", "details": "{}",
    }
    return {**base, **over}


def sealed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    prev, out = chain.GENESIS, []
    for e in events:
        h = chain.seal(prev, e)
        out.append({**e, "prev_hash": prev, "hash": h})
        prev = h
    return out


def history(n: int = 8) -> list[dict[str, Any]]:
    return sealed([event(i) for i in range(1, n + 1)])


def walk(rows: list[dict[str, Any]], head: chain.Head | None = None) -> chain.Walk:
    w = chain.Walk()
    if head is not None:
        w.expect_head(head)
    for row in rows:
        w.feed(row)
    w.finish()
    return w


def first(rows: list[dict[str, Any]]) -> chain.Break:
    breaks = walk(rows).breaks
    assert breaks, "the walk found nothing wrong"
    return breaks[0]


def test_the_encoding_is_sorted_compact_json_with_utc_microseconds() -> None:
    body = chain.content(event(1, note="café", details='{"b": 2, "a": [1, null]}',
                               quantity=4))
    assert body == (
        '{"actor":"ops","actor_id":3,"at":"2026-03-01T08:30:01.000000Z",'
        '"details":{"a":[1,null],"b":2},"from_location_id":5,"from_person_id":null,'
        '"id":1,"item_id":1,"kind":"unit.moved","lot_id":null,"note":"café","quantity":4,'
        '"to_location_id":6,"to_person_id":null,"unit_id":11}'
    ).encode()


def test_the_hash_is_sha256_of_the_previous_hash_and_the_encoding() -> None:
    e = event(1)
    assert chain.seal(chain.GENESIS, e) == hashlib.sha256(
        chain.GENESIS.encode() + chain.content(e)).hexdigest()


def test_a_known_event_has_a_known_hash() -> None:
    # pinned (and checked with printf ... | sha256sum): a change of the encoding would
    # break every stored chain and the script in docs/ledger.md
    assert chain.seal(chain.GENESIS, event(1)) == (
        "50655cd0fe929fa853ce02d2f5eea44c29fc4aa42af6334f5759242e04aa09a8")


@given(event_id=st.integers(0, 2**62), note=st.text(max_size=10),
       details=st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4),
                               max_size=3))
def test_the_encoding_around_the_id_is_the_encoding_with_the_id_spliced_in(
        event_id: int, note: str, details: dict[str, Any]) -> None:
    e = event(1, id=event_id, note=note, details=json.dumps({**details, "id": 0}))
    before, after = chain.content_around_id(e)
    assert before + str(event_id).encode() + after == chain.content(e)


def test_details_that_look_like_the_id_do_not_confuse_the_split() -> None:
    e = event(1, id=77, note=',"id":0,"item_id":',
              details=json.dumps({"x": {"a": 1, "id": 0, "item_id": 2}}))
    before, after = chain.content_around_id(e)
    assert before + b"77" + after == chain.content(e)


@pytest.mark.parametrize("stored", [
    "2026-03-01 08:30:01+00:00", "2026-03-01T10:30:01.000000+02:00",
    dt.datetime(2026, 3, 1, 8, 30, 1), dt.datetime(2026, 3, 1, 8, 30, 1, tzinfo=dt.UTC),
])
def test_a_timestamp_hashes_the_same_however_the_database_returns_it(stored: Any) -> None:
    assert chain.utc_text(stored) == "2026-03-01T08:30:01.000000Z"


def test_details_hash_the_same_however_the_database_formats_the_json() -> None:
    a = chain.content(event(1, details='{"a": 1, "b": [2, 3]}'))
    b = chain.content(event(1, details='{"b":[2,3],"a":1}'))
    c = chain.content(event(1, details={"b": [2, 3], "a": 1}))
    assert a == b == c


def test_a_clean_history_has_no_breaks_and_a_head() -> None:
    rows = history()
    w = walk(rows)
    assert w.breaks == []
    assert w.head() == chain.Head(8, rows[-1]["hash"], 8, "2026-03-01T08:30:08.000000Z")


def test_an_empty_history_has_the_empty_head_which_any_history_holds() -> None:
    assert walk([]).head() == chain.EMPTY_HEAD
    assert walk(history(), chain.EMPTY_HEAD).breaks == []


@pytest.mark.parametrize(("column", "value"), [
    ("note", "nothing to see"), ("details", '{"status": "retired"}'), ("quantity", 5),
    ("kind", "unit.checked_in"), ("to_location_id", 7), ("actor", "someone else"),
    ("at", T0 - dt.timedelta(days=1)),
])
def test_an_edited_event_is_named(column: str, value: Any) -> None:
    rows = history()
    rows[3] = {**rows[3], column: value}
    got = first(rows)
    assert (got.event_id, got.what) == (4, "edited")
    assert got.message.startswith(f"event 4 ({rows[3]['kind']}) was edited")
    assert len(walk(rows).breaks) == 1  # the rest of the chain still holds


def test_an_edited_event_whose_hash_was_recomputed_breaks_the_next_link() -> None:
    rows = history()
    rows[3] = {**rows[3], "note": "forged"}
    rows[3]["hash"] = chain.seal(rows[3]["prev_hash"], rows[3])
    got = first(rows)
    assert (got.event_id, got.what) == (5, "deleted")
    assert "event 4 was rewritten" in got.message


def test_a_deleted_event_names_the_event_after_the_gap() -> None:
    rows = history()
    del rows[4]  # event 5
    got = first(rows)
    assert (got.event_id, got.what) == (6, "deleted")
    assert got.message.startswith("event 6 (unit.moved) does not follow event 4")


def test_deleting_the_first_event_is_seen() -> None:
    got = first(history()[1:])
    assert (got.event_id, got.what) == (2, "deleted")


def test_a_forged_event_in_a_gap_of_the_ids_is_named() -> None:
    rows = sealed([event(i * 10) for i in range(1, 6)])  # ids 10, 20, ...
    forged = event(25, kind="unit.retired")
    forged = {**forged, "prev_hash": rows[1]["hash"], "hash": chain.seal(rows[1]["hash"], forged)}
    rows.insert(2, forged)
    got = first(rows)
    assert (got.event_id, got.what) == (25, "out_of_place")
    assert got.message.startswith("event 25 (unit.retired) was inserted out of place")


def test_a_forged_event_with_the_later_events_renumbered_is_named() -> None:
    rows = history()
    forged = event(5, kind="unit.retired")
    forged = {**forged, "prev_hash": rows[3]["hash"], "hash": chain.seal(rows[3]["hash"], forged)}
    rows = rows[:4] + [forged] + [{**r, "id": r["id"] + 1} for r in rows[4:]]
    breaks = walk(rows).breaks
    assert (breaks[0].event_id, breaks[0].what) == (5, "out_of_place")
    assert (breaks[1].event_id, breaks[1].what) == (6, "moved")
    assert "written as event 5" in breaks[1].message


def test_a_forged_first_event_is_named() -> None:
    rows = history()
    forged = event(0, kind="stock.received")
    rows.insert(0, {**forged, "prev_hash": chain.GENESIS,
                    "hash": chain.seal(chain.GENESIS, forged)})
    got = first(rows)
    assert (got.event_id, got.what) == (0, "out_of_place")


def test_two_events_with_their_contents_swapped_are_named() -> None:
    rows = history()
    a, b = rows[2], rows[3]
    rows[2] = {**b, "id": 3}
    rows[3] = {**a, "id": 4}
    got = first(rows)
    assert got.event_id == 3


def test_an_event_written_outside_the_ledger_is_named() -> None:
    rows = history()
    rows.insert(5, {**event(6, kind="unit.retired"), "prev_hash": "", "hash": ""})
    rows[6:] = [{**r, "id": r["id"] + 1} for r in rows[6:]]
    got = first(rows)
    assert (got.event_id, got.what) == (6, "unsealed")


def test_the_head_holds_while_only_later_events_are_added() -> None:
    rows = history()
    head = walk(rows[:5]).head()
    assert walk(rows, head).breaks == []


def test_a_history_rewritten_with_every_hash_recomputed_fails_the_head() -> None:
    rows = history()
    head = walk(rows).head()
    rewritten = sealed([{k: v for k, v in r.items() if k not in ("prev_hash", "hash")}
                        for r in rows[:2]] + [event(3, note="never happened")]
                       + [{k: v for k, v in r.items() if k not in ("prev_hash", "hash")}
                          for r in rows[3:]])
    assert walk(rewritten).breaks == []  # consistent on its own
    breaks = walk(rewritten, head).breaks
    assert [b.what for b in breaks] == ["head"]
    assert breaks[0].event_id == 8 and "rewritten" in breaks[0].message


def test_a_head_cut_off_the_end_is_reported() -> None:
    rows = history()
    head = walk(rows).head()
    breaks = walk(rows[:6], head).breaks
    assert [b.what for b in breaks] == ["head"]
    assert "no longer in the history" in breaks[0].message


def test_a_head_parses_from_its_json() -> None:
    head = chain.Head(7, "ab" * 32, 7, "2026-03-01T08:30:07.000000Z")
    assert chain.Head.parse(json.loads(json.dumps(head.as_json()))) == head
    with pytest.raises(ValueError, match="not a chain head"):
        chain.Head.parse({"event_id": 7, "hash": "xyz", "count": 7})
    with pytest.raises(ValueError, match="not a chain head"):
        chain.Head.parse({"hash": "ab" * 32})


FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "note": st.text(max_size=20), "quantity": st.integers(-5, 10**9),
    "details": st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5),
                               max_size=3).map(json.dumps),
    "item_id": st.integers(1, 10**6), "kind": st.sampled_from(["unit.moved", "stock.moved"]),
}


@given(n=st.integers(2, 12), data=st.data())
def test_any_single_edit_is_named_at_the_event_edited(n: int, data: st.DataObject) -> None:
    rows = history(n)
    i = data.draw(st.integers(0, n - 1))
    column = data.draw(st.sampled_from(sorted(FIELD_VALUES)))
    value = data.draw(FIELD_VALUES[column])
    if chain.content({**rows[i], column: value}) == chain.content(rows[i]):
        return  # the same content: nothing was changed
    rows[i] = {**rows[i], column: value}
    got = first(rows)
    assert (got.event_id, got.what) == (i + 1, "edited")


@given(n=st.integers(2, 12), data=st.data())
def test_any_single_deletion_is_named_at_the_event_after_it(n: int, data: st.DataObject) -> None:
    rows = history(n)
    i = data.draw(st.integers(0, n - 2))  # not the last: that needs the head
    del rows[i]
    got = first(rows)
    assert (got.event_id, got.what) == (i + 2, "deleted")

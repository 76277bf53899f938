"""GET /api/v1/events/export.jsonl: the whole history, one event a line, each line
checking itself against the chain."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from server.services import ledger_export
from tests import export_catalog
from tests.factories import event_count, ok


def check_chain(lines: list[str]) -> str:
    """What an auditor runs: each line's hash over its prev_hash and canonical JSON."""
    prev = "0" * 64
    for line in lines:
        e = json.loads(line)
        digest, link = e.pop("hash"), e.pop("prev_hash")
        body = json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert link == prev, f"event {e['id']} does not follow the line before"
        assert hashlib.sha256((link + body).encode()).hexdigest() == digest, e["id"]
        prev = digest
    return prev


def test_export_ledger_streams_every_event_with_its_chain(
        manager: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    export_catalog.build(manager)
    monkeypatch.setattr(ledger_export, "CHUNK", 7)  # several reads, a partial one last
    r = manager.get("/api/v1/events/export.jsonl")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert 'filename="tagtrack-events-' in r.headers["content-disposition"]
    lines = r.text.splitlines()
    assert len(lines) == event_count(manager) > 7
    ids = [json.loads(x)["id"] for x in lines]
    assert ids == sorted(ids)
    assert check_chain(lines) == ok(manager.get("/api/v1/events/head"))["hash"]
    first = json.loads(lines[0])
    assert first["at"].endswith("Z") and isinstance(first["details"], dict)
    assert set(first) == {"id", "at", "actor_id", "actor", "kind", "item_id", "unit_id",
                          "lot_id", "quantity", "from_location_id", "to_location_id",
                          "from_person_id", "to_person_id", "note", "details", "prev_hash",
                          "hash"}


def test_export_ledger_is_for_managers(operator: Any, admin: Any) -> None:
    assert operator.get("/api/v1/events/export.jsonl").status_code == 403
    r = admin.get("/api/v1/events/export.jsonl")
    assert r.status_code == 200 and r.text == ""

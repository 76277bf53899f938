"""`copy` from SQLite to PostgreSQL and back loses nothing: every row of every table is the
same at each step, verify passes, idempotency keys replay with their first answers, and
new ids and tags continue after the old ones. Needs both engines: it runs in the
PostgreSQL session (PostgreSQL is the engine it adds to the SQLite one every session has)."""

from __future__ import annotations

import re

import httpx
import pytest

from server.services.backup import copy
from tests.conftest import token_for
from tests.integration.backup_helpers import (
    every_row,
    replay,
    server_on,
    throwaway,
    varied_catalog,
    verify_elsewhere,
)
from tests.sync import run_sync


@pytest.mark.postgres_only
@pytest.mark.slow  # two server processes
def test_copy_sqlite_to_postgresql_and_back_loses_nothing(manager, settings, tmp_path):
    made = varied_catalog(manager)
    original = every_row(settings.database_url, tmp_path)
    first = f"sqlite:///{tmp_path / 'first.db'}"
    last = f"sqlite:///{tmp_path / 'last.db'}"
    run_sync(copy(settings.database_url, first))  # the SQLite database a team starts with
    assert every_row(first, tmp_path) == original
    with throwaway("postgres", tmp_path) as middle:
        run_sync(copy(first, middle))
        assert every_row(middle, tmp_path) == original
        run_sync(copy(middle, last))
        assert every_row(last, tmp_path) == original
        assert verify_elsewhere(middle) == []
        _still_works(middle, made, original, tmp_path / "pg-server")
    assert verify_elsewhere(last) == []
    _still_works(last, made, original, tmp_path / "sqlite-server")


def _tag_number(tag: str) -> int:
    return int(re.sub(r"\D", "", tag))


def _still_works(url, made, original, tmp):
    """On a server of the copied database: keys replay, a new unit gets the next id and
    the next tag, and its event follows the last one."""
    token = token_for("manager")
    with server_on(url, tmp) as base:
        replay(base, token, made["keys"])
        answer = httpx.post(f"{base}/api/v1/units", timeout=10,
                            headers={"Authorization": f"Bearer {token}"},
                            json={"item": made["laptops"]["id"], "location": made["room"]["tag"],
                                  "count": 1})
        assert answer.status_code == 201, answer.text
        [unit] = answer.json()["units"]
    assert unit["id"] > max(u["id"] for u in original["unit"])
    assert _tag_number(unit["tag"]) > max(_tag_number(u["tag"]) for u in original["unit"])
    after = every_row(url, tmp)
    assert after["event"][:len(original["event"])] == original["event"]
    assert after["event"][-1]["id"] > original["event"][-1]["id"]
    assert after["scan_log"] == original["scan_log"]  # the replays applied nothing

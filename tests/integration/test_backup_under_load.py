"""A backup taken while a real server takes scans holds every scan answered before the
backup began: restored into a fresh database and served again, each of those keys replays
its first answer, and nothing applies twice."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from server.services.backup import backup, restore
from tests.conftest import ENGINE, token_for
from tests.factories import item, location, receive
from tests.integration.backup_helpers import (
    every_row,
    replay,
    server_on,
    throwaway,
    verify_elsewhere,
)
from tests.sync import run_sync

SENDERS = 2
WAIT_S = 20  # bound on every wait below


def _until(condition: Any) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.slow  # two server processes
def test_a_backup_during_scans_holds_every_scan_answered_before_it_began(manager, settings,
                                                                        tmp_path):
    acked: list[tuple[float, str, dict[str, Any], Any]] = []  # (answered at, key, body, answer)
    stop = threading.Event()
    file = tmp_path / "under-load.zip"
    here = location(manager, "Dock")["tag"]
    there = location(manager, "Shelf")["tag"]
    ties = item(manager, sku="ZIP-1", name="Zip ties")
    receive(manager, ties["id"], here, 100_000)
    token = token_for("operator")
    with server_on(settings.database_url, tmp_path / "source") as base:
        def send(sender: int) -> None:
            with httpx.Client(base_url=base, timeout=10,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                n = 0
                while not stop.is_set():
                    key = f"load-{sender}-{n}"
                    body = {"code": "ZIP-1", "action": "move", "from_location": here,
                            "location": there, "quantity": 1, "idempotency_key": key}
                    answer = client.post("/api/v1/scans", json=body)
                    if answer.status_code == 200:
                        acked.append((time.monotonic(), key, body, answer.json()))
                    n += 1

        threads = [threading.Thread(target=send, args=(i,)) for i in range(SENDERS)]
        for t in threads:
            t.start()
        try:
            _until(lambda: len(acked) >= 30)
            began = time.monotonic()
            run_sync(backup(settings.database_url, file))
            during = sum(1 for a in acked if a[0] >= began)
            _until(lambda: len(acked) >= during + 10)  # and scans keep coming after it
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=WAIT_S)
    before = {key: (body, answer) for at, key, body, answer in acked if at < began}
    assert len(before) >= 30
    with throwaway(ENGINE, tmp_path, "restored") as url:
        run_sync(restore(url, file))
        restored = every_row(url, tmp_path)
        logged = {r["idempotency_key"] for r in restored["scan_log"]}
        assert set(before) <= logged
        with server_on(url, tmp_path / "restored-server") as again:
            replay(again, token, before)
        after = every_row(url, tmp_path)
        assert after["event"] == restored["event"] and after["stock"] == restored["stock"]
        assert after["scan_log"] == restored["scan_log"]
        assert verify_elsewhere(url) == []

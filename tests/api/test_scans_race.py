"""DESIGN.md invariant 5 with real server processes: the same scan (same idempotency
key) sent to two processes at the same moment is applied once, and both get the first
answer; verify passes afterwards."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from functools import partial

import pytest

from tests.integration.servers import Servers, running
from tests.integration.test_concurrency import Api, race

pytestmark = pytest.mark.slow

ENGINE = os.environ.get("TAGTRACK_TEST_DB", "sqlite")
ROUNDS = 10
_n = itertools.count(1)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with running(ENGINE, tmp_path_factory.mktemp("scan-race"), n=2) as started:
        yield started


@pytest.fixture
def api(servers: Servers) -> Iterator[Api]:
    client = Api(servers)
    yield client
    client.close()


def test_one_scan_sent_to_two_processes_at_once_is_applied_once(api: Api, servers: Servers) -> None:
    shelf = api.make("/api/v1/locations", {"name": f"Crib {next(_n)}"})
    ties = api.make("/api/v1/items", {"sku": f"TIES-{next(_n)}", "name": "Zip ties"})
    api.make(
        "/api/v1/stock/receive", {"item": ties["id"], "location": shelf["tag"], "quantity": 100}
    )
    for n in range(ROUNDS):
        body = {
            "code": ties["sku"],
            "action": "consume",
            "location": shelf["tag"],
            "quantity": 1,
            "idempotency_key": f"race-{ties['id']}-{n}",
        }
        answers = race(
            [
                partial(api.post, "/api/v1/scans", body, server=0),
                partial(api.post, "/api/v1/scans", body, server=1),
            ]
        )
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        assert answers[0].json() == answers[1].json()
        replays = [a.headers.get("idempotent-replay") for a in answers]
        assert replays.count("true") == 1, replays
    stock = api.get("/api/v1/stock", item=str(ties["id"]))["stock"]
    assert sum(row["quantity"] for row in stock) == 100 - ROUNDS
    done = servers.verify()
    assert done.returncode == 0, done.stdout + done.stderr


def test_two_devices_checking_out_one_unit_at_once_get_one_success_and_one_refusal(
    api: Api, servers: Servers
) -> None:
    shelf = api.make("/api/v1/locations", {"name": f"Rack {next(_n)}"})
    drill = api.make("/api/v1/items", {"sku": f"DRILL-{next(_n)}", "name": "Drill",
                                       "tracking": "serial"})
    dana = api.make("/api/v1/people", {"name": "Dana"})
    sam = api.make("/api/v1/people", {"name": "Sam"})
    made = api.make("/api/v1/units", {"item": drill["id"], "location": shelf["tag"],
                                      "count": ROUNDS})["units"]
    for n, unit in enumerate(made):
        scans = [
            {"code": unit["tag"], "action": "check_out", "person": who["tag"],
             "device_id": f"phone-{i}", "idempotency_key": f"out-{unit['tag']}-{i}"}
            for i, who in enumerate((dana, sam))
        ]
        answers = race([partial(api.post, "/api/v1/scans", scans[0], server=0),
                        partial(api.post, "/api/v1/scans", scans[1], server=1)])
        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 409], (n, [a.text for a in answers])
        refused = next(a.json() for a in answers if a.status_code == 409)
        assert refused["ok"] is False and refused["error"]["code"] == "unit_checked_out"
        assert "Already checked out to" in refused["message"] or "checked out" in \
            refused["message"]
    done = servers.verify()
    assert done.returncode == 0, done.stdout + done.stderr

"""DESIGN.md invariant 4 with real server processes: two processes on one database (the
engine TAGTRACK_TEST_DB picks), hit at the same moment. One check-out wins and the other
gets a clear conflict; concurrent consumes never lose a decrement nor go below zero;
concurrent receives into a row that does not exist yet add up; verify passes after."""

from __future__ import annotations

import itertools
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx
import pytest

from tests.integration.servers import Servers, running

pytestmark = pytest.mark.slow

ENGINE = os.environ.get("TAGTRACK_TEST_DB", "sqlite")
ROUNDS = 20
WAIT = 60  # seconds: no single race may take longer
_n = itertools.count(1)


class Api:
    """One HTTP client per server process, shared by the racing threads."""

    def __init__(self, servers: Servers) -> None:
        headers = {"Authorization": f"Bearer {servers.token}"}
        self.clients = [
            httpx.Client(
                base_url=url, headers=headers, timeout=30, limits=httpx.Limits(max_connections=32)
            )
            for url in servers.urls
        ]

    def close(self) -> None:
        for c in self.clients:
            c.close()

    def post(self, path: str, body: dict[str, Any], server: int = 0) -> httpx.Response:
        return self.clients[server].post(path, json=body)

    def get(self, path: str, server: int = 0, **params: Any) -> Any:
        answer = self.clients[server].get(path, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def make(self, path: str, body: dict[str, Any]) -> Any:
        answer = self.post(path, body)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with running(ENGINE, tmp_path_factory.mktemp("race"), n=2) as started:
        yield started


@pytest.fixture
def api(servers: Servers) -> Iterator[Api]:
    client = Api(servers)
    yield client
    client.close()


def race(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls on as many threads, released together by a barrier."""
    gate = threading.Barrier(len(calls), timeout=WAIT)

    def go(call: Callable[[], httpx.Response]) -> httpx.Response:
        gate.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(go, c) for c in calls]
        return [f.result(timeout=WAIT) for f in futures]


def _statuses(answers: list[httpx.Response]) -> Counter[int]:
    return Counter(a.status_code for a in answers)


def _no_server_errors(answers: list[httpx.Response], servers: Servers) -> None:
    bad = [(a.status_code, a.text) for a in answers if a.status_code >= 500]
    assert not bad, (bad[:3], servers.logs()[-3000:])


def test_one_unit_checked_out_to_two_people_at_once_gives_one_success_and_one_conflict(
    api: Api, servers: Servers
) -> None:
    shelf = api.make("/api/v1/locations", {"name": f"Crib {next(_n)}"})
    alice = api.make("/api/v1/people", {"name": f"Alice {next(_n)}"})
    bob = api.make("/api/v1/people", {"name": f"Bob {next(_n)}"})
    drill = api.make(
        "/api/v1/items", {"sku": f"DRILL-{next(_n)}", "name": "Drill", "tracking": "serial"}
    )
    units = api.make(
        "/api/v1/units", {"item": drill["id"], "location": shelf["tag"], "count": ROUNDS}
    )["units"]
    for unit in units:
        path = f"/api/v1/units/{unit['tag']}/check-out"
        answers = race(
            [
                partial(api.post, path, {"person": alice["tag"]}, server=0),
                partial(api.post, path, {"person": bob["tag"]}, server=1),
            ]
        )
        _no_server_errors(answers, servers)
        # the API answers a successful POST with 201 (Litestar's default for POST)
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        won = next(a for a in answers if a.status_code == 201).json()
        lost = next(a for a in answers if a.status_code == 409)
        assert lost.headers["content-type"].startswith("application/problem+json")
        assert lost.json()["code"] in ("unit_checked_out", "concurrent_change")
        assert lost.json()["detail"]
        now = api.get(f"/api/v1/units/{unit['tag']}", server=1)
        assert now["status"] == "checked_out"
        assert now["custodian"]["tag"] == won["custodian"]["tag"]
        history = api.get(f"/api/v1/units/{unit['tag']}/history")["events"]
        assert [e["kind"] for e in history].count("unit.checked_out") == 1


def _count(api: Api, item_id: int) -> int:
    return int(api.get(f"/api/v1/items/{item_id}", server=1)["count"])


@pytest.mark.parametrize("tracking", ["quantity", "lot"])
def test_concurrent_consumes_never_lose_a_decrement_nor_go_below_zero(
    api: Api, servers: Servers, tracking: str
) -> None:
    shelf = api.make("/api/v1/locations", {"name": f"Store {next(_n)}"})
    for _ in range(3):
        ties = api.make(
            "/api/v1/items", {"sku": f"TIES-{next(_n)}", "name": "Zip ties", "tracking": tracking}
        )
        lot = {"lot": "L1"} if tracking == "lot" else {}
        api.make(
            "/api/v1/stock/receive",
            {"item": ties["id"], "location": shelf["tag"], "quantity": 25, **lot},
        )
        body = {"item": ties["id"], "location": shelf["tag"], "quantity": 1, **lot}
        answers = race(
            [partial(api.post, "/api/v1/stock/consume", body, server=i % 2) for i in range(40)]
        )
        _no_server_errors(answers, servers)
        assert _statuses(answers) == {201: 25, 409: 15}
        codes = {a.json()["code"] for a in answers if a.status_code == 409}
        assert codes == {"insufficient_stock"}
        assert _count(api, ties["id"]) == 0
        events = api.get(f"/api/v1/items/{ties['id']}/history", limit=100)["events"]
        assert [e["kind"] for e in events].count("stock.consumed") == 25


@pytest.mark.parametrize("tracking", ["quantity", "lot"])
def test_concurrent_receives_into_a_new_stock_row_add_up(
    api: Api, servers: Servers, tracking: str
) -> None:
    for _ in range(ROUNDS // 4):
        bin_ = api.make("/api/v1/locations", {"name": f"Bin {next(_n)}"})
        cord = api.make(
            "/api/v1/items", {"sku": f"CORD-{next(_n)}", "name": "Cord", "tracking": tracking}
        )
        lot = {"lot": f"NEW-{next(_n)}"} if tracking == "lot" else {}
        sizes = [1 + i % 5 for i in range(16)]
        answers = race(
            [
                partial(
                    api.post,
                    "/api/v1/stock/receive",
                    {"item": cord["id"], "location": bin_["tag"], "quantity": q, **lot},
                    server=i % 2,
                )
                for i, q in enumerate(sizes)
            ]
        )
        _no_server_errors(answers, servers)
        assert _statuses(answers) == {201: len(sizes)}, [a.text for a in answers][:3]
        assert _count(api, cord["id"]) == sum(sizes)
        rows = api.get("/api/v1/stock", item=str(cord["id"]))["stock"]
        assert [r["quantity"] for r in rows] == [sum(sizes)]


def test_concurrent_moves_in_opposite_directions_neither_deadlock_nor_lose_stock(
    api: Api, servers: Servers
) -> None:
    left = api.make("/api/v1/locations", {"name": f"Left {next(_n)}"})
    right = api.make("/api/v1/locations", {"name": f"Right {next(_n)}"})
    rope = api.make("/api/v1/items", {"sku": f"ROPE-{next(_n)}", "name": "Rope"})
    for loc in (left, right):
        api.make(
            "/api/v1/stock/receive", {"item": rope["id"], "location": loc["tag"], "quantity": 100}
        )
    for _ in range(ROUNDS // 2):
        answers = race(
            [
                partial(
                    api.post,
                    "/api/v1/stock/move",
                    {
                        "item": rope["id"],
                        "from_location": a["tag"],
                        "to_location": b["tag"],
                        "quantity": 1,
                    },
                    server=i % 2,
                )
                for i, (a, b) in enumerate([(left, right), (right, left)] * 4)
            ]
        )
        _no_server_errors(answers, servers)
        assert _statuses(answers) == {201: 8}, [a.text for a in answers if a.status_code != 201]
    assert _count(api, rope["id"]) == 200


def test_after_the_races_verify_finds_the_tables_match_the_events(servers: Servers) -> None:
    done = servers.verify()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "match" in done.stdout
    assert "database is locked" not in servers.logs()

"""Label batches render off the event loop, in a bounded pool: while a big batch renders,
/healthz (and so every scan) still answers; beyond the bound the answer is 503 with
Retry-After; the real process pool carries labels and their errors both ways and heals
after a worker dies.

The in-app tests run their requests on the test client's own event loop (its portal), with
httpx's ASGI transport, and prove order, not speed: the rendering waits on an event that
only the test sets, after /healthz has answered. Rendered inline on the loop, nothing could
set it (the wait gives up after a few seconds, and the PDF then comes first)."""

import asyncio
import concurrent.futures as cf
import operator
import os
import re
import threading
from collections.abc import Callable

import httpx
import pytest

import labels as lib
import labels.pdf
from server.domain.errors import Unavailable
from server.services import offload
from server.settings import _from_env
from tests.factories import item, location, problem, units

HTML = {"Accept": "text/html"}


def threads(workers: int) -> cf.Executor:
    # same bound and bookkeeping as the process pool; a thread lets the test hold the job
    return cf.ThreadPoolExecutor(max_workers=workers)


@pytest.fixture
def pool(request):
    """A tiny injected pool: 1 worker, `queue` waiting (parametrize indirectly; default 0)."""
    made = offload.CpuPool(1, getattr(request, "param", 0), make_executor=threads,
                           what="the label printer")
    old = offload.use_pool(made)
    yield made
    offload.use_pool(old)
    asyncio.run(made.close())


@pytest.fixture
def held(monkeypatch):
    """Rendering stops at its first label until the test releases it (or 5 s pass)."""
    started, release = threading.Event(), threading.Event()
    real = labels.pdf.layout_label

    def layout_label(*args, **kwargs):
        started.set()
        if not release.wait(5):
            release.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(labels.pdf, "layout_label", layout_label)
    yield started, release
    release.set()


async def wait_for(ready: Callable[[], bool]) -> None:
    for _ in range(1000):  # at most ~10 s
        if ready():
            return
        await asyncio.sleep(0.01)


def asgi(client) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app),
                             base_url="http://127.0.0.1")


@pytest.fixture
def drill(manager):
    shelf = location(manager)
    made = item(manager, tracking="serial", name="Cordless drill")
    units(manager, made["id"], shelf["tag"], count=3)
    return made


def test_healthz_answers_while_a_label_pdf_renders(client, manager, drill, pool, held):
    started, release = held
    order: list[str] = []

    async def scenario():
        async with asgi(client) as http:
            async def pdf():
                answer = await http.post("/api/v1/labels", headers=manager.headers,
                                         json={"stock": "avery-l7163", "item": drill["id"]})
                order.append("pdf")
                return answer

            job = asyncio.create_task(pdf())
            await wait_for(started.is_set)
            health = await http.get("/healthz")
            order.append("healthz")
            release.set()
            return health, await job

    health, answer = client.blocking_portal.call(scenario)
    assert order == ["healthz", "pdf"]
    assert health.status_code == 200
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")


def test_a_batch_beyond_the_bound_gets_503_with_retry_after(client, manager, drill, pool, held):
    started, release = held

    async def scenario():
        async with asgi(client) as http:
            body = {"stock": "zebra-2x1", "format": "pdf", "item": drill["id"]}
            first = asyncio.create_task(http.post("/api/v1/labels", headers=manager.headers,
                                                  json=body))
            await wait_for(started.is_set)
            refused = await http.post("/api/v1/labels", headers=manager.headers, json=body)
            release.set()
            return refused, await first

    refused, first = client.blocking_portal.call(scenario)
    body = problem(refused, 503)
    assert body["code"] == "busy" and "queue is full" in body["detail"]
    assert refused.headers["retry-after"] == "5"
    assert first.status_code == 200
    assert pool.admitted == 0


@pytest.mark.parametrize("pool", [1], indirect=True)
def test_one_batch_may_wait_when_the_queue_holds_one(client, manager, drill, pool, held):
    started, release = held

    async def scenario():
        async with asgi(client) as http:
            body = {"stock": "zebra-2x1", "format": "zpl", "item": drill["id"]}
            pdf = {**body, "format": "pdf"}
            first = asyncio.create_task(http.post("/api/v1/labels", headers=manager.headers,
                                                  json=pdf))
            await wait_for(started.is_set)
            second = asyncio.create_task(http.post("/api/v1/labels", headers=manager.headers,
                                                   json=body))
            await wait_for(lambda: pool.admitted == 2)
            third = await http.post("/api/v1/labels", headers=manager.headers, json=body)
            release.set()
            return await first, await second, third

    first, second, third = client.blocking_portal.call(scenario)
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 503)


def test_the_labels_page_says_the_queue_is_full_with_retry_after(client, manager, drill, pool):
    pool.admitted = 1  # a batch is rendering
    client.cookies.clear()
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    client.post("/login", data={"username": "manager", "password": "correct horse",
                                **({"csrf": token.group(1)} if token else {})})
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/labels").text).group(1)
    answer = client.post("/labels/download", headers=HTML, follow_redirects=False, data={
        "csrf": csrf, "source": "item", "item": drill["sku"], "stock": "zebra-2x1",
        "format": "pdf"})
    pool.admitted = 0
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "queue is full" in answer.text and "text/html" in answer.headers["content-type"]


def test_a_job_keeps_its_slot_until_it_ends_even_if_its_request_goes_away():
    gate = threading.Event()

    async def scenario():
        pool = offload.CpuPool(1, 0, make_executor=threads)
        running = threading.Event()

        def job() -> None:
            running.set()
            gate.wait(5)

        task = asyncio.create_task(pool.run(job))
        await wait_for(running.is_set)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        still = pool.admitted
        gate.set()
        await wait_for(lambda: pool.admitted == 0)
        await pool.close()
        return still, pool.admitted

    assert asyncio.run(scenario()) == (1, 0)


@pytest.mark.slow
def test_the_process_pool_renders_labels_returns_their_errors_and_heals():
    stock, template = lib.builtin_stocks()["zebra-2x1"], lib.builtin_templates()["asset"]
    label = lib.LabelData("unit", "U-0000017", "http://tagtrack.test/u/U-0000017",
                          {"name": "Cordless drill", "serial": "SN1"})

    async def scenario():
        pool = offload.CpuPool(1, 0)
        try:
            zpl = await pool.run(lib.render_file, "zpl", [label, label], stock, template)
            assert zpl.count(b"^XA") == 2 and b"U-0000017" in zpl
            with pytest.raises(lib.LabelError) as refused:
                await pool.run(lib.render_file, "png", [label, label], stock, template)
            assert refused.value.field == "format" and "one label" in refused.value.message
            with pytest.raises(Unavailable) as stopped:
                await pool.run(os._exit, 3)  # the worker dies
            assert stopped.value.code == "worker_stopped"
            assert await pool.run(operator.add, 2, 3) == 5  # a fresh worker took over
            assert pool.admitted == 0
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_the_worker_count_and_queue_come_from_the_environment():
    assert _from_env({"TAGTRACK_CPU_WORKERS": "3", "TAGTRACK_CPU_QUEUE": "0"}).cpu_workers == 3
    assert _from_env({}).cpu_workers == max(1, (os.cpu_count() or 1) - 1)
    with pytest.raises(ValueError, match="TAGTRACK_CPU_WORKERS"):
        _from_env({"TAGTRACK_CPU_WORKERS": "0"})

"""What authentication costs per request: N authenticated GET /api/v1/users/me in process
(the ASGI app driven by httpx's ASGI transport, no network, one client at a time), with an
API token and with a session cookie, on a fresh database of either engine.

Every authenticated request reads the auth revision (one indexed single-row SELECT) before
it trusts the process's cache of logins (server/services/auth.py): this measures that cost
against the whole request. Run the same script on an older checkout to compare.

Run: .venv/bin/python bench/bench_auth.py --engine sqlite|postgres [--requests 10000]
Output (key=value): wall and CPU microseconds per request with a token and with a session,
and the revision read alone (revision_us, revision_cpu_us) where the checkout has one.
On a busy machine compare CPU time, and run before and after in turn."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_BASE = os.environ.get("TAGTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run(engine: str, requests: int, tmp: Path) -> dict[str, float]:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # no line per request

    if engine == "postgres":
        name = f"tagtrack_bench_auth_{uuid.uuid4().hex[:8]}"
        await _pg(f"CREATE DATABASE {name}")
        url = f"{PG_BASE}/{name}"
    else:
        name, url = "", f"sqlite:///{tmp / 'auth.db'}"
    os.environ.update(DATABASE_URL=url, TAGTRACK_DATA_DIR=str(tmp),
                      PUBLIC_URL="http://127.0.0.1")
    from server.settings import reload_settings

    settings = reload_settings()
    from server.db.migrate import migrate

    await migrate(settings)
    from server.domain.actors import SYSTEM
    from server.http.app import create_app
    from server.services import auth

    app = create_app(settings, run_migrations=False)
    out: dict[str, float] = {}
    try:
        async with _lifespan(app):
            user_id = await auth.create_user(SYSTEM, "bench", "viewer", "correct horse battery")
            _, token = await auth.create_token(SYSTEM, user_id, "bench")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                bearer = {"Authorization": f"Bearer {token}"}
                out["token_us_per_request"], out["token_cpu_us"] = await _time(c, requests,
                                                                                bearer)
                form = (await c.get("/login")).text
                csrf = re.search(r'name="csrf" value="([^"]+)"', form)
                answer = await c.post("/login", data={
                    "username": "bench", "password": "correct horse battery", "next": "/",
                    **({"csrf": csrf.group(1)} if csrf else {})})
                assert answer.status_code in (200, 303), answer.text[:300]
                out["session_us_per_request"], out["session_cpu_us"] = await _time(c, requests,
                                                                                    {})
            try:
                from server.db import auth_revision
            except ImportError:  # a checkout from before the revision check
                return out
            start, cpu = time.perf_counter(), time.process_time()
            for _ in range(requests):
                await auth_revision.read()
            out["revision_us"] = (time.perf_counter() - start) / requests * 1e6
            out["revision_cpu_us"] = (time.process_time() - cpu) / requests * 1e6
    finally:
        if name:
            await _pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return out


class _lifespan:
    """Start and stop the app's database as its lifespan would."""

    def __init__(self, app: object) -> None:
        self.app = app

    async def __aenter__(self) -> None:
        from server.db import engine as db

        await db.start(db.current_engine())

    async def __aexit__(self, *exc: object) -> None:
        from server.db import engine as db

        await db.stop(db.current_engine())


async def _time(client: object, n: int, headers: dict[str, str]) -> tuple[float, float]:
    """Wall time and this process's CPU time per request, in microseconds."""
    for _ in range(200):  # warm up: caches, connections
        answer = await client.get("/api/v1/users/me", headers=headers)  # type: ignore[attr-defined]
        assert answer.status_code == 200, answer.text
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        await client.get("/api/v1/users/me", headers=headers)  # type: ignore[attr-defined]
    return (time.perf_counter() - start) / n * 1e6, (time.process_time() - cpu) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.engine, args.requests, Path(tmp)))
    print(f"engine={args.engine} requests={args.requests}")
    for key, value in result.items():
        print(f"{key}={value:.1f}")


if __name__ == "__main__":
    main()

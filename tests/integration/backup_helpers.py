"""What the backup tests share: a catalog that touches every kind of column, a throwaway
database, every row of a database read back, and `verify` run on another database."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from server.db import snapshot
from server.domain.backup_format import encoder
from tests.factories import item, location, ok, person, receive, units
from tests.sync import run_sync

PG_BASE = os.environ.get("TAGTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{PG_BASE}/postgres", timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def throwaway(engine: str, tmp: Path, name: str = "copy") -> Iterator[str]:
    """An empty database URL (not migrated): a SQLite file in `tmp` or a PostgreSQL
    database that is dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp / f'{name}.db'}"
        return
    db = f"tagtrack_backup_{uuid.uuid4().hex[:10]}"
    run_sync(_pg(f"CREATE DATABASE {db}"))
    try:
        yield f"{PG_BASE}/{db}"
    finally:
        run_sync(_pg(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))


def every_row(url: str, tmp: Path) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, as the backup writes their values (engine-neutral), in id
    order: two databases with equal answers hold the same data."""
    async def read() -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        async with snapshot.reading(url, tmp) as db:
            for shape in await db.shapes():
                encoders = [encoder(k) for k in shape.kinds]
                rows = out.setdefault(shape.name, [])
                async for chunk in db.chunks(shape):
                    rows.extend({c: f(v) for c, f, v in
                                 zip(shape.columns, encoders, row, strict=True)}
                                for row in chunk)
        return out
    return run_sync(read())


def verify_elsewhere(url: str) -> list[str]:
    """`verify` on another database, then the tests' own database is bound again."""
    from server.cli_backup import verify_at
    from server.db import engine as db_engine

    bound = db_engine.current_engine()
    try:
        return run_sync(verify_at(url))
    finally:
        db_engine.bind(bound)


def varied_catalog(api: Any) -> dict[str, Any]:
    """Records whose columns cover every kind: numeric costs, dates, timestamps, JSON custom
    fields, booleans, a location whose parent has a larger id than itself (the restore's
    second pass), a lot with an expiry, a quantity loan, scans with idempotency keys
    (`keys`: key -> (the scan sent, its answer))."""
    shelf = location(api, "Shelf A")
    site = location(api, "Site 2")
    # the room (made before the site) moves under it: a parent with a later id
    room = location(api, "Room", parent=shelf["tag"])
    ok(api.patch(f"/api/v1/locations/{room['tag']}", json={"parent": site["tag"]}))
    dana = person(api, "Dana Whitfield", email="dana@example.com", badge_code="B-17")
    laptops = item(api, tracking="serial", name="Laptop", unit_cost="1299.90",
                   custom_fields=[{"key": "os", "label": "OS", "type": "text"}])
    made = units(api, laptops["id"], room["tag"], serials=["PF-1", "PF-2", "PF-3"])
    ok(api.patch(f"/api/v1/units/{made[0]['tag']}", json={
        "purchase_date": "2026-02-01", "purchase_cost": "999.5", "warranty_end": "2029-02-28",
        "custom": {"os": "linux ünïcode ✓"}}))
    gloves = item(api, tracking="lot", name="Gloves", unit_cost=3.5)
    receive(api, gloves["id"], shelf["tag"], 40, lot="L-1", expires_on="2027-03-31")
    ties = item(api, name="Zip ties", sku="ZIP-100")
    receive(api, ties["id"], shelf["tag"], 100)
    keys = {}
    for n, code in enumerate((made[1]["tag"], "ZIP-100", made[2]["tag"]), start=1):
        body = {"code": code, "action": "move", "location": site["tag"],
                "idempotency_key": f"key-{n}"}
        if code == "ZIP-100":
            body.update(from_location=shelf["tag"], quantity=4)
        keys[f"key-{n}"] = (body, ok(api.post("/api/v1/scans", json=body)))
    body = {"code": made[0]["tag"], "action": "check_out", "person": dana["tag"],
            "due_at": "2030-01-31T17:00:00Z", "idempotency_key": "key-out"}
    keys["key-out"] = (body, ok(api.post("/api/v1/scans", json=body)))
    return {"shelf": shelf, "site": site, "room": room, "laptops": laptops, "units": made,
            "ties": ties, "keys": keys}


@contextlib.contextmanager
def server_on(url: str, tmp: Path) -> Iterator[str]:
    """A real server process on the database at `url` (already migrated, with its users);
    its base URL."""
    from tests.integration.servers import Servers, env_for

    tmp.mkdir(parents=True, exist_ok=True)
    servers = Servers(env=env_for(url, tmp), log_dir=tmp)
    try:
        servers.start(1)
        yield servers.urls[0]
    finally:
        servers.stop()


def replay(base: str, token: str, keys: dict[str, tuple[dict[str, Any], Any]]) -> None:
    """Send every scan again with its key: each must get its first answer back, marked as
    a replay."""
    import httpx

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=10) as client:
        for key, (body, first) in keys.items():
            again = client.post("/api/v1/scans", json=body)
            assert again.status_code == 200, (key, again.text)
            assert again.headers.get("idempotent-replay") == "true", key
            assert again.json() == first, key

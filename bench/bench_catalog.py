"""Catalog benchmark: the item list with derived counts over 1,000,000 units.

1. Makes a fresh database (SQLite file in a temp dir, or a throw-away PostgreSQL database),
   runs the real migrations (server.db.migrate.migrate), then bulk-loads locations, people,
   items (serial, plus quantity items with stock rows and a barcode), units, a user and an
   API token with plain bulk SQL (sqlite3 executemany in one transaction / asyncpg COPY).
   The load is setup and is not measured. No events are written: the ledger is not needed
   to read the catalog, so `tagtrack verify` on this database would report differences.
2. Times, in-process in one event loop, through the real app (create_app + litestar's
   AsyncTestClient, with a Bearer token: routing, auth lookup, SQL, presentation, JSON) and
   through the repository functions the controllers call (items_repo.list_items +
   barcodes_of; units_repo.get + detail): several catalog list shapes, and a unit lookup
   by tag.

Prints one line per shape with p50/p95/p99 in ms, and the headline
`catalog_p50_ms=... target=50 ratio=...` (the default list view, GET /api/v1/items?limit=50
sorted by SKU at random offsets, through HTTP).

Run: .venv/bin/python bench/bench_catalog.py --engine sqlite|postgres [--units 1000000]
     [--items 10000] [--n 100] [--via http|repo|both]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import logging
import random
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any

from common import bench_database, fmt_ms, percentiles, settings_for, tag

CATALOG_P50_TARGET_MS = 50.0
SITES, ROOMS_PER_SITE, PEOPLE = 10, 20, 500
TOKEN = "tt_benchmark-token-not-a-secret-0123456789abcdef"
STATUSES = (
    ["available"] * 80
    + ["checked_out"] * 10
    + ["in_repair"] * 4
    + ["reserved"] * 2
    + ["retired"] * 2
    + ["lost"] * 2
)
NAMES = [
    "Cordless drill",
    "Laptop",
    "Espresso machine",
    "Projector",
    "Ladder",
    "Multimeter",
    "Safety harness",
    "Tablet",
    "Pressure washer",
    "Camera",
    "Widget",
    "Soldering station",
]
BASE_TIME = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

# ---------------------------------------------------------------------------- data


def gtin(n: int) -> str:
    body = str(n).zfill(13)
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


class Plan:
    """What to load: ids are assigned here, so both engines get the same rows."""

    def __init__(self, n_items: int, n_units: int) -> None:
        self.n_items, self.n_units = n_items, n_units
        self.n_locations = SITES + SITES * ROOMS_PER_SITE
        self.quantity_items = [i for i in range(1, n_items + 1) if i % 10 == 0]
        self.serial_items = [i for i in range(1, n_items + 1) if i % 10 != 0]
        # a skewed catalog: 1% of serial items hold 30% of the units
        big = self.serial_items[: max(1, len(self.serial_items) // 100)]
        small = self.serial_items[len(big) :] or big
        per_big, per_small = (n_units * 3 // 10) // len(big), 0
        per_small = (n_units - per_big * len(big)) // len(small)
        self.units_per_item = {i: per_big for i in big} | {i: per_small for i in small}
        left = n_units - sum(self.units_per_item.values())
        for i in small[:left]:
            self.units_per_item[i] += 1

    def rooms(self) -> range:
        return range(SITES + 1, self.n_locations + 1)

    def locations(self) -> Iterator[tuple[Any, ...]]:
        for site in range(1, SITES + 1):
            yield site, tag("L", site), f"Site {site}", None
        for room in self.rooms():
            yield room, tag("L", room), f"Room {room}", (room - SITES - 1) // ROOMS_PER_SITE + 1

    def people(self) -> Iterator[tuple[Any, ...]]:
        for p in range(1, PEOPLE + 1):
            yield p, tag("P", p), f"Person {p}", f"p{p}@example.com"

    def items(self) -> Iterator[tuple[Any, ...]]:
        for i in range(1, self.n_items + 1):
            quantity = i % 10 == 0
            sku = f"SKU-{i:06d}"
            yield (
                i,
                sku,
                sku.lower(),
                f"{NAMES[i % len(NAMES)]} model {i}",
                f"Category {i % 40}",
                "each",
                "quantity" if quantity else "serial",
                20 if quantity else (3 if i % 7 == 0 else None),
                Decimal(f"{i % 500}.99"),
                i % 100 == 99,
                BASE_TIME + dt.timedelta(minutes=i),
                BASE_TIME + dt.timedelta(minutes=i),  # updated_at
            )

    def barcodes(self) -> Iterator[tuple[Any, ...]]:
        for n, i in enumerate(self.quantity_items, start=1):
            yield n, i, gtin(400000000000 + i)

    def stock(self) -> Iterator[tuple[Any, ...]]:
        rooms = self.rooms()
        n = 0
        for i in self.quantity_items:
            for k in range(3):
                n += 1
                loc = rooms[(i * 7 + k * 53) % len(rooms)]
                yield n, f"{i}:{loc}:0", i, loc, (i * 13 + k * 5) % 60

    def units(self) -> Iterator[tuple[Any, ...]]:
        rooms = self.rooms()
        uid = 0
        for item, count in self.units_per_item.items():
            created = BASE_TIME + dt.timedelta(minutes=item, seconds=1)
            for _ in range(count):
                uid += 1
                status = STATUSES[uid % 100]
                custodian = (uid % PEOPLE) + 1 if status == "checked_out" else None
                yield (
                    uid,
                    tag("U", uid),
                    item,
                    f"SN{uid:09d}",
                    status,
                    "working",
                    rooms[(item * 31 + uid % 7) % len(rooms)],
                    custodian,
                    created,
                    created,  # updated_at
                )


# column lists shared by both loaders; the rest of each row takes its column default
LOC_COLS = ("id", "tag", "name", "parent")
PERSON_COLS = ("id", "tag", "name", "email")
ITEM_COLS = (
    "id",
    "sku",
    "sku_key",
    "name",
    "category",
    "unit_of_measure",
    "tracking",
    "reorder_point",
    "unit_cost",
    "archived",
    "created_at",
    "updated_at",
)
BARCODE_COLS = ("id", "item", "gtin")
STOCK_COLS = ("id", "key", "item", "location", "quantity")
UNIT_COLS = (
    "id",
    "tag",
    "item",
    "serial",
    "status",
    "condition",
    "location",
    "custodian",
    "created_at",
    "updated_at",
)


def sqlite_ts(value: dt.datetime) -> str:
    return value.isoformat(sep=" ", timespec="microseconds")  # as Piccolo stores it


def load_sqlite(path: str, plan: Plan) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")

    def put(table: str, cols: tuple[str, ...], rows: Any) -> None:
        names = ", ".join(f'"{c}"' for c in cols)
        marks = ", ".join("?" for _ in cols)
        conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    def convert(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for row in rows:
            yield tuple(
                sqlite_ts(v)
                if isinstance(v, dt.datetime)
                else float(v)
                if isinstance(v, Decimal)
                else int(v)
                if isinstance(v, bool)
                else v
                for v in row
            )

    def unit_rows() -> Iterator[tuple[Any, ...]]:
        stamp_of: dict[dt.datetime, str] = {}
        for row in plan.units():  # hot loop: format each item's timestamp once
            created = row[-1]
            text = stamp_of.get(created) or stamp_of.setdefault(created, sqlite_ts(created))
            yield (*row[:-2], text, text)

    with conn:  # one transaction
        put("location", LOC_COLS, plan.locations())
        put("person", PERSON_COLS, plan.people())
        put("item", ITEM_COLS, convert(plan.items()))
        put("item_barcode", BARCODE_COLS, plan.barcodes())
        put("stock", STOCK_COLS, plan.stock())
        put("unit", UNIT_COLS, unit_rows())
        put(
            "counter",
            ("name", "value"),
            [("U", plan.n_units), ("L", plan.n_locations), ("P", PEOPLE)],
        )
        conn.execute("INSERT INTO app_user (id, username, role) VALUES (1, 'bench', 'admin')")
        conn.execute(
            "INSERT INTO api_token (user, name, prefix, token_hash) VALUES (1, 'bench', ?, ?)",
            (TOKEN[:10], hashlib.sha256(TOKEN.encode()).hexdigest()),
        )
    conn.close()


async def load_postgres(dsn: str, plan: Plan) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():

            async def put(table: str, cols: tuple[str, ...], rows: Any) -> None:
                await conn.copy_records_to_table(table, records=rows, columns=list(cols))

            await put("location", LOC_COLS, plan.locations())
            await put("person", PERSON_COLS, plan.people())
            await put("item", ITEM_COLS, plan.items())
            await put("item_barcode", BARCODE_COLS, plan.barcodes())
            await put("stock", STOCK_COLS, plan.stock())
            units = plan.units()
            while True:  # in chunks: a 1M-row list would cost ~1 GB of Python objects
                chunk = [row for _, row in zip(range(100_000), units, strict=False)]
                if not chunk:
                    break
                await put("unit", UNIT_COLS, chunk)
            await conn.executemany(
                "INSERT INTO counter (name, value) VALUES ($1, $2)",
                [("U", plan.n_units), ("L", plan.n_locations), ("P", PEOPLE)],
            )
            await conn.execute(
                "INSERT INTO app_user (id, username, role) VALUES (1, 'bench', 'admin')"
            )
            await conn.execute(
                'INSERT INTO api_token ("user", name, prefix, token_hash) '
                "VALUES (1, 'bench', $1, $2)",
                TOKEN[:10],
                hashlib.sha256(TOKEN.encode()).hexdigest(),
            )
            for table in (
                "location",
                "person",
                "item",
                "item_barcode",
                "stock",
                "unit",
                "app_user",
            ):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
        await conn.execute("VACUUM ANALYZE")  # what autovacuum would do after a bulk load
    finally:
        await conn.close()


# ---------------------------------------------------------------------------- timing


async def timed(
    fn: Callable[[], Awaitable[Any]], n: int, budget_s: float, warmup: int = 3
) -> list[float]:
    for _ in range(warmup):
        await fn()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < n and (not samples or time.perf_counter() < deadline):
        start = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - start)
    return samples


def catalog_shapes(
    plan: Plan, rng: random.Random
) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
    """(name, a function giving the next request's query parameters)."""
    last_page = max(0, plan.n_items - 50)
    return [
        ("default sort=sku offset=0", lambda: {"sort": "sku"}),
        (
            "default sort=sku random offset",
            lambda: {"sort": "sku", "offset": rng.randint(0, last_page)},
        ),
        (
            "sort=-name random offset",
            lambda: {"sort": "-name", "offset": rng.randint(0, last_page)},
        ),
        (
            "category=... sort=category",
            lambda: {"sort": "category", "category": f"Category {rng.randrange(40)}"},
        ),
        ("tracking=serial sort=-created_at", lambda: {"tracking": "serial", "sort": "-created_at"}),
        ("location=<site> (subtree)", lambda: {"location": tag("L", rng.randint(1, SITES))}),
        ("q=<text> search", lambda: {"q": rng.choice(["widget", "model 12", "sku-0042"])}),
        ("low_stock=true", lambda: {"low_stock": "true"}),
    ]


async def run_repo_catalog(params: dict[str, Any]) -> None:
    from server.db import items_repo, places_repo
    from server.db.items_repo import ITEM_SORTS, ItemFilter
    from server.http.paging import parse_sort
    from server.services import lookup

    field, desc = parse_sort(params.get("sort", "sku"), ITEM_SORTS)
    loc_ids = None
    if "location" in params:
        loc_ids = await places_repo.subtree_ids(await lookup.location_id(params["location"]))
    rows, _ = await items_repo.list_items(
        ItemFilter(
            tracking=params.get("tracking"),
            category=params.get("category"),
            q=params.get("q"),
            location_ids=loc_ids,
            low_stock=params.get("low_stock") == "true",
        ),
        sort=field,
        descending=desc,
        limit=50,
        offset=params.get("offset", 0),
    )
    await items_repo.barcodes_of([r["id"] for r in rows])


async def run_shapes(
    via: str,
    args: argparse.Namespace,
    plan: Plan,
    catalog: Callable[[dict[str, Any]], Awaitable[None]],
    unit: Callable[[str], Awaitable[None]],
) -> tuple[float, tuple[float, str]]:
    """Times every catalog shape, then unit lookups; returns (p50 of the default view: the
    worse of its two shapes,
    (worst shape p50, its name))."""
    print(f"-- catalog list, limit=50, via {via}")
    default_p50 = 0.0
    worst: tuple[float, str] = (0.0, "")
    rng = random.Random(42)
    for name, next_params in catalog_shapes(plan, rng):

        async def call(next_params: Any = next_params) -> None:
            await catalog(next_params())

        samples = await timed(call, args.n, args.budget)
        stats = percentiles(samples)
        print(
            f"{name:<36} n={len(samples):<4} {fmt_ms(stats)} "
            f"ratio_p50={stats['p50'] / CATALOG_P50_TARGET_MS:.2f}"
        )
        if name.startswith("default"):  # the worse of offset 0 and random offsets
            default_p50 = max(default_p50, stats["p50"])
        worst = max(worst, (stats["p50"], name))

    print(f"-- unit by tag, via {via}")
    tags = iter([tag("U", rng.randint(1, plan.n_units)) for _ in range(args.n * 2 + 10)])

    async def lookup() -> None:
        await unit(next(tags))

    samples = await timed(lookup, args.n, args.budget)
    print(f"{'GET /api/v1/units/{tag}':<36} n={len(samples):<4} {fmt_ms(percentiles(samples))}")
    return default_p50, worst


async def measure_repo(args: argparse.Namespace, settings: Any, plan: Plan) -> None:
    """The repository functions in this event loop, with an engine of our own."""
    from server.db import engine as db_engine
    from server.db import units_repo

    engine = db_engine.make_engine(settings.database_url)
    db_engine.bind(engine)
    await db_engine.start(engine)

    async def unit(unit_tag: str) -> None:
        found = await units_repo.get(tag=unit_tag)
        await units_repo.detail(found.id)

    try:
        await run_shapes("repo", args, plan, run_repo_catalog, unit)
    finally:
        await db_engine.stop(engine)


async def measure_http(args: argparse.Namespace, settings: Any, plan: Plan) -> None:
    """The real app through litestar's AsyncTestClient (the app and its lifespan run in
    the client's portal thread, on their own event loop; no sockets)."""
    from litestar.testing import AsyncTestClient

    from server.http.app import create_app

    app = create_app(settings, run_migrations=False)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request
    async with AsyncTestClient(app=app, timeout=60) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"

        async def http_get(path: str, params: dict[str, Any] | None = None) -> None:
            response = await client.get(path, params=params)
            if response.status_code != 200:
                raise SystemExit(
                    f"GET {path} {params} -> {response.status_code} {response.text[:300]}"
                )

        async def catalog(params: dict[str, Any]) -> None:
            await http_get("/api/v1/items", {"limit": 50, **params})

        async def unit(unit_tag: str) -> None:
            await http_get(f"/api/v1/units/{unit_tag}")

        headline, worst = await run_shapes("http", args, plan, catalog, unit)
    print(
        f"catalog_p50_ms={headline:.1f} target={CATALOG_P50_TARGET_MS:.0f} "
        f"ratio={headline / CATALOG_P50_TARGET_MS:.2f}"
    )
    print(
        f"catalog_worst_shape_p50_ms={worst[0]:.1f} shape={worst[1]!r} "
        f"ratio={worst[0] / CATALOG_P50_TARGET_MS:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--n", type=int, default=100, help="timed requests per shape")
    parser.add_argument(
        "--budget",
        type=float,
        default=10.0,
        help="seconds per shape at most (fewer samples if slow)",
    )
    parser.add_argument("--via", choices=["http", "repo", "both"], default="both")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    from server.db.migrate import migrate

    plan = Plan(args.items, args.units)
    async with bench_database(args.engine, keep=args.keep) as (url, data_dir):
        settings = settings_for(url, data_dir)
        start = time.perf_counter()
        await migrate(settings)
        migrated = time.perf_counter()
        if args.engine == "sqlite":
            await asyncio.to_thread(load_sqlite, str(settings.sqlite_path), plan)
        else:
            await load_postgres(url, plan)
        loaded = time.perf_counter()
        print(
            f"engine={args.engine} items={args.items} units={args.units} "
            f"migrate_s={migrated - start:.1f} load_s={loaded - migrated:.1f}"
        )
        if args.via in ("repo", "both"):
            await measure_repo(args, settings, plan)
        if args.via in ("http", "both"):
            await measure_http(args, settings, plan)
        print(f"total_s={time.perf_counter() - start:.1f}")


if __name__ == "__main__":
    asyncio.run(main())

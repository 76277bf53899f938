"""Reports benchmark: the first page of every report over 1,000,000 units, 10,000 items and
at least 2,000,000 events (DESIGN.md: "Reports over 1,000,000 units and 2,000,000 events:
first page p50 under 300 ms").

1. Builds the database once per engine: the real migrations, then the catalog benchmark's
   rows (bench_catalog.Plan: locations, people, items, 1M units; bulk SQL), then the
   history with set-based SQL (INSERT ... SELECT over the units, no per-row Python):
   one unit.created event per unit, and check-outs and check-ins spread over the last 300
   days (two in five units lent once, one in five twice; some still out), as events, in
   rounds so that each check-in follows its check-out. The utilization summaries' triggers
   are dropped for the bulk insert and the summaries made by the migration's own
   backfill (the statements an existing database gets), then the triggers come back:
   row-by-row triggers over 2.4M events took 5 minutes. Events carry no hash chain
   (`verify` would name them): the reports do not read the chain. With --keep the
   database stays, and --reuse takes a database kept earlier instead of building one
   (and keeps it; SQLite: --path; PostgreSQL: database tagtrack_bench_reports).
2. Times each report of REPORTS, GET through the real app (create_app + litestar's
   AsyncTestClient; API URLs with a Bearer token, pages with a session cookie), after two
   warm-up calls: p50, p95 and the ratio of p50 to the 300 ms target.

Add a report: one line in REPORTS (a name and the URL of its first page).

Run: .venv/bin/python bench/bench_reports.py --engine sqlite|postgres [--n 20] [--keep]
     [--reuse] [--only utilization]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench_catalog import TOKEN, Plan, load_postgres, load_sqlite
from common import PG_BASE, fmt_ms, percentiles, pg_exec, settings_for

TARGET_MS = 300.0
SESSION = "bench-reports-session-secret-0123456789"

# (name, URL of the report's first page). One line per report.
REPORTS: list[tuple[str, str]] = [
    ("utilization items (api)", "/api/v1/reports/utilization"),
    ("utilization units (api)", "/api/v1/reports/utilization?view=units"),
    ("utilization one item (api)", "/api/v1/reports/utilization?view=units&item=SKU-000001"),
    ("utilization page", "/reports/utilization"),
    ("advisor (api)", "/api/v1/reports/advisor"),
    ("advisor page", "/reports/advisor"),
    ("low stock (api)", "/api/v1/reports/low-stock"),
    ("low stock per location (api)", "/api/v1/reports/low-stock?by=location"),
    ("stock value by category (api)", "/api/v1/reports/stock-value?by=category"),
    ("stock value 30 days ago, one item (api)", "/api/v1/reports/stock-value?item=SKU-000001"
     "&as_of=" + (dt.date.today() - dt.timedelta(days=30)).isoformat()),
    ("loans by person (api)", "/api/v1/reports/loans-by-person"),
    ("overdue (api)", "/api/v1/reports/overdue"),
    ("no due date (api)", "/api/v1/reports/no-due-date"),
    ("repairs (api)", "/api/v1/reports/repairs"),
    ("shrinkage (api)", "/api/v1/reports/shrinkage"),
    ("stock value page", "/reports/stock-value?by=category"),
    ("dashboard page", "/"),
]

DAY = 86400
HISTORY_DAYS = 300
PG_NAME = "tagtrack_bench_reports"


# ---------------------------------------------------------------------------- history

def _rounds(now_s: int) -> list[tuple[str, str]]:
    """(kind, WHERE over unit u) per round, with the event time as an expression of u.id
    (seconds since the epoch) named {t}: out/in pairs, each in after its out."""
    span = HISTORY_DAYS * DAY

    def out_t(k: int) -> str:  # the k-th lending of a unit: spread over the history
        spread = f"(CAST(u.id AS BIGINT) * {7919 + k * 104729}) % {span // (k + 1)}"
        return f"({now_s} - ({spread}) - {k * span // 2})"

    def in_t(k: int) -> str:  # back 1 to 60 days later (not yet, for some: still out)
        return f"({out_t(k)} + ((CAST(u.id AS BIGINT) * 31) % {60 * DAY}) + {DAY})"

    once = "u.id % 5 IN (0, 1, 2)"
    twice = "u.id % 5 = 2"
    return [
        (f"'unit.checked_out', {out_t(1)}", once),
        (f"'unit.checked_in', {in_t(1)}", f"{once} AND {in_t(1)} < {now_s}"),
        (f"'unit.checked_out', {out_t(0)}", f"{twice} AND {in_t(1)} < {out_t(0)}"),
        (f"'unit.checked_in', {in_t(0)}",
         f"{twice} AND {in_t(1)} < {out_t(0)} AND {in_t(0)} < {now_s}"),
    ]


def history_sql(engine: str, now_s: int) -> list[str]:
    if engine == "sqlite":
        def ts(expr: str) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%S', {expr}, 'unixepoch') || '.000000+00:00'"
    else:
        def ts(expr: str) -> str:
            return f"to_timestamp({expr})"
    created = ("INSERT INTO event (at, actor, kind, item_id, unit_id, to_location_id, details) "
               "SELECT u.created_at, 'bench', 'unit.created', u.item, u.id, u.location, '{}' "
               "FROM unit u ORDER BY u.id")
    statements = [created]
    for kind_and_time, where in _rounds(now_s):
        kind, t = kind_and_time.split(", ", 1)
        person = "(u.id % 500) + 1"
        people = (f"{person}, NULL" if "checked_out" in kind else f"NULL, {person}")
        statements.append(
            "INSERT INTO event (at, actor, kind, item_id, unit_id, to_person_id, "
            "from_person_id, details) "
            f"SELECT {ts(t)}, 'bench', {kind}, u.item, u.id, {people}, '{{}}' "
            f"FROM unit u WHERE {where} ORDER BY u.id")
    return statements


def summaries(engine: str) -> tuple[list[str], list[str], list[str]]:
    """(drop the triggers, backfill, make the triggers) from the migration itself."""
    import importlib

    m = importlib.import_module("server.db.migrations.tagtrack_2026_11_29t15_20_00_000000")
    if engine == "sqlite":
        drops = [f"DROP TRIGGER IF EXISTS {name}" for name in (
            "usage_checked_out", "usage_custody_ends", "usage_created", "usage_moved",
            "usage_audited", "usage_scanned")]
        return drops, m.backfill(m.SQLITE_EPOCH), m.SQLITE_TRIGGERS
    drops = ["DROP TRIGGER IF EXISTS usage_event ON event",
             "DROP TRIGGER IF EXISTS usage_scanned ON scan_log"]
    return drops, m.backfill(m.PG_EPOCH), m.PG_TRIGGERS


async def build(engine: str, url: str, settings: Any) -> None:
    from server.db.migrate import migrate

    start = time.perf_counter()
    await migrate(settings)
    plan = Plan(10_000, 1_000_000)
    if engine == "sqlite":
        await asyncio.to_thread(load_sqlite, str(settings.sqlite_path), plan)
    else:
        await load_postgres(url, plan)
    loaded = time.perf_counter()
    now_s = int(time.time())
    drops, backfill, triggers = summaries(engine)
    statements = [*drops, *history_sql(engine, now_s), *backfill, *triggers]
    session = ("INSERT INTO web_session (\"user\", token_hash, created_at, expires_at) "
               "VALUES (1, '{}', {}, {})")
    secret = hashlib.sha256(SESSION.encode()).hexdigest()
    if engine == "sqlite":
        import sqlite3

        conn = sqlite3.connect(str(settings.sqlite_path))
        conn.execute("PRAGMA synchronous = OFF")
        with conn:
            for sql in statements:
                conn.execute(sql)
            conn.execute(session.format(secret, "'2026-01-01 00:00:00.000000+00:00'",
                                        "'2099-01-01 00:00:00.000000+00:00'"))
        conn.execute("ANALYZE")
        events = conn.execute("SELECT COUNT(*) FROM event").fetchone()[0]
        conn.close()
    else:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            async with conn.transaction():
                for sql in statements:
                    await conn.execute(sql)
                await conn.execute(session.format(secret, "now()", "'2099-01-01'"))
            await conn.execute("VACUUM ANALYZE")
            events = await conn.fetchval("SELECT COUNT(*) FROM event")
        finally:
            await conn.close()
    print(f"engine={engine} units=1000000 items=10000 events={events} "
          f"catalog_s={loaded - start:.1f} history_s={time.perf_counter() - loaded:.1f}")


# ---------------------------------------------------------------------------- timing

async def measure(settings: Any, n: int, only: str | None) -> list[float]:
    from litestar.testing import AsyncTestClient

    from server.http.app import create_app
    from server.http.auth import SESSION_COOKIE

    app = create_app(settings, run_migrations=False)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    ratios: list[float] = []
    async with AsyncTestClient(app=app, timeout=120) as client:
        for name, url in REPORTS:
            if only and only not in name and only not in url:
                continue
            page = not url.startswith("/api/")
            headers = {} if page else {"Authorization": f"Bearer {TOKEN}"}
            cookies = {SESSION_COOKIE: SESSION} if page else {}
            samples: list[float] = []
            for i in range(n + 2):
                client.cookies.clear()
                for key, value in cookies.items():
                    client.cookies.set(key, value)
                t0 = time.perf_counter()
                response = await client.get(url, headers=headers)
                took = time.perf_counter() - t0
                if response.status_code != 200:
                    print(f"{name}: GET {url} -> {response.status_code} {response.text[:200]}")
                    break
                if i >= 2:
                    samples.append(took)
            if not samples:
                continue
            stats = percentiles(samples)
            ratio = stats["p50"] / TARGET_MS
            ratios.append(ratio)
            print(f"{name:34s} {fmt_ms(stats)}  target={TARGET_MS:.0f} ratio={ratio:.2f}  {url}")
    return ratios


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=20, help="timed requests per report")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database kept earlier")
    parser.add_argument("--path", default="/tmp/tagtrack-bench-reports",
                        help="SQLite: the data directory of the database")
    parser.add_argument("--only", default=None, help="only reports whose name or URL has this")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    data_dir = Path(args.path)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = (f"sqlite:///{data_dir / 'bench.db'}" if args.engine == "sqlite"
           else f"{PG_BASE}/{PG_NAME}")
    settings = settings_for(url, data_dir)
    built = args.reuse and (
        (data_dir / "bench.db").exists() if args.engine == "sqlite" else True)
    start = time.perf_counter()
    try:
        if not built:
            if args.engine == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{data_dir / 'bench.db'}{suffix}").unlink(missing_ok=True)
            else:
                await pg_exec(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
                await pg_exec(f"CREATE DATABASE {PG_NAME}")
            await build(args.engine, url, settings)
        ratios = await measure(settings, args.n, args.only)
        if ratios:
            print(f"reports_worst_ratio={max(ratios):.2f} target_ms={TARGET_MS:.0f} "
                  f"reports={len(ratios)}")
    finally:
        if not (args.keep or args.reuse):
            if args.engine == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{data_dir / 'bench.db'}{suffix}").unlink(missing_ok=True)
            else:
                await pg_exec(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        print(f"total_s={time.perf_counter() - start:.1f}")


if __name__ == "__main__":
    os.environ.setdefault("TAGTRACK_LOG_LEVEL", "WARNING")
    asyncio.run(main())

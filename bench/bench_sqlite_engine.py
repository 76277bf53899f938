"""Piccolo's stock SQLiteEngine against our PooledSQLiteEngine, on the same SQLite file.

The file is made by the real migrations (WAL mode, which is persistent in the file) and
holds 10,000 items. For each engine, from --tasks concurrent asyncio tasks:

- reads:  --reads small SELECTs by primary key, outside any transaction
          (`SELECT id, sku, name FROM item WHERE id = ?` through Item.raw);
- writes: --writes small write transactions through server.db.engine.write_transaction()
          (BEGIN IMMEDIATE; read a counter row; UPDATE it; COMMIT).

Prints queries/s (reads) and transactions/s (writes) for each engine, the ratio pooled/stock,
and how many SQLite connections each engine opened (every aiosqlite.connect call is
counted; PooledSQLiteEngine's own `.opened` counter is printed next to it).

Note: besides pooling, the engines differ in per-connection settings: the pooled one sets
synchronous=NORMAL (the stock one runs with SQLite's default FULL) and does not repeat
`PRAGMA foreign_keys` before every statement.

Run: .venv/bin/python bench/bench_sqlite_engine.py [--reads 20000] [--writes 4000]
     [--tasks 16] [--pool-size 4]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
from common import bench_database, settings_for

from server.db import engine as db_engine
from server.db.tables import Counter, Item

N_ITEMS = 10_000


class ConnectCounter:
    """Wraps aiosqlite.connect (both engines call it through the module attribute)."""

    def __init__(self) -> None:
        self.count = 0
        self._real = aiosqlite.connect

    def __enter__(self) -> ConnectCounter:
        def counting_connect(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return self._real(*args, **kwargs)

        aiosqlite.connect = counting_connect  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        aiosqlite.connect = self._real  # type: ignore[assignment]


def prepare(path: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO item (sku, sku_key, name, tracking) VALUES (?, ?, ?, ?)",
            ((f"SKU-{i}", f"sku-{i}", f"Item {i}", "quantity") for i in range(1, N_ITEMS + 1)),
        )
        conn.execute("INSERT INTO counter (name, value) VALUES ('BENCH', 0)")
    conn.close()


async def run_tasks(tasks: int, total: int, op: Callable[[int], Awaitable[None]]) -> float:
    """Runs `total` operations spread over `tasks` concurrent tasks; returns ops/s."""

    async def worker(w: int) -> None:
        for k in range(w, total, tasks):
            await op(k)

    start = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(tasks)))
    return total / (time.perf_counter() - start)


async def read_op(k: int) -> None:
    rows = await Item.raw("SELECT id, sku, name FROM item WHERE id = {}", k % N_ITEMS + 1)
    assert rows and rows[0]["id"] == k % N_ITEMS + 1


async def write_op(k: int) -> None:
    async with db_engine.write_transaction():
        rows = await Counter.raw("SELECT value FROM counter WHERE name = {}", "BENCH")
        await Counter.raw(
            "UPDATE counter SET value = {} WHERE name = {}", rows[0]["value"] + 1, "BENCH"
        )


async def bench_engine(label: str, engine: Any, args: argparse.Namespace) -> dict[str, float]:
    db_engine.bind(engine)
    await Counter.raw("UPDATE counter SET value = 0 WHERE name = {}", "BENCH")
    await run_tasks(args.tasks, 200, read_op)  # warm-up (page cache, thread start-up)
    out: dict[str, float] = {}
    with ConnectCounter() as reads_conns:
        out["reads_qps"] = await run_tasks(args.tasks, args.reads, read_op)
    with ConnectCounter() as writes_conns:
        out["writes_tps"] = await run_tasks(args.tasks, args.writes, write_op)
    final = await Counter.raw("SELECT value FROM counter WHERE name = {}", "BENCH")
    lost = args.writes - final[0]["value"]
    await db_engine.stop(engine)
    await asyncio.sleep(0.1)  # let the pool's background closes finish
    extra = f" pooled_opened_total={engine.opened}" if hasattr(engine, "opened") else ""
    print(
        f"{label:<7} reads_qps={out['reads_qps']:.0f} writes_tps={out['writes_tps']:.0f} "
        f"connections_opened: reads={reads_conns.count} writes={writes_conns.count}"
        f"{extra} lost_updates={lost}"
    )
    out["reads_conns"], out["writes_conns"] = reads_conns.count, writes_conns.count
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=4_000)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--pool-size", type=int, default=db_engine.POOL_SIZE)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    from piccolo.engine.sqlite import SQLiteEngine

    from server.db.migrate import migrate

    async with bench_database("sqlite") as (url, data_dir):
        settings = settings_for(url, data_dir)
        await migrate(settings)
        path = str(settings.sqlite_path)
        prepare(path)
        print(
            f"file={path} tasks={args.tasks} reads={args.reads} writes={args.writes} "
            f"pool_size={args.pool_size} sqlite={sqlite3.sqlite_version}"
        )
        # the same timeout as the pooled engine, so that only pooling/pragmas differ
        stock = await bench_engine(
            "stock", SQLiteEngine(path=path, timeout=db_engine.BUSY_TIMEOUT_MS / 1000), args
        )
        pooled = await bench_engine(
            "pooled", db_engine.PooledSQLiteEngine(path=path, pool_size=args.pool_size), args
        )
        print(
            f"reads_ratio_pooled_over_stock={pooled['reads_qps'] / stock['reads_qps']:.2f} "
            f"writes_ratio_pooled_over_stock={pooled['writes_tps'] / stock['writes_tps']:.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())

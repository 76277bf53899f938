"""Backup, restore and copy benchmark: rows per second and peak memory.

1. Makes a SQLite database (real migrations), bulk-loads locations, items, `--units` units
   and twice as many events with plain executemany (setup, not measured; the events are
   not a valid chain: nothing here runs `verify`).
2. Times, in this process: `backup` of the SQLite file, `restore` of that file into a
   throw-away PostgreSQL database (tagtrack_bench_backup, dropped afterwards), and `copy`
   from PostgreSQL back into a new SQLite file. Prints rows/s for each and the process's
   peak RSS after each step: with rows streamed in chunks it stays flat as the tables grow
   (run with --units 50000 and --units 400000 to compare).

No target in DESIGN.md; the ratio printed is against 100,000 rows/s, a figure that makes
a backup of a 1,000,000-unit, 2,000,000-event database take well under a minute.

Run: .venv/bin/python bench/bench_backup.py [--units 150000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from common import PG_BASE, ROOT, pg_exec, settings_for, tag

from server.db.migrate import migrate
from server.services.backup import backup, copy, restore

TARGET_ROWS_S = 100_000
PG_NAME = "tagtrack_bench_backup"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(path: Path, units: int) -> int:
    conn = sqlite3.connect(path)
    now = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    conn.executemany("INSERT INTO location (id, tag, name, archived, created_at) "
                     "VALUES (?, ?, ?, 0, ?)",
                     [(i, tag("L", i), f"Shelf {i}", str(now)) for i in range(1, 101)])
    conn.executemany("INSERT INTO item (id, sku, sku_key, name, tracking, unit_cost, "
                     "custom_fields, created_at, updated_at) VALUES (?, ?, ?, ?, 'serial', "
                     "?, '[]', ?, ?)",
                     [(i, f"SKU-{i}", f"sku-{i}", f"Item {i}", 19.9 + i, str(now), str(now))
                      for i in range(1, 101)])
    conn.executemany(
        "INSERT INTO unit (id, tag, item, serial, location, purchase_date, purchase_cost, "
        "custom, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '2026-01-31', 999.5, ?, ?, ?)",
        ((i, tag("U", i), i % 100 + 1, f"SN{i}", i % 100 + 1, '{"os": "linux"}',
          str(now + dt.timedelta(microseconds=i)), str(now)) for i in range(1, units + 1)))
    conn.executemany(
        "INSERT INTO event (id, at, actor, kind, unit_id, to_location_id, note, details, "
        "prev_hash, hash) VALUES (?, ?, 'bench', 'unit_moved', ?, ?, '', ?, ?, ?)",
        ((i, str(now + dt.timedelta(microseconds=i)), i % units + 1, i % 100 + 1,
          json.dumps({"n": i}), f"{i - 1:064x}", f"{i:064x}") for i in range(1, 2 * units + 1)))
    conn.commit()
    conn.close()
    return 200 + 3 * units


def step(name: str, rows: int, started: float) -> None:
    took = time.perf_counter() - started
    rate = rows / took
    print(f"{name}: {rows:,} rows in {took:.2f} s, {rate:,.0f} rows/s "
          f"(ratio to {TARGET_ROWS_S:,} rows/s: {rate / TARGET_ROWS_S:.2f}), "
          f"peak RSS so far {rss_mb():.0f} MB", flush=True)


async def main(units: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="tagtrack-bench-backup-"))
    source = f"sqlite:///{tmp / 'source.db'}"
    target = f"{PG_BASE}/{PG_NAME}"
    settings = settings_for(source, tmp)
    await migrate(settings)
    rows = load(tmp / "source.db", units)
    print(f"loaded {rows:,} rows ({units:,} units, {2 * units:,} events); "
          f"peak RSS {rss_mb():.0f} MB", flush=True)
    await pg_exec(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
    await pg_exec(f"CREATE DATABASE {PG_NAME}")
    try:
        file = tmp / "backup.zip"
        started = time.perf_counter()
        await backup(source, file)
        step("backup sqlite -> file", rows, started)
        print(f"  file: {file.stat().st_size / 1e6:.1f} MB "
              f"(database {(tmp / 'source.db').stat().st_size / 1e6:.1f} MB)")
        started = time.perf_counter()
        await restore(target, file)
        step("restore file -> postgresql (with its migrations)", rows, started)
        started = time.perf_counter()
        await copy(target, f"sqlite:///{tmp / 'back.db'}")
        step("copy postgresql -> sqlite (backup + restore)", rows, started)
    finally:
        await pg_exec(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=150_000)
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.exit(asyncio.run(main(args.units)))

"""Export benchmark: 1,000,000 units as CSV (and as XLSX), and the history as JSON Lines,
streamed with constant memory.

1. Makes a fresh database (SQLite file, or PostgreSQL `tagtrack_bench_export`, dropped
   afterwards), runs the migrations and bulk-loads bench_catalog's catalog (locations,
   people, items, 1,000,000 units) and `--events` events (bulk SQL; their hashes are not a
   valid chain: the export copies them, it does not check them). Setup is not measured.
2. Runs `tagtrack export ...` as a user would, in a child process, and reads the child's
   peak RSS from the kernel (wait4): units as CSV, units as XLSX (the first --xlsx-units
   units: XlsxWriter's speed, not memory, bounds how many fit in a short run), and events
   as JSON Lines. A file's rows are counted to check nothing was dropped.

Prints, per export: rows, seconds, rows/s, the child's CPU seconds and rows per CPU
second (on a shared machine the wall time mostly measures the other processes), peak MB,
and `peak_ratio` against the 200 MB
server memory bar (DESIGN.md: "Server memory under 200 MB RSS under load"): a streaming
export stays well under it whatever the row count; one that loads its rows would not.

Run: .venv/bin/python bench/bench_export.py --engine sqlite|postgres [--units 1000000]
     [--items 10000] [--events 1000000] [--xlsx-units 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from bench_catalog import Plan, load_postgres, load_sqlite
from common import PG_BASE, ROOT, TAGTRACK, pg_exec, server_env, settings_for

MEMORY_BAR_MB = 200.0
PG_NAME = "tagtrack_bench_export"
EVENT_COLS = ("id", "at", "actor_id", "actor", "kind", "item_id", "unit_id", "lot_id",
              "quantity", "from_location_id", "to_location_id", "from_person_id",
              "to_person_id", "note", "details", "prev_hash", "hash")
BASE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@contextlib.asynccontextmanager
async def database(engine: str) -> AsyncIterator[tuple[str, Path]]:
    data_dir = Path(tempfile.mkdtemp(prefix="tagtrack-bench-export-"))
    try:
        if engine == "sqlite":
            yield f"sqlite:///{data_dir / 'bench.db'}", data_dir
        else:
            await pg_exec(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
            await pg_exec(f"CREATE DATABASE {PG_NAME}")
            yield f"{PG_BASE}/{PG_NAME}", data_dir
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if engine == "postgres":
            await pg_exec(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")


def events(n: int, n_units: int) -> Iterator[tuple[Any, ...]]:
    prev = "0" * 64
    for i in range(1, n + 1):
        digest = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
        unit = i % n_units + 1
        yield (i, BASE + dt.timedelta(seconds=i), 1, "bench", "unit.moved", None, unit, None,
               None, 11 + i % 50, 12 + i % 50, None, None, "", '{"via": "bench"}', prev,
               digest)
        prev = digest


async def load_events(url: str, n: int, n_units: int) -> None:
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        marks = ", ".join("?" for _ in EVENT_COLS)
        with conn:
            conn.executemany(
                f"INSERT INTO event ({', '.join(EVENT_COLS)}) VALUES ({marks})",
                ((*e[:1], e[1].isoformat(sep=" "), *e[2:]) for e in events(n, n_units)))
        conn.close()
        return
    import asyncpg

    conn2 = await asyncpg.connect(url)
    try:
        rows = events(n, n_units)
        while chunk := [r for _, r in zip(range(100_000), rows, strict=False)]:
            await conn2.copy_records_to_table("event", records=chunk, columns=list(EVENT_COLS))
        await conn2.execute("SELECT setval('event_id_seq', (SELECT MAX(id) FROM event))")
        await conn2.execute("VACUUM ANALYZE event")
    finally:
        await conn2.close()


# The child is started by this small launcher, not by the benchmark itself: a forked child's
# peak RSS counts the pages it shares with its parent until it execs, and the benchmark's
# own process is big after loading a million rows.
LAUNCH = ("import os, subprocess, sys\n"
          "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
          "_, status, use = os.wait4(child.pid, 0)\n"
          "print(os.waitstatus_to_exitcode(status), use.ru_utime + use.ru_stime,"
          " use.ru_maxrss)\n")


def run_export(env: dict[str, str], args: list[str], out: Path | None
               ) -> tuple[float, float, float]:
    """`tagtrack export ARGS -o OUT` in a child (without OUT: `tagtrack ARGS`): (seconds,
    CPU seconds, peak RSS in MB)."""
    start = time.perf_counter()
    command = [*TAGTRACK, *args] if out is None else [*TAGTRACK, "export", *args, "-o", str(out)]
    done = subprocess.run([sys.executable, "-c", LAUNCH, *command], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    code, cpu, peak_kb = done.stdout.split()
    if done.returncode != 0 or code != "0":
        raise SystemExit(f"tagtrack {' '.join(command[3:])} failed: {done.stderr}")
    return seconds, float(cpu), int(peak_kb) / 1024  # Linux: ru_maxrss in KiB


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))


def report(what: str, rows: int, measured: tuple[float, float, float]) -> None:
    seconds, cpu, peak_mb = measured
    print(f"{what}: rows={rows} seconds={seconds:.1f} rows_per_s={rows / seconds:,.0f} "
          f"cpu_s={cpu:.1f} rows_per_cpu_s={rows / cpu:,.0f} "
          f"peak_mb={peak_mb:.0f} peak_ratio={peak_mb / MEMORY_BAR_MB:.2f} "
          f"(bar {MEMORY_BAR_MB:.0f} MB)", flush=True)


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--units", type=int, default=1_000_000)
    p.add_argument("--items", type=int, default=10_000)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--xlsx-units", type=int, default=200_000,
                   help="units in the XLSX export (0: skip it)")
    a = p.parse_args()
    async with database(a.engine) as (url, data_dir):
        settings = settings_for(url, data_dir)
        from server.db.migrate import migrate

        start = time.perf_counter()
        await migrate(settings)
        plan = Plan(a.items, a.units)
        if a.engine == "sqlite":
            load_sqlite(settings.sqlite_path, plan)
        else:
            await load_postgres(url, plan)
        await load_events(url, a.events, a.units)
        print(f"engine={a.engine} units={a.units} items={a.items} events={a.events} "
              f"setup_s={time.perf_counter() - start:.0f}", flush=True)
        env = server_env(url, data_dir, "http://bench.test")
        out = data_dir / "out"
        out.mkdir()

        _, _, base = run_export(env, ["migrate"], None)
        print(f"baseline (tagtrack migrate, the export's start): peak_mb={base:.0f}", flush=True)
        measured = run_export(env, ["units"], out / "units.csv")
        rows = count_lines(out / "units.csv") - 1
        assert rows == a.units, f"the CSV holds {rows} units, not {a.units}"
        report("units csv", rows, measured)
        (out / "units.csv").unlink()

        measured = run_export(env, ["events"], out / "events.jsonl")
        rows = count_lines(out / "events.jsonl")
        assert rows == a.events, f"the JSON Lines hold {rows} events, not {a.events}"
        report("events jsonl", rows, measured)
        (out / "events.jsonl").unlink()

        if a.xlsx_units:
            if a.xlsx_units < a.units:  # keep only the first units: XLSX is slow to write
                await trim_units(url, a.xlsx_units)
            measured = run_export(env, ["units", "--format", "xlsx"], out / "units.xlsx")
            rows = min(a.xlsx_units, a.units)
            size_mb = (out / "units.xlsx").stat().st_size / 1e6
            report(f"units xlsx ({size_mb:.0f} MB file)", rows, measured)


async def trim_units(url: str, keep: int) -> None:
    sql = f"UPDATE unit SET collapsed = TRUE WHERE id > {keep}"  # the export leaves them out
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        with conn:
            conn.execute(sql.replace("TRUE", "1"))
        conn.close()
    else:
        await pg_exec(sql, url)


if __name__ == "__main__":
    asyncio.run(main())
